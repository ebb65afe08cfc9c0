// The log beside a result (src/core/run-log.ts): it holds what the console showed — not the
// once-a-second progress updates —, nested logs each get every line, and the console writers are
// handed back, also when a host (tslab, per notebook cell) replaced them meanwhile.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Progress } from "../../src/core/progress.js";
import { startLog, withLog, writeTransient } from "../../src/core/run-log.js";
import { tempDir } from "../helpers.js";

/** Runs `body` with stdout and stderr going nowhere (their text is returned), writers restored after. */
async function silenced(body: () => Promise<void>): Promise<string> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let seen = "";
  const sink = ((chunk: unknown) => {
    seen += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = sink;
  process.stderr.write = sink;
  try {
    await body();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return seen;
}

test("a log holds the header, every console line but the progress updates, and the outcome; nested logs both", async () => {
  const dir = tempDir();
  const outer = join(dir, "outer.log");
  const inner = join(dir, "inner.log");
  const console_ = await silenced(async () => {
    const sink = process.stdout.write;
    await withLog(outer, "reproduce x", async () => {
      console.log("before the cell");
      await withLog(inner, "cell x-1", async () => {
        process.stderr.write("a warning\n");
        writeTransient(process.stderr, "step 10 / 100, ETA 9s\n");
        const p = new Progress("train", 3, "steps", { quiet: false });
        p.finish(3, "loss 0.5");
      });
      console.log("after the cell");
    });
    assert.equal(process.stdout.write, sink, "the writers are handed back");
  });
  assert.match(console_, /step 10 \/ 100, ETA 9s/, "the console saw the update");
  const o = readFileSync(outer, "utf8");
  const i = readFileSync(inner, "utf8");
  assert.match(o, /^# reproduce x\n# command: .*\n# code: .*\n# machine: .*\n# started: \d{4}-/);
  for (const line of ["before the cell", "a warning", "after the cell"]) assert.ok(o.includes(`${line}\n`), line);
  assert.match(o, /train: 3\.00 \/ 3\.00 steps, .*loss 0\.5\n/, "the progress's final line");
  assert.ok(!o.includes("ETA"), "no progress updates in the log");
  assert.match(o, /# finished: .* s: ok\n$/);
  assert.match(i, /^# cell x-1\n/);
  assert.ok(i.includes("a warning\n"));
  assert.ok(!i.includes("before the cell") && !i.includes("after the cell"), "only while it was open");
});

test("a failed run's log says why; a writer the host replaced meanwhile is not taken back", async () => {
  const dir = tempDir();
  await silenced(async () => {
    await assert.rejects(
      withLog(join(dir, "f.log"), "run", async () => {
        throw new Error("no data");
      }),
      /no data/,
    );
    const close = startLog(join(dir, "h.log"), "run");
    const host = ((chunk: unknown) => String(chunk).length >= 0) as typeof process.stdout.write;
    process.stdout.write = host; // like tslab at the start of a notebook cell
    close();
    assert.equal(process.stdout.write, host);
  });
  assert.match(readFileSync(join(dir, "f.log"), "utf8"), /# finished: .* s: failed: no data\n$/);
});
