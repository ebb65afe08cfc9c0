// `autodim run`: one method of the paper's comparison (choose sizes, re-train, test) at the quick
// scale, its settings layered flags > --config file > defaults. One command per file
// (src/cli/main.ts dispatches); the --config file is read by ../run-config.ts.
import { DEFAULT_SEED } from "../../methods/defaults.js";
import { mergeSettings } from "../../experiments/overrides.js";
import { quickSettings } from "../../methods/defaults.js";
import { METHOD_FLAGS, METHOD_NAMES, METHOD_SWITCHES, METHODS } from "../../methods/registry.js";
import { BATCH_NORM_MODELS, MODEL_NAMES } from "../../models/ctr.js";
import { backendLabel, initRuntime } from "../../accel/index.js";
import { describeHardware } from "../../core/hardware.js";
import { withLog } from "../../core/run-log.js";
import { memoryProblem, searchMemory } from "../../train/memory.js";
import { choiceFlag, intFlag, parseFlags, requireString, UsageError } from "../args.js";
import {
  batchPartsFlag,
  batchSizeCheck,
  checkpointFlags,
  checkpointOutput,
  openData,
  settingFlagSpec,
  settingFlagValue,
  settingFlagValues,
  threadsFlag,
  TRAIN_SETTING_FLAGS,
  TRAINING_FLAGS,
  writeJson,
} from "../flags.js";
import { checkOutputClashes, checkOutputFile } from "../outputs.js";
import { logBeside, RUN_OPTIONAL_SETTINGS, runConfigChoice, runConfigFile } from "../run-config.js";

/** Runs --method on --data and writes the result with its resolved settings. */
export async function runCommand(argv: string[]): Promise<void> {
  const f = parseFlags("run", argv, {
    ...TRAINING_FLAGS,
    method: { type: "string" },
    data: { type: "string" },
    model: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    config: { type: "string" },
    ...settingFlagSpec(TRAIN_SETTING_FLAGS),
    ...settingFlagSpec(METHOD_FLAGS),
    ...Object.fromEntries(METHOD_SWITCHES.map((m) => [m.flag, { type: "boolean" as const }])),
  });
  // Layers: flags > the config file (--config) > defaults.
  const file = runConfigFile(f.config);
  const method = METHODS[file.method && f.method === undefined ? file.method : choiceFlag(f, "method", METHOD_NAMES)];
  const out = requireString(f, "out");
  const fileModel = file.settings.model;
  const base = quickSettings(
    fileModel !== undefined && f.model === undefined
      ? runConfigChoice(file, "model", fileModel, MODEL_NAMES)
      : choiceFlag(f, "model", MODEL_NAMES),
    intFlag(f, "seed", typeof file.settings.seed === "number" ? file.settings.seed : DEFAULT_SEED, 0),
  );
  const { model: _m, seed: _s, ...fileRest } = file.settings;
  const configured = file.path ? mergeSettings(base, fileRest, file.path, RUN_OPTIONAL_SETTINGS) : base;
  let settings = {
    ...configured,
    train: settingFlagValues(f, TRAIN_SETTING_FLAGS, { ...configured.train, ...batchPartsFlag(f) }),
    search: { ...configured.search, ...batchPartsFlag(f) },
  };
  // Each method's own flags (from its settings schema); another method's flag is a usage error.
  for (const m of METHOD_FLAGS) {
    if (f[m.flag] === undefined) continue;
    if (m.method !== method.name) throw new UsageError(`--${m.flag} applies to --method ${m.method} only`);
    settings = m.set(settings, settingFlagValue(f, m) as number);
  }
  for (const m of METHOD_SWITCHES) {
    if (f[m.flag] === undefined) continue;
    if (m.method !== method.name) throw new UsageError(`--${m.flag} applies to --method ${m.method} only`);
    if (f[m.flag] === true) settings = m.set(settings);
  }
  const dataDir = f.data === undefined && file.data !== undefined ? file.data : requireString(f, "data");
  checkOutputClashes([{ flag: "--data", path: dataDir }], [{ flag: "--out", path: out }, ...checkpointOutput(f)]);
  const data = openData(dataDir);
  if (BATCH_NORM_MODELS.includes(settings.model))
    batchSizeCheck(settings.train.batchSize, `${settings.model}'s BatchNorm`);
  const memory = memoryProblem(
    searchMemory({
      totalFeatures: data.totalFeatures,
      fields: data.fieldCount,
      batchSize: settings.train.batchSize,
      candidates: settings.candidates,
      lookup: "separate",
    }),
  );
  if (memory)
    throw new UsageError(`--batch-size ${settings.train.batchSize}: ${memory}; choose a smaller --batch-size`);
  checkOutputFile("--out", out);
  const checkpoint = checkpointFlags(
    f,
    3 * 2 * 4 * data.totalFeatures * settings.candidates[settings.candidates.length - 1],
    "autodim run",
  );
  threadsFlag(f);
  await withLog(logBeside(out), `autodim run --method ${method.name}`, async () => {
    const info = await initRuntime();
    console.log(`backend ${backendLabel(info)}; hardware ${describeHardware()}`);
    console.log(`settings (flags > ${file.path ?? "no config file"} > defaults): ${JSON.stringify(settings)}`);
    const result = await method.run(data, settings, {
      checkpoint,
      allowDivergence: f["allow-divergence"] === true,
    });
    // The resolved settings travel with the result: a config file of its `settings` re-runs it.
    writeJson(out, { ...result, settings: { method: method.name, ...settings } });
    console.log(
      `${method.name}: test AUC ${result.test.auc.toFixed(4)}, Logloss ${result.test.logloss.toFixed(4)}, embedding params ${result.params.embedding}; sizes ${result.dims.map((d) => d.dim).join(",")}; ${result.runtime.wallSeconds.toFixed(1)} s`,
    );
    console.log(`wrote ${out} and ${logBeside(out)}`);
  });
}
