// Seeded random streams. One root seed derives independent named streams, so adding a
// draw to one stream (say, dropout) never shifts another (say, the data split).
import seedrandom from "seedrandom";

export const STREAM_NAMES = [
  "init",
  "shuffle",
  "gumbel",
  "dropout",
  "split",
  "synth",
  "search",
  "bench",
  "bootstrap",
] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

/** Serializable generator state (alea's three words and a carry), for checkpoints. */
export type StreamState = seedrandom.State.Alea;

/** The native twin of `RandomStream.fillMask` (native/elementwise.c: the same alea steps in C). */
export interface NativeAlea {
  /** out[i] = u_i < rate ? 0 : keep; `state` is [s0, s1, s2, c], advanced in place. */
  dropoutMask(state: Float64Array, rate: number, keep: number, out: Float32Array): void;
}

let nativeAlea: NativeAlea | undefined;

/** Routes `fillMask` through the native loop (the same bits), or back to JS with `undefined`. */
export function useNativeAlea(kernel: NativeAlea | undefined): void {
  nativeAlea = kernel;
}

// Below this many draws the JS loop is as fast as a call plus a state round trip.
const NATIVE_MASK_MIN = 1024;

export class RandomStream {
  private prng: seedrandom.StatefulPRNG<StreamState>;
  private spareNormal: number | undefined;

  constructor(
    readonly key: string,
    state?: StreamState,
  ) {
    // alea: fast, 2^116 period, and its state can be saved and restored.
    this.prng = seedrandom.alea(key, { state: state ?? true });
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    return this.prng.double();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng.double() * n);
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.prng.double();
    const v = this.prng.double();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** Fills `out` with uniforms in [0, 1) as float32 (for tensors). */
  fillUniform(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.prng.double();
    return out;
  }

  /**
   * out[i] = (next() < rate ? 0 : keep), in order: a dropout mask. In C when the runtime loaded the
   * element-wise addon — the same draws and bits (a re-train draws ~770k of them a step).
   */
  fillMask(out: Float32Array, rate: number, keep: number): Float32Array {
    if (nativeAlea && out.length >= NATIVE_MASK_MIN && this.spareNormal === undefined) {
      const { s0, s1, s2, c } = this.prng.state();
      const s = Float64Array.of(s0, s1, s2, c);
      nativeAlea.dropoutMask(s, rate, keep, out);
      this.restore({ s0: s[0], s1: s[1], s2: s[2], c: s[3] });
      return out;
    }
    for (let i = 0; i < out.length; i++) out[i] = this.prng.double() < rate ? 0 : keep;
    return out;
  }

  state(): StreamState {
    if (this.spareNormal !== undefined) {
      // Keeping the spare out of the state would make a restored stream diverge.
      throw new Error(`stream ${this.key}: cannot save state between the two halves of a normal pair`);
    }
    return this.prng.state();
  }

  /** Continues from a state saved by `state()` (a checkpoint), in place: holders keep this object. */
  restore(state: StreamState): void {
    this.prng = seedrandom.alea(this.key, { state });
    this.spareNormal = undefined;
  }
}

/**
 * The stream `name` (optionally a sub-stream, e.g. `("synth", "field", 3)`) of a root seed.
 * Same seed and path → same bits, on every machine.
 */
export function randomStream(rootSeed: number, name: StreamName, ...path: (string | number)[]): RandomStream {
  if (!Number.isSafeInteger(rootSeed)) throw new Error(`seed must be an integer, got ${rootSeed}`);
  return new RandomStream([String(rootSeed), name, ...path.map(String)].join("/"));
}
