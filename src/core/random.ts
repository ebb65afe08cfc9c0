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

/** The native twins of the stream's draws (src/accel/native/elementwise.c: the same alea steps in C). */
export interface NativeAlea {
  /** out[i] = u_i < rate ? 0 : keep; `state` is [s0, s1, s2, c], advanced in place. */
  dropoutMask(state: Float64Array, rate: number, keep: number, out: Float32Array): void;
  /** Starts drawing out.length uniforms from `state` on a thread of its own; returns the job. */
  aleaAhead(state: Float64Array, out: Float64Array): unknown;
  /** Waits for the job and writes the state after its last draw into `state`. */
  aleaJoin(job: unknown, state: Float64Array): void;
}

let nativeAlea: NativeAlea | undefined;
let drawAhead = false;

/**
 * Routes `fillMask` through the native loop (the same bits), or back to JS with `undefined`;
 * with `ahead` (a spare core: two or more compute threads), `anticipate` draws a step's
 * uniforms on their own thread while the step does its other work.
 */
export function useNativeAlea(kernel: NativeAlea | undefined, ahead = false): void {
  nativeAlea = kernel;
  drawAhead = ahead && kernel !== undefined;
}

/** Uniforms drawn ahead on a native thread, and where the stream was when they started. */
interface DrawnAhead {
  start: StreamState;
  values: Float64Array;
  used: number;
  job: unknown;
  /** The state after the last value (set when the job is joined). */
  end?: StreamState;
}

// Below this many draws the JS loop is as fast as a call plus a state round trip.
const NATIVE_MASK_MIN = 1024;

export class RandomStream {
  private prng: seedrandom.StatefulPRNG<StreamState>;
  private spareNormal: number | undefined;
  private ahead: DrawnAhead | undefined;
  /** Uniforms drawn since the last `anticipate()`: what the next step will likely draw. */
  private drawnSinceMark = 0;

  constructor(
    readonly key: string,
    state?: StreamState,
  ) {
    // alea: fast, 2^116 period, and its state can be saved and restored.
    this.prng = seedrandom.alea(key, { state: state ?? true });
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    this.drawnSinceMark++;
    return this.ahead ? this.takeAhead() : this.prng.double();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
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
    for (let i = 0; i < out.length; i++) out[i] = this.next();
    return out;
  }

  /**
   * out[i] = (next() < rate ? 0 : keep), in order: a dropout mask. In C when the runtime loaded the
   * element-wise addon — the same draws and bits (a re-train draws ~770k of them a step).
   */
  fillMask(out: Float32Array, rate: number, keep: number): Float32Array {
    const a = this.ahead;
    if (a) {
      this.joinAhead(a);
      const k = Math.min(out.length, a.values.length - a.used);
      const values = a.values;
      for (let i = 0, j = a.used; i < k; i++, j++) out[i] = values[j] < rate ? 0 : keep;
      a.used += k;
      this.drawnSinceMark += k;
      if (a.used === values.length) {
        this.ahead = undefined;
        this.setState(a.end as StreamState);
      }
      if (k < out.length) this.fillMask(out.subarray(k), rate, keep);
      return out;
    }
    this.drawnSinceMark += out.length;
    if (nativeAlea && out.length >= NATIVE_MASK_MIN && this.spareNormal === undefined) {
      const { s0, s1, s2, c } = this.prng.state();
      const s = Float64Array.of(s0, s1, s2, c);
      nativeAlea.dropoutMask(s, rate, keep, out);
      this.setState({ s0: s[0], s1: s[1], s2: s[2], c: s[3] });
      return out;
    }
    for (let i = 0; i < out.length; i++) out[i] = this.prng.double() < rate ? 0 : keep;
    return out;
  }

  /**
   * Marks the start of a unit of work (a training step) that will likely draw as many uniforms
   * as the last one. With a spare core they are drawn now on a native thread, while the step
   * does its other work; the stream gives the same values in the same order either way (draws
   * beyond them continue the stream; unused ones are given back when the state is read).
   */
  anticipate(): void {
    const expected = this.drawnSinceMark;
    this.drawnSinceMark = 0;
    if (!drawAhead || !nativeAlea || expected < NATIVE_MASK_MIN || this.spareNormal !== undefined) return;
    this.settle();
    const start = this.prng.state();
    const values = new Float64Array(expected);
    const job = nativeAlea.aleaAhead(Float64Array.of(start.s0, start.s1, start.s2, start.c), values);
    this.ahead = { start, values, used: 0, job };
  }

  /** The next value drawn ahead; past the last one, the stream goes on from its end state. */
  private takeAhead(): number {
    const a = this.ahead as DrawnAhead;
    this.joinAhead(a);
    const u = a.values[a.used++];
    if (a.used === a.values.length) {
      this.ahead = undefined;
      this.setState(a.end as StreamState);
    }
    return u;
  }

  private joinAhead(a: DrawnAhead): void {
    if (a.end || !nativeAlea) return;
    const s = new Float64Array(4);
    nativeAlea.aleaJoin(a.job, s);
    a.end = { s0: s[0], s1: s[1], s2: s[2], c: s[3] };
  }

  /** Puts the stream exactly after the values taken so far (giving back those drawn ahead and not used). */
  private settle(): void {
    const a = this.ahead;
    if (!a) return;
    this.joinAhead(a);
    this.ahead = undefined;
    this.setState(a.start);
    // Redraw the used part (rare: a step that drew fewer than the one before, e.g. an epoch's last batch).
    for (let i = 0; i < a.used; i++) this.prng.double();
  }

  private setState(state: StreamState): void {
    this.prng = seedrandom.alea(this.key, { state });
  }

  state(): StreamState {
    this.settle();
    if (this.spareNormal !== undefined) {
      // Keeping the spare out of the state would make a restored stream diverge.
      throw new Error(`stream ${this.key}: cannot save state between the two halves of a normal pair`);
    }
    return this.prng.state();
  }

  /** Continues from a state saved by `state()` (a checkpoint), in place: holders keep this object. */
  restore(state: StreamState): void {
    if (this.ahead) this.joinAhead(this.ahead); // its thread must not outlive the buffer it writes
    this.ahead = undefined;
    this.drawnSinceMark = 0;
    this.setState(state);
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
