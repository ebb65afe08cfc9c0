// Experiment 4 — component analysis: the four AutoDim variants of the paper,
//   AD-1 weight-sharing + zero-padding   AD-2 weight-sharing + linear (the paper's AutoDim)
//   AD-3 separate tables + zero-padding  AD-4 separate tables + linear
// each searched and its plan re-trained, reporting the paper's six panels: search-stage
// parameters, search speed, test AUC, Logloss, final embedding parameters, inference time.
// Every (variant, seed) is a cell under results/components-<scale>-runs/, keyed by everything
// it depends on. Here also the experiment `components` (its tables).
import { join } from "node:path";
import { sampleStd } from "../data/metrics.js";
import { searchThenRetrain } from "../embedding/pipeline.js";
import type { DimensionPlan, LookupKind, SearchConfig, UnifyKind } from "../train/schemas.js";
import type { RetrainResult } from "../train/result-schema.js";
import type { ModelName } from "../models/ctr.js";
import { AutodimError } from "../core/errors.js";
import { CellsStopped, identityHash, type Cell, type CellRunner } from "./cells.js";
import { type Dataset, type Scale } from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import { experiment, figureCaption, type Experiment } from "./experiment.js";
import type { Figure } from "./figures.js";
import { meanSelection } from "./dimensions.js";
import type { RunCounts } from "./frequency.js";
import { modelLabel } from "./methods-table.js";
import { markdownTable, RESULTS_DIR } from "./report.js";
import {
  checkpointsFor,
  retrainSettings,
  searchSettings,
  type RetrainSettings,
  type SearchSettings,
} from "./settings.js";

export const VARIANTS: { name: string; lookup: LookupKind; unify: UnifyKind }[] = [
  { name: "AD-1", lookup: "shared", unify: "zeropad" },
  { name: "AD-2", lookup: "shared", unify: "linear" },
  { name: "AD-3", lookup: "separate", unify: "zeropad" },
  { name: "AD-4", lookup: "separate", unify: "linear" },
];

export type VariantName = "AD-1" | "AD-2" | "AD-3" | "AD-4";

/**
 * What experiment 4 runs: each variant × seed is one search + re-train (a cell), so a changed
 * setting computes only the runs it changes.
 */
export interface ComponentsSettings {
  /** The base model searched and re-trained with (the paper's ablation: DeepFM). */
  model: ModelName;
  /** Root seeds; each repeats every variant (search and re-train). */
  seeds: number[];
  /** The variants compared: AD-1 sharing + zero-pad, AD-2 sharing + linear (AutoDim), AD-3 separate + zero-pad, AD-4 separate + linear. */
  variants: VariantName[];
  /** Candidate embedding sizes d_1 < … < d_N. */
  candidates: number[];
  /** The rest of the search (epochs, warm-up, batch, learning rates, τ, f); lookup and unification come from the variant. */
  search: Omit<SearchSettings, "candidates" | "lookup" | "unify">;
  /** Re-training of each plan (epochs, early-stopping patience, batch, learning rate). */
  retrain: RetrainSettings;
}

/** The settings `autodim reproduce components` and notebook 4 run by default. */
export function componentsDefaults(scale: Scale): ComponentsSettings {
  const { candidates, lookup: _l, unify: _u, ...search } = searchSettings(scale);
  return {
    model: "deepfm",
    seeds: [DEFAULT_SEED],
    variants: VARIANTS.map((v) => v.name as VariantName),
    candidates,
    search,
    retrain: retrainSettings(scale),
  };
}

export interface VariantResult {
  variant: string;
  /** The run's root seed (absent in results made before seeds were a setting). */
  seed?: number;
  lookup: LookupKind;
  unify: UnifyKind;
  /** Supernet parameters: candidate tables + unification transforms (+ α). */
  searchParams: number;
  /** Training samples per second during the search (W steps and α steps together). */
  searchSamplesPerSecond: number;
  testAuc: number;
  testLogloss: number;
  /** Embedding parameters of the searched plan (the paper's "Params"). */
  finalParams: number;
  /** Milliseconds to score 1,000 test rows with the re-trained model. */
  inferenceMsPer1k: number;
  dims: number[];
  /** Mean selection probability of each candidate over the fields at α's snapshots. */
  selection?: { step: number; p: number[] }[];
}

/** `searchThenRetrain` as the experiments run it: progress unless AUTODIM_QUIET, checkpoints named by data, method, model and seed. */
export function searchAndRetrain(
  ds: Dataset,
  config: SearchConfig,
  train: RetrainSettings,
  method: string,
): Promise<{ plan: DimensionPlan; result: RetrainResult; dims: number[] }> {
  return searchThenRetrain(ds.data, config, train, {
    method,
    progress: process.env.AUTODIM_QUIET !== "1",
    checkpoint: checkpointsFor(`${ds.name}-${method}-${config.model}-seed${config.seed}`),
  });
}

/** One variant's search + re-train, as the figure's panels report it. */
async function runVariant(
  ds: Dataset,
  v: (typeof VARIANTS)[number],
  settings: ComponentsSettings,
  seed: number,
): Promise<VariantResult> {
  const {
    plan,
    result: r,
    dims,
  } = await searchAndRetrain(
    ds,
    {
      ...settings.search,
      candidates: settings.candidates,
      lookup: v.lookup,
      unify: v.unify,
      model: settings.model,
      seed,
    },
    settings.retrain,
    `autodim ${v.name}`,
  );
  const pc = plan.search.parameterCounts;
  const trainedSamples = (plan.config.warmupSteps + plan.search.steps) * plan.config.batchSize;
  return {
    variant: v.name,
    seed,
    lookup: v.lookup,
    unify: v.unify,
    searchParams: pc.embedding + pc.transform + pc.architecture,
    searchSamplesPerSecond: trainedSamples / plan.runtime.wallSeconds,
    testAuc: r.test.auc,
    testLogloss: r.test.logloss,
    finalParams: r.params.embedding,
    inferenceMsPer1k: (1000 * r.test.seconds) / (r.test.rows / 1000),
    dims,
    selection: plan.search.alphaHistory.map((h) => ({ step: h.step, p: meanSelection(h.alpha) })),
  };
}

export async function runComponents(
  ds: Dataset,
  settings: ComponentsSettings,
  scale: Scale,
  runner: CellRunner,
): Promise<{ rows: VariantResult[]; counts: RunCounts } | CellsStopped> {
  const counts: RunCounts = { computed: 0, reused: 0 };
  for (const name of settings.variants)
    if (!VARIANTS.some((v) => v.name === name))
      throw new AutodimError(`components: variant ${name} is not one of ${VARIANTS.map((v) => v.name).join(", ")}`);
  const cells: Cell<VariantResult>[] = settings.seeds.flatMap((seed) =>
    VARIANTS.filter((v) => settings.variants.includes(v.name as VariantName)).map((v) => {
      const identity = {
        data: ds.description,
        model: settings.model,
        seed,
        variant: v.name,
        candidates: settings.candidates,
        search: settings.search,
        retrain: settings.retrain,
      };
      return {
        key: `${v.name}-s${seed}-${identityHash(identity)}`,
        identity,
        run: () => runVariant(ds, v, settings, seed),
      };
    }),
  );
  const values = await runner.stage(join(RESULTS_DIR, `components-${scale}-runs`), cells, { counts });
  if (values instanceof CellsStopped) return values;
  return { rows: [...values.values()], counts };
}

export type VariantSummary = Omit<VariantResult, "seed" | "dims" | "selection"> & {
  seeds: number;
  aucStd: number;
  loglossStd: number;
};

/** Mean (and, for AUC and Logloss, the std over seeds, n − 1) of each variant's runs. */
export function summarizeComponents(rows: VariantResult[]): VariantSummary[] {
  const names = VARIANTS.map((v) => v.name).filter((n) => rows.some((r) => r.variant === n));
  return names.map((name) => {
    const group = rows.filter((r) => r.variant === name);
    const mean = (pick: (r: VariantResult) => number) => group.reduce((a, r) => a + pick(r), 0) / group.length;
    const std = (pick: (r: VariantResult) => number) => sampleStd(group.map(pick));
    return {
      variant: name,
      lookup: group[0].lookup,
      unify: group[0].unify,
      seeds: group.length,
      searchParams: mean((r) => r.searchParams),
      searchSamplesPerSecond: mean((r) => r.searchSamplesPerSecond),
      testAuc: mean((r) => r.testAuc),
      aucStd: std((r) => r.testAuc),
      testLogloss: mean((r) => r.testLogloss),
      loglossStd: std((r) => r.testLogloss),
      finalParams: mean((r) => r.finalParams),
      inferenceMsPer1k: mean((r) => r.inferenceMsPer1k),
    };
  });
}

/**
 * The paper's six panels in one figure (2 × 3 grid, one mark per variant): counts, speeds and
 * times as bars from 0; AUC and Logloss, which differ in the third decimal, as dots (mean, ± one
 * std when there are several seeds) with each seed's value beside, on an axis that need not start
 * at 0 because nothing is a bar there. The paper reports this study as bars without numbers
 * (shared/paper/AUTODIM.md): none to draw beside ours.
 */
export function componentFigures(rows: VariantResult[], caption = ""): Record<string, Figure> {
  const summary = summarizeComponents(rows);
  const panels: [keyof VariantSummary & keyof VariantResult, string][] = [
    ["searchParams", "search-stage parameters"],
    ["searchSamplesPerSecond", "search speed (samples/s)"],
    ["testAuc", "test AUC"],
    ["testLogloss", "test Logloss"],
    ["finalParams", "final embedding parameters"],
    ["inferenceMsPer1k", "inference (ms / 1,000 rows)"],
  ];
  const colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52"];
  const several = summary.some((r) => r.seeds > 1);
  const data = panels.flatMap(([key], i) => {
    const axes = { xaxis: `x${i === 0 ? "" : i + 1}`, yaxis: `y${i === 0 ? "" : i + 1}` };
    const x = summary.map((r) => r.variant);
    const y = summary.map((r) => r[key] as number);
    const dots = key === "testAuc" || key === "testLogloss";
    const main = dots
      ? {
          type: "scatter",
          mode: "markers",
          name: "mean",
          x,
          y,
          error_y: {
            type: "data",
            array: summary.map((r) => (key === "testAuc" ? r.aucStd : r.loglossStd)),
            visible: several,
          },
          marker: { color: colours, size: 12 },
        }
      : { type: "bar", name: "mean", x, y, marker: { color: colours } };
    const seeds = {
      type: "scatter",
      mode: "markers",
      name: "each seed",
      x: rows.map((r) => r.variant),
      y: rows.map((r) => r[key] as number),
      marker: { color: "#222222", size: 6, symbol: "circle-open" },
      showlegend: false,
      hovertemplate: "%{x}: %{y}<extra>one seed</extra>",
      ...axes,
    };
    return [
      { ...main, ...axes, showlegend: false, hovertemplate: "%{x}: %{y}<extra>mean over seeds</extra>" },
      ...(several ? [seeds] : []),
    ];
  });
  // Panel titles as annotations above each subplot (paper coordinates of a 2 × 3 grid).
  const annotations = panels.map(([, title], i) => ({
    text: title,
    showarrow: false,
    xref: "paper",
    yref: "paper",
    x: (i % 3) / 3 + 1 / 6,
    y: i < 3 ? 1.04 : 0.47,
    xanchor: "center",
    font: { size: 12 },
  }));
  const seedList = [...new Set(rows.map((r) => r.seed))];
  const layout: Record<string, unknown> = {
    title: {
      text: `AD-1 sharing + zero-pad · AD-2 sharing + linear (AutoDim) · AD-3 separate + zero-pad · AD-4 separate + linear<br>${several ? `means over seeds ${seedList.join(", ")}, ± one std, dots: each seed` : `one seed (${seedList.join(", ")})`}; bars start at 0${caption ? `<br><sub>${caption}</sub>` : ""}`,
    },
    grid: { rows: 2, columns: 3, pattern: "independent" },
    annotations,
    width: 1000,
    height: 660,
    margin: { t: 150 },
    ...Object.fromEntries(
      panels.map(([key], i) => [
        `yaxis${i === 0 ? "" : i + 1}`,
        key === "testAuc" || key === "testLogloss" ? {} : { rangemode: "tozero" },
      ]),
    ),
  };
  return { panels: { data, layout } };
}

/** 4 — components: AD-1..AD-4 (sharing/separate × zero-pad/linear), searched and re-trained (DeepFM by default), per seed. */
export const componentsExperiment: Experiment<VariantResult[], ComponentsSettings> = experiment(
  "components",
  async (scale, ds, settings, runner) => {
    const runs = await runComponents(ds, settings, scale, runner);
    if (runs instanceof CellsStopped) return runs;
    const { rows, counts } = runs;
    const summary = summarizeComponents(rows);
    const s = settings.search;
    const seeds = settings.seeds.join(", ");
    const line = `**AutoDim's four variants** searched with ${modelLabel(settings.model)} (candidates {${settings.candidates.join(", ")}}, batch ${s.batchSize}, ${s.warmupSteps} warm-up steps + ${s.epochs} epoch(s), α every ${s.frequency} steps; seeds ${seeds}) and re-trained (≤ ${settings.retrain.epochs} epochs, early stopping) on ${ds.description}. AUC and Logloss: mean ± std over seeds. Inference: scoring the test split with the re-trained model.`;
    const table = markdownTable(
      summary.map((r) => ({
        variant: r.variant,
        lookup: r.lookup,
        unification: r.unify,
        seeds: r.seeds,
        "search params": r.searchParams,
        "search samples/s": r.searchSamplesPerSecond,
        "test AUC": r.testAuc,
        "AUC std": r.seeds > 1 ? r.aucStd : undefined,
        "test Logloss": r.testLogloss,
        "final params": r.finalParams,
        "inference ms / 1k rows": r.inferenceMsPer1k,
      })),
      {
        "search samples/s": 0,
        "test AUC": 4,
        "AUC std": 4,
        "test Logloss": 4,
        "inference ms / 1k rows": 2,
        "search params": 0,
        "final params": 0,
      },
    );
    return {
      markdown: `${line}\n\n${table}`,
      payload: rows,
      figures: componentFigures(rows, figureCaption(ds, scale, seeds)),
      seed: settings.seeds[0],
      runs: counts,
    };
  },
  componentsDefaults,
);
