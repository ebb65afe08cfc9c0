// A lock file that works on one machine and on a filesystem shared by several: created with
// O_EXCL, it names its owner (host, pid); the owner touches it every HEARTBEAT_MS. A lock is
// stale when its owner is a dead process on this host, or when it has not been touched for
// STALE_MS (an owner on another host is judged by its heartbeat alone: its pid means nothing
// here). A stale lock is taken over by renaming it away first, so two processes that find it
// stale at once cannot both take it.
//
// The heartbeat runs on a worker thread: a training epoch holds the main thread for minutes
// without yielding to the event loop, so a main-thread timer would stall and an owner on
// another host would look dead while it computes.
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { Worker } from "node:worker_threads";
import { AutodimError } from "./errors.js";

export const HEARTBEAT_MS = 15_000;
export const STALE_MS = 120_000;

export interface LockOwner {
  host: string;
  pid: number;
  started: string;
  /** What the owner is doing, for the message a waiting process prints. */
  what: string;
  /** A pid-only lock of an older version: no heartbeat, judged by its pid alone. */
  pidOnly?: boolean;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as LockOwner | number;
    // A lock written by an older version of this repo holds only its owner's pid, on this host.
    if (typeof parsed === "number")
      return { host: hostname(), pid: parsed, started: "?", what: "a pid lock", pidOnly: true };
    return parsed;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed process whose parent died first waits as a zombie until some ancestor reaps it
  // (in a container, PID 1 may never): it answers signal 0 but holds nothing.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (not Linux): signal 0 is all there is
  }
}

/** Why the lock at `path` may be taken over, or undefined while its owner looks alive. */
export function staleReason(path: string, now = Date.now()): string | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    return "gone";
  }
  const owner = readOwner(path);
  // On this host the owner's pid decides: it is exact, and needs no waiting for STALE_MS.
  if (owner && owner.host === hostname())
    return processAlive(owner.pid) ? undefined : `its owner (pid ${owner.pid} on this host) is dead`;
  if (now - mtimeMs > STALE_MS) return `not touched for ${Math.round((now - mtimeMs) / 1000)} s`;
  if (!owner && now - mtimeMs > HEARTBEAT_MS * 2) return "unreadable and not touched";
  return undefined;
}

// The heartbeat thread's whole program (a CommonJS script: src/ has no import.meta to locate a
// file beside it). It touches the lock only while the lock still names this owner, so a lock
// taken over as stale and re-created by another process is not kept alive by us.
const HEARTBEAT_SCRIPT = `
const { workerData, parentPort } = require("node:worker_threads");
const { readFileSync, utimesSync } = require("node:fs");
const { path, mark, intervalMs } = workerData;
const touch = () => {
  try {
    if (!readFileSync(path, "utf8").includes(mark)) return;
    const t = new Date();
    utimesSync(path, t, t);
    parentPort.postMessage("touched");
  } catch {}
};
const timer = setInterval(touch, intervalMs);
parentPort.on("message", () => { clearInterval(timer); parentPort.close(); });
`;

export interface LockOptions {
  /** How often the owner touches the lock (tests shorten it). */
  heartbeatMs?: number;
}

export class FileLock {
  private readonly heartbeat: Worker;
  private released = false;
  /** Heartbeats the worker thread has written, for tests and diagnostics. */
  touches = 0;

  private constructor(
    readonly path: string,
    owner: LockOwner,
    heartbeatMs: number,
  ) {
    const mark = `"pid":${owner.pid},"started":${JSON.stringify(owner.started)}`;
    this.heartbeat = new Worker(HEARTBEAT_SCRIPT, { eval: true, workerData: { path, mark, intervalMs: heartbeatMs } });
    this.heartbeat.on("message", () => this.touches++);
    // A heartbeat failure must not end the run: the lock then goes stale and is reported by the
    // process that takes it over.
    this.heartbeat.on("error", (e) => process.stderr.write(`lock: heartbeat of ${path} stopped: ${String(e)}\n`));
    this.heartbeat.unref();
  }

  /** One attempt: the lock, or the current owner when someone else holds it. */
  static tryAcquire(path: string, what: string, opts: LockOptions = {}): FileLock | LockOwner {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, "wx");
        const owner: LockOwner = { host: hostname(), pid: process.pid, started: new Date().toISOString(), what };
        writeSync(fd, JSON.stringify(owner) + "\n");
        closeSync(fd);
        return new FileLock(path, owner, opts.heartbeatMs ?? HEARTBEAT_MS);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const stale = staleReason(path);
      if (stale === undefined) return readOwner(path) ?? { host: "?", pid: 0, started: "?", what: "unknown" };
      const aside = `${path}.stale-${hostname()}-${process.pid}`;
      try {
        renameSync(path, aside);
        unlinkSync(aside);
        process.stderr.write(`lock: took over ${path} (${stale})\n`);
      } catch {
        // Another process took it over first; try again.
      }
    }
    return readOwner(path) ?? { host: "?", pid: 0, started: "?", what: "unknown" };
  }

  /** Waits (polling) until the lock is ours; says once on stderr whom it waits for. */
  static async acquire(path: string, what: string, opts: LockOptions & { timeoutMs?: number } = {}): Promise<FileLock> {
    const deadline = Date.now() + (opts.timeoutMs ?? 24 * 3600_000);
    let said = false;
    for (;;) {
      const got = FileLock.tryAcquire(path, what, opts);
      if (got instanceof FileLock) return got;
      if (!said) {
        process.stderr.write(
          `waiting for ${path}: ${got.what} by pid ${got.pid} on ${got.host} since ${got.started}\n`,
        );
        said = true;
      }
      if (Date.now() > deadline)
        throw new AutodimError(
          `${path}: still held by pid ${got.pid} on ${got.host} (${got.what}); remove the file if that process is gone`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.heartbeat.postMessage("stop");
    const owner = readOwner(this.path);
    if (owner && owner.host === hostname() && owner.pid === process.pid) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone.
      }
    }
  }
}
