// RaS — random search, the paper's simplest search baseline: K random per-field plans from
// the candidates, each trained briefly; the plan with the best validation AUC is re-trained
// in full. Choice (the paper gives no details): K = 10, each trial trains `trialEpochs`
// epochs without early stopping, sizes drawn uniformly per field from the "search" stream.
import { retrain } from "../train/retrain.js";
import { randomStream } from "../core/random.js";
import type { Method } from "./types.js";

/** The K random plans of a seed (deterministic). */
export function randomPlans(fields: number, candidates: number[], trials: number, seed: number): number[][] {
  const rng = randomStream(seed, "search", "ras");
  return Array.from({ length: trials }, () =>
    Array.from({ length: fields }, () => candidates[rng.int(candidates.length)]),
  );
}

export const ras: Method = {
  name: "ras",
  label: "RaS",
  paperColumn: "ras",
  settings: { section: "randomSearch" },
  source: "random search baseline of Zhao et al., AutoDim (WWW'21, §4)",
  async run(data, s, opts) {
    const started = Date.now();
    const D = s.candidates[s.candidates.length - 1];
    const plans = randomPlans(data.fieldCount, s.candidates, s.randomSearch.trials, s.seed);
    const trials: { dims: number[]; validationAuc: number }[] = [];
    for (const [k, dims] of plans.entries()) {
      if (opts.progress !== false) process.stderr.write(`ras: trial ${k + 1}/${plans.length}\n`);
      const r = await retrain(
        data,
        {
          ...s.train,
          epochs: s.randomSearch.trialEpochs,
          patience: s.randomSearch.trialEpochs,
          model: s.model,
          dims,
          projection: "linear",
          outputDim: D,
          seed: s.seed + 1 + k,
        },
        { method: "ras-trial", progress: false },
      );
      trials.push({ dims, validationAuc: r.bestValidation.auc });
    }
    let best = 0;
    trials.forEach((t, k) => {
      if (t.validationAuc > trials[best].validationAuc) best = k;
    });
    const dims = trials[best].dims;
    const selection = { method: "ras", seconds: (Date.now() - started) / 1000, dims, detail: { trials, chosen: best } };
    return retrain(
      data,
      { ...s.train, model: s.model, dims, projection: "linear", outputDim: D, seed: s.seed },
      {
        method: "ras",
        progress: opts.progress,
        selection,
        checkpoint: opts.checkpoint,
        allowDivergence: opts.allowDivergence,
        onTestScores: opts.onTestScores,
      },
    );
  },
};
