// The embedding L2 (NetworkOptions.embeddingL2, `--embedding-l2`): the loss gains λ/B · Σ over the
// batch's lookups of ‖e‖², checked against a sum over the tables' rows written out by hand; its
// gradient moves only the rows the batch reads (checked against a finite difference of the loss);
// training with it keeps the embeddings smaller; parts of a batch add up to the whole.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { Batch } from "../../src/data/batches.js";
import { CtrModel, PAPER_MLP } from "../../src/models/ctr.js";
import { initRuntime } from "../../src/accel/index.js";
import { randomStream } from "../../src/core/random.js";
import { Network } from "../../src/train/network.js";
import { PlanEmbedding } from "../../src/train/plan-embedding.js";
import { AutodimError } from "../../src/core/errors.js";

const VOCAB = [40, 7, 300, 25];
const F = VOCAB.length;
const TOTAL = VOCAB.reduce((a, b) => a + b, 0);
const LAYOUT = {
  fields: VOCAB.map((v, m) => ({ offset: VOCAB.slice(0, m).reduce((a, b) => a + b, 0), vocabularySize: v })),
  totalFeatures: TOTAL,
};
const DIMS = [2, 8, 4, 8];
const EVAL = { training: false, step: 0 };

before(async () => {
  await initRuntime();
});

function batch(size: number, seed: number): Batch {
  const rng = randomStream(seed, "bench", "l2");
  const ids = new Int32Array(size * F);
  // Skewed ids: many rows are read several times in a batch, so counts matter.
  for (let b = 0; b < size; b++)
    for (let m = 0; m < F; m++) ids[b * F + m] = LAYOUT.fields[m].offset + Math.floor(rng.next() ** 3 * VOCAB[m]);
  return { ids, labels: Float32Array.from({ length: size }, () => (rng.next() < 0.4 ? 1 : 0)), size };
}

function network(l2: number): Network {
  const embedding = new PlanEmbedding(F, DIMS, LAYOUT, "linear", 8, randomStream(5, "init", "embedding"));
  const model = new CtrModel("fm", F, embedding.outputDim, TOTAL, randomStream(5, "init", "model"), PAPER_MLP);
  return new Network(embedding, model, F, l2 !== 0 ? { embeddingL2: l2 } : {});
}

/** Σ over the batch's (row, field) lookups of ‖e‖², read from the tables one lookup at a time. */
function lookupSquares(net: Network, b: Batch): number {
  const emb = net.embedding as PlanEmbedding;
  let sum = 0;
  for (let i = 0; i < b.size; i++)
    for (let m = 0; m < F; m++) {
      const g = emb.sizes.indexOf(DIMS[m]);
      const { table } = emb.sparse[g];
      const rowOf = emb.sparse[g].rowOf as Int32Array;
      for (const v of table.row(rowOf[b.ids[i * F + m]])) sum += v * v;
    }
  return sum;
}

test("the loss gains λ/B · Σ ‖e‖² over the batch's lookups (a row read twice counts twice)", () => {
  const b = batch(64, 1);
  const plain = network(0);
  const l2 = 20;
  const penalised = network(l2);
  const expected = (l2 / b.size) * lookupSquares(plain, b);
  assert.ok(expected > 1e-3, "the penalty is large enough to see");
  const diff = penalised.lossAt(b, EVAL) - plain.lossAt(b, EVAL);
  assert.ok(Math.abs(diff - expected) <= 1e-5 + 1e-4 * expected, `penalty ${diff} vs ${expected} by hand`);
});

test("the penalty's gradient matches a finite difference of the loss, and only rows the batch reads move", () => {
  const b = batch(32, 2);
  const l2 = 0.5;
  // Two identical networks with λ; one step of each with a plain learning rate would mix in
  // Adam's scaling, so compare the loss's slope along one row entry instead.
  const net = network(l2);
  const emb = net.embedding as PlanEmbedding;
  const g = emb.sizes.indexOf(4); // field 2's table (size 4)
  const { table } = emb.sparse[g];
  const rowOf = emb.sparse[g].rowOf as Int32Array;
  const read = rowOf[b.ids[0 * F + 2]];
  const count = Array.from({ length: b.size }, (_, i) => b.ids[i * F + 2]).filter((id) => rowOf[id] === read).length;
  const h = 1e-2;
  const w = table.row(read);
  const w0 = w[1];
  const lossWithout = (x: number) => {
    w[1] = x;
    const penalised = net.lossAt(b, EVAL);
    return penalised;
  };
  const slope = (lossWithout(w0 + h) - lossWithout(w0 - h)) / (2 * h);
  w[1] = w0;
  const plain = network(0);
  const pw = (plain.embedding as PlanEmbedding).sparse[g].table.row(read);
  const plainSlope = (() => {
    pw[1] = w0 + h;
    const up = plain.lossAt(b, EVAL);
    pw[1] = w0 - h;
    const down = plain.lossAt(b, EVAL);
    pw[1] = w0;
    return (up - down) / (2 * h);
  })();
  // d/dw of λ/B · count · w² = 2λ·count·w/B.
  const expected = (2 * l2 * count * w0) / b.size;
  assert.ok(count >= 1);
  assert.ok(
    Math.abs(slope - plainSlope - expected) <= 2e-3 * Math.max(1, Math.abs(expected)),
    `${slope - plainSlope} vs ${expected}`,
  );
  // A row no lookup of the batch reads: the loss does not depend on it at all.
  const unread = [...Array(table.rows).keys()].find((r) => !Array.from(b.ids).some((id) => rowOf[id] === r && id >= 0));
  assert.ok(unread !== undefined);
  const u = table.row(unread);
  const before = net.lossAt(b, EVAL);
  u[0] += 1;
  assert.equal(net.lossAt(b, EVAL), before);
});

test("training with the L2 keeps the embeddings smaller than without", () => {
  const runs = [0, 0.05].map((l2) => {
    const net = network(l2);
    for (let s = 0; s < 30; s++)
      net.trainStep(batch(64, 10 + s), { training: true, step: s, dropout: randomStream(7, "dropout") });
    const emb = net.embedding as PlanEmbedding;
    let sq = 0;
    for (const { table } of emb.sparse) for (let r = 0; r < table.rows; r++) for (const v of table.row(r)) sq += v * v;
    return sq;
  });
  assert.ok(runs[1] < runs[0] * 0.9, `Σw² with L2 ${runs[1]} vs without ${runs[0]}`);
});

test("a negative or non-finite L2 is refused with a clear error", () => {
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY])
    assert.throws(
      () => network(bad === -1 ? -1e-3 : bad),
      (e: unknown) => e instanceof AutodimError && /embedding L2/.test((e as Error).message),
    );
});
