// The base CTR models of the paper over any field embedding [B, F, D]:
//   FM      ŷ = b + Σ_m w[x_m] + ½ Σ_d ((Σ_m e_md)² − Σ_m e_md²)
//   W&D     ŷ = b + Σ_m w[x_m] + MLP(e_1 ‖ … ‖ e_F)          (wide = first-order)
//   DeepFM  ŷ = b + Σ_m w[x_m] + FM(e) + MLP(e_1 ‖ … ‖ e_F)
// MLP as in the paper: two hidden layers of 128 with BatchNorm, ReLU, dropout 0.2.
import * as tf from "@tensorflow/tfjs";
import type { RandomStream } from "../runtime/random.js";
import { SparseTable, type SparseParam, type TouchedRows } from "../embedding/sparse.js";
import { constantVariable, Mlp, type StepContext } from "./layers.js";
import { AutodimError } from "../errors.js";
import type { NamedArray } from "../train/weights.js";

export const MODEL_NAMES = ["fm", "wd", "deepfm"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ModelConfig {
  hidden: number[];
  dropout: number;
}
export const PAPER_MLP: ModelConfig = { hidden: [128, 128], dropout: 0.2 };

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

  constructor(
    readonly name: ModelName,
    readonly fieldCount: number,
    readonly embeddingDim: number,
    totalFeatures: number,
    rng: RandomStream,
    config: ModelConfig = PAPER_MLP,
  ) {
    this.firstOrder = {
      table: new SparseTable("first_order", totalFeatures, 1).initConstant(0),
      fields: Int32Array.from({ length: fieldCount }, (_, i) => i),
    };
    this.bias = constantVariable([], 0, "model/bias");
    if (name !== "fm") this.mlp = new Mlp(fieldCount * embeddingDim, config.hidden, config.dropout, rng, `${name}/mlp`);
  }

  get sparse(): SparseParam[] {
    return [this.firstOrder];
  }

  get dense(): tf.Variable[] {
    return [this.bias, ...(this.mlp?.variables ?? [])];
  }

  get state(): tf.Variable[] {
    return this.mlp?.state ?? [];
  }

  /** Logits [B] from field embeddings [B, F, D] and the batch's first-order rows. */
  forward(x: tf.Tensor3D, firstOrder: TouchedRows, ctx: StepContext): tf.Tensor1D {
    const [batch, fields, dim] = x.shape;
    const linear = tf.sum(tf.reshape(tf.gather(firstOrder.values, firstOrder.local), [batch, fields]), 1);
    let logit: tf.Tensor1D = tf.add(linear, this.bias);
    if (this.name !== "wd") logit = tf.add(logit, fmInteraction(x));
    if (this.mlp) logit = tf.add(logit, this.mlp.apply(tf.reshape(x, [batch, fields * dim]), ctx));
    return logit;
  }

  /** First-order weights, bias, MLP weights and BatchNorm statistics, by position. */
  exportWeights(): NamedArray[] {
    const t = this.firstOrder.table;
    return [
      { name: "model/first_order", shape: [t.rows, 1], data: t.data },
      ...this.dense.map((v, i) => ({ name: `model/dense/${i}`, shape: v.shape, data: v.dataSync() as Float32Array })),
      ...this.state.map((v, i) => ({ name: `model/state/${i}`, shape: v.shape, data: v.dataSync() as Float32Array })),
    ];
  }

  /** Loads `exportWeights()` of a model of the same kind on the same data. */
  importWeights(weights: Map<string, NamedArray>, file: string): void {
    const t = this.firstOrder.table;
    const get = (name: string, shape: number[]) => {
      const w = weights.get(name);
      if (!w || w.shape.join("×") !== shape.join("×")) throw new AutodimError(`${file}: ${name} ${w ? `has shape ${w.shape.join("×")}` : "is missing"}, the ${this.name} model needs ${shape.join("×")}`);
      return w.data;
    };
    t.data.set(get("model/first_order", [t.rows, 1]));
    this.dense.forEach((v, i) => v.assign(tf.tensor(get(`model/dense/${i}`, v.shape), v.shape)));
    this.state.forEach((v, i) => v.assign(tf.tensor(get(`model/state/${i}`, v.shape), v.shape)));
  }

  parameterCounts(): ModelParameterCounts {
    return { firstOrder: this.firstOrder.table.parameterCount, dense: 1 + (this.mlp?.parameterCount ?? 0) };
  }
}

/** ½ Σ_d ((Σ_m x_md)² − Σ_m x_md²): all pairwise inner products in O(F·D). [B, F, D] → [B]. */
export function fmInteraction(x: tf.Tensor3D): tf.Tensor1D {
  const sumSquared = tf.square(tf.sum(x, 1));
  const squaredSum = tf.sum(tf.square(x), 1);
  return tf.mul(tf.sum(tf.sub(sumSquared, squaredSum), 1), 0.5);
}
