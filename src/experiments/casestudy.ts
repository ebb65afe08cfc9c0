// Experiment 7 — case study: does AutoDim give larger sizes to the fields that matter more?
// The paper measures a field's importance by the test AUC of a W&D model fed that field alone
// (MovieLens-1M) and sets it beside the size AutoDim chose with W&D.
//
// A model of one categorical field is a function of that field's value only, so the best it
// can learn is each value's click rate; we compute that directly — each value's training click
// rate, shrunk towards the global rate by PRIOR_ROWS pseudo-rows (rare values are noisy;
// unseen → global rate) — and score the test split with it. That is the optimum the paper's
// single-field W&D trains towards, without 8–39 trainings and their early-stopping noise.
import type { PreparedData } from "../data/batches.js";
import type { RetrainResult } from "../train/schemas.js";
import { auc, logloss, spearman } from "../data/metrics.js";
import { plantedRanks, type Dataset, type Scale } from "./datasets.js";
import type { Figure } from "./figures.js";
import { methodResults, methodRunsDir, methodsDefaults, runKey, testSummary } from "./methods.js";

/** Pseudo-rows at the global click rate added to each value's counts. */
export const PRIOR_ROWS = 10;

export interface FieldImportance {
  field: string;
  /** Test AUC / Logloss of the field's smoothed per-value click rate. */
  auc: number;
  logloss: number;
}

/** Single-field test AUC and Logloss of every field (per-value click rates from the train split). */
export function singleFieldImportance(data: PreparedData, prior = PRIOR_ROWS): FieldImportance[] {
  const F = data.fieldCount;
  const train = data.readSplit("train");
  const test = data.readSplit("test");
  const n = train.labels.length;
  const clicks = new Float64Array(data.totalFeatures);
  const shows = new Float64Array(data.totalFeatures);
  let totalClicks = 0;
  for (let r = 0; r < n; r++) {
    const y = train.labels[r];
    totalClicks += y;
    for (let m = 0; m < F; m++) {
      const id = train.ids[r * F + m];
      shows[id] += 1;
      clicks[id] += y;
    }
  }
  const base = totalClicks / n;
  const t = test.labels.length;
  const probs = new Float64Array(t);
  return data.manifest.fields.map((f, m) => {
    for (let r = 0; r < t; r++) {
      const id = test.ids[r * F + m];
      probs[r] = (clicks[id] + prior * base) / (shows[id] + prior);
    }
    return { field: f.name, auc: auc(test.labels, probs), logloss: logloss(test.labels, probs) };
  });
}

export interface CaseStudyRow extends FieldImportance {
  dim: number;
  ids: number;
  plantedRank?: number;
}

export interface CaseStudyResult {
  rows: CaseStudyRow[];
  /** Spearman(single-field AUC, chosen size). */
  spearman: number;
  fde: { auc: number; logloss: number; params: number };
  autodim: { auc: number; logloss: number; params: number };
  /** Seconds of the two W&D runs (AutoDim's search included). */
  computeSeconds: number;
}

/** Importance per field beside W&D AutoDim's sizes; W&D full-dimension vs AutoDim on the same data. */
export async function runCaseStudy(
  ds: Dataset,
  scale: Scale,
  seed: number,
  experiment: string,
): Promise<CaseStudyResult> {
  const settings = { ...methodsDefaults(scale), models: ["wd" as const], methods: ["fde", "autodim"], seeds: [seed] };
  const results = await methodResults(ds, settings, methodRunsDir(experiment, scale));
  const auto = results.get(runKey("wd", "autodim", seed))?.result as RetrainResult;
  const fde = results.get(runKey("wd", "fde", seed))?.result as RetrainResult;
  const importance = singleFieldImportance(ds.data);
  const rankOf = plantedRanks(ds);
  const rows = importance
    .map((f, m) => ({
      ...f,
      dim: auto.dims[m].dim,
      ids: ds.data.manifest.fields[m].vocabularySize,
      plantedRank: rankOf.get(f.field),
    }))
    .sort((a, b) => b.auc - a.auc);
  const computeSeconds = fde.runtime.wallSeconds + auto.runtime.wallSeconds + (auto.plan?.runtime.wallSeconds ?? 0);
  return {
    rows,
    spearman: spearman(
      rows.map((r) => r.auc),
      rows.map((r) => r.dim),
    ),
    fde: testSummary(fde),
    autodim: testSummary(auto),
    computeSeconds,
  };
}

export function caseStudyFigures(r: CaseStudyResult): Record<string, Figure> {
  return {
    importance: {
      data: [
        {
          type: "scatter",
          mode: "markers+text",
          x: r.rows.map((f) => f.auc),
          y: r.rows.map((f) => f.dim),
          text: r.rows.map((f) => f.field),
          textposition: "top center",
          marker: { size: 10, color: "#c44e52" },
          hovertemplate: "%{text}: single-field AUC %{x:.4f}, size %{y}<extra></extra>",
        },
      ],
      layout: {
        title: {
          text: `Field importance (single-field test AUC) vs AutoDim's size (W&D) — Spearman ${r.spearman.toFixed(3)}`,
        },
        xaxis: { title: { text: "single-field test AUC" } },
        yaxis: { title: { text: "chosen embedding size" } },
        width: 800,
        height: 480,
      },
    },
  };
}
