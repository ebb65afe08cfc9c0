// The part of tfjs-backend-wasm's backend that our kernels use, and a kernel's arguments.
import * as tf from "@tensorflow/tfjs";
import type { NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";

/** The part of tfjs-backend-wasm's `BackendWasm` that these kernels use. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
}

export interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs: NamedAttrMap;
}

/** The heap's own view of a tensor's values on wasm (valid until the next tensor allocation). */
export function heapView(t: tf.Tensor): Float32Array | Int32Array | Uint8Array {
  return (tf.backend() as unknown as WasmBackend).typedArrayFromHeap(t);
}
