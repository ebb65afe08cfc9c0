// `autodim search`: AutoDim's dimension search on a prepared data set, written as a plan with
// per-field diagnostics (and the supernet's weights). One command per file (src/cli/main.ts
// dispatches); the algorithm is src/embedding/autodim.ts and search.ts.
import { search } from "../../embedding/search.js";
import { undecidedFields } from "../../embedding/diagnostics.js";
import { AutodimError } from "../../core/errors.js";
import { DEFAULT_SEARCH, DEFAULT_SEED } from "../../methods/defaults.js";
import { MODEL_NAMES } from "../../models/ctr.js";
import { backendLabel, initRuntime } from "../../accel/index.js";
import { describeHardware } from "../../core/hardware.js";
import { startLog } from "../../core/run-log.js";
import { memoryProblem, searchMemory } from "../../train/memory.js";
import { candidatesProblem, type SearchConfig, UNDECIDED_POLICIES } from "../../train/schemas.js";
import { choiceFlag, intFlag, intListFlag, parseFlags, requireString, UsageError } from "../args.js";
import {
  batchPartsFlag,
  batchSizeCheck,
  checkpointFlags,
  checkpointOutput,
  choiceFlagSpec,
  choiceFlagValues,
  MAX_CANDIDATE,
  openData,
  SEARCH_CHOICE_FLAGS,
  SEARCH_SETTING_FLAGS,
  settingFlagSpec,
  settingFlagValues,
  threadsFlag,
  TRAINING_FLAGS,
  writeJson,
} from "../flags.js";
import { checkOutputClashes, checkOutputFile } from "../outputs.js";
import { logBeside } from "../run-config.js";

/** Searches the embedding sizes and writes the plan (exit 1 with --undecided fail and an undecided field). */
export async function searchCommand(argv: string[]): Promise<void> {
  const f = parseFlags("search", argv, {
    ...TRAINING_FLAGS,
    data: { type: "string" },
    model: { type: "string" },
    out: { type: "string" },
    candidates: { type: "string" },
    // The search settings' flags, from their schema (SEARCH_SETTINGS).
    ...choiceFlagSpec(SEARCH_CHOICE_FLAGS),
    ...settingFlagSpec(SEARCH_SETTING_FLAGS),
    "save-weights": { type: "string" },
    seed: { type: "string" },
    undecided: { type: "string" },
  });
  const out = requireString(f, "out");
  if (f["one-level"] && f["second-order"])
    throw new UsageError(
      "--one-level (AutoDim-s) and --second-order exclude each other: AutoDim-s has no validation step",
    );
  const candidates = intListFlag(f, "candidates", 1, MAX_CANDIDATE) ?? DEFAULT_SEARCH.candidates;
  const problem = candidatesProblem(candidates);
  if (problem) throw new UsageError(`--candidates: ${problem}`);
  const model = choiceFlag(f, "model", MODEL_NAMES);
  // The defaults' keys in their order (a plan's config keeps its JSON), each given flag checked against its schema.
  const settings = choiceFlagValues(f, SEARCH_CHOICE_FLAGS, settingFlagValues(f, SEARCH_SETTING_FLAGS, DEFAULT_SEARCH));
  const config: SearchConfig = {
    ...settings,
    model,
    candidates,
    // A decay given by hand is the fixed ("paper") schedule unless --tau-schedule says otherwise.
    ...(f["tau-decay"] !== undefined && f["tau-schedule"] === undefined ? { tauSchedule: "paper" as const } : {}),
    seed: intFlag(f, "seed", DEFAULT_SEED, 0),
    ...batchPartsFlag(f),
    // Absent means "keep": the CLI's plan has the library's (and the notebooks') config by default.
    ...(f.undecided === undefined ? {} : { undecided: choiceFlag(f, "undecided", UNDECIDED_POLICIES, "keep") }),
  };
  const saveWeights = typeof f["save-weights"] === "string" ? f["save-weights"] : undefined;
  checkOutputClashes(
    [{ flag: "--data", path: requireString(f, "data") }],
    [
      { flag: "--out", path: out },
      ...(saveWeights ? [{ flag: "--save-weights", path: saveWeights }] : []),
      ...checkpointOutput(f),
    ],
  );
  const data = openData(requireString(f, "data"));
  // The search's BatchNorm (every model) normalises each candidate over the batch.
  batchSizeCheck(config.batchSize, "the search's BatchNorm");
  const memory = memoryProblem(
    searchMemory({
      totalFeatures: data.totalFeatures,
      fields: data.fieldCount,
      batchSize: config.batchSize,
      candidates,
      lookup: config.lookup,
    }),
  );
  if (memory)
    throw new UsageError(
      `--candidates ${candidates.join(",")} (--batch-size ${config.batchSize}, ${data.fieldCount} fields, ${data.totalFeatures} features): ${memory}; choose smaller candidates or a smaller --batch-size`,
    );
  checkOutputFile("--out", out);
  const tableBytes = 4 * data.totalFeatures * candidates[candidates.length - 1];
  if (saveWeights) checkOutputFile("--save-weights", saveWeights, 1.2 * tableBytes);
  const checkpoint = checkpointFlags(f, 3 * 2 * tableBytes, "autodim search");
  threadsFlag(f);
  const closeLog = startLog(logBeside(out), `autodim search --model ${config.model}`);
  const info = await initRuntime();
  console.log(`backend ${backendLabel(info)}; hardware ${describeHardware()}`);
  const plan = await search(data, config, {
    saveWeights,
    checkpoint,
    allowDivergence: f["allow-divergence"] === true,
  }).catch((e: unknown) => {
    closeLog(`failed: ${(e as Error).message}`);
    throw e;
  });
  writeJson(out, plan);
  console.log(`plan: ${plan.fields.map((x) => `${x.name}=${x.dim}`).join(" ")}`);
  console.log(
    `embedding params ${plan.totals.embeddingParams} vs full dimension ${plan.totals.fullDimensionParams} (−${(100 * plan.totals.reduction).toFixed(1)}%); supernet val AUC ${plan.search.supernetValidation.auc.toFixed(4)}; final τ ${plan.search.finalTemperature.toFixed(3)}, ${plan.search.deadCandidates ?? 0} of ${plan.fields.length * plan.candidates.length} α entries below 1e-6 (normalised); decided ${plan.search.diagnostics?.decided} of ${plan.fields.length} fields; ${plan.runtime.wallSeconds.toFixed(1)} s`,
  );
  console.log(`wrote ${out} and ${logBeside(out)}`);
  const undecided = plan.search.diagnostics ? undecidedFields(plan.search.diagnostics) : [];
  if (config.undecided === "fail" && undecided.length > 0) {
    const message = `--undecided fail: ${undecided.length} of ${plan.fields.length} fields undecided (${undecided.join(", ")}); ${out} holds the plan and its diagnostics`;
    closeLog(`failed: ${message}`);
    throw new AutodimError(message);
  }
  closeLog();
}
