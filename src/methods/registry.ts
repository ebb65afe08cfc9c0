// The methods of the paper's main table, by name.
import { aemb } from "./aemb.js";
import { autodim, autodimS } from "./autodim.js";
import { dpq, mgqe } from "./dpq.js";
import { fde } from "./fde.js";
import { mde } from "./mde.js";
import { nis } from "./nis.js";
import { ras } from "./ras.js";
import type { Method, MethodSettings } from "./types.js";
import { PAPER_CANDIDATES, QUICK_RETRAIN, QUICK_SEARCH } from "../embedding/autodim.js";
import type { ModelName } from "../models/ctr.js";

export const METHODS: Record<string, Method> = {
  fde,
  mde,
  dpq,
  mgqe,
  nis,
  aemb,
  ras,
  "autodim-s": autodimS,
  autodim,
};
export const METHOD_NAMES = Object.keys(METHODS);

/** Settings of the quick scale (the default synthetic data in minutes on 2 cores). */
export function quickSettings(model: ModelName, seed: number): MethodSettings {
  const { candidates: _c, oneLevel: _o, ...searchRest } = QUICK_SEARCH;
  return {
    model,
    seed,
    candidates: PAPER_CANDIDATES,
    train: { ...QUICK_RETRAIN },
    search: searchRest,
    randomSearch: { trials: 10, trialEpochs: 1 },
    mde: { temperature: 0.3 },
  };
}
