// Small layers with explicit variables and seeded initialisation (tfjs-layers' hidden
// global state and unseeded initialisers would break bitwise reproducibility).
import * as tf from "@tensorflow/tfjs";
import { filledTensor } from "../core/tensor-memory.js";
import type { RandomStream } from "../core/random.js";

/** What a forward pass needs to know about the step it is part of. */
export interface StepContext {
  training: boolean;
  /** Training steps taken so far (the t of the temperature schedule). */
  step: number;
  /** Draws dropout masks (training only). */
  dropout?: RandomStream;
}

let nextId = 0;
/** Unique variable names: tfjs keeps one global registry of them. */
export function variableName(prefix: string): string {
  return `${prefix}_${nextId++}`;
}

/** A variable initialised from U(−bound, bound), drawn from `rng`. */
export function uniformVariable(shape: number[], bound: number, rng: RandomStream, name: string): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = (2 * rng.next() - 1) * bound;
  return tensorVariable(tf.tensor(values, shape), name);
}

export function constantVariable(shape: number[], value: number, name: string, trainable = true): tf.Variable {
  return tensorVariable(tf.fill(shape, value), name, trainable);
}

function tensorVariable(t: tf.Tensor, name: string, trainable = true): tf.Variable {
  const v = tf.variable(t, trainable, variableName(name));
  t.dispose();
  return v;
}

/**
 * y = xW + b, initialised as torch.nn.Linear: U(−1/√in, 1/√in) for both, or with b = 0
 * (`zeroBias`) where one layer maps many fields: a random bias shared by fields points them
 * all the same way, and FM sums that alignment over every pair of fields.
 */
export class Dense {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    readonly inputs: number,
    readonly outputs: number,
    rng: RandomStream,
    name: string,
    zeroBias = false,
  ) {
    const bound = 1 / Math.sqrt(inputs);
    this.kernel = uniformVariable([inputs, outputs], bound, rng, `${name}/kernel`);
    this.bias = zeroBias
      ? constantVariable([outputs], 0, `${name}/bias`)
      : uniformVariable([outputs], bound, rng, `${name}/bias`);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.kernel), this.bias);
  }

  get variables(): tf.Variable[] {
    return [this.kernel, this.bias];
  }

  get parameterCount(): number {
    return this.inputs * this.outputs + this.outputs;
  }
}

/**
 * Batch normalisation over the batch axis of [B, C], as torch.nn.BatchNorm1d: batch
 * statistics in training (and running averages updated with momentum 0.1, unbiased
 * variance), running averages in evaluation; optional affine γ, β.
 */
export class BatchNorm {
  readonly gamma?: tf.Variable;
  readonly beta?: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(
    readonly channels: number,
    readonly affine: boolean,
    name: string,
    readonly epsilon = 1e-5,
    readonly momentum = 0.1,
  ) {
    if (affine) {
      this.gamma = constantVariable([channels], 1, `${name}/gamma`);
      this.beta = constantVariable([channels], 0, `${name}/beta`);
    }
    this.runningMean = constantVariable([channels], 0, `${name}/running_mean`, false);
    this.runningVar = constantVariable([channels], 1, `${name}/running_var`, false);
  }

  apply(x: tf.Tensor2D, ctx: StepContext): tf.Tensor2D {
    let y: tf.Tensor2D;
    if (ctx.training) {
      const n = x.shape[0];
      // Sums times 1/n rather than tf.mean: mean's gradient builds a JS array of ones.
      const mean = tf.mul(tf.sum(x, 0), 1 / n);
      const centered = tf.sub(x, mean);
      const variance = tf.mul(tf.sum(tf.square(centered), 0), 1 / n);
      y = tf.mul(centered, tf.rsqrt(tf.add(variance, this.epsilon)));
      const m = this.momentum;
      tf.tidy(() => {
        this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
        this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(variance, (m * n) / Math.max(n - 1, 1))));
      });
    } else {
      y = tf.mul(tf.sub(x, this.runningMean), tf.rsqrt(tf.add(this.runningVar, this.epsilon)));
    }
    if (this.gamma && this.beta) y = tf.add(tf.mul(y, this.gamma), this.beta);
    return y;
  }

  get variables(): tf.Variable[] {
    return this.gamma && this.beta ? [this.gamma, this.beta] : [];
  }

  get state(): tf.Variable[] {
    return [this.runningMean, this.runningVar];
  }

  get parameterCount(): number {
    return this.affine ? 2 * this.channels : 0;
  }
}

/** Inverted dropout with a mask drawn from the step's dropout stream. */
export function dropout(x: tf.Tensor2D, rate: number, ctx: StepContext): tf.Tensor2D {
  if (!ctx.training || rate === 0) return x;
  if (!ctx.dropout) throw new Error("dropout in training needs ctx.dropout");
  const stream = ctx.dropout;
  return tf.mul(
    x,
    filledTensor(x.shape, "float32", (mask) => stream.fillMask(mask, rate, 1 / (1 - rate))),
  );
}

/** Hidden layers Dense → BatchNorm → ReLU → Dropout, then Dense to one logit. */
export class Mlp {
  private readonly hidden: { dense: Dense; norm: BatchNorm }[];
  private readonly out: Dense;

  constructor(
    inputs: number,
    hiddenSizes: number[],
    readonly dropoutRate: number,
    rng: RandomStream,
    name: string,
  ) {
    let width = inputs;
    this.hidden = hiddenSizes.map((h, i) => {
      const layer = {
        dense: new Dense(width, h, rng, `${name}/dense${i}`),
        norm: new BatchNorm(h, true, `${name}/bn${i}`),
      };
      width = h;
      return layer;
    });
    this.out = new Dense(width, 1, rng, `${name}/out`);
  }

  /** [B, inputs] → [B] logits. */
  apply(x: tf.Tensor2D, ctx: StepContext): tf.Tensor1D {
    let h = x;
    for (const { dense, norm } of this.hidden)
      h = dropout(tf.relu(norm.apply(dense.apply(h), ctx)), this.dropoutRate, ctx);
    return tf.reshape(this.out.apply(h), [-1]) as tf.Tensor1D;
  }

  get variables(): tf.Variable[] {
    return [...this.hidden.flatMap((l) => [...l.dense.variables, ...l.norm.variables]), ...this.out.variables];
  }

  get state(): tf.Variable[] {
    return this.hidden.flatMap((l) => l.norm.state);
  }

  get parameterCount(): number {
    return (
      this.hidden.reduce((a, l) => a + l.dense.parameterCount + l.norm.parameterCount, 0) + this.out.parameterCount
    );
  }
}
