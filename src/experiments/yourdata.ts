// Notebook 10, "your data": AutoDim on a CSV / TSV / libFM file of the user's — prepare,
// search, re-train against the full-dimension model — with the command line of every step,
// so what the notebook did can be run (and scheduled) without it.
import { initRuntime } from "../accel/index.js";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../core/files.js";
import type { FormatName, Schema } from "../data/formats.js";
import { DEFAULT_ROWS_PER_SHARD, prepare, type PrepareOutcome } from "../data/prepare.js";
import { search } from "../embedding/search.js";
import { retrainPlan } from "../embedding/pipeline.js";
import type { ModelName } from "../models/ctr.js";
import { retrain } from "../train/retrain.js";
import type { DimensionPlan } from "../train/schemas.js";
import type { RetrainResult } from "../train/result-schema.js";
import { PreparedData } from "../data/batches.js";
import { selectionProbabilities } from "./dimensions.js";
import type { Scale } from "./datasets.js";
import type { Figure } from "./figures.js";
import { markdownTable } from "./report.js";
import { retrainSettings, searchSettings, type RetrainSettings, type SearchSettings } from "./settings.js";

export interface YourDataSettings {
  /** The file: CSV/TSV with a header, or libFM lines. */
  input: string;
  format: Extract<FormatName, "csv" | "tsv" | "libfm">;
  /** csv/tsv: the label column; which columns are categorical fields or integers (bucketised). */
  schema: Schema;
  /** Values seen fewer times in the training split share a "rare" id per field. */
  minCount: number;
  /** Where the prepared shards go (a folder of their own). */
  prepared: string;
  /** Where plan.json and the two result files go. */
  runs: string;
  model: ModelName;
  seed: number;
  candidates: number[];
  search: Omit<SearchSettings, "candidates">;
  retrain: RetrainSettings;
}

/** The defaults: the notebook's small fixture (200 real Criteo rows as CSV) at the given scale's search. */
export function yourDataDefaults(scale: Scale): YourDataSettings {
  const { candidates, ...search } = searchSettings(scale);
  return {
    input: join("test", "fixtures", "criteo_sample_deepctr.csv"),
    format: "csv",
    schema: { label: "label", numeric: Array.from({ length: 13 }, (_, i) => `I${i + 1}`) },
    minCount: 1,
    prepared: join("data", "your-data"),
    runs: join("runs", "your-data"),
    model: "fm",
    seed: 2026,
    candidates,
    search,
    retrain: retrainSettings(scale),
  };
}

export function prepareYourData(s: YourDataSettings): Promise<PrepareOutcome> {
  return prepare({
    format: s.format,
    input: s.input,
    out: s.prepared,
    minCount: s.minCount,
    split: [0.8, 0.1, 0.1],
    seed: s.seed,
    onBadRow: "error",
    avazuTimeFields: false,
    rowsPerShard: DEFAULT_ROWS_PER_SHARD,
    schema: s.schema,
  });
}

function save(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** The search; the plan is saved as `<runs>/plan.json`, where the command lines expect it. */
export async function searchYourData(s: YourDataSettings): Promise<DimensionPlan> {
  await initRuntime(); // the notebook is the entry point: compute on the engine
  const plan = await search(new PreparedData(s.prepared), {
    ...s.search,
    candidates: s.candidates,
    model: s.model,
    seed: s.seed,
  });
  save(join(s.runs, "plan.json"), plan);
  return plan;
}

/** The plan re-trained, and the full-dimension model (every field d_N) on the same data and seed. */
export async function retrainYourData(
  s: YourDataSettings,
  plan: DimensionPlan,
): Promise<{ autodim: RetrainResult; fde: RetrainResult }> {
  await initRuntime(); // the notebook is the entry point: compute on the engine
  const data = new PreparedData(s.prepared);
  const D = s.candidates[s.candidates.length - 1];
  const autodim = await retrainPlan(data, plan, s.retrain, { method: plan.method });
  const fde = await retrain(
    data,
    {
      ...s.retrain,
      model: s.model,
      seed: s.seed,
      dims: data.manifest.fields.map(() => D),
      projection: "none",
      outputDim: D,
    },
    { method: "fde" },
  );
  return { autodim, fde };
}

const q = (v: string) => (/^[\w./,-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`);

/** The command line of each step, with the same settings. */
export function commandLines(s: YourDataSettings): {
  prepare: string;
  search: string;
  retrainPlan: string;
  retrainFde: string;
} {
  const schema = [
    s.schema.label ? `--label ${q(s.schema.label)}` : "",
    s.schema.fields ? `--fields ${q(s.schema.fields.join(","))}` : "",
    s.schema.numeric?.length ? `--numeric ${q(s.schema.numeric.join(","))}` : "",
    s.schema.delimiter ? `--delimiter ${q(s.schema.delimiter)}` : "",
    s.schema.fieldNames ? `--field-names ${q(s.schema.fieldNames.join(","))}` : "",
  ].filter((x) => x !== "");
  const plan = join(s.runs, "plan.json");
  const sr = s.search;
  const train = `--epochs ${s.retrain.epochs} --patience ${s.retrain.patience} --batch-size ${s.retrain.batchSize} --lr ${s.retrain.learningRate} --seed ${s.seed}`;
  return {
    prepare: `npx autodim prepare --format ${s.format} --input ${q(s.input)} ${schema.join(" ")} --min-count ${s.minCount} --seed ${s.seed} --out ${q(s.prepared)}`,
    search:
      `npx autodim search --data ${q(s.prepared)} --model ${s.model} --candidates ${s.candidates.join(",")} --embedding ${sr.lookup} --unify ${sr.unify} ` +
      `--freq ${sr.frequency} --epochs ${sr.epochs} --warmup-steps ${sr.warmupSteps} --batch-size ${sr.batchSize} --lr ${sr.learningRate} --arch-lr ${sr.architectureLearningRate} ` +
      `${sr.tauSchedule === "fit" ? "--tau-schedule fit" : `--tau-schedule paper --tau-decay ${sr.tauDecay}`} --seed ${s.seed}${sr.oneLevel ? " --one-level" : ""} --out ${q(plan)}`,
    retrainPlan: `npx autodim retrain --data ${q(s.prepared)} --model ${s.model} --plan ${q(plan)} ${train} --out ${q(join(s.runs, "result-autodim.json"))}`,
    retrainFde: `npx autodim retrain --data ${q(s.prepared)} --model ${s.model} --dim ${s.candidates[s.candidates.length - 1]} ${train} --out ${q(join(s.runs, "result-fde.json"))}`,
  };
}

/** The plan per field: vocabulary, chosen size, and the selection probabilities behind it. */
export function planTable(plan: DimensionPlan): string {
  return markdownTable(
    plan.fields.map((f) => ({
      field: f.name,
      ids: f.vocabularySize,
      size: f.dim,
      ...Object.fromEntries(plan.candidates.map((d, n) => [`p(${d})`, selectionProbabilities(f.alpha)[n]])),
    })),
    Object.fromEntries(plan.candidates.map((d) => [`p(${d})`, 2])),
  );
}

/** α over the search: each candidate's selection probability, averaged over the fields. */
export function alphaFigure(plan: DimensionPlan, caption: string): Figure {
  const steps = plan.search.alphaHistory.map((h) => h.step);
  const mean = (alpha: number[][], n: number) =>
    alpha.reduce((a, row) => a + selectionProbabilities(row)[n], 0) / alpha.length;
  return {
    data: plan.candidates.map((d, n) => ({
      type: "scatter",
      mode: "lines",
      name: `d = ${d}`,
      x: steps,
      y: plan.search.alphaHistory.map((h) => mean(h.alpha, n)),
    })),
    layout: {
      title: { text: `α over the search: mean selection probability per candidate<br><sub>${caption}</sub>` },
      xaxis: { title: { text: "search step t" } },
      yaxis: { title: { text: "mean over fields of softmax(log α)" } },
      width: 800,
      height: 420,
    },
  };
}

/** Test AUC against embedding parameters: the plan beside the full-dimension model. */
export function tradeoffFigure(r: { autodim: RetrainResult; fde: RetrainResult }, caption: string): Figure {
  const point = (name: string, x: RetrainResult, color: string) => ({
    type: "scatter",
    mode: "markers",
    name,
    x: [x.params.embedding],
    y: [x.test.auc],
    marker: { size: 14, color },
    hovertemplate: `${name}: %{x:,} params, AUC %{y:.4f}<extra></extra>`,
  });
  return {
    data: [point("FDE (every field d_N)", r.fde, "#4c72b0"), point("AutoDim's plan", r.autodim, "#c44e52")],
    layout: {
      title: { text: `Test AUC against embedding parameters<br><sub>${caption}</sub>` },
      xaxis: { title: { text: "embedding parameters" }, type: "log" },
      yaxis: { title: { text: "test AUC" } },
      width: 700,
      height: 420,
    },
  };
}

/** The settings a notebook's cell replaces as one value (`settingsCell`'s `whole`): the data schema, all of its keys optional. */
export const YOUR_DATA_WHOLE = {
  schema: { label: "", fields: [""], numeric: [""], delimiter: "", fieldNames: [""] },
};
