// Tensors filled and read without a JS array in between. On wasm, `tf.tensor(array)` copies an
// array into the heap and `dataSync()` copies out into a fresh one; a training step made ~5–8 MB
// of such short-lived ArrayBuffers, and V8 answers every ~30 MB of them with a collection that
// stops the thread (with a data-parallel replica, both threads). On other backends both
// functions go through a plain array. The engine plugs in (src/accel/wasm-kernels.ts) by
// registering a kernel under FILLED and a view of a tensor's memory for its backend.
import * as tf from "@tensorflow/tfjs";

/** The kernel name of a tensor whose values a callback (attribute `fill`) writes in place. */
export const FILLED = "AutodimFilled";

type Values<D extends "float32" | "int32"> = D extends "float32" ? Float32Array : Int32Array;

/** A backend's own view of a tensor's values (valid until the next tensor allocation). */
export type TensorView = (t: tf.Tensor) => Float32Array | Int32Array | Uint8Array;

const views = new Map<string, TensorView>();

/** Lets `readInto` copy from `backend`'s memory without an intermediate array. */
export function useTensorView(backend: string, view: TensorView): void {
  views.set(backend, view);
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
  if (tf.getKernel(FILLED, tf.getBackend()) !== undefined)
    return tf.engine().runKernel(FILLED, {}, { shape, dtype, fill } as never) as tf.Tensor;
  const size = shape.reduce((a, b) => a * b, 1);
  const values = (dtype === "float32" ? new Float32Array(size) : new Int32Array(size)) as Values<D>;
  fill(values);
  return tf.tensor(values, shape, dtype);
}

/** Copies a float32 tensor's values into `out` (of its size); returns `out`. */
export function readInto(t: tf.Tensor, out: Float32Array): Float32Array {
  if (out.length !== t.size) throw new Error(`readInto: ${out.length} values for a tensor of ${t.size}`);
  if (t.dtype !== "float32") throw new Error(`readInto: a ${t.dtype} tensor`);
  const view = views.get(tf.getBackend());
  out.set(view ? view(t) : (t.dataSync() as Float32Array));
  return out;
}
