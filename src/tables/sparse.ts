// Embedding tables that live in JS typed arrays and are updated row by row. A training
// step copies the rows its batch touches into a small tensor, differentiates through that
// tensor, and applies Adam to those rows only ("lazy" Adam, as TF's LazyAdamOptimizer):
// the cost of a step depends on the batch, never on the vocabulary. Collecting those rows is
// in touch.ts.
import * as tf from "@tensorflow/tfjs";
import type { RandomStream } from "../core/random.js";
import { sparseKernels } from "./sparse-kernels.js";

export interface AdamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** PyTorch's Adam defaults (the benchmark peer); the paper sets the learning rate to 1e-3. */
export const DEFAULT_ADAM: AdamConfig = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/**
 * A zeroed array whose pages are committed now (so training never page-faults on a first
 * touch: +25% step time at 10M rows), on huge pages where the native addon can ask for them.
 */
function committed<T extends Float32Array | Int32Array>(array: T): T {
  sparseKernels()?.hugePages(array);
  return array.fill(0) as T;
}

/** Stores for the tables being built by `buildOnSharedStores`, in construction order. */
let adoptable: { stores: Float32Array[]; next: number } | undefined;

/**
 * Runs `build` with every SparseTable it constructs placed on the next of `stores` (another
 * thread's tables, from `SparseTable.shared()`), in construction order, left uninitialised: a
 * data-parallel replica reads the owner's rows and never writes them. Throws unless `build`
 * constructs exactly these tables with these sizes.
 */
export function buildOnSharedStores<T>(stores: Float32Array[], build: () => T): T {
  if (adoptable) throw new Error("buildOnSharedStores: already building");
  adoptable = { stores, next: 0 };
  try {
    const built = build();
    if (adoptable.next !== stores.length)
      throw new Error(`buildOnSharedStores: ${stores.length} stores given, ${adoptable.next} tables built`);
    return built;
  } finally {
    adoptable = undefined;
  }
}

export class SparseTable {
  /**
   * Each row's values and Adam moments side by side, [x(dim), m(dim), v(dim)]: a row's
   * update is one place in memory, not three. Rows far apart (10M-feature tables) each cost
   * a cache and TLB miss, so the number of places a step touches sets its cost.
   */
  private store: Float32Array;
  private readonly stride: number;
  /** True when the store belongs to another thread's table (its values are that table's). */
  private readonly adopted: boolean;
  /** Adam steps taken (the t of the bias correction), shared by all rows. */
  step = 0;
  /** Waits for writes another thread is making to the store (a replica's Adam step). */
  private pendingWrites: (() => void) | undefined;

  constructor(
    readonly name: string,
    readonly rows: number,
    readonly dim: number,
  ) {
    this.stride = 3 * dim;
    const source = adoptable;
    if (source) {
      const store = source.stores[source.next++];
      if (store === undefined || store.length !== rows * this.stride)
        throw new Error(
          `buildOnSharedStores: table ${name} (${rows} × ${dim}) does not fit store ${source.next - 1} (${store?.length ?? "none"} floats)`,
        );
      this.store = store;
      this.adopted = true;
    } else {
      this.store = committed(new Float32Array(rows * this.stride));
      this.adopted = false;
    }
  }

  /**
   * The store on shared memory (moved there on the first call, values and moments kept), for
   * a replica on another thread to read rows from while this table stays their only writer.
   */
  shared(): Float32Array {
    this.settleWrites();
    if (!(this.store.buffer instanceof SharedArrayBuffer)) {
      const moved = new Float32Array(new SharedArrayBuffer(this.store.byteLength));
      sparseKernels()?.hugePages(moved);
      moved.set(this.store);
      this.store = moved;
    }
    return this.store;
  }

  /**
   * Another thread is writing the store (a data-parallel replica's Adam step, started by
   * `Network.trainStep`): the next access of any kind first calls `settle`, which waits for it.
   */
  awaitWrites(settle: () => void): void {
    this.settleWrites();
    this.pendingWrites = settle;
  }

  /** Waits for writes announced by `awaitWrites`, if any. */
  settleWrites(): void {
    const wait = this.pendingWrites;
    if (wait) {
      this.pendingWrites = undefined;
      wait();
    }
  }

  /** N(0, std²) init (torch's nn.Embedding default is std 1; CTR models use ~0.01). */
  initNormal(rng: RandomStream, std: number): this {
    if (this.adopted) return this; // the owner's values
    const { store, stride, dim } = this;
    for (let base = 0; base < store.length; base += stride)
      for (let j = 0; j < dim; j++) store[base + j] = std * rng.normal();
    return this;
  }

  initConstant(value: number): this {
    if (this.adopted) return this;
    const { store, stride, dim } = this;
    for (let base = 0; base < store.length; base += stride) for (let j = 0; j < dim; j++) store[base + j] = value;
    return this;
  }

  /** Row `r`'s values: a view (writes go to the table). */
  row(r: number): Float32Array {
    this.settleWrites();
    const base = r * this.stride;
    return this.store.subarray(base, base + this.dim);
  }

  /** All values as a new row-major `rows × dim` array. */
  values(): Float32Array {
    this.settleWrites();
    const { store, stride, dim } = this;
    const out = new Float32Array(this.rows * dim);
    for (let r = 0; r < this.rows; r++) for (let j = 0; j < dim; j++) out[r * dim + j] = store[r * stride + j];
    return out;
  }

  /** Replaces all values from a row-major `rows × dim` array (moments untouched). */
  setValues(values: Float32Array): void {
    this.settleWrites();
    this.checkLength("setValues", values, this.dim);
    const { store, stride, dim } = this;
    for (let r = 0; r < this.rows; r++) for (let j = 0; j < dim; j++) store[r * stride + j] = values[r * dim + j];
  }

  /** Copies the given rows into `out` (row-major, `rows.length × dim`). */
  gather(rows: Int32Array, out: Float32Array): Float32Array {
    this.settleWrites();
    const { store, stride, dim } = this;
    const kernels = sparseKernels();
    if (kernels) {
      kernels.gather(store, stride, dim, rows, out);
      return out;
    }
    for (let i = 0; i < rows.length; i++) {
      const base = rows[i] * stride;
      const o = i * dim;
      for (let j = 0; j < dim; j++) out[o + j] = store[base + j];
    }
    return out;
  }

  /** Writes `values` (row-major, `rows.length × dim`) into the given rows. */
  scatter(rows: Int32Array, values: Float32Array): void {
    this.settleWrites();
    const { store, stride, dim } = this;
    for (let i = 0; i < rows.length; i++) {
      const base = rows[i] * stride;
      for (let j = 0; j < dim; j++) store[base + j] = values[i * dim + j];
    }
  }

  /** rows += scale · delta, without touching the optimiser state (DARTS' virtual steps). */
  addScaled(rows: Int32Array, delta: Float32Array, scale: number): void {
    this.settleWrites();
    const { store, stride, dim } = this;
    for (let i = 0; i < rows.length; i++) {
      const base = rows[i] * stride;
      for (let j = 0; j < dim; j++) store[base + j] += scale * delta[i * dim + j];
    }
  }

  /**
   * One lazy-Adam step on the given rows with their gradients (`rows.length × dim`).
   * Rows not given keep their moments untouched; with every row given it is exactly Adam.
   */
  applyAdam(rows: Int32Array, grads: Float32Array, cfg: AdamConfig): void {
    this.settleWrites();
    this.step++;
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = cfg;
    // The form of tf.train.adam and torch.optim.Adam: x −= lr·m̂ / (√v̂ + ε), m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)
    const c1 = 1 / (1 - b1 ** this.step);
    const c2 = 1 / (1 - b2 ** this.step);
    const { store, stride, dim: d } = this;
    const kernels = sparseKernels();
    if (kernels) {
      if (grads.length < rows.length * d)
        throw new Error(`${this.name}.applyAdam: ${grads.length} gradients for ${rows.length} rows × ${d}`);
      kernels.adam(store, stride, d, rows, grads, lr, b1, b2, eps, c1, c2);
      return;
    }
    for (let i = 0; i < rows.length; i++) {
      const base = rows[i] * stride;
      const mBase = base + d;
      const vBase = base + 2 * d;
      const g0 = i * d;
      for (let j = 0; j < d; j++) {
        const g = grads[g0 + j];
        const mk = (store[mBase + j] = b1 * store[mBase + j] + (1 - b1) * g);
        const vk = (store[vBase + j] = b2 * store[vBase + j] + (1 - b2) * g * g);
        store[base + j] -= (lr * mk * c1) / (Math.sqrt(vk * c2) + eps);
      }
    }
  }

  /** Parameters held (the "Params" of the paper for embedding tables). */
  get parameterCount(): number {
    return this.rows * this.dim;
  }

  /**
   * Everything needed to continue training: values (`rows × dim`), moments (`rows × 2·dim`,
   * each row [m, v]) and the step; new arrays, in the layout checkpoints keep.
   */
  state(): { data: Float32Array; moments: Float32Array; step: number } {
    this.settleWrites();
    const { store, stride, dim, rows } = this;
    const moments = new Float32Array(rows * 2 * dim);
    for (let r = 0; r < rows; r++) moments.set(store.subarray(r * stride + dim, r * stride + stride), r * 2 * dim);
    return { data: this.values(), moments, step: this.step };
  }

  restore(s: { data: Float32Array; moments: Float32Array; step: number }): void {
    this.settleWrites();
    this.setValues(s.data);
    this.checkLength("restore", s.moments, 2 * this.dim);
    const { store, stride, dim, rows } = this;
    for (let r = 0; r < rows; r++) store.set(s.moments.subarray(r * 2 * dim, (r + 1) * 2 * dim), r * stride + dim);
    this.step = s.step;
  }

  private checkLength(what: string, a: Float32Array, perRow: number): void {
    if (a.length !== this.rows * perRow)
      throw new Error(`${this.name}.${what}: ${a.length} values for ${this.rows} rows × ${perRow}`);
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

export function disposeTouched(touched: TouchedRows[]): void {
  for (const t of touched) {
    t.values.dispose();
    t.local.dispose();
  }
}
