// The data sets the experiments run on, by scale: the planted-rank synthetic set (made and
// prepared on first use, reused afterwards) at smoke and quick scale; real Criteo at paper
// scale when the user has put it under data/criteo/. Paths are relative to the repo root —
// the working directory of the CLI and of the notebook kernel.
// The real sets by name (MovieLens, raw Criteo / Avazu, their records) are datasets-real.ts's.
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { PreparedData } from "../data/batches.js";
import { DEFAULT_ROWS_PER_SHARD, prepare, type PrepareRequest } from "../data/prepare.js";
import { CRITEO_VOCAB, generateSynthetic, SYNTH_VERSION, type SynthTruth } from "../data/synthetic.js";
import { AutodimError } from "../core/errors.js";
import { DEFAULT_SEED } from "../methods/defaults.js";

export const DEFAULT_SYNTH_ROWS = 200_000;

/** paper = the paper's setup on Criteo; paper-avazu = the same on Avazu (its other data set). */
export const SCALES = ["smoke", "quick", "paper", "paper-avazu"] as const;
export type Scale = (typeof SCALES)[number];

/** `AUTODIM_SCALE` (smoke | quick | paper), default quick; anything else is an error. */
export function scaleFromEnv(env: NodeJS.ProcessEnv = process.env): Scale {
  const s = env.AUTODIM_SCALE ?? "quick";
  if (!(SCALES as readonly string[]).includes(s))
    throw new AutodimError(`AUTODIM_SCALE must be one of ${SCALES.join(", ")}, got ${JSON.stringify(s)}`);
  return s as Scale;
}

export interface Dataset {
  name: string;
  data: PreparedData;
  /** The planted structure, for synthetic data. */
  truth?: SynthTruth;
  /** What it is, for notebook headers and result files. */
  description: string;
}

/** Planted rank by field name (empty for real data). */
export function plantedRanks(ds: Dataset): Map<string, number> {
  const t = ds.truth;
  return new Map((t?.fields ?? []).map((f, i) => [f, t?.ranks[i] as number]));
}

/** Rows of the synthetic set per scale. */
export const SYNTH_ROWS: Record<"smoke" | "quick", number> = { smoke: 5_000, quick: DEFAULT_SYNTH_ROWS };

function sameSynth(raw: string, rows: number, seed: number): boolean {
  const truthFile = `${raw}.truth.json`;
  if (!existsSync(raw) || !existsSync(truthFile)) return false;
  let t: SynthTruth;
  try {
    t = JSON.parse(readFileSync(truthFile, "utf8")) as SynthTruth;
  } catch {
    return false;
  }
  if (t.rows !== rows || t.seed !== seed || t.version !== SYNTH_VERSION || typeof t.bytes !== "number") return false;
  // The data file must be the one its truth file describes: a cut or edited file is made again.
  const size = statSync(raw).size;
  const why =
    size !== t.bytes
      ? `${size} bytes, its truth file says ${t.bytes}`
      : sha256Sync(raw) !== t.sha256
        ? "content differs from its truth file's sha256"
        : undefined;
  if (why) process.stderr.write(`${raw}: ${why}; generating it again\n`);
  return why === undefined;
}

export function sha256Sync(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** How the synthetic set is prepared: the paper's preset (min count 10, random 8:1:1). */
export function syntheticPrepareRequest(input: string, out: string, seed: number, progress?: boolean): PrepareRequest {
  return {
    format: "criteo",
    input,
    out,
    minCount: 10,
    split: [0.8, 0.1, 0.1],
    seed,
    onBadRow: "error",
    avazuTimeFields: false,
    rowsPerShard: DEFAULT_ROWS_PER_SHARD,
    progress,
  };
}

/**
 * The planted-rank synthetic set of `rows` rows: generated into `dir` if absent, prepared
 * (min count 10, 8:1:1) or reused from the cache.
 */
export async function syntheticDataset(
  rows: number,
  seed = DEFAULT_SEED,
  dir = join("data", "synthetic"),
  opts: { progress?: boolean } = {},
): Promise<Dataset & { truth: SynthTruth; reused: boolean; raw: string; prepared: string }> {
  const raw = join(dir, `criteo-synth-${rows}-s${seed}.txt`);
  if (!sameSynth(raw, rows, seed)) await generateSynthetic(raw, { rows, seed, progress: opts.progress });
  const truth = JSON.parse(readFileSync(`${raw}.truth.json`, "utf8")) as SynthTruth;
  const prepared = join(dir, `prepared-${rows}-s${seed}`);
  const { reused } = await prepare(syntheticPrepareRequest(raw, prepared, seed, opts.progress));
  return {
    name: `synthetic-${rows}`,
    data: new PreparedData(prepared),
    truth,
    description: `planted-rank synthetic data, ${rows.toLocaleString("en")} rows (seed ${seed}), Criteo layout, min count 10, 8:1:1 split`,
    reused,
    raw,
    prepared,
  };
}

/** The paper-scale sets, prepared by the user (see data/README.md). */
export const CRITEO_PREPARED = join("data", "criteo", "prepared");
export const AVAZU_PREPARED = join("data", "avazu", "prepared");

const PAPER_DATA: Record<"paper" | "paper-avazu", { name: string; dir: string; description: string; missing: string }> =
  {
    paper: {
      name: "criteo",
      dir: CRITEO_PREPARED,
      description: "Criteo (Kaggle Display Advertising Challenge), the paper's preset",
      missing: `paper scale needs the Criteo data: put Kaggle's train.txt (~11 GB, 45M rows) under data/criteo/ and run \`npx autodim prepare --format criteo --input data/criteo/train.txt --out ${CRITEO_PREPARED}\` (two passes at ~80–100 MB/s on 2 cores here: about 4–5 minutes)`,
    },
    "paper-avazu": {
      name: "avazu",
      dir: AVAZU_PREPARED,
      description: "Avazu (Kaggle CTR prediction), the paper's preset",
      missing: `scale paper-avazu needs the Avazu data: put Kaggle's train (~6 GB, 40M rows) under data/avazu/ and run \`npx autodim prepare --format avazu --input data/avazu/train --out ${AVAZU_PREPARED}\` (two passes at ~80–100 MB/s on 2 cores here: about 2–3 minutes)`,
    },
  };

/** The data set of a scale. */
export async function datasetForScale(scale: Scale, seed = DEFAULT_SEED): Promise<Dataset> {
  if (scale === "smoke" || scale === "quick")
    return syntheticDataset(SYNTH_ROWS[scale], seed, undefined, { progress: scale === "quick" });
  const real = PAPER_DATA[scale];
  if (!existsSync(join(real.dir, "manifest.json"))) throw new AutodimError(real.missing);
  return { name: real.name, data: new PreparedData(real.dir), description: real.description };
}

/**
 * The large planted set the claims need (issue: a test split of ≥ 100k rows and a long tail):
 * 1.2M rows drawn over Criteo's full per-field cardinalities with the default Zipf laws, so after
 * min count 10 the big fields keep thousands of values, many of them rare — the regime where
 * large sizes overfit. 20,000 rows at smoke scale.
 */
export const PLANTED_LARGE_ROWS = 1_200_000;
/** The larger planted set the "why" data-size runs search at 200k / 1.2M / 5M training-row scales. */
export const PLANTED_XL_ROWS = 5_000_000;

export async function plantedLargeDataset(
  scale: Scale,
  seed = DEFAULT_SEED,
  dir = join("data", "synthetic"),
  opts: { progress?: boolean; rows?: number } = {},
): Promise<Dataset & { truth: SynthTruth }> {
  const rows = scale === "smoke" ? 20_000 : (opts.rows ?? PLANTED_LARGE_ROWS);
  const raw = join(dir, `criteo-synth-fullvocab-${rows}-s${seed}.txt`);
  const vocabularySizes = [...CRITEO_VOCAB];
  let truth: SynthTruth | undefined;
  if (sameSynth(raw, rows, seed)) {
    truth = JSON.parse(readFileSync(`${raw}.truth.json`, "utf8")) as SynthTruth;
    if (truth.vocabularySizes.join(",") !== vocabularySizes.join(",")) truth = undefined;
  }
  truth ??= await generateSynthetic(raw, { rows, seed, vocabularySizes, progress: opts.progress });
  const prepared = join(dir, `prepared-fullvocab-${rows}-s${seed}`);
  const { manifest } = await prepare(syntheticPrepareRequest(raw, prepared, seed, opts.progress));
  return {
    name: rows === PLANTED_XL_ROWS ? "planted-xl" : "planted-large",
    data: new PreparedData(prepared),
    truth,
    description: `planted-rank synthetic data over Criteo's full vocabularies, ${rows.toLocaleString("en")} rows (seed ${seed}), Criteo layout, min count 10 (${manifest.totalFeatures.toLocaleString("en")} features), 8:1:1 split`,
  };
}

/** The data sets an experiment's settings can name besides its scale's own. */
export const DATA_NAMES = ["scale", "movielens", "criteo", "avazu", "planted-large", "planted-xl"] as const;
export type DataName = (typeof DATA_NAMES)[number];
