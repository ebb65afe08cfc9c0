// `npm install` step: compiles native/blas.c into build/autodim_blas.node with the system C
// compiler and Node's headers. Optional: without a compiler, headers or OpenBLAS at run time,
// matmuls stay on wasm (a warning here, and `autodim bench` reports which GEMM ran).
const { spawnSync } = require("node:child_process");
const { existsSync, mkdirSync } = require("node:fs");
const { dirname, join } = require("node:path");

const root = join(__dirname, "..");
const out = join(root, "build", "autodim_blas.node");
const include = [join(dirname(process.execPath), "..", "include", "node"), "/usr/include/node"].find((d) => existsSync(join(d, "node_api.h")));
if (!include) {
  console.warn("autodim: Node's headers (node_api.h) not found; matmuls will run on wasm");
  process.exit(0);
}
mkdirSync(dirname(out), { recursive: true });
const cc = process.env.CC || "cc";
const r = spawnSync(cc, ["-O2", "-fPIC", "-shared", "-Wall", "-DNODE_GYP_MODULE_NAME=autodim_blas", `-I${include}`, join(root, "native", "blas.c"), "-o", out, "-ldl"], { encoding: "utf8" });
if (r.status !== 0) {
  console.warn(`autodim: building the OpenBLAS matmul addon failed (${r.error ? r.error.message : r.stderr.trim()}); matmuls will run on wasm`);
  process.exit(0);
}
console.log(`autodim: built ${out}`);
