// The package root: what a user's own code (or a notebook) imports. Importing it installs the
// compute engine (src/accel/), so a search or re-train started from here runs on it.
import { installEngine } from "./accel/index.js";
export { auc, logloss, pearson, spearman } from "./data/metrics.js";
export { initRuntime } from "./accel/index.js";
export { randomStream } from "./core/random.js";
export { prepare } from "./data/prepare.js";
export { PreparedData } from "./data/batches.js";
export { generateSynthetic } from "./data/synthetic.js";
export { AutoDimSearchEmbedding } from "./embedding/autodim.js";
export { search, derivePlanDims } from "./embedding/search.js";
export { PlanEmbedding, planParameterCount } from "./train/plan-embedding.js";
export { retrain, trainWithEmbedding } from "./train/retrain.js";
export { searchThenRetrain, retrainPlan } from "./embedding/pipeline.js";
export { DEFAULT_SEARCH, QUICK_SEARCH, QUICK_RETRAIN, PAPER_CANDIDATES } from "./methods/defaults.js";
export type { DimensionPlan, SearchConfig } from "./train/schemas.js";
export type { RetrainResult, RetrainConfig } from "./train/result-schema.js";
export type { EmbeddingModule, EmbeddingParameterCounts } from "./models/embedding.js";
export { CtrModel, MODEL_NAMES } from "./models/ctr.js";
export { METHODS, METHOD_NAMES, quickSettings } from "./methods/registry.js";
export type { Method, MethodSettings } from "./methods/types.js";

installEngine();
