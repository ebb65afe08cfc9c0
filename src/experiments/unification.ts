// The unification diagnostic (issue "reproduce credibly", item 3): does the paper's linear +
// BatchNorm unification (AD-2) find the planted noise fields, or only zero-padding (AD-1)?
// And does the answer change when τ actually gets low by the end of the search? A 2×2 —
// unification {linear, zero-pad} × τ schedule {the paper's 5e-5 per step, "fit": reaching the
// floor at the last step} — searched with several seeds on the planted data, each plan
// re-trained and compared with the full-dimension model of the same seed (paired).
// Here also the experiment `unification` (its tables).
import { join } from "node:path";
import { spearman } from "../data/metrics.js";
import type { ModelName } from "../models/ctr.js";
import { retrain } from "../train/retrain.js";
import type { UnifyKind } from "../train/schemas.js";
import { CellsStopped, identityHash, type Cell, type CellRunner } from "./cells.js";
import { searchAndRetrain } from "./components.js";
import type { Dataset, Scale } from "./datasets.js";
import { experiment, figureCaption, type Experiment } from "./experiment.js";
import type { Figure } from "./figures.js";
import type { RunCounts } from "./frequency.js";
import { markdownTable, RESULTS_DIR } from "./report.js";
import {
  checkpointsFor,
  retrainSettings,
  searchSettings,
  SEARCH_MODEL,
  type RetrainSettings,
  type SearchSettings,
} from "./settings.js";

export type TauSchedule = "paper" | "fit";

export interface UnificationSettings {
  /** The base model searched and re-trained with. */
  model: ModelName;
  /** Root seeds of search and re-train (the data set stays the scale's). */
  seeds: number[];
  /** Dimension unification: linear + BatchNorm (AD-2, the paper's AutoDim) or zero-padding (AD-1). */
  unifications: UnifyKind[];
  /** τ schedules: "paper" (5e-5 per step), "fit" (τ reaches 0.01 at the last search step). */
  schedules: TauSchedule[];
  /** Candidate embedding sizes. */
  candidates: number[];
  /** The rest of the search (lookup, epochs, warm-up, f, batch, learning rates). */
  search: Omit<SearchSettings, "candidates" | "unify" | "tauSchedule">;
  /** Re-training of each plan and of the full-dimension model. */
  retrain: RetrainSettings;
}

export function unificationDefaults(scale: Scale): UnificationSettings {
  const { candidates, unify: _u, tauSchedule: _t, ...search } = searchSettings(scale);
  return {
    model: SEARCH_MODEL,
    seeds: [1, 2, 3, 4, 5],
    unifications: ["linear", "zeropad"],
    schedules: ["paper", "fit"],
    candidates,
    search,
    retrain: retrainSettings(scale),
  };
}

export interface UnificationRun {
  unify: UnifyKind;
  schedule: TauSchedule;
  seed: number;
  /** Spearman(planted rank, chosen size) over the fields. */
  spearmanRank: number;
  /** Fields of planted rank 0 (pure noise) that got the smallest candidate. */
  noiseFieldsAtSmallest: number;
  noiseFields: number;
  testAuc: number;
  params: number;
  reduction: number;
  finalTemperature: number;
  deadCandidates: number;
  supernetAuc: number;
  dims: number[];
}

export interface FdeRun {
  seed: number;
  testAuc: number;
  params: number;
}

/** Two-sided 95% Student-t quantiles by degrees of freedom (1–30); 1.96 beyond. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Mean, sample standard deviation and the 95% t-interval half-width of the mean. */
export function meanInterval(xs: number[]): { mean: number; std: number; half: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  const t = n > 1 ? (T975[n - 2] ?? 1.96) : NaN;
  return { mean, std, half: n > 1 ? (t * std) / Math.sqrt(n) : NaN };
}

export async function runUnification(
  ds: Dataset,
  s: UnificationSettings,
  scale: Scale,
  runner: CellRunner,
): Promise<{ runs: UnificationRun[]; fde: FdeRun[]; counts: RunCounts } | CellsStopped> {
  const truth = ds.truth;
  if (!truth) throw new Error("the unification diagnostic needs data with planted ranks (the synthetic set)");
  const counts: RunCounts = { computed: 0, reused: 0 };
  const dir = join(RESULTS_DIR, `unification-${scale}-runs`);
  const D = s.candidates[s.candidates.length - 1];
  const fdeCells: Cell<FdeRun>[] = s.seeds.map((seed) => {
    const identity = { data: ds.description, model: s.model, seed, dim: D, retrain: s.retrain };
    return {
      key: `fde-seed${seed}-${identityHash(identity)}`,
      identity,
      run: async () => {
        const r = await retrain(
          ds.data,
          {
            ...s.retrain,
            model: s.model,
            dims: ds.data.manifest.fields.map(() => D),
            projection: "none",
            outputDim: D,
            seed,
          },
          {
            method: "fde",
            progress: process.env.AUTODIM_QUIET !== "1",
            checkpoint: checkpointsFor(`${ds.name}-fde-${s.model}-seed${seed}`),
          },
        );
        return { seed, testAuc: r.test.auc, params: r.params.embedding };
      },
    };
  });
  const ranks = truth.ranks;
  const searchCells: Cell<UnificationRun>[] = s.seeds.flatMap((seed) =>
    s.unifications.flatMap((unify) =>
      s.schedules.map((schedule) => {
        const identity = {
          data: ds.description,
          model: s.model,
          seed,
          unify,
          schedule,
          candidates: s.candidates,
          search: s.search,
          retrain: s.retrain,
        };
        return {
          key: `${unify}-${schedule}-seed${seed}-${identityHash(identity)}`,
          identity,
          run: async () => {
            const { plan, result, dims } = await searchAndRetrain(
              ds,
              {
                ...s.search,
                candidates: s.candidates,
                unify,
                tauSchedule: schedule,
                model: s.model,
                seed,
              },
              s.retrain,
              `autodim ${unify} τ-${schedule}`,
            );
            const noise = ranks.map((r, i) => (r === 0 ? i : -1)).filter((i) => i >= 0);
            return {
              unify,
              schedule,
              seed,
              spearmanRank: spearman(ranks, dims),
              noiseFieldsAtSmallest: noise.filter((i) => dims[i] === s.candidates[0]).length,
              noiseFields: noise.length,
              testAuc: result.test.auc,
              params: result.params.embedding,
              reduction: plan.totals.reduction,
              finalTemperature: plan.search.finalTemperature,
              deadCandidates: plan.search.deadCandidates ?? 0,
              supernetAuc: plan.search.supernetValidation.auc,
              dims,
            };
          },
        };
      }),
    ),
  );
  const fde = await runner.stage(dir, fdeCells, { counts });
  if (fde instanceof CellsStopped) return fde;
  const runs = await runner.stage(dir, searchCells, { counts });
  if (runs instanceof CellsStopped) return runs;
  return { runs: [...runs.values()], fde: [...fde.values()], counts };
}

export interface UnificationRow {
  unify: UnifyKind;
  schedule: TauSchedule;
  seeds: number;
  spearman: { mean: number; std: number; half: number };
  /** AutoDim's test AUC minus FDE's of the same seed. */
  deltaAuc: { mean: number; std: number; half: number };
  noiseAtSmallest: string;
  reduction: number;
  finalTemperature: number;
  deadCandidates: number;
}

export function summarizeUnification(runs: UnificationRun[], fde: FdeRun[]): UnificationRow[] {
  const configs = [...new Map(runs.map((r) => [`${r.unify}/${r.schedule}`, r])).values()];
  return configs.map(({ unify, schedule }) => {
    const group = runs.filter((r) => r.unify === unify && r.schedule === schedule);
    const delta = group.map((r) => r.testAuc - (fde.find((f) => f.seed === r.seed)?.testAuc ?? NaN));
    const mean = (pick: (r: UnificationRun) => number) => group.reduce((a, r) => a + pick(r), 0) / group.length;
    return {
      unify,
      schedule,
      seeds: group.length,
      spearman: meanInterval(group.map((r) => r.spearmanRank)),
      deltaAuc: meanInterval(delta),
      noiseAtSmallest: `${group.reduce((a, r) => a + r.noiseFieldsAtSmallest, 0)} of ${group.reduce((a, r) => a + r.noiseFields, 0)}`,
      reduction: mean((r) => r.reduction),
      finalTemperature: mean((r) => r.finalTemperature),
      deadCandidates: mean((r) => r.deadCandidates),
    };
  });
}

export function unificationFigures(
  rows: UnificationRow[],
  runs: UnificationRun[],
  fde: FdeRun[],
  caption: string,
): Record<string, Figure> {
  const delta = (r: UnificationRun) => r.testAuc - (fde.find((f) => f.seed === r.seed)?.testAuc ?? NaN);
  const label = (r: { unify: string; schedule: string }) =>
    `${r.unify === "linear" ? "linear + BN (AD-2)" : "zero-pad (AD-1)"}, τ ${r.schedule}`;
  const panel = (
    i: number,
    pick: (r: UnificationRow) => { mean: number; half: number },
    perSeed: (r: UnificationRun) => number,
  ) => [
    {
      type: "scatter",
      mode: "markers",
      name: "mean ± 95% CI",
      showlegend: i === 1,
      x: rows.map(label),
      y: rows.map((r) => pick(r).mean),
      error_y: { type: "data", array: rows.map((r) => pick(r).half), visible: true },
      marker: { size: 12, color: "#c44e52" },
      xaxis: i === 1 ? "x" : "x2",
      yaxis: i === 1 ? "y" : "y2",
    },
    {
      type: "scatter",
      mode: "markers",
      name: "one seed",
      showlegend: i === 1,
      x: runs.map(label),
      y: runs.map(perSeed),
      marker: { size: 6, color: "#4c72b0", opacity: 0.6 },
      xaxis: i === 1 ? "x" : "x2",
      yaxis: i === 1 ? "y" : "y2",
    },
  ];
  return {
    panels: {
      data: [
        ...panel(
          1,
          (r) => r.spearman,
          (r) => r.spearmanRank,
        ),
        ...panel(2, (r) => r.deltaAuc, delta),
      ],
      layout: {
        title: { text: `Unification × τ schedule: does the search find the planted ranks?<br><sub>${caption}</sub>` },
        grid: { rows: 1, columns: 2, pattern: "independent" },
        yaxis: { title: { text: "Spearman(planted rank, chosen size)" } },
        yaxis2: { title: { text: "test AUC − FDE's (same seed)" }, zeroline: true },
        legend: { orientation: "h", x: 0.5, xanchor: "center", y: -0.45 },
        width: 1100,
        height: 520,
        margin: { t: 100, b: 150 },
      },
    },
  };
}

/** The unification diagnostic: linear + BN (AD-2) vs zero-padding (AD-1) × τ schedule, several seeds, planted data. */
export const unificationExperiment: Experiment<{ runs: UnificationRun[]; fde: FdeRun[] }, UnificationSettings> =
  experiment(
    "unification",
    async (scale, ds, settings, runner) => {
      const unification = await runUnification(ds, settings, scale, runner);
      if (unification instanceof CellsStopped) return unification;
      const { runs, fde, counts } = unification;
      const rows = summarizeUnification(runs, fde);
      const seeds = settings.seeds.join(", ");
      const ci = (x: { mean: number; half: number }, digits: number) =>
        `${x.mean.toFixed(digits)} ± ${x.half.toFixed(digits)}`;
      const line = `**Unification × τ schedule** (${settings.model.toUpperCase()}, candidates {${settings.candidates.join(", ")}}, seeds ${seeds}; each plan re-trained and compared with FDE of the same seed) on ${ds.description}. ± is the 95% t-interval of the mean over seeds.`;
      const table = markdownTable(
        rows.map((r) => ({
          unification: r.unify === "linear" ? "linear + BN (AD-2)" : "zero-pad (AD-1)",
          "τ schedule": r.schedule,
          seeds: r.seeds,
          "Spearman(rank, size)": ci(r.spearman, 3),
          "rank-0 fields → smallest": r.noiseAtSmallest,
          "ΔAUC vs FDE": ci(r.deltaAuc, 4),
          "params saved": r.reduction,
          "final τ": r.finalTemperature,
          "dead α entries": r.deadCandidates,
        })),
        { "params saved": "%", "final τ": 3, "dead α entries": 1 },
      );
      const caption = figureCaption(ds, scale, seeds);
      return {
        markdown: `${line}\n\n${table}`,
        payload: { runs, fde },
        figures: unificationFigures(rows, runs, fde, caption),
        seed: settings.seeds[0],
        runs: counts,
      };
    },
    unificationDefaults,
  );
