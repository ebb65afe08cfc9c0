// Typed arrays on shared memory, reused from message to message between threads.
/**
 * Arrays on shared memory that one side of a replica fills anew for every message (the weights
 * of each job, the gradients of each answer): posted, they are shared instead of copied, and
 * nothing is allocated per step. An array is rewritten only after the other side has read it
 * (each side writes its next message after it has the other's answer).
 */
export class SharedArrays {
  private readonly buffers = new Map<string, SharedArrayBuffer>();

  /** The float array `key`, of `size` values. */
  float(key: string, size: number): Float32Array {
    return new Float32Array(this.buffer(key, 4 * size), 0, size);
  }

  /** The int array `key`, of `size` values. */
  int(key: string, size: number): Int32Array {
    return new Int32Array(this.buffer(key, 4 * size), 0, size);
  }

  /** One buffer per key, replaced by a larger one when asked for more (sizes that vary settle at their largest). */
  private buffer(key: string, bytes: number): SharedArrayBuffer {
    let b = this.buffers.get(key);
    if (!b || b.byteLength < bytes) this.buffers.set(key, (b = new SharedArrayBuffer(bytes)));
    return b;
  }
}
