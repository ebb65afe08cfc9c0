// The wasm backend's matmul: tfjs's stock BatchMatMul in its fast plain form with the operands
// transposed first (the stock kernel runs ~15× slower when asked to transpose), or the OpenBLAS
// GEMM of the native addon (src/accel/native/blas.c), one thread per product.
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import type { KernelArgs, WasmBackend } from "./wasm-backend.js";

/** The GEMM of src/accel/native/blas.c (OpenBLAS): c[i] = op(a[i])·op(b[i]), row-major. */
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

export function fastTransposedMatMul(stock: KernelConfig, transposeKernel: KernelFunc): KernelConfig {
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
export function blasMatMul(blas: NativeBlas, fallback: KernelFunc) {
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
