// Per-flag help (src/cli/flag-help.ts): every flag a training command's usage names is explained,
// with its default, and every explained flag is one the usage names; a flag that sets a config
// field says what the field's schema says.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FLAG_DOCS, flagHelp } from "../../src/cli/flag-help.js";
import { commandHelp } from "../../src/cli/main.js";
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
  assert.ok(freq.includes(`${searchConfigShape.shape.frequency.description} (default 10; paper 10)`), freq);
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
    utimesSync(source, atime, new Date(mtime.getTime() + 1000));
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
