// Figures remade from the committed results alone: every figure of an experiment is a function of
// its result's payload (results/<name>-<scale>.json) and a one-line caption, so the figures can be
// redrawn — and checked against their tables — without the data sets or any training.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { caseStudyFigures, type CaseStudyResult } from "./casestudy.js";
import { caseStudyPaperFigures } from "./casestudy-paper-report.js";
import type { CaseStudyPaperResult } from "./casestudy-paper.js";
import { componentFigures, type VariantResult } from "./components.js";
import { dataFigures, type DataOverview } from "./data.js";
import {
  dimensionFigures,
  distributionFigures,
  type DimensionDistribution,
  type DimensionsResult,
} from "./dimensions.js";
import { FIGURES_DIR, type Figure } from "./figures.js";
import { frequencyFigures, type FrequencyResult } from "./frequency.js";
import { efficiencyFigures } from "./methods-efficiency.js";
import { methodFigures } from "./methods-tradeoff.js";
import type { MainTableResult } from "./methods-table.js";
import type { MethodRow } from "./methods.js";
import { RESULTS_DIR, type Provenance } from "./report.js";
import { stabilityFigures, type StabilityResult } from "./stability.js";
import { transferFigures, type TransferRow } from "./transfer.js";
import { summarizeUnification, unificationFigures, type FdeRun, type UnificationRun } from "./unification.js";

/** A result file as `writeResult` saves it. */
export interface SavedResult {
  provenance: Provenance;
  markdown: string;
  figures?: string[];
  result: unknown;
}

/**
 * Results kept as the record they are (results/README.md, "Legacy"): made by older code whose
 * payload the current figure code does not read. Their figures are left as they were made.
 */
export const LEGACY_RESULTS = new Set(["methods-quick"]);

/** JSON writes NaN as null: the main table's "no interval" (FDE's row) comes back as NaN. */
function mainTableRows(payload: unknown): MainTableResult["table"] {
  return (payload as MainTableResult).table.map((r) => ({
    ...r,
    deltaLow: r.deltaLow ?? NaN,
    deltaHigh: r.deltaHigh ?? NaN,
  }));
}

type Maker = (payload: unknown, caption: string) => Record<string, Figure>;

/** The figure code of each experiment, by the experiment's name (the part of the file name before the scale). */
function maker(experiment: string): Maker | undefined {
  if (experiment === "methods" || experiment.startsWith("methods-"))
    return (p, c) => methodFigures(mainTableRows(p), c, experiment === "methods-avazu" ? "avazu" : "criteo");
  const makers: Record<string, Maker> = {
    data: (p) => dataFigures(p as DataOverview),
    efficiency: (p, c) => efficiencyFigures(p as MethodRow[], c),
    components: (p, c) => componentFigures(p as VariantResult[], c),
    frequency: (p, c) => frequencyFigures(p as FrequencyResult[], c),
    dimensions: (p, c) => dimensionFigures(p as DimensionsResult, c.split(",")[0], c),
    "dimensions-movielens": (p, c) => distributionFigures(p as DimensionDistribution, c),
    casestudy: (p, c) => caseStudyFigures(p as CaseStudyResult, c),
    "casestudy-paper": (p, c) => caseStudyPaperFigures(p as CaseStudyPaperResult, c),
    transfer: (p, c) => transferFigures(p as TransferRow[], c),
    stability: (p, c) => stabilityFigures(p as StabilityResult, c),
    unification: (p, c) => {
      const u = p as { runs: UnificationRun[]; fde: FdeRun[] };
      return unificationFigures(summarizeUnification(u.runs, u.fde), u.runs, u.fde, c);
    },
  };
  return makers[experiment];
}

export function readSavedResult(name: string, dir = RESULTS_DIR): SavedResult {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as SavedResult;
}

/** The committed results (results/<name>.json, not the run folders), by file name without `.json`. */
export function resultNames(dir = RESULTS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

/** The caption under a figure's title (`<sub>…</sub>`), if it has one. */
function captionOf(fig: Figure): string | undefined {
  const title = fig.layout.title as { text?: string } | string | undefined;
  const text = typeof title === "string" ? title : title?.text;
  return text?.match(/<sub>(.*)<\/sub>/)?.[1];
}

/** figures/<experiment>-<figure>-<scale>.json, if it exists. */
export function readFigure(experiment: string, figure: string, scale: string, dir = FIGURES_DIR): Figure | undefined {
  const file = join(dir, `${experiment}-${figure}-${scale}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Figure) : undefined;
}

/**
 * The caption an experiment's figures were made with (data set, rows, scale, seeds: computed from
 * the data set when the experiment ran): read back from any of its figures that shows it; for an
 * experiment none of whose figures has one, the data part of a caption of another result on the
 * same data, with this result's scale and seeds.
 */
export function figureCaptionOf(name: string, dir = RESULTS_DIR, figuresDir = FIGURES_DIR): string {
  const saved = readSavedResult(name, dir);
  const { experiment, scale } = saved.provenance;
  for (const f of saved.figures ?? []) {
    const c = captionOf(readFigure(experiment, f, scale, figuresDir) ?? { data: [], layout: {} });
    if (c !== undefined) return c;
  }
  for (const other of resultNames(dir)) {
    if (other === name || LEGACY_RESULTS.has(other)) continue;
    const o = readSavedResult(other, dir);
    if (o.provenance.data !== saved.provenance.data || o.provenance.scale !== scale) continue;
    for (const f of o.figures ?? []) {
      const c = captionOf(readFigure(o.provenance.experiment, f, scale, figuresDir) ?? { data: [], layout: {} });
      const data = c?.split("; scale ")[0];
      if (data !== undefined && data !== c) return `${data}; scale ${scale}; seeds ${seedsOf(saved).join(", ")}`;
    }
  }
  return `${saved.provenance.data.split(";")[0]}; scale ${scale}; seeds ${seedsOf(saved).join(", ")}`;
}

/** The seeds a result's runs used, when its payload lists runs with seeds (else its root seed). */
function seedsOf(saved: SavedResult): number[] {
  const rows = Array.isArray(saved.result) ? (saved.result as { seed?: number }[]) : [];
  const seeds = [...new Set(rows.flatMap((r) => (typeof r.seed === "number" ? [r.seed] : [])))];
  return seeds.length > 0 ? seeds : [saved.provenance.seed];
}

/**
 * The figures of a committed result, remade from its payload (undefined for a legacy result, or
 * an experiment without figures). Keys are the figure names of results/<name>.json's `figures`.
 */
export function remakeFigures(
  name: string,
  dir = RESULTS_DIR,
  figuresDir = FIGURES_DIR,
): Record<string, Figure> | undefined {
  if (LEGACY_RESULTS.has(name)) return undefined;
  const saved = readSavedResult(name, dir);
  const make = maker(saved.provenance.experiment);
  if (!make || (saved.figures ?? []).length === 0) return undefined;
  // A figure spec is plain JSON: compare and save it as it would be read back.
  return JSON.parse(JSON.stringify(make(saved.result, figureCaptionOf(name, dir, figuresDir)))) as Record<
    string,
    Figure
  >;
}
