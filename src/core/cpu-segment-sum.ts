// tfjs's plain cpu backend (what method code computes on with no engine installed) computes
// `UnsortedSegmentSum` — the gradient of every `gather`, so of every embedding lookup — as one
// masked sum over all the ids per segment: O(segments × ids × dim). A search step gathers its
// B·F rows from the batch's touched rows (up to B·F segments), so a step was quadratic in the
// batch: ~40 s a step at batch 128 on 1,565 features, 92% of it in this kernel. This one is the
// same sum in one pass over the ids, O(ids × dim), and gives the stock kernel's bits on finite
// inputs: the stock kernel adds every id's value in id order in a float64 accumulator (the
// others' masked ±0 add nothing) and rounds once to float32, as this one does. (With a NaN or
// ±Inf among the values the stock kernel spreads NaN to every segment through 0·Inf; this one
// keeps it in its segment.) Other cases (int32 values, ids of rank ≠ 1) stay with the stock kernel.
import * as tf from "@tensorflow/tfjs";
import type { KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";

/** The part of tfjs-backend-cpu's `MathBackendCPU` this kernel uses. */
interface CpuBackend {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo;
}

interface CpuKernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: CpuBackend;
  attrs: NamedAttrMap;
}

let stock: KernelFunc | undefined;

/** Replaces the cpu backend's UnsortedSegmentSum with the linear one (idempotent); returns its name. */
export function useLinearSegmentSumOnCpu(): string {
  if (stock === undefined) {
    const config = tf.getKernel("UnsortedSegmentSum", "cpu");
    if (config === undefined) throw new Error("the cpu backend has no UnsortedSegmentSum kernel");
    stock = config.kernelFunc;
    tf.unregisterKernel("UnsortedSegmentSum", "cpu");
    tf.registerKernel({ ...config, kernelFunc: linearSegmentSum as unknown as KernelFunc });
  }
  return "UnsortedSegmentSum (linear)";
}

/** out[s, ...] = Σ_{i: ids[i] = s} x[i, ...], in order of i; ids outside [0, numSegments) are dropped. */
function linearSegmentSum(args: CpuKernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  if (x.dtype !== "float32" || segmentIds.dtype !== "int32" || segmentIds.shape.length !== 1)
    return (stock as KernelFunc)(args as never) as TensorInfo;
  const numSegments = attrs.numSegments as number;
  const innerShape = x.shape.slice(1);
  const inner = innerShape.reduce((a, b) => a * b, 1);
  const xs = backend.data.get(x.dataId).values as Float32Array;
  const ids = backend.data.get(segmentIds.dataId).values as Int32Array;
  const sums = new Float64Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) sums[dst + j] += xs[src + j];
  }
  return backend.makeTensorInfo([numSegments, ...innerShape], "float32", Float32Array.from(sums));
}
