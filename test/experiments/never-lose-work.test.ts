// Issue 32, the second red-team: outputs that would overwrite inputs, a source that grows
// while prepare reads it, a warm start onto another vocabulary, UTF-8 headers, the notebook
// runner's paths, sizes that cannot fit in memory, two runs on one checkpoint folder, and the
// weak cases' one-line errors. Real processes of `node bin/autodim.js` throughout; the data are
// the 200-row Criteo sample, so every run takes seconds.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { selectNotebooks } from "../../src/notebooks/run.js";
import { parseWeightsFile } from "../../src/tables/weights.js";
import { DataError } from "../../src/data/data-error.js";
import { CRITEO_DEEPCTR, prepareQuiet, preparedFile, snapshot, tempDir } from "../helpers.js";

const CLI = join(process.cwd(), "bin", "autodim.js");
const NO_STACK = /\n\s+at [^\n]+:\d+:\d+/;

function autodim(args: string[], opts: { env?: Record<string, string>; cwd?: string; bin?: string } = {}) {
  const r = spawnSync(process.execPath, [opts.bin ?? CLI, ...args], {
    encoding: "utf8",
    cwd: opts.cwd,
    env: { ...process.env, AUTODIM_QUIET: "1", AUTODIM_THREADS: "1", ...opts.env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

type Run = ReturnType<typeof autodim>;
type Case = { args: readonly string[]; env?: Record<string, string>; cwd?: string };

/** Runs the cases as real processes, three at a time (they are independent refusals), in order. */
async function autodimAll(cases: Case[]): Promise<Run[]> {
  const results: Run[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < cases.length; i = next++) {
      const c = cases[i];
      results[i] = await new Promise<Run>((resolve) => {
        const child = spawn(process.execPath, [CLI, ...c.args], {
          cwd: c.cwd,
          env: { ...process.env, AUTODIM_QUIET: "1", AUTODIM_THREADS: "1", ...c.env },
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString()));
        child.stderr.on("data", (b: Buffer) => (err += b.toString()));
        child.on("close", (code) => resolve({ code, out, err }));
      });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return results;
}

/** A usage error: exit 2, the message, "see --help", no stack trace. */
function usageError(r: ReturnType<typeof autodim>, message: RegExp): void {
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, message);
  assert.match(r.err, /\nsee `autodim [\w ]*--help`\n$/);
  assert.equal(r.err.trim().split("\n").length, 2, r.err);
  assert.doesNotMatch(r.err, NO_STACK);
}

/** An error the data or a file causes: exit 1, one line. */
function dataError(r: ReturnType<typeof autodim>, message: RegExp): void {
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, message);
  assert.doesNotMatch(r.err, NO_STACK);
}

const prepareArgs = (input: string, out: string, extra: string[] = []) => [
  "prepare",
  "--format",
  "criteo-deepctr",
  "--input",
  input,
  "--out",
  out,
  "--min-count",
  "1",
  ...extra,
];

let dir = "";
let data = "";
let plan = "";
let weights = "";

before(() => {
  dir = tempDir();
  data = join(dir, "data");
  assert.equal(autodim(prepareArgs(CRITEO_DEEPCTR, data)).code, 0);
  plan = join(dir, "plan.json");
  weights = join(dir, "w.bin");
  const s = autodim([
    "search",
    ...["--data", data, "--model", "fm", "--out", plan, "--save-weights", weights],
    ...["--epochs", "1", "--batch-size", "64"],
  ]);
  assert.equal(s.code, 0, s.err);
});

test("an output that is an input, another output or inside a prepared data folder is refused before any work; inputs unchanged", async () => {
  const keep = join(dir, "keep.json");
  writeFileSync(keep, '{"mine": true}\n');
  const files = [plan, weights, keep];
  const bytes = () => files.map((f) => readFileSync(f).toString("base64"));
  const before = { files: bytes(), data: snapshot(data) };
  const retrain = ["retrain", "--data", data, "--model", "fm", "--epochs", "1"];
  const search = ["search", "--data", data, "--model", "fm", "--epochs", "1"];
  const cases = [
    [
      [...retrain, "--plan", plan, "--out", plan],
      /--out .*plan\.json is the --plan file: the run would overwrite its own input/,
    ],
    [
      [...retrain, "--plan", plan, "--warm-start", "--out", weights],
      /--out .*w\.bin is the --plan's weights file: the run would overwrite its own input/,
    ],
    [
      [...search, "--out", keep, "--save-weights", keep],
      /--save-weights .*keep\.json is also --out: one output would overwrite the other/,
    ],
    // The same file by another spelling is the same file.
    [[...search, "--out", keep, "--save-weights", join(dir, ".", "sub", "..", "keep.json")], /is also --out/],
    [
      [...search, "--out", join(data, "manifest.json")],
      /--out .*manifest\.json is inside the prepared data folder .*data: only `autodim prepare` writes there/,
    ],
    [
      [...search, "--out", join(dir, "p3.json"), "--checkpoint-dir", join(data, "ckpt")],
      /--checkpoint-dir .*ckpt is inside the prepared data folder/,
    ],
    [
      [...search, "--out", join(dir, "p2.json"), "--checkpoint-dir", data],
      /--checkpoint-dir .*data is the --data folder: the run would overwrite its own input/,
    ],
    [
      ["run", "--method", "fde", "--data", data, "--model", "fm", "--out", join(data, "r.json")],
      /inside the prepared data folder/,
    ],
    [["synth", "--rows", "10", "--seed", "1", "--out", join(data, "synth.txt")], /inside the prepared data folder/],
    [prepareArgs(CRITEO_DEEPCTR, join(data, "nested")), /--out .*nested is inside the prepared data folder/],
    [prepareArgs(join(data, "manifest.json"), data), /--input .*manifest\.json is a file of the data set in --out/],
  ] as const;
  const runs = await autodimAll(cases.map(([args]) => ({ args })));
  cases.forEach(([, message], i) => usageError(runs[i], message));
  assert.deepEqual(bytes(), before.files, "plan, weights and the user's file byte for byte");
  assert.deepEqual(snapshot(data), before.data, "the data set byte for byte");
  assert.equal(autodim(["summary", "--data", data]).code, 0, "the data set still reads");
});

test("a source that grows while prepare reads it fails, the old data set stays; a rerun prepares all rows", async () => {
  const src = join(dir, "growing.csv");
  const lines = readFileSync(CRITEO_DEEPCTR, "utf8").trimEnd().split("\n");
  // ~13 MB: pass 2 lasts long enough to append during it (one thread, below the 32 MB worker threshold).
  writeFileSync(src, [lines[0], ...Array.from({ length: 250 }, () => lines.slice(1)).flat()].join("\n") + "\n");
  const out = join(dir, "growing");
  assert.equal(autodim(prepareArgs(src, out, ["--threads", "0"])).code, 0);
  const previous = snapshot(out);
  const child = spawn(process.execPath, [CLI, ...prepareArgs(src, out, ["--threads", "0", "--seed", "3"])], {
    env: { ...process.env, AUTODIM_QUIET: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<number | null>((resolve) => child.on("exit", resolve));
  // counts.u32 is written between the passes: append then, while pass 2 reads.
  const oldFolders = new Set(Object.keys(previous).map((f) => f.split("/")[0]));
  let appended = false;
  const poll = setInterval(() => {
    if (appended) return;
    const gen = readdirSync(out).filter((f) => f.startsWith("data-") && !oldFolders.has(f));
    if (gen.some((g) => existsSync(join(out, g, "counts.u32")))) {
      appendFileSync(src, (lines.slice(1, 151).join("\n") + "\n").repeat(20));
      appended = true;
    }
  }, 2);
  const code = await done;
  clearInterval(poll);
  assert.ok(appended, `the append happened during the run: ${stderr}`);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /growing\.csv: grew from \d+ to \d+ bytes while prepare read it; nothing was replaced/);
  assert.deepEqual(snapshot(out), previous, "the old data set byte for byte");
  // The grown file is prepared whole now: not "reused", every row there.
  const again = autodim(prepareArgs(src, out, ["--threads", "0"]));
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /^prepared /);
  const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as {
    rows: Record<string, number>;
    source: { bytes: number };
  };
  assert.equal(m.rows.train + m.rows.val + m.rows.test, 250 * 200 + 20 * 150);
  assert.equal(m.source.bytes, readFileSync(src).length);
});

test("warm start onto a data set of the same source with another split seed is refused: same shapes, other vocabulary", () => {
  const header = parseWeightsFile(readFileSync(weights), weights).meta;
  const manifest = JSON.parse(readFileSync(join(data, "manifest.json"), "utf8")) as { vocab: { sha256: string } };
  assert.equal(header.vocabSha256, manifest.vocab.sha256, "the weights name the vocabulary they index");
  // Ten values per field, each in every split: --seed 1 and --seed 7 keep the same values
  // (the same table shapes) in another order (by training count).
  const src = join(dir, "ten.csv");
  const rows = Array.from({ length: 3000 }, (_, i) => `${(i * 7) % 10},${(i * 3) % 10},${(i * 13) % 2}`);
  writeFileSync(src, ["a,b,click", ...rows].join("\n") + "\n");
  const prep = (seed: string) => {
    const out = join(dir, `ten-${seed}`);
    const r = autodim([
      ...["prepare", "--format", "csv", "--input", src, "--out", out, "--label", "click", "--min-count", "1"],
      ...["--seed", seed],
    ]);
    assert.equal(r.code, 0, r.err);
    return { out, m: JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as ManifestShape };
  };
  type ManifestShape = { vocab: { sha256: string }; fields: { vocabularySize: number }[]; source: { sha256: string } };
  const one = prep("1");
  const seven = prep("7");
  assert.deepEqual(
    one.m.fields.map((f) => f.vocabularySize),
    seven.m.fields.map((f) => f.vocabularySize),
    "same shapes (all the old check compared, with the source sha256)",
  );
  assert.equal(one.m.source.sha256, seven.m.source.sha256);
  assert.notEqual(one.m.vocab.sha256, seven.m.vocab.sha256);
  const p = join(dir, "ten-plan.json");
  const w = join(dir, "ten-w.bin");
  const s = autodim([
    ...["search", "--data", one.out, "--model", "fm", "--out", p, "--save-weights", w],
    ...["--epochs", "1", "--batch-size", "256", "--candidates", "2,4"],
  ]);
  assert.equal(s.code, 0, s.err);
  const warm = (target: string, out: string) =>
    autodim([
      ...["retrain", "--data", target, "--model", "fm", "--plan", p, "--warm-start", "--epochs", "1"],
      ...["--batch-size", "256", "--out", out],
    ]);
  dataError(
    warm(seven.out, join(dir, "warm7.json")),
    /ten-w\.bin: its tables index another vocabulary \(hash [0-9a-f]{12}…, --data .*ten-7 has [0-9a-f]{12}…: prepared with another --seed, --split or --min-count\)/,
  );
  assert.equal(existsSync(join(dir, "warm7.json")), false);
  const same = warm(one.out, join(dir, "warm1.json"));
  assert.equal(same.code, 0, same.err);
});

test("a plan searched on another source is refused unless --allow-other-data", () => {
  const src = join(dir, "fewer.csv");
  writeFileSync(src, readFileSync(CRITEO_DEEPCTR, "utf8").trimEnd().split("\n").slice(0, 180).join("\n") + "\n");
  const other = join(dir, "other-source");
  assert.equal(autodim(prepareArgs(src, other)).code, 0);
  const args = ["retrain", "--data", other, "--model", "fm", "--plan", plan, "--epochs", "1", "--batch-size", "64"];
  dataError(
    autodim([...args, "--out", join(dir, "o.json")]),
    /--plan .*plan\.json: searched on other data \(source sha256 [0-9a-f]{12}…, --data .* is [0-9a-f]{12}…\); add --allow-other-data/,
  );
  const ok = autodim([...args, "--allow-other-data", "--out", join(dir, "o.json")]);
  assert.equal(ok.code, 0, ok.err);
});

test("UTF-8 headers and values: `prénom` can be named; Latin-1 is refused at FILE:LINE or read with --encoding latin1; vocab.jsonl is UTF-8", () => {
  const rows = ["Zoé,Saint-Étienne,1", "Léa,Paris,0", "Zoé,Paris,1", "Noël,Saint-Étienne,0"];
  const utf8 = join(dir, "people.csv");
  writeFileSync(utf8, ["prénom,ville,cliqué", ...rows, ...rows].join("\n") + "\n", "utf8");
  const csv = (input: string, out: string, extra: string[] = []) => [
    ...["prepare", "--format", "csv", "--input", input, "--out", out, "--min-count", "1", "--split", "2:1:1"],
    ...["--label", "cliqué", "--fields", "prénom,ville", ...extra],
  ];
  const strict = new TextDecoder("utf-8", { fatal: true });
  const vocabOf = (out: string) =>
    strict
      .decode(readFileSync(preparedFile(out, "vocab.jsonl")))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { field: string; values: string[] });
  const a = autodim(csv(utf8, join(dir, "utf8")));
  assert.equal(a.code, 0, a.err);
  const m = JSON.parse(readFileSync(join(dir, "utf8", "manifest.json"), "utf8")) as { fields: { name: string }[] };
  assert.deepEqual(
    m.fields.map((f) => f.name),
    ["prénom", "ville"],
  );
  const vocab = vocabOf(join(dir, "utf8"));
  assert.deepEqual(vocab[0].field, "prénom");
  assert.ok(vocab[0].values.includes("Zoé") && vocab[1].values.includes("Saint-Étienne"), JSON.stringify(vocab));

  // The same file in Latin-1: a header that is not UTF-8 is named at line 1, a value at its line.
  const latin1 = join(dir, "people-latin1.csv");
  writeFileSync(latin1, readFileSync(utf8, "utf8"), "latin1");
  dataError(
    autodim(csv(latin1, join(dir, "latin1"))),
    /people-latin1\.csv:1: the header is not valid UTF-8; if the file is Latin-1 \(ISO-8859-1\), prepare with --encoding latin1/,
  );
  const valueOnly = join(dir, "value-latin1.csv");
  writeFileSync(
    valueOnly,
    Buffer.concat([Buffer.from("name,ville,cliqué\nAnna,Paris,1\n", "utf8"), Buffer.from("Zoé,Paris,0\n", "latin1")]),
  );
  dataError(
    autodim([
      ...["prepare", "--format", "csv", "--input", valueOnly, "--out", join(dir, "v")],
      ...["--label", "cliqué", "--min-count", "1"],
    ]),
    /value-latin1\.csv:3: not valid UTF-8: byte 0xE9 at column 3 of the line; if the file is Latin-1 \(ISO-8859-1\), prepare with --encoding latin1/,
  );
  const b = autodim(csv(latin1, join(dir, "latin1"), ["--encoding", "latin1"]));
  assert.equal(b.code, 0, b.err);
  assert.deepEqual(vocabOf(join(dir, "latin1")), vocab, "the same values, as UTF-8");
});

test("the notebook runner takes a path as a path: an outside notebook is never mapped onto the repo's", () => {
  const repoNotebook = join("notebooks", "01-data.ipynb");
  const bytes = readFileSync(repoNotebook);
  const outside = join(tempDir(), "some", "other");
  const path = join(outside, "01-data.ipynb");
  const run = (args: string[]) => autodim(args, { bin: join(process.cwd(), "bin", "notebooks.js") });
  // Not there: an error naming the path (the repo's 01-data is not run instead).
  const missing = run([path]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /notebook .*some\/other\/01-data\.ipynb not found \(a path is taken as a path/);
  // There, but not a notebook: it is the file read, not notebooks/01-data.ipynb.
  mkdirSync(outside, { recursive: true });
  writeFileSync(path, "not json");
  const bad = run([path]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /some\/other\/01-data\.ipynb: not a notebook/);
  assert.deepEqual(readFileSync(repoNotebook), bytes, "the repo's notebook byte for byte");
  assert.deepEqual(selectNotebooks([path]), [path]);
  assert.deepEqual(selectNotebooks(["01-data.ipynb"]), [repoNotebook], "a bare name still picks from notebooks/");
  const noScale = run(["--scale"]);
  assert.equal(noScale.code, 2);
  assert.match(noScale.err, /notebooks: --scale needs a value \(smoke, quick, paper/);
  assert.doesNotMatch(noScale.err, /undefined/);
});

test("--candidates 4096 and a plan of size 100000 are refused before training with the memory they would need", () => {
  const started = Date.now();
  usageError(
    autodim(["search", "--data", data, "--model", "fm", "--out", join(dir, "big.json"), "--candidates", "4096"]),
    /--candidates 4096 \(--batch-size 2000, 39 fields, \d+ features\): one training step would need about [\d.]+ GB of tensors, more than the 2\.1 GB tfjs can address; choose smaller candidates or a smaller --batch-size/,
  );
  const p = JSON.parse(readFileSync(plan, "utf8")) as {
    candidates: number[];
    config: { candidates: number[] };
    fields: { dim: number }[];
  };
  const top = p.candidates[p.candidates.length - 1];
  p.candidates = [...p.candidates.slice(0, -1), 100000];
  p.config.candidates = p.candidates;
  for (const f of p.fields) if (f.dim === top) f.dim = 100000;
  p.fields[0].dim = 100000;
  writeFileSync(join(dir, "big-plan.json"), JSON.stringify(p));
  dataError(
    autodim([
      "retrain",
      "--data",
      data,
      "--model",
      "fm",
      "--plan",
      join(dir, "big-plan.json"),
      "--out",
      join(dir, "b.json"),
    ]),
    /--plan .*big-plan\.json: sizes up to 100000, output 100000 \(--batch-size 512\): one training step would need about [\d.]+ GB/,
  );
  assert.ok(Date.now() - started < 30_000, "refused at once, not after a minute of training");
});

test("two runs on one checkpoint folder: the second is refused while the first holds it; the first finishes", async () => {
  const ckpt = join(dir, "ckpt");
  const first = spawn(
    process.execPath,
    [
      CLI,
      ...["search", "--data", data, "--model", "fm", "--out", join(dir, "c1.json"), "--checkpoint-dir", ckpt],
      ...["--epochs", "400", "--batch-size", "16", "--checkpoint-every", "50"],
    ],
    { env: { ...process.env, AUTODIM_QUIET: "1", AUTODIM_THREADS: "1" }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let firstErr = "";
  first.stderr.on("data", (b: Buffer) => (firstErr += b.toString()));
  const firstDone = new Promise<number | null>((resolve) => first.on("exit", resolve));
  const lock = join(ckpt, ".checkpoint.lock");
  while (!existsSync(lock)) await new Promise((r) => setTimeout(r, 20));
  const second = autodim([
    ...["search", "--data", data, "--model", "fm", "--out", join(dir, "c2.json"), "--checkpoint-dir", ckpt],
    ...["--epochs", "1"],
  ]);
  const still = first.exitCode === null;
  dataError(
    second,
    /--checkpoint-dir .*ckpt: in use by pid \d+ on .* \(autodim search\) since .*; give each run its own --checkpoint-dir/,
  );
  assert.ok(still, "the first run held the folder while the second was refused");
  assert.equal(await firstDone, 0, firstErr);
  assert.equal(existsSync(join(dir, "c2.json")), false);
  assert.ok(JSON.parse(readFileSync(join(dir, "c1.json"), "utf8")).fields.length > 0);
  assert.equal(existsSync(lock), false, "released at exit");
  // Free again: a resume of the first run takes it.
  const resumed = autodim([
    ...["search", "--data", data, "--model", "fm", "--out", join(dir, "c1.json"), "--checkpoint-dir", ckpt],
    ...["--epochs", "400", "--batch-size", "16", "--checkpoint-every", "50", "--resume"],
  ]);
  assert.equal(resumed.code, 0, resumed.err);
});

test("weak cases: one line each, usage errors exit 2", async () => {
  const out = join(dir, "weak.json");
  const search = ["search", "--data", data, "--model", "fm", "--out", out];
  // Real processes where the process matters: the environment, the command dispatch, the cell.
  const cases: [Case, RegExp][] = [
    [{ args: search, env: { AUTODIM_THREADS: "abc" } }, /AUTODIM_THREADS must be an integer from 1 to 64, got "abc"/],
    [{ args: ["help", "nosuch"] }, /autodim help: unknown command "nosuch"; commands: /],
    // The cell index is checked against the stage's cells (in a scratch folder: it writes results/).
    [
      { args: ["cell", "methods", "99999", "--scale", "smoke"], cwd: tempDir() },
      /cell 99999: this stage has cells 0–\d+/,
    ],
  ];
  const runs = await autodimAll(cases.map(([c]) => c));
  cases.forEach(([, message], i) => usageError(runs[i], message));
  // Flags: in this process, through the CLI's own entry and error printer.
  const { run } = await import("../../src/cli/main.js");
  for (const [args, message] of [
    [[...search, "--epochs", "1", "--epochs", "2"], /--epochs is given twice; give it once/],
    [[...search, "-epochs", "1"], /-epochs: flags take two dashes: --epochs/],
    [
      [...search, "--seed", "9007199254740993"],
      /--seed must be an integer ≥ 0, got 9007199254740993: beyond 9007199254740991 \(2\^53−1\)/,
    ],
    [[...search, "--batch-size", "1"], /--batch-size 1: the search's BatchNorm needs at least 2 rows per batch/],
    [
      ["retrain", "--data", data, "--model", "deepfm", "--dim", "4", "--batch-size", "1", "--out", out],
      /--batch-size 1: deepfm's BatchNorm needs at least 2 rows per batch/,
    ],
  ] as const) {
    let err = "";
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await run([...args]);
    } finally {
      process.stderr.write = write;
    }
    usageError({ code, out: "", err }, message);
  }
  assert.equal(existsSync(out), false);
});

// In-process: these messages are prepare's own (the CLI prints them as one line, as above).
test("input errors say what the input is: a folder, a link loop, gzip, CR-only line ends, an integer beyond 2^53", async () => {
  const d = tempDir();
  symlinkSync(join(d, "loop"), join(d, "loop"));
  const gz = join(d, "data.tsv");
  writeFileSync(gz, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]));
  const cr = join(d, "mac.csv");
  writeFileSync(cr, readFileSync(CRITEO_DEEPCTR, "utf8").split("\n").slice(0, 20).join("\r"));
  const big = join(d, "big.csv");
  const lines = readFileSync(CRITEO_DEEPCTR, "utf8").split("\n");
  const cols = lines[1].split(",");
  cols[1] = "12345678901234567890123";
  writeFileSync(big, [lines[0], cols.join(","), ...lines.slice(2)].join("\n"));
  for (const [input, message] of [
    [d, /: input is a folder; give the data file inside it/],
    [join(d, "loop"), /loop: input is a symbolic link that points to itself \(a loop, ELOOP\)/],
    [gz, /data\.tsv: input is gzip-compressed \(whatever its name says\); decompress it first: gunzip -k/],
    [cr, /mac\.csv: input has lines ending in CR only \(classic Mac\), no LF/],
    [big, /big\.csv:2: field I1: integer "12345678901234567890123" is beyond ±9007199254740991 \(2\^53−1\)/],
  ] as const) {
    await assert.rejects(
      prepareQuiet({ input, format: "criteo-deepctr", out: join(d, "out") }),
      (e: Error) => e instanceof DataError && message.test(e.message) && e.message.includes(input),
    );
  }
});

test("a training split of one class is warned about on stderr", () => {
  const d = tempDir();
  writeFileSync(join(d, "train.csv"), "click,a\n" + "1,x\n1,y\n".repeat(20));
  writeFileSync(join(d, "val.csv"), "click,a\n" + "1,x\n0,y\n".repeat(5));
  writeFileSync(join(d, "test.csv"), "click,a\n" + "1,x\n0,y\n".repeat(5));
  const out = join(d, "p");
  const prep = autodim([
    ...["prepare", "--format", "csv", "--label", "click", "--min-count", "1", "--out", out],
    ...["--train", join(d, "train.csv"), "--val", join(d, "val.csv"), "--test", join(d, "test.csv")],
  ]);
  assert.equal(prep.code, 0, prep.err);
  const r = autodim([
    "retrain",
    "--data",
    out,
    "--model",
    "fm",
    "--dim",
    "4",
    "--epochs",
    "1",
    "--out",
    join(d, "r.json"),
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.err,
    /warning: .*p: the training split's 40 rows are all positive: the model can only learn to predict that/,
  );
});
