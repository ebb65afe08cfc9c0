import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PreparedData } from "../../src/data/batches.js";
import {
  DEFAULT_RANKS,
  FIELD_NAMES,
  generateSynthetic,
  syntheticVocabularySize,
  type SynthTruth,
} from "../../src/data/synthetic.js";
import { auc, spearman } from "../../src/data/metrics.js";
import { prepareQuiet, tempDir } from "../helpers.js";

const ROWS = 20000;

async function synth(seed: number, ranks?: number[]) {
  const dir = tempDir();
  const file = join(dir, "synth.txt");
  const truth = await generateSynthetic(file, { rows: ROWS, seed, ranks, progress: false });
  return { file, truth, dir };
}

test("same seed → byte-identical file and truth; another seed → another file", async () => {
  const a = await synth(4);
  const b = await synth(4);
  const c = await synth(5);
  assert.ok(readFileSync(a.file).equals(readFileSync(b.file)));
  const strip = (t: SynthTruth) => ({ ...t, seconds: 0 });
  assert.deepEqual(strip(a.truth), strip(b.truth));
  assert.ok(!readFileSync(a.file).equals(readFileSync(c.file)));
});

test("truth file is consistent with the generated rows", async () => {
  const { file, truth } = await synth(7);
  const onDisk = JSON.parse(readFileSync(`${file}.truth.json`, "utf8")) as SynthTruth;
  assert.deepEqual({ ...onDisk, seconds: 0 }, { ...truth, seconds: 0 });
  const lines = readFileSync(file, "latin1").replace(/\n$/, "").split("\n"); // not trimEnd: trailing tabs are empty fields
  assert.equal(lines.length, ROWS);
  assert.ok(lines.every((l) => l.split("\t").length === 40));
  const clicks = lines.filter((l) => l[0] === "1").length;
  assert.equal(truth.clickRate, clicks / ROWS);
  assert.ok(Math.abs(truth.clickRate - 0.256) < 0.02, `click rate ${truth.clickRate}`);
  assert.deepEqual(truth.ranks, DEFAULT_RANKS);
  assert.deepEqual(truth.fields, FIELD_NAMES);
  assert.deepEqual(
    truth.vocabularySizes,
    FIELD_NAMES.map((_, m) => syntheticVocabularySize(m, ROWS)),
  );
  assert.ok(truth.ceilingAuc > 0.7 && truth.ceilingAuc < 0.95, `ceiling AUC ${truth.ceilingAuc}`);
  // Default ranks span 0..16.
  assert.equal(Math.min(...truth.ranks), 0);
  assert.equal(Math.max(...truth.ranks), 16);
});

test("the reader recovers exactly the planted values: distinct tokens ≤ planted values (+ missing)", async () => {
  const { file, truth } = await synth(8);
  const { manifest } = await prepareQuiet({ input: file, format: "criteo", minCount: 1 });
  assert.equal(manifest.rows.train, ROWS);
  manifest.fields.forEach((f, m) => {
    assert.ok(
      f.kept <= truth.vocabularySizes[m],
      `${f.name}: ${f.kept} tokens from ${truth.vocabularySizes[m]} values`,
    );
  });
  // Small integer fields see (nearly) every planted value: the bucketing inverts the rendering.
  const i1 = manifest.fields[0];
  assert.equal(i1.kept, truth.vocabularySizes[0]);
});

/** Per field: AUC on the second half of a per-value click-rate model fit on the first half. */
function singleFieldAucs(data: PreparedData): number[] {
  const { ids, labels } = data.readSplit("train");
  const F = data.fieldCount;
  const half = Math.floor(labels.length / 2);
  return Array.from({ length: F }, (_, m) => {
    const clicks = new Map<number, [number, number]>();
    for (let r = 0; r < half; r++) {
      const c = clicks.get(ids[r * F + m]) ?? [0, 0];
      c[0] += labels[r];
      c[1] += 1;
      clicks.set(ids[r * F + m], c);
    }
    const scores: number[] = [];
    for (let r = half; r < labels.length; r++) {
      const c = clicks.get(ids[r * F + m]) ?? [0, 0];
      scores.push((c[0] + 1) / (c[1] + 4)); // smoothed toward the base rate
    }
    return auc(labels.subarray(half), scores);
  });
}

test("planted structure: a field's own predictive power grows with its rank; rank 0 carries none", async () => {
  const dir = tempDir();
  const file = join(dir, "synth.txt");
  const truth = await generateSynthetic(file, { rows: 50000, seed: 3, progress: false });
  const out = join(dir, "prep");
  await prepareQuiet({ input: file, format: "criteo", minCount: 5, out });
  const aucs = singleFieldAucs(new PreparedData(out));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const byRank = (pred: (r: number) => boolean) => aucs.filter((_, m) => pred(truth.ranks[m]));
  for (const a of byRank((r) => r === 0)) assert.ok(Math.abs(a - 0.5) < 0.015, `rank-0 field single-field AUC ${a}`);
  assert.ok(mean(byRank((r) => r >= 12)) > mean(byRank((r) => r === 0)) + 0.015);
  const rho = spearman(truth.ranks, aucs);
  assert.ok(rho > 0.7, `Spearman(rank, single-field AUC) = ${rho}`);
});

test("bad options are refused with the flag named", async () => {
  const f = join(tempDir(), "x.txt");
  await assert.rejects(generateSynthetic(f, { rows: 10, seed: 1, ranks: [1, 2] }), /--ranks needs 39 values/);
  await assert.rejects(
    generateSynthetic(f, { rows: 10, seed: 1, ranks: FIELD_NAMES.map(() => 17) }),
    /--ranks: 17 is not an integer in 0\.\.16/,
  );
  await assert.rejects(generateSynthetic(f, { rows: 0, seed: 1 }), /--rows must be a positive integer/);
});

test("given vocabularies and one Zipf exponent (the paper-scale rehearsal) are used and recorded", async () => {
  const dir = tempDir();
  const sizes = FIELD_NAMES.map((_, m) => 40 + m);
  const truth = await generateSynthetic(join(dir, "x.txt"), {
    rows: 3000,
    seed: 5,
    vocabularySizes: sizes,
    zipfExponent: 0.5,
    progress: false,
  });
  assert.deepEqual(truth.vocabularySizes, sizes);
  assert.ok(truth.zipfExponents.every((z) => z === 0.5));
  // A flat law spreads the rows: with exponent 0.5 the most frequent value of a 60-value field
  // takes ~1/(2√60) ≈ 7% of them (1.0–1.3 would give ~20–35%).
  const column = readFileSync(join(dir, "x.txt"), "utf8")
    .trim()
    .split("\n")
    .map((line) => line.split("\t")[1 + 20]);
  const counts = new Map<string, number>();
  for (const v of column) if (v !== "") counts.set(v, (counts.get(v) ?? 0) + 1);
  const present = column.filter((v) => v !== "").length;
  assert.ok(Math.max(...counts.values()) / present < 0.12, `top value share ${Math.max(...counts.values()) / present}`);
  await assert.rejects(
    generateSynthetic(join(dir, "y.txt"), { rows: 10, seed: 1, vocabularySizes: [3, 4] }),
    /vocabularySizes needs 39 values, got 2/,
  );
});
