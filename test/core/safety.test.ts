// Never lose a user's work: a failed or concurrent `prepare` keeps the data set that exists,
// never touches files it did not write, and concurrent writers are serialised by a lock that
// also works across hosts. Real processes where processes matter.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PreparedData } from "../../src/data/batches.js";
import { FileLock, STALE_MS, staleReason } from "../../src/core/lock.js";
import { CRITEO_DEEPCTR, snapshot, tempDir } from "../helpers.js";

const CLI = join(process.cwd(), "bin", "autodim.js");

function autodim(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, AUTODIM_QUIET: "1" } });
}

function prepareArgs(input: string, out: string, extra: string[] = []) {
  // --min-count 1 unless `extra` sets it (a flag given twice is an error).
  const minCount = extra.includes("--min-count") ? [] : ["--min-count", "1"];
  return ["prepare", "--format", "criteo-deepctr", "--input", input, "--out", out, ...minCount, ...extra];
}

test("a failed prepare leaves the data set in --out untouched and usable; files prepare did not write are never deleted", () => {
  const dir = tempDir();
  const out = join(dir, "prepared");
  assert.equal(autodim(prepareArgs(CRITEO_DEEPCTR, out)).status, 0);
  writeFileSync(join(out, "my-notes.txt"), "mine");
  const before = snapshot(out);
  // A wrong --input (header only) fails in pass 1; a bad row fails later, in the middle.
  const headerOnly = join(dir, "header.csv");
  writeFileSync(headerOnly, readFileSync(CRITEO_DEEPCTR, "utf8").split("\n")[0] + "\n");
  const failed = autodim(prepareArgs(headerOnly, out));
  assert.equal(failed.status, 1);
  assert.match(failed.stderr, /no valid training rows/);
  const lines = readFileSync(CRITEO_DEEPCTR, "utf8").split("\n");
  const badRow = join(dir, "bad.csv");
  writeFileSync(badRow, [...lines.slice(0, 150), "1,2,3", ...lines.slice(150)].join("\n"));
  assert.equal(autodim(prepareArgs(badRow, out)).status, 1);
  assert.deepEqual(snapshot(out), before, "every byte of --out as it was");
  // Read by another process that has ended (a reader still running would keep the old folder: src/data/readers.ts).
  assert.equal(autodim(["summary", "--data", out]).status, 0);
  // A successful rebuild replaces the data set and still keeps the user's file.
  assert.equal(autodim(prepareArgs(CRITEO_DEEPCTR, out, ["--min-count", "2"])).status, 0);
  assert.equal(readFileSync(join(out, "my-notes.txt"), "utf8"), "mine");
  assert.equal(readdirSync(out).filter((f) => f.startsWith("data-")).length, 1, "the old data folder is gone");
});

test("a manifest.json that prepare did not write is an error naming it, and is left as it was", () => {
  const out = tempDir();
  writeFileSync(join(out, "manifest.json"), '{"my": "project"}');
  const r = autodim(prepareArgs(CRITEO_DEEPCTR, out));
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /manifest\.json: not a manifest written by `autodim prepare`, and prepare would replace it; move it away or choose another --out/,
  );
  assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
  assert.equal(readFileSync(join(out, "manifest.json"), "utf8"), '{"my": "project"}');
});

test("two prepare processes into one --out: both succeed and the manifest's files are all there and match", async () => {
  const out = join(tempDir(), "prepared");
  const run = () =>
    new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...prepareArgs(CRITEO_DEEPCTR, out)], {
        stdio: "ignore",
        env: { ...process.env, AUTODIM_QUIET: "1" },
      });
      child.on("exit", resolve);
    });
  const codes = await Promise.all([run(), run(), run()]);
  assert.deepEqual(codes, [0, 0, 0]);
  const data = new PreparedData(out); // verifies sizes and sha256 of every shard it reads
  let rows = 0;
  for (const b of data.batches("train", { batchSize: 64, shuffle: false })) rows += b.size;
  assert.equal(rows, data.rows("train"));
  assert.equal(readdirSync(out).filter((f) => f.startsWith("data-")).length, 1);
  assert.ok(!existsSync(join(out, ".prepare.lock")));
});

test("a killed prepare's lock and data folder are taken over and removed by the next prepare", () => {
  const out = join(tempDir(), "prepared");
  mkdirSync(join(out, "data-zzz-999999"), { recursive: true });
  writeFileSync(join(out, "data-zzz-999999", "train-00000.ids.i32"), "half");
  // A dead process on this host (pid far beyond pid_max).
  writeFileSync(
    join(out, ".prepare.lock"),
    JSON.stringify({ host: hostname(), pid: 2 ** 30, started: "x", what: "autodim prepare" }),
  );
  const r = autodim(prepareArgs(CRITEO_DEEPCTR, out));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /took over .*\.prepare\.lock \(its owner \(pid 1073741824 on this host\) is dead\)/);
  assert.match(r.stderr, /removed .*data-zzz-999999, left by an interrupted prepare/);
  assert.ok(!existsSync(join(out, "data-zzz-999999")));
});

test("lock rule: an owner on another host is judged by its heartbeat alone; a live one here is never stale", () => {
  const dir = tempDir();
  const path = join(dir, "x.lock");
  const mine = FileLock.tryAcquire(path, "test");
  assert.ok(mine instanceof FileLock);
  assert.equal(staleReason(path), undefined, "a live owner on this host");
  // On this host the pid decides: a live owner stays the owner whatever its heartbeat says.
  const long = new Date(Date.now() - 10 * STALE_MS);
  utimesSync(path, long, long);
  assert.equal(staleReason(path), undefined, "a live owner here with an old heartbeat");
  const other = FileLock.tryAcquire(path, "test");
  assert.ok(!(other instanceof FileLock));
  assert.equal(other.pid, process.pid);
  mine.release();
  assert.ok(!existsSync(path));
  writeFileSync(path, JSON.stringify({ host: "another-host", pid: process.pid, started: "x", what: "y" }));
  assert.equal(staleReason(path), undefined, "fresh heartbeat from another host");
  const old = new Date(Date.now() - STALE_MS - 5000);
  utimesSync(path, old, old);
  assert.match(staleReason(path) ?? "", /not touched for \d+ s/);
  const taken = FileLock.tryAcquire(path, "test");
  assert.ok(taken instanceof FileLock);
  if (taken instanceof FileLock) taken.release();
});

test("two reproduce processes on a fresh checkout both succeed (the synthetic file is written aside and renamed)", async () => {
  for (let round = 0; round < 2; round++) {
    const cwd = tempDir();
    const run = (i: number) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            CLI,
            "reproduce",
            "data",
            "--scale",
            "smoke",
            "--out",
            join(cwd, `results${i}`),
            "--figures-out",
            join(cwd, `figures${i}`),
          ],
          {
            cwd,
            env: { ...process.env, AUTODIM_QUIET: "1" },
          },
        );
        let err = "";
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("exit", (code) => resolve({ code, err }));
      });
    const [a, b] = await Promise.all([run(1), run(2)]);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    const saved = JSON.parse(readFileSync(join(cwd, "results1", "data-smoke.json"), "utf8")) as {
      result: { rows: { train: number; val: number; test: number } };
    };
    const r = saved.result.rows;
    assert.equal(r.train + r.val + r.test, 5000);
  }
});

test("a synthetic file cut short (or edited) is told from its truth file and generated again", async () => {
  const { syntheticDataset } = await import("../../src/experiments/datasets.js");
  const dir = tempDir();
  const first = await syntheticDataset(3000, 7, dir);
  const text = readFileSync(first.raw, "latin1");
  const lines = text.split("\n");
  writeFileSync(first.raw, lines.slice(0, 1500).join("\n") + "\n"); // cut at a line boundary
  const again = await syntheticDataset(3000, 7, dir);
  const m = again.data.manifest;
  assert.equal(m.rows.train + m.rows.val + m.rows.test, 3000);
  assert.equal(readFileSync(again.raw, "latin1"), text);
  writeFileSync(first.raw, text.replace("\t", " ")); // same size, other bytes
  const third = await syntheticDataset(3000, 7, dir);
  assert.equal(readFileSync(third.raw, "latin1"), text);
});

test("a UTF-8 byte-order mark at the start of any format is skipped and noted in the manifest; the data are the same", async () => {
  const { prepareQuiet, CRITEO_RAW, AVAZU } = await import("../helpers.js");
  const cases = [
    { input: CRITEO_DEEPCTR, format: "criteo-deepctr" as const },
    { input: CRITEO_RAW, format: "criteo" as const },
    { input: AVAZU, format: "avazu" as const },
    { input: CRITEO_DEEPCTR, format: "csv" as const, schema: { label: "label" } },
  ];
  for (const c of cases) {
    const dir = tempDir();
    const withBom = join(dir, "bom.txt");
    writeFileSync(withBom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(c.input)]));
    const plain = await prepareQuiet({
      input: c.input,
      format: c.format,
      minCount: 1,
      out: join(dir, "plain"),
      ...(c.schema ? { schema: c.schema } : {}),
    });
    const bom = await prepareQuiet({
      input: withBom,
      format: c.format,
      minCount: 1,
      out: join(dir, "bom"),
      ...(c.schema ? { schema: c.schema } : {}),
    });
    assert.equal(bom.manifest.source.bom, true, c.format);
    assert.equal(plain.manifest.source.bom, undefined, c.format);
    assert.deepEqual(bom.manifest.fields, plain.manifest.fields, c.format);
    assert.deepEqual(bom.manifest.rows, plain.manifest.rows, c.format);
    assert.deepEqual(
      bom.manifest.shards.map((s) => s.ids.sha256),
      plain.manifest.shards.map((s) => s.ids.sha256),
      c.format,
    );
  }
  // libfm: the first pair of the first line sits right after the mark.
  const dir = tempDir();
  const lines = "1 0:1 1:1\n0 2:1 1:1\n1 0:1 3:1\n0 2:1 3:1\n".repeat(10);
  writeFileSync(join(dir, "plain.libfm"), lines);
  writeFileSync(join(dir, "bom.libfm"), "\ufeff" + lines);
  const a = await prepareQuiet({ input: join(dir, "plain.libfm"), format: "libfm", minCount: 1, out: join(dir, "a") });
  const b = await prepareQuiet({ input: join(dir, "bom.libfm"), format: "libfm", minCount: 1, out: join(dir, "b") });
  assert.deepEqual(b.manifest.fields, a.manifest.fields);
  assert.equal(b.manifest.source.bom, true);
});

test("a prepare killed with SIGKILL mid-run leaves the previous data set usable; the next prepare cleans up after it", async () => {
  const { generateSynthetic } = await import("../../src/data/synthetic.js");
  const dir = tempDir();
  const big = join(dir, "big.txt");
  await generateSynthetic(big, { rows: 150_000, seed: 3, progress: false });
  const out = join(dir, "prepared");
  const small = join(dir, "small.txt");
  writeFileSync(small, readFileSync(big, "latin1").split("\n").slice(0, 3000).join("\n") + "\n", "latin1");
  const args = (input: string) => [
    "prepare",
    "--format",
    "criteo",
    "--input",
    input,
    "--out",
    out,
    "--min-count",
    "1",
    "--threads",
    "0",
  ];
  assert.equal(autodim(args(small)).status, 0);
  const before = snapshot(out);
  const child = spawn(process.execPath, [CLI, ...args(big)], {
    stdio: "ignore",
    env: { ...process.env, AUTODIM_QUIET: "1" },
  });
  // Killed once its data folder exists (the count pass is done and shards are being written).
  const deadline = Date.now() + 60_000;
  while (readdirSync(out).filter((f) => f.startsWith("data-")).length < 2 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  child.kill("SIGKILL");
  await new Promise((r) => child.on("exit", r));
  const after = snapshot(out);
  for (const [name, bytes] of Object.entries(before)) assert.equal(after[name], bytes, `${name} unchanged`);
  assert.equal(new PreparedData(out).manifest.rows.train > 0, true, "the old data set still reads");
  assert.ok(existsSync(join(out, ".prepare.lock")), "the killed run's lock is left");
  const next = autodim(args(small));
  assert.equal(next.status, 0, next.stderr);
  assert.match(next.stderr, /took over .*\.prepare\.lock/);
  assert.match(next.stderr, /removed .*data-[0-9a-z]+-\d+, left by an interrupted prepare/);
  assert.equal(readdirSync(out).filter((f) => f.startsWith("data-")).length, 1);
});

test("lock heartbeat: the lock is touched while the owner's main thread is busy (a training epoch never yields)", async () => {
  const dir = tempDir();
  const path = join(dir, "busy.lock");
  const lock = FileLock.tryAcquire(path, "test", { heartbeatMs: 50 });
  assert.ok(lock instanceof FileLock);
  await new Promise((r) => setTimeout(r, 100)); // the worker thread starts
  const before = statSync(path).mtimeMs;
  const until = Date.now() + 1000;
  while (Date.now() < until); // hold the main thread, as an epoch does
  const during = statSync(path).mtimeMs;
  assert.ok(during - before >= 500, `touched during the busy second (mtime moved ${during - before} ms)`);
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(lock.touches >= 10, `${lock.touches} heartbeats`);
  // A lock taken over and re-created by another owner is not kept alive by the old owner's thread.
  writeFileSync(path, JSON.stringify({ host: "another-host", pid: 7, started: "x", what: "y" }));
  const old = new Date(Date.now() - 60_000);
  utimesSync(path, old, old);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(Math.abs(statSync(path).mtimeMs - old.getTime()) < 1000, "someone else's lock left untouched");
  lock.release();
  assert.ok(existsSync(path), "release removes only its own lock");
});
