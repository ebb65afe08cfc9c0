// The experiments of the paper, by name: each is one function from a scale to its tables
// (Markdown + JSON payload, with provenance). The notebooks call these and show the result;
// `autodim reproduce` calls the same functions and writes results/.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AutodimError } from "../errors.js";
import { backendLabel, initRuntime } from "../runtime/backend.js";
import { dataFigures, dataOverview, type DataOverview } from "./data.js";
import { FIGURES_DIR, saveFigure, type Figure } from "./figures.js";
import { dataMissing, datasetByName, DEFAULT_SEED, type DataName, type Dataset, type Scale } from "./datasets.js";
import {
  dimensionDistribution,
  dimensionFigures,
  dimensionsDefaults,
  distributionFigures,
  runSearches,
  selectionProbabilities,
  type DimensionDistribution,
  type DimensionsResult,
  type SearchRunsSettings,
} from "./dimensions.js";
import { retrainSettings, searchSettings, SEARCH_MODEL } from "./settings.js";
import {
  componentFigures,
  componentsDefaults,
  runComponents,
  summarizeComponents,
  type ComponentsSettings,
  type VariantResult,
} from "./components.js";
import {
  frequencyDefaults,
  frequencyFigures,
  runFrequencies,
  summarizeFrequencies,
  type FrequencyResult,
  type FrequencySettings,
  type RunCounts,
} from "./frequency.js";
import {
  efficiencyFigures,
  MAIN_METHODS,
  aucDraws,
  mainTable,
  mainTableRows,
  methodFigures,
  methodResults,
  methodRows,
  methodRunsDir,
  methodsDefaults,
  modelLabel,
  testLabels,
  type MainTableResult,
  type MethodRow,
  type MethodsSettings,
} from "./methods.js";
import { caseStudyFigures, PRIOR_ROWS, runCaseStudy, type CaseStudyResult } from "./casestudy.js";
import { caseStudyPaperBody, caseStudyPaperDefaults, type CaseStudyPaperResult } from "./casestudy-paper.js";
import { tuningBody } from "./tuning-report.js";
import { PAPER_METHOD_NAMES } from "../methods/registry.js";
import { beyondBody } from "./beyond-report.js";
import { beyondDefaults, type BeyondResult, type BeyondSettings } from "./beyond.js";
import type { MainPoint } from "./beyond-report.js";
import { tuningDefaults, type TuningResult, type TuningSettings } from "./tuning.js";
import {
  runTransfer,
  summarizeTransfer,
  transferDefaults,
  transferFigures,
  transferTableRows,
  type TransferRow,
  type TransferSettings,
} from "./transfer.js";
import { PAPER_CASE_STUDY, PAPER_CASE_STUDY_TOTALS } from "./paper.js";
import {
  runUnification,
  summarizeUnification,
  unificationDefaults,
  unificationFigures,
  type FdeRun,
  type UnificationRun,
  type UnificationSettings,
} from "./unification.js";
import { stabilityDefaults, stabilityFigures, summarizeStability, type StabilityResult } from "./stability.js";
import { identityHash } from "./cells.js";
import { whyExperiment, whyPlantedExperiment } from "./why.js";
import { isRecorded } from "./data-record.js";
import {
  caseStudyClaims,
  mainTableClaims,
  PAPER_CLAIMS,
  stabilityClaims,
  tuningClaims,
  unificationClaims,
  type ClaimRow,
} from "./claims.js";
import { markdownTable, provenance, provenanceMarkdown, RESULTS_DIR, writeResult, type Provenance } from "./report.js";

export interface ExperimentOutput<P = unknown> {
  name: string;
  scale: Scale;
  /** The tables, as shown in the notebook and written to results/<name>-<scale>.md. */
  markdown: string;
  payload: P;
  provenance: Provenance;
  /** Figures by short name; saved as figures/<experiment>-<name>-<scale>.svg (+ .json). */
  figures: Record<string, Figure>;
  /** The settings it ran with (experiments that take a settings object). */
  settings?: unknown;
  /** Of its runs: how many were computed now, how many loaded from results/ (this session only). */
  runs?: RunCounts;
}

/**
 * An experiment: scale (and, for those converted to a settings object, its settings; default
 * `defaults(scale)`, the one place `reproduce` and the notebook take them from) → output.
 */
export type Experiment<P = unknown, S = undefined> = ((scale: Scale, settings?: S) => Promise<ExperimentOutput<P>>) & {
  defaults?: (scale: Scale) => S;
};

export interface ExperimentBody<P> {
  markdown: string;
  payload: P;
  figures: Record<string, Figure>;
  /** The root seed the numbers come from (default: the project's). */
  seed?: number;
  /** The data the numbers come from, when not the scale's data set. */
  data?: string;
  /** Seconds of the saved runs the result is assembled from (see Provenance.computeSeconds). */
  computeSeconds?: number;
  runs?: RunCounts;
}

/** An experiment: its body gets the scale's data set; timing, backend and provenance are added here. */
function experiment<P, S = undefined>(
  name: string,
  body: (scale: Scale, ds: Dataset, settings: S) => Promise<ExperimentBody<P>>,
  defaults?: (scale: Scale) => S,
): Experiment<P, S> {
  const run = async (scale: Scale, given?: S): Promise<ExperimentOutput<P>> => {
    const started = Date.now();
    const info = await initRuntime();
    const settings = given ?? (defaults?.(scale) as S);
    const ds = await datasetByName(dataOf(settings), scale);
    const out = await body(scale, ds, settings);
    if (isRecorded(ds))
      process.stderr.write(
        `${name} (${scale}): rebuilt from ${out.runs?.reused ?? "its"} committed runs; raw data not needed\n`,
      );
    const p = provenance(
      name,
      scale,
      out.data ?? ds.description,
      out.seed ?? DEFAULT_SEED,
      backendLabel(info),
      (Date.now() - started) / 1000,
      out.computeSeconds,
    );
    return {
      name,
      scale,
      markdown: out.markdown,
      payload: out.payload,
      provenance: p,
      figures: out.figures,
      ...(defaults ? { settings } : {}),
      ...(out.runs ? { runs: out.runs } : {}),
    };
  };
  return Object.assign(run, { defaults });
}

/** A figure's subtitle: the data set by name and size, the scale and the seeds (short enough for one line). */
function figureCaption(ds: Dataset, scale: Scale, seeds: string): string {
  const m = ds.data.manifest;
  const rows = m.rows.train + m.rows.val + m.rows.test;
  return `${ds.name}, ${rows.toLocaleString("en")} rows (test ${m.rows.test.toLocaleString("en")}); scale ${scale}; seeds ${seeds}`;
}

/** The data set a settings object names (`data`), else the scale's. */
function dataOf(settings: unknown): DataName {
  return settings !== null && typeof settings === "object" && "data" in settings
    ? (settings as { data: DataName }).data
    : "scale";
}

/** 1 — the data set of the scale: rows, click rate, per-field cardinality and skew. */
export interface DataSettings {
  /** The data set: "scale" (the scale's synthetic set, Criteo at paper), "movielens", "criteo", "avazu". */
  data: DataName;
}

export const dataExperiment: Experiment<DataOverview, DataSettings> = experiment(
  "data",
  async (scale, ds) => {
    const o = dataOverview(ds);
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    const summary = [
      `**${o.description}.** Rows: train ${o.rows.train.toLocaleString("en")}, validation ${o.rows.val.toLocaleString("en")}, test ${o.rows.test.toLocaleString("en")}; ` +
        `click rate ${pct(o.clickRate.train)} / ${pct(o.clickRate.val)} / ${pct(o.clickRate.test)}; ${o.totalFeatures.toLocaleString("en")} features in ${o.fields.length} fields` +
        (o.ceilingAuc !== undefined
          ? `; AUC of the noise-free logit (the ceiling of any model): ${o.ceilingAuc.toFixed(4)}`
          : "") +
        ".",
      "Paper (Criteo): 45,840,617 rows, 39 fields, 1,086,810 features after filtering; Avazu: 40,428,968 rows, 22 fields, 2,018,012 features.",
    ].join("\n\n");
    const table = markdownTable(
      o.fields.map((f) => ({
        field: f.field,
        kind: f.kind,
        ids: f.vocabulary,
        "rare values": f.rareValues,
        missing: f.missingShare,
        "top value": f.topShare,
        "ids for 90%": f.idsFor90,
        "planted rank": f.plantedRank,
        zipf: f.zipf,
      })),
      { missing: "%", "top value": "%", zipf: 2 },
    );
    return { markdown: `${summary}\n\n${table}`, payload: o, figures: dataFigures(o) };
  },
  (): DataSettings => ({ data: "scale" }),
);

/** 6 — the dimension distribution: AutoDim's size per field vs cardinality and planted rank, α over the search. */
export const dimensionsExperiment: Experiment<DimensionsResult, SearchRunsSettings> = experiment(
  "dimensions",
  async (scale, ds, settings) => {
    const counts: RunCounts = { computed: 0, reused: 0 };
    const runs = await runSearches(ds, settings, scale, counts);
    // The table and figures are the first seed's search; further seeds are summarised beside it.
    const r = runs[0];
    const c = r.candidates;
    const s = settings.search;
    const seeds = settings.seeds.join(", ");
    const perSeed =
      runs.length > 1
        ? ` Other seeds: ${runs
            .slice(1)
            .map(
              (x, i) =>
                `seed ${settings.seeds[i + 1]}${x.spearmanRank !== undefined ? ` Spearman(rank, size) ${x.spearmanRank.toFixed(3)},` : ""} −${(100 * x.reduction).toFixed(1)}%`,
            )
            .join("; ")}.`
        : "";
    const summary = [
      `**AutoDim search** (${modelLabel(settings.model)}, candidates {${settings.candidates.join(", ")}}, ${s.unify} unification, ${s.lookup} lookup, batch ${s.batchSize}, ${s.warmupSteps} warm-up steps + ${s.epochs} epoch(s), α every ${s.frequency} steps, α learning rate ${s.architectureLearningRate}; seed ${settings.seeds[0]}) on ${ds.description}.`,
      `Embedding parameters ${r.embeddingParams.toLocaleString("en")} vs ${r.fullDimensionParams.toLocaleString("en")} at full size (−${(100 * r.reduction).toFixed(1)}%); supernet validation AUC ${r.supernetValidationAuc.toFixed(4)}.`,
      (r.spearmanRank !== undefined ? `Spearman(planted rank, chosen size) = **${r.spearmanRank.toFixed(3)}**; ` : "") +
        `Spearman(log ids, chosen size) = ${r.spearmanCardinality.toFixed(3)}.${perSeed}`,
    ].join("\n\n");
    const table = markdownTable(
      r.fields.map((f) => ({
        field: f.field,
        ids: f.ids,
        "planted rank": f.plantedRank,
        size: f.dim,
        ...Object.fromEntries(c.map((d, n) => [`p(${d})`, selectionProbabilities(f.alpha)[n]])),
      })),
      Object.fromEntries(c.map((d) => [`p(${d})`, 2])),
    );
    return {
      markdown: `${summary}\n\n${table}`,
      payload: r,
      figures: dimensionFigures(r, ds.name, figureCaption(ds, scale, String(settings.seeds[0]))),
      seed: settings.seeds[0],
      runs: counts,
    };
  },
  dimensionsDefaults,
);

/** 6 on real data — AutoDim's sizes per field over FM, W&D, DeepFM and seeds: the MovieLens main table's plans. */
export const movielensDimensionsExperiment: Experiment<DimensionDistribution, MethodsSettings> = experiment(
  "dimensions-movielens",
  async (scale, ds, settings) => {
    const counts: RunCounts = { computed: 0, reused: 0 };
    const runs = await methodResults(ds, settings, methodRunsDir("methods-movielens", scale), counts);
    const plans = [...runs.values()].flatMap((r) =>
      r.result.plan ? [{ model: r.model, seed: r.seed, plan: r.result.plan }] : [],
    );
    const r = dimensionDistribution(plans, ds);
    const seeds = settings.seeds.join(", ");
    const pct = (x: number[]) => `${((100 * x.reduce((a, b) => a + b, 0)) / x.length).toFixed(1)}%`;
    const summary = [
      `**AutoDim's (AD-2) size per field** on ${ds.description}: the plans of the main table's AutoDim runs (${r.models.map(modelLabel).join(", ")}; seeds ${seeds}; candidates {${r.candidates.join(", ")}}), no extra search.`,
      `Parameters saved vs every field at ${r.candidates[r.candidates.length - 1]}: ${r.models.map((m) => `${modelLabel(m)} ${pct(r.reduction[m])}`).join(", ")} (means over seeds). A field gets the same size from every seed in ${(100 * r.seedAgreement).toFixed(0)}% of (field, model) pairs. Spearman(log ids, mean size): ${r.models.map((m) => `${modelLabel(m)} ${r.spearmanCardinality[m].toFixed(2)}`).join(", ")}.`,
      "Paper (Criteo/Avazu, Figure 4): sizes differ across fields and do not follow cardinality; the paper shows one search per data set.",
    ].join("\n\n");
    const table = markdownTable(
      r.fields.map((f) => ({
        field: f.field,
        ids: f.ids,
        ...Object.fromEntries(r.models.map((m) => [`${modelLabel(m)} sizes`, f.sizes[m].join(", ")])),
      })),
    );
    return {
      markdown: `${summary}\n\n${table}`,
      payload: r,
      figures: distributionFigures(r, figureCaption(ds, scale, seeds)),
      data: ds.description,
      seed: settings.seeds[0],
      runs: counts,
    };
  },
  (scale) => ({ ...methodsDefaults(scale, "movielens"), methods: ["autodim"] }),
);

/** 9 — stability: the search under five seeds; agreement of the chosen sizes and of α. */
export const stabilityExperiment: Experiment<StabilityResult, SearchRunsSettings> = experiment(
  "stability",
  async (scale, ds, settings) => {
    if (settings.seeds.length < 2) throw new AutodimError("stability: give at least two seeds to compare");
    const counts: RunCounts = { computed: 0, reused: 0 };
    const r = summarizeStability(await runSearches(ds, settings, scale, counts), settings.seeds);
    const summary = [
      `**AutoDim search with seeds ${r.seeds.join(", ")}** (${modelLabel(settings.model)}, the settings of notebook 6) on ${ds.description}.`,
      `Mean Pearson correlation between two seeds' size vectors: **${r.meanPearsonDims.toFixed(3)}**; between their selection probabilities softmax(log α): ${r.meanPearsonAlpha.toFixed(3)}; a field gets the same size from two seeds ${(100 * r.meanAgreement).toFixed(1)}% of the time. Parameter reduction per seed: ${r.reductions.map((x) => `${(100 * x).toFixed(1)}%`).join(", ")}.`,
    ].join("\n\n");
    const table = markdownTable(
      r.pairs.map((p) => ({
        "seed a": p.a,
        "seed b": p.b,
        "Pearson (sizes)": p.pearsonDims,
        "Pearson (α)": p.pearsonAlpha,
        "same size": p.agreement,
      })),
      { "Pearson (sizes)": 3, "Pearson (α)": 3, "same size": "%" },
    );
    return {
      markdown: `${summary}\n\n${table}`,
      payload: r,
      figures: stabilityFigures(r, figureCaption(ds, scale, r.seeds.join(", "))),
      seed: r.seeds[0],
      runs: counts,
    };
  },
  stabilityDefaults,
);

/** 4 — components: AD-1..AD-4 (sharing/separate × zero-pad/linear), searched and re-trained (DeepFM by default), per seed. */
export const componentsExperiment: Experiment<VariantResult[], ComponentsSettings> = experiment(
  "components",
  async (scale, ds, settings) => {
    const { rows, counts } = await runComponents(ds, settings, scale);
    const summary = summarizeComponents(rows);
    const s = settings.search;
    const seeds = settings.seeds.join(", ");
    const line = `**AutoDim's four variants** searched with ${modelLabel(settings.model)} (candidates {${settings.candidates.join(", ")}}, batch ${s.batchSize}, ${s.warmupSteps} warm-up steps + ${s.epochs} epoch(s), α every ${s.frequency} steps; seeds ${seeds}) and re-trained (≤ ${settings.retrain.epochs} epochs, early stopping) on ${ds.description}. AUC and Logloss: mean ± std over seeds. Inference: scoring the test split with the re-trained model.`;
    const table = markdownTable(
      summary.map((r) => ({
        variant: r.variant,
        lookup: r.lookup,
        unification: r.unify,
        seeds: r.seeds,
        "search params": r.searchParams,
        "search samples/s": r.searchSamplesPerSecond,
        "test AUC": r.testAuc,
        "AUC std": r.seeds > 1 ? r.aucStd : undefined,
        "test Logloss": r.testLogloss,
        "final params": r.finalParams,
        "inference ms / 1k rows": r.inferenceMsPer1k,
      })),
      {
        "search samples/s": 0,
        "test AUC": 4,
        "AUC std": 4,
        "test Logloss": 4,
        "inference ms / 1k rows": 2,
        "search params": 0,
        "final params": 0,
      },
    );
    return {
      markdown: `${line}\n\n${table}`,
      payload: rows,
      figures: componentFigures(rows, figureCaption(ds, scale, seeds)),
      seed: settings.seeds[0],
      runs: counts,
    };
  },
  componentsDefaults,
);

/** 5 — update frequency f of α: AUC, Logloss, Params and search time for f ∈ {1, 5, 10, 20, 50}. */
export const frequencyExperiment: Experiment<FrequencyResult[], FrequencySettings> = experiment(
  "frequency",
  async (scale, ds, settings) => {
    const { rows, counts } = await runFrequencies(ds, settings, scale);
    const summary = summarizeFrequencies(rows);
    const seeds = settings.seeds.join(", ");
    const line = `**AutoDim with α updated every f training steps** (${settings.model.toUpperCase()}, candidates {${settings.candidates.join(", ")}}, ${settings.search.unify} unification, seeds ${seeds}; each plan re-trained) on ${ds.description}.`;
    const table = markdownTable(
      summary.map((r) => ({
        f: r.frequency,
        seeds: r.seeds,
        "α steps": r.architectureSteps,
        "search s": r.searchSeconds,
        "test AUC": r.testAuc,
        "AUC std": r.seeds > 1 ? r.aucStd : undefined,
        "test Logloss": r.testLogloss,
        params: r.params,
        reduction: r.reduction,
      })),
      { "search s": 1, "test AUC": 4, "AUC std": 4, "test Logloss": 4, reduction: "%" },
    );
    const caption = figureCaption(ds, scale, seeds);
    return {
      markdown: `${line}\n\n${table}`,
      payload: rows,
      figures: frequencyFigures(rows, caption),
      seed: settings.seeds[0],
      runs: counts,
    };
  },
  frequencyDefaults,
);

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
    async (scale, ds, settings) => {
      const counts: RunCounts = { computed: 0, reused: 0 };
      const runs = await methodResults(ds, settings, methodRunsDir(opts.runs ?? name, scale), counts);
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

/** Seconds of the runs behind rows (choosing sizes + final training). */
function computeSeconds(rows: { selectionSeconds: number; trainSeconds: number }[]): number {
  return rows.reduce((a, r) => a + r.selectionSeconds + r.trainSeconds, 0);
}

/** 3 — efficiency (the paper's: DeepFM): time to choose sizes, final training, inference, per method. Reuses the main table's DeepFM runs. */
export const efficiencyExperiment: Experiment<MethodRow[], MethodsSettings> = experiment(
  "efficiency",
  async (scale, ds, settings) => {
    const runs = await methodResults(ds, settings, methodRunsDir(mainTableName(settings.data), scale));
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

/**
 * The case study's settings: MovieLens as the paper's (its raw files, or without them the
 * committed runs' record: results/datasets/movielens.json); the scale's synthetic data at smoke.
 */
export function caseStudyDefaults(scale: Scale): MethodsSettings {
  return methodsDefaults(scale, scale === "smoke" ? "scale" : "movielens");
}

/** 7 — case study: each field's importance (trained single-field W&D, test AUC) beside the size AutoDim chose with W&D. */
export const caseStudyExperiment: Experiment<CaseStudyResult, MethodsSettings> = experiment(
  "casestudy",
  async (scale, ds, settings) => {
    const counts: RunCounts = { computed: 0, reused: 0 };
    const mainName = mainTableName(settings.data);
    const r = await runCaseStudy(
      ds,
      settings,
      methodRunsDir(mainName, scale),
      methodRunsDir("casestudy", scale),
      join("data", "single-field", `${ds.name}-${identityHash(ds.description)}`),
      counts,
    );
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const ranked = r.rows.some((f) => f.plantedRank !== undefined);
    const seeds = settings.seeds.join(", ");
    const perSeed = r.spearmanPerSeed.map((x) => x.toFixed(3)).join(", ");
    const summary = [
      `**Field importance vs AutoDim's size** on ${ds.description}, seeds ${seeds}. Importance, as the paper measures it: the test AUC of a W&D model trained on that field alone (size ${settings.candidates[settings.candidates.length - 1]}, the main table's re-train settings; mean ± std over seeds). Cross-check without training: the test AUC of each value's training click rate shrunk towards the global rate by ${PRIOR_ROWS} pseudo-rows (the optimum a single-field model trains towards). Sizes: AutoDim (AD-2) searched with W&D, candidates {${settings.candidates.join(", ")}} — the W&D runs of the main table (${mainName}), one per seed.`,
      `Spearman(single-field AUC, mean chosen size) = **${r.spearman.toFixed(3)}**; per seed ${perSeed}. W&D full dimension: AUC ${r.fde.auc.toFixed(4)}, Logloss ${r.fde.logloss.toFixed(4)}; AutoDim: AUC ${r.autodim.auc.toFixed(4)}, Logloss ${r.autodim.logloss.toFixed(4)} with ${pct(1 - r.autodim.params / r.fde.params)} fewer embedding parameters (means over seeds). Compute: ${(r.computeSeconds / 60).toFixed(1)} minutes over the runs behind it.`,
      `Paper (MovieLens-1M, W&D, candidates up to 16, one run): sizes follow importance — movieId and userId (AUC .73/.69) get 8, gender/age/occupation (≈ .51–.53) get 2; FDE AUC ${PAPER_CASE_STUDY_TOTALS.fde.auc} / Logloss ${PAPER_CASE_STUDY_TOTALS.fde.logloss} vs AutoDim ${PAPER_CASE_STUDY_TOTALS.autodim.auc} / ${PAPER_CASE_STUDY_TOTALS.autodim.logloss} with ${pct(PAPER_CASE_STUDY_TOTALS.reduction)} fewer parameters.` +
        (ranked
          ? " On the synthetic set the planted rank of each field is the ground truth of its importance; it is shown too."
          : ""),
    ].join("\n\n");
    const paperDim = new Map(PAPER_CASE_STUDY.map((p) => [p.field, p]));
    const table = markdownTable(
      r.rows.map((f) => ({
        field: f.field,
        ids: f.ids,
        ...(ranked ? { "planted rank": f.plantedRank } : {}),
        "single-field AUC": f.auc,
        "AUC std": f.aucStd,
        "click-rate AUC": f.clickRateAuc,
        "sizes (per seed)": f.dims.join(", "),
        "mean size": f.dim,
        ...(paperDim.has(f.field)
          ? { "paper AUC": paperDim.get(f.field)?.auc, "paper size": paperDim.get(f.field)?.dim }
          : {}),
      })),
      { "single-field AUC": 4, "AUC std": 4, "click-rate AUC": 4, "mean size": 1, "paper AUC": 4 },
    );
    return {
      markdown: `${summary}\n\n${table}`,
      payload: r,
      figures: caseStudyFigures(r, figureCaption(ds, scale, seeds)),
      data: ds.description,
      computeSeconds: r.computeSeconds,
      seed: settings.seeds[0],
      runs: counts,
    };
  },
  caseStudyDefaults,
);

/** 7b — the case study as the paper ran it: W&D, candidates {2, 4, 8, 16}, FDE at 16 (casestudy-paper.ts). */
export const caseStudyPaperExperiment: Experiment<CaseStudyPaperResult, MethodsSettings> = experiment(
  "casestudy-paper",
  caseStudyPaperBody,
  caseStudyPaperDefaults,
);

/** 13 — a fair chance for every method: BARS-style equal tuning budgets, fresh verdict seeds, uniform controls (tuning.ts). */
export const tuningExperiment: Experiment<TuningResult, TuningSettings> = experiment(
  "tuning",
  tuningBody,
  tuningDefaults,
);

/** 14 — beyond the paper: Shrink's tolerance (tuning seeds) and its trade-off curve (verdict seeds) on MovieLens (beyond.ts). */
export const beyondExperiment: Experiment<BeyondResult & { main: MainPoint[] }, BeyondSettings> = experiment(
  "beyond",
  (scale, ds, settings) =>
    beyondBody(scale, ds, settings, finishedResult("methods-movielens", scale)?.payload as MainTableResult | undefined),
  beyondDefaults,
);

/** 8 — transferability: the sizes AutoDim searched with FM, re-trained in NFM, IPNN and AutoInt vs their full-dimension versions, per seed. */
export const transferExperiment: Experiment<TransferRow[], TransferSettings> = experiment(
  "transfer",
  async (scale, ds, settings) => {
    const counts: RunCounts = { computed: 0, reused: 0 };
    const { rows, sources } = await runTransfer(ds, scale, settings, counts);
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

/** The unification diagnostic: linear + BN (AD-2) vs zero-padding (AD-1) × τ schedule, several seeds, planted data. */
export const unificationExperiment: Experiment<{ runs: UnificationRun[]; fde: FdeRun[] }, UnificationSettings> =
  experiment(
    "unification",
    async (scale, ds, settings) => {
      const { runs, fde, counts } = await runUnification(ds, settings, scale);
      const rows = summarizeUnification(runs, fde);
      const seeds = settings.seeds.join(", ");
      const ci = (x: { mean: number; half: number }, digits: number) =>
        `${x.mean.toFixed(digits)} ± ${x.half.toFixed(digits)}`;
      const line = `**Unification × τ schedule** (${settings.model.toUpperCase()}, candidates {${settings.candidates.join(", ")}}, seeds ${seeds}; each plan re-trained and compared with FDE of the same seed) on ${ds.description}. ± is the 95% t-interval of the mean over seeds.`;
      const table = markdownTable(
        rows.map((r) => ({
          unification: r.unify === "linear" ? "linear + BN (AD-2)" : "zero-pad (AD-1)",
          "τ schedule": r.schedule,
          seeds: r.seeds,
          "Spearman(rank, size)": ci(r.spearman, 3),
          "rank-0 fields → smallest": r.noiseAtSmallest,
          "ΔAUC vs FDE": ci(r.deltaAuc, 4),
          "params saved": r.reduction,
          "final τ": r.finalTemperature,
          "dead α entries": r.deadCandidates,
        })),
        { "params saved": "%", "final τ": 3, "dead α entries": 1 },
      );
      const caption = figureCaption(ds, scale, seeds);
      return {
        markdown: `${line}\n\n${table}`,
        payload: { runs, fde },
        figures: unificationFigures(rows, runs, fde, caption),
        seed: settings.seeds[0],
        runs: counts,
      };
    },
    unificationDefaults,
  );

/** One data set the claims table reads: the main-table experiment that ran on it, at which scale. */
export interface ClaimSource {
  label: string;
  /** The main-table experiment (its finished result and run cells). */
  experiment: string;
  /** A finished subset of the main table to read while the whole is not finished. */
  core?: string;
  data: DataName;
  scale: Scale;
}

/** 11 — what the claims table reads (nothing is trained: every source must have finished). */
export interface ClaimsSettings {
  /** One main table per data set; a source that has not finished is listed as "not run". */
  sources: ClaimSource[];
  /** With the MovieLens source, also read the case study and the dimension distribution (claims C7, C8). */
  movielensStudies: boolean;
  /** Read the 2×2 unification diagnostic (planted synthetic, quick; claim C6's mechanism). */
  unification: boolean;
}

/** The defaults `reproduce claims` uses: MovieLens and the large planted set at `scale`, the real samples at smoke. */
export function claimsDefaults(scale: Scale): ClaimsSettings {
  return {
    sources: [
      {
        label: "MovieLens-1M (real)",
        experiment: "methods-movielens",
        core: "methods-movielens-core",
        data: "movielens",
        scale,
      },
      {
        label: "planted synthetic, 1.2M rows, Criteo vocabularies",
        experiment: "methods-planted",
        data: "planted-large",
        scale,
      },
      { label: "Criteo 10k-row sample (real, smoke)", experiment: "methods-criteo", data: "criteo", scale: "smoke" },
      { label: "Avazu 8k-row sample (real, smoke)", experiment: "methods-avazu", data: "avazu", scale: "smoke" },
    ],
    movielensStudies: true,
    unification: true,
  };
}

/** Every claim of the paper with our verdict per data set, from the finished results (nothing is trained here). */
export const claimsExperiment: Experiment<ClaimRow[], ClaimsSettings> = experiment(
  "claims",
  async (_scale, _ds, settings) => {
    const rows: ClaimRow[] = [];
    const sources: string[] = [];
    for (const src of settings.sources) {
      const s = src.scale;
      const which = finishedResult(src.experiment, s)
        ? src.experiment
        : src.core && finishedResult(src.core, s)
          ? src.core
          : undefined;
      // The intervals are recomputed from the saved test scores, which needs the test labels: the data set itself.
      const absent = dataMissing(src.data);
      if (!which || absent) {
        for (const c of PAPER_CLAIMS.slice(0, 6))
          rows.push({
            id: c.id,
            claim: c.claim,
            data: src.label,
            verdict: "not run",
            ours: absent && which ? `${which} is saved, but ${absent}` : "",
            paper: c.paper,
          });
        continue;
      }
      // The paper's claims are about the paper's methods: a main table's columns beyond the paper
      // (Shrink) are neither read nor, when unsaved, computed here.
      const defaults = (EXPERIMENTS[which] as Experiment<unknown, MethodsSettings>).defaults?.(s) as MethodsSettings;
      const methods = { ...defaults, methods: defaults.methods.filter((m) => PAPER_METHOD_NAMES.includes(m)) };
      const ds = await datasetByName(src.data, s);
      const runs = await methodResults(ds, methods, methodRunsDir(src.experiment, s)); // the core shares these cells
      const labels = testLabels(ds);
      const draws = new Map(methods.models.map((m) => [m, aucDraws(runs, methods, m, labels)]));
      const table = mainTable(runs, methods, labels, ds.data.rows("train"), draws);
      const found = mainTableClaims(src.label, table, draws);
      // Smoke settings (one training epoch, a few hundred test rows) exercise the paths on real
      // bytes; whatever their intervals say, they do not test the paper's claims.
      rows.push(
        ...(s === "smoke"
          ? found.map((r) => ({
              ...r,
              verdict: r.verdict === "not run" ? r.verdict : ("inconclusive" as const),
              ours: r.ours && `smoke settings, not a test of the claim (interval verdict: ${r.verdict}): ${r.ours}`,
            }))
          : found),
      );
      sources.push(
        `${src.label}: ${ds.description}; ${which} (${s}: ${methods.methods.length} methods), seeds ${methods.seeds.join(", ")}`,
      );
      if (src.data === "movielens" && settings.movielensStudies) {
        const cs = finishedResult("casestudy", s);
        const csPayload = cs?.payload as CaseStudyResult | undefined;
        if (csPayload?.spearmanPerSeed) rows.push(...caseStudyClaims(src.label, csPayload));
        const dims = finishedResult("dimensions-movielens", s)?.payload as DimensionDistribution | undefined;
        if (dims) rows.push(...stabilityClaims(src.label, dims));
        const tuning = finishedResult("tuning", s)?.payload as TuningResult | undefined;
        if (tuning) rows.push(...tuningClaims(src.label, tuning));
      }
    }
    const unification = settings.unification ? finishedResult("unification", "quick") : undefined;
    if (unification) {
      const u = unification.payload as { runs: UnificationRun[]; fde: FdeRun[] };
      rows.push(...unificationClaims("planted synthetic, 200k rows", summarizeUnification(u.runs, u.fde)));
      sources.push(`planted synthetic: ${unification.provenance.data}; the unification diagnostic (quick), FM`);
    }
    // By claim, then data set (in the sources' order), then paper settings before tuned.
    const order = (r: ClaimRow) => PAPER_CLAIMS.findIndex((c) => c.id === r.id);
    const dataOrder = [...new Set(rows.map((r) => r.data))];
    const settingOrder = (r: ClaimRow) => (r.setting === "tuned" ? 1 : 0);
    rows.sort(
      (a, b) =>
        order(a) - order(b) ||
        dataOrder.indexOf(a.data) - dataOrder.indexOf(b.data) ||
        settingOrder(a) - settingOrder(b),
    );
    const count = (v: string) => rows.filter((r) => r.verdict === v).length;
    const summary = [
      `**The paper's claims, our verdicts.** holds / fails: the 95% interval (paired bootstrap over seeds and test rows for the main tables; t-interval over seeds for the synthetic diagnostic) is on the claim's side of 0 / on the other side; inconclusive: it includes 0, or fewer than 3 seeds; claims about sizes state their threshold. ${count("holds")} holds, ${count("fails")} fails, ${count("inconclusive")} inconclusive, ${count("not run")} not run.`,
      `Sources: ${sources.join(" · ")}. The full Criteo and Avazu sets were never run here (not reachable from this machine); the samples are 10k and 8k rows at smoke settings, which exercise the loaders on real bytes and decide nothing.`,
    ].join("\n\n");
    const table = markdownTable(
      rows.map((r) => ({
        claim: `${r.id}: ${r.claim}`,
        data: r.data,
        setting: r.setting ?? "paper settings",
        verdict: r.verdict,
        ours: r.ours,
        paper: r.paper,
      })),
    );
    return { markdown: `${summary}\n\n${table}`, payload: rows, figures: {}, data: "see Sources" };
  },
  claimsDefaults,
);

/** The experiments by name, each run with its default settings (`reproduce` passes none). */
export const EXPERIMENTS: Record<string, (scale: Scale) => Promise<ExperimentOutput>> = {
  data: dataExperiment,
  methods: methodsExperiment,
  "methods-movielens": movielensMethodsExperiment,
  "methods-movielens-core": movielensCoreExperiment,
  "methods-planted": plantedMethodsExperiment,
  "methods-criteo": criteoMethodsExperiment,
  "methods-avazu": avazuMethodsExperiment,
  efficiency: efficiencyExperiment,
  components: componentsExperiment,
  frequency: frequencyExperiment,
  dimensions: dimensionsExperiment,
  "dimensions-movielens": movielensDimensionsExperiment,
  casestudy: caseStudyExperiment,
  "casestudy-paper": caseStudyPaperExperiment,
  transfer: transferExperiment,
  stability: stabilityExperiment,
  unification: unificationExperiment,
  tuning: tuningExperiment,
  beyond: beyondExperiment,
  claims: claimsExperiment,
  why: whyExperiment,
  "why-planted": whyPlantedExperiment,
};
/** The data set an experiment runs on by default: "scale" or a real one the user supplies. */
export function experimentData(name: string, scale: Scale): DataName {
  return dataOf((EXPERIMENTS[name] as Experiment<unknown, unknown>).defaults?.(scale));
}

/** Why an experiment's default data set is absent here (real data the user supplies), or undefined. */
export function experimentDataMissing(name: string, scale: Scale): string | undefined {
  return dataMissing(experimentData(name, scale));
}

/**
 * results/<name>-<scale>.json with its figures' specs, if an earlier run finished it (to
 * resume `reproduce all`, and so a notebook shows a finished experiment without redoing it).
 */
export function finishedResult(
  name: string,
  scale: Scale,
  dir = RESULTS_DIR,
  figuresDir = FIGURES_DIR,
): ExperimentOutput | undefined {
  const json = join(dir, `${name}-${scale}.json`);
  if (!existsSync(json)) return undefined;
  try {
    const saved = JSON.parse(readFileSync(json, "utf8")) as {
      provenance: Provenance;
      result: unknown;
      markdown: string;
      figures?: string[];
    };
    const figures: Record<string, Figure> = {};
    for (const f of saved.figures ?? [])
      figures[f] = JSON.parse(
        readFileSync(join(figuresDir, `${figureName({ name, scale }, f)}.json`), "utf8"),
      ) as Figure;
    return { name, scale, markdown: saved.markdown, payload: saved.result, provenance: saved.provenance, figures };
  } catch {
    return undefined; // unreadable or incomplete: run it again
  }
}

/**
 * The experiment's output: the finished one from results/ when there is one (unless
 * AUTODIM_FORCE=1), else a fresh run, saved to results/ and figures/.
 */
export async function loadOrRun<P, S = undefined>(
  experiment: Experiment<P, S>,
  name: string,
  scale: Scale,
  settings?: S,
): Promise<ExperimentOutput<P>> {
  // Other settings than the defaults: its runs load or compute one by one (results/<name>-<scale>-runs/);
  // the experiment's committed result, made with the defaults, is neither used nor replaced.
  const isDefault = settings === undefined || JSON.stringify(settings) === JSON.stringify(experiment.defaults?.(scale));
  if (!isDefault) return experiment(scale, settings);
  const done = process.env.AUTODIM_FORCE === "1" ? undefined : finishedResult(name, scale);
  if (done)
    return {
      ...(done as ExperimentOutput<P>),
      ...(experiment.defaults ? { settings: experiment.defaults(scale) } : {}),
    };
  const out = await experiment(scale);
  await saveOutput(out);
  return out;
}

/** Writes an experiment's tables under results/ and its figures under figures/. */
export async function saveOutput(
  out: ExperimentOutput,
  dir = RESULTS_DIR,
  figuresDir = FIGURES_DIR,
): Promise<{ json: string; md: string; figures: string[] }> {
  const figures: string[] = [];
  for (const [name, fig] of Object.entries(out.figures))
    figures.push((await saveFigure(figureName(out, name), fig, figuresDir)).svg);
  // Tables last: a result file marks the experiment finished (figures included) for a resume.
  return {
    ...writeResult(
      `${out.name}-${out.scale}`,
      out.payload,
      out.markdown,
      out.provenance,
      dir,
      Object.keys(out.figures),
      out.settings,
    ),
    figures,
  };
}

export function figureName(out: Pick<ExperimentOutput, "name" | "scale">, figure: string): string {
  return `${out.name}-${figure}-${out.scale}`;
}

export { provenanceMarkdown };
