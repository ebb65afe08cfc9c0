// AutoDim's steps 4–5 (see autodim.ts for the whole algorithm): the bi-level search over the
// search embedding of autodim.ts, and the plan derived from α.
import { assertEvaluableSplits } from "../data/manifest.js";
import { resolve } from "node:path";
import type { PreparedData } from "../data/batches.js";
import { CtrModel, PAPER_MLP } from "../models/ctr.js";
import { startEngine } from "../core/engine.js";
import { hardwareInfo } from "../core/hardware.js";
import { codeVersion } from "../core/version.js";
import { Progress } from "../core/progress.js";
import { randomStream } from "../core/random.js";
import { DEFAULT_ADAM } from "../tables/sparse.js";
import { saveWeights } from "../tables/weights.js";
import type { CheckpointSettings } from "../train/checkpoint.js";
import { evaluate } from "../train/fit.js";
import { Network } from "../train/network.js";
import { runBiLevel } from "../train/bilevel.js";
import { partsLabel, stepStrategy } from "../train/step-parts.js";
import { TemperatureSchedule } from "./temperature.js";
import { planParameterCount } from "../train/plan-embedding.js";
import { dataIdentity } from "../train/retrain.js";
import {
  applyUndecidedPolicy,
  argmaxIndex,
  describeDiagnostics,
  SearchTrace,
  searchDiagnostics,
  type SearchTraceState,
} from "./diagnostics.js";
import type { DimensionPlan, SearchConfig } from "../train/schemas.js";
import { AutoDimSearchEmbedding, ALPHA_FLOOR } from "./autodim.js";

// ─────────────────────────── 4–5. search, derive ───────────────────────────

/** k_m = argmax_n α_m^n (ties: the smaller size). */
export function derivePlanDims(alpha: number[][], candidates: number[]): number[] {
  return alpha.map((row) => candidates[argmaxIndex(row)]);
}

/** What a search checkpoint keeps besides the network (`trace` absent in older checkpoints). */
interface SavedSearch {
  alphaHistory: { step: number; alpha: number[][] }[];
  trace?: SearchTraceState;
}

/** Runs warm-up and the bi-level search, then derives the plan. */
export async function search(
  data: PreparedData,
  config: SearchConfig,
  opts: {
    progress?: boolean;
    saveWeights?: string;
    checkpoint?: CheckpointSettings;
    allowDivergence?: boolean;
    /**
     * Called after every α step with its search step, the gradient in log α the optimiser applied
     * ([F·N], row-major) and α after it (normalised, [F][N]): what the diagnostics see, for
     * experiments that need more of it than the plan keeps (src/experiments/why-search.ts). Not
     * checkpointed: an observer of a resumed search sees the steps after the resume only.
     */
    observeArchitectureStep?: (step: number, gradient: Float32Array, alpha: number[][]) => void;
  } = {},
): Promise<DimensionPlan> {
  const started = Date.now();
  assertEvaluableSplits(data.manifest, data.dir);
  const engine = await startEngine();
  const F = data.fieldCount;
  const gumbel = randomStream(config.seed, "gumbel");
  const stepsPerEpoch = Math.ceil(data.rows("train") / config.batchSize);
  const totalSteps = config.warmupSteps + config.epochs * stepsPerEpoch;
  const tau = TemperatureSchedule.of(config, config.epochs * stepsPerEpoch);
  const embedding = new AutoDimSearchEmbedding(
    F,
    data.totalFeatures,
    config,
    tau,
    randomStream(config.seed, "init", "embedding"),
    gumbel,
  );
  const model = new CtrModel(
    config.model,
    F,
    embedding.outputDim,
    data.totalFeatures,
    randomStream(config.seed, "init", "model"),
    PAPER_MLP,
  );
  const network = new Network(embedding, model, F, {
    adam: { ...DEFAULT_ADAM, learningRate: config.learningRate },
    architectureAdam: { ...DEFAULT_ADAM, learningRate: config.architectureLearningRate },
    architectureOptimizer: config.architectureOptimizer,
  });
  const progress =
    opts.progress === false
      ? undefined
      : new Progress(`search (${config.oneLevel ? "autodim-s" : "autodim"}, ${config.model})`, totalSteps, "steps");
  const snapshotEvery = Math.max(1, Math.floor((totalSteps - config.warmupSteps) / Math.max(1, config.alphaSnapshots)));
  const alphaHistory: { step: number; alpha: number[][] }[] = [];

  try {
    const parts = config.batchParts ?? 1;
    const partThreads = await stepStrategy().startParts(network, {
      parts,
      batchSize: config.batchSize,
      samples: totalSteps * config.batchSize,
    });
    alphaHistory.push({ step: 0, alpha: embedding.alphaValues() });
    const trace = new SearchTrace(F, config.candidates.length, alphaHistory[0].alpha);
    // What to do with undecided fields changes nothing in the search, so not its checkpoints' identity.
    const { undecided: _policy, ...searched } = config;
    const { steps: t, architectureSteps } = await runBiLevel(network, embedding, data, config, progress, {
      afterStep: (step) => {
        if (step % snapshotEvery === 0) alphaHistory.push({ step, alpha: embedding.alphaValues() });
      },
      afterArchitectureStep: (step, [gradient]) => {
        const alpha = embedding.alphaValues();
        trace.observe(step, gradient, alpha);
        opts.observeArchitectureStep?.(step, gradient, alpha);
      },
      streams: { gumbel },
      checkpoint: opts.checkpoint,
      allowDivergence: opts.allowDivergence,
      identity: { job: "autodim-search", config: searched, data: dataIdentity(data) },
      saveExtra: () => ({ alphaHistory, trace: trace.save() }),
      restoreExtra: (saved) => {
        // A checkpoint from before the diagnostics holds the α history alone: the trace starts here.
        const s = Array.isArray(saved) ? { alphaHistory: saved as typeof alphaHistory } : (saved as SavedSearch);
        alphaHistory.splice(0, alphaHistory.length, ...s.alphaHistory);
        if (s.trace) trace.restore(s.trace);
      },
      progressNote: (step) => `τ ${tau.at(step).toFixed(3)}`,
    });
    if (alphaHistory[alphaHistory.length - 1].step !== t)
      alphaHistory.push({ step: t, alpha: embedding.alphaValues() });
    const supernetValidation = evaluate(network, data, "val", config.batchSize);
    progress?.finish(totalSteps, `supernet val AUC ${supernetValidation.auc.toFixed(4)}`);

    const alpha = embedding.alphaValues();
    const m = data.manifest;
    const names = m.fields.map((f) => f.name);
    const diagnostics = searchDiagnostics(trace, names, config.candidates, alpha, t);
    const policy = config.undecided ?? "keep";
    const dims = applyUndecidedPolicy(derivePlanDims(alpha, config.candidates), diagnostics, config.candidates, policy);
    const report = describeDiagnostics(
      diagnostics,
      names.map((name, i) => ({ name, dim: dims[i] })),
      policy,
    );
    // The summary unless the caller turned progress off; the warnings always.
    if (opts.progress !== false) for (const line of report.lines) process.stderr.write(line + "\n");
    for (const line of report.warnings) process.stderr.write(line + "\n");
    let weights: { file: string; sha256: string } | undefined;
    if (opts.saveWeights) {
      const sha256 = saveWeights(opts.saveWeights, [...embedding.exportWeights(), ...model.exportWeights()], {
        vocabSha256: data.manifest.vocab.sha256,
      });
      weights = { file: resolve(opts.saveWeights), sha256 };
    }
    const D = embedding.outputDim;
    const planParams = planParameterCount(dims, m);
    const full = m.totalFeatures * D;
    return {
      kind: "autodim-plan",
      version: 1,
      method: config.oneLevel ? "autodim-s" : "autodim",
      candidates: config.candidates,
      fields: m.fields.map((f, i) => ({
        name: f.name,
        vocabularySize: f.vocabularySize,
        dim: dims[i],
        alpha: alpha[i],
      })),
      totals: {
        embeddingParams: planParams,
        embeddingBytes: 4 * planParams,
        fullDimensionParams: full,
        fullDimensionBytes: 4 * full,
        reduction: 1 - planParams / full,
      },
      search: {
        weights,
        steps: t,
        architectureSteps,
        finalTemperature: tau.at(t),
        ...(config.tauSchedule === "fit" ? { tauDecay: tau.decay } : {}),
        deadCandidates: alpha.flat().filter((a) => a <= ALPHA_FLOOR).length,
        supernetValidation,
        parameterCounts: embedding.parameterCounts(),
        alphaHistory,
        diagnostics,
      },
      config,
      data: dataIdentity(data),
      runtime: {
        backend: engine.label + partsLabel(parts, partThreads),
        hardware: hardwareInfo(),
        createdAt: new Date().toISOString(),
        wallSeconds: (Date.now() - started) / 1000,
        code: codeVersion(),
      },
    };
  } finally {
    network.dispose();
  }
}
