// Every custom piece of AutoDim against finite differences and hand computations.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import {
  AutoDimSearchEmbedding,
  gumbelNoise,
  gumbelSoftmax,
  TemperatureSchedule,
} from "../../src/embedding/autodim.js";
import { derivePlanDims } from "../../src/embedding/search.js";
import { PlanEmbedding, planParameterCount } from "../../src/train/plan-embedding.js";
import type { LookupKind, UnifyKind } from "../../src/train/schemas.js";
import { TouchCollector } from "../../src/tables/touch.js";
import { CtrModel, fmInteraction } from "../../src/models/ctr.js";
import { initRuntime } from "../../src/accel/index.js";
import { randomStream } from "../../src/core/random.js";
import { checkGradient, checkVariableGradient } from "../gradients.js";
import { constantGumbelStream } from "../helpers.js";

before(async () => {
  await initRuntime();
});

const randn = (n: number, seed: number, scale = 1) => {
  const r = randomStream(seed, "init", "values");
  return Float32Array.from({ length: n }, () => scale * r.normal());
};

test("temperature schedule: τ(t) = max(0.01, 1 − decay·t) at every step, the decay configured (paper) or fitted to the search's length (fit)", () => {
  // The paper's formula, written out here apart from the schedule.
  const paperTau = (t: number, decay: number) => Math.max(0.01, 1 - decay * t);
  const steps = [0, 1, 7, 100, 1000, 10000, 19799, 19800, 19801, 1e6];
  const paper = TemperatureSchedule.of({ tauSchedule: "paper", tauDecay: 5e-5 }, 313);
  assert.equal(paper.decay, 5e-5);
  for (const t of steps) assert.equal(paper.at(t), paperTau(t, 5e-5), `paper, step ${t}`);
  // An absent schedule is the paper's (plans from before "fit").
  assert.equal(TemperatureSchedule.of({ tauDecay: 1e-3 }, 313).at(100), paperTau(100, 1e-3));
  assert.ok(Math.abs(paper.at(10000) - 0.5) < 1e-12);
  assert.equal(paper.at(19800), 0.01);
  // "fit": the decay that reaches the floor at the last of 1,250 search steps, whatever was configured.
  const fit = TemperatureSchedule.of({ tauSchedule: "fit", tauDecay: 5e-5 }, 1250);
  const fitted = 0.99 / 1250;
  assert.ok(Math.abs(fit.decay - fitted) < 1e-17, `decay ${fit.decay}`);
  for (const t of [0, 1, 125, 625, 1249, 1250, 5000])
    assert.ok(Math.abs(fit.at(t) - paperTau(t, fitted)) < 1e-12, `fit, step ${t}: ${fit.at(t)}`);
  assert.ok(Math.abs(fit.at(625) - 0.505) < 1e-12);
  assert.ok(Math.abs(fit.at(1250) - 0.01) < 1e-12);
  // A resolved decay (a replica's copy) runs the same τ.
  for (const t of steps) assert.equal(TemperatureSchedule.linear(fit.decay).at(t), fit.at(t));
  assert.deepEqual(fit.applyTo({ tauDecay: 5e-5, seed: 1 }), { tauDecay: fit.decay, seed: 1 });
});

test("the search embedding's Gumbel-softmax temperature is its schedule's τ at the step", () => {
  const emb = new AutoDimSearchEmbedding(
    1,
    4,
    { candidates: [1, 2], lookup: "shared", unify: "zeropad", mixScale: 1 },
    TemperatureSchedule.linear(1e-3),
    randomStream(5, "init"),
    constantGumbelStream(),
  );
  try {
    emb.logAlpha.assign(tf.tensor2d([[0, Math.log(2)]]));
    // No noise in evaluation: p = softmax(log α / τ) with τ = 1 − 1e-3·500 = 0.5 → ∝ (1, 4).
    const p = emb.selection({ training: false, step: 500 }).arraySync();
    assert.ok(Math.abs(p[0][0] - 0.2) < 1e-6 && Math.abs(p[0][1] - 0.8) < 1e-6, `p ${p[0]}`);
  } finally {
    emb.dispose();
  }
});

test("Gumbel-softmax: hand value, rows sum to 1, and the gradient in log α matches finite differences", () => {
  // α = [0.5, 0.25], g = [0, ln 2], τ = 0.5 → logits (ln .5, ln .25 + ln 2) / .5 → equal → p = [.5, .5]
  const logAlpha = tf.tensor2d([[Math.log(0.5), Math.log(0.25)]]);
  const p = gumbelSoftmax(logAlpha, tf.tensor2d([[0, Math.log(2)]]), 0.5).dataSync();
  assert.ok(Math.abs(p[0] - 0.5) < 1e-6 && Math.abs(p[1] - 0.5) < 1e-6);
  const F = 3;
  const N = 5;
  const noise = tf.tensor2d(gumbelNoise(randomStream(1, "gumbel"), F * N), [F, N]);
  const rows = gumbelSoftmax(tf.fill([F, N], Math.log(0.2)) as tf.Tensor2D, noise, 0.7)
    .sum(1)
    .dataSync();
  rows.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-6));
  const w = tf.tensor2d(randn(F * N, 2), [F, N]);
  const logAlpha0 = Float32Array.from({ length: F * N }, (_, i) => Math.log(0.1 + 0.05 * (i % 7)));
  checkGradient((a) => tf.sum(tf.mul(gumbelSoftmax(a as tf.Tensor2D, noise, 0.7), w)), logAlpha0, [F, N]);
});

test("Gumbel-softmax: an α far below 1e-6 still gets a gradient (log α is trained, nothing is clamped)", () => {
  // α = 1e-9 against 1: the old clamp at 1e-6 made this entry's gradient exactly 0 for good.
  // Now it is tiny but not 0, and Adam scales a step by the gradient's own size, so it can recover.
  const tau = 1;
  const logAlpha = tf.variable(tf.tensor2d([[Math.log(1e-9), 0]]));
  const noise = tf.tensor2d([[0.9, 0]]);
  const w = tf.tensor2d([[1, 0]]);
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(gumbelSoftmax(a as tf.Tensor2D, noise, tau), w)))(logAlpha);
  const p = gumbelSoftmax(logAlpha, noise, tau).dataSync();
  // d p0 / d logα0 = p0 (1 − p0) / τ
  assert.ok(Math.abs(g.dataSync()[0] - (p[0] * (1 - p[0])) / tau) <= 1e-3 * Math.abs(g.dataSync()[0]));
  assert.ok(g.dataSync()[0] !== 0);
});

test("Gumbel noise: −log(−log u) has the Gumbel mean (Euler–Mascheroni) and variance π²/6", () => {
  const g = gumbelNoise(randomStream(3, "gumbel"), 50000);
  const mean = g.reduce((a, b) => a + b, 0) / g.length;
  const variance = g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length;
  assert.ok(Math.abs(mean - 0.5772) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(variance - Math.PI ** 2 / 6) < 0.05, `variance ${variance}`);
});

test("FM term equals the brute-force pairwise sum, and its gradient matches finite differences", () => {
  const B = 3;
  const F = 4;
  const D = 5;
  const x0 = randn(B * F * D, 4);
  const fm = fmInteraction(tf.tensor3d(x0, [B, F, D])).dataSync();
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < F; i++)
      for (let j = i + 1; j < F; j++)
        for (let d = 0; d < D; d++) s += x0[(b * F + i) * D + d] * x0[(b * F + j) * D + d];
    assert.ok(Math.abs(fm[b] - s) < 1e-4, `batch ${b}: ${fm[b]} vs ${s}`);
  }
  const w = tf.tensor1d([0.3, -1.2, 0.7]);
  checkGradient((x) => tf.sum(tf.mul(fmInteraction(x as tf.Tensor3D), w)), x0, [B, F, D]);
});

/** A tiny search embedding and a batch of touched rows for it. */
function tinySearch(lookup: LookupKind, unify: UnifyKind) {
  const F = 3;
  const total = 12;
  const emb = new AutoDimSearchEmbedding(
    F,
    total,
    { candidates: [1, 2, 4], lookup, unify, mixScale: 0.1 },
    TemperatureSchedule.linear(5e-5),
    randomStream(5, "init"),
    randomStream(5, "gumbel"),
  );
  // Rows of unit scale, so a finite-difference step of 1e-2 is small against them.
  for (const p of emb.sparse) p.table.initNormal(randomStream(6, "init"), 1);
  const ids = Int32Array.from([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 4, 11, 0, 7, 8]); // 5 rows × 3 fields
  const touched = emb.sparse.map((p) => new TouchCollector(p).collect(ids, 5, F));
  return { emb, touched, B: 5, F };
}

for (const lookup of ["shared", "separate"] as const) {
  for (const unify of ["linear", "zeropad"] as const) {
    test(`unification (${lookup} lookup, ${unify}) + BatchNorm + mixture: gradients in rows, α and transforms match finite differences`, () => {
      const { emb, touched, B, F } = tinySearch(lookup, unify);
      const D = emb.outputDim;
      const weights = tf.tensor3d(randn(B * F * D, 11), [B, F, D]);
      // Gumbel noise is drawn per call; freeze it by re-seeding the stream for every evaluation.
      const ctx = () => ({ training: true, step: 0, dropout: randomStream(0, "dropout") });
      const forwardWith = (replace: (t: typeof touched) => typeof touched) => {
        (emb as unknown as { gumbelRng: unknown }).gumbelRng = randomStream(9, "gumbel");
        return tf.sum(tf.mul(emb.forward(replace(touched), B, ctx()), weights)) as tf.Scalar;
      };
      // rows of the first table
      const v0 = touched[0].values;
      checkGradient(
        (v) => forwardWith((t) => [{ ...t[0], values: v as tf.Variable }, ...t.slice(1)]),
        v0.dataSync() as Float32Array,
        v0.shape,
      );
      // α, away from uniform so the candidates get different weights
      emb.logAlpha.assign(
        tf.tensor2d(
          Float32Array.from({ length: F * 3 }, (_, i) => 0.2 + 0.07 * (i % 4)),
          [F, 3],
        ),
      );
      checkVariableGradient(() => forwardWith((t) => t), emb.logAlpha);
      // the transforms
      for (const v of emb.dense) checkVariableGradient(() => forwardWith((t) => t), v, 4);
      // the output of a zero-padded candidate keeps its padding at zero
      if (unify === "zeropad") {
        const u = emb.unifiedCandidates(touched, B, ctx()).arraySync();
        for (const row of u)
          for (const field of row)
            assert.ok(
              field[0].slice(1).every((v) => v === 0),
              "padding stays zero",
            );
      }
    });
  }
}

test("BatchNorm of the candidates: zero mean and unit variance per (field, candidate) in training", () => {
  const { emb, touched, B } = tinySearch("shared", "linear");
  const u = emb.unifiedCandidates(touched, B, { training: true, step: 0 }).arraySync(); // [B, F, N, D]
  for (let f = 0; f < 3; f++) {
    for (let n = 0; n < 3; n++) {
      const xs = u.flatMap((row) => row[f][n]);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
      assert.ok(Math.abs(mean) < 1e-5, `mean ${mean}`);
      assert.ok(Math.abs(variance - 1) < 1e-3, `variance ${variance}`);
    }
  }
});

test("derive: argmax per field (ties → smaller size); parameters Σ|V_m|·d_m", () => {
  assert.deepEqual(
    derivePlanDims(
      [
        [0.1, 0.5, 0.2],
        [0.3, 0.3, 0.1],
        [0, 0, 0.9],
      ],
      [2, 8, 16],
    ),
    [8, 2, 16],
  );
  const manifest = { fields: [{ vocabularySize: 10 }, { vocabularySize: 7 }] } as Parameters<
    typeof planParameterCount
  >[1];
  assert.equal(planParameterCount([8, 2], manifest), 10 * 8 + 7 * 2);
});

test("parameter counts of the search embedding equal a hand computation", () => {
  const F = 3;
  const total = 12;
  const counts = (lookup: LookupKind, unify: UnifyKind) =>
    new AutoDimSearchEmbedding(
      F,
      total,
      { candidates: [1, 2, 4], lookup, unify, mixScale: 0.1 },
      TemperatureSchedule.linear(5e-5),
      randomStream(1, "init"),
      randomStream(1, "gumbel"),
    ).parameterCounts();
  // shared: 12 rows × 4; linear: Σ (d·4 + 4) = (4+4)+(8+4)+(16+4) = 40; α: 3 × 3
  assert.deepEqual(counts("shared", "linear"), { embedding: 48, transform: 40, architecture: 9 });
  // separate: 12 × (1 + 2 + 4)
  assert.deepEqual(counts("separate", "zeropad"), { embedding: 84, transform: 0, architecture: 9 });
});

test("plan embedding: fields grouped by size keep their order; linear projection per size; counts", () => {
  const manifest = {
    totalFeatures: 9,
    fields: [
      { offset: 0, vocabularySize: 3 },
      { offset: 3, vocabularySize: 2 },
      { offset: 5, vocabularySize: 4 },
    ],
  } as ConstructorParameters<typeof PlanEmbedding>[2];
  const dims = [2, 4, 2];
  const emb = new PlanEmbedding(3, dims, manifest, "zeropad", 4, randomStream(1, "init"));
  assert.deepEqual(emb.sizes, [2, 4]);
  const ids = Int32Array.from([1, 4, 8, 0, 3, 5]); // 2 rows
  const touched = emb.sparse.map((p) => new TouchCollector(p).collect(ids, 2, 3));
  const out = emb.forward(touched, 2, { training: false, step: 0 }).arraySync();
  // field 1 (size 4) is table "size4" row (4 − 3) = 1; field 2 (size 2) is table "size2" row 3 + (8 − 5) = 6
  const row = (t: number, r: number, d: number) => [...emb.sparse[t].table.row(r)];
  assert.deepEqual(
    out[0][1].map((x) => Math.fround(x)),
    row(1, 1, 4),
  );
  assert.deepEqual(out[0][2], [...row(0, 6, 2), 0, 0]);
  assert.deepEqual(out[1][0], [...row(0, 0, 2), 0, 0]);
  assert.deepEqual(emb.parameterCounts(), { embedding: 3 * 2 + 2 * 4 + 4 * 2, transform: 0, architecture: 0 });
  const linear = new PlanEmbedding(3, dims, manifest, "linear", 4, randomStream(1, "init"));
  assert.deepEqual(linear.parameterCounts(), { embedding: 22, transform: 2 * 4 + 4 + 4 * 4 + 4, architecture: 0 });
});

test("model parameter counts: first-order per feature; MLP as the paper's 2×128 with BatchNorm", () => {
  const fm = new CtrModel("fm", 3, 4, 20, randomStream(1, "init"));
  assert.deepEqual(fm.parameterCounts(), { firstOrder: 20, dense: 1 });
  const deep = new CtrModel("deepfm", 3, 4, 20, randomStream(1, "init"));
  // (12·128 + 128) + 2·128 (BN γ, β) + (128·128 + 128) + 2·128 + (128 + 1) + bias 1
  assert.deepEqual(deep.parameterCounts(), {
    firstOrder: 20,
    dense: 12 * 128 + 128 + 256 + 128 * 128 + 128 + 256 + 129 + 1,
  });
});

test("second-order DARTS: the α gradient equals d/dα L_val(w − ξ∇_w L_train(w, α), α) by finite differences; W is left as it was", async () => {
  const { Network } = await import("../../src/train/network.js");
  const F = 3;
  const total = 12; // 4 values per field
  const rng = randomStream(21, "init", "second-order");
  const makeBatch = (size: number) => {
    const ids = new Int32Array(size * F);
    for (let i = 0; i < ids.length; i++) ids[i] = (i % F) * 4 + rng.int(4);
    return { ids, labels: Float32Array.from({ length: size }, () => (rng.next() < 0.4 ? 1 : 0)), size };
  };
  const train = makeBatch(16);
  const val = makeBatch(16);
  const emb = new AutoDimSearchEmbedding(
    F,
    total,
    { candidates: [1, 2, 4], lookup: "shared", unify: "linear", mixScale: 1 },
    TemperatureSchedule.linear(5e-5),
    randomStream(5, "init"),
    constantGumbelStream(),
  ); // a deterministic loss for finite differences
  emb.sparse[0].table.initNormal(randomStream(6, "init"), 0.5);
  const model = new CtrModel("fm", F, emb.outputDim, total, randomStream(5, "init", "model"));
  const network = new Network(emb, model, F);
  // A non-uniform α, so the softmax is not at a symmetric point.
  emb.logAlpha.assign(tf.log(tf.tensor2d([0.2, 0.5, 0.3, 0.6, 0.1, 0.3, 0.25, 0.25, 0.5], [3, 3])));
  const ctx = { training: true, step: 0 };
  const xi = 0.5; // large, so the second-order term is far from negligible
  const table = emb.sparse[0].table;
  const before = { rows: table.values(), dense: network.dense.map((v) => v.dataSync().slice()) };

  const second = network.secondOrderArchitectureGradient(train, val, ctx, xi)[0];
  assert.deepEqual(table.values(), before.rows, "embedding rows restored bit for bit");
  network.dense.forEach((v, i) => assert.deepEqual(v.dataSync(), before.dense[i], `${v.name} restored`));

  const alpha0 = emb.logAlpha.dataSync().slice() as Float32Array;
  const unrolled = (a: Float32Array) => {
    emb.logAlpha.assign(tf.tensor2d(a, [3, 3]));
    return network.withVirtualStep(train, ctx, xi, () => network.lossAt(val, ctx));
  };
  const first = tf.tidy(() => {
    emb.logAlpha.assign(tf.tensor2d(alpha0, [3, 3]));
    const { grads, value } = tf.variableGrads(() => {
      const t = new TouchCollector(emb.sparse[0]).collect(val.ids, val.size, F);
      const tm = new TouchCollector(model.sparse[0]).collect(val.ids, val.size, F);
      const logits = model.forward(emb.forward([t], val.size, ctx), tm, ctx);
      return tf.losses.sigmoidCrossEntropy(tf.tensor1d(val.labels), logits) as tf.Scalar;
    }, [emb.logAlpha]);
    value.dispose();
    return grads[emb.logAlpha.name].dataSync().slice() as Float32Array;
  });
  let correction = 0;
  const h = 1e-2;
  for (let i = 0; i < 9; i++) {
    const plus = alpha0.slice();
    const minus = alpha0.slice();
    plus[i] += h;
    minus[i] -= h;
    const numeric = (unrolled(plus) - unrolled(minus)) / (2 * h);
    const tol = 0.03 * Math.max(Math.abs(numeric), Math.abs(second[i])) + 2e-3;
    assert.ok(
      Math.abs(numeric - second[i]) <= tol,
      `α[${i}]: second-order ${second[i]} vs numeric ${numeric} (first-order ${first[i]})`,
    );
    correction = Math.max(correction, Math.abs(second[i] - first[i]));
  }
  assert.ok(correction > 0.01, `the second-order term is visible (max |second − first| = ${correction})`);
  network.dispose();
});

test("warm start: plan tables are the searched rows' prefixes (or the size's own table); projections are the searched W_d, b_d", async () => {
  const { saveWeights, loadWeights } = await import("../../src/tables/weights.js");
  const { tempDir } = await import("../helpers.js");
  const F = 3;
  const manifest = {
    totalFeatures: 9,
    fields: [0, 1, 2].map((m) => ({
      name: `f${m}`,
      kind: "cat" as const,
      vocabularySize: 3,
      offset: 3 * m,
      kept: 1,
      rareValues: 0,
    })),
  };
  const candidates = [1, 2, 4];
  for (const lookup of ["shared", "separate"] as const) {
    const search = new AutoDimSearchEmbedding(
      F,
      9,
      { candidates, lookup, unify: "linear", mixScale: 0.1 },
      TemperatureSchedule.linear(5e-5),
      randomStream(3, "init"),
      randomStream(3, "gumbel"),
    );
    for (const p of search.sparse) p.table.initNormal(randomStream(4, "init", p.table.name), 1);
    const file = `${tempDir()}/w.bin`;
    saveWeights(file, search.exportWeights());
    const weights = loadWeights(file);
    const dims = [2, 4, 2];
    const plan = new PlanEmbedding(F, dims, manifest, "linear", 4, randomStream(9, "init"));
    plan.warmStart(weights, { candidates, lookup, unify: "linear" }, manifest, file);
    const source = (d: number) =>
      lookup === "shared" ? search.sparse[0].table : search.sparse[candidates.indexOf(d)].table;
    for (let m = 0; m < F; m++) {
      const d = dims[m];
      const g = plan.sizes.indexOf(d);
      const t = plan.sparse[g].table;
      const rowOf = plan.sparse[g].rowOf as Int32Array;
      for (let i = 0; i < 3; i++) {
        const id = 3 * m + i;
        const src = source(d);
        assert.deepEqual(
          Array.from(t.row(rowOf[id])),
          Array.from(src.row(id).subarray(0, d)),
          `${lookup}: field ${m} value ${i}`,
        );
      }
    }
    // The projection of size 2 maps a row as the search's unification W_2ᵀx + b_2 does.
    const x = tf.tensor2d([[0.3, -1.2]]);
    const viaPlan = (plan.projections.get(2) as { apply(x: tf.Tensor2D): tf.Tensor2D }).apply(x).dataSync();
    const named = [...weights.values()];
    let expected: number[];
    if (lookup === "shared") {
      const W = weights.get("unify/W") as (typeof named)[number];
      const b = weights.get("unify/b") as (typeof named)[number];
      const n = 1;
      expected = [0, 1, 2, 3].map(
        (j) => 0.3 * W.data[0 * 12 + n * 4 + j] - 1.2 * W.data[1 * 12 + n * 4 + j] + b.data[n * 4 + j],
      );
    } else {
      const W = weights.get("unify/W2") as (typeof named)[number];
      const b = weights.get("unify/b2") as (typeof named)[number];
      expected = [0, 1, 2, 3].map((j) => 0.3 * W.data[j] - 1.2 * W.data[4 + j] + b.data[j]);
    }
    expected.forEach((e, j) =>
      assert.ok(Math.abs(viaPlan[j] - e) < 1e-5, `${lookup}: projection coordinate ${j}: ${viaPlan[j]} vs ${e}`),
    );
    // Weights of other data are refused with the file and the mismatch named.
    const other = { ...manifest, totalFeatures: 10 };
    assert.throws(
      () => plan.warmStart(weights, { candidates, lookup, unify: "linear" }, other, file),
      /w\.bin: lookup\/(shared|separate\d) has shape .* need/,
    );
    x.dispose();
    search.dispose();
    plan.dispose();
  }
});
