// Why AutoDim fails on MovieLens (issue 27, part 4): experiments that isolate the cause. On the
// real MovieLens subset with W&D (the model where AutoDim is worse than FDE), the search alone —
// no re-train — is repeated over seeds while one thing changes at a time:
//
//   1. search length: the number of α updates (search epochs × training steps / f), ≈ 100 → 9,000;
//      per setting the α margin (p_argmax − p_runner-up, mean over fields), the fields the
//      diagnostics call decided (src/embedding/diagnostics.ts), and whether the seeds agree on
//      the sizes (share of fields where all seeds agree; mean pairwise Pearson of size vectors);
//   2. the gradient's signal: per field the mean and spread of ∂L_val/∂log α over the α steps (the
//      gradients the α optimiser applied, read through `search`'s observer), its t statistic for
//      argmax vs runner-up (the diagnostics' SNR) and the α steps a decision would need; and the
//      SNR the diagnostics would have reported had the search stopped after 25, 50, 100, … steps
//      (a real per-step signal makes it grow as √n; a signal of 0 leaves it O(1) for ever);
//   3. data size: the same search on 25/50/100% of the training rows (a seeded subset; validation
//      and test unchanged, the vocabulary the full split's) at one number of α steps and W steps
//      (epochs scaled by 1/share), so only the number of distinct training rows changes.
//
// Each (setting, seed) search is a cell under results/why-<scale>-runs/.
//
// Here: the cells and the experiments `why` and `why-planted`. The settings and grid are in
// why-settings.ts, the subsampled rows in why-data.ts, one search in why-search.ts, the re-trains
// in why-retrain.ts, the statistics in why-stats.ts and why-summary.ts, the output in
// why-figures.ts and why-report.ts.
import { join } from "node:path";
import { stepsNeeded } from "../embedding/diagnostics.js";
import { backendLabel, initRuntime } from "../accel/index.js";
import { CellRunner, CellsStopped, identityHash, type Cell, type CellMode } from "./cells.js";
import { datasetByName } from "./datasets-real.js";
import { plantedRanks, type Dataset, type Scale } from "./datasets.js";
import type { RunCounts } from "./frequency.js";
import { experimentOf, type Experiment, type ExperimentOutcome } from "./experiment.js";
import { provenance, RESULTS_DIR } from "./report.js";
import { SubsampledData } from "./why-data.js";
import { whyFigures } from "./why-figures.js";
import { whyMarkdown } from "./why-report.js";
import { aucVsFde, runRetrains, type WhyAuc } from "./why-retrain.js";
import { whySearch, type WhyRun } from "./why-search.js";
import {
  longestLength,
  settingKey,
  whyDefaults,
  whyPlantedDefaults,
  whySettingsGrid,
  type WhyName,
  type WhySetting,
  type WhySettings,
} from "./why-settings.js";
import { adamNoiseNull, mean, median, NEVER, upperMedian } from "./why-stats.js";
import { criteoProjection, fieldSignals, summarizeSetting, type WhyResult } from "./why-summary.js";

/** Every (setting, seed) search, computed or loaded as cells. */
export async function runWhy(
  ds: Dataset,
  settings: WhySettings,
  scale: Scale,
  runner: CellRunner,
  counts?: RunCounts,
  name: WhyName = "why",
): Promise<Map<string, WhyRun> | CellsStopped> {
  const names = ds.data.manifest.fields.map((f) => f.name);
  const grid = whySettingsGrid(settings);
  const cells: Cell<WhyRun>[] = grid.flatMap((g) =>
    settings.seeds.map((seed) => {
      const identity = {
        data: ds.description,
        model: settings.model,
        seed,
        candidates: settings.candidates,
        search: settings.search,
        epochs: g.epochs,
        frequency: g.frequency,
        share: g.share,
      };
      return {
        key: `${settings.model}-${settingKey(g)}-s${seed}-${identityHash(identity)}`,
        identity,
        run: () =>
          whySearch(
            g.share < 1 ? new SubsampledData(ds.data.dir, g.share) : ds.data,
            names,
            settings.model,
            seed,
            settings,
            g,
            g.share,
          ),
      };
    }),
  );
  const values = await runner.stage(join(RESULTS_DIR, `${name}-${scale}-runs`), cells, { counts });
  if (values instanceof CellsStopped) return values;
  return new Map(cells.map((c) => [c.key.replace(/-[0-9a-f]{10}$/, ""), values.get(c.key) as WhyRun]));
}

/** The result from the runs (nothing is computed here). */
export function assembleWhy(
  runs: Map<string, WhyRun>,
  settings: WhySettings,
  auc?: WhyAuc,
  ranks: Map<string, number> = new Map(),
): WhyResult {
  const grid = whySettingsGrid(settings);
  const bySetting = (g: Pick<WhySetting, "epochs" | "frequency" | "share">) =>
    settings.seeds
      .map((seed) => runs.get(`${settings.model}-${settingKey(g)}-s${seed}`))
      .filter((x): x is WhyRun => x !== undefined);
  const rows = grid.map((g) => {
    const row = summarizeSetting(bySetting(g), g.item, ranks, Math.min(...settings.candidates));
    const noise = adamNoiseNull(
      Math.round(row.architectureSteps),
      settings.candidates.length,
      settings.search.architectureLearningRate,
    );
    return { ...row, noise };
  });
  const longest = [...settings.lengths].sort((a, b) => b.epochs / b.frequency - a.epochs / a.frequency)[0];
  const longestRuns = bySetting({ ...longest, share: 1 });
  const signal = fieldSignals(longestRuns, settings.candidates);
  const ns = [...new Set(longestRuns.flatMap((r) => r.snapshots.map((x) => x.n)))].sort((a, b) => a - b);
  const growth = ns.map((n) => {
    const at = longestRuns.flatMap((r) => r.snapshots.filter((x) => x.n === n));
    const snrs = at.flatMap((x) => x.snr.map((v) => v ?? NaN));
    return {
      n,
      snr: median(snrs),
      stepsNeeded: upperMedian(snrs.map((v) => (v > 0 ? (stepsNeeded(v, n) as number) : NEVER))),
      margin: median(at.flatMap((x) => x.margin)),
    };
  });
  return {
    settings,
    rows,
    growth,
    signal,
    signalSetting: { ...longest, architectureSteps: mean(longestRuns.map((r) => r.architectureSteps)) },
    runs: [...runs.entries()].map(([key, r]) => ({ key, ...r })),
    computeSeconds:
      [...runs.values()].reduce((a, r) => a + r.runtime.wallSeconds, 0) +
      (auc?.retrains ?? []).reduce((a, r) => a + r.runtime.wallSeconds, 0),
    ...(auc ? { auc } : {}),
    projection: criteoProjection(longestRuns, settings.search.batchSize, signal),
  };
}

function makeWhyExperiment(name: WhyName, defaults: (scale: Scale) => WhySettings): Experiment<WhyResult, WhySettings> {
  return experimentOf(
    async (scale: Scale, mode: CellMode, given?: WhySettings): Promise<ExperimentOutcome<WhyResult>> => {
      const started = Date.now();
      const info = await initRuntime();
      const settings = given ?? defaults(scale);
      const ds = await datasetByName(settings.data, scale);
      const counts: RunCounts = { computed: 0, reused: 0 };
      const runner = new CellRunner(mode);
      const runs = await runWhy(ds, settings, scale, runner, counts, name);
      if (runs instanceof CellsStopped) return runs.stop;
      const retrained = await runRetrains(ds, settings, scale, runs, runner, counts, name);
      if (retrained instanceof CellsStopped) return retrained.stop;
      const longest = runs.get(
        `${settings.model}-${settingKey({ ...longestLength(settings), share: 1 })}-s${settings.seeds[0]}`,
      );
      const auc = aucVsFde(ds, settings, scale, retrained, longest?.architectureSteps ?? NaN);
      const result = assembleWhy(runs, settings, auc, plantedRanks(ds));
      const m = ds.data.manifest;
      const caption = `${ds.name}, ${(m.rows.train + m.rows.val + m.rows.test).toLocaleString("en")} rows; scale ${scale}; seeds ${settings.seeds.join(", ")}`;
      const output = {
        name,
        scale,
        markdown: whyMarkdown(result, ds),
        payload: result,
        provenance: provenance(
          name,
          scale,
          ds.description,
          settings.seeds[0],
          backendLabel(info),
          (Date.now() - started) / 1000,
          result.computeSeconds,
        ),
        figures: whyFigures(result, caption),
        settings,
        runs: counts,
      };
      return { kind: "complete", output };
    },
    defaults,
  );
}

/** Why AutoDim fails on MovieLens (the real data; W&D, where it loses to FDE). */
export const whyExperiment = makeWhyExperiment("why", whyDefaults);
/** The same on the 5M-row planted set: does more data make α separate and find the planted ranks? */
export const whyPlantedExperiment = makeWhyExperiment("why-planted", whyPlantedDefaults);
