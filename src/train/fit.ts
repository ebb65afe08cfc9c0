// The training loop: epochs over shuffled training batches, validation AUC after each,
// early stopping with the best weights restored, then the test split. Metrics are exact
// (all predictions of a split are kept and scored at once).
import * as tf from "@tensorflow/tfjs";
import type { PreparedData } from "../data/batches.js";
import type { Split } from "../data/manifest.js";
import { Progress } from "../runtime/progress.js";
import type { RandomStream } from "../runtime/random.js";
import { auc, logloss } from "./metrics.js";
import type { Network } from "./network.js";

export interface EvaluationResult {
  auc: number;
  logloss: number;
  rows: number;
  seconds: number;
}

/** AUC and Logloss of the network on a whole split (evaluation mode). */
export function evaluate(network: Network, data: PreparedData, split: Split, batchSize: number): EvaluationResult {
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

export function fit(network: Network, data: PreparedData, opts: FitOptions): FitOutcome {
  const history: FitHistoryEntry[] = [];
  let best: (EvaluationResult & { epoch: number }) | undefined;
  let bestWeights: Snapshot | undefined;
  const stepsPerEpoch = Math.ceil(data.rows("train") / opts.batchSize);
  const show = opts.progress !== false;
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const started = Date.now();
    const progress = show ? new Progress(`${opts.label} epoch ${epoch}/${opts.epochs}`, stepsPerEpoch, "steps") : undefined;
    let lossSum = 0;
    let samples = 0;
    let steps = 0;
    for (const batch of data.batches("train", { batchSize: opts.batchSize, shuffle: true, rng: opts.shuffle })) {
      const loss = network.trainStep(batch, { training: true, step: network.steps, dropout: opts.dropout });
      lossSum += loss * batch.size;
      samples += batch.size;
      steps++;
      progress?.update(steps, `loss ${(lossSum / samples).toFixed(4)}, ${Math.round(samples / ((Date.now() - started) / 1000))} samples/s`);
    }
    const trainSeconds = (Date.now() - started) / 1000;
    const validation = evaluate(network, data, "val", opts.batchSize);
    history.push({ epoch, trainLoss: lossSum / samples, validation, seconds: trainSeconds, samplesPerSecond: samples / trainSeconds });
    progress?.finish(steps, `loss ${(lossSum / samples).toFixed(4)}, val AUC ${validation.auc.toFixed(4)}, val logloss ${validation.logloss.toFixed(4)}`);
    if (!best || validation.auc > best.auc) {
      best = { ...validation, epoch };
      bestWeights?.dispose();
      bestWeights = snapshot(network);
    } else if (epoch - best.epoch >= opts.patience) {
      break;
    }
  }
  if (!best || !bestWeights) throw new Error("fit: no epoch was run (epochs must be ≥ 1)");
  restore(network, bestWeights);
  bestWeights.dispose();
  const test = evaluate(network, data, "test", opts.batchSize);
  return { history, bestValidation: best, test };
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
  return { tables: network.sparse.map((p) => p.table.data.slice()), variables, dispose: () => tf.dispose(variables) };
}

function restore(network: Network, s: Snapshot): void {
  network.sparse.forEach((p, i) => p.table.data.set(s.tables[i]));
  [...network.dense, ...network.state].forEach((v, i) => v.assign(s.variables[i]));
}
