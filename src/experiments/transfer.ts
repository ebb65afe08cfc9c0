// Experiment 8 — transferability: the sizes AutoDim searched with FM (the main table's FM
// AutoDim run of the same settings and seed), re-trained in NFM, IPNN and AutoInt, against each
// model at full dimension. Each re-training is a cell under results/transfer-<scale>-runs/.
// Here also the experiment `transfer` (its tables).
import { join } from "node:path";
import { sampleStd } from "../data/metrics.js";
import { retrain } from "../train/retrain.js";
import type { DimensionPlan } from "../train/schemas.js";
import type { RetrainResult } from "../train/result-schema.js";
import type { ModelName } from "../models/ctr.js";
import { AutodimError } from "../core/errors.js";
import { CellsStopped, type CellRunner } from "./cells.js";
import { identityHash } from "./cells.js";
import type { Dataset, Scale } from "./datasets.js";
import { experiment, figureCaption, type Experiment } from "./experiment.js";
import type { Figure } from "./figures.js";
import type { RunCounts } from "./frequency.js";
import { type MethodsSettings, methodResults, methodRunsDir, methodsDefaults, runKey, testSummary } from "./methods.js";
import { modelLabel } from "./methods-table.js";
import { PAPER_TRANSFER } from "./paper.js";
import { markdownTable, RESULTS_DIR } from "./report.js";
import { checkpointsFor, type RetrainSettings } from "./settings.js";

export const TRANSFER_MODELS: ModelName[] = ["nfm", "ipnn", "autoint"];

/** What experiment 8 runs. */
export interface TransferSettings {
  /** The model AutoDim searches the sizes with (the paper: FM); its run is the main table's cell of these settings. */
  sourceModel: ModelName;
  /** The models the sizes are re-trained in, each against itself with every field at the largest candidate. */
  models: ModelName[];
  /** Seeds: each searches once with the source model and re-trains every model with the same seed. */
  seeds: number[];
  /** Candidate embedding sizes; the largest is the full dimension. */
  candidates: number[];
  /** The source model's search (as the main table's AutoDim). */
  search: MethodsSettings["search"];
  /** Every re-training: epochs (a cap), early-stopping patience, batch, Adam rate. */
  retrain: RetrainSettings;
}

/** The settings `autodim reproduce transfer` and notebook 8 run by default (the main table's). */
export function transferDefaults(scale: Scale): TransferSettings {
  const m = methodsDefaults(scale);
  return {
    sourceModel: "fm",
    models: [...TRANSFER_MODELS],
    seeds: scale === "smoke" ? [1] : [1, 2, 3],
    candidates: m.candidates,
    search: m.search,
    retrain: m.retrain,
  };
}

export interface TransferRow {
  model: ModelName;
  /** The seed of the search and both trainings (absent in results made before seeds were a setting). */
  seed?: number;
  full: { auc: number; logloss: number; params: number };
  autodim: { auc: number; logloss: number; params: number };
  /** The FM plan's sizes. */
  dims: number[];
  seconds: { full: number; autodim: number };
}

export async function runTransfer(
  ds: Dataset,
  scale: Scale,
  settings: TransferSettings,
  runner: CellRunner,
  counts?: { computed: number; reused: number },
): Promise<{ rows: TransferRow[]; sources: RetrainResult[] } | CellsStopped> {
  const progress = process.env.AUTODIM_QUIET !== "1";
  const dir = join(RESULTS_DIR, `transfer-${scale}-runs`);
  const log = progress ? undefined : () => {};
  const D = settings.candidates[settings.candidates.length - 1];
  const cell = (
    model: ModelName,
    seed: number,
    kind: "full" | "autodim",
    dims: number[],
    projection: "none" | "linear" | "zeropad",
    plan?: DimensionPlan,
  ) => {
    const identity = { data: ds.description, train: settings.retrain, dims, projection, seed, model };
    return {
      key: `${model}-${kind}-s${seed}-${identityHash(identity)}`,
      identity,
      run: () =>
        retrain(
          ds.data,
          { ...settings.retrain, model, dims, projection, outputDim: D, seed },
          {
            method: kind === "full" ? "fde" : `autodim (${settings.sourceModel} plan)`,
            plan,
            progress,
            checkpoint: checkpointsFor(`${ds.name}-transfer-${kind}-${model}-seed${seed}`),
          },
        ),
    };
  };
  // The full-dimension runs need no plan: they go first (another process may still be searching).
  const fullDims = ds.data.manifest.fields.map(() => D);
  const full = await runner.stage(
    dir,
    settings.seeds.flatMap((seed) => settings.models.map((m) => cell(m, seed, "full", fullDims, "none"))),
    { log, counts },
  );
  if (full instanceof CellsStopped) return full;
  // The source searches: the main table's AutoDim cells of these settings (computed there if absent).
  const main = {
    ...methodsDefaults(scale),
    models: [settings.sourceModel],
    methods: ["autodim"],
    seeds: settings.seeds,
    candidates: settings.candidates,
    search: settings.search,
    retrain: settings.retrain,
  };
  const sourceRuns = await methodResults(ds, main, methodRunsDir("methods", scale), runner, counts);
  if (sourceRuns instanceof CellsStopped) return sourceRuns;
  const sources = settings.seeds.map((seed) => {
    const source = sourceRuns.get(runKey(settings.sourceModel, "autodim", seed))?.result;
    if (!source?.plan)
      throw new AutodimError(
        `transfer: the main table's ${settings.sourceModel} AutoDim run (seed ${seed}) has no plan`,
      );
    return source;
  });
  const planned = settings.seeds.flatMap((seed, i) => {
    const plan = sources[i].plan as DimensionPlan;
    const dims = plan.fields.map((f) => f.dim);
    return settings.models.map((m) => cell(m, seed, "autodim", dims, plan.config.unify, plan));
  });
  const auto = await runner.stage(dir, planned, { log, counts });
  if (auto instanceof CellsStopped) return auto;
  const rows = settings.seeds.flatMap((seed, i) =>
    settings.models.map((model) => {
      const dims = (sources[i].plan as DimensionPlan).fields.map((f) => f.dim);
      const f = full.get(cell(model, seed, "full", fullDims, "none").key) as RetrainResult;
      const plan = sources[i].plan as DimensionPlan;
      const a = auto.get(cell(model, seed, "autodim", dims, plan.config.unify, plan).key) as RetrainResult;
      return {
        model,
        seed,
        full: testSummary(f),
        autodim: testSummary(a),
        dims,
        seconds: { full: f.runtime.wallSeconds, autodim: a.runtime.wallSeconds },
      };
    }),
  );
  return { rows, sources };
}

/** Per model: the mean over seeds of each test number, and of ΔAUC (AutoDim − full) with its std. */
export function summarizeTransfer(rows: TransferRow[]): (TransferRow & { seeds: number; deltaAucStd: number })[] {
  const models = [...new Set(rows.map((r) => r.model))];
  return models.map((model) => {
    const group = rows.filter((r) => r.model === model);
    const mean = (pick: (r: TransferRow) => number) => group.reduce((a, r) => a + pick(r), 0) / group.length;
    const delta = (r: TransferRow) => r.autodim.auc - r.full.auc;
    const deltaAucStd = sampleStd(group.map(delta));
    const side = (k: "full" | "autodim") => ({
      auc: mean((r) => r[k].auc),
      logloss: mean((r) => r[k].logloss),
      params: mean((r) => r[k].params),
    });
    return {
      model,
      seeds: group.length,
      full: side("full"),
      autodim: side("autodim"),
      dims: group[0].dims,
      seconds: { full: mean((r) => r.seconds.full), autodim: mean((r) => r.seconds.autodim) },
      deltaAucStd,
    };
  });
}

/** Rows of the notebook's table: ours and the paper's differences (Avazu's for Avazu, else Criteo's), AutoDim − full. */
export function transferTableRows(
  rows: TransferRow[],
  paperData: "criteo" | "avazu" = "criteo",
): Record<string, string | number>[] {
  return rows.map((r) => {
    const p = PAPER_TRANSFER[r.model as keyof typeof PAPER_TRANSFER];
    return {
      model: modelLabel(r.model),
      "full AUC": r.full.auc,
      "AutoDim AUC": r.autodim.auc,
      ΔAUC: r.autodim.auc - r.full.auc,
      "paper ΔAUC": p ? p.autodim[paperData][0] - p.full[paperData][0] : NaN,
      "full Logloss": r.full.logloss,
      "AutoDim Logloss": r.autodim.logloss,
      ΔLogloss: r.autodim.logloss - r.full.logloss,
      "paper ΔLogloss": p ? p.autodim[paperData][1] - p.full[paperData][1] : NaN,
      "full Params": r.full.params,
      "AutoDim Params": r.autodim.params,
    };
  });
}

/**
 * ΔAUC (AutoDim's sizes − the model at full dimension) per model: each seed's value, the mean over
 * seeds with ± one std (the table's "ΔAUC" and "ΔAUC std"), and the paper's ΔAUC beside it. A dot
 * plot around 0: no truncated bars.
 */
export function transferFigures(
  rows: TransferRow[],
  caption = "",
  paperData: "criteo" | "avazu" = "criteo",
): Record<string, Figure> {
  const summary = summarizeTransfer(rows);
  const x = summary.map((r) => modelLabel(r.model));
  const delta = (r: TransferRow) => r.autodim.auc - r.full.auc;
  const paper = summary.map((r) => {
    const p = PAPER_TRANSFER[r.model as keyof typeof PAPER_TRANSFER];
    return p ? p.autodim[paperData][0] - p.full[paperData][0] : null;
  });
  const several = summary.some((r) => r.seeds > 1);
  const data: Record<string, unknown>[] = [
    {
      type: "scatter",
      mode: "markers",
      name: "each seed",
      x: summary.flatMap((r) => rows.filter((q) => q.model === r.model).map(() => modelLabel(r.model))),
      y: summary.flatMap((r) => rows.filter((q) => q.model === r.model).map(delta)),
      marker: { color: "#c44e52", size: 7, symbol: "circle-open" },
      hovertemplate: "%{x}: ΔAUC %{y:.4f}<extra>one seed</extra>",
    },
    {
      type: "scatter",
      mode: "markers",
      name: several ? "ours: mean ± std over seeds" : "ours",
      x,
      y: summary.map((r) => r.autodim.auc - r.full.auc),
      error_y: { type: "data", array: summary.map((r) => (r.seeds > 1 ? r.deltaAucStd : 0)), visible: several },
      marker: { color: "#c44e52", size: 13 },
      hovertemplate: "%{x}: mean ΔAUC %{y:.4f}<extra></extra>",
    },
  ];
  if (paper.some((v) => v !== null))
    data.push({
      type: "scatter",
      mode: "markers",
      name: `paper (${paperData === "avazu" ? "Avazu" : "Criteo"}, one run)`,
      x,
      y: paper,
      marker: { color: "#4c72b0", size: 12, symbol: "diamond" },
      hovertemplate: "%{x}: paper ΔAUC %{y:.4f}<extra></extra>",
    });
  return {
    auc: {
      data,
      layout: {
        title: {
          text: `Transferability: AutoDim's sizes searched with one model, in others (ΔAUC vs the full dimension)${caption ? `<br><sub>${caption}</sub>` : ""}`,
        },
        yaxis: { title: { text: "test AUC: AutoDim's sizes − full dimension" }, zeroline: true, zerolinewidth: 2 },
        width: 760,
        height: 460,
        margin: { t: 90 },
        legend: { orientation: "h", y: -0.15 },
      },
    },
  };
}

/** 8 — transferability: the sizes AutoDim searched with FM, re-trained in NFM, IPNN and AutoInt vs their full-dimension versions, per seed. */
export const transferExperiment: Experiment<TransferRow[], TransferSettings> = experiment(
  "transfer",
  async (scale, ds, settings, runner) => {
    const counts: RunCounts = { computed: 0, reused: 0 };
    const transfer = await runTransfer(ds, scale, settings, runner, counts);
    if (transfer instanceof CellsStopped) return transfer;
    const { rows, sources } = transfer;
    const summary = summarizeTransfer(rows);
    const trainingSeconds = rows.reduce((a, r) => a + r.seconds.full + r.seconds.autodim, 0);
    const searchMinutes = sources.reduce((a, r) => a + (r.plan?.runtime.wallSeconds ?? 0), 0) / 60;
    const t = settings.retrain;
    const seeds = settings.seeds.join(", ");
    const line = `**AutoDim's sizes searched with ${modelLabel(settings.sourceModel)}** (the main table's ${modelLabel(settings.sourceModel)} AutoDim runs, seeds ${seeds}: ${sources.map((r) => r.params.embedding.toLocaleString("en")).join(" / ")} embedding parameters; searches ${searchMinutes.toFixed(1)} min) **re-trained in ${settings.models.map(modelLabel).join(", ")}** (${(trainingSeconds / 60).toFixed(1)} minutes for the ${rows.length * 2} trainings), each against itself with every field at ${settings.candidates[settings.candidates.length - 1]}, on ${ds.description} (batch ${t.batchSize}, Adam ${t.learningRate}, ≤ ${t.epochs} epochs, early stopping). Numbers: means over seeds; ΔAUC std over seeds.`;
    const table = markdownTable(
      transferTableRows(summary, ds.name === "avazu" ? "avazu" : "criteo").map((r, i) => ({
        ...r,
        seeds: summary[i].seeds,
        "ΔAUC std": summary[i].seeds > 1 ? summary[i].deltaAucStd : undefined,
      })),
      {
        "full AUC": 4,
        "AutoDim AUC": 4,
        ΔAUC: 4,
        "ΔAUC std": 4,
        "paper ΔAUC": 4,
        "full Logloss": 4,
        "AutoDim Logloss": 4,
        ΔLogloss: 4,
        "paper ΔLogloss": 4,
      },
    );
    return {
      markdown: `${line}\n\n${table}`,
      payload: rows,
      figures: transferFigures(rows, figureCaption(ds, scale, seeds), ds.name === "avazu" ? "avazu" : "criteo"),
      computeSeconds: trainingSeconds,
      seed: settings.seeds[0],
      runs: counts,
    };
  },
  transferDefaults,
);
