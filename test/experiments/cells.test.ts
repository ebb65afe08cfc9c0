// Experiment cells: saved on finish, resumed, recomputed when their identity changes, shared by
// processes through pid lock files (a dead process's lock is taken over).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCells } from "../../src/experiments/cells.js";
import { tempDir } from "../helpers.js";

function counting(keys: string[], identity: unknown, ran: string[], fail?: string) {
  return keys.map((key) => ({
    key,
    identity,
    run: async () => {
      if (key === fail) throw new Error(`cell ${key} failed`);
      ran.push(key);
      return { key, n: ran.length };
    },
  }));
}

test("cells: computed once and saved; a rerun reads them; a changed identity recomputes only that cell; a failed cell leaves no file or lock", async () => {
  const dir = tempDir();
  const ran: string[] = [];
  const quiet = { log: () => {} };
  await assert.rejects(runCells(dir, counting(["x", "y", "z"], 1, ran, "y"), quiet), /cell y failed/);
  assert.deepEqual(ran, ["x"]);
  assert.ok(existsSync(join(dir, "x.json")));
  assert.ok(!existsSync(join(dir, "y.json")) && !existsSync(join(dir, "y.lock")));
  const values = await runCells(dir, counting(["x", "y", "z"], 1, ran), quiet);
  assert.deepEqual(ran, ["x", "y", "z"], "x resumed from its file");
  assert.deepEqual(
    [...values.entries()],
    [
      ["x", { key: "x", n: 1 }],
      ["y", { key: "y", n: 2 }],
      ["z", { key: "z", n: 3 }],
    ],
  );
  const cells = counting(["x", "y", "z"], 1, ran);
  cells[2].identity = 2;
  await runCells(dir, cells, quiet);
  assert.deepEqual(ran, ["x", "y", "z", "z"]);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "z.json"), "utf8")), { identity: 2, value: { key: "z", n: 4 } });
});

test("cells: a lock left by a dead process is taken over", async () => {
  const dir = tempDir();
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  writeFileSync(join(dir, "x.lock"), dead.stdout);
  const ran: string[] = [];
  const values = await runCells(dir, counting(["x"], 1, ran), { log: () => {} });
  assert.deepEqual(ran, ["x"]);
  assert.equal(values.size, 1);
  assert.ok(!existsSync(join(dir, "x.lock")));
});

test("cells: two processes share the work — every cell computed exactly once, both end with every value", async () => {
  const dir = tempDir();
  const worker = (who: string) =>
    new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ["--import", "tsx", "test/fixtures/scripts/cells-worker.ts", dir, who], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      p.stdout.on("data", (d) => (out += d));
      p.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`worker ${who} exited ${code}`))));
    });
  const [a, b] = await Promise.all([worker("A"), worker("B")]);
  const expected = ["a", "b", "c", "d", "e", "f"].map((k) => [k, `${k}!`]);
  assert.deepEqual(JSON.parse(a), expected);
  assert.deepEqual(JSON.parse(b), expected);
  const computed = readFileSync(join(dir, "computed.log"), "utf8")
    .trim()
    .split("\n")
    .map((l) => l.split(" "));
  assert.deepEqual(computed.map(([k]) => k).sort(), ["a", "b", "c", "d", "e", "f"], "each cell once");
  assert.equal(new Set(computed.map(([, w]) => w)).size, 2, "both processes computed cells");
});

test("cells for schedulers: 'list' reports the first stage with unsaved cells; 'one' computes exactly its index; a two-stage experiment lists stage 2 once stage 1 is saved", async () => {
  const { CellComputed, CellsListed, withCellMode } = await import("../../src/experiments/cells.js");
  const dir = tempDir();
  const ran: string[] = [];
  const quiet = { log: () => {} };
  const twoStages = async () => {
    const first = await runCells(dir, counting(["a", "b", "c"], 1, ran), quiet);
    return runCells(dir, counting(["d", "e"], [...first.keys()], ran), quiet);
  };
  const listed = await withCellMode({ kind: "list" }, twoStages).catch((e: unknown) => e);
  assert.ok(listed instanceof CellsListed);
  assert.deepEqual(
    listed.cells.map((c) => [c.index, c.key, c.saved]),
    [
      [0, "a", false],
      [1, "b", false],
      [2, "c", false],
    ],
  );
  assert.deepEqual(ran, [], "listing computes nothing");
  const one = await withCellMode({ kind: "one", index: 1 }, twoStages).catch((e: unknown) => e);
  assert.ok(one instanceof CellComputed && one.computed && one.cell.key === "b");
  assert.deepEqual(ran, ["b"]);
  const again = await withCellMode({ kind: "one", index: 1 }, twoStages).catch((e: unknown) => e);
  assert.ok(again instanceof CellComputed && !again.computed, "a saved cell is not computed again");
  for (const index of [0, 2]) await withCellMode({ kind: "one", index }, twoStages).catch(() => undefined);
  const stage2 = await withCellMode({ kind: "list" }, twoStages).catch((e: unknown) => e);
  assert.ok(stage2 instanceof CellsListed);
  assert.deepEqual(
    stage2.cells.map((c) => c.key),
    ["d", "e"],
  );
  await assert.rejects(withCellMode({ kind: "one", index: 5 }, twoStages), /cell 5: this stage has cells 0–1/);
  const all = await twoStages(); // the ordinary mode loads stage 1 and computes stage 2
  assert.deepEqual([...all.keys()], ["d", "e"]);
  assert.deepEqual(ran.sort(), ["a", "b", "c", "d", "e"]);
});

test("cells: a live process's pid-only lock (an older version's) is respected however old; a lock from another host is judged by its heartbeat", async () => {
  const { utimesSync } = await import("node:fs");
  const { hostname } = await import("node:os");
  const dir = tempDir();
  const old = new Date(Date.now() - 3600_000);
  writeFileSync(join(dir, "x.lock"), String(process.ppid));
  utimesSync(join(dir, "x.lock"), old, old);
  writeFileSync(
    join(dir, "y.lock"),
    JSON.stringify({ host: `not-${hostname()}`, pid: 1, started: "?", what: "cell y" }),
  );
  utimesSync(join(dir, "y.lock"), old, old);
  const ran: string[] = [];
  const logs: string[] = [];
  const pending = runCells(dir, counting(["x", "y"], 1, ran), { log: (l) => logs.push(l), pollSeconds: 0.05 });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(ran, ["y"], "y's owner on another host stopped touching its lock: taken over; x's owner is alive");
  assert.match(logs[0], /x: pid \d+ on .* is on it/);
  writeFileSync(join(dir, "x.json"), JSON.stringify({ identity: 1, value: { key: "x", n: 0 } }));
  const values = await pending;
  assert.deepEqual(values.get("x"), { key: "x", n: 0 });
});
