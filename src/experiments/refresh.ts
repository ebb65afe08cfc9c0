// `autodim report`: brings what is published from the committed results up to date with them —
// the generated spans of README.md and the notebooks' markdown (prose.ts), and the figures
// (remade from each result's payload: remake.ts). Nothing is trained and no data set is read.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { writeFileAtomic } from "../core/files.js";
import { closeFigures, FIGURES_DIR, saveFigure, type Figure } from "./figures.js";
import { filledFile, proseFiles } from "./prose.js";
import { Results } from "./prose-format.js";
import { readFigure, readSavedResult, remakeFigures, resultNames } from "./remake.js";
import { RESULTS_DIR } from "./report.js";

export interface RefreshOptions {
  /** Compare only: write nothing. */
  check: boolean;
  root?: string;
  resultsDir?: string;
  figuresDir?: string;
  /** Leave the figures alone (prose only). */
  proseOnly?: boolean;
}

export interface RefreshReport {
  /** Files (or figures) that differ from what the results give. */
  stale: string[];
  /** Files written (none with `check`). */
  written: string[];
}

/** The figures whose committed spec differs from the one remade from their result (figures/<name>.json). */
export function staleFigures(
  resultsDir = RESULTS_DIR,
  figuresDir = FIGURES_DIR,
): { name: string; figure: string; spec: ReturnType<typeof remakeFigures> }[] {
  const out: { name: string; figure: string; spec: ReturnType<typeof remakeFigures> }[] = [];
  for (const name of resultNames(resultsDir)) {
    const figs = remakeFigures(name, resultsDir, figuresDir);
    if (!figs) continue;
    const { experiment, scale } = readSavedResult(name, resultsDir).provenance;
    for (const [figure, spec] of Object.entries(figs))
      if (!isDeepStrictEqual(readFigure(experiment, figure, scale, figuresDir), spec))
        out.push({ name: `${experiment}-${figure}-${scale}`, figure, spec: { [figure]: spec } });
  }
  return out;
}

interface NotebookOutput {
  output_type: string;
  data?: Record<string, unknown>;
}
interface NotebookJson {
  cells: { cell_type: string; outputs?: NotebookOutput[] }[];
}

/**
 * The figure outputs of the notebooks (a display whose text/plain is the figure's file name, as
 * `displayFigure` writes them) that differ from figures/<name>.json; with `svgOf`, they are
 * replaced by the figure and its SVG (what re-running the cell from the committed result shows).
 */
export async function notebookFigureOutputs(
  root: string,
  figuresDir: string,
  svgOf?: (name: string) => string,
): Promise<{ notebook: string; figure: string }[]> {
  const stale: { notebook: string; figure: string }[] = [];
  for (const file of proseFiles(root).filter((f) => f.endsWith(".ipynb"))) {
    const text = readFileSync(file, "utf8");
    const nb = JSON.parse(text) as NotebookJson;
    let changed = false;
    for (const cell of nb.cells)
      for (const o of cell.outputs ?? []) {
        const d = o.data;
        const name = d?.["text/plain"];
        if (!d || typeof name !== "string" || !("application/vnd.plotly.v1+json" in d)) continue;
        const spec = join(figuresDir, `${name}.json`);
        if (!existsSync(spec)) continue;
        const fig = JSON.parse(readFileSync(spec, "utf8")) as Figure;
        if (isDeepStrictEqual(d["application/vnd.plotly.v1+json"], fig)) continue;
        stale.push({ notebook: file, figure: name });
        if (!svgOf) continue;
        d["application/vnd.plotly.v1+json"] = fig;
        d["image/svg+xml"] = svgOf(name);
        changed = true;
      }
    if (changed) writeFileAtomic(file, JSON.stringify(nb, null, 1) + "\n");
  }
  return stale;
}

export async function refreshPublished(o: RefreshOptions): Promise<RefreshReport> {
  const root = o.root ?? ".";
  const resultsDir = o.resultsDir ?? join(root, RESULTS_DIR);
  const figuresDir = o.figuresDir ?? join(root, FIGURES_DIR);
  const results = new Results(resultsDir);
  const stale: string[] = [];
  const written: string[] = [];
  for (const file of proseFiles(root)) {
    const text = readFileSync(file, "utf8");
    const filled = filledFile(file, text, results);
    if (filled === text) continue;
    stale.push(file);
    if (!o.check) {
      writeFileAtomic(file, filled);
      written.push(file);
    }
  }
  if (!o.proseOnly) {
    const figures = staleFigures(resultsDir, figuresDir);
    try {
      for (const f of figures) {
        stale.push(join(figuresDir, `${f.name}.json`));
        if (o.check) continue;
        const spec = f.spec?.[f.figure];
        if (!spec) continue;
        const saved = await saveFigure(f.name, spec, figuresDir);
        written.push(saved.svg, saved.json);
      }
    } finally {
      await closeFigures();
    }
    const outputs = await notebookFigureOutputs(
      root,
      figuresDir,
      o.check ? undefined : (name) => readFileSync(join(figuresDir, `${name}.svg`), "utf8"),
    );
    for (const x of outputs) {
      stale.push(`${x.notebook} (figure ${x.figure})`);
      if (!o.check && !written.includes(x.notebook)) written.push(x.notebook);
    }
  }
  return { stale, written };
}
