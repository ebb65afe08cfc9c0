// The red-team's cases, each ending in one clear line (or success): output paths checked
// before any training, filesystem errors named, help per command, resume and divergence said
// out loud, degenerate splits refused before training. No stack trace without AUTODIM_DEBUG.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { smallSyntheticData, tempDir } from "../helpers.js";

const CLI = join(process.cwd(), "bin", "autodim.js");
let dataDir = "";

before(async () => {
  dataDir = await smallSyntheticData();
});

function autodim(args: string[], env: Record<string, string> = {}) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, AUTODIM_QUIET: "1", ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr, seconds: (Date.now() - started) / 1000 };
}

const NO_STACK = /\n\s+at [^\n]+:\d+:\d+/;

function retrainArgs(out: string, extra: string[] = []) {
  return [
    "retrain",
    "--data",
    dataDir,
    "--model",
    "fm",
    "--dim",
    "8",
    "--epochs",
    "1",
    "--batch-size",
    "256",
    "--out",
    out,
    ...extra,
  ];
}

test("an --out that is a folder, or under a file, is refused before training; nothing is left behind", () => {
  const dir = tempDir();
  for (const [out, message] of [
    [dir, /--out .*: is a folder; give a file path, e\.g\. .*result\.json/],
    [join(dir, "file.txt", "result.json"), /--out .*file\.txt\/result\.json: .*file\.txt is a file, not a folder$/m],
  ] as const) {
    if (out.includes("file.txt")) writeFileSync(join(dir, "file.txt"), "x");
    const r = autodim(retrainArgs(out));
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, message);
    assert.doesNotMatch(r.err, NO_STACK);
    assert.doesNotMatch(r.err, /retrain \(full-8/, "no training started");
  }
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes("tmp-") || f.includes("probe")),
    [],
  );
  // A missing parent folder is made, and the run saves its result.
  const nested = join(dir, "new", "deeper", "result.json");
  const ok = autodim(retrainArgs(nested));
  assert.equal(ok.code, 0, ok.err);
  assert.ok(existsSync(nested));
});

test("a read-only place and a full disk are refused before training (where this machine can mount)", (t) => {
  const dir = tempDir();
  const ro = join(dir, "ro");
  const small = join(dir, "small");
  mkdirSync(ro);
  mkdirSync(small);
  const bind = spawnSync("mount", ["--bind", ro, ro]);
  const remount = bind.status === 0 ? spawnSync("mount", ["-o", "remount,ro,bind", ro]) : bind;
  const tmpfs = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", small]);
  try {
    if (remount.status !== 0 || tmpfs.status !== 0) {
      t.skip(
        `mount is not allowed here (${(remount.stderr || tmpfs.stderr).toString().trim()}); the same checks run through EISDIR/ENOTDIR above`,
      );
      return;
    }
    const r = autodim(retrainArgs(join(ro, "result.json")));
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /--out .*ro\/result\.json: cannot write in .*ro: the filesystem is read-only: choose a path on a writable disk \(EROFS in open\)$/m,
    );
    assert.doesNotMatch(r.err, NO_STACK);
    const plan = join(dir, "plan.json");
    const full = autodim([
      "search",
      "--data",
      dataDir,
      "--model",
      "fm",
      "--out",
      plan,
      "--save-weights",
      join(small, "w.bin"),
      "--epochs",
      "1",
      "--batch-size",
      "256",
    ]);
    assert.equal(full.code, 1);
    assert.match(
      full.err,
      /--save-weights .*small\/w\.bin: 0\.\d MB free on its disk, the output needs about [\d.]+ MB/,
    );
    assert.ok(!existsSync(plan), "the search never ran");
  } finally {
    spawnSync("umount", [ro]);
    spawnSync("umount", [small]);
  }
});

test("help per command; a usage error is one line plus where to look", () => {
  const help = autodim(["retrain", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: autodim retrain +--data DIR --model/);
  // That command's usage and its flags, not the other commands'.
  assert.doesNotMatch(help.out, /\n {2}(search|prepare|reproduce) +--/, "that command's help only");
  assert.match(help.out, /\nflags:\n {2}--data DIR/);
  const bad = autodim(["retrain", "--data", dataDir, "--model", "fm", "--out", "x.json", "--epochs", "-3"]);
  assert.equal(bad.code, 2);
  const lines = bad.err.trim().split("\n");
  assert.equal(lines.length, 2, bad.err);
  assert.match(lines[1], /^see `autodim retrain --help`$/);
  // A training setting's flag is checked against its schema's bounds (--embedding-l2 too, which retrain once lacked).
  const l2 = autodim(retrainArgs("x.json", ["--embedding-l2", "20"]));
  assert.equal(l2.code, 2);
  assert.match(l2.err, /^autodim retrain: --embedding-l2 must be a number in \[0, 10\], got "20"\n/);
  const unknown = autodim(["serch"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command "serch"; commands: synth, /);
});

test("errors carry no stack trace unless AUTODIM_DEBUG=1; control bytes in messages are escaped", () => {
  const dir = tempDir();
  const binary = join(dir, "binary.txt");
  writeFileSync(binary, Buffer.concat([Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x07]), Buffer.from("ab,c\n1,2\n")]));
  const r = autodim(["prepare", "--format", "avazu", "--input", binary, "--out", join(dir, "p")]);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.err, /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/, "no raw control bytes reach the terminal");
  assert.match(r.err, /found: +\\x1b\[2J\\x07ab,c/);
  assert.doesNotMatch(r.err, NO_STACK);
  const debug = autodim(
    ["retrain", "--data", join(dir, "nowhere"), "--model", "fm", "--dim", "8", "--out", join(dir, "r.json")],
    { AUTODIM_DEBUG: "1" },
  );
  assert.equal(debug.code, 1);
  assert.match(debug.err, NO_STACK);
  // --data given a file: the advice is about folders, not to overwrite the file.
  const file = autodim(["retrain", "--data", binary, "--model", "fm", "--dim", "8", "--out", join(dir, "r.json")]);
  assert.match(file.err, /binary\.txt is a file: --data takes the folder that `autodim prepare --out DIR` wrote/);
});

test("--resume with nothing to resume says so; --resume=require makes it an error", () => {
  const dir = tempDir();
  const ckpt = join(dir, "ckpt");
  const r = autodim(retrainArgs(join(dir, "r.json"), ["--checkpoint-dir", ckpt, "--resume"]));
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /checkpoint: .*ckpt has no checkpoint of this retrain to resume; starting from step 0/);
  const req = autodim(retrainArgs(join(dir, "r2.json"), ["--checkpoint-dir", join(dir, "empty"), "--resume=require"]));
  assert.equal(req.code, 1);
  assert.match(req.err, /--resume=require: .*empty has no checkpoint of this retrain to resume/);
  assert.ok(!existsSync(join(dir, "r2.json")));
});

test("divergence is flagged with the step (AutoInt at --lr 10), unless --allow-divergence", () => {
  const dir = tempDir();
  const args = [
    "retrain",
    "--data",
    dataDir,
    "--model",
    "autoint",
    "--dim",
    "8",
    "--lr",
    "10",
    "--epochs",
    "1",
    "--batch-size",
    "256",
  ];
  const r = autodim([...args, "--out", join(dir, "r.json")]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /retrain \(full-8, autoint\) diverged at step \d+: the training loss is [\d.e+]+, \d+× its first step's \(0\.\d+\); lower --lr, or pass --allow-divergence to go on/,
  );
  assert.ok(!existsSync(join(dir, "r.json")));
  const allowed = autodim([...args, "--out", join(dir, "r2.json"), "--allow-divergence"]);
  assert.equal(allowed.code, 0, allowed.err);
  // A normal run is never flagged.
  assert.equal(autodim(retrainArgs(join(dir, "ok.json"), ["--lr", "0.001"])).code, 0);
});

test("a validation or test split of one class is refused before training, naming the split", () => {
  const dir = tempDir();
  const csv = join(dir, "one-class.csv");
  // Test rows (the pre-split test file) are all clicks.
  writeFileSync(join(dir, "train.csv"), "click,a\n" + "1,x\n0,y\n".repeat(50));
  writeFileSync(join(dir, "val.csv"), "click,a\n" + "1,x\n0,y\n".repeat(5));
  writeFileSync(csv, "click,a\n" + "1,x\n".repeat(10));
  const out = join(dir, "p");
  const prep = autodim([
    "prepare",
    "--format",
    "csv",
    "--label",
    "click",
    "--train",
    join(dir, "train.csv"),
    "--val",
    join(dir, "val.csv"),
    "--test",
    csv,
    "--min-count",
    "1",
    "--out",
    out,
  ]);
  assert.equal(prep.code, 0, prep.err);
  const r = autodim(["retrain", "--data", out, "--model", "fm", "--dim", "4", "--out", join(dir, "r.json")]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /the test split has 10 rows, all positive, so AUC is undefined there; prepare with more data or another --split/,
  );
  assert.doesNotMatch(r.err, /auc: needs both classes/);
});

test("a plan edited by hand is refused with the file and field; a plan of another model warm-starts with a note", () => {
  const dir = tempDir();
  const plan = join(dir, "plan.json");
  const weights = join(dir, "w.bin");
  const s = autodim([
    "search",
    "--data",
    dataDir,
    "--model",
    "fm",
    "--out",
    plan,
    "--save-weights",
    weights,
    "--epochs",
    "1",
    "--batch-size",
    "256",
    "--unify",
    "zeropad",
  ]);
  assert.equal(s.code, 0, s.err);
  const good = JSON.parse(readFileSync(plan, "utf8")) as { candidates: number[]; config: Record<string, unknown> };
  for (const [edit, message] of [
    [{ ...good, candidates: [-8, 8, 16, 24, 32] }, /--plan .*bad\.json: candidates\.0: Number must be greater than 0/],
    [{ ...good, config: { ...good.config, unify: "bogus" } }, /--plan .*bad\.json: config\.unify: Invalid enum value/],
    [null, /--plan .*bad\.json: \(top level\): Expected object, received null/],
  ] as const) {
    writeFileSync(join(dir, "bad.json"), JSON.stringify(edit));
    const r = autodim([
      "retrain",
      "--data",
      dataDir,
      "--model",
      "fm",
      "--plan",
      join(dir, "bad.json"),
      "--out",
      join(dir, "r.json"),
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, message);
    assert.doesNotMatch(r.err, NO_STACK);
  }
  const warm = autodim([
    "retrain",
    "--data",
    dataDir,
    "--model",
    "deepfm",
    "--plan",
    plan,
    "--warm-start",
    "--epochs",
    "1",
    "--batch-size",
    "256",
    "--out",
    join(dir, "w.json"),
  ]);
  assert.equal(warm.code, 0, warm.err);
  assert.match(
    warm.err,
    /warm start: the plan was searched with fm, this re-train is deepfm: the embedding tables and projections start from the search, the deepfm model's own weights start fresh/,
  );
});
