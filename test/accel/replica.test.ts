// Batches in two parts (Network.batchParts = 2), the second on a replica thread
// (src/accel/parallel.ts) or on the main thread after the first: the two give the same bits —
// tables, Adam counts, dense weights, BatchNorm statistics, α, losses — so the thread count never
// changes a run. Against whole batches: without batch statistics or dropout (FM) the parts'
// summed gradient is the batch's, so the weights agree to float rounding; with them (DeepFM,
// AutoDim's BatchNorm) parts are another arithmetic, close by. A resumed run continues bit for bit.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../../src/data/batches.js";
import { AutoDimSearchEmbedding, TemperatureSchedule } from "../../src/embedding/autodim.js";
import type { EmbeddingModule } from "../../src/models/embedding.js";
import { CtrModel, PAPER_MLP, type ModelName } from "../../src/models/ctr.js";
import { initRuntime, runtimeInfo, setComputeThreads } from "../../src/accel/index.js";
import { randomStream } from "../../src/core/random.js";
import { sparseKernels, useSparseKernels } from "../../src/tables/sparse-kernels.js";
import { SparseTable } from "../../src/tables/sparse.js";
import { RowGradientAdder, scatterAddRows } from "../../src/tables/touch.js";
import { Network } from "../../src/train/network.js";
import { PlanEmbedding } from "../../src/train/plan-embedding.js";
import { DATA_PARALLEL_STEPS, Replica, replicaEntry } from "../../src/accel/parallel.js";

const VOCAB = [40, 7, 300, 25, 120, 3];
const F = VOCAB.length;
const TOTAL = VOCAB.reduce((a, b) => a + b, 0);
const LAYOUT = {
  fields: VOCAB.map((v, m) => ({ offset: VOCAB.slice(0, m).reduce((a, b) => a + b, 0), vocabularySize: v })),
  totalFeatures: TOTAL,
};
const DIMS = [2, 8, 4, 8, 2, 4];

let threadsBefore = 1;
let settingBefore: string | undefined;
before(async () => {
  await initRuntime();
  threadsBefore = runtimeInfo().threads;
  setComputeThreads(2); // the split needs a run of two threads
  settingBefore = process.env.AUTODIM_DATA_PARALLEL;
  process.env.AUTODIM_DATA_PARALLEL = "1"; // split even these small runs
});
after(() => {
  setComputeThreads(threadsBefore);
  if (settingBefore === undefined) delete process.env.AUTODIM_DATA_PARALLEL;
  else process.env.AUTODIM_DATA_PARALLEL = settingBefore;
});

function batches(count: number, size: number, seed: number): Batch[] {
  const rng = randomStream(seed, "bench", "replica");
  return Array.from({ length: count }, () => {
    const ids = new Int32Array(size * F);
    for (let b = 0; b < size; b++)
      for (let m = 0; m < F; m++) ids[b * F + m] = LAYOUT.fields[m].offset + Math.floor(rng.next() ** 2 * VOCAB[m]);
    return { ids, labels: Float32Array.from({ length: size }, () => (rng.next() < 0.3 ? 1 : 0)), size };
  });
}

function planNetwork(model: ModelName): Network {
  const embedding = new PlanEmbedding(F, DIMS, LAYOUT, "linear", 8, randomStream(3, "init", "embedding"));
  return network(embedding, model);
}

function searchNetwork(model: ModelName): Network {
  const embedding = new AutoDimSearchEmbedding(
    F,
    TOTAL,
    { candidates: [2, 4, 8], lookup: "shared", unify: "linear", mixScale: 1 },
    TemperatureSchedule.linear(5e-3),
    randomStream(3, "init", "embedding"),
    randomStream(3, "gumbel"),
  );
  return network(embedding, model);
}

function network(embedding: EmbeddingModule, model: ModelName): Network {
  const ctr = new CtrModel(model, F, embedding.outputDim, TOTAL, randomStream(3, "init", "model"), PAPER_MLP);
  return new Network(embedding, ctr, F, { architectureOptimizer: "adam" });
}

async function split(net: Network): Promise<void> {
  const threads = await DATA_PARALLEL_STEPS.startParts(net, { parts: 2, batchSize: 256, samples: 1 });
  assert.equal(threads, 2);
}

/** Two parts, both on this thread. */
function inParts(net: Network): Network {
  net.batchParts = 2;
  return net;
}

/** Trains on `data` (a W step each, an α step every third when the net has α); returns the losses. */
function train(net: Network, data: Batch[], dropout = randomStream(11, "dropout"), from = 0): number[] {
  return data.map((batch, k) => {
    const ctx = { training: true, step: from + k, dropout };
    const loss = net.trainStep(batch, ctx);
    if (net.embedding.architecture.length > 0 && k % 3 === 0) net.architectureStep(batch, ctx);
    return loss;
  });
}

function weights(net: Network): Float32Array[] {
  return [
    ...net.sparse.map((p) => p.table.values()),
    ...[...net.dense, ...net.state, ...net.embedding.architecture].map((v) => v.dataSync().slice() as Float32Array),
  ];
}

function maxDifference(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  a.forEach((x, i) => {
    assert.equal(x.length, b[i].length);
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - b[i][j]));
  });
  return worst;
}

test("batches in two parts: the replica thread and this thread give the same bits (FM, and DeepFM with BatchNorm and dropout)", async () => {
  for (const model of ["fm", "deepfm"] as const) {
    const data = batches(6, 256, model === "fm" ? 1 : 2);
    const two = planNetwork(model);
    const one = inParts(planNetwork(model));
    try {
      await split(two);
      assert.equal(two.parallelParts, 2);
      assert.equal(one.parallelParts, 1);
      const lossTwo = train(two, data);
      assert.deepEqual(train(one, data), lossTwo, `${model}: losses`);
      assert.deepEqual(weights(one), weights(two), `${model}: tables, dense weights, statistics`);
      assert.deepEqual(
        one.sparse.map((p) => p.table.step),
        two.sparse.map((p) => p.table.step),
      );
      assert.ok(maxDifference(weights(two), weights(planNetwork(model))) > 1e-3, "the steps moved the weights");
      // Whole batches: FM's gradient is the parts' sum (float rounding); DeepFM's parts are
      // another arithmetic (their own BatchNorm statistics, other dropout masks), close by.
      const whole = planNetwork(model);
      const lossWhole = train(whole, data);
      const diff = maxDifference(weights(whole), weights(two));
      whole.dispose();
      if (model === "fm") {
        lossWhole.forEach((l, k) => assert.ok(Math.abs(l - lossTwo[k]) < 1e-5, `loss ${k}: ${l} vs ${lossTwo[k]}`));
        assert.ok(diff < 2e-6, `FM: whole batches differ from parts by ${diff}`);
      } else {
        assert.notDeepEqual(lossWhole, lossTwo);
        assert.ok(Math.abs(lossWhole[5] - lossTwo[5]) < 0.05, `${lossWhole[5]} vs ${lossTwo[5]}`);
      }
    } finally {
      one.dispose();
      two.dispose();
    }
  }
});

test("a run in parts resumes from exported state bit for bit, on a replica or on this thread", async () => {
  const data = batches(6, 256, 2);
  const a = planNetwork("deepfm");
  const c = planNetwork("deepfm");
  const d = inParts(planNetwork("deepfm"));
  try {
    for (const n of [a, c]) await split(n);
    const lossA = train(a, data);
    // Three steps on a replica, state out, into a fresh network without one, three more steps.
    const stream = randomStream(11, "dropout");
    train(c, data.slice(0, 3), stream);
    const { arrays, meta } = await c.exportState();
    await d.importState(new Map(arrays.map((x) => [x.name, x])), meta, "memory");
    const resumed = randomStream(11, "dropout");
    resumed.restore(stream.state()); // a checkpoint keeps the stream's state
    assert.deepEqual(train(d, data.slice(3), resumed, 3), lossA.slice(3));
    assert.deepEqual(weights(d), weights(a));
  } finally {
    for (const n of [a, c, d]) n.dispose();
  }
});

test("AutoDim's search in parts: both parts see the same Gumbel noise and warm-up; α moves; replica and this thread agree bit for bit", async () => {
  const x = searchNetwork("deepfm");
  const y = inParts(searchNetwork("deepfm"));
  const e = x.embedding as AutoDimSearchEmbedding;
  const probe = new AutoDimSearchEmbedding(
    F,
    TOTAL,
    e.config,
    e.tau,
    randomStream(8, "init"),
    randomStream(88, "gumbel"),
  );
  const twin = new AutoDimSearchEmbedding(
    F,
    TOTAL,
    e.config,
    e.tau,
    randomStream(9, "init"),
    randomStream(99, "gumbel"),
  );
  try {
    // The replica's embedding takes the main one's per-step state: the same p for the step.
    probe.logAlpha.assign(tf.randomNormal([F, 3], 0, 1, "float32", 5));
    twin.logAlpha.assign(probe.logAlpha);
    twin.applyReplicaStep(probe.replicaStep());
    const ctx = { training: true, step: 4 };
    assert.deepEqual(twin.selection(ctx).dataSync(), probe.selection(ctx).dataSync());
    probe.frozenUniform = true;
    twin.applyReplicaStep(probe.replicaStep());
    assert.equal(twin.frozenUniform, true);

    await split(x);
    const data = batches(6, 256, 3);
    const alpha0 = e.logAlpha.dataSync().slice();
    const losses = train(x, data);
    assert.ok(losses.every(Number.isFinite));
    assert.ok(maxDifference([alpha0 as Float32Array], [e.logAlpha.dataSync() as Float32Array]) > 1e-4, "α moved");
    assert.deepEqual(train(y, data), losses);
    assert.deepEqual(weights(y), weights(x));
  } finally {
    x.dispose();
    y.dispose();
    probe.dispose();
    twin.dispose();
  }
});

test("small batches stay on one thread; a replica that cannot build says why", async () => {
  const n = planNetwork("fm");
  try {
    await split(n);
    const one = planNetwork("fm");
    const small = batches(2, 100, 4); // < 2 × 64 rows: whole
    assert.deepEqual(train(n, small), train(one, small));
    one.dispose();
  } finally {
    n.dispose();
  }
  const entry = await replicaEntry();
  const search = searchNetwork("fm");
  try {
    // A replica asked for an embedding it cannot build says which.
    const spec = search.replicaSpec();
    assert.ok(spec);
    await assert.rejects(
      Replica.start(
        entry,
        { ...spec, embedding: { ...spec.embedding, kind: "no-such-embedding" } },
        search.sparse.map((p) => p.table.shared()),
      ),
      /data-parallel replica: .*no embedding of kind no-such-embedding/,
    );
  } finally {
    search.dispose();
  }
});

test("the tables' pieces of a split step: scatterAdd and the union of two halves' rows against plain loops", () => {
  const dim = 3;
  const rng = randomStream(5, "bench", "rows");
  const rowsA = Int32Array.from([7, 2, 9, 4]);
  const rowsB = Int32Array.from([4, 11, 7, 0]);
  const gradsA = Float32Array.from({ length: rowsA.length * dim }, () => rng.normal());
  const gradsB = Float32Array.from({ length: rowsB.length * dim }, () => rng.normal());
  const { rows, grads } = new RowGradientAdder(new SparseTable("t", 12, dim)).add(rowsA, gradsA, rowsB, gradsB, dim);
  assert.deepEqual([...rows], [7, 2, 9, 4, 11, 0]);
  const expected = new Map<number, number[]>();
  const put = (g: Float32Array, list: Int32Array) =>
    list.forEach((row, i) => {
      const prev = expected.get(row) ?? [0, 0, 0];
      expected.set(
        row,
        prev.map((x, j) => Math.fround(x + g[i * dim + j])),
      );
    });
  put(gradsA, rowsA);
  put(gradsB, rowsB);
  rows.forEach((row, i) => assert.deepEqual([...grads.subarray(i * dim, (i + 1) * dim)], expected.get(row)));
  // scatterAdd: the addon and its JS twin give the same bits, repeated positions summed in order.
  const positions = Int32Array.from([0, 3, 0, 5]);
  const src = Float32Array.from({ length: positions.length * dim }, () => rng.normal());
  const native = new Float32Array(6 * dim).fill(0.25);
  scatterAddRows(native, dim, positions, src);
  const kernels = sparseKernels();
  useSparseKernels(undefined);
  const js = new Float32Array(6 * dim).fill(0.25);
  try {
    scatterAddRows(js, dim, positions, src);
  } finally {
    useSparseKernels(kernels);
  }
  assert.deepEqual(js, native); // the same call twice when the addon is not loaded
  for (let j = 0; j < dim; j++)
    assert.equal(
      native[j],
      Math.fround(Math.fround(0.25 + src[j]) + src[2 * dim + j]),
      "row 0: two additions in order",
    );
  assert.throws(() => scatterAddRows(native, dim, Int32Array.from([6]), src), /position outside/);
});
