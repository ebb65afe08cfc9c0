// MDE — mixed-dimension embeddings (Ginart, Naumov, Mudigere, Yang, Zou: "Mixed Dimension
// Embeddings with Application to Memory-Efficient Recommendation Systems", ISIT 2021;
// arXiv 1909.11810). Each field (a "block") gets a size from its popularity by the power law
// d_m = λ·p_m^α, then the fields are projected to d_max.
//
// Choice: p_m is the mean access probability of a row of field m over the training split,
// mean_v count(v)/N. Every row has exactly one value per field, so this equals
// 1/|V_m| (rows that were never seen count as rows): smaller vocabularies are more popular.
// Choice: λ makes the most popular field d_max (the reading of the paper's λ);
// each size is rounded to the nearest candidate (ties to the larger).
import type { Manifest } from "../data/manifest.js";
import { retrain } from "../train/retrain.js";
import type { Method } from "./types.js";

export function mdePopularity(manifest: Pick<Manifest, "fields" | "rows">, counts: Uint32Array): number[] {
  const N = manifest.rows.train;
  return manifest.fields.map((f) => {
    let sum = 0;
    for (let i = 0; i < f.vocabularySize; i++) sum += counts[f.offset + i] / N;
    return sum / f.vocabularySize;
  });
}

/** d_m = λ·p_m^α with λ = d_max / max(p)^α, rounded to the nearest candidate. */
export function mdeDims(
  popularity: number[],
  candidates: number[],
  temperature: number,
): { raw: number[]; dims: number[] } {
  const D = candidates[candidates.length - 1];
  const top = Math.max(...popularity);
  const raw = popularity.map((p) => D * Math.pow(p / top, temperature));
  const dims = raw.map((r) => {
    let best = candidates[0];
    for (const c of candidates) if (Math.abs(c - r) <= Math.abs(best - r)) best = c;
    return best;
  });
  return { raw, dims };
}

export const mde: Method = {
  name: "mde",
  label: "MDE",
  paperColumn: "mde",
  settings: { section: "mde", flags: { temperature: "mde-temperature" } },
  source: "Ginart et al., Mixed Dimension Embeddings, ISIT 2021 (arXiv 1909.11810)",
  async run(data, s, opts) {
    const started = Date.now();
    const popularity = mdePopularity(data.manifest, data.counts());
    const { raw, dims } = mdeDims(popularity, s.candidates, s.mde.temperature);
    const D = s.candidates[s.candidates.length - 1];
    const selection = {
      method: "mde",
      seconds: (Date.now() - started) / 1000,
      dims,
      detail: { temperature: s.mde.temperature, popularity, rawDims: raw },
    };
    return retrain(
      data,
      { ...s.train, model: s.model, dims, projection: "linear", outputDim: D, seed: s.seed },
      {
        method: "mde",
        progress: opts.progress,
        selection,
        checkpoint: opts.checkpoint,
        allowDivergence: opts.allowDivergence,
        onTestScores: opts.onTestScores,
      },
    );
  },
};
