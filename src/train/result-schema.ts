// result.json (`retrain`, `run`, run cells): its type and zod schema, the plan it re-trained
// included. Types are written out, not inferred: see the header of schemas.ts.
import { z } from "zod";
import { MODEL_NAMES, type ModelName } from "../models/ctr.js";
import type { EmbeddingParameterCounts } from "../models/embedding.js";
import type { EvaluationResult, FitHistoryEntry } from "./fit.js";
import {
  count,
  dataIdentitySchema,
  evaluationSchema,
  finite,
  parameterCountsSchema,
  positiveInt,
  runIdentitySchema,
  typed,
  type DataIdentity,
  type RunIdentity,
} from "./schema-parts.js";
import { dimensionPlanSchema, PROJECTION_KINDS, type DimensionPlan, type ProjectionKind } from "./schemas.js";

export interface RetrainConfig {
  model: ModelName;
  /** Per-field sizes (from a plan), or one size for all fields (the full-dimension model). */
  dims: number[];
  projection: ProjectionKind;
  /** Width the fields are projected to (d_N). */
  outputDim: number;
  epochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Start from the search's weights (the plan's `search.weights`) instead of from scratch. */
  warmStart?: boolean;
  /**
   * Parts each batch is computed in (absent: 1). 2: two parts with their own BatchNorm batch
   * statistics and dropout streams, whose gradients are added — the arithmetic that lets two
   * threads share a step (src/accel/parallel.ts); a run in 2 parts gives the same bits on one thread.
   */
  batchParts?: 1 | 2;
  /** L2 on the embedding rows each batch reads (absent: 0; see NetworkOptions.embeddingL2). */
  embeddingL2?: number;
}

/** How a method other than AutoDim chose its sizes, recorded in the result. */
export interface SelectionRecord {
  method: string;
  seconds: number;
  /** Per-field chosen size. */
  dims: number[];
  /** Method-specific facts (popularities, trials, ...), JSON-serialisable. */
  detail: Record<string, unknown>;
}

export interface RetrainResult {
  kind: "autodim-result";
  version: 1;
  method: string;
  model: ModelName;
  test: EvaluationResult;
  bestValidation: EvaluationResult & { epoch: number };
  params: EmbeddingParameterCounts & { firstOrder: number; model: number; total: number; embeddingBytes: number };
  dims: { name: string; dim: number }[];
  history: FitHistoryEntry[];
  config: RetrainConfig;
  plan?: DimensionPlan;
  /** How a non-AutoDim method chose the sizes (MDE, RaS, ...). */
  selection?: SelectionRecord;
  data: DataIdentity;
  runtime: RunIdentity;
  /** `autodim run`: the method's resolved settings (flags > config file > defaults); `--config` on them re-runs it. */
  settings?: Record<string, unknown>;
}

export const historyShape = z.object({
  epoch: count,
  trainLoss: finite,
  validation: evaluationSchema,
  seconds: finite,
  samplesPerSecond: finite,
});
const historySchema = typed<FitHistoryEntry>(historyShape);

export const retrainConfigShape = z.object({
  model: z.enum(MODEL_NAMES).describe("the base model"),
  /** Per-field sizes (from a plan), or one size for all fields (the full-dimension model). */
  dims: z.array(positiveInt).min(1),
  projection: z
    .enum(PROJECTION_KINDS)
    .describe("how a plan's sizes reach the common width: a linear map per size, or zero-padding"),
  /** Width the fields are projected to (d_N). */
  outputDim: positiveInt,
  epochs: positiveInt.describe("training epochs at most (early stopping on validation AUC may end sooner)"),
  patience: positiveInt.describe("epochs without a better validation AUC before training stops"),
  batchSize: positiveInt.describe("rows per training step"),
  learningRate: finite.positive().describe("Adam learning rate"),
  seed: z.number().int().describe("the root of every random stream (init, shuffle, dropout)"),
  /** Start from the search's weights (the plan's `search.weights`) instead of from scratch. */
  warmStart: z
    .boolean()
    .optional()
    .describe("start from the search's saved weights (the plan's search.weights) instead of from scratch"),
  /**
   * Parts each batch is computed in (absent: 1). 2: two parts with their own BatchNorm batch
   * statistics and dropout streams, whose gradients are added — the arithmetic that lets two
   * threads share a step (src/accel/parallel.ts); a run in 2 parts gives the same bits on one thread.
   */
  batchParts: z.union([z.literal(1), z.literal(2)]).optional(),
  /** L2 on the embedding rows each batch reads (absent: 0; see NetworkOptions.embeddingL2). */
  embeddingL2: z
    .number()
    .finite()
    .nonnegative()
    .optional()
    .describe(
      "L2 on the embedding rows each batch reads: λ/B·Σ‖e‖² over the batch's lookups (BARS' embedding_regularizer)",
    ),
});

/** How a method other than AutoDim chose its sizes, recorded in the result. */
export const selectionRecordShape = z.object({
  method: z.string(),
  seconds: finite,
  /** Per-field chosen size. */
  dims: z.array(positiveInt),
  /** Method-specific facts (popularities, trials, ...), JSON-serialisable. */
  detail: z.record(z.unknown()),
});

export const retrainResultShape = z.object({
  kind: z.literal("autodim-result"),
  version: z.literal(1),
  method: z.string(),
  model: z.enum(MODEL_NAMES),
  test: evaluationSchema,
  bestValidation: z.intersection(evaluationSchema, z.object({ epoch: count })),
  params: z.intersection(
    parameterCountsSchema,
    z.object({ firstOrder: count, model: count, total: count, embeddingBytes: count }),
  ),
  dims: z.array(z.object({ name: z.string(), dim: positiveInt })),
  history: z.array(historySchema),
  config: retrainConfigShape,
  plan: dimensionPlanSchema.optional(),
  selection: selectionRecordShape.optional(),
  data: dataIdentitySchema,
  runtime: runIdentitySchema,
  /** `autodim run`: the method's resolved settings (flags > config file > defaults); `--config` on them re-runs it. */
  settings: z.record(z.unknown()).optional(),
});
export const retrainResultSchema = typed<RetrainResult>(retrainResultShape);
