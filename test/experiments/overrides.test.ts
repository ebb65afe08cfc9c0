// Experiment settings from a config file and flags (src/experiments/overrides.ts, `reproduce X
// --config FILE --seeds --models --methods`): layered flags > file > defaults, every key and type
// checked against the defaults, errors naming the field and the source; a variant's result goes
// to its own folder and reuses the committed cells it shares.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { AutodimError } from "../../src/core/errors.js";
import { flagOverrides, mergeSettings, readConfigFile } from "../../src/experiments/overrides.js";
import { methodsDefaults } from "../../src/experiments/methods.js";
import { tempDir } from "../helpers.js";

const CLI = join(process.cwd(), "bin", "autodim.js");

function autodim(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, AUTODIM_QUIET: "1", ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("mergeSettings: objects merge key by key, arrays and scalars are replaced, the defaults stay untouched", () => {
  const d = methodsDefaults("quick", "movielens");
  const before = JSON.stringify(d);
  const s = mergeSettings(d, { seeds: [7], retrain: { epochs: 3 }, models: ["fm"] }, "test");
  assert.deepEqual(s.seeds, [7]);
  assert.deepEqual(s.models, ["fm"]);
  assert.equal(s.retrain.epochs, 3);
  assert.equal(s.retrain.batchSize, d.retrain.batchSize);
  assert.deepEqual(s.search, d.search);
  assert.equal(JSON.stringify(d), before);
});

test("mergeSettings: unknown keys, wrong types, wrong element types and empty lists name the field and the source", () => {
  const d = methodsDefaults("quick", "movielens");
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ sedes: [1] }, /cfg\.json: unknown setting sedes/],
    [{ retrain: { epoch: 3 } }, /cfg\.json: unknown setting retrain\.epoch/],
    [{ retrain: { epochs: "3" } }, /setting retrain\.epochs must be a number, got "3"/],
    [{ seeds: [1, "2"] }, /setting seeds\[1\] must be a number, got "2"/],
    [{ seeds: 1 }, /setting seeds must be a array, got 1|setting seeds must be an? array/],
    [{ seeds: [] }, /setting seeds is empty/],
    [{ search: 4 }, /setting search must be an object, got 4/],
  ];
  for (const [over, message] of cases)
    assert.throws(
      () => mergeSettings(d, over, "cfg.json"),
      (e: unknown) => e instanceof AutodimError && message.test((e as Error).message),
      JSON.stringify(over),
    );
});

test("flags and config files: lists parsed, bad items refused, invalid JSON located by line", () => {
  assert.deepEqual(flagOverrides({ seeds: "1, 2", models: "fm,wd" }), { seeds: [1, 2], models: ["fm", "wd"] });
  assert.throws(() => flagOverrides({ seeds: "1,x" }), /--seeds: "x" is not a whole number/);
  assert.throws(() => flagOverrides({ methods: "fde,,autodim" }), /--methods: an empty item/);
  const dir = tempDir();
  const bad = join(dir, "bad.json");
  writeFileSync(bad, '{\n  "seeds": [1],\n  "models": ["fm",]\n}\n');
  assert.throws(() => readConfigFile(bad), /bad\.json(:3)?: not valid JSON/);
  const ok = join(dir, "ok.json");
  writeFileSync(ok, JSON.stringify({ "//": "a comment", seeds: [1] }));
  assert.deepEqual(readConfigFile(ok), { seeds: [1] });
  assert.throws(() => readConfigFile(join(dir, "none.json")), /none\.json: cannot read the config file/);
});

test("reproduce with a config file and flags: flags win, errors are one line, the result goes to its own folder", () => {
  const dir = tempDir();
  const cfg = join(dir, "cfg.json");
  writeFileSync(cfg, JSON.stringify({ seeds: [1, 2], retrain: { epochs: 1, batchSize: 256 } }));
  const bad = autodim(["reproduce", "methods", "--scale", "smoke", "--config", cfg, "--models", "fm,nope"]);
  assert.equal(bad.code, 2, bad.err);
  assert.match(bad.err, /model "nope" is not one of/);
  assert.doesNotMatch(bad.err, /\n\s+at /);
  const unknown = autodim(["reproduce", "data", "--scale", "smoke", "--seeds", "1"]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.err, /data takes no settings|has no "seeds" setting/);
  const all = autodim(["reproduce", "--seeds", "1"]);
  assert.equal(all.code, 2);
  assert.match(all.err, /take one experiment, not all/);
  // A real run: methods at smoke scale, FM only, one seed, FDE and AutoDim; flags override the file's seeds.
  const out = join(dir, "out");
  const r = autodim(
    [
      "reproduce",
      "methods",
      "--scale",
      "smoke",
      "--config",
      cfg,
      "--seeds",
      "1",
      "--models",
      "fm",
      "--methods",
      "fde,autodim",
      "--out",
      out,
      "--figures-out",
      join(dir, "figures"),
    ],
    { AUTODIM_RESULTS_DIR: join(dir, "results") },
  );
  assert.equal(r.code, 0, r.err);
  const saved = JSON.parse(readFileSync(join(out, "methods-smoke.json"), "utf8")) as {
    settings: { seeds: number[]; models: string[]; methods: string[]; retrain: { epochs: number; batchSize: number } };
  };
  assert.deepEqual(saved.settings.seeds, [1]);
  assert.deepEqual(saved.settings.models, ["fm"]);
  assert.deepEqual(saved.settings.methods, ["fde", "autodim"]);
  assert.equal(saved.settings.retrain.epochs, 1);
  assert.equal(saved.settings.retrain.batchSize, 256);
  assert.ok(existsSync(join(out, "methods-smoke.md")));
});

test("jsonErrorOffset finds where JSON first goes wrong (the config file's error line), and nothing in valid JSON", async () => {
  const { jsonErrorOffset } = await import("../../src/experiments/overrides.js");
  for (const valid of ['{"a": [1, 2.5e-3, "x\\"y", true, null, {}], "b": {"c": []}}', "[]", ' "s" ', "-0.5"]) {
    JSON.parse(valid); // the oracle agrees it is valid
    assert.equal(jsonErrorOffset(valid), undefined, valid);
  }
  const cases: [string, number][] = [
    ['{\n  "a": fm\n}', 9], // a bare word
    ['{"a": 1,}', 8], // a trailing comma
    ['{"a" 1}', 5], // no colon
    ["[1, 2", 5], // cut short
    ['{"a": 1} x', 9], // text after the value
    ["{'a': 1}", 1], // single quotes
  ];
  for (const [text, at] of cases) {
    assert.throws(() => JSON.parse(text), SyntaxError, text);
    assert.equal(jsonErrorOffset(text), at, text);
  }
});
