// Search diagnostics (src/embedding/diagnostics.ts): margins, trajectory, the gradient SNR and
// the decided rule against values computed here by hand, `--undecided` in the library and the
// CLI, and a search on a 5,000-row CSV that warns it decided nothing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { PreparedData } from "../../src/data/batches.js";
import { search } from "../../src/embedding/search.js";
import {
  decideField,
  MIN_ARCHITECTURE_STEPS,
  SearchTrace,
  searchDiagnostics,
  signalToNoise,
  stepsNeeded,
} from "../../src/embedding/diagnostics.js";
import { DEFAULT_SEARCH } from "../../src/methods/defaults.js";
import { initRuntime } from "../../src/accel/index.js";
import { RandomStream } from "../../src/core/random.js";
import { dimensionPlanSchema, type DimensionPlan } from "../../src/train/schemas.js";
import { readJsonFile, validate } from "../../src/train/json-file.js";
import { retrainResultSchema } from "../../src/train/result-schema.js";
import { prepareQuiet, tempDir } from "../helpers.js";

const CANDIDATES = [2, 8, 32];

/** α rows of one field: `k` ahead of the others by `lead` (normalised). */
function leading(k: number, lead: number, N = 3): number[] {
  const base = (1 - lead) / N;
  return Array.from({ length: N }, (_, n) => base + (n === k ? lead : 0));
}

test("margin, trajectory and the decided rule on a hand-made α history", () => {
  // Three fields, three candidates, 100 search steps with an α step after each.
  //   field 0 ("clear"):   candidate 2 (size 32) leads from step 1 by a growing margin; every
  //                        step's gradient favours it (d = +1 ± 0.5, alternating).
  //   field 1 ("late"):    the same gradient, but the argmax moves from candidate 0 to 1 at step 80.
  //   field 2 ("tie"):     the same gradient, the argmax candidate 1 from step 1, margin 0.01.
  const trace = new SearchTrace(3, 3, [leading(0, 0), leading(0, 0), leading(0, 0)]);
  const steps = 100;
  for (let t = 1; t <= steps; t++) {
    const d = 1 + (t % 2 === 0 ? 0.5 : -0.5);
    // ∂L/∂log α: the argmax's entry d below the runner-up's, so descent raises the argmax.
    const g = (k: number, r: number) => [0, 1, 2].map((n) => (n === k ? -d / 2 : n === r ? d / 2 : 0));
    const gradient = [...g(2, 1), ...(t < 80 ? g(0, 1) : g(1, 0)), ...g(1, 0)];
    const alpha = [leading(2, 0.003 * t), leading(t < 80 ? 0 : 1, 0.05), leading(1, 0.01)];
    trace.observe(t, gradient, alpha);
  }
  const final = [leading(2, 0.3), leading(1, 0.05), leading(1, 0.01)];
  const d = searchDiagnostics(trace, ["clear", "late", "tie"], CANDIDATES, final, steps);
  assert.deepEqual(d.rule, { minArchitectureSteps: 50, minSnr: 2, minMargin: 0.1 / 3 });
  assert.equal(d.architectureSteps, 100);
  // d alternates 0.5, 1.5 (50 each): mean 1, sample sd √(100·0.25/99), SNR = 1 / (sd / 10).
  const snr = 1 / (Math.sqrt(25 / 99) / 10);
  const [clear, late, tie] = d.fields;
  assert.equal(clear.argmax, 32);
  assert.equal(clear.runnerUp, 2); // the others tie: the smaller size
  assert.ok(Math.abs(clear.margin - 0.3) < 1e-12);
  assert.equal(clear.stableSince, 1);
  assert.ok(Math.abs(clear.maxDrift - (0.3 - 0.3 / 3)) < 1e-12, `${clear.maxDrift}`);
  assert.ok(Math.abs((clear.snr as number) - snr) < 1e-9 * snr, `${clear.snr} vs ${snr}`);
  assert.equal(clear.stepsNeeded, MIN_ARCHITECTURE_STEPS); // already far above 2: the minimum
  assert.equal(clear.decided, true);
  // "late": strong gradient (runner-up candidate 0 vs argmax 1 over all 100 steps: 79 steps
  // favoured the other way), argmax changed at step 80 > 100 / 2 — undecided either way.
  assert.equal(late.argmax, 8);
  assert.equal(late.stableSince, 80);
  assert.equal(late.decided, false);
  // "tie": margin 0.01 < 0.1 / 3, stable since step 1, strong gradient — undecided by the margin alone.
  assert.equal(tie.argmax, 8);
  assert.ok(Math.abs(tie.margin - 0.01) < 1e-12);
  assert.ok(Math.abs((tie.snr as number) - snr) < 1e-9 * snr);
  assert.equal(tie.decided, false);
  assert.equal(d.decided, 1);

  // The rule's conditions one at a time, at their boundaries.
  const ok = { snr: 2, margin: 0.1 / 5, stableSince: 50, runnerUp: 8 };
  assert.equal(decideField(ok, 50, 100, 5), true);
  assert.equal(decideField({ ...ok, snr: 1.999 }, 50, 100, 5), false);
  assert.equal(decideField({ ...ok, snr: null }, 50, 100, 5), false);
  assert.equal(decideField({ ...ok, margin: 0.0199 }, 50, 100, 5), false);
  assert.equal(decideField({ ...ok, stableSince: 51 }, 50, 100, 5), false);
  assert.equal(decideField(ok, 49, 100, 5), false);
  assert.equal(decideField({ ...ok, snr: null, margin: 1, runnerUp: null }, 0, 0, 1), true); // one candidate
});

test("SNR and steps needed from the running sums equal a brute-force computation on the per-step gradients", () => {
  const rng = new RandomStream("test/diagnostics/snr");
  const F = 2;
  const N = 5;
  const n = 237;
  const history: number[][] = [];
  const trace = new SearchTrace(F, N, [Array(N).fill(0.2), Array(N).fill(0.2)]);
  for (let t = 0; t < n; t++) {
    // Field 0: candidate 3 drifts down (favoured) under noise; field 1: noise only. Scales grow
    // over the search, as the gradient's 1/τ does.
    const scale = 1 + t / 50;
    const g = Array.from({ length: F * N }, (_, i) => scale * ((rng.next() - 0.5) * 0.2 - (i === 3 ? 0.02 : 0)));
    history.push(g);
    trace.observe(t + 1, g, [Array(N).fill(0.2), Array(N).fill(0.2)]);
  }
  for (let f = 0; f < F; f++) {
    for (let a = 0; a < N; a++) {
      for (let b = 0; b < N; b++) {
        if (a === b) continue;
        const diffs = history.map((g) => g[f * N + b] - g[f * N + a]);
        const mean = diffs.reduce((s, x) => s + x, 0) / n;
        const sd = Math.sqrt(diffs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
        const expected = mean / (sd / Math.sqrt(n));
        const got = signalToNoise(trace.difference(f, a, b)) as number;
        assert.ok(
          Math.abs(got - expected) < 1e-9 * Math.max(1, Math.abs(expected)),
          `${f} ${a} ${b}: ${got} vs ${expected}`,
        );
        const needed = stepsNeeded(got, n);
        if (expected <= 0) assert.equal(needed, null);
        else assert.equal(needed, Math.max(50, Math.ceil(n * (2 / expected) ** 2)));
      }
    }
  }
  // The planted signal is found: field 0's candidate 3 over candidate 0.
  assert.ok((signalToNoise(trace.difference(0, 3, 0)) as number) > 2);
  // A checkpoint round trip keeps every sum.
  const copy = new SearchTrace(F, N, [Array(N).fill(0.2), Array(N).fill(0.2)]);
  copy.restore(JSON.parse(JSON.stringify(trace.save())));
  assert.deepEqual(copy.difference(0, 3, 0), trace.difference(0, 3, 0));
  assert.equal(copy.steps, n);
  // Undefined statistics: one step, or no spread.
  assert.equal(signalToNoise({ n: 1, mean: 1, sd: 0 }), null);
  assert.equal(signalToNoise({ n: 10, mean: 1, sd: 0 }), null);
});

// ───────────── searches on a generated CSV ─────────────

/**
 * `rows` rows of label,user,item,gender: the label depends on user parity and item mod 3, not
 * on gender (a generator, so the data are the test's own).
 */
function writeCsv(path: string, rows: number): void {
  const rng = new RandomStream("test/diagnostics/csv");
  const lines = ["label,user,item,gender"];
  for (let r = 0; r < rows; r++) {
    const user = rng.int(200);
    const item = rng.int(100);
    const gender = rng.int(4);
    const p = 0.2 + 0.25 * (user % 2) + 0.3 * (item % 3 === 0 ? 1 : 0);
    lines.push(`${rng.next() < p ? 1 : 0},u${user},i${item},g${gender}`);
  }
  writeFileSync(path, lines.join("\n") + "\n");
}

let csv = "";
let prepared = "";

before(async () => {
  await initRuntime();
  const dir = tempDir();
  csv = join(dir, "d.csv");
  writeCsv(csv, 5000);
  prepared = join(dir, "prepared");
  await prepareQuiet({ input: csv, format: "csv", split: [0.8, 0.1, 0.1], out: prepared });
});

test("every plan has its diagnostics; --undecided max gives undecided fields the largest candidate; α gradients are the applied ones", async () => {
  const data = new PreparedData(prepared);
  const base = { ...DEFAULT_SEARCH, model: "fm" as const, seed: 1 };
  // The defaults on ~4,000 training rows: 2 or 3 steps of 2,000, 1 α step — nothing can be decided.
  const keep = await search(data, base, { progress: false });
  const d = keep.search.diagnostics;
  assert.ok(d);
  assert.equal(d.architectureSteps, keep.search.architectureSteps);
  assert.equal(d.decided, 0);
  assert.deepEqual(
    d.fields.map((f) => f.name),
    ["user", "item", "gender"],
  );
  keep.fields.forEach((f, i) => {
    assert.equal(f.dim, d.fields[i].argmax);
    // The margin from the plan's own α: largest minus second largest.
    const sorted = [...f.alpha].sort((a, b) => b - a);
    assert.ok(Math.abs(d.fields[i].margin - (sorted[0] - sorted[1])) < 1e-12);
  });
  const max = await search(data, { ...base, undecided: "max" }, { progress: false });
  assert.equal(max.config.undecided, "max");
  assert.deepEqual(
    max.fields.map((f) => f.dim),
    [32, 32, 32],
  );
  assert.deepEqual(
    max.search.diagnostics?.fields.map((f) => f.argmax),
    d.fields.map((f) => f.argmax),
  );
  const full = data.manifest.totalFeatures * 32;
  assert.equal(max.totals.embeddingParams, full);
  // Written and read back through the schema.
  const path = join(tempDir(), "plan.json");
  writeFileSync(path, JSON.stringify(max));
  assert.deepEqual(readJsonFile(dimensionPlanSchema, path).search.diagnostics, max.search.diagnostics);

  // A longer search (batch 64, an α step every step) sees a gradient at every α step.
  const long = await search(data, { ...base, batchSize: 64, frequency: 1 }, { progress: false });
  const ld = long.search.diagnostics as NonNullable<DimensionPlan["search"]["diagnostics"]>;
  assert.equal(long.search.architectureSteps, Math.ceil(data.rows("train") / 64));
  assert.equal(ld.architectureSteps, long.search.architectureSteps);
  for (const f of ld.fields) {
    assert.ok(f.snr !== null && Number.isFinite(f.snr), `${f.name}: SNR ${f.snr}`);
    assert.equal(f.stepsNeeded, stepsNeeded(f.snr, ld.architectureSteps));
    assert.ok(f.maxDrift > 1e-3, `${f.name}: α moved ${f.maxDrift}`);
  }
});

test("committed plans without diagnostics stay readable", () => {
  // The MovieLens runs' records: { identity, value: result.json with its plan }.
  const dir = join("results", "methods-movielens-quick-runs");
  const runs = readdirSync(dir).filter((f) => /^(fm|wd|deepfm)-autodim-s\d+-\w+\.json$/.test(f));
  assert.equal(runs.length, 9);
  for (const file of runs) {
    const record = JSON.parse(readFileSync(join(dir, file), "utf8")) as { value: unknown };
    const result = validate(retrainResultSchema, record.value, file);
    assert.ok(result.plan, file);
    assert.equal(result.plan.search.diagnostics, undefined);
  }
});

function autodim(args: string[]) {
  const r = spawnSync(process.execPath, ["bin/autodim.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, AUTODIM_QUIET: "1", AUTODIM_THREADS: "1" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("CLI: a search on a 5,000-row CSV warns that it decided nothing; --undecided fail writes the plan and exits 1 naming the fields", () => {
  const dir = tempDir();
  const data = join(dir, "prepared");
  assert.equal(autodim(["prepare", "--format", "csv", "--input", csv, "--out", data, "--min-count", "1"]).code, 0);
  const args = ["search", "--data", data, "--model", "fm", "--threads", "1"];
  const keep = autodim([...args, "--out", join(dir, "keep.json")]);
  assert.equal(keep.code, 0, keep.err);
  assert.match(
    keep.err,
    /decided 0 of 3 fields \(SNR ≥ 2 over ≥ 50 α steps, .*\) in 1 α step; undecided: user, item, gender/,
  );
  assert.match(keep.err, /warning: the search took 1 α step \(< 50\), too few to decide any field/);
  assert.match(keep.err, /warning: 3 of 3 fields undecided \(user, item, gender\)/);
  assert.match(keep.out, /decided 0 of 3 fields/);
  const out = join(dir, "fail.json");
  const fail = autodim([...args, "--out", out, "--undecided", "fail"]);
  assert.equal(fail.code, 1);
  assert.match(
    fail.err,
    /autodim search: --undecided fail: 3 of 3 fields undecided \(user, item, gender\); .*fail\.json holds/,
  );
  const plan = JSON.parse(readFileSync(out, "utf8")) as DimensionPlan;
  assert.equal(plan.config.undecided, "fail");
  assert.equal(plan.search.diagnostics?.decided, 0);
  const bad = autodim([...args, "--out", out, "--undecided", "maybe"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--undecided must be one of keep, max, fail, got "maybe"/);
});
