// Experiment cells: saved on finish, resumed, recomputed when their identity changes, shared by
// processes through pid lock files (a dead process's lock is taken over).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCells } from "../src/experiments/cells.js";
import { tempDir } from "./helpers.js";

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
