// AutoDim and AutoDim-s (one-level) through the registry: search → plan → re-train. The
// algorithm itself is in src/embedding/autodim.ts.
import { retrain } from "../train/retrain.js";
import { search } from "../embedding/autodim.js";
import type { Method, MethodSettings } from "./types.js";
import type { PreparedData } from "../data/batches.js";

function autodimMethod(oneLevel: boolean): Method {
  const name = oneLevel ? "autodim-s" : "autodim";
  return {
    name,
    label: oneLevel ? "AutoDim-s" : "AutoDim",
    paperColumn: name,
    source: oneLevel
      ? "Zhao et al., AutoDim (WWW'21), §3.3: the one-level variant AutoDim-s"
      : "Zhao et al., AutoDim (WWW'21; arXiv 2006.14827)",
    async run(data: PreparedData, s: MethodSettings, opts) {
      const plan = await search(
        data,
        { ...s.search, candidates: s.candidates, oneLevel, model: s.model, seed: s.seed },
        opts,
      );
      const dims = plan.fields.map((f) => f.dim);
      const D = s.candidates[s.candidates.length - 1];
      return retrain(
        data,
        { ...s.train, model: s.model, dims, projection: plan.config.unify, outputDim: D, seed: s.seed },
        {
          method: name,
          plan,
          progress: opts.progress,
          checkpoint: opts.checkpoint,
          allowDivergence: opts.allowDivergence,
        },
      );
    },
  };
}

export const autodim = autodimMethod(false);
export const autodimS = autodimMethod(true);
