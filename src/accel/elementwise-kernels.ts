// The wasm kernels that run on the element-wise addon (src/accel/native/elementwise.c): float32
// Multiply, Add, Sub and Sum of rank ≤ 4 on the compute threads, equal to wasm's bit for bit, and
// the fused BatchNorm + candidate mixture (the op of src/models/batch-norm-mix.ts). Registered by
// wasm-kernels.ts when the addon loads.
import * as tf from "@tensorflow/tfjs";
import type { KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import type { NativeAlea } from "../core/random.js";
import type { KernelArgs } from "./wasm-backend.js";

/** The kernels of src/accel/native/elementwise.c, on a pool of `threads()` threads (and the dropout-mask loop). */
export interface NativeElementwise extends NativeAlea {
  /** out = a op b with numpy broadcasting (op 0 multiply, 1 add, 2 subtract), shapes of rank ≤ 4. */
  binary(
    op: number,
    a: Float32Array,
    aShape: number[],
    b: Float32Array,
    bShape: number[],
    out: Float32Array,
    outShape: number[],
  ): void;
  /** out = Σ of x over the dimensions flagged in `reduced` (rank ≤ 4). */
  sum(x: Float32Array, shape: number[], reduced: boolean[], out: Float32Array): void;
  /** out[s, :] = Σ_{i: ids[i] = s} x[i, :], ids outside [0, numSegments) dropped (one thread). */
  segmentSum(x: Float32Array, inner: number, ids: Int32Array, numSegments: number, out: Float32Array): void;
  /** out[i, :] = x[ids[i], :]; returns -1, or the position of the first id outside [0, rows). */
  gatherRows(x: Float32Array, rows: number, inner: number, ids: Int32Array, out: Float32Array): number;
  /**
   * The search's BatchNorm + candidate mixture (see `batchNormMix`): out [B, F, D], and the batch
   * mean and biased variance [F, N], from x [B, F, N, D] and p [F, N].
   */
  mixForward(
    x: Float32Array,
    shape: number[],
    dims: number[],
    p: Float32Array,
    scale: number,
    epsilon: number,
    out: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
  ): void;
  /** Its gradient: dx [B, F, N, D] and dp [F, N] from g = d loss / d out. */
  mixBackward(
    g: Float32Array,
    x: Float32Array,
    shape: number[],
    dims: number[],
    p: Float32Array,
    scale: number,
    epsilon: number,
    mean: Float32Array,
    variance: Float32Array,
    dx: Float32Array,
    dp: Float32Array,
  ): void;
  /** Sets the thread count when n > 0; returns the count in use. */
  threads(n?: number): number;
}

// Below this many output elements the stock kernel is as fast (the call costs the same).
const NATIVE_MIN_ELEMENTS = 4096;

/** A float32 Multiply/Add/Sub of rank ≤ 4 on the element-wise addon; anything else on `stock`. */
export function nativeBinary(ew: NativeElementwise, op: number, stock: KernelFunc) {
  return (args: KernelArgs): TensorInfo => {
    const { inputs, backend } = args;
    const { a, b } = inputs;
    if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length > 4 || b.shape.length > 4)
      return stock(args as never) as TensorInfo;
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (shape.reduce((p, d) => p * d, 1) < NATIVE_MIN_ELEMENTS) return stock(args as never) as TensorInfo;
    const out = backend.makeOutput(shape, "float32");
    // Views after makeOutput: an allocation can grow (and move) the wasm heap.
    ew.binary(
      op,
      backend.typedArrayFromHeap(a) as Float32Array,
      a.shape,
      backend.typedArrayFromHeap(b) as Float32Array,
      b.shape,
      backend.typedArrayFromHeap(out) as Float32Array,
      shape,
    );
    return out;
  };
}

/** A float32 Sum of rank ≤ 4 on the element-wise addon; anything else on `stock`. */
export function nativeSum(ew: NativeElementwise, stock: KernelFunc) {
  return (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const size = x.shape.reduce((p, d) => p * d, 1);
    if (x.dtype !== "float32" || x.shape.length > 4 || x.shape.length === 0 || size < NATIVE_MIN_ELEMENTS)
      return stock(args as never) as TensorInfo;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const reduced = x.shape.map((_, i) => axes.includes(i));
    const shape = attrs.keepDims ? x.shape.map((d, i) => (reduced[i] ? 1 : d)) : x.shape.filter((_, i) => !reduced[i]);
    const out = backend.makeOutput(shape, "float32");
    ew.sum(
      backend.typedArrayFromHeap(x) as Float32Array,
      x.shape,
      reduced,
      backend.typedArrayFromHeap(out) as Float32Array,
    );
    return out;
  };
}

function mixAttrs(attrs: NamedAttrMap): { dims: number[]; scale: number; epsilon: number } {
  return { dims: attrs.dims as number[], scale: attrs.scale as number, epsilon: attrs.epsilon as number };
}

export function mixForward(ew: NativeElementwise) {
  return (args: KernelArgs): TensorInfo[] => {
    const { inputs, backend } = args;
    const { x, p } = inputs;
    const { dims, scale, epsilon } = mixAttrs(args.attrs);
    const [B, F, N, D] = x.shape;
    const out = backend.makeOutput([B, F, D], "float32");
    const mean = backend.makeOutput([F, N], "float32");
    const variance = backend.makeOutput([F, N], "float32");
    const view = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    ew.mixForward(view(x), x.shape, dims, view(p), scale, epsilon, view(out), view(mean), view(variance));
    return [out, mean, variance];
  };
}

export function mixBackward(ew: NativeElementwise) {
  return (args: KernelArgs): TensorInfo[] => {
    const { inputs, backend } = args;
    const { dy, x, p, mean, variance } = inputs;
    const { dims, scale, epsilon } = mixAttrs(args.attrs);
    const dx = backend.makeOutput(x.shape, "float32");
    const dp = backend.makeOutput(p.shape, "float32");
    const view = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    ew.mixBackward(
      view(dy),
      view(x),
      x.shape,
      dims,
      view(p),
      scale,
      epsilon,
      view(mean),
      view(variance),
      view(dx),
      view(dp),
    );
    return [dx, dp];
  };
}
