// Experiment 13 — a fair chance for every method (issue 27, part 3), after BARS' protocol: each
// method gets a declared and equal budget of settings tried on validation AUC, with seeds kept
// apart from the verdict's, and the verdict is re-run with the chosen settings on fresh seeds.
//
//   1. FDE: 9 training settings (learning rate × embedding L2) on the tuning seeds.
//   2. AutoDim: 9 search settings (α learning rate × {search epochs, update frequency f}) on the
//      tuning seeds, each searched and re-trained at FDE's chosen training settings — so the two
//      arms differ in the sizes alone, and AutoDim's budget is spent on its own knobs.
//   3. The verdict on fresh seeds: FDE and AutoDim at their chosen settings, and beside AutoDim a
//      uniform control: every field at one size, chosen so its embedding parameters equal the
//      AutoDim plan's of the same seed (Σ|V_m|·d = the plan's), projected to d_N as AutoDim's
//      re-train is. AutoDim − uniform is what the search adds beyond shrinking.
//   4. The same control beside every committed main-table AutoDim cell (paper settings, FM, W&D,
//      DeepFM × seeds 1–3), so both verdicts have it.
//
// Cut to fit the issue's ~10 CPU-hours: FM, W&D and DeepFM, each with its own budgets (W&D ran
// first, in session 13); FDE and AutoDim tuned (the other baselines keep the paper settings); two
// tuning seeds; a 3 × 3 grid per method. Selection: the mean over tuning seeds of the re-trained model's best
// validation AUC; the first setting wins a tie.
//
// This file: the settings, the grids and the result's shape; tuning-run.ts runs the steps.
import type { MethodSettings } from "../methods/types.js";
import type { ModelName } from "../models/ctr.js";
import type { PairedDifference } from "./bootstrap.js";
import type { Scale } from "./datasets.js";
import { methodSettings, methodsDefaults, type MethodsSettings } from "./methods.js";

/** One search setting of AutoDim's grid. */
export interface SearchChoice {
  architectureLearningRate: number;
  epochs: number;
  frequency: number;
}

/** One training setting of FDE's grid. */
export interface TrainingChoice {
  learningRate: number;
  embeddingL2: number;
}

export interface TuningSettings {
  /** MovieLens: the real data this repo can run at full size. */
  data: "movielens";
  /** Models tuned, each with its own budgets and verdict. */
  models: ModelName[];
  /** The paper settings (the main table's): everything the grids do not set. */
  base: MethodsSettings;
  /** Seeds the settings are chosen on; never the verdict's. */
  tuningSeeds: number[];
  /** Fresh seeds of the tuned verdict. */
  verdictSeeds: number[];
  /** FDE's budget: every learning rate × every embedding L2. */
  training: { learningRate: number[]; embeddingL2: number[] };
  /** AutoDim's budget, the same count: every α learning rate × every (epochs, f) pair. */
  search: { architectureLearningRate: number[]; schedule: { epochs: number; frequency: number }[] };
  /** The main table's models whose AutoDim cells get a uniform control (paper settings). */
  paperControlModels: ModelName[];
  bootstrapReplicates: number;
}

export function tuningDefaults(scale: Scale): TuningSettings {
  const base = methodsDefaults(scale, "movielens");
  const smoke = scale === "smoke";
  return {
    data: "movielens",
    models: smoke ? ["wd"] : ["fm", "wd", "deepfm"],
    base,
    tuningSeeds: smoke ? [101] : [101, 102],
    verdictSeeds: smoke ? [4] : [4, 5, 6],
    training: smoke
      ? { learningRate: [1e-3, 3e-3], embeddingL2: [0] }
      : { learningRate: [3e-4, 1e-3, 3e-3], embeddingL2: [0, 1e-4, 1e-2] },
    search: smoke
      ? { architectureLearningRate: [1e-2, 1e-1], schedule: [{ epochs: base.search.epochs, frequency: 10 }] }
      : {
          architectureLearningRate: [1e-3, 1e-2, 1e-1],
          schedule: [
            { epochs: base.search.epochs, frequency: 10 },
            { epochs: 2 * base.search.epochs, frequency: 10 },
            { epochs: base.search.epochs, frequency: 1 },
          ],
        },
    paperControlModels: smoke ? ["wd"] : ["fm", "wd", "deepfm"],
    bootstrapReplicates: base.bootstrapReplicates,
  };
}

export function trainingGrid(s: TuningSettings): TrainingChoice[] {
  return s.training.learningRate.flatMap((learningRate) =>
    s.training.embeddingL2.map((embeddingL2) => ({ learningRate, embeddingL2 })),
  );
}

export function searchGrid(s: TuningSettings): SearchChoice[] {
  return s.search.architectureLearningRate.flatMap((architectureLearningRate) =>
    s.search.schedule.map(({ epochs, frequency }) => ({ architectureLearningRate, epochs, frequency })),
  );
}

/** The paper settings of one (model, seed), with a training and a search choice applied. */
export function tunedSettings(
  s: TuningSettings,
  model: ModelName,
  seed: number,
  training?: TrainingChoice,
  search?: SearchChoice,
): MethodSettings {
  const base = methodSettings(s.base, model, seed);
  return {
    ...base,
    train: training
      ? {
          ...base.train,
          learningRate: training.learningRate,
          ...(training.embeddingL2 > 0 ? { embeddingL2: training.embeddingL2 } : {}),
        }
      : base.train,
    search: search ? { ...base.search, ...search } : base.search,
  };
}

/**
 * The uniform control's size: one size d for every field with Σ|V_m|·d as close as an integer
 * allows to the plan's Σ|V_m|·d_m (a vocabulary-weighted mean, not the plain mean of the sizes:
 * the plain mean would spend another budget whenever large fields got small sizes).
 */
export function uniformSize(dims: number[], vocabularySizes: number[], largest: number): number {
  const total = vocabularySizes.reduce((a, b) => a + b, 0);
  const exact = dims.reduce((a, d, m) => a + d * vocabularySizes[m], 0) / total;
  return Math.min(largest, Math.max(1, Math.round(exact)));
}

/** One grid point's runs on the tuning seeds. */
export interface GridRow<C> {
  choice: C;
  /** Best validation AUC of the re-trained model, per tuning seed. */
  validationAuc: number[];
  meanValidationAuc: number;
  /** Mean embedding parameters of the re-trained models. */
  params: number;
  /** AutoDim: α steps of the search and fields decided (mean over seeds). */
  architectureSteps?: number;
  decided?: number;
  chosen: boolean;
  seconds: number;
}

/** One arm of a verdict: its runs' AUCs and its difference to a reference. */
export interface ArmRow {
  setting: "paper settings" | "tuned";
  model: ModelName;
  arm: "FDE" | "AutoDim" | "uniform";
  seeds: number[];
  auc: number[];
  params: number[];
  /** Per seed: the sizes (AutoDim, uniform). */
  dims: number[][];
  /** Fields decided per seed (AutoDim). */
  decided?: number[];
  vsFde?: PairedDifference & { verdict: string };
  /** AutoDim − uniform (the AutoDim arm only). */
  vsUniform?: PairedDifference & { verdict: string };
}

/** One tuned model's two budgets and the settings they chose. */
export interface ModelTuning {
  model: ModelName;
  training: GridRow<TrainingChoice>[];
  search: GridRow<SearchChoice>[];
  chosen: { training: TrainingChoice; search: SearchChoice };
}

export interface TuningResult {
  models: ModelTuning[];
  tuningSeeds: number[];
  verdictSeeds: number[];
  arms: ArmRow[];
  fields: { name: string; vocabularySize: number }[];
  computeSeconds: number;
  bootstrapReplicates: number;
}
