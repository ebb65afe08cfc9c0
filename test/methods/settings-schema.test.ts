// One schema per group of settings (the search, training, RaS, MDE, Shrink): the type, the defaults, the
// CLI flags and the checks of config files and notebook cells all derive from it, and the
// settings the experiments build keep their JSON (a run cell's identity hashes it).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { z } from "zod";
import { UsageError } from "../../src/cli/args.js";
import { FLAG_DOCS, flagHelp } from "../../src/cli/flag-help.js";
import {
  choiceFlagValues,
  SEARCH_CHOICE_FLAGS,
  SEARCH_SETTING_FLAGS,
  settingFlagValue,
  settingFlagValues,
} from "../../src/cli/flags.js";
import { AutodimError } from "../../src/core/errors.js";
import type { Experiment } from "../../src/experiments/experiment.js";
import { frequencyDefaults } from "../../src/experiments/frequency.js";
import { EXPERIMENTS } from "../../src/experiments/registry.js";
import { tuningDefaults } from "../../src/experiments/tuning.js";
import { methodsDefaults, methodSettings } from "../../src/experiments/methods.js";
import { mergeSettings, settingsCell } from "../../src/experiments/overrides.js";
import {
  DEFAULT_SEARCH,
  MDE_SETTINGS,
  METHOD_SETTINGS,
  QUICK_SEARCH,
  quickSettings,
  RANDOM_SEARCH_SETTINGS,
  SEARCH_SETTINGS,
  SHRINK_SETTINGS,
  SHRINK_TOLERANCE,
  SMOKE_SEARCH,
  TRAIN_SETTINGS,
} from "../../src/methods/defaults.js";
import { METHOD_FLAGS, METHOD_SWITCHES, METHODS } from "../../src/methods/registry.js";
import { accepts, settingFlags, settingsDefaults, type SettingsOf } from "../../src/methods/settings-schema.js";
import type { SearchConfig } from "../../src/train/schemas.js";

// SettingsOf is z.infer under `tsc --strict` (it exists for tslab's non-strict compile).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameTypes: [
  Same<SettingsOf<typeof TRAIN_SETTINGS>, z.infer<typeof TRAIN_SETTINGS>>,
  Same<SettingsOf<typeof RANDOM_SEARCH_SETTINGS>, z.infer<typeof RANDOM_SEARCH_SETTINGS>>,
  Same<SettingsOf<typeof MDE_SETTINGS>, z.infer<typeof MDE_SETTINGS>>,
  Same<SettingsOf<typeof SHRINK_SETTINGS>, z.infer<typeof SHRINK_SETTINGS>>,
  Same<SettingsOf<typeof SEARCH_SETTINGS>, z.infer<typeof SEARCH_SETTINGS>>,
] = [true, true, true, true, true];

// The search settings with the model and the seed are a search's config (a plan's `config`), which
// keeps `tauSchedule` optional for plans written before it existed.
const searchConfig: SearchConfig = { ...DEFAULT_SEARCH, model: "fm", seed: 1 };

test("settings schemas: the type is z.infer's; the defaults are the schema's, in its order, optional ones absent", () => {
  assert.deepEqual(sameTypes, [true, true, true, true, true]);
  assert.equal(searchConfig.tauSchedule, "fit");
  assert.equal(
    JSON.stringify(settingsDefaults(TRAIN_SETTINGS)),
    '{"epochs":12,"patience":2,"batchSize":512,"learningRate":0.001}',
  );
  assert.equal(JSON.stringify(settingsDefaults(RANDOM_SEARCH_SETTINGS)), '{"trials":10,"trialEpochs":1}');
  assert.equal(JSON.stringify(settingsDefaults(MDE_SETTINGS)), '{"temperature":0.3}');
  assert.equal(settingsDefaults(SHRINK_SETTINGS).tolerance, SHRINK_TOLERANCE);
});

test("the settings a run cell hashes keep their JSON: no new keys, the same order, Shrink's absent unless set", () => {
  const quick = JSON.stringify(quickSettings("fm", 2026));
  assert.equal(
    quick,
    '{"model":"fm","seed":2026,"candidates":[2,8,16,24,32],"train":{"epochs":12,"patience":2,"batchSize":512,"learningRate":0.001},' +
      '"search":{"lookup":"shared","unify":"linear","tauDecay":0.00005,"tauSchedule":"fit","mixScale":0.1,"frequency":10,"secondOrder":false,' +
      '"epochs":4,"warmupSteps":313,"batchSize":512,"learningRate":0.001,"architectureLearningRate":0.01,"architectureOptimizer":"adam","alphaSnapshots":20},' +
      '"randomSearch":{"trials":10,"trialEpochs":1},"mde":{"temperature":0.3}}',
  );
  const cell = methodSettings(methodsDefaults("quick", "movielens"), "fm", 1);
  assert.equal("shrink" in cell, false);
  assert.equal(JSON.stringify(METHODS.shrink.identity?.(cell)), '{"tolerance":0.008}');
});

test("every number setting of a method's schema is one `run` flag with the schema's help, default and bounds; every switch one `run` switch", () => {
  for (const m of Object.values(METHODS)) {
    if (!m.settings) continue;
    const schema = METHOD_SETTINGS[m.settings.section];
    const flags = METHOD_FLAGS.filter((f) => f.method === m.name);
    const switches = METHOD_SWITCHES.filter((f) => f.method === m.name);
    const isSwitch = (key: string) => {
      const field = (schema.shape as z.ZodRawShape)[key];
      return field instanceof z.ZodOptional && field.unwrap() instanceof z.ZodBoolean;
    };
    assert.deepEqual(
      flags.map((f) => f.key),
      Object.keys(schema.shape).filter((k) => !isSwitch(k)),
      m.name,
    );
    assert.deepEqual(
      switches.map((f) => f.key),
      Object.keys(schema.shape).filter(isSwitch),
      m.name,
    );
    for (const sw of switches) {
      const field = (schema.shape as z.ZodRawShape)[sw.key];
      assert.equal(sw.help, field.description, sw.flag);
      assert.equal(sw.default, false, `${sw.flag}: off unless given`);
      const s = quickSettings("fm", 1);
      const on = sw.set(s) as unknown as Record<string, Record<string, unknown>>;
      assert.equal(on[sw.section][sw.key], true, sw.flag);
      // The method's other settings keep their defaults beside it.
      assert.deepEqual(
        { ...on[sw.section], [sw.key]: undefined },
        { ...settingsDefaults(schema), [sw.key]: undefined },
      );
    }
    const defaults = settingsDefaults(schema) as Record<string, number>;
    for (const f of flags) {
      const field = (schema.shape as z.ZodRawShape)[f.key];
      assert.equal(f.help, field.description, f.flag);
      // An optional setting's flag defaults to its lowest value, which leaves the setting out.
      assert.equal(f.default, field.isOptional() ? (defaults[f.key] ?? f.min) : defaults[f.key], f.flag);
      assert.equal(f.get(quickSettings("fm", 1)) ?? (field.isOptional() ? f.min : undefined), f.default, f.flag);
      // The bounds are the schema's: it takes min and max and refuses just beyond.
      const step = f.kind === "int" ? 1 : 1e-9;
      for (const ok of [f.min, f.max]) assert.ok(field.safeParse(ok).success, `${f.flag} ${ok}`);
      for (const bad of [f.min - step, f.max + step]) assert.ok(!field.safeParse(bad).success, `${f.flag} ${bad}`);
      if (f.kind === "int") assert.ok(!field.safeParse(f.min + 0.5).success, `${f.flag}: an integer`);
      // Setting one leaves the rest of the settings' JSON as it was.
      const s = quickSettings("fm", 1);
      const set = f.set(s, f.max);
      assert.equal(f.get(set), f.max);
      assert.deepEqual(Object.keys(set), [...Object.keys(s), ...(f.section in s ? [] : [f.section])]);
    }
  }
  // A flag is the setting's kebab-case key unless the method renames it.
  assert.deepEqual(
    settingFlags(RANDOM_SEARCH_SETTINGS).map((f) => f.flag),
    ["trials", "trial-epochs"],
  );
  assert.deepEqual(
    METHOD_FLAGS.map((f) => f.flag),
    ["mde-temperature", "trials", "trial-epochs", "tolerance", "gain-share"],
  );
});

test("a notebook cell or a config file: a wrong type or a value out of bounds names the setting and what it accepts", () => {
  const d = methodsDefaults("quick", "movielens");
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ mde: { temperature: "hot" } }, /the settings cell: setting mde\.temperature must be a number, got "hot"$/],
    [{ mde: { temperature: 2 } }, /setting mde\.temperature must be a number in \[0, 1\], got 2$/],
    [{ randomSearch: { trials: 0 } }, /setting randomSearch\.trials must be an integer in 1\.\.1000, got 0$/],
    [
      { randomSearch: { trialEpochs: 1.5 } },
      /setting randomSearch\.trialEpochs must be an integer in 1\.\.100, got 1\.5$/,
    ],
    [{ randomSearch: { trails: 3 } }, /unknown setting randomSearch\.trails$/],
    [{ retrain: { learningRate: 0 } }, /setting retrain\.learningRate must be a number in \[1e-8, 10\], got 0$/],
    [{ retrain: { embeddingL2: -1 } }, /setting retrain\.embeddingL2 must be a number in \[0, 10\], got -1$/],
    [{ retrain: { batchParts: 3 } }, /setting retrain\.batchParts must be one of 1, 2, got 3$/],
    [{ mde: 0.3 }, /setting mde must be an object, got 0\.3$/],
    [{ shrink: { tolerance: 0.1 } }, /unknown setting shrink$/],
  ];
  for (const [over, message] of cases)
    assert.throws(
      () => settingsCell(d, over),
      (e: unknown) => e instanceof AutodimError && message.test((e as Error).message),
      JSON.stringify(over),
    );
  // Optional settings the schema has are taken (and absent ones stay absent).
  const s = settingsCell(d, { retrain: { embeddingL2: 0.01, batchParts: 2 }, mde: { temperature: 0.5 } });
  assert.deepEqual(s.retrain, { ...d.retrain, embeddingL2: 0.01, batchParts: 2 });
  assert.deepEqual(s.mde, { temperature: 0.5 });
  assert.equal(JSON.stringify(settingsCell(d, {})), JSON.stringify(d));
  // A run's optional group (Shrink's) is checked by its schema and completed from its defaults.
  const whole = { shrink: SHRINK_SETTINGS };
  const run = quickSettings("fm", 1);
  assert.deepEqual(mergeSettings(run, { shrink: { tolerance: 0.004 } }, "c.json", whole).shrink, { tolerance: 0.004 });
  assert.deepEqual(mergeSettings(run, { shrink: {} }, "c.json", whole).shrink, { tolerance: SHRINK_TOLERANCE });
  assert.throws(
    () => mergeSettings(run, { shrink: { tolerance: -0.1 } }, "c.json", whole),
    /c\.json: setting shrink\.tolerance must be a number in \[0, 1\], got -0\.1/,
  );
  assert.throws(
    () => mergeSettings(run, { train: { patience: 0 } }, "c.json", whole),
    /c\.json: setting train\.patience must be an integer in 1\.\.1000, got 0/,
  );
});

test("Shrink's gain share: 0 leaves it unset (the cell's identity unchanged); set, it alone decides the identity", () => {
  const flag = METHOD_FLAGS.find((f) => f.flag === "gain-share");
  assert.ok(flag && flag.optional && flag.min === 0);
  const shrink = METHODS.shrink;
  const s = quickSettings("fm", 1);
  const zero = flag.set(s, 0);
  assert.deepEqual(zero.shrink, { tolerance: 0.008 });
  assert.equal(JSON.stringify(shrink.identity?.(zero)), JSON.stringify(shrink.identity?.(s)));
  assert.equal(JSON.stringify(shrink.identity?.(s)), '{"tolerance":0.008}');
  assert.equal(JSON.stringify(shrink.identity?.(flag.set(s, 0.05))), '{"gainShare":0.05}');
});

// The search settings' JSON before they became a schema: a saved cell's identity hashes it.
const PAPER_SEARCH_JSON =
  '{"candidates":[2,8,16,24,32],"lookup":"shared","unify":"linear","tauDecay":0.00005,"tauSchedule":"fit","mixScale":0.1,' +
  '"frequency":10,"oneLevel":false,"secondOrder":false,"epochs":1,"warmupSteps":0,"batchSize":2000,"learningRate":0.001,' +
  '"architectureLearningRate":0.001,"architectureOptimizer":"adam","alphaSnapshots":20}';

test("the search settings' schema: its defaults are DEFAULT_SEARCH's, JSON unchanged; every scale's settings are within it", () => {
  assert.equal(JSON.stringify(settingsDefaults(SEARCH_SETTINGS)), PAPER_SEARCH_JSON);
  assert.equal(JSON.stringify(DEFAULT_SEARCH), PAPER_SEARCH_JSON);
  const scaled = (changes: string) => PAPER_SEARCH_JSON.replace(/"epochs".*"architectureLearningRate":0.001/, changes);
  assert.equal(
    JSON.stringify(QUICK_SEARCH),
    scaled('"epochs":4,"warmupSteps":313,"batchSize":512,"learningRate":0.001,"architectureLearningRate":0.01'),
  );
  assert.equal(
    JSON.stringify(SMOKE_SEARCH),
    scaled('"epochs":1,"warmupSteps":8,"batchSize":256,"learningRate":0.001,"architectureLearningRate":0.01'),
  );
  for (const s of [DEFAULT_SEARCH, QUICK_SEARCH, SMOKE_SEARCH])
    assert.equal(JSON.stringify(SEARCH_SETTINGS.parse(s)), JSON.stringify(s));
  // Every field says what it means (the plan file's description), so help and checks have it.
  for (const [key, field] of Object.entries(SEARCH_SETTINGS.shape as z.ZodRawShape))
    assert.ok(field.description, `search setting ${key} has no description`);
});

test("`autodim search`'s setting flags are the schema's: each with its help, default and bounds, none lost", () => {
  assert.deepEqual(
    SEARCH_SETTING_FLAGS.map((f) => f.flag),
    ["tau-decay", "freq", "epochs", "warmup-steps", "batch-size", "lr", "arch-lr"],
  );
  assert.deepEqual(
    SEARCH_CHOICE_FLAGS.map((f) => [f.flag, f.choices?.join("|") ?? "switch", f.default]),
    [
      ["embedding", "shared|separate", "shared"],
      ["unify", "linear|zeropad", "linear"],
      ["tau-schedule", "paper|fit", "fit"],
      ["one-level", "switch", false],
      ["second-order", "switch", false],
    ],
  );
  const shape = SEARCH_SETTINGS.shape as z.ZodRawShape;
  const defaults = DEFAULT_SEARCH as unknown as Record<string, unknown>;
  // Every setting is a flag of the search, but those set in config files and notebook cells only.
  const flagged = [...SEARCH_SETTING_FLAGS, ...SEARCH_CHOICE_FLAGS].map((f) => f.key);
  assert.deepEqual(
    Object.keys(shape).filter((k) => !flagged.includes(k)),
    ["candidates", "mixScale", "architectureOptimizer", "alphaSnapshots", "batchParts"],
  );
  const help = flagHelp("search") ?? "";
  const line = (flag: string) => help.split("\n").find((l) => l.trimStart().startsWith(`--${flag} `)) ?? "";
  for (const f of SEARCH_SETTING_FLAGS) {
    const field = shape[f.key];
    assert.equal(f.help, field.description, f.flag);
    assert.equal(f.default, defaults[f.key], f.flag);
    for (const ok of [f.min, f.max]) assert.ok(field.safeParse(ok).success, `${f.flag} ${ok}`);
    const step = f.kind === "int" ? 1 : Math.max(1e-12, f.min * 1e-3);
    for (const bad of [f.min - step, f.max + 1]) assert.ok(!field.safeParse(bad).success, `${f.flag} ${bad}`);
    assert.ok(line(f.flag).includes(`${f.help} (default ${f.default}; ${accepts(f)}`), line(f.flag));
  }
  for (const c of SEARCH_CHOICE_FLAGS) {
    assert.equal(c.help, shape[c.key].description, c.flag);
    assert.equal(c.default, defaults[c.key], c.flag);
    const l = help.split("\n").find((x) => x.trimStart().startsWith(`--${c.flag}`)) ?? "";
    assert.ok(l.includes(`${c.help} (default ${c.choices ? c.default : "off"}`), l);
    if (c.choices) assert.ok(l.includes(`--${c.flag} ${c.choices.join("|")} `), l);
  }
  // The search's help lists every flag it had before its settings became a schema.
  const documented = FLAG_DOCS.search.map((d) => d.flag);
  for (const flag of [
    ...["data", "model", "out", "candidates", "embedding", "unify", "freq", "one-level", "second-order", "epochs"],
    ...["warmup-steps", "batch-size", "lr", "arch-lr", "tau-schedule", "tau-decay", "seed", "save-weights"],
    ...["undecided", "threads", "batch-parts", "checkpoint-dir", "checkpoint-every", "resume", "allow-divergence"],
  ])
    assert.ok(documented.includes(flag), `--${flag}`);
  // Given flags are read into the defaults in their place (a plan's config keeps its key order).
  const read = choiceFlagValues(
    { embedding: "separate", "one-level": true },
    SEARCH_CHOICE_FLAGS,
    settingFlagValues({ freq: "5", "arch-lr": "0.01" }, SEARCH_SETTING_FLAGS, DEFAULT_SEARCH),
  );
  assert.deepEqual(Object.keys(read), Object.keys(DEFAULT_SEARCH));
  assert.deepEqual(read, {
    ...DEFAULT_SEARCH,
    lookup: "separate",
    oneLevel: true,
    frequency: 5,
    architectureLearningRate: 0.01,
  });
});

test("a search flag out of its schema's bounds, or not one of its choices, is a usage error naming the flag", () => {
  for (const f of SEARCH_SETTING_FLAGS)
    for (const bad of [String(f.max * 2 + 1), String(f.min - 1), "x"])
      assert.throws(
        () => settingFlagValue({ [f.flag]: bad }, f),
        (e: unknown) =>
          e instanceof UsageError &&
          e.message.startsWith(`--${f.flag} must be ${accepts(f)}, got `) &&
          e.message.includes(bad),
        `--${f.flag} ${bad}`,
      );
  assert.throws(
    () => choiceFlagValues({ "tau-schedule": "slow" }, SEARCH_CHOICE_FLAGS, DEFAULT_SEARCH),
    (e: unknown) => e instanceof UsageError && e.message === '--tau-schedule must be one of paper, fit, got "slow"',
  );
  // The command says it in one line (and where to look), before it opens any data.
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(process.cwd(), "bin", "autodim.js"), "search", ...args], { encoding: "utf8" });
  const r = cli("--data", "no-such-dir", "--model", "fm", "--out", "x.json", "--freq", "0");
  assert.equal(r.status, 2, r.stderr);
  assert.deepEqual(r.stderr.trim().split("\n"), [
    "autodim search: --freq must be an integer in 1..1000000, got 0",
    "see `autodim search --help`",
  ]);
});

test("a config file's or a notebook cell's search settings are checked by the schema; a setting the experiment sets itself is unknown", () => {
  const d = methodsDefaults("quick", "movielens");
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ search: { epochs: 0 } }, /the settings cell: setting search\.epochs must be an integer in 1\.\.1000, got 0$/],
    [{ search: { tauDecay: 2 } }, /setting search\.tauDecay must be a number in \[0, 1\], got 2$/],
    [{ search: { tauSchedule: "slow" } }, /setting search\.tauSchedule must be one of paper, fit, got "slow"$/],
    [
      { search: { architectureOptimizer: "rmsprop" } },
      /search\.architectureOptimizer must be one of adam, sgd, got "rmsprop"$/,
    ],
    [{ search: { secondOrder: "yes" } }, /setting search\.secondOrder must be a boolean, got "yes"$/],
    [{ search: { batchParts: 3 } }, /setting search\.batchParts must be one of 1, 2, got 3$/],
    // The methods' search has no candidates (the run's) and no oneLevel (AutoDim-s is its own method).
    [{ search: { candidates: [2, 4] } }, /unknown setting search\.candidates$/],
    [{ search: { oneLevel: true } }, /unknown setting search\.oneLevel$/],
    [{ search: { epoch: 2 } }, /unknown setting search\.epoch$/],
  ];
  for (const [over, message] of cases)
    assert.throws(
      () => settingsCell(d, over),
      (e: unknown) => e instanceof AutodimError && message.test((e as Error).message),
      JSON.stringify(over),
    );
  const s = settingsCell(d, { search: { epochs: 2, batchParts: 2 } });
  assert.deepEqual(s.search, { ...d.search, epochs: 2, batchParts: 2 });
  // The frequency sweep sets the frequency itself: a search.frequency would be ignored, so it is refused.
  assert.throws(
    () => settingsCell(frequencyDefaults("quick"), { search: { frequency: 5 } } as never),
    /the settings cell: unknown setting search\.frequency$/,
  );
  // A run's config file: the same checks.
  assert.throws(
    () => mergeSettings(quickSettings("fm", 1), { search: { warmupSteps: -1 } }, "c.json"),
    /c\.json: setting search\.warmupSteps must be an integer in 0\.\.1000000000, got -1$/,
  );
});

test("every experiment's group named as a settings schema's is that schema's settings, but the tuning's search grid", () => {
  const schemas: Record<string, z.AnyZodObject> = {
    search: SEARCH_SETTINGS,
    train: TRAIN_SETTINGS,
    retrain: TRAIN_SETTINGS,
    ...METHOD_SETTINGS,
  };
  const others: string[] = [];
  const walk = (o: unknown, path: string) => {
    if (typeof o !== "object" || o === null || Array.isArray(o)) return;
    for (const [key, value] of Object.entries(o)) {
      const at = `${path}.${key}`;
      const schema = schemas[key];
      if (schema && !schema.partial().strict().safeParse(value).success) others.push(at);
      walk(value, at);
    }
  };
  for (const [name, e] of Object.entries(EXPERIMENTS))
    for (const scale of ["smoke", "quick", "paper"] as const)
      walk((e as Experiment<unknown, unknown>).defaults?.(scale), `${name}@${scale}`);
  assert.deepEqual(others, ["tuning@smoke.search", "tuning@quick.search", "tuning@paper.search"]);
  // The grid is merged as any other object; its base's search settings by their schema.
  const d = tuningDefaults("quick");
  assert.deepEqual(
    settingsCell(d, { search: { architectureLearningRate: [1e-2] } }).search.architectureLearningRate,
    [1e-2],
  );
  assert.throws(
    () => settingsCell(d, { base: { search: { architectureLearningRate: 0 } } }),
    /setting base\.search\.architectureLearningRate must be a number in \[1e-8, 10\], got 0$/,
  );
});
