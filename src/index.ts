// The package root: what a user's own code (or a notebook) imports.
export { auc, logloss, pearson, spearman } from "./train/metrics.js";
export { initRuntime } from "./runtime/backend.js";
export { randomStream } from "./runtime/random.js";
export { prepare } from "./data/prepare.js";
export { PreparedData } from "./data/batches.js";
export { generateSynthetic } from "./data/synthetic.js";
export { AutoDimSearchEmbedding, PlanEmbedding, search, retrain, derivePlanDims, planParameterCount, DEFAULT_SEARCH, QUICK_SEARCH, QUICK_RETRAIN, PAPER_CANDIDATES } from "./embedding/autodim.js";
export type { DimensionPlan, RetrainResult, SearchConfig, RetrainConfig } from "./embedding/autodim.js";
export type { EmbeddingModule, EmbeddingParameterCounts } from "./embedding/interface.js";
export { CtrModel, MODEL_NAMES } from "./models/ctr.js";
export { METHODS, METHOD_NAMES, quickSettings } from "./methods/registry.js";
export type { Method, MethodSettings } from "./methods/types.js";
