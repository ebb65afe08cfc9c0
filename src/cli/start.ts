// `npm start` (`autodim start`): real work a new user can watch on a fresh clone in under 10
// minutes on 2 cores, touching nothing committed. 1) every experiment of the paper at smoke
// scale (tiny data: the whole pipeline runs on this machine), into a scratch folder; 2) the main
// job at quick scale (AutoDim = AD-2 with FM on planted synthetic rows), printed beside the
// committed rows of the same settings, then the committed real-data (MovieLens) verdict;
// 3) where the figures are and what to run next.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SYNTH_ROWS } from "../experiments/datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import { AutodimError } from "../core/errors.js";
import type { MainTableRow } from "../experiments/methods-table.js";
import { reproductionCostLine } from "../experiments/prose-cost.js";
import { autodimLabel, describeMainJob, runMainJob, textTable, type MainJobResult } from "./mainjob.js";

export const START_DIR = join("runs", "start");

interface CommittedRow {
  model: string;
  method: string;
  testAuc: number;
  params: number;
}

/**
 * The committed quick-scale synthetic main table's rows (results/methods-quick.json), if present.
 * Tables saved before AutoDim meant AD-2 here (a plain list of rows) searched with zero-padding
 * under the name "autodim": that row is returned under its paper name, AD-1's "autodim-zeropad".
 */
export function committedMainTable(path = join("results", "methods-quick.json")): CommittedRow[] | undefined {
  if (!existsSync(path)) return undefined;
  const saved = JSON.parse(readFileSync(path, "utf8")) as { result?: unknown };
  if (Array.isArray(saved.result))
    return (saved.result as CommittedRow[]).map((r) =>
      r.method === "autodim" ? { ...r, method: "autodim-zeropad" } : r,
    );
  const table = (saved.result as { runs?: (CommittedRow & { seed: number })[] } | undefined)?.runs;
  return table?.filter((r) => r.seed === DEFAULT_SEED);
}

/** The committed real-data table (MovieLens: the whole main table, else its core), if present. */
function committedRealTable(): { file: string; rows: MainTableRow[]; data: string } | undefined {
  for (const name of ["methods-movielens-quick", "methods-movielens-core-quick"]) {
    const file = join("results", `${name}.json`);
    if (!existsSync(file)) continue;
    const saved = JSON.parse(readFileSync(file, "utf8")) as {
      result: { table: MainTableRow[] };
      provenance: { data: string };
    };
    return { file, rows: saved.result.table, data: saved.provenance.data };
  }
  return undefined;
}

function section(title: string): void {
  console.log(`\n━━ ${title}`);
}

/** This run's FM rows beside the committed ones: equal up to float rounding on the same backend. */
export function comparison(r: MainJobResult, committed: CommittedRow[] | undefined): string {
  const find = (method: string) => committed?.find((x) => x.model === "fm" && x.method === method);
  const rows = [["FM", "test AUC (now)", "committed", "difference", "params (now)", "committed"]];
  for (const [method, label, result] of [
    ["fde", "FDE", r.fde],
    [r.plan.config.unify === "zeropad" ? "autodim-zeropad" : "autodim", autodimLabel(r.plan), r.autodim],
  ] as const) {
    const c = find(method);
    rows.push([
      label,
      result.test.auc.toFixed(4),
      c ? c.testAuc.toFixed(4) : "—",
      c ? (result.test.auc - c.testAuc).toFixed(4) : "—",
      String(result.params.embedding),
      c ? String(c.params) : "—",
    ]);
  }
  return textTable(rows);
}

/** The committed real-data table's AutoDim (AD-2) and AD-1 vs FDE per model, with their intervals. */
export function committedHeadline(rows: MainTableRow[]): string {
  const out = [["model", "method", "seeds", "AUC", "ΔAUC vs FDE", "95% CI", "params vs FDE"]];
  for (const r of rows.filter((x) => x.method === "autodim" || x.method === "autodim-zeropad"))
    out.push([
      r.model,
      r.method === "autodim" ? "AutoDim (AD-2)" : "AD-1 (zero-pad)",
      String(r.seeds),
      r.aucMean.toFixed(4),
      r.deltaAuc.toFixed(4),
      Number.isNaN(r.deltaLow) ? "—" : `[${r.deltaLow.toFixed(4)}, ${r.deltaHigh.toFixed(4)}]`,
      `${(100 * r.paramsVsFde).toFixed(1)}%`,
    ]);
  return textTable(out);
}

export async function startJob(dir: string): Promise<void> {
  const started = Date.now();
  const minutes = () => ((Date.now() - started) / 60000).toFixed(1);
  console.log(
    `autodim start: a tour of the repo on this machine (about 8 minutes on 2 cores). Nothing committed is changed: results go to ${dir}/.`,
  );

  section(
    "1/2  every experiment of the paper at smoke scale (tiny synthetic data: checks the pipeline, its numbers mean nothing)",
  );
  rmSync(dir, { recursive: true, force: true });
  const results = join(dir, "results");
  const figures = join(dir, "figures");
  const program = process.argv[1];
  if (program === undefined) throw new AutodimError("start: cannot find the autodim program to run the experiments");
  const smoke = spawnSync(
    process.execPath,
    [program, "reproduce", "all", "--scale", "smoke", "--force", "--out", results, "--figures-out", figures],
    {
      stdio: "inherit",
      env: { ...process.env, AUTODIM_RESULTS_DIR: results, AUTODIM_FIGURES_DIR: figures, AUTODIM_GEMM_ANNOUNCED: "1" },
    },
  );
  if (smoke.status !== 0)
    throw new AutodimError(
      `start: the smoke-scale experiments failed (exit ${smoke.status ?? smoke.signal}); see above`,
    );
  console.log(`smoke scale done after ${minutes()} min: tables in ${results}/, figures in ${figures}/`);

  section(
    `2/2  the main job: AutoDim's search with FM on ${DEFAULT_SYNTH_ROWS.toLocaleString("en")} synthetic rows with planted ranks, then re-training against the full-dimension model (FDE)`,
  );
  const job = await runMainJob({
    rows: DEFAULT_SYNTH_ROWS,
    seed: DEFAULT_SEED,
    model: "fm",
    dir: join("data", "synthetic"),
    runsDir: join(dir, "main"),
  });
  console.log(`\n${describeMainJob(job)}`);

  section(
    "this run beside the committed quick-scale results (results/methods-quick.md, FM rows: the same data, seed and settings)",
  );
  const committed = committedMainTable();
  console.log(comparison(job, committed));
  if (committed && !committed.some((x) => x.model === "fm" && x.method === "autodim"))
    console.log(
      "(the committed synthetic table searched with zero-padding, AD-1, before AutoDim meant AD-2 here: it has no AD-2 row to compare with; the five-seed AD-2 vs AD-1 diagnostic is results/unification-quick.md)",
    );
  const real = committedRealTable();
  if (real) {
    console.log(`\nCommitted real-data result (${real.file}): ${real.data}`);
    console.log(committedHeadline(real.rows));
  }

  section(`done in ${minutes()} min`);
  console.log(
    [
      `figures of this run:  ${figures}/*.svg (smoke scale)`,
      'committed figures:    figures/*-quick.svg; notebooks with their outputs: notebooks/*.ipynb (README, "Notebooks")',
      `full reproduction:    npm run reproduce   (every experiment at quick scale; ${reproductionCostLine()}; rewrites results/ and figures/)`,
      'open the notebooks:   JUPYTER_PATH=$PWD/.jupyter jupyter lab   (kernel "TypeScript (autodim, tslab)")',
    ].join("\n"),
  );
}
