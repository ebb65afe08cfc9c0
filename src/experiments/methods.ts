// Experiments 2 and 3 — the main table and the efficiency study: every method of the paper on
// every base model (FM, W&D, DeepFM), re-trained and tested through the one training path.
// Each (model, method) run is a cell saved under results/<experiment>-<scale>-runs/ as soon as
// it finishes, so the ~27 runs resume after an interruption and can be shared by processes.
import { join } from "node:path";
import { PAPER_CANDIDATES } from "../methods/defaults.js";
import type { RetrainResult } from "../train/schemas.js";
import { METHOD_NAMES, METHODS } from "../methods/registry.js";
import { QUICK_EPOCH_CAPS, quickSettings, SMOKE_RANDOM_SEARCH } from "../methods/defaults.js";
import type { MethodSettings } from "../methods/types.js";
import type { ModelName } from "../models/ctr.js";
import { runCells } from "./cells.js";
import type { Dataset, Scale } from "./datasets.js";
import type { Figure } from "./figures.js";
import { PAPER_MAIN } from "./paper.js";
import { RESULTS_DIR } from "./report.js";
import { checkpointsFor, retrainSettings, searchSettings } from "./settings.js";

export const MAIN_MODELS: ModelName[] = ["fm", "wd", "deepfm"];
/** The registry's methods, in its (the paper's column) order. */
export const MAIN_METHODS: string[] = [...METHOD_NAMES];

const EPOCH_CAPS: Partial<Record<Scale, Record<string, number>>> = { quick: QUICK_EPOCH_CAPS };

/** The settings every method runs with at a scale (MDE α 0.3, RaS 10 one-epoch trials at quick). */
export function methodSettings(scale: Scale, model: ModelName, seed: number, method: string): MethodSettings {
  const base = quickSettings(model, seed);
  const { candidates: _c, oneLevel: _o, ...search } = searchSettings(scale);
  const train = retrainSettings(scale);
  const s: MethodSettings = {
    ...base,
    candidates: PAPER_CANDIDATES,
    search,
    train,
    randomSearch: scale === "smoke" ? { ...SMOKE_RANDOM_SEARCH } : base.randomSearch,
  };
  const cap = EPOCH_CAPS[scale]?.[method];
  return cap === undefined ? s : { ...s, train: { ...s.train, epochs: Math.min(s.train.epochs, cap) } };
}

/** One (model, method) run as the tables need it. */
export interface MethodRow {
  model: ModelName;
  method: string;
  testAuc: number;
  testLogloss: number;
  /** Embedding parameters (the paper's Params); DPQ/MGQE count codebooks + code bits as floats. */
  params: number;
  /** Params ÷ FDE's Params of the same model − 1. */
  paramsVsFde: number;
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

function toRow(r: RetrainResult, trainRows: number): Omit<MethodRow, "paramsVsFde" | "aucVsFde"> {
  const epochs = r.history.length;
  return {
    model: r.model,
    method: r.method,
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

/** Adds the differences to FDE of the same model. */
export function relativeToFde(rows: Omit<MethodRow, "paramsVsFde" | "aucVsFde">[]): MethodRow[] {
  return rows.map((r) => {
    const fde = rows.find((x) => x.model === r.model && x.method === "fde");
    return { ...r, paramsVsFde: fde ? r.params / fde.params - 1 : NaN, aucVsFde: fde ? r.testAuc - fde.testAuc : NaN };
  });
}

/**
 * Every (model, method) run's full result, keyed "<model>-<method>": run, resumed, or read
 * from results/<experiment>-<scale>-runs/ (other experiments reuse the main table's runs).
 */
export async function methodResults(
  ds: Dataset,
  scale: Scale,
  seed: number,
  models = MAIN_MODELS,
  methods = MAIN_METHODS,
  experiment = "methods",
): Promise<Map<string, RetrainResult>> {
  const progress = process.env.AUTODIM_QUIET !== "1";
  const cells = models.flatMap((model) =>
    methods.map((method) => {
      const settings = methodSettings(scale, model, seed, method);
      return {
        key: `${model}-${method}`,
        identity: { data: ds.description, settings },
        run: () =>
          METHODS[method].run(ds.data, settings, {
            progress,
            checkpoint: checkpointsFor(`${ds.name}-${method}-${model}-seed${seed}`),
          }),
      };
    }),
  );
  return runCells(join(RESULTS_DIR, `${experiment}-${scale}-runs`), cells, { log: progress ? undefined : () => {} });
}

/** The main table's rows (model-then-paper-column order), from `methodResults`. */
export async function runMethods(
  ds: Dataset,
  scale: Scale,
  seed: number,
  models = MAIN_MODELS,
  methods = MAIN_METHODS,
  experiment = "methods",
): Promise<MethodRow[]> {
  const results = await methodResults(ds, scale, seed, models, methods, experiment);
  const trainRows = ds.data.rows("train");
  return relativeToFde([...results.values()].map((r) => toRow(r, trainRows)));
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

/**
 * Our table beside the paper's numbers for `paperData` (Avazu's for our Avazu run, else
 * Criteo's), as differences to FDE: absolute AUCs of different data do not compare.
 */
export function mainTableRows(
  rows: MethodRow[],
  paperData: "criteo" | "avazu" = "criteo",
): Record<string, string | number>[] {
  return rows.map((r) => {
    const column = METHODS[r.method]?.paperColumn;
    const paper = column === undefined ? undefined : PAPER_MAIN[paperData][r.model as "fm" | "wd" | "deepfm"]?.[column];
    const paperFde = PAPER_MAIN[paperData][r.model as "fm" | "wd" | "deepfm"]?.fde;
    return {
      model: modelLabel(r.model),
      method: r.method,
      AUC: r.testAuc,
      Logloss: r.testLogloss,
      Params: r.params,
      "ΔAUC vs FDE": r.aucVsFde,
      "paper ΔAUC": paper && paperFde ? paper.auc - paperFde.auc : NaN,
      "Params vs FDE": r.paramsVsFde,
      "paper Params vs FDE": paper && paperFde ? paper.paramsM / paperFde.paramsM - 1 : NaN,
    };
  });
}

/** AUC against Params per model: the trade-off the paper's table is about. */
/**
 * AUC against parameters per base model. One trace per method with its own marker (a shared
 * legend), not text labels on the points: methods with close AUC and Params overlapped.
 */
export function methodFigures(rows: MethodRow[], caption = ""): Record<string, Figure> {
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
  const data = models.flatMap((model, i) => {
    const axis = i === 0 ? "" : String(i + 1);
    return methods.map((method, k) => {
      const rs = rows.filter((r) => r.model === model && r.method === method);
      return {
        type: "scatter",
        mode: "markers",
        name: METHODS[method]?.label ?? method,
        legendgroup: method,
        showlegend: i === 0,
        x: rs.map((r) => r.params),
        y: rs.map((r) => r.testAuc),
        marker: {
          size: method.startsWith("autodim") ? 13 : 10,
          symbol: symbols[k % symbols.length],
          color: colors[k % colors.length],
        },
        xaxis: `x${axis}`,
        yaxis: `y${axis}`,
        hovertemplate: `${METHODS[method]?.label ?? method}: %{x:,} params, AUC %{y:.4f}<extra></extra>`,
      };
    });
  });
  const layout: Record<string, unknown> = {
    title: {
      text: `Test AUC against embedding parameters, per base model${caption ? `<br><sub>${caption}</sub>` : ""}`,
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
    width: 360 * models.length + 80,
    height: 500,
    margin: { t: 100, b: 130 },
    ...Object.fromEntries(
      models.map((_, i) => [`xaxis${i === 0 ? "" : i + 1}`, { type: "log", title: { text: "embedding params" } }]),
    ),
    yaxis: { title: { text: "test AUC" } },
  };
  return { tradeoff: { data, layout } };
}

/** Efficiency (the paper's: DeepFM): time choosing sizes + final training, and inference. */
export function efficiencyFigures(rows: MethodRow[]): Record<string, Figure> {
  const x = rows.map((r) => r.method);
  return {
    time: {
      data: [
        {
          type: "bar",
          name: "choosing sizes (search)",
          x,
          y: rows.map((r) => r.selectionSeconds),
          xaxis: "x",
          yaxis: "y",
        },
        { type: "bar", name: "final training", x, y: rows.map((r) => r.trainSeconds), xaxis: "x", yaxis: "y" },
        {
          type: "bar",
          name: "inference",
          x,
          y: rows.map((r) => r.inferenceMsPer1k),
          xaxis: "x2",
          yaxis: "y2",
          showlegend: false,
          marker: { color: "#55a868" },
        },
      ],
      layout: {
        title: { text: `Training and inference time per method (${modelLabel(rows[0]?.model ?? "")})` },
        barmode: "stack",
        grid: { rows: 1, columns: 2, pattern: "independent" },
        yaxis: { title: { text: "seconds" } },
        yaxis2: { title: { text: "ms per 1,000 test rows" } },
        width: 1100,
        height: 420,
        legend: { orientation: "h", y: -0.2 },
      },
    },
  };
}
