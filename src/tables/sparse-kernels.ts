// Where the native sparse-table kernels are registered: the tables' own registry, as tfjs's is
// for tensor kernels. The engine (src/accel/backend.ts) loads the addon and installs it here;
// the tables (sparse.ts: gather, Adam; touch.ts: dedup, scatter-add) read it, and run their JS
// loops when nothing is installed.

/** The native addon's kernels (src/accel/native/sparse.c); the JS loops in sparse.ts and touch.ts do the same work. */
export interface SparseKernels {
  gather(store: Float32Array, stride: number, dim: number, rows: Int32Array, out: Float32Array): void;
  adam(
    store: Float32Array,
    stride: number,
    dim: number,
    rows: Int32Array,
    grads: Float32Array,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    c1: number,
    c2: number,
  ): void;
  hugePages(array: Float32Array | Int32Array): boolean;
  /** out[positions[i], :] += src[i, :] (float32, in order of i); `dim` floats a row. */
  scatterAdd(out: Float32Array, dim: number, positions: Int32Array, src: Float32Array): void;
  /**
   * TouchCollector.collect's dedup loop (same hash set, same order): fills rows and local and
   * returns the unique count, or −1 − k when ids[k] is outside rowOf.
   */
  collect(
    ids: Int32Array,
    batchSize: number,
    fieldCount: number,
    fields: Int32Array,
    rowOf: Int32Array | null,
    slots: Int32Array,
    generation: number,
    mask: number,
    shift: number,
    rows: Int32Array,
    local: Int32Array,
  ): number;
}

let kernels: SparseKernels | undefined;

/**
 * Routes row gathers and Adam updates of tables through the native kernels (bit-identical
 * results), or back to JS with `undefined`. `initRuntime()` installs them when the addon loads.
 */
export function useSparseKernels(k: SparseKernels | undefined): void {
  kernels = k;
}

/** The kernels in use, if any. */
export function sparseKernels(): SparseKernels | undefined {
  return kernels;
}
