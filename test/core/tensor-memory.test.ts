// Tensors filled and read without a JS array in between, and the shared arrays a replica's
// messages reuse: the same values as the plain paths, on wasm and on the cpu backend.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initRuntime } from "../../src/accel/index.js";
import { randomStream } from "../../src/core/random.js";
import { SharedArrays } from "../../src/core/shared-arrays.js";
import { filledTensor, readInto } from "../../src/core/tensor-memory.js";
import { SparseTable } from "../../src/tables/sparse.js";
import { TouchCollector } from "../../src/tables/touch.js";

before(async () => {
  await initRuntime();
});

async function onBackend<T>(name: string, body: () => T): Promise<T> {
  const previous = tf.getBackend();
  await tf.setBackend(name);
  try {
    return body();
  } finally {
    await tf.setBackend(previous);
  }
}

for (const backend of ["wasm", "cpu"]) {
  test(`filledTensor and readInto on ${backend}: the values written, of either dtype, no tensor left over`, async () => {
    await onBackend(backend, () => {
      const before = tf.memory().numTensors;
      const rng = randomStream(3, "init", "fill-test");
      const expected = Float32Array.from({ length: 35 }, () => rng.normal());
      const t = filledTensor([5, 7], "float32", (out) => out.set(expected));
      assert.deepEqual([...t.shape], [5, 7]);
      assert.equal(t.dtype, "float32");
      assert.deepEqual(t.dataSync(), expected);
      const ints = filledTensor([4], "int32", (out) => out.set([3, -1, 7, 2 ** 30]));
      assert.equal(ints.dtype, "int32");
      assert.deepEqual([...ints.dataSync()], [3, -1, 7, 2 ** 30]);
      // In a gradient: the filled tensor is a constant like tf.tensor's.
      const initial = tf.tensor2d(expected, [5, 7]);
      const x = tf.variable(initial);
      const { value, grads } = tf.variableGrads(
        () =>
          tf.sum(
            tf.mul(
              x,
              filledTensor([5, 7], "float32", (m) => m.fill(2)),
            ),
          ),
        [x],
      );
      assert.deepEqual([...grads[x.name].dataSync()], new Array(35).fill(2));
      const out = new Float32Array(35);
      assert.equal(readInto(t, out), out);
      assert.deepEqual(out, expected);
      assert.throws(() => readInto(t, new Float32Array(34)), /readInto: 34 values for a tensor of 35/);
      assert.throws(() => readInto(ints, new Float32Array(4)), /readInto: a int32 tensor/);
      tf.dispose([t, ints, initial, x, value, grads[x.name]]);
      assert.equal(tf.memory().numTensors, before);
    });
  });
}

test("SharedArrays: shared memory, the same memory for a key from call to call, grown when asked for more", () => {
  const arrays = new SharedArrays();
  const a = arrays.float("w", 10);
  assert.ok(a.buffer instanceof SharedArrayBuffer);
  a.fill(1.5);
  const again = arrays.float("w", 8);
  assert.equal(again.buffer, a.buffer);
  assert.equal(again.length, 8);
  assert.equal(again[7], 1.5);
  const bigger = arrays.float("w", 11);
  assert.equal(bigger.length, 11);
  assert.notEqual(bigger.buffer, a.buffer);
  const ids = arrays.int("ids", 4);
  assert.ok(ids.buffer instanceof SharedArrayBuffer);
  assert.notEqual(arrays.float("other", 10).buffer, bigger.buffer);
});

test("gradient buffers stay valid through the next one (a replica may still use them); touched rows are the caller's", () => {
  const table = new SparseTable("t", 50, 2);
  const collector = new TouchCollector({ table, fields: Int32Array.of(0, 1) });
  const first = collector.collectIndices(Int32Array.of(1, 2, 3, 1), 2, 2);
  const g1 = collector.gradientBuffer(6).fill(1);
  assert.ok(g1.buffer instanceof SharedArrayBuffer);
  const second = collector.collectIndices(Int32Array.of(9, 8, 7, 6, 5, 4), 3, 2);
  const g2 = collector.gradientBuffer(12).fill(2);
  assert.deepEqual([...g1], new Array(6).fill(1), "the first gradients survive the second buffer");
  assert.deepEqual([...second.rows], [9, 8, 7, 6, 5, 4]);
  assert.deepEqual([...second.localIndex], [0, 1, 2, 3, 4, 5]);
  collector.collectIndices(Int32Array.of(40, 41), 1, 2);
  assert.deepEqual([...first.rows], [1, 2, 3], "rows survive any number of later collections");
  assert.deepEqual([...second.rows], [9, 8, 7, 6, 5, 4]);
  // The third buffer takes the first's memory back.
  assert.equal(collector.gradientBuffer(2).buffer, g1.buffer);
  assert.equal(g2[0], 2);
});
