// `npm start`'s pieces that need no training: the comparison with the committed main table,
// and the one-line GEMM notice every training command prints.
import assert from "node:assert/strict";
import { test } from "node:test";
import { autodimLabel, describeMainJob, type MainJobResult } from "../../src/cli/mainjob.js";
import { comparison } from "../../src/cli/start.js";
import { announceGemm, type RuntimeInfo } from "../../src/accel/index.js";

function result(auc: number, embedding: number) {
  return { test: { auc, logloss: 0.5 }, params: { embedding }, runtime: { wallSeconds: 1 } };
}

const job = {
  plan: {
    config: { unify: "zeropad", model: "fm" },
    fields: [
      { name: "a", dim: 2 },
      { name: "b", dim: 16 },
    ],
    runtime: { wallSeconds: 3 },
  },
  autodim: result(0.70571, 100),
  fde: result(0.70318, 300),
  truth: { ranks: [0, 8] },
  spearmanRank: 1,
  runs: "runs/x",
} as unknown as MainJobResult;

test("start: this run's FM rows beside the committed ones of the same variant, with the difference; zero-padding is labelled AD-1", () => {
  const committed = [
    { model: "fm", method: "fde", testAuc: 0.70318, params: 300 },
    { model: "fm", method: "autodim-zeropad", testAuc: 0.70471, params: 100 },
    { model: "fm", method: "autodim", testAuc: 0.1, params: 1 },
    { model: "wd", method: "autodim-zeropad", testAuc: 0.1, params: 1 },
  ];
  const lines = comparison(job, committed).split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[1], /^FDE\s+0\.7032\s+0\.7032\s+0\.0000\s+300\s+300$/);
  assert.match(lines[2], /^AutoDim \(zero-pad, AD-1\)\s+0\.7057\s+0\.7047\s+0\.0010\s+100\s+100$/);
  assert.match(comparison(job, undefined).split("\n")[1], /^FDE\s+0\.7032\s+—\s+—\s+300\s+—$/);
  assert.equal(autodimLabel({ config: { unify: "linear" } } as Parameters<typeof autodimLabel>[0]), "AutoDim");
  assert.match(
    describeMainJob(job),
    /plan \(fm\): a=2\(r0\) b=16\(r8\)\nSpearman\(planted rank, chosen dim\) = 1\.000/,
  );
});

test("announceGemm: once per process; on wasm it says why and how to get OpenBLAS", () => {
  const lines: string[] = [];
  const info = {
    backend: "wasm",
    matmul: "wasm",
    nativeBlasMissing: "autodim_blas: libopenblas.so.0 not found (Debian: apt-get install -y libopenblas0-pthread)",
  } as RuntimeInfo;
  announceGemm(info, (l) => lines.push(l));
  announceGemm(info, (l) => lines.push(l));
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^autodim: matmuls on wasm, 2–3× slower than OpenBLAS .*libopenblas\.so\.0 not found.*to use OpenBLAS: install OpenBLAS \(Debian\/Ubuntu: apt-get install -y libopenblas0-pthread\); the next run picks it up\n$/,
  );
});

test("start: a committed table from before AutoDim meant AD-2 has its zero-padding row renamed AD-1; the new format's seed-2026 rows are read", async () => {
  const { committedMainTable } = await import("../../src/cli/start.js");
  const { writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tempDir } = await import("../helpers.js");
  const dir = tempDir();
  const old = join(dir, "old.json");
  writeFileSync(old, JSON.stringify({ result: [{ model: "fm", method: "autodim", testAuc: 0.7, params: 1 }] }));
  assert.deepEqual(committedMainTable(old), [{ model: "fm", method: "autodim-zeropad", testAuc: 0.7, params: 1 }]);
  const now = join(dir, "new.json");
  writeFileSync(
    now,
    JSON.stringify({
      result: {
        table: [],
        runs: [
          { model: "fm", method: "autodim", seed: 2026, testAuc: 0.7, params: 1 },
          { model: "fm", method: "autodim", seed: 1, testAuc: 0.6, params: 1 },
        ],
      },
    }),
  );
  assert.deepEqual(
    committedMainTable(now)?.map((r) => r.testAuc),
    [0.7],
  );
  assert.equal(committedMainTable(join(dir, "absent.json")), undefined);
});
