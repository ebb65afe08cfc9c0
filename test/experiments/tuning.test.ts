// Experiment 13 (src/experiments/tuning.ts, tuning-report.ts; claims C1/C2 tuned and C9): the
// budgets are equal, tuning seeds never judge, the uniform control spends the plan's budget, the
// settings a grid point changes are the only ones that change, and the table, the figure and the
// claims all read the same intervals.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tuningClaims } from "../../src/experiments/claims-tuning.js";
import { tuningFigures, tuningMarkdown } from "../../src/experiments/tuning-report.js";
import {
  searchGrid,
  trainingGrid,
  tunedSettings,
  tuningDefaults,
  uniformSize,
  type ArmRow,
  type TuningResult,
} from "../../src/experiments/tuning.js";
import { methodSettings } from "../../src/experiments/methods.js";
import type { Dataset } from "../../src/experiments/datasets.js";

test("each method gets the same number of settings; tuning seeds are neither the verdict's nor the main table's", () => {
  for (const scale of ["smoke", "quick"] as const) {
    const s = tuningDefaults(scale);
    assert.equal(trainingGrid(s).length, searchGrid(s).length, `${scale}: equal budgets`);
    for (const seed of s.tuningSeeds) {
      assert.ok(!s.verdictSeeds.includes(seed), `${scale}: tuning seed ${seed} also judges`);
      assert.ok(!s.base.seeds.includes(seed), `${scale}: tuning seed ${seed} is a main-table seed`);
    }
    for (const seed of s.verdictSeeds)
      assert.ok(!s.base.seeds.includes(seed), `${scale}: verdict seed ${seed} is not fresh`);
  }
  const q = tuningDefaults("quick");
  assert.equal(trainingGrid(q).length, 9);
  assert.equal(q.verdictSeeds.length, 3, "claims need ≥ 3 seeds");
  // Every grid point is distinct.
  assert.equal(new Set(trainingGrid(q).map((c) => JSON.stringify(c))).size, 9);
  assert.equal(new Set(searchGrid(q).map((c) => JSON.stringify(c))).size, 9);
  // The paper settings are inside both grids (tuning can only match or beat them on validation).
  const base = methodSettings(q.base, "wd", 1);
  assert.ok(trainingGrid(q).some((c) => c.learningRate === base.train.learningRate && c.embeddingL2 === 0));
  assert.ok(
    searchGrid(q).some(
      (c) =>
        c.architectureLearningRate === base.search.architectureLearningRate &&
        c.epochs === base.search.epochs &&
        c.frequency === base.search.frequency,
    ),
  );
});

test("a grid point changes only its own settings; L2 0 leaves the config as the main table's", () => {
  const s = tuningDefaults("quick");
  const base = methodSettings(s.base, "wd", 4);
  assert.deepEqual(tunedSettings(s, "wd", 4), base);
  const plain = tunedSettings(s, "wd", 4, { learningRate: base.train.learningRate, embeddingL2: 0 });
  assert.deepEqual(plain, base, "no embeddingL2 key at 0: committed cells keep their identity");
  const t = tunedSettings(
    s,
    "wd",
    4,
    { learningRate: 3e-3, embeddingL2: 1e-4 },
    { architectureLearningRate: 1e-1, epochs: 8, frequency: 1 },
  );
  assert.deepEqual(t.train, { ...base.train, learningRate: 3e-3, embeddingL2: 1e-4 });
  assert.deepEqual(t.search, { ...base.search, architectureLearningRate: 1e-1, epochs: 8, frequency: 1 });
  assert.deepEqual({ ...t, train: base.train, search: base.search }, base);
});

test("the uniform control's size spends the plan's budget: brute force over every size", () => {
  const vocab = [6040, 3706, 2, 7, 21, 3439, 81, 18];
  const plans = [
    [32, 16, 2, 2, 8, 24, 2, 8],
    [2, 2, 32, 32, 32, 2, 32, 32],
    [32, 32, 32, 32, 32, 32, 32, 32],
    [2, 2, 2, 2, 2, 2, 2, 2],
    [16, 24, 8, 2, 2, 8, 16, 32],
  ];
  for (const dims of plans) {
    const budget = dims.reduce((a, d, m) => a + d * vocab[m], 0);
    const d = uniformSize(dims, vocab, 32);
    let best = 1;
    for (let x = 1; x <= 32; x++)
      if (
        Math.abs(x * vocab.reduce((a, b) => a + b, 0) - budget) <
        Math.abs(best * vocab.reduce((a, b) => a + b, 0) - budget)
      )
        best = x;
    assert.equal(d, best, `plan ${dims}`);
  }
  // The plain mean of the sizes would not spend the same budget: big fields small, small fields big.
  assert.equal(uniformSize(plans[1], vocab, 32), 2);
});

function fixture(): TuningResult {
  const d = (delta: number, low: number, high: number) => ({ key: "", delta, low, high, shareAtMostZero: 0.5 });
  const judged = (x: ReturnType<typeof d>) => ({
    ...x,
    verdict: x.low > 0 ? "better" : x.high < 0 ? "worse" : "no difference detected",
  });
  const arms = (
    setting: ArmRow["setting"],
    model: "fm" | "wd",
    seeds: number[],
    ad: ReturnType<typeof d>,
    un: ReturnType<typeof d>,
    vsU: ReturnType<typeof d>,
  ): ArmRow[] => [
    { setting, model, arm: "FDE", seeds, auc: seeds.map(() => 0.81), params: seeds.map(() => 1000), dims: [] },
    {
      setting,
      model,
      arm: "AutoDim",
      seeds,
      auc: seeds.map(() => 0.809),
      params: seeds.map(() => 400),
      dims: seeds.map(() => [16, 8]),
      decided: seeds.map(() => 1),
      vsFde: judged(ad),
      vsUniform: judged(vsU),
    },
    {
      setting,
      model,
      arm: "uniform",
      seeds,
      auc: seeds.map(() => 0.8095),
      params: seeds.map(() => 410),
      dims: seeds.map(() => [13, 13]),
      vsFde: judged(un),
    },
  ];
  return {
    models: [
      {
        model: "wd",
        training: [
          {
            choice: { learningRate: 1e-3, embeddingL2: 0 },
            validationAuc: [0.8, 0.81],
            meanValidationAuc: 0.805,
            params: 1000,
            chosen: false,
            seconds: 60,
          },
          {
            choice: { learningRate: 3e-3, embeddingL2: 0 },
            validationAuc: [0.81, 0.81],
            meanValidationAuc: 0.81,
            params: 1000,
            chosen: true,
            seconds: 60,
          },
        ],
        search: [
          {
            choice: { architectureLearningRate: 1e-2, epochs: 4, frequency: 10 },
            validationAuc: [0.8, 0.8],
            meanValidationAuc: 0.8,
            params: 400,
            architectureSteps: 306,
            decided: 0.5,
            chosen: true,
            seconds: 120,
          },
        ],
        chosen: {
          training: { learningRate: 3e-3, embeddingL2: 0 },
          search: { architectureLearningRate: 1e-2, epochs: 4, frequency: 10 },
        },
      },
    ],
    tuningSeeds: [101, 102],
    verdictSeeds: [4, 5, 6],
    arms: [
      ...arms(
        "paper settings",
        "fm",
        [1, 2, 3],
        d(0.001, -0.001, 0.003),
        d(0.0008, -0.001, 0.002),
        d(0.0002, -0.001, 0.0015),
      ),
      ...arms(
        "paper settings",
        "wd",
        [1, 2, 3],
        d(-0.0016, -0.0027, -0.0005),
        d(-0.001, -0.002, 0.0001),
        d(-0.0006, -0.0015, 0.0003),
      ),
      ...arms(
        "tuned",
        "wd",
        [4, 5, 6],
        d(-0.002, -0.003, -0.001),
        d(-0.0015, -0.0025, -0.0005),
        d(-0.0005, -0.0012, 0.0002),
      ),
    ],
    fields: [
      { name: "a", vocabularySize: 30 },
      { name: "b", vocabularySize: 10 },
    ],
    computeSeconds: 3600,
    bootstrapReplicates: 1000,
  };
}

test("claims from the tuning: C1/C2 tuned for the tuned model only, C9 at both settings, verdicts from the intervals", () => {
  const rows = tuningClaims("MovieLens-1M (real)", fixture());
  const c1 = rows.filter((r) => r.id === "C1");
  assert.equal(c1.length, 1);
  assert.equal(c1[0].setting, "tuned");
  assert.equal(c1[0].verdict, "fails");
  assert.match(c1[0].ours, /W&D −0\.0020 \[−0\.0030, −0\.0010\]/);
  assert.match(c1[0].ours, /W&D only: the models tuned so far/);
  const c2 = rows.find((r) => r.id === "C2");
  assert.equal(c2?.verdict, "fails");
  assert.match(c2?.ours ?? "", /W&D 60\.0%/);
  const c9 = rows.filter((r) => r.id === "C9");
  assert.deepEqual(
    c9.map((r) => [r.setting, r.verdict]),
    [
      ["paper settings", "inconclusive"],
      ["tuned", "inconclusive"],
    ],
  );
  assert.match(c9[0].ours, /FM \+0\.0002 \[−0\.0010, \+0\.0015\] \(uniform sizes 13\/13\/13\)/);
});

test("the table and the figure show the same intervals", () => {
  const r = fixture();
  const ds = {
    description: "test data",
    name: "t",
    data: { manifest: { rows: { train: 8, val: 1, test: 1 } } },
  } as unknown as Dataset;
  const md = tuningMarkdown(r, ds, tuningDefaults("quick"));
  const fig = tuningFigures(r, "").verdicts;
  const traces = fig.data as {
    name: string;
    x: (number | null)[];
    y: string[];
    error_x: { array: (number | null)[]; arrayminus: (number | null)[] };
  }[];
  assert.deepEqual(traces[0].y, ["FM, paper settings", "W&D, paper settings", "W&D, tuned"]);
  for (const a of r.arms.filter((x) => x.arm === "AutoDim")) {
    const row = `${a.model === "fm" ? "FM" : "W&D"}, ${a.setting}`;
    const i = traces[0].y.indexOf(row);
    assert.equal(traces[0].x[i], a.vsFde?.delta);
    assert.equal((traces[0].x[i] as number) + (traces[0].error_x.array[i] as number), a.vsFde?.high);
    assert.equal(traces[2].x[i], a.vsUniform?.delta);
    // The table prints the same numbers.
    assert.ok(md.includes(`${a.vsFde!.delta < 0 ? "−" : "+"}${Math.abs(a.vsFde!.delta).toFixed(4)} [`), row);
  }
  assert.match(md, /\|0\.003\|0\|0\.8100, 0\.8100\|0\.8100\|✓\|/);
  assert.match(md, /\|paper settings\|FM\|FDE\|1, 2, 3\|0\.8100 ± 0\.0000\|0\.0%\|32\|/);
  assert.match(md, /\|tuned\|W&D\|uniform\|4, 5, 6\|0\.8095 ± 0\.0000\|-59\.0%\|13, 13, 13\|/);
});

test("C1 tuned: an interval above 0 for the one model tuned is not 'holds' for a claim about every model", () => {
  const r = fixture();
  const better = { key: "", delta: 0.002, low: 0.0001, high: 0.004, shareAtMostZero: 0.01, verdict: "better" };
  r.arms = r.arms.map((a) => (a.setting === "tuned" && a.arm === "AutoDim" ? { ...a, vsFde: better } : a));
  const c1 = tuningClaims("MovieLens-1M (real)", r).find((x) => x.id === "C1");
  assert.equal(c1?.verdict, "inconclusive");
  assert.match(c1?.ours ?? "", /holds for W&D, the other models not tuned/);
});
