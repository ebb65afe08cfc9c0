// One registry for every embedding-size method the paper compares: each method is one file
// that turns (data, base model, settings) into a re-trained, test-evaluated result with the
// same schema as `autodim retrain` — same training loop, metrics and parameter accounting.
import type { PreparedData } from "../data/batches.js";
import type { RetrainResult } from "../train/result-schema.js";
import type { ModelName } from "../models/ctr.js";
import type { CheckpointSettings } from "../train/checkpoint.js";
import type {
  MdeSettings,
  MethodSection,
  RandomSearchSettings,
  RetrainSettings,
  SearchSettings,
  ShrinkSettings,
} from "./defaults.js";
import type { SettingFlag } from "./settings-schema.js";

/** Training settings shared by every method (the scale of an experiment). */
export interface MethodSettings {
  model: ModelName;
  seed: number;
  candidates: number[];
  /** Final training (and the full-dimension model): TRAIN_SETTINGS. */
  train: RetrainSettings;
  /** AutoDim / AutoDim-s search settings (SEARCH_SETTINGS; the candidates are the run's, AutoDim-s is its own method). */
  search: Omit<SearchSettings, "candidates" | "oneLevel">;
  /** RaS: random plans tried, and the epochs each is trained before comparing (RANDOM_SEARCH_SETTINGS). */
  randomSearch: RandomSearchSettings;
  /** MDE: the temperature α of d ∝ p^α (MDE_SETTINGS). */
  mde: MdeSettings;
  /** Shrink (ours): the validation logloss tolerance; absent: SHRINK_SETTINGS' default (so the paper's cells keep their identity). */
  shrink?: ShrinkSettings;
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

/** A CLI flag of one method (`autodim run --method M --FLAG V`), derived from its settings schema. */
export interface MethodFlag extends SettingFlag {
  method: string;
  /** The MethodSettings key of the method's own settings. */
  section: MethodSection;
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
  /**
   * The method's own settings: their MethodSettings key (schema: METHOD_SETTINGS) and the flag
   * of a setting whose flag is not its kebab-case key. Each becomes a flag of `autodim run`
   * that only this method reads (registry.ts).
   */
  settings?: { section: MethodSection; flags?: Record<string, string> };
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
