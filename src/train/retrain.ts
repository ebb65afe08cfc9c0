// The one training path of every method: AutoDim's re-train and every baseline train a model
// through `trainWithEmbedding` (same loop, early stopping, metrics, parameter accounting), so
// their numbers compare. `retrain` builds the plan's per-field tables (PlanEmbedding).
import { assertEvaluableSplits } from "../data/manifest.js";
import { createHash } from "node:crypto";
import type { PreparedData } from "../data/batches.js";
import { AutodimError } from "../core/errors.js";
import { CtrModel, PAPER_MLP } from "../models/ctr.js";
import type { EmbeddingModule } from "../models/embedding.js";
import { startEngine } from "../core/engine.js";
import { hardwareInfo } from "../core/hardware.js";
import { codeVersion } from "../core/version.js";
import { randomStream } from "../core/random.js";
import { DEFAULT_ADAM } from "../tables/sparse.js";
import { parseWeightsFile, readWeightsFile } from "../tables/weights.js";
import type { CheckpointSettings } from "./checkpoint.js";
import { fit } from "./fit.js";
import { Network } from "./network.js";
import { partsLabel, stepStrategy } from "./step-parts.js";
import { PlanEmbedding } from "./plan-embedding.js";
import type { DimensionPlan } from "./schemas.js";
import type { DataIdentity } from "./schema-parts.js";
import type { RetrainConfig, RetrainResult, SelectionRecord } from "./result-schema.js";

export type { RetrainConfig, RetrainResult, SelectionRecord };

export function dataIdentity(data: PreparedData): DataIdentity {
  const m = data.manifest;
  return {
    dir: data.dir,
    format: m.settings.format,
    sourceSha256: m.source.sha256,
    rows: m.rows,
    totalFeatures: m.totalFeatures,
  };
}

/**
 * Loads the plan's saved search weights into a fresh re-train network. Model weights are
 * taken only when the model is the one searched with (other models start fresh).
 */
function warmStartFromSearch(
  embedding: PlanEmbedding,
  model: CtrModel,
  data: PreparedData,
  plan: DimensionPlan | undefined,
): void {
  const w = plan?.search.weights;
  if (!plan || !w)
    throw new AutodimError("warm start needs a plan whose search saved its weights (search --save-weights FILE)");
  const bytes = readWeightsFile(w.file);
  if (createHash("sha256").update(bytes).digest("hex") !== w.sha256)
    throw new AutodimError(`${w.file}: changed since the search wrote it (sha256 differs from the plan's)`);
  if (plan.data.sourceSha256 !== data.manifest.source.sha256)
    throw new AutodimError(
      `${w.file}: searched on other data (source sha256 ${plan.data.sourceSha256.slice(0, 12)}…, this data ${data.manifest.source.sha256.slice(0, 12)}…)`,
    );
  const { arrays: weights, meta } = parseWeightsFile(bytes, w.file);
  // Same source, same shapes is not enough: another split seed or min count orders the ids
  // differently, and the rows would be loaded onto other values.
  if (meta.vocabSha256 === undefined)
    process.stderr.write(
      `warm start: ${w.file} predates vocabulary hashes, so it cannot be checked to index this data's ids the same way; search again to be sure\n`,
    );
  else if (meta.vocabSha256 !== data.manifest.vocab.sha256)
    throw new AutodimError(
      `${w.file}: its tables index another vocabulary (hash ${meta.vocabSha256.slice(0, 12)}…, --data ${data.dir} has ${data.manifest.vocab.sha256.slice(0, 12)}…: prepared with another --seed, --split or --min-count), so its rows would load onto other values; search on this data set to warm-start from it`,
    );
  embedding.warmStart(weights, plan.config, data.manifest, w.file);
  if (plan.config.model === model.name) model.importWeights(weights, w.file);
  // Across models only the embedding side carries over; say so rather than pass it silently.
  else
    process.stderr.write(
      `warm start: the plan was searched with ${plan.config.model}, this re-train is ${model.name}: the embedding tables and projections start from the search, the ${model.name} model's own weights start fresh\n`,
    );
}

/** Trains a fresh model with the given per-field sizes; evaluates on the test split. */
export async function retrain(
  data: PreparedData,
  config: RetrainConfig,
  extra: {
    method: string;
    plan?: DimensionPlan;
    selection?: SelectionRecord;
    progress?: boolean;
    checkpoint?: CheckpointSettings;
    allowDivergence?: boolean;
    onTestScores?: (scores: Float32Array) => void;
    /** Sees the trained network (best-epoch weights restored) before it is disposed. */
    afterTraining?: (network: Network) => void | Promise<void>;
    /** Loads trained weights before the first step (then epoch 0 is the loaded model's validation). */
    startFrom?: (embedding: PlanEmbedding, model: CtrModel) => void;
  },
): Promise<RetrainResult> {
  await startEngine();
  if (config.warmStart && extra.startFrom)
    throw new AutodimError("retrain: a warm start from the search and a start from trained weights at once");
  const embedding = new PlanEmbedding(
    data.fieldCount,
    config.dims,
    data.manifest,
    config.projection,
    config.outputDim,
    randomStream(config.seed, "init", "embedding"),
  );
  const { startFrom, ...rest } = extra;
  return trainWithEmbedding(data, embedding, config, {
    ...rest,
    beforeTraining: startFrom
      ? (model) => startFrom(embedding, model)
      : config.warmStart
        ? (model) => warmStartFromSearch(embedding, model, data, extra.plan)
        : undefined,
    startsTrained: startFrom !== undefined,
  });
}

/**
 * Trains any embedding module with the base model and evaluates on the test split: the one
 * training path of every method (AutoDim's re-train, the baselines), so their numbers are
 * comparable. `config.dims` are the per-field sizes reported in the result.
 */
export async function trainWithEmbedding(
  data: PreparedData,
  embedding: EmbeddingModule,
  config: RetrainConfig,
  extra: {
    method: string;
    plan?: DimensionPlan;
    selection?: SelectionRecord;
    progress?: boolean;
    beforeTraining?: (model: CtrModel) => void;
    /** The network starts trained (`beforeTraining` loads it): its validation before any step is epoch 0. */
    startsTrained?: boolean;
    /** Sees the trained network (best-epoch weights restored) before it is disposed. */
    afterTraining?: (network: Network) => void | Promise<void>;
    checkpoint?: CheckpointSettings;
    allowDivergence?: boolean;
    /** Receives the test-split probabilities of the final (best-epoch) model, in row order. */
    onTestScores?: (scores: Float32Array) => void;
  },
): Promise<RetrainResult> {
  const started = Date.now();
  assertEvaluableSplits(data.manifest, data.dir);
  const engine = await startEngine();
  const F = data.fieldCount;
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
    ...(config.embeddingL2 ? { embeddingL2: config.embeddingL2 } : {}),
  });
  try {
    extra.beforeTraining?.(model);
    const parts = config.batchParts ?? 1;
    const partThreads = await stepStrategy().startParts(network, {
      parts,
      batchSize: config.batchSize,
      samples: config.epochs * data.rows("train"),
    });
    const outcome = await fit(network, data, {
      epochs: config.epochs,
      patience: config.patience,
      batchSize: config.batchSize,
      shuffle: randomStream(config.seed, "shuffle"),
      dropout: randomStream(config.seed, "dropout"),
      label: `retrain (${extra.method}, ${config.model})`,
      progress: extra.progress,
      checkpoint: extra.checkpoint,
      allowDivergence: extra.allowDivergence,
      onTestScores: extra.onTestScores,
      startsTrained: extra.startsTrained,
      identity: { job: "retrain", method: extra.method, config, dims: config.dims, data: dataIdentity(data) },
    });
    await extra.afterTraining?.(network);
    const e = embedding.parameterCounts();
    const mc = model.parameterCounts();
    return {
      kind: "autodim-result",
      version: 1,
      method: extra.method,
      model: config.model,
      test: outcome.test,
      bestValidation: outcome.bestValidation,
      params: {
        ...e,
        firstOrder: mc.firstOrder,
        model: mc.dense,
        total: e.embedding + e.transform + mc.firstOrder + mc.dense,
        embeddingBytes: e.embeddingBytes ?? 4 * e.embedding,
      },
      dims: data.manifest.fields.map((f, i) => ({ name: f.name, dim: config.dims[i] })),
      history: outcome.history,
      config,
      plan: extra.plan,
      selection: extra.selection,
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
