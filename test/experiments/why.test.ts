// The "why" experiment's computations (src/experiments/why-*.ts) against values worked out by hand:
// the α margin and its aggregation over fields and seeds, seed agreement, pairwise Pearson,
// chance agreement, the pooled gradient signal, and the seeded subset of training rows.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PreparedData } from "../../src/data/batches.js";
import { RandomStream } from "../../src/core/random.js";
import { SubsampledData, subsetRows } from "../../src/experiments/why-data.js";
import type { WhyField, WhyRun } from "../../src/experiments/why-search.js";
import { whyDefaults, whySettingsGrid } from "../../src/experiments/why-settings.js";
import {
  adamNoiseNull,
  allSeedsAgree,
  chanceAgreement,
  fieldMargin,
  meanPairwisePearson,
  median,
  NEVER,
  upperMedian,
} from "../../src/experiments/why-stats.js";
import { contradictedFields, fieldSignals, summarizeSetting } from "../../src/experiments/why-summary.js";
import { prepareQuiet, tempDir } from "../helpers.js";

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

test("the margin is p(argmax) − p(runner-up); ties go to the smaller candidate", () => {
  close(fieldMargin([0.1, 0.3, 0.2, 0.25, 0.15]), 0.05);
  close(fieldMargin([0.2, 0.2, 0.2, 0.2, 0.2]), 0);
  close(fieldMargin([0.6, 0.4]), 0.2);
  assert.equal(fieldMargin([1]), 0);
});

test("agreement of all seeds, mean pairwise Pearson and chance agreement by hand", () => {
  // Field 0: 2, 2, 2 (agree); field 1: 8, 8, 16; field 2: 16, 32, 16.
  close(
    allSeedsAgree([
      [2, 8, 16],
      [2, 8, 32],
      [2, 16, 16],
    ]),
    1 / 3,
  );
  // (a, b) = 1, (a, c) = −1, (b, c) = −1: mean −1/3.
  close(
    meanPairwisePearson([
      [1, 2, 3],
      [1, 2, 3],
      [3, 2, 1],
    ]),
    -1 / 3,
  );
  // A seed whose sizes are all equal has no correlation: only the pair (a, b) counts.
  close(
    meanPairwisePearson([
      [2, 8, 32],
      [2, 8, 32],
      [8, 8, 8],
    ]),
    1,
  );
  assert.ok(
    Number.isNaN(
      meanPairwisePearson([
        [8, 8],
        [2, 2],
      ]),
    ),
  );
  // Seed 1: half 2, half 8; seed 2: all 2 → chance both say 2 = 0.5 · 1, both say 8 = 0.5 · 0.
  close(
    chanceAgreement([
      [2, 8],
      [2, 2],
    ]),
    0.5,
  );
  // Three seeds each uniform over {2, 8}: 2 · (1/2)³ = 1/4.
  close(
    chanceAgreement([
      [2, 8],
      [8, 2],
      [2, 8],
    ]),
    0.25,
  );
  close(median([3, 1, 2]), 2);
  close(median([4, 1, 3, 2, NaN]), 2.5);
  // Steps needed are ordinal ("never" is NEVER): the upper median never averages with it.
  assert.equal(upperMedian([3, 1, 2, 4]), 3);
  assert.equal(upperMedian([10, NEVER]), NEVER);
  assert.equal(upperMedian([10, NEVER, 20]), 20);
});

function field(name: string, alpha: number[], extra: Partial<WhyField> = {}): WhyField {
  const candidates = [2, 8, 32];
  const k = alpha.indexOf(Math.max(...alpha));
  return {
    name,
    ids: 10,
    dim: candidates[k],
    runnerUp: null,
    alpha,
    margin: fieldMargin(alpha),
    decided: false,
    snr: 1,
    stepsNeeded: 400,
    stableSince: 0,
    gradientMean: [0, 0, 0],
    gradientSd: [1, 1, 1],
    differenceMean: 0,
    differenceSd: 1,
    ...extra,
  };
}

function run(seed: number, fields: WhyField[], decided = 0): WhyRun {
  return {
    seed,
    epochs: 1,
    frequency: 10,
    share: 1,
    trainRows: 100,
    steps: 1000,
    architectureSteps: 100,
    decided,
    fields,
    snapshots: [],
    supernetValidationAuc: 0.8,
    runtime: {
      wallSeconds: 60,
      backend: "test",
      hardware: { cpuModel: "x", cores: 1, memoryGiB: 1, platform: "linux", node: "v" },
      code: { commit: "0", dirty: false },
      createdAt: "2026-01-01",
    },
  };
}

test("a setting's margin is the mean over seeds of the mean over fields, with its t-interval", () => {
  // Seed margins: (0.1 + 0.3)/2 = 0.2, (0.2 + 0.2)/2 = 0.2, (0.5 + 0.3)/2 = 0.4.
  const runs = [
    run(1, [field("a", [0.5, 0.4, 0.1]), field("b", [0.6, 0.3, 0.1])], 1),
    run(2, [field("a", [0.5, 0.3, 0.2]), field("b", [0.2, 0.5, 0.3])], 0),
    run(3, [field("a", [0.7, 0.2, 0.1]), field("b", [0.1, 0.3, 0.6])], 2),
  ];
  const row = summarizeSetting(runs, "length");
  close(row.margin.mean, (0.2 + 0.2 + 0.4) / 3);
  // sd of (0.2, 0.2, 0.4) = 0.11547; t(2) = 4.303; half = 4.303 · 0.11547 / √3.
  close(
    row.margin.half,
    (4.303 * Math.sqrt(((0.2 - 0.8 / 3) ** 2 * 2 + (0.4 - 0.8 / 3) ** 2) / 2)) / Math.sqrt(3),
    1e-9,
  );
  close(row.decided.mean, 1);
  close(row.maxAlpha.mean, (0.6 + 0.5 + 0.7) / 3);
  // Sizes: a → 2, 2, 2 (agree); b → 2, 8, 32.
  close(row.agreement, 0.5);
  assert.ok(row.agreementLow <= row.agreement && row.agreement <= row.agreementHigh);
  close(row.snrMedian, 1);
  // Field b: seeds 1 (size 2) and 3 (size 32) both decided it — two ways; field a: one seed.
  assert.equal(
    contradictedFields([
      { fields: [field("a", [0.5, 0.4, 0.1], { decided: true }), field("b", [0.6, 0.3, 0.1], { decided: true })] },
      { fields: [field("a", [0.5, 0.3, 0.2]), field("b", [0.2, 0.5, 0.3])] },
      { fields: [field("a", [0.7, 0.2, 0.1]), field("b", [0.1, 0.3, 0.6], { decided: true })] },
    ]),
    1,
  );
  close(row.stepsNeededMedian, 400);
});

test("the pooled gradient signal: mean over seeds, the best candidate and its t", () => {
  const g = (gradientMean: number[], gradientSd: number[]) => field("a", [0.4, 0.3, 0.3], { gradientMean, gradientSd });
  const runs = [run(1, [g([0, -2, 1], [10, 10, 10])]), run(2, [g([0, -4, 3], [10, 10, 10])])];
  const [s] = fieldSignals(runs, [2, 8, 32]);
  assert.deepEqual(s.gradientMean, [0, -3, 2]);
  assert.equal(s.pooledBest, 8); // the most negative ∂L/∂log α: the loss falls as its α grows
  // d = 0 − (−3) = 3 per step, sd √(10² + 10²), n = 2 seeds × 100 steps: t = 3 / (√200 / √200) = 3.
  close(s.pooledSnr, 3, 1e-9);
  // Pearson of (0, −2, 1) and (0, −4, 3): deviations from −1/3 give Σxy = 96/9, Σx² = 42/9, Σy² = 222/9.
  close(s.gradientAgreement, 96 / Math.sqrt(42 * 222), 1e-9);
});

test("the grid: lengths, then the data shares at the data length (share 1 reuses a length's cells)", () => {
  const s = whyDefaults("quick");
  const grid = whySettingsGrid(s);
  assert.deepEqual(
    grid.map((g) => `${g.item} e${g.epochs} f${g.frequency} r${g.share}`),
    [...s.lengths.map((l) => `length e${l.epochs} f${l.frequency} r1`), "data e16 f3 r0.25", "data e8 f3 r0.5"],
  );
});

test("subsetRows: ⌊n·share⌋ distinct rows, ascending, the same for the same stream", () => {
  const a = subsetRows(1000, 0.25, new RandomStream("why/subset"));
  const b = subsetRows(1000, 0.25, new RandomStream("why/subset"));
  assert.equal(a.length, 250);
  assert.deepEqual(a, b);
  assert.equal(new Set(a).size, 250);
  for (let i = 1; i < a.length; i++) assert.ok(a[i] > a[i - 1]);
  assert.equal(subsetRows(7, 1, new RandomStream("x")).length, 7);
});

test("SubsampledData: a share of the training rows, validation and test untouched", async () => {
  const dir = tempDir();
  const csv = join(dir, "d.csv");
  const lines = ["label,user,item"];
  for (let r = 0; r < 2000; r++) lines.push(`${r % 3 === 0 ? 1 : 0},u${r % 50},i${r}`);
  writeFileSync(csv, lines.join("\n") + "\n");
  const out = join(dir, "prepared");
  await prepareQuiet({ input: csv, format: "csv", split: [0.8, 0.1, 0.1], out, rowsPerShard: 500 });
  const full = new PreparedData(out);
  const half = new SubsampledData(out, 0.5);
  const expected = full.shards("train").reduce((a, s) => a + Math.floor(s.rows / 2), 0);
  assert.equal(half.rows("train"), expected);
  assert.equal(half.rows("val"), full.rows("val"));
  assert.equal(half.rows("test"), full.rows("test"));
  const rowsOf = (d: PreparedData, split: "train" | "val") => {
    const seen: string[] = [];
    for (const b of d.batches(split, { batchSize: 64, shuffle: false }))
      for (let i = 0; i < b.size; i++)
        seen.push(`${b.labels[i]}:${Array.from(b.ids.subarray(i * d.fieldCount, (i + 1) * d.fieldCount)).join(",")}`);
    return seen;
  };
  const fullTrain = new Set(rowsOf(full, "train"));
  const halfTrain = rowsOf(half, "train");
  assert.equal(halfTrain.length, expected);
  for (const r of halfTrain) assert.ok(fullTrain.has(r), `${r} is not a training row`);
  assert.deepEqual(rowsOf(half, "val"), rowsOf(full, "val"));
  // The same share and seed give the same rows.
  assert.deepEqual(rowsOf(new SubsampledData(out, 0.5), "train"), halfTrain);
});

test("the noise null: Adam's first step moves each log α by lr against the gradient's sign; margins grow with steps", () => {
  // N = 2: the centred gradient is (g, −g), Adam's first step is −lr·sign, so p = softmax(±lr) and
  // the margin is tanh(lr) whatever g was.
  close(adamNoiseNull(1, 2, 0.1, 50).margin, Math.tanh(0.1), 1e-6); // (up to Adam's ε)
  const short = adamNoiseNull(50, 5, 0.01, 100);
  const long = adamNoiseNull(800, 5, 0.01, 100);
  assert.ok(long.margin > short.margin, `${long.margin} ≤ ${short.margin}`);
  // No signal: the rule accepts (almost) nothing.
  assert.ok(long.decided <= 0.05, `decided ${long.decided}`);
});
