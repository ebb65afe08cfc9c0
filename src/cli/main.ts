// `autodim <command>`: thin over src/. Results go to stdout, progress and warnings to stderr.
// Exit codes: 0 ok, 1 failure (bad data, runtime error), 2 usage error.
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import {
  announceGemmOnInit,
  backendLabel,
  DEFAULT_THREADS,
  initRuntime,
  setComputeThreads,
  threadsFromEnvironment,
} from "../runtime/backend.js";
import { describeHardware, hardwareInfo } from "../runtime/hardware.js";
import { codeVersion } from "../runtime/version.js";
import { startLog, withLog } from "../runtime/run-log.js";
import { benchPrepare } from "../bench/prepare.js";
import { PAPER_TABLE_WORK, paperProjection, REHEARSAL_ROWS, rehearse } from "../bench/rehearsal.js";
import {
  BENCH_BATCH,
  benchRetrain,
  benchSearch,
  benchVocabScaling,
  runPeer,
  type PhaseRun,
} from "../bench/training.js";
import { ENCODINGS, FORMAT_NAMES, GENERIC_FORMATS } from "../data/formats.js";
import { readManifest, summarizeManifest } from "../data/manifest.js";
import { DEFAULT_ROWS_PER_SHARD, prepare, sha256File } from "../data/prepare.js";
import { AutodimError } from "../errors.js";
import { writeFileAtomic } from "../runtime/files.js";
import { DEFAULT_SEED, DEFAULT_SYNTH_ROWS, SCALES, syntheticDataset, type Scale } from "../experiments/datasets.js";
import { createHash } from "node:crypto";
import {
  EXPERIMENTS,
  experimentData,
  experimentDataMissing,
  finishedResult,
  saveOutput,
  type Experiment,
} from "../experiments/registry.js";
import { flagOverrides, mergeSettings, overridesLabel, readConfigFile } from "../experiments/overrides.js";
import { flagHelp } from "./flag-help.js";
import {
  cellCommand,
  jobActive,
  listCells,
  missingReport,
  readSubmissions,
  runOneCell,
  submitSlurm,
} from "./schedule.js";
import { useCheckpoints } from "../experiments/settings.js";
import {
  formatUserRange,
  joinMovieLens,
  MOVIELENS_FIELDS,
  MOVIELENS_SUBSET,
  parseUserRange,
} from "../data/movielens.js";
import { runNotebook, selectNotebooks } from "../notebooks/run.js";
import { RESULTS_DIR } from "../experiments/report.js";
import { closeFigures, FIGURES_DIR } from "../experiments/figures.js";
import { lockCheckpointFolder, type CheckpointSettings } from "../train/checkpoint.js";

/** Training steps between checkpoints. */
const DEFAULT_CHECKPOINT_EVERY = 500;
import { generateSynthetic, FIELD_NAMES, MAX_RANK } from "../data/synthetic.js";
import { describeMainJob, runMainJob } from "./mainjob.js";
import { START_DIR, startJob } from "./start.js";
import { reportCommand } from "./report.js";
import { reportError } from "./errors.js";
import {
  checkOutputClashes,
  checkOutputFile,
  checkOutputFolder,
  checkPrepareClashes,
  type FlagPath,
} from "./outputs.js";
import {
  choiceFlag,
  intFlag,
  intListFlag,
  nameListFlag,
  numberFlag,
  parseFlags,
  requireString,
  splitFlag,
  UsageError,
} from "./args.js";
import { PreparedData } from "../data/batches.js";
import { retrain } from "../train/retrain.js";
import { search } from "../embedding/autodim.js";
import { undecidedFields } from "../embedding/diagnostics.js";
import {
  dimensionPlanSchema,
  readJsonFile,
  type DimensionPlan,
  type RetrainConfig,
  type SearchConfig,
  UNDECIDED_POLICIES,
} from "../train/schemas.js";
import { BATCH_NORM_MODELS, MODEL_NAMES } from "../models/ctr.js";
import { memoryProblem, retrainMemory, searchMemory } from "../train/memory.js";
import { spearman } from "../data/metrics.js";
import { METHOD_FLAGS, METHOD_NAMES, METHODS } from "../methods/registry.js";
import { logBeside, RUN_OPTIONAL_SETTINGS, runConfigChoice, runConfigFile } from "./run-config.js";
import { DEFAULT_SEARCH, QUICK_RETRAIN, QUICK_SEARCH, quickSettings } from "../methods/defaults.js";

const USAGE = `usage: autodim <command> [flags]      (autodim --version: the version and commit)

commands:
  synth    --rows N --seed S [--ranks r1,...,r39] --out FILE
           write planted-rank synthetic data in raw Criteo layout (+ FILE.truth.json)
  prepare  --format ${FORMAT_NAMES.join("|")} --input FILE --out DIR [--min-count 10]
           [--split 8:1:1] [--seed 2026] [--on-bad-row error|skip] [--avazu-time-fields]
           [--rows-per-shard N] [--threads N] [--encoding utf8|latin1]
           (or --train FILE --val FILE --test FILE instead of --input/--split: pre-split files)
           csv/tsv: [--label label] [--fields a,b] [--numeric x,y] [--delimiter C]
           libfm:   [--field-names a,b,...] [--numeric x,y]
           encode raw files into id shards + manifest.json (reused when inputs and options match)
  movielens --input ml-1m/ --out FILE [--users 1-2999|all]
           join MovieLens-1M's ratings/users/movies.dat into one TSV (label = rating > 3; fields userId,
           movieId, gender, age, occupation, zip, year, genres) for "prepare --format tsv"; --users keeps
           those users' ratings (default all). --users 1-2999 makes the committed results' subset and
           checks the file's sha256 against theirs
  summary  --data DIR          print a prepared data set's summary
  search   --data DIR --model fm|wd|deepfm|nfm|ipnn|autoint --out plan.json [--candidates 2,8,16,24,32]
           [--embedding shared|separate] [--unify linear|zeropad] [--freq 10] [--one-level | --second-order]
           [--epochs 1] [--warmup-steps 0] [--batch-size 2000] [--lr 1e-3] [--arch-lr 1e-3]
           [--tau-schedule fit | --tau-decay 5e-5] [--seed 2026] [--save-weights FILE] [--threads N] [--batch-parts 1|2]
           [--checkpoint-dir DIR [--checkpoint-every 500] [--resume]] [--undecided keep|max|fail] [--allow-divergence]
           AutoDim's dimension search: writes the dimension plan (and the supernet's weights) with
           diagnostics per field; warns when it decided a field's size no better than noise. Undecided
           fields keep α's argmax (keep), get the largest candidate (max), or fail the search (exit 1,
           the plan written)
  retrain  --data DIR --model fm|wd|deepfm|nfm|ipnn|autoint (--plan plan.json | --dim D)
           --out result.json
           [--projection linear|zeropad (default: the plan's unification)] [--epochs 12] [--patience 2] [--batch-size 512]
           [--lr 1e-3] [--embedding-l2 0] [--seed 2026] [--warm-start] [--allow-other-data] [--threads N] [--batch-parts 1|2]
           [--checkpoint-dir DIR [--checkpoint-every 500] [--resume]] [--allow-divergence]
           train the model with the plan's (or one) embedding size; test AUC, Logloss, Params (a plan
           searched on another source file needs --allow-other-data)
  run      --method ${METHOD_NAMES.join("|")} --data DIR
           --model fm|wd|deepfm|nfm|ipnn|autoint --out result.json [--config FILE.json (flags > file > defaults)]
           [--seed 2026] [--epochs 12] [--patience 2] [--batch-size 512] [--lr 1e-3] [--embedding-l2 0] [--threads N] [--batch-parts 1|2]
           ${METHOD_FLAGS.map((f) => `[--${f.flag} ${f.get(quickSettings("fm", DEFAULT_SEED))}] (${METHODS[f.method].label})`).join(" ")}
           [--checkpoint-dir DIR [--checkpoint-every 500] [--resume]] [--allow-divergence]
           one method of the paper's comparison at the quick scale: choose sizes, re-train, test
           (search, retrain and run write a log beside their --out: plan.log, result.log)
  backend                      print the tfjs backend this machine uses
  reproduce [EXPERIMENT|all] [--scale smoke|quick|paper|paper-avazu] [--force] [--out results] [--figures-out figures] [--notebooks]
           [--config FILE.json] [--seeds 1,2] [--models fm,wd] [--methods fde,autodim]   (one experiment; flags > file > defaults;
           the result goes to runs/custom/<experiment>-<scale>-<hash>/ unless --out says where)
           [--checkpoint-dir DIR [--checkpoint-every 500] [--resume]]
           run the notebooks' experiments without Jupyter (${Object.keys(EXPERIMENTS).join(", ")});
           tables to results/<name>-<scale>.{md,json}, figures to figures/; --notebooks then re-executes
           the matching notebooks in place (their outputs show those results). The *-movielens, -criteo
           and -avazu ones read real data you supply (data/README.md); \`all\` skips those whose data is absent
           (experiments finished earlier are kept unless --force; the main table's runs (model × method
           × seed) and the other runs are saved one by one under results/<name>-<scale>-runs/, resumed
           after an interruption, and shared by several reproduce processes started together, also on
           hosts sharing the folder)
  reproduce EXPERIMENT --list-cells [--scale S]
           one self-contained shell command per run cell (GNU parallel, a Kubernetes indexed Job, a loop)
  reproduce EXPERIMENT --slurm [--partition P] [--time HH:MM:SS] [--cpus 1] [--dry-run] [--wait] [--scale S]
           a Slurm array job, one task per unsaved cell; prints the job id. A later \`reproduce EXPERIMENT\`
           (or --wait) assembles once every cell is saved, else names the missing cells and their logs
  cell     EXPERIMENT INDEX [--scale S]
           compute exactly one run cell (of the first stage with unsaved cells) into results/
  bench    [--json] [--peer] [--steps 60] [--threads 1,2] [--split batch,ops] [--only search,retrain,scaling,prepare,rehearsal] [--rows N]
           the AutoDim training workload of bench/autodim_torch_reference.py (search and
           retrain samples/s, peak RSS; --peer runs the PyTorch reference too and prints the
           ratio), step time vs vocabulary size, and prepare's encode MB/s.
           --only rehearsal [--rows 10000000] [--dir DIR --keep]: a whole run at paper scale
           (planted data with Criteo's vocabularies: prepare, one search epoch, one DeepFM
           re-train epoch): wall time per phase, rows/s, peak RSS, disk (~1 h at 10M rows)
  main     [--rows N] [--seed S] [--dir DIR]
           the 5-minute end-to-end job on the default data (synthetic; see README)
  report   [--check] [--prose-only]
           fill README.md's and the notebooks' generated spans (<!-- autodim:begin NAME -->) from results/*.json
           and redraw the figures from the results' payloads (no training, no data); --check writes nothing
           and fails when a span or a figure disagrees with results/
  start    [--dir runs/start]
           what \`npm start\` runs (~8 minutes on 2 cores): every experiment at smoke scale into DIR,
           then the main job, printed beside the committed quick-scale results

search, retrain and run stop when the training loss grows 100× above its first steps' level (--allow-divergence
goes on); --resume=require makes a missing checkpoint an error instead of a fresh start.

environment: AUTODIM_DEBUG=1 adds stack traces to errors; AUTODIM_BACKEND=node|wasm|cpu forces a backend; AUTODIM_NATIVE_BLAS=0 keeps matmuls on wasm
(else the OpenBLAS addon runs them when built and libopenblas is installed); AUTODIM_NATIVE_EW=0 keeps element-wise ops on
wasm; AUTODIM_THREADS=N (or --threads N of search, retrain, run, reproduce, cell, main) sets the threads one run computes on,
default all cores; a seed gives the same bits at any thread count. --batch-parts 2 (search, retrain, run) computes each
batch in two parts with their own BatchNorm statistics — another arithmetic, the same at any thread count — whose second
part a second thread takes (data-parallel: see bench/README.md for the speed); runs side by side should take --threads 1;
AUTODIM_DATA_PARALLEL=0 computes both parts on one thread (=1 uses a second thread even for runs under 200k rows; neither
changes a number); AUTODIM_FUSED_MIX=0 composes the search's BatchNorm + mixture from tfjs ops;
AUTODIM_QUIET=1 hides progress.`;

export { DEFAULT_SEED, DEFAULT_SYNTH_ROWS };

type Command = (argv: string[]) => Promise<void>;

/** An experiment's default settings at `scale` with `overrides` merged in and checked (names and types, models, methods). */
function resolvedSettings(name: string, scale: Scale, overrides: Record<string, unknown>, where: string): unknown {
  const defaults = (EXPERIMENTS[name] as Experiment<unknown, unknown>).defaults?.(scale);
  if (defaults === undefined)
    throw new UsageError(`${name} takes no settings (--config, --seeds, --models, --methods)`);
  for (const key of ["seeds", "models", "methods"])
    if (key in overrides && !(key in (defaults as object)))
      throw new UsageError(
        `--${key}: ${name} has no "${key}" setting (its settings: ${Object.keys(defaults as object).join(", ")})`,
      );
  const s = mergeSettings(defaults, overrides, where) as { models?: unknown[]; methods?: unknown[] };
  for (const m of s.models ?? [])
    if (!(MODEL_NAMES as readonly unknown[]).includes(m))
      throw new UsageError(`${where}: model ${JSON.stringify(m)} is not one of ${MODEL_NAMES.join(", ")}`);
  for (const m of s.methods ?? [])
    if (!METHOD_NAMES.includes(m as string))
      throw new UsageError(`${where}: method ${JSON.stringify(m)} is not one of ${METHOD_NAMES.join(", ")}`);
  if (s.methods && s.methods[0] !== "fde" && s.methods.includes("fde") === false && "methods" in (defaults as object))
    throw new UsageError(`${where}: methods must include fde (every ΔAUC is against FDE)`);
  return s;
}

/** Flags every training command takes: divergence, checkpoints and resume. */
const TRAINING_FLAGS = {
  "allow-divergence": { type: "boolean" },
  "checkpoint-dir": { type: "string" },
  "checkpoint-every": { type: "string" },
  resume: { type: "boolean" },
  threads: { type: "string" },
  "batch-parts": { type: "string" },
} as const;

/**
 * `--batch-parts 1|2` (default 1): each batch whole, or in two parts with their own BatchNorm
 * statistics, whose second part a second thread computes (data-parallel). Part of the run's
 * arithmetic, so it goes into the config (absent when 1: configs of earlier runs stay the same).
 */
function batchPartsFlag(f: Record<string, unknown>): { batchParts?: 2 } {
  return intFlag(f, "batch-parts", 1, 1, 2) === 2 ? { batchParts: 2 } : {};
}

/** `--embedding-l2 λ` (default 0): L2 on the embedding rows each batch reads; in the config only when > 0. */
function embeddingL2Flag(f: Record<string, unknown>): { embeddingL2?: number } {
  const l2 = numberFlag(f, "embedding-l2", 0, 0, 10);
  return l2 > 0 ? { embeddingL2: l2 } : {};
}

/**
 * `--threads N`: the threads one run computes on (OpenBLAS GEMMs and the element-wise kernels),
 * passed through AUTODIM_THREADS so the runtime, and any process this one starts, read it.
 */
function threadsFlag(f: Record<string, unknown>): void {
  if (f.threads === undefined) return;
  process.env.AUTODIM_THREADS = String(intFlag(f as Parameters<typeof intFlag>[0], "threads", DEFAULT_THREADS, 1, 64));
}

const commands: Record<string, Command> = {
  async synth(argv) {
    const f = parseFlags("synth", argv, {
      rows: { type: "string" },
      seed: { type: "string" },
      ranks: { type: "string" },
      out: { type: "string" },
    });
    const ranks = intListFlag(f, "ranks", 0, MAX_RANK);
    if (ranks && ranks.length !== FIELD_NAMES.length)
      throw new UsageError(`--ranks needs ${FIELD_NAMES.length} values (I1..I13, C1..C26), got ${ranks.length}`);
    const out = requireString(f, "out");
    checkOutputClashes(
      [],
      [
        { flag: "--out", path: out },
        { flag: "--out's truth file", path: `${out}.truth.json` },
      ],
    );
    const truth = await generateSynthetic(out, {
      rows: intFlag(f, "rows", DEFAULT_SYNTH_ROWS, 1),
      seed: intFlag(f, "seed", DEFAULT_SEED, 0),
      ranks,
    });
    console.log(
      `wrote ${out} (${truth.rows} rows, click rate ${truth.clickRate.toFixed(4)}, ceiling AUC ${truth.ceilingAuc.toFixed(4)}) and ${out}.truth.json`,
    );
  },

  async movielens(argv) {
    const f = parseFlags("movielens", argv, {
      input: { type: "string" },
      out: { type: "string" },
      users: { type: "string" },
    });
    const input = requireString(f, "input");
    const out = requireString(f, "out");
    const users = parseUserRange(typeof f.users === "string" ? f.users : "all");
    if (!users.ok)
      throw new UsageError(`--users takes FROM-TO (user ids, e.g. 1-2999) or all, got ${JSON.stringify(f.users)}`);
    for (const file of ["ratings.dat", "users.dat", "movies.dat"])
      if (!existsSync(join(input, file)) && !(file === "ratings.dat" && existsSync(join(input, "ratings.dat.gz"))))
        throw new AutodimError(
          `--input ${input}: no ${file} (the unzipped ml-1m folder holds ratings.dat (or ratings.dat.gz), users.dat and movies.dat)`,
        );
    checkOutputClashes(
      ["ratings.dat", "ratings.dat.gz", "users.dat", "movies.dat"].map((file) => ({
        flag: "--input",
        path: join(input, file),
      })),
      [{ flag: "--out", path: out }],
    );
    mkdirSync(dirname(resolve(out)), { recursive: true });
    const rows = await joinMovieLens(input, out, { users: users.range });
    const sha = await sha256File(out);
    console.log(
      `wrote ${out}: ${rows} ratings${users.range ? ` of users ${formatUserRange(users.range)}` : ""}, label = rating > 3, fields ${MOVIELENS_FIELDS.join(", ")}; sha256 ${sha}`,
    );
    const subset = MOVIELENS_SUBSET;
    if (users.range && users.range.from === subset.users.from && users.range.to === subset.users.to) {
      if (sha !== subset.sha256)
        throw new AutodimError(
          `${out}: sha256 ${sha}, not ${subset.sha256}, the subset the committed MovieLens results used (users ${formatUserRange(subset.users)} of GroupLens' ml-1m: ${subset.ratings.toLocaleString("en")} ratings); is --input ${input} GroupLens' ml-1m as unzipped from ml-1m.zip?`,
        );
      console.log(`the subset every committed MovieLens result was made from (sha256 ${subset.sha256} matches)`);
    }
    console.log(`next: npx autodim prepare --format tsv --input ${out} --out <DIR>`);
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
      threads: { type: "string" },
      train: { type: "string" },
      val: { type: "string" },
      test: { type: "string" },
      label: { type: "string" },
      fields: { type: "string" },
      numeric: { type: "string" },
      delimiter: { type: "string" },
      "field-names": { type: "string" },
      encoding: { type: "string" },
    });
    const format = choiceFlag(f, "format", FORMAT_NAMES);
    if (f["avazu-time-fields"] && format !== "avazu")
      throw new UsageError(`--avazu-time-fields applies to --format avazu only`);
    const generic = GENERIC_FORMATS.includes(format);
    for (const flag of ["label", "fields", "numeric", "delimiter", "field-names"]) {
      if (f[flag] !== undefined && !generic)
        throw new UsageError(`--${flag} applies to --format ${GENERIC_FORMATS.join(", ")} only`);
    }
    if (format === "libfm")
      for (const flag of ["label", "fields", "delimiter"])
        if (f[flag] !== undefined) throw new UsageError(`--${flag} applies to --format csv and tsv, not libfm`);
    if (format !== "libfm" && f["field-names"] !== undefined)
      throw new UsageError(`--field-names applies to --format libfm only (csv and tsv take names from the header)`);
    const splitFiles = [f.train, f.val, f.test].filter((x) => x !== undefined).length;
    if (splitFiles > 0 && splitFiles < 3)
      throw new UsageError("pre-split input needs all three of --train, --val and --test");
    if (splitFiles === 3 && (f.input !== undefined || f.split !== undefined))
      throw new UsageError("give either --input FILE [--split 8:1:1] or --train FILE --val FILE --test FILE, not both");
    if (splitFiles === 0 && f.input === undefined)
      throw new UsageError("--input is required (or --train, --val and --test for pre-split files)");
    const schema = generic
      ? {
          ...(f.label !== undefined ? { label: requireString(f, "label") } : {}),
          ...(f.fields !== undefined ? { fields: nameListFlag(f, "fields") } : {}),
          ...(f.numeric !== undefined ? { numeric: nameListFlag(f, "numeric") } : {}),
          ...(f.delimiter !== undefined ? { delimiter: f.delimiter === "\\t" ? "\t" : String(f.delimiter) } : {}),
          ...(f["field-names"] !== undefined ? { fieldNames: nameListFlag(f, "field-names") } : {}),
        }
      : undefined;
    const inputFlags: FlagPath[] =
      splitFiles === 3
        ? (["train", "val", "test"] as const).map((s) => ({ flag: `--${s}`, path: requireString(f, s) }))
        : [{ flag: "--input", path: requireString(f, "input") }];
    checkPrepareClashes(inputFlags, requireString(f, "out"));
    const { manifest, reused } = await prepare({
      format,
      schema,
      input:
        splitFiles === 3
          ? { train: requireString(f, "train"), val: requireString(f, "val"), test: requireString(f, "test") }
          : requireString(f, "input"),
      out: requireString(f, "out"),
      minCount: intFlag(f, "min-count", 10, 1),
      split: splitFlag(f, "split", [0.8, 0.1, 0.1]),
      seed: intFlag(f, "seed", DEFAULT_SEED, 0),
      onBadRow: choiceFlag(f, "on-bad-row", ["error", "skip"] as const, "error"),
      avazuTimeFields: f["avazu-time-fields"] === true,
      rowsPerShard: intFlag(f, "rows-per-shard", DEFAULT_ROWS_PER_SHARD, 1, 1 << 26),
      ...(f.threads !== undefined ? { threads: intFlag(f, "threads", 0, 0, 64) } : {}),
      encoding: choiceFlag(f, "encoding", ENCODINGS, "utf8"),
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
    console.log(
      `backend ${info.backend} (tfjs ${info.tfjsVersion}${info.kernelFixes.length ? `, kernel fixes: ${info.kernelFixes.join(", ")}` : ""})`,
    );
    for (const why of info.fallbacks) console.log(`  passed over ${why}`);
    if (info.backend === "wasm")
      console.log(
        `matmul ${info.matmul}${info.nativeBlasMissing ? ` (OpenBLAS addon not used: ${info.nativeBlasMissing})` : ""}`,
      );
    console.log(
      `sparse tables ${info.sparseTables}${info.nativeSparseMissing ? ` (sparse addon not used: ${info.nativeSparseMissing})` : ""}`,
    );
    console.log(`hardware ${describeHardware()}`);
  },

  async reproduce(argv) {
    const positional = argv[0] !== undefined && !argv[0].startsWith("-") ? argv[0] : undefined;
    const f = parseFlags("reproduce", positional ? argv.slice(1) : argv, {
      scale: { type: "string" },
      force: { type: "boolean" },
      out: { type: "string" },
      "figures-out": { type: "string" },
      "checkpoint-dir": { type: "string" },
      "checkpoint-every": { type: "string" },
      resume: { type: "boolean" },
      notebooks: { type: "boolean" },
      "list-cells": { type: "boolean" },
      slurm: { type: "boolean" },
      partition: { type: "string" },
      time: { type: "string" },
      cpus: { type: "string" },
      "dry-run": { type: "boolean" },
      wait: { type: "boolean" },
      threads: { type: "string" },
      config: { type: "string" },
      seeds: { type: "string" },
      models: { type: "string" },
      methods: { type: "string" },
    });
    threadsFlag(f);
    useCheckpoints(checkpointFlags(f));
    if (f.notebooks && (f.out !== undefined || f["figures-out"] !== undefined))
      throw new UsageError(
        "--notebooks regenerates the committed notebooks from results/ and figures/: it cannot be combined with --out or --figures-out",
      );
    const names = Object.keys(EXPERIMENTS);
    const which = positional ?? "all";
    if (which !== "all" && !names.includes(which))
      throw new UsageError(
        `reproduce: the experiment must be one of ${names.join(", ")}, all; got ${JSON.stringify(which)}`,
      );
    const scale = choiceFlag(f, "scale", SCALES, "quick");
    // Settings from a config file and flags (flags > file > defaults); the result goes to its
    // own folder unless --out says where, so a variant never overwrites the committed result.
    const fileLayer = typeof f.config === "string" ? readConfigFile(f.config) : {};
    const flagLayer = flagOverrides({
      seeds: f.seeds as string | undefined,
      models: f.models as string | undefined,
      methods: f.methods as string | undefined,
    });
    const overrides = { ...fileLayer, ...flagLayer };
    const custom = Object.keys(overrides).length > 0;
    if (custom && which === "all")
      throw new UsageError("--config, --seeds, --models and --methods take one experiment, not all");
    if (custom && (f["list-cells"] || f.slurm || f.wait))
      throw new UsageError(
        "--config, --seeds, --models and --methods run here: not with --list-cells, --slurm or --wait",
      );
    const customSettings = custom
      ? resolvedSettings(which, scale, overrides, typeof f.config === "string" ? f.config : "flags")
      : undefined;
    const customDir = custom
      ? join(
          "runs",
          "custom",
          `${which}-${scale}-${createHash("sha256").update(overridesLabel(overrides)).digest("hex").slice(0, 8)}`,
        )
      : undefined;
    if (customDir)
      console.log(
        `${which} (${scale}) with ${overridesLabel(overrides)} → ${typeof f.out === "string" ? f.out : customDir}`,
      );
    const dir = typeof f.out === "string" ? f.out : (customDir ?? RESULTS_DIR);
    const scheduled = f["list-cells"] || f.slurm || f.wait;
    if (scheduled && which === "all")
      throw new UsageError("--list-cells, --slurm and --wait take one experiment, not all");
    if (!f.slurm && (f.partition !== undefined || f.time !== undefined || f.cpus !== undefined || f["dry-run"]))
      throw new UsageError("--partition, --time, --cpus and --dry-run go with --slurm");
    if (f["list-cells"]) {
      const listed = await listCells(which, scale);
      if (!listed) {
        console.error(
          `${which} (${scale}): every cell is saved; \`autodim reproduce ${which} --scale ${scale}\` assembles`,
        );
        return;
      }
      console.error(
        `${which} (${scale}): ${listed.cells.length} cells in ${listed.dir} (${listed.cells.filter((c) => c.saved).length} saved); one command per cell:`,
      );
      for (const c of listed.cells) console.log(cellCommand(which, scale, c.index));
      return;
    }
    if (f.slurm) {
      const time = f.time === undefined ? undefined : String(f.time);
      if (time !== undefined && !/^(\d+-)?\d{1,2}(:\d{2}){0,2}$/.test(time))
        throw new UsageError(`--time must be Slurm's [D-]HH[:MM[:SS]], got ${JSON.stringify(time)}`);
      const listed = await listCells(which, scale);
      if (!listed) console.log(`${which} (${scale}): every cell is saved; assembling here`);
      else {
        const sub = submitSlurm(which, scale, listed, {
          partition: f.partition === undefined ? undefined : String(f.partition),
          time,
          cpus: intFlag(f, "cpus", 1, 1, 1024),
          dryRun: f["dry-run"] === true,
        });
        if (!sub.jobId) {
          console.log(`dry run: ${sub.indices.length} array tasks in ${sub.script}, not submitted:\n`);
          console.log(readFileSync(sub.script, "utf8"));
          return;
        }
        console.log(`submitted job ${sub.jobId}: ${sub.indices.length} array tasks (${sub.script})`);
        if (!f.wait) {
          console.log(
            `when it is done: npx autodim reproduce ${which} --scale ${scale} (assembles, or names the missing cells)`,
          );
          return;
        }
      }
    }
    if (f.wait) {
      const subs = readSubmissions(which, scale);
      const last = subs[subs.length - 1];
      if (!last) throw new UsageError(`--wait: no Slurm submission of ${which} (${scale}) recorded in runs/slurm/`);
      while (jobActive(last.jobId)) await new Promise((r) => setTimeout(r, 2000));
    }
    if (which !== "all" && !custom && !f.force && readSubmissions(which, scale).length > 0) {
      // Cells of this experiment went to Slurm: assemble only when every cell of every stage is
      // there (--force computes what is missing here instead).
      const listed = await listCells(which, scale);
      if (listed && listed.cells.some((c) => !c.saved)) {
        const lines = missingReport(which, scale, listed, readSubmissions(which, scale));
        throw new AutodimError(
          `${which} (${scale}): ${lines.length} of ${listed.cells.length} cells are missing in ${listed.dir}:\n  ${lines.join("\n  ")}\n` +
            `resubmit them: npx autodim reproduce ${which} --scale ${scale} --slurm (only the missing cells are submitted), or compute them here with --force`,
        );
      }
    }
    const figuresDir =
      typeof f["figures-out"] === "string" ? f["figures-out"] : customDir ? join(customDir, "figures") : FIGURES_DIR;
    checkOutputClashes(
      [],
      [
        { flag: "--out", path: dir, folder: true },
        { flag: "--figures-out", path: figuresDir, folder: true },
        ...checkpointOutput(f),
      ],
    );
    checkOutputFolder("--out", dir);
    checkOutputFolder("--figures-out", figuresDir);
    for (const name of which === "all" ? names : [which]) {
      const missing = experimentDataMissing(name, scale);
      if (which === "all" && missing) {
        console.log(`${name} (${scale}): skipped — ${missing}`);
        continue;
      }
      if (which === "all" && scale === "smoke" && experimentData(name, scale) !== "scale") {
        // Smoke scale checks the pipeline in minutes on tiny synthetic data; real data sets are run by name.
        console.log(
          `${name} (smoke): skipped — it runs on another data set than the scale's; \`reproduce ${name} --scale smoke\` runs it`,
        );
        continue;
      }
      if (!f.force && finishedResult(name, scale, dir, figuresDir)) {
        console.log(
          `${name} (${scale}): done earlier, kept ${join(dir, `${name}-${scale}.md`)} (--force to run again)`,
        );
        continue;
      }
      // The experiment's log sits beside its result (each computed cell has its own beside its JSON).
      await withLog(join(dir, `${name}-${scale}.log`), `reproduce ${name} --scale ${scale}`, async () => {
        const out = customSettings
          ? await (EXPERIMENTS[name] as Experiment<unknown, unknown>)(scale, customSettings)
          : await EXPERIMENTS[name](scale);
        try {
          const files = await saveOutput(out, dir, figuresDir);
          console.log(
            `${name} (${scale}): ${out.provenance.wallSeconds.toFixed(1)} s → ${[files.md, ...files.figures].join(", ")}`,
          );
        } finally {
          await closeFigures();
        }
      });
    }
    if (f.notebooks) {
      // The notebooks show the finished results just written: their outputs come from here too.
      for (const path of selectNotebooks(which === "all" ? [] : [which])) {
        const r = await runNotebook(path, path, scale);
        if (!r.ok) throw new AutodimError(`${path}: cell ${r.failure?.cell} failed:\n${r.failure?.stderr}`);
        console.log(`${path}: ${r.cells} cells in ${r.seconds.toFixed(1)} s`);
      }
    }
  },

  report: reportCommand,

  async cell(argv) {
    const [experiment, indexText, ...rest] = argv;
    const f = parseFlags("cell", rest, { scale: { type: "string" }, threads: { type: "string" } });
    threadsFlag(f);
    if (!experiment || !(experiment in EXPERIMENTS))
      throw new UsageError(`cell: the experiment must be one of ${Object.keys(EXPERIMENTS).join(", ")}`);
    if (indexText === undefined || !/^\d+$/.test(indexText))
      throw new UsageError(`cell: the cell index must be a whole number ≥ 0, got ${JSON.stringify(indexText ?? "")}`);
    const scale = choiceFlag(f, "scale", SCALES, "quick");
    const done = await runOneCell(experiment, scale, Number(indexText));
    if (!done) console.log(`${experiment} (${scale}): every cell is saved; nothing to compute`);
    else
      console.log(
        `${experiment} (${scale}) cell ${done.cell.index} (${done.cell.key}): ${done.computed ? "computed" : "saved already"} → ${done.cell.file}`,
      );
  },

  async bench(argv) {
    const f = parseFlags("bench", argv, {
      rows: { type: "string" },
      steps: { type: "string" },
      json: { type: "boolean" },
      peer: { type: "boolean" },
      only: { type: "string" },
      dir: { type: "string" },
      keep: { type: "boolean" },
      threads: { type: "string" },
      split: { type: "string" },
    });
    // The rehearsal (a whole run at 10M rows: about an hour) runs only when asked for.
    const parts = ["search", "retrain", "scaling", "prepare", "rehearsal"] as const;
    const only = typeof f.only === "string" ? f.only.split(",") : parts.filter((p) => p !== "rehearsal");
    for (const p of only)
      if (!(parts as readonly string[]).includes(p))
        throw new UsageError(`--only: ${p} is not one of ${parts.join(", ")}`);
    if (only.includes("rehearsal") && only.includes("prepare") && f.rows !== undefined)
      throw new UsageError("--rows applies to one of prepare and rehearsal: run them in separate commands");
    const rows = intFlag(f, "rows", only.includes("rehearsal") ? REHEARSAL_ROWS : 1_000_000, 1000);
    const steps = intFlag(f, "steps", 60, 10, 100000);
    const info = await initRuntime();
    const quiet = f.json === true;
    const say = (line: string) => {
      if (!quiet) console.log(line);
    };
    say(`hardware ${describeHardware()}; backend ${backendLabel(info)}; sparse tables ${info.sparseTables}`);
    const rss = () => process.resourceUsage().maxRSS / 1024;
    const report: Record<string, unknown> = {
      date: new Date().toISOString(),
      backend: backendLabel(info),
      matmul: info.matmul,
      sparseTables: info.sparseTables,
      hardware: hardwareInfo(),
      steps,
    };
    // Each phase at every thread count asked for (default 1 and 2), the peer likewise; the
    // ratios are taken within this run.
    const threadCounts = intListFlag(f, "threads", 1, 64) ?? [1, 2];
    // batch: batches in two parts (data-parallel on two threads, one after the other on one);
    // ops: whole batches. Each at every thread count, so a ratio compares the same arithmetic.
    const splits = (nameListFlag(f, "split") ?? ["batch"]).map((name) => {
      if (name !== "batch" && name !== "ops") throw new UsageError(`--split: ${name} is not one of batch, ops`);
      return name;
    });
    const runs: { threads: number; split: "batch" | "ops"; search?: PhaseRun; retrain?: PhaseRun }[] = [];
    for (const threads of threadCounts)
      for (const split of splits) {
        setComputeThreads(threads);
        const run: (typeof runs)[number] = { threads, split };
        const how = (r: PhaseRun) =>
          `${threads} thread${threads === 1 ? "" : "s"}, ${r.batchParts > 1 ? `batches in ${r.batchParts} parts on ${r.partThreads} thread${r.partThreads === 1 ? "" : "s"}` : "whole batches"}`;
        if (only.includes("search")) {
          const r = (run.search = await benchSearch({ steps, split }));
          say(
            `search  (DeepFM, 39 fields, 1,086,810 features, batch ${BENCH_BATCH}), ${how(r)}: ${r.samplesPerSecond.toFixed(0)} samples/s, ${r.stepMs.toFixed(0)} ms/step; peak RSS ${rss().toFixed(0)} MB (target ≤ 2048); live tensors +${r.tensorGrowth} over the timed steps`,
          );
        }
        if (only.includes("retrain")) {
          const r = (run.retrain = await benchRetrain({ steps, split }));
          say(
            `retrain (DeepFM, random plan, linear projection), ${how(r)}: ${r.samplesPerSecond.toFixed(0)} samples/s, ${r.stepMs.toFixed(0)} ms/step; live tensors +${r.tensorGrowth}`,
          );
        }
        runs.push(run);
      }
    setComputeThreads(threadCounts[0]);
    if (runs[0].search) report.search = { ...runs[0].search, peakRssMB: rss() };
    if (runs[0].retrain) report.retrain = runs[0].retrain;
    report.threads = runs;
    const best = (phase: "search" | "retrain") => Math.max(0, ...runs.map((r) => r[phase]?.samplesPerSecond ?? 0));
    const at = (phase: "search" | "retrain", threads: number, split: "batch" | "ops") =>
      runs.find((r) => r.threads === threads && r.split === split)?.[phase]?.samplesPerSecond;
    // Ratios of the same arithmetic (a seed gives the same bits at 1 and 2 threads): the first
    // split asked for as `<phase>2vs1`, the other as `<phase>2vs1<Split>`; and what two threads in
    // parts gain over one thread with whole batches, `<phase>BatchVsWhole`.
    const ratio: Record<string, number | undefined> = {};
    if (threadCounts.includes(1) && threadCounts.includes(2))
      for (const phase of ["search", "retrain"] as const) {
        splits.forEach((split, i) => {
          const one = at(phase, 1, split);
          const two = at(phase, 2, split);
          if (one && two) ratio[`${phase}2vs1${i === 0 ? "" : split === "ops" ? "Ops" : "Batch"}`] = two / one;
        });
        const whole = at(phase, 1, "ops");
        const parts = at(phase, 2, "batch");
        if (whole && parts) ratio[`${phase}BatchVsWhole`] = parts / whole;
      }
    if (ratio.search2vs1 !== undefined || ratio.retrain2vs1 !== undefined)
      say(
        `2 threads ÷ 1, same arithmetic (${splits[0] === "batch" ? "batches in 2 parts" : "whole batches"}): search ${ratio.search2vs1?.toFixed(2) ?? "–"} (target ≥ 1.4), retrain ${ratio.retrain2vs1?.toFixed(2) ?? "–"} (target ≥ 1.4)`,
      );
    for (const [key, text] of [
      ["2vs1Ops", "2 threads ÷ 1, whole batches"],
      ["2vs1Batch", "2 threads ÷ 1, batches in 2 parts"],
      ["BatchVsWhole", "2 threads in 2 parts ÷ 1 thread with whole batches"],
    ] as const)
      if (ratio[`search${key}`] !== undefined || ratio[`retrain${key}`] !== undefined)
        say(
          `${text}: search ${ratio[`search${key}`]?.toFixed(2) ?? "–"}, retrain ${ratio[`retrain${key}`]?.toFixed(2) ?? "–"}`,
        );
    if (f.peer) {
      say(`running the PyTorch reference (bench/autodim_torch_reference.py) at ${threadCounts.join(", ")} threads ...`);
      const peers = threadCounts.map((threads) => ({ threads, ...runPeer(steps, undefined, threads) }));
      report.peer = peers[0];
      report.peers = peers;
      const available = peers.filter((p) => p.available);
      if (available.length === 0) say(`peer skipped: ${peers[0].message}`);
      else {
        for (const p of available)
          say(`peer ${p.message}: search ${p.search} samples/s, retrain ${p.retrain} samples/s`);
        // Ours at its best thread count against PyTorch at its best.
        const peerBest = (phase: "search" | "retrain") => Math.max(0, ...available.map((p) => p[phase] ?? 0));
        for (const phase of ["search", "retrain"] as const)
          if (best(phase) > 0 && peerBest(phase) > 0) ratio[phase] = best(phase) / peerBest(phase);
        say(
          `ours ÷ PyTorch, each at its best thread count: search ${ratio.search?.toFixed(2) ?? "–"} (target ≥ 3), retrain ${ratio.retrain?.toFixed(2) ?? "–"} (target ≥ 2)`,
        );
      }
    }
    report.ratio = ratio;
    if (only.includes("scaling")) {
      const { points, hugePagesMB } = benchVocabScaling([100_000, 1_000_000, 10_000_000], steps);
      report.scaling = { points, ratio: points[points.length - 1].searchStepMs / points[0].searchStepMs, hugePagesMB };
      for (const p of points)
        say(`search step at ${p.totalFeatures.toLocaleString("en")} features: ${p.searchStepMs.toFixed(0)} ms`);
      if (hugePagesMB !== undefined)
        say(
          `memory on transparent huge pages with the three workloads built: ${hugePagesMB.toFixed(0)} MB (sparse tables ${info.sparseTables})`,
        );
      say(`step time 10M ÷ 100k features: ${(report.scaling as { ratio: number }).ratio.toFixed(2)} (target ≤ 1.15)`);
    }
    if (only.includes("prepare")) {
      const r = await benchPrepare(rows);
      report.prepare = r;
      say(
        `prepare (raw Criteo layout, ${r.rows} rows, ${r.megabytes.toFixed(0)} MB): pass 1 count ${r.countMBps.toFixed(0)} MB/s, pass 2 encode ${r.encodeMBps.toFixed(0)} MB/s (target ≥ 100), total ${r.totalSeconds.toFixed(1)} s`,
      );
    }
    if (only.includes("rehearsal")) {
      const dir = typeof f.dir === "string" ? f.dir : mkdtempSync(join(tmpdir(), "autodim-rehearsal-"));
      say(`rehearsal: ${rows.toLocaleString("en")} rows into ${dir} (removed afterwards unless --keep)`);
      const r = await rehearse({ rows, dir, keep: f.keep === true, say });
      const projection = paperProjection(r);
      report.rehearsal = { ...r, projection, assumptions: PAPER_TABLE_WORK, code: codeVersion() };
      say(
        `rehearsal: ${r.totalFeatures.toLocaleString("en")} features after min count 10; raw ${r.disk.rawMB.toFixed(0)} MB, prepared ${r.disk.preparedMB.toFixed(0)} MB; peak RSS ${r.peakRssMB.toFixed(0)} MB (target < 4096)`,
      );
      say(
        `the paper's main table (Criteo + Avazu, 3 models × 3 seeds × 10 methods; assumptions in PAPER_TABLE_WORK): ${projection.cpuHours.toFixed(0)} CPU-hours, longest run ${projection.longestCellHours.toFixed(1)} h; ${projection.days.map((d) => `${d.nodes} node${d.nodes === 1 ? "" : "s"}: ${d.days.toFixed(1)} days`).join(", ")}`,
      );
    }
    report.peakRssMB = rss();
    if (quiet) console.log(JSON.stringify(report, null, 2));
  },

  async search(argv) {
    const f = parseFlags("search", argv, {
      ...TRAINING_FLAGS,
      data: { type: "string" },
      model: { type: "string" },
      out: { type: "string" },
      candidates: { type: "string" },
      embedding: { type: "string" },
      unify: { type: "string" },
      freq: { type: "string" },
      "one-level": { type: "boolean" },
      "second-order": { type: "boolean" },
      "save-weights": { type: "string" },
      epochs: { type: "string" },
      "warmup-steps": { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      "arch-lr": { type: "string" },
      "tau-decay": { type: "string" },
      "tau-schedule": { type: "string" },
      seed: { type: "string" },
      undecided: { type: "string" },
    });
    const out = requireString(f, "out");
    if (f["one-level"] && f["second-order"])
      throw new UsageError(
        "--one-level (AutoDim-s) and --second-order exclude each other: AutoDim-s has no validation step",
      );
    const candidates = intListFlag(f, "candidates", 1, 4096) ?? DEFAULT_SEARCH.candidates;
    if (candidates.some((c, i) => i > 0 && c <= candidates[i - 1]))
      throw new UsageError(`--candidates must be strictly increasing, got ${candidates.join(",")}`);
    const config: SearchConfig = {
      ...DEFAULT_SEARCH,
      model: choiceFlag(f, "model", MODEL_NAMES),
      candidates,
      lookup: choiceFlag(f, "embedding", ["shared", "separate"] as const, "shared"),
      unify: choiceFlag(f, "unify", ["linear", "zeropad"] as const, "linear"),
      frequency: intFlag(f, "freq", DEFAULT_SEARCH.frequency, 1),
      oneLevel: f["one-level"] === true,
      secondOrder: f["second-order"] === true,
      epochs: intFlag(f, "epochs", DEFAULT_SEARCH.epochs, 1, 1000),
      warmupSteps: intFlag(f, "warmup-steps", DEFAULT_SEARCH.warmupSteps, 0),
      batchSize: intFlag(f, "batch-size", DEFAULT_SEARCH.batchSize, 1, 1 << 20),
      learningRate: numberFlag(f, "lr", DEFAULT_SEARCH.learningRate, 1e-8, 10),
      architectureLearningRate: numberFlag(f, "arch-lr", DEFAULT_SEARCH.architectureLearningRate, 1e-8, 10),
      tauDecay: numberFlag(f, "tau-decay", DEFAULT_SEARCH.tauDecay, 0, 1),
      // A decay given by hand is the fixed ("paper") schedule unless --tau-schedule says otherwise.
      tauSchedule: choiceFlag(
        f,
        "tau-schedule",
        ["paper", "fit"] as const,
        f["tau-decay"] !== undefined ? "paper" : DEFAULT_SEARCH.tauSchedule,
      ),
      seed: intFlag(f, "seed", DEFAULT_SEED, 0),
      ...batchPartsFlag(f),
      // Absent means "keep": the CLI's plan has the library's (and the notebooks') config by default.
      ...(f.undecided === undefined ? {} : { undecided: choiceFlag(f, "undecided", UNDECIDED_POLICIES, "keep") }),
    };
    const saveWeights = typeof f["save-weights"] === "string" ? f["save-weights"] : undefined;
    checkOutputClashes(
      [{ flag: "--data", path: requireString(f, "data") }],
      [
        { flag: "--out", path: out },
        ...(saveWeights ? [{ flag: "--save-weights", path: saveWeights }] : []),
        ...checkpointOutput(f),
      ],
    );
    const data = openData(requireString(f, "data"));
    // The search's BatchNorm (every model) normalises each candidate over the batch.
    batchSizeCheck(config.batchSize, "the search's BatchNorm");
    const memory = memoryProblem(
      searchMemory({
        totalFeatures: data.totalFeatures,
        fields: data.fieldCount,
        batchSize: config.batchSize,
        candidates,
        lookup: config.lookup,
      }),
    );
    if (memory)
      throw new UsageError(
        `--candidates ${candidates.join(",")} (--batch-size ${config.batchSize}, ${data.fieldCount} fields, ${data.totalFeatures} features): ${memory}; choose smaller candidates or a smaller --batch-size`,
      );
    checkOutputFile("--out", out);
    const tableBytes = 4 * data.totalFeatures * candidates[candidates.length - 1];
    if (saveWeights) checkOutputFile("--save-weights", saveWeights, 1.2 * tableBytes);
    const checkpoint = checkpointFlags(f, 3 * 2 * tableBytes, "autodim search");
    threadsFlag(f);
    const closeLog = startLog(logBeside(out), `autodim search --model ${config.model}`);
    const info = await initRuntime();
    console.log(`backend ${backendLabel(info)}; hardware ${describeHardware()}`);
    const plan = await search(data, config, {
      saveWeights,
      checkpoint,
      allowDivergence: f["allow-divergence"] === true,
    }).catch((e: unknown) => {
      closeLog(`failed: ${(e as Error).message}`);
      throw e;
    });
    writeJson(out, plan);
    console.log(`plan: ${plan.fields.map((x) => `${x.name}=${x.dim}`).join(" ")}`);
    console.log(
      `embedding params ${plan.totals.embeddingParams} vs full dimension ${plan.totals.fullDimensionParams} (−${(100 * plan.totals.reduction).toFixed(1)}%); supernet val AUC ${plan.search.supernetValidation.auc.toFixed(4)}; final τ ${plan.search.finalTemperature.toFixed(3)}, ${plan.search.deadCandidates ?? 0} of ${plan.fields.length * plan.candidates.length} α entries below 1e-6 (normalised); decided ${plan.search.diagnostics?.decided} of ${plan.fields.length} fields; ${plan.runtime.wallSeconds.toFixed(1)} s`,
    );
    console.log(`wrote ${out} and ${logBeside(out)}`);
    const undecided = plan.search.diagnostics ? undecidedFields(plan.search.diagnostics) : [];
    if (config.undecided === "fail" && undecided.length > 0) {
      const message = `--undecided fail: ${undecided.length} of ${plan.fields.length} fields undecided (${undecided.join(", ")}); ${out} holds the plan and its diagnostics`;
      closeLog(`failed: ${message}`);
      throw new AutodimError(message);
    }
    closeLog();
  },

  async retrain(argv) {
    const f = parseFlags("retrain", argv, {
      ...TRAINING_FLAGS,
      data: { type: "string" },
      model: { type: "string" },
      out: { type: "string" },
      plan: { type: "string" },
      dim: { type: "string" },
      projection: { type: "string" },
      epochs: { type: "string" },
      patience: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      seed: { type: "string" },
      "warm-start": { type: "boolean" },
      "allow-other-data": { type: "boolean" },
    });
    const out = requireString(f, "out");
    if (f["warm-start"] && f.plan === undefined)
      throw new UsageError("--warm-start needs --plan (a plan whose search ran with --save-weights)");
    if ((f.plan === undefined) === (f.dim === undefined))
      throw new UsageError("give exactly one of --plan plan.json or --dim D");
    const data = openData(requireString(f, "data"));
    if (f["allow-other-data"] && f.plan === undefined)
      throw new UsageError("--allow-other-data applies with --plan only");
    const plan = typeof f.plan === "string" ? readPlan(f.plan, data, f["allow-other-data"] === true) : undefined;
    const dim = plan ? undefined : intFlag(f, "dim", 32, 1, 4096);
    const config: RetrainConfig = {
      model: choiceFlag(f, "model", MODEL_NAMES),
      dims: plan ? plan.fields.map((x) => x.dim) : data.manifest.fields.map(() => dim as number),
      // Default: project as the search unified (linear → linear map, zero-pad → padding).
      projection: plan ? choiceFlag(f, "projection", ["linear", "zeropad"] as const, plan.config.unify) : "none",
      outputDim: plan ? plan.candidates[plan.candidates.length - 1] : (dim as number),
      epochs: intFlag(f, "epochs", QUICK_RETRAIN.epochs, 1, 1000),
      patience: intFlag(f, "patience", QUICK_RETRAIN.patience, 1, 1000),
      batchSize: intFlag(f, "batch-size", QUICK_RETRAIN.batchSize, 1, 1 << 20),
      learningRate: numberFlag(f, "lr", QUICK_RETRAIN.learningRate, 1e-8, 10),
      seed: intFlag(f, "seed", DEFAULT_SEED, 0),
      warmStart: f["warm-start"] === true,
      ...batchPartsFlag(f),
      ...embeddingL2Flag(f),
    };
    if (!plan && f.projection !== undefined) throw new UsageError("--projection applies with --plan only");
    if (BATCH_NORM_MODELS.includes(config.model)) batchSizeCheck(config.batchSize, `${config.model}'s BatchNorm`);
    const memory = memoryProblem(
      retrainMemory({
        vocabularySizes: data.manifest.fields.map((x) => x.vocabularySize),
        dims: config.dims,
        outputDim: config.outputDim,
        batchSize: config.batchSize,
      }),
    );
    if (memory && plan)
      throw new AutodimError(
        `--plan ${String(f.plan)}: sizes up to ${Math.max(...config.dims)}, output ${config.outputDim} (--batch-size ${config.batchSize}): ${memory}; re-train a plan with smaller sizes or use a smaller --batch-size`,
      );
    if (memory)
      throw new UsageError(
        `--dim ${dim} (--batch-size ${config.batchSize}): ${memory}; choose a smaller --dim or --batch-size`,
      );
    checkOutputClashes(
      [
        { flag: "--data", path: data.dir },
        ...(typeof f.plan === "string" ? [{ flag: "--plan", path: f.plan }] : []),
        ...(config.warmStart && plan?.search.weights
          ? [{ flag: "--plan's weights", path: plan.search.weights.file }]
          : []),
      ],
      [{ flag: "--out", path: out }, ...checkpointOutput(f)],
    );
    checkOutputFile("--out", out);
    const checkpoint = checkpointFlags(f, 3 * 2 * 4 * data.totalFeatures * config.outputDim, "autodim retrain");
    threadsFlag(f);
    await withLog(logBeside(out), `autodim retrain --model ${config.model}`, async () => {
      const info = await initRuntime();
      console.log(`backend ${backendLabel(info)}; hardware ${describeHardware()}`);
      const result = await retrain(data, config, {
        method: plan ? plan.method : `full-${dim}`,
        plan,
        checkpoint,
        allowDivergence: f["allow-divergence"] === true,
      });
      writeJson(out, result);
      console.log(
        `test AUC ${result.test.auc.toFixed(4)}, Logloss ${result.test.logloss.toFixed(4)}, embedding params ${result.params.embedding} (best val AUC ${result.bestValidation.auc.toFixed(4)} at epoch ${result.bestValidation.epoch}); ${result.runtime.wallSeconds.toFixed(1)} s`,
      );
      console.log(`wrote ${out} and ${logBeside(out)}`);
    });
  },

  async run(argv) {
    const f = parseFlags("run", argv, {
      ...TRAINING_FLAGS,
      method: { type: "string" },
      data: { type: "string" },
      model: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      epochs: { type: "string" },
      patience: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      "embedding-l2": { type: "string" },
      config: { type: "string" },
      ...Object.fromEntries(METHOD_FLAGS.map((m) => [m.flag, { type: "string" as const }])),
    });
    // Layers: flags > the config file (--config) > defaults.
    const file = runConfigFile(f.config);
    const method = METHODS[file.method && f.method === undefined ? file.method : choiceFlag(f, "method", METHOD_NAMES)];
    const out = requireString(f, "out");
    const fileModel = file.settings.model;
    const base = quickSettings(
      fileModel !== undefined && f.model === undefined
        ? runConfigChoice(file, "model", fileModel, MODEL_NAMES)
        : choiceFlag(f, "model", MODEL_NAMES),
      intFlag(f, "seed", typeof file.settings.seed === "number" ? file.settings.seed : DEFAULT_SEED, 0),
    );
    const { model: _m, seed: _s, ...fileRest } = file.settings;
    const configured = file.path ? mergeSettings(base, fileRest, file.path, RUN_OPTIONAL_SETTINGS) : base;
    let settings = {
      ...configured,
      train: {
        ...configured.train,
        epochs: intFlag(f, "epochs", configured.train.epochs, 1, 1000),
        patience: intFlag(f, "patience", configured.train.patience, 1, 1000),
        batchSize: intFlag(f, "batch-size", configured.train.batchSize, 1, 1 << 20),
        learningRate: numberFlag(f, "lr", configured.train.learningRate, 1e-8, 10),
        ...batchPartsFlag(f),
        ...embeddingL2Flag(f),
      },
      search: { ...configured.search, ...batchPartsFlag(f) },
    };
    // Each method's own flags (from the registry); another method's flag is a usage error.
    for (const m of METHOD_FLAGS) {
      if (f[m.flag] === undefined) continue;
      if (m.method !== method.name) throw new UsageError(`--${m.flag} applies to --method ${m.method} only`);
      const value =
        m.kind === "int"
          ? intFlag(f, m.flag, m.get(settings), m.min, m.max)
          : numberFlag(f, m.flag, m.get(settings), m.min, m.max);
      settings = m.set(settings, value);
    }
    const dataDir = f.data === undefined && file.data !== undefined ? file.data : requireString(f, "data");
    checkOutputClashes([{ flag: "--data", path: dataDir }], [{ flag: "--out", path: out }, ...checkpointOutput(f)]);
    const data = openData(dataDir);
    if (BATCH_NORM_MODELS.includes(settings.model))
      batchSizeCheck(settings.train.batchSize, `${settings.model}'s BatchNorm`);
    const memory = memoryProblem(
      searchMemory({
        totalFeatures: data.totalFeatures,
        fields: data.fieldCount,
        batchSize: settings.train.batchSize,
        candidates: settings.candidates,
        lookup: "separate",
      }),
    );
    if (memory)
      throw new UsageError(`--batch-size ${settings.train.batchSize}: ${memory}; choose a smaller --batch-size`);
    checkOutputFile("--out", out);
    const checkpoint = checkpointFlags(
      f,
      3 * 2 * 4 * data.totalFeatures * settings.candidates[settings.candidates.length - 1],
      "autodim run",
    );
    threadsFlag(f);
    await withLog(logBeside(out), `autodim run --method ${method.name}`, async () => {
      const info = await initRuntime();
      console.log(`backend ${backendLabel(info)}; hardware ${describeHardware()}`);
      console.log(`settings (flags > ${file.path ?? "no config file"} > defaults): ${JSON.stringify(settings)}`);
      const result = await method.run(data, settings, {
        checkpoint,
        allowDivergence: f["allow-divergence"] === true,
      });
      // The resolved settings travel with the result: a config file of its `settings` re-runs it.
      writeJson(out, { ...result, settings: { method: method.name, ...settings } });
      console.log(
        `${method.name}: test AUC ${result.test.auc.toFixed(4)}, Logloss ${result.test.logloss.toFixed(4)}, embedding params ${result.params.embedding}; sizes ${result.dims.map((d) => d.dim).join(",")}; ${result.runtime.wallSeconds.toFixed(1)} s`,
      );
      console.log(`wrote ${out} and ${logBeside(out)}`);
    });
  },

  async main(argv) {
    const f = parseFlags("main", argv, {
      rows: { type: "string" },
      seed: { type: "string" },
      dir: { type: "string" },
      model: { type: "string" },
      threads: { type: "string" },
    });
    threadsFlag(f);
    const rows = intFlag(f, "rows", DEFAULT_SYNTH_ROWS, 1000);
    const seed = intFlag(f, "seed", DEFAULT_SEED, 0);
    const model = choiceFlag(f, "model", MODEL_NAMES, "fm");
    const dir = typeof f.dir === "string" ? f.dir : join("data", "synthetic");
    console.log(`\n${describeMainJob(await runMainJob({ rows, seed, model, dir }))}`);
  },

  async start(argv) {
    const f = parseFlags("start", argv, { dir: { type: "string" } });
    await startJob(typeof f.dir === "string" ? f.dir : START_DIR);
  },
};

function openData(dir: string): PreparedData {
  return new PreparedData(dir);
}

/** --checkpoint-dir DIR [--checkpoint-every N] [--resume]; undefined without a directory. */
/** `--resume=require`: resuming is the point, so nothing to resume is an error (see run()). */
let resumeRequired = false;

/**
 * --checkpoint-dir DIR [--checkpoint-every N] [--resume]; undefined without a directory. The
 * folder is checked now (writable, about `expectedBytes` free: two checkpoints are kept).
 */
function checkpointFlags(
  f: Record<string, string | boolean | undefined>,
  expectedBytes = 1e6,
  lockAs?: string,
): CheckpointSettings | undefined {
  const dir = f["checkpoint-dir"];
  if (typeof dir !== "string") {
    if (f.resume) throw new UsageError("--resume needs --checkpoint-dir DIR (where the checkpoints are)");
    if (f["checkpoint-every"] !== undefined) throw new UsageError("--checkpoint-every needs --checkpoint-dir DIR");
    return undefined;
  }
  checkOutputFolder("--checkpoint-dir", dir, expectedBytes);
  // One run per folder, taken before any work (reproduce's runs lock their own subfolders).
  if (lockAs) lockCheckpointFolder(dir, lockAs, true);
  return {
    dir,
    every: intFlag(f, "checkpoint-every", DEFAULT_CHECKPOINT_EVERY, 1),
    resume: f.resume === true,
    ...(resumeRequired && f.resume === true ? { requireResume: true } : {}),
  };
}

/**
 * BatchNorm over a batch of one row subtracts that row from itself: every activation is 0 and
 * training learns nothing (test Logloss 7 in the red-team's run), so it is refused.
 */
function batchSizeCheck(batchSize: number, what: string): void {
  if (batchSize < 2)
    throw new UsageError(
      `--batch-size ${batchSize}: ${what} needs at least 2 rows per batch (one row normalises to 0)`,
    );
}

/** --checkpoint-dir as an output, for checkOutputClashes. */
function checkpointOutput(f: Record<string, unknown>): FlagPath[] {
  const dir = f["checkpoint-dir"];
  return typeof dir === "string" ? [{ flag: "--checkpoint-dir", path: dir, folder: true }] : [];
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * A plan file, validated (src/train/schemas.ts) and checked against the data it is applied to.
 * A plan searched on another source file is refused unless `otherData` (--allow-other-data: a
 * plan searched on a sample, re-trained on the whole), since its sizes were chosen for that data.
 */
function readPlan(path: string, data: PreparedData, otherData = false): DimensionPlan {
  const plan = readJsonFile(dimensionPlanSchema, path, `--plan ${path}`);
  const names = data.manifest.fields.map((x) => x.name);
  if (plan.fields.length !== names.length || plan.fields.some((x, i) => x.name !== names[i])) {
    throw new AutodimError(
      `--plan ${path}: its fields (${plan.fields.map((x) => x.name).join(",")}) are not the data's (${names.join(",")})`,
    );
  }
  if (plan.data.sourceSha256 !== data.manifest.source.sha256 && !otherData)
    throw new AutodimError(
      `--plan ${path}: searched on other data (source sha256 ${plan.data.sourceSha256.slice(0, 12)}…, --data ${data.dir} is ${data.manifest.source.sha256.slice(0, 12)}…); add --allow-other-data to re-train its sizes on this data anyway`,
    );
  return plan;
}

/** Commands that train models: they say once which GEMM they use (announceGemm). */
const TRAINING_COMMANDS = new Set(["search", "retrain", "run", "main", "reproduce", "start"]);

/** The usage text of one command: its block in USAGE. */
export function commandHelp(name: string): string | undefined {
  const lines = USAGE.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`  ${name} `) || l === `  ${name}`);
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && lines[end].startsWith("   ")) end++;
  return `usage: autodim ${lines
    .slice(start, end)
    .map((l) => l.trim())
    .join("\n  ")}`;
}

/** Prints a help text; bin/autodim.js's cache keeps it for the next request (AUTODIM_HELP_CACHE). */
function helpAnswer(text: string, code: number): number {
  console.log(text);
  const cache = process.env.AUTODIM_HELP_CACHE;
  if (cache) {
    try {
      mkdirSync(dirname(cache), { recursive: true });
      writeFileAtomic(cache, JSON.stringify({ code, text: `${text}\n` }));
    } catch {
      // No cache (a read-only install): the next help loads the CLI again.
    }
  }
  return code;
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const help = name === "help" && rest[0] !== undefined ? commandHelp(rest[0]) : undefined;
    if (name === "help" && rest[0] !== undefined && help === undefined)
      return reportError(
        "help",
        new UsageError(`unknown command ${JSON.stringify(rest[0])}; commands: ${Object.keys(commands).join(", ")}`),
      );
    return helpAnswer(help ?? USAGE, name === undefined ? 2 : 0);
  }
  const command: Command | undefined = Object.prototype.hasOwnProperty.call(commands, name)
    ? commands[name]
    : undefined;
  if (command && (rest.includes("--help") || rest.includes("-h"))) {
    const flags = flagHelp(name);
    return helpAnswer(`${commandHelp(name) ?? USAGE}${flags ? `\n\n${flags}` : ""}`, 0);
  }
  // The code a result records is the code this process loaded: look it up now, not when the
  // first result is written (the checkout may have moved on by then in a long run).
  if (command) codeVersion();
  // --resume=require: like --resume, but a missing checkpoint is an error, not a fresh start.
  resumeRequired = rest.includes("--resume=require");
  const args = rest.map((a) => (a === "--resume=require" ? "--resume" : a));
  try {
    if (!command)
      throw new UsageError(`unknown command ${JSON.stringify(name)}; commands: ${Object.keys(commands).join(", ")}`);
    // Read now: once the backend loads, a bad value would only show as "no backend could be loaded".
    try {
      threadsFromEnvironment();
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (TRAINING_COMMANDS.has(name)) announceGemmOnInit();
    await command(args);
    return 0;
  } catch (err) {
    return reportError(command ? name : undefined, err);
  }
}
