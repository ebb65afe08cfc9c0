// The case study as the paper ran it (src/experiments/casestudy-paper.ts): its table's numbers —
// params saved, Spearman(importance, size), fields decided, verdicts — against hand computations
// on four made-up fields and two seeds, and its figure against its table. Nothing is trained.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  caseStudyPaperDefaults,
  summarizeCaseStudyPaper,
  type FieldImportanceInput,
  type SeedRunInput,
} from "../../src/experiments/casestudy-paper.js";
import { caseStudyPaperFigures } from "../../src/experiments/casestudy-paper-report.js";

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

// Listed out of importance order on purpose: the table sorts by falling importance.
const fields: FieldImportanceInput[] = [
  { field: "userId", ids: 50, importance: 0.6, importanceStd: 0.001 },
  { field: "movieId", ids: 100, importance: 0.7, importanceStd: 0.002 },
  { field: "zip", ids: 10, importance: 0.55, importanceStd: 0 },
  { field: "gender", ids: 2, importance: 0.5, importanceStd: 0 },
];
const fde = (auc: number) => ({ auc, logloss: 0.5, params: 16 * 162, seconds: 10 });
const runs: SeedRunInput[] = [
  {
    seed: 1,
    fde: fde(0.8),
    autodim: {
      auc: 0.801,
      logloss: 0.49,
      // userId 4, movieId 8, zip 2, gender 2: 200 + 800 + 20 + 4 = 1024 parameters
      dims: [4, 8, 2, 2],
      params: 1024,
      searchSeconds: 100,
      trainSeconds: 50,
      diagnostics: [
        { decided: true, margin: 0.3, snr: 4.1 },
        { decided: false, margin: 0.01, snr: 0.5 },
        { decided: true, margin: 0.2, snr: 2.5 },
        { decided: false, margin: 0.02, snr: null },
      ],
    },
  },
  {
    seed: 2,
    fde: fde(0.81),
    // userId 2, movieId 16, zip 4, gender 2: 100 + 1600 + 40 + 4 = 1744; a plan without diagnostics
    autodim: { auc: 0.807, logloss: 0.51, dims: [2, 16, 4, 2], params: 1744, searchSeconds: 90, trainSeconds: 60 },
  },
];
const intervals = {
  perSeed: [
    { low: -0.002, high: 0.004 },
    { low: -0.005, high: -0.001 },
  ],
  mean: { low: -0.003, high: 0.001 },
};
const r = summarizeCaseStudyPaper(fields, runs, intervals, {
  candidates: [2, 4, 8, 16],
  importanceSource: "test",
  bootstrapReplicates: 10,
});

test("params saved: 1 − AutoDim's embedding parameters ÷ FDE-16's, per seed and their mean", () => {
  close(r.perSeed[0].saved, 1 - 1024 / 2592, "seed 1");
  close(r.perSeed[1].saved, 1 - 1744 / 2592, "seed 2");
  close(r.mean.saved, 1 - (1024 + 1744) / 2 / 2592, "mean");
  // The paper's sizes (movieId 8, userId 8, zip 4, gender 2) on these vocabularies: 1244 of 2592.
  close(r.paper.savedOnOurVocabulary, 1 - (800 + 400 + 40 + 4) / 2592, "paper's sizes here");
  close(r.paper.saved, 0.57, "paper");
});

test("Spearman(importance, size) with midranks for tied sizes, per seed and of the mean size", () => {
  // Importance ranks (userId, movieId, zip, gender) 3, 4, 2, 1. Seed 1 sizes 4, 8, 2, 2 → 3, 4,
  // 1.5, 1.5: Σ dx·dy = 4.5, Σ dx² = 5, Σ dy² = 4.5 → 3/√10. Seed 2 sizes 2, 16, 4, 2 → 1.5, 4, 3,
  // 1.5: Σ dx·dy = 3 → 2/√10. Mean sizes 3, 12, 3, 2 → 2.5, 4, 2.5, 1: Σ dx·dy = 4.5, Σ dy² = 4.5.
  close(r.perSeed[0].spearman, 3 / Math.sqrt(10), "seed 1");
  close(r.perSeed[1].spearman, 2 / Math.sqrt(10), "seed 2");
  close(r.spearman, 3 / Math.sqrt(10), "mean size");
  // The paper's: sizes 8, 8, 4, 4, 2, 2, 2, 2 by falling AUC: Σ dx·dy = 36, Σ dx² = 42, Σ dy² = 36.
  close(r.paper.spearman, Math.sqrt(36 / 42), "paper");
});

test("ΔAUC, verdicts, decided fields and the field rows", () => {
  close(r.perSeed[0].deltaAuc, 0.001, "seed 1 ΔAUC");
  close(r.mean.deltaAuc, (0.001 - 0.003) / 2, "mean ΔAUC");
  assert.deepEqual(
    r.perSeed.map((s) => s.verdict),
    ["no difference detected", "worse"],
  );
  assert.equal(r.mean.verdict, "no difference detected");
  assert.deepEqual(
    r.perSeed.map((s) => s.decided),
    [2, null],
  );
  assert.equal(r.mean.decided, null, "a seed without diagnostics: no mean");
  assert.deepEqual(
    r.fields.map((f) => f.field),
    ["movieId", "userId", "zip", "gender"],
  );
  const movie = r.fields[0];
  assert.deepEqual(movie.sizes, [8, 16]);
  assert.equal(movie.meanSize, 12);
  assert.deepEqual(movie.decided, [false, null]);
  assert.deepEqual(movie.snr, [0.5, null]);
  assert.equal(movie.paperSize, 8);
  assert.equal(movie.paperImportance, 0.7321);
  assert.equal(r.computeSeconds, 100 + 50 + 10 + 90 + 60 + 10);
});

test("the figure plots the table's sizes, importances and intervals", () => {
  const fig = caseStudyPaperFigures(r).summary;
  const trace = (name: string) => {
    const t = fig.data.find((x) => String(x.name).startsWith(name));
    assert.ok(t, name);
    return t as { x: (number | string)[]; y: number[]; error_y?: { array: number[]; arrayminus: number[] } };
  };
  const seed2 = trace("ours, seed 2");
  assert.deepEqual(seed2.y, [16, 2, 4, 2]);
  assert.deepEqual(
    seed2.x,
    r.fields.map((f) => f.importance),
  );
  const d = trace("ours: ΔAUC");
  assert.deepEqual(d.x, ["seed 1", "seed 2", "mean of 2"]);
  close(d.y[1] - (d.error_y?.arrayminus[1] ?? NaN), -0.005, "seed 2 lower bound");
  close(d.y[2] + (d.error_y?.array[2] ?? NaN), 0.001, "mean upper bound");
  close(trace("paper: ΔAUC").y[0], 0.8113 - 0.8077, "paper ΔAUC");
});

test("the defaults: W&D, FDE and AutoDim, candidates {2, 4, 8, 16}, MovieLens, three seeds", () => {
  const s = caseStudyPaperDefaults("quick");
  assert.deepEqual(s.models, ["wd"]);
  assert.deepEqual(s.methods, ["fde", "autodim"]);
  assert.deepEqual(s.candidates, [2, 4, 8, 16]);
  assert.equal(s.data, "movielens");
  assert.deepEqual(s.seeds, [1, 2, 3]);
});
