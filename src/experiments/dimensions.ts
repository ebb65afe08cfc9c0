// Experiment 6 — the dimension distribution: which size AutoDim gives each field, against the
// field's cardinality and (synthetic data) its planted rank, and how α moved during the search.
import { join } from "node:path";
import { search } from "../embedding/search.js";
import type { DimensionPlan } from "../train/schemas.js";
import type { ModelName } from "../models/ctr.js";
import { spearman } from "../data/metrics.js";
import { CellsStopped, identityHash, type CellRunner } from "./cells.js";
import { plantedRanks, type Dataset, type Scale } from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import { rankColor } from "./data.js";
import type { Figure } from "./figures.js";
import { RESULTS_DIR } from "./report.js";
import { checkpointsFor, SEARCH_MODEL, searchSettings, type SearchSettings } from "./settings.js";

/**
 * What experiments 6 (one seed) and 9 (several) search with. Each (model, seed) search is a cell
 * under results/searches-<scale>-runs/, keyed by everything it depends on, so notebook 9's run
 * with notebook 6's seed is notebook 6's run, and a changed setting computes only new searches.
 */
export interface SearchRunsSettings {
  /** The base model searched with (the paper's figures: FM). */
  model: ModelName;
  /** Root seeds: one search each (initialisation, shuffling, Gumbel noise and dropout change; the data does not). */
  seeds: number[];
  /** Candidate embedding sizes d_1 < … < d_N. */
  candidates: number[];
  /** The rest of the search: lookup, unification (AD-2: shared + linear), epochs, warm-up, batch, learning rates, τ, f. */
  search: Omit<SearchSettings, "candidates">;
}

/** The settings `autodim reproduce dimensions` and notebook 6 run by default: one seed. */
export function dimensionsDefaults(scale: Scale): SearchRunsSettings {
  const { candidates, ...search } = searchSettings(scale);
  return { model: SEARCH_MODEL, seeds: [DEFAULT_SEED], candidates, search };
}

/** The searches of `settings`, one per seed in its order; computed or loaded as cells. */
export async function runSearches(
  ds: Dataset,
  settings: SearchRunsSettings,
  scale: Scale,
  runner: CellRunner,
  counts?: { computed: number; reused: number },
): Promise<DimensionsResult[] | CellsStopped> {
  const cells = settings.seeds.map((seed) => {
    const identity = {
      data: ds.description,
      model: settings.model,
      seed,
      candidates: settings.candidates,
      search: settings.search,
    };
    return {
      key: `${settings.model}-s${seed}-${identityHash(identity)}`,
      identity,
      run: () =>
        runDimensionSearch(ds, { ...settings.search, candidates: settings.candidates, model: settings.model, seed }),
    };
  });
  const values = await runner.stage(join(RESULTS_DIR, `searches-${scale}-runs`), cells, { counts });
  if (values instanceof CellsStopped) return values;
  return cells.map((c) => values.get(c.key) as DimensionsResult);
}

export interface DimensionsResult {
  fields: { field: string; ids: number; dim: number; plantedRank?: number; alpha: number[] }[];
  candidates: number[];
  /** Spearman correlation of the chosen size with the planted rank (synthetic) and with log ids. */
  spearmanRank?: number;
  spearmanCardinality: number;
  reduction: number;
  embeddingParams: number;
  fullDimensionParams: number;
  supernetValidationAuc: number;
  /** Per snapshot step, per field, the softmax of α (the selection probabilities without noise). */
  selectionHistory: { step: number; p: number[][] }[];
  plan: Pick<DimensionPlan, "config" | "runtime" | "data">;
}

/** softmax(log α) = α / Σα: selection probabilities without noise at τ = 1 (plans older than log-α training clamped α at 1e-6). */
export function selectionProbabilities(alpha: number[]): number[] {
  const clamped = alpha.map((a) => Math.max(a, 1e-6));
  const s = clamped.reduce((a, b) => a + b, 0);
  return clamped.map((a) => a / s);
}

/** Per candidate, its selection probability softmax(log α) averaged over the fields. */
export function meanSelection(alpha: number[][]): number[] {
  const probs = alpha.map(selectionProbabilities);
  return probs[0].map((_, n) => probs.reduce((a, p) => a + p[n], 0) / probs.length);
}

export function summarizePlan(plan: DimensionPlan, ds: Dataset): DimensionsResult {
  const truth = ds.truth;
  const rankOf = plantedRanks(ds);
  const fields = plan.fields.map((f) => ({
    field: f.name,
    ids: f.vocabularySize,
    dim: f.dim,
    plantedRank: rankOf.get(f.name),
    alpha: f.alpha,
  }));
  const dims = fields.map((f) => f.dim);
  return {
    fields,
    candidates: plan.candidates,
    spearmanRank: truth
      ? spearman(
          fields.map((f) => f.plantedRank as number),
          dims,
        )
      : undefined,
    spearmanCardinality: spearman(
      fields.map((f) => Math.log(f.ids)),
      dims,
    ),
    reduction: plan.totals.reduction,
    embeddingParams: plan.totals.embeddingParams,
    fullDimensionParams: plan.totals.fullDimensionParams,
    supernetValidationAuc: plan.search.supernetValidation.auc,
    selectionHistory: plan.search.alphaHistory.map((h) => ({ step: h.step, p: h.alpha.map(selectionProbabilities) })),
    plan: { config: plan.config, runtime: plan.runtime, data: plan.data },
  };
}

export async function runDimensionSearch(ds: Dataset, config: Parameters<typeof search>[1]): Promise<DimensionsResult> {
  const checkpoint = checkpointsFor(`${ds.name}-autodim-${config.model}-seed${config.seed}`);
  const plan = await search(ds.data, config, { progress: process.env.AUTODIM_QUIET !== "1", checkpoint });
  return summarizePlan(plan, ds);
}

export function dimensionFigures(r: DimensionsResult, dataset: string, caption = ""): Record<string, Figure> {
  const sub = caption ? `<br><sub>${caption}</sub>` : "";
  const ranked = r.fields.some((f) => f.plantedRank !== undefined);
  const colours = r.fields.map((f) => rankColor(f.plantedRank));
  const hover = r.fields.map(
    (f) => `${f.field}: ${f.ids} ids${f.plantedRank === undefined ? "" : `, planted rank ${f.plantedRank}`}`,
  );
  const dimAxis = { title: { text: "chosen size" }, tickvals: r.candidates };
  const figures: Record<string, Figure> = {
    fields: {
      data: [
        {
          type: "bar",
          x: r.fields.map((f) => f.field),
          y: r.fields.map((f) => f.dim),
          marker: { color: colours },
          customdata: hover,
          hovertemplate: "%{customdata}: size %{y}<extra></extra>",
        },
      ],
      layout: {
        title: {
          text: `Chosen embedding size per field — ${dataset}${ranked ? " (colour: planted rank, blue 0 to red 16)" : ""}${sub}`,
        },
        yaxis: dimAxis,
        xaxis: { tickangle: -60 },
        margin: { b: 80 },
      },
    },
    cardinality: {
      data: [
        {
          type: "scatter",
          mode: "markers",
          x: r.fields.map((f) => f.ids),
          y: r.fields.map((f) => f.dim),
          marker: { color: colours, size: 9 },
          customdata: hover,
          hovertemplate: "%{customdata}: size %{y}<extra></extra>",
        },
      ],
      layout: {
        title: { text: `Chosen size vs field cardinality (Spearman ${r.spearmanCardinality.toFixed(2)})${sub}` },
        xaxis: { type: "log", title: { text: "ids in the field (log)" } },
        yaxis: dimAxis,
      },
    },
    selection: {
      // How sure the search became: the probability of each field's final choice over the steps.
      data: r.fields.map((f, m) => {
        const k = r.candidates.indexOf(f.dim);
        return {
          type: "scatter",
          mode: "lines",
          name: `${f.field}: size ${f.dim}`,
          x: r.selectionHistory.map((h) => h.step),
          y: r.selectionHistory.map((h) => h.p[m][k]),
          line: { color: colours[m], width: 1.2 },
        };
      }),
      layout: {
        title: { text: `Selection probability of each field's final size during the search${sub}` },
        xaxis: { title: { text: "search step" } },
        yaxis: { title: { text: "softmax(log α) of the chosen size" }, range: [0, 1] },
        showlegend: false,
      },
    },
  };
  if (ranked) {
    // A little horizontal jitter (deterministic) so fields with the same rank and size stay visible.
    figures.rank = {
      data: [
        {
          type: "scatter",
          mode: "markers",
          x: r.fields.map((f, i) => (f.plantedRank as number) + ((i % 5) - 2) * 0.12),
          y: r.fields.map((f) => f.dim),
          marker: { color: colours, size: 9 },
          customdata: hover,
          hovertemplate: "%{customdata}: size %{y}<extra></extra>",
        },
      ],
      layout: {
        title: { text: `Chosen size vs planted rank (Spearman ${(r.spearmanRank as number).toFixed(2)})` },
        xaxis: { title: { text: "planted rank of the field's interactions" }, dtick: 2 },
        yaxis: dimAxis,
      },
    };
  }
  return figures;
}

/** AutoDim's sizes over base models and seeds: the main table's plans, no extra search. */
export interface DimensionDistribution {
  candidates: number[];
  models: string[];
  seeds: number[];
  fields: { field: string; ids: number; sizes: Record<string, number[]> }[];
  /** Embedding parameters saved vs every field at the largest size, per model and seed. */
  reduction: Record<string, number[]>;
  /** Spearman(log ids, mean size over seeds), per model. */
  spearmanCardinality: Record<string, number>;
  /** Share of (field, model) pairs whose size is the same for every seed. */
  seedAgreement: number;
  /** The first model's first seed in full (its α over the search). */
  first: DimensionsResult;
}

export function dimensionDistribution(
  plans: { model: string; seed: number; plan: DimensionPlan }[],
  ds: Dataset,
): DimensionDistribution {
  const models = [...new Set(plans.map((p) => p.model))];
  const seeds = [...new Set(plans.map((p) => p.seed))];
  const of = (model: string) => plans.filter((p) => p.model === model);
  const fields = plans[0].plan.fields.map((f, m) => ({
    field: f.name,
    ids: f.vocabularySize,
    sizes: Object.fromEntries(models.map((model) => [model, of(model).map((p) => p.plan.fields[m].dim)])),
  }));
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  let agree = 0;
  for (const f of fields) for (const model of models) if (new Set(f.sizes[model]).size === 1) agree++;
  return {
    candidates: plans[0].plan.candidates,
    models,
    seeds,
    fields,
    reduction: Object.fromEntries(models.map((model) => [model, of(model).map((p) => p.plan.totals.reduction)])),
    spearmanCardinality: Object.fromEntries(
      models.map((model) => [
        model,
        spearman(
          fields.map((f) => Math.log(f.ids)),
          fields.map((f) => mean(f.sizes[model])),
        ),
      ]),
    ),
    seedAgreement: agree / (fields.length * models.length),
    first: summarizePlan(plans[0].plan, ds),
  };
}

/** Mean size per field and model (range over seeds as error bars), and α over the first search. */
export function distributionFigures(r: DimensionDistribution, caption: string): Record<string, Figure> {
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  const colors = ["#4c72b0", "#dd8452", "#55a868"];
  return {
    sizes: {
      data: r.models.map((model, k) => ({
        type: "bar",
        name: model,
        x: r.fields.map((f) => f.field),
        y: r.fields.map((f) => mean(f.sizes[model])),
        error_y: {
          type: "data",
          symmetric: false,
          array: r.fields.map((f) => Math.max(...f.sizes[model]) - mean(f.sizes[model])),
          arrayminus: r.fields.map((f) => mean(f.sizes[model]) - Math.min(...f.sizes[model])),
        },
        marker: { color: colors[k % colors.length] },
        customdata: r.fields.map((f) => `${f.ids} ids; sizes ${f.sizes[model].join(", ")}`),
        hovertemplate: `${model} %{x}: %{customdata}<extra></extra>`,
      })),
      layout: {
        title: { text: `AutoDim's size per field and base model (mean, range over seeds)<br><sub>${caption}</sub>` },
        barmode: "group",
        yaxis: { title: { text: "chosen size" }, tickvals: r.candidates },
        legend: { orientation: "h", y: -0.2 },
        width: 900,
        height: 480,
        margin: { t: 90 },
      },
    },
    selection: dimensionFigures(r.first, caption.split(",")[0], caption).selection,
  };
}
