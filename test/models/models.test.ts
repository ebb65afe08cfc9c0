// The transfer-study models' interaction parts against plain loops, their gradients against
// finite differences, and their parameter counts by hand.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import {
  AUTOINT_HEAD_DIM,
  AUTOINT_HEADS,
  AUTOINT_LAYERS,
  biInteraction,
  CtrModel,
  innerProducts,
  pairPositions,
  SelfAttention,
} from "../../src/models/ctr.js";
import { initRuntime } from "../../src/accel/index.js";
import { randomStream } from "../../src/core/random.js";
import { checkGradient, checkVariableGradient } from "../gradients.js";

before(async () => {
  await initRuntime();
});

const randn = (n: number, seed: number) => {
  const r = randomStream(seed, "init", "values");
  return Float32Array.from({ length: n }, () => r.normal());
};

const B = 3;
const F = 4;
const D = 5;
const at = (x: Float32Array, b: number, m: number, d: number) => x[(b * F + m) * D + d];

test("NFM bi-interaction: ½((Σ_m x_m)² − Σ_m x_m²) per dimension equals Σ_{i<j} x_i ⊙ x_j; gradient by finite differences", () => {
  const x0 = randn(B * F * D, 1);
  const got = biInteraction(tf.tensor3d(x0, [B, F, D])).arraySync();
  for (let b = 0; b < B; b++)
    for (let d = 0; d < D; d++) {
      let s = 0;
      for (let i = 0; i < F; i++) for (let j = i + 1; j < F; j++) s += at(x0, b, i, d) * at(x0, b, j, d);
      assert.ok(Math.abs(got[b][d] - s) < 1e-4, `[${b}, ${d}]: ${got[b][d]} vs ${s}`);
    }
  const w = tf.tensor2d(randn(B * D, 2), [B, D]);
  checkGradient((x) => tf.sum(tf.mul(biInteraction(x as tf.Tensor3D), w)), x0, [B, F, D]);
});

test("IPNN inner products: ⟨x_i, x_j⟩ for i < j in row order; gradient by finite differences", () => {
  const x0 = randn(B * F * D, 3);
  const pairs = pairPositions(F);
  assert.deepEqual(Array.from(pairs.dataSync()), [1, 2, 3, 6, 7, 11]);
  const got = innerProducts(tf.tensor3d(x0, [B, F, D]), pairs).arraySync();
  for (let b = 0; b < B; b++) {
    let k = 0;
    for (let i = 0; i < F; i++)
      for (let j = i + 1; j < F; j++, k++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += at(x0, b, i, d) * at(x0, b, j, d);
        assert.ok(Math.abs(got[b][k] - s) < 1e-4, `[${b}] pair ${i},${j}`);
      }
  }
  const w = tf.tensor2d(randn(B * 6, 4), [B, 6]);
  checkGradient((x) => tf.sum(tf.mul(innerProducts(x as tf.Tensor3D, pairs), w)), x0, [B, F, D]);
});

/** One AutoInt layer in plain loops, from the layer's own weights. */
function attentionByHand(x: Float32Array, layer: SelfAttention): number[][][] {
  const W = (v: tf.Variable) => v.arraySync() as number[][];
  const [q, k, v, r] = [W(layer.query), W(layer.key), W(layer.value), W(layer.residual)];
  const H = layer.heads;
  const d = layer.headDim;
  const proj = (w: number[][], b: number, m: number, col: number) => {
    let s = 0;
    for (let c = 0; c < D; c++) s += at(x, b, m, c) * w[c][col];
    return s;
  };
  const out: number[][][] = [];
  for (let b = 0; b < B; b++) {
    out.push([]);
    for (let m = 0; m < F; m++) {
      const row: number[] = [];
      for (let h = 0; h < H; h++) {
        const scores: number[] = [];
        for (let n = 0; n < F; n++) {
          let s = 0;
          for (let c = 0; c < d; c++) s += proj(q, b, m, h * d + c) * proj(k, b, n, h * d + c);
          scores.push(s);
        }
        const top = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - top));
        const z = e.reduce((a, c) => a + c, 0);
        for (let c = 0; c < d; c++) {
          let s = 0;
          for (let n = 0; n < F; n++) s += (e[n] / z) * proj(v, b, n, h * d + c);
          row.push(s);
        }
      }
      out[b].push(row.map((a, col) => Math.max(0, a + proj(r, b, m, col))));
    }
  }
  return out;
}

test("AutoInt interacting layer equals softmax attention per head + residual + ReLU in plain loops; gradients by finite differences", () => {
  const layer = new SelfAttention(D, 2, 3, randomStream(5, "init"), "test/attention");
  const x0 = randn(B * F * D, 6);
  const got = layer.apply(tf.tensor3d(x0, [B, F, D])).arraySync();
  const want = attentionByHand(x0, layer);
  for (let b = 0; b < B; b++)
    for (let m = 0; m < F; m++)
      for (let c = 0; c < 6; c++)
        assert.ok(
          Math.abs(got[b][m][c] - want[b][m][c]) < 1e-4,
          `[${b}, ${m}, ${c}]: ${got[b][m][c]} vs ${want[b][m][c]}`,
        );
  const w = tf.tensor3d(randn(B * F * 6, 7), [B, F, 6]);
  checkGradient((x) => tf.sum(tf.mul(layer.apply(x as tf.Tensor3D), w)), x0, [B, F, D]);
  const x = tf.tensor3d(x0, [B, F, D]);
  for (const v of layer.variables) checkVariableGradient(() => tf.sum(tf.mul(layer.apply(x), w)), v, 6);
});

test("parameter counts of the new models by hand (F = 4 fields, D = 5, MLP 128-128)", () => {
  const mlp = (inputs: number) => inputs * 128 + 128 + 2 * 128 + 128 * 128 + 128 + 2 * 128 + 128 + 1;
  const count = (name: "nfm" | "ipnn" | "autoint") =>
    new CtrModel(name, F, D, 30, randomStream(1, "init")).parameterCounts();
  assert.deepEqual(count("nfm"), { firstOrder: 30, dense: 1 + mlp(D) });
  assert.deepEqual(count("ipnn"), { firstOrder: 30, dense: 1 + mlp(F * D + 6) });
  const width = AUTOINT_HEADS * AUTOINT_HEAD_DIM;
  const attention = 4 * D * width + (AUTOINT_LAYERS - 1) * 4 * width * width;
  assert.deepEqual(count("autoint"), { firstOrder: 30, dense: 1 + attention + F * width + 1 });
});

test("CtrModel.dispose frees every tensor it made, IPNN's pair positions included", () => {
  for (const name of ["ipnn", "deepfm", "autoint"] as const) {
    const before = tf.memory().numTensors;
    const model = new CtrModel(name, 4, 5, 20, randomStream(1, "init", "model"));
    assert.ok(tf.memory().numTensors > before, name);
    model.dispose();
    assert.equal(tf.memory().numTensors, before, `${name}: tensors left after dispose`);
  }
});
