// The method registry: sizes chosen by hand-checkable rules, parameter counts by hand, every
// method trains and beats a constant predictor, searches are deterministic under a seed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { PreparedData } from "../../src/data/batches.js";
import type { RetrainResult } from "../../src/train/result-schema.js";
import { mdeDims, mdePopularity } from "../../src/methods/mde.js";
import { randomPlans } from "../../src/methods/ras.js";
import { METHOD_NAMES, METHODS, quickSettings } from "../../src/methods/registry.js";
import { initRuntime } from "../../src/accel/index.js";
import { randomStream } from "../../src/core/random.js";
import { aboveChance, learnableSyntheticData, smallSyntheticData, tempDir } from "../helpers.js";

let dataDir = "";
let learnableDir = "";

before(async () => {
  await initRuntime();
  dataDir = await smallSyntheticData();
  learnableDir = await learnableSyntheticData();
});

test("MDE: popularity is the mean row access probability; d = λ·p^α rounded to a candidate, λ giving the most popular field d_max", () => {
  // Three fields of 2, 8 and 32 rows over N = 10 training rows (one value per field per row).
  const fields = [2, 8, 32].map((v, m) => ({
    name: `f${m}`,
    kind: "cat" as const,
    vocabularySize: v,
    offset: [0, 2, 10][m],
    kept: v - 2,
    rareValues: 0,
  }));
  const counts = new Uint32Array(42);
  counts.set([4, 6], 0);
  counts.set([10], 2);
  counts.set([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 10);
  const p = mdePopularity({ fields, rows: { train: 10, val: 0, test: 0 } }, counts);
  assert.deepEqual(
    p.map((x) => +x.toFixed(12)),
    [1 / 2, 1 / 8, 1 / 32].map((x) => +x.toFixed(12)),
  );
  const { raw, dims } = mdeDims(p, [2, 8, 16, 24, 32], 0.3);
  // 32·(1/4)^0.3 = 21.11 → 24; 32·(1/16)^0.3 = 13.93 → 16.
  assert.ok(Math.abs(raw[1] - 32 * Math.pow(0.25, 0.3)) < 1e-9);
  assert.deepEqual(dims, [32, 24, 16]);
  // α = 0: every field d_max; α = 1: 32·(1/4) = 8, 32·(1/16) = 2.
  assert.deepEqual(mdeDims(p, [2, 8, 16, 24, 32], 0).dims, [32, 32, 32]);
  assert.deepEqual(mdeDims(p, [2, 8, 16, 24, 32], 1).dims, [32, 8, 2]);
});

test("RaS: random plans are drawn from the candidates, the same for a seed and different for another", () => {
  const a = randomPlans(39, [2, 8, 16, 24, 32], 10, 5);
  assert.equal(a.length, 10);
  assert.ok(a.every((plan) => plan.length === 39 && plan.every((d) => [2, 8, 16, 24, 32].includes(d))));
  assert.deepEqual(randomPlans(39, [2, 8, 16, 24, 32], 10, 5), a);
  assert.notDeepEqual(randomPlans(39, [2, 8, 16, 24, 32], 10, 6), a);
  // Every candidate shows up over 390 draws.
  assert.equal(new Set(a.flat()).size, 5);
});

test("every registered method trains, beats a constant predictor, and counts its parameters as Σ|V_m|·d_m", async () => {
  const data = new PreparedData(learnableDir);
  const base = quickSettings("fm", 3);
  const settings = {
    ...base,
    train: { epochs: 3, patience: 3, batchSize: 256, learningRate: 3e-3 },
    search: { ...base.search, batchSize: 256, epochs: 2, warmupSteps: 31 },
    randomSearch: { trials: 2, trialEpochs: 1 },
  };
  const sizes = data.manifest.fields.map((f) => f.vocabularySize);
  // Beating a constant predictor: 4 standard errors of its AUC above 0.5, on data whose signal
  // puts every method far beyond (test AUC ~0.7 on ~1k test rows; the bound ~0.58).
  const bound = aboveChance(data.manifest.positives.test, data.manifest.rows.test);
  for (const method of Object.values(METHODS)) {
    const r = await method.run(data, settings, { progress: false });
    assert.equal(r.method, method.name);
    assert.ok(r.test.auc > bound, `${method.name}: test AUC ${r.test.auc} ≤ ${bound.toFixed(4)}`);
    const dims = r.dims.map((d) => d.dim);
    if (method.name === "dpq" || method.name === "mgqe") {
      // Quantised: codebooks plus code bits (hand-checked in the DPQ test), far below FDE's.
      assert.equal(r.params.embedding, r.selection?.detail.params);
      assert.ok(r.params.embedding < 0.1 * 32 * data.totalFeatures, `${method.name}: ${r.params.embedding}`);
      continue;
    }
    if (method.name === "aemb") {
      // Sizes per value: Params = Σ_v d_v over the value groups the search reports.
      const groups = (r.selection?.detail.groups ?? []) as { sizes: number[] }[];
      assert.equal(
        r.params.embedding,
        groups.reduce((a, g) => a + g.sizes.reduce((b, n, k) => b + n * settings.candidates[k], 0), 0),
      );
      continue;
    }
    assert.equal(
      r.params.embedding,
      dims.reduce((a, d, m) => a + d * sizes[m], 0),
      method.name,
    );
    if (method.name === "fde") assert.ok(dims.every((d) => d === 32));
    if (method.name === "mde") assert.deepEqual(dims, r.selection?.dims);
    if (method.name === "ras") {
      const trials = (r.selection?.detail.trials ?? []) as { dims: number[]; validationAuc: number }[];
      assert.equal(trials.length, 2);
      const best = trials.reduce((b, t) => (t.validationAuc > b.validationAuc ? t : b));
      assert.deepEqual(dims, best.dims);
    }
  }
});

test("CLI: run --method writes the retrain result schema; an unknown method is a usage error", () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["bin/autodim.js", "run", ...args], {
      encoding: "utf8",
      env: { ...process.env, AUTODIM_QUIET: "1" },
    });
  const out = join(tempDir(), "mde.json");
  const r = run([
    "--method",
    "mde",
    "--data",
    dataDir,
    "--model",
    "wd",
    "--epochs",
    "1",
    "--batch-size",
    "256",
    "--out",
    out,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(readFileSync(out, "utf8")) as RetrainResult;
  assert.equal(result.kind, "autodim-result");
  assert.equal(result.method, "mde");
  assert.equal(result.model, "wd");
  assert.equal(result.selection?.method, "mde");
  assert.equal(result.config.epochs, 1);
  assert.match(
    run(["--method", "xyz", "--data", dataDir, "--model", "fm", "--out", out]).stderr,
    new RegExp(`--method must be one of ${METHOD_NAMES.join(", ")}`),
  );
});

test("DPQ/MGQE: the embedding is the value rows at argmax⟨q, key⟩ per group; tiers restrict codes; Params = codebook + code bits / 32", async () => {
  const tf = await import("@tensorflow/tfjs");
  const { ProductQuantizedEmbedding, centroidsPerFeature, quantizedParams } = await import("../../src/methods/dpq.js");
  const { TouchCollector } = await import("../../src/tables/touch.js");
  const F = 2;
  const total = 6;
  const counts = Uint32Array.from([50, 3, 9, 40, 1, 7]);
  const cfg = {
    dim: 4,
    groups: 2,
    centroids: 4,
    tiers: [
      { share: 1 / 3, centroids: 4 },
      { share: 2 / 3, centroids: 2 },
    ],
  };
  // The 2 most frequent ids (0: 50, 3: 40) get 4 centroids, the others 2.
  const centroidsOf = centroidsPerFeature(counts, cfg);
  assert.deepEqual(Array.from(centroidsOf), [4, 2, 2, 4, 2, 2]);
  // Params: codebook 2 groups × 4 centroids × width 2 = 16 floats; codes 2·(2+1+1+2+1+1) = 16 bits = 0.5 float.
  assert.deepEqual(quantizedParams(centroidsOf, cfg), { codebook: 16, codeBits: 16, params: 16.5 });
  const emb = new ProductQuantizedEmbedding(F, total, cfg, centroidsOf, randomStream(2, "init"));
  emb.sparse[0].table.initNormal(randomStream(3, "init"), 1);
  const ids = Int32Array.from([0, 4, 1, 3]); // two rows × two fields
  const touched = new TouchCollector(emb.sparse[0]).collect(ids, 2, F);
  const out = emb.forward([touched], 2, { training: true, step: 0 }).dataSync();
  const q = emb.sparse[0].table.values();
  const keys = emb.keys.dataSync(); // [D, w, K]
  const values = emb.values.dataSync(); // [D, K, w]
  for (let i = 0; i < 4; i++) {
    const id = ids[i];
    for (let j = 0; j < 2; j++) {
      let best = 0;
      let bestScore = -Infinity;
      for (let k = 0; k < centroidsOf[id]; k++) {
        const score = q[id * 4 + j * 2] * keys[j * 8 + 0 * 4 + k] + q[id * 4 + j * 2 + 1] * keys[j * 8 + 1 * 4 + k];
        if (score > bestScore) [best, bestScore] = [k, score];
      }
      for (let c = 0; c < 2; c++)
        assert.ok(Math.abs(out[i * 4 + j * 2 + c] - values[j * 8 + best * 2 + c]) < 1e-6, `id ${id} group ${j}`);
    }
  }
  // Straight through: the queries and keys get gradients (through the softmax), the values too.
  const { grads, value } = tf.variableGrads(
    () =>
      tf.sum(tf.square(emb.forward([touched], 2, { training: true, step: 0 }))) as import("@tensorflow/tfjs").Scalar,
    [touched.values, emb.keys, emb.values],
  );
  value.dispose();
  for (const [name, g] of Object.entries(grads)) assert.ok(g.abs().sum().dataSync()[0] > 0, `${name} has a gradient`);
  const counted = emb.parameterCounts();
  assert.equal(counted.embedding, 16.5);
  assert.equal(counted.trainingOnly, total * 4 + 2 * 2 * 4);
  emb.dispose();
});

test("NIS: the one-shot REINFORCE search is deterministic under a seed; its policy moves from uniform; its plan is the policy's argmax", async () => {
  const { nisSearch } = await import("../../src/methods/nis.js");
  const data = new PreparedData(dataDir);
  const base = quickSettings("fm", 4);
  const settings = { ...base, search: { ...base.search, batchSize: 256, epochs: 2, warmupSteps: 20 } };
  const a = nisSearch(data, settings, { progress: false });
  const b = nisSearch(data, settings, { progress: false });
  assert.deepEqual(a, b);
  assert.ok(a.rewards.length >= 10, `reward evaluations: ${a.rewards.length}`);
  for (const r of a.rewards) assert.ok(Math.abs(r.reward - (r.auc - 0.02 * r.cost)) < 1e-12);
  assert.ok(
    a.probabilities.some((p) => p.some((x) => Math.abs(x - 0.2) > 1e-3)),
    "policy moved",
  );
  a.probabilities.forEach((p, m) => assert.equal(a.dims[m], base.candidates[p.indexOf(Math.max(...p))]));
  const c = nisSearch(data, { ...settings, seed: 5 }, { progress: false });
  assert.notDeepEqual(c.probabilities, a.probabilities);
});

test("registry: every method describes itself — label, paper column, flags — and the CLI usage and main table derive from it", async () => {
  const { METHODS, METHOD_FLAGS, METHOD_SWITCHES } = await import("../../src/methods/registry.js");
  const { PAPER_MAIN } = await import("../../src/experiments/paper.js");
  const { MAIN_METHODS } = await import("../../src/experiments/methods.js");
  const { quickSettings } = await import("../../src/methods/defaults.js");
  const { PAPER_METHOD_NAMES } = await import("../../src/methods/registry.js");
  // The paper's comparison is the main table's default; methods beyond the paper (Shrink) follow it in the registry.
  assert.deepEqual(MAIN_METHODS, PAPER_METHOD_NAMES);
  assert.deepEqual(METHOD_NAMES.slice(0, PAPER_METHOD_NAMES.length), PAPER_METHOD_NAMES);
  assert.deepEqual(METHOD_NAMES.slice(PAPER_METHOD_NAMES.length), ["shrink"]);
  for (const name of METHOD_NAMES.slice(PAPER_METHOD_NAMES.length))
    assert.equal(METHODS[name].paperColumn, undefined, `${name} is not in the paper`);
  for (const name of METHOD_NAMES) {
    const m = METHODS[name];
    assert.equal(m.name, name);
    assert.ok(m.label.length > 0 && m.source.length > 0, name);
    if (m.paperColumn !== undefined)
      assert.ok(m.paperColumn in PAPER_MAIN.criteo.fm, `${name}: paper column ${m.paperColumn}`);
  }
  // Paper numbers by name, as printed in shared/paper/AUTODIM.md (Criteo, FM: FDE 0.8020, AutoDim 0.8078).
  assert.equal(PAPER_MAIN.criteo.fm[METHODS.fde.paperColumn as string].auc, 0.802);
  assert.equal(PAPER_MAIN.criteo.fm[METHODS.autodim.paperColumn as string].auc, 0.8078);
  for (const f of METHOD_FLAGS) {
    const s = quickSettings("fm", 1);
    assert.equal(f.get(f.set(s, f.min)), f.min, f.flag);
  }
  const usage = spawnSync(process.execPath, ["bin/autodim.js", "help"], { encoding: "utf8" }).stdout;
  assert.ok(usage.includes(`--method ${METHOD_NAMES.join("|")}`));
  for (const f of METHOD_FLAGS) assert.ok(usage.includes(`[--${f.flag} `), f.flag);
  const other = spawnSync(
    process.execPath,
    ["bin/autodim.js", "run", "--method", "fde", "--trials", "3", "--data", "x", "--model", "fm", "--out", "y"],
    { encoding: "utf8" },
  );
  assert.equal(other.status, 2);
  assert.match(other.stderr, /--trials applies to --method ras only/);
  for (const f of METHOD_SWITCHES) assert.ok(usage.includes(`[--${f.flag}]`), f.flag);
  const otherSwitch = spawnSync(
    process.execPath,
    ["bin/autodim.js", "run", "--method", "fde", "--warm-start", "--data", "x", "--model", "fm", "--out", "y"],
    { encoding: "utf8" },
  );
  assert.equal(otherSwitch.status, 2);
  assert.match(otherSwitch.stderr, /--warm-start applies to --method shrink only/);
});
