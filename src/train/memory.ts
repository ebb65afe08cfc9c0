// How much memory a search or re-train needs, checked before training: embedding sizes are
// user input (--candidates, a plan's dims), and a size that cannot fit used to surface after a
// minute as "memory access out of bounds" (the tfjs heap) or "Invalid typed array length" (one
// table larger than an array may be). The estimate is coarse on purpose: it only has to tell
// "fits with room to spare" from "cannot fit", which differ by orders of magnitude.
import { totalmem } from "node:os";
import { PAPER_MLP } from "../models/ctr.js";

/** The tfjs heap (wasm's is a 32-bit address space; the estimate leaves room for what it omits). */
export const TENSOR_BYTES_LIMIT = 2 ** 31;
/** One embedding table: a typed array, at most 2 GiB here. */
export const TABLE_BYTES_LIMIT = 2 ** 31 - 1;
/** Activations kept for the backward pass plus their gradients, and the optimiser's state: ×3. */
const TRAINING_FACTOR = 3;

export interface MemoryNeed {
  /** Per-step tensors (activations and gradients) and dense weights with their Adam moments. */
  tensorBytes: number;
  /** All embedding tables with their Adam moments. */
  tableBytes: number;
  /** The largest single table. */
  largestTableBytes: number;
}

function dense(fields: number, outputDim: number): number {
  return 4 * TRAINING_FACTOR * fields * outputDim * PAPER_MLP.hidden[0];
}

/** AutoDim's search: every candidate's lookup, each unified to d_N, and their mixture. */
export function searchMemory(s: {
  totalFeatures: number;
  fields: number;
  batchSize: number;
  candidates: number[];
  lookup: "shared" | "separate";
}): MemoryNeed {
  const dN = Math.max(...s.candidates);
  const sum = s.candidates.reduce((a, b) => a + b, 0);
  const perRow = s.fields * (sum + (s.candidates.length + 1) * dN);
  const widths = s.lookup === "shared" ? [dN] : s.candidates;
  return {
    tensorBytes: 4 * TRAINING_FACTOR * s.batchSize * perRow + dense(s.fields, dN),
    tableBytes: 4 * TRAINING_FACTOR * s.totalFeatures * widths.reduce((a, b) => a + b, 0),
    largestTableBytes: 4 * s.totalFeatures * Math.max(...widths),
  };
}

/** A re-train with per-field sizes `dims`, projected to `outputDim`. */
export function retrainMemory(s: {
  vocabularySizes: number[];
  dims: number[];
  outputDim: number;
  batchSize: number;
}): MemoryNeed {
  const F = s.dims.length;
  const sizes = s.vocabularySizes.map((v, i) => 4 * v * s.dims[i]);
  const perRow = s.dims.reduce((a, b) => a + b, 0) + F * s.outputDim;
  return {
    tensorBytes: 4 * TRAINING_FACTOR * s.batchSize * perRow + dense(F, s.outputDim),
    tableBytes: TRAINING_FACTOR * sizes.reduce((a, b) => a + b, 0),
    largestTableBytes: Math.max(...sizes),
  };
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/**
 * Why `need` cannot fit (one clause, naming the limit), or undefined when it can. Tables live
 * in ordinary memory (half of this machine's for them), tensors in the tfjs heap.
 */
export function memoryProblem(need: MemoryNeed, memory = totalmem()): string | undefined {
  if (need.largestTableBytes > TABLE_BYTES_LIMIT)
    return `one embedding table would take ${gb(need.largestTableBytes)}, more than the ${gb(TABLE_BYTES_LIMIT)} an array may hold`;
  if (need.tableBytes > memory / 2)
    return `the embedding tables would take about ${gb(need.tableBytes)} with their optimiser state, more than half of this machine's ${gb(memory)}`;
  if (need.tensorBytes > TENSOR_BYTES_LIMIT)
    return `one training step would need about ${gb(need.tensorBytes)} of tensors, more than the ${gb(TENSOR_BYTES_LIMIT)} tfjs can address`;
  return undefined;
}
