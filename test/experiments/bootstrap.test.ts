// The paired bootstrap behind the main table's intervals, against brute force.
import assert from "node:assert/strict";
import { test } from "node:test";
import { auc } from "../../src/data/metrics.js";
import { pairedAucBootstrap, quantile, rankScores, verdict, weightedAuc } from "../../src/experiments/bootstrap.js";
import { randomStream } from "../../src/core/random.js";

function randomCase(n: number, seed: number) {
  const rng = randomStream(seed, "bench");
  const labels = Uint8Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0));
  // Scores on a coarse grid, so ties occur and must count one half.
  const scores = Float32Array.from(labels, (y) => Math.round((0.2 * y + rng.next()) * 20) / 20);
  const weights = Uint32Array.from({ length: n }, () => Math.floor(rng.next() * 4));
  return { labels, scores, weights };
}

test("weighted AUC equals the AUC of the rows repeated by their weights (brute force, ties included)", () => {
  for (const seed of [1, 2, 3]) {
    const { labels, scores, weights } = randomCase(300, seed);
    const expandedLabels: number[] = [];
    const expandedScores: number[] = [];
    weights.forEach((w, i) => {
      for (let k = 0; k < w; k++) {
        expandedLabels.push(labels[i]);
        expandedScores.push(scores[i]);
      }
    });
    const got = weightedAuc(labels, rankScores(scores), weights);
    assert.ok(Math.abs(got - auc(expandedLabels, expandedScores)) < 1e-12, `seed ${seed}`);
    assert.ok(
      Math.abs(weightedAuc(labels, rankScores(scores), new Float64Array(300).fill(1)) - auc(labels, scores)) < 1e-12,
    );
  }
});

test("paired bootstrap: point estimate is the mean per-seed difference; same seed → same interval; a one-seed brute-force replicate matches", () => {
  const { labels } = randomCase(200, 4);
  const run = (seed: number, shift: number) =>
    Float32Array.from(labels, (y, i) => y * shift + randomStream(seed, "bench", i).next());
  const reference = { key: "fde", scoresBySeed: [run(1, 0.1), run(2, 0.1)] };
  const better = { key: "better", scoresBySeed: [run(3, 0.5), run(4, 0.5)] };
  const [d] = pairedAucBootstrap(labels, reference, [better], { replicates: 300, seed: 7 });
  const expected =
    (auc(labels, better.scoresBySeed[0]) -
      auc(labels, reference.scoresBySeed[0]) +
      auc(labels, better.scoresBySeed[1]) -
      auc(labels, reference.scoresBySeed[1])) /
    2;
  assert.ok(Math.abs(d.delta - expected) < 1e-12);
  assert.ok(d.low < d.delta && d.delta < d.high);
  assert.equal(verdict(d), "better");
  assert.deepEqual(pairedAucBootstrap(labels, reference, [better], { replicates: 300, seed: 7 })[0], d);
  // Swapping the roles mirrors the interval.
  const [m] = pairedAucBootstrap(labels, better, [reference], { replicates: 300, seed: 7 });
  assert.ok(
    Math.abs(m.delta + d.delta) < 1e-12 && Math.abs(m.low + d.high) < 1e-12 && Math.abs(m.high + d.low) < 1e-12,
  );
  assert.equal(verdict(m), "worse");
});

test("paired bootstrap: an interval from pure noise covers 0 in about 95% of repeats", () => {
  // Two methods whose scores are independent draws of the same model: H0 holds.
  let covered = 0;
  const repeats = 40;
  for (let r = 0; r < repeats; r++) {
    const { labels } = randomCase(300, 100 + r);
    const draw = (k: number) => Float32Array.from(labels, (y, i) => 0.3 * y + randomStream(r, "bench", k, i).next());
    const [d] = pairedAucBootstrap(
      labels,
      { key: "a", scoresBySeed: [draw(1)] },
      [{ key: "b", scoresBySeed: [draw(2)] }],
      {
        replicates: 200,
        seed: r,
      },
    );
    if (d.low <= 0 && 0 <= d.high) covered++;
  }
  assert.ok(covered >= 33, `${covered} of ${repeats} intervals covered 0`); // 95% ± sampling: 33+ of 40
});

test("quantile interpolates between order statistics", () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  assert.equal(quantile([0, 10], 0.25), 2.5);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});
