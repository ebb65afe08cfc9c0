// An embedding module plus a base model, and the three things done with them: a training
// step on W, a step on the architecture weights α, and prediction. Sparse tables get lazy
// Adam in JS; dense weights and α get tf.train.adam.
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/batches.js";
import type { EmbeddingModule } from "../models/embedding.js";
import {
  DEFAULT_ADAM,
  disposeTouched,
  RowGradientAdder,
  TouchCollector,
  type AdamConfig,
  type SparseParam,
  type TouchedRows,
} from "../tables/sparse.js";
import type { CtrModel } from "../models/ctr.js";
import type { StepContext } from "../models/layers.js";
import { AutodimError } from "../errors.js";
import type { NamedArray } from "../tables/weights.js";
import { randomStream } from "../runtime/random.js";
import { filledTensor, readInto } from "../runtime/tensor-memory.js";
import { SharedArrays } from "../runtime/shared-arrays.js";
import { oneCorePerThread } from "../runtime/backend.js";
import type { GradientSet, Replica, ReplicaAdamJob, ReplicaAnswer, ReplicaJob, ReplicaNetworkSpec } from "./replica.js";

export interface NetworkOptions {
  adam?: AdamConfig;
  architectureAdam?: AdamConfig;
  /** Optimiser of α: Adam (default) or plain SGD at the same learning rate. */
  architectureOptimizer?: "adam" | "sgd";
  /**
   * L2 on the embedding rows a batch reads (absent: 0): λ · Σ over the batch's lookups of ‖e‖²,
   * divided by the batch's rows — each lookup's row is pulled toward 0 by 2λ·e/B per step. Lazy,
   * like the sparse Adam: rows the batch does not read are not decayed (a whole-table L2 would
   * make every step dense). The BARS protocol tunes it as "embedding_regularizer".
   */
  embeddingL2?: number;
}

/**
 * Rows each part of a data-parallel step takes at least: below this a batch is computed on the
 * main thread alone (a part's fixed cost — messages, weight copies, its own kernel launches —
 * would outweigh its share).
 */
export const MIN_ROWS_PER_PART = 64;

/**
 * The main thread's share of a split batch. The replica's half also carries the weights in and
 * its gradients out (~3 ms a step on the benchmark's workload, batch 2000), so the main thread
 * takes a little more and both halves end together (measured: bench/README.md).
 */
export const MAIN_THREAD_SHARE = 0.52;

/** A step's loss and gradients: the tables' per touched row, the dense weights' and α's by name. */
interface StepGradients {
  loss: number;
  sparse: { param: SparseParam; rows: Int32Array; grads: Float32Array }[];
  grads: tf.NamedTensorMap;
}

export interface NetworkStateMeta {
  steps: number;
  tableSteps: number[];
  optimizers: { key: "weights" | "architecture"; iterations: number; names: string[]; betaPowers?: number[] }[];
}

/** A tensor of `values` (copied straight into the backend's memory). */
function tensorOf(values: Float32Array, shape: number[]): tf.Tensor {
  return filledTensor(shape, "float32", (out) => out.set(values));
}

/** Adam's running β1^t, β2^t (private in tfjs; read for exact checkpoints). */
function adamBetaPowers(opt: tf.AdamOptimizer): tf.Variable[] {
  const o = opt as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
  return [o.accBeta1, o.accBeta2];
}

export class Network {
  readonly sparse: SparseParam[];
  readonly dense: tf.Variable[];
  private readonly collectors: TouchCollector[];
  private readonly optimizer: tf.AdamOptimizer;
  private readonly architectureOptimizer: tf.Optimizer;
  readonly adam: AdamConfig;
  private readonly architectureAdam: AdamConfig;
  private readonly embeddingL2: number;
  /** Training steps on W taken (drives τ). */
  steps = 0;
  /**
   * Sees every α gradient as the α optimiser applies it (one array per architecture variable):
   * every kind of α step — first or second order, one level, a batch in parts — passes here.
   */
  onArchitectureGradients: ((gradients: Float32Array[]) => void) | undefined;
  /** A replica on another thread that takes half of every training and α step (replica.ts). */
  private replica: Replica | undefined;

  constructor(
    readonly embedding: EmbeddingModule,
    readonly model: CtrModel,
    readonly fieldCount: number,
    opts: NetworkOptions = {},
  ) {
    this.sparse = [...embedding.sparse, ...model.sparse];
    this.dense = [...embedding.dense, ...model.dense];
    this.collectors = this.sparse.map((p) => new TouchCollector(p));
    this.adam = opts.adam ?? DEFAULT_ADAM;
    const a = this.adam;
    this.optimizer = tf.train.adam(a.learningRate, a.beta1, a.beta2, a.epsilon);
    const b = opts.architectureAdam ?? DEFAULT_ADAM;
    this.architectureAdam = b;
    this.embeddingL2 = opts.embeddingL2 ?? 0;
    if (!(Number.isFinite(this.embeddingL2) && this.embeddingL2 >= 0))
      throw new AutodimError(`embedding L2 must be a number ≥ 0, got ${this.embeddingL2}`);
    this.architectureOptimizer =
      opts.architectureOptimizer === "sgd"
        ? tf.train.sgd(b.learningRate)
        : tf.train.adam(b.learningRate, b.beta1, b.beta2, b.epsilon);
  }

  /** Non-trainable state of embedding and model (BatchNorm running averages). */
  get state(): tf.Variable[] {
    return [...this.embedding.state, ...this.model.state];
  }

  /**
   * Mean loss of a batch; `touched` must come from `touch()`. `share` scales the mean: a part of
   * a data-parallel step weighs its rows / the batch's.
   */
  private loss(batch: Batch, touched: TouchedRows[], ctx: StepContext, share = 1): tf.Scalar {
    const nEmb = this.embedding.sparse.length;
    const x = this.embedding.forward(touched.slice(0, nEmb), batch.size, ctx);
    const logits = this.model.forward(x, touched[nEmb], ctx);
    const labels = tf.tensor1d(batch.labels.subarray(0, batch.size));
    let mean = tf.losses.sigmoidCrossEntropy(labels, logits) as tf.Scalar;
    if (this.embeddingL2 > 0) mean = tf.add(mean, this.embeddingPenalty(touched.slice(0, nEmb), batch.size));
    return share === 1 ? mean : tf.mul(mean, share);
  }

  /** λ/B · Σ over the batch's lookups of ‖e‖² (see NetworkOptions.embeddingL2); a sum over rows, so parts add up. */
  private embeddingPenalty(tables: TouchedRows[], rows: number): tf.Scalar {
    const sums = tables.map((t) => tf.sum(tf.square(tf.gather(t.values, t.local))));
    return tf.mul(tf.addN(sums), this.embeddingL2 / rows) as tf.Scalar;
  }

  private touch(batch: Batch): TouchedRows[] {
    // Every table's rows first, then their values: the dedup reads no table, so in a split step
    // it overlaps the replica's Adam step on the tables (the first read waits for it).
    const indices = this.collectors.map((c) => c.collectIndices(batch.ids, batch.size, this.fieldCount));
    return this.collectors.map((c, i) => c.withValues(indices[i]));
  }

  /** How a replica on another thread builds this network; undefined when a part cannot be rebuilt. */
  replicaSpec(): ReplicaNetworkSpec | undefined {
    const embedding = this.embedding.replicaSpec?.();
    if (!embedding) return undefined;
    const a = this.architectureOptimizer;
    return {
      embedding,
      model: this.model.replicaSpec(),
      options: {
        adam: this.adam,
        architectureAdam: this.architectureAdam,
        architectureOptimizer: a instanceof tf.AdamOptimizer ? "adam" : "sgd",
        ...(this.embeddingL2 > 0 ? { embeddingL2: this.embeddingL2 } : {}),
      },
    };
  }

  /**
   * Parts each training and α step is computed in: 1, the whole batch; 2, two parts of
   * MAIN_THREAD_SHARE and the rest (batches of ≥ 2 × MIN_ROWS_PER_PART rows), each with its own
   * BatchNorm batch statistics and dropout stream, their gradients added in a fixed order. Part of
   * the run's arithmetic (its config's `batchParts`), not of its threads: the second part runs on
   * a replica thread when one is attached and here after the first when not, with the same bits.
   */
  batchParts: 1 | 2 = 1;

  /** Computes every following step's second part on `replica` (another thread) instead of here. */
  attachReplica(replica: Replica): void {
    this.detachReplica();
    this.replica = replica;
    oneCorePerThread(true);
  }

  /** Closes the replica (after its last Adam step); second parts are computed here again. */
  detachReplica(): void {
    const replica = this.replica;
    if (!replica) return;
    for (const p of this.sparse) p.table.settleWrites();
    this.replica = undefined;
    replica.close();
    oneCorePerThread(false);
  }

  /** Whether this batch is computed in two parts. */
  private splits(batch: Batch): boolean {
    return this.batchParts === 2 && batch.size >= 2 * MIN_ROWS_PER_PART;
  }

  /** Threads a step's parts run on: 2 with a replica, else 1. */
  get parallelParts(): number {
    return this.replica ? 2 : 1;
  }

  /** The loss, the tables' gradients (rows and values) and the dense and α gradients of a step here. */
  private localGradients(batch: Batch, ctx: StepContext, which: GradientSet, share = 1): StepGradients {
    const touched = this.touch(batch);
    try {
      const vars = [
        ...(which.weights ? [...touched.map((t) => t.values), ...this.dense] : []),
        ...(which.architecture ? this.embedding.architecture : []),
      ];
      const { value, grads } = tf.variableGrads(() => this.loss(batch, touched, ctx, share), vars);
      const loss = value.dataSync()[0];
      value.dispose();
      const sparse = which.weights
        ? touched.map((t, i) => {
            const g = grads[t.values.name];
            delete grads[t.values.name];
            const values = readInto(g, this.collectors[i].gradientBuffer(g.size));
            g.dispose();
            return { param: t.param, rows: t.rows, grads: values };
          })
        : [];
      return { loss, sparse, grads };
    } finally {
      disposeTouched(touched);
    }
  }

  /**
   * A step in two parts: the batch's first MAIN_THREAD_SHARE here, the rest on the replica (or
   * here afterwards, from the same job, when there is none). Each part's loss is its mean times
   * its share of the rows, so the batch's gradient is the parts' sum: dense and α gradients are
   * added here, first part's first; the tables' gradients are added row by row in their Adam step
   * (`tablesAdamOnReplica`, or here in `trainStep`). BatchNorm running statistics become the
   * parts' average by share. Both parts start from the same weights, statistics and per-step
   * embedding state (AutoDim's Gumbel draw): the job carries them.
   */
  private splitGradients(batch: Batch, ctx: StepContext, which: GradientSet): StepGradients {
    const replica = this.replica;
    const n = batch.size;
    const own = Math.round(n * MAIN_THREAD_SHARE);
    const shares = [own / n, (n - own) / n];
    const F = this.fieldCount;
    const out = this.exchange;
    const values = (key: string, vs: tf.Variable[]) => vs.map((v, i) => readInto(v, out.float(`${key}/${i}`, v.size)));
    const ids = out.int("ids", (n - own) * F);
    ids.set(batch.ids.subarray(own * F, n * F));
    const labels = out.float("labels", n - own);
    labels.set(batch.labels.subarray(own, n));
    const job: ReplicaJob = {
      kind: "gradients",
      which,
      size: n - own,
      share: shares[1],
      ids,
      labels,
      dense: replica ? values("dense", this.dense) : [],
      state: values("state", this.state),
      architecture: replica ? values("architecture", this.embedding.architecture) : [],
      embeddingStep: this.embedding.replicaStep?.(),
      training: ctx.training,
      step: ctx.step,
      dropoutSeed: ctx.dropout?.int(2 ** 31),
    };
    if (replica) replica.post(job);
    const part: Batch = { ids: batch.ids, labels: batch.labels, size: own };
    let local: StepGradients | undefined;
    let answer: ReplicaAnswer;
    let second: StepGradients["sparse"] = [];
    try {
      local = this.localGradients(part, ctx, which, shares[0]);
    } finally {
      // The replica answers its job even when this half failed: the next step starts in step.
      if (replica) answer = replica.wait();
    }
    const firstState = this.state.map((v, i) => readInto(v, this.ownParts.float(`state/${i}`, v.size)));
    if (!replica) {
      // The second part as the replica computes it: W and α are unchanged since the job was made.
      answer = this.partGradients(job, this.ownParts, false);
      second = this.replicaPart;
      this.replicaPart = [];
    }
    const loss = local.loss + answer!.loss;
    // The tables' Adam starts on the replica now, while the rest of the step goes on here (a
    // diverged step, which trainStep refuses, updates nothing).
    if (replica && which.weights && Number.isFinite(loss)) this.tablesAdamOnReplica(replica, local.sparse);
    const { grads } = local;
    const add = (v: tf.Variable, array: Float32Array) => {
      const sum = tf.tidy(() => tf.add(grads[v.name], tensorOf(array, v.shape)));
      grads[v.name].dispose();
      grads[v.name] = sum;
    };
    if (which.weights) this.dense.forEach((v, i) => add(v, answer!.dense[i]));
    if (which.architecture) this.embedding.architecture.forEach((v, i) => add(v, answer!.architecture[i]));
    if (ctx.training)
      this.state.forEach((v, i) =>
        tf.tidy(() =>
          v.assign(
            tf.add(
              tf.mul(tensorOf(firstState[i], v.shape), shares[0]),
              tf.mul(tensorOf(answer!.state[i], v.shape), shares[1]),
            ),
          ),
        ),
      );
    if (replica || !which.weights) return { loss, sparse: [], grads };
    // Here the tables' gradients are added as the replica adds them (first part's rows first).
    this.adders ??= this.sparse.map((p) => new RowGradientAdder(p.table));
    const sparse = local.sparse.map((s, i) => {
      const { rows, grads: g } = (this.adders as RowGradientAdder[])[i].add(
        s.rows,
        s.grads,
        second[i].rows,
        second[i].grads,
        s.param.table.dim,
      );
      return { param: s.param, rows, grads: g };
    });
    return { loss, sparse, grads };
  }

  /** Where a step's second part, computed on this thread, keeps its answer (the job is in `exchange`). */
  private readonly ownParts = new SharedArrays();

  /** Where the main thread writes a split step's job, and the replica its answer. */
  private readonly exchange = new SharedArrays();

  /** The replica's half of the last split step, kept for the tables' Adam step that follows it. */
  private replicaPart: StepGradients["sparse"] = [];
  private adders: RowGradientAdder[] | undefined;

  /** A replica's side of `splitGradients`: this network's gradients of the job's part. */
  replicaGradients(job: ReplicaJob): ReplicaAnswer {
    return this.partGradients(job, this.exchange, true);
  }

  /**
   * The gradients of a job's part, from the weights, statistics and embedding step it carries
   * (`takeWeights`: a replica's copies of W and α are refreshed; the main thread's are current);
   * its answer's arrays live in `out`; its tables' gradients wait in `replicaPart`.
   */
  private partGradients(job: ReplicaJob, out: SharedArrays, takeWeights: boolean): ReplicaAnswer {
    const take = (vs: tf.Variable[], arrays: Float32Array[]) =>
      vs.forEach((v, i) => tf.tidy(() => v.assign(tensorOf(arrays[i], v.shape))));
    if (takeWeights) {
      take(this.dense, job.dense);
      take(this.embedding.architecture, job.architecture);
    }
    take(this.state, job.state);
    this.embedding.applyReplicaStep?.(job.embeddingStep);
    const ctx: StepContext = {
      training: job.training,
      step: job.step,
      ...(job.dropoutSeed !== undefined ? { dropout: randomStream(job.dropoutSeed, "dropout") } : {}),
    };
    const batch: Batch = { ids: job.ids, labels: job.labels, size: job.size };
    const { loss, sparse, grads } = this.localGradients(batch, ctx, job.which, job.share);
    this.replicaPart = sparse;
    const read = (key: string) => (v: tf.Variable, i: number) =>
      readInto(grads[v.name], out.float(`${key}/${i}`, v.size));
    const answer: ReplicaAnswer = {
      loss,
      dense: job.which.weights ? this.dense.map(read("dense")) : [],
      architecture: job.which.architecture ? this.embedding.architecture.map(read("architecture")) : [],
      state: this.state.map((v, i) => readInto(v, out.float(`answer-state/${i}`, v.size))),
    };
    tf.dispose(grads);
    return answer;
  }

  /**
   * The tables' Adam step of a split step, on the replica while this thread updates the dense
   * weights (and the caller fetches the next batch): this half's rows go to it (moved) and its
   * gradients (shared memory); any access to a table here waits for the step to be done.
   */
  private tablesAdamOnReplica(replica: Replica, sparse: StepGradients["sparse"]): void {
    replica.post({
      kind: "adam",
      tables: sparse.map((s) => ({ rows: s.rows, grads: s.grads, step: ++s.param.table.step })),
    });
    let done = false;
    const settle = () => {
      if (!done) {
        done = true;
        replica.waitDone();
      }
    };
    for (const p of this.sparse) p.table.awaitWrites(settle);
  }

  /**
   * A replica's side of `tablesAdamOnReplica`: per table, the rows of both halves each once (the
   * main half's first), their gradients added (main half's + replica half's), one Adam step.
   */
  replicaAdam(job: ReplicaAdamJob): void {
    const mine = this.replicaPart;
    this.replicaPart = [];
    if (mine.length !== job.tables.length) throw new Error("replica: an Adam step without the gradients before it");
    job.tables.forEach((t, i) => {
      const { table } = this.sparse[i];
      this.adders ??= this.sparse.map((p) => new RowGradientAdder(p.table));
      const { rows, grads } = this.adders[i].add(t.rows, t.grads, mine[i].rows, mine[i].grads, table.dim);
      table.step = t.step - 1; // this thread's view of the table takes the owner's count
      table.applyAdam(rows, grads, this.adam);
    });
  }

  /** α's optimiser step with `gradients` (by name), shown to `onArchitectureGradients` first. */
  private applyArchitectureGradients(gradients: tf.NamedTensorMap): void {
    const arch = this.embedding.architecture;
    const named = arch.map((v) => ({ name: v.name, tensor: gradients[v.name] }));
    this.onArchitectureGradients?.(named.map((g) => Float32Array.from(g.tensor.dataSync())));
    this.architectureOptimizer.applyGradients(named);
  }

  /**
   * One Adam step of W (embedding rows, transforms, model) on a training batch.
   * With `withArchitecture` α is updated from the same batch (AutoDim-s, one level).
   */
  trainStep(batch: Batch, ctx: StepContext, withArchitecture = false): number {
    ctx.dropout?.anticipate(); // with a spare core, this step's dropout draws start on it now
    const which = { weights: true, architecture: withArchitecture };
    const { loss, sparse, grads } = this.splits(batch)
      ? this.splitGradients(batch, ctx, which)
      : this.localGradients(batch, ctx, which);
    try {
      this.guard(loss, "training");
      // (with a replica the tables are being updated there already: `sparse` is empty)
      for (const s of sparse) s.param.table.applyAdam(s.rows, s.grads, this.adam);
      // Arrays in a fixed order: tfjs's Adam keys its moments by position, not by name.
      this.optimizer.applyGradients(this.dense.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      if (withArchitecture) this.applyArchitectureGradients(grads);
      this.steps++;
      return loss;
    } finally {
      tf.dispose(grads);
    }
  }

  /** One Adam step of α alone on a (validation) batch; W stays as it is. */
  architectureStep(batch: Batch, ctx: StepContext): number {
    const arch = this.embedding.architecture;
    if (arch.length === 0) throw new Error("this embedding has no architecture weights");
    ctx.dropout?.anticipate();
    const which = { weights: false, architecture: true };
    const { loss, grads } = this.splits(batch)
      ? this.splitGradients(batch, ctx, which)
      : this.localGradients(batch, ctx, which);
    try {
      this.guard(loss, "architecture");
      this.applyArchitectureGradients(grads);
      return loss;
    } finally {
      tf.dispose(grads);
    }
  }

  /** The mean loss of a batch at the current weights (no update). */
  lossAt(batch: Batch, ctx: StepContext): number {
    const touched = this.touch(batch);
    try {
      const value = tf.tidy(() => this.loss(batch, touched, ctx));
      const loss = value.dataSync()[0];
      value.dispose();
      return loss;
    } finally {
      disposeTouched(touched);
    }
  }

  /**
   * Runs `fn` at DARTS' virtual weights w' = w − ξ·∇_w L(batch; w, α) (one plain gradient
   * step on W, optimiser state untouched), then restores w exactly — BatchNorm running
   * statistics included.
   */
  withVirtualStep<T>(batch: Batch, ctx: StepContext, xi: number, fn: () => T): T {
    const saved = this.snapshotDense();
    const touched = this.touch(batch);
    const rows = touched.map((t) => t.param.table.gather(t.rows, new Float32Array(t.rows.length * t.param.table.dim)));
    try {
      const { value, grads } = tf.variableGrads(
        () => this.loss(batch, touched, ctx),
        [...touched.map((t) => t.values), ...this.dense],
      );
      value.dispose();
      touched.forEach((t) => t.param.table.addScaled(t.rows, grads[t.values.name].dataSync() as Float32Array, -xi));
      for (const v of this.dense) tf.tidy(() => v.assign(tf.sub(v, tf.mul(grads[v.name], xi))));
      tf.dispose(grads);
      return fn();
    } finally {
      touched.forEach((t, i) => t.param.table.scatter(t.rows, rows[i]));
      disposeTouched(touched);
      this.restoreDense(saved);
    }
  }

  /**
   * DARTS' second-order architecture gradient (Liu et al., ICLR 2019, eq. 7–8):
   *   ∇_α L_val(w', α) − ξ · (∇_α L_train(w⁺, α) − ∇_α L_train(w⁻, α)) / 2ε,
   *   w' = w − ξ∇_w L_train(w, α), w± = w ± ε·∇_w' L_val(w', α), ε = 0.01 / ‖∇_w' L_val‖.
   * W is left exactly as it was. One array per architecture variable.
   */
  secondOrderArchitectureGradient(train: Batch, val: Batch, ctx: StepContext, xi: number): Float32Array[] {
    const arch = this.embedding.architecture;
    // At w': α's gradient and the direction dw on the validation batch.
    const atVirtual = this.withVirtualStep(train, ctx, xi, () => {
      const touched = this.touch(val);
      try {
        const { value, grads } = tf.variableGrads(
          () => this.loss(val, touched, ctx),
          [...arch, ...touched.map((t) => t.values), ...this.dense],
        );
        value.dispose();
        const out = {
          alpha: arch.map((v) => grads[v.name].dataSync().slice() as Float32Array),
          rows: touched.map((t) => ({
            table: t.param.table,
            rows: t.rows,
            grad: grads[t.values.name].dataSync().slice() as Float32Array,
          })),
          dense: this.dense.map((v) => grads[v.name].dataSync().slice() as Float32Array),
        };
        tf.dispose(grads);
        return out;
      } finally {
        disposeTouched(touched);
      }
    });
    let norm2 = 0;
    for (const g of [...atVirtual.rows.map((r) => r.grad), ...atVirtual.dense])
      for (let i = 0; i < g.length; i++) norm2 += g[i] * g[i];
    if (norm2 === 0) return atVirtual.alpha;
    const eps = 0.01 / Math.sqrt(norm2);
    const saved = this.snapshotDense();
    const rows = atVirtual.rows.map((r) => r.table.gather(r.rows, new Float32Array(r.grad.length)));
    const shift = (scale: number) => {
      atVirtual.rows.forEach((r) => r.table.addScaled(r.rows, r.grad, scale));
      this.dense.forEach((v, i) =>
        tf.tidy(() => v.assign(tf.add(v, tf.mul(tf.tensor(atVirtual.dense[i], v.shape), scale)))),
      );
    };
    const restore = () => {
      atVirtual.rows.forEach((r, i) => r.table.scatter(r.rows, rows[i]));
      this.restoreDense(saved, false);
    };
    const alphaGrad = (): Float32Array[] => {
      const touched = this.touch(train);
      try {
        const { value, grads } = tf.variableGrads(() => this.loss(train, touched, ctx), arch);
        value.dispose();
        const out = arch.map((v) => grads[v.name].dataSync().slice() as Float32Array);
        tf.dispose(grads);
        return out;
      } finally {
        disposeTouched(touched);
      }
    };
    try {
      shift(eps);
      const plus = alphaGrad();
      restore();
      shift(-eps);
      const minus = alphaGrad();
      return atVirtual.alpha.map((g, k) => g.map((x, i) => x - (xi * (plus[k][i] - minus[k][i])) / (2 * eps)));
    } finally {
      restore();
      tf.dispose([...saved.dense, ...saved.state]);
    }
  }

  /** α step with the second-order gradient (`--second-order`). */
  architectureStepSecondOrder(train: Batch, val: Batch, ctx: StepContext, xi: number): void {
    const arch = this.embedding.architecture;
    const g = this.secondOrderArchitectureGradient(train, val, ctx, xi);
    const tensors = arch.map((v, k) => ({ name: v.name, tensor: tf.tensor(g[k], v.shape) }));
    for (const { tensor } of tensors) {
      const sum = tensor.sum().dataSync()[0];
      if (!Number.isFinite(sum))
        throw new AutodimError(
          `non-finite second-order architecture gradient at step ${this.steps}: the run diverged; lower the learning rate`,
        );
    }
    this.applyArchitectureGradients(Object.fromEntries(tensors.map((t) => [t.name, t.tensor])));
    tf.dispose(tensors.map((t) => t.tensor));
  }

  private snapshotDense(): { dense: tf.Tensor[]; state: tf.Tensor[] } {
    return { dense: this.dense.map((v) => tf.clone(v)), state: this.state.map((v) => tf.clone(v)) };
  }

  private restoreDense(saved: { dense: tf.Tensor[]; state: tf.Tensor[] }, dispose = true): void {
    this.dense.forEach((v, i) => v.assign(saved.dense[i]));
    this.state.forEach((v, i) => v.assign(saved.state[i]));
    if (dispose) tf.dispose([...saved.dense, ...saved.state]);
  }

  /** Click probabilities of a batch (evaluation mode: running BatchNorm statistics, no noise). */
  predict(batch: Batch, out: Float32Array, at: number): void {
    const touched = this.touch(batch);
    try {
      const probs = tf.tidy(() => {
        const nEmb = this.embedding.sparse.length;
        const ctx: StepContext = { training: false, step: this.steps };
        const x = this.embedding.forward(touched.slice(0, nEmb), batch.size, ctx);
        return tf.sigmoid(this.model.forward(x, touched[nEmb], ctx));
      });
      out.set(probs.dataSync(), at);
      probs.dispose();
    } finally {
      disposeTouched(touched);
    }
  }

  /**
   * Everything a resumed run needs: tables with their Adam moments, dense weights,
   * BatchNorm statistics, architecture weights and both optimisers' state.
   */
  async exportState(): Promise<{ arrays: NamedArray[]; meta: NetworkStateMeta }> {
    const arrays: NamedArray[] = [];
    this.sparse.forEach((p, i) => {
      const s = p.table.state();
      arrays.push(
        { name: `table/${i}/data`, shape: [p.table.rows, p.table.dim], data: s.data },
        { name: `table/${i}/moments`, shape: [p.table.rows, 2 * p.table.dim], data: s.moments },
      );
    });
    const put = (prefix: string, vars: tf.Variable[]) =>
      vars.forEach((v, i) =>
        arrays.push({ name: `${prefix}/${i}`, shape: v.shape, data: Float32Array.from(v.dataSync()) }),
      );
    put("dense", this.dense);
    put("state", this.state);
    put("architecture", this.embedding.architecture);
    const optimizers: NetworkStateMeta["optimizers"] = [];
    for (const [key, opt] of [
      ["weights", this.optimizer],
      ["architecture", this.architectureOptimizer],
    ] as const) {
      const weights = await opt.getWeights();
      const iterations = (await weights[0].tensor.data())[0];
      const rest = weights.slice(1);
      rest.forEach((w, i) =>
        arrays.push({
          name: `optimizer/${key}/${i}`,
          shape: w.tensor.shape,
          data: Float32Array.from(w.tensor.dataSync()),
        }),
      );
      // tfjs recomputes Adam's β^t as pow() on setWeights, which can differ from its running
      // product in the last bit: keep the exact values so a resumed run matches bit for bit.
      const beta = opt instanceof tf.AdamOptimizer ? adamBetaPowers(opt).map((v) => v.dataSync()[0]) : undefined;
      optimizers.push({ key, iterations, names: rest.map((w) => w.name), betaPowers: beta });
    }
    return { arrays, meta: { steps: this.steps, tableSteps: this.sparse.map((p) => p.table.step), optimizers } };
  }

  /** Restores `exportState()` of a network built the same way; `file` names it in errors. */
  async importState(arrays: Map<string, NamedArray>, meta: NetworkStateMeta, file: string): Promise<void> {
    const need = (name: string, shape: number[]) => {
      const a = arrays.get(name);
      if (!a || a.shape.join("×") !== shape.join("×"))
        throw new AutodimError(
          `${file}: ${name} ${a ? `has shape ${a.shape.join("×")}` : "is missing"}, this run needs ${shape.join("×")} (a checkpoint of another configuration?)`,
        );
      return a.data;
    };
    this.sparse.forEach((p, i) => {
      p.table.restore({
        data: need(`table/${i}/data`, [p.table.rows, p.table.dim]),
        moments: need(`table/${i}/moments`, [p.table.rows, 2 * p.table.dim]),
        step: meta.tableSteps[i],
      });
    });
    const take = (prefix: string, vars: tf.Variable[]) =>
      vars.forEach((v, i) => v.assign(tf.tensor(need(`${prefix}/${i}`, v.shape), v.shape)));
    take("dense", this.dense);
    take("state", this.state);
    take("architecture", this.embedding.architecture);
    for (const o of meta.optimizers) {
      const opt = o.key === "weights" ? this.optimizer : this.architectureOptimizer;
      const weights: { name: string; tensor: tf.Tensor }[] = [
        { name: "iter", tensor: tf.scalar(o.iterations, "int32") },
      ];
      o.names.forEach((name, i) => {
        const a = arrays.get(`optimizer/${o.key}/${i}`);
        if (!a) throw new AutodimError(`${file}: optimizer/${o.key}/${i} is missing`);
        weights.push({ name, tensor: tf.tensor(a.data, a.shape) });
      });
      await opt.setWeights(weights);
      tf.dispose(weights.map((w) => w.tensor));
      if (o.betaPowers && opt instanceof tf.AdamOptimizer)
        adamBetaPowers(opt).forEach((v, i) => v.assign(tf.scalar((o.betaPowers as number[])[i])));
    }
    this.steps = meta.steps;
  }

  private guard(loss: number, what: string): void {
    if (!Number.isFinite(loss)) {
      throw new AutodimError(
        `non-finite ${what} loss (${loss}) at step ${this.steps}: the run diverged; lower the learning rate`,
      );
    }
  }

  dispose(): void {
    this.detachReplica();
    this.optimizer.dispose();
    this.architectureOptimizer.dispose();
    this.embedding.dispose();
    this.model.dispose();
  }
}
