// The cpu backend's UnsortedSegmentSum in one pass (what plain tfjs computes every embedding
// lookup's gradient with when no engine is installed): the stock kernel's bits, in linear time.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { useLinearSegmentSumOnCpu } from "../../src/core/cpu-segment-sum.js";
import { startEngine } from "../../src/core/engine.js";
import { randomStream } from "../../src/core/random.js";

const rng = randomStream(5, "bench", "segment-sum");

function values(n: number, scale = 3): Float32Array {
  // Large and small magnitudes and signed zeros, so float64 accumulation and rounding show.
  return Float32Array.from({ length: n }, (_, i) =>
    i % 17 === 0 ? (i % 2 ? -0 : 0) : rng.normal() * scale * (i % 5 === 0 ? 1e4 : 1),
  );
}

/** [name, x shape, ids, numSegments]: ids out of range are dropped, repeated ones summed in order. */
function cases(): [string, number[], Int32Array, number][] {
  const many = Int32Array.from({ length: 1000 }, () => rng.int(300));
  return [
    ["embedding rows", [1000, 32], many, 300],
    ["rank 3 values", [1000, 3, 4], many, 300],
    ["one column", [1000], many, 300],
    ["out of range and negative ids", [6, 2], Int32Array.from([0, 5, -1, 2, 9, 2]), 6],
    ["empty segments", [4, 3], Int32Array.from([3, 3, 3, 3]), 8],
  ];
}

function run(shape: number[], ids: Int32Array, numSegments: number, x: Float32Array): Float32Array {
  return tf
    .tidy(() => tf.unsortedSegmentSum(tf.tensor(x, shape), tf.tensor1d(ids, "int32"), numSegments))
    .dataSync() as Float32Array;
}

let inputs: { name: string; shape: number[]; ids: Int32Array; n: number; x: Float32Array }[] = [];
let stock: Float32Array[] = [];
let stockKernel: unknown;

before(async () => {
  await tf.setBackend("cpu");
  stockKernel = tf.getKernel("UnsortedSegmentSum", "cpu")?.kernelFunc;
  inputs = cases().map(([name, shape, ids, n]) => ({
    name,
    shape,
    ids,
    n,
    x: values(shape.reduce((a, b) => a * b, 1)),
  }));
  stock = inputs.map((c) => run(c.shape, c.ids, c.n, c.x));
});

test("plain tfjs (no engine installed) computes on the linear kernel", async () => {
  process.env.AUTODIM_QUIET = "1";
  assert.equal((await startEngine()).label, "cpu");
  assert.notEqual(tf.getKernel("UnsortedSegmentSum", "cpu")?.kernelFunc, stockKernel);
  assert.equal(useLinearSegmentSumOnCpu(), "UnsortedSegmentSum (linear)"); // idempotent
  // Quadratic, the stock kernel would take hours here (segments × ids × width ≈ 2.6·10¹³ additions).
  const ids = Int32Array.from({ length: 40000 }, () => rng.int(20000));
  const started = Date.now();
  run([40000, 32], ids, 20000, values(40000 * 32));
  assert.ok(Date.now() - started < 30000, "a linear pass over 1.3M values");
});

test("the linear cpu UnsortedSegmentSum gives the stock kernel's bits", () => {
  useLinearSegmentSumOnCpu();
  inputs.forEach((c, i) => {
    const ours = run(c.shape, c.ids, c.n, c.x);
    assert.deepEqual(new Uint32Array(ours.buffer), new Uint32Array(stock[i].buffer), c.name);
  });
  // Hand values: ids 0, 5, −1, 2, 9, 2 over 6 segments.
  const hand = run([6, 1], Int32Array.from([0, 5, -1, 2, 9, 2]), 6, Float32Array.from([1, 2, 4, 8, 16, 32]));
  assert.deepEqual([...hand], [1, 0, 40, 0, 0, 2]);
  // The gradient of a gather (an embedding lookup) runs through it.
  const table = tf.tensor2d(values(50 * 8), [50, 8]);
  const ids = tf.tensor1d(
    Int32Array.from({ length: 400 }, () => rng.int(50)),
    "int32",
  );
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), 0.5)))(table);
  const counts = new Array<number>(50).fill(0);
  for (const id of ids.dataSync()) counts[id]++;
  const rows = g.arraySync() as number[][];
  rows.forEach((row, r) => row.forEach((v) => assert.equal(v, counts[r] * 0.5)));
});
