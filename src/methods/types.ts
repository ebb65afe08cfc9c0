// One registry for every embedding-size method the paper compares: each method is one file
// that turns (data, base model, settings) into a re-trained, test-evaluated result with the
// same schema as `autodim retrain` — same training loop, metrics and parameter accounting.
import type { PreparedData } from "../data/batches.js";
import type { SearchConfig } from "../train/schemas.js";
import type { RetrainResult } from "../train/result-schema.js";
import type { ModelName } from "../models/ctr.js";
import type { CheckpointSettings } from "../train/checkpoint.js";

/** Training settings shared by every method (the scale of an experiment). */
export interface MethodSettings {
  model: ModelName;
  seed: number;
  candidates: number[];
  /** Final training (and the full-dimension model). */
  train: { epochs: number; patience: number; batchSize: number; learningRate: number; embeddingL2?: number };
  /** AutoDim / AutoDim-s search settings. */
  search: Omit<SearchConfig, "model" | "seed" | "candidates" | "oneLevel">;
  /** RaS: random plans tried, and the epochs each is trained before comparing. */
  randomSearch: { trials: number; trialEpochs: number };
  /** MDE: the temperature α of d ∝ p^α. */
  mde: { temperature: number };
  /** Shrink (ours): the validation logloss tolerance; absent: SHRINK_TOLERANCE (so the paper's cells keep their identity). */
  shrink?: { tolerance: number };
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

/** A CLI flag of one method (`autodim run --method M --FLAG V`), read into its settings. */
export interface MethodFlag {
  /** The flag without dashes, e.g. "trials". */
  flag: string;
  /** What it sets, for the usage text. */
  help: string;
  kind: "int" | "number";
  min: number;
  max: number;
  get(settings: MethodSettings): number;
  set(settings: MethodSettings, value: number): MethodSettings;
}

/**
 * A method of the paper's comparison, self-describing: the CLI usage, `run`'s flags, the main
 * table's columns and the paper's numbers beside ours all derive from these fields, so a new
 * method is its file plus one line in registry.ts.
 */
export interface Method {
  /** The name on the command line and in result files. */
  name: string;
  /** The name in tables and figures (the paper's). */
  label: string;
  /** The paper the method is implemented from. */
  source: string;
  /** Its column in the paper's main table (a key of PAPER_MAIN's rows); absent when the paper has none. */
  paperColumn?: string;
  /** Flags of `autodim run` that only this method reads. */
  flags?: MethodFlag[];
  /**
   * With `checkpoint`, the method's final training (and AutoDim's / AEmb's search) writes
   * checkpoints there and resumes from them; other searches (NIS, RaS) rerun from the start.
   */
  run(data: PreparedData, settings: MethodSettings, opts: RunOptions): Promise<RetrainResult>;
  /**
   * What decides this method's result beyond `settings` — its own defaults (e.g. Shrink's
   * tolerance) — so a saved run made under another default is not reused. Absent: nothing.
   */
  identity?(settings: MethodSettings): unknown;
}

export interface RunOptions {
  progress?: boolean;
  checkpoint?: CheckpointSettings;
  allowDivergence?: boolean;
  /** Receives the final model's test-split probabilities, in row order (for paired comparisons). */
  onTestScores?: (scores: Float32Array) => void;
}
