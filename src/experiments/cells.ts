// Long experiments as independent cells (one method × model × seed run each), each saved to its
// own file when it finishes, so an interrupted experiment resumes at the first unfinished cell and
// several processes — on one machine or on hosts sharing the results folder — can share the work:
// a process claims a cell with a lock file (`FileLock`: host, pid and a heartbeat, so an owner on
// another host is judged by its heartbeat, not its pid), skips cells others hold, and finally
// waits for them. A stale lock is taken over.
//
// Two other modes serve schedulers (`autodim reproduce --list-cells / --slurm`, `autodim cell`):
// "list" stops an experiment at its first stage with unsaved cells and reports that stage's cells;
// "one" computes exactly one cell of that stage (a Slurm array task owns its index: no lock). The
// mode is a value: an experiment run's `CellRunner` runs its stages, and a stage that stops gives
// a `CellsStopped`, which the experiment returns as its outcome instead of running later stages.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { AutodimError } from "../core/errors.js";
import { writeFileAtomic } from "../core/files.js";
import { FileLock, staleReason } from "../core/lock.js";
import { withLog } from "../core/run-log.js";

export interface Cell<T> {
  /** File-name-safe key, unique within the experiment ("deepfm-dpq"). */
  key: string;
  /** What the cell is computed with (data, settings); a saved cell with another identity is recomputed. */
  identity: unknown;
  run(): Promise<T>;
}

interface SavedCell<T> {
  identity: unknown;
  value: T;
}

/** One cell of a stage, as a scheduler sees it. */
export interface ListedCell {
  index: number;
  key: string;
  file: string;
  saved: boolean;
}

/** How an experiment's stages run: every cell, or for a scheduler "list" / "one" (see the header). */
export type CellMode = { kind: "all" } | { kind: "list" } | { kind: "one"; index: number };

/**
 * Where a "list" or "one" run stopped, at the first stage with unsaved cells: that stage's cells
 * ("listed"; in "one" mode, when the index is not one of them), or the one cell computed now or
 * found saved ("computed").
 */
export type CellsStop =
  { kind: "listed"; dir: string; cells: ListedCell[] } | { kind: "computed"; cell: ListedCell; computed: boolean };

/** A stage's stop; each caller up to the experiment returns it as is (`if (x instanceof CellsStopped) return x`). */
export class CellsStopped {
  constructor(readonly stop: CellsStop) {}
}

/** A short hash of a run's identity, for its file name: runs of other settings sit side by side. */
export function identityHash(identity: unknown): string {
  return createHash("sha256").update(JSON.stringify(identity)).digest("hex").slice(0, 10);
}

function load<T>(file: string, identity: unknown): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const saved = JSON.parse(readFileSync(file, "utf8")) as SavedCell<T>;
    return JSON.stringify(saved.identity) === JSON.stringify(identity) ? saved.value : undefined;
  } catch {
    return undefined;
  }
}

/** A cell's log: what the console showed while it was computed (beside its `<key>.json`). */
export const logFile = (dir: string, key: string) => join(dir, `${key}.log`);

const cellFile = (dir: string, key: string) => join(dir, `${key}.json`);

export interface CellOptions {
  log?: (line: string) => void;
  pollSeconds?: number;
  counts?: { computed: number; reused: number };
  /** Cells cannot be computed here (the data's rows are absent: why and what to get); a missing one is an error. */
  offline?: string;
}

/**
 * Every cell's value, by key in cell order: saved ones read from `dir`, the rest computed (in order, those
 * no other live process holds) and saved as `<dir>/<key>.json` with their identity.
 */
export async function runCells<T>(dir: string, cells: Cell<T>[], opts: CellOptions = {}): Promise<Map<string, T>> {
  mkdirSync(dir, { recursive: true });
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const values = new Map<string, T>();
  const file = (key: string) => cellFile(dir, key);
  const lock = (key: string) => join(dir, `${key}.lock`);
  if (opts.offline !== undefined) {
    const missing = cells.filter((c) => load<T>(file(c.key), c.identity) === undefined);
    if (missing.length > 0)
      throw new AutodimError(
        `${missing.length} of ${cells.length} run cells are not saved in ${dir} (${missing
          .slice(0, 3)
          .map((c) => `${c.key}.json`)
          .join(", ")}${missing.length > 3 ? ", …" : ""}): ${opts.offline}`,
      );
  }
  for (const [i, cell] of cells.entries()) {
    const saved = load<T>(file(cell.key), cell.identity);
    if (saved !== undefined) {
      values.set(cell.key, saved);
      if (opts.counts) opts.counts.reused++;
      continue;
    }
    const claimed = FileLock.tryAcquire(lock(cell.key), `cell ${cell.key}`);
    if (!(claimed instanceof FileLock)) {
      log(`[${i + 1}/${cells.length}] ${cell.key}: pid ${claimed.pid} on ${claimed.host} is on it`);
      continue;
    }
    try {
      const again = load<T>(file(cell.key), cell.identity); // finished while we looked elsewhere
      if (again !== undefined) {
        values.set(cell.key, again);
        continue;
      }
      log(`[${i + 1}/${cells.length}] ${cell.key}: running`);
      const started = Date.now();
      const value = await withLog(logFile(dir, cell.key), `cell ${cell.key}`, () => cell.run());
      writeFileAtomic(file(cell.key), JSON.stringify({ identity: cell.identity, value } satisfies SavedCell<T>) + "\n");
      values.set(cell.key, value);
      if (opts.counts) opts.counts.computed++;
      log(`[${i + 1}/${cells.length}] ${cell.key}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } finally {
      claimed.release();
    }
  }
  // Cells other processes held: wait for their files, or take a cell over if its owner stopped.
  for (const cell of cells) {
    while (!values.has(cell.key)) {
      const saved = load<T>(file(cell.key), cell.identity);
      if (saved !== undefined) values.set(cell.key, saved);
      else if (staleReason(lock(cell.key)) !== undefined)
        return runCells(dir, cells, opts); // its owner stopped without a result
      else await new Promise((r) => setTimeout(r, (opts.pollSeconds ?? 15) * 1000));
    }
  }
  return new Map(cells.map((c) => [c.key, values.get(c.key) as T])); // in cell order
}

/** An experiment run's stages in one mode (`experiment` makes one per run). */
export class CellRunner {
  constructor(readonly mode: CellMode) {}

  /**
   * In "all" mode every cell's value (`runCells`). In "list" and "one" mode a stage with unsaved
   * cells stops the run (the experiment computes no later stage); a saved stage gives its values.
   */
  async stage<T>(dir: string, cells: Cell<T>[], opts: CellOptions = {}): Promise<Map<string, T> | CellsStopped> {
    const mode = this.mode;
    if (mode.kind === "all") return runCells(dir, cells, opts);
    mkdirSync(dir, { recursive: true });
    const listed = cells.map((c, index) => ({
      index,
      key: c.key,
      file: cellFile(dir, c.key),
      saved: load<T>(cellFile(dir, c.key), c.identity) !== undefined,
    }));
    if (!listed.some((c) => !c.saved)) return runCells(dir, cells, opts);
    if (mode.kind === "list") return new CellsStopped({ kind: "listed", dir, cells: listed });
    const target = listed[mode.index];
    if (!target) return new CellsStopped({ kind: "listed", dir, cells: listed }); // the caller names the range
    if (target.saved) return new CellsStopped({ kind: "computed", cell: target, computed: false });
    // A scheduler's task owns its index: no lock.
    const cell = cells[mode.index];
    const value = await withLog(logFile(dir, cell.key), `cell ${cell.key}`, () => cell.run());
    writeFileAtomic(target.file, JSON.stringify({ identity: cell.identity, value } satisfies SavedCell<T>) + "\n");
    return new CellsStopped({ kind: "computed", cell: { ...target, saved: true }, computed: true });
  }
}
