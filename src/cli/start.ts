// `npm start` (`autodim start`): real work a new user can watch on a fresh clone in under 10
// minutes on 2 cores, touching nothing committed. 1) every experiment of the paper at smoke
// scale (tiny data: the whole pipeline runs on this machine), into a scratch folder; 2) the main
// job at quick scale, whose settings are the committed main table's, so its FM numbers are
// printed beside the committed ones; 3) where the figures are and what to run next.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SEED, DEFAULT_SYNTH_ROWS } from "../experiments/datasets.js";
import { AutodimError } from "../errors.js";
import { autodimLabel, describeMainJob, runMainJob, textTable, type MainJobResult } from "./mainjob.js";

export const START_DIR = join("runs", "start");

interface CommittedRow {
  model: string;
  method: string;
  testAuc: number;
  params: number;
}

/** The committed quick-scale main table (results/methods-quick.json), if present. */
function committedMainTable(): CommittedRow[] | undefined {
  const path = join("results", "methods-quick.json");
  if (!existsSync(path)) return undefined;
  const saved = JSON.parse(readFileSync(path, "utf8")) as { result?: CommittedRow[] };
  return Array.isArray(saved.result) ? saved.result : undefined;
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
    ["autodim", autodimLabel(r.plan), r.autodim],
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

/** The committed table's AutoDim-vs-FDE line per model. */
function committedHeadline(committed: CommittedRow[]): string {
  const rows = [["model", "FDE AUC", "AutoDim AUC", "ΔAUC", "AutoDim params vs FDE"]];
  for (const model of [...new Set(committed.map((x) => x.model))]) {
    const fde = committed.find((x) => x.model === model && x.method === "fde");
    const ad = committed.find((x) => x.model === model && x.method === "autodim");
    if (!fde || !ad) continue;
    rows.push([
      model,
      fde.testAuc.toFixed(4),
      ad.testAuc.toFixed(4),
      (ad.testAuc - fde.testAuc).toFixed(4),
      `${((100 * (ad.params - fde.params)) / fde.params).toFixed(1)}%`,
    ]);
  }
  return textTable(rows);
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
  if (committed) {
    console.log(
      "\nCommitted main table, its AutoDim row (searched with zero-padding, AD-1) vs FDE per base model (200k synthetic rows, one seed; see README for what this does and does not show):",
    );
    console.log(committedHeadline(committed));
  }

  section(`done in ${minutes()} min`);
  console.log(
    [
      `figures of this run:  ${figures}/*.svg (smoke scale)`,
      'committed figures:    figures/*-quick.svg; notebooks with their outputs: notebooks/*.ipynb (README, "Notebooks")',
      "full reproduction:    npm run reproduce   (every experiment at quick scale, ~2½ h on 2 cores; rewrites results/ and figures/)",
      'open the notebooks:   JUPYTER_PATH=$PWD/.jupyter jupyter lab   (kernel "TypeScript (autodim, tslab)")',
    ].join("\n"),
  );
}
