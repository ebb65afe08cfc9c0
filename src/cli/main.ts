// `autodim <command>`: thin over src/. Results go to stdout, progress and warnings to stderr.
// Exit codes: 0 ok, 1 failure (bad data, runtime error), 2 usage error.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { initRuntime } from "../runtime/backend.js";
import { describeHardware, hardwareInfo } from "../runtime/hardware.js";
import { benchPrepare } from "../bench/prepare.js";
import { FORMAT_NAMES } from "../data/formats.js";
import { readManifest, summarizeManifest } from "../data/manifest.js";
import { DEFAULT_ROWS_PER_SHARD, prepare } from "../data/prepare.js";
import { AutodimError } from "../errors.js";
import { generateSynthetic, FIELD_NAMES, MAX_RANK, SYNTH_VERSION, type SynthTruth } from "../data/synthetic.js";
import { choiceFlag, intFlag, intListFlag, parseFlags, requireString, splitFlag, UsageError } from "./args.js";

const USAGE = `usage: autodim <command> [flags]

commands:
  synth    --rows N --seed S [--ranks r1,...,r39] --out FILE
           write planted-rank synthetic data in raw Criteo layout (+ FILE.truth.json)
  prepare  --format ${FORMAT_NAMES.join("|")} --input FILE --out DIR [--min-count 10]
           [--split 8:1:1] [--seed 2026] [--on-bad-row error|skip] [--avazu-time-fields]
           [--rows-per-shard N]
           encode a raw file into id shards + manifest.json (reused when input and options match)
  summary  --data DIR          print a prepared data set's summary
  backend                      print the tfjs backend this machine uses
  bench    [--rows N] [--json] benchmarks: prepare encode throughput on generated raw Criteo text
  main     [--rows N] [--seed S] [--dir DIR]
           the main job on the embedded default data (synthetic; see README)

environment: AUTODIM_BACKEND=node|wasm|cpu forces a backend; AUTODIM_QUIET=1 hides progress.`;

export const DEFAULT_SEED = 2026;
export const DEFAULT_SYNTH_ROWS = 200_000;

type Command = (argv: string[]) => Promise<void>;

const commands: Record<string, Command> = {
  async synth(argv) {
    const f = parseFlags("synth", argv, { rows: { type: "string" }, seed: { type: "string" }, ranks: { type: "string" }, out: { type: "string" } });
    const ranks = intListFlag(f, "ranks", 0, MAX_RANK);
    if (ranks && ranks.length !== FIELD_NAMES.length) throw new UsageError(`--ranks needs ${FIELD_NAMES.length} values (I1..I13, C1..C26), got ${ranks.length}`);
    const out = requireString(f, "out");
    const truth = await generateSynthetic(out, { rows: intFlag(f, "rows", DEFAULT_SYNTH_ROWS, 1), seed: intFlag(f, "seed", DEFAULT_SEED, 0), ranks });
    console.log(`wrote ${out} (${truth.rows} rows, click rate ${truth.clickRate.toFixed(4)}, ceiling AUC ${truth.ceilingAuc.toFixed(4)}) and ${out}.truth.json`);
  },

  async prepare(argv) {
    const f = parseFlags("prepare", argv, {
      format: { type: "string" },
      input: { type: "string" },
      out: { type: "string" },
      "min-count": { type: "string" },
      split: { type: "string" },
      seed: { type: "string" },
      "on-bad-row": { type: "string" },
      "avazu-time-fields": { type: "boolean" },
      "rows-per-shard": { type: "string" },
    });
    const format = choiceFlag(f, "format", FORMAT_NAMES);
    if (f["avazu-time-fields"] && format !== "avazu") throw new UsageError(`--avazu-time-fields applies to --format avazu only`);
    const { manifest, reused } = await prepare({
      format,
      input: requireString(f, "input"),
      out: requireString(f, "out"),
      minCount: intFlag(f, "min-count", 10, 1),
      split: splitFlag(f, "split", [0.8, 0.1, 0.1]),
      seed: intFlag(f, "seed", DEFAULT_SEED, 0),
      onBadRow: choiceFlag(f, "on-bad-row", ["error", "skip"] as const, "error"),
      avazuTimeFields: f["avazu-time-fields"] === true,
      rowsPerShard: intFlag(f, "rows-per-shard", DEFAULT_ROWS_PER_SHARD, 1, 1 << 26),
    });
    console.log(`${reused ? "reused" : "prepared"} ${f.out}`);
    console.log(summarizeManifest(manifest));
  },

  async summary(argv) {
    const f = parseFlags("summary", argv, { data: { type: "string" } });
    console.log(summarizeManifest(readManifest(requireString(f, "data"))));
  },

  async backend(argv) {
    parseFlags("backend", argv, {});
    const info = await initRuntime();
    console.log(`backend ${info.backend} (tfjs ${info.tfjsVersion}${info.kernelFixes.length ? `, kernel fixes: ${info.kernelFixes.join(", ")}` : ""})`);
    for (const why of info.fallbacks) console.log(`  passed over ${why}`);
    console.log(`hardware ${describeHardware()}`);
  },

  async bench(argv) {
    const f = parseFlags("bench", argv, { rows: { type: "string" }, json: { type: "boolean" } });
    const rows = intFlag(f, "rows", 1_000_000, 1000);
    const info = await initRuntime();
    const r = await benchPrepare(rows);
    const report = { date: new Date().toISOString(), backend: info.backend, hardware: hardwareInfo(), prepare: r };
    if (f.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log(`hardware ${describeHardware(report.hardware)}; backend ${info.backend}`);
    console.log(`prepare (raw Criteo layout, ${r.rows} rows, ${r.megabytes.toFixed(0)} MB): pass 1 count ${r.countMBps.toFixed(0)} MB/s, pass 2 encode ${r.encodeMBps.toFixed(0)} MB/s (target ≥ 100), total ${r.totalSeconds.toFixed(1)} s, peak RSS ${r.peakRssMB.toFixed(0)} MB`);
  },

  async main(argv) {
    const f = parseFlags("main", argv, { rows: { type: "string" }, seed: { type: "string" }, dir: { type: "string" } });
    const rows = intFlag(f, "rows", DEFAULT_SYNTH_ROWS, 1000);
    const seed = intFlag(f, "seed", DEFAULT_SEED, 0);
    const dir = typeof f.dir === "string" ? f.dir : join("data", "synthetic");
    const info = await initRuntime();
    console.log(`backend ${info.backend}; hardware ${describeHardware()}`);
    const raw = join(dir, `criteo-synth-${rows}-s${seed}.txt`);
    if (!sameSynth(raw, rows, seed)) {
      console.log(`generating ${raw} ...`);
      await generateSynthetic(raw, { rows, seed });
    }
    const truth = JSON.parse(readFileSync(`${raw}.truth.json`, "utf8")) as SynthTruth;
    const out = join(dir, `prepared-${rows}-s${seed}`);
    const { manifest, reused } = await prepare({
      format: "criteo",
      input: raw,
      out,
      minCount: 10,
      split: [0.8, 0.1, 0.1],
      seed,
      onBadRow: "error",
      avazuTimeFields: false,
      rowsPerShard: DEFAULT_ROWS_PER_SHARD,
    });
    console.log(`${reused ? "reused" : "prepared"} ${out}`);
    console.log(summarizeManifest(manifest));
    console.log(`planted ranks: ${truth.fields.map((n, i) => `${n}=${truth.ranks[i]}`).join(" ")}`);
    console.log(`ceiling AUC (true logits on all rows) ${truth.ceilingAuc.toFixed(4)}, click rate ${truth.clickRate.toFixed(4)}`);
  },
};

function sameSynth(raw: string, rows: number, seed: number): boolean {
  const truthFile = `${raw}.truth.json`;
  if (!existsSync(raw) || !existsSync(truthFile)) return false;
  try {
    const t = JSON.parse(readFileSync(truthFile, "utf8")) as SynthTruth;
    return t.rows === rows && t.seed === seed && t.version === SYNTH_VERSION;
  } catch {
    return false;
  }
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  try {
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
    await command(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`autodim: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof AutodimError || (err as NodeJS.ErrnoException).code === "ENOENT") {
      process.stderr.write(`autodim ${name}: ${(err as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`autodim ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
