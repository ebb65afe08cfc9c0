// The experiments of the paper, by name: each is one function from a scale to its tables
// (Markdown + JSON payload, with provenance). The notebooks call these and show the result;
// `autodim reproduce` calls the same functions and writes results/.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { initRuntime } from "../runtime/backend.js";
import { dataFigures, dataOverview, type DataOverview } from "./data.js";
import { FIGURES_DIR, saveFigure, type Figure } from "./figures.js";
import { datasetForScale, DEFAULT_SEED, type Scale } from "./datasets.js";
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
}

export type Experiment<P = unknown> = (scale: Scale) => Promise<ExperimentOutput<P>>;

/** 1 — the data set of the scale: rows, click rate, per-field cardinality and skew. */
export const dataExperiment: Experiment<DataOverview> = async (scale) => {
  const started = Date.now();
  const info = await initRuntime();
  const ds = await datasetForScale(scale);
  const o = dataOverview(ds);
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const summary = [
    `**${o.description}.** Rows: train ${o.rows.train.toLocaleString("en")}, validation ${o.rows.val.toLocaleString("en")}, test ${o.rows.test.toLocaleString("en")}; ` +
      `click rate ${pct(o.clickRate.train)} / ${pct(o.clickRate.val)} / ${pct(o.clickRate.test)}; ${o.totalFeatures.toLocaleString("en")} features in ${o.fields.length} fields` +
      (o.ceilingAuc !== undefined ? `; AUC of the noise-free logit (the ceiling of any model): ${o.ceilingAuc.toFixed(4)}` : "") +
      ".",
    "Paper (Criteo): 45,840,617 rows, 39 fields, 1,086,810 features after filtering; Avazu: 40,428,968 rows, 22 fields, 2,018,012 features.",
  ].join("\n\n");
  const table = markdownTable(
    o.fields.map((f) => ({ field: f.field, kind: f.kind, ids: f.vocabulary, "rare values": f.rareValues, missing: f.missingShare, "top value": f.topShare, "ids for 90%": f.idsFor90, "planted rank": f.plantedRank, zipf: f.zipf })),
    { missing: "%", "top value": "%", zipf: 2 },
  );
  const p = provenance("data", scale, o.description, DEFAULT_SEED, info.backend, (Date.now() - started) / 1000);
  return { name: "data", scale, markdown: `${summary}\n\n${table}`, payload: o, provenance: p, figures: dataFigures(o) };
};

export const EXPERIMENTS: Record<string, Experiment> = { data: dataExperiment };

/** results/<name>-<scale>.json, if an earlier run finished it (to resume `reproduce all`). */
export function finishedResult(name: string, scale: Scale, dir = RESULTS_DIR): ExperimentOutput | undefined {
  const json = join(dir, `${name}-${scale}.json`);
  if (!existsSync(json)) return undefined;
  try {
    const saved = JSON.parse(readFileSync(json, "utf8")) as { provenance: Provenance; result: unknown; markdown: string };
    return { name, scale, markdown: saved.markdown, payload: saved.result, provenance: saved.provenance, figures: {} };
  } catch {
    return undefined; // unreadable: run it again
  }
}

/** Writes an experiment's tables under results/ and its figures under figures/. */
export async function saveOutput(out: ExperimentOutput, dir = RESULTS_DIR, figuresDir = FIGURES_DIR): Promise<{ json: string; md: string; figures: string[] }> {
  const figures: string[] = [];
  for (const [name, fig] of Object.entries(out.figures)) figures.push((await saveFigure(figureName(out, name), fig, figuresDir)).svg);
  // Tables last: a result file marks the experiment finished (figures included) for a resume.
  return { ...writeResult(`${out.name}-${out.scale}`, out.payload, out.markdown, out.provenance, dir), figures };
}

export function figureName(out: Pick<ExperimentOutput, "name" | "scale">, figure: string): string {
  return `${out.name}-${figure}-${out.scale}`;
}

export { provenanceMarkdown };
