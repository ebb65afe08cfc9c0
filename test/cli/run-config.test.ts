// `autodim run --config FILE`: settings from a JSON file, layered flags > file > defaults, the
// same bits as the method run in code with those settings; a result (or a saved cell) re-runs
// itself; every search/retrain/run writes a log beside its result.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PreparedData } from "../../src/data/batches.js";
import { quickSettings } from "../../src/methods/defaults.js";
import { METHODS } from "../../src/methods/registry.js";
import { initRuntime } from "../../src/accel/index.js";
import { smallSyntheticData, tempDir } from "../helpers.js";

function autodim(args: string[]) {
  const r = spawnSync(process.execPath, ["bin/autodim.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, AUTODIM_QUIET: "1", AUTODIM_THREADS: "1" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Saved {
  test: { auc: number; logloss: number };
  dims: { dim: number }[];
  settings: { method: string; model: string; seed: number; train: { epochs: number; batchSize: number } };
}

test("run --config: the file's settings, overridden by flags, give the bits of the method run in code; the result re-runs itself", async () => {
  const data = await smallSyntheticData();
  const dir = tempDir();
  const config = join(dir, "fde.json");
  writeFileSync(
    config,
    JSON.stringify({
      "//": "FM at one size per field, one short epoch",
      method: "fde",
      data,
      model: "fm",
      seed: 3,
      train: { epochs: 1, batchSize: 256 },
    }),
  );
  const out = join(dir, "r.json");
  const r = autodim(["run", "--config", config, "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  const saved = JSON.parse(readFileSync(out, "utf8")) as Saved;
  assert.equal(saved.settings.method, "fde");
  assert.equal(saved.settings.seed, 3);
  assert.deepEqual(saved.settings.train, { ...quickSettings("fm", 3).train, epochs: 1, batchSize: 256 });

  // The same settings through the method registry, in this process: the same bits.
  await initRuntime();
  const { method: _m, ...settings } = saved.settings;
  const direct = await METHODS.fde.run(new PreparedData(data), settings as never, { progress: false });
  assert.equal(saved.test.auc, direct.test.auc);
  assert.equal(saved.test.logloss, direct.test.logloss);

  // The result as its own config re-runs to the same bits; a flag overrides the file.
  const again = join(dir, "again.json");
  assert.equal(autodim(["run", "--config", out, "--data", data, "--out", again]).status, 0);
  assert.equal((JSON.parse(readFileSync(again, "utf8")) as Saved).test.auc, saved.test.auc);
  const flagged = join(dir, "flagged.json");
  assert.equal(autodim(["run", "--config", out, "--data", data, "--seed", "4", "--out", flagged]).status, 0);
  const f = JSON.parse(readFileSync(flagged, "utf8")) as Saved;
  assert.equal(f.settings.seed, 4);
  assert.equal(f.settings.train.epochs, 1, "the rest from the file");

  // The log beside the result: header, the run's lines, the outcome.
  const log = readFileSync(join(dir, "r.log"), "utf8");
  assert.match(log, /^# autodim run --method fde\n# command: .*--config .*fde\.json/);
  assert.match(log, /# code: /);
  assert.match(log, /fde: test AUC \d\.\d{4}/);
  assert.match(log, /# finished: .* after [\d.]+ s: ok\n$/);
});

test("run --config names the file and the setting for a typo, a wrong type or an unknown method", async () => {
  const dir = tempDir();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ method: "fde", model: "fm", train: { epoch: 1 } }, /bad\.json: unknown setting train\.epoch/],
    [
      { method: "fde", model: "fm", seed: 1, train: { epochs: "2" } },
      /bad\.json: setting train\.epochs must be a number/,
    ],
    [
      { method: "ras", model: "fm", randomSearch: { trials: 0 } },
      /bad\.json: setting randomSearch\.trials must be an integer in 1\.\.1000, got 0/,
    ],
    [
      { method: "shrink", model: "fm", shrink: { tolerance: "small" } },
      /bad\.json: setting shrink\.tolerance must be a number, got "small"/,
    ],
    [{ method: "fdx", model: "fm" }, /bad\.json: setting method must be one of fde, /],
    [{ method: "fde", model: "fmx" }, /bad\.json: setting model must be one of fm, /],
  ];
  for (const [body, message] of cases) {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify(body));
    const r = autodim(["run", "--config", file, "--data", dir, "--out", join(dir, "x.json")]);
    assert.equal(r.status === 1 || r.status === 2, true, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  writeFileSync(join(dir, "broken.json"), '{\n  "method": "fde",\n  "model": fm\n}');
  const broken = autodim(["run", "--config", join(dir, "broken.json"), "--out", join(dir, "x.json")]);
  assert.match(broken.stderr, /broken\.json:3: not valid JSON/);
  assert.equal(existsSync(join(dir, "x.log")), false, "no log for a run that never started");
});
