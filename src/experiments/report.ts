// Tables of the experiments: arquero tables rendered as Markdown (notebooks, results/*.md)
// and kept as JSON (results/*.json); each result states what produced it.
import * as aq from "arquero";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../core/files.js";
import { describeHardware, hardwareInfo, type HardwareInfo } from "../core/hardware.js";
import { codeVersion, describeVersion, type CodeVersion } from "../core/version.js";

/** Where tables go: results/ (AUTODIM_RESULTS_DIR overrides it, e.g. for tests). */
export const RESULTS_DIR = process.env.AUTODIM_RESULTS_DIR ?? "results";

/** What produced a result: published with every table. */
export interface Provenance {
  experiment: string;
  scale: string;
  data: string;
  seed: number;
  backend: string;
  hardware: HardwareInfo;
  wallSeconds: number;
  /** Seconds of the runs the result is made of, when they were saved earlier or shared by processes. */
  computeSeconds?: number;
  createdAt: string;
  /** The git commit that made it, and whether tracked files had uncommitted changes. */
  code?: CodeVersion;
  /** For results made before code versions were recorded: the commit that added the file. */
  committedIn?: string;
}

export function provenance(
  experiment: string,
  scale: string,
  data: string,
  seed: number,
  backend: string,
  wallSeconds: number,
  computeSeconds?: number,
): Provenance {
  return {
    experiment,
    scale,
    data,
    seed,
    backend,
    hardware: hardwareInfo(),
    wallSeconds,
    ...(computeSeconds !== undefined ? { computeSeconds } : {}),
    createdAt: new Date().toISOString(),
    code: codeVersion(),
  };
}

export function provenanceMarkdown(p: Provenance): string {
  return `*${p.experiment}, scale ${p.scale}: ${p.data}; seed ${p.seed}; backend ${p.backend}; ${describeHardware(p.hardware)}; wall time ${p.wallSeconds.toFixed(1)} s${p.computeSeconds !== undefined ? `, the runs it is made of ${p.computeSeconds.toFixed(0)} s (each saved when it finished; several processes may share them)` : ""} (${p.createdAt.slice(0, 10)}; code ${p.code ? describeVersion(p.code) : "version not recorded"}${p.committedIn ? `, result committed in ${p.committedIn}` : ""}).*`;
}

type Row = Record<string, string | number | null | undefined>;

/** Rows as a Markdown table, numbers formatted per column (`digits`, or `%` for shares). */
export function markdownTable(rows: Row[], format: Record<string, number | "%"> = {}): string {
  const formatted = rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => {
        const f = format[k];
        if (typeof v !== "number" || f === undefined) return [k, v ?? ""];
        if (!Number.isFinite(v)) return [k, "–"];
        return [k, f === "%" ? `${(100 * v).toFixed(1)}%` : v.toFixed(f)];
      }),
    ),
  );
  return aq.from(formatted).toMarkdown();
}

/** Writes results/<name>.json (payload + provenance) and results/<name>.md. */
export function writeResult(
  name: string,
  payload: unknown,
  markdown: string,
  p: Provenance,
  dir = RESULTS_DIR,
  figures: string[] = [],
  /** The settings it ran with, resolved (defaults, config file, flags), when the experiment takes any. */
  settings?: unknown,
): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const md = join(dir, `${name}.md`);
  const saved = { provenance: p, markdown, figures, ...(settings === undefined ? {} : { settings }), result: payload };
  writeFileAtomic(json, JSON.stringify(saved, null, 1) + "\n");
  writeFileAtomic(md, `${markdown}\n\n${provenanceMarkdown(p)}\n`);
  return { json, md };
}
