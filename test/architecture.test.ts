// The shape of src/: imports only point down the layers (DESIGN: core → data → tables → models →
// train → embedding → methods → accel → experiments → notebooks / bench → cli), the compute
// engine (src/accel/) sits above the method, so method, model and training code cannot reach it
// (the engine plugs in through tf.registerKernel and the hooks below it), and the AutoDim
// algorithm stays alone in its file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";

/** Folders of src/ from the bottom up; a folder may import its own and lower layers only. */
export const LAYERS: Record<string, number> = {
  core: 0,
  data: 1,
  tables: 2,
  models: 3,
  train: 4,
  embedding: 5,
  methods: 6,
  accel: 7,
  experiments: 8,
  notebooks: 9,
  bench: 9,
  cli: 10,
};

/** The folders of the method (data to methods): none of them may import the engine. */
const METHOD_FOLDERS = ["core", "data", "tables", "models", "train", "embedding", "methods"];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|cjs)$/.test(name) ? [p] : [];
  });
}

/** Every relative import or re-export of a file, resolved to a path under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(
      /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)|require\(\s*"([^"]+)"\s*\)/g,
    ),
  ].map((m) => m[1] ?? m[2] ?? m[3]);
  return specs.filter((s) => s.startsWith(".")).map((s) => normalize(join(dirname(file), s)));
}

/** `file`'s imports of the compute engine (src/accel/), when `file` is method code. */
function engineImports(file: string, imports: string[]): string[] {
  const from = layerOf(file);
  if (from === undefined || !METHOD_FOLDERS.includes(from)) return [];
  return imports.filter((t) => layerOf(t) === "accel").map((t) => `${file} → ${t}`);
}

function layerOf(path: string): string | undefined {
  const parts = relative("src", path).split("/");
  return parts.length > 1 ? parts[0] : undefined;
}

test("imports only point down the layers of src/", () => {
  const upward: string[] = [];
  const files = sources("src");
  for (const folder of new Set(files.map(layerOf)))
    if (folder !== undefined) assert.ok(folder in LAYERS, `src/${folder}/ has no layer in LAYERS`);
  for (const file of files) {
    const from = layerOf(file);
    if (from === undefined) continue; // src/index.ts, the package root
    for (const target of importsOf(file)) {
      if (!target.startsWith("src/")) continue;
      const to = layerOf(target);
      assert.ok(to !== undefined, `${file} imports ${target}: only the package root sits outside the layers`);
      if (LAYERS[to] > LAYERS[from]) upward.push(`${file} (${from}) → ${target} (${to})`);
    }
  }
  assert.deepEqual(upward, []);
});

test("method, model and training code import nothing from the engine (src/accel/)", () => {
  const found = sources("src").flatMap((file) => engineImports(file, importsOf(file)));
  assert.deepEqual(found, []);
  // An injected import is caught: AutoDim's embedding asking for the wasm kernels directly.
  const injected = normalize(join("src/embedding", "../accel/wasm-kernels.js"));
  assert.deepEqual(engineImports("src/embedding/autodim.ts", [injected]), [
    "src/embedding/autodim.ts → src/accel/wasm-kernels.js",
  ]);
  assert.deepEqual(engineImports("src/experiments/why.ts", [injected]), [], "entry points may start the engine");
});

test("the check sees an upward import when there is one", () => {
  assert.deepEqual(
    importsOf("src/train/retrain.ts").filter((t) => layerOf(t) === "embedding"),
    [],
  );
  assert.ok(LAYERS.models < LAYERS.embedding && LAYERS.core === 0);
  // A line as the checker reads it: an upward import is caught by the same rule.
  const upwardLine = 'import { search } from "../embedding/search.js";';
  const target = normalize(join("src/train", /"([^"]+)"/.exec(upwardLine)?.[1] ?? ""));
  assert.equal(layerOf(target), "embedding");
  assert.ok(LAYERS[layerOf(target) as string] > LAYERS.train);
});

test("AutoDim reads in paper order in two files, with no engine code: autodim.ts (steps 1–3) and search.ts (4–5)", () => {
  const embedding = readFileSync("src/embedding/autodim.ts", "utf8");
  const search = readFileSync("src/embedding/search.ts", "utf8");
  const sections = (text: string) => [...text.matchAll(/\/\/ ─+ ([0-9–]+)\./g)].map((m) => m[1]);
  assert.deepEqual(sections(embedding), ["1–3", "3"]);
  assert.deepEqual(sections(search), ["4–5"]);
  for (const [file, text] of [
    ["autodim.ts", embedding],
    ["search.ts", search],
  ]) {
    assert.doesNotMatch(text, /class PlanEmbedding|function trainWithEmbedding|function retrain\(/, file);
    // No thread, worker or kernel branch: the engine plugs in below (ops, step strategy).
    assert.doesNotMatch(text, /Worker|worker_threads|Available\(\)|getKernel|AUTODIM_[A-Z_]+/, file);
  }
});

test("src/ type-checks as tslab compiles it for the notebooks (no strict checks, where zod would infer optional fields)", () => {
  const r = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "tsconfig.tslab.json"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("tests mirror src/ folder for folder, and `npm test` runs every folder", () => {
  // Suites with their own command (package.json) and shared material are not src folders.
  const ownSuites = ["acceptance", "ui", "slurm", "fixtures"];
  const testFolders = readdirSync("test").filter((n) => statSync(join("test", n)).isDirectory());
  const unmatched = testFolders.filter((n) => !ownSuites.includes(n) && !(n in LAYERS));
  assert.deepEqual(unmatched, [], "a test folder with no src folder of the same name");
  const loose = readdirSync("test").filter((n) => n.endsWith(".test.ts") && n !== "architecture.test.ts");
  assert.deepEqual(loose, [], "tests of a src module live in the folder of its layer");
  const script = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts.test;
  for (const n of testFolders.filter((f) => f in LAYERS))
    assert.ok(script.includes(`test/${n}/*.test.ts`), `npm test does not run test/${n}/`);
});

test("every file with a slow test is in `npm run test:slow`, and CI runs it after `npm test`", () => {
  const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;
  const slowFiles = sources("test").filter(
    (f) => f.endsWith(".test.ts") && /test\("slow: /.test(readFileSync(f, "utf8")),
  );
  assert.ok(slowFiles.length > 0);
  for (const f of slowFiles)
    assert.ok(scripts["test:slow"].includes(f), `${f} has a slow test but test:slow does not run it`);
  for (const f of sources("test").filter((x) => x.endsWith(".test.ts")))
    for (const m of readFileSync(f, "utf8").matchAll(/test\("slow: [^"]*", (\w+)/g))
      assert.equal(m[1], "SLOW", `${f}: a test named "slow: …" without the SLOW option`);
  const ci = readFileSync(".ci/run", "utf8");
  assert.ok(ci.indexOf("npm run test:slow") > ci.indexOf("npm test"), "CI runs npm run test:slow");
});

test("no source file in src/ is over 400 lines", () => {
  const long = sources("src")
    .map((file) => ({ file, lines: readFileSync(file, "utf8").split("\n").length - 1 }))
    .filter((x) => x.lines > 400)
    .map((x) => `${x.file}: ${x.lines}`);
  assert.deepEqual(long, []);
});
