// Experiment 5 — the update frequency f of α: α takes one step on a validation batch every f
// training steps. Small f: more architecture steps (slower, α follows noisier W); large f:
// fewer, later decisions. Reported as the paper does: AUC, Logloss, Params, time, per f.
import type { ModelName } from "../models/ctr.js";
import { searchAndRetrain } from "./components.js";
import type { Dataset } from "./datasets.js";
import type { Figure } from "./figures.js";
import type { RetrainSettings, SearchSettings } from "./settings.js";

export const FREQUENCIES = [1, 5, 10, 20, 50];

export interface FrequencyResult {
  frequency: number;
  architectureSteps: number;
  searchSeconds: number;
  testAuc: number;
  testLogloss: number;
  params: number;
  reduction: number;
}

export async function runFrequencies(
  ds: Dataset,
  settings: SearchSettings,
  train: RetrainSettings,
  model: ModelName,
  seed: number,
  frequencies = FREQUENCIES,
): Promise<FrequencyResult[]> {
  const out: FrequencyResult[] = [];
  for (const f of frequencies) {
    const { plan, result } = await searchAndRetrain(
      ds,
      { ...settings, frequency: f, model, seed },
      train,
      `autodim f=${f}`,
    );
    out.push({
      frequency: f,
      architectureSteps: plan.search.architectureSteps,
      searchSeconds: plan.runtime.wallSeconds,
      testAuc: result.test.auc,
      testLogloss: result.test.logloss,
      params: result.params.embedding,
      reduction: plan.totals.reduction,
    });
  }
  return out;
}

export function frequencyFigures(rows: FrequencyResult[]): Record<string, Figure> {
  const x = rows.map((r) => r.frequency);
  const panel = (i: number, y: number[], name: string) => ({
    type: "scatter",
    mode: "lines+markers",
    x,
    y,
    name,
    xaxis: `x${i === 1 ? "" : i}`,
    yaxis: `y${i === 1 ? "" : i}`,
    showlegend: false,
  });
  const titles = ["test AUC", "test Logloss", "embedding parameters", "search time (s)"];
  return {
    panels: {
      data: [
        panel(
          1,
          rows.map((r) => r.testAuc),
          "AUC",
        ),
        panel(
          2,
          rows.map((r) => r.testLogloss),
          "Logloss",
        ),
        panel(
          3,
          rows.map((r) => r.params),
          "Params",
        ),
        panel(
          4,
          rows.map((r) => r.searchSeconds),
          "time",
        ),
      ],
      layout: {
        title: { text: "Update frequency f of α (one α step every f training steps)" },
        grid: { rows: 1, columns: 4, pattern: "independent" },
        annotations: titles.map((text, i) => ({
          text,
          showarrow: false,
          xref: "paper",
          yref: "paper",
          x: i / 4 + 1 / 8,
          y: 1.08,
          xanchor: "center",
          font: { size: 12 },
        })),
        ...Object.fromEntries(
          [1, 2, 3, 4].map((i) => [`xaxis${i === 1 ? "" : i}`, { type: "log", title: { text: "f" }, tickvals: x }]),
        ),
        width: 1100,
        height: 380,
        margin: { t: 90 },
      },
    },
  };
}
