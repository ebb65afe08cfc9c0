// The main job (`autodim main`, and the second half of `npm start`): synthetic data with
// planted ranks → AutoDim search with FM → re-train the plan and the full-dimension model →
// compare the plan with the planted ranks. The settings are the quick scale's (AutoDim = AD-2),
// printed beside the committed rows of the same settings where there are some.
import { join } from "node:path";
import { summarizeManifest } from "../data/manifest.js";
import type { SynthTruth } from "../data/synthetic.js";
import { QUICK_RETRAIN, QUICK_SEARCH } from "../methods/defaults.js";
import { retrain } from "../train/retrain.js";
import { searchThenRetrain } from "../embedding/pipeline.js";
import type { DimensionPlan } from "../train/schemas.js";
import type { RetrainResult } from "../train/result-schema.js";
import { syntheticDataset } from "../experiments/datasets.js";
import type { ModelName } from "../models/ctr.js";
import { backendLabel, initRuntime } from "../accel/index.js";
import { writeFileAtomic } from "../core/files.js";
import { describeHardware } from "../core/hardware.js";
import { spearman } from "../data/metrics.js";
import { mkdirSync } from "node:fs";

export interface MainJobResult {
  plan: DimensionPlan;
  autodim: RetrainResult;
  fde: RetrainResult;
  truth: SynthTruth;
  /** Spearman correlation of the planted ranks and the chosen sizes. */
  spearmanRank: number;
  /** Where plan.json, result-autodim.json and result-fde.json were written. */
  runs: string;
}

function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** Runs the main job, printing what it does; `dir` holds the data and the runs. */
export async function runMainJob(opts: {
  rows: number;
  seed: number;
  model: ModelName;
  dir: string;
  runsDir?: string;
}): Promise<MainJobResult> {
  const { rows, seed, model, dir } = opts;
  const info = await initRuntime();
  console.log(`backend ${backendLabel(info)}; hardware ${describeHardware()}`);
  const synthetic = await syntheticDataset(rows, seed, dir);
  const { truth, prepared, reused } = synthetic;
  const manifest = synthetic.data.manifest;
  console.log(`${reused ? "reused" : "prepared"} ${prepared}`);
  console.log(summarizeManifest(manifest));
  console.log(`planted ranks: ${truth.fields.map((n, i) => `${n}=${truth.ranks[i]}`).join(" ")}`);
  console.log(
    `ceiling AUC (true logits on all rows) ${truth.ceilingAuc.toFixed(4)}, click rate ${truth.clickRate.toFixed(4)}`,
  );

  const data = synthetic.data;
  const runs = opts.runsDir ?? join(dir, `runs-${rows}-s${seed}-${model}`);
  mkdirSync(runs, { recursive: true });
  const { plan, result: autodim } = await searchThenRetrain(data, { ...QUICK_SEARCH, model, seed }, QUICK_RETRAIN, {
    method: "autodim",
    onPlan: (p) => writeJson(join(runs, "plan.json"), p),
  });
  writeJson(join(runs, "result-autodim.json"), autodim);
  const fde = await retrain(
    data,
    { ...QUICK_RETRAIN, model, seed, dims: manifest.fields.map(() => 32), projection: "none", outputDim: 32 },
    { method: "fde" },
  );
  writeJson(join(runs, "result-fde.json"), fde);
  const spearmanRank = spearman(
    truth.ranks,
    plan.fields.map((x) => x.dim),
  );
  return { plan, autodim, fde, truth, spearmanRank, runs };
}

/** Pads the columns of a table of strings. */
export function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The paper's name for the searched variant: AutoDim is AD-2 (linear); zero-padding is AD-1. */
export function autodimLabel(plan: Pick<DimensionPlan, "config">): string {
  return plan.config.unify === "zeropad" ? "AutoDim (zero-pad, AD-1)" : "AutoDim";
}

/** The main job's plan and its FDE / AutoDim table. */
export function describeMainJob(r: MainJobResult): string {
  return [
    `plan (${r.plan.config.model}): ${r.plan.fields.map((x, i) => `${x.name}=${x.dim}(r${r.truth.ranks[i]})`).join(" ")}`,
    `Spearman(planted rank, chosen dim) = ${r.spearmanRank.toFixed(3)}`,
    textTable([
      ["method", "test AUC", "Logloss", "embedding params", "wall s"],
      ...(
        [
          ["FDE (all 32)", r.fde],
          [autodimLabel(r.plan), r.autodim],
        ] as const
      ).map(([name, x]) => [
        name,
        x.test.auc.toFixed(4),
        x.test.logloss.toFixed(4),
        String(x.params.embedding),
        x.runtime.wallSeconds.toFixed(1),
      ]),
    ]),
    `search took ${r.plan.runtime.wallSeconds.toFixed(1)} s; results in ${r.runs}/ (plan.json, result-autodim.json, result-fde.json)`,
  ].join("\n");
}
