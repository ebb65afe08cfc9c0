// The "why" experiment's AUC check: the longest searches' plans re-trained as the main table
// re-trains (one cell per seed), and their ΔAUC vs the main table's FDE runs of the same seeds
// (a paired bootstrap over seeds and test rows on their saved test scores).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { backendLabel, initRuntime } from "../accel/index.js";
import type { HardwareInfo } from "../core/hardware.js";
import type { CodeVersion } from "../core/version.js";
import { retrain } from "../train/retrain.js";
import { AucDraws } from "./bootstrap.js";
import { CellsStopped, identityHash, type Cell, type CellRunner } from "./cells.js";
import { type Dataset, type Scale } from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import type { RunCounts } from "./frequency.js";
import { methodRunsDir, readScores, writeScores } from "./methods.js";
import { testLabels } from "./methods-table.js";
import { RESULTS_DIR } from "./report.js";
import type { RetrainSettings } from "./settings.js";
import type { WhyRun } from "./why-search.js";
import { longestLength, settingKey, type WhyName, type WhySettings } from "./why-settings.js";
import { mean } from "./why-stats.js";

/** One seed's plan of the longest search, re-trained and tested. */
export interface WhyRetrain {
  seed: number;
  dims: number[];
  testAuc: number;
  testLogloss: number;
  /** Embedding parameters. */
  params: number;
  epochs: number;
  runtime: { wallSeconds: number; backend: string; hardware: HardwareInfo; code: CodeVersion; createdAt: string };
}

/** The re-trains of the longest searches' plans, one cell per seed, with their test scores. */
export async function runRetrains(
  ds: Dataset,
  settings: WhySettings,
  scale: Scale,
  runs: Map<string, WhyRun>,
  runner: CellRunner,
  counts?: RunCounts,
  name: WhyName = "why",
): Promise<{ seed: number; result: WhyRetrain; scores?: Float32Array }[] | CellsStopped> {
  const train = settings.retrain;
  if (!train) return [];
  const dir = join(RESULTS_DIR, `${name}-${scale}-runs`);
  const longest = { ...longestLength(settings), share: 1 };
  const D = settings.candidates[settings.candidates.length - 1];
  const cells: Cell<WhyRetrain>[] = settings.seeds.map((seed) => {
    const searched = runs.get(`${settings.model}-${settingKey(longest)}-s${seed}`);
    if (!searched) throw new Error(`why: no search ${settingKey(longest)} with seed ${seed} to re-train`);
    const dims = searched.fields.map((f) => f.dim);
    const identity = {
      data: ds.description,
      model: settings.model,
      seed,
      dims,
      candidates: settings.candidates,
      train,
    };
    const key = `${settings.model}-retrain-${settingKey(longest)}-s${seed}-${identityHash(identity)}`;
    return {
      key,
      identity,
      run: async () => {
        const started = Date.now();
        const info = await initRuntime();
        let scores: Float32Array | undefined;
        const r = await retrain(
          ds.data,
          { ...train, model: settings.model, dims, projection: settings.search.unify, outputDim: D, seed },
          {
            method: "autodim",
            progress: process.env.AUTODIM_QUIET !== "1",
            onTestScores: (p) => (scores = p.slice()),
          },
        );
        if (scores) writeScores(join(dir, `${key}.scores.u16.gz`), scores);
        return {
          seed,
          dims,
          testAuc: r.test.auc,
          testLogloss: r.test.logloss,
          params: r.params.embedding,
          epochs: r.history.length,
          runtime: {
            wallSeconds: (Date.now() - started) / 1000,
            backend: backendLabel(info),
            hardware: r.runtime.hardware,
            code: r.runtime.code as CodeVersion,
            createdAt: r.runtime.createdAt,
          },
        };
      },
    };
  });
  const values = await runner.stage(dir, cells, { counts });
  if (values instanceof CellsStopped) return values;
  return cells.map((c, i) => ({
    seed: settings.seeds[i],
    result: values.get(c.key) as WhyRetrain,
    scores: readScores(join(dir, `${c.key}.scores.u16.gz`)),
  }));
}

/** A main-table run of the same data and re-train settings: its test AUC, parameters and scores. */
interface MainTableRun {
  architectureSteps: number;
  testAuc: number;
  params: number;
  dims: number[];
  scores?: Float32Array;
}

/** The main table's saved (model, method, seed) run on this data, or undefined. */
function mainTableRun(
  ds: Dataset,
  settings: WhySettings,
  scale: Scale,
  method: string,
  seed: number,
): MainTableRun | undefined {
  const dir = methodRunsDir("methods-movielens", scale);
  if (!existsSync(dir)) return undefined;
  const prefix = `${settings.model}-${method}-s${seed}-`;
  for (const f of readdirSync(dir).filter((x) => x.startsWith(prefix) && /-[0-9a-f]{10}\.json$/.test(x))) {
    const cell = JSON.parse(readFileSync(join(dir, f), "utf8")) as {
      identity: { data: string; settings: { train: RetrainSettings } };
      value: {
        test: { auc: number };
        params: { embedding: number };
        dims: { dim: number }[];
        plan?: { search: { architectureSteps: number } };
      };
    };
    if (cell.identity.data !== ds.description) continue;
    if (JSON.stringify(cell.identity.settings.train) !== JSON.stringify(settings.retrain)) continue;
    return {
      architectureSteps: cell.value.plan?.search.architectureSteps ?? NaN,
      testAuc: cell.value.test.auc,
      params: cell.value.params.embedding,
      dims: cell.value.dims.map((d) => d.dim),
      scores: readScores(join(dir, f.replace(/\.json$/, ".scores.u16.gz"))),
    };
  }
  return undefined;
}

/** ΔAUC vs FDE (paired bootstrap over seeds and test rows) of a plan, mean over seeds. */
export interface WhyDelta {
  label: string;
  /** α steps of the search the plans come from. */
  architectureSteps: number;
  aucs: number[];
  fdeAucs: number[];
  delta: number;
  low: number;
  high: number;
  /** 1 − params / FDE's params, mean over seeds. */
  saved: number;
}

export interface WhyAuc {
  longest: WhyDelta;
  /** The main table's AutoDim (its 4-epoch, f = 10 search), on the same bootstrap draws. */
  mainTable?: WhyDelta;
  retrains: WhyRetrain[];
  replicates: number;
}

/** ΔAUC vs FDE of the longest searches' plans and of the main table's AutoDim (undefined: scores missing). */
export function aucVsFde(
  ds: Dataset,
  settings: WhySettings,
  scale: Scale,
  retrained: { seed: number; result: WhyRetrain; scores?: Float32Array }[],
  longestSteps: number,
): WhyAuc | undefined {
  if (retrained.length === 0) return undefined;
  const fde = settings.seeds.map((seed) => mainTableRun(ds, settings, scale, "fde", seed));
  const main = settings.seeds.map((seed) => mainTableRun(ds, settings, scale, "autodim", seed));
  if (fde.some((x) => !x?.scores) || retrained.some((x) => !x.scores)) return undefined;
  const replicates = 1000;
  const withMain = main.every((x) => x?.scores);
  const draws = new AucDraws(
    testLabels(ds),
    [
      { key: "fde", scoresBySeed: fde.map((x) => x?.scores as Float32Array) },
      { key: "longest", scoresBySeed: retrained.map((x) => x.scores as Float32Array) },
      ...(withMain ? [{ key: "main", scoresBySeed: main.map((x) => x?.scores as Float32Array) }] : []),
    ],
    { replicates, seed: DEFAULT_SEED },
  );
  const fdeParams = fde.map((x) => x?.params as number);
  const delta = (key: string, label: string, params: number[], steps: number): WhyDelta => {
    const d = draws.difference(key, "fde");
    const k = draws.keys.indexOf(key);
    return {
      label,
      architectureSteps: steps,
      aucs: draws.point[k],
      fdeAucs: draws.point[0],
      delta: d.delta,
      low: d.low,
      high: d.high,
      saved: mean(params.map((p, i) => 1 - p / fdeParams[i])),
    };
  };
  const l = longestLength(settings);
  return {
    longest: delta(
      "longest",
      `the longest search (${l.epochs} epochs, f = ${l.frequency})`,
      retrained.map((x) => x.result.params),
      longestSteps,
    ),
    ...(withMain
      ? {
          mainTable: delta(
            "main",
            "the main table's AutoDim (4 epochs, f = 10)",
            main.map((x) => x?.params as number),
            mean(main.map((x) => x?.architectureSteps as number)),
          ),
        }
      : {}),
    retrains: retrained.map((x) => x.result),
    replicates,
  };
}
