// The claims table's verdict rules, on constructed inputs whose verdict is known.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AucDraws } from "../../src/experiments/bootstrap.js";
import { caseStudyClaims, spearmanCritical, stabilityClaims, unificationClaims } from "../../src/experiments/claims.js";
import { mainTableClaims } from "../../src/experiments/claims-main.js";
import type { CaseStudyResult } from "../../src/experiments/casestudy.js";
import type { DimensionDistribution } from "../../src/experiments/dimensions.js";
import type { MainTableRow } from "../../src/experiments/methods-table.js";
import { randomStream } from "../../src/core/random.js";

const n = 600;
const labels = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
/** Scores whose AUC rises with `signal`, different noise per seed and method. */
const scores = (signal: number, key: string, seed: number) => {
  const rng = randomStream(seed, "bench", key);
  return Float32Array.from(labels, (y) => signal * y + rng.next());
};

function tableRow(method: string, paramsVsFde: number, seeds = 3): MainTableRow {
  return {
    model: "fm",
    method,
    seeds,
    aucMean: 0,
    aucStd: 0,
    loglossMean: 0,
    loglossStd: 0,
    paramsMean: 0,
    paramsVsFde,
    deltaAuc: 0,
    deltaLow: NaN,
    deltaHigh: NaN,
    verdict: "",
    dims: [],
  };
}

test("main-table claims: AutoDim far better than FDE holds C1; far worse fails it; saving below 64% fails C2", () => {
  const signal: Record<string, number> = {
    fde: 0.3,
    autodim: 0.9,
    "autodim-zeropad": 0.3,
    "autodim-s": 0.3,
    mde: 0.3,
    dpq: 0.3,
    nis: 0.3,
    mgqe: 0.3,
    aemb: 0.3,
    ras: 1.5,
  };
  const methods = Object.keys(signal);
  const draws = new AucDraws(
    labels,
    methods.map((m) => ({ key: m, scoresBySeed: [1, 2, 3].map((s) => scores(signal[m], m, s)) })),
    { replicates: 200, seed: 1 },
  );
  const table = methods.map((m) => tableRow(m, m === "autodim" ? -0.5 : 0));
  const rows = mainTableClaims("test data", table, new Map([["fm", draws]]));
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  assert.equal(byId.C1.verdict, "holds");
  assert.match(byId.C1.ours, /FM \+0\.\d{4} \[\+0\.\d{4}, \+0\.\d{4}\] \(3 seeds\)/);
  assert.equal(byId.C2.verdict, "fails");
  assert.match(byId.C2.ours, /FM 50\.0%/);
  assert.equal(byId.C3.verdict, "fails", "RaS (signal 1.5) beats AutoDim");
  assert.match(byId.C3.ours, /worse than RaS/);
  assert.equal(byId.C6.verdict, "holds");

  // The same comparison with one seed is never decided.
  const one = new AucDraws(
    labels,
    ["fde", "autodim"].map((m) => ({ key: m, scoresBySeed: [scores(signal[m], m, 1)] })),
    { replicates: 100, seed: 1 },
  );
  const single = mainTableClaims(
    "one seed",
    [tableRow("fde", 0, 1), tableRow("autodim", -0.7, 1)],
    new Map([["fm", one]]),
  );
  assert.equal(single.find((r) => r.id === "C1")?.verdict, "inconclusive");
  assert.equal(single.find((r) => r.id === "C2")?.verdict, "holds");
  assert.equal(single.find((r) => r.id === "C3")?.verdict, "not run");
});

test("Spearman critical values: exact table for small n, the t approximation beyond, close where both apply", () => {
  assert.equal(spearmanCritical(8), 0.643);
  const t = (k: number) => 1.645 / Math.sqrt(k - 2 + 1.645 ** 2);
  assert.ok(Math.abs(spearmanCritical(40) - t(40)) < 1e-12);
  assert.ok(Math.abs(t(12) - spearmanCritical(12)) < 0.05);
});

test("case-study and stability claims: thresholds as stated", () => {
  const cs = (rho: number, seeds: number[]) =>
    ({
      rows: Array.from({ length: 8 }, (_, i) => ({ field: `f${i}`, auc: 0.6, dims: seeds.map(() => 8) })),
      seeds,
      spearman: rho,
      spearmanPerSeed: seeds.map(() => rho),
    }) as unknown as CaseStudyResult;
  assert.equal(caseStudyClaims("d", cs(0.7, [1, 2, 3]))[0].verdict, "holds");
  assert.equal(caseStudyClaims("d", cs(0.5, [1, 2, 3]))[0].verdict, "inconclusive");
  assert.equal(caseStudyClaims("d", cs(-0.1, [1, 2, 3]))[0].verdict, "inconclusive");
  assert.equal(caseStudyClaims("d", cs(-0.7, [1, 2, 3]))[0].verdict, "fails");
  assert.equal(caseStudyClaims("d", cs(0.9, [1]))[0].verdict, "inconclusive");

  const dist = (sizes: number[][]) =>
    ({
      models: ["fm"],
      seeds: [1, 2, 3],
      fields: sizes[0].map((_, m) => ({ field: `f${m}`, ids: 10, sizes: { fm: sizes.map((s) => s[m]) } })),
      seedAgreement: 0.5,
    }) as unknown as DimensionDistribution;
  const same = [2, 8, 16, 32];
  assert.equal(stabilityClaims("d", dist([same, same, same]))[0].verdict, "holds");
  assert.equal(stabilityClaims("d", dist([same, [32, 16, 8, 2], same]))[0].verdict, "fails"); // mean of −1, 1, −1
});

test("unification claims: an interval below 0 fails C1; overlapping AD-1/AD-2 intervals leave C6 inconclusive", () => {
  const row = (unify: "linear" | "zeropad", mean: number) => ({
    unify,
    schedule: "fit" as const,
    seeds: 5,
    spearman: { mean: 0.3, std: 0.1, half: 0.1 },
    deltaAuc: { mean, std: 0.004, half: 0.005 },
    noiseAtSmallest: "",
    reduction: 0.5,
    finalTemperature: 0.01,
    deadCandidates: 0,
  });
  const rows = unificationClaims("planted", [row("linear", -0.017), row("zeropad", -0.015)]);
  assert.equal(rows[0].verdict, "fails");
  assert.equal(rows[1].verdict, "inconclusive");
});
