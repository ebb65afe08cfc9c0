import assert from "node:assert/strict";
import { test } from "node:test";
import { auc, logloss } from "../../src/data/metrics.js";

test("auc: perfect, reversed and hand-computed with ties (midranks)", () => {
  assert.equal(auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]), 1);
  assert.equal(auc([0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1]), 0);
  // pairs (pos, neg): pos scores {0.5, 0.8}, neg {0.5, 0.2, 0.9}
  // 0.5 vs 0.5 tie = 1/2, 0.5>0.2 = 1, 0.5<0.9 = 0; 0.8>0.5, 0.8>0.2, 0.8<0.9 → (1.5 + 2) / 6
  assert.equal(auc([1, 0, 0, 1, 0], [0.5, 0.5, 0.2, 0.8, 0.9]), 3.5 / 6);
  assert.equal(auc([1, 0, 1, 0], [0.3, 0.3, 0.3, 0.3]), 0.5);
});

test("auc equals the O(n²) pair count on random data with many ties", () => {
  let s = 12345;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const n = 500;
  const labels = Array.from({ length: n }, () => (rand() < 0.3 ? 1 : 0));
  const scores = Array.from({ length: n }, () => Math.floor(rand() * 20) / 20);
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (labels[i] === 1 && labels[j] === 0) {
        pairs++;
        wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }
  assert.ok(Math.abs(auc(labels, scores) - wins / pairs) < 1e-12);
});

test("auc refuses one-class input and bad labels", () => {
  assert.throws(() => auc([1, 1], [0.1, 0.2]), /both classes/);
  assert.throws(() => auc([1, 2], [0.1, 0.2]), /not 0 or 1/);
  assert.throws(() => auc([1, 0], [0.1]), /2 labels but 1 scores/);
});

test("logloss: hand values and clipping", () => {
  assert.ok(Math.abs(logloss([1, 0], [0.8, 0.4]) - (-Math.log(0.8) - Math.log(0.6)) / 2) < 1e-12);
  assert.ok(Math.abs(logloss([1], [0]) - -Math.log(1e-7)) < 1e-9);
  assert.ok(Number.isFinite(logloss([0], [1])));
  assert.throws(() => logloss([0.5], [0.5]), /not 0 or 1/);
});

test("pearson and spearman: hand values, ties, constant series", async () => {
  const { pearson, spearman, midranks } = await import("../../src/data/metrics.js");
  assert.ok(Math.abs(pearson([1, 2, 3], [2, 4, 6]) - 1) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12);
  // x = [1,2,3,4], y = [1,3,2,4]: cov = 4/4... r = (Σdxdy)/√(ΣdxΣdy) = 4/5
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [1, 3, 2, 4]) - 0.8) < 1e-12);
  assert.deepEqual([...midranks([10, 20, 20, 5])], [2, 3.5, 3.5, 1]);
  // monotone but not linear → spearman 1
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [1, 8, 27, 1000]) - 1) < 1e-12);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
});

test("auc and logloss are exported from the package root", async () => {
  const root = await import("autodim");
  assert.equal(root.auc([0, 1, 1, 0], [0.1, 0.9, 0.5, 0.5]), 0.875);
  assert.ok(Math.abs(root.logloss([1, 0], [0.8, 0.2]) + Math.log(0.8)) < 1e-12);
});
