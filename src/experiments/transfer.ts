// Experiment 8 — transferability: the sizes AutoDim searched with FM (the main table's FM
// AutoDim run), re-trained in NFM, IPNN and AutoInt, against each model at full dimension.
// Each re-training is a cell under results/transfer-<scale>-runs/.
import { join } from "node:path";
import { retrain } from "../train/retrain.js";
import type { DimensionPlan, RetrainResult } from "../train/schemas.js";
import type { ModelName } from "../models/ctr.js";
import { AutodimError } from "../errors.js";
import { runCells } from "./cells.js";
import type { Dataset, Scale } from "./datasets.js";
import type { Figure } from "./figures.js";
import {
  methodResults,
  methodRunsDir,
  methodSettings,
  methodsDefaults,
  modelLabel,
  runKey,
  testSummary,
} from "./methods.js";
import { PAPER_TRANSFER } from "./paper.js";
import { RESULTS_DIR } from "./report.js";
import { checkpointsFor } from "./settings.js";

export const TRANSFER_MODELS: ModelName[] = ["nfm", "ipnn", "autoint"];

export interface TransferRow {
  model: ModelName;
  full: { auc: number; logloss: number; params: number };
  autodim: { auc: number; logloss: number; params: number };
  /** The FM plan's sizes. */
  dims: number[];
  seconds: { full: number; autodim: number };
}

export async function runTransfer(
  ds: Dataset,
  scale: Scale,
  seed: number,
  models = TRANSFER_MODELS,
): Promise<{ rows: TransferRow[]; source: RetrainResult }> {
  const progress = process.env.AUTODIM_QUIET !== "1";
  const dir = join(RESULTS_DIR, `transfer-${scale}-runs`);
  const log = progress ? undefined : () => {};
  const cell = (
    model: ModelName,
    kind: "full" | "autodim",
    dims: number[],
    projection: "none" | "linear" | "zeropad",
    plan?: DimensionPlan,
  ) => {
    const s = methodSettings(methodsDefaults(scale), model, seed);
    const D = s.candidates[s.candidates.length - 1];
    return {
      key: `${model}-${kind}`,
      identity: { data: ds.description, train: s.train, dims, projection, seed },
      run: () =>
        retrain(
          ds.data,
          { ...s.train, model, dims, projection, outputDim: D, seed },
          {
            method: kind === "full" ? "fde" : "autodim (fm plan)",
            plan,
            progress,
            checkpoint: checkpointsFor(`${ds.name}-transfer-${kind}-${model}-seed${seed}`),
          },
        ),
    };
  };
  // The full-dimension runs need no plan: they go first (another process may still be searching).
  const D = methodsDefaults(scale).candidates.slice(-1)[0];
  const full = await runCells(
    dir,
    models.map((m) =>
      cell(
        m,
        "full",
        ds.data.manifest.fields.map(() => D),
        "none",
      ),
    ),
    { log },
  );
  const main = { ...methodsDefaults(scale), models: ["fm" as const], methods: ["autodim"], seeds: [seed] };
  const source = (await methodResults(ds, main, methodRunsDir("methods", scale))).get(
    runKey("fm", "autodim", seed),
  )?.result;
  if (!source?.plan) throw new AutodimError("transfer: the main table's FM AutoDim run has no plan");
  const plan = source.plan;
  const dims = plan.fields.map((f) => f.dim);
  const auto = await runCells(
    dir,
    models.map((m) => cell(m, "autodim", dims, plan.config.unify, plan)),
    { log },
  );
  const rows = models.map((model) => {
    const f = full.get(`${model}-full`) as RetrainResult;
    const a = auto.get(`${model}-autodim`) as RetrainResult;
    return {
      model,
      full: testSummary(f),
      autodim: testSummary(a),
      dims,
      seconds: { full: f.runtime.wallSeconds, autodim: a.runtime.wallSeconds },
    };
  });
  return { rows, source };
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

export function transferFigures(rows: TransferRow[]): Record<string, Figure> {
  const x = rows.map((r) => modelLabel(r.model));
  return {
    auc: {
      data: [
        { type: "bar", name: "full dimension (32)", x, y: rows.map((r) => r.full.auc), marker: { color: "#4c72b0" } },
        {
          type: "bar",
          name: "AutoDim sizes searched with FM",
          x,
          y: rows.map((r) => r.autodim.auc),
          marker: { color: "#c44e52" },
        },
      ],
      layout: {
        title: { text: "Transferability: FM's AutoDim sizes in other models (test AUC)" },
        barmode: "group",
        yaxis: {
          title: { text: "test AUC" },
          range: [
            Math.min(...rows.flatMap((r) => [r.full.auc, r.autodim.auc])) - 0.01,
            Math.max(...rows.flatMap((r) => [r.full.auc, r.autodim.auc])) + 0.005,
          ],
        },
        width: 700,
        height: 420,
      },
    },
  };
}
