// `autodim retrain`: a model trained with a plan's per-field sizes (or one size for every field)
// and tested. One command per file (src/cli/main.ts dispatches); the training is
// src/train/retrain.ts.
import { AutodimError } from "../../core/errors.js";
import { DEFAULT_SEED } from "../../methods/defaults.js";
import { QUICK_RETRAIN } from "../../methods/defaults.js";
import { BATCH_NORM_MODELS, MODEL_NAMES } from "../../models/ctr.js";
import { backendLabel, initRuntime } from "../../accel/index.js";
import { describeHardware } from "../../core/hardware.js";
import { withLog } from "../../core/run-log.js";
import { memoryProblem, retrainMemory } from "../../train/memory.js";
import { retrain } from "../../train/retrain.js";
import type { RetrainConfig } from "../../train/result-schema.js";
import { choiceFlag, intFlag, parseFlags, requireString, UsageError } from "../args.js";
import {
  batchPartsFlag,
  batchSizeCheck,
  checkpointFlags,
  checkpointOutput,
  openData,
  readPlan,
  settingFlagSpec,
  settingFlagValues,
  threadsFlag,
  TRAIN_SETTING_FLAGS,
  TRAINING_FLAGS,
  writeJson,
} from "../flags.js";
import { checkOutputClashes, checkOutputFile } from "../outputs.js";
import { logBeside } from "../run-config.js";

/** Re-trains with --plan's sizes (or --dim for every field) and writes the tested result. */
export async function retrainCommand(argv: string[]): Promise<void> {
  const f = parseFlags("retrain", argv, {
    ...TRAINING_FLAGS,
    data: { type: "string" },
    model: { type: "string" },
    out: { type: "string" },
    plan: { type: "string" },
    dim: { type: "string" },
    projection: { type: "string" },
    ...settingFlagSpec(TRAIN_SETTING_FLAGS),
    seed: { type: "string" },
    "warm-start": { type: "boolean" },
    "allow-other-data": { type: "boolean" },
  });
  const out = requireString(f, "out");
  if (f["warm-start"] && f.plan === undefined)
    throw new UsageError("--warm-start needs --plan (a plan whose search ran with --save-weights)");
  if ((f.plan === undefined) === (f.dim === undefined))
    throw new UsageError("give exactly one of --plan plan.json or --dim D");
  const data = openData(requireString(f, "data"));
  if (f["allow-other-data"] && f.plan === undefined)
    throw new UsageError("--allow-other-data applies with --plan only");
  const plan = typeof f.plan === "string" ? readPlan(f.plan, data, f["allow-other-data"] === true) : undefined;
  const dim = plan ? undefined : intFlag(f, "dim", 32, 1, 4096);
  const { epochs, patience, batchSize, learningRate, embeddingL2 } = settingFlagValues(
    f,
    TRAIN_SETTING_FLAGS,
    QUICK_RETRAIN,
  );
  const config: RetrainConfig = {
    model: choiceFlag(f, "model", MODEL_NAMES),
    dims: plan ? plan.fields.map((x) => x.dim) : data.manifest.fields.map(() => dim as number),
    // Default: project as the search unified (linear → linear map, zero-pad → padding).
    projection: plan ? choiceFlag(f, "projection", ["linear", "zeropad"] as const, plan.config.unify) : "none",
    outputDim: plan ? plan.candidates[plan.candidates.length - 1] : (dim as number),
    epochs,
    patience,
    batchSize,
    learningRate,
    seed: intFlag(f, "seed", DEFAULT_SEED, 0),
    warmStart: f["warm-start"] === true,
    ...batchPartsFlag(f),
    ...(embeddingL2 !== undefined ? { embeddingL2 } : {}),
  };
  if (!plan && f.projection !== undefined) throw new UsageError("--projection applies with --plan only");
  if (BATCH_NORM_MODELS.includes(config.model)) batchSizeCheck(config.batchSize, `${config.model}'s BatchNorm`);
  const memory = memoryProblem(
    retrainMemory({
      vocabularySizes: data.manifest.fields.map((x) => x.vocabularySize),
      dims: config.dims,
      outputDim: config.outputDim,
      batchSize: config.batchSize,
    }),
  );
  if (memory && plan)
    throw new AutodimError(
      `--plan ${String(f.plan)}: sizes up to ${Math.max(...config.dims)}, output ${config.outputDim} (--batch-size ${config.batchSize}): ${memory}; re-train a plan with smaller sizes or use a smaller --batch-size`,
    );
  if (memory)
    throw new UsageError(
      `--dim ${dim} (--batch-size ${config.batchSize}): ${memory}; choose a smaller --dim or --batch-size`,
    );
  checkOutputClashes(
    [
      { flag: "--data", path: data.dir },
      ...(typeof f.plan === "string" ? [{ flag: "--plan", path: f.plan }] : []),
      ...(config.warmStart && plan?.search.weights
        ? [{ flag: "--plan's weights", path: plan.search.weights.file }]
        : []),
    ],
    [{ flag: "--out", path: out }, ...checkpointOutput(f)],
  );
  checkOutputFile("--out", out);
  const checkpoint = checkpointFlags(f, 3 * 2 * 4 * data.totalFeatures * config.outputDim, "autodim retrain");
  threadsFlag(f);
  await withLog(logBeside(out), `autodim retrain --model ${config.model}`, async () => {
    const info = await initRuntime();
    console.log(`backend ${backendLabel(info)}; hardware ${describeHardware()}`);
    const result = await retrain(data, config, {
      method: plan ? plan.method : `full-${dim}`,
      plan,
      checkpoint,
      allowDivergence: f["allow-divergence"] === true,
    });
    writeJson(out, result);
    console.log(
      `test AUC ${result.test.auc.toFixed(4)}, Logloss ${result.test.logloss.toFixed(4)}, embedding params ${result.params.embedding} (best val AUC ${result.bestValidation.auc.toFixed(4)} at epoch ${result.bestValidation.epoch}); ${result.runtime.wallSeconds.toFixed(1)} s`,
    );
    console.log(`wrote ${out} and ${logBeside(out)}`);
  });
}
