// The main table (experiments 2 and 3): a (model, method) row over seeds with the paired-bootstrap
// interval of its ΔAUC vs FDE, and the table as printed beside the paper's numbers. The runs it
// aggregates come from methods.ts.
import { METHODS } from "../methods/registry.js";
import type { ModelName } from "../models/ctr.js";
import { AucDraws, verdict } from "./bootstrap.js";
import { testLabelsOf } from "./data-record.js";
import { type Dataset } from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import { PAPER_MAIN } from "./paper.js";
import { type MethodsSettings, type MethodRow, runKey, type MethodRun, methodRows } from "./methods.js";

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
