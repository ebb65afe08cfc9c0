// A data-parallel replica of AutoDim's search: the train layer's replica thread, able to build
// the search embedding as well.
import type { ReplicaModuleSpec } from "../models/embedding.js";
import { randomStream } from "../runtime/random.js";
import { runReplica, trainEmbeddingFromSpec, type ReplicaWorkerData } from "../train/replica-worker.js";
import type { SearchEmbeddingConfig } from "../train/schemas.js";
import { AutoDimSearchEmbedding } from "./autodim.js";
import { TemperatureSchedule } from "./temperature.js";

function searchEmbeddingFromSpec(spec: ReplicaModuleSpec) {
  if (spec.kind !== "autodim-search") return trainEmbeddingFromSpec(spec);
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
    randomStream(0, "init", "replica"),
    randomStream(0, "gumbel"),
  );
}

export function runSearchReplica(data: ReplicaWorkerData): Promise<void> {
  return runReplica(data, searchEmbeddingFromSpec);
}
