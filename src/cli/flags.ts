// Flag helpers the commands share (src/cli/commands/*.ts): the training flags, checkpoints,
// threads, batch parts, plans and data folders, and experiment settings from flags. Here once so
// every command reads a flag the same way and its errors read the same; the generic parsing and
// validation of one flag is in args.ts.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PreparedData } from "../data/batches.js";
import { AutodimError } from "../core/errors.js";
import type { Experiment } from "../experiments/experiment.js";
import { EXPERIMENTS } from "../experiments/registry.js";
import { mergeSettings } from "../experiments/overrides.js";
import type { Scale } from "../experiments/datasets.js";
import { SEARCH_SETTINGS, TRAIN_SETTINGS } from "../methods/defaults.js";
import { METHOD_NAMES } from "../methods/registry.js";
import {
  choiceFlags,
  settingFlags,
  type ChoiceFlag,
  type FlagNames,
  type SettingFlag,
} from "../methods/settings-schema.js";
import { MODEL_NAMES } from "../models/ctr.js";
import { DEFAULT_THREADS } from "../accel/index.js";
import { writeFileAtomic } from "../core/files.js";
import { lockCheckpointFolder, type CheckpointSettings } from "../train/checkpoint.js";
import { dimensionPlanSchema, type DimensionPlan } from "../train/schemas.js";
import { readJsonFile } from "../train/json-file.js";
import { choiceFlag, intFlag, numberFlag, UsageError } from "./args.js";
import { checkOutputFolder, type FlagPath } from "./outputs.js";

/** Training steps between checkpoints. */
const DEFAULT_CHECKPOINT_EVERY = 500;

/** An experiment's default settings at `scale` with `overrides` merged in and checked (names and types, models, methods). */
export function resolvedSettings(
  name: string,
  scale: Scale,
  overrides: Record<string, unknown>,
  where: string,
): unknown {
  const defaults = (EXPERIMENTS[name] as Experiment<unknown, unknown>).defaults?.(scale);
  if (defaults === undefined)
    throw new UsageError(`${name} takes no settings (--config, --seeds, --models, --methods)`);
  for (const key of ["seeds", "models", "methods"])
    if (key in overrides && !(key in (defaults as object)))
      throw new UsageError(
        `--${key}: ${name} has no "${key}" setting (its settings: ${Object.keys(defaults as object).join(", ")})`,
      );
  const s = mergeSettings(defaults, overrides, where) as { models?: unknown[]; methods?: unknown[] };
  for (const m of s.models ?? [])
    if (!(MODEL_NAMES as readonly unknown[]).includes(m))
      throw new UsageError(`${where}: model ${JSON.stringify(m)} is not one of ${MODEL_NAMES.join(", ")}`);
  for (const m of s.methods ?? [])
    if (!METHOD_NAMES.includes(m as string))
      throw new UsageError(`${where}: method ${JSON.stringify(m)} is not one of ${METHOD_NAMES.join(", ")}`);
  if (s.methods && s.methods[0] !== "fde" && s.methods.includes("fde") === false && "methods" in (defaults as object))
    throw new UsageError(`${where}: methods must include fde (every ΔAUC is against FDE)`);
  return s;
}

/** Flags every training command takes: divergence, checkpoints and resume. */
export const TRAINING_FLAGS = {
  "allow-divergence": { type: "boolean" },
  "checkpoint-dir": { type: "string" },
  "checkpoint-every": { type: "string" },
  resume: { type: "boolean" },
  threads: { type: "string" },
  "batch-parts": { type: "string" },
} as const;

/** The training settings' flags (TRAIN_SETTINGS): --epochs, --patience, --batch-size, --lr, --embedding-l2. */
export const TRAIN_SETTING_FLAGS = settingFlags(TRAIN_SETTINGS, { learningRate: "lr" });

/**
 * The search settings' flag names (SEARCH_SETTINGS) where not the kebab-case key; false: no flag
 * (a config file's or a notebook cell's setting only). The candidates are a list (--candidates).
 */
const SEARCH_FLAG_NAMES: FlagNames = {
  lookup: "embedding",
  frequency: "freq",
  learningRate: "lr",
  architectureLearningRate: "arch-lr",
  mixScale: false,
  architectureOptimizer: false,
  alphaSnapshots: false,
};

/** The largest candidate size `--candidates` takes. */
export const MAX_CANDIDATE = 4096;

/** `autodim search`'s number flags: --tau-decay, --freq, --epochs, --warmup-steps, --batch-size, --lr, --arch-lr. */
export const SEARCH_SETTING_FLAGS = settingFlags(SEARCH_SETTINGS, SEARCH_FLAG_NAMES);

/** `autodim search`'s choices and switches: --embedding, --unify, --tau-schedule, --one-level, --second-order. */
export const SEARCH_CHOICE_FLAGS = choiceFlags(SEARCH_SETTINGS, SEARCH_FLAG_NAMES);

/** parseFlags' spec of choice flags (a choice takes a value, a switch none). */
export function choiceFlagSpec(flags: readonly ChoiceFlag[]): Record<string, { type: "string" | "boolean" }> {
  return Object.fromEntries(
    flags.map((c) => [c.flag, { type: c.choices ? ("string" as const) : ("boolean" as const) }]),
  );
}

/** `base` with each given choice flag (checked: the error names the flag and its choices) or switch read into it. */
export function choiceFlagValues<T extends object>(
  f: Record<string, unknown>,
  flags: readonly ChoiceFlag[],
  base: T,
): T {
  const out = { ...base } as Record<string, unknown>;
  for (const c of flags) {
    if (f[c.flag] === undefined) continue;
    out[c.key] = c.choices ? choiceFlag(f, c.flag, c.choices) : f[c.flag] === true;
  }
  return out as T;
}

/** parseFlags' spec of setting flags (each takes a value). */
export function settingFlagSpec(flags: readonly SettingFlag[]): Record<string, { type: "string" }> {
  return Object.fromEntries(flags.map((s) => [s.flag, { type: "string" as const }]));
}

/** A setting flag's value, checked against the setting's bounds (the error names the flag); undefined when not given. */
export function settingFlagValue(f: Record<string, unknown>, s: SettingFlag): number | undefined {
  if (f[s.flag] === undefined) return undefined;
  return s.kind === "int"
    ? intFlag(f, s.flag, s.default, s.min, s.max)
    : numberFlag(f, s.flag, s.default, s.min, s.max);
}

/** `base` with each given setting flag read into it; an optional setting given its least value is left out (absent: none). */
export function settingFlagValues<T extends object>(
  f: Record<string, unknown>,
  flags: readonly SettingFlag[],
  base: T,
): T {
  const out = { ...base } as Record<string, unknown>;
  for (const s of flags) {
    const value = settingFlagValue(f, s);
    if (value === undefined) continue;
    if (s.optional && value === s.min) delete out[s.key];
    else out[s.key] = value;
  }
  return out as T;
}

/**
 * `--batch-parts 1|2` (default 1): each batch whole, or in two parts with their own BatchNorm
 * statistics, whose second part a second thread computes (data-parallel). Part of the run's
 * arithmetic, so it goes into the config (absent when 1: configs of earlier runs stay the same).
 */
export function batchPartsFlag(f: Record<string, unknown>): { batchParts?: 2 } {
  return intFlag(f, "batch-parts", 1, 1, 2) === 2 ? { batchParts: 2 } : {};
}

/**
 * `--threads N`: the threads one run computes on (OpenBLAS GEMMs and the element-wise kernels),
 * passed through AUTODIM_THREADS so the runtime, and any process this one starts, read it.
 */
export function threadsFlag(f: Record<string, unknown>): void {
  if (f.threads === undefined) return;
  process.env.AUTODIM_THREADS = String(intFlag(f as Parameters<typeof intFlag>[0], "threads", DEFAULT_THREADS, 1, 64));
}

/** The prepared data set of --data (its manifest read and checked). */
export function openData(dir: string): PreparedData {
  return new PreparedData(dir);
}

/** `--resume=require`: resuming is the point, so nothing to resume is an error (see run()). */
let resumeRequired = false;

/** Set by run() from the command line, before the command reads its checkpoint flags. */
export function setResumeRequired(required: boolean): void {
  resumeRequired = required;
}

/**
 * --checkpoint-dir DIR [--checkpoint-every N] [--resume]; undefined without a directory. The
 * folder is checked now (writable, about `expectedBytes` free: two checkpoints are kept).
 */
export function checkpointFlags(
  f: Record<string, string | boolean | undefined>,
  expectedBytes = 1e6,
  lockAs?: string,
): CheckpointSettings | undefined {
  const dir = f["checkpoint-dir"];
  if (typeof dir !== "string") {
    if (f.resume) throw new UsageError("--resume needs --checkpoint-dir DIR (where the checkpoints are)");
    if (f["checkpoint-every"] !== undefined) throw new UsageError("--checkpoint-every needs --checkpoint-dir DIR");
    return undefined;
  }
  checkOutputFolder("--checkpoint-dir", dir, expectedBytes);
  // One run per folder, taken before any work (reproduce's runs lock their own subfolders).
  if (lockAs) lockCheckpointFolder(dir, lockAs, true);
  return {
    dir,
    every: intFlag(f, "checkpoint-every", DEFAULT_CHECKPOINT_EVERY, 1),
    resume: f.resume === true,
    ...(resumeRequired && f.resume === true ? { requireResume: true } : {}),
  };
}

/**
 * BatchNorm over a batch of one row subtracts that row from itself: every activation is 0 and
 * training learns nothing (test Logloss 7 in the red-team's run), so it is refused.
 */
export function batchSizeCheck(batchSize: number, what: string): void {
  if (batchSize < 2)
    throw new UsageError(
      `--batch-size ${batchSize}: ${what} needs at least 2 rows per batch (one row normalises to 0)`,
    );
}

/** --checkpoint-dir as an output, for checkOutputClashes. */
export function checkpointOutput(f: Record<string, unknown>): FlagPath[] {
  const dir = f["checkpoint-dir"];
  return typeof dir === "string" ? [{ flag: "--checkpoint-dir", path: dir, folder: true }] : [];
}

/** A plan or result file (folders created), written whole or not at all. */
export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * A plan file, validated (src/train/schemas.ts) and checked against the data it is applied to.
 * A plan searched on another source file is refused unless `otherData` (--allow-other-data: a
 * plan searched on a sample, re-trained on the whole), since its sizes were chosen for that data.
 */
export function readPlan(path: string, data: PreparedData, otherData = false): DimensionPlan {
  const plan = readJsonFile(dimensionPlanSchema, path, `--plan ${path}`);
  const names = data.manifest.fields.map((x) => x.name);
  if (plan.fields.length !== names.length || plan.fields.some((x, i) => x.name !== names[i])) {
    throw new AutodimError(
      `--plan ${path}: its fields (${plan.fields.map((x) => x.name).join(",")}) are not the data's (${names.join(",")})`,
    );
  }
  if (plan.data.sourceSha256 !== data.manifest.source.sha256 && !otherData)
    throw new AutodimError(
      `--plan ${path}: searched on other data (source sha256 ${plan.data.sourceSha256.slice(0, 12)}…, --data ${data.dir} is ${data.manifest.source.sha256.slice(0, 12)}…); add --allow-other-data to re-train its sizes on this data anyway`,
    );
  return plan;
}
