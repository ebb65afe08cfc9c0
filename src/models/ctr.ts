// The base CTR models of the paper over any field embedding [B, F, D]:
//   FM      ŷ = b + Σ_m w[x_m] + ½ Σ_d ((Σ_m e_md)² − Σ_m e_md²)
//   W&D     ŷ = b + Σ_m w[x_m] + MLP(e_1 ‖ … ‖ e_F)          (wide = first-order)
//   DeepFM  ŷ = b + Σ_m w[x_m] + FM(e) + MLP(e_1 ‖ … ‖ e_F)
// and those of its transferability study:
//   NFM     ŷ = b + Σ_m w[x_m] + MLP(½((Σ_m e_m)² − Σ_m e_m²))          (bi-interaction, He & Chua 2017)
//   IPNN    ŷ = b + Σ_m w[x_m] + MLP(e_1 ‖ … ‖ e_F ‖ (⟨e_i, e_j⟩)_{i<j}) (inner products, Qu et al. 2016)
//   AutoInt ŷ = b + Σ_m w[x_m] + w·flatten(3 × multi-head self-attention over fields) (Song et al. 2019)
// MLP as in the paper: two hidden layers of 128 with BatchNorm, ReLU, dropout 0.2. Every model
// keeps the first-order term (PNN and AutoInt's papers have none; FuxiCTR's `use_wide`): the
// models then differ only in how they use the embeddings, which is what a plan changes.
import * as tf from "@tensorflow/tfjs";
import type { RandomStream } from "../core/random.js";
import { SparseTable, type SparseParam, type TouchedRows } from "../tables/sparse.js";
import { constantVariable, Dense, Mlp, uniformVariable, type StepContext } from "./layers.js";
import { AutodimError } from "../core/errors.js";
import type { NamedArray } from "../tables/weights.js";
import type { ReplicaModuleSpec } from "./embedding.js";

export const MODEL_NAMES = ["fm", "wd", "deepfm", "nfm", "ipnn", "autoint"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
/** The models with an MLP, whose BatchNorm needs two or more rows per batch. */
export const BATCH_NORM_MODELS: readonly ModelName[] = ["wd", "deepfm", "nfm", "ipnn"];

export interface ModelConfig {
  hidden: number[];
  dropout: number;
}
export const PAPER_MLP: ModelConfig = { hidden: [128, 128], dropout: 0.2 };

/** AutoInt as in its paper: 3 interacting layers, 2 heads of 16 (AutoInt's d' = 32 split in heads), residual. */
export const AUTOINT_LAYERS = 3;
export const AUTOINT_HEADS = 2;
export const AUTOINT_HEAD_DIM = 16;

export interface ModelParameterCounts {
  /** First-order weights, one per feature (the wide/linear part). */
  firstOrder: number;
  /** Global bias and MLP weights. */
  dense: number;
}

export class CtrModel {
  readonly firstOrder: SparseParam;
  readonly bias: tf.Variable;
  readonly mlp?: Mlp;
  readonly attention?: SelfAttention[];
  /** AutoInt's output layer over the flattened attention output. */
  readonly head?: Dense;
  /** IPNN: flat [i·F + j] positions of the pairs i < j in the [F, F] inner-product matrix. */
  private readonly pairs?: tf.Tensor1D;

  constructor(
    readonly name: ModelName,
    readonly fieldCount: number,
    readonly embeddingDim: number,
    readonly totalFeatures: number,
    rng: RandomStream,
    readonly config: ModelConfig = PAPER_MLP,
  ) {
    this.firstOrder = {
      table: new SparseTable("first_order", totalFeatures, 1).initConstant(0),
      fields: Int32Array.from({ length: fieldCount }, (_, i) => i),
    };
    this.bias = constantVariable([], 0, "model/bias");
    const F = fieldCount;
    const D = embeddingDim;
    const mlpInputs: Partial<Record<ModelName, number>> = {
      wd: F * D,
      deepfm: F * D,
      nfm: D,
      ipnn: F * D + (F * (F - 1)) / 2,
    };
    const inputs = mlpInputs[name];
    if (inputs !== undefined) this.mlp = new Mlp(inputs, config.hidden, config.dropout, rng, `${name}/mlp`);
    if (name === "ipnn") this.pairs = pairPositions(F);
    if (name === "autoint") {
      let width = D;
      this.attention = Array.from({ length: AUTOINT_LAYERS }, (_, l) => {
        const layer = new SelfAttention(width, AUTOINT_HEADS, AUTOINT_HEAD_DIM, rng, `autoint/layer${l}`);
        width = AUTOINT_HEADS * AUTOINT_HEAD_DIM;
        return layer;
      });
      this.head = new Dense(F * width, 1, rng, "autoint/out");
    }
  }

  get sparse(): SparseParam[] {
    return [this.firstOrder];
  }

  /** How a data-parallel replica rebuilds this model (`ctrModelFromSpec`). */
  replicaSpec(): ReplicaModuleSpec {
    const { name, fieldCount, embeddingDim, totalFeatures, config } = this;
    return { kind: "ctr", name, fieldCount, embeddingDim, totalFeatures, config };
  }

  get dense(): tf.Variable[] {
    return [
      this.bias,
      ...(this.mlp?.variables ?? []),
      ...(this.attention ?? []).flatMap((a) => a.variables),
      ...(this.head?.variables ?? []),
    ];
  }

  get state(): tf.Variable[] {
    return this.mlp?.state ?? [];
  }

  /** Logits [B] from field embeddings [B, F, D] and the batch's first-order rows. */
  forward(x: tf.Tensor3D, firstOrder: TouchedRows, ctx: StepContext): tf.Tensor1D {
    const [batch, fields, dim] = x.shape;
    const linear = tf.sum(tf.reshape(tf.gather(firstOrder.values, firstOrder.local), [batch, fields]), 1);
    let logit: tf.Tensor1D = tf.add(linear, this.bias);
    const flat = () => tf.reshape(x, [batch, fields * dim]) as tf.Tensor2D;
    switch (this.name) {
      case "fm":
        return tf.add(logit, fmInteraction(x));
      case "deepfm":
        logit = tf.add(logit, fmInteraction(x));
        break;
      case "nfm":
        return tf.add(logit, this.requireMlp().apply(biInteraction(x), ctx));
      case "ipnn": {
        return tf.add(
          logit,
          this.requireMlp().apply(tf.concat([flat(), innerProducts(x, this.pairs as tf.Tensor1D)], 1), ctx),
        );
      }
      case "autoint": {
        let h: tf.Tensor3D = x;
        for (const layer of this.attention ?? []) h = layer.apply(h);
        const out = (this.head as Dense).apply(tf.reshape(h, [batch, -1]) as tf.Tensor2D);
        return tf.add(logit, tf.reshape(out, [batch]));
      }
    }
    return tf.add(logit, this.requireMlp().apply(flat(), ctx));
  }

  private requireMlp(): Mlp {
    if (!this.mlp) throw new AutodimError(`the ${this.name} model has no MLP`);
    return this.mlp;
  }

  /** First-order weights, bias, MLP weights and BatchNorm statistics, by position. */
  exportWeights(): NamedArray[] {
    const t = this.firstOrder.table;
    return [
      { name: "model/first_order", shape: [t.rows, 1], data: t.values() },
      ...this.dense.map((v, i) => ({ name: `model/dense/${i}`, shape: v.shape, data: v.dataSync() as Float32Array })),
      ...this.state.map((v, i) => ({ name: `model/state/${i}`, shape: v.shape, data: v.dataSync() as Float32Array })),
    ];
  }

  /** Loads `exportWeights()` of a model of the same kind on the same data. */
  importWeights(weights: Map<string, NamedArray>, file: string): void {
    const t = this.firstOrder.table;
    const get = (name: string, shape: number[]) => {
      const w = weights.get(name);
      if (!w || w.shape.join("×") !== shape.join("×"))
        throw new AutodimError(
          `${file}: ${name} ${w ? `has shape ${w.shape.join("×")}` : "is missing"}, the ${this.name} model needs ${shape.join("×")}`,
        );
      return w.data;
    };
    t.setValues(get("model/first_order", [t.rows, 1]));
    this.dense.forEach((v, i) => v.assign(tf.tensor(get(`model/dense/${i}`, v.shape), v.shape)));
    this.state.forEach((v, i) => v.assign(tf.tensor(get(`model/state/${i}`, v.shape), v.shape)));
  }

  /** Frees the model's tensors: weights, BatchNorm statistics and IPNN's pair positions. */
  dispose(): void {
    tf.dispose([...this.dense, ...this.state]);
    this.pairs?.dispose();
  }

  parameterCounts(): ModelParameterCounts {
    return { firstOrder: this.firstOrder.table.parameterCount, dense: this.dense.reduce((n, v) => n + v.size, 0) };
  }
}

/** ½ Σ_d ((Σ_m x_md)² − Σ_m x_md²): all pairwise inner products in O(F·D). [B, F, D] → [B]. */
export function fmInteraction(x: tf.Tensor3D): tf.Tensor1D {
  const sumSquared = tf.square(tf.sum(x, 1));
  const squaredSum = tf.sum(tf.square(x), 1);
  return tf.mul(tf.sum(tf.sub(sumSquared, squaredSum), 1), 0.5);
}

/** Flat positions i·F + j of the pairs i < j in an [F, F] matrix, in row order. */
export function pairPositions(fields: number): tf.Tensor1D {
  const flat: number[] = [];
  for (let i = 0; i < fields; i++) for (let j = i + 1; j < fields; j++) flat.push(i * fields + j);
  return tf.tensor1d(flat, "int32");
}

/** IPNN's product layer: ⟨x_i, x_j⟩ for i < j (one batched x·xᵀ, then the upper triangle). [B, F, D] → [B, F(F−1)/2]. */
export function innerProducts(x: tf.Tensor3D, pairs: tf.Tensor1D): tf.Tensor2D {
  const [batch, fields] = x.shape;
  return tf.gather(tf.reshape(tf.matMul(x, x, false, true), [batch, fields * fields]), pairs, 1) as tf.Tensor2D;
}

/** NFM's bi-interaction pooling ½((Σ_m x_m)² − Σ_m x_m²): [B, F, D] → [B, D]. */
export function biInteraction(x: tf.Tensor3D): tf.Tensor2D {
  return tf.mul(tf.sub(tf.square(tf.sum(x, 1)), tf.sum(tf.square(x), 1)), 0.5);
}

/**
 * One AutoInt interacting layer: per head h, softmax_k(⟨W_Q^h x_m, W_K^h x_k⟩) weights W_V^h x_k
 * (no scaling, as the paper), heads concatenated, plus a residual W_R x_m, then ReLU.
 * [B, F, in] → [B, F, heads · headDim].
 */
export class SelfAttention {
  readonly query: tf.Variable;
  readonly key: tf.Variable;
  readonly value: tf.Variable;
  readonly residual: tf.Variable;

  constructor(
    readonly inputs: number,
    readonly heads: number,
    readonly headDim: number,
    rng: RandomStream,
    name: string,
  ) {
    const bound = 1 / Math.sqrt(inputs);
    const shape = [inputs, heads * headDim];
    this.query = uniformVariable(shape, bound, rng, `${name}/query`);
    this.key = uniformVariable(shape, bound, rng, `${name}/key`);
    this.value = uniformVariable(shape, bound, rng, `${name}/value`);
    this.residual = uniformVariable(shape, bound, rng, `${name}/residual`);
  }

  apply(x: tf.Tensor3D): tf.Tensor3D {
    const [batch, fields] = x.shape;
    const H = this.heads;
    const d = this.headDim;
    const rows = tf.reshape(x, [batch * fields, this.inputs]) as tf.Tensor2D;
    // [B·F, H·d] → [B·H, F, d]: one batched matmul per head pair of all examples.
    const split = (w: tf.Variable) =>
      tf.reshape(tf.transpose(tf.reshape(tf.matMul(rows, w), [batch, fields, H, d]), [0, 2, 1, 3]), [
        batch * H,
        fields,
        d,
      ]) as tf.Tensor3D;
    const weights = tf.softmax(tf.matMul(split(this.query), split(this.key), false, true));
    const attended = tf.reshape(
      tf.transpose(tf.reshape(tf.matMul(weights, split(this.value)), [batch, H, fields, d]), [0, 2, 1, 3]),
      [batch * fields, H * d],
    );
    return tf.reshape(tf.relu(tf.add(attended, tf.matMul(rows, this.residual))), [batch, fields, H * d]) as tf.Tensor3D;
  }

  get variables(): tf.Variable[] {
    return [this.query, this.key, this.value, this.residual];
  }
}
