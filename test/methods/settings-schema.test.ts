// One schema per group of settings (training, RaS, MDE, Shrink): the type, the defaults, the
// CLI flags and the checks of config files and notebook cells all derive from it, and the
// settings the experiments build keep their JSON (a run cell's identity hashes it).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { z } from "zod";
import { methodsDefaults, methodSettings } from "../../src/experiments/methods.js";
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
      assert.equal(f.default, defaults[f.key], f.flag);
      assert.equal(f.get(quickSettings("fm", 1)), f.default, f.flag);
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
    ["mde-temperature", "trials", "trial-epochs", "tolerance"],
  );
});
