// The search supernet's arithmetic against an independent PyTorch implementation
// (test/fixtures/torch/autodim_supernet.py, written from the paper's equations, float64): on fixed tiny
// inputs, AutoDimSearchEmbedding.forward — the module the search trains — gives the same mixed
// embeddings, and through a fixed FM head and BCE the same loss and gradients in α, the table
// rows and the unification weights, for AD-1..AD-4, with the fused BatchNorm + mixture kernel
// and with the composed tfjs ops. Tolerance: |ours − torch| ≤ 1e-5 + 1e-5·|torch| per entry.
// Needs Debian's python3-torch at /usr/bin/python3: skipped without it, except under CI=true,
// where a missing torch fails (.ci/run installs it).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { AutoDimSearchEmbedding, gumbelNoise, TemperatureSchedule } from "../../src/embedding/autodim.js";
import { DEFAULT_SEARCH, PAPER_CANDIDATES } from "../../src/methods/defaults.js";
import { fmInteraction } from "../../src/models/ctr.js";
import { EMBEDDING_INIT_STD } from "../../src/models/embedding.js";
import { initRuntime } from "../../src/accel/index.js";
import { batchNormMixAvailable } from "../../src/models/batch-norm-mix.js";
import { randomStream } from "../../src/core/random.js";
import { TouchCollector } from "../../src/tables/touch.js";
import type { LookupKind, UnifyKind } from "../../src/train/schemas.js";

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(process.cwd(), "test", "fixtures", "torch", "autodim_supernet.py");
const ATOL = 1e-5;
const RTOL = 1e-5;
const BN_EPSILON = 1e-5; // src/embedding/autodim.ts's BN_EPSILON (torch's default too)
const IN_CI = process.env.CI !== undefined && !["", "0", "false"].includes(process.env.CI);

const info = await initRuntime();
// Read at load: `skip` is decided when the tests are defined.
const torchProbe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
const torchMissing =
  torchProbe.status === 0
    ? undefined
    : `PyTorch is not importable by ${PYTHON} (${(torchProbe.error?.message ?? torchProbe.stderr).trim().split("\n").pop()}); ` +
      "install: apt-get install -y python3-torch libopenblas0-pthread";
/** Runs `f` with AUTODIM_FUSED_MIX set as given (the switch between the two training paths). */
function withFusedMix<T>(fused: boolean, f: () => T): T {
  const previous = process.env.AUTODIM_FUSED_MIX;
  process.env.AUTODIM_FUSED_MIX = fused ? "1" : "0";
  try {
    return f();
  } finally {
    if (previous === undefined) delete process.env.AUTODIM_FUSED_MIX;
    else process.env.AUTODIM_FUSED_MIX = previous;
  }
}
const fusedMissing = withFusedMix(true, batchNormMixAvailable)
  ? undefined
  : `the fused BatchNorm + mixture kernel is not registered on ${info.backend} (it exists on wasm with the element-wise addon)`;
/**
 * Locally a missing prerequisite skips; in CI it fails, so CI proves the check ran. The fused
 * kernel is required in CI on wasm only (CI builds the addon; other backends have no such kernel).
 */
const skipUnless = (torch: string | undefined, fused?: string) => {
  if (torch !== undefined) return IN_CI ? false : torch;
  if (fused !== undefined) return IN_CI && info.backend === "wasm" ? false : fused;
  return false;
};

const VARIANTS: { name: string; lookup: LookupKind; unify: UnifyKind }[] = [
  { name: "AD-1", lookup: "shared", unify: "zeropad" },
  { name: "AD-2", lookup: "shared", unify: "linear" },
  { name: "AD-3", lookup: "separate", unify: "zeropad" },
  { name: "AD-4", lookup: "separate", unify: "linear" },
];
// A tiny shape with a 1-wide candidate and rows at the search's initial scale (std 0.01: the
// variances are ~1e-4, so BatchNorm's ε = 1e-5 shows in the output), and the paper's
// candidates with rows of unit scale. Ids repeat within a batch, so a row's gradient sums
// several lookups.
const SHAPES = [
  { label: "tiny", batch: 8, fields: 3, features: 15, candidates: [1, 3, 6], rowStd: EMBEDDING_INIT_STD, step: 10_000 },
  {
    label: "paper candidates",
    batch: 24,
    fields: 4,
    features: 32,
    candidates: PAPER_CANDIDATES,
    rowStd: 1,
    step: 16_000,
  },
];
const TAU_DECAY = 5e-5;

interface Case {
  variant: string;
  shape: string;
  seed: number;
  /** The training step (τ follows it). */
  step: number;
  B: number;
  F: number;
  V: number;
  idsFlat: Int32Array;
  /** What the Python script reads (the paper's notation: W_n is [d_n, d_N]). */
  input: {
    candidates: number[];
    lookup: LookupKind;
    unify: UnifyKind;
    ids: number[][];
    labels: number[];
    tables: number[][][];
    W: number[][][];
    b: number[][];
    alpha: number[][];
    gumbel: number[][];
    tau: number;
    mix_scale: number;
    epsilon: number;
    head: { w0: number; h: number[][] };
  };
}

interface Reference {
  p: number[][];
  mixed: number[][][];
  loss: number;
  grad_alpha: number[][];
  grad_log_alpha: number[][];
  grad_tables: number[][][];
  grad_W: number[][][];
  grad_b: number[][];
}

const rows = (flat: ArrayLike<number>, width: number): number[][] =>
  Array.from({ length: flat.length / width }, (_, i) => Array.from(flat).slice(i * width, (i + 1) * width));

function buildCase(variant: (typeof VARIANTS)[number], shape: (typeof SHAPES)[number], seed: number): Case {
  const rng = randomStream(seed, "init", "torch-crosscheck");
  const { batch: B, fields: F, features: V, candidates } = shape;
  const N = candidates.length;
  const D = candidates[N - 1];
  // float32 values throughout: both sides then start from the same numbers
  const f32 = (v: number) => Math.fround(v);
  const perField = V / F;
  const idsFlat = Int32Array.from({ length: B * F }, (_, i) => (i % F) * perField + rng.int(Math.ceil(perField / 2)));
  const dims = variant.lookup === "shared" ? [D] : candidates;
  const tables = dims.map((d) =>
    rows(
      Float32Array.from({ length: V * d }, () => shape.rowStd * (rng.normal() + 0.3)),
      d,
    ),
  );
  const linear = variant.unify === "linear";
  const W = linear
    ? candidates.map((d) =>
        rows(
          Float32Array.from({ length: d * D }, () => (2 * rng.next() - 1) / Math.sqrt(d)),
          D,
        ),
      )
    : [];
  const b = linear ? candidates.map(() => Array.from(Float32Array.from({ length: D }, () => 0.3 * rng.normal()))) : [];
  // α away from uniform, not normalised (the selection is scale-free)
  const alpha = rows(
    Array.from({ length: F * N }, () => Math.exp(f32(0.8 * rng.normal()))),
    N,
  );
  const gumbel = rows(gumbelNoise(randomStream(seed, "gumbel"), F * N), N);
  return {
    variant: variant.name,
    shape: shape.label,
    seed,
    step: shape.step,
    B,
    F,
    V,
    idsFlat,
    input: {
      candidates,
      lookup: variant.lookup,
      unify: variant.unify,
      ids: rows(idsFlat, F),
      labels: Array.from({ length: B }, (_, i) => (i % 3 === 0 ? 1 : rng.int(2))),
      tables,
      W,
      b,
      alpha,
      gumbel,
      // The paper's τ, computed apart from the schedule the embedding reads it from.
      tau: Math.max(0.01, 1 - TAU_DECAY * shape.step),
      mix_scale: DEFAULT_SEARCH.mixScale,
      epsilon: BN_EPSILON,
      head: {
        w0: 0.1,
        h: rows(
          Float32Array.from({ length: F * D }, () => rng.normal()),
          D,
        ),
      },
    },
  };
}

const CASES = VARIANTS.flatMap((v, i) => SHAPES.map((s, j) => buildCase(v, s, 100 + 10 * i + j)));

let reference: Reference[] | undefined;
/** One Python process for every case (importing torch takes about a second). */
function torchReference(): Reference[] {
  if (reference) return reference;
  const run = spawnSync(PYTHON, [SCRIPT], {
    input: JSON.stringify(CASES.map((c) => c.input)),
    encoding: "utf8",
    maxBuffer: 64 << 20,
    timeout: 120_000,
    env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  assert.equal(run.status, 0, `${SCRIPT} failed: ${run.error?.message ?? run.stderr}`);
  reference = JSON.parse(run.stdout) as Reference[];
  assert.equal(reference.length, CASES.length);
  return reference;
}

interface Ours {
  mixed: Float32Array;
  loss: number;
  gradLogAlpha: Float32Array;
  /** Per table: the touched rows and their gradient [rows, d]. */
  gradTables: { rows: Int32Array; grad: Float32Array }[];
  /** The unification weights' gradients in the module's own layout. */
  gradDense: Float32Array[];
}

/** The real search module on a case: its weights set to the case's, one training forward, the loss's gradients. */
function runOurs(c: Case, fused: boolean): Ours {
  const { candidates, lookup, unify } = c.input;
  const N = candidates.length;
  const D = candidates[N - 1];
  const emb = new AutoDimSearchEmbedding(
    c.F,
    c.V,
    { candidates, lookup, unify, mixScale: c.input.mix_scale },
    TemperatureSchedule.linear(TAU_DECAY),
    randomStream(c.seed, "init", "unused"),
    randomStream(c.seed, "gumbel"), // draws the case's noise: gumbelNoise on the same stream
  );
  try {
    assert.equal(batchNormMixAvailable(), fused, "the path under test is the one forward takes");
    emb.sparse.forEach((p, i) => p.table.setValues(Float32Array.from(c.input.tables[i].flat())));
    if (unify === "linear" && lookup === "shared") {
      // One [d_N, N·d_N] kernel, block n = W_n in its first d_n rows; the rest is masked,
      // so fill it with junk the output must not see.
      const kernel = new Float32Array(D * N * D).fill(7);
      c.input.W.forEach((w, n) => w.forEach((row, i) => row.forEach((v, j) => (kernel[i * N * D + n * D + j] = v))));
      emb.dense[0].assign(tf.tensor2d(kernel, [D, N * D]));
      emb.dense[1].assign(tf.tensor1d(c.input.b.flat()));
    } else if (unify === "linear") {
      c.input.W.forEach((w, n) => {
        emb.dense[2 * n].assign(tf.tensor2d(w));
        emb.dense[2 * n + 1].assign(tf.tensor1d(c.input.b[n]));
      });
    }
    emb.logAlpha.assign(tf.tensor2d(c.input.alpha.map((r) => r.map(Math.log))));
    const touched = emb.sparse.map((p) => new TouchCollector(p).collect(c.idsFlat, c.B, c.F));
    const labels = tf.tensor1d(c.input.labels);
    const h = tf.tensor2d(c.input.head.h);
    const variables = [emb.logAlpha, ...touched.map((t) => t.values), ...emb.dense];
    let mixed: tf.Tensor3D | undefined;
    const { value, grads } = tf.variableGrads(() => {
      mixed = tf.keep(emb.forward(touched, c.B, { training: true, step: c.step }));
      const logit = tf.add(tf.add(tf.sum(tf.mul(mixed, h), [1, 2]), fmInteraction(mixed)), c.input.head.w0);
      // mean BCE with logits: softplus(z) − y·z
      return tf.mean(tf.sub(tf.softplus(logit), tf.mul(labels, logit))) as tf.Scalar;
    }, variables);
    const out: Ours = {
      mixed: (mixed as tf.Tensor3D).dataSync() as Float32Array,
      loss: value.dataSync()[0],
      gradLogAlpha: grads[emb.logAlpha.name].dataSync() as Float32Array,
      gradTables: touched.map((t) => ({ rows: t.rows, grad: grads[t.values.name].dataSync() as Float32Array })),
      gradDense: emb.dense.map((v) => grads[v.name].dataSync() as Float32Array),
    };
    tf.dispose([value, ...Object.values(grads), mixed as tf.Tensor, labels, h]);
    for (const t of touched) tf.dispose([t.values, t.local]);
    return out;
  } finally {
    emb.dispose();
  }
}

/** Largest differences of one quantity; relative over entries with |torch| ≥ 1e-3 (below, it is noise). */
class Differences {
  maxAbs = 0;
  maxRel = 0;
  /** Largest |torch| seen: the scale the absolute differences are to be read against. */
  scale = 0;
  compare(label: string, ours: ArrayLike<number>, torch: number[]): void {
    assert.equal(ours.length, torch.length, `${label}: ${ours.length} values vs torch's ${torch.length}`);
    for (let i = 0; i < torch.length; i++) {
      const diff = Math.abs(ours[i] - torch[i]);
      assert.ok(
        diff <= ATOL + RTOL * Math.abs(torch[i]),
        `${label}[${i}]: ours ${ours[i]} vs torch ${torch[i]} (|Δ| ${diff.toExponential(2)})`,
      );
      this.maxAbs = Math.max(this.maxAbs, diff);
      this.scale = Math.max(this.scale, Math.abs(torch[i]));
      if (Math.abs(torch[i]) >= 1e-3) this.maxRel = Math.max(this.maxRel, diff / Math.abs(torch[i]));
    }
  }
  toString(): string {
    return `max |Δ| ${this.maxAbs.toExponential(2)} (max |torch| ${this.scale.toExponential(1)}), max rel ${this.maxRel.toExponential(2)}`;
  }
}

function crossCheck(t: TestContext, c: Case, ref: Reference, fused: boolean): void {
  const ours = withFusedMix(fused, () => runOurs(c, fused));
  const { candidates, lookup, unify } = c.input;
  const N = candidates.length;
  const D = candidates[N - 1];
  const where = `${c.variant} ${c.shape} ${fused ? "fused" : "composed"}`;
  const forward = new Differences();
  forward.compare(`${where} mixed`, ours.mixed, ref.mixed.flat(2));
  forward.compare(`${where} loss`, [ours.loss], [ref.loss]);
  const alpha = new Differences();
  // ours trains log α: ∂L/∂α = (∂L/∂log α) / α
  const alphaFlat = c.input.alpha.flat();
  alpha.compare(`${where} ∂L/∂log α`, ours.gradLogAlpha, ref.grad_log_alpha.flat());
  alpha.compare(
    `${where} ∂L/∂α`,
    Array.from(ours.gradLogAlpha, (g, i) => g / alphaFlat[i]),
    ref.grad_alpha.flat(),
  );
  const weights = new Differences();
  ours.gradTables.forEach(({ rows: touchedRows, grad }, n) => {
    weights.compare(
      `${where} ∂L/∂table${n}`,
      grad,
      Array.from(touchedRows).flatMap((r) => ref.grad_tables[n][r]),
    );
  });
  if (unify === "linear" && lookup === "shared") {
    const [kernel, bias] = ours.gradDense;
    candidates.forEach((d, n) => {
      const block: number[] = [];
      for (let i = 0; i < D; i++)
        for (let j = 0; j < D; j++) {
          const g = kernel[i * N * D + n * D + j];
          if (i < d) block.push(g);
          else assert.ok(g === 0, `${where}: masked kernel entry [${i}, ${n * D + j}] has the gradient ${g}`);
        }
      weights.compare(`${where} ∂L/∂W${n}`, block, ref.grad_W[n].flat());
      weights.compare(`${where} ∂L/∂b${n}`, bias.slice(n * D, (n + 1) * D), ref.grad_b[n]);
    });
  } else if (unify === "linear") {
    candidates.forEach((_, n) => {
      weights.compare(`${where} ∂L/∂W${n}`, ours.gradDense[2 * n], ref.grad_W[n].flat());
      weights.compare(`${where} ∂L/∂b${n}`, ours.gradDense[2 * n + 1], ref.grad_b[n]);
    });
  }
  t.diagnostic(
    `${where}: forward (mixed, loss) ${forward}; ∂L/∂α ${alpha}; ∂L/∂(tables${unify === "linear" ? ", W, b" : ""}) ${weights}`,
  );
}

test("the PyTorch reference is available (required under CI=true)", { skip: skipUnless(torchMissing) }, () => {
  assert.equal(torchMissing, undefined, `${torchMissing} — CI must run the PyTorch cross-check`);
});

for (const fused of [false, true]) {
  for (const variant of VARIANTS) {
    const mode = fused ? "fused BatchNorm + mixture kernel" : "composed tfjs ops (AUTODIM_FUSED_MIX=0)";
    test(
      `${variant.name} (${variant.lookup} lookup, ${variant.unify}) matches PyTorch: forward, loss, ∂α, ∂tables${variant.unify === "linear" ? ", ∂W, ∂b" : ""} — ${mode}`,
      { skip: skipUnless(torchMissing, fused ? fusedMissing : undefined) },
      (t) => {
        assert.equal(torchMissing, undefined, torchMissing);
        if (fused) assert.equal(fusedMissing, undefined, fusedMissing);
        const ref = torchReference();
        CASES.forEach((c, i) => {
          if (c.variant === variant.name) crossCheck(t, c, ref[i], fused);
        });
      },
    );
  }
}
