import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PreparedData } from "../../src/data/batches.js";
import { availableParallelism } from "node:os";
import {
  ChunkEncoder,
  defaultEncodeThreads,
  EncodePool,
  encodeFile,
  LINE_BAD,
  LINE_HEADER,
  LINE_ROW,
  type EncodedChunk,
  type EncodeSetup,
} from "../../src/data/encode.js";
import { makeFormat } from "../../src/data/formats.js";
import { generateSynthetic } from "../../src/data/synthetic.js";
import { KeptIds, RARE_ID, RESERVED_IDS } from "../../src/data/vocab.js";
import { syntheticPrepareRequest } from "../../src/experiments/datasets.js";
import { CRITEO_DEEPCTR, fixtureLines, prepareQuiet, tempDir } from "../helpers.js";

const latin1 = (s: string) => Buffer.from(s, "latin1");

/**
 * A hand-made setup for the DeepCTR Criteo layout: integer fields keep nothing (every
 * value is rare), categorical field C1..C26 keeps the values of the first data lines, in
 * first-seen order. Each field has 50 ids.
 */
function criteoSetup(lines: string[]): { setup: EncodeSetup; kept: string[][] } {
  const format = makeFormat("criteo-deepctr", { avazuTimeFields: false });
  const kept = format.fields.map((f, m) => {
    if (f.kind === "int") return [];
    const seen: string[] = [];
    for (const l of lines.slice(1, 40)) {
      const cols = l.split(",");
      if (cols.length !== 40) continue;
      const v = cols[1 + m];
      if (v !== "" && !seen.includes(v)) seen.push(v);
    }
    return seen;
  });
  const lookups = kept.map((values) => KeptIds.build(values.map(latin1)).data);
  return { setup: { format, lookups, offsets: Int32Array.from(format.fields, (_, m) => 50 * m) }, kept };
}

/** The fixture with a bad row (line 5: too few columns), CRLF on line 7 and no final line end. */
function awkwardFile(): { path: string; lines: string[] } {
  const lines = fixtureLines(CRITEO_DEEPCTR);
  lines[4] = lines[4].split(",").slice(1).join(",");
  const text = lines
    .map((l, i) => l + (i === 6 ? "\r\n" : "\n"))
    .join("")
    .replace(/\n$/, "");
  const path = join(tempDir(), "awkward.csv");
  writeFileSync(path, text, "latin1");
  return { path, lines };
}

async function encodeAll(path: string, setup: EncodeSetup, threads: number, chunkBytes?: number) {
  const chunks: EncodedChunk[] = [];
  let unterminated = 0;
  const bytes = await encodeFile(path, setup, {
    threads,
    hasHeader: true,
    chunkBytes,
    onChunk: (c) => chunks.push(c),
    onUnterminatedLine: () => unterminated++,
  });
  const status = chunks.flatMap((c) => [...c.status]);
  const ids = chunks.flatMap((c) => [...c.ids]);
  const labels = chunks.flatMap((c) => [...c.labels]);
  return { chunks: chunks.length, status, ids, labels, unterminated, bytes };
}

test("ChunkEncoder: header, bad and CRLF lines marked; ids by the lookups (hand-checked)", () => {
  const { path, lines } = awkwardFile();
  const { setup, kept } = criteoSetup(lines);
  const buf = readFileSync(path);
  const end = buf.lastIndexOf(10) + 1;
  const c = new ChunkEncoder(setup).encode(buf, 0, end, true);
  // Lines 1..199 are whole (the 200th data line has no line end and is not in the chunk).
  assert.equal(c.status.length, lines.length - 1);
  assert.equal(c.status[0], LINE_HEADER);
  assert.equal(c.status[4], LINE_BAD);
  assert.equal(c.status.filter((s) => s === LINE_ROW).length, lines.length - 3);
  assert.equal(c.ids.length, 39 * (lines.length - 3));
  // Row 0 is line 2; line 5 is bad, so row 4 is line 7 (ends in CRLF: its last field is unaffected).
  for (const [row, line] of [
    [0, 2],
    [4, 7],
    [100, 103],
  ]) {
    const cols = lines[line - 1].split(",");
    assert.equal(c.labels[row], Number(cols[0]));
    for (let m = 0; m < 39; m++) {
      const v = cols[1 + m];
      const k = kept[m].indexOf(v);
      const want = 50 * m + (v === "" ? 0 : k >= 0 ? RESERVED_IDS + k : RARE_ID);
      assert.equal(c.ids[row * 39 + m], want, `row ${row} field ${m}`);
    }
  }
});

for (const threads of [1, 2]) {
  test(`encodeFile on ${threads} worker thread(s), chunks of 64 bytes to 8 KB: the same lines, statuses and ids as one chunk on the calling thread`, async () => {
    const { path, lines } = awkwardFile();
    const { setup } = criteoSetup(lines);
    const whole = await encodeAll(path, setup, 0);
    assert.equal(whole.chunks, 1);
    assert.equal(whole.unterminated, 1);
    assert.equal(whole.bytes, readFileSync(path).length);
    // 64 bytes is shorter than any line: every chunk grows until a line end fits.
    for (const chunkBytes of [64, 1000, 8192]) {
      const split = await encodeAll(path, setup, threads, chunkBytes);
      assert.ok(split.chunks > (chunkBytes === 8192 ? 3 : 20), `${split.chunks} chunks`);
      assert.deepEqual(split.status, whole.status);
      assert.deepEqual(split.ids, whole.ids);
      assert.deepEqual(split.labels, whole.labels);
      assert.equal(split.unterminated, 1);
      assert.equal(split.bytes, whole.bytes);
    }
  });
}

test("a failing worker rejects with its error instead of hanging", async () => {
  const { setup } = criteoSetup(fixtureLines(CRITEO_DEEPCTR));
  // A lookup table whose size is not 4 × a power of two: the worker's ChunkEncoder throws.
  const broken: EncodeSetup = { ...setup, lookups: setup.lookups.map((l) => ({ ...l, table: new Int32Array(12) })) };
  const pool = await EncodePool.start(1);
  try {
    await assert.rejects(
      encodeFile(
        CRITEO_DEEPCTR,
        broken,
        { threads: 1, hasHeader: true, onChunk: () => {}, onUnterminatedLine: () => {} },
        pool,
      ),
      /encode worker: .*not 4 × a power of two/,
    );
  } finally {
    await pool.close();
  }
});

test("an error while consuming a chunk stops the pass with that error; chunks still in flight do not crash the process", async () => {
  const { path, lines } = awkwardFile();
  const { setup } = criteoSetup(lines);
  const pool = await EncodePool.start(2);
  let seen = 0;
  try {
    const run = encodeFile(
      path,
      setup,
      {
        threads: 2,
        hasHeader: true,
        chunkBytes: 2000,
        onChunk: () => {
          if (++seen === 2) throw new Error("disk full");
        },
        onUnterminatedLine: () => {},
      },
      pool,
    );
    await assert.rejects(run, /disk full/);
  } finally {
    // Terminating rejects the chunks still queued in the workers: they must be handled.
    await pool.close();
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(seen, 2);
});

test("prepare: 2 encode threads write the same shards as the calling thread (split draws, bad rows, pre-split files)", async () => {
  const dir = tempDir();
  const input = join(dir, "raw.txt");
  // ~5.4 MB: three 2 MB chunks, so chunks are spread over both workers.
  await generateSynthetic(input, { rows: 20_000, seed: 3, progress: false });
  const base = syntheticPrepareRequest(input, "", 3, false);
  const one = await prepareQuiet({ ...base, out: join(dir, "t0"), threads: 0 });
  const two = await prepareQuiet({ ...base, out: join(dir, "t2"), threads: 2 });
  assert.ok(one.manifest.rows.val > 0 && one.manifest.rows.test > 0);
  const digest = (m: typeof one.manifest) => ({
    rows: m.rows,
    skipped: m.skipped,
    shards: m.shards.map((s) => [s.rows, s.ids.sha256, s.labels.sha256]),
  });
  assert.deepEqual(digest(two.manifest), digest(one.manifest));
  assert.deepEqual(
    new PreparedData(join(dir, "t2")).readSplit("val"),
    new PreparedData(join(dir, "t0")).readSplit("val"),
  );

  // Bad and truncated rows skipped, with a random split: the same rows land in each split.
  const { path } = awkwardFile();
  const req = {
    input: path,
    format: "criteo-deepctr" as const,
    onBadRow: "skip" as const,
    split: [0.6, 0.2, 0.2] as [number, number, number],
    minCount: 2,
  };
  const a = await prepareQuiet({ ...req, out: join(dir, "a0"), threads: 0 });
  const b = await prepareQuiet({ ...req, out: join(dir, "a2"), threads: 2 });
  assert.equal(a.manifest.skipped.total, 2);
  assert.deepEqual(digest(b.manifest), digest(a.manifest));

  // Separate train/val/test files: each file's lines go to its split.
  const pre = {
    input: { train: CRITEO_DEEPCTR, val: path, test: CRITEO_DEEPCTR },
    format: "criteo-deepctr" as const,
    onBadRow: "skip" as const,
  };
  const p0 = await prepareQuiet({ ...pre, out: join(dir, "p0"), threads: 0 });
  const p2 = await prepareQuiet({ ...pre, out: join(dir, "p2"), threads: 2 });
  assert.deepEqual(p0.manifest.rows, { train: 200, val: 198, test: 200 });
  assert.deepEqual(digest(p2.manifest), digest(p0.manifest));
});

test("--threads (AUTODIM_THREADS) caps prepare's encode workers: one thread encodes on the calling thread", () => {
  const before = process.env.AUTODIM_THREADS;
  try {
    process.env.AUTODIM_THREADS = "1";
    assert.equal(defaultEncodeThreads(1 << 30), 0);
    delete process.env.AUTODIM_THREADS;
    assert.equal(defaultEncodeThreads(1 << 30), availableParallelism() >= 2 ? Math.min(availableParallelism(), 4) : 0);
    assert.equal(defaultEncodeThreads(1 << 10), 0, "small files stay on the calling thread");
  } finally {
    if (before === undefined) delete process.env.AUTODIM_THREADS;
    else process.env.AUTODIM_THREADS = before;
  }
});
