// Experiments 2 and 3 — the main table and the efficiency study: every method of the paper on
// every base model (FM, W&D, DeepFM) and seed, re-trained and tested through the one training
// path. Each (model, method, seed) run is a cell saved under results/<experiment>-<scale>-runs/
// (with its test scores, for the paired intervals) as soon as it finishes, so the runs resume
// after an interruption and can be shared by processes.
//
// This file: the settings and the runs; the table is methods-table.ts's, its figure
// methods-tradeoff.ts's, the efficiency study's methods-efficiency.ts's.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  PAPER_CANDIDATES,
  quickSettings,
  SMOKE_RANDOM_SEARCH,
  type MdeSettings,
  type RandomSearchSettings,
} from "../methods/defaults.js";
import type { RetrainResult } from "../train/result-schema.js";
import { METHODS, PAPER_METHOD_NAMES } from "../methods/registry.js";
import type { MethodSettings } from "../methods/types.js";
import type { ModelName } from "../models/ctr.js";
import { writeFileAtomic } from "../core/files.js";
import { CellRunner, CellsStopped, identityHash } from "./cells.js";
import { rawDataNeeded } from "./data-record.js";
import { type DataName, type Dataset, type Scale } from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import type { RunCounts } from "./frequency.js";
import { RESULTS_DIR } from "./report.js";
import {
  checkpointsFor,
  retrainSettings,
  searchSettings,
  type RetrainSettings,
  type SearchSettings,
} from "./settings.js";

export const MAIN_MODELS: ModelName[] = ["fm", "wd", "deepfm"];
/** The registry's methods, in its (the paper's column) order, AD-1 last. */
export const MAIN_METHODS: string[] = [...PAPER_METHOD_NAMES];

/**
 * The main table's settings: one object, shown and edited in notebook 2, whose defaults
 * (`methodsDefaults`) `autodim reproduce` runs with. A run's identity is its data set plus the
 * settings it trains with, so changing one entry recomputes only the runs it touches.
 */
export interface MethodsSettings {
  /** "scale": the scale's data set (planted synthetic at smoke/quick, Criteo at paper); "movielens": MovieLens-1M. */
  data: DataName;
  /** Base models (the paper's: FM, W&D, DeepFM). */
  models: ModelName[];
  /** Methods of the registry, FDE first (every ΔAUC is against FDE of the same model and seed). */
  methods: string[];
  /** Training seeds: every (model, method) runs once per seed, search and re-train alike. */
  seeds: number[];
  /** Candidate embedding sizes; the largest is FDE's size. */
  candidates: number[];
  /** AutoDim's search (AutoDim-s and AD-1 change only their level / unification). */
  search: Omit<SearchSettings, "candidates" | "oneLevel">;
  /** Final training of every method: epochs (a cap), early-stopping patience, batch, Adam rate. */
  retrain: RetrainSettings;
  /** RaS: random plans tried and the epochs each trains before the best is re-trained. */
  randomSearch: RandomSearchSettings;
  /** MDE: the temperature α of d ∝ p^α. */
  mde: MdeSettings;
  /** Replicates of the paired bootstrap (seeds × test rows) behind each ΔAUC interval. */
  bootstrapReplicates: number;
}

/** The main table's default settings at a scale, on the scale's data or MovieLens. */
export function methodsDefaults(scale: Scale, data: DataName = "scale"): MethodsSettings {
  const { candidates: _c, oneLevel: _o, ...search } = searchSettings(scale);
  const base = quickSettings("fm", DEFAULT_SEED);
  return {
    data,
    models: [...MAIN_MODELS],
    methods: [...MAIN_METHODS],
    // Smoke scale on synthetic sets is the tests' one-seed check; real data always gets three.
    seeds: scale === "smoke" && (data === "scale" || data === "planted-large") ? [1] : [1, 2, 3],
    candidates: [...PAPER_CANDIDATES],
    search,
    retrain: retrainSettings(scale),
    randomSearch: scale === "smoke" ? { ...SMOKE_RANDOM_SEARCH } : { ...base.randomSearch },
    mde: { ...base.mde },
    bootstrapReplicates: scale === "smoke" ? 50 : 1000,
  };
}

/** What one (model, method, seed) run trains with. */
export function methodSettings(settings: MethodsSettings, model: ModelName, seed: number): MethodSettings {
  return {
    model,
    seed,
    candidates: settings.candidates,
    search: settings.search,
    train: settings.retrain,
    randomSearch: settings.randomSearch,
    mde: settings.mde,
  };
}
/** One (model, method, seed) run as the tables need it. */
export interface MethodRow {
  model: ModelName;
  method: string;
  seed: number;
  testAuc: number;
  testLogloss: number;
  /** Embedding parameters (the paper's Params); DPQ/MGQE count codebooks + code bits as floats. */
  params: number;
  /** Params ÷ FDE's Params of the same model and seed − 1. */
  paramsVsFde: number;
  /** Test AUC − FDE's of the same model and seed. */
  aucVsFde: number;
  /** Seconds choosing the sizes (AutoDim's search, RaS's trials, ...; 0 for FDE and DPQ/MGQE). */
  selectionSeconds: number;
  /** Seconds of the final training, evaluation included. */
  trainSeconds: number;
  epochs: number;
  /** Training samples per second of the final training. */
  trainSamplesPerSecond: number;
  /** Milliseconds to score 1,000 test rows. */
  inferenceMsPer1k: number;
  dims: number[];
}

/** A re-trained model's test AUC, Logloss and embedding parameters. */
export function testSummary(r: RetrainResult): { auc: number; logloss: number; params: number } {
  return { auc: r.test.auc, logloss: r.test.logloss, params: r.params.embedding };
}

function selectionSeconds(r: RetrainResult): number {
  return r.plan ? r.plan.runtime.wallSeconds : (r.selection?.seconds ?? 0);
}

function toRow(r: RetrainResult, seed: number, trainRows: number): Omit<MethodRow, "paramsVsFde" | "aucVsFde"> {
  const epochs = r.history.length;
  return {
    model: r.model,
    method: r.method,
    seed,
    testAuc: r.test.auc,
    testLogloss: r.test.logloss,
    params: r.params.embedding,
    selectionSeconds: selectionSeconds(r),
    trainSeconds: r.runtime.wallSeconds,
    epochs,
    trainSamplesPerSecond: (epochs * trainRows) / r.runtime.wallSeconds,
    inferenceMsPer1k: (1000 * r.test.seconds) / (r.test.rows / 1000),
    dims: r.dims.map((d) => d.dim),
  };
}

/** Adds the differences to FDE of the same model and seed. */
export function relativeToFde(rows: Omit<MethodRow, "paramsVsFde" | "aucVsFde">[]): MethodRow[] {
  return rows.map((r) => {
    const fde = rows.find((x) => x.model === r.model && x.seed === r.seed && x.method === "fde");
    return { ...r, paramsVsFde: fde ? r.params / fde.params - 1 : NaN, aucVsFde: fde ? r.testAuc - fde.testAuc : NaN };
  });
}

/** The results folder of a main-table experiment's runs. */
export function methodRunsDir(experiment: string, scale: Scale): string {
  return join(RESULTS_DIR, `${experiment}-${scale}-runs`);
}

/** Key of a run in the maps below. */
export function runKey(model: string, method: string, seed: number): string {
  return `${model}-${method}-s${seed}`;
}

/** A run's test scores beside its cell: probabilities × 65535 as uint16, gzipped (~1e-5 off; used for intervals only). */
export function scoresFile(dir: string, cellKey: string): string {
  return join(dir, `${cellKey}.scores.u16.gz`);
}

/** Test scores beside a cell: probabilities × 65535 as uint16, gzipped (the paired bootstrap reads them). */
export function writeScores(file: string, scores: Float32Array): void {
  const q = new Uint16Array(scores.length);
  for (let i = 0; i < scores.length; i++) q[i] = Math.round(Math.min(1, Math.max(0, scores[i])) * 65535);
  writeFileAtomic(file, gzipSync(Buffer.from(q.buffer, q.byteOffset, q.byteLength)));
}

/** Runs `train`, saving the test scores it reports beside cell `key` in `dir`. */
export async function savingTestScores<T>(
  dir: string,
  key: string,
  train: (onTestScores: (scores: Float32Array) => void) => Promise<T>,
): Promise<T> {
  let scores: Float32Array | undefined;
  const r = await train((p) => (scores = p.slice()));
  if (scores) writeScores(scoresFile(dir, key), scores);
  return r;
}

export function readScores(file: string): Float32Array | undefined {
  if (!existsSync(file)) return undefined;
  const raw = gunzipSync(readFileSync(file));
  const q = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return Float32Array.from(q, (v) => v / 65535);
}

/** Run before the other methods (see `methodResults`). */
const FIRST_METHODS = ["fde", "autodim", "autodim-zeropad"];

/** A run's full result and, when saved, its test scores. */
export interface MethodRun {
  model: ModelName;
  method: string;
  seed: number;
  result: RetrainResult;
  scores?: Float32Array;
}

/**
 * Every (model, method, seed) run of `settings` on `ds`, keyed by `runKey`: loaded from
 * results/<experiment>-<scale>-runs/ when a saved run has the same identity (data + its
 * settings), else computed (in order; processes share the folder) and saved with its test scores;
 * or where `runner`'s "list" / "one" mode stopped.
 */
export async function methodResults(
  ds: Dataset,
  settings: MethodsSettings,
  dir: string,
  runner: CellRunner,
  counts?: RunCounts,
): Promise<Map<string, MethodRun> | CellsStopped> {
  const progress = process.env.AUTODIM_QUIET !== "1";
  // FDE and the AutoDim variants for every seed first, then the baselines seed by seed: a run
  // cut short still has AutoDim vs FDE at full seed count.
  const first = settings.methods.filter((m) => FIRST_METHODS.includes(m));
  const rest = settings.methods.filter((m) => !FIRST_METHODS.includes(m));
  const plan = [first, rest].flatMap((methods) =>
    settings.seeds.flatMap((seed) =>
      settings.models.flatMap((model) => methods.map((method) => ({ model, method, seed }))),
    ),
  );
  const cells = plan.map(({ model, method, seed }) => {
    const s = methodSettings(settings, model, seed);
    const own = METHODS[method].identity?.(s);
    const identity = { data: ds.description, method, settings: s, ...(own === undefined ? {} : { own }) };
    const key = `${runKey(model, method, seed)}-${identityHash(identity)}`;
    return {
      key,
      identity,
      run: async () => {
        let scores: Float32Array | undefined;
        const result = await METHODS[method].run(ds.data, s, {
          progress,
          checkpoint: checkpointsFor(`${ds.name}-${key}`),
          onTestScores: (p) => (scores = p.slice()),
        });
        if (scores) writeScores(scoresFile(dir, key), scores);
        return result;
      },
    };
  });
  const done = await runner.stage(dir, cells, {
    log: progress ? undefined : () => {},
    counts,
    offline: rawDataNeeded(ds),
  });
  if (done instanceof CellsStopped) return done;
  return new Map(
    plan.map((p, i) => [
      runKey(p.model, p.method, p.seed),
      { ...p, result: done.get(cells[i].key) as RetrainResult, scores: readScores(scoresFile(dir, cells[i].key)) },
    ]),
  );
}

/** `methodResults` when every run is saved already, else undefined: nothing is computed. */
export async function savedMethodResults(
  ds: Dataset,
  settings: MethodsSettings,
  dir: string,
): Promise<Map<string, MethodRun> | undefined> {
  const runs = await methodResults(ds, settings, dir, new CellRunner({ kind: "list" }));
  return runs instanceof CellsStopped ? undefined : runs;
}

/** Per-run rows (with differences to FDE of the same model and seed), from `methodResults`. */
export function methodRows(runs: Map<string, MethodRun>, trainRows: number): MethodRow[] {
  return relativeToFde([...runs.values()].map((r) => toRow(r.result, r.seed, trainRows)));
}
