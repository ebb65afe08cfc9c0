// Kernel fixes for the tfjs wasm backend (see shared NOTES for the measurements):
// - `UnsortedSegmentSum` is not registered on wasm at all, and it is the gradient of every
//   `gather` (every embedding lookup). Ours is one pass over the ids: O(ids × dim).
// - The stock wasm `BatchMatMul` runs ~15× slower when asked to transpose an operand, and
//   matmul gradients always ask. Ours transposes explicitly (a cheap kernel) and then calls
//   the stock kernel in its fast plain form.
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";

/** The part of tfjs-backend-wasm's `BackendWasm` that these kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs: NamedAttrMap;
}

let registered: string[] | undefined;

/** Registers the fixes on the wasm backend (idempotent); returns the kernel names. */
export function registerWasmKernelFixes(): string[] {
  if (registered) return registered;
  const stockMatMul = tf.getKernel("BatchMatMul", "wasm");
  const stockTranspose = tf.getKernel("Transpose", "wasm");
  if (!stockMatMul || !stockTranspose) throw new Error("wasm backend is not registered: import @tensorflow/tfjs-backend-wasm first");

  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel(fastTransposedMatMul(stockMatMul, stockTranspose.kernelFunc));
  if (tf.getKernel("UnsortedSegmentSum", "wasm") === undefined) {
    tf.registerKernel({ kernelName: "UnsortedSegmentSum", backendName: "wasm", kernelFunc: unsortedSegmentSum as unknown as KernelFunc });
  }
  registered = ["BatchMatMul", "UnsortedSegmentSum"];
  return registered;
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
    const a = attrs.transposeA ? swapLastTwo(inputs.a, backend) : inputs.a;
    const b = attrs.transposeB ? swapLastTwo(inputs.b, backend) : inputs.b;
    try {
      return plain({ inputs: { a, b }, backend: backend as never, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
    } finally {
      if (a !== inputs.a) backend.disposeData(a.dataId);
      if (b !== inputs.b) backend.disposeData(b.dataId);
    }
  };
  // setupFunc binds the wasm function the stock kernel calls: it must run for ours too.
  return { ...stock, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/**
 * out[s, ...] = Σ_{i: ids[i] = s} x[i, ...]; ids outside [0, numSegments) are dropped,
 * as in TensorFlow. `segmentIds` may have any rank that prefixes `x`'s shape.
 */
function unsortedSegmentSum(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  const numSegments = attrs.numSegments as number;
  if (x.dtype !== "float32" && x.dtype !== "int32") throw new Error(`UnsortedSegmentSum: dtype ${x.dtype} is not supported`);
  const idCount = segmentIds.shape.reduce((a, b) => a * b, 1);
  const innerShape = x.shape.slice(segmentIds.shape.length);
  const inner = innerShape.reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  // Views are taken after makeOutput: an allocation can grow (and move) the wasm heap.
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const o = backend.typedArrayFromHeap(out);
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
