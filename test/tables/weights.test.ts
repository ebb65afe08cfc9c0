import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadWeights, saveWeights } from "../../src/tables/weights.js";
import { tempDir } from "../helpers.js";

test("weights file: round trip by name; bad signature, truncation and duplicate names are refused", () => {
  const file = join(tempDir(), "w.bin");
  const a = { name: "a", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) };
  const b = { name: "b/é", shape: [1], data: Float32Array.from([Math.PI]) };
  saveWeights(file, [a, b]);
  const w = loadWeights(file);
  assert.deepEqual([...w.keys()], ["a", "b/é"]);
  assert.deepEqual(w.get("a"), a);
  assert.deepEqual(w.get("b/é"), b);
  const bytes = readFileSync(file);
  writeFileSync(file, bytes.subarray(0, bytes.length - 2));
  assert.throws(() => loadWeights(file), /w\.bin: not a weights file .*truncated: b\/é runs past the end/);
  writeFileSync(file, Buffer.concat([Buffer.from("XX"), bytes.subarray(2)]));
  assert.throws(() => loadWeights(file), /no ADWEIGHT signature/);
  assert.throws(() => loadWeights(join(tempDir(), "none.bin")), /none\.bin: weights file not found/);
  assert.throws(() => saveWeights(file, [a, a]), /duplicate name a/);
  assert.throws(
    () => saveWeights(file, [{ name: "c", shape: [4], data: new Float32Array(3) }]),
    /c has 3 values, shape 4 needs 4/,
  );
});
