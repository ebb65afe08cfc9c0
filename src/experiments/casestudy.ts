// Experiment 7 — case study: does AutoDim give larger sizes to the fields that matter more?
// The paper measures a field's importance by the test AUC of a W&D model fed that field alone
// (MovieLens-1M) and sets it beside the size AutoDim chose with W&D. We do the same: one W&D
// per field and seed, trained on a prepared copy of the data holding that field only (same
// rows, same split), through the one training path.
//
// A cross-check needing no training: a model of one categorical field is a function of that
// field's value only, so the best it can learn is each value's click rate — each value's
// training click rate, shrunk towards the global rate by PRIOR_ROWS pseudo-rows, scores the
// test split ("click-rate AUC").
import { createWriteStream, existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { once } from "node:events";
import { PreparedData } from "../data/batches.js";
import { prepare } from "../data/prepare.js";
import { SPLITS } from "../data/manifest.js";
import { METHODS } from "../methods/registry.js";
import type { RetrainResult } from "../train/result-schema.js";
import { auc, logloss, spearman } from "../data/metrics.js";
import { CellsStopped, identityHash, type CellRunner } from "./cells.js";
import { rawDataNeeded } from "./data-record.js";
import { plantedRanks, syntheticPrepareRequest, type Dataset } from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import type { Figure } from "./figures.js";
import { methodResults, methodSettings, runKey, testSummary, type MethodsSettings } from "./methods.js";
import { PAPER_CASE_STUDY } from "./paper.js";

/** Pseudo-rows at the global click rate added to each value's counts. */
export const PRIOR_ROWS = 10;

export interface FieldImportance {
  field: string;
  /** Test AUC / Logloss of the field's smoothed per-value click rate. */
  auc: number;
  logloss: number;
}

/** Single-field test AUC and Logloss of every field (per-value click rates from the train split). */
export function singleFieldImportance(data: PreparedData, prior = PRIOR_ROWS): FieldImportance[] {
  const F = data.fieldCount;
  const train = data.readSplit("train");
  const test = data.readSplit("test");
  const n = train.labels.length;
  const clicks = new Float64Array(data.totalFeatures);
  const shows = new Float64Array(data.totalFeatures);
  let totalClicks = 0;
  for (let r = 0; r < n; r++) {
    const y = train.labels[r];
    totalClicks += y;
    for (let m = 0; m < F; m++) {
      const id = train.ids[r * F + m];
      shows[id] += 1;
      clicks[id] += y;
    }
  }
  const base = totalClicks / n;
  const t = test.labels.length;
  const probs = new Float64Array(t);
  return data.manifest.fields.map((f, m) => {
    for (let r = 0; r < t; r++) {
      const id = test.ids[r * F + m];
      probs[r] = (clicks[id] + prior * base) / (shows[id] + prior);
    }
    return { field: f.name, auc: auc(test.labels, probs), logloss: logloss(test.labels, probs) };
  });
}

/**
 * A prepared copy of `data` holding field `m` only: the same rows in the same splits, its
 * ids as values (min count 1: the originals were filtered already). Made once, under `root`.
 */
export async function singleFieldData(data: PreparedData, m: number, root: string): Promise<PreparedData> {
  const field = data.manifest.fields[m];
  const dir = join(root, `${m}-${field.name.replace(/[^\w.-]+/g, "_")}`);
  const out = join(dir, "prepared");
  const inputs = {} as Record<(typeof SPLITS)[number], string>;
  mkdirSync(dir, { recursive: true });
  for (const split of SPLITS) {
    const file = join(dir, `${split}.tsv`);
    inputs[split] = file;
    if (existsSync(file)) continue;
    const { ids, labels } = data.readSplit(split);
    const F = data.fieldCount;
    const tmp = `${file}.tmp-${process.pid}`;
    const sink = createWriteStream(tmp);
    sink.write(`label\t${field.name}\n`);
    const lines: string[] = [];
    for (let r = 0; r < labels.length; r++) {
      lines.push(`${labels[r]}\t${ids[r * F + m]}`);
      if (lines.length === 65536 || r === labels.length - 1) {
        if (!sink.write(lines.join("\n") + "\n")) await once(sink, "drain");
        lines.length = 0;
      }
    }
    sink.end();
    await once(sink, "finish");
    renameSync(tmp, file);
  }
  await prepare({
    ...syntheticPrepareRequest("", out, DEFAULT_SEED, false),
    input: inputs,
    format: "tsv",
    minCount: 1,
  });
  return new PreparedData(out);
}

/** One field's importance from trained single-field W&D models, one per seed. */
export interface TrainedImportance {
  field: string;
  auc: number[];
  logloss: number[];
  seconds: number;
}

/** Trains W&D on each field alone (FDE's size, the main table's re-train settings), per seed; runs are cells. */
export async function trainedFieldImportance(
  ds: Dataset,
  settings: MethodsSettings,
  runsDir: string,
  dataRoot: string,
  runner: CellRunner,
  counts?: { computed: number; reused: number },
): Promise<TrainedImportance[] | CellsStopped> {
  const fields = ds.data.manifest.fields;
  // Each field's copy of the data is made when a run of it must be computed (not to read saved runs).
  const single = new Map<number, Promise<PreparedData>>();
  const singleField = (m: number) => {
    if (!single.has(m)) single.set(m, singleFieldData(ds.data, m, dataRoot));
    return single.get(m) as Promise<PreparedData>;
  };
  const progress = process.env.AUTODIM_QUIET !== "1";
  const plan = fields.flatMap((f, m) => settings.seeds.map((seed) => ({ f, m, seed })));
  const cells = plan.map(({ f, m, seed }) => {
    const s = methodSettings(settings, "wd", seed);
    const identity = { data: ds.description, field: f.name, train: s.train, candidates: s.candidates, seed };
    return {
      key: `field-${m}-${f.name.replace(/[^\w.-]+/g, "_")}-s${seed}-${identityHash(identity)}`,
      identity,
      run: async () => {
        const r = await METHODS.fde.run(await singleField(m), s, { progress });
        return { auc: r.test.auc, logloss: r.test.logloss, seconds: r.runtime.wallSeconds };
      },
    };
  });
  const done = await runner.stage(runsDir, cells, {
    log: progress ? undefined : () => {},
    counts,
    offline: rawDataNeeded(ds),
  });
  if (done instanceof CellsStopped) return done;
  return fields.map((f, m) => {
    const runs = plan.flatMap((p, i) =>
      p.m === m ? [done.get(cells[i].key) as { auc: number; logloss: number; seconds: number }] : [],
    );
    return {
      field: f.name,
      auc: runs.map((r) => r.auc),
      logloss: runs.map((r) => r.logloss),
      seconds: runs.reduce((a, r) => a + r.seconds, 0),
    };
  });
}

export interface CaseStudyRow {
  field: string;
  ids: number;
  /** Trained single-field W&D test AUC, mean and std over seeds. */
  auc: number;
  aucStd: number;
  logloss: number;
  /** The click-rate cross-check's test AUC. */
  clickRateAuc: number;
  /** AutoDim's (W&D) size per seed, and their mean. */
  dims: number[];
  dim: number;
  plantedRank?: number;
}

export interface CaseStudyResult {
  rows: CaseStudyRow[];
  seeds: number[];
  /** Spearman(single-field AUC, mean chosen size), and per seed (that seed's sizes). */
  spearman: number;
  spearmanPerSeed: number[];
  /** W&D FDE and AutoDim on the whole data, means over seeds. */
  fde: { auc: number; logloss: number; params: number };
  autodim: { auc: number; logloss: number; params: number };
  /** Seconds of the runs behind it (single-field trainings + the W&D FDE and AutoDim runs). */
  computeSeconds: number;
}

function mean(x: number[]): number {
  return x.reduce((a, b) => a + b, 0) / x.length;
}

function std(x: number[]): number {
  const m = mean(x);
  return x.length > 1 ? Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1)) : 0;
}

/**
 * Importance per field (trained single-field W&D) beside W&D AutoDim's sizes, per seed; the W&D
 * FDE and AutoDim runs are the main table's (`mainRunsDir`), shared with it.
 */
export async function runCaseStudy(
  ds: Dataset,
  settings: MethodsSettings,
  mainRunsDir: string,
  runsDir: string,
  dataRoot: string,
  runner: CellRunner,
  counts?: { computed: number; reused: number },
): Promise<CaseStudyResult | CellsStopped> {
  const main = { ...settings, models: ["wd" as const], methods: ["fde", "autodim"] };
  const results = await methodResults(ds, main, mainRunsDir, runner, counts);
  if (results instanceof CellsStopped) return results;
  const auto = settings.seeds.map((seed) => results.get(runKey("wd", "autodim", seed))?.result as RetrainResult);
  const fde = settings.seeds.map((seed) => results.get(runKey("wd", "fde", seed))?.result as RetrainResult);
  const trained = await trainedFieldImportance(ds, settings, runsDir, dataRoot, runner, counts);
  if (trained instanceof CellsStopped) return trained;
  // The click-rate cross-check reads every row: a cell of its own, so the table rebuilds without them.
  const clickRate = { data: ds.description, prior: PRIOR_ROWS };
  const oracleCell = await runner.stage(
    runsDir,
    [
      {
        key: `click-rate-importance-${identityHash(clickRate)}`,
        identity: clickRate,
        run: async () => singleFieldImportance(ds.data),
      },
    ],
    { log: () => {}, offline: rawDataNeeded(ds) },
  );
  if (oracleCell instanceof CellsStopped) return oracleCell;
  const oracle = oracleCell.values().next().value as FieldImportance[];
  const rankOf = plantedRanks(ds);
  const rows = trained
    .map((f, m) => {
      const dims = auto.map((a) => a.dims[m].dim);
      return {
        field: f.field,
        ids: ds.data.manifest.fields[m].vocabularySize,
        auc: mean(f.auc),
        aucStd: std(f.auc),
        logloss: mean(f.logloss),
        clickRateAuc: oracle[m].auc,
        dims,
        dim: mean(dims),
        plantedRank: rankOf.get(f.field),
      };
    })
    .sort((a, b) => b.auc - a.auc);
  const summary = (rs: RetrainResult[]) => {
    const t = rs.map(testSummary);
    return {
      auc: mean(t.map((x) => x.auc)),
      logloss: mean(t.map((x) => x.logloss)),
      params: mean(t.map((x) => x.params)),
    };
  };
  const computeSeconds =
    trained.reduce((a, f) => a + f.seconds, 0) +
    [...fde, ...auto].reduce((a, r) => a + r.runtime.wallSeconds + (r.plan?.runtime.wallSeconds ?? 0), 0);
  return {
    rows,
    seeds: settings.seeds,
    spearman: spearman(
      rows.map((r) => r.auc),
      rows.map((r) => r.dim),
    ),
    spearmanPerSeed: settings.seeds.map((_, k) =>
      spearman(
        rows.map((r) => r.auc),
        rows.map((r) => r.dims[k]),
      ),
    ),
    fde: summary(fde),
    autodim: summary(auto),
    computeSeconds,
  };
}

/**
 * Importance (single-field AUC) against size: our fields (mean over seeds, ± std of the AUC, the
 * range of the sizes, each seed's size as a dot) and, on MovieLens, the paper's fields (its
 * single-field AUCs and sizes, one run, candidates up to 16) beside them.
 */
export function caseStudyFigures(r: CaseStudyResult, caption = ""): Record<string, Figure> {
  const paper = PAPER_CASE_STUDY.filter((p) => r.rows.some((f) => f.field === p.field));
  const data: Record<string, unknown>[] = [
    {
      type: "scatter",
      mode: "markers+text",
      name: `ours: mean over ${r.spearmanPerSeed.length} seed${r.spearmanPerSeed.length === 1 ? "" : "s"} (AUC ± std, size range)`,
      x: r.rows.map((f) => f.auc),
      y: r.rows.map((f) => f.dim),
      error_x: { type: "data", array: r.rows.map((f) => f.aucStd), thickness: 1 },
      error_y: {
        type: "data",
        symmetric: false,
        array: r.rows.map((f) => Math.max(...f.dims) - f.dim),
        arrayminus: r.rows.map((f) => f.dim - Math.min(...f.dims)),
        thickness: 1,
      },
      text: r.rows.map((f) => f.field),
      textposition: "top center",
      marker: { size: 10, color: "#c44e52" },
      customdata: r.rows.map((f) => f.dims.join(", ")),
      hovertemplate: "%{text}: single-field AUC %{x:.4f}, sizes %{customdata}<extra></extra>",
    },
    {
      type: "scatter",
      mode: "markers",
      name: "ours: each seed's size",
      x: r.rows.flatMap((f) => f.dims.map(() => f.auc)),
      y: r.rows.flatMap((f) => f.dims),
      marker: { size: 6, color: "#c44e52", symbol: "circle-open" },
      hovertemplate: "single-field AUC %{x:.4f}: size %{y}<extra>one seed</extra>",
    },
  ];
  if (paper.length > 0)
    data.push({
      type: "scatter",
      mode: "markers+text",
      name: "paper (one run, candidates up to 16)",
      x: paper.map((p) => p.auc),
      y: paper.map((p) => p.dim),
      text: paper.map((p) => p.field),
      textposition: "bottom center",
      textfont: { color: "#4c72b0", size: 10 },
      marker: { size: 10, color: "#4c72b0", symbol: "diamond" },
      hovertemplate: "paper, %{text}: single-field AUC %{x:.4f}, size %{y}<extra></extra>",
    });
  return {
    importance: {
      data,
      layout: {
        title: {
          text:
            `Field importance (trained single-field W&D, test AUC) vs AutoDim's size (W&D): Spearman ${r.spearman.toFixed(3)}` +
            (caption ? `<br><sub>${caption}</sub>` : ""),
        },
        xaxis: { title: { text: "single-field test AUC" } },
        yaxis: { title: { text: "chosen embedding size" }, rangemode: "tozero" },
        width: 860,
        height: 540,
        margin: { t: 90 },
        legend: { orientation: "h", y: -0.15 },
      },
    },
  };
}
