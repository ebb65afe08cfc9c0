// Experiment 14 (src/experiments/beyond.ts): the tolerance rule, and the code's default is the
// tolerance the committed result chose on the tuning seeds.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { beyondDefaults, chooseTolerance } from "../../src/experiments/beyond.js";
import { SHRINK_TOLERANCE } from "../../src/methods/defaults.js";

test("the tolerance rule: the largest saving within the validation drop; none allowed, the smallest tolerance", () => {
  const rows = [
    { tolerance: 0.001, validationDelta: 0.0002, saved: 0.5 },
    { tolerance: 0.002, validationDelta: -0.0004, saved: 0.6 },
    { tolerance: 0.004, validationDelta: -0.0009, saved: 0.7 },
  ];
  assert.equal(chooseTolerance(rows, 0.0005).tolerance, 0.002);
  assert.equal(chooseTolerance(rows, 0.001).tolerance, 0.004);
  assert.equal(chooseTolerance(rows, 0.0001).tolerance, 0.001);
  assert.equal(chooseTolerance(rows.slice(1), 0.0001).tolerance, 0.002, "none allowed: the smallest");
});

test("tuning seeds are not the verdict's; SHRINK_TOLERANCE is what the committed result chose", () => {
  const s = beyondDefaults("quick");
  for (const seed of s.tuningSeeds) assert.ok(!s.curveSeeds.includes(seed) && !s.base.seeds.includes(seed));
  assert.ok(s.tolerances.includes(SHRINK_TOLERANCE));
  const file = "results/beyond-quick.json";
  assert.ok(existsSync(file), `${file} is committed`);
  const saved = JSON.parse(readFileSync(file, "utf8")) as { result: { chosen: number } };
  assert.equal(saved.result.chosen, SHRINK_TOLERANCE);
});
