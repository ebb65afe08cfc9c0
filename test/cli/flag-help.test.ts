// Per-flag help (src/cli/flag-help.ts): every flag a training command's usage names is explained,
// with its default, and every explained flag is one the usage names; a flag that sets a config
// field says what the field's schema says.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { UsageError } from "../../src/cli/args.js";
import { FLAG_DOCS, flagHelp } from "../../src/cli/flag-help.js";
import { settingFlagValue, settingFlagValues, TRAIN_SETTING_FLAGS } from "../../src/cli/flags.js";
import { commandHelp } from "../../src/cli/main.js";
import { METHOD_FLAGS } from "../../src/methods/registry.js";
import { accepts } from "../../src/methods/settings-schema.js";
import { searchConfigShape } from "../../src/train/schemas.js";

test("search, retrain and run: the help explains exactly the flags their usage names", () => {
  for (const command of Object.keys(FLAG_DOCS)) {
    const usage = commandHelp(command) ?? "";
    const named = new Set([...usage.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
    const documented = new Set(FLAG_DOCS[command].map((d) => d.flag));
    assert.deepEqual(
      [...named].filter((f) => !documented.has(f)),
      [],
      `${command}: usage flags without help`,
    );
    assert.deepEqual(
      [...documented].filter((f) => !named.has(f)),
      [],
      `${command}: help for flags the usage lacks`,
    );
    const help = flagHelp(command) ?? "";
    for (const f of documented) assert.match(help, new RegExp(`--${f}\\b`), `${command} --${f}`);
  }
  const freq = (flagHelp("search") ?? "").split("\n").find((l) => l.trimStart().startsWith("--freq N")) ?? "";
  assert.ok(
    freq.includes(`${searchConfigShape.shape.frequency.description} (default 10; an integer in 1..1000000; paper 10)`),
    freq,
  );
  assert.equal(flagHelp("prepare"), undefined);
});

test("`autodim search --help` prints the usage and every flag's meaning, exit 0", () => {
  const r = spawnSync(process.execPath, [join(process.cwd(), "bin", "autodim.js"), "search", "--help"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^usage: autodim search/);
  assert.match(r.stdout, /--arch-lr X\s+Adam learning rate of the architecture weights α/);
  assert.match(r.stdout, /--undecided keep\|max\|fail\s+what an undecided field gets/);
});

test("help answers from a cache made by the first request; a changed source file makes it again", () => {
  const help = (...args: string[]) =>
    spawnSync(process.execPath, [join(process.cwd(), "bin", "autodim.js"), ...args], { encoding: "utf8" });
  const cacheDir = join(process.cwd(), "node_modules", ".cache", "autodim-help");
  const before = existsSync(cacheDir) ? readdirSync(cacheDir).length : 0;
  const first = help("retrain", "--help");
  const second = help("retrain", "--help");
  assert.equal(first.status, 0);
  assert.equal(second.status, 0);
  assert.equal(second.stdout, first.stdout, "the cached text is the generated one");
  assert.match(second.stdout, /^usage: autodim retrain/);
  assert.ok(readdirSync(cacheDir).length >= Math.min(before + 1, 1), "a cache entry exists");
  // A source file's new mtime is another key: the help is generated again (same text).
  const source = join(process.cwd(), "src", "cli", "flag-help.ts");
  const { atime, mtime } = statSync(source);
  const entries = readdirSync(cacheDir).length;
  try {
    // (a time no earlier run of this test used: the cache outlives the run)
    utimesSync(source, atime, new Date(Math.max(Date.now(), mtime.getTime()) + 1000));
    const third = help("retrain", "--help");
    assert.equal(third.stdout, first.stdout);
    assert.equal(readdirSync(cacheDir).length, entries + 1, "a new entry for the changed code");
  } finally {
    utimesSync(source, atime, mtime);
  }
  // An unknown command's help is an error, never cached as an answer.
  const unknown = help("help", "nope");
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "nope"/);
});

test("setting flags (training, each method's own): help, default and accepted values come from the settings schema", () => {
  const help = flagHelp("run") ?? "";
  const retrainHelp = flagHelp("retrain") ?? "";
  const line = (text: string, flag: string) =>
    text.split("\n").find((l) => l.trimStart().startsWith(`--${flag} `)) ?? "";
  for (const s of [...TRAIN_SETTING_FLAGS, ...METHOD_FLAGS]) {
    const l = line(help, s.flag);
    assert.ok(l.includes(s.help), l);
    assert.ok(l.includes(`default ${s.default}`), l);
    assert.ok(l.includes(accepts(s)), l);
  }
  for (const s of TRAIN_SETTING_FLAGS) assert.equal(line(retrainHelp, s.flag), line(help, s.flag));
  assert.match(line(help, "trials"), /random plans tried \(RaS only; default 10; an integer in 1\.\.1000\)/);
  assert.match(line(help, "lr"), /Adam learning rate \(default 0\.001; a number in \[1e-8, 10\]; paper 0\.001\)/);
});

test("a setting flag out of its bounds is a usage error naming the flag; an optional one at its least value stays absent", () => {
  for (const s of [...TRAIN_SETTING_FLAGS, ...METHOD_FLAGS])
    for (const bad of [String(s.max + 1), String(s.min - 1), "x"])
      assert.throws(
        () => settingFlagValue({ [s.flag]: bad }, s),
        (e: unknown) => e instanceof UsageError && e.message.startsWith(`--${s.flag} must be ${accepts(s)}, got `),
        `--${s.flag} ${bad}`,
      );
  const base = { epochs: 12, patience: 2, batchSize: 512, learningRate: 1e-3 };
  assert.deepEqual(settingFlagValues({ epochs: "3", lr: "0.01" }, TRAIN_SETTING_FLAGS, base), {
    ...base,
    epochs: 3,
    learningRate: 0.01,
  });
  assert.deepEqual(settingFlagValues({ "embedding-l2": "0.5" }, TRAIN_SETTING_FLAGS, base), {
    ...base,
    embeddingL2: 0.5,
  });
  assert.deepEqual(
    settingFlagValues({ "embedding-l2": "0" }, TRAIN_SETTING_FLAGS, { ...base, embeddingL2: 0.5 }),
    base,
  );
});
