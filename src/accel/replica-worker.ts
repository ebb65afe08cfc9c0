// A data-parallel replica's thread (see parallel.ts): builds the network from its spec over the
// main thread's tables — a re-train's PlanEmbedding or AutoDim's search embedding — says it is
// ready, then serves steps until closed.
import type { MessagePort } from "node:worker_threads";
import { parentPort } from "node:worker_threads";
import { CtrModel, MODEL_NAMES, type ModelConfig, type ModelName } from "../models/ctr.js";
import type { EmbeddingModule, ReplicaModuleSpec } from "../models/embedding.js";
import { chooseBackend } from "./backend.js";
import { randomStream } from "../core/random.js";
import { buildOnSharedStores } from "../tables/sparse.js";
import { AutoDimSearchEmbedding } from "../embedding/autodim.js";
import { TemperatureSchedule } from "../embedding/temperature.js";
import { Network } from "../train/network.js";
import { PlanEmbedding, type PlanLayout } from "../train/plan-embedding.js";
import type { ProjectionKind, SearchEmbeddingConfig } from "../train/schemas.js";
import type { ReplicaNetworkSpec } from "../train/step-parts.js";
import { serveReplica } from "./parallel.js";

/** Initial values do not matter in a replica: weights come with every step, tables are shared. */
const replicaInit = () => randomStream(0, "init", "replica");

/** The embedding module a spec describes: a re-train's per-field sizes or AutoDim's search. */
function embeddingFromSpec(spec: ReplicaModuleSpec): EmbeddingModule {
  if (spec.kind === "autodim-search") {
    const s = spec as ReplicaModuleSpec & {
      fieldCount: number;
      totalFeatures: number;
      config: SearchEmbeddingConfig;
      tauDecay: number;
    };
    // The Gumbel stream is set from the main thread's at every step (applyReplicaStep).
    return new AutoDimSearchEmbedding(
      s.fieldCount,
      s.totalFeatures,
      s.config,
      TemperatureSchedule.linear(s.tauDecay),
      replicaInit(),
      randomStream(0, "gumbel"),
    );
  }
  if (spec.kind !== "plan") throw new Error(`replica: no embedding of kind ${spec.kind}`);
  const s = spec as ReplicaModuleSpec & {
    fieldCount: number;
    dims: number[];
    layout: PlanLayout;
    projection: ProjectionKind;
    outputDim: number;
  };
  return new PlanEmbedding(s.fieldCount, s.dims, s.layout, s.projection, s.outputDim, replicaInit());
}

function ctrModelFromSpec(spec: ReplicaModuleSpec): CtrModel {
  const s = spec as ReplicaModuleSpec & {
    name: ModelName;
    fieldCount: number;
    embeddingDim: number;
    totalFeatures: number;
    config: ModelConfig;
  };
  if (s.kind !== "ctr" || !MODEL_NAMES.includes(s.name))
    throw new Error(`replica: no model of kind ${s.kind}/${s.name}`);
  return new CtrModel(s.name, s.fieldCount, s.embeddingDim, s.totalFeatures, replicaInit(), s.config);
}

export interface ReplicaWorkerData {
  spec: ReplicaNetworkSpec;
  stores: Float32Array[];
  control: Int32Array;
  port: MessagePort;
}

export async function runReplica(data: ReplicaWorkerData): Promise<void> {
  const out = parentPort as MessagePort;
  try {
    await chooseBackend();
    const network = buildOnSharedStores(data.stores, () => {
      const embedding = embeddingFromSpec(data.spec.embedding);
      const model = ctrModelFromSpec(data.spec.model);
      return new Network(embedding, model, embedding.fieldCount, data.spec.options);
    });
    out.postMessage({ kind: "ready" });
    serveReplica(
      { run: (job) => network.replicaGradients(job), adam: (job) => network.replicaAdam(job) },
      data.port,
      data.control,
    );
    network.dispose();
  } catch (err) {
    out.postMessage({ kind: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
}
