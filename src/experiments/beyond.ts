// Experiment 14 — beyond the paper: Shrink (src/embedding/shrink.ts, src/methods/shrink.ts) on
// MovieLens. Two stages, on disjoint seeds:
//   1. The tolerance is chosen on tuning seeds (101, 102) from validation AUC only: the largest
//      mean parameter saving whose mean validation AUC (re-trained plan − full model, over every
//      model and tuning seed) is no lower than −maxValidationDrop. SHRINK_TOLERANCE must equal it
//      (test/experiments/beyond.test.ts reads this result).
//   2. On the main table's seeds (1–3; never used for a Shrink choice) the trade-off curve: every
//      tolerance's plan re-trained and tested against the full model of the same seed (paired
//      bootstrap), beside the main table's methods. The main tables carry Shrink at the chosen
//      tolerance as a column (methods-movielens, methods-planted).
// One full-model training per (model, seed) serves every tolerance: the probes do not depend on it.
import { AutodimError } from "../core/errors.js";
import { pearson, spearman } from "../data/metrics.js";
import { SHRINK_TOLERANCE } from "../methods/defaults.js";
import { retrainShrunk, trainAndProbe, type ShrinkAllocation } from "../methods/shrink.js";
import type { FieldProbe } from "../embedding/shrink.js";
import type { ModelName } from "../models/ctr.js";
import type { RetrainResult } from "../train/result-schema.js";
import { AucDraws, verdict, type PairedDifference } from "./bootstrap.js";
import { CellsStopped, identityHash, type CellRunner } from "./cells.js";
import { rawDataNeeded } from "./data-record.js";
import { datasetByName } from "./datasets-real.js";
import { plantedRanks, type Dataset, type Scale } from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import { existsSync, readdirSync } from "node:fs";
import type { RunCounts } from "./frequency.js";
import {
  methodRunsDir,
  methodSettings,
  methodsDefaults,
  readScores,
  savedMethodResults,
  scoresFile,
  writeScores,
  type MethodRun,
  type MethodsSettings,
} from "./methods.js";
import { testLabels } from "./methods-table.js";

export interface BeyondSettings {
  data: "movielens";
  models: ModelName[];
  /** The main table's settings (Shrink's full model is its FDE). */
  base: MethodsSettings;
  tuningSeeds: number[];
  tolerances: number[];
  /** The largest mean validation-AUC loss the chosen tolerance may cost. */
  maxValidationDrop: number;
  /** The curve on the verdict seeds (the main table's). */
  curveModels: ModelName[];
  curveSeeds: number[];
}

export function beyondDefaults(scale: Scale): BeyondSettings {
  const base = methodsDefaults(scale, "movielens");
  const smoke = scale === "smoke";
  return {
    data: "movielens",
    models: smoke ? ["fm"] : ["fm", "wd", "deepfm"],
    base,
    tuningSeeds: smoke ? [101] : [101, 102],
    tolerances: smoke ? [0.002, 0.008] : [0.001, 0.002, 0.004, 0.008],
    maxValidationDrop: 0.0005,
    curveModels: smoke ? ["fm"] : ["wd"],
    curveSeeds: base.seeds,
  };
}

/** A probe cell: the full model (its result; test scores beside it), the probes, every tolerance's allocation. */
interface Probed {
  full: RetrainResult;
  probes: FieldProbe[];
  probeSeconds: number;
  allocations: ShrinkAllocation[];
}

export interface ToleranceRow {
  tolerance: number;
  /** Mean over models and tuning seeds. */
  validationDelta: number;
  saved: number;
  perModel: { model: ModelName; validationDelta: number; saved: number; decided: number }[];
  chosen: boolean;
}

export interface CurvePoint {
  model: ModelName;
  tolerance: number;
  saved: number;
  /** Test AUC of the plan − the full model's, seeds paired, with its bootstrap interval. */
  delta: PairedDifference & { verdict: string };
  dims: number[][];
  decided: number[];
  /** Search cost: full training + probes, over one full training. */
  costVsFde: number;
}

export interface BeyondResult {
  /** Shrink in the main tables (seeds 1–3) against issue 31's targets; absent where not run. */
  targets: ShrinkTarget[];
  tolerances: ToleranceRow[];
  chosen: number;
  defaultTolerance: number;
  curve: CurvePoint[];
  fields: string[];
  tuningSeeds: number[];
  curveSeeds: number[];
  computeSeconds: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The rule, stated before the runs: the largest mean saving among tolerances whose mean validation
 * AUC change (over models and tuning seeds) is ≥ −maxDrop; none allowed: the smallest tolerance.
 */
export function chooseTolerance<T extends { tolerance: number; validationDelta: number; saved: number }>(
  rows: T[],
  maxDrop: number,
): T {
  const allowed = rows.filter((t) => t.validationDelta >= -maxDrop);
  if (allowed.length === 0) return rows.reduce((a, b) => (b.tolerance < a.tolerance ? b : a));
  return allowed.reduce((a, b) => (b.saved > a.saved ? b : a));
}

export async function runBeyond(
  ds: Dataset,
  scale: Scale,
  s: BeyondSettings,
  runner: CellRunner,
  counts: RunCounts,
): Promise<BeyondResult | CellsStopped> {
  const dir = methodRunsDir("beyond", scale);
  const progress = process.env.AUTODIM_QUIET !== "1";
  const log = progress ? undefined : () => {};
  const offline = rawDataNeeded(ds);
  let computeSeconds = 0;
  const full = s.base.candidates[s.base.candidates.length - 1];
  const fullParams = ds.data.manifest.fields.reduce((a, f) => a + f.vocabularySize * full, 0);

  const probeAll = async (models: ModelName[], seeds: number[]) => {
    const plan = models.flatMap((model) => seeds.map((seed) => ({ model, seed })));
    const cells = plan.map(({ model, seed }) => {
      const settings = methodSettings(s.base, model, seed);
      const identity = { data: ds.description, job: "shrink-probe", settings, tolerances: s.tolerances };
      const key = `${model}-probe-s${seed}-${identityHash(identity)}`;
      return {
        key,
        identity,
        run: async (): Promise<Probed> => {
          let scores: Float32Array | undefined;
          const r = await trainAndProbe(ds.data, settings, s.tolerances, {
            progress,
            onTestScores: (p) => (scores = p.slice()),
          });
          if (scores) writeScores(scoresFile(dir, key), scores);
          return r;
        },
      };
    });
    const done = await runner.stage(dir, cells, { log, counts, offline });
    if (done instanceof CellsStopped) return done;
    return plan.map((p, i) => ({ ...p, key: cells[i].key, found: done.get(cells[i].key) as Probed }));
  };
  const retrainAll = async (probed: Exclude<Awaited<ReturnType<typeof probeAll>>, CellsStopped>) => {
    const plan = probed.flatMap((p) =>
      s.tolerances.map((tolerance, t) => ({ ...p, tolerance, allocation: p.found.allocations[t] })),
    );
    const cells = plan.map((p) => {
      const settings = { ...methodSettings(s.base, p.model, p.seed), shrink: { tolerance: p.tolerance } };
      const identity = { data: ds.description, job: "shrink-retrain", settings, probe: p.key, dims: p.allocation.dims };
      const key = `${p.model}-shrink-s${p.seed}-t${p.tolerance}-${identityHash(identity)}`;
      return {
        key,
        identity,
        run: async (): Promise<RetrainResult> => {
          let scores: Float32Array | undefined;
          const r = await retrainShrunk(
            ds.data,
            settings,
            p.found,
            p.allocation,
            p.found.full.runtime.wallSeconds + p.found.probeSeconds,
            {
              progress,
              onTestScores: (x) => (scores = x.slice()),
            },
          );
          if (scores) writeScores(scoresFile(dir, key), scores);
          return r;
        },
      };
    });
    const done = await runner.stage(dir, cells, { log, counts, offline });
    if (done instanceof CellsStopped) return done;
    return plan.map((p, i) => ({
      ...p,
      result: done.get(cells[i].key) as RetrainResult,
      scores: readScores(scoresFile(dir, cells[i].key)),
    }));
  };
  const cost = (runs: { found: Probed }[], retrained: { result: RetrainResult }[]) =>
    runs.reduce((a, r) => a + r.found.full.runtime.wallSeconds + r.found.probeSeconds, 0) +
    retrained.reduce((a, r) => a + r.result.runtime.wallSeconds, 0);

  // 1. The tolerance, from validation AUC on the tuning seeds.
  const tuningProbes = await probeAll(s.models, s.tuningSeeds);
  if (tuningProbes instanceof CellsStopped) return tuningProbes;
  const tuned = await retrainAll(tuningProbes);
  if (tuned instanceof CellsStopped) return tuned;
  computeSeconds += cost(tuningProbes, tuned);
  const tolerances: ToleranceRow[] = s.tolerances.map((tolerance) => {
    const rows = tuned.filter((r) => r.tolerance === tolerance);
    const perModel = s.models.map((model) => {
      const mine = rows.filter((r) => r.model === model);
      return {
        model,
        validationDelta: mean(mine.map((r) => r.result.bestValidation.auc - r.found.full.bestValidation.auc)),
        saved: mean(mine.map((r) => 1 - r.result.params.embedding / fullParams)),
        decided: mean(mine.map((r) => r.allocation.decided)),
      };
    });
    return {
      tolerance,
      validationDelta: mean(perModel.map((m) => m.validationDelta)),
      saved: mean(perModel.map((m) => m.saved)),
      perModel,
      chosen: false,
    };
  });
  const pick = chooseTolerance(tolerances, s.maxValidationDrop);
  pick.chosen = true;

  // 2. The curve on the verdict seeds.
  const curveProbes = await probeAll(s.curveModels, s.curveSeeds);
  if (curveProbes instanceof CellsStopped) return curveProbes;
  const curveRuns = await retrainAll(curveProbes);
  if (curveRuns instanceof CellsStopped) return curveRuns;
  computeSeconds += cost(curveProbes, curveRuns);
  const labels = testLabels(ds);
  const curve: CurvePoint[] = s.curveModels.flatMap((model) => {
    const fullScores = s.curveSeeds.map((seed) => {
      const p = curveProbes.find((x) => x.model === model && x.seed === seed);
      const sc = p && readScores(scoresFile(dir, p.key));
      if (!sc) throw new AutodimError(`beyond: the ${model} full model of seed ${seed} has no saved test scores`);
      return sc;
    });
    return s.tolerances.map((tolerance) => {
      const runs = s.curveSeeds.map((seed) =>
        curveRuns.find((r) => r.model === model && r.seed === seed && r.tolerance === tolerance)!,
      );
      const draws = new AucDraws(
        labels,
        [
          { key: "full", scoresBySeed: fullScores },
          { key: "shrink", scoresBySeed: runs.map((r) => r.scores as Float32Array) },
        ],
        { replicates: s.base.bootstrapReplicates, seed: DEFAULT_SEED },
      );
      const d = draws.difference("shrink", "full");
      return {
        model,
        tolerance,
        saved: mean(runs.map((r) => 1 - r.result.params.embedding / fullParams)),
        delta: { ...d, verdict: verdict(d) },
        dims: runs.map((r) => r.allocation.dims),
        decided: runs.map((r) => r.allocation.decided),
        costVsFde: mean(
          runs.map((r) => (r.found.full.runtime.wallSeconds + r.found.probeSeconds) / r.found.full.runtime.wallSeconds),
        ),
      };
    });
  });
  // 3. The main tables' Shrink column against the targets (read, never trained, here).
  const targets: ShrinkTarget[] = [];
  const movielens = await shrinkTargets({
    data: "movielens",
    ds,
    settings: methodsDefaults(scale, "movielens"),
    dir: methodRunsDir("methods-movielens", scale),
  });
  if (movielens) targets.push(...movielens);
  const plantedDir = methodRunsDir("methods-planted", scale);
  if (existsSync(plantedDir) && readdirSync(plantedDir).some((f) => f.includes("-shrink-") && f.endsWith(".json"))) {
    const planted = await datasetByName("planted-large", scale);
    const found = await shrinkTargets(
      { data: "planted-large", ds: planted, settings: methodsDefaults(scale, "planted-large"), dir: plantedDir },
      plantedRanks(planted),
    );
    if (found) targets.push(...found);
  }
  return {
    targets,
    tolerances,
    chosen: pick.tolerance,
    defaultTolerance: SHRINK_TOLERANCE,
    curve,
    fields: ds.data.manifest.fields.map((f) => f.name),
    tuningSeeds: s.tuningSeeds,
    curveSeeds: s.curveSeeds,
    computeSeconds,
  };
}

/** Shrink against issue 31's targets, from the main tables' saved runs (nothing is trained here). */
export interface ShrinkTarget {
  data: "movielens" | "planted-large";
  model: ModelName;
  seeds: number[];
  delta: PairedDifference & { verdict: string };
  saved: number;
  decided: number[];
  fields: number;
  /** Mean Pearson between two seeds' size vectors (NaN when a vector is constant). */
  pearson: number;
  /** Shrink's selection time (full model + probes) over FDE's training of the same seed. */
  costVsFde: number;
  /** Planted data: Spearman(planted rank, size) per seed, and rank-0 fields at the smallest size. */
  spearman?: number[];
  noiseAtSmallest?: { count: number; of: number }[];
}

export async function shrinkTargets(
  which: { data: "movielens" | "planted-large"; ds: Dataset; settings: MethodsSettings; dir: string },
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
  const labels = testLabels(ds);
  const names = ds.data.manifest.fields.map((f) => f.name);
  return perModel.map(({ model, runs }) => {
    const get = (method: string, seed: number) => {
      const r = runs.get(`${model}-${method}-s${seed}`);
      if (!r?.scores)
        throw new AutodimError(`beyond: the ${model} ${method} run of seed ${seed} has no saved test scores`);
      return r;
    };
    const seeds = settings.seeds;
    const draws = new AucDraws(
      labels,
      ["fde", "shrink"].map((m) => ({ key: m, scoresBySeed: seeds.map((s) => get(m, s).scores as Float32Array) })),
      { replicates: settings.bootstrapReplicates, seed: DEFAULT_SEED },
    );
    const d = draws.difference("shrink", "fde");
    const shrunk = seeds.map((s) => get("shrink", s).result);
    const dims = shrunk.map((r) => r.dims.map((x) => x.dim));
    const pairs: number[] = [];
    for (let a = 0; a < dims.length; a++)
      for (let b = a + 1; b < dims.length; b++) {
        const constant = (v: number[]) => v.every((x) => x === v[0]);
        pairs.push(constant(dims[a]) || constant(dims[b]) ? NaN : pearson(dims[a], dims[b]));
      }
    const detail = (r: RetrainResult) => r.selection?.detail as { decided?: number } | undefined;
    const smallest = settings.candidates[0];
    return {
      data: which.data,
      model,
      seeds,
      delta: { ...d, verdict: verdict(d) },
      saved: mean(seeds.map((s, i) => 1 - shrunk[i].params.embedding / get("fde", s).result.params.embedding)),
      decided: shrunk.map((r) => detail(r)?.decided ?? NaN),
      fields: names.length,
      pearson: mean(pairs),
      costVsFde: mean(
        seeds.map((s, i) => (shrunk[i].selection?.seconds ?? NaN) / get("fde", s).result.runtime.wallSeconds),
      ),
      ...(ranks && ranks.size
        ? {
            spearman: dims.map((v) =>
              spearman(
                names.map((n) => ranks.get(n) ?? NaN),
                v,
              ),
            ),
            noiseAtSmallest: dims.map((v) => ({
              count: names.filter((n, m) => ranks.get(n) === 0 && v[m] === smallest).length,
              of: names.filter((n) => ranks.get(n) === 0).length,
            })),
          }
        : {}),
    };
  });
}
