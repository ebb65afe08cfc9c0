// Search and training settings of each scale. quick = the main job's settings (minutes on the
// 200k-row synthetic set); smoke = the same shape in seconds (tests); paper = the paper's
// setup (batch 2000, α learning rate 1e-3 every 10 steps, linear unification, one epoch).
import {
  DEFAULT_SEARCH,
  PAPER_RETRAIN,
  QUICK_RETRAIN,
  QUICK_SEARCH,
  SMOKE_RETRAIN,
  SMOKE_SEARCH,
  type RetrainSettings,
  type SearchSettings,
} from "../methods/defaults.js";
import type { ModelName } from "../models/ctr.js";
import { join } from "node:path";
import type { CheckpointSettings } from "../train/checkpoint.js";
import type { Scale } from "./datasets.js";

export type { RetrainSettings, SearchSettings };

export function searchSettings(scale: Scale): SearchSettings {
  if (scale === "smoke") return { ...SMOKE_SEARCH };
  if (scale === "quick") return { ...QUICK_SEARCH };
  return { ...DEFAULT_SEARCH };
}

export function retrainSettings(scale: Scale): RetrainSettings {
  if (scale === "smoke") return { ...SMOKE_RETRAIN };
  if (scale === "quick") return { ...QUICK_RETRAIN };
  return { ...PAPER_RETRAIN };
}

/** The base model the dimension experiments search with (the paper's figures use FM). */
export const SEARCH_MODEL: ModelName = "fm";

let checkpointRoot: CheckpointSettings | undefined;

/** `reproduce --checkpoint-dir`: every search and re-train of the experiments checkpoints there. */
export function useCheckpoints(settings: CheckpointSettings | undefined): void {
  checkpointRoot = settings;
}

/** The checkpoint settings of one run inside an experiment (its own subfolder), if enabled. */
export function checkpointsFor(run: string): CheckpointSettings | undefined {
  return checkpointRoot && { ...checkpointRoot, dir: join(checkpointRoot.dir, run.replace(/[^\w.=-]+/g, "_")) };
}
