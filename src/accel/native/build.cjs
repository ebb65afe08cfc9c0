// `npm install` step: compiles the native addons with the system C compiler and Node's
// headers. Both are optional: without a compiler or headers (or OpenBLAS at run time for
// the first), the same work runs in wasm / JS, and `autodim bench` and every result's
// provenance say which ran.
//   native/blas.c   → build/autodim_blas.node    GEMM for the wasm backend's BatchMatMul (OpenBLAS, dlopen'ed)
//   native/sparse.c → build/autodim_sparse.node  embedding-row gather and lazy Adam, huge pages
//   native/elementwise.c → build/autodim_ew.node  Multiply/Add/Sub/Sum on a thread pool
const { spawnSync } = require("node:child_process");
const { existsSync, mkdirSync } = require("node:fs");
const { dirname, join } = require("node:path");

const root = join(__dirname, "..", "..", "..");
const addons = [
  {
    name: "autodim_blas",
    source: "blas.c",
    flags: ["-O2"],
    libs: ["-ldl", "-lpthread"],
    fallback: "matmuls will run on wasm",
  },
  // -O3 -fno-math-errno vectorise Adam's loop (sqrt included: 6.3 → 3.8 ms for 45k rows);
  // -ffp-contract=off forbids fused multiply-adds, so the results equal the JS loop's bit for bit.
  {
    name: "autodim_sparse",
    source: "sparse.c",
    flags: ["-O3", "-fno-math-errno", "-ffp-contract=off"],
    libs: ["-lm"],
    fallback: "sparse tables will update in JS",
  },
  // Element-wise ops and Sum on a thread pool; -ffp-contract=off keeps them equal to wasm's bit for bit.
  {
    name: "autodim_ew",
    source: "elementwise.c",
    flags: ["-O3", "-ffp-contract=off"],
    libs: ["-lpthread"],
    fallback: "element-wise ops and sums will run on wasm (one thread)",
  },
];
const include = [join(dirname(process.execPath), "..", "include", "node"), "/usr/include/node"].find((d) =>
  existsSync(join(d, "node_api.h")),
);
if (!include) {
  console.warn(`autodim: Node's headers (node_api.h) not found; ${addons.map((a) => a.fallback).join(", ")}`);
  process.exit(0);
}
const cc = process.env.CC || "cc";
for (const a of addons) {
  const out = join(root, "build", `${a.name}.node`);
  mkdirSync(dirname(out), { recursive: true });
  const args = [
    ...a.flags,
    "-fPIC",
    "-shared",
    "-Wall",
    `-DNODE_GYP_MODULE_NAME=${a.name}`,
    `-I${include}`,
    join(__dirname, a.source),
    "-o",
    out,
    ...a.libs,
  ];
  const r = spawnSync(cc, args, { encoding: "utf8" });
  if (r.status !== 0)
    console.warn(`autodim: building ${a.name} failed (${r.error ? r.error.message : r.stderr.trim()}); ${a.fallback}`);
  else console.log(`autodim: built ${out}`);
}
