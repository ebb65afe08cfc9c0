// A prepared data set that another process still reads is not deleted under it (src/data/readers.ts):
// a re-prepare keeps the replaced generation while it has live readers and removes it once they
// are gone; the same source bytes under another path (another checkout) are reused, not re-prepared.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PreparedData } from "../../src/data/batches.js";
import { liveReaders, READERS_DIR } from "../../src/data/readers.js";
import { generateSynthetic } from "../../src/data/synthetic.js";
import { CRITEO_DEEPCTR, prepareQuiet, tempDir } from "../helpers.js";

const generations = (out: string) => readdirSync(out).filter((n) => /^data-/.test(n));

test("a re-prepare keeps the generation a live process reads, and removes it once the reader is gone", async () => {
  const dir = tempDir();
  const raw = join(dir, "synth.txt");
  await generateSynthetic(raw, { rows: 2000, seed: 3, progress: false });
  const out = join(dir, "prepared");
  await prepareQuiet({ input: raw, format: "criteo", out });
  const [first] = generations(out);
  const old = new PreparedData(out);
  // Another process reads it: a live pid's mark (here a sleeping child).
  const reader = spawn("sleep", ["60"]);
  try {
    await new Promise((r) => setTimeout(r, 50));
    mkdirSync(join(out, first, READERS_DIR), { recursive: true });
    writeFileSync(join(out, first, READERS_DIR, `${hostname()}-${reader.pid}`), "");
    // The source changes: the data set is re-prepared into a new generation.
    await generateSynthetic(raw, { rows: 2500, seed: 4, progress: false });
    const again = await prepareQuiet({ input: raw, format: "criteo", out });
    assert.equal(again.reused, false);
    assert.equal(generations(out).length, 2, "the read generation is kept beside the new one");
    // The reader's view still reads every shard of the data set it opened.
    for (const shard of old.shards("train")) assert.equal(old.readShard(shard).labels.length, shard.rows);
    assert.equal(new PreparedData(out).rows("train"), 2500);
  } finally {
    reader.kill("SIGKILL");
    await new Promise((r) => reader.once("exit", r));
  }
  // This process's own mark does not hold the folder; with no other live reader, the next prepare removes it.
  assert.ok(existsSync(join(out, first, READERS_DIR, `${hostname()}-${process.pid}`)));
  assert.deepEqual(liveReaders(join(out, first)), []);
  await prepareQuiet({ input: raw, format: "criteo", out });
  assert.deepEqual(generations(out).length, 1);
  assert.ok(!existsSync(join(out, first)));
});

test("the same source bytes under another path are reused, not prepared again", async () => {
  const dir = tempDir();
  const a = join(dir, "a.csv");
  copyFileSync(CRITEO_DEEPCTR, a);
  const out = join(dir, "prepared");
  const first = await prepareQuiet({ input: a, format: "criteo-deepctr", out });
  assert.equal(first.reused, false);
  const b = join(dir, "elsewhere.csv");
  copyFileSync(CRITEO_DEEPCTR, b);
  const second = await prepareQuiet({ input: b, format: "criteo-deepctr", out });
  assert.equal(second.reused, true, "another checkout's copy of the same file reuses the prepared data");
  writeFileSync(b, "label,I1\n1,2\n");
  const third = await prepareQuiet({ input: b, format: "criteo-deepctr", out }).catch((e: Error) => e);
  assert.ok(third instanceof Error || third.reused === false, "other bytes are prepared again");
});
