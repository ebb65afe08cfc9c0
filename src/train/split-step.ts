// A training or α step in two parts (Network.batchParts = 2): the first here, the second on a
// replica thread when one is attached, else here after the first, from the same job and with
// the same bits. Both sides of the exchange are here: the main thread's and the replica's.
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/batches.js";
import type { EmbeddingModule } from "../models/embedding.js";
import type { StepContext } from "../models/layers.js";
import type { AdamConfig, SparseParam } from "../tables/sparse.js";
import { RowGradientAdder } from "../tables/touch.js";
import { randomStream } from "../core/random.js";
import { filledTensor, readInto } from "../core/tensor-memory.js";
import { SharedArrays } from "../core/shared-arrays.js";
import type { GradientSet, PartWorker, ReplicaAdamJob, ReplicaAnswer, ReplicaJob } from "./step-parts.js";

/**
 * Rows each part of a data-parallel step takes at least: below this a batch is computed on the
 * main thread alone (a part's fixed cost — messages, weight copies, its own kernel launches —
 * would outweigh its share).
 */
export const MIN_ROWS_PER_PART = 64;

/**
 * The main thread's share of a split batch. The replica's half also carries the weights in and
 * its gradients out (~3 ms a step on the benchmark's workload, batch 2000), so the main thread
 * takes a little more and both halves end together (measured: bench/README.md).
 */
export const MAIN_THREAD_SHARE = 0.52;

/** A step's loss and gradients: the tables' per touched row, the dense weights' and α's by name. */
export interface StepGradients {
  loss: number;
  sparse: { param: SparseParam; rows: Int32Array; grads: Float32Array }[];
  grads: tf.NamedTensorMap;
}

/** A tensor of `values` (copied straight into the backend's memory). */
function tensorOf(values: Float32Array, shape: number[]): tf.Tensor {
  return filledTensor(shape, "float32", (out) => out.set(values));
}

/** What a two-part step reads and computes of its network (Network passes its own, private parts included). */
export interface SplitHost {
  readonly sparse: SparseParam[];
  readonly dense: tf.Variable[];
  /** BatchNorm running statistics of embedding and model. */
  readonly state: tf.Variable[];
  readonly embedding: EmbeddingModule;
  readonly fieldCount: number;
  readonly adam: AdamConfig;
  /** The loss and gradients of (a `share` of) a batch, computed on this thread. */
  localGradients(batch: Batch, ctx: StepContext, which: GradientSet, share: number): StepGradients;
}

export class SplitStep {
  /** A replica on another thread that takes half of every training and α step (src/accel/parallel.ts). */
  private replica: PartWorker | undefined;

  constructor(private readonly host: SplitHost) {}

  /** Computes every following step's second part on `replica` (another thread) instead of here. */
  attach(replica: PartWorker): void {
    this.detach();
    this.replica = replica;
  }

  /** Closes the replica (after its last Adam step); second parts are computed here again. */
  detach(): void {
    const replica = this.replica;
    if (!replica) return;
    for (const p of this.host.sparse) p.table.settleWrites();
    this.replica = undefined;
    replica.close();
  }

  /** Threads a step's parts run on: 2 with a replica, else 1. */
  get parallelParts(): number {
    return this.replica ? 2 : 1;
  }

  /**
   * A step in two parts: the batch's first MAIN_THREAD_SHARE here, the rest on the replica (or
   * here afterwards, from the same job, when there is none). Each part's loss is its mean times
   * its share of the rows, so the batch's gradient is the parts' sum: dense and α gradients are
   * added here, first part's first; the tables' gradients are added row by row in their Adam step
   * (`tablesAdamOnReplica`, or here in `trainStep`). BatchNorm running statistics become the
   * parts' average by share. Both parts start from the same weights, statistics and per-step
   * embedding state (AutoDim's Gumbel draw): the job carries them.
   */
  gradients(batch: Batch, ctx: StepContext, which: GradientSet): StepGradients {
    const replica = this.replica;
    const n = batch.size;
    const own = Math.round(n * MAIN_THREAD_SHARE);
    const shares = [own / n, (n - own) / n];
    const F = this.host.fieldCount;
    const out = this.exchange;
    const values = (key: string, vs: tf.Variable[]) => vs.map((v, i) => readInto(v, out.float(`${key}/${i}`, v.size)));
    const ids = out.int("ids", (n - own) * F);
    ids.set(batch.ids.subarray(own * F, n * F));
    const labels = out.float("labels", n - own);
    labels.set(batch.labels.subarray(own, n));
    const job: ReplicaJob = {
      kind: "gradients",
      which,
      size: n - own,
      share: shares[1],
      ids,
      labels,
      dense: replica ? values("dense", this.host.dense) : [],
      state: values("state", this.host.state),
      architecture: replica ? values("architecture", this.host.embedding.architecture) : [],
      embeddingStep: this.host.embedding.replicaStep?.(),
      training: ctx.training,
      step: ctx.step,
      dropoutSeed: ctx.dropout?.int(2 ** 31),
    };
    if (replica) replica.post(job);
    const part: Batch = { ids: batch.ids, labels: batch.labels, size: own };
    let local: StepGradients | undefined;
    let answer: ReplicaAnswer;
    let second: StepGradients["sparse"] = [];
    try {
      local = this.host.localGradients(part, ctx, which, shares[0]);
    } finally {
      // The replica answers its job even when this half failed: the next step starts in step.
      if (replica) answer = replica.wait();
    }
    const firstState = this.host.state.map((v, i) => readInto(v, this.ownParts.float(`state/${i}`, v.size)));
    if (!replica) {
      // The second part as the replica computes it: W and α are unchanged since the job was made.
      answer = this.partGradients(job, this.ownParts, false);
      second = this.replicaPart;
      this.replicaPart = [];
    }
    const loss = local.loss + answer!.loss;
    // The tables' Adam starts on the replica now, while the rest of the step goes on here (a
    // diverged step, which trainStep refuses, updates nothing).
    if (replica && which.weights && Number.isFinite(loss)) this.tablesAdamOnReplica(replica, local.sparse);
    const { grads } = local;
    const add = (v: tf.Variable, array: Float32Array) => {
      const sum = tf.tidy(() => tf.add(grads[v.name], tensorOf(array, v.shape)));
      grads[v.name].dispose();
      grads[v.name] = sum;
    };
    if (which.weights) this.host.dense.forEach((v, i) => add(v, answer!.dense[i]));
    if (which.architecture) this.host.embedding.architecture.forEach((v, i) => add(v, answer!.architecture[i]));
    if (ctx.training)
      this.host.state.forEach((v, i) =>
        tf.tidy(() =>
          v.assign(
            tf.add(
              tf.mul(tensorOf(firstState[i], v.shape), shares[0]),
              tf.mul(tensorOf(answer!.state[i], v.shape), shares[1]),
            ),
          ),
        ),
      );
    if (replica || !which.weights) return { loss, sparse: [], grads };
    // Here the tables' gradients are added as the replica adds them (first part's rows first).
    this.adders ??= this.host.sparse.map((p) => new RowGradientAdder(p.table));
    const sparse = local.sparse.map((s, i) => {
      const { rows, grads: g } = (this.adders as RowGradientAdder[])[i].add(
        s.rows,
        s.grads,
        second[i].rows,
        second[i].grads,
        s.param.table.dim,
      );
      return { param: s.param, rows, grads: g };
    });
    return { loss, sparse, grads };
  }

  /** Where a step's second part, computed on this thread, keeps its answer (the job is in `exchange`). */
  private readonly ownParts = new SharedArrays();

  /** Where the main thread writes a split step's job, and the replica its answer. */
  private readonly exchange = new SharedArrays();

  /** The replica's half of the last split step, kept for the tables' Adam step that follows it. */
  private replicaPart: StepGradients["sparse"] = [];
  private adders: RowGradientAdder[] | undefined;

  /** A replica's side of `gradients`: this network's gradients of the job's part. */
  replicaGradients(job: ReplicaJob): ReplicaAnswer {
    return this.partGradients(job, this.exchange, true);
  }

  /**
   * The gradients of a job's part, from the weights, statistics and embedding step it carries
   * (`takeWeights`: a replica's copies of W and α are refreshed; the main thread's are current);
   * its answer's arrays live in `out`; its tables' gradients wait in `replicaPart`.
   */
  private partGradients(job: ReplicaJob, out: SharedArrays, takeWeights: boolean): ReplicaAnswer {
    const take = (vs: tf.Variable[], arrays: Float32Array[]) =>
      vs.forEach((v, i) => tf.tidy(() => v.assign(tensorOf(arrays[i], v.shape))));
    if (takeWeights) {
      take(this.host.dense, job.dense);
      take(this.host.embedding.architecture, job.architecture);
    }
    take(this.host.state, job.state);
    this.host.embedding.applyReplicaStep?.(job.embeddingStep);
    const ctx: StepContext = {
      training: job.training,
      step: job.step,
      ...(job.dropoutSeed !== undefined ? { dropout: randomStream(job.dropoutSeed, "dropout") } : {}),
    };
    const batch: Batch = { ids: job.ids, labels: job.labels, size: job.size };
    const { loss, sparse, grads } = this.host.localGradients(batch, ctx, job.which, job.share);
    this.replicaPart = sparse;
    const read = (key: string) => (v: tf.Variable, i: number) =>
      readInto(grads[v.name], out.float(`${key}/${i}`, v.size));
    const answer: ReplicaAnswer = {
      loss,
      dense: job.which.weights ? this.host.dense.map(read("dense")) : [],
      architecture: job.which.architecture ? this.host.embedding.architecture.map(read("architecture")) : [],
      state: this.host.state.map((v, i) => readInto(v, out.float(`answer-state/${i}`, v.size))),
    };
    tf.dispose(grads);
    return answer;
  }

  /**
   * The tables' Adam step of a split step, on the replica while this thread updates the dense
   * weights (and the caller fetches the next batch): this half's rows go to it (moved) and its
   * gradients (shared memory); any access to a table here waits for the step to be done.
   */
  private tablesAdamOnReplica(replica: PartWorker, sparse: StepGradients["sparse"]): void {
    replica.post({
      kind: "adam",
      tables: sparse.map((s) => ({ rows: s.rows, grads: s.grads, step: ++s.param.table.step })),
    });
    let done = false;
    const settle = () => {
      if (!done) {
        done = true;
        replica.waitDone();
      }
    };
    for (const p of this.host.sparse) p.table.awaitWrites(settle);
  }

  /**
   * A replica's side of `tablesAdamOnReplica`: per table, the rows of both halves each once (the
   * main half's first), their gradients added (main half's + replica half's), one Adam step.
   */
  replicaAdam(job: ReplicaAdamJob): void {
    const mine = this.replicaPart;
    this.replicaPart = [];
    if (mine.length !== job.tables.length) throw new Error("replica: an Adam step without the gradients before it");
    job.tables.forEach((t, i) => {
      const { table } = this.host.sparse[i];
      this.adders ??= this.host.sparse.map((p) => new RowGradientAdder(p.table));
      const { rows, grads } = this.adders[i].add(t.rows, t.grads, mine[i].rows, mine[i].grads, table.dim);
      table.step = t.step - 1; // this thread's view of the table takes the owner's count
      table.applyAdam(rows, grads, this.host.adam);
    });
  }
}
