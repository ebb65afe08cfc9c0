// Kernel fixes for the tfjs wasm backend (see shared NOTES for the measurements):
// - `UnsortedSegmentSum` is not registered on wasm at all, and it is the gradient of every
//   `gather` (every embedding lookup). Ours is one pass over the ids: O(ids × dim).
// - tfjs's gradient of `Sum` builds `ones(x.shape)` as a JS array, element by element, and
//   multiplies: on the search's [B, F, N, D] mixture (12.5M floats at batch 2000) that was 15%
//   of a step. Ours multiplies by a `Fill` (a native memset on wasm): search 1,836 → 2,624
//   samples/s. (`broadcastTo`, i.e. `Tile`, was 4× slower than the stock gradient on wasm.)
// - The stock wasm `BatchMatMul` runs ~15× slower when asked to transpose an operand, and
//   matmul gradients always ask. Ours transposes explicitly (a cheap kernel) and then calls
//   the stock kernel in its fast plain form (matmul-kernels.ts, with the OpenBLAS GEMM).
// - The stock wasm `GatherV2` moves element by element through generic strides: 14% of a
//   re-train step at batch 2000. Ours copies whole rows for the common case (axis 0, no
//   batch dims) and defers to the stock kernel otherwise.
// - The stock wasm `Slice` copies its whole input out of the heap before taking a part (so
//   `split`, the gradient of every concat, copies the input once per part): 6% of a
//   re-train step. Ours reads a contiguous part in place and defers otherwise; `SplitV`
//   calls the stock slice directly, so it is replaced too (a loop over our Slice).
// - The stock wasm `Identity` copies its input; tfjs clones every input it saves for the
//   backward pass through it (7% of a search step). Ours shares the data with a reference
//   count, as the cpu and webgl backends do (no wasm kernel writes into its inputs). `Cast` to
//   the dtype a tensor already has (7% of a search step, a copy on wasm) shares it the same way.
// - With the element-wise addon (src/accel/native/elementwise.c), float32 `Multiply`, `Add`, `Sub` and `Sum`
//   of rank ≤ 4 run in C on the compute threads (`setComputeThreads`), equal to wasm's bit for
//   bit: the search's [B, F, N, D] mixture went through them for ~45% of a step.
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import { FILLED, useTensorView } from "../core/tensor-memory.js";
import { BATCH_NORM_MIX, BATCH_NORM_MIX_GRAD } from "../models/batch-norm-mix.js";
import { mixBackward, mixForward, nativeBinary, nativeSum, type NativeElementwise } from "./elementwise-kernels.js";
import { blasMatMul, fastTransposedMatMul, type NativeBlas } from "./matmul-kernels.js";
import { heapView, type KernelArgs, type WasmBackend } from "./wasm-backend.js";

export type { NativeBlas };

export type { NativeElementwise };

let registered: string[] | undefined;

/** `FILLED` on wasm: the callback writes straight into the output's heap memory. */
function filledInHeap({ backend, attrs }: KernelArgs): TensorInfo {
  const { shape, dtype, fill } = attrs as unknown as {
    shape: number[];
    dtype: "float32" | "int32";
    fill: (values: Float32Array | Int32Array) => void;
  };
  const out = backend.makeOutput(shape, dtype);
  // (the callback must not allocate tensors: an allocation can grow, and move, the heap)
  fill(backend.typedArrayFromHeap(out) as Float32Array | Int32Array);
  return out;
}

/**
 * Registers the fixes on the wasm backend (idempotent); returns the kernel names. With
 * `blas`, float32 matmuls run on it (transposes included) instead of wasm's GEMM; with `ew`,
 * large float32 element-wise ops and sums run on the element-wise addon.
 */
export function registerWasmKernelFixes(blas?: NativeBlas, ew?: NativeElementwise): string[] {
  if (registered) return registered;
  const stockMatMul = tf.getKernel("BatchMatMul", "wasm");
  const stockTranspose = tf.getKernel("Transpose", "wasm");
  if (!stockMatMul || !stockTranspose)
    throw new Error("wasm backend is not registered: import @tensorflow/tfjs-backend-wasm first");

  tf.unregisterKernel("BatchMatMul", "wasm");
  const wasmMatMul = fastTransposedMatMul(stockMatMul, stockTranspose.kernelFunc);
  tf.registerKernel(
    blas ? { ...wasmMatMul, kernelFunc: blasMatMul(blas, wasmMatMul.kernelFunc) as unknown as KernelFunc } : wasmMatMul,
  );
  if (tf.getKernel("UnsortedSegmentSum", "wasm") === undefined) {
    tf.registerKernel({
      kernelName: "UnsortedSegmentSum",
      backendName: "wasm",
      kernelFunc: unsortedSegmentSum(ew) as unknown as KernelFunc,
    });
  }
  for (const [name, make] of [
    ["GatherV2", (stock: KernelFunc) => rowGather(stock, ew)],
    ["Slice", contiguousSlice],
  ] as const) {
    const stock = tf.getKernel(name, "wasm");
    if (!stock) throw new Error(`the wasm backend has no ${name} kernel`);
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...stock, kernelFunc: make(stock.kernelFunc) as unknown as KernelFunc });
  }
  const sliceKernel = tf.getKernel("Slice", "wasm")?.kernelFunc as KernelFunc;
  const splitStock = tf.getKernel("SplitV", "wasm");
  if (!splitStock) throw new Error("the wasm backend has no SplitV kernel");
  tf.unregisterKernel("SplitV", "wasm");
  tf.registerKernel({ ...splitStock, kernelFunc: splitBySlices(sliceKernel) as unknown as KernelFunc });
  const identity = tf.getKernel("Identity", "wasm");
  if (!identity) throw new Error("the wasm backend has no Identity kernel");
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({ ...identity, kernelFunc: sharedIdentity as unknown as KernelFunc });
  const cast = tf.getKernel("Cast", "wasm");
  if (!cast) throw new Error("the wasm backend has no Cast kernel");
  tf.unregisterKernel("Cast", "wasm");
  tf.registerKernel({ ...cast, kernelFunc: sameTypeCastShares(cast.kernelFunc) as unknown as KernelFunc });
  const native: string[] = [];
  if (ew) {
    for (const [name, op] of [
      ["Multiply", 0],
      ["Add", 1],
      ["Sub", 2],
    ] as const) {
      const stock = tf.getKernel(name, "wasm");
      if (!stock) throw new Error(`the wasm backend has no ${name} kernel`);
      tf.unregisterKernel(name, "wasm");
      tf.registerKernel({ ...stock, kernelFunc: nativeBinary(ew, op, stock.kernelFunc) as unknown as KernelFunc });
      native.push(`${name} (native)`);
    }
    const sum = tf.getKernel("Sum", "wasm");
    if (!sum) throw new Error("the wasm backend has no Sum kernel");
    tf.unregisterKernel("Sum", "wasm");
    tf.registerKernel({ ...sum, kernelFunc: nativeSum(ew, sum.kernelFunc) as unknown as KernelFunc });
    native.push("Sum (native)");
    tf.registerKernel({
      kernelName: BATCH_NORM_MIX,
      backendName: "wasm",
      kernelFunc: mixForward(ew) as unknown as KernelFunc,
    });
    tf.registerKernel({
      kernelName: BATCH_NORM_MIX_GRAD,
      backendName: "wasm",
      kernelFunc: mixBackward(ew) as unknown as KernelFunc,
    });
    native.push("BatchNorm + mixture (native, fused)");
  }
  tf.registerKernel({ kernelName: FILLED, backendName: "wasm", kernelFunc: filledInHeap as unknown as KernelFunc });
  useTensorView("wasm", heapView);
  registered = [
    blas ? "BatchMatMul (OpenBLAS)" : "BatchMatMul",
    "UnsortedSegmentSum",
    "GatherV2",
    "Slice",
    "SplitV",
    "Identity",
    "Cast",
    ...native,
  ];
  return registered;
}

let gradientFixed = false;

/** Replaces tfjs's Sum gradient (any backend; idempotent). */
export function registerSumGradientFix(): string {
  if (!gradientFixed) {
    tf.registerGradient({
      kernelName: "Sum",
      inputsToSave: ["x"],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        const g = Array.isArray(dy) ? dy[0] : dy;
        const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
        const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        return { x: () => tf.mul(tf.reshape(g, kept), tf.fill(x.shape, 1)) };
      },
    });
    gradientFixed = true;
  }
  return "Sum gradient";
}

/**
 * out[s, ...] = Σ_{i: ids[i] = s} x[i, ...]; ids outside [0, numSegments) are dropped,
 * as in TensorFlow. `segmentIds` may have any rank that prefixes `x`'s shape. float32 on the
 * element-wise addon when loaded (the same bits: each float sum in the same order).
 */
function unsortedSegmentSum(ew?: NativeElementwise) {
  return (args: KernelArgs): TensorInfo => segmentSumKernel(args, ew);
}

function segmentSumKernel(args: KernelArgs, ew?: NativeElementwise): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  const numSegments = attrs.numSegments as number;
  if (x.dtype !== "float32" && x.dtype !== "int32")
    throw new Error(`UnsortedSegmentSum: dtype ${x.dtype} is not supported`);
  const idCount = segmentIds.shape.reduce((a, b) => a * b, 1);
  const innerShape = x.shape.slice(segmentIds.shape.length);
  const inner = innerShape.reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  // Views are taken after makeOutput: an allocation can grow (and move) the wasm heap.
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const o = backend.typedArrayFromHeap(out);
  if (ew && x.dtype === "float32" && inner > 0 && segmentIds.dtype === "int32") {
    ew.segmentSum(xs as Float32Array, inner, ids as Int32Array, numSegments, o as Float32Array);
    return out;
  }
  o.fill(0);
  for (let i = 0; i < idCount; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}

/** Gather along axis 0 without batch dims: one row copy per index (float32 rows in C when loaded). */
function rowGather(stock: KernelFunc, ew?: NativeElementwise) {
  return (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, indices } = inputs;
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    if (axis !== 0 || (attrs.batchDims as number) !== 0 || x.dtype === "string" || indices.dtype !== "int32")
      return stock(args as never) as TensorInfo;
    const rows = x.shape[0];
    const inner = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const n = indices.shape.reduce((a, b) => a * b, 1);
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    const xs = backend.typedArrayFromHeap(x);
    const ids = backend.typedArrayFromHeap(indices);
    const o = backend.typedArrayFromHeap(out);
    if (ew && x.dtype === "float32" && inner > 0) {
      const bad = ew.gatherRows(xs as Float32Array, rows, inner, ids as Int32Array, o as Float32Array);
      if (bad >= 0) {
        backend.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${ids[bad]} is not in [0, ${rows - 1}]`);
      }
      return out;
    }
    for (let i = 0; i < n; i++) {
      const r = ids[i];
      if (r < 0 || r >= rows) throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
      if (inner === 1) o[i] = xs[r];
      else if (inner < 16) for (let j = 0; j < inner; j++) o[i * inner + j] = xs[r * inner + j];
      else o.set(xs.subarray(r * inner, r * inner + inner), i * inner);
    }
    return out;
  };
}

/** Slice: a contiguous part is copied straight from the heap. */
function contiguousSlice(stock: KernelFunc) {
  return (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (x.dtype === "string") return stock(args as never) as TensorInfo;
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as tf.TensorInfo as tf.Tensor,
      attrs.begin as number[],
      attrs.size as number[],
    );
    if (!tf.slice_util.isSliceContinous(x.shape, begin, size)) return stock(args as never) as TensorInfo;
    const offset = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
    const out = backend.makeOutput(size, x.dtype);
    const xs = backend.typedArrayFromHeap(x);
    const o = backend.typedArrayFromHeap(out);
    o.set(xs.subarray(offset, offset + o.length));
    return out;
  };
}

/** Identity: the same data under one more reference (strings keep the stock copy). */
function sharedIdentity(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Cast to the dtype the tensor has: the same data under one more reference. */
function sameTypeCastShares(stock: KernelFunc) {
  return (args: KernelArgs): TensorInfo => {
    const { x } = args.inputs;
    if (x.dtype !== args.attrs.dtype || x.dtype === "string") return stock(args as never) as TensorInfo;
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** SplitV as consecutive Slices along the axis (through the registered Slice kernel). */
function splitBySlices(slice: KernelFunc) {
  return (args: KernelArgs): TensorInfo[] => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(
      x as tf.TensorInfo as tf.Tensor,
      attrs.numOrSizeSplits as number[] | number,
      axis,
    );
    const begin = x.shape.map(() => 0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[axis] = s;
      const part = slice({
        inputs: { x },
        backend: backend as never,
        attrs: { begin: [...begin], size },
      }) as TensorInfo;
      begin[axis] += s;
      return part;
    });
  };
}
