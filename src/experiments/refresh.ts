// `autodim report`: brings what is published from the committed results up to date with them —
// the generated spans of README.md and the notebooks' markdown (prose.ts), and the figures
// (remade from each result's payload: remake.ts). Nothing is trained and no data set is read.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { writeFileAtomic } from "../runtime/files.js";
import { closeFigures, FIGURES_DIR, saveFigure } from "./figures.js";
import { filledFile, proseFiles, Results } from "./prose.js";
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
  }
  return { stale, written };
}
