// The training benchmark: exactly the workload of bench/autodim_torch_reference.py (the
// PyTorch peer; a copy of ../shared/bench/, kept in the repo so `--peer` needs no checkout
// beside it). Criteo-shaped synthetic ids (39 fields, 1,086,810 features), batch 2000,
// candidates {2, 8, 16, 24, 32}, weight-sharing lookup + one linear map per candidate +
// BatchNorm without affine, Gumbel-softmax over α, DeepFM with a 2×128 MLP, Adam 1e-3 on W
// and on α (α on a validation batch every 10 steps); the retrain workload is DeepFM over
// per-field tables of random candidate sizes projected to 32 by one linear map per size.
// Timing as the peer: 5 untimed steps, then windows of 10 steps; samples/s is the median.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/batches.js";
import { AutoDimSearchEmbedding, TemperatureSchedule } from "../embedding/autodim.js";
import { PAPER_CANDIDATES } from "../methods/defaults.js";
import { PlanEmbedding } from "../train/plan-embedding.js";
import type { EmbeddingModule } from "../models/embedding.js";
import { DEFAULT_ADAM } from "../tables/sparse.js";
import { CtrModel, PAPER_MLP } from "../models/ctr.js";
import { randomStream, type RandomStream } from "../core/random.js";
import { Network } from "../train/network.js";
import { DATA_PARALLEL_STEPS } from "../accel/parallel.js";

/** The peer's VOCAB: Criteo cardinalities after min count 10, summing to 1,086,810. */
export const BENCH_VOCAB = [
  49, 101, 126, 52, 224, 148, 102, 56, 104, 10, 35, 43, 68, 1460, 558, 251259, 158609, 306, 21, 12136, 634, 4, 29951,
  5374, 214401, 3168, 28, 11043, 104428, 11, 4654, 2032, 5, 189787, 18, 16, 51732, 105, 43952,
];
export const BENCH_BATCH = 2000;
const WARMUP_STEPS = 5;
const WINDOW = 10;

export interface PhaseResult {
  batch: number;
  samplesPerSecond: number;
  /** samples/s of every timed window. */
  windows: number[];
  /** Median milliseconds per step. */
  stepMs: number;
  /** Live tensors after the timed steps minus after the warm-up steps: 0 unless a step leaks. */
  tensorGrowth: number;
}

export interface PhaseOptions {
  steps: number;
  vocab?: number[];
  batch?: number;
  seed?: number;
  /**
   * "batch": each batch in two parts (a run's `batchParts: 2`), the second on a data-parallel
   * replica when the run has two threads (src/accel/parallel.ts); "ops": whole batches, the
   * threads shared by the kernels that split without changing a bit (the element-wise ones).
   */
  split?: "batch" | "ops";
}

/** What a phase ran on: the parts each batch was computed in, and the threads they ran on. */
export interface PhaseRun extends PhaseResult {
  batchParts: number;
  partThreads: number;
}

/** Vocabularies scaled to about `total` features (each field at least 2 values). */
export function scaledVocab(total: number): number[] {
  const sum = BENCH_VOCAB.reduce((a, b) => a + b, 0);
  return BENCH_VOCAB.map((v) => Math.max(2, Math.round((v * total) / sum)));
}

function fieldsOf(vocab: number[]) {
  let offset = 0;
  return vocab.map((v) => {
    const f = { offset, vocabularySize: v };
    offset += v;
    return f;
  });
}

/** Uniform ids per field and 25% positive labels, as the peer's `batches`. */
function batchSource(vocab: number[], batch: number, rng: RandomStream): () => Batch {
  const fields = fieldsOf(vocab);
  const F = vocab.length;
  return () => {
    const ids = new Int32Array(batch * F);
    for (let b = 0; b < batch; b++) for (let m = 0; m < F; m++) ids[b * F + m] = fields[m].offset + rng.int(vocab[m]);
    const labels = Float32Array.from({ length: batch }, () => (rng.next() < 0.25 ? 1 : 0));
    return { ids, labels, size: batch };
  };
}

/** The middle value (the upper one of an even count), as the peer reports. */
function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

function timed(step: (t: number) => void, steps: number, batch: number): PhaseResult {
  for (let i = 0; i < WARMUP_STEPS; i++) step(0);
  const tensorsBefore = tf.memory().numTensors;
  const windows: number[] = [];
  for (let w = 0; w < Math.max(1, Math.floor(steps / WINDOW)); w++) {
    const start = performance.now();
    for (let i = 0; i < WINDOW; i++) step(w * WINDOW + i);
    windows.push((WINDOW * batch) / ((performance.now() - start) / 1000));
  }
  const mid = median(windows);
  return {
    batch,
    samplesPerSecond: mid,
    windows,
    stepMs: (1000 * batch) / mid,
    tensorGrowth: tf.memory().numTensors - tensorsBefore,
  };
}

function network(embedding: EmbeddingModule, totalFeatures: number, seed: number): Network {
  const model = new CtrModel(
    "deepfm",
    embedding.fieldCount,
    embedding.outputDim,
    totalFeatures,
    randomStream(seed, "init", "model"),
    PAPER_MLP,
  );
  return new Network(embedding, model, embedding.fieldCount, {
    adam: DEFAULT_ADAM,
    architectureAdam: DEFAULT_ADAM,
    architectureOptimizer: "adam",
  });
}

/** Sets a benchmark phase's batch parts and starts its replica as a long run would (the bench stands for one). */
async function split(net: Network, how: PhaseOptions["split"], batch: number) {
  const batchParts = how === "ops" ? 1 : 2;
  const partThreads = await DATA_PARALLEL_STEPS.startParts(net, {
    parts: batchParts,
    batchSize: batch,
    samples: Number.MAX_SAFE_INTEGER,
  });
  return { batchParts, partThreads };
}

/** One search workload: `step(t)` is a W step, plus an α step on a validation batch every 10. */
function searchStepper({ vocab = BENCH_VOCAB, batch = BENCH_BATCH, seed = 0 }: Omit<PhaseOptions, "steps">): {
  net: Network;
  step: (t: number) => void;
  dispose: () => void;
} {
  const total = vocab.reduce((a, b) => a + b, 0);
  const embedding = new AutoDimSearchEmbedding(
    vocab.length,
    total,
    // mixScale 1: the peer mixes without a scale (a constant factor costs the same either way).
    { candidates: PAPER_CANDIDATES, lookup: "shared", unify: "linear", mixScale: 1 },
    TemperatureSchedule.linear(5e-5),
    randomStream(seed, "init", "embedding"),
    randomStream(seed, "gumbel"),
  );
  const net = network(embedding, total, seed);
  const train = batchSource(vocab, batch, randomStream(seed, "bench", "train"));
  const val = batchSource(vocab, batch, randomStream(seed, "bench", "val"));
  const dropout = randomStream(seed, "dropout");
  return {
    net,
    step: (t) => {
      const ctx = { training: true, step: t, dropout };
      net.trainStep(train(), ctx);
      if (t % 10 === 0) net.architectureStep(val(), ctx);
    },
    dispose: () => net.dispose(),
  };
}

/** The search phase: W step on a training batch, α step on a validation batch every 10. */
export async function benchSearch({
  steps,
  vocab = BENCH_VOCAB,
  batch = BENCH_BATCH,
  seed = 0,
  split: how = "batch",
}: PhaseOptions): Promise<PhaseRun> {
  const s = searchStepper({ vocab, batch, seed });
  try {
    const parts = await split(s.net, how, batch);
    return { ...timed(s.step, steps, batch), ...parts };
  } finally {
    s.dispose();
  }
}

/** The retrain phase: per-field sizes drawn from the candidates, linear projection to 32. */
export async function benchRetrain({
  steps,
  vocab = BENCH_VOCAB,
  batch = BENCH_BATCH,
  seed = 1,
  split: how = "batch",
}: PhaseOptions): Promise<PhaseRun> {
  const total = vocab.reduce((a, b) => a + b, 0);
  const rng = randomStream(seed, "bench", "plan");
  const dims = vocab.map(() => PAPER_CANDIDATES[rng.int(PAPER_CANDIDATES.length)]);
  const embedding = new PlanEmbedding(
    vocab.length,
    dims,
    { fields: fieldsOf(vocab), totalFeatures: total },
    "linear",
    32,
    randomStream(seed, "init", "embedding"),
  );
  const net = network(embedding, total, seed);
  const train = batchSource(vocab, batch, randomStream(seed, "bench", "train"));
  const dropout = randomStream(seed, "dropout");
  try {
    const parts = await split(net, how, batch);
    const step = (t: number) => void net.trainStep(train(), { training: true, step: t, dropout });
    return { ...timed(step, steps, batch), ...parts };
  } finally {
    net.dispose();
  }
}

export interface PeerResult {
  available: boolean;
  /** Why the peer did not run, or its version line. */
  message: string;
  search?: number;
  retrain?: number;
}

export const PEER_SCRIPT = join("bench", "autodim_torch_reference.py");
export const PEER_INSTALL_HINT =
  "apt-get install -y python3-torch libopenblas0-pthread (then it runs with /usr/bin/python3)";

/** Runs the PyTorch reference in a child process (Debian's python3 with python3-torch). */
export function runPeer(steps: number, python = "/usr/bin/python3", threads = 1): PeerResult {
  if (!existsSync(python)) return { available: false, message: `${python} not found; install: ${PEER_INSTALL_HINT}` };
  const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0)
    return {
      available: false,
      message: `python3-torch is not installed (${python} -c "import torch" failed); install: ${PEER_INSTALL_HINT}`,
    };
  const r = spawnSync(python, [PEER_SCRIPT, "--steps", String(steps), "--threads", String(threads)], {
    encoding: "utf8",
  });
  if (r.status !== 0)
    return {
      available: false,
      message: `the PyTorch reference failed (exit ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" / ")}`,
    };
  const number = (label: string) => {
    const m = new RegExp(`${label} samples/s (\\d+)`).exec(r.stdout);
    return m ? Number(m[1]) : undefined;
  };
  return { available: true, message: r.stdout.split("\n")[0], search: number("search"), retrain: number("retrain") };
}

export interface ScalingPoint {
  totalFeatures: number;
  searchStepMs: number;
}

/**
 * Search step time at growing vocabularies, same batch. The workloads live side by side and
 * their timing windows take turns (A B C A B C ...), so a slow spell of a shared machine
 * hits every size alike; each size's step time is the median of its windows.
 */
export function benchVocabScaling(
  totals: number[],
  steps: number,
  batch = BENCH_BATCH,
): { points: ScalingPoint[]; hugePagesMB?: number } {
  const vocabs = totals.map(scaledVocab);
  const steppers = vocabs.map((vocab) => searchStepper({ vocab, batch }));
  const hugePagesMB = anonHugePagesMB();
  try {
    for (const s of steppers) for (let i = 0; i < WARMUP_STEPS; i++) s.step(0);
    const windows: number[][] = steppers.map(() => []);
    for (let w = 0; w < Math.max(1, Math.floor(steps / WINDOW)); w++) {
      steppers.forEach((s, k) => {
        const start = performance.now();
        for (let i = 0; i < WINDOW; i++) s.step(w * WINDOW + i);
        windows[k].push((performance.now() - start) / WINDOW);
      });
    }
    const points = vocabs.map((vocab, k) => ({
      totalFeatures: vocab.reduce((a, b) => a + b, 0),
      searchStepMs: median(windows[k]),
    }));
    return { points, ...(hugePagesMB !== undefined ? { hugePagesMB } : {}) };
  } finally {
    for (const s of steppers) s.dispose();
  }
}

/**
 * Memory of this process on transparent huge pages (Linux), in MB: how much of the tables
 * the kernel could back with 2 MB pages (fragmented memory can leave them on 4 KB pages).
 */
function anonHugePagesMB(): number | undefined {
  try {
    const m = /AnonHugePages:\s+(\d+) kB/.exec(readFileSync("/proc/self/smaps_rollup", "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
