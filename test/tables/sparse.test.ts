import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { DEFAULT_ADAM, SparseTable } from "../../src/tables/sparse.js";
import { TouchCollector } from "../../src/tables/touch.js";
import { initRuntime } from "../../src/accel/index.js";
import { randomStream } from "../../src/core/random.js";

before(async () => {
  await initRuntime();
});

test("lazy Adam equals tf.train.adam when every row is touched, over several steps", () => {
  const rng = randomStream(1, "init", "adam-test");
  const rows = 6;
  const dim = 3;
  const table = new SparseTable("t", rows, dim).initNormal(rng, 0.5);
  const dense = tf.variable(tf.tensor2d(table.values(), [rows, dim]));
  const cfg = { ...DEFAULT_ADAM, learningRate: 0.01 };
  const opt = tf.train.adam(cfg.learningRate, cfg.beta1, cfg.beta2, cfg.epsilon);
  const all = Int32Array.from({ length: rows }, (_, i) => i);
  for (let step = 0; step < 5; step++) {
    const grads = Float32Array.from({ length: rows * dim }, () => rng.normal());
    // The sparse path receives the rows in a shuffled order: order must not matter.
    const order = randomStream(step, "shuffle").shuffle(all.slice());
    const shuffledGrads = new Float32Array(rows * dim);
    order.forEach((r, i) => shuffledGrads.set(grads.subarray(r * dim, r * dim + dim), i * dim));
    table.applyAdam(order, shuffledGrads, cfg);
    opt.applyGradients([{ name: dense.name, tensor: tf.tensor2d(grads, [rows, dim]) }]);
  }
  const expected = dense.dataSync();
  const got = table.values();
  for (let i = 0; i < expected.length; i++)
    assert.ok(Math.abs(expected[i] - got[i]) < 1e-6, `element ${i}: ${got[i]} vs ${expected[i]}`);
});

test("lazy Adam leaves untouched rows and their moments alone", () => {
  const table = new SparseTable("t", 4, 2).initConstant(1);
  table.applyAdam(Int32Array.from([1, 3]), Float32Array.from([1, 1, -1, -1]), DEFAULT_ADAM);
  const v = table.values();
  assert.deepEqual([...v.subarray(0, 2)], [1, 1]);
  assert.deepEqual([...v.subarray(4, 6)], [1, 1]);
  // First Adam step moves by lr·sign(g) (m̂ = g, v̂ = g²).
  assert.ok(Math.abs(v[2] - (1 - 1e-3)) < 1e-6);
  assert.ok(Math.abs(v[6] - (1 + 1e-3)) < 1e-6);
  const s = table.state();
  assert.deepEqual([...s.data], [...v]);
  assert.equal(s.step, 1);
  // Moments [m, v] per row: m = (1−β1)·g, v = (1−β2)·g² after one step; untouched rows 0.
  const expectM = (g: number) => [
    (1 - DEFAULT_ADAM.beta1) * g,
    (1 - DEFAULT_ADAM.beta1) * g,
    (1 - DEFAULT_ADAM.beta2) * g * g,
    (1 - DEFAULT_ADAM.beta2) * g * g,
  ];
  const want = [0, 0, 0, 0, ...expectM(1), 0, 0, 0, 0, ...expectM(-1)];
  s.moments.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-7, `moment ${i}: ${x} vs ${want[i]}`));
});

test("touched rows: deduplicated, local indices address them, rowOf remaps, gradients equal a dense gather's", () => {
  const rng = randomStream(2, "init");
  const total = 10;
  const table = new SparseTable("t", total, 4).initNormal(rng, 1);
  const fieldCount = 3;
  // ids of a batch of 4 rows × 3 fields; field 1 is not looked up by this table
  const ids = Int32Array.from([1, 5, 7, 1, 5, 8, 2, 6, 7, 9, 5, 7]);
  const c = new TouchCollector({ table, fields: Int32Array.from([0, 2]) });
  const t = c.collect(ids, 4, fieldCount);
  assert.deepEqual([...t.rows], [1, 7, 8, 2, 9]);
  assert.deepEqual([...t.local.dataSync()], [0, 1, 0, 2, 3, 1, 4, 1]);
  const weights = tf.tensor2d(
    Float32Array.from({ length: 8 * 4 }, () => rng.normal()),
    [8, 4],
  );
  const sparseGrad = tf
    .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, t.local), weights)))(t.values)
    .arraySync() as number[][];
  const full = tf.tensor2d(table.values(), [total, 4]);
  const denseIds = tf.tensor1d(Int32Array.from([1, 7, 1, 8, 2, 7, 9, 7]), "int32");
  const denseGrad = tf
    .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, denseIds), weights)))(full)
    .arraySync() as number[][];
  [...t.rows].forEach((r, i) => sparseGrad[i].forEach((g, j) => assert.ok(Math.abs(g - denseGrad[r][j]) < 1e-5)));
  // A second batch reuses the scratch without leaking marks from the first.
  const t2 = c.collect(Int32Array.from([3, 0, 3]), 1, fieldCount);
  assert.deepEqual([...t2.rows], [3]);
  const remapped = new TouchCollector({
    table,
    fields: Int32Array.from([1]),
    rowOf: Int32Array.from([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
  });
  assert.deepEqual([...remapped.collect(ids, 4, fieldCount).rows], [4, 3]); // field 1 ids 5, 5, 6, 5
});

test("values, rows and state: row views write through; setValues keeps moments; state/restore round-trips", () => {
  const a = new SparseTable("a", 5, 3).initNormal(randomStream(4, "init"), 1);
  a.applyAdam(Int32Array.from([4, 0]), Float32Array.from([1, 2, 3, -1, -2, -3]), DEFAULT_ADAM);
  const values = a.values();
  assert.deepEqual([...a.row(2)], [...values.subarray(6, 9)]);
  a.row(2).set([7, 8, 9]);
  assert.deepEqual([...a.values().subarray(6, 9)], [7, 8, 9]);
  assert.deepEqual([...a.gather(Int32Array.from([2, 2]), new Float32Array(6))], [7, 8, 9, 7, 8, 9]);
  const s = a.state();
  const b = new SparseTable("b", 5, 3);
  b.restore(s);
  assert.deepEqual(b.values(), a.values());
  assert.deepEqual(b.state().moments, s.moments);
  assert.equal(b.step, 1);
  // The same next step on both: identical rows, so the moments came across too.
  for (const t of [a, b]) t.applyAdam(Int32Array.from([0]), Float32Array.from([0.5, 0.5, 0.5]), DEFAULT_ADAM);
  assert.deepEqual(b.values(), a.values());
  const before = a.state().moments;
  a.setValues(new Float32Array(15).fill(2));
  assert.deepEqual([...a.values()], new Array(15).fill(2));
  assert.deepEqual(a.state().moments, before);
  assert.throws(() => a.setValues(new Float32Array(14)), /a\.setValues: 14 values for 5 rows × 3/);
});
