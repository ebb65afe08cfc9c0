// Every default setting in one place: the paper's search and re-train settings, the quick
// scale's, and each baseline's own. The CLI, the experiments, the notebooks and the tests read
// them from here.
import type { ModelName } from "../models/ctr.js";
import type { SearchConfig } from "../train/schemas.js";
import type { MethodSettings } from "./types.js";

/** The seed of every default run (data split, synthetic data, initialisation) unless a setting names another. */
export const DEFAULT_SEED = 2026;

/** The paper's candidate sizes. */
export const PAPER_CANDIDATES = [2, 8, 16, 24, 32];

export const DEFAULT_SEARCH: Omit<SearchConfig, "model" | "seed"> = {
  candidates: PAPER_CANDIDATES,
  lookup: "shared",
  unify: "linear",
  tauDecay: 5e-5,
  // τ reaches its floor at the last search step whatever the data size (the paper's 5e-5 per
  // step gets there only after 19,800 steps; see `TemperatureSchedule.of`).
  tauSchedule: "fit",
  mixScale: 0.1,
  frequency: 10,
  oneLevel: false,
  secondOrder: false,
  epochs: 1,
  warmupSteps: 0,
  batchSize: 2000,
  learningRate: 1e-3,
  architectureLearningRate: 1e-3,
  architectureOptimizer: "adam",
  alphaSnapshots: 20,
};

/**
 * The search at quick scale (minutes on the default synthetic data, 2 cores): the paper's
 * AutoDim (AD-2: shared lookup, linear unification + BN), one warm-up epoch (313 steps of 512
 * on the 200k set), four search epochs; α's learning rate 1e-2 because a short run takes
 * ~150 α steps where the paper's takes ~1,800. The zero-padding variant (AD-1) is the
 * separate method "autodim-zeropad".
 */
export const QUICK_SEARCH: Omit<SearchConfig, "model" | "seed"> = {
  ...DEFAULT_SEARCH,
  batchSize: 512,
  epochs: 4,
  warmupSteps: 313,
  architectureLearningRate: 1e-2,
};

/** Re-training settings (plan and full-dimension model alike). */
export interface RetrainSettings {
  epochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  /** Each batch in 2 parts (RetrainConfig.batchParts); absent: whole. */
  batchParts?: 1 | 2;
  /** L2 on the embedding rows each batch reads (RetrainConfig.embeddingL2); absent: none. */
  embeddingL2?: number;
}

/** Re-training at the quick scale. */
export const QUICK_RETRAIN: RetrainSettings = { epochs: 12, patience: 2, batchSize: 512, learningRate: 1e-3 };

/** Re-training at the paper's scale and the `retrain` command's defaults (the paper: batch 2000, Adam 1e-3). */
export const PAPER_RETRAIN: RetrainSettings = { epochs: 10, patience: 2, batchSize: 2000, learningRate: 1e-3 };

/** The smoke scale (seconds, for the tests): the quick search and re-train in miniature. */
export const SMOKE_SEARCH: Omit<SearchConfig, "model" | "seed"> = {
  ...QUICK_SEARCH,
  batchSize: 256,
  epochs: 1,
  warmupSteps: 8,
};
export const SMOKE_RETRAIN: RetrainSettings = { epochs: 1, patience: 1, batchSize: 256, learningRate: 1e-3 };
/** RaS at smoke scale: two one-epoch trials. */
export const SMOKE_RANDOM_SEARCH = { trials: 2, trialEpochs: 1 };

/** NIS: the reward's memory cost, the controller's learning rate, reward every N steps, the baseline's momentum. */
export const NIS_DEFAULTS = { memoryCost: 0.02, controllerLearningRate: 0.05, rewardEvery: 5, baselineMomentum: 0.9 };

/** AEmb: hidden width of the popularity controller. */
export const AEMB_CONTROLLER_HIDDEN = 16;

/** RaS: random plans tried, each trained this many epochs before the best is re-trained. */
export const RANDOM_SEARCH_DEFAULTS = { trials: 10, trialEpochs: 1 };

/** MDE: the temperature α of d ∝ p^α (Ginart et al.'s range 0.1–0.5; 0.3 the middle). */
export const MDE_DEFAULTS = { temperature: 0.3 };

/** Settings of the quick scale (the default synthetic data in minutes on 2 cores). */
export function quickSettings(model: ModelName, seed: number): MethodSettings {
  const { candidates: _c, oneLevel: _o, ...searchRest } = QUICK_SEARCH;
  return {
    model,
    seed,
    candidates: PAPER_CANDIDATES,
    train: { ...QUICK_RETRAIN },
    search: searchRest,
    randomSearch: { ...RANDOM_SEARCH_DEFAULTS },
    mde: { ...MDE_DEFAULTS },
  };
}
