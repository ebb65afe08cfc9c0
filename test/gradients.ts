// Finite-difference checks of tfjs gradients, shared by the tests of every custom piece.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { randomStream } from "../src/runtime/random.js";

/**
 * Checks tf.grad of `f` at `x` against central differences on a few coordinates.
 * float32 arithmetic: a step of 1e-2 and a relative tolerance of 2% (plus an absolute floor).
 */
export function checkGradient(f: (x: tf.Tensor) => tf.Scalar, x0: Float32Array, shape: number[], coords = 8, h = 1e-2) {
  const x = tf.tensor(x0, shape);
  const analytic = tf.grad(f)(x).dataSync();
  const rng = randomStream(7, "init", "fd");
  const value = (v: Float32Array) => tf.tidy(() => f(tf.tensor(v, shape)).dataSync()[0]);
  for (let k = 0; k < coords; k++) {
    const i = rng.int(x0.length);
    const plus = x0.slice();
    const minus = x0.slice();
    plus[i] += h;
    minus[i] -= h;
    const numeric = (value(plus) - value(minus)) / (2 * h);
    const tol = 0.02 * Math.max(Math.abs(numeric), Math.abs(analytic[i])) + 2e-3;
    assert.ok(Math.abs(numeric - analytic[i]) <= tol, `coordinate ${i}: analytic ${analytic[i]} vs numeric ${numeric}`);
  }
}

/** The same check for a variable read inside `f` (perturbed by assignment). */
export function checkVariableGradient(f: () => tf.Scalar, v: tf.Variable, coords = 8, h = 1e-2) {
  const x0 = v.dataSync().slice() as Float32Array;
  const { grads, value } = tf.variableGrads(f, [v]);
  value.dispose();
  const analytic = grads[v.name].dataSync();
  const rng = randomStream(8, "init", "fd");
  const at = (values: Float32Array) => {
    v.assign(tf.tensor(values, v.shape));
    return tf.tidy(() => f().dataSync()[0]);
  };
  for (let k = 0; k < coords; k++) {
    const i = rng.int(x0.length);
    const plus = x0.slice();
    const minus = x0.slice();
    plus[i] += h;
    minus[i] -= h;
    const numeric = (at(plus) - at(minus)) / (2 * h);
    const tol = 0.02 * Math.max(Math.abs(numeric), Math.abs(analytic[i])) + 2e-3;
    assert.ok(Math.abs(numeric - analytic[i]) <= tol, `${v.name}[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`);
  }
  v.assign(tf.tensor(x0, v.shape));
}

