// Experiment 13's runs (see tuning.ts): every grid point, verdict run and uniform control as a
// cell saved with its test scores, the choice per budget, and the verdicts' paired intervals.
import { AutodimError } from "../core/errors.js";
import { METHODS } from "../methods/registry.js";
import type { MethodSettings } from "../methods/types.js";
import type { ModelName } from "../models/ctr.js";
import { retrain } from "../train/retrain.js";
import type { RetrainResult } from "../train/result-schema.js";
import { AucDraws, verdict, type PairedDifference } from "./bootstrap.js";
import { CellsStopped, identityHash, type CellRunner } from "./cells.js";
import { rawDataNeeded } from "./data-record.js";
import { type Dataset, type Scale } from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import type { RunCounts } from "./frequency.js";
import {
  methodRunsDir,
  methodSettings,
  readScores,
  runKey,
  savedMethodResults,
  scoresFile,
  writeScores,
  type MethodRun,
  type MethodsSettings,
} from "./methods.js";
import { testLabels } from "./methods-table.js";
import { checkpointsFor } from "./settings.js";
import {
  type SearchChoice,
  type TrainingChoice,
  type TuningSettings,
  trainingGrid,
  searchGrid,
  tunedSettings,
  uniformSize,
  type GridRow,
  type ArmRow,
  type TuningResult,
} from "./tuning.js";

/** One run the experiment needs: a registry method, or the uniform control of a plan. */
interface RunSpec {
  model: ModelName;
  method: "fde" | "autodim" | "uniform";
  seed: number;
  settings: MethodSettings;
  /** What the cell's key says beyond model, method and seed (the grid point). */
  tag: string;
  /** The uniform control's sizes. */
  dims?: number[];
}

/** Runs `specs` as cells of `dir` (saved with their test scores); keyed by `specKey`. */
async function runSpecs(
  ds: Dataset,
  dir: string,
  specs: RunSpec[],
  runner: CellRunner,
  counts: RunCounts,
): Promise<Map<string, MethodRun> | CellsStopped> {
  const progress = process.env.AUTODIM_QUIET !== "1";
  const cells = specs.map((spec) => {
    const identity = {
      data: ds.description,
      method: spec.method,
      settings: spec.settings,
      ...(spec.dims ? { dims: spec.dims } : {}),
    };
    const key = `${specKey(spec)}-${identityHash(identity)}`;
    return {
      key,
      identity,
      run: async (): Promise<RetrainResult> => {
        let scores: Float32Array | undefined;
        const opts = {
          progress,
          checkpoint: checkpointsFor(`${ds.name}-tuning-${key}`),
          onTestScores: (p: Float32Array) => (scores = p.slice()),
        };
        const result = spec.dims
          ? await uniformRun(ds, spec, spec.dims, opts)
          : await METHODS[spec.method].run(ds.data, spec.settings, opts);
        if (scores) writeScores(scoresFile(dir, key), scores);
        return result;
      },
    };
  });
  const done = await runner.stage(dir, cells, {
    log: progress ? undefined : () => {},
    counts,
    offline: rawDataNeeded(ds),
  });
  if (done instanceof CellsStopped) return done;
  return new Map(
    specs.map((spec, i) => [
      specKey(spec),
      {
        model: spec.model,
        method: spec.method,
        seed: spec.seed,
        result: done.get(cells[i].key) as RetrainResult,
        scores: readScores(scoresFile(dir, cells[i].key)),
      },
    ]),
  );
}

function specKey(spec: Pick<RunSpec, "model" | "method" | "seed" | "tag">): string {
  return `${runKey(spec.model, spec.method, spec.seed)}${spec.tag ? `-${spec.tag}` : ""}`;
}

/** The uniform control: a re-train with every field at one size, projected to d_N like AutoDim's. */
function uniformRun(
  ds: Dataset,
  spec: RunSpec,
  dims: number[],
  opts: { progress: boolean; checkpoint: ReturnType<typeof checkpointsFor>; onTestScores: (p: Float32Array) => void },
): Promise<RetrainResult> {
  const s = spec.settings;
  const D = s.candidates[s.candidates.length - 1];
  return retrain(
    ds.data,
    { ...s.train, model: s.model, dims, projection: "linear", outputDim: D, seed: s.seed },
    {
      method: "uniform",
      progress: opts.progress,
      selection: { method: "uniform", seconds: 0, dims, detail: { rule: "Σ|V_m|·d equal to the AutoDim plan's" } },
      checkpoint: opts.checkpoint,
      onTestScores: opts.onTestScores,
    },
  );
}

function runSeconds(r: RetrainResult): number {
  return r.runtime.wallSeconds + (r.plan?.runtime.wallSeconds ?? 0);
}

function gridRows<C>(choices: C[], seeds: number[], runOf: (c: C, seed: number) => MethodRun): GridRow<C>[] {
  const rows = choices.map((choice) => {
    const runs = seeds.map((seed) => runOf(choice, seed));
    const validationAuc = runs.map((r) => r.result.bestValidation.auc);
    const plans = runs.flatMap((r) => (r.result.plan ? [r.result.plan] : []));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      choice,
      validationAuc,
      meanValidationAuc: mean(validationAuc),
      params: mean(runs.map((r) => r.result.params.embedding)),
      ...(plans.length
        ? {
            architectureSteps: mean(plans.map((p) => p.search.architectureSteps)),
            decided: mean(plans.map((p) => p.search.diagnostics?.decided ?? NaN)),
          }
        : {}),
      chosen: false,
      seconds: runs.reduce((a, r) => a + runSeconds(r.result), 0),
    };
  });
  let best = 0;
  rows.forEach((r, i) => {
    if (r.meanValidationAuc > rows[best].meanValidationAuc) best = i;
  });
  rows[best].chosen = true;
  return rows;
}

export async function runTuning(
  ds: Dataset,
  scale: Scale,
  s: TuningSettings,
  runner: CellRunner,
  counts: RunCounts,
): Promise<TuningResult | CellsStopped> {
  const dir = methodRunsDir("tuning", scale);
  const fields = ds.data.manifest.fields.map((f) => ({ name: f.name, vocabularySize: f.vocabularySize }));
  const vocab = fields.map((f) => f.vocabularySize);
  const largest = s.base.candidates[s.base.candidates.length - 1];
  const uniformDims = (r: RetrainResult) => {
    const d = uniformSize(
      r.dims.map((x) => x.dim),
      vocab,
      largest,
    );
    return vocab.map(() => d);
  };
  const trainingTag = (c: TrainingChoice) => `lr${c.learningRate}-l2${c.embeddingL2}`;
  const searchTag = (c: SearchChoice) => `alr${c.architectureLearningRate}-e${c.epochs}-f${c.frequency}`;

  // One budget: every (model, grid point, tuning seed) run as a cell, the grid's rows per model and
  // each model's chosen point (the best mean validation AUC).
  const budget = async <C>(
    method: "fde" | "autodim",
    grid: C[],
    tag: (c: C) => string,
    settingsOf: (model: ModelName, seed: number, c: C) => MethodSettings,
  ) => {
    const runs = await runSpecs(
      ds,
      dir,
      s.models.flatMap((model) =>
        grid.flatMap((c) =>
          s.tuningSeeds.map((seed): RunSpec => ({
            model,
            method,
            seed,
            settings: settingsOf(model, seed, c),
            tag: tag(c),
          })),
        ),
      ),
      runner,
      counts,
    );
    if (runs instanceof CellsStopped) return runs;
    const rows = new Map(
      s.models.map((model) => [
        model,
        gridRows(grid, s.tuningSeeds, (c, seed) => got(runs, { model, method, seed, tag: tag(c) })),
      ]),
    );
    return { runs, rows, chosen: (model: ModelName) => rows.get(model)!.find((r) => r.chosen)!.choice };
  };

  // 1. FDE's training settings, per model.
  const fde = await budget("fde", trainingGrid(s), trainingTag, (model, seed, c) => tunedSettings(s, model, seed, c));
  if (fde instanceof CellsStopped) return fde;
  const fdeRuns = fde.runs;
  const training = fde.rows;
  const chosenTraining = fde.chosen;

  // 2. AutoDim's search settings, re-trained at FDE's chosen training settings.
  const ad = await budget("autodim", searchGrid(s), searchTag, (model, seed, c) =>
    tunedSettings(s, model, seed, chosenTraining(model), c),
  );
  if (ad instanceof CellsStopped) return ad;
  const adRuns = ad.runs;
  const search = ad.rows;
  const chosenSearch = ad.chosen;

  // 3. The tuned verdict on fresh seeds; the uniform controls need the AutoDim plans first.
  const verdictRuns = await runSpecs(
    ds,
    dir,
    s.models.flatMap((model) =>
      s.verdictSeeds.flatMap((seed): RunSpec[] => [
        { model, method: "fde", seed, settings: tunedSettings(s, model, seed, chosenTraining(model)), tag: "tuned" },
        {
          model,
          method: "autodim",
          seed,
          settings: tunedSettings(s, model, seed, chosenTraining(model), chosenSearch(model)),
          tag: "tuned",
        },
      ]),
    ),
    runner,
    counts,
  );
  if (verdictRuns instanceof CellsStopped) return verdictRuns;
  const tunedControls = await runSpecs(
    ds,
    dir,
    s.models.flatMap((model) =>
      s.verdictSeeds.map((seed) => {
        const plan = got(verdictRuns, { model, method: "autodim", seed, tag: "tuned" }).result;
        return {
          model,
          method: "uniform" as const,
          seed,
          settings: tunedSettings(s, model, seed, chosenTraining(model)),
          tag: "tuned",
          dims: uniformDims(plan),
        };
      }),
    ),
    runner,
    counts,
  );
  if (tunedControls instanceof CellsStopped) return tunedControls;

  // 4. Uniform controls beside the main table's AutoDim cells (paper settings).
  const mainSettings: MethodsSettings = { ...s.base, models: s.paperControlModels, methods: ["fde", "autodim"] };
  const main = await savedMethodResults(ds, mainSettings, methodRunsDir("methods-movielens", scale));
  if (!main)
    throw new AutodimError(
      `tuning: the main table's MovieLens runs (results/methods-movielens-${scale}-runs) are not all saved; run \`autodim reproduce methods-movielens --scale ${scale}\` first`,
    );
  const paperControls = await runSpecs(
    ds,
    dir,
    s.paperControlModels.flatMap((m) =>
      s.base.seeds.map((seed): RunSpec => ({
        model: m,
        method: "uniform",
        seed,
        settings: methodSettings(s.base, m, seed),
        tag: "paper",
        dims: uniformDims(main.get(runKey(m, "autodim", seed))!.result),
      })),
    ),
    runner,
    counts,
  );
  if (paperControls instanceof CellsStopped) return paperControls;

  const labels = testLabels(ds);
  const opts = { replicates: s.bootstrapReplicates, seed: DEFAULT_SEED };
  const arms: ArmRow[] = [];
  const addArms = (
    setting: ArmRow["setting"],
    m: ModelName,
    seeds: number[],
    runOf: (arm: "fde" | "autodim" | "uniform", seed: number) => MethodRun,
  ) => {
    const scores = (arm: "fde" | "autodim" | "uniform") =>
      seeds.map((seed) => {
        const sc = runOf(arm, seed).scores;
        if (!sc)
          throw new AutodimError(`tuning: the ${m} ${arm} run of seed ${seed} (${setting}) has no saved test scores`);
        return sc;
      });
    const draws = new AucDraws(
      labels,
      (["fde", "autodim", "uniform"] as const).map((k) => ({ key: k, scoresBySeed: scores(k) })),
      opts,
    );
    const judged = (d: PairedDifference) => ({ ...d, verdict: verdict(d) });
    for (const [arm, label] of [
      ["fde", "FDE"],
      ["autodim", "AutoDim"],
      ["uniform", "uniform"],
    ] as const) {
      const runs = seeds.map((seed) => runOf(arm, seed).result);
      arms.push({
        setting,
        model: m,
        arm: label,
        seeds,
        auc: runs.map((r) => r.test.auc),
        params: runs.map((r) => r.params.embedding),
        dims: arm === "fde" ? [] : runs.map((r) => r.dims.map((x) => x.dim)),
        ...(arm === "autodim" ? { decided: runs.map((r) => r.plan?.search.diagnostics?.decided ?? NaN) } : {}),
        ...(arm === "fde" ? {} : { vsFde: judged(draws.difference(arm, "fde")) }),
        ...(arm === "autodim" ? { vsUniform: judged(draws.difference("autodim", "uniform")) } : {}),
      });
    }
  };
  for (const m of s.paperControlModels)
    addArms("paper settings", m, s.base.seeds, (arm, seed) =>
      arm === "uniform"
        ? got(paperControls, { model: m, method: "uniform", seed, tag: "paper" })
        : main.get(runKey(m, arm, seed))!,
    );
  for (const model of s.models)
    addArms("tuned", model, s.verdictSeeds, (arm, seed) =>
      arm === "uniform"
        ? got(tunedControls, { model, method: "uniform", seed, tag: "tuned" })
        : got(verdictRuns, { model, method: arm, seed, tag: "tuned" }),
    );

  const all = [fdeRuns, adRuns, verdictRuns, tunedControls, paperControls].flatMap((m) => [...m.values()]);
  return {
    models: s.models.map((model) => ({
      model,
      training: training.get(model)!,
      search: search.get(model)!,
      chosen: { training: chosenTraining(model), search: chosenSearch(model) },
    })),
    tuningSeeds: s.tuningSeeds,
    verdictSeeds: s.verdictSeeds,
    arms,
    fields,
    computeSeconds: all.reduce((a, r) => a + runSeconds(r.result), 0),
    bootstrapReplicates: s.bootstrapReplicates,
  };
}

function got(runs: Map<string, MethodRun>, spec: Pick<RunSpec, "model" | "method" | "seed" | "tag">): MethodRun {
  const r = runs.get(specKey(spec));
  if (!r) throw new AutodimError(`tuning: no run ${specKey(spec)}`);
  return r;
}
