// The one small interface between embeddings and models: an embedding module turns the
// rows a batch touches into field embeddings [B, F, D]; a model never sees how.
import type * as tf from "@tensorflow/tfjs";
import type { StepContext } from "./layers.js";
import type { SparseParam, TouchedRows } from "../tables/sparse.js";

export interface EmbeddingParameterCounts {
  /** Embedding-table parameters: the paper's "Params". */
  embedding: number;
  /** Dimension-unification transforms (W_n, b_n, projections). */
  transform: number;
  /** Architecture weights α (search only). */
  architecture: number;
  /** Bytes of the embedding at inference, when not 4 per parameter (quantised codes). */
  embeddingBytes?: number;
  /** Weights needed in training only and dropped for inference (DPQ's query table). */
  trainingOnly?: number;
}

/** How a data-parallel replica on another thread rebuilds a module: plain data, per kind. */
export interface ReplicaModuleSpec {
  kind: string;
  [key: string]: unknown;
}

export interface EmbeddingModule {
  readonly fieldCount: number;
  /** D of the [B, F, D] output. */
  readonly outputDim: number;
  /** Tables updated row by row with lazy Adam, in the order `forward` receives them. */
  readonly sparse: SparseParam[];
  /** Dense trainable weights (updated with the model's weights). */
  readonly dense: tf.Variable[];
  /** Non-trainable state (BatchNorm running averages), saved with checkpoints. */
  readonly state: tf.Variable[];
  /** Architecture weights, updated by the search on validation data; empty if none. */
  readonly architecture: tf.Variable[];
  /** `touched[i]` holds the rows of `sparse[i]` for this batch. */
  forward(touched: TouchedRows[], batchSize: number, ctx: StepContext): tf.Tensor3D;
  parameterCounts(): EmbeddingParameterCounts;
  dispose(): void;
  /** How a replica rebuilds this module (src/accel/parallel.ts); absent: its steps stay on one thread. */
  replicaSpec?(): ReplicaModuleSpec;
  /** What a replica must share with this step beyond the weights, taken before this thread's forward. */
  replicaStep?(): unknown;
  /** A replica's side of `replicaStep`. */
  applyReplicaStep?(step: unknown): void;
}

/** Initial std of embedding rows. Choice: N(0, 0.01²), as the PyTorch peer's search table. */
export const EMBEDDING_INIT_STD = 0.01;
