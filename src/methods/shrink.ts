// Shrink (ours, beyond the paper): train FDE once, measure per field what each smaller size
// costs on validation (PCA truncation of the trained rows), allocate sizes greedily within a
// validation-loss tolerance, re-train the plan. The algorithm and its decision rule are in
// src/embedding/shrink.ts; this file runs it on a data set.
import type { PreparedData } from "../data/batches.js";
import { weightedComponents, truncateRow, type FieldComponents } from "../embedding/pca.js";
import {
  allocateSizes,
  chooseByValidation,
  decideSizes,
  loglossGain,
  pairedIncrease,
  rowLosses,
  type FieldProbe,
  type ShrinkDecision,
  type ShrinkStep,
} from "../embedding/shrink.js";
import { AutodimError } from "../core/errors.js";
import type { NamedArray } from "../tables/weights.js";
import { evaluate } from "../train/fit.js";
import type { CtrModel } from "../models/ctr.js";
import type { Network } from "../train/network.js";
import { PlanEmbedding } from "../train/plan-embedding.js";
import { retrain } from "../train/retrain.js";
import type { RetrainResult } from "../train/result-schema.js";
import { ownSettings, SHRINK_MAX_VALIDATION_DROP, SHRINK_SHARE_GRID } from "./defaults.js";
import type { Method, RunOptions, MethodSettings } from "./types.js";

/** What the probe found, recorded in the result's `selection.detail`. */
export interface ShrinkRecord {
  /** The validation-logloss tolerance the plan was allocated within. */
  tolerance: number;
  /** With a gain-share rule: the share, and the gain over a constant predictor it is a share of. */
  gainShare?: { share: number; gain: number; constantLogloss: number };
  /** The full model (FDE's run at the same seed and settings, the same bits). */
  full: { validationAuc: number; validationLogloss: number; testAuc: number; seconds: number };
  probes: FieldProbe[];
  steps: ShrinkStep[];
  decisions: ShrinkDecision[];
  decided: number;
  /** The plan's fields truncated together: logloss increase (and SE), steps undone, validation AUC. */
  joint: { predicted: number; measured: number; se: number; undone: number; validationAuc?: number };
  /** With `chooseShare`: every share's plan as its truncation scored on validation, and the one taken. */
  shareChoice?: ShareChoice;
  probeSeconds: number;
  /** The re-train started from the truncated full model (else from a fresh initialisation). */
  warmStart?: boolean;
}

/** A `chooseShare` run's choice among its plans (chooseByValidation's rule). */
export interface ShareChoice {
  maxDrop: number;
  fullValidationAuc: number;
  plans: { share: number; tolerance: number; saved: number; validationAuc: number }[];
  chosen: number;
  /** No plan stayed within the drop: the one of highest validation AUC. */
  fallback: boolean;
}

/**
 * What a warm re-train starts from: the full model's trained rows per field (id order) with
 * their principal components, and the model's own weights (first order, MLP, BatchNorm).
 */
export interface TruncationStart {
  fields: { rows: Float32Array[]; components: FieldComponents }[];
  model: NamedArray[];
}

/** One field's rows in the full table: their indices and a copy of their trained values. */
interface FieldRows {
  rows: Int32Array;
  original: Float32Array[];
  components: FieldComponents;
}

function fieldRows(network: Network, data: PreparedData): FieldRows[] {
  const emb = network.embedding;
  if (!(emb instanceof PlanEmbedding) || emb.sparse.length !== 1)
    throw new AutodimError("shrink: the full model must have one table of one size");
  const { table, rowOf } = emb.sparse[0];
  if (!rowOf) throw new AutodimError("shrink: the full table has no row map");
  const counts = data.counts();
  return data.manifest.fields.map((f) => {
    const rows = Int32Array.from({ length: f.vocabularySize }, (_, i) => rowOf[f.offset + i]);
    const original = Array.from(rows, (r) => table.row(r).slice());
    let weights = Array.from({ length: f.vocabularySize }, (_, i) => counts[f.offset + i]);
    if (!weights.some((w) => w > 0)) weights = weights.map(() => 1);
    return { rows, original, components: weightedComponents(original, weights, table.dim) };
  });
}

/** Writes field rows truncated to `d` (d = the full width: the trained values). */
function setField(network: Network, f: FieldRows, d: number): void {
  const { table } = (network.embedding as PlanEmbedding).sparse[0];
  f.rows.forEach((r, i) => {
    const out = table.row(r);
    if (d >= table.dim) out.set(f.original[i]);
    else truncateRow(f.original[i], f.components, d, out);
  });
}

/** A tolerance: absolute (validation logloss), or a share of the full model's gain over a constant predictor. */
export type ShrinkTolerance = number | { gainShare: number };

/** One tolerance's plan from the probes: sizes, the steps kept, decisions, the joint check. */
export type ShrinkAllocation = Omit<ShrinkRecord, "full" | "probes" | "probeSeconds"> & { dims: number[] };

/**
 * Probes every field at every smaller candidate (shared by all `tolerances`), then per tolerance
 * allocates, checks the joint truncation and decides each field.
 */
export function probeAndAllocate(
  network: Network,
  data: PreparedData,
  candidates: number[],
  tolerances: ShrinkTolerance[],
  batchSize: number,
): {
  fullValidationAuc: number;
  probes: FieldProbe[];
  probeSeconds: number;
  allocations: ShrinkAllocation[];
  start: TruncationStart;
} {
  const started = Date.now();
  const labels: number[] = [];
  for (const b of data.batches("val", { batchSize, shuffle: false }))
    for (let i = 0; i < b.size; i++) labels.push(b.labels[i]);
  const n = labels.length;
  let lastAuc = NaN;
  const lossesNow = (): Float64Array => {
    const out = new Float64Array(n);
    lastAuc = evaluate(network, data, "val", batchSize, (p) => rowLosses(labels, p, out)).auc;
    return out;
  };
  const full = lossesNow();
  const fullValidationAuc = lastAuc;
  const fields = fieldRows(network, data);
  const top = candidates.length - 1;
  const probes: FieldProbe[] = data.manifest.fields.map((f, m) => {
    const losses: Float64Array[] = [];
    for (let i = 0; i < top; i++) {
      setField(network, fields[m], candidates[i]);
      losses.push(lossesNow());
    }
    setField(network, fields[m], candidates[top]);
    losses.push(full);
    const inc = losses.map((l) => pairedIncrease(l, full));
    return {
      name: f.name,
      vocabularySize: f.vocabularySize,
      increase: inc.map((x, i) => (i === top ? 0 : x.mean)),
      se: inc.map((x, i) => (i === top ? 0 : x.se)),
      stepSe: losses.slice(0, top).map((l, i) => pairedIncrease(l, losses[i + 1]).se),
    };
  });
  const baseRate = data.manifest.positives.train / data.manifest.rows.train;
  const allocations = tolerances.map((rule): ShrinkAllocation => {
    let tolerance: number;
    let gainShare: ShrinkRecord["gainShare"];
    if (typeof rule === "number") tolerance = rule;
    else {
      const g = loglossGain(labels, baseRate, full);
      // A full model no better than a constant predictor has nothing to give up: no shrinking.
      tolerance = rule.gainShare * Math.max(0, g.gain);
      gainShare = { share: rule.gainShare, gain: g.gain, constantLogloss: g.constant };
    }
    const { dims, steps, predictedIncrease } = allocateSizes(probes, candidates, tolerance);
    // The probes are one field at a time; check the plan's fields together and undo the last
    // steps while the joint increase exceeds the tolerance.
    const taken = [...steps];
    const current = [...dims];
    let joint = { mean: 0, se: 0 };
    let undone = 0;
    let validationAuc = NaN;
    for (;;) {
      fields.forEach((f, m) => setField(network, f, current[m]));
      joint = pairedIncrease(lossesNow(), full);
      validationAuc = lastAuc;
      if (joint.mean <= tolerance || taken.length === 0) break;
      const last = taken.pop() as ShrinkStep;
      current[probes.findIndex((p) => p.name === last.field)] = last.from;
      undone++;
    }
    fields.forEach((f) => setField(network, f, candidates[top]));
    const decisions = decideSizes(probes, candidates, current, tolerance);
    return {
      tolerance,
      ...(gainShare ? { gainShare } : {}),
      dims: current,
      steps: taken,
      decisions,
      decided: decisions.filter((d) => d.decided).length,
      joint: { predicted: predictedIncrease, measured: joint.mean, se: joint.se, undone, validationAuc },
    };
  });
  return {
    fullValidationAuc,
    probes,
    probeSeconds: (Date.now() - started) / 1000,
    allocations,
    start: {
      fields: fields.map((f) => ({ rows: f.original, components: f.components })),
      model: network.model.exportWeights().map((w) => ({ ...w, data: w.data.slice() })),
    },
  };
}

/** The full model of `s` (FDE's run, the same bits) probed at `tolerances`; its result beside them. */
export async function trainAndProbe(
  data: PreparedData,
  s: MethodSettings,
  tolerances: ShrinkTolerance[],
  opts: {
    progress?: boolean;
    allowDivergence?: boolean;
    onTestScores?: (scores: Float32Array) => void;
    /** Keep what a warm re-train starts from (the trained rows and model weights: memory). */
    keepStart?: boolean;
  } = {},
): Promise<{
  full: RetrainResult;
  /** The full model's validation AUC on the probes' pass (its restored best epoch: bestValidation's). */
  fullValidationAuc: number;
  probes: FieldProbe[];
  probeSeconds: number;
  allocations: ShrinkAllocation[];
  start?: TruncationStart;
}> {
  const D = s.candidates[s.candidates.length - 1];
  if (opts.progress !== false)
    process.stderr.write(`shrink: training the full model (${s.model}, every field at ${D})\n`);
  let probed: ReturnType<typeof probeAndAllocate> | undefined;
  const full = await retrain(
    data,
    {
      ...s.train,
      model: s.model,
      dims: data.manifest.fields.map(() => D),
      projection: "none",
      outputDim: D,
      seed: s.seed,
    },
    {
      method: "shrink-full",
      progress: opts.progress,
      allowDivergence: opts.allowDivergence,
      onTestScores: opts.onTestScores,
      afterTraining: (network) => {
        probed = probeAndAllocate(network, data, s.candidates, tolerances, s.train.batchSize);
      },
    },
  );
  if (!probed) throw new AutodimError("shrink: the full model was not probed");
  const { start, ...rest } = probed;
  return { full, ...rest, ...(opts.keepStart ? { start } : {}) };
}

/**
 * Re-trains one allocation's plan: from a fresh initialisation with the linear projection to D
 * of every plan's re-train, or, given `found.start`, from the full model truncated field by field
 * (field-linear projections; epoch 0 is the truncated model, kept unless fine-tuning beats it).
 */
export function retrainShrunk(
  data: PreparedData,
  s: MethodSettings,
  found: { full: RetrainResult; probes: FieldProbe[]; probeSeconds: number; start?: TruncationStart },
  allocation: ShrinkAllocation,
  seconds: number,
  opts: RunOptions,
): Promise<RetrainResult> {
  const D = s.candidates[s.candidates.length - 1];
  const { dims, ...rest } = allocation;
  const record: ShrinkRecord = {
    ...rest,
    probes: found.probes,
    probeSeconds: found.probeSeconds,
    ...(found.start ? { warmStart: true } : {}),
    full: {
      validationAuc: found.full.bestValidation.auc,
      validationLogloss: found.full.bestValidation.logloss,
      testAuc: found.full.test.auc,
      seconds: found.full.runtime.wallSeconds,
    },
  };
  if (opts.progress !== false)
    process.stderr.write(
      `shrink: sizes ${dims.join(", ")}; decided ${record.decided} of ${dims.length} fields; joint validation logloss +${record.joint.measured.toFixed(5)} (tolerance ${record.tolerance.toFixed(5)}${record.gainShare ? `: ${record.gainShare.share} of the gain ${record.gainShare.gain.toFixed(4)} over a constant predictor` : ""})\n`,
    );
  const choice = record.shareChoice;
  if (choice && opts.progress !== false)
    process.stderr.write(
      `shrink: validation AUC of each share's truncated plan against the full model's ${choice.fullValidationAuc.toFixed(4)}: ${choice.plans.map((p) => `${p.share} ${(p.validationAuc - choice.fullValidationAuc).toFixed(4)}`).join(", ")}; took ${choice.chosen}${choice.fallback ? ` (none within ${choice.maxDrop}: the highest)` : ` (the largest saving within ${choice.maxDrop})`}\n`,
    );
  const start = found.start;
  const perField = start !== undefined || ownSettings(s, "shrink").fieldProjection === true;
  return retrain(
    data,
    { ...s.train, model: s.model, dims, projection: perField ? "field-linear" : "linear", outputDim: D, seed: s.seed },
    {
      ...(start
        ? {
            startFrom: (embedding: PlanEmbedding, model: CtrModel) => {
              embedding.loadTruncated(start.fields);
              model.importWeights(new Map(start.model.map((w) => [w.name, w])), "the full model");
            },
          }
        : {}),
      method: "shrink",
      progress: opts.progress,
      selection: { method: "shrink", seconds, dims, detail: record as unknown as Record<string, unknown> },
      checkpoint: opts.checkpoint,
      allowDivergence: opts.allowDivergence,
      onTestScores: opts.onTestScores,
    },
  );
}

/**
 * A `chooseShare` run's plan: of its allocations (one per gain share), the one saving most whose
 * joint truncation keeps validation AUC within SHRINK_MAX_VALIDATION_DROP of the full model's
 * (chooseByValidation), with the choice recorded beside it.
 */
export function choosePlan(
  data: PreparedData,
  candidates: number[],
  found: { fullValidationAuc: number; allocations: ShrinkAllocation[] },
): ShrinkAllocation {
  const D = candidates[candidates.length - 1];
  const vocab = data.manifest.fields.map((f) => f.vocabularySize);
  const plans = found.allocations.map((a) => {
    if (!a.gainShare) throw new AutodimError("shrink: a share is chosen among gain-share plans only");
    return {
      share: a.gainShare.share,
      tolerance: a.tolerance,
      saved: a.dims.reduce((sum, d, m) => sum + vocab[m] * (D - d), 0),
      validationAuc: a.joint.validationAuc ?? NaN,
    };
  });
  const { index, fallback } = chooseByValidation(plans, found.fullValidationAuc, SHRINK_MAX_VALIDATION_DROP);
  return {
    ...found.allocations[index],
    shareChoice: {
      maxDrop: SHRINK_MAX_VALIDATION_DROP,
      fullValidationAuc: found.fullValidationAuc,
      plans,
      chosen: plans[index].share,
      fallback,
    },
  };
}

export const shrink: Method = {
  name: "shrink",
  label: "Shrink (ours)",
  source:
    "this repo, beyond the paper (issue 31): FDE trained once, per-field PCA-truncation probes on validation, greedy allocation within a loss tolerance, plan re-trained",
  settings: { section: "shrink" },
  // What decides the plan: the absolute tolerance, or with a gain share the share alone.
  identity: (s) => {
    const { tolerance, gainShare, warmStart, fieldProjection, chooseShare } = ownSettings(s, "shrink");
    return {
      ...(chooseShare ? { chooseShare } : gainShare ? { gainShare } : { tolerance }),
      ...(warmStart ? { warmStart } : fieldProjection ? { fieldProjection } : {}),
    };
  },
  async run(data, s, opts) {
    const started = Date.now();
    const { tolerance, gainShare, warmStart, chooseShare } = ownSettings(s, "shrink");
    const rules: ShrinkTolerance[] = chooseShare
      ? SHRINK_SHARE_GRID.map((share) => ({ gainShare: share }))
      : [gainShare ? { gainShare } : tolerance];
    const found = await trainAndProbe(data, s, rules, {
      progress: opts.progress,
      allowDivergence: opts.allowDivergence,
      keepStart: warmStart === true,
    });
    const allocation = chooseShare ? choosePlan(data, s.candidates, found) : found.allocations[0];
    return retrainShrunk(data, s, found, allocation, (Date.now() - started) / 1000, opts);
  },
};
