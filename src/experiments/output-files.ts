// An experiment's output on disk: saved as results/<name>-<scale>.json + .md and its figures
// under figures/, read back when finished (resume, notebooks), or run and saved when not.
// (Not src/cli/outputs.ts, which checks the CLI's output folders.)
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Scale } from "./datasets.js";
import type { Experiment, ExperimentOutput } from "./experiment.js";
import { FIGURES_DIR, saveFigure, type Figure } from "./figures.js";
import { RESULTS_DIR, writeResult, type Provenance } from "./report.js";

/**
 * results/<name>-<scale>.json with its figures' specs, if an earlier run finished it (to
 * resume `reproduce all`, and so a notebook shows a finished experiment without redoing it).
 */
export function finishedResult(
  name: string,
  scale: Scale,
  dir = RESULTS_DIR,
  figuresDir = FIGURES_DIR,
): ExperimentOutput | undefined {
  const json = join(dir, `${name}-${scale}.json`);
  if (!existsSync(json)) return undefined;
  try {
    const saved = JSON.parse(readFileSync(json, "utf8")) as {
      provenance: Provenance;
      result: unknown;
      markdown: string;
      figures?: string[];
    };
    const figures: Record<string, Figure> = {};
    for (const f of saved.figures ?? [])
      figures[f] = JSON.parse(
        readFileSync(join(figuresDir, `${figureName({ name, scale }, f)}.json`), "utf8"),
      ) as Figure;
    return { name, scale, markdown: saved.markdown, payload: saved.result, provenance: saved.provenance, figures };
  } catch {
    return undefined; // unreadable or incomplete: run it again
  }
}

/**
 * The experiment's output: the finished one from results/ when there is one (unless
 * AUTODIM_FORCE=1), else a fresh run, saved to results/ and figures/.
 */
export async function loadOrRun<P, S = undefined>(
  experiment: Experiment<P, S>,
  name: string,
  scale: Scale,
  settings?: S,
): Promise<ExperimentOutput<P>> {
  // Other settings than the defaults: its runs load or compute one by one (results/<name>-<scale>-runs/);
  // the experiment's committed result, made with the defaults, is neither used nor replaced.
  const isDefault = settings === undefined || JSON.stringify(settings) === JSON.stringify(experiment.defaults?.(scale));
  if (!isDefault) return experiment(scale, settings);
  const done = process.env.AUTODIM_FORCE === "1" ? undefined : finishedResult(name, scale);
  if (done)
    return {
      ...(done as ExperimentOutput<P>),
      ...(experiment.defaults ? { settings: experiment.defaults(scale) } : {}),
    };
  const out = await experiment(scale);
  await saveOutput(out);
  return out;
}

/** Writes an experiment's tables under results/ and its figures under figures/. */
export async function saveOutput(
  out: ExperimentOutput,
  dir = RESULTS_DIR,
  figuresDir = FIGURES_DIR,
): Promise<{ json: string; md: string; figures: string[] }> {
  const figures: string[] = [];
  for (const [name, fig] of Object.entries(out.figures))
    figures.push((await saveFigure(figureName(out, name), fig, figuresDir)).svg);
  // Tables last: a result file marks the experiment finished (figures included) for a resume.
  return {
    ...writeResult(
      `${out.name}-${out.scale}`,
      out.payload,
      out.markdown,
      out.provenance,
      dir,
      Object.keys(out.figures),
      out.settings,
    ),
    figures,
  };
}

/** The file name (no extension) of an output's figure under figures/: <experiment>-<figure>-<scale>. */
export function figureName(out: Pick<ExperimentOutput, "name" | "scale">, figure: string): string {
  return `${out.name}-${figure}-${out.scale}`;
}
