// The pieces plan.json and result.json share: the data and the run that made a file, an
// evaluation, parameter counts, and the zod helpers every schema of a run file is built from.
// Types are written out, not inferred: see the header of schemas.ts.
import { z } from "zod";
import { SPLITS, type Split } from "../data/manifest.js";
import type { EmbeddingParameterCounts } from "../models/embedding.js";
import type { HardwareInfo } from "../core/hardware.js";
import type { CodeVersion } from "../core/version.js";
import type { EvaluationResult } from "./fit.js";

export interface DataIdentity {
  dir: string;
  format: string;
  sourceSha256: string;
  rows: Record<Split, number>;
  totalFeatures: number;
}

export interface RunIdentity {
  backend: string;
  hardware: HardwareInfo;
  createdAt: string;
  wallSeconds: number;
  /** The git commit that made it, and whether tracked files had uncommitted changes (absent in older files). */
  code?: CodeVersion;
}

/** The schema of T: a zod schema whose output is T (see the header for why a cast). */
export function typed<T>(schema: z.ZodTypeAny): z.ZodType<T> {
  return schema as unknown as z.ZodType<T>;
}

export const finite = z.number().finite();
export const count = z.number().int().nonnegative();
export const positiveInt = z.number().int().positive();

export const evaluationShape = z.object({ auc: finite, logloss: finite, rows: count, seconds: finite });
export const evaluationSchema = typed<EvaluationResult>(evaluationShape);
export const parameterCountsShape = z.object({
  embedding: count,
  transform: count,
  architecture: count,
  embeddingBytes: count.optional(),
  trainingOnly: count.optional(),
});
export const parameterCountsSchema = typed<EmbeddingParameterCounts>(parameterCountsShape);
export const hardwareShape = z.object({
  cpuModel: z.string(),
  cores: count,
  memoryGiB: finite,
  platform: z.string(),
  node: z.string(),
  nodeFlags: z.array(z.string()).optional(),
});
export const hardwareSchema = typed<HardwareInfo>(hardwareShape);

export const dataIdentityShape = z.object({
  dir: z.string(),
  format: z.string(),
  sourceSha256: z.string(),
  rows: z.object(Object.fromEntries(SPLITS.map((s) => [s, count])) as Record<(typeof SPLITS)[number], typeof count>),
  totalFeatures: count,
});
export const dataIdentitySchema = typed<DataIdentity>(dataIdentityShape);

export const runIdentityShape = z.object({
  backend: z.string(),
  hardware: hardwareSchema,
  createdAt: z.string(),
  wallSeconds: finite,
  code: z.object({ commit: z.string(), dirty: z.boolean() }).optional(),
});
export const runIdentitySchema = typed<RunIdentity>(runIdentityShape);
