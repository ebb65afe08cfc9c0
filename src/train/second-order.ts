// DARTS' second-order architecture gradient (Liu et al., ICLR 2019): α's gradient at virtual
// weights one plain gradient step ahead, corrected by a finite difference; W is restored
// exactly afterwards. `autodim search --second-order`.
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/batches.js";
import type { StepContext } from "../models/layers.js";
import { disposeTouched, type TouchedRows } from "../tables/sparse.js";

/** What the virtual step reads and changes of its network (Network passes its own, private parts included). */
export interface VirtualStepHost {
  readonly dense: tf.Variable[];
  /** BatchNorm running statistics of embedding and model. */
  readonly state: tf.Variable[];
  readonly architecture: tf.Variable[];
  /** The rows a batch reads, as differentiable tensors (disposed by the caller). */
  touch(batch: Batch): TouchedRows[];
  /** The batch's mean loss at the current weights. */
  loss(batch: Batch, touched: TouchedRows[], ctx: StepContext): tf.Scalar;
}

/**
 * Runs `fn` at DARTS' virtual weights w' = w − ξ·∇_w L(batch; w, α) (one plain gradient
 * step on W, optimiser state untouched), then restores w exactly — BatchNorm running
 * statistics included.
 */
export function withVirtualStep<T>(net: VirtualStepHost, batch: Batch, ctx: StepContext, xi: number, fn: () => T): T {
  const saved = snapshotDense(net);
  const touched = net.touch(batch);
  const rows = touched.map((t) => t.param.table.gather(t.rows, new Float32Array(t.rows.length * t.param.table.dim)));
  try {
    const { value, grads } = tf.variableGrads(
      () => net.loss(batch, touched, ctx),
      [...touched.map((t) => t.values), ...net.dense],
    );
    value.dispose();
    touched.forEach((t) => t.param.table.addScaled(t.rows, grads[t.values.name].dataSync() as Float32Array, -xi));
    for (const v of net.dense) tf.tidy(() => v.assign(tf.sub(v, tf.mul(grads[v.name], xi))));
    tf.dispose(grads);
    return fn();
  } finally {
    touched.forEach((t, i) => t.param.table.scatter(t.rows, rows[i]));
    disposeTouched(touched);
    restoreDense(net, saved);
  }
}

/**
 * DARTS' second-order architecture gradient (Liu et al., ICLR 2019, eq. 7–8):
 *   ∇_α L_val(w', α) − ξ · (∇_α L_train(w⁺, α) − ∇_α L_train(w⁻, α)) / 2ε,
 *   w' = w − ξ∇_w L_train(w, α), w± = w ± ε·∇_w' L_val(w', α), ε = 0.01 / ‖∇_w' L_val‖.
 * W is left exactly as it was. One array per architecture variable.
 */
export function secondOrderArchitectureGradient(
  net: VirtualStepHost,
  train: Batch,
  val: Batch,
  ctx: StepContext,
  xi: number,
): Float32Array[] {
  const arch = net.architecture;
  // At w': α's gradient and the direction dw on the validation batch.
  const atVirtual = withVirtualStep(net, train, ctx, xi, () => {
    const touched = net.touch(val);
    try {
      const { value, grads } = tf.variableGrads(
        () => net.loss(val, touched, ctx),
        [...arch, ...touched.map((t) => t.values), ...net.dense],
      );
      value.dispose();
      const out = {
        alpha: arch.map((v) => grads[v.name].dataSync().slice() as Float32Array),
        rows: touched.map((t) => ({
          table: t.param.table,
          rows: t.rows,
          grad: grads[t.values.name].dataSync().slice() as Float32Array,
        })),
        dense: net.dense.map((v) => grads[v.name].dataSync().slice() as Float32Array),
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
  const saved = snapshotDense(net);
  const rows = atVirtual.rows.map((r) => r.table.gather(r.rows, new Float32Array(r.grad.length)));
  const shift = (scale: number) => {
    atVirtual.rows.forEach((r) => r.table.addScaled(r.rows, r.grad, scale));
    net.dense.forEach((v, i) =>
      tf.tidy(() => v.assign(tf.add(v, tf.mul(tf.tensor(atVirtual.dense[i], v.shape), scale)))),
    );
  };
  const restore = () => {
    atVirtual.rows.forEach((r, i) => r.table.scatter(r.rows, rows[i]));
    restoreDense(net, saved, false);
  };
  const alphaGrad = (): Float32Array[] => {
    const touched = net.touch(train);
    try {
      const { value, grads } = tf.variableGrads(() => net.loss(train, touched, ctx), arch);
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

function snapshotDense(net: VirtualStepHost): { dense: tf.Tensor[]; state: tf.Tensor[] } {
  return { dense: net.dense.map((v) => tf.clone(v)), state: net.state.map((v) => tf.clone(v)) };
}

function restoreDense(net: VirtualStepHost, saved: { dense: tf.Tensor[]; state: tf.Tensor[] }, dispose = true): void {
  net.dense.forEach((v, i) => v.assign(saved.dense[i]));
  net.state.forEach((v, i) => v.assign(saved.state[i]));
  if (dispose) tf.dispose([...saved.dense, ...saved.state]);
}
