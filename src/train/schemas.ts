// The dimension plan (`plan.json`, `autodim search`) and the search settings it records, as
// TypeScript types and zod schemas; the kinds of lookup, unification and projection. Every read
// of a plan goes through `readJsonFile` (json-file.ts), so a damaged or hand-edited file is an
// error naming the file and the field. result.json is in result-schema.ts.
//
// Why the types are written out and not inferred (z.infer): tslab compiles notebooks (and the
// src/ they import) without strictNullChecks, where zod 3 infers every property as optional.
// So each schema is the raw zod object (`…Shape`, exported) cast to its interface here, and
// test/train/schemas.test.ts proves under `tsc --strict` that the two describe the same type.
import { z } from "zod";
import { MODEL_NAMES, type ModelName } from "../models/ctr.js";
import type { EmbeddingParameterCounts } from "../models/embedding.js";
import type { EvaluationResult } from "./fit.js";
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

export const LOOKUP_KINDS = ["shared", "separate"] as const;
export const UNIFY_KINDS = ["linear", "zeropad"] as const;
export const PROJECTION_KINDS = ["linear", "zeropad", "none", "field-linear"] as const;
export type LookupKind = (typeof LOOKUP_KINDS)[number];
export type UnifyKind = (typeof UNIFY_KINDS)[number];
/** How re-trained fields reach the common width d_N (see PlanEmbedding). */
export type ProjectionKind = (typeof PROJECTION_KINDS)[number];

// ───────────── the types ─────────────

export interface PlanField {
  name: string;
  vocabularySize: number;
  dim: number;
  /** Final α of the field over the candidates. */
  alpha: number[];
}

/** What `autodim search --undecided` does with a field whose size the search did not decide. */
export const UNDECIDED_POLICIES = ["keep", "max", "fail"] as const;
export type UndecidedPolicy = (typeof UNDECIDED_POLICIES)[number];

/**
 * Whether the search decided one field's size or its argmax is noise (src/embedding/diagnostics.ts
 * computes it; the rule is `decideField` there). The trajectory's ends are in the plan already:
 * the start is `search.alphaHistory[0]`, the end the field's `alpha`.
 */
export interface FieldDiagnostics {
  name: string;
  /** The size α's argmax chose: the field's `dim`, unless `--undecided max` replaced it. */
  argmax: number;
  /** The size with the second-largest α (null with one candidate). */
  runnerUp: number | null;
  /** α of the argmax minus α of the runner-up (α normalised: softmax of log α, as `alpha`). */
  margin: number;
  /** The largest |α − 1/N| of any candidate after any α step. */
  maxDrift: number;
  /** The search step after which the argmax last changed (0: it never did). */
  stableSince: number;
  /**
   * mean / (sd / √n) over the n α steps of ∂L/∂log α (runner-up) − ∂L/∂log α (argmax): how far the
   * gradient's push of the argmax over the runner-up stands above its noise (null: n < 2 or no noise).
   */
  snr: number | null;
  /** α steps a decision (SNR ≥ the rule's) would take at this per-step signal (null: the signal favours the runner-up or is 0). */
  stepsNeeded: number | null;
  decided: boolean;
}

export interface SearchDiagnostics {
  /** The thresholds the fields were judged by (`decideField`). */
  rule: { minArchitectureSteps: number; minSnr: number; minMargin: number };
  /** α steps whose gradient the diagnostics saw (AutoDim-s: every step). */
  architectureSteps: number;
  /** Fields decided. */
  decided: number;
  /** One per plan field, in its order. */
  fields: FieldDiagnostics[];
}

export interface DimensionPlan {
  kind: "autodim-plan";
  version: 1;
  method: "autodim" | "autodim-s";
  candidates: number[];
  fields: PlanField[];
  totals: {
    embeddingParams: number;
    embeddingBytes: number;
    fullDimensionParams: number;
    fullDimensionBytes: number;
    /** 1 − plan / full. */
    reduction: number;
  };
  search: {
    /** The trained supernet (`--save-weights`), for a warm-started re-train. */
    weights?: { file: string; sha256: string };
    steps: number;
    architectureSteps: number;
    finalTemperature: number;
    /** α entries at or below the clamp (1e-6) at the end: no gradient reaches them (absent in older plans). */
    deadCandidates?: number;
    /** The decay τ ran with, when the schedule derived it ("fit"). */
    tauDecay?: number;
    supernetValidation: EvaluationResult;
    parameterCounts: EmbeddingParameterCounts;
    /** α [F][N] at evenly spaced steps of the search. */
    alphaHistory: { step: number; alpha: number[][] }[];
    /** Whether each field's size was decided (absent in older plans; every search writes it). */
    diagnostics?: SearchDiagnostics;
  };
  config: SearchConfig;
  data: DataIdentity;
  runtime: RunIdentity;
}

// ───────────── the schemas ─────────────

/**
 * The one rule for candidate sizes d_1 < … < d_N — at least one, positive integers, strictly
 * increasing — as what is wrong with `c`, or undefined. The schema, the search and the CLI's
 * `--candidates` all apply it (each with its own kind of error).
 */
export function candidatesProblem(c: readonly number[]): string | undefined {
  if (c.length === 0) return "at least one dimension is needed";
  for (let i = 0; i < c.length; i++) {
    if (!Number.isInteger(c[i]) || c[i] < 1) return `${c[i]} is not a positive integer`;
    if (i > 0 && c[i] <= c[i - 1]) return `must be strictly increasing, got ${c.join(",")}`;
  }
  return undefined;
}

/** Candidate sizes d_1 < … < d_N (`candidatesProblem`). */
export const candidatesSchema = z.array(positiveInt).superRefine((c, ctx) => {
  const problem = candidatesProblem(c);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `candidates: ${problem}` });
});

export const searchEmbeddingConfigShape = z.object({
  candidates: candidatesSchema.describe("candidate embedding sizes, ascending; the largest is the full size d_N"),
  lookup: z
    .enum(LOOKUP_KINDS)
    .describe(
      "shared: one table of the largest size whose first d columns are candidate d (AD-2); separate: a table per candidate",
    ),
  unify: z
    .enum(UNIFY_KINDS)
    .describe(
      "how candidates reach the common width: linear map + BatchNorm (AD-2) or zero-padding + BatchNorm (AD-1)",
    ),
  /**
   * Constant factor on the mixed field embedding. Choice: 0.1. The unification's BatchNorm
   * (no affine) gives every field embedding unit variance, which makes FM's Σ of 741
   * pairwise inner products explode (initial FM loss ≈ 1,400); nothing trainable can shrink
   * it. Scaling all candidates alike keeps them comparable. Measured on 50k synthetic rows,
   * FM supernet validation AUC: 0.507 unscaled, 0.625 with 1/√32, 0.661 with 0.1.
   */
  mixScale: finite
    .positive()
    .describe(
      "constant factor on the mixed field embedding (keeps FM's pairwise products of unit-variance fields small)",
    ),
});
export interface SearchEmbeddingConfig {
  candidates: number[];
  lookup: LookupKind;
  unify: UnifyKind;
  /**
   * Constant factor on the mixed field embedding. Choice: 0.1. The unification's BatchNorm
   * (no affine) gives every field embedding unit variance, which makes FM's Σ of 741
   * pairwise inner products explode (initial FM loss ≈ 1,400); nothing trainable can shrink
   * it. Scaling all candidates alike keeps them comparable. Measured on 50k synthetic rows,
   * FM supernet validation AUC: 0.507 unscaled, 0.625 with 1/√32, 0.661 with 0.1.
   */
  mixScale: number;
}

// One object in the order plans have always had (τ's decay between unify and mixScale): parsed
// plans are written again, into results.
const { candidates, lookup, unify, mixScale } = searchEmbeddingConfigShape.shape;
export const searchConfigShape = z.object({
  candidates,
  lookup,
  unify,
  /** Anneal rate of τ per training step (resolved by TemperatureSchedule, src/embedding/temperature.ts). */
  tauDecay: finite
    .nonnegative()
    .describe("the Gumbel-softmax temperature's decay per training step, τ = max(0.01, 1 − decay·t)"),
  mixScale,
  model: z.enum(MODEL_NAMES),
  /** Update α once every `frequency` training steps (paper: 10). */
  frequency: positiveInt.describe("update α once every f training steps, on a validation batch (bi-level)"),
  /** AutoDim-s: update α on the training batch together with W. */
  oneLevel: z.boolean().describe("AutoDim-s: update α on the training batch with W (one level, no validation step)"),
  /**
   * Second-order DARTS for α (virtual step w' = w − ξ∇_w L_train with ξ = the W learning
   * rate — Choice: a plain-gradient virtual step although W is trained by Adam, as DARTS'
   * own code does with momentum SGD). Three extra forward/backward passes per α step.
   */
  secondOrder: z
    .boolean()
    .describe("second-order DARTS step for α (a virtual step of W first; 3 extra passes per α step)"),
  /** Search epochs over the training split. */
  epochs: positiveInt.describe("search epochs over the training split (after the warm-up)"),
  /** Warm-up steps with α fixed uniform before α is trained. */
  warmupSteps: count.describe("training steps with α fixed uniform before α is trained"),
  batchSize: positiveInt.describe("rows per training (and α) step"),
  learningRate: finite.positive().describe("Adam learning rate of the weights W"),
  architectureLearningRate: finite
    .positive()
    .describe("Adam learning rate of the architecture weights α (trained as log α)"),
  /** Optimiser of α. The paper gives the learning rate (1e-3) but not the optimiser; Adam is the usual reading. */
  architectureOptimizer: z.enum(["adam", "sgd"]).describe("optimiser of the architecture weights α"),
  seed: z.number().int().describe("the root of every random stream (init, shuffle, dropout, Gumbel noise)"),
  /** Snapshots of α kept for the α-evolution figure. */
  alphaSnapshots: count.describe("snapshots of α kept for the α-evolution figure"),
  tauSchedule: z
    .enum(["paper", "fit"])
    .optional()
    .describe(
      "paper: τ falls by --tau-decay per step; fit: the decay is set so τ reaches its floor at the search's last step",
    ),
  /**
   * Parts each batch is computed in (absent: 1). 2: two parts with their own BatchNorm batch
   * statistics and dropout streams, whose gradients are added — the arithmetic that lets two
   * threads share a step (src/accel/parallel.ts); a run in 2 parts gives the same bits on one thread.
   */
  batchParts: z
    .union([z.literal(1), z.literal(2)])
    .optional()
    .describe(
      "each batch whole (1) or in two parts with their own BatchNorm statistics (2), whose second part a second thread computes",
    ),
  undecided: z
    .enum(UNDECIDED_POLICIES)
    .optional()
    .describe(
      "what an undecided field gets: α's argmax (keep), the largest candidate (max), or exit 1 after writing the plan (fail)",
    ),
});
export interface SearchConfig extends SearchEmbeddingConfig {
  /** Anneal rate of τ per training step (resolved by TemperatureSchedule, src/embedding/temperature.ts). */
  tauDecay: number;
  model: ModelName;
  /** Update α once every `frequency` training steps (paper: 10). */
  frequency: number;
  /** AutoDim-s: update α on the training batch together with W. */
  oneLevel: boolean;
  /**
   * Second-order DARTS for α (virtual step w' = w − ξ∇_w L_train with ξ = the W learning
   * rate — Choice: a plain-gradient virtual step although W is trained by Adam, as DARTS'
   * own code does with momentum SGD). Three extra forward/backward passes per α step.
   */
  secondOrder: boolean;
  /** Search epochs over the training split. */
  epochs: number;
  /** Warm-up steps with α fixed uniform before α is trained. */
  warmupSteps: number;
  batchSize: number;
  learningRate: number;
  architectureLearningRate: number;
  /**
   * Optimiser of α. The paper gives the learning rate (1e-3) but not the optimiser; Adam
   * is the usual reading.
   */
  architectureOptimizer: "adam" | "sgd";
  seed: number;
  /** Snapshots of α kept for the α-evolution figure. */
  alphaSnapshots: number;
  /**
   * How τ falls: absent or "paper", by `tauDecay` per step; "fit", so it reaches its floor at
   * the search's last step (see TemperatureSchedule.of).
   */
  tauSchedule?: "paper" | "fit";
  /**
   * Parts each batch is computed in (absent: 1). 2: two parts with their own BatchNorm batch
   * statistics and dropout streams, whose gradients are added — the arithmetic that lets two
   * threads share a step (src/accel/parallel.ts); a run in 2 parts gives the same bits on one thread.
   */
  batchParts?: 1 | 2;
  /**
   * Undecided fields' sizes (`search.diagnostics`): "keep" α's argmax (absent: the same), "max"
   * the largest candidate; "fail" keeps them too, and `autodim search` exits 1 after writing the plan.
   */
  undecided?: UndecidedPolicy;
}

export const planFieldShape = z.object({
  name: z.string(),
  vocabularySize: positiveInt,
  dim: positiveInt,
  /** Final α of the field over the candidates. */
  alpha: z.array(finite),
});

export const fieldDiagnosticsShape = z.object({
  name: z.string(),
  argmax: positiveInt,
  runnerUp: positiveInt.nullable(),
  margin: finite,
  maxDrift: finite,
  stableSince: count,
  snr: finite.nullable(),
  stepsNeeded: count.nullable(),
  decided: z.boolean(),
});

export const searchDiagnosticsShape = z.object({
  rule: z.object({ minArchitectureSteps: count, minSnr: finite, minMargin: finite }),
  architectureSteps: count,
  decided: count,
  fields: z.array(fieldDiagnosticsShape),
});

export const dimensionPlanShape = z.object({
  kind: z.literal("autodim-plan"),
  version: z.literal(1),
  method: z.enum(["autodim", "autodim-s"]),
  candidates: candidatesSchema,
  fields: z.array(planFieldShape).min(1),
  totals: z.object({
    embeddingParams: count,
    embeddingBytes: count,
    fullDimensionParams: count,
    fullDimensionBytes: count,
    /** 1 − plan / full. */
    reduction: finite,
  }),
  search: z.object({
    /** The trained supernet (`--save-weights`), for a warm-started re-train. */
    weights: z.object({ file: z.string(), sha256: z.string() }).optional(),
    steps: count,
    architectureSteps: count,
    finalTemperature: finite,
    deadCandidates: count.optional(),
    tauDecay: finite.optional(),
    supernetValidation: evaluationSchema,
    parameterCounts: parameterCountsSchema,
    /** α [F][N] at evenly spaced steps of the search. */
    alphaHistory: z.array(z.object({ step: count, alpha: z.array(z.array(finite)) })),
    diagnostics: searchDiagnosticsShape.optional(),
  }),
  config: searchConfigShape,
  data: dataIdentitySchema,
  runtime: runIdentitySchema,
});

/** A plan, with the checks across its fields. */
export const dimensionPlanSchema = typed<DimensionPlan>(
  dimensionPlanShape.superRefine((plan, ctx) => {
    plan.fields.forEach((f, i) => {
      if (!plan.candidates.includes(f.dim))
        ctx.addIssue({
          code: "custom",
          path: ["fields", i, "dim"],
          message: `field ${f.name} has size ${f.dim}, not one of the candidates ${plan.candidates.join(",")}`,
        });
      if (f.alpha.length !== plan.candidates.length)
        ctx.addIssue({
          code: "custom",
          path: ["fields", i, "alpha"],
          message: `${f.alpha.length} α values for ${plan.candidates.length} candidates`,
        });
    });
    const diagnostics = plan.search.diagnostics;
    if (diagnostics && diagnostics.fields.map((f) => f.name).join("\n") !== plan.fields.map((f) => f.name).join("\n"))
      ctx.addIssue({
        code: "custom",
        path: ["search", "diagnostics", "fields"],
        message: "are not the plan's fields, in its order",
      });
    if (plan.config.candidates.join(",") !== plan.candidates.join(","))
      ctx.addIssue({ code: "custom", path: ["config", "candidates"], message: "differ from the plan's candidates" });
  }),
);
