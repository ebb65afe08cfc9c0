// One search of the "why" experiment (a cell of why.ts): AutoDim's search alone, no re-train, with
// the record of the α gradients it applied (per field and candidate, read through the search's
// observer) and snapshots of the margin and SNR after 25, 50, 100, … α steps.
import type { PreparedData } from "../data/batches.js";
import { search } from "../embedding/search.js";
import { argmaxIndex, SearchTrace, signalToNoise } from "../embedding/diagnostics.js";
import type { ModelName } from "../models/ctr.js";
import { backendLabel, initRuntime } from "../accel/index.js";
import type { HardwareInfo } from "../core/hardware.js";
import type { CodeVersion } from "../core/version.js";
import type { SearchLength, WhySettings } from "./why-settings.js";
import { fieldMargin } from "./why-stats.js";

/** α steps after which the gradient record is read (and the search's last step). */
export const SNAPSHOT_STEPS = [25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800];

export interface WhyField {
  name: string;
  ids: number;
  /** The size the plan chose (α's argmax) and the runner-up. */
  dim: number;
  runnerUp: number | null;
  /** Normalised α (softmax of log α), per candidate. */
  alpha: number[];
  /** p_argmax − p_runner-up. */
  margin: number;
  /** The diagnostics' verdict, SNR and α steps needed. */
  decided: boolean;
  snr: number | null;
  stepsNeeded: number | null;
  stableSince: number;
  /** Per candidate: mean and sd over the α steps of ∂L_val/∂log α_n. */
  gradientMean: number[];
  gradientSd: number[];
  /** d_t = ∂L/∂log α(runner-up) − ∂L/∂log α(argmax): mean and sd per α step (SNR = mean / (sd / √n)). */
  differenceMean: number;
  differenceSd: number;
}

/** Had the search stopped after n α steps: per field the margin and the diagnostics' SNR then. */
export interface WhySnapshot {
  n: number;
  margin: number[];
  snr: (number | null)[];
}

export interface WhyRun {
  seed: number;
  epochs: number;
  frequency: number;
  /** Share of the training rows, and how many that is. */
  share: number;
  trainRows: number;
  steps: number;
  architectureSteps: number;
  decided: number;
  fields: WhyField[];
  snapshots: WhySnapshot[];
  supernetValidationAuc: number;
  runtime: { wallSeconds: number; backend: string; hardware: HardwareInfo; code: CodeVersion; createdAt: string };
}

/** The t statistic of argmax vs runner-up of α (the diagnostics' SNR) from a trace. */
function snrAt(trace: SearchTrace, alpha: number[][]): (number | null)[] {
  return alpha.map((row, f) => {
    const k = argmaxIndex(row);
    let r = -1;
    for (let n = 0; n < row.length; n++) if (n !== k && (r < 0 || row[n] > row[r])) r = n;
    return r < 0 ? null : signalToNoise(trace.difference(f, k, r));
  });
}

/** One search of `config` on `data`, with its gradient record. */
export async function whySearch(
  data: PreparedData,
  names: string[],
  model: ModelName,
  seed: number,
  settings: WhySettings,
  length: SearchLength,
  share: number,
): Promise<WhyRun> {
  const started = Date.now();
  const info = await initRuntime();
  const F = names.length;
  const N = settings.candidates.length;
  const uniform = Array.from({ length: F }, () => Array.from({ length: N }, () => 1 / N));
  const trace = new SearchTrace(F, N, uniform);
  const snapshots: WhySnapshot[] = [];
  let last: number[][] = uniform;
  const plan = await search(
    data,
    { ...settings.search, ...length, candidates: settings.candidates, oneLevel: false, model, seed },
    {
      progress: process.env.AUTODIM_QUIET !== "1",
      observeArchitectureStep: (step, gradient, alpha) => {
        trace.observe(step, gradient, alpha);
        last = alpha;
        if (SNAPSHOT_STEPS.includes(trace.steps))
          snapshots.push({ n: trace.steps, margin: alpha.map(fieldMargin), snr: snrAt(trace, alpha) });
      },
    },
  );
  if (snapshots[snapshots.length - 1]?.n !== trace.steps)
    snapshots.push({ n: trace.steps, margin: last.map(fieldMargin), snr: snrAt(trace, last) });
  const state = trace.save();
  const n = state.count;
  const diagnostics = plan.search.diagnostics;
  if (!diagnostics) throw new Error("the search returned no diagnostics");
  const fields = plan.fields.map((pf, f): WhyField => {
    const d = diagnostics.fields[f];
    const gradientMean: number[] = [];
    const gradientSd: number[] = [];
    for (let a = 0; a < N; a++) {
      const s = state.sum[f * N + a];
      const ss = state.cross[(f * N + a) * N + a];
      gradientMean.push(s / n);
      gradientSd.push(n > 1 ? Math.sqrt(Math.max(0, (ss - (s * s) / n) / (n - 1))) : 0);
    }
    const k = argmaxIndex(pf.alpha);
    const r = d.runnerUp === null ? -1 : settings.candidates.indexOf(d.runnerUp);
    const diff = r < 0 ? { mean: 0, sd: 0 } : trace.difference(f, k, r);
    return {
      name: pf.name,
      ids: pf.vocabularySize,
      dim: pf.dim,
      runnerUp: d.runnerUp,
      alpha: pf.alpha,
      margin: fieldMargin(pf.alpha),
      decided: d.decided,
      snr: d.snr,
      stepsNeeded: d.stepsNeeded,
      stableSince: d.stableSince,
      gradientMean,
      gradientSd,
      differenceMean: diff.mean,
      differenceSd: diff.sd,
    };
  });
  return {
    seed,
    epochs: length.epochs,
    frequency: length.frequency,
    share,
    trainRows: data.rows("train"),
    steps: plan.search.steps,
    architectureSteps: plan.search.architectureSteps,
    decided: diagnostics.decided,
    fields,
    snapshots,
    supernetValidationAuc: plan.search.supernetValidation.auc,
    runtime: {
      wallSeconds: (Date.now() - started) / 1000,
      backend: backendLabel(info),
      hardware: plan.runtime.hardware,
      code: plan.runtime.code as CodeVersion,
      createdAt: plan.runtime.createdAt,
    },
  };
}
