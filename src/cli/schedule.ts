// An experiment's run cells on a scheduler: one self-contained command per cell (`--list-cells`,
// for GNU parallel, a Kubernetes indexed Job or a loop), a Slurm array job with one task per cell
// (`--slurm`), and the check before assembling: which cells are missing, with their Slurm logs.
// The experiment code is the same as a local `reproduce`: `autodim cell` runs one cell of it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { CellsStop, ListedCell } from "../experiments/cells.js";
import type { Scale } from "../experiments/datasets.js";
import { EXPERIMENTS } from "../experiments/registry.js";
import { writeFileAtomic } from "../core/files.js";
import { AutodimError } from "../core/errors.js";
import { UsageError } from "./args.js";

/** Environment variables that choose an experiment's data, carried into every cell's command. */
const DATA_ENV = [
  "AUTODIM_MOVIELENS",
  "AUTODIM_CRITEO",
  "AUTODIM_AVAZU",
  "AUTODIM_BACKEND",
  "AUTODIM_NATIVE_BLAS",
  "AUTODIM_THREADS",
];

export const SLURM_DIR = join("runs", "slurm");

/** The cells of the experiment's first stage with unsaved cells, or undefined when every cell is saved. */
export async function listCells(
  experiment: string,
  scale: Scale,
): Promise<{ dir: string; cells: ListedCell[] } | undefined> {
  const outcome = await EXPERIMENTS[experiment].outcome(scale, { kind: "list" });
  if (outcome.kind === "complete") return undefined;
  if (outcome.kind === "listed") return outcome;
  throw new Error(`listing ${experiment}'s cells computed cell ${outcome.cell.index}`); // "list" never computes
}

/** Computes exactly cell `index` of that stage (saved under results/); says whether it was computed. */
export async function runOneCell(
  experiment: string,
  scale: Scale,
  index: number,
): Promise<Extract<CellsStop, { kind: "computed" }> | undefined> {
  const outcome = await EXPERIMENTS[experiment].outcome(scale, { kind: "one", index });
  if (outcome.kind === "complete") return undefined; // every stage saved: nothing to compute
  if (outcome.kind === "computed") return outcome;
  // "one" lists the stage when it has no cell `index`: the caller's mistake.
  throw new UsageError(`cell ${index}: this stage has cells 0–${outcome.cells.length - 1} (${outcome.dir})`);
}

function quote(s: string): string {
  return /^[\w./=:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function envPrefix(env: NodeJS.ProcessEnv): string {
  return DATA_ENV.filter((k) => env[k] !== undefined)
    .map((k) => `${k}=${quote(resolveIfPath(env[k] as string))} `)
    .join("");
}

function resolveIfPath(v: string): string {
  return v.includes("/") ? resolve(v) : v;
}

/** The shell command that runs cell `index` from anywhere (repo root and data paths absolute). */
export function cellCommand(experiment: string, scale: Scale, index: number, env = process.env): string {
  return `cd ${quote(resolve("."))} && ${envPrefix(env)}node bin/autodim.js cell ${experiment} ${index} --scale ${scale}`;
}

export interface SlurmOptions {
  partition?: string;
  time?: string;
  cpus: number;
  dryRun: boolean;
}

/** One submission of an experiment's cells, kept in runs/slurm/<experiment>-<scale>.json. */
export interface Submission {
  jobId: string;
  script: string;
  indices: number[];
  cells: { index: number; key: string }[];
  logDir: string;
  submittedAt: string;
}

function recordFile(experiment: string, scale: Scale): string {
  return join(SLURM_DIR, `${experiment}-${scale}.json`);
}

export function readSubmissions(experiment: string, scale: Scale): Submission[] {
  const f = recordFile(experiment, scale);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as Submission[]) : [];
}

/** The sbatch script: one array task per unsaved cell, each running `autodim cell` on its index. */
export function sbatchScript(
  experiment: string,
  scale: Scale,
  indices: number[],
  logDir: string,
  opts: SlurmOptions,
  env = process.env,
): string {
  return [
    "#!/bin/bash",
    `#SBATCH --job-name=autodim-${experiment}-${scale}`,
    `#SBATCH --array=${indices.join(",")}`,
    `#SBATCH --output=${resolve(logDir)}/${experiment}-${scale}-%A_%a.out`,
    `#SBATCH --cpus-per-task=${opts.cpus}`,
    ...(opts.partition ? [`#SBATCH --partition=${opts.partition}`] : []),
    ...(opts.time ? [`#SBATCH --time=${opts.time}`] : []),
    "# One run cell per array task: the task owns its index (no lock), and saves the cell under",
    "# the shared results folder; `autodim reproduce` assembles once every cell is there.",
    `cd ${quote(resolve("."))}`,
    ...DATA_ENV.filter((k) => env[k] !== undefined).map((k) => `export ${k}=${quote(resolveIfPath(env[k] as string))}`),
    // The task computes on the CPUs it was given (the default, all of the node's, would oversubscribe it).
    `exec node bin/autodim.js cell ${experiment} "$SLURM_ARRAY_TASK_ID" --scale ${scale} --threads ${opts.cpus}`,
    "",
  ].join("\n");
}

/** Writes the script, submits it with sbatch (unless a dry run) and records the submission. */
export function submitSlurm(
  experiment: string,
  scale: Scale,
  listed: { cells: ListedCell[] },
  opts: SlurmOptions,
): { script: string; jobId?: string; indices: number[] } {
  const indices = listed.cells.filter((c) => !c.saved).map((c) => c.index);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const logDir = join(SLURM_DIR, "logs");
  mkdirSync(logDir, { recursive: true });
  const script = join(SLURM_DIR, `${experiment}-${scale}-${stamp}.sbatch`);
  writeFileAtomic(script, sbatchScript(experiment, scale, indices, logDir, opts));
  if (opts.dryRun) return { script, indices };
  const r = spawnSync("sbatch", ["--parsable", script], { encoding: "utf8" });
  if (r.error)
    throw new AutodimError(
      `sbatch: ${(r.error as NodeJS.ErrnoException).code === "ENOENT" ? "not found (is this a Slurm login node?)" : r.error.message}; the script is ${script}`,
    );
  if (r.status !== 0) throw new AutodimError(`sbatch ${script} failed: ${r.stderr.trim() || r.stdout.trim()}`);
  const jobId = r.stdout.trim().split(";")[0];
  const submissions = readSubmissions(experiment, scale);
  submissions.push({
    jobId,
    script,
    indices,
    cells: listed.cells.map((c) => ({ index: c.index, key: c.key })),
    logDir,
    submittedAt: new Date().toISOString(),
  });
  writeFileAtomic(recordFile(experiment, scale), JSON.stringify(submissions, null, 1) + "\n");
  return { script, jobId, indices };
}

/** Whether any task of the job is still queued or running. */
export function jobActive(jobId: string): boolean {
  const r = spawnSync("squeue", ["-h", "-j", jobId, "-o", "%i"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() !== "";
}

/** A task's final state from sacct, or from its log when accounting is off. */
function taskState(jobId: string, index: number, log: string): string {
  const r = spawnSync("sacct", ["-n", "-X", "-P", "-j", `${jobId}_${index}`, "-o", "State"], { encoding: "utf8" });
  const state = r.status === 0 ? r.stdout.trim().split("\n")[0] : "";
  if (state) return state;
  if (!existsSync(log)) return "never started (no log)";
  const text = readFileSync(log, "utf8");
  // slurmstepd writes "*** JOB 12 ON node CANCELLED AT ... ***" (or TIMEOUT, ...) into the task's output.
  const killed =
    /\*\*\* (?:JOB|STEP) \S+ ON \S+ (CANCELLED|DUE TO TIME LIMIT|DUE TO NODE FAILURE|DUE TO PREEMPTION)/.exec(text);
  if (killed) return killed[1] === "CANCELLED" ? "CANCELLED" : `killed ${killed[1].toLowerCase()}`;
  if (/^autodim cell: /m.test(text)) return "FAILED";
  return "ended without saving its cell";
}

/** Lines naming every unsaved cell with the Slurm task and log that should have made it. */
export function missingReport(
  experiment: string,
  scale: Scale,
  listed: { cells: ListedCell[] },
  submissions: Submission[],
): string[] {
  return listed.cells
    .filter((c) => !c.saved)
    .map((c) => {
      const s = [...submissions].reverse().find((x) => x.indices.includes(c.index) && x.cells[c.index]?.key === c.key);
      if (!s) return `cell ${c.index} (${c.key}): not submitted`;
      const log = join(s.logDir, `${experiment}-${scale}-${s.jobId}_${c.index}.out`);
      return `cell ${c.index} (${c.key}): task ${s.jobId}_${c.index} ${taskState(s.jobId, c.index, log)}; log ${log}`;
    });
}
