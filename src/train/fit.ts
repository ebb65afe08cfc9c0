// The training loop: epochs over shuffled training batches, validation AUC after each,
// early stopping with the best weights restored, then the test split. Metrics are exact
// (all predictions of a split are kept and scored at once).
import * as tf from "@tensorflow/tfjs";
import { BatchCursor, type CursorPosition, type PreparedData } from "../data/batches.js";
import type { Split } from "../data/manifest.js";
import { Progress } from "../core/progress.js";
import type { RandomStream, StreamState } from "../core/random.js";
import { AutodimError } from "../core/errors.js";
import { Checkpointer, type CheckpointSettings } from "./checkpoint.js";
import { DivergenceGuard } from "./divergence.js";
import type { NamedArray } from "../tables/weights.js";
import { auc, logloss } from "../data/metrics.js";
import type { Network } from "./network.js";

export interface EvaluationResult {
  auc: number;
  logloss: number;
  rows: number;
  seconds: number;
}

/** AUC and Logloss of the network on a whole split (evaluation mode). */
export function evaluate(
  network: Network,
  data: PreparedData,
  split: Split,
  batchSize: number,
  onScores?: (scores: Float32Array) => void,
): EvaluationResult {
  const started = Date.now();
  const n = data.rows(split);
  const probs = new Float32Array(n);
  const labels = new Uint8Array(n);
  let at = 0;
  for (const batch of data.batches(split, { batchSize, shuffle: false })) {
    network.predict(batch, probs, at);
    for (let i = 0; i < batch.size; i++) labels[at + i] = batch.labels[i];
    at += batch.size;
  }
  onScores?.(probs);
  return { auc: auc(labels, probs), logloss: logloss(labels, probs), rows: n, seconds: (Date.now() - started) / 1000 };
}

export interface FitOptions {
  epochs: number;
  /** Epochs without a better validation AUC before stopping. */
  patience: number;
  batchSize: number;
  shuffle: RandomStream;
  dropout: RandomStream;
  label: string;
  progress?: boolean;
  checkpoint?: CheckpointSettings;
  /** Identity of the run for its checkpoints (config + data). */
  identity?: unknown;
  /** Go on when the loss grows 100× above its first steps' level (default: stop; see DivergenceGuard). */
  allowDivergence?: boolean;
  /** Receives the test-split probabilities of the restored best model, in row order. */
  onTestScores?: (scores: Float32Array) => void;
  /**
   * The network starts trained (a warm start): its validation before any step is epoch 0, kept
   * when no epoch beats it, so fine-tuning never returns a model worse than its start.
   */
  startsTrained?: boolean;
}

export interface FitHistoryEntry {
  epoch: number;
  trainLoss: number;
  validation: EvaluationResult;
  seconds: number;
  samplesPerSecond: number;
}

export interface FitOutcome {
  history: FitHistoryEntry[];
  bestValidation: EvaluationResult & { epoch: number };
  test: EvaluationResult;
}

/** Where a training run stands, saved in checkpoints. */
interface FitLoopState {
  /** The epoch to run (1-based); mid-epoch when `midEpoch`. */
  epoch: number;
  midEpoch: boolean;
  stopped: boolean;
  lossSum: number;
  samples: number;
  steps: number;
  history: FitHistoryEntry[];
  best: (EvaluationResult & { epoch: number }) | null;
  train: CursorPosition | null;
  dropout: StreamState;
}

export async function fit(network: Network, data: PreparedData, opts: FitOptions): Promise<FitOutcome> {
  const checkpoints = opts.checkpoint
    ? new Checkpointer<FitLoopState>(opts.checkpoint, "retrain", opts.identity ?? null)
    : undefined;
  const train = new BatchCursor(data, "train", { batchSize: opts.batchSize }, opts.shuffle);
  const s: Omit<FitLoopState, "train" | "dropout"> = {
    epoch: 1,
    midEpoch: false,
    stopped: false,
    lossSum: 0,
    samples: 0,
    steps: 0,
    history: [],
    best: null,
  };
  let bestWeights: Snapshot | undefined;
  const resumed = await checkpoints?.restore(network);
  if (resumed) {
    const { train: position, dropout, ...loop } = resumed.loop;
    Object.assign(s, loop);
    if (position) train.restore(position);
    opts.dropout.restore(dropout);
    if (loop.best) bestWeights = snapshotFromArrays(network, resumed.extra);
  }
  const save = async (epoch = s.epoch) => {
    if (!checkpoints) return;
    const loop: FitLoopState = {
      ...s,
      epoch,
      train: train.pass > 0 ? train.position() : null,
      dropout: opts.dropout.state(),
    };
    await checkpoints.save(network, network.steps, loop, bestWeights ? snapshotArrays(bestWeights) : []);
  };
  if (opts.startsTrained && !s.best) {
    s.best = { ...evaluate(network, data, "val", opts.batchSize), epoch: 0 };
    bestWeights = snapshot(network);
  }
  const stepsPerEpoch = Math.ceil(data.rows("train") / opts.batchSize);
  const guard = new DivergenceGuard(opts.label, opts.allowDivergence);
  const show = opts.progress !== false;
  for (; !s.stopped && s.epoch <= opts.epochs; s.epoch++) {
    const epoch = s.epoch;
    const started = Date.now();
    const progress = show
      ? new Progress(`${opts.label} epoch ${epoch}/${opts.epochs}`, stepsPerEpoch, "steps")
      : undefined;
    if (!s.midEpoch) {
      train.startPass();
      Object.assign(s, { lossSum: 0, samples: 0, steps: 0, midEpoch: true });
    }
    for (let batch = train.next(); batch; batch = train.next()) {
      const loss = network.trainStep(batch, { training: true, step: network.steps, dropout: opts.dropout });
      guard.observe(loss, network.steps);
      s.lossSum += loss * batch.size;
      s.samples += batch.size;
      s.steps++;
      progress?.update(
        s.steps,
        `loss ${(s.lossSum / s.samples).toFixed(4)}, ${Math.round(s.samples / ((Date.now() - started) / 1000))} samples/s`,
      );
      if (checkpoints?.due(network.steps)) await save();
    }
    const trainSeconds = (Date.now() - started) / 1000;
    const validation = evaluate(network, data, "val", opts.batchSize);
    s.history.push({
      epoch,
      trainLoss: s.lossSum / s.samples,
      validation,
      seconds: trainSeconds,
      samplesPerSecond: s.samples / trainSeconds,
    });
    progress?.finish(
      s.steps,
      `loss ${(s.lossSum / s.samples).toFixed(4)}, val AUC ${validation.auc.toFixed(4)}, val logloss ${validation.logloss.toFixed(4)}`,
    );
    if (!s.best || validation.auc > s.best.auc) {
      s.best = { ...validation, epoch };
      bestWeights?.dispose();
      bestWeights = snapshot(network);
    } else if (epoch - s.best.epoch >= opts.patience) {
      s.stopped = true;
    }
    s.midEpoch = false;
    // Saved as the epoch a resume runs next: the following one, unless training stopped here.
    await save(s.stopped ? s.epoch : s.epoch + 1);
  }
  const best = s.best;
  if (!best || !bestWeights) throw new Error("fit: no epoch was run (epochs must be ≥ 1)");
  restore(network, bestWeights);
  bestWeights.dispose();
  const test = evaluate(network, data, "test", opts.batchSize, opts.onTestScores);
  return { history: s.history, bestValidation: best, test };
}

/** A copy of every weight and state (not optimiser moments: training stops after restore). */
interface Snapshot {
  tables: Float32Array[];
  variables: tf.Tensor[];
  dispose(): void;
}

function snapshot(network: Network): Snapshot {
  const vars = [...network.dense, ...network.state];
  const variables = vars.map((v) => tf.keep(v.clone()));
  return { tables: network.sparse.map((p) => p.table.values()), variables, dispose: () => tf.dispose(variables) };
}

function restore(network: Network, s: Snapshot): void {
  network.sparse.forEach((p, i) => p.table.setValues(s.tables[i]));
  [...network.dense, ...network.state].forEach((v, i) => v.assign(s.variables[i]));
}

function snapshotArrays(s: Snapshot): NamedArray[] {
  return [
    ...s.tables.map((data, i) => ({ name: `best/table/${i}`, shape: [data.length], data })),
    ...s.variables.map((v, i) => ({
      name: `best/variable/${i}`,
      shape: v.shape,
      data: Float32Array.from(v.dataSync()),
    })),
  ];
}

function snapshotFromArrays(network: Network, arrays: Map<string, NamedArray>): Snapshot {
  const get = (name: string) => {
    const a = arrays.get(name);
    if (!a) throw new AutodimError(`checkpoint: ${name} is missing (the best epoch's weights)`);
    return a;
  };
  const tables = network.sparse.map((_, i) => get(`best/table/${i}`).data);
  const variables = [...network.dense, ...network.state].map((v, i) =>
    tf.keep(tf.tensor(get(`best/variable/${i}`).data, v.shape)),
  );
  return { tables, variables, dispose: () => tf.dispose(variables) };
}
