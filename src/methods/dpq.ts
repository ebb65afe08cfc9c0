// DPQ — differentiable product quantisation (Chen, Li, Sun: "Differentiable Product
// Quantization for End-to-End Embedding Compression", ICML 2020), and MGQE — multi-granular
// quantised embeddings (Kang, Cheng, Yao, Chen, Hong, Chi: "Learning Multi-granular Quantized
// Embeddings for Large-Vocab Categorical Features in Recommender Systems", WWW 2020 companion).
//
// Every feature value v has a query q_v ∈ R^d (a training-only table), cut into D groups of
// width w = d/D. Group j has K keys and K values (DPQ-SX: separate key and value codebooks).
// code_j(v) = argmax_k ⟨q_v^(j), key_j[k]⟩; the embedding is the concatenation of
// value_j[code_j(v)]. Training relaxes the argmax with softmax(⟨q, key⟩/τ) and passes the
// gradient straight through the one-hot (the paper's "SX" form); inference keeps only the
// codes and the value codebooks.
//
// MGQE: frequent values get more centroids. Values are split into tiers by training frequency;
// a value of tier t may only use the first K_t centroids (logits of the others are masked).
//
// Choices: one codebook set shared by all fields (one table over all features, like FDE's);
// τ = 1; queries and values init N(0, 0.01²), keys N(0, 1/w); D = 8, K = 64 (DEFAULT_DPQ).
// "Params" (the paper's accounting for DPQ): value codebooks D·K·w floats plus the codes,
// Σ_v D·⌈log2 K_v⌉ bits, converted to float32 equivalents at 32 bits per float.
import * as tf from "@tensorflow/tfjs";
import type { PreparedData } from "../data/batches.js";
import type { EmbeddingModule, EmbeddingParameterCounts } from "../models/embedding.js";
import { SparseTable, type SparseParam, type TouchedRows } from "../tables/sparse.js";
import { EMBEDDING_INIT_STD } from "../models/embedding.js";
import { trainWithEmbedding } from "../train/retrain.js";
import { variableName, type StepContext } from "../models/layers.js";
import { randomStream, type RandomStream } from "../core/random.js";
import { AutodimError } from "../core/errors.js";
import type { Method } from "./types.js";

export interface QuantizationConfig {
  /** Embedding width d (= d_max, what the model sees). */
  dim: number;
  /** Groups D (d must be a multiple). */
  groups: number;
  /** Centroids K per group (the largest tier's). */
  centroids: number;
  /**
   * MGQE tiers, most frequent first: the share of feature values (by training count) and
   * their centroids. Empty = DPQ (every value may use all K).
   */
  tiers: { share: number; centroids: number }[];
}

export const DEFAULT_DPQ: QuantizationConfig = { dim: 32, groups: 8, centroids: 64, tiers: [] };
/** MGQE: the top 10% of values use 64 centroids, the rest 16 (Choice: the paper's 2-tier setting, scaled). */
export const DEFAULT_MGQE: QuantizationConfig = {
  dim: 32,
  groups: 8,
  centroids: 64,
  tiers: [
    { share: 0.1, centroids: 64 },
    { share: 0.9, centroids: 16 },
  ],
};

/** Centroids each feature may use: tiers by training count (ties keep id order). */
export function centroidsPerFeature(counts: Uint32Array, config: QuantizationConfig): Int32Array {
  const n = counts.length;
  const out = new Int32Array(n).fill(config.centroids);
  if (config.tiers.length === 0) return out;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
  let at = 0;
  config.tiers.forEach((t, i) => {
    const end = i === config.tiers.length - 1 ? n : Math.min(n, at + Math.round(t.share * n));
    for (; at < end; at++) out[order[at]] = t.centroids;
  });
  return out;
}

/** The paper's "Params" of a quantised table: codebooks + code bits as float32 equivalents. */
export function quantizedParams(
  centroidsOf: Int32Array,
  config: QuantizationConfig,
): { codebook: number; codeBits: number; params: number } {
  const w = config.dim / config.groups;
  const codebook = config.groups * config.centroids * w;
  let codeBits = 0;
  for (const k of centroidsOf) codeBits += config.groups * Math.ceil(Math.log2(k));
  return { codebook, codeBits, params: codebook + codeBits / 32 };
}

export class ProductQuantizedEmbedding implements EmbeddingModule {
  readonly outputDim: number;
  readonly sparse: SparseParam[];
  readonly dense: tf.Variable[];
  readonly state: tf.Variable[] = [];
  readonly architecture: tf.Variable[] = [];
  readonly keys: tf.Variable; // [D, w, K]
  readonly values: tf.Variable; // [D, K, w]
  private readonly straightThrough: (p: tf.Tensor) => tf.Tensor;

  constructor(
    readonly fieldCount: number,
    readonly totalFeatures: number,
    readonly config: QuantizationConfig,
    /** Centroids each global feature id may use (MGQE tiers). */
    private readonly centroidsOf: Int32Array,
    rng: RandomStream,
  ) {
    const { dim, groups: D, centroids: K } = config;
    if (dim % D !== 0) throw new AutodimError(`quantisation: width ${dim} is not a multiple of ${D} groups`);
    if (centroidsOf.some((k) => k < 1 || k > K))
      throw new AutodimError(`quantisation: a tier's centroids must be in 1..${K}`);
    const w = dim / D;
    this.outputDim = dim;
    this.sparse = [
      {
        table: new SparseTable("dpq/query", totalFeatures, dim).initNormal(rng, EMBEDDING_INIT_STD),
        fields: Int32Array.from({ length: fieldCount }, (_, i) => i),
      },
    ];
    const normal = (shape: number[], std: number) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = rng.normal() * std;
      return v;
    };
    // Keys ~ N(0, 1/w) so ⟨q, key⟩ starts O(|q|); values ~ N(0, 0.01²) like embedding rows.
    this.keys = tf.variable(
      tf.tensor3d(normal([D, w, K], 1 / Math.sqrt(w)), [D, w, K]),
      true,
      variableName("dpq/keys"),
    );
    this.values = tf.variable(
      tf.tensor3d(normal([D, K, w], EMBEDDING_INIT_STD), [D, K, w]),
      true,
      variableName("dpq/values"),
    );
    this.dense = [this.keys, this.values];
    // Forward: the one-hot of the argmax; backward: the softmax's gradient (straight through).
    this.straightThrough = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const p = args[0] as tf.Tensor;
      return {
        value: tf.oneHot(tf.argMax(p, -1), p.shape[p.shape.length - 1]).toFloat(),
        gradFunc: (dy: tf.Tensor) => dy,
      };
    }) as (p: tf.Tensor) => tf.Tensor;
  }

  forward(touched: TouchedRows[], batch: number, _ctx: StepContext): tf.Tensor3D {
    const { dim, groups: D, centroids: K } = this.config;
    const w = dim / D;
    const n = batch * this.fieldCount;
    const q = tf.gather(touched[0].values, touched[0].local); // [n, d]
    const qg = tf.transpose(tf.reshape(q, [n, D, w]), [1, 0, 2]); // [D, n, w]
    let logits = tf.matMul(qg, this.keys) as tf.Tensor3D; // [D, n, K]
    if (this.config.tiers.length > 0) logits = tf.add(logits, this.tierMask(touched[0], n, K)) as tf.Tensor3D;
    const p = tf.softmax(logits);
    const code = this.straightThrough(p); // [D, n, K]
    const out = tf.matMul(code as tf.Tensor3D, this.values); // [D, n, w]
    return tf.reshape(tf.transpose(out, [1, 0, 2]), [batch, this.fieldCount, dim]) as tf.Tensor3D;
  }

  /** −1e9 on the centroids a value's tier may not use: [1, n, K]. */
  private tierMask(t: TouchedRows, n: number, K: number): tf.Tensor3D {
    const local = t.local.dataSync();
    const mask = new Float32Array(n * K);
    for (let i = 0; i < n; i++) {
      const allowed = this.centroidsOf[t.rows[local[i]]];
      mask.fill(-1e9, i * K + allowed, i * K + K);
    }
    return tf.tensor3d(mask, [1, n, K]);
  }

  parameterCounts(): EmbeddingParameterCounts {
    const q = quantizedParams(this.centroidsOf, this.config);
    const keys = this.keys.size;
    return {
      embedding: q.params,
      transform: 0,
      architecture: 0,
      embeddingBytes: 4 * q.codebook + Math.ceil(q.codeBits / 8),
      trainingOnly: this.totalFeatures * this.config.dim + keys,
    };
  }

  dispose(): void {
    tf.dispose(this.dense);
  }
}

function quantizationMethod(name: "dpq" | "mgqe", config: QuantizationConfig, source: string): Method {
  return {
    name,
    label: name.toUpperCase(),
    paperColumn: name,
    source,
    async run(data: PreparedData, s, opts) {
      const cfg = { ...config, dim: s.candidates[s.candidates.length - 1] };
      const centroidsOf = centroidsPerFeature(data.counts(), cfg);
      const embedding = new ProductQuantizedEmbedding(
        data.fieldCount,
        data.totalFeatures,
        cfg,
        centroidsOf,
        randomStream(s.seed, "init", "embedding"),
      );
      const dims = data.manifest.fields.map(() => cfg.dim);
      const q = quantizedParams(centroidsOf, cfg);
      const selection = {
        method: name,
        seconds: 0,
        dims,
        detail: { config: cfg, codebookFloats: q.codebook, codeBits: q.codeBits, params: q.params },
      };
      return trainWithEmbedding(
        data,
        embedding,
        { ...s.train, model: s.model, dims, projection: "none", outputDim: cfg.dim, seed: s.seed },
        {
          method: name,
          selection,
          progress: opts.progress,
          checkpoint: opts.checkpoint,
          allowDivergence: opts.allowDivergence,
          onTestScores: opts.onTestScores,
        },
      );
    },
  };
}

export const dpq = quantizationMethod(
  "dpq",
  DEFAULT_DPQ,
  "Chen et al., Differentiable Product Quantization, ICML 2020 (DPQ-SX)",
);
export const mgqe = quantizationMethod(
  "mgqe",
  DEFAULT_MGQE,
  "Kang et al., Multi-granular Quantized Embeddings, WWW 2020",
);
