// The wasm kernel fixes against the cpu backend on random inputs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initRuntime } from "../../src/accel/index.js";
import { randomStream } from "../../src/core/random.js";
import { TRANSPOSE_PAIRS } from "../helpers.js";

const rng = randomStream(99, "init", "kernel-tests");
const rand = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Float32Array.from({ length: n }, () => rng.next() * 2 - 1) };
};

/** Runs `f` on the named backend with fresh tensors and returns the result's values. */
async function on(backend: string, f: () => tf.Tensor): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const values = (await out.data()) as Float32Array;
  const shape = out.shape;
  out.dispose();
  return { shape, values };
}

function assertClose(
  a: { shape: number[]; values: Float32Array },
  b: { shape: number[]; values: Float32Array },
  tol = 1e-5,
) {
  assert.deepEqual(a.shape, b.shape);
  let worst = 0;
  for (let i = 0; i < a.values.length; i++) worst = Math.max(worst, Math.abs(a.values[i] - b.values[i]));
  assert.ok(worst <= tol, `max abs difference ${worst} > ${tol}`);
}

let native = false;
before(async () => {
  const info = await initRuntime();
  assert.equal(info.backend, "wasm", "tests expect the wasm backend on machines without tfjs-node");
  native = info.matmul.startsWith("openblas");
  assert.deepEqual(info.kernelFixes, [
    native ? "BatchMatMul (OpenBLAS)" : "BatchMatMul",
    "UnsortedSegmentSum",
    "GatherV2",
    "Slice",
    "SplitV",
    "Identity",
    "Cast",
    ...(info.elementwise === "native"
      ? ["Multiply (native)", "Add (native)", "Sub (native)", "Sum (native)", "BatchNorm + mixture (native, fused)"]
      : []),
    "Sum gradient",
  ]);
  if (process.env.AUTODIM_NATIVE_BLAS === "0") assert.equal(info.matmul, "wasm");
  if (process.env.AUTODIM_NATIVE_EW === "0") assert.equal(info.elementwise, "wasm");
});

test(
  "with the OpenBLAS and element-wise addons loaded, these tests run again in a process without them: both paths are checked",
  { skip: process.env.AUTODIM_NATIVE_BLAS === "0" },
  (t) => {
    if (!native) return t.skip("the OpenBLAS addon is not loaded here: the wasm path is the one tested");
    // Without NODE_TEST_CONTEXT the child reports in TAP, not to this runner.
    const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "test/accel/kernels.test.ts"], {
      encoding: "utf8",
      env: { ...env, AUTODIM_NATIVE_BLAS: "0", AUTODIM_NATIVE_EW: "0" },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /# fail 0/);
  },
);

for (const [ta, tb] of TRANSPOSE_PAIRS) {
  test(`BatchMatMul transposeA=${ta} transposeB=${tb}, rank 2 and batched rank 3, equals cpu`, async () => {
    // [0, 40, 64, 3]: a large A, where Aᵀ·B is computed as (Bᵀ·A)ᵀ.
    for (const [batch, m, k, n] of [
      [0, 7, 13, 5],
      [0, 40, 64, 3],
      [3, 4, 9, 6],
      [2, 33, 64, 17],
    ]) {
      const aShape = batch ? [batch, ...(ta ? [k, m] : [m, k])] : ta ? [k, m] : [m, k];
      const bShape = batch ? [batch, ...(tb ? [n, k] : [k, n])] : tb ? [n, k] : [k, n];
      const a = rand(aShape);
      const b = rand(bShape);
      const f = () => tf.matMul(tf.tensor(a.values, a.shape), tf.tensor(b.values, b.shape), ta, tb);
      assertClose(await on("wasm", f), await on("cpu", f));
    }
  });
}

test("BatchMatMul broadcasts a rank-2 operand over a batch, and its gradients match cpu", async () => {
  const a = rand([4, 5, 8]);
  const w = rand([8, 3]);
  const f = () => tf.matMul(tf.tensor(a.values, a.shape), tf.tensor(w.values, w.shape));
  assertClose(await on("wasm", f), await on("cpu", f));
  // The gradient of a matmul uses the transposed forms: the path the fix exists for.
  const xv = rand([6, 8]);
  const g = () => {
    const x = tf.tensor(xv.values, xv.shape);
    return tf.grad((wt: tf.Tensor) => tf.matMul(x, wt).square().sum())(tf.tensor(w.values, w.shape));
  };
  assertClose(await on("wasm", g), await on("cpu", g), 1e-4);
});

test("UnsortedSegmentSum equals cpu: rank 2 and 3 values, repeated and out-of-range ids", async () => {
  for (const shape of [
    [10, 4],
    [12, 3, 5],
  ]) {
    const x = rand(shape);
    const ids = Int32Array.from({ length: shape[0] }, (_, i) => (i === 3 ? -1 : i === 5 ? 99 : rng.int(6)));
    const f = () => tf.unsortedSegmentSum(tf.tensor(x.values, x.shape), tf.tensor1d(ids, "int32"), 6);
    const wasm = await on("wasm", f);
    const cpu = await on("cpu", f);
    assertClose(wasm, cpu);
    // and against a hand loop: row s is the sum of the rows with id s
    const inner = x.values.length / shape[0];
    const expect = new Float32Array(6 * inner);
    ids.forEach((s, i) => {
      if (s >= 0 && s < 6) for (let j = 0; j < inner; j++) expect[s * inner + j] += x.values[i * inner + j];
    });
    assertClose(wasm, { shape: [6, ...shape.slice(1)], values: expect });
  }
});

test("the gradient of gather (an embedding lookup) runs on wasm and matches cpu", async () => {
  const table = rand([50, 8]);
  const ids = Int32Array.from({ length: 64 }, () => rng.int(50));
  const f = () =>
    tf.grad((t: tf.Tensor) =>
      tf
        .gather(t, tf.tensor1d(ids, "int32"))
        .mul(tf.range(0, 8).reshape([1, 8]))
        .sum(),
    )(tf.tensor(table.values, table.shape));
  assertClose(await on("wasm", f), await on("cpu", f));
});

test("GatherV2 equals cpu: rows of rank 1–3 tables by rank 1–2 indices; other axes; an out-of-range index is an error", async () => {
  for (const shape of [[9], [9, 3], [9, 20], [9, 2, 4]]) {
    const x = rand(shape);
    for (const idShape of [[7], [2, 5]]) {
      const ids = Int32Array.from({ length: idShape.reduce((a, b) => a * b, 1) }, () => rng.int(9));
      const f = () => tf.gather(tf.tensor(x.values, x.shape), tf.tensor(ids, idShape, "int32"));
      assertClose(await on("wasm", f), await on("cpu", f), 0);
    }
  }
  const x = rand([4, 6, 2]);
  const f = () => tf.gather(tf.tensor(x.values, x.shape), tf.tensor1d([5, 0, 5], "int32"), 1);
  assertClose(await on("wasm", f), await on("cpu", f), 0);
  await tf.setBackend("wasm");
  assert.throws(
    () => tf.gather(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor1d([2], "int32")),
    /index value 2 is not in \[0, 1\]/,
  );
});

test("Slice equals cpu, contiguous or not; split (the gradient of concat) too", async () => {
  const x = rand([6, 5, 4]);
  for (const [begin, size] of [
    [
      [2, 0, 0],
      [3, 5, 4],
    ],
    [
      [1, 2, 0],
      [1, 3, 4],
    ],
    [
      [0, 1, 1],
      [6, 3, 2],
    ],
    [
      [5, 4, 3],
      [1, 1, 1],
    ],
  ]) {
    const f = () => tf.slice(tf.tensor(x.values, x.shape), begin, size);
    assertClose(await on("wasm", f), await on("cpu", f), 0);
  }
  for (const [axis, parts] of [
    [0, [1, 2, 3]],
    [1, [1, 1, 3]],
    [2, [1, 1, 2]],
  ] as const) {
    const f = () => tf.concat(tf.split(tf.tensor(x.values, x.shape), [...parts], axis).reverse(), axis);
    assertClose(await on("wasm", f), await on("cpu", f), 0);
  }
});

test("Sum gradient: dy broadcast over the summed axes (hand value)", async () => {
  await tf.setBackend("wasm");
  const w = tf.tensor2d([[1, 2, 3]], [1, 3]);
  // Σ_{b,j} w_j · Σ_k x[b,k,j]: the gradient at x[b,k,j] is w_j.
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.sum(x, 1), w)))(tf.zeros([2, 4, 3]));
  assert.deepEqual(g.shape, [2, 4, 3]);
  assert.deepEqual(
    Array.from(g.dataSync()),
    Array.from({ length: 24 }, (_, i) => (i % 3) + 1),
  );
  const keep = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.sum(x, [0, 2], true), tf.tensor3d([1, 2, 3, 4], [1, 4, 1]))))(
    tf.zeros([2, 4, 3]),
  );
  assert.deepEqual(
    Array.from(keep.dataSync()),
    Array.from({ length: 24 }, (_, i) => Math.floor((i % 12) / 3) + 1),
  );
});

test("Identity shares data: a clone outlives its source, and a variable assigned from a clone keeps its value", async () => {
  await tf.setBackend("wasm");
  const before = tf.memory().numDataBuffers;
  const a = tf.tensor1d([1, 2, 3]);
  const b = a.clone();
  assert.equal(b.dataId, a.dataId);
  assert.equal(tf.memory().numDataBuffers - before, 1, "one buffer for both");
  a.dispose();
  assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
  const v = tf.variable(b);
  const next = tf.tensor1d([7, 8, 9]);
  v.assign(next);
  assert.deepEqual(
    Array.from(b.dataSync()),
    [1, 2, 3],
    "assigning a variable never writes into the clone it came from",
  );
  tf.dispose([b, v, next]);
  assert.equal(tf.memory().numDataBuffers, before);
});
