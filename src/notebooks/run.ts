// `npm run notebooks [-- [--scale smoke|quick|paper|paper-avazu] [--out DIR] names...]`: executes the
// notebooks headlessly through the real tslab kernel (the repo's kernelspec), cell by cell,
// writes the outputs and execution counts back into the .ipynb (or into DIR), and stops at
// the first failing cell, printing that cell's stderr — tslab reports errors only there.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve, sep } from "node:path";
import { AutodimError } from "../core/errors.js";
import { writeFileAtomic } from "../core/files.js";
import { SCALES, type Scale } from "../experiments/datasets.js";
import { TslabKernel, type CellOutput } from "./kernel.js";

export const NOTEBOOK_DIR = "notebooks";
export const KERNEL_LAUNCHER = join(".jupyter", "kernels", "autodim-tslab", "launch.sh");

interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: CellOutput[];
  execution_count?: number | null;
}

interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export interface NotebookRun {
  path: string;
  ok: boolean;
  cells: number;
  seconds: number;
  /** The failing cell (1-based, counting code cells) and its stderr. */
  failure?: { cell: number; source: string; stderr: string };
}

function readNotebook(path: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(readFileSync(path, "utf8")) as Notebook;
  } catch (err) {
    throw new AutodimError(`${path}: not a notebook (${(err as Error).message})`);
  }
  if (nb.nbformat !== 4 || !Array.isArray(nb.cells)) throw new AutodimError(`${path}: not an nbformat 4 notebook`);
  return nb;
}

const sourceOf = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);

/** Runs one notebook in a fresh kernel; writes it (with outputs) to `outPath`. */
export async function runNotebook(path: string, outPath: string, scale: Scale): Promise<NotebookRun> {
  const started = Date.now();
  const nb = readNotebook(path);
  const work = mkdtempSync(join(tmpdir(), "autodim-kernel-"));
  const kernel = await TslabKernel.start(resolve(KERNEL_LAUNCHER), work, { AUTODIM_SCALE: scale, AUTODIM_QUIET: "1" });
  const onExit = () => kernel.kill();
  process.once("exit", onExit);
  let count = 0;
  let failure: NotebookRun["failure"];
  const codeCells = nb.cells.filter((c) => c.cell_type === "code").length;
  const quiet = process.env.AUTODIM_QUIET === "1";
  try {
    for (const cell of nb.cells) {
      if (cell.cell_type !== "code") continue;
      if (failure) {
        // Cells after a failure did not run: no stale outputs from an earlier run.
        cell.outputs = [];
        cell.execution_count = null;
        continue;
      }
      count++;
      // A cell may recompute an experiment for hours: say which one runs, and when it is done.
      const cellStarted = Date.now();
      const firstLine =
        sourceOf(cell)
          .split("\n")
          .find((l) => l.trim() !== "") ?? "";
      if (!quiet) process.stderr.write(`  cell ${count}/${codeCells}: ${firstLine.slice(0, 90)}\n`);
      const result = await kernel.execute(sourceOf(cell), count);
      if (!quiet)
        process.stderr.write(
          `  cell ${count}/${codeCells} ${result.ok ? "done" : "failed"} in ${((Date.now() - cellStarted) / 1000).toFixed(1)} s\n`,
        );
      cell.outputs = result.outputs;
      cell.execution_count = count;
      if (!result.ok) failure = { cell: count, source: sourceOf(cell), stderr: result.stderr };
    }
  } finally {
    await kernel.stop();
    process.removeListener("exit", onExit);
    rmSync(work, { recursive: true, force: true });
  }
  nb.metadata = {
    ...nb.metadata,
    kernelspec: { name: "autodim-tslab", display_name: "TypeScript (autodim, tslab)", language: "typescript" },
    language_info: { name: "typescript", file_extension: ".ts" },
  };
  mkdirSync(dirname(outPath), { recursive: true }); // --out DIR need not exist yet
  writeFileAtomic(outPath, JSON.stringify(nb, null, 1) + "\n");
  return { path, ok: !failure, cells: count, seconds: (Date.now() - started) / 1000, failure };
}

/**
 * The notebooks to run: all, or the named ones. A name with a folder in it is a path, taken as
 * it is (a notebook elsewhere runs in place, never the repo's one of the same base name); a
 * bare name ("01-data", "01", "data", "01-data.ipynb") names one under notebooks/.
 */
export function selectNotebooks(names: string[]): string[] {
  const all = readdirSync(NOTEBOOK_DIR)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
  if (names.length === 0) return all.map((f) => join(NOTEBOOK_DIR, f));
  return names.map((n) => {
    if (n.includes("/") || n.includes(sep)) {
      if (!n.endsWith(".ipynb")) throw new AutodimError(`${n}: not a notebook path (a .ipynb file)`);
      if (!existsSync(n))
        throw new AutodimError(
          `notebook ${n} not found (a path is taken as a path; bare names pick from ${NOTEBOOK_DIR}/)`,
        );
      if (statSync(n).isDirectory()) throw new AutodimError(`${n}: is a folder, not a notebook`);
      return n;
    }
    const want = n.replace(/\.ipynb$/, "");
    // "01-data", "01", "data" all name notebooks/01-data.ipynb.
    const hit = all.find((f) => {
      const stem = f.replace(/\.ipynb$/, "");
      return stem === want || stem.startsWith(`${want}-`) || stem.endsWith(`-${want}`);
    });
    if (!hit) throw new AutodimError(`notebook ${n} not found; notebooks: ${all.join(", ")}`);
    return join(NOTEBOOK_DIR, hit);
  });
}

const NOTEBOOKS_USAGE = `usage: npm run notebooks -- [--scale smoke|quick|paper|paper-avazu] [--out DIR] [NOTEBOOK ...]

Executes notebooks headlessly through the repo's tslab kernel, cell by cell (a line per cell on
stderr; AUTODIM_QUIET=1 hides them), writes their outputs back into each .ipynb (or into DIR),
and stops at the first failing cell, printing its stderr.
  NOTEBOOK     a name in notebooks/ (01-data, 01, data) or a path to a notebook (run in place);
               none: every notebook in notebooks/
  --scale S    the experiments' scale (default quick, or AUTODIM_SCALE); smoke runs in minutes
  --out DIR    write the executed notebooks into DIR instead of over the originals
`;

/** The `npm run notebooks` command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let scale: Scale = (process.env.AUTODIM_SCALE as Scale | undefined) ?? "quick";
  let outDir: string | undefined;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      process.stdout.write(NOTEBOOKS_USAGE);
      return 0;
    }
    if (a === "--scale" || a === "--out") {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) {
        process.stderr.write(
          `notebooks: ${a} needs a value (${a === "--scale" ? SCALES.join(", ") : "a directory"})\n`,
        );
        return 2;
      }
      if (a === "--scale") scale = v as Scale;
      else outDir = v;
    } else if (a.startsWith("--")) {
      process.stderr.write(
        `notebooks: unknown flag ${a} (flags: --scale smoke|quick|paper|paper-avazu, --out DIR; then notebook names)\n`,
      );
      return 2;
    } else names.push(a);
  }
  if (!(SCALES as readonly string[]).includes(scale)) {
    process.stderr.write(`notebooks: --scale must be one of ${SCALES.join(", ")}, got ${JSON.stringify(scale)}\n`);
    return 2;
  }
  if (outDir === "") {
    process.stderr.write("notebooks: --out needs a directory\n");
    return 2;
  }
  try {
    for (const path of selectNotebooks(names)) {
      const out = outDir ? join(outDir, basename(path)) : path;
      process.stderr.write(`notebook ${path} (scale ${scale}) ...\n`);
      const r = await runNotebook(path, out, scale);
      if (!r.ok && r.failure) {
        process.stderr.write(
          `notebook ${path}: cell ${r.failure.cell} failed after ${r.seconds.toFixed(1)} s\n--- cell ---\n${r.failure.source}\n--- stderr ---\n${r.failure.stderr || "(nothing on stderr)"}\n`,
        );
        return 1;
      }
      process.stderr.write(`notebook ${path}: ${r.cells} cells ok in ${r.seconds.toFixed(1)} s → ${out}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof AutodimError) {
      process.stderr.write(`notebooks: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
