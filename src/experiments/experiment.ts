// The shape every experiment shares: an output (tables, payload, figures, provenance), the
// `experiment` wrapper that adds timing, backend and provenance to a body, and the figure caption.
// Its own module, below every experiment's file: a file that calls `experiment(...)` at load
// must not be in an import cycle with the module that defines it.
import { backendLabel, initRuntime } from "../accel/index.js";
import { CellRunner, CellsStopped, type CellMode, type CellsStop } from "./cells.js";
import { isRecorded } from "./data-record.js";
import { datasetByName } from "./datasets-real.js";
import { type DataName, type Dataset, type Scale } from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import type { Figure } from "./figures.js";
import type { RunCounts } from "./frequency.js";
import { provenance, type Provenance } from "./report.js";

export interface ExperimentOutput<P = unknown> {
  name: string;
  scale: Scale;
  /** The tables, as shown in the notebook and written to results/<name>-<scale>.md. */
  markdown: string;
  payload: P;
  provenance: Provenance;
  /** Figures by short name; saved as figures/<experiment>-<name>-<scale>.svg (+ .json). */
  figures: Record<string, Figure>;
  /** The settings it ran with (experiments that take a settings object). */
  settings?: unknown;
  /** Of its runs: how many were computed now, how many loaded from results/ (this session only). */
  runs?: RunCounts;
}

/** An experiment run in a cell mode (cells.ts): its output, or where a scheduler's "list" / "one" run stopped. */
export type ExperimentOutcome<P = unknown> = { kind: "complete"; output: ExperimentOutput<P> } | CellsStop;

/**
 * An experiment: scale (and, for those converted to a settings object, its settings; default
 * `defaults(scale)`, the one place `reproduce` and the notebook take them from) → output, every
 * cell computed; `outcome` runs it in any cell mode (the schedulers').
 */
export type Experiment<P = unknown, S = undefined> = ((scale: Scale, settings?: S) => Promise<ExperimentOutput<P>>) & {
  defaults?: (scale: Scale) => S;
  outcome: (scale: Scale, mode: CellMode, settings?: S) => Promise<ExperimentOutcome<P>>;
};

/** The experiment whose run in a cell mode is `outcome`; called as a function, it computes every cell. */
export function experimentOf<P, S>(
  outcome: (scale: Scale, mode: CellMode, settings?: S) => Promise<ExperimentOutcome<P>>,
  defaults?: (scale: Scale) => S,
): Experiment<P, S> {
  const run = async (scale: Scale, settings?: S): Promise<ExperimentOutput<P>> => {
    const o = await outcome(scale, { kind: "all" }, settings);
    // Only "list" and "one" stop a run: this is a bug, not the user's mistake.
    if (o.kind !== "complete") throw new Error(`an experiment run in "all" mode stopped (${o.kind})`);
    return o.output;
  };
  return Object.assign(run, { defaults, outcome });
}

export interface ExperimentBody<P> {
  markdown: string;
  payload: P;
  figures: Record<string, Figure>;
  /** The root seed the numbers come from (default: the project's). */
  seed?: number;
  /** The data the numbers come from, when not the scale's data set. */
  data?: string;
  /** Seconds of the saved runs the result is assembled from (see Provenance.computeSeconds). */
  computeSeconds?: number;
  runs?: RunCounts;
}

/**
 * An experiment: its body gets the scale's data set and the run's cells (a body that stops at a
 * stage returns the stop); timing, backend and provenance are added here.
 */
export function experiment<P, S = undefined>(
  name: string,
  body: (scale: Scale, ds: Dataset, settings: S, runner: CellRunner) => Promise<ExperimentBody<P> | CellsStopped>,
  defaults?: (scale: Scale) => S,
): Experiment<P, S> {
  const outcome = async (scale: Scale, mode: CellMode, given?: S): Promise<ExperimentOutcome<P>> => {
    const started = Date.now();
    const info = await initRuntime();
    const settings = given ?? (defaults?.(scale) as S);
    const ds = await datasetByName(dataOf(settings), scale);
    const out = await body(scale, ds, settings, new CellRunner(mode));
    if (out instanceof CellsStopped) return out.stop;
    if (isRecorded(ds))
      process.stderr.write(
        `${name} (${scale}): rebuilt from ${out.runs?.reused ?? "its"} committed runs; raw data not needed\n`,
      );
    const p = provenance(
      name,
      scale,
      out.data ?? ds.description,
      out.seed ?? DEFAULT_SEED,
      backendLabel(info),
      (Date.now() - started) / 1000,
      out.computeSeconds,
    );
    const output = {
      name,
      scale,
      markdown: out.markdown,
      payload: out.payload,
      provenance: p,
      figures: out.figures,
      ...(defaults ? { settings } : {}),
      ...(out.runs ? { runs: out.runs } : {}),
    };
    return { kind: "complete", output };
  };
  return experimentOf(outcome, defaults);
}

/** A figure's subtitle: the data set by name and size, the scale and the seeds (short enough for one line). */
export function figureCaption(ds: Dataset, scale: Scale, seeds: string): string {
  const m = ds.data.manifest;
  const rows = m.rows.train + m.rows.val + m.rows.test;
  return `${ds.name}, ${rows.toLocaleString("en")} rows (test ${m.rows.test.toLocaleString("en")}); scale ${scale}; seeds ${seeds}`;
}

/** The data set a settings object names (`data`), else the scale's. */
export function dataOf(settings: unknown): DataName {
  return settings !== null && typeof settings === "object" && "data" in settings
    ? (settings as { data: DataName }).data
    : "scale";
}
