// Kernel fixes for the tfjs wasm backend (see shared NOTES for the measurements):
// - `UnsortedSegmentSum` is not registered on wasm at all, and it is the gradient of every
//   `gather` (every embedding lookup). Ours is one pass over the ids: O(ids × dim).
// - tfjs's gradient of `Sum` builds `ones(x.shape)` as a JS array, element by element, and
//   multiplies: on the search's [B, F, N, D] mixture (12.5M floats at batch 2000) that was 15%
//   of a step. Ours multiplies by a `Fill` (a native memset on wasm): search 1,836 → 2,624
//   samples/s. (`broadcastTo`, i.e. `Tile`, was 4× slower than the stock gradient on wasm.)
// - The stock wasm `BatchMatMul` runs ~15× slower when asked to transpose an operand, and
//   matmul gradients always ask. Ours transposes explicitly (a cheap kernel) and then calls
//   the stock kernel in its fast plain form.
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
// - With the element-wise addon (native/elementwise.c), float32 `Multiply`, `Add`, `Sub` and `Sum`
//   of rank ≤ 4 run in C on the compute threads (`setComputeThreads`), equal to wasm's bit for
//   bit: the search's [B, F, N, D] mixture went through them for ~45% of a step.
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import type { NativeAlea } from "./random.js";

/** The part of tfjs-backend-wasm's `BackendWasm` that these kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs: NamedAttrMap;
}

let registered: string[] | undefined;

/** The GEMM of native/blas.c (OpenBLAS): c[i] = op(a[i])·op(b[i]), row-major. */
export interface NativeBlas {
  sgemm(
    transA: boolean,
    transB: boolean,
    batch: number,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batchStrideA: number,
    batchStrideB: number,
  ): void;
  /** Sets the threads products are split over when n > 0 (OpenBLAS itself stays on one); returns the count in use. */
  threads(n?: number): number;
}

/** The kernels of native/elementwise.c, on a pool of `threads()` threads (and the dropout-mask loop). */
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

/** Kernel names of the fused BatchNorm + mixture (registered on wasm with the element-wise addon). */
export const BATCH_NORM_MIX = "AutodimBatchNormMix";
export const BATCH_NORM_MIX_GRAD = "AutodimBatchNormMixGrad";

/** A tensor whose values a callback writes in place (see src/runtime/tensor-memory.ts). */
export const FILLED = "AutodimFilled";

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

/** The heap's own view of a tensor's values on wasm (valid until the next tensor allocation). */
export function heapView(t: tf.Tensor): Float32Array | Int32Array | Uint8Array {
  return (tf.backend() as unknown as WasmBackend).typedArrayFromHeap(t);
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

function fastTransposedMatMul(stock: KernelConfig, transposeKernel: KernelFunc): KernelConfig {
  const plain = stock.kernelFunc;
  const swapLastTwo = (x: TensorInfo, backend: WasmBackend): TensorInfo => {
    const perm = x.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return transposeKernel({ inputs: { x }, backend: backend as never, attrs: { perm } }) as TensorInfo;
  };
  const kernelFunc = (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    if (!attrs.transposeA && !attrs.transposeB) return plain(args as never) as TensorInfo;
    const size = (x: TensorInfo) => x.shape.reduce((p, d) => p * d, 1);
    if (attrs.transposeA && !attrs.transposeB && inputs.a.shape.length === 2 && inputs.b.shape.length === 2) {
      // Aᵀ·B = (Bᵀ·A)ᵀ: when A is the big operand (a weight gradient Xᵀ·dY, X [batch, 1248])
      // transpose B and the [m, n] result instead: 2.5M → 0.4M floats moved per MLP step.
      const [k, m] = inputs.a.shape;
      const n = inputs.b.shape[1];
      if (size(inputs.a) > k * n + m * n) {
        const bt = swapLastTwo(inputs.b, backend);
        try {
          const ct = plain({
            inputs: { a: bt, b: inputs.a },
            backend: backend as never,
            attrs: { ...attrs, transposeA: false, transposeB: false },
          }) as TensorInfo;
          try {
            return swapLastTwo(ct, backend);
          } finally {
            backend.disposeData(ct.dataId);
          }
        } finally {
          backend.disposeData(bt.dataId);
        }
      }
    }
    const a = attrs.transposeA ? swapLastTwo(inputs.a, backend) : inputs.a;
    const b = attrs.transposeB ? swapLastTwo(inputs.b, backend) : inputs.b;
    try {
      return plain({
        inputs: { a, b },
        backend: backend as never,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      }) as TensorInfo;
    } finally {
      if (a !== inputs.a) backend.disposeData(a.dataId);
      if (b !== inputs.b) backend.disposeData(b.dataId);
    }
  };
  // setupFunc binds the wasm function the stock kernel calls: it must run for ours too.
  return { ...stock, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/**
 * BatchMatMul on OpenBLAS, reading the operands in the wasm heap and writing the output
 * there (no copies); BLAS takes transposed operands as they are. Batch dims must be equal
 * or one side's all 1 (broadcast); anything else goes to `fallback`.
 */
function blasMatMul(blas: NativeBlas, fallback: KernelFunc) {
  return (args: KernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2)
      return fallback(args as never) as TensorInfo;
    const outer = (x: TensorInfo) => x.shape.slice(0, -2);
    const count = (dims: number[]) => dims.reduce((p, d) => p * d, 1);
    const [ra, ca] = a.shape.slice(-2);
    const [rb, cb] = b.shape.slice(-2);
    const m = ta ? ca : ra;
    const k = ta ? ra : ca;
    const n = tb ? rb : cb;
    if ((tb ? cb : rb) !== k)
      throw new Error(
        `BatchMatMul: inner dimensions ${k} and ${tb ? cb : rb} differ (shapes ${a.shape} and ${b.shape}, transposeA ${ta}, transposeB ${tb})`,
      );
    const batchA = count(outer(a));
    const batchB = count(outer(b));
    const sameOuter = outer(a).join(",") === outer(b).join(",");
    if (!sameOuter && batchA !== 1 && batchB !== 1) return fallback(args as never) as TensorInfo;
    const batchShape = batchA >= batchB ? outer(a) : outer(b);
    const batch = Math.max(batchA, batchB);
    const out = backend.makeOutput([...batchShape, m, n], "float32");
    if (m * n * k === 0) return out;
    // Views after makeOutput: an allocation can grow (and move) the wasm heap.
    blas.sgemm(
      ta,
      tb,
      batch,
      m,
      n,
      k,
      backend.typedArrayFromHeap(a) as Float32Array,
      backend.typedArrayFromHeap(b) as Float32Array,
      backend.typedArrayFromHeap(out) as Float32Array,
      batchA === 1 ? 0 : m * k,
      batchB === 1 ? 0 : k * n,
    );
    return out;
  };
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

// Below this many output elements the stock kernel is as fast (the call costs the same).
const NATIVE_MIN_ELEMENTS = 4096;

/** A float32 Multiply/Add/Sub of rank ≤ 4 on the element-wise addon; anything else on `stock`. */
function nativeBinary(ew: NativeElementwise, op: number, stock: KernelFunc) {
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
function nativeSum(ew: NativeElementwise, stock: KernelFunc) {
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

function mixForward(ew: NativeElementwise) {
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

function mixBackward(ew: NativeElementwise) {
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
