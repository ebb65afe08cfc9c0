// Re-checkable data: a real data set's record stands in for its raw files, so the committed
// MovieLens tables rebuild from their saved runs on a machine without MovieLens; only a run that
// must be computed needs the raw files, and says which run and how to get them.
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { AutodimError } from "../../src/core/errors.js";
import { runCells } from "../../src/experiments/cells.js";
import { RecordedData, recordedDataset, saveDataRecord, testLabelsOf } from "../../src/experiments/data-record.js";
import { movielensDataset } from "../../src/experiments/datasets-real.js";
import { FIXTURES, tempDir } from "../helpers.js";

test("a data record: the description, manifest and test labels of a data set; its rows unreadable, with the reason", async () => {
  const ds = await movielensDataset({ dir: join(FIXTURES, "movielens"), out: tempDir() });
  const dir = tempDir();
  const json = saveDataRecord("movielens", ds, dir);
  const written = statSync(json).mtimeMs;
  const bytes = readFileSync(json);
  await new Promise((r) => setTimeout(r, 20));
  saveDataRecord("movielens", ds, dir);
  assert.equal(statSync(json).mtimeMs, written, "an unchanged record is not rewritten");
  assert.deepEqual(readFileSync(json), bytes);
  const recorded = recordedDataset("movielens", "MovieLens-1M is not here: get it", dir);
  assert.ok(recorded && recorded.data instanceof RecordedData);
  assert.equal(recorded.name, ds.name);
  assert.equal(recorded.description, ds.description);
  assert.deepEqual(recorded.data.manifest.rows, ds.data.manifest.rows);
  assert.deepEqual(recorded.data.manifest.fields, ds.data.manifest.fields);
  assert.equal(recorded.data.manifest.source.sha256, ds.data.manifest.source.sha256);
  assert.deepEqual(testLabelsOf(recorded.data), testLabelsOf(ds.data));
  const why = (e: unknown) => e instanceof AutodimError && /MovieLens-1M is not here: get it/.test(e.message);
  assert.throws(() => recorded.data.readSplit("train"), why);
  assert.throws(() => [...recorded.data.batches("train", { batchSize: 2, shuffle: false })], why);
  assert.throws(() => recorded.data.counts(), why);
  assert.equal(recordedDataset("criteo", "x", dir), undefined, "no record, no stand-in");
  writeFileSync(join(dir, "movielens.test-labels.u8.gz"), "not gzip");
  assert.throws(() => recordedDataset("movielens", "x", dir), /movielens\.test-labels\.u8\.gz: missing or not gzip/);
});

test("offline cells: saved ones load; a missing one is one error naming it and what to get", async () => {
  const dir = tempDir();
  const cell = (key: string) => ({ key, identity: { key }, run: async () => key });
  await runCells(dir, [cell("a")], { log: () => {} });
  const loaded = await runCells(dir, [cell("a")], { log: () => {}, offline: "no data" });
  assert.deepEqual([...loaded.values()], ["a"]);
  await assert.rejects(
    runCells(dir, [cell("a"), cell("b")], { log: () => {}, offline: "the raw data is not here: get it" }),
    (e) =>
      e instanceof AutodimError &&
      /^1 of 2 run cells are not saved in .* \(b\.json\): the raw data is not here: get it$/.test(e.message),
  );
});

test("without MovieLens's raw files the committed MovieLens tables rebuild from their runs, the same tables", async () => {
  const before = process.env.AUTODIM_MOVIELENS;
  process.env.AUTODIM_MOVIELENS = join(tempDir(), "nowhere");
  try {
    const { EXPERIMENTS } = await import("../../src/experiments/registry.js");
    for (const name of ["dimensions-movielens", "casestudy"]) {
      const out = await EXPERIMENTS[name]("quick");
      const committed = JSON.parse(readFileSync(join("results", `${name}-quick.json`), "utf8")) as {
        markdown: string;
        result: unknown;
      };
      assert.equal(out.markdown, committed.markdown, name);
      assert.deepEqual(JSON.parse(JSON.stringify(out.payload)), committed.result, name);
      assert.ok(out.runs && out.runs.computed === 0 && out.runs.reused > 0, name);
    }
  } finally {
    if (before === undefined) delete process.env.AUTODIM_MOVIELENS;
    else process.env.AUTODIM_MOVIELENS = before;
  }
});
