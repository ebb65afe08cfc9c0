// Shrink (ours, issue 31): the PCA it truncates with against brute force, the greedy allocation
// against exhaustive search, the decision rule, the paired statistics against direct formulas,
// and the method end to end on learnable data (every field's decision reported).
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { logloss } from "../../src/data/metrics.js";
import { symmetricEigen, truncateRow, weightedComponents } from "../../src/embedding/pca.js";
import {
  allocateSizes,
  chooseByValidation,
  decideSizes,
  loglossGain,
  pairedIncrease,
  rowLosses,
  type FieldProbe,
} from "../../src/embedding/shrink.js";
import { PreparedData } from "../../src/data/batches.js";
import { quickSettings, SHRINK_MAX_VALIDATION_DROP, SHRINK_SHARE_GRID } from "../../src/methods/defaults.js";
import { METHODS } from "../../src/methods/registry.js";
import type { ShrinkRecord } from "../../src/methods/shrink.js";
import type { MethodSettings } from "../../src/methods/types.js";
import { initRuntime } from "../../src/accel/index.js";
import { randomStream } from "../../src/core/random.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { aboveChance, learnableSyntheticData, tempDir } from "../helpers.js";

before(async () => {
  await initRuntime();
});

function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = randomStream(seed, "bench", "eigen");
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      const x = rng.normal();
      a[i * n + j] = x;
      a[j * n + i] = x;
    }
  return a;
}

test("symmetricEigen: A·v = λ·v, orthonormal vectors, Σλ = trace, descending", () => {
  for (const n of [1, 2, 6, 32]) {
    const a = randomSymmetric(n, n);
    const { values, vectors } = symmetricEigen(a, n);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i];
    assert.ok(Math.abs(values.reduce((x, y) => x + y, 0) - trace) < 1e-9 * n, `n=${n} trace`);
    for (let k = 0; k < n; k++) {
      if (k > 0) assert.ok(values[k] <= values[k - 1] + 1e-12);
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[k][j];
        assert.ok(Math.abs(av - values[k] * vectors[k][i]) < 1e-9, `n=${n} k=${k} residual`);
      }
      for (let l = 0; l < n; l++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += vectors[k][j] * vectors[l][j];
        assert.ok(Math.abs(dot - (k === l ? 1 : 0)) < 1e-9, `n=${n} orthonormal ${k},${l}`);
      }
    }
  }
});

test("weighted PCA truncation: its error is the discarded variance, and no random subspace of that rank does better", () => {
  const rng = randomStream(3, "bench", "pca");
  const dim = 8;
  // Rows with a strong 3-d structure plus small noise, some read far more often than others.
  const basis = Array.from({ length: 3 }, () => Array.from({ length: dim }, () => rng.normal()));
  const rows = Array.from({ length: 60 }, () => {
    const c = basis.map(() => 2 * rng.normal());
    return Float32Array.from(
      { length: dim },
      (_, j) => 0.5 + c.reduce((a, x, k) => a + x * basis[k][j], 0) + 0.05 * rng.normal(),
    );
  });
  const weights = rows.map((_, i) => 1 + (i % 7) * 3);
  const total = weights.reduce((a, b) => a + b, 0);
  const comps = weightedComponents(rows, weights, dim);
  const error = (d: number, project: (r: Float32Array, out: Float64Array) => void) => {
    const out = new Float64Array(dim);
    return rows.reduce((acc, r, i) => {
      project(r, out);
      return acc + (weights[i] / total) * r.reduce((a, x, j) => a + (x - out[j]) ** 2, 0);
    }, 0);
  };
  for (const d of [0, 1, 2, 3, 5, 8]) {
    const e = error(d, (r, out) => truncateRow(r, comps, d, out));
    const discarded = comps.variances.slice(d).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(e - discarded) < 1e-6 * Math.max(1, discarded), `d=${d}: ${e} vs ${discarded}`);
    if (d === 0 || d === dim) continue;
    // Random rank-d affine subspaces through the weighted mean: never better.
    for (let t = 0; t < 20; t++) {
      const q = Array.from({ length: d }, () => Array.from({ length: dim }, () => rng.normal()));
      for (let k = 0; k < d; k++) {
        for (let l = 0; l < k; l++) {
          const dot = q[k].reduce((a, x, j) => a + x * q[l][j], 0);
          q[k] = q[k].map((x, j) => x - dot * q[l][j]);
        }
        const norm = Math.sqrt(q[k].reduce((a, x) => a + x * x, 0));
        q[k] = q[k].map((x) => x / norm);
      }
      const random = error(d, (r, out) => {
        for (let j = 0; j < dim; j++) out[j] = comps.mean[j];
        for (const v of q) {
          const dot = v.reduce((a, x, j) => a + (r[j] - comps.mean[j]) * x, 0);
          for (let j = 0; j < dim; j++) out[j] += dot * v[j];
        }
      });
      assert.ok(e <= random + 1e-9, `d=${d}: PCA ${e} > random ${random}`);
    }
  }
  // Weight 2 is the row twice.
  const twice = weightedComponents([...rows, rows[0]], [...weights.map((w, i) => (i === 0 ? w - 1 : w)), 1], dim);
  for (let j = 0; j < dim; j++) assert.ok(Math.abs(twice.mean[j] - comps.mean[j]) < 1e-9);
  assert.ok(Math.abs(twice.variances[0] - comps.variances[0]) < 1e-9);
});

const CANDIDATES = [2, 8, 16, 32];

function probe(name: string, vocabularySize: number, increase: number[], se = 0.0001): FieldProbe {
  return {
    name,
    vocabularySize,
    increase,
    se: increase.map((_, i) => (i === increase.length - 1 ? 0 : se)),
    stepSe: [se, se, se],
  };
}

test("allocateSizes: within the tolerance, no further step fits, and on small cases it saves what exhaustive search saves", () => {
  const rng = randomStream(9, "bench", "alloc");
  for (let t = 0; t < 200; t++) {
    const fields = 1 + Math.floor(rng.next() * 4);
    // Convex, falling cost curves: the shape the probes have (each halving costs more than the last).
    const probes = Array.from({ length: fields }, (_, m) => {
      const scale = rng.next() < 0.3 ? 0 : 0.01 * rng.next();
      const a = scale * (1 + rng.next());
      return probe(`f${m}`, 1 + Math.floor(rng.next() * 1000), [a * 3.5 + scale, a * 1.5, a * 0.5, 0]);
    });
    const tolerance = 0.02 * rng.next();
    const { dims, predictedIncrease, steps } = allocateSizes(probes, CANDIDATES, tolerance);
    const cost = (d: number[]) => probes.reduce((a, p, m) => a + Math.max(0, p.increase[CANDIDATES.indexOf(d[m])]), 0);
    const params = (d: number[]) => probes.reduce((a, p, m) => a + p.vocabularySize * d[m], 0);
    assert.ok(cost(dims) <= tolerance + 1e-15);
    assert.ok(Math.abs(predictedIncrease - cost(dims)) < 1e-15);
    assert.equal(
      steps.length,
      dims.reduce((a, d) => a + (CANDIDATES.length - 1 - CANDIDATES.indexOf(d)), 0),
    );
    for (let m = 0; m < fields; m++) {
      const i = CANDIDATES.indexOf(dims[m]);
      if (i === 0) continue;
      const next = [...dims];
      next[m] = CANDIDATES[i - 1];
      assert.ok(cost(next) > tolerance, `case ${t}: field ${m} could still shrink`);
    }
    // Exhaustive search over every plan.
    let best = Infinity;
    const walk = (m: number, d: number[]) => {
      if (m === fields) {
        if (cost(d) <= tolerance) best = Math.min(best, params(d));
        return;
      }
      for (const c of CANDIDATES) walk(m + 1, [...d, c]);
    };
    walk(0, []);
    // Greedy by cost per parameter is the LP-relaxation's order: never more than one step's parameters from the optimum.
    const maxStep = Math.max(...probes.map((p) => p.vocabularySize * 16));
    assert.ok(params(dims) <= best + maxStep, `case ${t}: greedy ${params(dims)} vs best ${best}`);
  }
  // Free fields go to the smallest size; no tolerance keeps every costly field full.
  const free = allocateSizes(
    [probe("noise", 100, [0, 0, 0, 0]), probe("signal", 100, [0.01, 0.005, 0.001, 0])],
    CANDIDATES,
    0,
  );
  assert.deepEqual(free.dims, [2, 32]);
  const all = allocateSizes([probe("a", 10, [1, 1, 1, 0]), probe("b", 10, [1, 1, 1, 0])], CANDIDATES, Infinity);
  assert.deepEqual(all.dims, [2, 2]);
});

test("decideSizes: kept fields are decided by z ≥ 2 on the next step, fields at the smallest by the tolerance", () => {
  const probes: FieldProbe[] = [
    {
      name: "kept",
      vocabularySize: 10,
      increase: [0.01, 0.004, 0.001, 0],
      se: [0.001, 0.001, 0.0005, 0],
      stepSe: [0.002, 0.001, 0.0005],
    },
    {
      name: "weak",
      vocabularySize: 10,
      increase: [0.01, 0.0045, 0.004, 0],
      se: [0.001, 0.001, 0.001, 0],
      stepSe: [0.002, 0.001, 0.001],
    },
    {
      name: "noise",
      vocabularySize: 10,
      increase: [0.0001, 0, 0, 0],
      se: [0.0002, 0.0001, 0.0001, 0],
      stepSe: [0.0001, 0.0001, 0.0001],
    },
    {
      name: "risky",
      vocabularySize: 10,
      increase: [0.0015, 0, 0, 0],
      se: [0.0006, 0.0001, 0.0001, 0],
      stepSe: [0.0001, 0.0001, 0.0001],
    },
  ];
  const d = decideSizes(probes, CANDIDATES, [16, 16, 2, 2], 0.002);
  assert.deepEqual(
    d.map((x) => [x.name, x.decided]),
    [
      ["kept", true],
      ["weak", false],
      ["noise", true],
      ["risky", false],
    ],
  );
  assert.ok(Math.abs((d[0].nextStep?.z ?? 0) - 3) < 1e-12);
  assert.equal(d[2].nextStep, null);
});

test("rowLosses and pairedIncrease agree with the direct formulas", () => {
  const rng = randomStream(4, "bench", "rows");
  const n = 500;
  const labels = Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
  const p = Float32Array.from({ length: n }, () => rng.next());
  const q = Float32Array.from({ length: n }, () => rng.next());
  const lp = rowLosses(labels, p, new Float64Array(n));
  const lq = rowLosses(labels, q, new Float64Array(n));
  assert.ok(Math.abs(lp.reduce((a, b) => a + b, 0) / n - logloss(labels, p)) < 1e-6);
  const d = pairedIncrease(lp, lq);
  const diffs = Array.from(lp, (x, i) => x - lq[i]);
  const mean = diffs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(diffs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  assert.ok(Math.abs(d.mean - mean) < 1e-12);
  assert.ok(Math.abs(d.se - sd / Math.sqrt(n)) < 1e-12);
});

test("loglossGain: the constant predictor's logloss by the entropy formula, minus the model's mean loss", () => {
  const rng = randomStream(5, "bench", "rows");
  const n = 400;
  const labels = Array.from({ length: n }, () => (rng.next() < 0.25 ? 1 : 0));
  const model = rowLosses(
    labels,
    Float32Array.from({ length: n }, () => rng.next()),
    new Float64Array(n),
  );
  const base = 0.3;
  const g = loglossGain(labels, base, model);
  // −[k·ln p + (n − k)·ln(1 − p)] / n for k positives: the cross-entropy of a constant p.
  const k = labels.reduce((a: number, b) => a + b, 0);
  const constant = -(k * Math.log(base) + (n - k) * Math.log(1 - base)) / n;
  assert.ok(Math.abs(g.constant - constant) < 1e-12);
  assert.ok(Math.abs(g.model - model.reduce((a, b) => a + b, 0) / n) < 1e-12);
  assert.ok(Math.abs(g.gain - (constant - g.model)) < 1e-12);
});

/** Shrink with FM on the learnable synthetic data (2 epochs), these Shrink settings: the data, settings, result and record. */
async function runShrink(shrink: MethodSettings["shrink"]) {
  const data = new PreparedData(await learnableSyntheticData());
  const base = quickSettings("fm", 7);
  const s = { ...base, train: { ...base.train, epochs: 2, patience: 1, batchSize: 256 }, shrink };
  const r = await METHODS.shrink.run(data, s, { progress: false });
  return { data, s, r, rec: r.selection?.detail as unknown as ShrinkRecord };
}

test("shrink with a gain share: its tolerance is that share of the full model's gain over the training click rate", async () => {
  const { data, s, r, rec } = await runShrink({ tolerance: 0.008, gainShare: 0.05 });
  assert.ok(rec.gainShare, "the record names the rule");
  assert.equal(rec.gainShare.share, 0.05);
  // The gain is the constant predictor's validation logloss minus the full model's.
  const m = data.manifest;
  const p = m.positives.train / m.rows.train;
  const pv = m.positives.val / m.rows.val;
  const constant = -(pv * Math.log(p) + (1 - pv) * Math.log(1 - p));
  assert.ok(
    Math.abs(rec.gainShare.constantLogloss - constant) < 1e-9,
    `${rec.gainShare.constantLogloss} vs ${constant}`,
  );
  // The full model's mean validation loss (probabilities clipped at 1e-7, as everywhere) is its logloss.
  assert.ok(Math.abs(rec.gainShare.gain - (constant - rec.full.validationLogloss)) < 1e-5);
  assert.equal(rec.tolerance, 0.05 * rec.gainShare.gain);
  assert.ok(rec.joint.measured <= rec.tolerance || rec.steps.length === 0);
});

test("shrink end to end: probes every field, reports every decision, stays within the tolerance, and learns", async () => {
  const { data, s, r, rec } = await runShrink({ tolerance: 0.003 });
  const F = data.fieldCount;
  assert.equal(rec.probes.length, F);
  assert.equal(rec.decisions.length, F);
  assert.equal(rec.tolerance, 0.003);
  for (const p of rec.probes) {
    assert.equal(p.increase.length, s.candidates.length);
    assert.equal(p.increase[s.candidates.length - 1], 0);
    assert.ok(p.se.every((x) => x >= 0 && Number.isFinite(x)));
  }
  assert.ok(rec.joint.measured <= rec.tolerance || rec.steps.length === 0);
  assert.deepEqual(
    r.dims.map((d) => d.dim),
    rec.decisions.map((d) => d.size),
  );
  const full = data.manifest.fields.reduce((a, f) => a + f.vocabularySize * 32, 0);
  assert.ok(r.params.embedding <= full);
  assert.equal(
    r.params.embedding,
    rec.decisions.reduce((a, d, m) => a + d.size * data.manifest.fields[m].vocabularySize, 0),
  );
  assert.ok(r.test.auc > aboveChance(data.manifest.positives.test, data.manifest.rows.test), `test AUC ${r.test.auc}`);
});

test("shrink with a warm start: the plan starts as the full model truncated to it, with a projection per field, and never ends below that start on validation", async () => {
  const { data, s, r, rec } = await runShrink({ tolerance: 0.003, warmStart: true });
  assert.equal(rec.warmStart, true);
  assert.equal(r.config.projection, "field-linear");
  // A projection (d × 32 + 32) per field narrower than 32, none for a full-width field.
  assert.equal(
    r.params.transform,
    r.dims.reduce((a, { dim }) => a + (dim < 32 ? dim * 32 + 32 : 0), 0),
  );
  // Epoch 0 is the truncation; a later epoch is kept only when its validation AUC is higher.
  const best = r.bestValidation;
  for (const h of r.history)
    assert.ok(h.validation.auc <= best.auc, `epoch ${h.epoch} beats the kept epoch ${best.epoch}`);
  assert.ok(r.test.auc > aboveChance(data.manifest.positives.test, data.manifest.rows.test), `test AUC ${r.test.auc}`);
});

test("chooseByValidation: the largest saving within the drop, ties to the higher AUC, none within it the highest AUC (brute force)", () => {
  const rng = randomStream(11, "bench", "choose");
  for (let trial = 0; trial < 300; trial++) {
    const n = 1 + rng.int(6);
    // Few distinct values, so ties in saving and AUC occur.
    const plans = Array.from({ length: n }, () => ({
      saved: rng.int(4) * 100,
      validationAuc: 0.7 + rng.int(5) * 0.001,
    }));
    const full = 0.7 + rng.int(5) * 0.001;
    const drop = 0.0015;
    const { index, fallback } = chooseByValidation(plans, full, drop);
    const within = plans.map((p, i) => ({ ...p, i })).filter((p) => p.validationAuc >= full - drop);
    if (within.length === 0) {
      assert.equal(fallback, true);
      assert.equal(plans[index].validationAuc, Math.max(...plans.map((p) => p.validationAuc)));
    } else {
      assert.equal(fallback, false);
      const sorted = [...within].sort((a, b) => b.saved - a.saved || b.validationAuc - a.validationAuc || a.i - b.i);
      assert.equal(index, sorted[0].i, JSON.stringify({ plans, full }));
    }
  }
  assert.throws(() => chooseByValidation([], 0.7, 0.001), /no plans/);
});

test("shrink choosing its share: every share's plan scored on validation, the rule's pick taken, and the warm start is that plan's truncation", async () => {
  const { data, s, r, rec } = await runShrink({ tolerance: 0.008, chooseShare: true, warmStart: true });
  const choice = rec.shareChoice;
  assert.ok(choice, "the record carries the choice");
  assert.deepEqual(
    choice.plans.map((p) => p.share),
    SHRINK_SHARE_GRID,
  );
  assert.equal(choice.maxDrop, SHRINK_MAX_VALIDATION_DROP);
  // The probes' pass over the restored full model is the full model's best validation.
  assert.ok(Math.abs(choice.fullValidationAuc - rec.full.validationAuc) < 1e-9);
  // The pick by brute force over the recorded plans.
  const within = choice.plans.filter((p) => p.validationAuc >= choice.fullValidationAuc - choice.maxDrop);
  const expected = within.length
    ? within.reduce((a, b) => (b.saved > a.saved || (b.saved === a.saved && b.validationAuc > a.validationAuc) ? b : a))
    : choice.plans.reduce((a, b) => (b.validationAuc > a.validationAuc ? b : a));
  assert.equal(choice.chosen, expected.share);
  assert.equal(choice.fallback, within.length === 0);
  // The plan taken is that share's: its tolerance, its saving in the re-trained plan's parameters.
  const taken = choice.plans.find((p) => p.share === choice.chosen)!;
  assert.equal(rec.gainShare?.share, choice.chosen);
  assert.equal(rec.tolerance, taken.tolerance);
  const full = data.manifest.fields.reduce((a, f) => a + f.vocabularySize * 32, 0);
  assert.equal(full - r.params.embedding, taken.saved);
  // The warm re-train starts as the truncation scored in the choice (an independent path: the
  // plan's own embedding, not the full table with rows overwritten) and ends no lower.
  assert.ok(r.bestValidation.auc >= taken.validationAuc - 2e-3, `${r.bestValidation.auc} vs ${taken.validationAuc}`);
  if (r.bestValidation.epoch === 0)
    assert.ok(
      Math.abs(r.bestValidation.auc - taken.validationAuc) < 2e-3,
      `${r.bestValidation.auc} vs ${taken.validationAuc}`,
    );
});

test("notebook 10's compare step: Shrink and FDE per seed, the paired interval, every field's decision, the command lines", async () => {
  const { shrinkYourData, shrinkDecisionTable, shrinkFlags, shrinkVerdict } =
    await import("../../src/experiments/yourdata-shrink.js");
  const { yourDataDefaults } = await import("../../src/experiments/yourdata.js");
  const prepared = await learnableSyntheticData();
  const runs = join(tempDir(), "runs");
  const s = {
    ...yourDataDefaults("smoke"),
    prepared,
    runs,
    retrain: { epochs: 1, patience: 1, batchSize: 256, learningRate: 1e-3 },
  };
  const c = await shrinkYourData(s, [1, 2], { tolerance: 0.003 }, 50);
  assert.equal(c.fde.length, 2);
  assert.equal(c.shrink.length, 2);
  assert.ok(c.delta.low <= c.delta.delta && c.delta.delta <= c.delta.high);
  const direct = (c.shrink[0].test.auc - c.fde[0].test.auc + c.shrink[1].test.auc - c.fde[1].test.auc) / 2;
  assert.ok(Math.abs(c.delta.delta - direct) < 1e-9, `${c.delta.delta} vs ${direct}`);
  assert.match(shrinkVerdict(c), /2 seeds: too few to claim anything/);
  const table = shrinkDecisionTable(c);
  assert.equal(table.trim().split("\n").length, 2 + c.decisions[0].length);
  assert.equal(c.commands.length, 4);
  assert.match(c.commands[1], /^npx autodim run --method shrink .* --seed 1 --tolerance 0\.003 --out /);
  for (const f of ["fde-seed1.json", "shrink-seed2.json"]) assert.ok(existsSync(join(runs, f)), f);
  // Every rule's flags are `run`'s: a gain share replaces the tolerance, switches follow.
  assert.equal(shrinkFlags({ tolerance: 0.003 }), "--tolerance 0.003");
  assert.equal(shrinkFlags({ tolerance: 0.008, gainShare: 0.05, warmStart: true }), "--gain-share 0.05 --warm-start");
  assert.equal(shrinkFlags({ gainShare: 0.02, fieldProjection: true }), "--gain-share 0.02 --field-projection");
  assert.equal(shrinkFlags({ chooseShare: true, warmStart: true }), "--choose-share --warm-start");
});
