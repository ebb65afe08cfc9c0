// MovieLens-1M: the three `::` files joined into one TSV by hand-checkable rules, prepared by
// the ordinary tsv path; bad lines name file:line: field.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { joinMovieLens, MOVIELENS_FIELDS } from "../../src/data/movielens.js";
import { FIXTURES, prepareQuiet, tempDir } from "../helpers.js";

const ML = join(FIXTURES, "movielens");

test("join: label = rating > 3; user and movie attributes attached; year from the title; genres as one value", async () => {
  const out = join(tempDir(), "ml.tsv");
  assert.equal(await joinMovieLens(ML, out), 6);
  const lines = readFileSync(out, "latin1")
    .trim()
    .split("\n")
    .map((l) => l.split("\t"));
  assert.deepEqual(lines[0], ["label", ...MOVIELENS_FIELDS]);
  // ratings.dat line 1: user 1 rated movie 1 (Toy Story (1995)) 5 → label 1.
  assert.deepEqual(lines[1], ["1", "1", "1", "F", "1", "10", "48067", "1995", "Animation|Children's|Comedy"]);
  // line 2: rating 3 → 0 (ratings above 3 are positive)
  assert.equal(lines[2][0], "0");
  assert.deepEqual(
    lines.slice(1).map((l) => l[0]),
    ["1", "0", "1", "0", "0", "1"],
  );
  const { manifest } = await prepareQuiet({ input: out, format: "tsv", minCount: 1 });
  assert.deepEqual(
    manifest.fields.map((f) => f.name),
    MOVIELENS_FIELDS,
  );
  assert.equal(manifest.rows.train, 6);
  assert.equal(manifest.positives.train, 3);
  // userId: 3 users + missing + rare ids
  assert.equal(manifest.fields[0].vocabularySize, 3 + 2);
});

test("bad MovieLens lines stop with file:line: field", async () => {
  const cases: [string, string, RegExp][] = [
    ["ratings.dat", "1::1::5::978300760\n9::1::4::1\n", /ratings\.dat:2: field UserID: 9 is not in users\.dat/],
    ["ratings.dat", "1::7::5::978300760\n", /ratings\.dat:1: field MovieID: 7 is not in movies\.dat/],
    ["ratings.dat", "1::1::6::978300760\n", /ratings\.dat:1: field Rating: expected 1–5, found "6"/],
    ["ratings.dat", "1::1::5\n", /ratings\.dat:1: expected 4 '::'-separated columns, found 3/],
    ["movies.dat", "1::Toy Story::Comedy\n", /movies\.dat:1: field Title: no "\(YYYY\)" year at its end/],
    ["users.dat", "x::F::1::10::48067\n", /users\.dat:1: field UserID: expected an integer, found "x"/],
  ];
  for (const [file, content, message] of cases) {
    const dir = tempDir();
    cpSync(ML, dir, { recursive: true });
    writeFileSync(join(dir, file), content);
    await assert.rejects(joinMovieLens(dir, join(dir, "out.tsv")), message);
  }
  const missing = spawnSync(
    process.execPath,
    ["bin/autodim.js", "movielens", "--input", tempDir(), "--out", join(tempDir(), "x.tsv")],
    { encoding: "utf8" },
  );
  assert.equal(missing.status, 1);
  assert.match(
    missing.stderr,
    /no ratings\.dat \(the unzipped ml-1m folder holds ratings\.dat \(or ratings\.dat\.gz\), users\.dat and movies\.dat\)/,
  );
});

test("join of a large ratings file: one wait for the output's drain at a time (no MaxListenersExceededWarning), output written aside and renamed", () => {
  const dir = tempDir();
  cpSync(ML, dir, { recursive: true });
  const base = readFileSync(join(ML, "ratings.dat"), "latin1").trim().split("\n");
  // ~600k ratings: far more than the output stream buffers, so writes must wait for "drain".
  writeFileSync(
    join(dir, "ratings.dat"),
    Array.from({ length: 100_000 }, () => base.join("\n")).join("\n") + "\n",
    "latin1",
  );
  const out = join(dir, "ml.tsv");
  const r = spawnSync(process.execPath, ["bin/autodim.js", "movielens", "--input", dir, "--out", out], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /MaxListenersExceededWarning|Warning/);
  assert.equal(readFileSync(out, "latin1").trim().split("\n").length, 1 + 100_000 * base.length);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes(".tmp-")),
    [],
  );
});

test("join reads ratings.dat.gz as shipped compressed: same file as from ratings.dat; a damaged .gz names the file", async () => {
  const { gzipSync } = await import("node:zlib");
  const plain = join(tempDir(), "plain.tsv");
  await joinMovieLens(ML, plain);
  const dir = tempDir();
  for (const f of ["users.dat", "movies.dat"]) cpSync(join(ML, f), join(dir, f));
  writeFileSync(join(dir, "ratings.dat.gz"), gzipSync(readFileSync(join(ML, "ratings.dat"))));
  const fromGz = join(dir, "gz.tsv");
  assert.equal(await joinMovieLens(dir, fromGz), 6);
  assert.deepEqual(readFileSync(fromGz), readFileSync(plain));
  assert.deepEqual(
    readdirSync(dir).sort(),
    ["gz.tsv", "movies.dat", "ratings.dat.gz", "users.dat"],
    "the unpacked copy is removed",
  );
  writeFileSync(join(dir, "ratings.dat.gz"), "not gzip");
  await assert.rejects(joinMovieLens(dir, join(dir, "bad.tsv")), /ratings\.dat\.gz: not a readable gzip file/);
});

test("MovieLens as an experiment data set: joined and prepared once by content, described as a subset when it is one", async () => {
  const { movielensDataset, dataMissing, rawDataMissing } = await import("../../src/experiments/datasets-real.js");
  const out = tempDir();
  const ds = await movielensDataset({ dir: ML, out });
  assert.equal(ds.reused, false);
  assert.equal(ds.data.fieldCount, 8);
  assert.match(ds.description, /a subset: 6 of its 1,000,209 ratings, \d users;/);
  assert.equal((await movielensDataset({ dir: ML, out })).reused, true);
  const before = process.env.AUTODIM_MOVIELENS;
  process.env.AUTODIM_MOVIELENS = join(out, "nowhere");
  try {
    assert.match(rawDataMissing("movielens") ?? "", /MovieLens-1M not found under .*nowhere/);
    // The committed record (results/datasets/movielens.json) stands in for the tables.
    assert.equal(dataMissing("movielens"), undefined);
    await assert.rejects(movielensDataset(), /grouplens\.org.*AUTODIM_MOVIELENS/);
  } finally {
    if (before === undefined) delete process.env.AUTODIM_MOVIELENS;
    else process.env.AUTODIM_MOVIELENS = before;
  }
});

test("--users keeps those users' ratings (every line still checked); --users 1-2999 checks the committed subset's sha256", async () => {
  const { MOVIELENS_SUBSET, parseUserRange } = await import("../../src/data/movielens.js");
  const all = join(tempDir(), "all.tsv");
  await joinMovieLens(ML, all);
  const some = join(tempDir(), "some.tsv");
  assert.equal(await joinMovieLens(ML, some, { users: { from: 1, to: 2 } }), 4);
  const [header, ...rows] = readFileSync(all, "latin1").trim().split("\n");
  assert.equal(
    readFileSync(some, "latin1"),
    [header, ...rows.filter((l) => l.split("\t")[1] !== "3")].join("\n") + "\n",
    "the same lines as the whole join, user 3's left out",
  );
  assert.deepEqual(parseUserRange("1-2999"), { ok: true, range: { from: 1, to: 2999 } });
  assert.deepEqual(parseUserRange("all"), { ok: true, range: undefined });
  for (const bad of ["2999", "0-5", "5-1", "1-x", ""]) assert.deepEqual(parseUserRange(bad), { ok: false }, bad);
  // A line outside the range is still checked: a bad rating of user 3 stops the join.
  const dir = tempDir();
  cpSync(ML, dir, { recursive: true });
  writeFileSync(join(dir, "ratings.dat"), "1::1::5::978300760\n3::1::9::978300760\n");
  await assert.rejects(
    joinMovieLens(dir, join(dir, "out.tsv"), { users: { from: 1, to: 2 } }),
    /ratings\.dat:2: field Rating/,
  );
  // The committed subset's range on other data: written, then a one-line error naming both sha256s.
  const out = join(tempDir(), "subset.tsv");
  const r = spawnSync(
    process.execPath,
    ["bin/autodim.js", "movielens", "--input", ML, "--users", "1-2999", "--out", out],
    {
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`subset\\.tsv: sha256 [0-9a-f]{64}, not ${MOVIELENS_SUBSET.sha256}`));
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  const bad = spawnSync(
    process.execPath,
    ["bin/autodim.js", "movielens", "--input", ML, "--users", "3-1", "--out", out],
    {
      encoding: "utf8",
    },
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--users takes FROM-TO/);
});

// The real files of this machine (never committed; see ../shared/data/real/README.md): users
// 1–2999 of ml-1m. Built into a "full" ml-1m layout with ratings of users ≥ 3000 appended (as
// GroupLens' file continues), the recipe must drop those and give the committed runs' bytes.
const REAL_ML = join("..", "shared", "data", "real", "movielens-1m-half");
test(
  "recipe: users 1–2999 of a full ml-1m layout give the committed runs' subset, byte for byte (sha256 checked)",
  { skip: !existsSync(join(REAL_ML, "ratings.dat.gz")) && "the shared MovieLens files are not on this machine" },
  async () => {
    const { MOVIELENS_SUBSET } = await import("../../src/data/movielens.js");
    const { gunzipSync } = await import("node:zlib");
    const full = tempDir();
    for (const f of ["users.dat", "movies.dat"]) cpSync(join(REAL_ML, f), join(full, f));
    const half = gunzipSync(readFileSync(join(REAL_ML, "ratings.dat.gz"))).toString("latin1");
    const extra = half
      .split("\n")
      .filter((l) => l !== "" && Number(l.split("::")[0]) <= 3041)
      .map((l) => {
        const [u, ...rest] = l.split("::");
        return [Number(u) + 2999, ...rest].join("::");
      });
    writeFileSync(join(full, "ratings.dat"), half + extra.join("\n") + "\n", "latin1");
    const out = join(tempDir(), "ml-1m-users-1-2999.tsv");
    const r = spawnSync(
      process.execPath,
      ["bin/autodim.js", "movielens", "--input", full, "--users", "1-2999", "--out", out],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /487650 ratings of users 1–2999/);
    assert.match(r.stdout, new RegExp(`sha256 ${MOVIELENS_SUBSET.sha256} matches`));
    assert.equal(createHash("sha256").update(readFileSync(out)).digest("hex"), MOVIELENS_SUBSET.sha256);
  },
);
