// Experiments 2 and 3's tables: the main table on each data set (every method × model × seed,
// the runs of methods.ts) and the efficiency table read from the main table's runs.
import { CellsStopped } from "./cells.js";
import type { DataName } from "./datasets.js";
import { experiment, figureCaption, type Experiment } from "./experiment.js";
import type { RunCounts } from "./frequency.js";
import { efficiencyFigures } from "./methods-efficiency.js";
import {
  MAIN_METHODS,
  methodResults,
  methodRows,
  methodRunsDir,
  methodsDefaults,
  type MethodRow,
  type MethodsSettings,
} from "./methods.js";
import { mainTable, mainTableRows, modelLabel, testLabels, type MainTableResult } from "./methods-table.js";
import { methodFigures } from "./methods-tradeoff.js";
import { markdownTable } from "./report.js";

/**
 * 2 — the main table: every method × FM, W&D, DeepFM × seeds: AUC and Logloss (mean ± std over
 * seeds), Params, and ΔAUC vs FDE with its paired-bootstrap 95% interval, beside the paper's.
 */
function mainTableExperiment(
  name: string,
  data: DataName,
  opts: { runs?: string; methods?: string[] } = {},
): Experiment<MainTableResult, MethodsSettings> {
  return experiment(
    name,
    async (scale, ds, settings, runner) => {
      const counts: RunCounts = { computed: 0, reused: 0 };
      const runs = await methodResults(ds, settings, methodRunsDir(opts.runs ?? name, scale), runner, counts);
      if (runs instanceof CellsStopped) return runs;
      const trainRows = ds.data.rows("train");
      const table = mainTable(runs, settings, testLabels(ds), trainRows);
      const perRun = methodRows(runs, trainRows);
      const paperData = ds.name === "avazu" ? "avazu" : "criteo";
      const t = settings.retrain;
      const seeds = settings.seeds.join(", ");
      const compute = computeSeconds(perRun);
      const summary = [
        `**${settings.methods.length} methods × ${settings.models.map(modelLabel).join(", ")} × seeds ${seeds}** on ${ds.description} (test split ${ds.data.rows("test").toLocaleString("en")} rows). Each method chooses its sizes (AutoDim = AD-2: searched with the base model itself, candidates {${settings.candidates.join(", ")}}, ${settings.search.unify} unification + BN, τ ${settings.search.tauSchedule === "fit" ? "decayed linearly to 0.01 over the search" : `decay ${settings.search.tauDecay}/step`}; AD-1 the same with zero-padding), then the model is re-trained (batch ${t.batchSize}, Adam ${t.learningRate}, ≤ ${t.epochs} epochs, early stopping on validation AUC, patience ${t.patience}) and tested. Compute: ${(compute / 60).toFixed(1)} minutes summed over the ${perRun.length} runs.`,
        `AUC and Logloss: mean ± std over seeds. ΔAUC: mean over seeds of AUC − FDE's AUC (same model, same seed, same test rows); its 95% interval is a two-stage paired bootstrap (${settings.bootstrapReplicates} replicates drawing seeds, then test rows, with replacement). Verdict: better / worse when the interval excludes 0. Paper columns: ${paperData === "avazu" ? "Avazu" : "Criteo"}, as reported (one run each), as differences to FDE — absolute AUCs of different data do not compare. Params: embedding parameters (DPQ/MGQE: codebooks + code bits in floats).`,
      ].join("\n\n");
      const md = markdownTable(mainTableRows(table, paperData), {
        AUC: 4,
        "AUC std": 4,
        Logloss: 4,
        "ΔAUC vs FDE": 4,
        "95% CI": 0,
        "paper ΔAUC": 4,
        "Params vs FDE": "%",
        "paper Params vs FDE": "%",
      });
      return {
        markdown: `${summary}\n\n${md}`,
        payload: { table, runs: perRun },
        figures: methodFigures(table, figureCaption(ds, scale, seeds), paperData),
        computeSeconds: compute,
        seed: settings.seeds[0],
        data: ds.description,
        runs: counts,
      };
    },
    (scale) => ({ ...methodsDefaults(scale, data), ...(opts.methods ? { methods: opts.methods } : {}) }),
  );
}

/** The main-table experiment (and its runs folder) of a data set. */
export function mainTableName(data: DataName): string {
  return data === "scale" ? "methods" : `methods-${data}`;
}

export const methodsExperiment = mainTableExperiment("methods", "scale");
/** The main table on real data: MovieLens-1M (the largest real set reachable here). */
export const movielensMethodsExperiment = mainTableExperiment("methods-movielens", "movielens", {
  methods: [...MAIN_METHODS, "shrink"],
});
/**
 * The MovieLens main table's core, its first runs: FDE, AutoDim (AD-2) and AD-1 on every model and
 * seed (the same run cells as methods-movielens, so nothing is computed twice).
 */
export const movielensCoreExperiment = mainTableExperiment("methods-movielens-core", "movielens", {
  runs: "methods-movielens",
  methods: ["fde", "autodim", "autodim-zeropad"],
});
/**
 * The core of the main table (FDE, AutoDim = AD-2, AD-1 × FM, W&D, DeepFM × 3 seeds) on the large
 * planted set: a test split of 120k rows and Criteo's long-tailed vocabularies, with a ground truth.
 */
export const plantedMethodsExperiment = mainTableExperiment("methods-planted", "planted-large", {
  methods: ["fde", "autodim", "autodim-zeropad", "shrink"],
});
/** The main table on a raw Criteo / Avazu file (the full sets, or the samples this repo is tested with). */
export const criteoMethodsExperiment = mainTableExperiment("methods-criteo", "criteo");
export const avazuMethodsExperiment = mainTableExperiment("methods-avazu", "avazu");

/** The main-table experiments by name (the claims table reads a source's default settings here). */
export const MAIN_TABLE_EXPERIMENTS: Record<string, Experiment<MainTableResult, MethodsSettings>> = {
  methods: methodsExperiment,
  "methods-movielens": movielensMethodsExperiment,
  "methods-movielens-core": movielensCoreExperiment,
  "methods-planted": plantedMethodsExperiment,
  "methods-criteo": criteoMethodsExperiment,
  "methods-avazu": avazuMethodsExperiment,
};

/** Seconds of the runs behind rows (choosing sizes + final training). */
function computeSeconds(rows: { selectionSeconds: number; trainSeconds: number }[]): number {
  return rows.reduce((a, r) => a + r.selectionSeconds + r.trainSeconds, 0);
}

/** 3 — efficiency (the paper's: DeepFM): time to choose sizes, final training, inference, per method. Reuses the main table's DeepFM runs. */
export const efficiencyExperiment: Experiment<MethodRow[], MethodsSettings> = experiment(
  "efficiency",
  async (scale, ds, settings, runner) => {
    const runs = await methodResults(ds, settings, methodRunsDir(mainTableName(settings.data), scale), runner);
    if (runs instanceof CellsStopped) return runs;
    const rows = methodRows(runs, ds.data.rows("train"));
    const seeds = settings.seeds.join(", ");
    const summary = [
      `**Training and inference time per method** (${settings.models.map(modelLabel).join(", ")}, the runs of the main table — notebook 2 — on ${ds.description}; means over seeds ${seeds}). Choosing sizes: AutoDim's search, RaS's trials, NIS's policy search, AEmb's controller search, MDE's counting; DPQ/MGQE learn codes during training. Inference: scoring the whole test split, batch ${settings.retrain.batchSize}.`,
      "Paper (Criteo, DeepFM; qualitative): AutoDim and AutoDim-s train fast (five candidates are a small search space); AutoDim has the fastest inference (fewest embedding parameters).",
    ].join("\n\n");
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const table = markdownTable(
      settings.models.flatMap((model) =>
        settings.methods.map((method) => {
          const rs = rows.filter((r) => r.model === model && r.method === method);
          return {
            model: modelLabel(model),
            method,
            "choosing sizes s": mean(rs.map((r) => r.selectionSeconds)),
            "final training s": mean(rs.map((r) => r.trainSeconds)),
            epochs: mean(rs.map((r) => r.epochs)),
            "train samples/s": mean(rs.map((r) => r.trainSamplesPerSecond)),
            "total s": mean(rs.map((r) => r.selectionSeconds + r.trainSeconds)),
            "inference ms / 1k rows": mean(rs.map((r) => r.inferenceMsPer1k)),
            Params: mean(rs.map((r) => r.params)),
          };
        }),
      ),
      {
        "choosing sizes s": 1,
        "final training s": 1,
        epochs: 1,
        "train samples/s": 0,
        "total s": 1,
        "inference ms / 1k rows": 2,
        Params: 0,
      },
    );
    return {
      markdown: `${summary}\n\n${table}`,
      payload: rows,
      figures: efficiencyFigures(rows, figureCaption(ds, scale, seeds)),
      computeSeconds: computeSeconds(rows),
      seed: settings.seeds[0],
    };
  },
  (scale) => ({ ...methodsDefaults(scale), models: ["deepfm"] }),
);
