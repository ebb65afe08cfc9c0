// Processes reading a prepared data set mark its generation folder (`data-<time>-<pid>/`), so a
// prepare that replaces the data set — another process, another checkout with the same source —
// leaves the files of a generation someone still reads; a later prepare removes it once its
// readers are gone. Without this a long experiment lost its shards mid-run when a second
// process re-prepared the same folder (measured 2026-12-07: three runs killed at once).
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { processAlive } from "../core/lock.js";

/** The folder of reader marks inside a generation folder. */
export const READERS_DIR = ".readers";
/** A mark from another host counts as live this long after it was written (its pid cannot be checked). */
const OTHER_HOST_MS = 24 * 3600 * 1000;

const marked = new Set<string>();

/** Marks `generationDir` as read by this process until it exits. */
export function markReader(generationDir: string): void {
  if (marked.has(generationDir) || !existsSync(generationDir)) return;
  const dir = join(generationDir, READERS_DIR);
  const mark = join(dir, `${hostname()}-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(mark, "");
  } catch {
    return; // a read-only data set cannot be replaced under us either
  }
  if (marked.size === 0)
    process.once("exit", () => {
      for (const g of marked) rmSync(join(g, READERS_DIR, `${hostname()}-${process.pid}`), { force: true });
    });
  marked.add(generationDir);
}

/**
 * Other processes reading a generation folder (this host: by pid; others: by the mark's age);
 * dead marks are removed. This process's own mark does not count: a prepare it runs replaces
 * the data set on purpose.
 */
export function liveReaders(generationDir: string): string[] {
  const dir = join(generationDir, READERS_DIR);
  if (!existsSync(dir)) return [];
  const live: string[] = [];
  for (const name of readdirSync(dir)) {
    const at = name.lastIndexOf("-");
    const host = name.slice(0, at);
    const pid = Number(name.slice(at + 1));
    const self = host === hostname() && pid === process.pid;
    const alive =
      host === hostname()
        ? self || (Number.isInteger(pid) && processAlive(pid))
        : Date.now() - statSync(join(dir, name)).mtimeMs < OTHER_HOST_MS;
    if (!alive) rmSync(join(dir, name), { force: true });
    else if (!self) live.push(name);
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
  return live;
}
