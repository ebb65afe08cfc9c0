// An embedding module plus a base model, and the three things done with them: a training
// step on W, a step on the architecture weights α, and prediction. Sparse tables get lazy
// Adam in JS; dense weights and α get tf.train.adam. A step in two parts is in split-step.ts,
// DARTS' second order in second-order.ts, the state a resumed run restores in network-state.ts.
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/batches.js";
import type { EmbeddingModule } from "../models/embedding.js";
import { DEFAULT_ADAM, disposeTouched, type AdamConfig, type SparseParam, type TouchedRows } from "../tables/sparse.js";
import { TouchCollector } from "../tables/touch.js";
import type { CtrModel } from "../models/ctr.js";
import type { StepContext } from "../models/layers.js";
import { AutodimError } from "../core/errors.js";
import type { NamedArray } from "../tables/weights.js";
import { readInto } from "../core/tensor-memory.js";
import type {
  GradientSet,
  PartWorker,
  ReplicaAdamJob,
  ReplicaAnswer,
  ReplicaJob,
  ReplicaNetworkSpec,
} from "./step-parts.js";
import { exportNetworkState, importNetworkState, type NetworkStateMeta, type StateHost } from "./network-state.js";
import { secondOrderArchitectureGradient, withVirtualStep, type VirtualStepHost } from "./second-order.js";
import { MIN_ROWS_PER_PART, SplitStep, type SplitHost, type StepGradients } from "./split-step.js";

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
  /** Steps in two parts: the exchange with a replica thread, or both parts here. */
  private readonly twoParts: SplitStep;
  /** This network as split-step.ts, second-order.ts and network-state.ts see it, private parts included. */
  private readonly inner: SplitHost & VirtualStepHost & StateHost;

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
    const self = this;
    this.inner = {
      sparse: this.sparse,
      dense: this.dense,
      get state() {
        return self.state;
      },
      get architecture() {
        return self.embedding.architecture;
      },
      embedding,
      fieldCount,
      adam: this.adam,
      optimizer: this.optimizer,
      architectureOptimizer: this.architectureOptimizer,
      get steps() {
        return self.steps;
      },
      touch: (batch) => this.touch(batch),
      loss: (batch, touched, ctx) => this.loss(batch, touched, ctx),
      localGradients: (batch, ctx, which, share) => this.localGradients(batch, ctx, which, share),
    };
    this.twoParts = new SplitStep(this.inner);
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
   * MAIN_THREAD_SHARE (split-step.ts) and the rest (batches of ≥ 2 × MIN_ROWS_PER_PART rows), each with its own
   * BatchNorm batch statistics and dropout stream, their gradients added in a fixed order. Part of
   * the run's arithmetic (its config's `batchParts`), not of its threads: the second part runs on
   * a replica thread when one is attached and here after the first when not, with the same bits.
   */
  batchParts: 1 | 2 = 1;

  /** Computes every following step's second part on `replica` (another thread) instead of here. */
  attachReplica(replica: PartWorker): void {
    this.twoParts.attach(replica);
  }

  /** Closes the replica (after its last Adam step); second parts are computed here again. */
  detachReplica(): void {
    this.twoParts.detach();
  }

  /** Whether this batch is computed in two parts. */
  private splits(batch: Batch): boolean {
    return this.batchParts === 2 && batch.size >= 2 * MIN_ROWS_PER_PART;
  }

  /** Threads a step's parts run on: 2 with a replica, else 1. */
  get parallelParts(): number {
    return this.twoParts.parallelParts;
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

  /** A replica's side of a step in two parts: this network's gradients of the job's part. */
  replicaGradients(job: ReplicaJob): ReplicaAnswer {
    return this.twoParts.replicaGradients(job);
  }

  /** A replica's side of the tables' Adam step of a step in two parts (split-step.ts). */
  replicaAdam(job: ReplicaAdamJob): void {
    this.twoParts.replicaAdam(job);
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
      ? this.twoParts.gradients(batch, ctx, which)
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
      ? this.twoParts.gradients(batch, ctx, which)
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
    return withVirtualStep(this.inner, batch, ctx, xi, fn);
  }

  /**
   * DARTS' second-order architecture gradient (Liu et al., ICLR 2019, eq. 7–8):
   *   ∇_α L_val(w', α) − ξ · (∇_α L_train(w⁺, α) − ∇_α L_train(w⁻, α)) / 2ε,
   *   w' = w − ξ∇_w L_train(w, α), w± = w ± ε·∇_w' L_val(w', α), ε = 0.01 / ‖∇_w' L_val‖.
   * W is left exactly as it was. One array per architecture variable.
   */
  secondOrderArchitectureGradient(train: Batch, val: Batch, ctx: StepContext, xi: number): Float32Array[] {
    return secondOrderArchitectureGradient(this.inner, train, val, ctx, xi);
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
    return exportNetworkState(this.inner);
  }

  /** Restores `exportState()` of a network built the same way; `file` names it in errors. */
  async importState(arrays: Map<string, NamedArray>, meta: NetworkStateMeta, file: string): Promise<void> {
    await importNetworkState(this.inner, arrays, meta, file);
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
