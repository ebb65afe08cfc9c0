// AutoDim end to end, in one place: search, then re-train the plan. The registry's AutoDim
// methods, the experiments, notebook 10 and the main job all run it, so a plan is re-trained the
// same way everywhere (its sizes, projected as the search unified, to the largest candidate).
import type { PreparedData } from "../data/batches.js";
import type { CheckpointSettings } from "../train/checkpoint.js";
import { retrain } from "../train/retrain.js";
import type { RetrainConfig, RetrainResult } from "../train/result-schema.js";
import type { DimensionPlan, SearchConfig } from "../train/schemas.js";
import { search } from "./search.js";

/** A plan's re-training: everything but what the plan decides (model, sizes, projection, width, seed). */
export type PlanTraining = Omit<RetrainConfig, "model" | "dims" | "projection" | "outputDim" | "seed">;

export interface PipelineOptions {
  /** The method the result names. */
  method: string;
  progress?: boolean;
  /** One setting for both stages: the search's and the re-train's checkpoints differ in their identities. */
  checkpoint?: CheckpointSettings;
  allowDivergence?: boolean;
  /** Receives the re-trained model's test-split probabilities, in row order. */
  onTestScores?: (scores: Float32Array) => void;
}

/**
 * The plan re-trained with the model and seed it was searched with: its sizes, projected as the
 * search unified (linear map or zero-padding) to the largest candidate d_N; the result keeps the plan.
 */
export function retrainPlan(
  data: PreparedData,
  plan: DimensionPlan,
  train: PlanTraining,
  opts: PipelineOptions,
): Promise<RetrainResult> {
  const { model, seed, unify } = plan.config;
  return retrain(
    data,
    {
      ...train,
      model,
      dims: plan.fields.map((f) => f.dim),
      projection: unify,
      outputDim: plan.candidates[plan.candidates.length - 1],
      seed,
    },
    {
      method: opts.method,
      plan,
      progress: opts.progress,
      checkpoint: opts.checkpoint,
      allowDivergence: opts.allowDivergence,
      onTestScores: opts.onTestScores,
    },
  );
}

/** Searches with `config`, then re-trains the plan (`retrainPlan`); `onPlan` sees the plan before the re-train starts. */
export async function searchThenRetrain(
  data: PreparedData,
  config: SearchConfig,
  train: PlanTraining,
  opts: PipelineOptions & { onPlan?: (plan: DimensionPlan) => void },
): Promise<{ plan: DimensionPlan; result: RetrainResult; dims: number[] }> {
  const plan = await search(data, config, {
    progress: opts.progress,
    checkpoint: opts.checkpoint,
    allowDivergence: opts.allowDivergence,
  });
  opts.onPlan?.(plan);
  const result = await retrainPlan(data, plan, train, opts);
  return { plan, result, dims: result.config.dims };
}
