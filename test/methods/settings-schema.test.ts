// One schema per group of settings (training, RaS, MDE, Shrink): the type, the defaults, the
// CLI flags and the checks of config files and notebook cells all derive from it, and the
// settings the experiments build keep their JSON (a run cell's identity hashes it).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { z } from "zod";
import { AutodimError } from "../../src/core/errors.js";
import { methodsDefaults, methodSettings } from "../../src/experiments/methods.js";
import { mergeSettings, settingsCell } from "../../src/experiments/overrides.js";
import {
  MDE_SETTINGS,
  METHOD_SETTINGS,
  quickSettings,
  RANDOM_SEARCH_SETTINGS,
  SHRINK_SETTINGS,
  SHRINK_TOLERANCE,
  TRAIN_SETTINGS,
} from "../../src/methods/defaults.js";
import { METHOD_FLAGS, METHODS } from "../../src/methods/registry.js";
import { settingFlags, settingsDefaults, type SettingsOf } from "../../src/methods/settings-schema.js";

// SettingsOf is z.infer under `tsc --strict` (it exists for tslab's non-strict compile).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameTypes: [
  Same<SettingsOf<typeof TRAIN_SETTINGS>, z.infer<typeof TRAIN_SETTINGS>>,
  Same<SettingsOf<typeof RANDOM_SEARCH_SETTINGS>, z.infer<typeof RANDOM_SEARCH_SETTINGS>>,
  Same<SettingsOf<typeof MDE_SETTINGS>, z.infer<typeof MDE_SETTINGS>>,
  Same<SettingsOf<typeof SHRINK_SETTINGS>, z.infer<typeof SHRINK_SETTINGS>>,
] = [true, true, true, true];

test("settings schemas: the type is z.infer's; the defaults are the schema's, in its order, optional ones absent", () => {
  assert.deepEqual(sameTypes, [true, true, true, true]);
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

test("every number setting of a method's schema is one `run` flag with the schema's help, default and bounds", () => {
  for (const m of Object.values(METHODS)) {
    if (!m.settings) continue;
    const schema = METHOD_SETTINGS[m.settings.section];
    const flags = METHOD_FLAGS.filter((f) => f.method === m.name);
    assert.deepEqual(
      flags.map((f) => f.key),
      Object.keys(schema.shape),
      m.name,
    );
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
