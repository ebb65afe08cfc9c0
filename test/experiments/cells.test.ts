// Experiment cells: saved on finish, resumed, recomputed when their identity changes, shared by
// processes through pid lock files (a dead process's lock is taken over).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CellRunner, CellsStopped, runCells } from "../../src/experiments/cells.js";
import { experimentOf, type ExperimentOutput } from "../../src/experiments/experiment.js";
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
  const dir = tempDir();
  const ran: string[] = [];
  const quiet = { log: () => {} };
  // An experiment of two stages, the second's identity from the first's values: a stop ends it.
  const twoStages = experimentOf<string[], undefined>(async (_scale, mode) => {
    const runner = new CellRunner(mode);
    const first = await runner.stage(dir, counting(["a", "b", "c"], 1, ran), quiet);
    if (first instanceof CellsStopped) return first.stop;
    const second = await runner.stage(dir, counting(["d", "e"], [...first.keys()], ran), quiet);
    if (second instanceof CellsStopped) return second.stop;
    return { kind: "complete", output: { payload: [...second.keys()] } as ExperimentOutput<string[]> }; // the payload alone
  });
  const file = (key: string) => join(dir, `${key}.json`);
  const listed = await twoStages.outcome("smoke", { kind: "list" });
  assert.deepEqual(listed, {
    kind: "listed",
    dir,
    cells: ["a", "b", "c"].map((key, index) => ({ index, key, file: file(key), saved: false })),
  });
  assert.deepEqual(ran, [], "listing computes nothing");
  const one = await twoStages.outcome("smoke", { kind: "one", index: 1 });
  assert.deepEqual(one, {
    kind: "computed",
    cell: { index: 1, key: "b", file: file("b"), saved: true },
    computed: true,
  });
  assert.deepEqual(ran, ["b"], "only cell 1 of stage 1; stage 2 is not reached");
  assert.ok(existsSync(file("b")) && !existsSync(join(dir, "b.lock")), "saved, with no lock (the task owns its index)");
  const again = await twoStages.outcome("smoke", { kind: "one", index: 1 });
  assert.deepEqual(again, {
    kind: "computed",
    cell: { index: 1, key: "b", file: file("b"), saved: true },
    computed: false,
  });
  const outside = await twoStages.outcome("smoke", { kind: "one", index: 5 });
  assert.ok(outside.kind === "listed" && outside.cells.length === 3, "an index past the stage gets the stage's cells");
  for (const index of [0, 2]) assert.equal((await twoStages.outcome("smoke", { kind: "one", index })).kind, "computed");
  const stage2 = await twoStages.outcome("smoke", { kind: "list" });
  assert.ok(stage2.kind === "listed");
  assert.deepEqual(
    stage2.cells.map((c) => [c.index, c.key, c.saved]),
    [
      [0, "d", false],
      [1, "e", false],
    ],
  );
  assert.equal((await twoStages.outcome("smoke", { kind: "one", index: 0 })).kind, "computed");
  assert.deepEqual(ran, ["b", "a", "c", "d"]);
  assert.deepEqual((await twoStages("smoke")).payload, ["d", "e"], "the plain call ('all') computes the rest");
  assert.deepEqual(ran, ["b", "a", "c", "d", "e"]);
  // Every stage saved: "list" and "one" run the experiment to its end, computing nothing.
  for (const mode of [{ kind: "list" }, { kind: "one", index: 0 }] as const)
    assert.deepEqual(await twoStages.outcome("smoke", mode), { kind: "complete", output: { payload: ["d", "e"] } });
  assert.equal(ran.length, 5);
});

test("a real experiment for schedulers: --list-cells prints one command per cell; `autodim cell` computes its cell once; then every cell is saved", () => {
  const cwd = tempDir(); // the experiment writes results/ (and its smoke data) here
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(process.cwd(), "bin", "autodim.js"), ...args], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, AUTODIM_QUIET: "1", AUTODIM_THREADS: "1" },
    });
  const list = ["reproduce", "dimensions", "--scale", "smoke", "--list-cells"];
  const listed = cli(...list);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stderr, /dimensions \(smoke\): 1 cells in results\/searches-smoke-runs \(0 saved\)/);
  assert.match(listed.stdout, /^cd \S+ && (\w+=\S+ )*node bin\/autodim\.js cell dimensions 0 --scale smoke\n$/);
  const one = cli("cell", "dimensions", "0", "--scale", "smoke");
  assert.equal(one.status, 0, one.stderr);
  const cell = /cell 0 \((fm-s\d+-[0-9a-f]{10})\): computed → (\S+)\n$/.exec(one.stdout);
  assert.ok(cell, one.stdout);
  assert.equal(cell[2], join("results", "searches-smoke-runs", `${cell[1]}.json`));
  assert.ok(existsSync(join(cwd, cell[2])));
  const again = cli("cell", "dimensions", "0", "--scale", "smoke");
  assert.match(again.stdout, /every cell is saved; nothing to compute/, "its one stage saved: the run completes");
  const done = cli(...list);
  assert.equal(done.status, 0, done.stderr);
  assert.equal(done.stdout, "");
  assert.match(done.stderr, /dimensions \(smoke\): every cell is saved/);
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
