// Why AutoDim fails on MovieLens (issue 27, part 4): experiments that isolate the cause. On the
// real MovieLens subset with W&D (the model where AutoDim is worse than FDE), the search alone —
// no re-train — is repeated over seeds while one thing changes at a time:
//
//   1. search length: the number of α updates (search epochs × training steps / f), ≈ 100 → 9,000;
//      per setting the α margin (p_argmax − p_runner-up, mean over fields), the fields the
//      diagnostics call decided (src/embedding/diagnostics.ts), and whether the seeds agree on
//      the sizes (share of fields where all seeds agree; mean pairwise Pearson of size vectors);
//   2. the gradient's signal: per field the mean and spread of ∂L_val/∂log α over the α steps (the
//      gradients the α optimiser applied, read through `search`'s observer), its t statistic for
//      argmax vs runner-up (the diagnostics' SNR) and the α steps a decision would need; and the
//      SNR the diagnostics would have reported had the search stopped after 25, 50, 100, … steps
//      (a real per-step signal makes it grow as √n; a signal of 0 leaves it O(1) for ever);
//   3. data size: the same search on 25/50/100% of the training rows (a seeded subset; validation
//      and test unchanged, the vocabulary the full split's) at one number of α steps and W steps
//      (epochs scaled by 1/share), so only the number of distinct training rows changes.
//
// Each (setting, seed) search is a cell under results/why-<scale>-runs/.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { search } from "../embedding/autodim.js";
import { argmaxIndex, SearchTrace, signalToNoise, stepsNeeded } from "../embedding/diagnostics.js";
import { PreparedData } from "../data/batches.js";
import type { ShardEntry, Split } from "../data/manifest.js";
import { pearson, spearman } from "../data/metrics.js";
import { PAPER_CANDIDATES } from "../methods/defaults.js";
import type { ModelName } from "../models/ctr.js";
import { backendLabel, initRuntime } from "../runtime/backend.js";
import { randomStream, type RandomStream } from "../runtime/random.js";
import type { CodeVersion } from "../runtime/version.js";
import type { HardwareInfo } from "../runtime/hardware.js";
import { AucDraws } from "./bootstrap.js";
import { identityHash, runCells, type Cell } from "./cells.js";
import { datasetByName, DEFAULT_SEED, plantedRanks, type DataName, type Dataset, type Scale } from "./datasets.js";
import type { Figure } from "./figures.js";
import type { RunCounts } from "./frequency.js";
import { methodRunsDir, methodsDefaults, modelLabel, readScores, testLabels, writeScores } from "./methods.js";
import type { Experiment, ExperimentOutput } from "./registry.js";
import { markdownTable, provenance, RESULTS_DIR } from "./report.js";
import type { RetrainSettings, SearchSettings } from "./settings.js";
import { retrain } from "../train/retrain.js";
import { meanInterval } from "./unification.js";

/** A search length: epochs over the training rows, α updated every `frequency` training steps. */
export interface SearchLength {
  epochs: number;
  frequency: number;
}

export interface WhySettings {
  /** The data set (the real MovieLens subset). */
  data: DataName;
  /** The base model searched with (W&D: where AutoDim loses to FDE on MovieLens). */
  model: ModelName;
  seeds: number[];
  candidates: number[];
  /** The rest of the search: the MovieLens main table's AutoDim (AD-2) search. */
  search: Omit<SearchSettings, "candidates" | "oneLevel" | "epochs" | "frequency">;
  /** 1 — the search lengths, on all training rows, shortest first. */
  lengths: SearchLength[];
  /** 3 — shares of the training rows searched at `dataLength` (1 = the matching `lengths` cells). */
  fractions: number[];
  /** 3 — the length at share 1; at share r the search takes epochs / r epochs (the same steps). */
  dataLength: SearchLength;
  /**
   * ΔAUC vs FDE of the plans of the longest search: each seed's plan re-trained as the main
   * table re-trains (`retrain`), against the main table's FDE runs of the same seed (their saved
   * test scores, results/methods-movielens-<scale>-runs/). Absent: no re-train.
   */
  retrain?: RetrainSettings;
}

/** The defaults `autodim reproduce why` runs: MovieLens, W&D, 3 seeds, the main table's search. */
export function whyDefaults(scale: Scale): WhySettings {
  const m = methodsDefaults(scale, "movielens");
  const { epochs: _e, frequency: _f, ...search } = m.search;
  const smoke = scale === "smoke";
  return {
    data: "movielens",
    model: "wd",
    seeds: [...m.seeds],
    candidates: [...PAPER_CANDIDATES],
    search,
    lengths: smoke
      ? [{ epochs: 1, frequency: 10 }]
      : [
          { epochs: 1, frequency: 8 },
          { epochs: 4, frequency: 10 },
          { epochs: 4, frequency: 3 },
          { epochs: 4, frequency: 1 },
          { epochs: 8, frequency: 1 },
          { epochs: 12, frequency: 1 },
        ],
    fractions: smoke ? [] : [0.25, 0.5, 1],
    dataLength: smoke ? { epochs: 1, frequency: 10 } : { epochs: 4, frequency: 3 },
    ...(smoke ? {} : { retrain: { ...m.retrain } }),
  };
}

/** The two runs of this experiment: MovieLens (the real data) and the 5M-row planted set. */
export type WhyName = "why" | "why-planted";

/**
 * The same search on the 5M-row planted set (Criteo's layout and full vocabularies, planted ranks
 * known): lengths of ≈ 260 → 7,800 α steps over its 4M training rows, and data sizes of 200k,
 * 1.25M and 5M rows (shares 4%, 25%, 100% of the training rows at one number of α and W steps).
 * No re-train: the planted main table (1.2M rows) gives AutoDim's ΔAUC there; here the planted
 * ranks say whether the sizes are right.
 */
export function whyPlantedDefaults(scale: Scale): WhySettings {
  const m = methodsDefaults(scale, "planted-large");
  const { epochs: _e, frequency: _f, ...search } = m.search;
  const smoke = scale === "smoke";
  return {
    data: "planted-xl",
    model: "wd",
    seeds: smoke ? [1, 2] : [1, 2, 3],
    candidates: [...PAPER_CANDIDATES],
    search,
    lengths: smoke
      ? [{ epochs: 1, frequency: 10 }]
      : [
          { epochs: 1, frequency: 30 },
          { epochs: 1, frequency: 10 },
          { epochs: 1, frequency: 3 },
          { epochs: 1, frequency: 1 },
        ],
    fractions: smoke ? [0.5] : [0.04, 0.25, 1],
    dataLength: smoke ? { epochs: 1, frequency: 10 } : { epochs: 1, frequency: 3 },
  };
}

// ───────────────────────── the training rows, subsampled ─────────────────────────

/**
 * A prepared set whose training split is a seeded share of its rows (each shard keeps
 * ⌊rows · share⌋ rows, drawn without replacement and kept in order); validation, test and the
 * vocabulary are the full set's. The subset depends on the share and `seed`, not on the search's seed.
 */
export class SubsampledData extends PreparedData {
  private readonly kept = new Map<string, Int32Array>();
  private readonly original = new Map<string, ShardEntry>();
  private readonly trainShards: ShardEntry[];

  constructor(
    dir: string,
    readonly share: number,
    seed = DEFAULT_SEED,
  ) {
    super(dir);
    if (!(share > 0 && share <= 1)) throw new RangeError(`a share of the training rows in (0, 1], got ${share}`);
    this.trainShards = super.shards("train").map((s, i) => {
      const rows = subsetRows(s.rows, share, randomStream(seed, "split", "why-subsample", share, i));
      this.kept.set(s.ids.file, rows);
      this.original.set(s.ids.file, s);
      return { ...s, rows: rows.length };
    });
  }

  override rows(split: Split): number {
    return split === "train" ? this.trainShards.reduce((a, s) => a + s.rows, 0) : super.rows(split);
  }

  override shards(split: Split): ShardEntry[] {
    return split === "train" ? this.trainShards : super.shards(split);
  }

  override readShard(shard: ShardEntry): { ids: Int32Array; labels: Uint8Array } {
    const rows = shard.split === "train" ? this.kept.get(shard.ids.file) : undefined;
    if (!rows) return super.readShard(shard);
    const whole = super.readShard(this.original.get(shard.ids.file) as ShardEntry);
    const F = this.fieldCount;
    const ids = new Int32Array(rows.length * F);
    const labels = new Uint8Array(rows.length);
    rows.forEach((r, i) => {
      ids.set(whole.ids.subarray(r * F, r * F + F), i * F);
      labels[i] = whole.labels[r];
    });
    return { ids, labels };
  }
}

/** ⌊n · share⌋ distinct row indices of 0…n−1 drawn with `rng`, ascending. */
export function subsetRows(n: number, share: number, rng: RandomStream): Int32Array {
  const k = share >= 1 ? n : Math.floor(n * share);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.subarray(0, k).sort();
}

// ───────────────────────── one search, with its gradient record ─────────────────────────

/** α steps after which the gradient record is read (and the search's last step). */
export const SNAPSHOT_STEPS = [25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800];

export interface WhyField {
  name: string;
  ids: number;
  /** The size the plan chose (α's argmax) and the runner-up. */
  dim: number;
  runnerUp: number | null;
  /** Normalised α (softmax of log α), per candidate. */
  alpha: number[];
  /** p_argmax − p_runner-up. */
  margin: number;
  /** The diagnostics' verdict, SNR and α steps needed. */
  decided: boolean;
  snr: number | null;
  stepsNeeded: number | null;
  stableSince: number;
  /** Per candidate: mean and sd over the α steps of ∂L_val/∂log α_n. */
  gradientMean: number[];
  gradientSd: number[];
  /** d_t = ∂L/∂log α(runner-up) − ∂L/∂log α(argmax): mean and sd per α step (SNR = mean / (sd / √n)). */
  differenceMean: number;
  differenceSd: number;
}

/** Had the search stopped after n α steps: per field the margin and the diagnostics' SNR then. */
export interface WhySnapshot {
  n: number;
  margin: number[];
  snr: (number | null)[];
}

export interface WhyRun {
  seed: number;
  epochs: number;
  frequency: number;
  /** Share of the training rows, and how many that is. */
  share: number;
  trainRows: number;
  steps: number;
  architectureSteps: number;
  decided: number;
  fields: WhyField[];
  snapshots: WhySnapshot[];
  supernetValidationAuc: number;
  runtime: { wallSeconds: number; backend: string; hardware: HardwareInfo; code: CodeVersion; createdAt: string };
}

/** p_argmax − p_runner-up of normalised α (0 with one candidate). */
export function fieldMargin(p: number[]): number {
  if (p.length < 2) return 0;
  const k = argmaxIndex(p);
  let r = -1;
  for (let n = 0; n < p.length; n++) if (n !== k && (r < 0 || p[n] > p[r])) r = n;
  return p[k] - p[r];
}

/** The t statistic of argmax vs runner-up of α (the diagnostics' SNR) from a trace. */
function snrAt(trace: SearchTrace, alpha: number[][]): (number | null)[] {
  return alpha.map((row, f) => {
    const k = argmaxIndex(row);
    let r = -1;
    for (let n = 0; n < row.length; n++) if (n !== k && (r < 0 || row[n] > row[r])) r = n;
    return r < 0 ? null : signalToNoise(trace.difference(f, k, r));
  });
}

/** One search of `config` on `data`, with its gradient record. */
async function whySearch(
  data: PreparedData,
  names: string[],
  model: ModelName,
  seed: number,
  settings: WhySettings,
  length: SearchLength,
  share: number,
): Promise<WhyRun> {
  const started = Date.now();
  const info = await initRuntime();
  const F = names.length;
  const N = settings.candidates.length;
  const uniform = Array.from({ length: F }, () => Array.from({ length: N }, () => 1 / N));
  const trace = new SearchTrace(F, N, uniform);
  const snapshots: WhySnapshot[] = [];
  let last: number[][] = uniform;
  const plan = await search(
    data,
    { ...settings.search, ...length, candidates: settings.candidates, oneLevel: false, model, seed },
    {
      progress: process.env.AUTODIM_QUIET !== "1",
      observeArchitectureStep: (step, gradient, alpha) => {
        trace.observe(step, gradient, alpha);
        last = alpha;
        if (SNAPSHOT_STEPS.includes(trace.steps))
          snapshots.push({ n: trace.steps, margin: alpha.map(fieldMargin), snr: snrAt(trace, alpha) });
      },
    },
  );
  if (snapshots[snapshots.length - 1]?.n !== trace.steps)
    snapshots.push({ n: trace.steps, margin: last.map(fieldMargin), snr: snrAt(trace, last) });
  const state = trace.save();
  const n = state.count;
  const diagnostics = plan.search.diagnostics;
  if (!diagnostics) throw new Error("the search returned no diagnostics");
  const fields = plan.fields.map((pf, f): WhyField => {
    const d = diagnostics.fields[f];
    const gradientMean: number[] = [];
    const gradientSd: number[] = [];
    for (let a = 0; a < N; a++) {
      const s = state.sum[f * N + a];
      const ss = state.cross[(f * N + a) * N + a];
      gradientMean.push(s / n);
      gradientSd.push(n > 1 ? Math.sqrt(Math.max(0, (ss - (s * s) / n) / (n - 1))) : 0);
    }
    const k = argmaxIndex(pf.alpha);
    const r = d.runnerUp === null ? -1 : settings.candidates.indexOf(d.runnerUp);
    const diff = r < 0 ? { mean: 0, sd: 0 } : trace.difference(f, k, r);
    return {
      name: pf.name,
      ids: pf.vocabularySize,
      dim: pf.dim,
      runnerUp: d.runnerUp,
      alpha: pf.alpha,
      margin: fieldMargin(pf.alpha),
      decided: d.decided,
      snr: d.snr,
      stepsNeeded: d.stepsNeeded,
      stableSince: d.stableSince,
      gradientMean,
      gradientSd,
      differenceMean: diff.mean,
      differenceSd: diff.sd,
    };
  });
  return {
    seed,
    epochs: length.epochs,
    frequency: length.frequency,
    share,
    trainRows: data.rows("train"),
    steps: plan.search.steps,
    architectureSteps: plan.search.architectureSteps,
    decided: diagnostics.decided,
    fields,
    snapshots,
    supernetValidationAuc: plan.search.supernetValidation.auc,
    runtime: {
      wallSeconds: (Date.now() - started) / 1000,
      backend: backendLabel(info),
      hardware: plan.runtime.hardware,
      code: plan.runtime.code as CodeVersion,
      createdAt: plan.runtime.createdAt,
    },
  };
}

/** A setting of the grid: its length and share of the training rows. */
export interface WhySetting {
  item: "length" | "data";
  epochs: number;
  frequency: number;
  share: number;
}

/** The grid's settings in the order they run: the lengths (shortest first), then the data shares. */
export function whySettingsGrid(s: WhySettings): WhySetting[] {
  const out: WhySetting[] = s.lengths.map((l) => ({ item: "length" as const, ...l, share: 1 }));
  for (const share of s.fractions) {
    const epochs = Math.round(s.dataLength.epochs / share);
    const same = share === 1 && s.lengths.some((l) => l.epochs === epochs && l.frequency === s.dataLength.frequency);
    if (!same) out.push({ item: "data", epochs, frequency: s.dataLength.frequency, share });
  }
  return out;
}

const settingKey = (x: Pick<WhySetting, "epochs" | "frequency" | "share">) =>
  `e${x.epochs}-f${x.frequency}-r${Math.round(100 * x.share)}`;

/** Every (setting, seed) search, computed or loaded as cells. */
export async function runWhy(
  ds: Dataset,
  settings: WhySettings,
  scale: Scale,
  counts?: RunCounts,
  name: WhyName = "why",
): Promise<Map<string, WhyRun>> {
  const names = ds.data.manifest.fields.map((f) => f.name);
  const grid = whySettingsGrid(settings);
  const cells: Cell<WhyRun>[] = grid.flatMap((g) =>
    settings.seeds.map((seed) => {
      const identity = {
        data: ds.description,
        model: settings.model,
        seed,
        candidates: settings.candidates,
        search: settings.search,
        epochs: g.epochs,
        frequency: g.frequency,
        share: g.share,
      };
      return {
        key: `${settings.model}-${settingKey(g)}-s${seed}-${identityHash(identity)}`,
        identity,
        run: () =>
          whySearch(
            g.share < 1 ? new SubsampledData(ds.data.dir, g.share) : ds.data,
            names,
            settings.model,
            seed,
            settings,
            g,
            g.share,
          ),
      };
    }),
  );
  const values = await runCells(join(RESULTS_DIR, `${name}-${scale}-runs`), cells, { counts });
  return new Map(cells.map((c) => [c.key.replace(/-[0-9a-f]{10}$/, ""), values.get(c.key) as WhyRun]));
}

// ───────────────────────── re-training the longest searches' plans ─────────────────────────

/** The grid's longest search on all rows: the most α steps (epochs / f). */
export function longestLength(s: WhySettings): SearchLength {
  return [...s.lengths].sort((a, b) => b.epochs / b.frequency - a.epochs / a.frequency)[0];
}

/** One seed's plan of the longest search, re-trained and tested. */
export interface WhyRetrain {
  seed: number;
  dims: number[];
  testAuc: number;
  testLogloss: number;
  /** Embedding parameters. */
  params: number;
  epochs: number;
  runtime: { wallSeconds: number; backend: string; hardware: HardwareInfo; code: CodeVersion; createdAt: string };
}

/** The re-trains of the longest searches' plans, one cell per seed, with their test scores. */
async function runRetrains(
  ds: Dataset,
  settings: WhySettings,
  scale: Scale,
  runs: Map<string, WhyRun>,
  counts?: RunCounts,
  name: WhyName = "why",
): Promise<{ seed: number; result: WhyRetrain; scores?: Float32Array }[]> {
  const train = settings.retrain;
  if (!train) return [];
  const dir = join(RESULTS_DIR, `${name}-${scale}-runs`);
  const longest = { ...longestLength(settings), share: 1 };
  const D = settings.candidates[settings.candidates.length - 1];
  const cells: Cell<WhyRetrain>[] = settings.seeds.map((seed) => {
    const searched = runs.get(`${settings.model}-${settingKey(longest)}-s${seed}`);
    if (!searched) throw new Error(`why: no search ${settingKey(longest)} with seed ${seed} to re-train`);
    const dims = searched.fields.map((f) => f.dim);
    const identity = {
      data: ds.description,
      model: settings.model,
      seed,
      dims,
      candidates: settings.candidates,
      train,
    };
    const key = `${settings.model}-retrain-${settingKey(longest)}-s${seed}-${identityHash(identity)}`;
    return {
      key,
      identity,
      run: async () => {
        const started = Date.now();
        const info = await initRuntime();
        let scores: Float32Array | undefined;
        const r = await retrain(
          ds.data,
          { ...train, model: settings.model, dims, projection: settings.search.unify, outputDim: D, seed },
          {
            method: "autodim",
            progress: process.env.AUTODIM_QUIET !== "1",
            onTestScores: (p) => (scores = p.slice()),
          },
        );
        if (scores) writeScores(join(dir, `${key}.scores.u16.gz`), scores);
        return {
          seed,
          dims,
          testAuc: r.test.auc,
          testLogloss: r.test.logloss,
          params: r.params.embedding,
          epochs: r.history.length,
          runtime: {
            wallSeconds: (Date.now() - started) / 1000,
            backend: backendLabel(info),
            hardware: r.runtime.hardware,
            code: r.runtime.code as CodeVersion,
            createdAt: r.runtime.createdAt,
          },
        };
      },
    };
  });
  const values = await runCells(dir, cells, { counts });
  return cells.map((c, i) => ({
    seed: settings.seeds[i],
    result: values.get(c.key) as WhyRetrain,
    scores: readScores(join(dir, `${c.key}.scores.u16.gz`)),
  }));
}

/** A main-table run of the same data and re-train settings: its test AUC, parameters and scores. */
interface MainTableRun {
  architectureSteps: number;
  testAuc: number;
  params: number;
  dims: number[];
  scores?: Float32Array;
}

/** The main table's saved (model, method, seed) run on this data, or undefined. */
function mainTableRun(
  ds: Dataset,
  settings: WhySettings,
  scale: Scale,
  method: string,
  seed: number,
): MainTableRun | undefined {
  const dir = methodRunsDir("methods-movielens", scale);
  if (!existsSync(dir)) return undefined;
  const prefix = `${settings.model}-${method}-s${seed}-`;
  for (const f of readdirSync(dir).filter((x) => x.startsWith(prefix) && /-[0-9a-f]{10}\.json$/.test(x))) {
    const cell = JSON.parse(readFileSync(join(dir, f), "utf8")) as {
      identity: { data: string; settings: { train: RetrainSettings } };
      value: {
        test: { auc: number };
        params: { embedding: number };
        dims: { dim: number }[];
        plan?: { search: { architectureSteps: number } };
      };
    };
    if (cell.identity.data !== ds.description) continue;
    if (JSON.stringify(cell.identity.settings.train) !== JSON.stringify(settings.retrain)) continue;
    return {
      architectureSteps: cell.value.plan?.search.architectureSteps ?? NaN,
      testAuc: cell.value.test.auc,
      params: cell.value.params.embedding,
      dims: cell.value.dims.map((d) => d.dim),
      scores: readScores(join(dir, f.replace(/\.json$/, ".scores.u16.gz"))),
    };
  }
  return undefined;
}

/** ΔAUC vs FDE (paired bootstrap over seeds and test rows) of a plan, mean over seeds. */
export interface WhyDelta {
  label: string;
  /** α steps of the search the plans come from. */
  architectureSteps: number;
  aucs: number[];
  fdeAucs: number[];
  delta: number;
  low: number;
  high: number;
  /** 1 − params / FDE's params, mean over seeds. */
  saved: number;
}

export interface WhyAuc {
  longest: WhyDelta;
  /** The main table's AutoDim (its 4-epoch, f = 10 search), on the same bootstrap draws. */
  mainTable?: WhyDelta;
  retrains: WhyRetrain[];
  replicates: number;
}

function aucVsFde(
  ds: Dataset,
  settings: WhySettings,
  scale: Scale,
  retrained: { seed: number; result: WhyRetrain; scores?: Float32Array }[],
  longestSteps: number,
): WhyAuc | undefined {
  if (retrained.length === 0) return undefined;
  const fde = settings.seeds.map((seed) => mainTableRun(ds, settings, scale, "fde", seed));
  const main = settings.seeds.map((seed) => mainTableRun(ds, settings, scale, "autodim", seed));
  if (fde.some((x) => !x?.scores) || retrained.some((x) => !x.scores)) return undefined;
  const replicates = 1000;
  const withMain = main.every((x) => x?.scores);
  const draws = new AucDraws(
    testLabels(ds),
    [
      { key: "fde", scoresBySeed: fde.map((x) => x?.scores as Float32Array) },
      { key: "longest", scoresBySeed: retrained.map((x) => x.scores as Float32Array) },
      ...(withMain ? [{ key: "main", scoresBySeed: main.map((x) => x?.scores as Float32Array) }] : []),
    ],
    { replicates, seed: DEFAULT_SEED },
  );
  const fdeParams = fde.map((x) => x?.params as number);
  const delta = (key: string, label: string, params: number[], steps: number): WhyDelta => {
    const d = draws.difference(key, "fde");
    const k = draws.keys.indexOf(key);
    return {
      label,
      architectureSteps: steps,
      aucs: draws.point[k],
      fdeAucs: draws.point[0],
      delta: d.delta,
      low: d.low,
      high: d.high,
      saved: mean(params.map((p, i) => 1 - p / fdeParams[i])),
    };
  };
  const l = longestLength(settings);
  return {
    longest: delta(
      "longest",
      `the longest search (${l.epochs} epochs, f = ${l.frequency})`,
      retrained.map((x) => x.result.params),
      longestSteps,
    ),
    ...(withMain
      ? {
          mainTable: delta(
            "main",
            "the main table's AutoDim (4 epochs, f = 10)",
            main.map((x) => x?.params as number),
            mean(main.map((x) => x?.architectureSteps as number)),
          ),
        }
      : {}),
    retrains: retrained.map((x) => x.result),
    replicates,
  };
}

// ───────────────────────── the null: Adam on gradients of pure noise ─────────────────────────

/** What the search's statistics look like when the α gradient carries no signal at all. */
export interface NoiseNull {
  /** Mean over simulated fields of p(argmax) − p(runner-up) after n steps. */
  margin: number;
  /** Median of the diagnostics' SNR (argmax vs runner-up). */
  snr: number;
  /** Share of fields the decided rule would accept (SNR ≥ 2, margin ≥ 0.1/N, argmax stable over the last half). */
  decided: number;
}

/**
 * α trained by Adam (the search's: β1 0.9, β2 0.999, ε 1e-8, learning rate `lr`) on `n` steps of
 * gradients with mean 0 — i.i.d. normal per candidate, centred over the candidates as a softmax's
 * gradient in log α is — for `fields` simulated fields of N candidates: the margin, SNR and
 * decided share a search reaches on noise alone. Adam normalises each coordinate, so the noise's
 * scale does not matter; its momentum makes α drift as a random walk whose steps are ≈ lr.
 */
export function adamNoiseNull(n: number, N: number, lr: number, fields = 400, seed = DEFAULT_SEED): NoiseNull {
  const rng = randomStream(seed, "bench", "why-null", n, N, lr);
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  const margins: number[] = [];
  const snrs: number[] = [];
  let decided = 0;
  const g = new Float64Array(N);
  for (let f = 0; f < fields; f++) {
    const x = new Float64Array(N);
    const m = new Float64Array(N);
    const v = new Float64Array(N);
    const sum = new Float64Array(N);
    const cross = new Float64Array(N * N);
    let argmax = 0;
    let stableSince = 0;
    for (let t = 1; t <= n; t++) {
      let mean = 0;
      for (let a = 0; a < N; a++) {
        g[a] = rng.normal();
        mean += g[a] / N;
      }
      for (let a = 0; a < N; a++) {
        g[a] -= mean;
        sum[a] += g[a];
        for (let c = 0; c < N; c++) cross[a * N + c] += g[a] * g[c];
        m[a] = b1 * m[a] + (1 - b1) * g[a];
        v[a] = b2 * v[a] + (1 - b2) * g[a] * g[a];
        x[a] -= (lr * (m[a] / (1 - b1 ** t))) / (Math.sqrt(v[a] / (1 - b2 ** t)) + eps);
      }
      const k = argmaxIndex(x);
      if (k !== argmax) {
        argmax = k;
        stableSince = t;
      }
    }
    const max = Math.max(...x);
    const e = Array.from(x, (z) => Math.exp(z - max));
    const total = e.reduce((a, z) => a + z, 0);
    const p = e.map((z) => z / total);
    const margin = fieldMargin(p);
    const k = argmaxIndex(p);
    let r = -1;
    for (let a = 0; a < N; a++) if (a !== k && (r < 0 || p[a] > p[r])) r = a;
    const dSum = sum[r] - sum[k];
    const dSquares = cross[r * N + r] - 2 * cross[k * N + r] + cross[k * N + k];
    const dMean = dSum / n;
    const sd = Math.sqrt(Math.max(0, (dSquares - dSum * dMean) / (n - 1)));
    const snr = sd > 0 ? dMean / (sd / Math.sqrt(n)) : NaN;
    margins.push(margin);
    snrs.push(snr);
    if (n >= 50 && snr >= 2 && margin >= 0.1 / N && stableSince <= n / 2) decided++;
  }
  return { margin: mean(margins), snr: median(snrs), decided: decided / fields };
}

// ───────────────────────── summaries ─────────────────────────

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Median of the finite values (NaN if none). */
export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The upper median (the ⌊n/2⌋-th of the sorted values): for ordinal values such as steps needed,
 * where "never" (NEVER) must not be averaged with a finite count.
 */
export function upperMedian(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[s.length >> 1];
}

/** Steps needed of a field whose gradient favours its runner-up (never), as a number medians can order. */
export const NEVER = 1e12;

/** dims[s][f]: the share of fields f where every seed chose the same size. */
export function allSeedsAgree(dims: number[][]): number {
  const F = dims[0].length;
  let same = 0;
  for (let f = 0; f < F; f++) if (dims.every((d) => d[f] === dims[0][f])) same++;
  return same / F;
}

/**
 * The mean Pearson correlation over pairs of seeds of their size vectors; pairs where a seed's
 * sizes are all equal (no correlation defined) are left out, NaN if every pair is.
 */
export function meanPairwisePearson(dims: number[][]): number {
  const rs: number[] = [];
  for (let a = 0; a < dims.length; a++)
    for (let b = a + 1; b < dims.length; b++) {
      const r = pearson(dims[a], dims[b]);
      if (Number.isFinite(r)) rs.push(r);
    }
  return rs.length ? mean(rs) : NaN;
}

/**
 * The share of fields on which all seeds would agree by chance, were each seed's sizes drawn
 * independently from that seed's own mix of sizes: Σ_d Π_s share_s(d).
 */
export function chanceAgreement(dims: number[][]): number {
  const sizes = [...new Set(dims.flat())];
  return sizes.reduce(
    (acc, d) => acc + dims.reduce((p, row) => p * (row.filter((x) => x === d).length / row.length), 1),
    0,
  );
}

/** A percentile bootstrap 95% interval of `stat` over fields (columns of dims resampled with replacement). */
export function fieldBootstrap(
  dims: number[][],
  stat: (dims: number[][]) => number,
  replicates = 2000,
  seed = DEFAULT_SEED,
): { low: number; high: number } {
  const rng = randomStream(seed, "bootstrap", "why-fields");
  const F = dims[0].length;
  const values: number[] = [];
  for (let b = 0; b < replicates; b++) {
    const pick = Array.from({ length: F }, () => rng.int(F));
    const v = stat(dims.map((row) => pick.map((f) => row[f])));
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((x, y) => x - y);
  if (values.length === 0) return { low: NaN, high: NaN };
  const q = (p: number) => values[Math.min(values.length - 1, Math.max(0, Math.floor(p * values.length)))];
  return { low: q(0.025), high: q(0.975) };
}

/** Mean over seeds with its 95% t-interval. */
export interface Interval {
  mean: number;
  half: number;
}
const interval = (xs: number[]): Interval => {
  const m = meanInterval(xs);
  return { mean: m.mean, half: m.half };
};

/** Fields that at least two seeds decided (the diagnostics' rule) on different sizes. */
export function contradictedFields(runs: Pick<WhyRun, "fields">[]): number {
  let n = 0;
  for (let f = 0; f < runs[0].fields.length; f++) {
    const sizes = new Set(runs.filter((r) => r.fields[f].decided).map((r) => r.fields[f].dim));
    if (sizes.size >= 2) n++;
  }
  return n;
}

/** One setting over its seeds. */
export interface WhyRow {
  item: "length" | "data";
  epochs: number;
  frequency: number;
  share: number;
  trainRows: number;
  seeds: number;
  /** α steps (mean over seeds; equal unless the share changes the steps per epoch). */
  architectureSteps: number;
  steps: number;
  /** Mean over fields of p_argmax − p_runner-up, per seed → mean ± 95% t-interval. */
  margin: Interval;
  /** The largest normalised α of any field. */
  maxAlpha: Interval;
  /** Fields decided by the diagnostics' rule (of `fields`). */
  decided: Interval;
  fields: number;
  /** Share of fields where all seeds agree, its field-bootstrap interval, and chance level. */
  agreement: number;
  agreementLow: number;
  agreementHigh: number;
  chance: number;
  /** Mean pairwise Pearson of the seeds' size vectors, with its field-bootstrap interval. */
  pearson: number;
  pearsonLow: number;
  pearsonHigh: number;
  /** Median over fields × seeds of the SNR and of the α steps a decision would need (null counted as ∞). */
  snrMedian: number;
  stepsNeededMedian: number;
  /** Fields × seeds whose gradient favours the runner-up or is 0 (steps needed: none). */
  neverDecides: number;
  supernetValidationAuc: Interval;
  /** Mean wall seconds of one search. */
  searchSeconds: number;
  /** The same statistics for α trained by Adam on pure noise for as many steps (`adamNoiseNull`). */
  noise?: NoiseNull;
  /**
   * Mean over fields of the mean pairwise Pearson between seeds of the per-candidate mean gradient
   * (`WhyFieldSignal.gradientAgreement`): do the seeds' gradients rank the candidates alike?
   */
  gradientAgreement: number;
  /** Fields that at least two seeds decided (the diagnostics' rule) on different sizes. */
  contradicted: number;
  /**
   * Planted data only: Spearman(planted rank, size) per seed → mean ± 95% t; the share of the
   * noise fields (rank 0) × seeds given the smallest size.
   */
  planted?: { spearman: Interval; noiseAtSmallest: number; noiseFields: number };
}

/** Spearman(planted rank, size) per seed and the noise fields at the smallest candidate. */
export function plantedAgreement(
  runs: WhyRun[],
  ranks: Map<string, number>,
  smallest: number,
): WhyRow["planted"] | undefined {
  if (ranks.size === 0 || runs.length === 0) return undefined;
  const fields = runs[0].fields.map((f) => f.name);
  const missing = fields.filter((f) => !ranks.has(f));
  if (missing.length > 0) throw new Error(`why: no planted rank for field(s) ${missing.join(", ")}`);
  const r = fields.map((f) => ranks.get(f) as number);
  const noise = fields.flatMap((_, i) => (r[i] === 0 ? [i] : []));
  return {
    spearman: interval(
      runs.map((run) =>
        spearman(
          r,
          run.fields.map((f) => f.dim),
        ),
      ),
    ),
    noiseAtSmallest:
      noise.length === 0
        ? NaN
        : runs.reduce((a, run) => a + noise.filter((i) => run.fields[i].dim === smallest).length, 0) /
          (noise.length * runs.length),
    noiseFields: noise.length,
  };
}

export function summarizeSetting(
  runs: WhyRun[],
  item: "length" | "data",
  ranks: Map<string, number> = new Map(),
  smallest = PAPER_CANDIDATES[0],
): WhyRow {
  const dims = runs.map((r) => r.fields.map((f) => f.dim));
  const planted = plantedAgreement(runs, ranks, smallest);
  const agree = fieldBootstrap(dims, allSeedsAgree);
  const corr = fieldBootstrap(dims, meanPairwisePearson);
  const all = runs.flatMap((r) => r.fields);
  return {
    item,
    epochs: runs[0].epochs,
    frequency: runs[0].frequency,
    share: runs[0].share,
    trainRows: runs[0].trainRows,
    seeds: runs.length,
    architectureSteps: mean(runs.map((r) => r.architectureSteps)),
    steps: mean(runs.map((r) => r.steps)),
    margin: interval(runs.map((r) => mean(r.fields.map((f) => f.margin)))),
    maxAlpha: interval(runs.map((r) => Math.max(...r.fields.flatMap((f) => f.alpha)))),
    decided: interval(runs.map((r) => r.decided)),
    fields: runs[0].fields.length,
    agreement: allSeedsAgree(dims),
    agreementLow: agree.low,
    agreementHigh: agree.high,
    chance: chanceAgreement(dims),
    pearson: meanPairwisePearson(dims),
    pearsonLow: corr.low,
    pearsonHigh: corr.high,
    snrMedian: median(all.map((f) => f.snr ?? NaN)),
    stepsNeededMedian: upperMedian(all.map((f) => f.stepsNeeded ?? NEVER)),
    neverDecides: all.filter((f) => f.stepsNeeded === null).length,
    supernetValidationAuc: interval(runs.map((r) => r.supernetValidationAuc)),
    searchSeconds: mean(runs.map((r) => r.runtime.wallSeconds)),
    contradicted: contradictedFields(runs),
    gradientAgreement: mean(
      fieldSignals(
        runs,
        runs[0].fields[0].alpha.map((_, n) => n),
      )
        .map((f) => f.gradientAgreement)
        .filter((x) => Number.isFinite(x)),
    ),
    ...(planted ? { planted } : {}),
  };
}

/** Per field, over the seeds of one setting: the gradient's signal. */
export interface WhyFieldSignal {
  field: string;
  ids: number;
  sizes: number[];
  margin: Interval;
  /** Per seed: the SNR (null: undefined) and the α steps needed (null: never). */
  snr: (number | null)[];
  stepsNeeded: (number | null)[];
  decided: number;
  /** Per seed: |mean d| / sd(d), the per-step effect size (SNR / √n). */
  effect: number[];
  /** Per candidate: the mean ∂L/∂log α over all seeds' steps, and its sd per step (mean over seeds). */
  gradientMean: number[];
  gradientSd: number[];
  /**
   * Mean pairwise Pearson between seeds of the mean gradient over candidates: ≈ 1 when the mean
   * gradient ranks the candidates the same way for every seed (a property of the data), ≈ 0 when
   * each seed's mean is its own.
   */
  gradientAgreement: number;
  /**
   * Pooled over seeds (each seed's mean gradient an independent estimate): the candidate the
   * mean gradient favours most and the t statistic of its lead over the next, from the seeds'
   * per-step means and sds; and the α steps per seed that t would need to reach 2.
   */
  pooledBest: number;
  pooledSnr: number;
  pooledStepsNeeded: number | null;
}

export function fieldSignals(runs: WhyRun[], candidates: number[]): WhyFieldSignal[] {
  return runs[0].fields.map((f0, f) => {
    const fs = runs.map((r) => r.fields[f]);
    const N = candidates.length;
    const gradientMean = candidates.map((_, a) => mean(fs.map((x) => x.gradientMean[a])));
    const gradientSd = candidates.map((_, a) => mean(fs.map((x) => x.gradientSd[a])));
    // The loss falls fastest for the candidate with the most negative ∂L/∂log α.
    const order = [...Array(N).keys()].sort((a, b) => gradientMean[a] - gradientMean[b]);
    const [best, next] = order;
    const n = mean(runs.map((r) => r.architectureSteps));
    // d = g(next) − g(best) per step; its sd per step bounded by the candidates' sds (independence assumed).
    const dMean = gradientMean[next] - gradientMean[best];
    const dSd = Math.sqrt(gradientSd[next] ** 2 + gradientSd[best] ** 2);
    const pooledSnr = dSd > 0 ? dMean / (dSd / Math.sqrt(n * runs.length)) : NaN;
    const corr = (() => {
      const rs: number[] = [];
      for (let a = 0; a < fs.length; a++)
        for (let b = a + 1; b < fs.length; b++) {
          const r = pearson(fs[a].gradientMean, fs[b].gradientMean);
          if (Number.isFinite(r)) rs.push(r);
        }
      return rs.length ? mean(rs) : NaN;
    })();
    return {
      field: f0.name,
      ids: f0.ids,
      sizes: fs.map((x) => x.dim),
      margin: interval(fs.map((x) => x.margin)),
      snr: fs.map((x) => x.snr),
      stepsNeeded: fs.map((x) => x.stepsNeeded),
      decided: fs.filter((x) => x.decided).length,
      effect: fs.map((x) => (x.differenceSd > 0 ? x.differenceMean / x.differenceSd : NaN)),
      gradientMean,
      gradientSd,
      gradientAgreement: corr,
      pooledBest: candidates[best],
      pooledSnr,
      pooledStepsNeeded: stepsNeeded(pooledSnr, n * runs.length),
    };
  });
}

export interface WhyResult {
  settings: WhySettings;
  rows: WhyRow[];
  /** The gradient's signal per field at the longest search on all rows. */
  signal: WhyFieldSignal[];
  signalSetting: { epochs: number; frequency: number; architectureSteps: number };
  /**
   * The longest searches read after n = 25, 50, 100, … α steps: medians over fields × seeds of
   * the SNR the diagnostics would have reported then, of the α steps a decision would need
   * (n · (2 / SNR)², a field favouring its runner-up counted as never), and of the margin. A real
   * per-step signal makes the SNR grow as √n and the steps needed settle; none leaves the SNR
   * O(1) and the steps needed growing with n.
   */
  growth: { n: number; snr: number; stepsNeeded: number; margin: number }[];
  /** Every run, small enough to keep (the cells hold the same). */
  runs: (WhyRun & { key: string })[];
  computeSeconds: number;
  /** Training rows of the full split, and the projection to Criteo (see `criteoProjection`). */
  projection: CriteoProjection;
  /** ΔAUC vs FDE of the longest searches' plans (absent: not re-trained, or FDE's runs not saved). */
  auc?: WhyAuc;
}

/**
 * What the signal predicts for the paper's Criteo search, on the assumption that the per-α-step
 * noise of the gradient difference scales as 1/√batch and the per-step signal (its mean) is the
 * same as here: SNR ∝ √(α steps × batch rows). The paper's search: one epoch over 36.7M training
 * rows (80% of 45.8M), batch 2000, α every 10 steps.
 */
export interface CriteoProjection {
  criteoAlphaSteps: number;
  criteoBatch: number;
  /** α steps × batch rows here (the longest search) and on Criteo; their ratio. */
  hereRowsSeen: number;
  criteoRowsSeen: number;
  factor: number;
  /** Median SNR here at the longest search, and that × √factor. */
  snrHere: number;
  snrCriteo: number;
  /** Fields × seeds here whose steps needed (scaled to Criteo's batch) is within Criteo's α steps. */
  decidableShare: number;
  /**
   * Fields whose signal shared by the seeds (`WhyFieldSignal.pooledStepsNeeded`, scaled to
   * Criteo's batch) would reach t = 2 within Criteo's α steps: what a search could decide from the
   * data rather than from its own feedback.
   */
  sharedDecidable: number;
  fields: number;
}

export const CRITEO_TRAIN_ROWS = Math.round(0.8 * 45_840_617);

export function criteoProjection(runs: WhyRun[], batch: number, signal: WhyFieldSignal[]): CriteoProjection {
  const criteoBatch = 2000;
  const criteoAlphaSteps = Math.ceil(CRITEO_TRAIN_ROWS / criteoBatch / 10);
  const n = mean(runs.map((r) => r.architectureSteps));
  const hereRowsSeen = n * batch;
  const criteoRowsSeen = criteoAlphaSteps * criteoBatch;
  const factor = criteoRowsSeen / hereRowsSeen;
  const all = runs.flatMap((r) => r.fields);
  const snrHere = median(all.map((f) => f.snr ?? NaN));
  // steps needed at batch b' = steps needed at b × b / b'.
  const decidable = all.filter(
    (f) => f.stepsNeeded !== null && (f.stepsNeeded * batch) / criteoBatch <= criteoAlphaSteps,
  );
  return {
    criteoAlphaSteps,
    criteoBatch,
    hereRowsSeen,
    criteoRowsSeen,
    factor,
    snrHere,
    snrCriteo: snrHere * Math.sqrt(factor),
    decidableShare: decidable.length / all.length,
    sharedDecidable: signal.filter(
      (f) => f.pooledStepsNeeded !== null && (f.pooledStepsNeeded * batch) / criteoBatch <= criteoAlphaSteps,
    ).length,
    fields: signal.length,
  };
}

// ───────────────────────── figures ─────────────────────────

const axis = (title: string, extra: Record<string, unknown> = {}) => ({ title: { text: title }, ...extra });

/** Three stacked panels against one x axis. */
function stacked(
  x: number[],
  xTitle: string,
  xType: "log" | "linear",
  panels: { title: string; traces: Record<string, unknown>[]; range?: number[] }[],
  title: string,
): Figure {
  const h = 1 / panels.length;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: title },
    height: 860,
    margin: { t: 90, l: 80, b: 190 },
    legend: { orientation: "h", y: -0.1 },
    xaxis: axis(xTitle, { type: xType, tickvals: x, anchor: `y${panels.length === 1 ? "" : panels.length}` }),
  };
  panels.forEach((p, i) => {
    const y = i === 0 ? "y" : `y${i + 1}`;
    for (const t of p.traces) data.push({ ...t, xaxis: "x", yaxis: y });
    layout[i === 0 ? "yaxis" : `yaxis${i + 1}`] = axis(p.title, {
      domain: [1 - (i + 1) * h + 0.04, 1 - i * h - 0.02],
      ...(p.range ? { range: p.range } : {}),
    });
  });
  // The x axis sits under the last panel.
  (layout.xaxis as Record<string, unknown>).anchor = panels.length === 1 ? "y" : `y${panels.length}`;
  return { data, layout };
}

const withError = (name: string, x: number[], ys: Interval[], color: string) => ({
  type: "scatter",
  mode: "lines+markers",
  name,
  x,
  y: ys.map((v) => v.mean),
  error_y: { type: "data", array: ys.map((v) => (Number.isFinite(v.half) ? v.half : 0)), visible: true },
  line: { color },
  marker: { color },
});

const withBand = (name: string, x: number[], y: number[], low: number[], high: number[], color: string) => ({
  type: "scatter",
  mode: "lines+markers",
  name,
  x,
  y,
  error_y: {
    type: "data",
    symmetric: false,
    array: high.map((h, i) => (Number.isFinite(h) ? h - y[i] : 0)),
    arrayminus: low.map((l, i) => (Number.isFinite(l) ? y[i] - l : 0)),
    visible: true,
  },
  line: { color },
  marker: { color },
});

/** Planted data: Spearman(planted rank, size) and the noise fields at the smallest size. */
function plantedPanel(rows: WhyRow[], x: number[]) {
  return {
    title: "planted ranks",
    range: [-1, 1],
    traces: [
      withError(
        "Spearman(planted rank, size) (95% t over seeds)",
        x,
        rows.map((y) => y.planted?.spearman ?? { mean: NaN, half: NaN }),
        "#8c564b",
      ),
      {
        type: "scatter",
        mode: "lines+markers",
        name: "share of noise fields at the smallest size",
        x,
        y: rows.map((y) => y.planted?.noiseAtSmallest ?? NaN),
        line: { color: "#7f7f7f", dash: "dash" },
      },
    ],
  };
}

export function whyFigures(r: WhyResult, caption: string): Record<string, Figure> {
  const sub = caption ? `<br><sub>${caption}</sub>` : "";
  const figures: Record<string, Figure> = {};
  const lengthRows = r.rows.filter((x) => x.share === 1 && x.item === "length");
  const F = r.rows[0]?.fields ?? 8;
  if (lengthRows.length > 0) {
    const x = lengthRows.map((x) => Math.round(x.architectureSteps));
    figures["search-length"] = stacked(
      x,
      "α steps (search epochs × steps per epoch / f; log scale)",
      "log",
      [
        {
          title: "α margin",
          traces: [
            withError(
              "margin (mean over fields; 95% t over seeds)",
              x,
              lengthRows.map((y) => y.margin),
              "#1f77b4",
            ),
            {
              type: "scatter",
              mode: "lines",
              name: "margin Adam reaches on pure-noise gradients (simulated)",
              x,
              y: lengthRows.map((y) => y.noise?.margin ?? NaN),
              line: { color: "#1f77b4", dash: "dot" },
            },
          ],
        },
        {
          title: `decided (of ${F})`,
          traces: [
            withError(
              "decided (diagnostics' rule)",
              x,
              lengthRows.map((y) => y.decided),
              "#2ca02c",
            ),
            {
              type: "scatter",
              mode: "lines",
              name: "decided on pure noise (simulated)",
              x,
              y: lengthRows.map((y) => (y.noise?.decided ?? NaN) * F),
              line: { color: "#2ca02c", dash: "dot" },
            },
          ],
          range: [-0.3, F + 0.3],
        },
        {
          title: "seed agreement",
          range: [-1, 1],
          traces: [
            withBand(
              "share of fields all seeds agree on (95% bootstrap over fields)",
              x,
              lengthRows.map((y) => y.agreement),
              lengthRows.map((y) => y.agreementLow),
              lengthRows.map((y) => y.agreementHigh),
              "#d62728",
            ),
            {
              type: "scatter",
              mode: "lines",
              name: "chance agreement",
              x,
              y: lengthRows.map((y) => y.chance),
              line: { color: "#d62728", dash: "dot" },
            },
            withBand(
              "mean Pearson of size vectors",
              x,
              lengthRows.map((y) => y.pearson),
              lengthRows.map((y) => y.pearsonLow),
              lengthRows.map((y) => y.pearsonHigh),
              "#9467bd",
            ),
          ],
        },
        ...(lengthRows.some((y) => y.planted) ? [plantedPanel(lengthRows, x)] : []),
      ],
      `AutoDim search length vs α's separation and seed agreement (${modelLabel(r.settings.model)})${sub}`,
    );
  }
  // 2 — the gradient's signal.
  const s = r.signal;
  if (s.length > 0) {
    const seeds = r.settings.seeds;
    const colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];
    const snrTraces = seeds.map((seed, i) => ({
      type: "scatter",
      mode: "markers",
      name: `seed ${seed}: SNR (argmax vs runner-up)`,
      x: s.map((f) => f.field),
      y: s.map((f) => f.snr[i]),
      marker: { color: colors[i % colors.length], size: 9 },
      xaxis: "x",
      yaxis: "y",
    }));
    const pooled = {
      type: "bar",
      name: "pooled over seeds: best vs next candidate of the mean gradient (t)",
      x: s.map((f) => f.field),
      y: s.map((f) => f.pooledSnr),
      marker: { color: "rgba(127,127,127,0.35)" },
      xaxis: "x",
      yaxis: "y",
    };
    const threshold = {
      type: "scatter",
      mode: "lines",
      name: "SNR 2 (the rule)",
      x: s.map((f) => f.field),
      y: s.map(() => 2),
      line: { color: "black", dash: "dash" },
      xaxis: "x",
      yaxis: "y",
    };
    const all = r.runs.filter((x) => x.share === 1);
    const cap = 1e7;
    const needed = all.flatMap((run) => run.fields.map((f) => ({ run, f })));
    const lengths = [...new Set(all.map((x) => x.architectureSteps))].sort((a, b) => a - b);
    const scatter = {
      type: "scatter",
      mode: "markers",
      name: `steps needed per field and seed (triangles at the top: never, the gradient favours the runner-up)`,
      x: needed.map(({ run }) => run.architectureSteps * (1 + 0.06 * (seeds.indexOf(run.seed) - 1))),
      y: needed.map(({ f }) => Math.min(cap, f.stepsNeeded ?? cap)),
      text: needed.map(({ run, f }) => `${f.name}, seed ${run.seed}`),
      marker: {
        symbol: needed.map(({ f }) => (f.stepsNeeded === null ? "triangle-up" : "circle")),
        color: needed.map(({ f }) => (f.decided ? "#2ca02c" : "#7f7f7f")),
        size: 7,
        opacity: 0.7,
      },
      hovertemplate: "%{text}: %{y} steps needed after %{x} taken<extra></extra>",
      xaxis: "x2",
      yaxis: "y2",
    };
    const medians = {
      type: "scatter",
      mode: "lines+markers",
      name: "median steps needed",
      x: lengths,
      y: lengths.map((n) =>
        Math.min(
          cap,
          upperMedian(
            all.filter((x) => x.architectureSteps === n).flatMap((x) => x.fields.map((f) => f.stepsNeeded ?? NEVER)),
          ),
        ),
      ),
      line: { color: "#ff7f0e" },
      xaxis: "x2",
      yaxis: "y2",
    };
    const diagonal = {
      type: "scatter",
      mode: "lines",
      name: "steps needed = steps taken",
      x: [lengths[0] / 2, lengths[lengths.length - 1] * 2],
      y: [lengths[0] / 2, lengths[lengths.length - 1] * 2],
      line: { color: "black", dash: "dash" },
      xaxis: "x2",
      yaxis: "y2",
    };
    const early = {
      type: "scatter",
      mode: "lines",
      name: "median steps needed, had the longest searches stopped after n",
      x: r.growth.map((g) => g.n),
      y: r.growth.map((g) => Math.min(cap, g.stepsNeeded)),
      line: { color: "#1f77b4", dash: "dot" },
      xaxis: "x2",
      yaxis: "y2",
    };
    figures["gradient-signal"] = {
      data: [pooled, ...snrTraces, threshold, scatter, medians, early, diagonal],
      layout: {
        title: {
          text: `The α gradient's signal: SNR per field after ${Math.round(r.signalSetting.architectureSteps)} α steps (top);<br>α steps a decision would need vs steps taken (bottom; green: decided)${sub}`,
        },
        height: 900,
        margin: { t: 110, l: 80, b: 230 },
        legend: { orientation: "h", y: -0.12 },
        xaxis: { anchor: "y", domain: [0, 1] },
        yaxis: axis("SNR = mean(d) / (sd(d)/√n)", { domain: [0.58, 1] }),
        xaxis2: axis("α steps taken (log; seeds offset)", { type: "log", anchor: "y2", domain: [0, 1] }),
        yaxis2: axis("α steps needed (log)", { type: "log", domain: [0, 0.44] }),
      },
    };
  }
  // 3 — data size.
  const dataRows = r.rows
    .filter((x) => x.frequency === r.settings.dataLength.frequency && x.item !== "length")
    .concat(
      r.rows.filter(
        (x) =>
          x.item === "length" &&
          x.share === 1 &&
          x.epochs === r.settings.dataLength.epochs &&
          x.frequency === r.settings.dataLength.frequency,
      ),
    )
    .sort((a, b) => a.share - b.share);
  if (dataRows.length > 1) {
    const x = dataRows.map((y) => y.trainRows);
    figures["data-size"] = stacked(
      x,
      "training rows searched (the same α and W steps at every size)",
      "log",
      [
        {
          title: "α margin",
          traces: [
            withError(
              "margin (mean over fields)",
              x,
              dataRows.map((y) => y.margin),
              "#1f77b4",
            ),
          ],
        },
        {
          title: "median SNR | decided",
          traces: [
            {
              type: "scatter",
              mode: "lines+markers",
              name: "median SNR over fields × seeds",
              x,
              y: dataRows.map((y) => y.snrMedian),
              line: { color: "#ff7f0e" },
            },
            withError(
              "decided fields",
              x,
              dataRows.map((y) => y.decided),
              "#2ca02c",
            ),
          ],
        },
        {
          title: "seed agreement",
          range: [-1, 1],
          traces: [
            withBand(
              "share of fields all seeds agree on",
              x,
              dataRows.map((y) => y.agreement),
              dataRows.map((y) => y.agreementLow),
              dataRows.map((y) => y.agreementHigh),
              "#d62728",
            ),
            withBand(
              "mean Pearson of size vectors",
              x,
              dataRows.map((y) => y.pearson),
              dataRows.map((y) => y.pearsonLow),
              dataRows.map((y) => y.pearsonHigh),
              "#9467bd",
            ),
          ],
        },
        ...(dataRows.some((y) => y.planted) ? [plantedPanel(dataRows, x)] : []),
      ],
      `Training rows vs α's separation (${Math.round(dataRows[0].architectureSteps)} α steps each)${sub}`,
    );
  }
  return figures;
}

// ───────────────────────── the experiment ─────────────────────────

const int = (x: number) => Math.round(x).toLocaleString("en");
const ci = (x: Interval, d: number) => `${x.mean.toFixed(d)} ± ${Number.isFinite(x.half) ? x.half.toFixed(d) : "–"}`;
const range = (v: number, lo: number, hi: number, d: number) =>
  Number.isFinite(v) ? `${v.toFixed(d)} [${lo.toFixed(d)}, ${hi.toFixed(d)}]` : "–";

/** The result from the runs (nothing is computed here). */
export function assembleWhy(
  runs: Map<string, WhyRun>,
  settings: WhySettings,
  auc?: WhyAuc,
  ranks: Map<string, number> = new Map(),
): WhyResult {
  const grid = whySettingsGrid(settings);
  const bySetting = (g: Pick<WhySetting, "epochs" | "frequency" | "share">) =>
    settings.seeds
      .map((seed) => runs.get(`${settings.model}-${settingKey(g)}-s${seed}`))
      .filter((x): x is WhyRun => x !== undefined);
  const rows = grid.map((g) => {
    const row = summarizeSetting(bySetting(g), g.item, ranks, Math.min(...settings.candidates));
    const noise = adamNoiseNull(
      Math.round(row.architectureSteps),
      settings.candidates.length,
      settings.search.architectureLearningRate,
    );
    return { ...row, noise };
  });
  const longest = [...settings.lengths].sort((a, b) => b.epochs / b.frequency - a.epochs / a.frequency)[0];
  const longestRuns = bySetting({ ...longest, share: 1 });
  const signal = fieldSignals(longestRuns, settings.candidates);
  const ns = [...new Set(longestRuns.flatMap((r) => r.snapshots.map((x) => x.n)))].sort((a, b) => a - b);
  const growth = ns.map((n) => {
    const at = longestRuns.flatMap((r) => r.snapshots.filter((x) => x.n === n));
    const snrs = at.flatMap((x) => x.snr.map((v) => v ?? NaN));
    return {
      n,
      snr: median(snrs),
      stepsNeeded: upperMedian(snrs.map((v) => (v > 0 ? (stepsNeeded(v, n) as number) : NEVER))),
      margin: median(at.flatMap((x) => x.margin)),
    };
  });
  return {
    settings,
    rows,
    growth,
    signal,
    signalSetting: { ...longest, architectureSteps: mean(longestRuns.map((r) => r.architectureSteps)) },
    runs: [...runs.entries()].map(([key, r]) => ({ key, ...r })),
    computeSeconds:
      [...runs.values()].reduce((a, r) => a + r.runtime.wallSeconds, 0) +
      (auc?.retrains ?? []).reduce((a, r) => a + r.runtime.wallSeconds, 0),
    ...(auc ? { auc } : {}),
    projection: criteoProjection(longestRuns, settings.search.batchSize, signal),
  };
}

export function whyMarkdown(r: WhyResult, ds: Dataset): string {
  const s = r.settings;
  const p = r.projection;
  const intro = [
    `**Why AutoDim fails on ${s.data === "movielens" ? "MovieLens" : ds.truth ? "planted data" : ds.name}: the search alone, repeated** (${modelLabel(s.model)}, AD-2 as in the main table: candidates {${s.candidates.join(", ")}}, ${s.search.unify} unification + BN, batch ${s.search.batchSize}, ${s.search.warmupSteps} warm-up steps, α learning rate ${s.search.architectureLearningRate} (Adam), τ ${s.search.tauSchedule === "fit" ? "decayed to 0.01 over the search" : `decay ${s.search.tauDecay}`}; seeds ${s.seeds.join(", ")}; no re-train) on ${ds.description}. Compute: ${(r.computeSeconds / 60).toFixed(1)} minutes over ${r.runs.length} searches, one at a time on one thread.`,
    `Margin: p(argmax) − p(runner-up) of softmax(log α), mean over the ${r.rows[0]?.fields ?? 0} fields, mean ± 95% t-interval over seeds. On noise: the margin and median SNR of α trained by the same Adam for as many steps on gradients of mean 0 (400 simulated fields, \`adamNoiseNull\`): what the search reaches with no signal at all. Decided: the diagnostics' rule (SNR ≥ 2 over ≥ 50 α steps, argmax stable over the last half, margin ≥ 0.02). Agreement: share of fields all seeds give the same size (chance: the same if each seed drew its sizes independently from its own mix); Pearson: mean over pairs of seeds of the correlation of their size vectors; both with a 95% percentile bootstrap over fields. SNR and steps needed: medians over fields × seeds (a field whose gradient favours its runner-up never decides; counted as never). Decided two ways: fields that two seeds both decided, on different sizes. Gradient agreement: mean over fields of the mean Pearson between seeds of the per-candidate mean ∂L/∂log α (≈ 1: the seeds' gradients rank the candidates alike).${r.rows.some((x) => x.planted) ? ` Planted: Spearman(planted rank, size) per seed, mean ± 95% t over seeds (1 = the sizes follow the ranks the data was made with); noise at smallest: the share of the ${r.rows.find((x) => x.planted)?.planted?.noiseFields} noise fields (rank 0) × seeds given the smallest size ${Math.min(...s.candidates)}.` : ""}`,
  ].join("\n\n");
  const table = markdownTable(
    r.rows.map((x) => ({
      item: x.item === "length" ? "1 length" : "3 data",
      "train rows": int(x.trainRows),
      epochs: x.epochs,
      f: x.frequency,
      "α steps": int(x.architectureSteps),
      seeds: x.seeds,
      margin: ci(x.margin, 3),
      "margin on noise": x.noise?.margin,
      "max α": ci(x.maxAlpha, 2),
      decided: `${ci(x.decided, 1)} of ${x.fields}`,
      "decided two ways": x.contradicted,
      "all seeds agree": `${range(100 * x.agreement, 100 * x.agreementLow, 100 * x.agreementHigh, 0)}% (chance ${(100 * x.chance).toFixed(0)}%)`,
      "Pearson (sizes)": range(x.pearson, x.pearsonLow, x.pearsonHigh, 2),
      "gradient agreement": x.gradientAgreement,
      "median SNR": x.snrMedian,
      "SNR on noise": x.noise?.snr,
      "median steps needed": x.stepsNeededMedian >= NEVER ? "never" : int(x.stepsNeededMedian),
      never: x.neverDecides,
      ...(x.planted
        ? {
            "Spearman (planted)": ci(x.planted.spearman, 2),
            "noise at smallest": `${(100 * x.planted.noiseAtSmallest).toFixed(0)}%`,
          }
        : {}),
      "supernet val AUC": ci(x.supernetValidationAuc, 4),
      "search s": x.searchSeconds,
    })),
    { "median SNR": 2, "SNR on noise": 2, "margin on noise": 3, "gradient agreement": 2, "search s": 0 },
  );
  const g = r.signalSetting;
  const signalIntro = `**The gradient's signal per field** at the longest search (${g.epochs} epochs, f = ${g.frequency}: ${int(g.architectureSteps)} α steps per seed). SNR: the diagnostics' t statistic of d = ∂L/∂log α(runner-up) − ∂L/∂log α(argmax), per seed; effect: mean(d)/sd(d) per step (SNR/√n). Gradient agreement: mean Pearson between seeds of the per-candidate mean gradient (≈ 1: the seeds' gradients rank the candidates alike). Pooled: over all seeds' steps, the candidate the mean gradient favours and the t of its lead over the next one (sds combined as if independent), and the α steps per seed that lead would need for t = 2.`;
  const fmt = (x: number | null, d: number) => (x === null || !Number.isFinite(x) ? "–" : x.toFixed(d));
  const signal = markdownTable(
    r.signal.map((f) => ({
      field: f.field,
      ids: f.ids,
      "sizes (per seed)": f.sizes.join(", "),
      margin: ci(f.margin, 3),
      "SNR (per seed)": f.snr.map((x) => fmt(x, 2)).join(", "),
      "steps needed (per seed)": f.stepsNeeded.map((x) => (x === null ? "never" : int(x))).join(", "),
      decided: `${f.decided} of ${f.sizes.length}`,
      "effect (per seed)": f.effect.map((x) => fmt(x, 3)).join(", "),
      "mean ∂L/∂log α per candidate (×1e-4)": f.gradientMean.map((x) => (1e4 * x).toFixed(1)).join(", "),
      "sd per step (×1e-4)": f.gradientSd.map((x) => (1e4 * x).toFixed(0)).join(", "),
      "gradient agreement": fmt(f.gradientAgreement, 2),
      "pooled best": f.pooledBest,
      "pooled t": fmt(f.pooledSnr, 2),
      "pooled steps needed": f.pooledStepsNeeded === null ? "never" : int(f.pooledStepsNeeded),
    })),
  );
  const growth = `**Had the longest searches stopped early** (medians over fields × seeds after n α steps; a real per-step signal multiplies the SNR by √2 ≈ 1.41 per doubling of n and leaves the steps needed where they are): ${r.growth
    .map(
      (x) =>
        `n = ${int(x.n)}: SNR ${x.snr.toFixed(2)}, steps needed ${x.stepsNeeded >= NEVER ? "never" : int(x.stepsNeeded)}, margin ${x.margin.toFixed(3)}`,
    )
    .join("; ")}.`;
  const projection = `**What this predicts for Criteo** (the paper: one epoch over ${int(CRITEO_TRAIN_ROWS)} training rows at batch ${p.criteoBatch}, α every 10 steps = ${int(p.criteoAlphaSteps)} α steps). Assumption: the per-step mean of the gradient difference is the same as here and its per-step noise falls as 1/√batch, so the SNR grows as √(α steps × batch rows) — optimistic, since part of the noise is the step's one Gumbel draw per field, which a larger batch does not average away. Here the longest search saw ${int(p.hereRowsSeen)} validation rows through α steps, Criteo's ${int(p.criteoRowsSeen)} (× ${p.factor.toFixed(1)}): the median SNR ${p.snrHere.toFixed(2)} would become ${p.snrCriteo.toFixed(2)}, and ${(100 * p.decidableShare).toFixed(0)}% of the fields × seeds here would reach SNR 2 within Criteo's α steps. But a seed's own SNR counts its feedback as evidence (items 1 and 2: seeds decide fields on different sizes); on the signal the seeds share (pooled steps needed above), ${p.sharedDecidable} of ${p.fields} fields would be decided within Criteo's α steps. So the paper's search would settle on Criteo only if its per-step signal is larger than MovieLens's — plausible where fields have 10⁵–10⁶ ids and capacity matters — which these runs cannot test.`;
  const a = r.auc;
  const deltaText = (d: WhyDelta) =>
    `${d.label}, ${int(d.architectureSteps)} α steps: ΔAUC ${d.delta >= 0 ? "+" : ""}${d.delta.toFixed(4)} [${d.low.toFixed(4)}, ${d.high.toFixed(4)}] (${d.low > 0 ? "better" : d.high < 0 ? "worse" : "no difference detected"}), ${(100 * d.saved).toFixed(1)}% of the embedding parameters saved (AUC per seed ${d.aucs.map((x) => x.toFixed(4)).join(", ")}; FDE ${d.fdeAucs.map((x) => x.toFixed(4)).join(", ")})`;
  const aucText = a
    ? `**Does the longest search fix the AUC?** Each seed's plan re-trained as the main table re-trains (${s.retrain?.epochs} epochs at most, patience ${s.retrain?.patience}, batch ${s.retrain?.batchSize}; ${(a.retrains.reduce((x, y) => x + y.runtime.wallSeconds, 0) / 60).toFixed(1)} minutes for the ${a.retrains.length}), against the main table's FDE of the same seed (its saved test scores; paired bootstrap over seeds and test rows, ${a.replicates} replicates): ${[a.longest, ...(a.mainTable ? [a.mainTable] : [])].map(deltaText).join("; ")}.`
    : "**ΔAUC vs FDE**: not computed (no re-train in the settings, or the main table's FDE runs are not saved).";
  return [intro, table, signalIntro, signal, growth, aucText, projection].join("\n\n");
}

function makeWhyExperiment(name: WhyName, defaults: (scale: Scale) => WhySettings): Experiment<WhyResult, WhySettings> {
  return Object.assign(
    async (scale: Scale, given?: WhySettings): Promise<ExperimentOutput<WhyResult>> => {
      const started = Date.now();
      const info = await initRuntime();
      const settings = given ?? defaults(scale);
      const ds = await datasetByName(settings.data, scale);
      const counts: RunCounts = { computed: 0, reused: 0 };
      const runs = await runWhy(ds, settings, scale, counts, name);
      const retrained = await runRetrains(ds, settings, scale, runs, counts, name);
      const longest = runs.get(
        `${settings.model}-${settingKey({ ...longestLength(settings), share: 1 })}-s${settings.seeds[0]}`,
      );
      const auc = aucVsFde(ds, settings, scale, retrained, longest?.architectureSteps ?? NaN);
      const result = assembleWhy(runs, settings, auc, plantedRanks(ds));
      const m = ds.data.manifest;
      const caption = `${ds.name}, ${(m.rows.train + m.rows.val + m.rows.test).toLocaleString("en")} rows; scale ${scale}; seeds ${settings.seeds.join(", ")}`;
      return {
        name,
        scale,
        markdown: whyMarkdown(result, ds),
        payload: result,
        provenance: provenance(
          name,
          scale,
          ds.description,
          settings.seeds[0],
          backendLabel(info),
          (Date.now() - started) / 1000,
          result.computeSeconds,
        ),
        figures: whyFigures(result, caption),
        settings,
        runs: counts,
      };
    },
    { defaults },
  );
}

/** Why AutoDim fails on MovieLens (the real data; W&D, where it loses to FDE). */
export const whyExperiment = makeWhyExperiment("why", whyDefaults);
/** The same on the 5M-row planted set: does more data make α separate and find the planted ranks? */
export const whyPlantedExperiment = makeWhyExperiment("why-planted", whyPlantedDefaults);
