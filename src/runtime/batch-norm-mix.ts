// AutoDim's training-time "BatchNorm over each (field, candidate), then the weighted sum over
// candidates" as one op with its own gradient, when the backend has the fused kernels (wasm with
// the element-wise addon). Composed from tfjs ops the [B, F, N, D] tensor is read or written ~20
// times a step; fused, 6 times.
import * as tf from "@tensorflow/tfjs";
import { BATCH_NORM_MIX, BATCH_NORM_MIX_GRAD } from "./wasm-kernels.js";

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

/** True when the current backend runs `batchNormMix` (AUTODIM_FUSED_MIX=0 turns it off). */
export function batchNormMixAvailable(): boolean {
  return process.env.AUTODIM_FUSED_MIX !== "0" && tf.getKernel(BATCH_NORM_MIX, tf.getBackend()) !== undefined;
}

/** The fused op; call only when `batchNormMixAvailable()`. The caller disposes mean and variance. */
export function batchNormMix(x: tf.Tensor4D, p: tf.Tensor2D, options: BatchNormMixOptions): BatchNormMixResult {
  const [, , N, D] = x.shape;
  if (p.shape[0] !== x.shape[1] || p.shape[1] !== N)
    throw new Error(`batchNormMix: p has shape [${p.shape}], expected [${x.shape[1]}, ${N}]`);
  if (options.dims.length !== N || options.dims.some((d) => !Number.isInteger(d) || d < 1 || d > D))
    throw new Error(`batchNormMix: dims ${JSON.stringify(options.dims)} must be ${N} integers in [1, ${D}]`);
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
