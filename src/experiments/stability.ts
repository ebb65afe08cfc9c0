// Experiment 9 — stability: the same search with five seeds (initialisation, shuffling,
// Gumbel noise, dropout all change with the seed; the data does not). Reported: the Pearson
// correlation between the seeds' chosen-size vectors (the paper's measure: ≈ 0.85 on Criteo,
// DeepFM) and between their α, and how often two seeds agree on a field's size.
// Here: the summary, its figures and the experiment `stability` (its tables).
import { pearson } from "../data/metrics.js";
import { AutodimError } from "../core/errors.js";
import { CellsStopped } from "./cells.js";
import type { Scale } from "./datasets.js";
import { rankColor } from "./data.js";
import {
  dimensionsDefaults,
  runSearches,
  selectionProbabilities,
  type DimensionsResult,
  type SearchRunsSettings,
} from "./dimensions.js";
import { experiment, figureCaption, type Experiment } from "./experiment.js";
import type { Figure } from "./figures.js";
import type { RunCounts } from "./frequency.js";
import { modelLabel } from "./methods-table.js";
import { markdownTable } from "./report.js";

export const STABILITY_SEEDS = [2026, 1, 2, 3, 4];

/** The settings `autodim reproduce stability` and notebook 9 run by default: notebook 6's search, five seeds. */
export function stabilityDefaults(scale: Scale): SearchRunsSettings {
  return { ...dimensionsDefaults(scale), seeds: [...STABILITY_SEEDS] };
}

export interface StabilityResult {
  seeds: number[];
  fields: string[];
  plantedRanks?: number[];
  /** dims[s][m]: the size seed s chose for field m. */
  dims: number[][];
  /** Pearson correlation of the size vectors, per pair of seeds (upper triangle). */
  pairs: { a: number; b: number; pearsonDims: number; pearsonAlpha: number; agreement: number }[];
  meanPearsonDims: number;
  meanPearsonAlpha: number;
  /** Share of (pair, field) with the same size. */
  meanAgreement: number;
  /** Per field: the share of seeds choosing its most common size. */
  fieldConsensus: number[];
  reductions: number[];
}

export function summarizeStability(runs: DimensionsResult[], seeds: number[]): StabilityResult {
  const dims = runs.map((r) => r.fields.map((f) => f.dim));
  const probs = runs.map((r) => r.fields.flatMap((f) => selectionProbabilities(f.alpha)));
  const pairs: StabilityResult["pairs"] = [];
  for (let a = 0; a < runs.length; a++) {
    for (let b = a + 1; b < runs.length; b++) {
      const same = dims[a].filter((d, m) => d === dims[b][m]).length;
      pairs.push({
        a: seeds[a],
        b: seeds[b],
        pearsonDims: pearson(dims[a], dims[b]),
        pearsonAlpha: pearson(probs[a], probs[b]),
        agreement: same / dims[a].length,
      });
    }
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const fields = runs[0].fields.map((f) => f.field);
  const fieldConsensus = fields.map((_, m) => {
    const tally = new Map<number, number>();
    for (const d of dims) tally.set(d[m], (tally.get(d[m]) ?? 0) + 1);
    return Math.max(...tally.values()) / dims.length;
  });
  const ranks = runs[0].fields.map((f) => f.plantedRank);
  return {
    seeds,
    fields,
    plantedRanks: ranks.every((r) => r !== undefined) ? (ranks as number[]) : undefined,
    dims,
    pairs,
    meanPearsonDims: mean(pairs.map((p) => p.pearsonDims)),
    meanPearsonAlpha: mean(pairs.map((p) => p.pearsonAlpha)),
    meanAgreement: mean(pairs.map((p) => p.agreement)),
    fieldConsensus,
    reductions: runs.map((r) => r.reduction),
  };
}

export function stabilityFigures(r: StabilityResult, caption = ""): Record<string, Figure> {
  const sub = caption ? `<br><sub>${caption}</sub>` : "";
  return {
    sizes: {
      data: [
        {
          type: "heatmap",
          z: r.dims,
          x: r.fields,
          y: r.seeds.map((s) => `seed ${s}`),
          colorscale: "Viridis",
          colorbar: { title: { text: "size" } },
          hovertemplate: "%{y}, %{x}: size %{z}<extra></extra>",
        },
      ],
      layout: {
        title: {
          text: `Chosen size per field and seed (mean Pearson between seeds ${r.meanPearsonDims.toFixed(2)})${sub}`,
        },
        xaxis: { tickangle: -60 },
        margin: { b: 80 },
      },
    },
    consensus: {
      data: [
        {
          type: "bar",
          x: r.fields,
          y: r.fieldConsensus,
          marker: { color: r.fields.map((_, m) => rankColor(r.plantedRanks?.[m])) },
          hovertemplate: "%{x}: %{y:.0%} of seeds agree<extra></extra>",
        },
      ],
      layout: {
        title: {
          text: `Share of seeds choosing each field's most common size${r.plantedRanks ? " (colour: planted rank)" : ""}${sub}`,
        },
        yaxis: { range: [0, 1], tickformat: ".0%" },
        xaxis: { tickangle: -60 },
        margin: { b: 80 },
      },
    },
  };
}

/** 9 — stability: the search under five seeds; agreement of the chosen sizes and of α. */
export const stabilityExperiment: Experiment<StabilityResult, SearchRunsSettings> = experiment(
  "stability",
  async (scale, ds, settings, runner) => {
    if (settings.seeds.length < 2) throw new AutodimError("stability: give at least two seeds to compare");
    const counts: RunCounts = { computed: 0, reused: 0 };
    const runs = await runSearches(ds, settings, scale, runner, counts);
    if (runs instanceof CellsStopped) return runs;
    const r = summarizeStability(runs, settings.seeds);
    const summary = [
      `**AutoDim search with seeds ${r.seeds.join(", ")}** (${modelLabel(settings.model)}, the settings of notebook 6) on ${ds.description}.`,
      `Mean Pearson correlation between two seeds' size vectors: **${r.meanPearsonDims.toFixed(3)}**; between their selection probabilities softmax(log α): ${r.meanPearsonAlpha.toFixed(3)}; a field gets the same size from two seeds ${(100 * r.meanAgreement).toFixed(1)}% of the time. Parameter reduction per seed: ${r.reductions.map((x) => `${(100 * x).toFixed(1)}%`).join(", ")}.`,
    ].join("\n\n");
    const table = markdownTable(
      r.pairs.map((p) => ({
        "seed a": p.a,
        "seed b": p.b,
        "Pearson (sizes)": p.pearsonDims,
        "Pearson (α)": p.pearsonAlpha,
        "same size": p.agreement,
      })),
      { "Pearson (sizes)": 3, "Pearson (α)": 3, "same size": "%" },
    );
    return {
      markdown: `${summary}\n\n${table}`,
      payload: r,
      figures: stabilityFigures(r, figureCaption(ds, scale, r.seeds.join(", "))),
      seed: r.seeds[0],
      runs: counts,
    };
  },
  stabilityDefaults,
);
