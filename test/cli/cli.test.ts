// The CLI as a user runs it: a child process, exit codes, stdout and stderr.
import assert from "node:assert/strict";
import { test } from "node:test";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initRuntime } from "../../src/accel/index.js";
import { CRITEO_DEEPCTR, fixtureLines, tempDir } from "../helpers.js";

function autodim(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["bin/autodim.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, AUTODIM_QUIET: "1", ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("usage errors exit 2 and name the flag and what it accepts", () => {
  const unknown = autodim(["prepare", "--formt", "criteo"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /Unknown option '--formt'/);
  assert.match(unknown.err, /flags: --format, --input/);
  const format = autodim(["prepare", "--format", "csvx", "--input", "x", "--out", "y"]);
  assert.equal(format.code, 2);
  assert.match(format.err, /--format must be one of criteo, avazu, criteo-deepctr, csv, tsv, libfm, got "csvx"/);
  const min = autodim(["prepare", "--format", "criteo", "--input", "x", "--out", "y", "--min-count", "0"]);
  assert.match(min.err, /--min-count must be an integer ≥ 1, got 0/);
  const split = autodim(["prepare", "--format", "criteo", "--input", "x", "--out", "y", "--split", "8:1"]);
  assert.match(split.err, /--split must be train:val:test/);
  const missing = autodim(["prepare", "--format", "criteo", "--out", "y"]);
  assert.match(missing.err, /--input is required/);
  assert.equal(autodim(["frobnicate"]).code, 2);
  const ranks = autodim(["synth", "--rows", "10", "--ranks", "1,2,x", "--out", "z"]);
  assert.match(ranks.err, /--ranks must be a comma-separated list of integers in 0\.\.16/);
});

test("a bad row stops prepare with file:line: field, exit 1, no stack trace", () => {
  const lines = fixtureLines(CRITEO_DEEPCTR);
  lines[41] = lines[41].replace(/^0,/, "x,");
  const input = join(tempDir(), "bad.csv");
  writeFileSync(input, lines.join("\n") + "\n");
  const r = autodim(["prepare", "--format", "criteo-deepctr", "--input", input, "--out", join(tempDir(), "o")]);
  assert.equal(r.code, 1);
  assert.match(r.err, /bad\.csv:42: field label: label must be 0 or 1, found "x"/);
  assert.doesNotMatch(r.err, /\n\s+at /);
  const skip = autodim([
    "prepare",
    "--format",
    "criteo-deepctr",
    "--input",
    input,
    "--out",
    join(tempDir(), "o"),
    "--on-bad-row",
    "skip",
  ]);
  assert.equal(skip.code, 0);
  assert.match(skip.err, /skipped 1 bad rows \(label: 1\)/);
  assert.match(skip.out, /skipped 1/);
  const nofile = autodim([
    "prepare",
    "--format",
    "criteo",
    "--input",
    "/nonexistent/train.txt",
    "--out",
    join(tempDir(), "o"),
  ]);
  assert.equal(nofile.code, 1);
  assert.match(nofile.err, /\/nonexistent\/train\.txt: input file not found/);
});

test("synth → prepare → summary, then prepare again reuses the cache", () => {
  const dir = tempDir();
  const raw = join(dir, "s.txt");
  const s = autodim(["synth", "--rows", "3000", "--seed", "5", "--out", raw]);
  assert.equal(s.code, 0, s.err);
  assert.ok(existsSync(`${raw}.truth.json`));
  const out = join(dir, "p");
  const p = autodim(["prepare", "--format", "criteo", "--input", raw, "--out", out, "--min-count", "3"]);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /^prepared /);
  assert.match(p.out, /fields 39, total features \d+ \(min count 3, seed 2026\)/);
  assert.equal(
    autodim(["prepare", "--format", "criteo", "--input", raw, "--out", out, "--min-count", "3"]).out.split("\n")[0],
    `reused ${out}`,
  );
  const sum = autodim(["summary", "--data", out]);
  assert.equal(sum.code, 0);
  const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  assert.match(sum.out, new RegExp(`rows 3000 \\(train ${m.rows.train}, val ${m.rows.val}, test ${m.rows.test}\\)`));
  const none = autodim(["summary", "--data", join(dir, "nothing")]);
  assert.equal(none.code, 1);
  assert.match(none.err, /manifest\.json not found: run `autodim prepare/);
});

test("backend: printed, and AUTODIM_BACKEND forces or fails clearly", () => {
  const auto = autodim(["backend"]);
  assert.equal(auto.code, 0);
  assert.match(auto.out, /^backend (node|wasm) /);
  assert.match(autodim(["backend"], { AUTODIM_BACKEND: "cpu" }).out, /^backend cpu /);
  const node = autodim(["backend"], { AUTODIM_BACKEND: "node" });
  if (node.code !== 0) assert.match(node.err, /AUTODIM_BACKEND=node could not be loaded: .*libtensorflow/);
  const bad = autodim(["backend"], { AUTODIM_BACKEND: "gpu" });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /AUTODIM_BACKEND=gpu is not a backend; use one of node, wasm, cpu/);
});

test("the CLI runs in a Node with the heap flags training wants; a user's own value stands; signals reach it", async () => {
  assert.match(autodim(["backend"]).out, /^hardware .*Node v[\d.]+ --max-semi-space-size=64$/m);
  const own = spawnSync(process.execPath, ["--max-semi-space-size=32", "bin/autodim.js", "backend"], {
    encoding: "utf8",
  });
  assert.match(own.stdout, /^hardware .*Node v[\d.]+ --max-semi-space-size=32$/m);
  // A long bench: SIGTERM to the process we started ends the one doing the work, by the same signal.
  const marker = "987654";
  const start = () =>
    spawn(process.execPath, ["bin/autodim.js", "bench", "--only", "search", "--steps", marker], {
      env: { ...process.env, AUTODIM_QUIET: "1", AUTODIM_THREADS: "1" },
      stdio: "ignore",
    });
  // Processes running the relaunched command (read from /proc: no pgrep needed).
  const working = () =>
    readdirSync("/proc")
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
          return argv.includes("--max-semi-space-size=64") && argv.includes(marker);
        } catch {
          return false; // gone meanwhile
        }
      })
      .join(",");
  const sleep = () => new Promise((r) => setTimeout(r, 100));
  // SIGTERM is passed on; SIGKILL cannot be, and the relaunched CLI notices its parent is gone.
  for (const sent of ["SIGTERM", "SIGKILL"] as const) {
    const parent = start();
    for (let i = 0; i < 100 && working() === ""; i++) await sleep();
    assert.notEqual(working(), "", "the relaunched CLI is running");
    parent.kill(sent);
    const [, signal] = (await once(parent, "exit")) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, sent);
    for (let i = 0; i < 50 && working() !== ""; i++) await sleep();
    assert.equal(working(), "", `no CLI left running after ${sent}`);
  }
});

test("the main job runs on the embedded default data and prints its summary", () => {
  const dir = tempDir();
  const r = autodim(["main", "--rows", "5000", "--dir", join(dir, "not", "yet")]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /backend (node|wasm)/);
  assert.match(r.out, /rows 5000 /);
  assert.match(r.out, /planted ranks: I1=0 I2=4 /);
  assert.match(r.out, /ceiling AUC/);
});

test("the CLI loads its backend from any working directory (not only the repo root)", async () => {
  const r = spawnSync(process.execPath, [join(process.cwd(), "bin", "autodim.js"), "backend"], {
    cwd: tempDir(),
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^backend ${(await initRuntime()).backend} `));
});

test("training commands: each bad flag value is a usage error naming the flag and what it accepts", () => {
  const dir = tempDir();
  const data = join(dir, "prepared");
  const raw = join(dir, "s.txt");
  assert.equal(autodim(["synth", "--rows", "2000", "--seed", "1", "--out", raw]).code, 0);
  assert.equal(autodim(["prepare", "--format", "criteo", "--input", raw, "--out", data]).code, 0);
  const base = ["--data", data, "--model", "fm", "--out", join(dir, "x.json")];
  const cases: [string[], number, RegExp][] = [
    [["search", ...base, "--candidates", "8,2"], 2, /--candidates: must be strictly increasing, got 8,2/],
    [
      ["search", ...base, "--candidates", "0,2"],
      2,
      /--candidates must be a comma-separated list of integers in 1\.\.4096, got "0"/,
    ],
    [["search", ...base, "--unify", "foo"], 2, /--unify must be one of linear, zeropad, got "foo"/],
    [["search", ...base, "--embedding", "foo"], 2, /--embedding must be one of shared, separate, got "foo"/],
    [["search", ...base, "--freq", "0"], 2, /--freq must be an integer in 1\.\.1000000, got 0/],
    [["search", ...base, "--lr", "-1"], 2, /--lr: a value that starts with "-" must be written --lr=VALUE/],
    [["search", ...base, "--lr=-1"], 2, /--lr must be a number in \[1e-8, 10\], got "-1"/],
    [["search", ...base, "--tau-decay", "abc"], 2, /--tau-decay must be a number in \[0, 1\], got "abc"/],
    [
      ["search", ...base, "--one-level", "--second-order"],
      2,
      /--one-level \(AutoDim-s\) and --second-order exclude each other/,
    ],
    [
      ["search", "--data", data, "--out", join(dir, "x.json"), "--model", "xx"],
      2,
      /--model must be one of fm, wd, deepfm, nfm, ipnn, autoint, got "xx"/,
    ],
    [
      ["search", "--data", join(dir, "nowhere"), "--model", "fm", "--out", "x.json"],
      1,
      /nowhere\/manifest\.json not found: run `autodim prepare/,
    ],
    [["retrain", ...base], 2, /give exactly one of --plan plan\.json or --dim D/],
    [["retrain", ...base, "--plan", join(dir, "none.json")], 1, /--plan .*none\.json: file not found/],
    [["retrain", ...base, "--dim", "8", "--projection", "foo"], 2, /--projection applies with --plan only/],
    [["retrain", ...base, "--dim", "0"], 2, /--dim must be an integer in 1\.\.4096, got 0/],
    [["run", ...base, "--method", "ras", "--trials", "0"], 2, /--trials must be an integer in 1\.\.1000, got 0/],
    [["run", ...base, "--method", "mde", "--mde-temperature=-1"], 2, /--mde-temperature must be a number/],
    [["run", ...base, "--method", "fde", "--epochs", "1.5"], 2, /--epochs must be an integer in 1\.\.1000, got "1\.5"/],
    [["run", ...base, "--method", "fde", "--seed", "x"], 2, /--seed must be an integer/],
    [["bench", "--steps", "5"], 2, /--steps must be an integer in 10\.\.100000, got 5/],
    [["search", ...base, "--bogus", "1"], 2, /Unknown option '--bogus'/],
  ];
  for (const [args, code, message] of cases) {
    const r = autodim(args);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, message, args.join(" "));
  }
});

test("--version prints the package version and the commit, without loading the commands", () => {
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  const r = autodim(["--version"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^autodim ${version.replace(/\./g, "\\.")} \\(commit [0-9a-f]{7,}`));
});
