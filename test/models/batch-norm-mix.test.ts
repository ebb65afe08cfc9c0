// The BatchNorm + candidate mixture op (src/models/batch-norm-mix.ts): both its paths — the fused
// kernel (src/accel/native/elementwise.c) and its tfjs composition — against a float64 brute force
// (forward, batch statistics); the fused one also against the composition's gradients in x and p,
// finite differences, and itself at 1 and 2 threads (bit for bit).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initRuntime, setComputeThreads } from "../../src/accel/index.js";
import { batchNormMix, batchNormMixAvailable } from "../../src/models/batch-norm-mix.js";
import { randomStream } from "../../src/core/random.js";
import { checkGradient } from "../gradients.js";

const EPS = 1e-5;
// At load: `skip` is read when the tests are defined.
const info = await initRuntime();
const available = batchNormMixAvailable();
const skip = () => (available ? false : "fused kernels not registered (element-wise addon missing)");
test("the fused op is on wherever the element-wise addon is (CI builds it)", () => {
  if (info.elementwise === "native") assert.ok(available, "addon loaded but the fused kernels are not registered");
  if (process.env.CI && info.backend === "wasm") assert.equal(info.elementwise, "native");
});

/** x [B, F, N, D] with zeros beyond each candidate's real coordinates; p [F, N] rows on the simplex. */
function inputs(B: number, F: number, dims: number[], D: number, seed: number) {
  const rng = randomStream(seed, "init", "bnmix");
  const N = dims.length;
  const x = new Float32Array(B * F * N * D);
  for (let i = 0; i < x.length; i++) {
    const d = i % D;
    const n = Math.floor(i / D) % N;
    const f = Math.floor(i / (D * N)) % F;
    // a per-(field, candidate) offset and scale, so the normalisation has work to do
    if (d < dims[n]) x[i] = (rng.next() * 2 - 1) * (1 + f + n) + 0.3 * (f - n);
  }
  const p = new Float32Array(F * N);
  for (let f = 0; f < F; f++) {
    const w = dims.map(() => Math.exp(rng.next() * 2));
    const s = w.reduce((a, b) => a + b, 0);
    w.forEach((v, n) => (p[f * N + n] = v / s));
  }
  return { x, p };
}

/** The definition in float64: statistics over (batch, real coordinates), then the weighted sum. */
function bruteForce(x: Float32Array, p: Float32Array, B: number, F: number, dims: number[], D: number, scale: number) {
  const N = dims.length;
  const mean = new Float64Array(F * N);
  const variance = new Float64Array(F * N);
  const at = (b: number, f: number, n: number, d: number) => x[((b * F + f) * N + n) * D + d];
  for (let f = 0; f < F; f++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let b = 0; b < B; b++) for (let d = 0; d < dims[n]; d++) s += at(b, f, n, d);
      const m = s / (B * dims[n]);
      let v = 0;
      for (let b = 0; b < B; b++) for (let d = 0; d < dims[n]; d++) v += (at(b, f, n, d) - m) ** 2;
      mean[f * N + n] = m;
      variance[f * N + n] = v / (B * dims[n]);
    }
  const out = new Float64Array(B * F * D);
  for (let b = 0; b < B; b++)
    for (let f = 0; f < F; f++)
      for (let n = 0; n < N; n++) {
        const r = 1 / Math.sqrt(variance[f * N + n] + EPS);
        for (let d = 0; d < dims[n]; d++)
          out[(b * F + f) * D + d] += scale * p[f * N + n] * (at(b, f, n, d) - mean[f * N + n]) * r;
      }
  return { out, mean, variance };
}

/** The same function from tfjs ops (the unfused path's arithmetic). */
function composed(x: tf.Tensor4D, p: tf.Tensor2D, dims: number[], scale: number): tf.Tensor3D {
  const [B, F, N, D] = x.shape;
  const maskValues = new Float32Array(N * D);
  dims.forEach((d, n) => maskValues.fill(1, n * D, n * D + d));
  const mask = tf.tensor4d(maskValues, [1, 1, N, D]);
  const counts = tf.tensor4d(
    dims.map((d) => B * d),
    [1, 1, N, 1],
  );
  const mean = tf.div(tf.sum(tf.mul(x, mask), [0, 3], true), counts);
  const centered = tf.mul(tf.sub(x, mean), mask);
  const variance = tf.div(tf.sum(tf.square(centered), [0, 3], true), counts);
  const y = tf.mul(centered, tf.rsqrt(tf.add(variance, EPS)));
  return tf.mul(tf.sum(tf.mul(y, tf.reshape(p, [1, F, N, 1])), 2), scale) as tf.Tensor3D;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

for (const [label, dims] of [
  ["linear (all d_N)", [8, 8, 8]],
  ["zero-padded (d_n)", [2, 4, 8]],
] as const) {
  for (const fused of [true, false])
    test(
      `batchNormMix, ${label}, ${fused ? "fused kernel" : "composed ops (AUTODIM_FUSED_MIX=0)"}: forward and batch statistics equal the float64 definition`,
      { skip: fused ? skip() : false },
      () => {
        const previous = process.env.AUTODIM_FUSED_MIX;
        process.env.AUTODIM_FUSED_MIX = fused ? "1" : "0";
        try {
          assert.equal(batchNormMixAvailable(), fused, "the path under test is the one the op takes");
          const [B, F, D, scale] = [37, 4, 8, 0.7];
          const { x, p } = inputs(B, F, [...dims], D, 1);
          const want = bruteForce(x, p, B, F, [...dims], D, scale);
          tf.tidy(() => {
            const got = batchNormMix(tf.tensor4d(x, [B, F, dims.length, D]), tf.tensor2d(p, [F, dims.length]), {
              dims: [...dims],
              scale,
              epsilon: EPS,
            });
            assert.ok(
              maxAbsDiff(got.out.dataSync(), want.out) < 2e-5,
              `out differs by ${maxAbsDiff(got.out.dataSync(), want.out)}`,
            );
            assert.ok(maxAbsDiff(got.mean.dataSync(), want.mean) < 1e-5);
            // relative: the variances grow with the field and candidate scales (up to ~30)
            const v = got.variance.dataSync();
            want.variance.forEach((w, i) =>
              assert.ok(Math.abs(v[i] - w) <= 1e-5 * w, `variance[${i}] ${v[i]} vs ${w}`),
            );
            tf.dispose([got.mean, got.variance]);
          });
        } finally {
          if (previous === undefined) delete process.env.AUTODIM_FUSED_MIX;
          else process.env.AUTODIM_FUSED_MIX = previous;
        }
      },
    );

  test(
    `batchNormMix, ${label}: gradients in x and p equal the composed ops' and finite differences`,
    { skip: skip() },
    () => {
      const [B, F, D, scale] = [23, 3, 8, 1.3];
      const N = dims.length;
      const { x, p } = inputs(B, F, [...dims], D, 2);
      const w = tf.tensor3d(inputs(B, F, [D], D, 3).x, [B, F, D]); // a random linear read-out of out
      const fused = (xt: tf.Tensor, pt: tf.Tensor) => {
        const r = batchNormMix(xt as tf.Tensor4D, pt as tf.Tensor2D, { dims: [...dims], scale, epsilon: EPS });
        tf.dispose([r.mean, r.variance]);
        return tf.sum(tf.mul(r.out, w)) as tf.Scalar;
      };
      const plain = (xt: tf.Tensor, pt: tf.Tensor) =>
        tf.sum(tf.mul(composed(xt as tf.Tensor4D, pt as tf.Tensor2D, [...dims], scale), w)) as tf.Scalar;
      const xt = tf.tensor4d(x, [B, F, N, D]);
      const pt = tf.tensor2d(p, [F, N]);
      const [gx, gp] = tf.grads(fused)([xt, pt]);
      const [cx, cp] = tf.grads(plain)([xt, pt]);
      // The composed gradient is also nonzero at padded coordinates (through the mean); the fused one
      // is zero there, and padded inputs are constants in the model (a mask or a pad upstream).
      const real = (i: number) => i % D < dims[Math.floor(i / D) % N];
      const gxv = gx.dataSync();
      const cxv = cx.dataSync();
      let worst = 0;
      for (let i = 0; i < gxv.length; i++) {
        if (real(i)) worst = Math.max(worst, Math.abs(gxv[i] - cxv[i]));
        else assert.equal(gxv[i], 0);
      }
      assert.ok(worst < 1e-4, `dx differs by ${worst}`);
      assert.ok(
        maxAbsDiff(gp.dataSync(), cp.dataSync()) < 1e-3,
        `dp differs by ${maxAbsDiff(gp.dataSync(), cp.dataSync())}`,
      );
      assert.ok(
        gp.dataSync().some((v) => Math.abs(v) > 1e-3),
        "dp is not all zero",
      );
      checkGradient((v) => fused(v, pt), x, [B, F, N, D]);
      checkGradient((v) => fused(xt, v), p, [F, N]);
      tf.dispose([xt, pt, gx, gp, cx, cp, w]);
    },
  );
}

test("batchNormMix: the same bits at 1 and 2 threads, on a tensor large enough to be split", { skip: skip() }, () => {
  const [B, F, D] = [1000, 13, 32];
  const dims = [2, 8, 16, 24, 32];
  const { x, p } = inputs(B, F, dims, D, 4);
  const run = (threads: number) => {
    setComputeThreads(threads);
    return tf.tidy(() => {
      const xt = tf.tensor4d(x, [B, F, dims.length, D]);
      const pt = tf.tensor2d(p, [F, dims.length]);
      const w = tf.fill([B, F, D], 0.01);
      const f = (a: tf.Tensor, b: tf.Tensor) => {
        const r = batchNormMix(a as tf.Tensor4D, b as tf.Tensor2D, { dims, scale: 1, epsilon: EPS });
        tf.dispose([r.mean, r.variance]);
        return tf.sum(tf.mul(r.out, w)) as tf.Scalar;
      };
      const r = batchNormMix(xt, pt, { dims, scale: 1, epsilon: EPS });
      const [gx, gp] = tf.grads(f)([xt, pt]);
      return [r.out, r.mean, r.variance, gx, gp].map((t) => t.dataSync().slice());
    });
  };
  try {
    const one = run(1);
    const two = run(2);
    one.forEach((a, k) => assert.deepEqual(Buffer.from(a.buffer), Buffer.from(two[k].buffer), `output ${k}`));
  } finally {
    setComputeThreads(1);
  }
});

test("batchNormMix: shapes that do not fit are errors (on either path)", () => {
  const x = tf.zeros([2, 3, 2, 4]) as tf.Tensor4D;
  assert.throws(
    () => batchNormMix(x, tf.zeros([3, 3]) as tf.Tensor2D, { dims: [4, 4], scale: 1, epsilon: EPS }),
    /p has shape/,
  );
  assert.throws(
    () => batchNormMix(x, tf.zeros([3, 2]) as tf.Tensor2D, { dims: [4, 5], scale: 1, epsilon: EPS }),
    /dims/,
  );
});
