// Tensors filled and read without a JS array in between. On wasm, `tf.tensor(array)` copies an
// array into the heap and `dataSync()` copies out into a fresh one; a training step made ~5–8 MB
// of such short-lived ArrayBuffers, and V8 answers every ~30 MB of them with a collection that
// stops the thread (with a data-parallel replica, both threads). On other backends both
// functions go through a plain array.
import * as tf from "@tensorflow/tfjs";
import { FILLED, heapView } from "./wasm-kernels.js";

type Values<D extends "float32" | "int32"> = D extends "float32" ? Float32Array : Int32Array;

function onWasmHeap(): boolean {
  return tf.getBackend() === "wasm" && tf.getKernel(FILLED, "wasm") !== undefined;
}

/**
 * A new tensor of `shape` whose values `fill` writes (every one of them: on wasm the memory is
 * not cleared first). `fill` must not create tensors.
 */
export function filledTensor<D extends "float32" | "int32">(
  shape: number[],
  dtype: D,
  fill: (values: Values<D>) => void,
): tf.Tensor {
  if (onWasmHeap()) return tf.engine().runKernel(FILLED, {}, { shape, dtype, fill } as never) as tf.Tensor;
  const size = shape.reduce((a, b) => a * b, 1);
  const values = (dtype === "float32" ? new Float32Array(size) : new Int32Array(size)) as Values<D>;
  fill(values);
  return tf.tensor(values, shape, dtype);
}

/** Copies a float32 tensor's values into `out` (of its size); returns `out`. */
export function readInto(t: tf.Tensor, out: Float32Array): Float32Array {
  if (out.length !== t.size) throw new Error(`readInto: ${out.length} values for a tensor of ${t.size}`);
  if (t.dtype !== "float32") throw new Error(`readInto: a ${t.dtype} tensor`);
  out.set(onWasmHeap() ? heapView(t) : (t.dataSync() as Float32Array));
  return out;
}
