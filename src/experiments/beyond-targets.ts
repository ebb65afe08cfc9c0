// Issue 31's targets for Shrink, from paired runs (its plan and the full model / FDE of the same
// seed): ΔAUC with its paired-bootstrap interval, parameters saved, fields decided, agreement
// between seeds, cost, and on planted data the planted ranks. Used for the main tables' column
// (seeds 1–3) and for experiment 14's verdict on fresh seeds (beyond.ts).
import { AutodimError } from "../core/errors.js";
import { pearson, spearman } from "../data/metrics.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import type { ModelName } from "../models/ctr.js";
import type { RetrainResult } from "../train/result-schema.js";
import { AucDraws, verdict, type PairedDifference } from "./bootstrap.js";
import type { Dataset } from "./datasets.js";
import { savedMethodResults, type MethodRun, type MethodsSettings } from "./methods.js";
import { testLabels } from "./methods-table.js";

export type TargetData = "movielens" | "planted-large";

export interface ShrinkTarget {
  data: TargetData;
  model: ModelName;
  seeds: number[];
  /** What set the plan's tolerance, e.g. "tolerance 0.008" or "gain share 0.05". */
  rule?: string;
  delta: PairedDifference & { verdict: string };
  saved: number;
  decided: number[];
  fields: number;
  /** Mean Pearson between two seeds' size vectors (NaN when a vector is constant). */
  pearson: number;
  /** Shrink's selection time (full model + probes) over FDE's training of the same seed. */
  costVsFde: number;
  /** The plan's re-train (or, warm, its fine-tuning) over FDE's training of the same seed (absent in results saved before it). */
  retrainVsFde?: number;
  /**
   * Validation per seed (absent in results saved before it): the full model with the plan's fields
   * truncated together (logloss change, the joint probe), the plan as trained (AUC change), and
   * the epoch it was kept at (0: a warm start kept unchanged).
   */
  validation?: { jointLogloss: number[]; planAuc: number[]; bestEpoch: number[] };
  /** Planted data: Spearman(planted rank, size) per seed, and rank-0 fields at the smallest size. */
  spearman?: number[];
  noiseAtSmallest?: { count: number; of: number }[];
}

/** One seed's pair: the full model (FDE) and Shrink's re-trained plan, each with its test scores. */
export interface TargetPair {
  seed: number;
  fde: { result: RetrainResult; scores: Float32Array };
  shrink: { result: RetrainResult; scores: Float32Array };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The mean Pearson over every pair of seeds' size vectors (NaN when a vector is constant). */
export function meanPairwisePearson(dims: number[][]): number {
  const pairs: number[] = [];
  const constant = (v: number[]) => v.every((x) => x === v[0]);
  for (let a = 0; a < dims.length; a++)
    for (let b = a + 1; b < dims.length; b++)
      pairs.push(constant(dims[a]) || constant(dims[b]) ? NaN : pearson(dims[a], dims[b]));
  return mean(pairs);
}

export function shrinkTarget(
  which: { data: TargetData; ds: Dataset; model: ModelName; smallest: number; replicates: number; rule?: string },
  pairs: TargetPair[],
  ranks?: Map<string, number>,
): ShrinkTarget {
  const names = which.ds.data.manifest.fields.map((f) => f.name);
  const draws = new AucDraws(
    testLabels(which.ds),
    [
      { key: "fde", scoresBySeed: pairs.map((p) => p.fde.scores) },
      { key: "shrink", scoresBySeed: pairs.map((p) => p.shrink.scores) },
    ],
    { replicates: which.replicates, seed: DEFAULT_SEED },
  );
  const d = draws.difference("shrink", "fde");
  const shrunk = pairs.map((p) => p.shrink.result);
  const dims = shrunk.map((r) => r.dims.map((x) => x.dim));
  const detail = (r: RetrainResult) =>
    r.selection?.detail as { decided?: number; joint?: { measured: number } } | undefined;
  const planted = ranks && ranks.size > 0;
  return {
    data: which.data,
    model: which.model,
    seeds: pairs.map((p) => p.seed),
    ...(which.rule ? { rule: which.rule } : {}),
    delta: { ...d, verdict: verdict(d) },
    saved: mean(pairs.map((p) => 1 - p.shrink.result.params.embedding / p.fde.result.params.embedding)),
    decided: shrunk.map((r) => detail(r)?.decided ?? NaN),
    fields: names.length,
    pearson: meanPairwisePearson(dims),
    costVsFde: mean(pairs.map((p) => (p.shrink.result.selection?.seconds ?? NaN) / p.fde.result.runtime.wallSeconds)),
    retrainVsFde: mean(pairs.map((p) => p.shrink.result.runtime.wallSeconds / p.fde.result.runtime.wallSeconds)),
    validation: {
      jointLogloss: shrunk.map((r) => detail(r)?.joint?.measured ?? NaN),
      planAuc: pairs.map((p) => p.shrink.result.bestValidation.auc - p.fde.result.bestValidation.auc),
      bestEpoch: shrunk.map((r) => r.bestValidation.epoch),
    },
    ...(planted
      ? {
          spearman: dims.map((v) =>
            spearman(
              names.map((n) => ranks.get(n) ?? NaN),
              v,
            ),
          ),
          noiseAtSmallest: dims.map((v) => ({
            count: names.filter((n, m) => ranks.get(n) === 0 && v[m] === which.smallest).length,
            of: names.filter((n) => ranks.get(n) === 0).length,
          })),
        }
      : {}),
  };
}

/** Shrink against issue 31's targets, from the main tables' saved runs (nothing is trained here). */
export async function shrinkTargets(
  which: { data: TargetData; ds: Dataset; settings: MethodsSettings; dir: string },
  ranks?: Map<string, number>,
): Promise<ShrinkTarget[] | undefined> {
  const { ds, settings } = which;
  // Per model: a model whose Shrink runs are all saved is judged; the others are left out.
  const perModel: { model: ModelName; runs: Map<string, MethodRun> }[] = [];
  for (const model of settings.models) {
    const runs = await savedMethodResults(ds, { ...settings, models: [model], methods: ["fde", "shrink"] }, which.dir);
    if (runs) perModel.push({ model, runs });
  }
  if (perModel.length === 0) return undefined;
  return perModel.map(({ model, runs }) => {
    const get = (method: string, seed: number) => {
      const r = runs.get(`${model}-${method}-s${seed}`);
      if (!r?.scores)
        throw new AutodimError(`beyond: the ${model} ${method} run of seed ${seed} has no saved test scores`);
      return { result: r.result, scores: r.scores };
    };
    return shrinkTarget(
      {
        data: which.data,
        ds,
        model,
        smallest: settings.candidates[0],
        replicates: settings.bootstrapReplicates,
      },
      settings.seeds.map((seed) => ({ seed, fde: get("fde", seed), shrink: get("shrink", seed) })),
      ranks,
    );
  });
}
