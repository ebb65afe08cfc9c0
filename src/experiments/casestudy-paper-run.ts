// Experiment 7b's runs (see casestudy-paper.ts): experiment 7's field importances, the FDE and
// AutoDim cells with their paired intervals, and the body the registry runs.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AutodimError } from "../core/errors.js";
import { AucDraws } from "./bootstrap.js";
import { trainedFieldImportance, type CaseStudyResult } from "./casestudy.js";
import { CellsStopped, identityHash, type CellRunner } from "./cells.js";
import { type Dataset, type Scale } from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import type { ExperimentBody } from "./experiment.js";
import type { RunCounts } from "./frequency.js";
import {
  methodResults,
  methodRunsDir,
  methodsDefaults,
  runKey,
  type MethodRun,
  type MethodsSettings,
} from "./methods.js";
import { testLabels } from "./methods-table.js";
import { RESULTS_DIR, type Provenance } from "./report.js";
import { describeHardware } from "../core/hardware.js";
import { describeVersion } from "../core/version.js";
import {
  type FieldImportanceInput,
  type CaseStudyPaperResult,
  summarizeCaseStudyPaper,
  seedRunInput,
} from "./casestudy-paper.js";
import { caseStudyPaperMarkdown, caseStudyPaperFigures } from "./casestudy-paper-report.js";

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;

/**
 * Experiment 7's importances on `ds`: its result for this scale when it was made on these data
 * (results/casestudy-<scale>.json), else its single-field W&D run cells (loaded when saved,
 * computed otherwise: at quick scale on MovieLens they are committed).
 */
export async function caseStudyImportances(
  ds: Dataset,
  scale: Scale,
  runner: CellRunner,
  counts?: RunCounts,
): Promise<{ fields: FieldImportanceInput[]; source: string } | CellsStopped> {
  const file = join(RESULTS_DIR, `casestudy-${scale}.json`);
  const ids = (field: string) => ds.data.manifest.fields.find((f) => f.name === field)?.vocabularySize ?? NaN;
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as { provenance: Provenance; result: CaseStudyResult };
    if (saved.provenance.data === ds.description) {
      const byField = new Map(saved.result.rows.map((r) => [r.field, r]));
      if (ds.data.manifest.fields.every((f) => byField.has(f.name)))
        return {
          fields: ds.data.manifest.fields.map((f) => {
            const r = byField.get(f.name) as CaseStudyResult["rows"][number];
            return { field: f.name, ids: ids(f.name), importance: r.auc, importanceStd: r.aucStd };
          }),
          source: `${file} (seeds ${saved.result.seeds.join(", ")})`,
        };
    }
  }
  const settings = methodsDefaults(scale, "movielens");
  const trained = await trainedFieldImportance(
    ds,
    settings,
    methodRunsDir("casestudy", scale),
    join("data", "single-field", `${ds.name}-${identityHash(ds.description)}`),
    runner,
    counts,
  );
  if (trained instanceof CellsStopped) return trained;
  const std = (x: number[]) => {
    const m = mean(x);
    return x.length > 1 ? Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1)) : 0;
  };
  return {
    fields: trained.map((f) => ({
      field: f.field,
      ids: ids(f.field),
      importance: mean(f.auc),
      importanceStd: std(f.auc),
    })),
    source: `the single-field runs of ${methodRunsDir("casestudy", scale)} (seeds ${settings.seeds.join(", ")})`,
  };
}

/** The experiment's result: the runs (computed or loaded), their intervals and the importances. */
export async function runCaseStudyPaper(
  ds: Dataset,
  scale: Scale,
  settings: MethodsSettings,
  runner: CellRunner,
  counts?: RunCounts,
): Promise<CaseStudyPaperResult | CellsStopped> {
  const runs = await methodResults(ds, settings, methodRunsDir("casestudy-paper", scale), runner, counts);
  if (runs instanceof CellsStopped) return runs;
  const importances = await caseStudyImportances(ds, scale, runner, counts);
  if (importances instanceof CellsStopped) return importances;
  const { fields, source } = importances;
  const get = (method: string, seed: number): MethodRun => {
    const r = runs.get(runKey("wd", method, seed));
    if (!r) throw new AutodimError(`casestudy-paper: no W&D ${method} run for seed ${seed}`);
    return r;
  };
  const scoresOf = (method: string, seed: number): Float32Array => {
    const s = get(method, seed).scores;
    if (!s) throw new AutodimError(`casestudy-paper: the W&D ${method} run of seed ${seed} has no saved test scores`);
    return s;
  };
  const labels = testLabels(ds);
  const opts = { replicates: settings.bootstrapReplicates, seed: DEFAULT_SEED };
  const scored = (seeds: number[]) => [
    { key: "fde", scoresBySeed: seeds.map((s) => scoresOf("fde", s)) },
    { key: "autodim", scoresBySeed: seeds.map((s) => scoresOf("autodim", s)) },
  ];
  const interval = (seeds: number[]) => {
    const d = new AucDraws(labels, scored(seeds), opts).difference("autodim", "fde");
    return { low: d.low, high: d.high };
  };
  const made = settings.seeds.flatMap((seed) =>
    ["fde", "autodim"].map((m) => {
      const rt = get(m, seed).result.runtime;
      return `code ${rt.code ? describeVersion(rt.code) : "not recorded"}, ${rt.backend}, ${describeHardware(rt.hardware)}`;
    }),
  );
  const summary = summarizeCaseStudyPaper(
    fields,
    settings.seeds.map((s) => seedRunInput(s, get("fde", s).result, get("autodim", s).result)),
    { perSeed: settings.seeds.map((s) => interval([s])), mean: interval(settings.seeds) },
    { candidates: settings.candidates, importanceSource: source, bootstrapReplicates: settings.bootstrapReplicates },
  );
  return { ...summary, runsMadeBy: [...new Set(made)] };
}

/** A figure's subtitle (the registry's format): the data set by name and size, the scale and the seeds. */
function caption(ds: Dataset, scale: Scale, seeds: number[]): string {
  const m = ds.data.manifest;
  const rows = m.rows.train + m.rows.val + m.rows.test;
  return `${ds.name}, ${rows.toLocaleString("en")} rows (test ${m.rows.test.toLocaleString("en")}); scale ${scale}; seeds ${seeds.join(", ")}`;
}

/** The experiment's body, as the registry's `experiment` takes it. */
export async function caseStudyPaperBody(
  scale: Scale,
  ds: Dataset,
  settings: MethodsSettings,
  runner: CellRunner,
): Promise<ExperimentBody<CaseStudyPaperResult> | CellsStopped> {
  const counts: RunCounts = { computed: 0, reused: 0 };
  const r = await runCaseStudyPaper(ds, scale, settings, runner, counts);
  if (r instanceof CellsStopped) return r;
  return {
    markdown: caseStudyPaperMarkdown(r, ds, settings),
    payload: r,
    figures: caseStudyPaperFigures(r, caption(ds, scale, settings.seeds)),
    data: ds.description,
    computeSeconds: r.computeSeconds,
    seed: settings.seeds[0],
    runs: counts,
  };
}
