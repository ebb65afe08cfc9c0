// AEmb — AutoEmb (Zhao, Liu, Guo, Tang, Zhang, Wang, Yin, Li: "AutoEmb: Automated Embedding
// Dimensionality Search in Streaming Recommendations", ICDM 2021; arXiv 2002.11252).
//
// Sizes per feature value, not per field: a small controller network reads the popularity
// of each value and gives soft weights over the candidate dimensions; the value's candidate
// embeddings (AutoDim's weight-sharing lookup and unification) are mixed with them. As in
// AutoDim, the embedding weights W learn on training batches and the controller on
// validation batches (bi-level, first-order DARTS, same loop). Then each value takes the
// argmax of its controller output and a fresh model is trained with per-value sizes.
//
// Choices (AutoEmb works on streaming user/item ids; the AutoDim paper only names it):
// - controller input: the value's popularity z = log(1 + count) / log(1 + max count), counts
//   from the training split (AutoEmb: the count in the current period). Field identity is NOT
//   an input — the method sizes values by popularity, which is what sets it apart;
// - controller: z → tanh(16) → N logits, last layer zero-initialised (uniform weights at
//   the start), Gumbel-softmax with AutoDim's τ schedule (AutoEmb uses a plain softmax;
//   the noise keeps the two searches comparable);
// - a value group = the values of one field with the same training count (the controller
//   cannot tell them apart); the result reports them in log2-count buckets;
// - re-train: one table per size over the values of that size, a projection per size to
//   d_N (linear or zero-padding as AutoDim's re-train), shared by all fields.
import * as tf from "@tensorflow/tfjs";
import type { PreparedData } from "../data/batches.js";
import type { Manifest } from "../data/manifest.js";
import { AutoDimSearchEmbedding, gumbelNoise } from "../embedding/autodim.js";
import { TemperatureSchedule } from "../embedding/temperature.js";
import { runBiLevel } from "../train/bilevel.js";
import { dataIdentity, trainWithEmbedding } from "../train/retrain.js";
import type { SearchEmbeddingConfig } from "../train/schemas.js";
import type { EmbeddingModule, EmbeddingParameterCounts } from "../models/embedding.js";
import { DEFAULT_ADAM, type SparseParam, type TouchedRows } from "../tables/sparse.js";
import { AutodimError } from "../core/errors.js";
import { CtrModel, PAPER_MLP } from "../models/ctr.js";
import { constantVariable, uniformVariable, type StepContext } from "../models/layers.js";
import { Progress } from "../core/progress.js";
import { randomStream, type RandomStream } from "../core/random.js";
import { evaluate } from "../train/fit.js";
import { Network } from "../train/network.js";
import type { Method } from "./types.js";
import { PerValueEmbedding } from "./aemb-per-value.js";
import { AEMB_CONTROLLER_HIDDEN } from "./defaults.js";

/** z = log(1 + count) / log(1 + max count) ∈ [0, 1] for every global id. */
export function popularity(counts: Uint32Array): Float32Array {
  let max = 0;
  for (const c of counts) if (c > max) max = c;
  const scale = max > 0 ? 1 / Math.log1p(max) : 0;
  return Float32Array.from(counts, (c) => Math.log1p(c) * scale);
}

/** The controller: popularity z [U, 1] → logits over the candidates [U, N]. */
export class PopularityController {
  readonly w1: tf.Variable;
  readonly b1: tf.Variable;
  readonly w2: tf.Variable;
  readonly b2: tf.Variable;

  constructor(
    readonly candidates: number,
    rng: RandomStream,
    readonly hidden = AEMB_CONTROLLER_HIDDEN,
  ) {
    // Hidden units spread over z ∈ [0, 1]: slopes U(−4, 4) and offsets U(−2, 2), so tanh bends
    // at different popularities. The last layer starts at zero: uniform weights at first.
    this.w1 = uniformVariable([1, hidden], 4, rng, "aemb/controller/w1");
    this.b1 = uniformVariable([hidden], 2, rng, "aemb/controller/b1");
    this.w2 = constantVariable([hidden, candidates], 0, "aemb/controller/w2");
    this.b2 = constantVariable([candidates], 0, "aemb/controller/b2");
  }

  get variables(): tf.Variable[] {
    return [this.w1, this.b1, this.w2, this.b2];
  }

  logits(z: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(z, this.w1), this.b1)), this.w2), this.b2);
  }

  /** argmax_n of the logits for each popularity (ties → the smaller candidate). */
  choose(z: Float32Array): Int32Array {
    const N = this.candidates;
    const logits = tf.tidy(() => this.logits(tf.tensor2d(z, [z.length, 1])).dataSync() as Float32Array);
    const out = new Int32Array(z.length);
    for (let i = 0; i < z.length; i++) {
      let best = 0;
      for (let n = 1; n < N; n++) if (logits[i * N + n] > logits[i * N + best]) best = n;
      out[i] = best;
    }
    return out;
  }

  parameterCount(): number {
    return 2 * this.hidden + this.hidden * this.candidates + this.candidates;
  }
}

/** The AEmb supernet: AutoDim's unified candidates, mixed per value by the controller. */
export class AutoEmbSearchEmbedding implements EmbeddingModule {
  readonly candidates: AutoDimSearchEmbedding;
  readonly controller: PopularityController;
  readonly outputDim: number;
  /** While set, every value mixes its candidates uniformly (the warm-up). */
  frozenUniform = false;

  constructor(
    readonly fieldCount: number,
    totalFeatures: number,
    /** Popularity z of every global id. */
    readonly z: Float32Array,
    readonly config: Omit<SearchEmbeddingConfig, "lookup">,
    /** τ at each step, as AutoDim's search resolves it. */
    readonly tau: TemperatureSchedule,
    initRng: RandomStream,
    private readonly gumbelRng: RandomStream,
  ) {
    if (z.length !== totalFeatures)
      throw new AutodimError(`popularity has ${z.length} entries, the data ${totalFeatures} features`);
    this.candidates = new AutoDimSearchEmbedding(
      fieldCount,
      totalFeatures,
      { ...config, lookup: "shared" },
      tau,
      initRng,
      gumbelRng,
    );
    this.controller = new PopularityController(config.candidates.length, initRng);
    this.outputDim = this.candidates.outputDim;
  }

  get sparse(): SparseParam[] {
    return this.candidates.sparse;
  }
  get dense(): tf.Variable[] {
    return this.candidates.dense;
  }
  get state(): tf.Variable[] {
    return this.candidates.state;
  }
  get architecture(): tf.Variable[] {
    return this.controller.variables;
  }

  /** Mixing weights p [B·F, N] of the batch's values. */
  selection(touched: TouchedRows, ctx: StepContext): tf.Tensor2D {
    const N = this.config.candidates.length;
    const n = touched.local.shape[0];
    if (this.frozenUniform) return tf.fill([n, N], 1 / N) as tf.Tensor2D;
    const rows = touched.rows;
    const z = new Float32Array(rows.length);
    for (let i = 0; i < rows.length; i++) z[i] = this.z[rows[i]];
    let logits = tf.gather(this.controller.logits(tf.tensor2d(z, [rows.length, 1])), touched.local) as tf.Tensor2D;
    if (ctx.training) logits = tf.add(logits, tf.tensor2d(gumbelNoise(this.gumbelRng, n * N), [n, N]));
    return tf.softmax(tf.div(logits, this.tau.at(ctx.step))) as tf.Tensor2D;
  }

  forward(touched: TouchedRows[], batch: number, ctx: StepContext): tf.Tensor3D {
    const unified = this.candidates.unifiedCandidates(touched, batch, ctx); // [B, F, N, D]
    const N = this.config.candidates.length;
    const p = tf.reshape(this.selection(touched[0], ctx), [batch, this.fieldCount, N, 1]);
    const mixed = tf.sum(tf.mul(unified, p), 2) as tf.Tensor3D;
    return this.config.mixScale === 1 ? mixed : tf.mul(mixed, this.config.mixScale);
  }

  parameterCounts(): EmbeddingParameterCounts {
    return { ...this.candidates.parameterCounts(), architecture: this.controller.parameterCount() };
  }

  dispose(): void {
    this.candidates.dispose();
    tf.dispose(this.controller.variables);
  }
}

export interface AutoEmbGroup {
  field: string;
  /** Values with training count in [2^k − 1, 2^(k+1) − 1): bucket k = ⌊log2(1 + count)⌋. */
  bucket: number;
  values: number;
  /** Values of each candidate size, in candidate order. */
  sizes: number[];
}

export interface AutoEmbOutcome {
  /** Candidate index of every global id. */
  sizeIndex: Uint8Array;
  /** Mean chosen size per field (weighted by values). */
  meanDims: number[];
  groups: AutoEmbGroup[];
  steps: number;
  architectureSteps: number;
  supernetValidationAuc: number;
  /** τ at the search's last step, and the decay per step it was annealed by. */
  finalTemperature: number;
  tauDecay: number;
}

/** Value groups by field and log2-count bucket, with the sizes chosen in each. */
export function groupSizes(
  sizeIndex: Uint8Array,
  counts: Uint32Array,
  manifest: Pick<Manifest, "fields">,
  candidates: number,
): AutoEmbGroup[] {
  const groups: AutoEmbGroup[] = [];
  for (const f of manifest.fields) {
    const byBucket = new Map<number, number[]>();
    for (let id = f.offset; id < f.offset + f.vocabularySize; id++) {
      const k = Math.floor(Math.log2(1 + counts[id]));
      let sizes = byBucket.get(k);
      if (!sizes) byBucket.set(k, (sizes = new Array<number>(candidates).fill(0)));
      sizes[sizeIndex[id]]++;
    }
    for (const [bucket, sizes] of [...byBucket].sort((a, b) => a[0] - b[0]))
      groups.push({ field: f.name, bucket, values: sizes.reduce((a, b) => a + b, 0), sizes });
  }
  return groups;
}

/** The bi-level controller search; deterministic under the seed. */
export async function autoEmbSearch(
  data: PreparedData,
  s: Parameters<Method["run"]>[1],
  opts: Parameters<Method["run"]>[2],
): Promise<AutoEmbOutcome> {
  const c = s.candidates;
  const F = data.fieldCount;
  const counts = data.counts();
  const z = popularity(counts);
  // τ as AutoDim resolves it: under the default "fit" schedule it reaches its floor at the
  // search's last step (the configured decay alone left AEmb's τ near 0.94).
  const searchSteps = s.search.epochs * Math.ceil(data.rows("train") / s.search.batchSize);
  const tau = TemperatureSchedule.of(s.search, searchSteps);
  // With the resolved decay, as its checkpoints' identity has always recorded it.
  const config = tau.applyTo({ ...s.search, candidates: c, oneLevel: false, model: s.model, seed: s.seed });
  const gumbel = randomStream(s.seed, "gumbel");
  const embedding = new AutoEmbSearchEmbedding(
    F,
    data.totalFeatures,
    z,
    config,
    tau,
    randomStream(s.seed, "init", "embedding"),
    gumbel,
  );
  const model = new CtrModel(
    s.model,
    F,
    embedding.outputDim,
    data.totalFeatures,
    randomStream(s.seed, "init", "model"),
    PAPER_MLP,
  );
  const network = new Network(embedding, model, F, {
    adam: { ...DEFAULT_ADAM, learningRate: config.learningRate },
    architectureAdam: { ...DEFAULT_ADAM, learningRate: config.architectureLearningRate },
    architectureOptimizer: config.architectureOptimizer,
  });
  const totalSteps = config.warmupSteps + config.epochs * Math.ceil(data.rows("train") / config.batchSize);
  const progress = opts.progress === false ? undefined : new Progress(`search (aemb, ${s.model})`, totalSteps, "steps");
  try {
    const outcome = await runBiLevel(network, embedding, data, config, progress, {
      streams: { gumbel },
      checkpoint: opts.checkpoint,
      allowDivergence: opts.allowDivergence,
      identity: { job: "aemb-search", config, data: dataIdentity(data) },
      progressNote: (step) => `τ ${tau.at(step).toFixed(3)}`,
    });
    const supernet = evaluate(network, data, "val", config.batchSize);
    progress?.finish(totalSteps, `supernet val AUC ${supernet.auc.toFixed(4)}`);
    const sizeIndex = Uint8Array.from(embedding.controller.choose(z));
    const meanDims = data.manifest.fields.map((f) => {
      let sum = 0;
      for (let id = f.offset; id < f.offset + f.vocabularySize; id++) sum += c[sizeIndex[id]];
      return Math.round((10 * sum) / f.vocabularySize) / 10;
    });
    return {
      sizeIndex,
      meanDims,
      groups: groupSizes(sizeIndex, counts, data.manifest, c.length),
      steps: outcome.steps,
      architectureSteps: outcome.architectureSteps,
      supernetValidationAuc: supernet.auc,
      finalTemperature: tau.at(outcome.steps),
      tauDecay: tau.decay,
    };
  } finally {
    network.dispose();
  }
}

export const aemb: Method = {
  name: "aemb",
  label: "AEmb",
  paperColumn: "aemb",
  source:
    "Zhao et al., AutoEmb: Automated Embedding Dimensionality Search in Streaming Recommendations, ICDM 2021 (arXiv 2002.11252)",
  async run(data, s, opts) {
    const started = Date.now();
    const outcome = await autoEmbSearch(data, s, opts);
    const D = s.candidates[s.candidates.length - 1];
    const projection = s.search.unify;
    const embedding = new PerValueEmbedding(
      data.fieldCount,
      outcome.sizeIndex,
      s.candidates,
      projection,
      D,
      randomStream(s.seed, "init", "embedding"),
    );
    const selection = {
      method: "aemb",
      seconds: (Date.now() - started) / 1000,
      dims: outcome.meanDims,
      detail: {
        controllerHidden: AEMB_CONTROLLER_HIDDEN,
        steps: outcome.steps,
        architectureSteps: outcome.architectureSteps,
        supernetValidationAuc: outcome.supernetValidationAuc,
        finalTemperature: outcome.finalTemperature,
        tauDecay: outcome.tauDecay,
        groups: outcome.groups,
      },
    };
    // `dims` of the result: the mean size of each field's values (sizes are per value).
    return trainWithEmbedding(
      data,
      embedding,
      { ...s.train, model: s.model, dims: outcome.meanDims, projection, outputDim: D, seed: s.seed },
      {
        method: "aemb",
        selection,
        progress: opts.progress,
        checkpoint: opts.checkpoint,
        allowDivergence: opts.allowDivergence,
        onTestScores: opts.onTestScores,
      },
    );
  },
};
