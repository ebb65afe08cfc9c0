// Embedding tables that live in JS typed arrays and are updated row by row. A training
// step copies the rows its batch touches into a small tensor, differentiates through that
// tensor, and applies Adam to those rows only ("lazy" Adam, as TF's LazyAdamOptimizer):
// the cost of a step depends on the batch, never on the vocabulary.
import * as tf from "@tensorflow/tfjs";
import type { RandomStream } from "../runtime/random.js";

export interface AdamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** PyTorch's Adam defaults (the benchmark peer); the paper sets the learning rate to 1e-3. */
export const DEFAULT_ADAM: AdamConfig = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export class SparseTable {
  readonly data: Float32Array;
  /**
   * Adam's moments, interleaved per row as [m(dim), v(dim)]: a row's update touches two
   * places in memory instead of three, which matters when rows are far apart (10M rows).
   */
  private readonly moments: Float32Array;
  /** Adam steps taken (the t of the bias correction), shared by all rows. */
  step = 0;

  constructor(
    readonly name: string,
    readonly rows: number,
    readonly dim: number,
  ) {
    this.data = new Float32Array(rows * dim);
    // Written once here so the OS commits the pages now: otherwise every first touch of a
    // row during training is a page fault (+25% step time at 10M rows in the benchmark).
    this.moments = new Float32Array(rows * dim * 2).fill(0);
  }

  /** N(0, std²) init (torch's nn.Embedding default is std 1; CTR models use ~0.01). */
  initNormal(rng: RandomStream, std: number): this {
    for (let i = 0; i < this.data.length; i++) this.data[i] = std * rng.normal();
    return this;
  }

  initConstant(value: number): this {
    this.data.fill(value);
    return this;
  }

  /** Copies the given rows into `out` (row-major, `rows.length × dim`). */
  gather(rows: Int32Array, out: Float32Array): Float32Array {
    const d = this.dim;
    for (let i = 0; i < rows.length; i++) out.set(this.data.subarray(rows[i] * d, rows[i] * d + d), i * d);
    return out;
  }

  /** Writes `values` (row-major, `rows.length × dim`) into the given rows. */
  scatter(rows: Int32Array, values: Float32Array): void {
    const d = this.dim;
    for (let i = 0; i < rows.length; i++) this.data.set(values.subarray(i * d, i * d + d), rows[i] * d);
  }

  /** rows += scale · delta, without touching the optimiser state (DARTS' virtual steps). */
  addScaled(rows: Int32Array, delta: Float32Array, scale: number): void {
    const d = this.dim;
    const x = this.data;
    for (let i = 0; i < rows.length; i++) {
      const base = rows[i] * d;
      for (let j = 0; j < d; j++) x[base + j] += scale * delta[i * d + j];
    }
  }

  /**
   * One lazy-Adam step on the given rows with their gradients (`rows.length × dim`).
   * Rows not given keep their moments untouched; with every row given it is exactly Adam.
   */
  applyAdam(rows: Int32Array, grads: Float32Array, cfg: AdamConfig): void {
    this.step++;
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = cfg;
    // The form of tf.train.adam and torch.optim.Adam: x −= lr·m̂ / (√v̂ + ε), m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)
    const c1 = 1 / (1 - b1 ** this.step);
    const c2 = 1 / (1 - b2 ** this.step);
    const d = this.dim;
    const { data, moments } = this;
    for (let i = 0; i < rows.length; i++) {
      const base = rows[i] * d;
      const mBase = 2 * base;
      const vBase = mBase + d;
      const g0 = i * d;
      for (let j = 0; j < d; j++) {
        const g = grads[g0 + j];
        const mk = (moments[mBase + j] = b1 * moments[mBase + j] + (1 - b1) * g);
        const vk = (moments[vBase + j] = b2 * moments[vBase + j] + (1 - b2) * g * g);
        data[base + j] -= (lr * mk * c1) / (Math.sqrt(vk * c2) + eps);
      }
    }
  }

  /** Parameters held (the "Params" of the paper for embedding tables). */
  get parameterCount(): number {
    return this.rows * this.dim;
  }

  /** Everything needed to continue training: values and optimiser state. */
  state(): { data: Float32Array; moments: Float32Array; step: number } {
    return { data: this.data, moments: this.moments, step: this.step };
  }

  restore(s: { data: Float32Array; moments: Float32Array; step: number }): void {
    this.data.set(s.data);
    this.moments.set(s.moments);
    this.step = s.step;
  }
}

/**
 * A sparse table used by some fields: `rowOf` maps a global feature id to the table's row
 * (identity when absent, for tables over the whole id space).
 */
export interface SparseParam {
  table: SparseTable;
  /** Which fields' ids look this table up, in the order the module wants them. */
  fields: Int32Array;
  rowOf?: Int32Array;
}

/** The rows one batch touches in one table, as a differentiable tensor. */
export interface TouchedRows {
  param: SparseParam;
  /** Table rows touched, each once. */
  rows: Int32Array;
  /** [touched, dim]: the rows' current values; gradients are taken with respect to it. */
  values: tf.Variable;
  /** [batch × fields.length] int32: for each (row, field) the index into `values`. */
  local: tf.Tensor1D;
}

/**
 * Collects the rows a batch touches. `mark` is scratch of the table's size, kept between
 * calls so deduplication allocates nothing per step (a generation counter clears it).
 */
export class TouchCollector {
  private mark: Int32Array;
  private generation = 0;
  private rowsScratch = new Int32Array(0);
  private localScratch = new Int32Array(0);

  constructor(readonly param: SparseParam) {
    this.mark = new Int32Array(param.table.rows * 2).fill(0); // [generation, index] per row; filled to commit its pages now, as the table's moments
  }

  collect(ids: Int32Array, batchSize: number, fieldCount: number): TouchedRows {
    const { fields, rowOf, table } = this.param;
    const nf = fields.length;
    const n = batchSize * nf;
    if (this.localScratch.length < n) {
      this.localScratch = new Int32Array(n);
      this.rowsScratch = new Int32Array(n);
    }
    const gen = ++this.generation;
    const mark = this.mark;
    const local = this.localScratch;
    const rows = this.rowsScratch;
    let unique = 0;
    for (let b = 0; b < batchSize; b++) {
      const base = b * fieldCount;
      for (let j = 0; j < nf; j++) {
        const id = ids[base + fields[j]];
        const r = rowOf ? rowOf[id] : id;
        if (mark[2 * r] !== gen) {
          mark[2 * r] = gen;
          mark[2 * r + 1] = unique;
          rows[unique++] = r;
        }
        local[b * nf + j] = mark[2 * r + 1];
      }
    }
    const touched = rows.slice(0, unique);
    // Fresh arrays: the cpu backend keeps the array it is given instead of copying it.
    const initial = tf.tensor2d(table.gather(touched, new Float32Array(unique * table.dim)), [unique, table.dim]);
    const values = tf.variable(initial, true);
    initial.dispose();
    return { param: this.param, rows: touched, values, local: tf.tensor1d(local.slice(0, n), "int32") };
  }
}

export function disposeTouched(touched: TouchedRows[]): void {
  for (const t of touched) {
    t.values.dispose();
    t.local.dispose();
  }
}
