// The efficiency study (experiment 3): per method the time choosing sizes, the final training and
// inference, means over seeds with each seed's value, as a table and a figure.
import { METHOD_NAMES } from "../methods/registry.js";
import type { ModelName } from "../models/ctr.js";
import type { Figure } from "./figures.js";
import type { MethodRow } from "./methods.js";
import { modelLabel } from "./methods-table.js";

/** Efficiency per method: the means over seeds the efficiency table prints, and each seed's values. */
export interface EfficiencySummary {
  model: ModelName;
  method: string;
  seeds: number[];
  selectionSeconds: number;
  trainSeconds: number;
  totalSeconds: number;
  inferenceMsPer1k: number;
  /** Per seed, in `seeds` order. */
  perSeed: { totalSeconds: number; inferenceMsPer1k: number }[];
}

/** Per model and method (in the order the runs list them): means over seeds, as the efficiency table. */
export function summarizeEfficiency(rows: MethodRow[]): EfficiencySummary[] {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // The table's order: models as the runs list them, methods in the registry's order.
  const order = (m: string) => (METHOD_NAMES.indexOf(m) < 0 ? METHOD_NAMES.length : METHOD_NAMES.indexOf(m));
  const models = [...new Set(rows.map((r) => r.model))];
  const methods = [...new Set(rows.map((r) => r.method))].sort((a, b) => order(a) - order(b));
  const keys = models.flatMap((m) =>
    methods.filter((k) => rows.some((r) => r.model === m && r.method === k)).map((k) => `${m}\u0000${k}`),
  );
  return keys.map((k) => {
    const [model, method] = k.split("\u0000");
    const rs = rows.filter((r) => r.model === model && r.method === method);
    return {
      model: model as ModelName,
      method,
      seeds: rs.map((r) => r.seed),
      selectionSeconds: mean(rs.map((r) => r.selectionSeconds)),
      trainSeconds: mean(rs.map((r) => r.trainSeconds)),
      totalSeconds: mean(rs.map((r) => r.selectionSeconds + r.trainSeconds)),
      inferenceMsPer1k: mean(rs.map((r) => r.inferenceMsPer1k)),
      perSeed: rs.map((r) => ({
        totalSeconds: r.selectionSeconds + r.trainSeconds,
        inferenceMsPer1k: r.inferenceMsPer1k,
      })),
    };
  });
}

/**
 * Efficiency (the paper's: DeepFM): bars of the table's means over seeds (choosing sizes + final
 * training, stacked, from 0; inference), each seed's value as a dot on its bar.
 */
export function efficiencyFigures(rows: MethodRow[], caption = ""): Record<string, Figure> {
  const s = summarizeEfficiency(rows);
  const x = s.map((r) => r.method);
  const seeds = [...new Set(rows.map((r) => r.seed))];
  const perSeed = (pick: (p: EfficiencySummary["perSeed"][number]) => number, axis: "" | "2", legend: boolean) => ({
    type: "scatter",
    mode: "markers",
    name: "each seed",
    legendgroup: "seed",
    showlegend: legend,
    x: s.flatMap((r) => r.perSeed.map(() => r.method)),
    y: s.flatMap((r) => r.perSeed.map(pick)),
    marker: { color: "#222222", size: 6, symbol: "circle-open" },
    xaxis: `x${axis}`,
    yaxis: `y${axis}`,
    hovertemplate: `%{x}: %{y:.2f}<extra>one seed</extra>`,
  });
  const model = modelLabel(rows[0]?.model ?? "");
  return {
    time: {
      data: [
        {
          type: "bar",
          name: "choosing sizes (search), mean",
          x,
          y: s.map((r) => r.selectionSeconds),
          xaxis: "x",
          yaxis: "y",
          marker: { color: "#dd8452" },
        },
        {
          type: "bar",
          name: "final training, mean",
          x,
          y: s.map((r) => r.trainSeconds),
          xaxis: "x",
          yaxis: "y",
          marker: { color: "#4c72b0" },
        },
        perSeed((p) => p.totalSeconds, "", seeds.length > 1),
        {
          type: "bar",
          name: "inference, mean",
          x,
          y: s.map((r) => r.inferenceMsPer1k),
          xaxis: "x2",
          yaxis: "y2",
          marker: { color: "#55a868" },
        },
        perSeed((p) => p.inferenceMsPer1k, "2", false),
      ],
      layout: {
        title: {
          text: `Training and inference time per method (${model}; bars: means over seeds ${seeds.join(", ")}; dots: each seed)${caption ? `<br><sub>${caption}</sub>` : ""}`,
        },
        barmode: "stack",
        grid: { rows: 1, columns: 2, pattern: "independent" },
        yaxis: { title: { text: "seconds (choosing sizes + final training)" }, rangemode: "tozero" },
        yaxis2: { title: { text: "inference: ms per 1,000 test rows" }, rangemode: "tozero" },
        width: 1100,
        height: 500,
        margin: { t: 90, b: 150 },
        legend: { orientation: "h", y: -0.35 },
      },
    },
  };
}
