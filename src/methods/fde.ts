// FDE — full-dimension embedding: every field gets d_max (the largest candidate, 32 in the
// paper). The reference point of the paper's "Params".
import { retrain } from "../train/retrain.js";
import type { Method } from "./types.js";

export const fde: Method = {
  name: "fde",
  label: "FDE",
  paperColumn: "fde",
  source: "the paper's full-dimension baseline (Zhao et al., WWW'21, §4)",
  async run(data, s, opts) {
    const D = s.candidates[s.candidates.length - 1];
    const dims = data.manifest.fields.map(() => D);
    return retrain(
      data,
      { ...s.train, model: s.model, dims, projection: "none", outputDim: D, seed: s.seed },
      {
        method: "fde",
        progress: opts.progress,
        checkpoint: opts.checkpoint,
        allowDivergence: opts.allowDivergence,
        onTestScores: opts.onTestScores,
      },
    );
  },
};
