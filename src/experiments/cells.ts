// Long experiments as independent cells (one method × model × seed run each), each saved to its
// own file when it finishes, so an interrupted experiment resumes at the first unfinished cell and
// several processes — on one machine or on hosts sharing the results folder — can share the work:
// a process claims a cell with a lock file (`FileLock`: host, pid and a heartbeat, so an owner on
// another host is judged by its heartbeat, not its pid), skips cells others hold, and finally
// waits for them. A stale lock is taken over.
//
// Two other modes serve schedulers (`autodim reproduce --list-cells / --slurm`, `autodim cell`):
// "list" stops an experiment at its first stage with unsaved cells and reports that stage's cells;
// "one" computes exactly one cell of that stage (a Slurm array task owns its index: no lock).
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

/** Thrown in "list" mode at the first stage with unsaved cells: that stage's cells. */
export class CellsListed extends Error {
  constructor(
    readonly dir: string,
    readonly cells: ListedCell[],
  ) {
    super(`${cells.filter((c) => !c.saved).length} of ${cells.length} cells unsaved in ${dir}`);
  }
}

/** Thrown in "one" mode once the cell was computed (or found saved): the experiment stops there. */
export class CellComputed extends Error {
  constructor(
    readonly cell: ListedCell,
    readonly computed: boolean,
  ) {
    super(`cell ${cell.index} (${cell.key}) ${computed ? "computed" : "was saved already"}: ${cell.file}`);
  }
}

export type CellMode = { kind: "all" } | { kind: "list" } | { kind: "one"; index: number };
let mode: CellMode = { kind: "all" };

/** Runs `body` with every `runCells` in `m` (see the header); restores the mode after. */
export async function withCellMode<T>(m: CellMode, body: () => Promise<T>): Promise<T> {
  const before = mode;
  mode = m;
  try {
    return await body();
  } finally {
    mode = before;
  }
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

/**
 * Every cell's value, by key in cell order: saved ones read from `dir`, the rest computed (in order, those
 * no other live process holds) and saved as `<dir>/<key>.json` with their identity.
 */
export async function runCells<T>(
  dir: string,
  cells: Cell<T>[],
  opts: {
    log?: (line: string) => void;
    pollSeconds?: number;
    counts?: { computed: number; reused: number };
    /** Cells cannot be computed here (the data's rows are absent: why and what to get); a missing one is an error. */
    offline?: string;
  } = {},
): Promise<Map<string, T>> {
  mkdirSync(dir, { recursive: true });
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const values = new Map<string, T>();
  const file = (key: string) => join(dir, `${key}.json`);
  const lock = (key: string) => join(dir, `${key}.lock`);
  if (mode.kind !== "all") {
    const listed = cells.map((c, index) => ({
      index,
      key: c.key,
      file: file(c.key),
      saved: load<T>(file(c.key), c.identity) !== undefined,
    }));
    if (listed.some((c) => !c.saved)) {
      if (mode.kind === "list") throw new CellsListed(dir, listed);
      const target = listed[mode.index];
      if (!target) throw new RangeError(`cell ${mode.index}: this stage has cells 0–${cells.length - 1} (${dir})`);
      if (target.saved) throw new CellComputed(target, false);
      const run = cells[mode.index].run;
      const value = await withLog(logFile(dir, target.key), `cell ${target.key}`, () => run());
      writeFileAtomic(target.file, JSON.stringify({ identity: cells[mode.index].identity, value }) + "\n");
      throw new CellComputed({ ...target, saved: true }, true);
    }
  }
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
