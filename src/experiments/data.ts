// Experiment 1 — the data: per field its cardinality, missing share, how concentrated its
// values are (share of the most frequent value, values covering 90% of rows), and for the
// synthetic set the planted rank; plus rows and click rate per split. Everything comes from
// the prepared manifest and the training-split counts (counts.u32): no pass over the rows.
// Here: the overview, its figures and the experiment `data` (its tables).
import type { DataName, Dataset } from "./datasets.js";
import { experiment, type Experiment } from "./experiment.js";
import type { Figure } from "./figures.js";
import { markdownTable } from "./report.js";
import { MISSING_ID, RARE_ID, RESERVED_IDS } from "../data/vocab.js";

export interface FieldOverview {
  field: string;
  kind: string;
  /** Ids of the field: kept values + missing + rare. */
  vocabulary: number;
  /** Distinct values seen fewer than min-count times (all share the rare id). */
  rareValues: number;
  /** Share of training rows where the field is empty. */
  missingShare: number;
  /** Share of training rows (with a value) taken by the most frequent kept value. */
  topShare: number;
  /** Fewest ids (the rare id counting as one) that cover 90% of the rows with a value. */
  idsFor90: number;
  /** Planted rank of the field's interaction factors (synthetic data only). */
  plantedRank?: number;
  /** Zipf exponent of the field's value distribution (synthetic data only). */
  zipf?: number;
}

export interface DataOverview {
  dataset: string;
  description: string;
  rows: { train: number; val: number; test: number };
  clickRate: { train: number; val: number; test: number };
  totalFeatures: number;
  fields: FieldOverview[];
  /** Per field, (rank, training count) of its ids by descending count: the rank–frequency curve. */
  rankFrequency: { field: string; points: [number, number][] }[];
  /** For synthetic data: the AUC of the noise-free logit, the ceiling of any model. */
  ceilingAuc?: number;
}

export function dataOverview(ds: Dataset, opts: { maxCurvePoints?: number } = {}): DataOverview {
  const m = ds.data.manifest;
  const counts = ds.data.counts();
  const truthIndex = new Map((ds.truth?.fields ?? []).map((name, i) => [name, i]));
  const fields: FieldOverview[] = [];
  const rankFrequency: DataOverview["rankFrequency"] = [];
  for (const f of m.fields) {
    const c = Array.from(counts.subarray(f.offset, f.offset + f.vocabularySize));
    const missing = c[MISSING_ID];
    const present = m.rows.train - missing;
    const values = c.slice(RARE_ID).sort((a, b) => b - a); // rare bucket as one id
    let covered = 0;
    let idsFor90 = 0;
    while (idsFor90 < values.length && covered < 0.9 * present) covered += values[idsFor90++];
    const kept = c.slice(RESERVED_IDS);
    const t = truthIndex.get(f.name);
    fields.push({
      field: f.name,
      kind: f.kind,
      vocabulary: f.vocabularySize,
      rareValues: f.rareValues,
      missingShare: missing / m.rows.train,
      topShare: present > 0 ? Math.max(0, ...kept) / present : 0,
      idsFor90,
      plantedRank: t === undefined ? undefined : ds.truth?.ranks[t],
      zipf: t === undefined ? undefined : ds.truth?.zipfExponents[t],
    });
    const curve = values.filter((x) => x > 0);
    rankFrequency.push({ field: f.name, points: thin(curve, opts.maxCurvePoints ?? 200) });
  }
  const rate = (s: "train" | "val" | "test") => (m.rows[s] > 0 ? m.positives[s] / m.rows[s] : NaN);
  return {
    dataset: ds.name,
    description: ds.description,
    rows: { ...m.rows },
    clickRate: { train: rate("train"), val: rate("val"), test: rate("test") },
    totalFeatures: m.totalFeatures,
    fields,
    rankFrequency,
    ceilingAuc: ds.truth?.ceilingAuc,
  };
}

/** At most `n` (rank, count) points of a descending curve, log-spaced in rank (1-based). */
export function thin(curve: number[], n: number): [number, number][] {
  if (curve.length <= n) return curve.map((c, i) => [i + 1, c]);
  const out: [number, number][] = [];
  let last = -1;
  for (let k = 0; k < n; k++) {
    const i = Math.min(curve.length - 1, Math.round(Math.exp((Math.log(curve.length) * k) / (n - 1))) - 1);
    if (i !== last) out.push([i + 1, curve[i]]);
    last = i;
  }
  return out;
}

/** A colour per planted rank (0 … 16): grey-blue for noise, through to red for the most signal. */
export function rankColor(rank: number | undefined): string {
  if (rank === undefined) return "#4c72b0";
  return `hsl(${Math.round(220 - 13.75 * Math.min(16, rank))}, 65%, 45%)`;
}

/** The figures of the data notebook: ids per field, and every field's rank–frequency curve. */
export function dataFigures(o: DataOverview): Record<string, Figure> {
  const ranked = o.fields.some((f) => f.plantedRank !== undefined);
  const legend = ranked ? " (colour: planted rank, blue 0 to red 16)" : "";
  return {
    fields: {
      data: [
        {
          type: "bar",
          x: o.fields.map((f) => f.field),
          y: o.fields.map((f) => f.vocabulary),
          marker: { color: o.fields.map((f) => rankColor(f.plantedRank)) },
          customdata: o.fields.map((f) => (f.plantedRank === undefined ? "" : `, planted rank ${f.plantedRank}`)),
          hovertemplate: "%{x}: %{y} ids%{customdata}<extra></extra>",
        },
      ],
      layout: {
        title: { text: `Ids per field — ${o.dataset}${legend}` },
        yaxis: { type: "log", title: { text: "ids (log)" } },
        xaxis: { tickangle: -60 },
        margin: { b: 80 },
      },
    },
    "rank-frequency": {
      data: o.rankFrequency.map((c, i) => ({
        type: "scatter",
        mode: "lines",
        name: o.fields[i].plantedRank === undefined ? c.field : `${c.field} (rank ${o.fields[i].plantedRank})`,
        x: c.points.map((p) => p[0]),
        y: c.points.map((p) => p[1]),
        line: { color: rankColor(o.fields[i].plantedRank), width: 1.2 },
      })),
      layout: {
        title: { text: `Training count by value rank, per field — ${o.dataset}${legend}` },
        xaxis: { type: "log", title: { text: "value rank (log)" } },
        yaxis: { type: "log", title: { text: "training count (log)" } },
        showlegend: false,
      },
    },
  };
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
