// Finite-difference checks of tfjs gradients, shared by the tests of every custom piece.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { randomStream } from "../src/core/random.js";

/**
 * Central differences of `valueAt` on a few coordinates of `x0` against `analytic`.
 * float32 arithmetic: a step of 1e-2 and a relative tolerance of 2% (plus an absolute floor).
 */
function compareWithFiniteDifferences(
  valueAt: (x: Float32Array) => number,
  x0: Float32Array,
  analytic: ArrayLike<number>,
  label: string,
  coords: number,
  h: number,
  seed: number,
) {
  const rng = randomStream(seed, "init", "fd");
  for (let k = 0; k < coords; k++) {
    const i = rng.int(x0.length);
    const plus = x0.slice();
    const minus = x0.slice();
    plus[i] += h;
    minus[i] -= h;
    const numeric = (valueAt(plus) - valueAt(minus)) / (2 * h);
    const tol = 0.02 * Math.max(Math.abs(numeric), Math.abs(analytic[i])) + 2e-3;
    assert.ok(Math.abs(numeric - analytic[i]) <= tol, `${label}[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`);
  }
}

/** Checks tf.grad of `f` at `x0` against central differences. */
export function checkGradient(f: (x: tf.Tensor) => tf.Scalar, x0: Float32Array, shape: number[], coords = 8, h = 1e-2) {
  const analytic = tf.grad(f)(tf.tensor(x0, shape)).dataSync();
  compareWithFiniteDifferences(
    (v) => tf.tidy(() => f(tf.tensor(v, shape)).dataSync()[0]),
    x0,
    analytic,
    "coordinate",
    coords,
    h,
    7,
  );
}

/** The same check for a variable read inside `f` (perturbed by assignment). */
export function checkVariableGradient(f: () => tf.Scalar, v: tf.Variable, coords = 8, h = 1e-2) {
  const x0 = v.dataSync().slice() as Float32Array;
  const { grads, value } = tf.variableGrads(f, [v]);
  value.dispose();
  const analytic = grads[v.name].dataSync();
  const at = (values: Float32Array) => {
    v.assign(tf.tensor(values, v.shape));
    return tf.tidy(() => f().dataSync()[0]);
  };
  compareWithFiniteDifferences(at, x0, analytic, v.name, coords, h, 8);
  v.assign(tf.tensor(x0, v.shape));
}
