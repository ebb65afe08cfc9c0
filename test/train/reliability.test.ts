// Long runs survive interruption: a search or re-train killed with SIGKILL mid-epoch and
// resumed from its checkpoints ends byte-identical to an uninterrupted run; the same command
// twice gives the same files; a damaged newest checkpoint falls back to the previous one; a
// checkpoint of another run is refused; a diverging run stops and keeps its last good one.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { PreparedData } from "../../src/data/batches.js";
import { retrain } from "../../src/train/retrain.js";
import { initRuntime } from "../../src/accel/index.js";
import { parseWeights } from "../../src/tables/weights.js";
import { preparedFile, smallSyntheticData, tempDir } from "../helpers.js";

let dataDir = "";
before(async () => {
  await initRuntime();
  dataDir = await smallSyntheticData();
});

const CLI = join(process.cwd(), "bin", "autodim.js");
const env = { ...process.env, AUTODIM_QUIET: "1" };

function run(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env });
}

/** Runs the command in a child and SIGKILLs it as soon as `dir` holds the checkpoint of `step`. */
async function killAt(args: string[], dir: string, job: string, step: number): Promise<NodeJS.Signals | null> {
  const marker = join(dir, `${job}-${String(step).padStart(10, "0")}.json`);
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: "ignore" });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  const poll = setInterval(() => {
    if (existsSync(marker)) child.kill("SIGKILL");
  }, 5);
  const signal = await exited;
  clearInterval(poll);
  return signal;
}

/** A plan or result without what depends on the clock. */
function withoutTiming(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"), (key, value) =>
    ["runtime", "seconds", "samplesPerSecond", "wallSeconds", "createdAt"].includes(key) ? undefined : value,
  );
}

const SEARCH = (out: string) => [
  "search",
  "--data",
  dataDir,
  "--model",
  "fm",
  "--unify",
  "zeropad",
  "--batch-size",
  "64",
  "--epochs",
  "2",
  "--warmup-steps",
  "40",
  "--out",
  out,
];
const RETRAIN = (plan: string, out: string) => [
  "retrain",
  "--data",
  dataDir,
  "--model",
  "deepfm",
  "--plan",
  plan,
  "--batch-size",
  "64",
  "--epochs",
  "3",
  "--patience",
  "3",
  "--out",
  out,
];

test("search: killed mid-epoch and resumed, the plan is identical to an uninterrupted run's; the same command twice gives the same plan", async () => {
  const dir = tempDir();
  const full = join(dir, "full.json");
  assert.equal(run([...SEARCH(full), "--checkpoint-dir", join(dir, "ck-full"), "--checkpoint-every", "25"]).status, 0);
  const again = join(dir, "again.json");
  assert.equal(run(SEARCH(again)).status, 0);
  assert.deepEqual(withoutTiming(again), withoutTiming(full), "checkpointing changes nothing, and two runs agree");

  const ck = join(dir, "ck");
  const resumed = join(dir, "resumed.json");
  // 40 warm-up steps, then 125 per epoch: step 150 is in the first search epoch.
  assert.equal(
    await killAt([...SEARCH(resumed), "--checkpoint-dir", ck, "--checkpoint-every", "25"], ck, "search", 150),
    "SIGKILL",
  );
  assert.equal(existsSync(resumed), false, "the killed run wrote no plan");
  const r = run([...SEARCH(resumed), "--checkpoint-dir", ck, "--checkpoint-every", "25", "--resume"]);
  assert.equal(r.status, 0, r.stderr);
  const from = /checkpoint: resuming search from step (\d+)/.exec(r.stderr);
  assert.ok(from && Number(from[1]) >= 125, r.stderr);
  assert.deepEqual(withoutTiming(resumed), withoutTiming(full));
  // Only the two newest checkpoints are kept.
  assert.equal(readdirSync(ck).filter((f) => f.endsWith(".json")).length, 2);
});

test("retrain: killed mid-epoch (after a best epoch was saved) and resumed, the result is identical; a damaged newest checkpoint falls back to the previous one", async () => {
  const dir = tempDir();
  const plan = join(dir, "plan.json");
  assert.equal(run(SEARCH(plan)).status, 0);
  const full = join(dir, "full.json");
  assert.equal(run(RETRAIN(plan, full)).status, 0);

  const ck = join(dir, "ck");
  const resumed = join(dir, "resumed.json");
  // 125 steps per epoch: step 160 is in epoch 2, with epoch 1's best weights in the checkpoint.
  assert.equal(
    await killAt([...RETRAIN(plan, resumed), "--checkpoint-dir", ck, "--checkpoint-every", "40"], ck, "retrain", 160),
    "SIGKILL",
  );
  // Damage the newest checkpoint's arrays: resume must notice and take the older one.
  const newest = readdirSync(ck)
    .filter((f) => f.endsWith(".bin"))
    .sort()
    .pop() as string;
  const bytes = readFileSync(join(ck, newest));
  bytes[bytes.length - 5] ^= 0xff;
  writeFileSync(join(ck, newest), bytes);
  const r = run([...RETRAIN(plan, resumed), "--checkpoint-dir", ck, "--checkpoint-every", "40", "--resume"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /does not match its sha256 \(damaged\); trying an older one/);
  assert.match(r.stderr, /checkpoint: resuming retrain from step \d+/);
  assert.deepEqual(withoutTiming(resumed), withoutTiming(full));

  // A checkpoint of another run (another learning rate) is refused, not silently used.
  const other = run([...RETRAIN(plan, join(dir, "other.json")), "--lr", "0.002", "--checkpoint-dir", ck, "--resume"]);
  assert.equal(other.status, 1);
  assert.match(other.stderr, /a checkpoint of another run \(different configuration or data\)/);
});

test("checkpoint flags: --resume and --checkpoint-every need --checkpoint-dir; --checkpoint-every is a positive integer", () => {
  const out = join(tempDir(), "x.json");
  const a = run(["retrain", "--data", dataDir, "--model", "fm", "--dim", "8", "--out", out, "--resume"]);
  assert.equal(a.status, 2);
  assert.match(a.stderr, /--resume needs --checkpoint-dir DIR/);
  const b = run([
    "retrain",
    "--data",
    dataDir,
    "--model",
    "fm",
    "--dim",
    "8",
    "--out",
    out,
    "--checkpoint-every",
    "10",
  ]);
  assert.equal(b.status, 2);
  assert.match(b.stderr, /--checkpoint-every needs --checkpoint-dir DIR/);
  const c = run([
    "search",
    "--data",
    dataDir,
    "--model",
    "fm",
    "--out",
    out,
    "--checkpoint-dir",
    tempDir(),
    "--checkpoint-every",
    "0",
  ]);
  assert.equal(c.status, 2);
  assert.match(c.stderr, /--checkpoint-every/);
});

test("NaN guard with checkpoints: a diverging run stops naming the step, and its newest checkpoint is from before, all finite", async () => {
  const data = new PreparedData(dataDir);
  const dir = tempDir();
  const cfg = {
    model: "fm" as const,
    dims: data.manifest.fields.map(() => 8),
    projection: "none" as const,
    outputDim: 8,
    epochs: 2,
    patience: 2,
    batchSize: 256,
    learningRate: 1e38,
    seed: 1,
  };
  let failedAt = -1;
  await assert.rejects(
    retrain(data, cfg, { method: "fde", progress: false, checkpoint: { dir, every: 1, resume: false } }),
    (err: Error) => {
      const m = /non-finite training loss \((NaN|Infinity|-Infinity)\) at step (\d+)/.exec(err.message);
      assert.ok(m, err.message);
      failedAt = Number(m[2]);
      return true;
    },
  );
  const metas = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  assert.ok(metas.length > 0, "at least one good checkpoint was written before the divergence");
  const last = JSON.parse(readFileSync(join(dir, metas[metas.length - 1]), "utf8")) as {
    step: number;
    weights: { file: string };
  };
  assert.ok(last.step <= failedAt, `checkpoint step ${last.step} vs failure at ${failedAt}`);
  for (const a of parseWeights(readFileSync(join(dir, last.weights.file)), last.weights.file).values()) {
    assert.ok(a.data.every(Number.isFinite), `${a.name} is finite`);
  }
});

test("cache integrity: a flipped byte, a truncated shard, a missing shard, or a manifest that does not match its shards is an error that says to re-run prepare", () => {
  const cases: { name: string; damage: (dir: string) => void; message: RegExp }[] = [
    {
      name: "a byte flipped in a training shard (same size)",
      damage: (dir) => {
        const f = preparedFile(dir, "train-00000.ids.i32");
        const b = readFileSync(f);
        b[100] ^= 0x01;
        writeFileSync(f, b);
      },
      message:
        /train-00000\.ids\.i32: content does not match the manifest's sha256; the prepared data is damaged, re-run `autodim prepare`/,
    },
    {
      name: "a truncated label shard",
      damage: (dir) => {
        const f = preparedFile(dir, "val-00000.labels.u8");
        writeFileSync(f, readFileSync(f).subarray(0, 10));
      },
      message:
        /val-00000\.labels\.u8: 10 bytes, manifest says \d+; the prepared data is damaged, re-run `autodim prepare`/,
    },
    {
      name: "a missing shard",
      damage: (dir) => rmSync(preparedFile(dir, "test-00000.ids.i32")),
      message: /test-00000\.ids\.i32: missing; the prepared data is damaged, re-run `autodim prepare`/,
    },
    {
      name: "a manifest whose row count does not match its shard",
      damage: (dir) => {
        const f = join(dir, "manifest.json");
        const m = JSON.parse(readFileSync(f, "utf8")) as { shards: { split: string; rows: number }[] };
        m.shards.filter((s) => s.split === "train")[0].rows -= 1;
        writeFileSync(f, JSON.stringify(m));
      },
      message:
        /train-00000\.ids\.i32: \d+ rows of 39 fields do not fit its \d+ bytes \(the manifest does not match its shards\); re-run `autodim prepare`/,
    },
  ];
  for (const c of cases) {
    const dir = join(tempDir(), "prepared");
    cpSync(dataDir, dir, { recursive: true });
    c.damage(dir);
    const r = run([
      "retrain",
      "--data",
      dir,
      "--model",
      "fm",
      "--dim",
      "8",
      "--epochs",
      "1",
      "--out",
      // Beside the data set: nothing under a prepared data folder may be an output.
      join(dir, "..", "x.json"),
    ]);
    assert.equal(r.status, 1, `${c.name}: ${r.stderr}`);
    assert.match(r.stderr, c.message, c.name);
  }
});
