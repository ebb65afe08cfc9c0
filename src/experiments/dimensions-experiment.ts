// Experiment 6's tables — AutoDim's size per field: `dimensions` (the searches of
// dimensions.ts on the scale's data) and `dimensions-movielens` (the plans of the MovieLens
// main table's AutoDim runs, across models and seeds; no extra search).
import { CellsStopped } from "./cells.js";
import { experiment, figureCaption, type Experiment } from "./experiment.js";
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
import type { RunCounts } from "./frequency.js";
import { methodResults, methodRunsDir, methodsDefaults, type MethodsSettings } from "./methods.js";
import { modelLabel } from "./methods-table.js";
import { markdownTable } from "./report.js";

/** 6 — the dimension distribution: AutoDim's size per field vs cardinality and planted rank, α over the search. */
export const dimensionsExperiment: Experiment<DimensionsResult, SearchRunsSettings> = experiment(
  "dimensions",
  async (scale, ds, settings, runner) => {
    const counts: RunCounts = { computed: 0, reused: 0 };
    const runs = await runSearches(ds, settings, scale, runner, counts);
    if (runs instanceof CellsStopped) return runs;
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
  async (scale, ds, settings, runner) => {
    const counts: RunCounts = { computed: 0, reused: 0 };
    const runs = await methodResults(ds, settings, methodRunsDir("methods-movielens", scale), runner, counts);
    if (runs instanceof CellsStopped) return runs;
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
