// A data-parallel replica's thread (see replica.ts): builds the network from its spec over the
// main thread's tables, says it is ready, then serves steps until closed.
import type { MessagePort } from "node:worker_threads";
import { parentPort } from "node:worker_threads";
import { CtrModel, MODEL_NAMES, type ModelConfig, type ModelName } from "../models/ctr.js";
import type { EmbeddingModule, ReplicaModuleSpec } from "../models/embedding.js";
import { initRuntime } from "../runtime/backend.js";
import { randomStream } from "../runtime/random.js";
import { buildOnSharedStores } from "../tables/sparse.js";
import { Network } from "./network.js";
import { PlanEmbedding, type PlanLayout } from "./plan-embedding.js";
import { serveReplica, type ReplicaNetworkSpec } from "./replica.js";
import type { ProjectionKind } from "./schemas.js";

/** Builds the embedding module a spec describes, or undefined for a kind this layer does not know. */
export type EmbeddingFromSpec = (spec: ReplicaModuleSpec) => EmbeddingModule | undefined;

/** Initial values do not matter in a replica: weights come with every step, tables are shared. */
const replicaInit = () => randomStream(0, "init", "replica");

export const trainEmbeddingFromSpec: EmbeddingFromSpec = (spec) => {
  if (spec.kind !== "plan") return undefined;
  const s = spec as ReplicaModuleSpec & {
    fieldCount: number;
    dims: number[];
    layout: PlanLayout;
    projection: ProjectionKind;
    outputDim: number;
  };
  return new PlanEmbedding(s.fieldCount, s.dims, s.layout, s.projection, s.outputDim, replicaInit());
};

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

export async function runReplica(data: ReplicaWorkerData, embeddingFromSpec: EmbeddingFromSpec): Promise<void> {
  const out = parentPort as MessagePort;
  try {
    await initRuntime();
    const network = buildOnSharedStores(data.stores, () => {
      const embedding = embeddingFromSpec(data.spec.embedding);
      if (!embedding) throw new Error(`replica: no embedding of kind ${data.spec.embedding.kind}`);
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
