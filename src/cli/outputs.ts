// Output paths are checked before any training: a run whose result cannot be saved never
// starts. A path's parent folder is created if missing, then a probe file is written there and
// removed; a path that is a folder, an unwritable or read-only place, or a disk with less free
// space than the output needs is an error naming the flag and the path.
import { mkdirSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { AutodimError } from "../errors.js";
import { describeSystemError } from "./errors.js";

function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

function probe(flag: string, path: string, dir: string, expectedBytes: number): void {
  const test = join(dir, `.autodim-probe-${process.pid}`);
  try {
    writeFileSync(test, "probe");
    rmSync(test, { force: true });
  } catch (e) {
    throw new AutodimError(
      `${flag} ${path}: cannot write in ${dir}: ${describeSystemError(e, false) ?? (e as Error).message}`,
    );
  }
  const free = freeBytes(dir);
  if (free !== undefined && free < expectedBytes) {
    throw new AutodimError(
      `${flag} ${path}: ${(free / 1e6).toFixed(1)} MB free on its disk, the output needs about ${(expectedBytes / 1e6).toFixed(1)} MB`,
    );
  }
}

function ensureFolder(flag: string, path: string, dir: string): void {
  // The nearest part of the path that exists must be a folder.
  for (let p = dir; ; p = dirname(p)) {
    try {
      if (!statSync(p).isDirectory()) throw new AutodimError(`${flag} ${path}: ${p} is a file, not a folder`);
      break;
    } catch (e) {
      if (e instanceof AutodimError) throw e;
      if (dirname(p) === p) break;
    }
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new AutodimError(
      `${flag} ${path}: cannot create the folder ${dir}: ${describeSystemError(e, false) ?? (e as Error).message}`,
    );
  }
}

/** A file the run will write (`--out`, `--save-weights`): checked now, before any training. */
export function checkOutputFile(flag: string, path: string, expectedBytes = 1e6): void {
  const full = resolve(path);
  try {
    if (statSync(full).isDirectory())
      throw new AutodimError(`${flag} ${path}: is a folder; give a file path, e.g. ${join(path, "result.json")}`);
  } catch (e) {
    if (e instanceof AutodimError) throw e;
    // Not there yet: the usual case.
  }
  const dir = dirname(full);
  ensureFolder(flag, path, dir);
  probe(flag, path, dir, expectedBytes);
}

/** A folder the run will write into (`--checkpoint-dir`, `reproduce --out`): checked now. */
export function checkOutputFolder(flag: string, path: string, expectedBytes = 1e6): void {
  const full = resolve(path);
  try {
    if (!statSync(full).isDirectory()) throw new AutodimError(`${flag} ${path}: is a file; give a folder`);
  } catch (e) {
    if (e instanceof AutodimError) throw e;
  }
  ensureFolder(flag, path, full);
  probe(flag, path, full, expectedBytes);
}
