import assert from "node:assert/strict";
import { test } from "node:test";
import { appendFileSync, existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PreparedData } from "../../src/data/batches.js";
import { randomStream } from "../../src/core/random.js";
import { AVAZU, CRITEO_DEEPCTR, CRITEO_RAW, fixtureLines, preparedFile, prepareQuiet, tempDir } from "../helpers.js";

/**
 * An independent, string-based encoder of the preset (Map counts, Math.log buckets), to
 * check the byte-level pipeline against: ids per row in file order.
 */
function referenceEncode(
  lines: string[],
  delimiter: string,
  labelCol: number,
  fieldCols: number[],
  intFields: number,
  minCount: number,
): { ids: number[][]; labels: number[]; sizes: number[] } {
  const rows = lines.map((l) => l.split(delimiter));
  const tokenOf = (v: string, m: number): string | null => {
    if (v === "") return null;
    if (m >= intFields) return v;
    const n = Number(v);
    return n > 2 ? `b${Math.floor(Math.log(n) ** 2)}` : `v${n}`;
  };
  const sizes: number[] = [];
  const maps = fieldCols.map((c, m) => {
    const counts = new Map<string, number>();
    for (const r of rows) {
      const t = tokenOf(r[c], m);
      if (t !== null) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    const order = [...counts.entries()].filter(([, n]) => n >= minCount);
    order.sort((a, b) => b[1] - a[1]); // stable: ties stay in first-seen order
    sizes.push(2 + order.length);
    return new Map(order.map(([t], i) => [t, 2 + i]));
  });
  const offsets = sizes.map((_, m) => sizes.slice(0, m).reduce((a, b) => a + b, 0));
  const ids = rows.map((r) =>
    fieldCols.map((c, m) => {
      const t = tokenOf(r[c], m);
      return offsets[m] + (t === null ? 0 : (maps[m].get(t) ?? 1));
    }),
  );
  return { ids, labels: rows.map((r) => Number(r[labelCol])), sizes };
}

const criteoCols = Array.from({ length: 39 }, (_, i) => i + 1);

/** prepareQuiet plus the output directory and a reader over it. */
async function prepared(req: Parameters<typeof prepareQuiet>[0]) {
  const out = req.out ?? tempDir();
  const r = await prepareQuiet({ ...req, out });
  return { ...r, out, data: new PreparedData(out) };
}

for (const minCount of [1, 3]) {
  test(`criteo-deepctr sample (200 real rows), min count ${minCount}: every id equals an independent encoder's`, async () => {
    const { manifest, data } = await prepared({ input: CRITEO_DEEPCTR, format: "criteo-deepctr", minCount });
    assert.equal(manifest.rows.train, 200);
    assert.equal(manifest.fields.length, 39);
    assert.equal(manifest.skipped.total, 0);
    const ref = referenceEncode(fixtureLines(CRITEO_DEEPCTR).slice(1), ",", 0, criteoCols, 13, minCount);
    assert.deepEqual(
      manifest.fields.map((f) => f.vocabularySize),
      ref.sizes,
    );
    assert.equal(
      manifest.totalFeatures,
      ref.sizes.reduce((a, b) => a + b),
    );
    const { ids, labels } = data.readSplit("train");
    assert.deepEqual([...ids], ref.ids.flat());
    assert.deepEqual([...labels], ref.labels);
  });
}

test("hand-checked counts: I1 and C1 of the Criteo sample, site_id of the Avazu sample", async () => {
  const c = await prepared({ input: CRITEO_DEEPCTR, format: "criteo-deepctr" });
  const counts = c.data.counts();
  const i1 = c.manifest.fields[0];
  // I1: 90 empty, 53 × "0.0", 18 × "1.0", 13 × "2.0", then 3.0 and 4.0 (4 each) share bucket 1
  assert.deepEqual([...counts.subarray(i1.offset, i1.offset + 6)], [90, 0, 53, 18, 13, 8]);
  const c1 = c.manifest.fields[13];
  assert.equal(c1.name, "C1");
  // C1: 05db9164 × 87, 68fd1e64 × 36, 8cf07265 × 16
  assert.deepEqual([...counts.subarray(c1.offset + 2, c1.offset + 5)], [87, 36, 16]);
  const vocab = readFileSync(preparedFile(c.out, "vocab.jsonl"), "latin1")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(vocab[13].values.slice(0, 3), ["05db9164", "68fd1e64", "8cf07265"]);
  assert.deepEqual(vocab[0].values.slice(0, 4), ["v0", "v1", "v2", "b1"]);
  assert.equal(c.manifest.positives.train, 49);

  const a = await prepared({ input: AVAZU, format: "avazu" });
  assert.equal(a.manifest.rows.train, 100);
  assert.equal(a.manifest.fields.length, 22);
  assert.equal(a.manifest.positives.train, 20);
  const site = a.manifest.fields.findIndex((f) => f.name === "site_id");
  assert.equal(site, 3); // hour, C1, banner_pos, site_id
  const ac = a.data.counts();
  // site_id: 1fbe01fe × 40, 85f751fd × 21, e151e245 × 8
  assert.deepEqual(
    [...ac.subarray(a.manifest.fields[site].offset + 2, a.manifest.fields[site].offset + 5)],
    [40, 21, 8],
  );
  const t = await prepared({ input: AVAZU, format: "avazu", avazuTimeFields: true });
  assert.deepEqual(
    t.manifest.fields.slice(22).map((f) => [f.name, f.kept]),
    [
      ["hour_of_day", 1],
      ["weekday", 1],
    ],
  );
});

test("raw Criteo layout and the DeepCTR layout of the same rows encode identically", async () => {
  const raw = await prepared({
    input: CRITEO_RAW,
    format: "criteo",
    minCount: 2,
    split: [8, 1, 1].map((x) => x / 10) as [number, number, number],
  });
  const deep = await prepared({ input: CRITEO_DEEPCTR, format: "criteo-deepctr", minCount: 2, split: [0.8, 0.1, 0.1] });
  assert.deepEqual(raw.manifest.fields, deep.manifest.fields);
  assert.deepEqual(raw.manifest.rows, deep.manifest.rows);
  for (const split of ["train", "val", "test"] as const)
    assert.deepEqual(raw.data.readSplit(split), deep.data.readSplit(split));
});

test("the 8:1:1 split is drawn per line from the seed's split stream; vocabularies from train only", async () => {
  const lines = fixtureLines(CRITEO_DEEPCTR).slice(1);
  const seed = 5;
  const rng = randomStream(seed, "split");
  const splits = lines.map(() => {
    const u = rng.next();
    return u < 0.8 ? "train" : u < 0.9 ? "val" : "test";
  });
  const p = await prepared({ input: CRITEO_DEEPCTR, format: "criteo-deepctr", split: [0.8, 0.1, 0.1], seed });
  for (const s of ["train", "val", "test"] as const)
    assert.equal(p.manifest.rows[s], splits.filter((x) => x === s).length);
  const trainLines = lines.filter((_, i) => splits[i] === "train");
  const ref = referenceEncode(trainLines, ",", 0, criteoCols, 13, 1);
  assert.deepEqual(
    p.manifest.fields.map((f) => f.vocabularySize),
    ref.sizes,
  );
  assert.deepEqual([...p.data.readSplit("train").ids], ref.ids.flat());
  // A value seen only outside train is rare (id 1) in val/test.
  const valIds = p.data.readSplit("val").ids;
  assert.ok(
    valIds.some((id, k) => id === p.manifest.fields[k % 39].offset + 1),
    "some validation value is unseen in train",
  );

  const again = await prepared({ input: CRITEO_DEEPCTR, format: "criteo-deepctr", split: [0.8, 0.1, 0.1], seed });
  assert.deepEqual(
    again.manifest.shards.map((s) => s.ids.sha256),
    p.manifest.shards.map((s) => s.ids.sha256),
  );
  const other = await prepared({ input: CRITEO_DEEPCTR, format: "criteo-deepctr", split: [0.8, 0.1, 0.1], seed: 6 });
  assert.notDeepEqual(
    other.manifest.shards.map((s) => s.ids.sha256),
    p.manifest.shards.map((s) => s.ids.sha256),
  );
});

test("shards: rows split across files of --rows-per-shard rows, each with size and sha256", async () => {
  const p = await prepared({ input: CRITEO_DEEPCTR, format: "criteo-deepctr", rowsPerShard: 64 });
  assert.deepEqual(
    p.manifest.shards.filter((s) => s.split === "train").map((s) => s.rows),
    [64, 64, 64, 8],
  );
  for (const s of p.manifest.shards) {
    assert.equal(readFileSync(join(p.out, s.ids.file)).byteLength, s.rows * 39 * 4);
    assert.equal(s.ids.bytes, s.rows * 39 * 4);
    assert.match(s.ids.sha256, /^[0-9a-f]{64}$/);
  }
  const whole = await prepared({ input: CRITEO_DEEPCTR, format: "criteo-deepctr" });
  assert.deepEqual(p.data.readSplit("train"), whole.data.readSplit("train"));
});

test("CRLF line ends are accepted and encode like LF", async () => {
  const dir = tempDir();
  const crlf = join(dir, "crlf.csv");
  writeFileSync(crlf, fixtureLines(CRITEO_DEEPCTR).join("\r\n") + "\r\n");
  const a = await prepared({ input: crlf, format: "criteo-deepctr" });
  const b = await prepared({ input: CRITEO_DEEPCTR, format: "criteo-deepctr" });
  assert.deepEqual(a.data.readSplit("train"), b.data.readSplit("train"));
});

/** Writes the fixture with line `n` (1-based, header = 1) replaced. */
function mutated(src: string, n: number, edit: (cols: string[]) => string[] | string, delimiter = ","): string {
  const lines = fixtureLines(src);
  const e = edit(lines[n - 1].split(delimiter));
  lines[n - 1] = typeof e === "string" ? e : e.join(delimiter);
  const path = join(tempDir(), "bad.csv");
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

const badCases: {
  name: string;
  file: () => string;
  format: "criteo" | "criteo-deepctr" | "avazu";
  avazuTimeFields?: boolean;
  message: RegExp;
  reason: string;
}[] = [
  {
    name: "too few columns",
    file: () => mutated(CRITEO_DEEPCTR, 17, (c) => c.slice(1)),
    format: "criteo-deepctr",
    message: /bad\.csv:17: expected 40 columns, found 39/,
    reason: "columns",
  },
  {
    name: "label other than 0/1",
    file: () => mutated(CRITEO_DEEPCTR, 9, (c) => ["1.0", ...c.slice(1)]),
    format: "criteo-deepctr",
    message: /bad\.csv:9: field label: label must be 0 or 1, found "1\.0"/,
    reason: "label",
  },
  {
    name: "non-numeric integer field",
    file: () =>
      mutated(CRITEO_DEEPCTR, 30, (c) => {
        c[3] = "twelve";
        return c;
      }),
    format: "criteo-deepctr",
    message: /bad\.csv:30: field I3: expected an integer, found "twelve"/,
    reason: "integer",
  },
  {
    name: "fractional integer",
    file: () =>
      mutated(CRITEO_DEEPCTR, 4, (c) => {
        c[5] = "1.5";
        return c;
      }),
    format: "criteo-deepctr",
    message: /bad\.csv:4: field I5: expected an integer, found "1\.5"/,
    reason: "integer",
  },
  {
    name: "float in raw Criteo",
    file: () =>
      mutated(
        CRITEO_RAW,
        7,
        (c) => {
          c[4] = "35.0";
          return c;
        },
        "\t",
      ),
    format: "criteo",
    message: /bad\.csv:7: field I4: expected an integer, found "35\.0"/,
    reason: "integer",
  },
  {
    name: "bad avazu hour",
    file: () =>
      mutated(AVAZU, 12, (c) => {
        c[2] = "141021";
        return c;
      }),
    format: "avazu",
    avazuTimeFields: true,
    message: /bad\.csv:12: field hour: expected YYMMDDHH, found "141021"/,
    reason: "hour",
  },
];

for (const c of badCases) {
  test(`bad row (${c.name}): error names file, line and field; skip mode counts it`, async () => {
    const file = c.file();
    await assert.rejects(
      prepareQuiet({ input: file, format: c.format, avazuTimeFields: c.avazuTimeFields ?? false }),
      (e: Error) => {
        assert.match(e.message, c.message);
        assert.match(e.message, /--on-bad-row skip/);
        return true;
      },
    );
    const p = await prepared({
      input: file,
      format: c.format,
      avazuTimeFields: c.avazuTimeFields ?? false,
      onBadRow: "skip",
    });
    const total = fixtureLines(file).length - (c.format === "criteo" ? 0 : 1); // minus the header
    assert.equal(p.manifest.skipped.total, 1);
    assert.deepEqual(p.manifest.skipped.byReason, { [c.reason]: 1 });
    assert.equal(p.manifest.rows.train, total - 1);
  });
}

test("truncated last line (no line end) is a bad row; a header that does not match is an error", async () => {
  const text = readFileSync(CRITEO_DEEPCTR, "latin1");
  const cut = join(tempDir(), "cut.csv");
  writeFileSync(cut, text.slice(0, text.length - 30));
  await assert.rejects(prepareQuiet({ input: cut, format: "criteo-deepctr" }), /cut\.csv:201: truncated last line/);
  const p = await prepared({ input: cut, format: "criteo-deepctr", onBadRow: "skip" });
  assert.deepEqual(p.manifest.skipped.byReason, { truncated: 1 });
  assert.equal(p.manifest.rows.train, 199);
  assert.equal(p.manifest.skipped.examples[0].line, 201);

  const header = join(tempDir(), "header.csv");
  writeFileSync(header, text.replace("label,I1", "click,I1"));
  await assert.rejects(
    prepareQuiet({ input: header, format: "criteo-deepctr" }),
    /header\.csv:1: header does not match the criteo-deepctr layout/,
  );
  // Avazu data given as Criteo: every row has the wrong column count.
  await assert.rejects(
    prepareQuiet({ input: AVAZU, format: "criteo" }),
    /avazu_sample\.csv:1: expected 40 columns, found 1/,
  );
});

test("skipping several kinds of bad rows: exact counts by reason; the split of good rows does not move", async () => {
  const lines = fixtureLines(CRITEO_DEEPCTR);
  lines[10] = lines[10].split(",").slice(2).join(",");
  lines[20] = "7" + lines[20].slice(1);
  lines[21] = "7" + lines[21].slice(1);
  const path = join(tempDir(), "many.csv");
  writeFileSync(path, lines.join("\n") + "\n");
  const p = await prepared({
    input: path,
    format: "criteo-deepctr",
    onBadRow: "skip",
    split: [0.8, 0.1, 0.1],
    seed: 3,
  });
  assert.deepEqual(p.manifest.skipped.byReason, { columns: 1, label: 2 });
  assert.deepEqual(
    p.manifest.skipped.examples.map((e) => e.line),
    [11, 21, 22],
  );
  // Each line draws its split whether or not it is good, so good rows keep their split.
  const clean = await prepared({ input: CRITEO_DEEPCTR, format: "criteo-deepctr", split: [0.8, 0.1, 0.1], seed: 3 });
  const rng = randomStream(3, "split");
  const draws = Array.from({ length: 200 }, () => rng.next());
  const splitOf = (u: number) => (u < 0.8 ? "train" : u < 0.9 ? "val" : "test");
  for (const s of ["train", "val", "test"] as const) {
    const lost = [11, 21, 22].filter((line) => splitOf(draws[line - 2]) === s).length;
    assert.equal(p.manifest.rows[s], clean.manifest.rows[s] - lost, s);
  }
});

test("cache: reused for the same input and options; rebuilt when either changes", async () => {
  const dir = tempDir();
  const input = join(dir, "in.csv");
  writeFileSync(input, readFileSync(CRITEO_DEEPCTR));
  const out = join(dir, "prep");
  const first = await prepared({ input, out, format: "criteo-deepctr", rowsPerShard: 50 });
  assert.equal(first.reused, false);
  assert.equal((await prepared({ input, out, format: "criteo-deepctr", rowsPerShard: 50 })).reused, true);
  // Touched but unchanged: the checksum says reuse.
  utimesSync(input, new Date(), new Date(Date.now() + 5000));
  assert.equal((await prepared({ input, out, format: "criteo-deepctr", rowsPerShard: 50 })).reused, true);
  // Another option: rebuilt, and the old extra shards are gone.
  const bigger = await prepared({ input, out, format: "criteo-deepctr", rowsPerShard: 1000 });
  assert.equal(bigger.reused, false);
  // One data folder remains (the old one's files were removed), holding one training shard.
  const folders = readdirSync(out).filter((f) => f.startsWith("data-"));
  assert.equal(folders.length, 1);
  assert.deepEqual(
    readdirSync(join(out, folders[0]))
      .filter((f) => f.startsWith("train-"))
      .sort(),
    ["train-00000.ids.i32", "train-00000.labels.u8"],
  );
  assert.equal(
    (await prepared({ input, out, format: "criteo-deepctr", rowsPerShard: 1000, minCount: 2 })).reused,
    false,
  );
  // Changed input: rebuilt with the new row.
  appendFileSync(input, fixtureLines(CRITEO_DEEPCTR)[1] + "\n");
  const grown = await prepared({ input, out, format: "criteo-deepctr", rowsPerShard: 1000, minCount: 2 });
  assert.equal(grown.reused, false);
  assert.equal(grown.manifest.rows.train, 201);
  // A damaged shard is not reused: a shorter one, and one changed in place (same size).
  writeFileSync(preparedFile(out, "train-00000.labels.u8"), "x");
  assert.equal(
    (await prepared({ input, out, format: "criteo-deepctr", rowsPerShard: 1000, minCount: 2 })).reused,
    false,
  );
  const shard = preparedFile(out, "train-00000.ids.i32");
  const bytes = readFileSync(shard);
  bytes[8] ^= 1;
  writeFileSync(shard, bytes);
  assert.equal(
    (await prepared({ input, out, format: "criteo-deepctr", rowsPerShard: 1000, minCount: 2 })).reused,
    false,
  );
  assert.ok(existsSync(join(out, "manifest.json")));
  assert.equal(
    (await prepared({ input, out, format: "criteo-deepctr", rowsPerShard: 1000, minCount: 2 })).reused,
    true,
  );
});

test("manifest holds format, options, source bytes and sha256, rows, skipped, fields, totals", async () => {
  const p = await prepared({ input: CRITEO_DEEPCTR, format: "criteo-deepctr", minCount: 2, split: [0.8, 0.1, 0.1] });
  const m = JSON.parse(readFileSync(join(p.out, "manifest.json"), "utf8"));
  assert.equal(m.settings.format, "criteo-deepctr");
  assert.equal(m.settings.minCount, 2);
  assert.equal(m.source.bytes, readFileSync(CRITEO_DEEPCTR).byteLength);
  const { createHash } = await import("node:crypto");
  assert.equal(m.source.sha256, createHash("sha256").update(readFileSync(CRITEO_DEEPCTR)).digest("hex"));
  assert.equal(m.rows.train + m.rows.val + m.rows.test, 200);
  assert.equal(m.skipped.total, 0);
  assert.equal(m.fields.length, 39);
  assert.deepEqual(Object.keys(m.fields[0]).sort(), ["kept", "kind", "name", "offset", "rareValues", "vocabularySize"]);
  assert.equal(
    m.totalFeatures,
    m.fields.reduce((a: number, f: { vocabularySize: number }) => a + f.vocabularySize, 0),
  );
  assert.match(m.preset, /⌊ln\(v\)²⌋/);
});
