// The method registry: sizes chosen by hand-checkable rules, parameter counts by hand, every
// method trains and beats a constant predictor, searches are deterministic under a seed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { PreparedData } from "../src/data/batches.js";
import { generateSynthetic } from "../src/data/synthetic.js";
import type { RetrainResult } from "../src/embedding/autodim.js";
import { mdeDims, mdePopularity } from "../src/methods/mde.js";
import { randomPlans } from "../src/methods/ras.js";
import { METHODS, quickSettings } from "../src/methods/registry.js";
import { initRuntime } from "../src/runtime/backend.js";
import { prepareQuiet, tempDir } from "./helpers.js";

let dataDir = "";

before(async () => {
  await initRuntime();
  const dir = tempDir();
  const raw = join(dir, "synth.txt");
  await generateSynthetic(raw, { rows: 10000, seed: 11, progress: false });
  dataDir = join(dir, "prepared");
  await prepareQuiet({ input: raw, format: "criteo", minCount: 5, split: [0.8, 0.1, 0.1], out: dataDir });
});

test("MDE: popularity is the mean row access probability; d = λ·p^α rounded to a candidate, λ giving the most popular field d_max", () => {
  // Three fields of 2, 8 and 32 rows over N = 10 training rows (one value per field per row).
  const fields = [2, 8, 32].map((v, m) => ({ name: `f${m}`, kind: "cat" as const, vocabularySize: v, offset: [0, 2, 10][m], kept: v - 2, rareValues: 0 }));
  const counts = new Uint32Array(42);
  counts.set([4, 6], 0);
  counts.set([10], 2);
  counts.set([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 10);
  const p = mdePopularity({ fields, rows: { train: 10, val: 0, test: 0 } }, counts);
  assert.deepEqual(p.map((x) => +x.toFixed(12)), [1 / 2, 1 / 8, 1 / 32].map((x) => +x.toFixed(12)));
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
  const data = new PreparedData(dataDir);
  const base = quickSettings("fm", 3);
  const settings = {
    ...base,
    train: { epochs: 3, patience: 3, batchSize: 256, learningRate: 3e-3 },
    search: { ...base.search, batchSize: 256, epochs: 2, warmupSteps: 31 },
    randomSearch: { trials: 2, trialEpochs: 1 },
  };
  const sizes = data.manifest.fields.map((f) => f.vocabularySize);
  for (const method of Object.values(METHODS)) {
    const r = await method.run(data, settings, { progress: false });
    assert.equal(r.method, method.name);
    assert.ok(r.test.auc > 0.55, `${method.name}: test AUC ${r.test.auc}`);
    const dims = r.dims.map((d) => d.dim);
    assert.equal(r.params.embedding, dims.reduce((a, d, m) => a + d * sizes[m], 0), method.name);
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

test("CLI: run --method writes the retrain result schema; unknown and planned methods are usage errors", () => {
  const run = (args: string[]) => spawnSync(process.execPath, ["bin/autodim.js", "run", ...args], { encoding: "utf8", env: { ...process.env, AUTODIM_QUIET: "1" } });
  const out = join(tempDir(), "mde.json");
  const r = run(["--method", "mde", "--data", dataDir, "--model", "wd", "--epochs", "1", "--batch-size", "256", "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(readFileSync(out, "utf8")) as RetrainResult;
  assert.equal(result.kind, "autodim-result");
  assert.equal(result.method, "mde");
  assert.equal(result.model, "wd");
  assert.equal(result.selection?.method, "mde");
  assert.equal(result.config.epochs, 1);
  const planned = run(["--method", "dpq", "--data", dataDir, "--model", "fm", "--out", out]);
  assert.equal(planned.status, 2);
  assert.match(planned.stderr, /--method dpq is one of the paper's baselines not implemented yet/);
  assert.match(run(["--method", "xyz", "--data", dataDir, "--model", "fm", "--out", out]).stderr, /--method must be one of fde, mde, ras, autodim-s, autodim/);
});
