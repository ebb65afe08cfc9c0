import assert from "node:assert/strict";
import { test } from "node:test";
import { PreparedData } from "../../src/data/batches.js";
import { randomStream } from "../../src/core/random.js";
import { CRITEO_DEEPCTR, prepareQuiet, tempDir } from "../helpers.js";

async function data(rowsPerShard: number) {
  const out = tempDir();
  await prepareQuiet({ input: CRITEO_DEEPCTR, format: "criteo-deepctr", out, rowsPerShard });
  return new PreparedData(out);
}

/** Rows of every batch, as strings "label|ids". */
function collect(d: PreparedData, opts: Parameters<PreparedData["batches"]>[1]) {
  const rows: string[] = [];
  const sizes: number[] = [];
  for (const b of d.batches("train", opts)) {
    sizes.push(b.size);
    for (let r = 0; r < b.size; r++) rows.push(`${b.labels[r]}|${b.ids.subarray(r * 39, r * 39 + 39).join(",")}`);
  }
  return { rows, sizes };
}

test("unshuffled batches return every row once, in file order, with the last partial batch", async () => {
  const d = await data(64);
  const { rows, sizes } = collect(d, { batchSize: 30, shuffle: false });
  assert.deepEqual(sizes, [30, 30, 30, 30, 30, 30, 20]);
  const whole = d.readSplit("train");
  assert.deepEqual(
    rows,
    Array.from({ length: 200 }, (_, r) => `${whole.labels[r]}|${whole.ids.subarray(r * 39, r * 39 + 39).join(",")}`),
  );
  assert.deepEqual(collect(d, { batchSize: 30, shuffle: false, dropLast: true }).sizes, Array(6).fill(30));
});

test("shuffled batches: a permutation of the rows, the same for the same stream, another for another", async () => {
  const d = await data(64);
  const a = collect(d, { batchSize: 16, shuffle: true, rng: randomStream(1, "shuffle") }).rows;
  const b = collect(d, { batchSize: 16, shuffle: true, rng: randomStream(1, "shuffle") }).rows;
  const c = collect(d, { batchSize: 16, shuffle: true, rng: randomStream(2, "shuffle") }).rows;
  const plain = collect(d, { batchSize: 16, shuffle: false }).rows;
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a, plain);
  assert.deepEqual([...a].sort(), [...plain].sort());
});

test("batch arrays are reused (no allocation per batch) and sizes are validated", async () => {
  const d = await data(1 << 18);
  const seen = new Set<Int32Array>();
  for (const b of d.batches("train", { batchSize: 50, shuffle: true })) seen.add(b.ids);
  assert.equal(seen.size, 1);
  assert.throws(() => d.batches("train", { batchSize: 0, shuffle: false }).next(), /positive integer/);
  assert.equal(d.counts().length, d.totalFeatures);
});
