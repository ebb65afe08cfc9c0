// Experiment 4 — component analysis: the four AutoDim variants of the paper,
//   AD-1 weight-sharing + zero-padding   AD-2 weight-sharing + linear (the paper's AutoDim)
//   AD-3 separate tables + zero-padding  AD-4 separate tables + linear
// each searched and its plan re-trained, reporting the paper's six panels: search-stage
// parameters, search speed, test AUC, Logloss, final embedding parameters, inference time.
import { retrain } from "../train/retrain.js";
import { search } from "../embedding/autodim.js";
import type { DimensionPlan, LookupKind, RetrainResult, SearchConfig, UnifyKind } from "../train/schemas.js";
import type { ModelName } from "../models/ctr.js";
import type { Dataset } from "./datasets.js";
import type { Figure } from "./figures.js";
import { checkpointsFor, type RetrainSettings, type SearchSettings } from "./settings.js";

export const VARIANTS: { name: string; lookup: LookupKind; unify: UnifyKind }[] = [
  { name: "AD-1", lookup: "shared", unify: "zeropad" },
  { name: "AD-2", lookup: "shared", unify: "linear" },
  { name: "AD-3", lookup: "separate", unify: "zeropad" },
  { name: "AD-4", lookup: "separate", unify: "linear" },
];

export interface VariantResult {
  variant: string;
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
}

/** AutoDim end to end: search, then re-train the plan (projection = the search's unification). */
export async function searchAndRetrain(
  ds: Dataset,
  config: SearchConfig,
  train: RetrainSettings,
  method: string,
): Promise<{ plan: DimensionPlan; result: RetrainResult; dims: number[] }> {
  const progress = process.env.AUTODIM_QUIET !== "1";
  const checkpoint = checkpointsFor(`${ds.name}-${method}-${config.model}-seed${config.seed}`);
  const plan = await search(ds.data, config, { progress, checkpoint });
  const dims = plan.fields.map((f) => f.dim);
  const D = config.candidates[config.candidates.length - 1];
  const result = await retrain(
    ds.data,
    { ...train, model: config.model, dims, projection: config.unify, outputDim: D, seed: config.seed },
    { method, plan, progress, checkpoint },
  );
  return { plan, result, dims };
}

export async function runComponents(
  ds: Dataset,
  settings: SearchSettings,
  train: RetrainSettings,
  model: ModelName,
  seed: number,
): Promise<VariantResult[]> {
  const out: VariantResult[] = [];
  for (const v of VARIANTS) {
    const {
      plan,
      result: r,
      dims,
    } = await searchAndRetrain(
      ds,
      { ...settings, lookup: v.lookup, unify: v.unify, model, seed },
      train,
      `autodim ${v.name}`,
    );
    const pc = plan.search.parameterCounts;
    const trainedSamples = (plan.config.warmupSteps + plan.search.steps) * plan.config.batchSize;
    out.push({
      variant: v.name,
      lookup: v.lookup,
      unify: v.unify,
      searchParams: pc.embedding + pc.transform + pc.architecture,
      searchSamplesPerSecond: trainedSamples / plan.runtime.wallSeconds,
      testAuc: r.test.auc,
      testLogloss: r.test.logloss,
      finalParams: r.params.embedding,
      inferenceMsPer1k: (1000 * r.test.seconds) / (r.test.rows / 1000),
      dims,
    });
  }
  return out;
}

/** The paper's six panels in one figure (2 × 3 grid of bar charts, one bar per variant). */
export function componentFigures(rows: VariantResult[]): Record<string, Figure> {
  const panels: [keyof VariantResult, string][] = [
    ["searchParams", "search-stage parameters"],
    ["searchSamplesPerSecond", "search speed (samples/s)"],
    ["testAuc", "test AUC"],
    ["testLogloss", "test Logloss"],
    ["finalParams", "final embedding parameters"],
    ["inferenceMsPer1k", "inference (ms / 1,000 rows)"],
  ];
  const colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52"];
  const data = panels.map(([key], i) => ({
    type: "bar",
    x: rows.map((r) => r.variant),
    y: rows.map((r) => r[key] as number),
    marker: { color: colours },
    xaxis: `x${i === 0 ? "" : i + 1}`,
    yaxis: `y${i === 0 ? "" : i + 1}`,
    showlegend: false,
    hovertemplate: "%{x}: %{y}<extra></extra>",
  }));
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
  // AUC and Logloss differ in the third decimal: start those axes near the data, not at 0.
  const near = (key: keyof VariantResult) => {
    const v = rows.map((r) => r[key] as number);
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const pad = Math.max(1e-3, (hi - lo) * 0.5);
    return { range: [lo - pad, hi + pad] };
  };
  const layout: Record<string, unknown> = {
    title: {
      text: "AD-1 sharing + zero-pad · AD-2 sharing + linear · AD-3 separate + zero-pad · AD-4 separate + linear",
    },
    grid: { rows: 2, columns: 3, pattern: "independent" },
    annotations,
    width: 1000,
    height: 600,
    margin: { t: 90 },
    yaxis3: near("testAuc"),
    yaxis4: near("testLogloss"),
  };
  return { panels: { data, layout } };
}
