// `autodim <command>`: thin over src/. Results go to stdout, progress and warnings to stderr.
// Exit codes: 0 ok, 1 failure (bad data, runtime error), 2 usage error.
// This file holds the usage text, the help and the dispatch; each command is its own file in
// commands/ and the flag helpers they share are in flags.ts.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { FORMAT_NAMES } from "../data/formats.js";
import { DEFAULT_SYNTH_ROWS } from "../experiments/datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import { EXPERIMENTS } from "../experiments/registry.js";
import { METHOD_FLAGS, METHOD_NAMES, METHOD_SWITCHES, METHODS } from "../methods/registry.js";
import { announceGemmOnInit, threadsFromEnvironment } from "../accel/index.js";
import { writeFileAtomic } from "../core/files.js";
import { codeVersion } from "../core/version.js";
import { UsageError } from "./args.js";
import { backendCommand } from "./commands/backend.js";
import { benchCommand } from "./commands/bench.js";
import { computeCellCommand } from "./commands/cell.js";
import { mainCommand } from "./commands/main.js";
import { movielensCommand } from "./commands/movielens.js";
import { prepareCommand } from "./commands/prepare.js";
import { reproduceCommand } from "./commands/reproduce.js";
import { retrainCommand } from "./commands/retrain.js";
import { runCommand } from "./commands/run.js";
import { searchCommand } from "./commands/search.js";
import { startCommand } from "./commands/start.js";
import { summaryCommand } from "./commands/summary.js";
import { synthCommand } from "./commands/synth.js";
import { reportError } from "./errors.js";
import { flagHelp } from "./flag-help.js";
import { setResumeRequired } from "./flags.js";
import { reportCommand } from "./report.js";

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
           ${METHOD_FLAGS.map((f) => `[--${f.flag} ${f.default}] (${METHODS[f.method].label})`).join(" ")}
           ${METHOD_SWITCHES.map((f) => `[--${f.flag}] (${METHODS[f.method].label})`).join(" ")}
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

/** Every command by name, in the order the usage text and "unknown command" list them. */
const commands: Record<string, Command> = {
  synth: synthCommand,
  movielens: movielensCommand,
  prepare: prepareCommand,
  summary: summaryCommand,
  backend: backendCommand,
  reproduce: reproduceCommand,
  report: reportCommand,
  cell: computeCellCommand,
  bench: benchCommand,
  search: searchCommand,
  retrain: retrainCommand,
  run: runCommand,
  main: mainCommand,
  start: startCommand,
};

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
  setResumeRequired(rest.includes("--resume=require"));
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
