// Output paths are checked before any training: a run whose result cannot be saved never
// starts. A path's parent folder is created if missing, then a probe file is written there and
// removed; a path that is a folder, an unwritable or read-only place, or a disk with less free
// space than the output needs is an error naming the flag and the path.
import { mkdirSync, realpathSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { preparedFolderOf } from "../data/manifest.js";
import { AutodimError } from "../core/errors.js";
import { UsageError } from "./args.js";
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

/** A path a command reads or writes, with the flag that gave it (`--plan`, `--out`, …). */
export interface FlagPath {
  flag: string;
  path: string;
  /** A folder the command writes into (`--checkpoint-dir`), rather than one file. */
  folder?: boolean;
}

/**
 * The path with every symbolic link resolved, as far as it exists (a file not written yet
 * resolves through its folder), so `p.json`, `./p.json` and a link to it are one path.
 */
export function canonicalPath(path: string): string {
  const tail: string[] = [];
  for (let head = resolve(path); ; head = dirname(head)) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      if (dirname(head) === head) return resolve(path);
      tail.push(basename(head));
    }
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

const inside = (path: string, folder: string) =>
  path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);

/**
 * Before any work: no output may be an input or another output, and nothing under a prepared
 * data folder may be written (prepare owns it: its files are checked by sha256 and removed by
 * the next prepare). A clash is a usage error naming both flags.
 */
export function checkOutputClashes(inputs: FlagPath[], outputs: FlagPath[]): void {
  const outs = outputs.map((o) => ({ ...o, real: canonicalPath(o.path) }));
  const ins = inputs.map((i) => ({ ...i, real: canonicalPath(i.path) }));
  for (const [k, o] of outs.entries()) {
    for (const i of ins)
      if (o.real === i.real)
        throw new UsageError(
          `${o.flag} ${o.path} is the ${i.flag} ${isFolder(i.real) ? "folder" : "file"}: the run would overwrite its own input; write to another path`,
        );
    for (const p of outs.slice(0, k))
      if (!o.folder && !p.folder && o.real === p.real)
        throw new UsageError(
          `${o.flag} ${o.path} is also ${p.flag}: one output would overwrite the other; give them different paths`,
        );
    const data = preparedFolderOf(o.real);
    if (data !== undefined)
      throw new UsageError(
        `${o.flag} ${o.path} is inside the prepared data folder ${data}: only \`autodim prepare\` writes there (a file there can break the data set); write elsewhere`,
      );
  }
}

/**
 * `prepare`: its --out may hold a data set (that is what it replaces), but not inside another
 * one, and no input may be a file the rebuild replaces (the manifest, a data-* folder's files).
 */
export function checkPrepareClashes(inputs: FlagPath[], out: string): void {
  const real = canonicalPath(out);
  const parent = dirname(real);
  const data = parent === real ? undefined : preparedFolderOf(parent);
  if (data !== undefined)
    throw new UsageError(
      `--out ${out} is inside the prepared data folder ${data}: put each data set in a folder of its own`,
    );
  for (const i of inputs) {
    const r = canonicalPath(i.path);
    if (r === real)
      throw new UsageError(`${i.flag} ${i.path} is also --out: --out is the folder the data set is written to`);
    if (inside(r, real) && /^(manifest\.json|data-[^/\\]*([/\\].*)?)$/.test(r.slice(real.length + 1)))
      throw new UsageError(
        `${i.flag} ${i.path} is a file of the data set in --out ${out}, which prepare replaces; give the original data file`,
      );
  }
}
