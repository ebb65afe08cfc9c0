// An embedding module plus a base model, and the three things done with them: a training
// step on W, a step on the architecture weights α, and prediction. Sparse tables get lazy
// Adam in JS; dense weights and α get tf.train.adam.
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/batches.js";
import type { EmbeddingModule } from "../embedding/interface.js";
import { DEFAULT_ADAM, disposeTouched, TouchCollector, type AdamConfig, type SparseParam, type TouchedRows } from "../embedding/sparse.js";
import type { CtrModel } from "../models/ctr.js";
import type { StepContext } from "../models/layers.js";
import { AutodimError } from "../errors.js";

export interface NetworkOptions {
  adam?: AdamConfig;
  architectureAdam?: AdamConfig;
  /** Optimiser of α: Adam (default) or plain SGD at the same learning rate. */
  architectureOptimizer?: "adam" | "sgd";
}

export class Network {
  readonly sparse: SparseParam[];
  readonly dense: tf.Variable[];
  private readonly collectors: TouchCollector[];
  private readonly optimizer: tf.AdamOptimizer;
  private readonly architectureOptimizer: tf.Optimizer;
  readonly adam: AdamConfig;
  /** Training steps on W taken (drives τ). */
  steps = 0;

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
    this.architectureOptimizer = opts.architectureOptimizer === "sgd" ? tf.train.sgd(b.learningRate) : tf.train.adam(b.learningRate, b.beta1, b.beta2, b.epsilon);
  }

  /** Non-trainable state of embedding and model (BatchNorm running averages). */
  get state(): tf.Variable[] {
    return [...this.embedding.state, ...this.model.state];
  }

  /** Mean loss and logits of a batch; `touched` must come from `touch()`. */
  private loss(batch: Batch, touched: TouchedRows[], ctx: StepContext): tf.Scalar {
    const nEmb = this.embedding.sparse.length;
    const x = this.embedding.forward(touched.slice(0, nEmb), batch.size, ctx);
    const logits = this.model.forward(x, touched[nEmb], ctx);
    const labels = tf.tensor1d(batch.labels.subarray(0, batch.size));
    return tf.losses.sigmoidCrossEntropy(labels, logits) as tf.Scalar;
  }

  private touch(batch: Batch): TouchedRows[] {
    return this.collectors.map((c) => c.collect(batch.ids, batch.size, this.fieldCount));
  }

  /**
   * One Adam step of W (embedding rows, transforms, model) on a training batch.
   * With `withArchitecture` α is updated from the same batch (AutoDim-s, one level).
   */
  trainStep(batch: Batch, ctx: StepContext, withArchitecture = false): number {
    const touched = this.touch(batch);
    try {
      const arch = withArchitecture ? this.embedding.architecture : [];
      const vars = [...touched.map((t) => t.values), ...this.dense, ...arch];
      const { value, grads } = tf.variableGrads(() => this.loss(batch, touched, ctx), vars);
      const loss = value.dataSync()[0];
      value.dispose();
      this.guard(loss, "training");
      for (const t of touched) {
        const g = grads[t.values.name];
        t.param.table.applyAdam(t.rows, g.dataSync() as Float32Array, this.adam);
      }
      // Arrays in a fixed order: tfjs's Adam keys its moments by position, not by name.
      this.optimizer.applyGradients(this.dense.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      if (arch.length) this.architectureOptimizer.applyGradients(arch.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      tf.dispose(grads);
      this.steps++;
      return loss;
    } finally {
      disposeTouched(touched);
    }
  }

  /** One Adam step of α alone on a (validation) batch; W stays as it is. */
  architectureStep(batch: Batch, ctx: StepContext): number {
    const arch = this.embedding.architecture;
    if (arch.length === 0) throw new Error("this embedding has no architecture weights");
    const touched = this.touch(batch);
    try {
      const { value, grads } = tf.variableGrads(() => this.loss(batch, touched, ctx), arch);
      const loss = value.dataSync()[0];
      value.dispose();
      this.guard(loss, "architecture");
      this.architectureOptimizer.applyGradients(arch.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      tf.dispose(grads);
      return loss;
    } finally {
      disposeTouched(touched);
    }
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

  private guard(loss: number, what: string): void {
    if (!Number.isFinite(loss)) {
      throw new AutodimError(`non-finite ${what} loss (${loss}) at step ${this.steps}: the run diverged; lower the learning rate`);
    }
  }

  dispose(): void {
    this.optimizer.dispose();
    this.architectureOptimizer.dispose();
    this.embedding.dispose();
    tf.dispose([...this.model.dense, ...this.model.state]);
  }
}
