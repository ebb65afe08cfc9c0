// A training step in parts, and where its parts run. A run whose config asks for batches in
// two parts (`batchParts: 2`: each part with its own BatchNorm batch statistics — "ghost"
// batches — and dropout stream; see Network.batchParts) computes its second part on the main
// thread after the first, or on a `PartWorker` — a replica of the network on another thread —
// when a step strategy attaches one: the same job, the same kernels, the same order of sums, so
// the same bits either way (tested). Which strategy runs is the entry point's choice: the
// training code asks `stepStrategy()` and knows nothing of threads; the compute engine
// (src/accel/parallel.ts) installs the data-parallel one.
import type { ReplicaModuleSpec } from "../models/embedding.js";
import type { Network, NetworkOptions } from "./network.js";

export type { ReplicaModuleSpec };

/** Everything a worker needs to build the same network. */
export interface ReplicaNetworkSpec {
  embedding: ReplicaModuleSpec;
  model: ReplicaModuleSpec;
  options: NetworkOptions;
}

/** Which gradients a step takes: W (tables, dense weights) and/or α. */
export interface GradientSet {
  weights: boolean;
  architecture: boolean;
}

/** One part of a batch for the replica to take the gradients of. */
export interface ReplicaJob {
  kind: "gradients";
  which: GradientSet;
  size: number;
  /** The part's rows / the batch's: its mean loss is scaled by it, so the parts' gradients add up. */
  share: number;
  labels: Float32Array;
  /** The part's feature ids, row-major [size, fields]. */
  ids: Int32Array;
  dense: Float32Array[];
  state: Float32Array[];
  architecture: Float32Array[];
  /** The embedding's per-step state (AutoDim: the Gumbel stream's position, the warm-up flag). */
  embeddingStep: unknown;
  training: boolean;
  step: number;
  /** Seeds the replica's dropout stream for this step (absent: no dropout stream). */
  dropoutSeed?: number;
}

export interface ReplicaAnswer {
  /** The replica's part of the batch's mean loss (its mean × its share). */
  loss: number;
  dense: Float32Array[];
  architecture: Float32Array[];
  /** The BatchNorm running statistics after the replica's forward. */
  state: Float32Array[];
}

/**
 * The tables' lazy-Adam step of a split training step, done by the replica while the main thread
 * updates the dense weights: per sparse parameter the batch's rows, their summed gradient and the
 * table's Adam step count after it. The main thread's next access to a table waits for it.
 */
export interface ReplicaAdamJob {
  kind: "adam";
  tables: { rows: Int32Array; grads: Float32Array; step: number }[];
}

/** What a step needs from the thread that computes its second part (src/accel/parallel.ts's Replica). */
export interface PartWorker {
  /** Hands over a job: a gradients job's arrays are copied, an Adam job's moved. */
  post(job: ReplicaJob | ReplicaAdamJob): void;
  /** Blocks until the oldest unanswered job, a gradients job, is answered. */
  wait(): ReplicaAnswer;
  /** Blocks until the oldest unanswered job, an Adam step, is done. */
  waitDone(): void;
  close(): void;
}

export interface BatchPartsRequest {
  /** The run's `batchParts` (its arithmetic): 1 or 2. */
  parts: 1 | 2;
  batchSize: number;
  /** Rows the run will train on (steps × batch). */
  samples: number;
}

/** Where a run's batch parts are computed. */
export interface StepStrategy {
  /**
   * Sets `network` to compute its steps in `request.parts` parts, and may attach a PartWorker
   * for the second; returns the threads the parts run on (1 or 2). `network.dispose()` closes it.
   */
  startParts(network: Network, request: BatchPartsRequest): Promise<number>;
}

/** Every part on the calling thread, one after the other. */
export const SEQUENTIAL_STEPS: StepStrategy = {
  async startParts(network, request) {
    network.batchParts = request.parts;
    return 1;
  },
};

let strategy: StepStrategy = SEQUENTIAL_STEPS;

/** Installs where parts run (an entry point's choice; the engine's data-parallel strategy). */
export function useStepStrategy(s: StepStrategy): void {
  strategy = s;
}

export function stepStrategy(): StepStrategy {
  return strategy;
}

/** What a result's backend line adds for a run in two parts (`threads` from `startParts`). */
export function partsLabel(parts: 1 | 2, threads: number): string {
  return parts === 2 ? `, batches in 2 parts (${threads === 2 ? "data-parallel on 2 threads" : "on 1 thread"})` : "";
}
