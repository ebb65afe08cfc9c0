// The experiments behind the notebooks: the data overview against hand counts of a real
// sample, figures rendered to SVG by chromium, and `reproduce` writing and resuming results.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { backendLabel, initRuntime } from "../../src/accel/index.js";
import { after, test } from "node:test";
import { PreparedData } from "../../src/data/batches.js";
import type { RetrainResult } from "../../src/train/result-schema.js";
import { dataOverview, thin } from "../../src/experiments/data.js";
import { closeFigures, saveFigure, toSvg } from "../../src/experiments/figures.js";
import { CRITEO_DEEPCTR, fixtureLines, prepareQuiet, tempDir } from "../helpers.js";

after(async () => {
  await closeFigures();
});

test("data overview: missing share, top-value share and ids covering 90% equal hand counts on the real Criteo sample", async () => {
  const out = join(tempDir(), "prepared");
  await prepareQuiet({ input: CRITEO_DEEPCTR, format: "criteo-deepctr", minCount: 1, out });
  const o = dataOverview({ name: "sample", description: "DeepCTR Criteo sample", data: new PreparedData(out) });
  const rows = fixtureLines(CRITEO_DEEPCTR)
    .slice(1)
    .map((l) => l.split(","));
  assert.equal(o.rows.train, rows.length);
  assert.equal(o.clickRate.train, rows.filter((r) => r[0] === "1").length / rows.length);
  for (const [field, column] of [
    ["C1", 14],
    ["C3", 16],
    ["C20", 33],
  ] as const) {
    const values = rows.map((r) => r[column]);
    const present = values.filter((v) => v !== "");
    const counts = new Map<string, number>();
    for (const v of present) counts.set(v, (counts.get(v) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    let covered = 0;
    let need = 0;
    while (covered < 0.9 * present.length) covered += sorted[need++];
    const f = o.fields.find((x) => x.field === field);
    assert.ok(f);
    assert.equal(f.missingShare, (values.length - present.length) / values.length, field);
    assert.equal(f.topShare, sorted[0] / present.length, field);
    assert.equal(f.idsFor90, need, field);
    assert.equal(f.vocabulary, counts.size + 2, `${field}: kept values + missing + rare`);
    assert.equal(f.plantedRank, undefined);
  }
});

test("thin: log-spaced (rank, count) points keep the head and the last rank", () => {
  const curve = Array.from({ length: 1000 }, (_, i) => 1000 - i);
  const pts = thin(curve, 20);
  assert.ok(pts.length <= 20);
  assert.deepEqual(pts[0], [1, 1000]);
  assert.deepEqual(pts[pts.length - 1], [1000, 1]);
  assert.ok(pts.every((p, i) => i === 0 || p[0] > pts[i - 1][0]));
  assert.deepEqual(thin([5, 3], 20), [
    [1, 5],
    [2, 3],
  ]);
});

test("figures: a plotly spec renders to SVG in chromium with its title and bars, the same bytes every time; saveFigure writes the SVG and the spec", async () => {
  const fig = { data: [{ type: "bar", x: ["a", "b", "c"], y: [3, 1, 2] }], layout: { title: { text: "Three bars" } } };
  const svg = await toSvg(fig, 400, 300);
  const scatter = {
    data: [
      {
        type: "scatter",
        mode: "markers",
        x: [1, 2],
        y: [2, 1],
        marker: { color: [0, 1], colorscale: "Viridis", showscale: true },
      },
    ],
    layout: {},
  };
  const once = await toSvg(scatter);
  assert.match(once, /trace[0-9a-f]{6}/, "plotly names traces with Math.random");
  await toSvg(fig);
  assert.equal(await toSvg(scatter), once, "ids drawn from a seeded stream per figure");
  assert.match(svg, /^<svg[^>]*width="400" height="300"/);
  assert.match(svg, /Three bars/);
  assert.equal((svg.match(/class="point"/g) ?? []).length, 3);
  const dir = tempDir();
  const files = await saveFigure("three", fig, dir);
  assert.match(readFileSync(files.svg, "utf8"), /Three bars/);
  assert.deepEqual(JSON.parse(readFileSync(files.json, "utf8")), fig);
});

test("reproduce: writes results and figures, keeps finished experiments on a rerun, reruns with --force; says what to do when AUTODIM_CHROMIUM is wrong", async () => {
  const dir = tempDir();
  const args = [
    "bin/autodim.js",
    "reproduce",
    "data",
    "--scale",
    "smoke",
    "--out",
    join(dir, "results"),
    "--figures-out",
    join(dir, "figures"),
  ];
  const first = spawnSync(process.execPath, args, { encoding: "utf8" });
  assert.equal(first.status, 0, first.stderr);
  for (const f of [
    "results/data-smoke.md",
    "results/data-smoke.json",
    "figures/data-fields-smoke.svg",
    "figures/data-rank-frequency-smoke.svg",
  ])
    assert.ok(existsSync(join(dir, f)), f);
  const saved = JSON.parse(readFileSync(join(dir, "results/data-smoke.json"), "utf8")) as {
    provenance: { backend: string; seed: number; scale: string };
    markdown: string;
  };
  assert.deepEqual([saved.provenance.seed, saved.provenance.scale], [2026, "smoke"]);
  assert.equal(saved.provenance.backend, backendLabel(await initRuntime()));
  // The code version: the commit of this checkout, and whether tracked files were changed.
  const head = spawnSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).stdout.trim();
  const code = (saved.provenance as unknown as { code: { commit: string; dirty: boolean } }).code;
  assert.equal(code.commit, head);
  assert.equal(typeof code.dirty, "boolean");
  assert.match(
    saved.markdown + readFileSync(join(dir, "results/data-smoke.md"), "utf8"),
    new RegExp(`code ${head.slice(0, 7)}`),
  );
  assert.match(saved.markdown, /\|field\|kind\|ids\|/);
  const again = spawnSync(process.execPath, args, { encoding: "utf8" });
  assert.match(again.stdout, /data \(smoke\): done earlier, kept/);
  const forced = spawnSync(process.execPath, [...args, "--force"], { encoding: "utf8" });
  assert.match(forced.stdout, /data \(smoke\): [\d.]+ s →/);
  const bad = spawnSync(process.execPath, ["bin/autodim.js", "reproduce", "nope"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(
    bad.stderr,
    /the experiment must be one of data, methods, methods-movielens, .*, claims, .*all; got "nope"/,
  );
  const noChromium = spawnSync(process.execPath, [...args, "--force"], {
    encoding: "utf8",
    env: { ...process.env, AUTODIM_CHROMIUM: "/nonexistent/chromium" },
  });
  assert.equal(noChromium.status, 1);
  assert.match(
    noChromium.stderr,
    /AUTODIM_CHROMIUM is \/nonexistent\/chromium, which does not exist: unset it to use the Chromium that npm installed/,
  );
  assert.doesNotMatch(noChromium.stderr, /\n\s+at /, "no stack trace");
});

test("stability summary: Pearson of size vectors and of selection probabilities, agreement and consensus, by hand", async () => {
  const { summarizeStability } = await import("../../src/experiments/stability.js");
  const { selectionProbabilities } = await import("../../src/experiments/dimensions.js");
  assert.deepEqual(
    selectionProbabilities([0.2, 0.6, 0.2]).map((x) => +x.toFixed(12)),
    [0.2, 0.6, 0.2],
  );
  assert.deepEqual(
    selectionProbabilities([-1, 1]).map((x) => +x.toFixed(6)),
    [0.000001, 0.999999],
  );
  const run = (dims: number[], alpha: number[][]) =>
    ({
      fields: dims.map((d, m) => ({ field: `f${m}`, ids: 10, dim: d, plantedRank: m, alpha: alpha[m] })),
      reduction: 0.5,
    }) as unknown as Parameters<typeof summarizeStability>[0][number];
  const a = run(
    [2, 8, 16],
    [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
  );
  const b = run(
    [2, 16, 16],
    [
      [1, 0, 0],
      [0, 0, 1],
      [0, 0, 1],
    ],
  );
  const c = run(
    [16, 8, 2],
    [
      [0, 0, 1],
      [0, 1, 0],
      [1, 0, 0],
    ],
  );
  const r = summarizeStability([a, b, c], [1, 2, 3]);
  // a vs b: sizes (2, 8, 16) and (2, 16, 16); deviations ×3: (−20, −2, 22) and (−28, 14, 14):
  // Pearson = 840 / √(888 · 1176) = 0.8220; two of three fields agree.
  assert.ok(Math.abs(r.pairs[0].pearsonDims - 840 / Math.sqrt(888 * 1176)) < 1e-12);
  assert.equal(r.pairs[0].agreement, 2 / 3);
  // a vs c: (2, 8, 16) and (16, 8, 2): deviations ×3 (−20, −2, 22) and (22, −2, −20):
  // Pearson = −876 / 888; one field (the middle) agrees.
  assert.ok(Math.abs(r.pairs[1].pearsonDims + 876 / 888) < 1e-12);
  assert.equal(r.pairs[1].agreement, 1 / 3);
  assert.deepEqual(r.fieldConsensus, [2 / 3, 2 / 3, 2 / 3]);
  assert.deepEqual(r.plantedRanks, [0, 1, 2]);
  assert.ok(Math.abs(r.meanAgreement - (2 / 3 + 1 / 3 + 0) / 3) < 1e-12);
});

test("reproduce --checkpoint-dir: the experiment's searches checkpoint; a forced rerun with --resume continues from them and gives the same result", () => {
  const dir = tempDir();
  const base = [
    "bin/autodim.js",
    "reproduce",
    "dimensions",
    "--scale",
    "smoke",
    "--out",
    join(dir, "results"),
    "--figures-out",
    join(dir, "figures"),
    "--checkpoint-dir",
    join(dir, "ck"),
    "--checkpoint-every",
    "5",
  ];
  // The search is a run cell: the rerun gets a fresh cell folder, so it searches again (resuming).
  const first = spawnSync(process.execPath, base, {
    encoding: "utf8",
    env: { ...process.env, AUTODIM_QUIET: "1", AUTODIM_RESULTS_DIR: join(dir, "cells-1") },
  });
  assert.equal(first.status, 0, first.stderr);
  assert.equal(readdirSync(join(dir, "cells-1", "searches-smoke-runs")).filter((f) => f.endsWith(".json")).length, 1);
  const runs = readdirSync(join(dir, "ck"));
  assert.equal(runs.length, 1);
  assert.ok(readdirSync(join(dir, "ck", runs[0])).some((f) => /^search-\d+\.json$/.test(f)));
  const payload = () => {
    const r = JSON.parse(readFileSync(join(dir, "results", "dimensions-smoke.json"), "utf8")) as {
      result: { plan: unknown } & Record<string, unknown>;
    };
    delete (r.result as { plan?: unknown }).plan; // holds the run's wall time
    return r.result;
  };
  const before = payload();
  const again = spawnSync(process.execPath, [...base, "--force", "--resume"], {
    encoding: "utf8",
    env: { ...process.env, AUTODIM_QUIET: "1", AUTODIM_RESULTS_DIR: join(dir, "cells-2") },
  });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /checkpoint: resuming search from step \d+/);
  assert.deepEqual(payload(), before);
});

/** A saved run as the main table reads it: test AUC, params, and its test scores. */
function fakeRun(
  model: "fm" | "wd" | "deepfm",
  method: string,
  seed: number,
  auc: number,
  params: number,
  scores?: Float32Array,
) {
  const result = {
    model,
    method,
    test: { auc, logloss: 0.5, rows: scores?.length ?? 4, seconds: 0.1 },
    params: { embedding: params },
    history: [{}],
    runtime: { wallSeconds: 1 },
    dims: [{ name: "a", dim: 8 }],
  };
  return { model, method, seed, result: result as unknown as RetrainResult, scores };
}

test("main table: mean ± std over seeds, ΔAUC vs FDE of the same model and seed, the paper's (Criteo) beside it, by hand", async () => {
  const { mainTable, mainTableRows } = await import("../../src/experiments/methods-table.js");
  const { methodsDefaults, runKey } = await import("../../src/experiments/methods.js");
  const settings = {
    ...methodsDefaults("smoke"),
    models: ["fm" as const, "wd" as const],
    methods: ["fde", "autodim", "mde"],
    seeds: [1, 2],
  };
  const runs = new Map(
    [
      fakeRun("fm", "fde", 1, 0.7, 1000),
      fakeRun("fm", "fde", 2, 0.72, 1000),
      fakeRun("fm", "autodim", 1, 0.71, 400),
      fakeRun("fm", "autodim", 2, 0.75, 300),
      fakeRun("fm", "mde", 1, 0.7, 500),
      fakeRun("fm", "mde", 2, 0.7, 500),
      fakeRun("wd", "fde", 1, 0.6, 2000),
      fakeRun("wd", "fde", 2, 0.6, 2000),
      fakeRun("wd", "autodim", 1, 0.61, 500),
      fakeRun("wd", "autodim", 2, 0.61, 500),
      fakeRun("wd", "mde", 1, 0.59, 500),
      fakeRun("wd", "mde", 2, 0.57, 500),
    ].map((r) => [runKey(r.model, r.method, r.seed), r]),
  );
  const rows = mainTable(runs, settings, new Uint8Array([0, 1, 0, 1]), 100);
  const fmAutodim = rows[1];
  assert.equal(fmAutodim.seeds, 2);
  assert.ok(Math.abs(fmAutodim.aucMean - 0.73) < 1e-12);
  assert.ok(Math.abs(fmAutodim.aucStd - Math.sqrt(2 * 0.02 ** 2)) < 1e-12); // sample std of .71, .75
  assert.ok(Math.abs(fmAutodim.deltaAuc - 0.02) < 1e-12); // (.01 + .03) / 2
  assert.ok(Math.abs(fmAutodim.paramsVsFde - -0.65) < 1e-12); // (−.6 − .7) / 2
  assert.ok(Math.abs(rows[5].deltaAuc - -0.02) < 1e-12);
  assert.equal(fmAutodim.verdict, "no interval (scores not saved)");
  assert.equal(rows[0].verdict, "reference");
  const table = mainTableRows(rows);
  // Paper, Criteo FM: AutoDim .8078 vs FDE .8020; 11.632M vs 34.778M.
  assert.ok(Math.abs((table[1]["paper ΔAUC"] as number) - 0.0058) < 1e-12);
  assert.ok(Math.abs((table[1]["paper Params vs FDE"] as number) - (11.632 / 34.778 - 1)) < 1e-12);
  assert.equal(table[3].model, "W&D");
  assert.equal(table[1].method, "AutoDim");
});

test("main table intervals: a method scoring every test row like FDE has ΔAUC 0 and the interval [0, 0]; one ranking them perfectly is better", async () => {
  const { mainTable } = await import("../../src/experiments/methods-table.js");
  const { methodsDefaults, runKey } = await import("../../src/experiments/methods.js");
  const n = 400;
  const labels = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const noisy = (seed: number) => Float32Array.from(labels, (y, i) => 0.3 * y + ((i * 7919 * seed) % 101) / 101);
  const perfect = Float32Array.from(labels, (y) => (y ? 0.9 : 0.1));
  const settings = {
    ...methodsDefaults("smoke"),
    models: ["fm" as const],
    methods: ["fde", "mde", "autodim"],
    seeds: [1, 2, 3],
    bootstrapReplicates: 200,
  };
  const { auc } = await import("../../src/data/metrics.js");
  const runs = new Map(
    [1, 2, 3]
      .flatMap((seed) => [
        fakeRun("fm", "fde", seed, auc(labels, noisy(seed)), 100, noisy(seed)),
        fakeRun("fm", "mde", seed, auc(labels, noisy(seed)), 50, noisy(seed)),
        fakeRun("fm", "autodim", seed, 1, 50, perfect),
      ])
      .map((r) => [runKey(r.model, r.method, r.seed), r]),
  );
  const [, same, better] = mainTable(runs, settings, labels, 100);
  assert.equal(same.deltaAuc, 0);
  assert.deepEqual([same.deltaLow, same.deltaHigh], [0, 0]);
  assert.equal(same.verdict, "no difference detected");
  assert.ok(better.deltaLow > 0 && better.deltaLow <= better.deltaAuc && better.deltaAuc <= better.deltaHigh);
  assert.equal(better.verdict, "better");
});

test("case study importance: each value's training click rate shrunk to the global rate, scored on test, by hand", async () => {
  const { singleFieldImportance } = await import("../../src/experiments/casestudy.js");
  // Two fields (ids 0–1 and 2–3); train rows (a, b, label); global click rate 0.5.
  const split = (rows: number[][]) => ({
    ids: Int32Array.from(rows.flatMap((r) => r.slice(0, 2))),
    labels: Uint8Array.from(rows.map((r) => r[2])),
  });
  const train = split([
    [0, 2, 1],
    [0, 3, 1],
    [1, 2, 0],
    [1, 3, 0],
  ]);
  const test_ = split([
    [0, 2, 1],
    [1, 3, 0],
    [0, 3, 1],
    [1, 2, 0],
  ]);
  const data = {
    fieldCount: 2,
    totalFeatures: 4,
    manifest: { fields: [{ name: "a" }, { name: "b" }] },
    readSplit: (s: string) => (s === "train" ? train : test_),
  };
  // prior 2 pseudo-rows at 0.5: a=0 → (2 + 1) / 4 = 0.75, a=1 → 0.25; b=2, b=3 → (1 + 1) / 4 = 0.5.
  const [a, b] = singleFieldImportance(data as unknown as Parameters<typeof singleFieldImportance>[0], 2);
  assert.equal(a.field, "a");
  assert.equal(a.auc, 1);
  assert.ok(Math.abs(a.logloss + Math.log(0.75)) < 1e-6);
  assert.equal(b.auc, 0.5);
  assert.ok(Math.abs(b.logloss - Math.log(2)) < 1e-6);
});

test("paper scales: Criteo and Avazu each say how to prepare them when absent; the main table takes the matching paper columns", async () => {
  const { datasetForScale } = await import("../../src/experiments/datasets.js");
  const { mainTableRows } = await import("../../src/experiments/methods-table.js");
  if (!existsSync("data/avazu/prepared/manifest.json"))
    await assert.rejects(
      datasetForScale("paper-avazu"),
      /--format avazu --input data\/avazu\/train --out data\/avazu\/prepared/,
    );
  if (!existsSync("data/criteo/prepared/manifest.json"))
    await assert.rejects(
      datasetForScale("paper"),
      /--format criteo --input data\/criteo\/train.txt --out data\/criteo\/prepared/,
    );
  const { mainTable } = await import("../../src/experiments/methods-table.js");
  const { methodsDefaults, runKey } = await import("../../src/experiments/methods.js");
  const settings = {
    ...methodsDefaults("smoke"),
    models: ["deepfm" as const],
    methods: ["fde", "autodim"],
    seeds: [1],
  };
  const runs = new Map(
    [fakeRun("deepfm", "fde", 1, 0.78, 10), fakeRun("deepfm", "autodim", 1, 0.79, 2)].map((r) => [
      runKey(r.model, r.method, r.seed),
      r,
    ]),
  );
  const rows = mainTable(runs, settings, new Uint8Array([0, 1]), 10);
  // Paper, Avazu DeepFM: AutoDim .7881 vs FDE .7842; 13.976M vs 64.576M.
  const avazu = mainTableRows(rows, "avazu");
  assert.ok(Math.abs((avazu[1]["paper ΔAUC"] as number) - 0.0039) < 1e-12);
  assert.ok(Math.abs((avazu[1]["paper Params vs FDE"] as number) - (13.976 / 64.576 - 1)) < 1e-12);
});

test("your data (notebook 10): the command lines it prints run as they are and give the notebook's plan and results", async () => {
  const { yourDataDefaults, prepareYourData, searchYourData, retrainYourData, commandLines } =
    await import("../../src/experiments/yourdata.js");
  const dir = tempDir();
  const settings = { ...yourDataDefaults("smoke"), prepared: join(dir, "prepared"), runs: join(dir, "runs") };
  await prepareYourData(settings);
  const plan = await searchYourData(settings);
  const results = await retrainYourData(settings, plan);
  const cli = { ...settings, prepared: join(dir, "cli-prepared"), runs: join(dir, "cli-runs") };
  const commands = commandLines(cli);
  for (const command of [commands.prepare, commands.search, commands.retrainPlan, commands.retrainFde]) {
    const r = spawnSync("bash", ["-c", command.replace(/^npx autodim /, `${process.execPath} bin/autodim.js `)], {
      encoding: "utf8",
      env: { ...process.env, AUTODIM_QUIET: "1" },
    });
    assert.equal(r.status, 0, `${command}\n${r.stderr}`);
  }
  const cliPlan = JSON.parse(readFileSync(join(dir, "cli-runs", "plan.json"), "utf8")) as typeof plan;
  assert.deepEqual(cliPlan.fields, plan.fields);
  assert.deepEqual(cliPlan.config, plan.config);
  for (const [name, r] of [
    ["autodim", results.autodim],
    ["fde", results.fde],
  ] as const) {
    const c = JSON.parse(readFileSync(join(dir, "cli-runs", `result-${name}.json`), "utf8")) as typeof r;
    assert.equal(c.test.auc, r.test.auc, name);
    assert.equal(c.params.embedding, r.params.embedding, name);
  }
});

test("case study: a single-field copy of prepared data keeps every split's rows and labels, and one id per original id", async () => {
  const { singleFieldData } = await import("../../src/experiments/casestudy.js");
  const { CRITEO_RAW } = await import("../helpers.js");
  const out = join(tempDir(), "prepared");
  await prepareQuiet({ input: CRITEO_RAW, format: "criteo", minCount: 2, split: [0.8, 0.1, 0.1], out });
  const data = new PreparedData(out);
  const m = 14; // C1
  const single = await singleFieldData(data, m, tempDir());
  assert.equal(single.fieldCount, 1);
  assert.equal(single.manifest.fields[0].name, data.manifest.fields[m].name);
  for (const split of ["train", "val", "test"] as const) {
    const a = data.readSplit(split);
    const b = single.readSplit(split);
    assert.deepEqual(b.labels, a.labels, `${split} labels in the same order`);
    // The copy's ids are a relabelling of the original field's ids: equal originals ↔ equal copies.
    const pairs = new Map<number, number>();
    for (let r = 0; r < a.labels.length; r++) {
      const orig = a.ids[r * data.fieldCount + m];
      const copy = b.ids[r];
      assert.equal(pairs.get(orig) ?? copy, copy, `${split} row ${r}`);
      pairs.set(orig, copy);
    }
    assert.equal(new Set(pairs.values()).size, pairs.size, `${split}: one copy id per original id`);
  }
});

test("raw Criteo / Avazu files as data sets: prepared once by content with the paper's preset, described as a sample; absent → named, and `reproduce all` skips", async () => {
  const { rawCtrDataset, dataMissing, rawDataMissing } = await import("../../src/experiments/datasets-real.js");
  const { experimentDataMissing } = await import("../../src/experiments/registry.js");
  const { CRITEO_RAW, AVAZU } = await import("../helpers.js");
  const saved = { c: process.env.AUTODIM_CRITEO, a: process.env.AUTODIM_AVAZU };
  try {
    process.env.AUTODIM_CRITEO = CRITEO_RAW;
    process.env.AUTODIM_AVAZU = AVAZU;
    const criteo = await rawCtrDataset("criteo");
    assert.equal(criteo.data.fieldCount, 39);
    assert.match(
      criteo.description,
      /Criteo .* a sample: 200 rows of its 45,840,617; the paper's preset \(min count 10/,
    );
    const avazu = await rawCtrDataset("avazu");
    assert.match(avazu.description, /Avazu .* a sample: 100 rows of its 40,428,967/);
    assert.equal(experimentDataMissing("methods-criteo", "smoke"), undefined);
    process.env.AUTODIM_CRITEO = join(tempDir(), "absent.txt");
    assert.match(rawDataMissing("criteo") ?? "", /Criteo .* not found at .*absent\.txt \(or AUTODIM_CRITEO\)/);
    // The committed record of the sample (results/datasets/criteo.json) stands in for the
    // tables: only computing a missing run needs the raw file.
    assert.equal(dataMissing("criteo"), undefined);
    assert.equal(experimentDataMissing("methods-criteo", "smoke"), undefined);
    await assert.rejects(
      rawCtrDataset("criteo"),
      /absent\.txt is missing\. Put Kaggle's Display Advertising Challenge train\.txt there, or set AUTODIM_CRITEO/,
    );
    assert.equal(experimentDataMissing("methods", "smoke"), undefined, "the synthetic set is made, never missing");
  } finally {
    for (const [k, v] of [
      ["AUTODIM_CRITEO", saved.c],
      ["AUTODIM_AVAZU", saved.a],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
});

test("components and transfer summaries: means over seeds, std (n − 1) of AUC and of ΔAUC, by hand", async () => {
  const { summarizeComponents } = await import("../../src/experiments/components.js");
  const { summarizeTransfer } = await import("../../src/experiments/transfer.js");
  const variant = (name: string, seed: number, auc: number, params: number) => ({
    variant: name,
    seed,
    lookup: name === "AD-1" || name === "AD-2" ? ("shared" as const) : ("separate" as const),
    unify: name === "AD-1" || name === "AD-3" ? ("zeropad" as const) : ("linear" as const),
    searchParams: params,
    searchSamplesPerSecond: 1000 * seed,
    testAuc: auc,
    testLogloss: 1 - auc,
    finalParams: params / 2,
    inferenceMsPer1k: 2,
    dims: [2, 8],
  });
  const rows = summarizeComponents([
    variant("AD-2", 1, 0.7, 100),
    variant("AD-1", 1, 0.6, 90),
    variant("AD-2", 2, 0.8, 100),
    variant("AD-2", 3, 0.9, 100),
  ]);
  assert.deepEqual(
    rows.map((r) => r.variant),
    ["AD-1", "AD-2"],
    "in the paper's order, whatever order the runs came in",
  );
  const ad2 = rows[1];
  assert.equal(ad2.seeds, 3);
  assert.ok(Math.abs(ad2.testAuc - 0.8) < 1e-12);
  assert.ok(Math.abs(ad2.aucStd - 0.1) < 1e-12, `std of 0.7, 0.8, 0.9 is 0.1, got ${ad2.aucStd}`);
  assert.ok(Math.abs(ad2.loglossStd - 0.1) < 1e-12);
  assert.equal(ad2.searchSamplesPerSecond, 2000);
  assert.equal(rows[0].aucStd, 0, "one seed: no spread");
  const t = (seed: number, full: number, auto: number) => ({
    model: "nfm" as const,
    seed,
    full: { auc: full, logloss: 0.5, params: 320 },
    autodim: { auc: auto, logloss: 0.5, params: 100 },
    dims: [2, 8],
    seconds: { full: 10, autodim: 6 },
  });
  const [nfm] = summarizeTransfer([t(1, 0.7, 0.71), t(2, 0.7, 0.73), t(3, 0.7, 0.72)]);
  assert.equal(nfm.seeds, 3);
  assert.ok(Math.abs(nfm.autodim.auc - nfm.full.auc - 0.02) < 1e-12);
  assert.ok(Math.abs(nfm.deltaAucStd - 0.01) < 1e-12, `std of ΔAUC 0.01, 0.03, 0.02 is 0.01, got ${nfm.deltaAucStd}`);
  assert.deepEqual(nfm.seconds, { full: 10, autodim: 6 });
});

test("the large planted set: Criteo's full vocabularies, cached by its truth file; `reproduce all` at smoke leaves its main table to be asked for", async () => {
  const { plantedLargeDataset } = await import("../../src/experiments/datasets.js");
  const { CRITEO_VOCAB } = await import("../../src/data/synthetic.js");
  const { experimentData } = await import("../../src/experiments/registry.js");
  const dir = tempDir();
  const first = await plantedLargeDataset("smoke", 7, dir);
  assert.deepEqual(first.truth.vocabularySizes, CRITEO_VOCAB);
  assert.match(
    first.description,
    /Criteo's full vocabularies, 20,000 rows \(seed 7\).*min count 10 \([\d,]+ features\)/,
  );
  const rows = first.data.rows("train") + first.data.rows("val") + first.data.rows("test");
  assert.equal(rows, 20_000);
  const again = await plantedLargeDataset("smoke", 7, dir);
  assert.equal(again.truth.sha256, first.truth.sha256, "the generated file is reused");
  assert.equal(again.description, first.description);
  assert.equal(experimentData("methods-planted", "quick"), "planted-large");
});
