// AutoDim (Zhao et al., WWW'21 "AutoDim: Field-aware Embedding Dimension Search in
// Recommender Systems"; arXiv 2006.14827), in the paper's order: steps 1–3 in this file,
// 4–5 in search.ts:
//
//   1. Candidate lookup      field m, candidates d_1 < … < d_N (paper: 2, 8, 16, 24, 32)
//        weight-sharing: one d_N-wide row per value, candidate n = its first d_n entries
//        separate:       one table per candidate
//   2. Dimension unification (candidates must be comparable before they are mixed)
//        linear:   x̃_n = W_nᵀ x_n + b_n, W_n ∈ R^{d_n×d_N} shared by all fields, then
//                  BatchNorm with batch statistics and no affine parameters
//        zero-pad: BatchNorm, then pad to d_N
//   3. Selection             p_m^n = softmax_n((log α_m^n + g_n) / τ), g ~ Gumbel(0, 1),
//                            x_m = Σ_n p_m^n x̃_m^n, τ = max(0.01, 1 − 5e-5·t)
//   4. Bi-level search       W on training batches (Adam); α on validation batches once
//                            every f training steps (Adam, first-order DARTS); after a
//                            warm-up with α fixed uniform. AutoDim-s: α with W on the
//                            training batch (one level).
//   5. Derive                k_m = argmax_n α_m^n → a dimension plan (JSON artefact)
//   6. Re-train              per-field tables of the chosen size d_{k_m}, projected to d_N
//                            (one linear map per size, shared by fields) so FM/DeepFM inner
//                            products are defined; no Gumbel noise, no search BatchNorm.
//                            Shared with every baseline, so it lives below this file:
//                            src/train/plan-embedding.ts and src/train/retrain.ts.
//
// Choices the paper leaves open are marked "Choice:".
import * as tf from "@tensorflow/tfjs";
import { AutodimError } from "../core/errors.js";
import {
  EMBEDDING_INIT_STD,
  type EmbeddingModule,
  type EmbeddingParameterCounts,
  type ReplicaModuleSpec,
} from "../models/embedding.js";
import { constantVariable, Dense, variableName, type StepContext } from "../models/layers.js";
import { batchNormMix, batchNormWithBatchStatistics, coordinateMask, mixCandidates } from "../models/batch-norm-mix.js";
import { type RandomStream, type StreamState } from "../core/random.js";
import { SparseTable, type SparseParam, type TouchedRows } from "../tables/sparse.js";
import { type NamedArray } from "../tables/weights.js";
import { TemperatureSchedule } from "./temperature.js";
import { candidatesProblem } from "../train/schemas.js";
import type { DimensionPlan, LookupKind, SearchConfig, SearchEmbeddingConfig, UnifyKind } from "../train/schemas.js";

export type { DimensionPlan, LookupKind, SearchConfig, SearchEmbeddingConfig, UnifyKind };

const BN_EPSILON = 1e-5;
/**
 * A normalised α at or below this is reported as practically unused (`plan.search.deadCandidates`).
 * α is trained as log-weights (see `gumbelSoftmax`), so such an entry still gets a gradient and can recover.
 */
export const ALPHA_FLOOR = 1e-6;
const BN_MOMENTUM = 0.1;

// ─────────────────────── 1–3. the search embedding (lookup, unification, mixing) ───────────────────────

/**
 * The supernet's embedding: every field offers every candidate size, unified to d_N and
 * mixed with Gumbel-softmax weights from α.
 */
export class AutoDimSearchEmbedding implements EmbeddingModule {
  readonly outputDim: number;
  readonly sparse: SparseParam[];
  readonly dense: tf.Variable[];
  readonly state: tf.Variable[];
  readonly architecture: tf.Variable[];
  /** log α [F, N], unconstrained (α itself is never stored: see `gumbelSoftmax`). */
  readonly logAlpha: tf.Variable;
  /** Linear unification, weight-sharing: all W_n in one [d_N, N·d_N] kernel (fused matmul). */
  private readonly sharedKernel?: tf.Variable;
  private readonly sharedKernelMask?: tf.Tensor2D;
  /** Linear unification, separate tables: one (W_n, b_n) each. */
  private readonly perCandidate?: Dense[];
  private readonly bias?: tf.Variable;
  /** [1, 1, N, d_N]: 1 where coordinate j < d_n (zero-padding and its masked BatchNorm). */
  private readonly candidateMask: tf.Tensor4D;
  /** Running BatchNorm statistics per (field, candidate), for evaluation. */
  private readonly runningMean: tf.Variable;
  private readonly runningVar: tf.Variable;
  /** When set, α is treated as fixed uniform and no noise is drawn (the warm-up). */
  frozenUniform = false;

  constructor(
    readonly fieldCount: number,
    readonly totalFeatures: number,
    readonly config: SearchEmbeddingConfig,
    /** τ at each step; the search resolves it from its config and length. */
    readonly tau: TemperatureSchedule,
    private readonly initRng: RandomStream,
    private readonly gumbelRng: RandomStream,
  ) {
    const c = config.candidates;
    validateCandidates(c);
    const N = c.length;
    const D = c[N - 1];
    this.outputDim = D;
    if (config.lookup === "shared") {
      this.sparse = [
        {
          table: new SparseTable("autodim/shared", totalFeatures, D).initNormal(initRng, EMBEDDING_INIT_STD),
          fields: allFields(fieldCount),
        },
      ];
    } else {
      this.sparse = c.map((d) => ({
        table: new SparseTable(`autodim/separate${d}`, totalFeatures, d).initNormal(initRng, EMBEDDING_INIT_STD),
        fields: allFields(fieldCount),
      }));
    }
    const dense: tf.Variable[] = [];
    if (config.unify === "linear") {
      if (config.lookup === "shared") {
        // Block n of the kernel is W_n (rows ≥ d_n masked to zero), init as torch's Linear(d_n, D).
        const kernel = new Float32Array(D * N * D);
        const mask = new Float32Array(D * N * D);
        c.forEach((d, n) => {
          const bound = 1 / Math.sqrt(d);
          for (let i = 0; i < d; i++) {
            for (let j = 0; j < D; j++) {
              kernel[i * N * D + n * D + j] = (2 * initRng.next() - 1) * bound;
              mask[i * N * D + n * D + j] = 1;
            }
          }
        });
        const k = tf.tensor2d(kernel, [D, N * D]);
        this.sharedKernel = tf.variable(k, true, variableName("autodim/W"));
        k.dispose();
        this.sharedKernelMask = tf.tensor2d(mask, [D, N * D]);
        // Choice: b_n = 0 at init (see Dense: a shared random bias aligns all fields).
        this.bias = constantVariable([N * D], 0, "autodim/b");
        dense.push(this.sharedKernel, this.bias);
      } else {
        this.perCandidate = c.map((d) => new Dense(d, D, initRng, `autodim/W${d}`, true));
        dense.push(...this.perCandidate.flatMap((l) => l.variables));
      }
    }
    this.dense = dense;
    this.candidateMask = coordinateMask(c, D);
    this.runningMean = constantVariable([1, fieldCount, N, 1], 0, "autodim/bn_mean", false);
    this.runningVar = constantVariable([1, fieldCount, N, 1], 1, "autodim/bn_var", false);
    this.state = [this.runningMean, this.runningVar];
    this.logAlpha = constantVariable([fieldCount, N], 0, "autodim/log_alpha"); // α uniform
    this.architecture = [this.logAlpha];
  }

  /** The candidates of every field, unified to d_N and normalised: [B, F, N, D]. */
  unifiedCandidates(touched: TouchedRows[], batch: number, ctx: StepContext): tf.Tensor4D {
    return this.normalise(this.candidatesToUnify(touched, batch), ctx);
  }

  /** The candidates of every field brought to d_N (linear map or zero-padding), before BatchNorm. */
  private candidatesToUnify(touched: TouchedRows[], batch: number): tf.Tensor4D {
    const c = this.config.candidates;
    const N = c.length;
    const D = this.outputDim;
    const F = this.fieldCount;
    let x: tf.Tensor4D;
    if (this.config.lookup === "shared") {
      const e = tf.gather(touched[0].values, touched[0].local) as tf.Tensor2D; // [B·F, D]
      if (this.config.unify === "linear") {
        const kernel = tf.mul(this.sharedKernel as tf.Variable, this.sharedKernelMask as tf.Tensor2D);
        x = tf.reshape(tf.add(tf.matMul(e, kernel), this.bias as tf.Variable), [batch, F, N, D]);
      } else {
        x = tf.mul(tf.reshape(e, [batch, F, 1, D]), this.candidateMask);
      }
    } else {
      const perN = c.map((d, n) => {
        const e = tf.gather(touched[n].values, touched[n].local) as tf.Tensor2D; // [B·F, d_n]
        return this.perCandidate
          ? this.perCandidate[n].apply(e)
          : tf.pad(e, [
              [0, 0],
              [0, D - d],
            ]);
      });
      x = tf.reshape(tf.stack(perN, 1), [batch, F, N, D]);
    }
    return x;
  }

  /** BatchNorm of unified candidates x [B, F, N, D]: batch statistics in training, running ones in evaluation. */
  private normalise(x: tf.Tensor4D, ctx: StepContext): tf.Tensor4D {
    if (ctx.training) {
      const { normalised, mean, variance, counts } = batchNormWithBatchStatistics(x, this.realDims(), BN_EPSILON);
      this.updateRunningStatistics(mean, variance, counts);
      return normalised;
    }
    let centered = tf.sub(x, this.runningMean);
    if (this.config.unify === "zeropad") centered = tf.mul(centered, this.candidateMask);
    return tf.mul(centered, tf.rsqrt(tf.add(this.runningVar, BN_EPSILON)));
  }

  /**
   * Real coordinates of each candidate after unification, those BatchNorm normalises: d_n when
   * zero-padded (the padding stays zero), d_N after a linear map.
   */
  private realDims(): number[] {
    const c = this.config.candidates;
    return this.config.unify === "zeropad" ? c : c.map(() => this.outputDim);
  }

  /** p [F, N] for this step: Gumbel noise in training; none in evaluation or warm-up. */
  selection(ctx: StepContext): tf.Tensor2D {
    const N = this.config.candidates.length;
    if (this.frozenUniform) return tf.fill([this.fieldCount, N], 1 / N) as tf.Tensor2D;
    const tau = this.tau.at(ctx.step);
    const noise = ctx.training
      ? tf.tensor2d(gumbelNoise(this.gumbelRng, this.fieldCount * N), [this.fieldCount, N])
      : null;
    return gumbelSoftmax(this.logAlpha as tf.Tensor as tf.Tensor2D, noise, tau);
  }

  /** running ← (1 − momentum)·running + momentum·batch statistic (the variance made unbiased, as torch does). */
  private updateRunningStatistics(mean: tf.Tensor, variance: tf.Tensor, counts: tf.Tensor): void {
    tf.tidy(() => {
      const m = BN_MOMENTUM;
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      const unbiased = tf.mul(variance, tf.div(counts, tf.maximum(tf.sub(counts, 1), 1)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
    });
  }

  /** How a data-parallel replica rebuilds this module (src/accel/replica-worker.ts). */
  replicaSpec(): ReplicaModuleSpec {
    // The embedding's own settings only: a search's config also holds its configured, unresolved τ decay.
    const { candidates, lookup, unify, mixScale } = this.config;
    return {
      kind: "autodim-search",
      fieldCount: this.fieldCount,
      totalFeatures: this.totalFeatures,
      config: { candidates, lookup, unify, mixScale },
      tauDecay: this.tau.decay,
    };
  }

  /** A replica draws the same Gumbel noise as this step (one sample per step) and knows the warm-up. */
  replicaStep(): { frozenUniform: boolean; gumbel: StreamState } {
    return { frozenUniform: this.frozenUniform, gumbel: this.gumbelRng.state() };
  }

  applyReplicaStep(step: unknown): void {
    const s = step as ReturnType<AutoDimSearchEmbedding["replicaStep"]>;
    this.frozenUniform = s.frozenUniform;
    this.gumbelRng.restore(s.gumbel);
  }

  forward(touched: TouchedRows[], batch: number, ctx: StepContext): tf.Tensor3D {
    const p = this.selection(ctx);
    if (!ctx.training) return mixCandidates(this.unifiedCandidates(touched, batch, ctx), p, this.config.mixScale);
    // In training, BatchNorm with batch statistics and the mixture are one op (an engine may fuse it).
    const x = this.candidatesToUnify(touched, batch);
    const dims = this.realDims();
    const { out, mean, variance } = batchNormMix(x, p, {
      dims,
      scale: this.config.mixScale,
      epsilon: BN_EPSILON,
    });
    const N = this.config.candidates.length;
    const counts = tf.tensor4d(
      dims.map((d) => batch * d),
      [1, 1, N, 1],
    );
    const shape: [number, number, number, number] = [1, this.fieldCount, N, 1];
    this.updateRunningStatistics(tf.reshape(mean, shape), tf.reshape(variance, shape), counts);
    tf.dispose([mean, variance, counts]);
    return out;
  }

  /** Trained lookup tables and unification transforms, for a warm-started re-train. */
  exportWeights(): NamedArray[] {
    const c = this.config.candidates;
    const out: NamedArray[] = this.sparse.map((p, i) => ({
      name: this.config.lookup === "shared" ? "lookup/shared" : `lookup/separate${c[i]}`,
      shape: [p.table.rows, p.table.dim],
      data: p.table.values(),
    }));
    if (this.sharedKernel) {
      const kernel = tf.tidy(
        () => tf.mul(this.sharedKernel as tf.Variable, this.sharedKernelMask as tf.Tensor2D).dataSync() as Float32Array,
      );
      out.push(
        { name: "unify/W", shape: this.sharedKernel.shape, data: kernel },
        {
          name: "unify/b",
          shape: (this.bias as tf.Variable).shape,
          data: (this.bias as tf.Variable).dataSync() as Float32Array,
        },
      );
    }
    this.perCandidate?.forEach((l, n) => {
      out.push({ name: `unify/W${c[n]}`, shape: l.kernel.shape, data: l.kernel.dataSync() as Float32Array });
      out.push({ name: `unify/b${c[n]}`, shape: l.bias.shape, data: l.bias.dataSync() as Float32Array });
    });
    return out;
  }

  /** α as plain arrays [F][N], normalised per field (α / Σα = softmax(log α): the selection is scale-free). */
  alphaValues(): number[][] {
    return tf.tidy(() => tf.softmax(this.logAlpha).arraySync() as number[][]);
  }

  parameterCounts(): EmbeddingParameterCounts {
    const c = this.config.candidates;
    const D = this.outputDim;
    const embedding = this.sparse.reduce((a, p) => a + p.table.parameterCount, 0);
    // Counted as allocated: the fused kernel holds d_N×d_N per candidate, but its masked
    // rows are constant zeros; we count the d_n×d_N that are trained, as W_n ∈ R^{d_n×d_N}.
    const transform = this.config.unify === "linear" ? c.reduce((a, d) => a + d * D + D, 0) : 0;
    return { embedding, transform, architecture: this.fieldCount * c.length };
  }

  dispose(): void {
    tf.dispose([...this.dense, ...this.state, this.logAlpha, this.candidateMask]);
    if (this.sharedKernelMask) this.sharedKernelMask.dispose();
  }
}

function validateCandidates(c: number[]): void {
  const problem = candidatesProblem(c);
  if (problem) throw new AutodimError(`--candidates: ${problem}`);
}

function allFields(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

// ───────────────────────────── 3. selection: Gumbel-softmax over α ─────────────────────────────

// τ's schedule lives in temperature.ts, shared with every method that anneals τ.
export { TAU_FLOOR, TemperatureSchedule } from "./temperature.js";

/** Gumbel(0, 1) noise −log(−log u), u ~ U(0, 1) from the "gumbel" stream. */
export function gumbelNoise(rng: RandomStream, n: number): Float32Array {
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let u = rng.next();
    while (u === 0) u = rng.next();
    g[i] = -Math.log(-Math.log(u));
  }
  return g;
}

/**
 * Selection probabilities p [F, N] = softmax((log α + g) / τ) over candidates, from log α.
 * Why log α is the trained parameter: trained directly (as the PyTorch peer does), α must be
 * clamped (`alpha.clamp_min(1e-6)`) because Adam pushes weights to zero or below, and a clamped
 * entry gets no gradient again — 43 of 195 entries died that way in the quick FM search. The
 * forward pass is the paper's; only the optimiser's coordinates differ.
 */
export function gumbelSoftmax(logAlpha: tf.Tensor2D, noise: tf.Tensor2D | null, tau: number): tf.Tensor2D {
  let logits = logAlpha;
  if (noise) logits = tf.add(logits, noise);
  return tf.softmax(tf.div(logits, tau)) as tf.Tensor2D;
}
