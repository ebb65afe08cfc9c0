// Experiment 14 (src/experiments/beyond.ts): the tolerance rule, and the code's default is the
// tolerance the committed result chose on the tuning seeds.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { beyondDefaults, chooseTolerance } from "../../src/experiments/beyond.js";
import { chooseAcross } from "../../src/experiments/beyond-verdict.js";
import { meanPairwisePearson, type ShrinkTarget } from "../../src/experiments/beyond-targets.js";
import { targetsJudged } from "../../src/experiments/prose-verdict.js";
import {
  SHRINK_RECOMMENDED,
  SHRINK_SHARE_GRID,
  SHRINK_TOLERANCE,
  shrinkRecommended,
} from "../../src/methods/defaults.js";
import type { ModelName } from "../../src/models/ctr.js";

test("the tolerance rule: the largest saving within the validation drop; none allowed, the smallest tolerance", () => {
  const rows = [
    { tolerance: 0.001, validationDelta: 0.0002, saved: 0.5 },
    { tolerance: 0.002, validationDelta: -0.0004, saved: 0.6 },
    { tolerance: 0.004, validationDelta: -0.0009, saved: 0.7 },
  ];
  assert.equal(chooseTolerance(rows, 0.0005).tolerance, 0.002);
  assert.equal(chooseTolerance(rows, 0.001).tolerance, 0.004);
  assert.equal(chooseTolerance(rows, 0.0001).tolerance, 0.001);
  assert.equal(chooseTolerance(rows.slice(1), 0.0001).tolerance, 0.002, "none allowed: the smallest");
});

test("tuning seeds are not the verdict's; SHRINK_TOLERANCE is what the committed result chose", () => {
  const s = beyondDefaults("quick");
  for (const seed of s.tuningSeeds) assert.ok(!s.curveSeeds.includes(seed) && !s.base.seeds.includes(seed));
  assert.ok(s.tolerances.includes(SHRINK_TOLERANCE));
  const file = "results/beyond-quick.json";
  assert.ok(existsSync(file), `${file} is committed`);
  const saved = JSON.parse(readFileSync(file, "utf8")) as { result: { chosen: number } };
  assert.equal(saved.result.chosen, SHRINK_TOLERANCE);
});

test("the gain share's verdict seeds are fresh: neither tuning seeds nor the main table's", () => {
  for (const scale of ["smoke", "quick"] as const) {
    const s = beyondDefaults(scale);
    assert.ok(s.verdictSeeds.length > 0);
    for (const seed of s.verdictSeeds) {
      assert.ok(!s.tuningSeeds.includes(seed), `seed ${seed} tuned`);
      assert.ok(!s.curveSeeds.includes(seed) && !s.base.seeds.includes(seed), `seed ${seed} is the main table's`);
    }
    assert.ok(s.gainShares.every((g) => g > 0 && g < 1));
    // Stage 6 chooses nothing on other seeds, and is judged on seeds no earlier stage used.
    assert.ok(s.chosenSeeds.length > 0);
    for (const seed of s.chosenSeeds)
      assert.ok(
        ![...s.tuningSeeds, ...s.curveSeeds, ...s.base.seeds, ...s.verdictSeeds].includes(seed),
        `seed ${seed} was used before stage 6`,
      );
  }
});

test("agreement between seeds: the mean Pearson over every pair, NaN when a size vector is constant", () => {
  // Evenly spaced sizes and their reverse: pairs (a,b) = 1, (a,c) = −1, (b,c) = −1.
  assert.ok(
    Math.abs(
      meanPairwisePearson([
        [2, 8, 14],
        [2, 8, 14],
        [14, 8, 2],
      ]) -
        -1 / 3,
    ) < 1e-12,
  );
  // Pearson of (2, 8, 16) and (2, 16, 16): by hand, means 26/3 and 34/3.
  const a = [2 - 26 / 3, 8 - 26 / 3, 16 - 26 / 3];
  const b = [2 - 34 / 3, 16 - 34 / 3, 16 - 34 / 3];
  const dot = a.reduce((x, v, i) => x + v * b[i], 0);
  const norm = (v: number[]) => Math.sqrt(v.reduce((x, y) => x + y * y, 0));
  assert.ok(
    Math.abs(
      meanPairwisePearson([
        [2, 8, 16],
        [2, 16, 16],
      ]) -
        dot / (norm(a) * norm(b)),
    ) < 1e-12,
  );
  assert.ok(
    Number.isNaN(
      meanPairwisePearson([
        [4, 4, 4],
        [2, 8, 16],
      ]),
    ),
  );
});

test("issue 31's targets judged per row: each miss named, a target with no rows not met", () => {
  const row = (
    data: ShrinkTarget["data"],
    model: ShrinkTarget["model"],
    over: Partial<ShrinkTarget>,
  ): ShrinkTarget => ({
    data,
    model,
    seeds: [4, 5, 6],
    delta: {
      key: "shrink",
      delta: -0.001,
      low: -0.003,
      high: 0.001,
      shareAtMostZero: 0.8,
      verdict: "no difference detected",
    },
    saved: 0.6,
    decided: [8, 8, 8],
    fields: 8,
    pearson: 0.8,
    costVsFde: 1.5,
    ...over,
  });
  const planted = { spearman: [0.8, 0.7, 0.75], noiseAtSmallest: [{ count: 6, of: 6 }] };
  const judged = targetsJudged([
    row("movielens", "fm", {}),
    row("movielens", "deepfm", { saved: 0.4 }),
    row("planted-large", "wd", { ...planted, spearman: [0.7, 0.6, 0.7] }),
    row("planted-large", "fm", { ...planted, costVsFde: 2.5 }),
  ]);
  const of = (prefix: string) => judged.find((j) => j.target.startsWith(prefix))!;
  assert.deepEqual(of("MovieLens").misses, ["MovieLens DeepFM"]);
  assert.deepEqual(of("planted: Spearman").misses, ["planted W&D"], "mean 0.667 < 0.7; 0.75 passes");
  assert.equal(of("planted: every rank-0").met, true);
  assert.equal(of("planted: ΔAUC").met, true);
  assert.deepEqual(of("cost").misses, ["planted FM"]);
  assert.equal(
    targetsJudged([row("movielens", "fm", {})]).find((j) => j.target.startsWith("planted: Spearman"))!.met,
    false,
  );
});

test("one rule across the re-trains: per model the admissible (re-train, share) of largest saving; none admissible, the least loss", () => {
  const share = (model: "fm" | "wd", chosen: number, validationDelta: number, saved: number) => ({
    model,
    chosen,
    rows: [{ gainShare: chosen, validationDelta, saved, decided: 8, tolerance: 0.001 }],
  });
  const row = (data: "movielens" | "planted-large", model: "fm" | "wd", tag: string) =>
    ({ data, model, rule: tag }) as unknown as ShrinkTarget;
  const rows = (tag: string) => [
    row("movielens", "fm", tag),
    row("movielens", "wd", tag),
    row("planted-large", "fm", tag),
    row("planted-large", "wd", tag),
  ];
  const { choices, verdict } = chooseAcross(
    ["fm", "wd"],
    [
      {
        variant: "shared",
        shares: [share("fm", 0.05, -0.0004, 0.75), share("wd", 0.02, -0.0008, 0.8)],
        verdict: rows("shared"),
      },
      {
        variant: "field",
        shares: [share("fm", 0.05, 0.001, 0.75), share("wd", 0.01, -0.0009, 0.7)],
        verdict: rows("field"),
      },
      {
        variant: "warm",
        shares: [share("fm", 0.02, 0.002, 0.5), share("wd", 0.05, -0.0006, 0.86)],
        verdict: rows("warm"),
      },
    ],
    0.0005,
  );
  // FM: shared (0.75), field (0.75) and warm (0.50) are admissible; shared and field save most, field loses less.
  assert.deepEqual(
    choices.map((c) => [c.model, c.variant, c.gainShare, c.fallback]),
    [
      ["fm", "field", 0.05, false],
      // W&D: none within −0.0005; the least loss is warm's −0.0006.
      ["wd", "warm", 0.05, true],
    ],
  );
  // The verdict rows are the chosen re-trains', in the data-then-model order.
  assert.deepEqual(
    verdict.map((t) => `${t.data} ${t.model} ${t.rule}`),
    ["movielens fm field", "movielens wd warm", "planted-large fm field", "planted-large wd warm"],
  );
});

type SavedChoice = {
  data: string;
  model: ModelName;
  seed: number;
  choice: { chosen: number; plans: { share: number }[] };
};

test("SHRINK_RECOMMENDED is stage 6's rule (the share chosen per run, warm start), and the committed result judges it for every model on both data sets", () => {
  assert.deepEqual(SHRINK_RECOMMENDED, { chooseShare: true, warmStart: true });
  for (const model of ["fm", "wd", "deepfm", "nfm"] as const)
    assert.deepEqual(shrinkRecommended(model), SHRINK_RECOMMENDED);
  const saved = JSON.parse(readFileSync("results/beyond-quick.json", "utf8")) as {
    result: {
      chosenVerdict?: ShrinkTarget[];
      chosenSeeds?: number[];
      choices?: SavedChoice[];
    };
  };
  const { chosenVerdict, chosenSeeds, choices } = saved.result;
  assert.ok(chosenVerdict?.length && chosenSeeds && choices, "results/beyond-quick.json has stage 6's verdict");
  const s = beyondDefaults("quick");
  assert.deepEqual(chosenSeeds, s.chosenSeeds);
  for (const data of s.verdictData)
    for (const model of s.models) {
      const row: ShrinkTarget | undefined = chosenVerdict.find((t) => t.data === data && t.model === model);
      assert.ok(row, `${data} ${model} judged`);
      assert.deepEqual(row.seeds, s.chosenSeeds);
      const mine: SavedChoice[] = choices.filter((c) => c.data === data && c.model === model);
      assert.deepEqual(
        mine.map((c) => c.seed),
        s.chosenSeeds,
      );
      // Each run chose among every share of the grid.
      for (const c of mine) {
        assert.deepEqual(
          c.choice.plans.map((p) => p.share),
          SHRINK_SHARE_GRID,
        );
        assert.ok(SHRINK_SHARE_GRID.includes(c.choice.chosen));
      }
    }
});
