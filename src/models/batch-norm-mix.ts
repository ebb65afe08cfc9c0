// AutoDim's training-time "BatchNorm over each (field, candidate), then the weighted sum over
// candidates" as one op, defined here as tfjs defines its ops: a kernel name, attributes, and a
// plain composition of tfjs ops that every backend runs. An engine may register a fused kernel
// under the name (src/accel/wasm-kernels.ts on wasm with the element-wise addon: the [B, F, N, D]
// tensor is read or written 6 times a step instead of ~20); the op then runs it, with its own
// gradient kernel. Both give the same values up to float rounding (test/models/batch-norm-mix.test.ts,
// test/embedding/torch-crosscheck.test.ts).
import * as tf from "@tensorflow/tfjs";

/** Kernel names an engine registers to fuse the op (forward; gradient in x and p). */
export const BATCH_NORM_MIX = "AutodimBatchNormMix";
export const BATCH_NORM_MIX_GRAD = "AutodimBatchNormMixGrad";

export interface BatchNormMixOptions {
  /** Real coordinates per candidate: d_N for all after a linear unification, d_n when zero-padded. */
  dims: number[];
  /** Multiplies the mixture (AutoDim's `mixScale`). */
  scale: number;
  epsilon: number;
}

export interface BatchNormMixResult {
  /** scale · Σ_n p[f, n] · BN(x)[b, f, n, :] — [B, F, D], differentiable in x and p. */
  out: tf.Tensor3D;
  /** The batch mean and biased variance per (field, candidate), [F, N], for the running statistics. */
  mean: tf.Tensor2D;
  variance: tf.Tensor2D;
}

/** True when the current backend has the fused kernel and AUTODIM_FUSED_MIX=0 does not turn it off. */
export function batchNormMixAvailable(): boolean {
  return process.env.AUTODIM_FUSED_MIX !== "0" && tf.getKernel(BATCH_NORM_MIX, tf.getBackend()) !== undefined;
}

/** BatchNorm with batch statistics: the normalised x and the statistics, each [1, F, N, 1]. */
export interface BatchStatistics {
  normalised: tf.Tensor4D;
  mean: tf.Tensor4D;
  variance: tf.Tensor4D;
  /** Values behind each statistic (B·d_n), [1, 1, N, 1]: the running variance is made unbiased with it. */
  counts: tf.Tensor4D;
}

/**
 * BatchNorm without affine over x [B, F, N, D], per (field, candidate) over the batch and the
 * candidate's `dims[n]` real coordinates (torch BatchNorm1d over [B, F, D]); coordinates past
 * `dims[n]` (zero-padding) are left out of the statistics and stay zero.
 */
export function batchNormWithBatchStatistics(x: tf.Tensor4D, dims: number[], epsilon: number): BatchStatistics {
  const [B, F, N, D] = x.shape;
  const padded = dims.some((d) => d !== D);
  const mask = padded ? coordinateMask(dims, D) : undefined;
  const counts = tf.tensor4d(
    dims.map((d) => B * d),
    [1, 1, N, 1],
  );
  // Σ over (batch, coordinate) as two reductions, the last axis first: a reduction over
  // axes [0, 3] transposes the whole [B, F, N, D] tensor first (9% of a search step).
  const sumBatchAndCoordinates = (t: tf.Tensor4D) => tf.reshape(tf.sum(tf.sum(t, 3), 0), [1, F, N, 1]);
  const mean = tf.div(sumBatchAndCoordinates(x), counts) as tf.Tensor4D;
  let centered = tf.sub(x, mean) as tf.Tensor4D;
  if (mask) centered = tf.mul(centered, mask);
  const variance = tf.div(sumBatchAndCoordinates(tf.square(centered) as tf.Tensor4D), counts) as tf.Tensor4D;
  const normalised = tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon))) as tf.Tensor4D;
  return { normalised, mean, variance, counts };
}

/** 1 on each candidate's first dims[n] coordinates, 0 on its padding: [1, 1, N, D]. */
export function coordinateMask(dims: number[], D: number): tf.Tensor4D {
  const values = new Float32Array(dims.length * D);
  dims.forEach((d, n) => values.fill(1, n * D, n * D + d));
  return tf.tensor4d(values, [1, 1, dims.length, D]);
}

/** scale · Σ_n p[f, n] · x[b, f, n, :] — the mixture of normalised candidates, [B, F, D]. */
export function mixCandidates(x: tf.Tensor4D, p: tf.Tensor2D, scale: number): tf.Tensor3D {
  const [F, N] = p.shape;
  const mixed = tf.sum(tf.mul(x, tf.reshape(p, [1, F, N, 1])), 2) as tf.Tensor3D;
  return scale === 1 ? mixed : tf.mul(mixed, scale);
}

/** The op: the fused kernel when the backend has one, else its composition. The caller disposes mean and variance. */
export function batchNormMix(x: tf.Tensor4D, p: tf.Tensor2D, options: BatchNormMixOptions): BatchNormMixResult {
  const [, F, N, D] = x.shape;
  if (p.shape[0] !== F || p.shape[1] !== N)
    throw new Error(`batchNormMix: p has shape [${p.shape}], expected [${F}, ${N}]`);
  if (options.dims.length !== N || options.dims.some((d) => !Number.isInteger(d) || d < 1 || d > D))
    throw new Error(`batchNormMix: dims ${JSON.stringify(options.dims)} must be ${N} integers in [1, ${D}]`);
  if (!batchNormMixAvailable()) {
    const stats = batchNormWithBatchStatistics(x, options.dims, options.epsilon);
    const out = mixCandidates(stats.normalised, p, options.scale);
    const result = {
      out,
      mean: tf.reshape(stats.mean, [F, N]) as tf.Tensor2D,
      variance: tf.reshape(stats.variance, [F, N]) as tf.Tensor2D,
    };
    tf.dispose([stats.counts]);
    return result;
  }
  const attrs = { dims: options.dims, scale: options.scale, epsilon: options.epsilon };
  let stats: tf.Tensor2D[] = [];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, ps, save] = args as [tf.Tensor4D, tf.Tensor2D, tf.GradSaveFunc];
    const [out, mean, variance] = tf.engine().runKernel(BATCH_NORM_MIX, { x: xs, p: ps }, attrs) as tf.Tensor[];
    stats = [tf.keep(mean) as tf.Tensor2D, tf.keep(variance) as tf.Tensor2D];
    save([xs, ps, mean, variance]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sp, sm, sv] = saved;
        const g = Array.isArray(dy) ? dy[0] : dy;
        return tf
          .engine()
          .runKernel(BATCH_NORM_MIX_GRAD, { dy: g, x: sx, p: sp, mean: sm, variance: sv }, attrs) as tf.Tensor[];
      },
    };
  });
  const out = op(x, p) as tf.Tensor3D;
  return { out, mean: stats[0], variance: stats[1] };
}
