// Long experiments as independent cells (one method × model run each), each saved to its own
// file when it finishes, so an interrupted experiment resumes at the first unfinished cell and
// several processes on one machine can share the work: a process claims a cell with a lock
// file holding its pid (created exclusively), skips cells others hold, and finally waits for
// them. A lock whose process is gone is taken over.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { writeFileAtomic } from "../runtime/files.js";

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether another live process holds `lock` (a lock of a dead process, or none, is free). */
function heldByOther(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, "utf8"));
  } catch {
    return false; // gone meanwhile
  }
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid);
}

/** Claims `lock` for this process: true if it is ours now. */
function claim(lock: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (heldByOther(lock)) return false;
      rmSync(lock, { force: true }); // its process died: take it over
    }
  }
  return false;
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

/**
 * Every cell's value, by key in cell order: saved ones read from `dir`, the rest computed (in order, those
 * no other live process holds) and saved as `<dir>/<key>.json` with their identity.
 */
export async function runCells<T>(
  dir: string,
  cells: Cell<T>[],
  opts: { log?: (line: string) => void; pollSeconds?: number; counts?: { computed: number; reused: number } } = {},
): Promise<Map<string, T>> {
  mkdirSync(dir, { recursive: true });
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const values = new Map<string, T>();
  const file = (key: string) => join(dir, `${key}.json`);
  const lock = (key: string) => join(dir, `${key}.lock`);
  for (const [i, cell] of cells.entries()) {
    const saved = load<T>(file(cell.key), cell.identity);
    if (saved !== undefined) {
      values.set(cell.key, saved);
      if (opts.counts) opts.counts.reused++;
      continue;
    }
    if (!claim(lock(cell.key))) {
      log(`[${i + 1}/${cells.length}] ${cell.key}: another process is on it`);
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
      const value = await cell.run();
      writeFileAtomic(file(cell.key), JSON.stringify({ identity: cell.identity, value } satisfies SavedCell<T>) + "\n");
      values.set(cell.key, value);
      if (opts.counts) opts.counts.computed++;
      log(`[${i + 1}/${cells.length}] ${cell.key}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } finally {
      rmSync(lock(cell.key), { force: true });
    }
  }
  // Cells other processes held: wait for their files, or take a cell over if its process died.
  for (const cell of cells) {
    while (!values.has(cell.key)) {
      const saved = load<T>(file(cell.key), cell.identity);
      if (saved !== undefined) values.set(cell.key, saved);
      else if (!heldByOther(lock(cell.key)))
        return runCells(dir, cells, opts); // its owner stopped without a result
      else await new Promise((r) => setTimeout(r, (opts.pollSeconds ?? 15) * 1000));
    }
  }
  return new Map(cells.map((c) => [c.key, values.get(c.key) as T])); // in cell order
}
