// Typed arrays on shared memory, reused from message to message between threads.
/**
 * Arrays on shared memory that one side of a replica fills anew for every message (the weights
 * of each job, the gradients of each answer): posted, they are shared instead of copied, and
 * nothing is allocated per step. An array is rewritten only after the other side has read it
 * (each side writes its next message after it has the other's answer).
 */
export class SharedArrays {
  private readonly floats = new Map<string, Float32Array>();
  private readonly ints = new Map<string, Int32Array>();

  /** The float array `key`, of `size` values. */
  float(key: string, size: number): Float32Array {
    let a = this.floats.get(key);
    if (!a || a.length < size) this.floats.set(key, (a = new Float32Array(new SharedArrayBuffer(4 * size))));
    return a.subarray(0, size);
  }

  /** The int array `key`, of `size` values. */
  int(key: string, size: number): Int32Array {
    let a = this.ints.get(key);
    if (!a || a.length < size) this.ints.set(key, (a = new Int32Array(new SharedArrayBuffer(4 * size))));
    return a.subarray(0, size);
  }
}
