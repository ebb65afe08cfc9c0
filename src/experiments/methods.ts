// Experiments 2 and 3 — the main table and the efficiency study: every method of the paper on
// every base model (FM, W&D, DeepFM) and seed, re-trained and tested through the one training
// path. Each (model, method, seed) run is a cell saved under results/<experiment>-<scale>-runs/
// (with its test scores, for the paired intervals) as soon as it finishes, so the runs resume
// after an interruption and can be shared by processes.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { PAPER_CANDIDATES, quickSettings, SMOKE_RANDOM_SEARCH } from "../methods/defaults.js";
import type { RetrainResult } from "../train/result-schema.js";
import { METHOD_NAMES, METHODS, PAPER_METHOD_NAMES } from "../methods/registry.js";
import type { MethodSettings } from "../methods/types.js";
import type { ModelName } from "../models/ctr.js";
import { writeFileAtomic } from "../runtime/files.js";
import { AucDraws, verdict } from "./bootstrap.js";
import { CellsListed, identityHash, runCells, withCellMode } from "./cells.js";
import { rawDataNeeded, testLabelsOf } from "./data-record.js";
import { DEFAULT_SEED, type DataName, type Dataset, type Scale } from "./datasets.js";
import type { RunCounts } from "./frequency.js";
import type { Figure } from "./figures.js";
import { PAPER_MAIN } from "./paper.js";
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
  randomSearch: { trials: number; trialEpochs: number };
  /** MDE: the temperature α of d ∝ p^α. */
  mde: { temperature: number };
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
 * settings), else computed (in order; processes share the folder) and saved with its test scores.
 */
export async function methodResults(
  ds: Dataset,
  settings: MethodsSettings,
  dir: string,
  counts?: RunCounts,
): Promise<Map<string, MethodRun>> {
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
  const done = await runCells(dir, cells, { log: progress ? undefined : () => {}, counts, offline: rawDataNeeded(ds) });
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
  try {
    return await withCellMode({ kind: "list" }, () => methodResults(ds, settings, dir));
  } catch (e) {
    if (e instanceof CellsListed) return undefined;
    throw e;
  }
}

/** Per-run rows (with differences to FDE of the same model and seed), from `methodResults`. */
export function methodRows(runs: Map<string, MethodRun>, trainRows: number): MethodRow[] {
  return relativeToFde([...runs.values()].map((r) => toRow(r.result, r.seed, trainRows)));
}

/** One (model, method) over its seeds, with the paired-bootstrap interval of ΔAUC vs FDE. */
export interface MainTableRow {
  model: ModelName;
  method: string;
  seeds: number;
  aucMean: number;
  aucStd: number;
  loglossMean: number;
  loglossStd: number;
  paramsMean: number;
  paramsVsFde: number;
  /** Mean over seeds of AUC − FDE's AUC (same seed, same test rows). */
  deltaAuc: number;
  /** 95% interval of deltaAUC (two-stage paired bootstrap; NaN for FDE or without saved scores). */
  deltaLow: number;
  deltaHigh: number;
  verdict: string;
  dims: number[][];
}

function meanStd(x: number[]): [number, number] {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  const v = x.length > 1 ? x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1) : 0;
  return [m, Math.sqrt(v)];
}

/** The test split's labels in row order (the order the scores are in); a data record's when the rows are not here. */
export function testLabels(ds: Dataset): Uint8Array {
  return testLabelsOf(ds.data);
}

/**
 * The bootstrap replicates of one model's runs that have test scores for every seed (any two
 * can then be compared), or undefined when none have.
 */
export function aucDraws(
  runs: Map<string, MethodRun>,
  settings: MethodsSettings,
  model: ModelName,
  labels: Uint8Array,
): AucDraws | undefined {
  const scoresOf = (method: string) => settings.seeds.map((seed) => runs.get(runKey(model, method, seed))?.scores);
  const scored = settings.methods.filter((m) => scoresOf(m).every((x) => x));
  if (scored.length === 0) return undefined;
  return new AucDraws(
    labels,
    scored.map((m) => ({ key: m, scoresBySeed: scoresOf(m) as Float32Array[] })),
    { replicates: settings.bootstrapReplicates, seed: DEFAULT_SEED },
  );
}

/** Aggregates seeds per (model, method) and bootstraps each ΔAUC against FDE. */
export function mainTable(
  runs: Map<string, MethodRun>,
  settings: MethodsSettings,
  labels: Uint8Array,
  trainRows: number,
  /** Replicates already drawn per model (`aucDraws`), so a caller comparing more pairs draws once. */
  drawn?: Map<ModelName, AucDraws | undefined>,
): MainTableRow[] {
  const rows = methodRows(runs, trainRows);
  const out: MainTableRow[] = [];
  for (const model of settings.models) {
    const draws = drawn ? drawn.get(model) : aucDraws(runs, settings, model, labels);
    const intervals = draws?.keys.includes("fde")
      ? draws.keys.filter((k) => k !== "fde").map((k) => draws.difference(k, "fde"))
      : [];
    for (const method of settings.methods) {
      const rs = rows.filter((r) => r.model === model && r.method === method);
      const [aucMean, aucStd] = meanStd(rs.map((r) => r.testAuc));
      const [loglossMean, loglossStd] = meanStd(rs.map((r) => r.testLogloss));
      const ci = intervals.find((d) => d.key === method);
      out.push({
        model,
        method,
        seeds: rs.length,
        aucMean,
        aucStd,
        loglossMean,
        loglossStd,
        paramsMean: meanStd(rs.map((r) => r.params))[0],
        paramsVsFde: meanStd(rs.map((r) => r.paramsVsFde))[0],
        deltaAuc: meanStd(rs.map((r) => r.aucVsFde))[0],
        deltaLow: ci?.low ?? NaN,
        deltaHigh: ci?.high ?? NaN,
        verdict: method === "fde" ? "reference" : ci ? verdict(ci) : "no interval (scores not saved)",
        dims: rs.map((r) => r.dims),
      });
    }
  }
  return out;
}

const MODEL_LABEL: Record<string, string> = {
  fm: "FM",
  wd: "W&D",
  deepfm: "DeepFM",
  nfm: "NFM",
  ipnn: "IPNN",
  autoint: "AutoInt",
};
export function modelLabel(m: string): string {
  return MODEL_LABEL[m] ?? m;
}

/** The main table's result: one row per (model, method) over seeds, and every run behind it. */
export interface MainTableResult {
  table: MainTableRow[];
  runs: MethodRow[];
}

/** "+0.0012 [−0.0003, +0.0027]" */
function signed(x: number, digits = 4): string {
  return `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`;
}

/**
 * Our table beside the paper's numbers for `paperData` (Avazu's for our Avazu run, else
 * Criteo's), as differences to FDE: absolute AUCs of different data do not compare.
 */
export function mainTableRows(
  rows: MainTableRow[],
  paperData: "criteo" | "avazu" = "criteo",
): Record<string, string | number>[] {
  return rows.map((r) => {
    const column = METHODS[r.method]?.paperColumn;
    const paper = column === undefined ? undefined : PAPER_MAIN[paperData][r.model as "fm" | "wd" | "deepfm"]?.[column];
    const paperFde = PAPER_MAIN[paperData][r.model as "fm" | "wd" | "deepfm"]?.fde;
    return {
      model: modelLabel(r.model),
      method: METHODS[r.method]?.label ?? r.method,
      seeds: r.seeds,
      AUC: r.aucMean,
      "AUC std": r.aucStd,
      Logloss: r.loglossMean,
      Params: Math.round(r.paramsMean),
      "ΔAUC vs FDE": r.method === "fde" ? NaN : r.deltaAuc,
      "95% CI": Number.isNaN(r.deltaLow) ? "" : `[${signed(r.deltaLow)}, ${signed(r.deltaHigh)}]`,
      verdict: r.verdict,
      "paper ΔAUC": paper && paperFde && r.method !== "fde" ? paper.auc - paperFde.auc : NaN,
      "Params vs FDE": r.paramsVsFde,
      "paper Params vs FDE": paper && paperFde ? paper.paramsM / paperFde.paramsM - 1 : NaN,
    };
  });
}

/**
 * ΔAUC vs FDE (with its 95% interval) against embedding parameters, one panel per base model,
 * one trace per method with its own marker and a shared legend (text labels overlapped).
 */
export function methodFigures(
  rows: MainTableRow[],
  caption = "",
  paperData: "criteo" | "avazu" = "criteo",
): Record<string, Figure> {
  const models = [...new Set(rows.map((r) => r.model))];
  const methods = [...new Set(rows.map((r) => r.method))];
  const symbols = [
    "circle",
    "square",
    "diamond",
    "cross",
    "x",
    "triangle-up",
    "triangle-down",
    "star",
    "hexagram",
    "pentagon",
  ];
  const colors = [
    "#4c72b0",
    "#55a868",
    "#8172b2",
    "#ccb974",
    "#64b5cd",
    "#8c8c8c",
    "#dd8452",
    "#937860",
    "#c44e52",
    "#da8bc3",
  ];
  const data: Record<string, unknown>[] = models.flatMap((model, i) => {
    const axis = i === 0 ? "" : String(i + 1);
    return methods.map((method, k) => {
      const rs = rows.filter((r) => r.model === model && r.method === method);
      const label = METHODS[method]?.label ?? method;
      return {
        type: "scatter",
        mode: "markers",
        name: label,
        legendgroup: method,
        showlegend: i === 0,
        x: rs.map((r) => r.paramsMean),
        y: rs.map((r) => (method === "fde" ? 0 : r.deltaAuc)),
        error_y: {
          type: "data",
          symmetric: false,
          array: rs.map((r) => (Number.isNaN(r.deltaHigh) ? 0 : r.deltaHigh - r.deltaAuc)),
          arrayminus: rs.map((r) => (Number.isNaN(r.deltaLow) ? 0 : r.deltaAuc - r.deltaLow)),
          thickness: 1.2,
          width: 3,
        },
        marker: {
          size: method.startsWith("autodim") ? 12 : 9,
          symbol: symbols[k % symbols.length],
          color: colors[k % colors.length],
        },
        xaxis: `x${axis}`,
        yaxis: `y${axis}`,
        hovertemplate: `${label}: %{x:,.0f} params, ΔAUC %{y:.4f}<extra></extra>`,
      };
    });
  });
  // The paper's cells beside ours: its ΔAUC vs FDE, at our FDE's parameters scaled by its Params ÷ FDE's.
  const paperPoints = models.map((model) => {
    const fde = rows.find((r) => r.model === model && r.method === "fde");
    const table = PAPER_MAIN[paperData][model as "fm" | "wd" | "deepfm"];
    const points = methods.flatMap((method) => {
      const column = METHODS[method]?.paperColumn;
      const cell = column === undefined || method === "fde" ? undefined : table?.[column];
      return cell && table && fde
        ? [{ method, x: (fde.paramsMean * cell.paramsM) / table.fde.paramsM, y: cell.auc - table.fde.auc }]
        : [];
    });
    return { model, points };
  });
  paperPoints.forEach(({ points }, i) => {
    if (points.length === 0) return;
    const axis = i === 0 ? "" : String(i + 1);
    data.push({
      type: "scatter",
      mode: "markers",
      name: `paper (${paperData === "avazu" ? "Avazu" : "Criteo"}, one run; params as its share of FDE's)`,
      legendgroup: "paper",
      showlegend: i === paperPoints.findIndex((p) => p.points.length > 0),
      x: points.map((p) => p.x),
      y: points.map((p) => p.y),
      text: points.map((p) => METHODS[p.method]?.label ?? p.method),
      marker: { size: 9, symbol: "circle-open", color: "#222222" },
      xaxis: `x${axis}`,
      yaxis: `y${axis}`,
      hovertemplate: "paper, %{text}: ΔAUC %{y:.4f}<extra></extra>",
    });
  });
  const layout: Record<string, unknown> = {
    title: {
      text: `ΔAUC vs FDE (95% paired-bootstrap interval) against embedding parameters; open circles: the paper's${caption ? `<br><sub>${caption}</sub>` : ""}`,
    },
    legend: { orientation: "h", y: -0.25 },
    grid: { rows: 1, columns: models.length, pattern: "independent" },
    annotations: models.map((m, i) => ({
      text: modelLabel(m),
      showarrow: false,
      xref: "paper",
      yref: "paper",
      x: (i + 0.5) / models.length,
      y: 1.06,
      xanchor: "center",
      font: { size: 13 },
    })),
    width: 380 * models.length + 80,
    height: 520,
    margin: { t: 110, b: 140 },
    ...Object.fromEntries(
      models.flatMap((_, i) => [
        [`xaxis${i === 0 ? "" : i + 1}`, { type: "log", title: { text: "embedding params" } }],
        [
          `yaxis${i === 0 ? "" : i + 1}`,
          { zeroline: true, zerolinewidth: 2, ...(i === 0 ? { title: { text: "ΔAUC vs FDE" } } : {}) },
        ],
      ]),
    ),
  };
  return { tradeoff: { data, layout } };
}

/** Efficiency per method: the means over seeds the efficiency table prints, and each seed's values. */
export interface EfficiencySummary {
  model: ModelName;
  method: string;
  seeds: number[];
  selectionSeconds: number;
  trainSeconds: number;
  totalSeconds: number;
  inferenceMsPer1k: number;
  /** Per seed, in `seeds` order. */
  perSeed: { totalSeconds: number; inferenceMsPer1k: number }[];
}

/** Per model and method (in the order the runs list them): means over seeds, as the efficiency table. */
export function summarizeEfficiency(rows: MethodRow[]): EfficiencySummary[] {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // The table's order: models as the runs list them, methods in the registry's order.
  const order = (m: string) => (METHOD_NAMES.indexOf(m) < 0 ? METHOD_NAMES.length : METHOD_NAMES.indexOf(m));
  const models = [...new Set(rows.map((r) => r.model))];
  const methods = [...new Set(rows.map((r) => r.method))].sort((a, b) => order(a) - order(b));
  const keys = models.flatMap((m) =>
    methods.filter((k) => rows.some((r) => r.model === m && r.method === k)).map((k) => `${m}\u0000${k}`),
  );
  return keys.map((k) => {
    const [model, method] = k.split("\u0000");
    const rs = rows.filter((r) => r.model === model && r.method === method);
    return {
      model: model as ModelName,
      method,
      seeds: rs.map((r) => r.seed),
      selectionSeconds: mean(rs.map((r) => r.selectionSeconds)),
      trainSeconds: mean(rs.map((r) => r.trainSeconds)),
      totalSeconds: mean(rs.map((r) => r.selectionSeconds + r.trainSeconds)),
      inferenceMsPer1k: mean(rs.map((r) => r.inferenceMsPer1k)),
      perSeed: rs.map((r) => ({
        totalSeconds: r.selectionSeconds + r.trainSeconds,
        inferenceMsPer1k: r.inferenceMsPer1k,
      })),
    };
  });
}

/**
 * Efficiency (the paper's: DeepFM): bars of the table's means over seeds (choosing sizes + final
 * training, stacked, from 0; inference), each seed's value as a dot on its bar.
 */
export function efficiencyFigures(rows: MethodRow[], caption = ""): Record<string, Figure> {
  const s = summarizeEfficiency(rows);
  const x = s.map((r) => r.method);
  const seeds = [...new Set(rows.map((r) => r.seed))];
  const perSeed = (pick: (p: EfficiencySummary["perSeed"][number]) => number, axis: "" | "2", legend: boolean) => ({
    type: "scatter",
    mode: "markers",
    name: "each seed",
    legendgroup: "seed",
    showlegend: legend,
    x: s.flatMap((r) => r.perSeed.map(() => r.method)),
    y: s.flatMap((r) => r.perSeed.map(pick)),
    marker: { color: "#222222", size: 6, symbol: "circle-open" },
    xaxis: `x${axis}`,
    yaxis: `y${axis}`,
    hovertemplate: `%{x}: %{y:.2f}<extra>one seed</extra>`,
  });
  const model = modelLabel(rows[0]?.model ?? "");
  return {
    time: {
      data: [
        {
          type: "bar",
          name: "choosing sizes (search), mean",
          x,
          y: s.map((r) => r.selectionSeconds),
          xaxis: "x",
          yaxis: "y",
          marker: { color: "#dd8452" },
        },
        {
          type: "bar",
          name: "final training, mean",
          x,
          y: s.map((r) => r.trainSeconds),
          xaxis: "x",
          yaxis: "y",
          marker: { color: "#4c72b0" },
        },
        perSeed((p) => p.totalSeconds, "", seeds.length > 1),
        {
          type: "bar",
          name: "inference, mean",
          x,
          y: s.map((r) => r.inferenceMsPer1k),
          xaxis: "x2",
          yaxis: "y2",
          marker: { color: "#55a868" },
        },
        perSeed((p) => p.inferenceMsPer1k, "2", false),
      ],
      layout: {
        title: {
          text: `Training and inference time per method (${model}; bars: means over seeds ${seeds.join(", ")}; dots: each seed)${caption ? `<br><sub>${caption}</sub>` : ""}`,
        },
        barmode: "stack",
        grid: { rows: 1, columns: 2, pattern: "independent" },
        yaxis: { title: { text: "seconds (choosing sizes + final training)" }, rangemode: "tozero" },
        yaxis2: { title: { text: "inference: ms per 1,000 test rows" }, rangemode: "tozero" },
        width: 1100,
        height: 500,
        margin: { t: 90, b: 150 },
        legend: { orientation: "h", y: -0.35 },
      },
    },
  };
}
