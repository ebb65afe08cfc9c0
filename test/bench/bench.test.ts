// The training benchmark's workload at toy size: no step leaks tensors, the scaled
// vocabularies keep the peer's shape, and a missing peer is reported, not crashed on.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, test } from "node:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BENCH_VOCAB, benchRetrain, benchSearch, runPeer, scaledVocab } from "../../src/bench/training.js";
import { paperProjection, rehearse, type RehearsalResult } from "../../src/bench/rehearsal.js";
import { CRITEO_VOCAB } from "../../src/data/synthetic.js";
import { tempDir } from "../helpers.js";
import { initRuntime, runtimeInfo, setComputeThreads } from "../../src/accel/index.js";

before(async () => {
  await initRuntime();
});

test("the peer's vocabulary: 39 fields summing to 1,086,810; scaled copies keep the proportions", () => {
  assert.equal(BENCH_VOCAB.length, 39);
  assert.equal(
    BENCH_VOCAB.reduce((a, b) => a + b, 0),
    1_086_810,
  );
  for (const total of [100_000, 10_000_000]) {
    const v = scaledVocab(total);
    assert.equal(v.length, 39);
    assert.ok(v.every((x) => x >= 2));
    const sum = v.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - total) / total < 0.01, `${sum} vs ${total}`);
    // the largest field stays the largest
    assert.equal(v.indexOf(Math.max(...v)), BENCH_VOCAB.indexOf(Math.max(...BENCH_VOCAB)));
  }
});

test("search and retrain steps (with α steps every 10) leave the number of live tensors unchanged", async () => {
  const vocab = scaledVocab(5000);
  const search = await benchSearch({ steps: 20, vocab, batch: 64, split: "ops" });
  assert.equal(search.tensorGrowth, 0);
  assert.equal(search.windows.length, 2);
  assert.equal(search.batchParts, 1);
  assert.ok(search.samplesPerSecond > 0 && Number.isFinite(search.stepMs));
  const retrain = await benchRetrain({ steps: 20, vocab, batch: 64, split: "ops" });
  assert.equal(retrain.tensorGrowth, 0);
});

test("split by batch over a replica thread, the steps leak no tensor on either side", async () => {
  const vocab = scaledVocab(5000);
  const threads = runtimeInfo().threads;
  setComputeThreads(2);
  try {
    const search = await benchSearch({ steps: 20, vocab, batch: 256, split: "batch" });
    assert.equal(search.batchParts, 2);
    assert.equal(search.tensorGrowth, 0);
    const retrain = await benchRetrain({ steps: 20, vocab, batch: 256, split: "batch" });
    assert.equal(retrain.batchParts, 2);
    assert.equal(retrain.tensorGrowth, 0);
  } finally {
    setComputeThreads(threads);
  }
});

test("--peer without Python/torch is skipped with the install hint; bad --only is a usage error", () => {
  const peer = runPeer(10, "/nonexistent/python3");
  assert.equal(peer.available, false);
  assert.match(peer.message, /apt-get install -y python3-torch libopenblas0-pthread/);
  const r = spawnSync(process.execPath, ["bin/autodim.js", "bench", "--only", "search,gpu"], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--only: gpu is not one of search, retrain, scaling, prepare/);
});

test("the rehearsal: generate → prepare → one search epoch → one re-train epoch, each measured; its data removed", async () => {
  const dir = join(tempDir(), "rehearsal");
  const r = await rehearse({ rows: 20_000, dir });
  assert.deepEqual(
    r.phases.map((p) => p.name),
    ["generate", "prepare", "search", "retrain"],
  );
  assert.equal(r.splitRows.train + r.splitRows.validation + r.splitRows.test, 20_000);
  const [generate, prepare, search, retrain] = r.phases;
  assert.equal(generate.rows, 20_000);
  assert.equal(prepare.rows, 20_000);
  assert.equal(search.rows, r.splitRows.train);
  // One epoch at the paper's batch of 2000; an α step every 10th.
  assert.equal(search.detail.steps, Math.ceil(r.splitRows.train / 2000));
  assert.ok(search.detail.architectureSteps >= 1);
  // 8 steps learn next to nothing; the test split was scored.
  assert.ok(retrain.detail.testAuc > 0 && retrain.detail.testAuc < 1 && retrain.detail.testSeconds > 0);
  for (const p of r.phases)
    assert.ok(p.wallSeconds > 0 && Math.abs(p.rowsPerSecond * p.wallSeconds - p.rows) < 1e-6 * p.rows);
  for (let i = 1; i < r.phases.length; i++) assert.ok(r.phases[i].peakRssMB >= r.phases[i - 1].peakRssMB);
  // Criteo's vocabularies, cut by min count 10 at this row count; at most every value plus a
  // missing/rare token per field.
  assert.ok(r.totalFeatures > 1000 && r.totalFeatures <= CRITEO_VOCAB.reduce((a, b) => a + b, 0) + 2 * 39);
  assert.ok(r.disk.rawMB > 1 && r.disk.preparedMB > 0.1);
  assert.ok(!existsSync(dir), "the rehearsal's data is removed");
});

test("the paper projection from a rehearsal's per-row costs, by hand", () => {
  const phase = (name: "search" | "retrain", wallSeconds: number, detail: Record<string, number>) => ({
    name,
    wallSeconds,
    rows: 8000,
    rowsPerSecond: 8000 / wallSeconds,
    peakRssMB: 1,
    detail,
  });
  const r = {
    splitRows: { train: 8000, validation: 1000, test: 1000 },
    // 0.1 s per training row to search; 0.01 s per row to train, validate and test.
    phases: [
      phase("search", 800, {}),
      phase("retrain", 100, { trainSeconds: 80, validationSeconds: 10, testSeconds: 10 }),
    ],
  } as unknown as RehearsalResult;
  const p = paperProjection(r, [1, 1000]);
  const criteo = 45_840_617;
  const avazu = 40_428_967;
  // Per (model, seed) and data set of R rows: 10 re-trainings of 4 epochs (0.01·0.9R each) and a
  // test pass (0.01·0.1R), 5 search epochs (0.1·0.8R), 10 RaS trial epochs (0.01·0.9R): 0.86·R.
  const perRow = 10 * (4 * 0.009 + 0.001) + 5 * 0.08 + 10 * 0.009;
  assert.ok(Math.abs(perRow - 0.86) < 1e-12);
  const cpuSeconds = 9 * perRow * (criteo + avazu);
  assert.ok(Math.abs(p.cpuHours - cpuSeconds / 3600) < 1e-6 * p.cpuHours);
  const longest = (0.08 + 4 * 0.009 + 0.001) * criteo;
  assert.ok(Math.abs(p.longestCellHours - longest / 3600) < 1e-9 * longest);
  assert.ok(
    Math.abs(p.days[0].days - cpuSeconds / 2 / 86400) < 1e-9 * p.days[0].days,
    "one machine: two runs at a time",
  );
  assert.ok(Math.abs(p.days[1].days - longest / 86400) < 1e-9, "many nodes: bounded by the longest run");
});
