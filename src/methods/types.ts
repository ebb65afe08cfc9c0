// One registry for every embedding-size method the paper compares: each method is one file
// that turns (data, base model, settings) into a re-trained, test-evaluated result with the
// same schema as `autodim retrain` — same training loop, metrics and parameter accounting.
import type { PreparedData } from "../data/batches.js";
import type { RetrainResult, SearchConfig } from "../embedding/autodim.js";
import type { ModelName } from "../models/ctr.js";
import type { CheckpointSettings } from "../train/checkpoint.js";

/** Training settings shared by every method (the scale of an experiment). */
export interface MethodSettings {
  model: ModelName;
  seed: number;
  candidates: number[];
  /** Final training (and the full-dimension model). */
  train: { epochs: number; patience: number; batchSize: number; learningRate: number };
  /** AutoDim / AutoDim-s search settings. */
  search: Omit<SearchConfig, "model" | "seed" | "candidates" | "oneLevel">;
  /** RaS: random plans tried, and the epochs each is trained before comparing. */
  randomSearch: { trials: number; trialEpochs: number };
  /** MDE: the temperature α of d ∝ p^α. */
  mde: { temperature: number };
}

/** How a method chose its sizes, recorded in the result. */
export interface SelectionRecord {
  method: string;
  seconds: number;
  /** Per-field chosen size. */
  dims: number[];
  /** Method-specific facts (popularities, trials, ...), JSON-serialisable. */
  detail: Record<string, unknown>;
}

export interface Method {
  name: string;
  /** The paper the method is implemented from. */
  source: string;
  /**
   * With `checkpoint`, the method's final training (and AutoDim's / AEmb's search) writes
   * checkpoints there and resumes from them; other searches (NIS, RaS) rerun from the start.
   */
  run(data: PreparedData, settings: MethodSettings, opts: { progress?: boolean; checkpoint?: CheckpointSettings }): Promise<RetrainResult>;
}
