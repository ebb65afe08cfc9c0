// Checkpoints of long runs: every N steps and at each epoch end, the network's whole state
// (tables with Adam moments, dense weights, BatchNorm statistics, α, both optimisers) plus
// the loop's own state (counters, data-cursor positions, random-stream states, history) —
// enough for a resumed run to continue bit for bit as if it had never stopped.
//
// Files, per job: `<job>-<step>.bin` (arrays, ADWEIGHT layout) and `<job>-<step>.json`
// (meta + the .bin's sha256), both written to a temporary file, fsynced and renamed; the
// .json goes last, so a checkpoint exists only once it is whole. A checkpoint whose .bin is
// missing or does not match its sha256 is skipped for the previous one. The two newest
// are kept.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { AutodimError } from "../core/errors.js";
import { writeFileAtomic } from "../core/files.js";
import { FileLock } from "../core/lock.js";
import type { Network } from "./network.js";
import type { NetworkStateMeta } from "./network-state.js";
import { parseWeights, saveWeights, type NamedArray } from "../tables/weights.js";
import { z } from "zod";

export interface CheckpointSettings {
  dir: string;
  /** Training steps between checkpoints (epoch ends always write one). */
  every: number;
  /** Continue from the newest valid checkpoint in `dir`, if there is one. */
  resume: boolean;
  /** With `resume`: no checkpoint of this run to continue from is an error (`--resume=require`). */
  requireResume?: boolean;
}

/** A checkpoint's `.json`; the loop state is the trainer's own (checked by the trainer). */
interface CheckpointFile<L> {
  kind: "autodim-checkpoint";
  version: 1;
  job: string;
  /** sha256 of the run's configuration and data: a checkpoint only resumes its own run. */
  run: string;
  step: number;
  createdAt: string;
  weights: { file: string; sha256: string };
  network: NetworkStateMeta;
  loop: L;
}

/** The schema of a checkpoint's `.json` (raw zod object; checked against CheckpointFile in test/train/schemas.test.ts). */
export const checkpointFileShape = z.object({
  kind: z.literal("autodim-checkpoint"),
  version: z.literal(1),
  job: z.string(),
  /** sha256 of the run's configuration and data: a checkpoint only resumes its own run. */
  run: z.string(),
  step: z.number().int().nonnegative(),
  createdAt: z.string(),
  weights: z.object({ file: z.string().min(1), sha256: z.string() }),
  network: z.object({
    steps: z.number().int().nonnegative(),
    tableSteps: z.array(z.number().int().nonnegative()),
    optimizers: z.array(
      z.object({
        key: z.enum(["weights", "architecture"]),
        iterations: z.number(),
        names: z.array(z.string()),
        betaPowers: z.array(z.number()).optional(),
      }),
    ),
  }),
  loop: z.unknown(),
});
const checkpointFileSchema = checkpointFileShape as unknown as z.ZodType<CheckpointFile<unknown>>;
/** For test/train/schemas.test.ts. */
export type { CheckpointFile };

const KEEP = 2;

/** Held by the one process writing checkpoints into a folder (the lock `prepare` uses). */
export const CHECKPOINT_LOCK_FILE = ".checkpoint.lock";
/** This process's checkpoint locks by folder: a run's several jobs (search, then re-train) share one. */
const held = new Map<string, { lock: FileLock; pinned: boolean }>();
let exitHooked = false;

/** How long a run waits for a checkpoint folder's owner to finish exiting before it refuses. */
const CHECKPOINT_LOCK_GRACE_MS = 3000;

/**
 * Takes `dir`'s checkpoint lock, or refuses: two runs writing one folder would write the same
 * `<job>-<step>` names over each other's. A lock left by a killed run is taken over (see
 * src/core/lock.ts). Waiting, as prepare does, would hold a run for hours behind another; the
 * message says what to do instead. `pinned` (the CLI's --checkpoint-dir) holds it until exit;
 * otherwise a process trains one run at a time, so starting checkpoints in another folder
 * releases the previous unpinned one (reproduce's runs each have their own subfolder).
 */
export function lockCheckpointFolder(dir: string, what: string, pinned = false): void {
  const key = resolve(dir);
  const mine = held.get(key);
  if (mine) {
    mine.pinned ||= pinned;
    return;
  }
  for (const [other, h] of held)
    if (!h.pinned) {
      h.lock.release();
      held.delete(other);
    }
  mkdirSync(key, { recursive: true });
  let got = FileLock.tryAcquire(join(key, CHECKPOINT_LOCK_FILE), what);
  // A run killed a moment ago may still be exiting (the CLI's relaunched child ends ~0.1 s after
  // its parent): a resume started right after the kill gets a few seconds before it is refused.
  const deadline = Date.now() + CHECKPOINT_LOCK_GRACE_MS;
  while (!(got instanceof FileLock) && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    got = FileLock.tryAcquire(join(key, CHECKPOINT_LOCK_FILE), what);
  }
  if (!(got instanceof FileLock))
    throw new AutodimError(
      `--checkpoint-dir ${dir}: in use by pid ${got.pid} on ${got.host} (${got.what}) since ${got.started}; give each run its own --checkpoint-dir, or wait for that run to end`,
    );
  if (!exitHooked) process.once("exit", releaseCheckpointLocks);
  exitHooked = true;
  held.set(key, { lock: got, pinned });
}

/** Releases every checkpoint lock this process holds (at exit; tests call it between runs). */
export function releaseCheckpointLocks(): void {
  for (const h of held.values()) h.lock.release();
  held.clear();
}

export class Checkpointer<L> {
  private readonly run: string;
  private lastStep = -1;

  /** `identity`: what makes a run this run (config, data identity), hashed. */
  constructor(
    readonly settings: CheckpointSettings,
    readonly job: string,
    identity: unknown,
  ) {
    if (!Number.isInteger(settings.every) || settings.every < 1)
      throw new AutodimError(`--checkpoint-every must be a positive integer, got ${settings.every}`);
    this.run = createHash("sha256").update(JSON.stringify(identity)).digest("hex");
    lockCheckpointFolder(settings.dir, `autodim ${job} checkpoints`);
  }

  /** True when `step` is a multiple of `every` (and not already saved). */
  due(step: number): boolean {
    return step % this.settings.every === 0 && step !== this.lastStep;
  }

  async save(network: Network, step: number, loop: L, extra: NamedArray[] = []): Promise<void> {
    if (step === this.lastStep) return;
    const { arrays, meta } = await network.exportState();
    const base = `${this.job}-${String(step).padStart(10, "0")}`;
    const sha256 = saveWeights(join(this.settings.dir, `${base}.bin`), [
      ...arrays,
      ...extra.map((a) => ({ ...a, name: `loop/${a.name}` })),
    ]);
    const file: CheckpointFile<L> = {
      kind: "autodim-checkpoint",
      version: 1,
      job: this.job,
      run: this.run,
      step,
      createdAt: new Date().toISOString(),
      weights: { file: `${base}.bin`, sha256 },
      network: meta,
      loop,
    };
    writeFileAtomic(join(this.settings.dir, `${base}.json`), JSON.stringify(file) + "\n");
    this.lastStep = step;
    this.prune();
  }

  /**
   * With `resume`, loads the newest valid checkpoint of this job into `network` and returns
   * its loop state and extra arrays; undefined when there is none (a fresh start).
   */
  async restore(network: Network): Promise<{ step: number; loop: L; extra: Map<string, NamedArray> } | undefined> {
    if (!this.settings.resume) return undefined;
    for (const name of this.metaFiles().reverse()) {
      const path = join(this.settings.dir, name);
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(path, "utf8"));
      } catch {
        process.stderr.write(`checkpoint: ${path} is unreadable; trying an older one\n`);
        continue;
      }
      const parsed = checkpointFileSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        process.stderr.write(
          `checkpoint: ${path}: ${issue.path.join(".") || "(top level)"}: ${issue.message}; trying an older one\n`,
        );
        continue;
      }
      const meta = parsed.data as CheckpointFile<L>;
      if (meta.run !== this.run) {
        throw new AutodimError(
          `${path}: a checkpoint of another run (different configuration or data); resume with the same command, or use another --checkpoint-dir`,
        );
      }
      const binPath = join(this.settings.dir, meta.weights.file);
      let bytes: Buffer;
      try {
        bytes = readFileSync(binPath);
      } catch {
        process.stderr.write(`checkpoint: ${binPath} is missing; trying an older one\n`);
        continue;
      }
      if (createHash("sha256").update(bytes).digest("hex") !== meta.weights.sha256) {
        process.stderr.write(`checkpoint: ${binPath} does not match its sha256 (damaged); trying an older one\n`);
        continue;
      }
      const arrays = parseWeights(bytes, binPath);
      await network.importState(arrays, meta.network, binPath);
      const extra = new Map<string, NamedArray>();
      for (const [k, a] of arrays) if (k.startsWith("loop/")) extra.set(k.slice(5), { ...a, name: k.slice(5) });
      this.lastStep = meta.step;
      process.stderr.write(`checkpoint: resuming ${this.job} from step ${meta.step} (${path})\n`);
      return { step: meta.step, loop: meta.loop, extra };
    }
    const where = `${this.settings.dir} has no checkpoint of this ${this.job} to resume`;
    if (this.settings.requireResume) throw new AutodimError(`--resume=require: ${where}`);
    process.stderr.write(`checkpoint: ${where}; starting from step 0\n`);
    return undefined;
  }

  private metaFiles(): string[] {
    const prefix = `${this.job}-`;
    return readdirSync(this.settings.dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith(".json") && /^\d+$/.test(f.slice(prefix.length, -5)))
      .sort();
  }

  private prune(): void {
    const metas = this.metaFiles();
    for (const name of metas.slice(0, Math.max(0, metas.length - KEEP))) {
      rmSync(join(this.settings.dir, name), { force: true });
      rmSync(join(this.settings.dir, `${name.slice(0, -5)}.bin`), { force: true });
    }
  }
}
