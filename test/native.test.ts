// The OpenBLAS GEMM addon (native/blas.c) against plain loops: transposes, batches, a
// broadcast operand; bad arguments are errors. Skipped where the addon is not built or
// libopenblas is missing (matmuls then stay on wasm; test/kernels.test.ts covers that path).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import type { NativeBlas } from "../src/runtime/wasm-kernels.js";
import { randomStream } from "../src/runtime/random.js";

let blas: NativeBlas | undefined;
let missing = "";
try {
  blas = createRequire(join(process.cwd(), "package.json"))("./native/index.cjs") as NativeBlas;
} catch (err) {
  missing = (err as Error).message.split("\n")[0];
}

const rng = randomStream(3, "init", "blas");
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);

test("sgemm: op(A)·op(B) per batch equals plain loops, for every transpose and a broadcast operand", { skip: blas ? false : `addon not loaded: ${missing}` }, () => {
  const b = blas as NativeBlas;
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
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
            assert.ok(Math.abs(got - want) < 1e-5, `ta=${ta} tb=${tb} broadcast=${broadcastB} [${s},${i},${j}]: ${got} vs ${want}`);
          }
    }
  }
});

test("sgemm: the same result with one and two OpenBLAS threads (no split of the inner dimension)", { skip: blas ? false : `addon not loaded: ${missing}` }, () => {
  const b = blas as NativeBlas;
  const [m, k, n] = [300, 257, 130];
  const A = rand(m * k);
  const B = rand(k * n);
  const run = (threads: number) => {
    b.threads(threads);
    const C = new Float32Array(m * n);
    b.sgemm(false, true, 1, m, n, k, A, B, C, 0, 0);
    return C;
  };
  const one = run(1);
  const two = run(2);
  b.threads(1);
  assert.deepEqual(two, one);
});

test("sgemm: arrays too small for the shapes, or not Float32Array, are errors", { skip: blas ? false : `addon not loaded: ${missing}` }, () => {
  const b = blas as NativeBlas;
  assert.throws(() => b.sgemm(false, false, 1, 4, 4, 4, new Float32Array(15), new Float32Array(16), new Float32Array(16), 0, 0), /shapes do not fit the arrays/);
  assert.throws(() => b.sgemm(false, false, 2, 2, 2, 2, new Float32Array(8), new Float32Array(4), new Float32Array(4), 4, 0), /shapes do not fit the arrays/);
  assert.throws(() => b.sgemm(false, false, 1, 2, 2, 2, new Float64Array(4) as unknown as Float32Array, new Float32Array(4), new Float32Array(4), 0, 0), /must be Float32Arrays/);
});
