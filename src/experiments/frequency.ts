// Experiment 5 — the update frequency f of α: α takes one step on a validation batch every f
// training steps. Small f: more architecture steps (slower, α follows noisier W); large f:
// fewer, later decisions. Reported as the paper does: AUC, Logloss, Params, time, per f.
// Here: the runs, their summary and figures, and the experiment `frequency` (its tables).
import { join } from "node:path";
import type { ModelName } from "../models/ctr.js";
import { CellsStopped, identityHash, type Cell, type CellRunner } from "./cells.js";
import { searchAndRetrain } from "./components.js";
import { type Dataset, type Scale } from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import { meanSelection } from "./dimensions.js";
import { experiment, figureCaption, type Experiment } from "./experiment.js";
import type { Figure } from "./figures.js";
import { markdownTable, RESULTS_DIR } from "./report.js";
import {
  retrainSettings,
  searchSettings,
  SEARCH_MODEL,
  type RetrainSettings,
  type SearchSettings,
} from "./settings.js";

export const FREQUENCIES = [1, 5, 10, 20, 50];

/**
 * What experiment 5 runs: every (f, seed) pair is one search + re-train, saved as its own run
 * under results/frequency-<scale>-runs/ and keyed by everything it depends on, so a changed
 * setting computes only the runs it changes and the others load.
 */
export interface FrequencySettings {
  /** The base model searched and re-trained with (the paper's figure: FM). */
  model: ModelName;
  /** Root seeds; each seed repeats every f (search and re-train). */
  seeds: number[];
  /** The values of f tried: α takes one step every f training steps. */
  frequencies: number[];
  /** Candidate embedding sizes d_1 < … < d_N. */
  candidates: number[];
  /** The rest of the search (unification, lookup, epochs, warm-up, batch, learning rates, τ). */
  search: Omit<SearchSettings, "frequency" | "candidates">;
  /** Re-training of each plan (epochs, early-stopping patience, batch, learning rate). */
  retrain: RetrainSettings;
}

/** The settings `autodim reproduce frequency` and notebook 5 run by default. */
export function frequencyDefaults(scale: Scale): FrequencySettings {
  const { frequency: _f, candidates, ...search } = searchSettings(scale);
  return {
    model: SEARCH_MODEL,
    seeds: [DEFAULT_SEED],
    frequencies: [...FREQUENCIES],
    candidates,
    search,
    retrain: retrainSettings(scale),
  };
}

export interface FrequencyResult {
  frequency: number;
  seed?: number;
  architectureSteps: number;
  searchSeconds: number;
  testAuc: number;
  testLogloss: number;
  params: number;
  reduction: number;
  /** Mean selection probability of each candidate over the fields, at α's snapshots (absent in older results). */
  selection?: { step: number; p: number[] }[];
}

/** How many runs were computed now and how many loaded from results/. */
export interface RunCounts {
  computed: number;
  reused: number;
}

export async function runFrequencies(
  ds: Dataset,
  settings: FrequencySettings,
  scale: Scale,
  runner: CellRunner,
): Promise<{ rows: FrequencyResult[]; counts: RunCounts } | CellsStopped> {
  const counts: RunCounts = { computed: 0, reused: 0 };
  const cells: Cell<FrequencyResult>[] = settings.seeds.flatMap((seed) =>
    settings.frequencies.map((f) => {
      const identity = {
        data: ds.description,
        model: settings.model,
        seed,
        frequency: f,
        candidates: settings.candidates,
        search: settings.search,
        retrain: settings.retrain,
      };
      return {
        key: `f${f}-seed${seed}-${identityHash(identity)}`,
        identity,
        run: async () => {
          const { plan, result } = await searchAndRetrain(
            ds,
            { ...settings.search, candidates: settings.candidates, frequency: f, model: settings.model, seed },
            settings.retrain,
            `autodim f=${f}`,
          );
          return {
            frequency: f,
            seed,
            architectureSteps: plan.search.architectureSteps,
            searchSeconds: plan.runtime.wallSeconds,
            testAuc: result.test.auc,
            testLogloss: result.test.logloss,
            params: result.params.embedding,
            reduction: plan.totals.reduction,
            selection: plan.search.alphaHistory.map((h) => ({ step: h.step, p: meanSelection(h.alpha) })),
          };
        },
      };
    }),
  );
  const values = await runner.stage(join(RESULTS_DIR, `frequency-${scale}-runs`), cells, { counts });
  if (values instanceof CellsStopped) return values;
  return { rows: [...values.values()], counts };
}

/** Mean and standard deviation (n − 1) of each f's runs over the seeds. */
export function summarizeFrequencies(rows: FrequencyResult[]): (FrequencyResult & { seeds: number; aucStd: number })[] {
  const fs = [...new Set(rows.map((r) => r.frequency))];
  return fs.map((f) => {
    const group = rows.filter((r) => r.frequency === f);
    const mean = (pick: (r: FrequencyResult) => number) => group.reduce((a, r) => a + pick(r), 0) / group.length;
    const auc = mean((r) => r.testAuc);
    const aucStd =
      group.length > 1 ? Math.sqrt(group.reduce((a, r) => a + (r.testAuc - auc) ** 2, 0) / (group.length - 1)) : 0;
    return {
      frequency: f,
      seeds: group.length,
      architectureSteps: mean((r) => r.architectureSteps),
      searchSeconds: mean((r) => r.searchSeconds),
      testAuc: auc,
      aucStd,
      testLogloss: mean((r) => r.testLogloss),
      params: mean((r) => r.params),
      reduction: mean((r) => r.reduction),
    };
  });
}

/** One search run's α trace, from any experiment that keeps it (frequency, components). */
export interface TracedRun {
  selection?: { step: number; p: number[] }[];
  seed?: number;
  frequency?: number;
  variant?: string;
}

/** α over the search for one run: each candidate's mean selection probability against the step. */
export function selectionFigure(row: TracedRun, candidates: number[], caption: string): Figure | undefined {
  if (!row.selection) return undefined;
  const run = [row.variant, row.frequency !== undefined ? `f = ${row.frequency}` : undefined, `seed ${row.seed ?? "?"}`]
    .filter((x) => x !== undefined)
    .join(", ");
  const steps = row.selection.map((h) => h.step);
  return {
    data: candidates.map((d, n) => ({
      type: "scatter",
      mode: "lines",
      x: steps,
      y: row.selection?.map((h) => h.p[n]),
      name: `d = ${d}`,
    })),
    layout: {
      title: {
        text: `α over the search (${run}): mean selection probability per candidate<br><sub>${caption}</sub>`,
      },
      xaxis: { title: { text: "search step t" } },
      yaxis: { title: { text: "mean over fields of softmax(log α)" } },
      width: 800,
      height: 420,
    },
  };
}

/**
 * The four panels against f: the table's means over seeds as lines (AUC with ± one std when there
 * are several seeds), each seed's value as a dot.
 */
export function frequencyFigures(runs: FrequencyResult[], caption = ""): Record<string, Figure> {
  const rows = summarizeFrequencies(runs);
  const x = rows.map((r) => r.frequency);
  const several = rows.some((r) => r.seeds > 1);
  const axes = (i: number) => ({ xaxis: `x${i === 1 ? "" : i}`, yaxis: `y${i === 1 ? "" : i}` });
  const panel = (i: number, pick: (r: FrequencyResult) => number, name: string, std?: number[]) => [
    {
      type: "scatter",
      mode: "lines+markers",
      x,
      y: rows.map(pick),
      name,
      ...(std && several ? { error_y: { type: "data", array: std, visible: true } } : {}),
      ...axes(i),
      showlegend: false,
    },
    ...(several
      ? [
          {
            type: "scatter",
            mode: "markers",
            x: runs.map((r) => r.frequency),
            y: runs.map(pick),
            name: `${name}, each seed`,
            marker: { color: "#222222", size: 5, symbol: "circle-open" },
            ...axes(i),
            showlegend: false,
          },
        ]
      : []),
  ];
  const titles = ["test AUC", "test Logloss", "embedding parameters", "search time (s)"];
  const seeds = [...new Set(runs.map((r) => r.seed))].filter((s) => s !== undefined);
  return {
    panels: {
      data: [
        ...panel(
          1,
          (r) => r.testAuc,
          "AUC",
          rows.map((r) => r.aucStd),
        ),
        ...panel(2, (r) => r.testLogloss, "Logloss"),
        ...panel(3, (r) => r.params, "Params"),
        ...panel(4, (r) => r.searchSeconds, "time"),
      ],
      layout: {
        title: {
          text: `Update frequency f of α (one α step every f training steps); ${several ? `means over seeds ${seeds.join(", ")} (AUC ± one std), dots: each seed` : `one seed${seeds.length ? ` (${seeds.join(", ")})` : ""}`}${caption ? `<br><sub>${caption}</sub>` : ""}`,
        },
        grid: { rows: 1, columns: 4, pattern: "independent" },
        annotations: titles.map((text, i) => ({
          text,
          showarrow: false,
          xref: "paper",
          yref: "paper",
          x: i / 4 + 1 / 8,
          y: 1.06,
          xanchor: "center",
          font: { size: 12 },
        })),
        ...Object.fromEntries(
          [1, 2, 3, 4].map((i) => [`xaxis${i === 1 ? "" : i}`, { type: "log", title: { text: "f" }, tickvals: x }]),
        ),
        yaxis3: { rangemode: "tozero" },
        yaxis4: { rangemode: "tozero" },
        width: 1100,
        height: 410,
        margin: { t: 120 },
      },
    },
  };
}

/** 5 — update frequency f of α: AUC, Logloss, Params and search time for f ∈ {1, 5, 10, 20, 50}. */
export const frequencyExperiment: Experiment<FrequencyResult[], FrequencySettings> = experiment(
  "frequency",
  async (scale, ds, settings, runner) => {
    const runs = await runFrequencies(ds, settings, scale, runner);
    if (runs instanceof CellsStopped) return runs;
    const { rows, counts } = runs;
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
