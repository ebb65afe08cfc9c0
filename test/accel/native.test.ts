// The native addons against plain loops. The OpenBLAS GEMM (src/accel/native/blas.c): transposes,
// batches, a broadcast operand; the sparse-table kernels (src/accel/native/sparse.c): gather and lazy
// Adam bit-identical to SparseTable's JS loops; the element-wise kernels (src/accel/native/elementwise.c)
// bit-identical to the stock wasm ones at 1 and 2 threads. Bad arguments are errors. Skipped where an
// addon is not built or libopenblas is missing (CI requires both to be built).
import { TRANSPOSE_PAIRS } from "../helpers.js";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_ADAM, SparseTable } from "../../src/tables/sparse.js";
import { collectRows } from "../../src/tables/touch.js";
import { useSparseKernels, type SparseKernels } from "../../src/tables/sparse-kernels.js";
import type { NativeBlas, NativeElementwise } from "../../src/accel/wasm-kernels.js";
import { randomStream } from "../../src/core/random.js";

/** An addon's loader module, or why it did not load (first line of the error). */
function loadAddon<T>(loader: string): { addon?: T; missing: string } {
  try {
    return { addon: createRequire(join(process.cwd(), "package.json"))(loader) as T, missing: "" };
  } catch (err) {
    return { missing: (err as Error).message.split("\n")[0] };
  }
}

const { addon: blas, missing } = loadAddon<NativeBlas>("./src/accel/native/index.cjs");
const { addon: sparse, missing: sparseMissing } = loadAddon<SparseKernels>("./src/accel/native/sparse.cjs");
const { addon: ew, missing: ewMissing } = loadAddon<NativeElementwise>("./src/accel/native/elementwise.cjs");
const skipEw = { skip: ew ? false : `element-wise addon not loaded: ${ewMissing}` };

// A built addon that does not load is a broken loader (e.g. a moved path), not a machine without
// a C compiler: the tests below would skip silently, so this one fails instead.
test("every addon npm built loads", () => {
  const built = (name: string) => existsSync(join(process.cwd(), "build", `${name}.node`));
  for (const [name, why] of [
    ["autodim_blas", missing],
    ["autodim_sparse", sparseMissing],
    ["autodim_ew", ewMissing],
  ] as const)
    if (built(name)) assert.equal(why, "", `build/${name}.node exists but its loader fails`);
});

const rng = randomStream(3, "init", "blas");
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);

test(
  "sgemm: op(A)·op(B) per batch equals plain loops, for every transpose and a broadcast operand",
  { skip: blas ? false : `addon not loaded: ${missing}` },
  () => {
    const b = blas as NativeBlas;
    for (const [ta, tb] of TRANSPOSE_PAIRS) {
      const [batch, m, k, n] = [3, 5, 7, 4];
      for (const broadcastB of [false, true]) {
        const A = rand(batch * m * k);
        const B = rand((broadcastB ? 1 : batch) * k * n);
        const C = new Float32Array(batch * m * n).fill(99); // overwritten, not accumulated
        b.sgemm(ta, tb, batch, m, n, k, A, B, C, m * k, broadcastB ? 0 : k * n);
        for (let s = 0; s < batch; s++)
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++) {
              let want = 0;
              for (let l = 0; l < k; l++) {
                const a = ta ? A[s * m * k + l * m + i] : A[s * m * k + i * k + l];
                const bb = broadcastB ? 0 : s * k * n;
                const w = tb ? B[bb + j * k + l] : B[bb + l * n + j];
                want += a * w;
              }
              const got = C[s * m * n + i * n + j];
              assert.ok(
                Math.abs(got - want) < 1e-5,
                `ta=${ta} tb=${tb} broadcast=${broadcastB} [${s},${i},${j}]: ${got} vs ${want}`,
              );
            }
      }
    }
  },
);

test(
  "sgemm at 1, 2 and 3 threads: every transpose equals plain loops, and the products are the same bits at every thread count",
  { skip: blas ? false : `addon not loaded: ${missing}` },
  () => {
    const b = blas as NativeBlas;
    // Products large enough that an earlier version split them between threads (which changed
    // OpenBLAS's sums); extents not multiples of 16; a batch of 2.
    for (const [m, k, n] of [
      [301, 257, 130],
      [70, 301, 333],
    ]) {
      for (const [ta, tb] of TRANSPOSE_PAIRS) {
        const A = rand(2 * m * k);
        const B = rand(2 * k * n);
        const run = (threads: number) => {
          b.threads(threads);
          const C = new Float32Array(2 * m * n).fill(99);
          b.sgemm(ta, tb, 2, m, n, k, A, B, C, m * k, k * n);
          return C;
        };
        const one = run(1);
        const two = run(2);
        const three = run(3);
        b.threads(1);
        let worst = 0;
        for (let s = 0; s < 2; s++)
          for (let i = 0; i < m; i += 7)
            for (let j = 0; j < n; j++) {
              let want = 0;
              for (let l = 0; l < k; l++)
                want +=
                  (ta ? A[s * m * k + l * m + i] : A[s * m * k + i * k + l]) *
                  (tb ? B[s * k * n + j * k + l] : B[s * k * n + l * n + j]);
              worst = Math.max(worst, Math.abs(two[s * m * n + i * n + j] - want));
            }
        assert.ok(worst < 1e-3, `m=${m} k=${k} n=${n} ta=${ta} tb=${tb}: off by ${worst}`);
        assert.deepEqual(Buffer.from(two.buffer), Buffer.from(one.buffer), "two threads: the one-thread bits");
        assert.deepEqual(Buffer.from(three.buffer), Buffer.from(one.buffer), "three threads: the one-thread bits");
        assert.ok(!two.includes(99), "every element written");
      }
    }
  },
);

test(
  "sgemm: arrays too small for the shapes, or not Float32Array, are errors",
  { skip: blas ? false : `addon not loaded: ${missing}` },
  () => {
    const b = blas as NativeBlas;
    assert.throws(
      () => b.sgemm(false, false, 1, 4, 4, 4, new Float32Array(15), new Float32Array(16), new Float32Array(16), 0, 0),
      /shapes do not fit the arrays/,
    );
    assert.throws(
      () => b.sgemm(false, false, 2, 2, 2, 2, new Float32Array(8), new Float32Array(4), new Float32Array(4), 4, 0),
      /shapes do not fit the arrays/,
    );
    assert.throws(
      () =>
        b.sgemm(
          false,
          false,
          1,
          2,
          2,
          2,
          new Float64Array(4) as unknown as Float32Array,
          new Float32Array(4),
          new Float32Array(4),
          0,
          0,
        ),
      /must be Float32Arrays/,
    );
  },
);

const skipSparse = { skip: sparse ? false : `sparse addon not loaded: ${sparseMissing}` };

/** Two equal tables; `run` is applied to one with the JS loops and to the other natively. */
function bothWays(rows: number, dim: number, run: (t: SparseTable) => void): { js: SparseTable; native: SparseTable } {
  const make = () => new SparseTable("t", rows, dim).initNormal(randomStream(5, "init", "table"), 0.3);
  useSparseKernels(undefined);
  const js = make();
  run(js);
  useSparseKernels(sparse);
  const native = make();
  run(native);
  useSparseKernels(undefined);
  return { js, native };
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test(
  "sparse kernels: gather and 20 lazy-Adam steps are bit-identical to the JS loops (dims 1, 5, 32; repeated rows)",
  skipSparse,
  () => {
    for (const dim of [1, 5, 32]) {
      const rows = 300;
      const steps = Array.from({ length: 20 }, (_, s) => {
        const r = randomStream(s, "bench", "rows");
        // Some rows twice in one step: both updates apply, in order, in either path.
        const touched = Int32Array.from({ length: 80 }, () => r.int(rows));
        const grads = Float32Array.from({ length: 80 * dim }, () => r.normal() * 10 ** r.int(4));
        return { touched, grads };
      });
      const gathered: Float32Array[] = [];
      const cfg = { ...DEFAULT_ADAM, learningRate: 0.01 };
      const { js, native } = bothWays(rows, dim, (t) => {
        for (const s of steps) {
          gathered.push(t.gather(s.touched, new Float32Array(s.touched.length * dim)));
          t.applyAdam(s.touched, s.grads, cfg);
        }
      });
      for (let i = 0; i < steps.length; i++)
        assert.ok(bits(gathered[i]).equals(bits(gathered[steps.length + i])), `dim ${dim}: gather of step ${i}`);
      const a = js.state();
      const b = native.state();
      assert.ok(bits(a.data).equals(bits(b.data)), `dim ${dim}: values`);
      assert.ok(bits(a.moments).equals(bits(b.moments)), `dim ${dim}: moments`);
      assert.equal(a.step, b.step);
      assert.ok(
        a.data.some(
          (x, i) => x !== new SparseTable("t", rows, dim).initNormal(randomStream(5, "init", "table"), 0.3).values()[i],
        ),
        "the steps moved the values",
      );
    }
  },
);

test(
  "sparse kernels: a row out of range, short arrays or wrong types are errors, not memory writes",
  skipSparse,
  () => {
    const k = sparse as SparseKernels;
    const store = new Float32Array(4 * 3 * 2); // 4 rows of [x, m, v], dim 2
    const out = new Float32Array(4);
    assert.throws(() => k.gather(store, 6, 2, Int32Array.from([0, 4]), out), RangeError);
    assert.throws(() => k.gather(store, 6, 2, Int32Array.from([-1]), out), RangeError);
    assert.throws(() => k.gather(store, 6, 2, Int32Array.from([0, 1, 2]), out), RangeError); // out holds 2 rows
    assert.throws(
      () => k.adam(store, 6, 2, Int32Array.from([3]), new Float32Array(1), 1e-3, 0.9, 0.999, 1e-8, 1, 1),
      RangeError,
    ); // 1 gradient for 2 columns
    assert.throws(
      () => k.adam(store, 4, 2, Int32Array.from([0]), new Float32Array(2), 1e-3, 0.9, 0.999, 1e-8, 1, 1),
      RangeError,
    ); // stride < 3·dim
    assert.throws(
      () => k.gather(new Float64Array(24) as unknown as Float32Array, 6, 2, Int32Array.from([0]), out),
      RangeError,
    );
    assert.throws(() => k.hugePages(new Float64Array(8) as unknown as Float32Array), TypeError);
    assert.deepEqual([...store], new Array(24).fill(0), "nothing written");
    k.gather(store, 6, 2, Int32Array.from([3, 1]), out);
  },
);

test("sparse kernels: huge-page advice on a 64 MB table leaves it zeroed and usable", skipSparse, () => {
  useSparseKernels(sparse);
  try {
    const t = new SparseTable("big", 1 << 18, 21); // 3 × 21 floats × 262,144 rows = 66 MB
    // Advice is taken where the kernel has THP in "madvise" or "always" mode; either way the
    // table must read as zeros and update normally.
    assert.equal(typeof (sparse as SparseKernels).hugePages(new Float32Array(1 << 20)), "boolean");
    const rows = Int32Array.from([0, 200_000, (1 << 18) - 1]);
    assert.deepEqual([...t.gather(rows, new Float32Array(63))], new Array(63).fill(0));
    t.applyAdam(rows, new Float32Array(63).fill(1), DEFAULT_ADAM);
    assert.ok(Math.abs(t.row(200_000)[20] - -1e-3) < 1e-9);
  } finally {
    useSparseKernels(undefined);
  }
});

/** The element-wise fixture's outputs (a sha256 per case) in a process with this environment. */
function elementwiseOutputs(env: Record<string, string>): {
  elementwise: string;
  threads: number;
  out: Record<string, string>;
} {
  const r = spawnSync(process.execPath, ["--import", "tsx", "test/fixtures/scripts/elementwise-outputs.ts"], {
    encoding: "utf8",
    env: { ...process.env, AUTODIM_QUIET: "1", ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop() as string);
}

test(
  "element-wise kernels: Multiply/Add/Sub (broadcasting), Sum (any axes), the row gather and its gradient equal the stock wasm kernels (and the JS loops) bit for bit, at 1 and 2 threads",
  skipEw,
  () => {
    const stock = elementwiseOutputs({ AUTODIM_NATIVE_EW: "0", THREADS: "1" });
    assert.equal(stock.elementwise, "wasm");
    const one = elementwiseOutputs({ THREADS: "1" });
    const two = elementwiseOutputs({ THREADS: "2" });
    assert.equal(one.elementwise, "native");
    assert.equal(two.threads, 2);
    assert.equal(Object.keys(stock.out).length, 20);
    assert.deepEqual(one.out, stock.out);
    assert.deepEqual(two.out, stock.out);
  },
);

test("element-wise kernels: against plain loops; bad shapes are errors, not crashes", skipEw, () => {
  const k = ew as NativeElementwise;
  const a = rand(2 * 3 * 4);
  const b = rand(3 * 1);
  const out = new Float32Array(24);
  k.binary(2, a, [2, 3, 4], b, [3, 1], out, [2, 3, 4]);
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 3; j++)
      for (let l = 0; l < 4; l++) assert.equal(out[i * 12 + j * 4 + l], Math.fround(a[i * 12 + j * 4 + l] - b[j]));
  const sums = new Float32Array(3);
  k.sum(a, [2, 3, 4], [true, false, true], sums);
  for (let j = 0; j < 3; j++) {
    let acc = 0;
    for (let i = 0; i < 2; i++) for (let l = 0; l < 4; l++) acc = Math.fround(acc + a[i * 12 + j * 4 + l]);
    assert.equal(sums[j], acc);
  }
  assert.throws(() => k.binary(0, a, [2, 3, 4], b, [2, 1], out, [2, 3, 4]), /do not broadcast/);
  assert.throws(() => k.binary(0, a, [2, 3, 4, 1, 1], b, [3, 1], out, [2, 3, 4]), /bad arguments/);
  assert.throws(() => k.sum(a, [5, 5], [true, false], sums), /do not fit/);
  // The gather reports the first id out of range; the segment sum drops such ids.
  const table = rand(4 * 3);
  const rowsOut = new Float32Array(2 * 3);
  assert.equal(k.gatherRows(table, 4, 3, Int32Array.from([3, 1]), rowsOut), -1);
  assert.deepEqual([...rowsOut], [...table.subarray(9, 12), ...table.subarray(3, 6)]);
  assert.equal(k.gatherRows(table, 4, 3, Int32Array.from([0, 4]), rowsOut), 1);
  const seg = new Float32Array(2 * 3);
  k.segmentSum(table, 3, Int32Array.from([1, 0, 1, 5]), 2, seg);
  for (let j = 0; j < 3; j++) {
    assert.equal(seg[j], table[3 + j]);
    assert.equal(seg[3 + j], Math.fround(table[j] + table[6 + j]));
  }
  assert.equal(k.threads(2), 2);
  assert.equal(k.threads(1), 1);
});

test(
  "sparse kernels: collect dedups a batch's rows exactly as the JS loop (rows, local indices, generations, row map)",
  skipSparse,
  () => {
    const k = sparse as SparseKernels;
    const [batch, fieldCount] = [300, 6];
    const fields = Int32Array.from([4, 0, 2]);
    const ids = Int32Array.from({ length: batch * fieldCount }, () => rng.int(500)); // many repeats
    const rowOf = Int32Array.from({ length: 500 }, (_, i) => (i * 7) % 90); // collisions through the map
    const cap = 2048;
    const state = () => ({
      slots: new Int32Array(3 * cap),
      rows: new Int32Array(batch * 3),
      local: new Int32Array(batch * 3),
    });
    for (const map of [null, rowOf]) {
      const js = state();
      const c = state();
      for (let gen = 1; gen <= 3; gen++) {
        const part = ids.subarray(0, (batch - 50 * gen) * fieldCount); // smaller batches reuse stale slots
        const n = batch - 50 * gen;
        const u1 = collectRows(part, n, fieldCount, fields, map, js.slots, gen, cap - 1, 32 - 11, js.rows, js.local);
        const u2 = k.collect(part, n, fieldCount, fields, map, c.slots, gen, cap - 1, 32 - 11, c.rows, c.local);
        assert.equal(u2, u1);
        assert.deepEqual(c.rows.subarray(0, u1), js.rows.subarray(0, u1));
        assert.deepEqual(c.local.subarray(0, n * 3), js.local.subarray(0, n * 3));
        assert.deepEqual(c.slots, js.slots);
        const seen = new Set<number>();
        for (let i = 0; i < n * 3; i++) {
          const want = map
            ? map[part[Math.floor(i / 3) * fieldCount + fields[i % 3]]]
            : part[Math.floor(i / 3) * fieldCount + fields[i % 3]];
          assert.equal(c.rows[c.local[i]], want);
          seen.add(want);
        }
        assert.equal(u1, seen.size, "each row once");
      }
    }
    const bad = ids.slice();
    bad[7] = 500;
    const s = state();
    assert.equal(
      k.collect(bad, batch, fieldCount, Int32Array.from([1]), rowOf, s.slots, 1, cap - 1, 21, s.rows, s.local),
      -1 - 7,
    );
    assert.equal(
      collectRows(bad, batch, fieldCount, Int32Array.from([1]), rowOf, s.slots, 2, cap - 1, 21, s.rows, s.local),
      -1 - 7,
    );
    assert.throws(
      () => k.collect(ids, batch, fieldCount, Int32Array.from([6]), null, s.slots, 1, cap - 1, 21, s.rows, s.local),
      /field index/,
    );
  },
);

test(
  "element-wise addon: dropoutMask draws the stream's uniforms bit for bit as the JS loop, and leaves the stream where JS would",
  skipEw,
  () => {
    const k = ew as NativeElementwise;
    for (const [rate, n] of [
      [0.2, 5000],
      [0.5, 1031],
      [0, 2000],
    ] as const) {
      const keep = 1 / (1 - rate);
      const js = randomStream(11, "dropout", rate);
      const want = new Float32Array(n);
      for (let i = 0; i < n; i++) want[i] = js.next() < rate ? 0 : keep;
      const native = randomStream(11, "dropout", rate);
      const st = native.state();
      const s = Float64Array.of(st.s0, st.s1, st.s2, st.c);
      const got = new Float32Array(n);
      k.dropoutMask(s, rate, keep, got);
      assert.deepEqual(got, want);
      native.restore({ s0: s[0], s1: s[1], s2: s[2], c: s[3] });
      assert.equal(native.next(), js.next(), "the stream continues from the same state");
      if (rate > 0) {
        const dropped = want.filter((v) => v === 0).length / n;
        assert.ok(Math.abs(dropped - rate) < 0.04, `dropped ${dropped}`);
      }
    }
    assert.throws(() => k.dropoutMask(new Float64Array(3), 0.1, 1, new Float32Array(4)), /bad arguments/);
  },
);
