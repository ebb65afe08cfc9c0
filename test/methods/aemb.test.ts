// AutoEmb: popularity input, the controller's gradients, per-value tables by hand, value
// groups, and a search that is deterministic under its seed.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { PreparedData } from "../../src/data/batches.js";
import { TouchCollector } from "../../src/tables/touch.js";
import { AutoEmbSearchEmbedding, autoEmbSearch, groupSizes, popularity } from "../../src/methods/aemb.js";
import { PerValueEmbedding } from "../../src/methods/aemb-per-value.js";
import { quickSettings } from "../../src/methods/registry.js";
import { search } from "../../src/embedding/search.js";
import { TAU_FLOOR, TemperatureSchedule } from "../../src/embedding/temperature.js";
import { initRuntime } from "../../src/accel/index.js";
import { randomStream } from "../../src/core/random.js";
import { checkGradient, checkVariableGradient } from "../gradients.js";
import { constantGumbelStream, smallSyntheticData } from "../helpers.js";

before(async () => {
  await initRuntime();
});

test("popularity: log(1 + count) / log(1 + max count)", () => {
  const z = popularity(Uint32Array.from([0, 1, 3, 15]));
  assert.deepEqual(
    [...z].map((x) => +x.toFixed(6)),
    [0, Math.log(2) / Math.log(16), Math.log(4) / Math.log(16), 1].map((x) => +x.toFixed(6)),
  );
  assert.deepEqual([...popularity(Uint32Array.from([0, 0]))], [0, 0]);
});

test("AEmb supernet: values of equal popularity get equal weights; gradients in rows and controller match finite differences", () => {
  const F = 2;
  const total = 6;
  const counts = Uint32Array.from([9, 1, 1, 30, 0, 4]);
  const emb = new AutoEmbSearchEmbedding(
    F,
    total,
    popularity(counts),
    { candidates: [1, 2, 4], unify: "zeropad", mixScale: 0.1 },
    TemperatureSchedule.linear(5e-5),
    randomStream(3, "init"),
    constantGumbelStream(),
  );
  for (const p of emb.sparse) p.table.initNormal(randomStream(4, "init"), 1);
  // Move the controller off its zero start so every candidate weight differs.
  emb.controller.w2.assign(
    tf.tensor2d(
      Float32Array.from({ length: 16 * 3 }, (_, i) => Math.sin(i)),
      [16, 3],
    ),
  );
  const ids = Int32Array.from([0, 3, 1, 4, 2, 5, 1, 3]); // 4 rows × 2 fields; ids 1 and 2 share a count
  const touched = emb.sparse.map((p) => new TouchCollector(p).collect(ids, 4, F));
  const ctx = { training: true, step: 0 };
  const p = emb.selection(touched[0], ctx).arraySync();
  assert.deepEqual(p[2], p[4], "ids 1 and 2 have the same count, hence the same weights");
  assert.notDeepEqual(p[0], p[2]);
  for (const row of p) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  const D = emb.outputDim;
  const weights = tf.tensor3d(
    Float32Array.from({ length: 4 * F * D }, (_, i) => Math.cos(3 * i)),
    [4, F, D],
  );
  const loss = (t: typeof touched) => tf.sum(tf.mul(emb.forward(t, 4, ctx), weights)) as tf.Scalar;
  checkGradient(
    (v) => loss([{ ...touched[0], values: v as tf.Variable }]),
    touched[0].values.dataSync() as Float32Array,
    touched[0].values.shape,
  );
  for (const v of emb.architecture) checkVariableGradient(() => loss(touched), v, 6);
  // Warm-up: uniform weights whatever the controller says.
  emb.frozenUniform = true;
  assert.ok(
    emb
      .selection(touched[0], ctx)
      .arraySync()
      .every((row) => row.every((x) => Math.abs(x - 1 / 3) < 1e-7)),
  );
  assert.deepEqual(emb.parameterCounts(), { embedding: total * 4, transform: 0, architecture: 16 + 16 + 16 * 3 + 3 });
});

test("per-value tables: each value reads its own size's row, other sizes add zero; Params = Σ_v d_v", () => {
  const candidates = [2, 4];
  // 5 global ids over 2 fields; ids 0, 3 are size 4, the others size 2.
  const sizeIndex = Uint8Array.from([1, 0, 0, 1, 0]);
  const emb = new PerValueEmbedding(2, sizeIndex, candidates, "zeropad", 4, randomStream(1, "init"));
  assert.deepEqual(emb.sizes, [2, 4]);
  const ids = Int32Array.from([0, 4, 1, 3]); // 2 rows × 2 fields
  const touched = emb.sparse.map((p) => new TouchCollector(p).collect(ids, 2, 2));
  const out = emb.forward(touched, 2, { training: false, step: 0 }).arraySync();
  const row = (t: number, r: number, d: number) => [...emb.sparse[t].table.row(r)].map((x) => Math.fround(x));
  // size-2 table rows: ids 1, 2, 4 → 0, 1, 2; size-4 table rows: ids 0, 3 → 0, 1
  assert.deepEqual(out[0][0].map(Math.fround), row(1, 0, 4));
  assert.deepEqual(out[0][1].map(Math.fround), [...row(0, 2, 2), 0, 0]);
  assert.deepEqual(out[1][0].map(Math.fround), [...row(0, 0, 2), 0, 0]);
  assert.deepEqual(out[1][1].map(Math.fround), row(1, 1, 4));
  assert.deepEqual(emb.parameterCounts(), { embedding: 3 * 2 + 2 * 4, transform: 0, architecture: 0 });
  const linear = new PerValueEmbedding(2, sizeIndex, candidates, "linear", 4, randomStream(1, "init"));
  assert.deepEqual(linear.parameterCounts(), { embedding: 14, transform: 2 * 4 + 4 + 4 * 4 + 4, architecture: 0 });
  // The "other size" row never gets a gradient: it is masked out of the output.
  const lossOf = () => tf.sum(linear.forward(touchedLinear, 2, { training: true, step: 0 })) as tf.Scalar;
  const touchedLinear = linear.sparse.map((p) => new TouchCollector(p).collect(ids, 2, 2));
  const { grads } = tf.variableGrads(
    lossOf,
    touchedLinear.map((t) => t.values),
  );
  touchedLinear.forEach((t, g) => {
    const other = t.rows.indexOf(linear.sparse[g].table.rows - 1);
    assert.ok(other >= 0, "each table is touched at its other-size row here");
    const d = linear.sizes[g];
    assert.ok([...grads[t.values.name].dataSync().subarray(other * d, other * d + d)].every((x) => x === 0));
  });
});

test("value groups: per field and log2-count bucket, the values of each size", () => {
  const fields = [
    { name: "a", offset: 0, vocabularySize: 3 },
    { name: "b", offset: 3, vocabularySize: 2 },
  ] as unknown as Parameters<typeof groupSizes>[2]["fields"];
  const counts = Uint32Array.from([0, 2, 7, 1, 100]);
  const groups = groupSizes(Uint8Array.from([0, 1, 1, 0, 2]), counts, { fields }, 3);
  assert.deepEqual(groups, [
    { field: "a", bucket: 0, values: 1, sizes: [1, 0, 0] },
    { field: "a", bucket: 1, values: 1, sizes: [0, 1, 0] },
    { field: "a", bucket: 3, values: 1, sizes: [0, 1, 0] },
    { field: "b", bucket: 1, values: 1, sizes: [1, 0, 0] },
    { field: "b", bucket: 6, values: 1, sizes: [0, 0, 1] },
  ]);
});

test("AEmb search: the same sizes for the same seed; one size for every value, every value in one group", async () => {
  const data = new PreparedData(await smallSyntheticData());
  const base = quickSettings("fm", 5);
  const s = { ...base, search: { ...base.search, batchSize: 256, epochs: 1, warmupSteps: 31 } };
  const a = await autoEmbSearch(data, s, { progress: false });
  const b = await autoEmbSearch(data, s, { progress: false });
  assert.deepEqual(a.sizeIndex, b.sizeIndex);
  assert.deepEqual(a.meanDims, b.meanDims);
  assert.equal(a.sizeIndex.length, data.totalFeatures);
  assert.equal(
    a.groups.reduce((n, g) => n + g.values, 0),
    data.totalFeatures,
  );
});

test("AEmb anneals τ by the one schedule AutoDim uses: the default reaches its floor at the last search step", async () => {
  const data = new PreparedData(await smallSyntheticData());
  const base = quickSettings("fm", 5);
  const s = { ...base, search: { ...base.search, batchSize: 256, epochs: 1, warmupSteps: 4 } };
  assert.equal(s.search.tauSchedule, "fit");
  const fit = await autoEmbSearch(data, s, { progress: false });
  const searchSteps = Math.ceil(data.manifest.rows.train / 256);
  assert.ok(Math.abs(fit.tauDecay - (1 - TAU_FLOOR) / searchSteps) < 1e-15, `decay ${fit.tauDecay}`);
  assert.equal(fit.finalTemperature, TemperatureSchedule.of(s.search, searchSteps).at(fit.steps));
  assert.ok(Math.abs(fit.finalTemperature - TAU_FLOOR) < 1e-9, `final τ ${fit.finalTemperature}`);
  // AutoDim's search with the same settings resolves the same decay.
  const plan = await search(
    data,
    { ...s.search, candidates: s.candidates, oneLevel: false, model: "fm", seed: 5 },
    {
      progress: false,
    },
  );
  assert.equal(plan.search.tauDecay, fit.tauDecay);
  // The paper's fixed decay stays as configured (a short search ends near τ = 1).
  const paper = await autoEmbSearch(data, { ...s, search: { ...s.search, tauSchedule: "paper" } }, { progress: false });
  assert.equal(paper.tauDecay, s.search.tauDecay);
  assert.equal(paper.finalTemperature, Math.max(TAU_FLOOR, 1 - s.search.tauDecay * paper.steps));
  assert.ok(paper.finalTemperature > 0.9);
  assert.notDeepEqual(paper.sizeIndex, fit.sizeIndex);
});
