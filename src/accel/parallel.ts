// Data-parallel steps on two cores: the step strategy that computes a run's second batch part
// (src/train/step-parts.ts) on a replica of the network in a worker thread (its own tfjs + wasm
// instance).
// The main thread adds the dense and α gradients and updates those weights; the replica adds
// the tables' gradients and takes their lazy-Adam step meanwhile, on the tables themselves (they
// move to shared memory; the main thread's next access to a table waits for that step). The
// replica gets the dense weights, BatchNorm statistics and α with every step, so it holds no state
// of its own: checkpoints and resumes stay on the main thread. Each thread computes on one core
// (the native pools are process-wide). Why parts rather than splitting each kernel: one step's
// kernels are mostly too small or too memory-bound to halve (two threads gave ×1.29 search,
// ×1.24 re-train), and OpenBLAS's sums change with the cut.
import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { AutodimError } from "../core/errors.js";
import { workerEntry } from "../core/worker-entry.js";
import type { Network } from "../train/network.js";
import { MIN_ROWS_PER_PART } from "../train/split-step.js";
import type {
  PartWorker,
  ReplicaAdamJob,
  ReplicaAnswer,
  ReplicaJob,
  ReplicaNetworkSpec,
  StepStrategy,
} from "../train/step-parts.js";
import { oneCorePerThread, requestedThreads, runtimeInfo } from "./backend.js";

type Answer = { kind: "answer"; answer: ReplicaAnswer } | { kind: "done" } | { kind: "error"; message: string };

/** Where the two counters live in the control array: jobs posted, answers posted. */
const JOBS = 0;
const ANSWERS = 1;
/** A step taking longer than this on the replica means it is gone, not slow. */
const ANSWER_DEADLINE_MS = 30 * 60 * 1000;

/** Replicas running: while any runs, each thread computes on one core. */
let liveReplicas = 0;

/** The main thread's end of one replica. */
export class Replica implements PartWorker {
  private jobs = 0;
  private answers = 0;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly control: Int32Array,
  ) {}

  /**
   * Starts a worker from `entry` (a replica-worker .cjs file) that builds `spec` over the given
   * table stores; resolves once it is ready to take steps.
   */
  static async start(entry: string, spec: ReplicaNetworkSpec, stores: Float32Array[]): Promise<Replica> {
    const control = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(entry, {
      workerData: { autodimReplica: true, spec, stores, control, port: port2 },
      transferList: [port2],
      // One core per thread: the native pools and OpenBLAS are process-wide, so neither thread may split its work.
      env: { ...process.env, AUTODIM_THREADS: "1" },
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        void worker.terminate();
        reject(err);
      };
      worker.once("message", (m: { kind: "ready" } | { kind: "error"; message: string }) =>
        m.kind === "ready" ? resolve() : fail(new Error(`data-parallel replica: ${m.message}`)),
      );
      worker.once("error", (err) => fail(err instanceof Error ? err : new Error(String(err))));
      worker.once("exit", (code) => fail(new Error(`data-parallel replica exited (code ${code}) before it was ready`)));
    });
    worker.removeAllListeners("exit");
    worker.removeAllListeners("error");
    worker.on("error", () => undefined); // reported by the next wait(), which finds no answer
    worker.unref();
    oneCorePerThread(++liveReplicas > 0);
    return new Replica(worker, port1, control);
  }

  /**
   * Hands the replica a job: arrays on shared memory are shared, a gradients job's other arrays
   * copied, an Adam job's moved (unusable after).
   */
  post(job: ReplicaJob | ReplicaAdamJob): void {
    if (this.closed) throw new Error("data-parallel replica: closed");
    if (job.kind === "adam") {
      const buffers = new Set(job.tables.flatMap((t) => [t.rows.buffer, t.grads.buffer]));
      this.port.postMessage(
        job,
        [...buffers].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer),
      );
    } else this.port.postMessage(job);
    this.jobs++;
    Atomics.store(this.control, JOBS, this.jobs);
    Atomics.notify(this.control, JOBS);
  }

  /** Blocks until the replica answers its oldest unanswered job, a gradients job. */
  wait(): ReplicaAnswer {
    const m = this.receive();
    if (m.kind !== "answer") throw new Error(`data-parallel replica: expected gradients, got ${m.kind}`);
    return m.answer;
  }

  /** Blocks until the replica has done its oldest unanswered job, an Adam step. */
  waitDone(): void {
    const m = this.receive();
    if (m.kind !== "done") throw new Error(`data-parallel replica: expected an Adam step, got ${m.kind}`);
  }

  private receive(): Exclude<Answer, { kind: "error" }> {
    const deadline = Date.now() + ANSWER_DEADLINE_MS;
    while (Atomics.load(this.control, ANSWERS) === this.answers) {
      if (Date.now() > deadline) throw new Error("data-parallel replica: no answer in 30 minutes (the worker is gone)");
      Atomics.wait(this.control, ANSWERS, this.answers, 1000);
    }
    this.answers++;
    const m = receiveMessage<Answer>(this.port);
    if (m.kind === "error") throw new Error(`data-parallel replica: ${m.message}`);
    return m;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.postMessage({ kind: "close" });
    Atomics.store(this.control, JOBS, ++this.jobs);
    Atomics.notify(this.control, JOBS);
    this.port.close();
    void this.worker.terminate();
    oneCorePerThread(--liveReplicas > 0);
  }
}

/** The message a counter announced (posted before the counter moved; taken without the event loop). */
function receiveMessage<T>(port: MessagePort): T {
  for (let spins = 0; ; spins++) {
    const m = receiveMessageOnPort(port);
    if (m) return m.message as T;
    if (spins > 1e6) throw new Error("data-parallel replica: a message announced by its counter never arrived");
  }
}

/** The worker's side: what `serveReplica` needs to know about the network it built. */
export interface ReplicaServer {
  /** Computes the job's gradients on the replica network. */
  run(job: ReplicaJob): ReplicaAnswer;
  /** Applies the job's Adam step to the (shared) tables. */
  adam(job: ReplicaAdamJob): void;
}

/**
 * The worker's loop: takes jobs in order and answers each, until told to close. Blocks its
 * thread (the replica has nothing else to do).
 */
export function serveReplica(server: ReplicaServer, port: MessagePort, control: Int32Array): void {
  let seen = 0;
  const answer = (reply: Answer) => {
    port.postMessage(reply);
    Atomics.add(control, ANSWERS, 1);
    Atomics.notify(control, ANSWERS);
  };
  try {
    for (;;) {
      Atomics.wait(control, JOBS, seen);
      while (Atomics.load(control, JOBS) !== seen) {
        seen++;
        const m = receiveMessage<ReplicaJob | ReplicaAdamJob | { kind: "close" }>(port);
        if (m.kind === "close") return;
        let reply: Answer;
        try {
          if (m.kind === "adam") {
            server.adam(m);
            reply = { kind: "done" };
          } else reply = { kind: "answer", answer: server.run(m) };
        } catch (err) {
          reply = { kind: "error", message: describe(err) };
        }
        answer(reply); // (an answer's arrays are on shared memory: Network.exchange)
      }
    }
  } catch (err) {
    // Whatever broke the loop itself, the main thread waiting for an answer hears of it.
    answer({ kind: "error", message: `the replica's loop stopped: ${describe(err)}` });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** Rows a run must train on before a replica pays for its start (~1–2 s: tfjs, wasm, the network). */
export const DATA_PARALLEL_MIN_SAMPLES = 200_000;

/**
 * AUTODIM_DATA_PARALLEL: "0" computes both parts on the main thread, "1" starts a replica for
 * any run in two parts, unset decides by size. Neither changes a number, only where the second
 * part is computed.
 */
function dataParallelSetting(): "off" | "on" | "auto" {
  const text = process.env.AUTODIM_DATA_PARALLEL;
  if (text === undefined || text === "") return "auto";
  if (text === "0" || text === "1") return text === "1" ? "on" : "off";
  throw new AutodimError(`AUTODIM_DATA_PARALLEL must be 0 or 1, got ${JSON.stringify(text)}`);
}

/**
 * The data-parallel strategy: puts the second part on a replica thread when that pays — the run
 * has ≥ 2 threads on the wasm backend, its network can be rebuilt by a replica (AutoDim's search,
 * the per-field-size re-train; not the baselines' own embeddings), batches have
 * ≥ 2 × MIN_ROWS_PER_PART rows, and (unless AUTODIM_DATA_PARALLEL=1) it trains on
 * ≥ DATA_PARALLEL_MIN_SAMPLES rows. While a replica runs, each thread computes on one core.
 */
export const DATA_PARALLEL_STEPS: StepStrategy = {
  async startParts(network: Network, request): Promise<number> {
    network.batchParts = request.parts;
    const setting = dataParallelSetting();
    if (request.parts !== 2 || setting === "off") return 1;
    if (runtimeInfo().tfBackend !== "wasm" || requestedThreads() < 2) return 1;
    if (request.batchSize < 2 * MIN_ROWS_PER_PART) return 1;
    if (setting === "auto" && request.samples < DATA_PARALLEL_MIN_SAMPLES) return 1;
    const spec = network.replicaSpec();
    if (!spec) return 1;
    const stores = network.sparse.map((p) => p.table.shared());
    network.attachReplica(await Replica.start(await replicaEntry(), spec, stores));
    return 2;
  },
};

/** The worker file of a replica: builds the re-train's and the search's networks. */
export function replicaEntry(): Promise<string> {
  return workerEntry(import("./replica-worker.cjs"));
}
