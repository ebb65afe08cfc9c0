// NIS — neural input search (Joglekar, Li, Chen, Xu, Wang, Wang, Huang, Zhou, Lee, Wang,
// Chi: "Neural Input Search for Large Scale Recommendation Models", KDD 2020), one-shot form:
// a controller holds a categorical policy over the candidate sizes of every field; the model
// shares one d_max-wide table (a field of size d uses the first d entries of its rows, zero
// beyond). Each step samples a plan, trains the shared weights one step under it, and every
// `rewardEvery` steps scores the sampled plan on a validation batch:
//   reward = AUC(validation batch) − λ · params(plan) / params(full dimension),
// and moves the policy by REINFORCE with a moving-average baseline. The most likely size per
// field is then re-trained from scratch (projected to d_max).
//
// Choices (the paper's controller is an RNN over a richer space; we keep its reward and
// one-shot training): independent per-field logits; λ = 0.02 (the full-size model costs 0.02
// AUC); controller lr 0.05 with the advantage divided by a running std of rewards; baseline
// momentum 0.9; a warm-up of uniformly random plans so every size is trained before the
// policy moves; the whole search takes `search.epochs` epochs of training batches.
import * as tf from "@tensorflow/tfjs";
import type { PreparedData } from "../data/batches.js";
import { EMBEDDING_INIT_STD } from "../models/embedding.js";
import { planParameterCount } from "../train/plan-embedding.js";
import { retrain } from "../train/retrain.js";
import type { EmbeddingModule, EmbeddingParameterCounts } from "../models/embedding.js";
import { DEFAULT_ADAM, SparseTable, type SparseParam, type TouchedRows } from "../tables/sparse.js";
import { CtrModel, PAPER_MLP } from "../models/ctr.js";
import type { StepContext } from "../models/layers.js";
import { randomStream, type RandomStream } from "../core/random.js";
import { auc } from "../data/metrics.js";
import { Network } from "../train/network.js";
import type { Method } from "./types.js";
import { NIS_DEFAULTS } from "./defaults.js";

/** One shared d_max table; field m reads the first `dims[m]` entries (zero beyond). */
export class MaskedSharedEmbedding implements EmbeddingModule {
  readonly sparse: SparseParam[];
  readonly dense: tf.Variable[] = [];
  readonly state: tf.Variable[] = [];
  readonly architecture: tf.Variable[] = [];
  dims: number[];

  constructor(
    readonly fieldCount: number,
    totalFeatures: number,
    readonly outputDim: number,
    rng: RandomStream,
  ) {
    this.sparse = [
      {
        table: new SparseTable("nis/shared", totalFeatures, outputDim).initNormal(rng, EMBEDDING_INIT_STD),
        fields: Int32Array.from({ length: fieldCount }, (_, i) => i),
      },
    ];
    this.dims = Array.from({ length: fieldCount }, () => outputDim);
  }

  forward(touched: TouchedRows[], batch: number, _ctx: StepContext): tf.Tensor3D {
    const D = this.outputDim;
    const mask = new Float32Array(this.fieldCount * D);
    this.dims.forEach((d, m) => mask.fill(1, m * D, m * D + d));
    const e = tf.reshape(tf.gather(touched[0].values, touched[0].local), [batch, this.fieldCount, D]);
    return tf.mul(e, tf.tensor3d(mask, [1, this.fieldCount, D])) as tf.Tensor3D;
  }

  parameterCounts(): EmbeddingParameterCounts {
    return { embedding: this.sparse[0].table.parameterCount, transform: 0, architecture: 0 };
  }

  dispose(): void {}
}

/** Softmax of each row of logits. */
function softmaxRows(logits: Float64Array[]): Float64Array[] {
  return logits.map((row) => {
    const max = Math.max(...row);
    const e = row.map((x) => Math.exp(x - max));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  });
}

function sample(p: Float64Array, rng: RandomStream): number {
  let u = rng.next();
  for (let k = 0; k < p.length; k++) {
    u -= p[k];
    if (u < 0) return k;
  }
  return p.length - 1;
}

export interface NisSearchOutcome {
  dims: number[];
  probabilities: number[][];
  rewards: { step: number; reward: number; auc: number; cost: number }[];
}

/** The one-shot REINFORCE search; deterministic under the seed. */
export function nisSearch(
  data: PreparedData,
  s: Parameters<Method["run"]>[1],
  opts: { progress?: boolean },
): NisSearchOutcome {
  const c = s.candidates;
  const D = c[c.length - 1];
  const F = data.fieldCount;
  const cfg = { ...NIS_DEFAULTS };
  const embedding = new MaskedSharedEmbedding(F, data.totalFeatures, D, randomStream(s.seed, "init", "embedding"));
  const model = new CtrModel(s.model, F, D, data.totalFeatures, randomStream(s.seed, "init", "model"), PAPER_MLP);
  const network = new Network(embedding, model, F, {
    adam: { ...DEFAULT_ADAM, learningRate: s.train.learningRate },
    ...(s.train.embeddingL2 ? { embeddingL2: s.train.embeddingL2 } : {}),
  });
  const policyRng = randomStream(s.seed, "search", "nis");
  const shuffle = randomStream(s.seed, "shuffle");
  const dropout = randomStream(s.seed, "dropout");
  const valRng = randomStream(s.seed, "shuffle", "validation");
  const logits = Array.from({ length: F }, () => new Float64Array(c.length));
  const full = data.totalFeatures * D;
  const batchSize = s.search.batchSize;
  let validation = data.batches("val", { batchSize, shuffle: true, rng: valRng });
  const scores = new Float32Array(batchSize);
  const rewards: NisSearchOutcome["rewards"] = [];
  let baseline = NaN;
  let variance = 0;
  let t = 0;
  const warmup = s.search.warmupSteps;
  const step = (batch: Parameters<Network["trainStep"]>[0], random: boolean) => {
    const policy = softmaxRows(logits);
    const choice = policy.map((p) => (random ? policyRng.int(c.length) : sample(p, policyRng)));
    embedding.dims = choice.map((k) => c[k]);
    network.trainStep(batch, { training: true, step: t, dropout });
    if (!random && (t - warmup) % cfg.rewardEvery === 0) {
      let r = validation.next();
      if (r.done) {
        validation = data.batches("val", { batchSize, shuffle: true, rng: valRng });
        r = validation.next();
      }
      if (!r.done) {
        const vb = r.value;
        network.predict(vb, scores, 0);
        const a = auc(vb.labels.subarray(0, vb.size), scores.subarray(0, vb.size));
        const cost = planParameterCount(embedding.dims, data.manifest) / full;
        const reward = a - cfg.memoryCost * cost;
        if (Number.isNaN(baseline)) baseline = reward;
        const advantage = reward - baseline;
        variance = cfg.baselineMomentum * variance + (1 - cfg.baselineMomentum) * advantage * advantage;
        const scaled = advantage / (Math.sqrt(variance) + 1e-8);
        // ∇ log π(choice) = onehot(choice) − π, per field.
        for (let m = 0; m < F; m++)
          for (let k = 0; k < c.length; k++)
            logits[m][k] += cfg.controllerLearningRate * scaled * ((k === choice[m] ? 1 : 0) - policy[m][k]);
        baseline = cfg.baselineMomentum * baseline + (1 - cfg.baselineMomentum) * reward;
        rewards.push({ step: t, reward, auc: a, cost });
      }
    }
    t++;
    if (opts.progress !== false && t % 100 === 0)
      process.stderr.write(`nis: step ${t}, baseline reward ${baseline.toFixed(4)}\n`);
  };
  try {
    // Warm-up: uniformly random plans, no policy updates.
    warm: while (t < warmup) {
      for (const batch of data.batches("train", { batchSize, shuffle: true, rng: shuffle })) {
        if (t >= warmup) break warm;
        step(batch, true);
      }
    }
    for (let epoch = 0; epoch < s.search.epochs; epoch++) {
      for (const batch of data.batches("train", { batchSize, shuffle: true, rng: shuffle })) step(batch, false);
    }
  } finally {
    network.dispose();
  }
  const probabilities = softmaxRows(logits).map((p) => Array.from(p));
  const dims = probabilities.map((p) => c[p.indexOf(Math.max(...p))]);
  return { dims, probabilities, rewards };
}

export const nis: Method = {
  name: "nis",
  label: "NIS",
  paperColumn: "nis",
  source: "Joglekar et al., Neural Input Search for Large Scale Recommendation Models, KDD 2020 (one-shot, REINFORCE)",
  async run(data, s, opts) {
    const started = Date.now();
    const outcome = nisSearch(data, s, opts);
    const D = s.candidates[s.candidates.length - 1];
    const selection = {
      method: "nis",
      seconds: (Date.now() - started) / 1000,
      dims: outcome.dims,
      detail: { ...NIS_DEFAULTS, probabilities: outcome.probabilities, rewards: outcome.rewards },
    };
    return retrain(
      data,
      { ...s.train, model: s.model, dims: outcome.dims, projection: "linear", outputDim: D, seed: s.seed },
      {
        method: "nis",
        selection,
        progress: opts.progress,
        checkpoint: opts.checkpoint,
        allowDivergence: opts.allowDivergence,
        onTestScores: opts.onTestScores,
      },
    );
  },
};
