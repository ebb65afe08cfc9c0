// Experiment 9 — stability: the same search with five seeds (initialisation, shuffling,
// Gumbel noise, dropout all change with the seed; the data does not). Reported: the Pearson
// correlation between the seeds' chosen-size vectors (the paper's measure: ≈ 0.85 on Criteo,
// DeepFM) and between their α, and how often two seeds agree on a field's size.
import { pearson } from "../data/metrics.js";
import type { Scale } from "./datasets.js";
import { rankColor } from "./data.js";
import {
  dimensionsDefaults,
  selectionProbabilities,
  type DimensionsResult,
  type SearchRunsSettings,
} from "./dimensions.js";
import type { Figure } from "./figures.js";

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
