// Bring-your-own data: csv/tsv with a header and a schema, libFM, and pre-split inputs,
// against encodings computed by hand.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PreparedData } from "../../src/data/batches.js";
import { splitHeader } from "../../src/data/formats.js";
import { numericToken } from "../../src/data/numeric.js";
import { prepareQuiet, tempDir } from "../helpers.js";

function file(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

async function encode(req: Parameters<typeof prepareQuiet>[0]) {
  const out = tempDir();
  const { manifest } = await prepareQuiet({ ...req, out });
  const data = new PreparedData(out);
  const read = (split: "train" | "val" | "test") => {
    const { ids, labels } = data.readSplit(split);
    const F = manifest.fields.length;
    return {
      rows: Array.from({ length: labels.length }, (_, r) => Array.from(ids.subarray(r * F, r * F + F))),
      labels: Array.from(labels),
    };
  };
  return { manifest, read, out };
}

test("csv: RFC 4180 quotes, embedded delimiters and quotes, CRLF, missing values, −1/1 labels, a numeric field, dropped columns", async () => {
  // Columns: id (dropped via --fields), city (categorical), "note" (categorical, quoted
  // values with commas and quotes), clicks (numeric), y (label, −1/1).
  const text =
    'id,city,"note",clicks,y\r\n' +
    '1,paris,"a,b",10,1\r\n' +
    '2,"paris","say ""hi""",,-1\r\n' +
    '3,rome,"a,b",2,1\r\n' +
    "4,,plain,10,-1\r\n";
  const path = file("d.csv", text);
  const { manifest, read } = await encode({
    input: path,
    format: "csv",
    schema: { label: "y", fields: ["city", "note"], numeric: ["clicks"] },
  });
  assert.deepEqual(
    manifest.fields.map((f) => [f.name, f.kind]),
    [
      ["city", "cat"],
      ["note", "cat"],
      ["clicks", "int"],
    ],
  );
  // Ids: 0 missing, 1 rare, then kept values most frequent first (ties: first seen).
  // city: paris×2 → 2, rome → 3 (size 4); note: "a,b"×2 → 2, 'say "hi"' → 3, plain → 4 (size 5);
  // clicks: 10 → b⌊ln(10)²⌋ = b5 ×2 → 2, 2 → v2 → 3 (size 4). Offsets 0, 4, 9.
  assert.deepEqual(
    manifest.fields.map((f) => f.vocabularySize),
    [4, 5, 4],
  );
  const { rows, labels } = read("train");
  assert.deepEqual(rows, [
    [2, 4 + 2, 9 + 2],
    [2, 4 + 3, 9 + 0],
    [3, 4 + 2, 9 + 3],
    [0, 4 + 4, 9 + 2],
  ]);
  assert.deepEqual(labels, [1, 0, 1, 0]);
});

test("tsv and --delimiter: the header names the columns; label defaults to 'label'; all other columns are fields", async () => {
  const tsv = file("d.tsv", "label\tu\tv\n1\ta\tx\n0\tb\tx\n");
  const t = await encode({ input: tsv, format: "tsv" });
  assert.deepEqual(
    t.manifest.fields.map((f) => f.name),
    ["u", "v"],
  );
  assert.deepEqual(t.read("train").rows, [
    [2, 4 + 2],
    [3, 4 + 2],
  ]);
  const semi = file("d.txt", "u;label\na;0\na;1\n");
  const s = await encode({ input: semi, format: "csv", schema: { delimiter: ";" } });
  assert.deepEqual(s.read("train").rows, [[2], [2]]);
  assert.deepEqual(s.read("train").labels, [0, 1]);
});

test("csv schema errors name the flag and the header's columns", async () => {
  const path = file("d.csv", "a,b,click\nx,y,1\n");
  await assert.rejects(
    prepareQuiet({ input: path, format: "csv" }),
    /d\.csv: --label: no column "label" in the header \(columns: a,b,click\); name the label column with --label/,
  );
  await assert.rejects(
    prepareQuiet({ input: path, format: "csv", schema: { label: "click", fields: ["a", "zz"] } }),
    /--fields: no column "zz" in the header/,
  );
  await assert.rejects(
    prepareQuiet({ input: path, format: "csv", schema: { label: "click", numeric: ["click"] } }),
    /--numeric: "click" is the label column/,
  );
  await assert.rejects(
    prepareQuiet({ input: path, format: "csv", schema: { label: "click", delimiter: "ab" } }),
    /--delimiter must be one ASCII character/,
  );
  await assert.rejects(
    prepareQuiet({ input: file("dup.csv", "a,a,label\n"), format: "csv" }),
    /names column "a" twice/,
  );
});

const csvBad: { name: string; row: string; message: RegExp; reason: string }[] = [
  {
    name: "label 2",
    row: "x,2",
    message: /bad\.csv:3: field y: label must be 0\/1 or -1\/1, found "2"/,
    reason: "label",
  },
  {
    name: "label text",
    row: "x,yes",
    message: /bad\.csv:3: field y: label must be 0\/1 or -1\/1, found "yes"/,
    reason: "label",
  },
  { name: "too many columns", row: "x,1,extra", message: /bad\.csv:3: expected 2 columns, found 3/, reason: "columns" },
  { name: "too few columns", row: "x", message: /bad\.csv:3: expected 2 columns, found 1/, reason: "columns" },
  {
    name: "unterminated quote",
    row: '"x,1',
    message: /bad\.csv:3: field u: unterminated quoted value \(a quoted value spanning lines is not supported\)/,
    reason: "quote",
  },
  {
    name: "text after a closing quote",
    row: '"x"z,1',
    message: /bad\.csv:3: field u: text after the closing quote/,
    reason: "quote",
  },
];

for (const c of csvBad) {
  test(`csv bad row (${c.name}): file:line: field, or skipped and counted`, async () => {
    const path = join(tempDir(), "bad.csv");
    writeFileSync(path, `u,y\na,1\n${c.row}\nb,-1\n`);
    await assert.rejects(prepareQuiet({ input: path, format: "csv", schema: { label: "y" } }), (e: Error) => {
      assert.match(e.message, c.message);
      return true;
    });
    const { manifest, read } = await encode({ input: path, format: "csv", schema: { label: "y" }, onBadRow: "skip" });
    assert.equal(manifest.skipped.total, 1);
    assert.deepEqual(manifest.skipped.byReason, { [c.reason]: 1 });
    assert.equal(manifest.skipped.examples[0].line, 3);
    assert.deepEqual(read("train").labels, [1, 0]);
  });
}

test("a numeric csv field takes decimals (bucketised like integers above 2, by tenths at or below) and refuses a non-number with file:line: field", async () => {
  const path = file("n.csv", "x,label\n3,1\n2.5,0\n0.37,1\n-0.05,0\n1e-3,1\n7.0,0\n1,1\n");
  const { manifest } = await encode({ input: path, format: "csv", schema: { numeric: ["x"] } });
  // Tokens: 3 → b1 (⌊ln 3²⌋ = 1), 2.5 → b0 (⌊0.84⌋), 0.37 → d3, −0.05 → d-1, 0.001 → d0, 7.0 → b3, 1 → v1:
  // seven distinct values, each its own id (+ missing and rare) wherever the split puts them.
  assert.equal(manifest.fields[0].kind, "int");
  assert.equal(manifest.skipped.total, 0);
  assert.deepEqual([3, 2.5, 0.37, -0.05, 1e-3, 7, 1].map(numericToken), ["b1", "b0", "d3", "d-1", "d0", "b3", "v1"]);
  const bad = file("m.csv", "x,label\n3,1\n2,5,0\n");
  await assert.rejects(prepareQuiet({ input: bad, format: "csv", schema: { numeric: ["x"] } }), /m\.csv:3: /);
  const word = file("w.csv", "x,label\n3,1\nNaN,0\n");
  await assert.rejects(
    prepareQuiet({ input: word, format: "csv", schema: { numeric: ["x"] } }),
    /w\.csv:3: field x: expected a number, found "NaN"/,
  );
});

test("libfm: one field per pair, idx as the token, 1/−1 labels, numeric fields bucketised, --field-names", async () => {
  // Frappe-like: 3 fields; field 2 numeric ("count").
  const text = "1 10:1 20:1 30:5\n-1 11:1 20:1 30:1\n1 10:1 21:1.0 30:20\n";
  const path = file("d.libfm", text);
  const { manifest, read } = await encode({
    input: path,
    format: "libfm",
    schema: { fieldNames: ["user", "item", "count"], numeric: ["count"] },
  });
  assert.deepEqual(
    manifest.fields.map((f) => [f.name, f.kind]),
    [
      ["user", "cat"],
      ["item", "cat"],
      ["count", "int"],
    ],
  );
  // user: 10×2 → 2, 11 → 3 (size 4); item: 20×2 → 2, 21 → 3 (size 4);
  // count: 5 → "30:b2" (⌊ln 5²⌋ = 2), 1 → "30:v1", 20 → "30:b8" (⌊ln 20²⌋ = 8), each once → 2, 3, 4 (size 5).
  assert.deepEqual(
    manifest.fields.map((f) => f.vocabularySize),
    [4, 4, 5],
  );
  assert.deepEqual(read("train").rows, [
    [2, 4 + 2, 8 + 2],
    [3, 4 + 2, 8 + 3],
    [2, 4 + 3, 8 + 4],
  ]);
  assert.deepEqual(read("train").labels, [1, 0, 1]);
  const plain = await encode({ input: path, format: "libfm", schema: { numeric: ["f2"] } });
  assert.deepEqual(
    plain.manifest.fields.map((f) => f.name),
    ["f0", "f1", "f2"],
  );
});

const libfmBad: { name: string; row: string; message: RegExp; reason: string }[] = [
  {
    name: "value other than 1",
    row: "1 10:0.5 20:1",
    message:
      /bad\.libfm:2: field f0: value must be 1 for a categorical field \(declare it with --numeric to bucketise values\), found "10:0\.5"/,
    reason: "value",
  },
  {
    name: "fewer pairs",
    row: "1 10:1",
    message: /bad\.libfm:2: expected 2 idx:val pairs \(as on the first data line\), found 1/,
    reason: "columns",
  },
  {
    name: "more pairs",
    row: "1 10:1 20:1 30:1",
    message: /bad\.libfm:2: expected 2 idx:val pairs \(as on the first data line\), found 3/,
    reason: "columns",
  },
  {
    name: "no colon",
    row: "1 10 20:1",
    message: /bad\.libfm:2: field f0: expected idx:val, found "10"/,
    reason: "pair",
  },
  {
    name: "bad label",
    row: "2 10:1 20:1",
    message: /bad\.libfm:2: field label: label must be 0\/1 or -1\/1, found "2"/,
    reason: "label",
  },
  {
    name: "non-integer index",
    row: "1 a:1 20:1",
    message: /bad\.libfm:2: field f0: feature index must be a non-negative integer, found "a:1"/,
    reason: "pair",
  },
];

for (const c of libfmBad) {
  test(`libfm bad row (${c.name}): file:line: field, or skipped and counted`, async () => {
    const path = join(tempDir(), "bad.libfm");
    writeFileSync(path, `1 10:1 20:1\n${c.row}\n-1 11:1 20:1\n`);
    await assert.rejects(prepareQuiet({ input: path, format: "libfm" }), (e: Error) => {
      assert.match(e.message, c.message);
      return true;
    });
    const { manifest, read } = await encode({ input: path, format: "libfm", onBadRow: "skip" });
    assert.deepEqual(manifest.skipped.byReason, { [c.reason]: 1 });
    assert.deepEqual(read("train").labels, [1, 0]);
  });
}

test("pre-split inputs: vocabularies from the training file only; each file's rows in its split; the cache tracks all three", async () => {
  const dir = tempDir();
  const train = join(dir, "train.csv");
  const val = join(dir, "val.csv");
  const test_ = join(dir, "test.csv");
  writeFileSync(train, "label,u\n1,a\n0,a\n1,b\n");
  writeFileSync(val, "label,u\n0,c\n1,a\n");
  writeFileSync(test_, '"label","u"\n1,b\n');
  const out = tempDir();
  const req = { input: { train, val, test: test_ }, format: "csv" as const, out, minCount: 1 };
  const first = await prepareQuiet(req);
  const m = first.manifest;
  assert.equal(first.reused, false);
  assert.deepEqual(m.rows, { train: 3, val: 2, test: 1 });
  assert.equal(m.settings.preSplit, true);
  assert.deepEqual(
    m.sources.map((s) => s.split),
    ["train", "val", "test"],
  );
  assert.equal(m.source.path, train);
  // u: a×2 → 2, b → 3; "c" is unseen in training → rare 1.
  const data = new PreparedData(out);
  assert.deepEqual(Array.from(data.readSplit("val").ids), [1, 2]);
  assert.deepEqual(Array.from(data.readSplit("test").ids), [3]);
  assert.match(m.preset, /train\/val\/test from separate files/);
  assert.equal((await prepareQuiet(req)).reused, true);
  writeFileSync(val, "label,u\n0,c\n1,b\n"); // same size, other content
  assert.equal((await prepareQuiet(req)).reused, false);
  writeFileSync(test_, "label,v\n1,b\n");
  await assert.rejects(prepareQuiet(req), /test\.csv:1: header does not match the training file's/);
});

test("CLI: prepare --format csv/libfm flags are validated and name what they accept", () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["bin/autodim.js", "prepare", ...args], {
      encoding: "utf8",
      env: { ...process.env, AUTODIM_QUIET: "1" },
    });
  const csv = file("c.csv", "click,a\n" + "1,x\n".repeat(20));
  const out = tempDir();
  assert.match(
    run(["--format", "csv", "--input", csv, "--label", "click", "--split", "8:0:0", "--out", out]).stderr,
    /--split must be train:val:test with three positive numbers \(e\.g\. 8:1:1\): every split needs rows, got "8:0:0"/,
  );
  const ok = run(["--format", "csv", "--input", csv, "--label", "click", "--min-count", "1", "--out", out]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /fields 1, total features 3/);
  assert.match(
    run(["--format", "criteo", "--input", csv, "--label", "click", "--out", out]).stderr,
    /--label applies to --format csv, tsv, libfm only/,
  );
  assert.match(
    run(["--format", "libfm", "--input", csv, "--label", "click", "--out", out]).stderr,
    /--label applies to --format csv and tsv, not libfm/,
  );
  assert.match(
    run(["--format", "csv", "--input", csv, "--field-names", "a", "--out", out]).stderr,
    /--field-names applies to --format libfm only/,
  );
  assert.match(
    run(["--format", "csv", "--train", csv, "--val", csv, "--out", out]).stderr,
    /pre-split input needs all three of --train, --val and --test/,
  );
  assert.match(
    run(["--format", "csv", "--input", csv, "--train", csv, "--val", csv, "--test", csv, "--out", out]).stderr,
    /give either --input FILE \[--split 8:1:1\] or --train/,
  );
  assert.match(
    run(["--format", "csv", "--input", csv, "--fields", "a,a", "--label", "click", "--out", out]).stderr,
    /--fields names "a" twice/,
  );
  const bad = run(["--format", "csv", "--input", csv, "--out", out]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /c\.csv: --label: no column "label"/);
});

test("splitHeader: RFC 4180 quoting of header names", () => {
  assert.deepEqual(splitHeader('a,"b,c","d""e",', ","), ["a", "b,c", 'd"e', ""]);
  assert.throws(() => splitHeader('a,"b', ","), /unterminated quote/);
});
