// The data sets the experiments run on, by scale: the planted-rank synthetic set (made and
// prepared on first use, reused afterwards) at smoke and quick scale; real Criteo at paper
// scale when the user has put it under data/criteo/. Paths are relative to the repo root —
// the working directory of the CLI and of the notebook kernel.
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { PreparedData } from "../data/batches.js";
import { DEFAULT_ROWS_PER_SHARD, prepare, type PrepareRequest } from "../data/prepare.js";
import {
  formatUserRange,
  joinMovieLens,
  MOVIELENS_FIELDS,
  MOVIELENS_SUBSET,
  parseUserRange,
  type UserRange,
} from "../data/movielens.js";
import { CRITEO_VOCAB, generateSynthetic, SYNTH_VERSION, type SynthTruth } from "../data/synthetic.js";
import { AutodimError } from "../errors.js";
import { dataRecordsDir, recordedDataset, saveDataRecord } from "./data-record.js";

export const DEFAULT_SEED = 2026;
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

function sha256Sync(path: string): string {
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
 * Where the MovieLens-1M files are read from: `AUTODIM_MOVIELENS` (a folder with ratings.dat or
 * ratings.dat.gz, users.dat and movies.dat), else GroupLens' ml-1m.zip unzipped under data/movielens/.
 */
export function movielensSourceDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.AUTODIM_MOVIELENS ?? join("data", "movielens", "ml-1m");
}

/** MovieLens-1M's size as GroupLens ships it (a folder with fewer ratings is described as a subset). */
const MOVIELENS_1M_RATINGS = 1_000_209;

/**
 * The users whose ratings the experiments use: `AUTODIM_MOVIELENS_USERS` ("FROM-TO" or "all"),
 * default 1–2999 — the subset every committed MovieLens result was made from (MOVIELENS_SUBSET),
 * so GroupLens' whole ml-1m gives the committed runs' data byte for byte.
 */
export function movielensUsers(env: NodeJS.ProcessEnv = process.env): UserRange | undefined {
  const text = env.AUTODIM_MOVIELENS_USERS;
  if (text === undefined) return MOVIELENS_SUBSET.users;
  const r = parseUserRange(text);
  if (!r.ok)
    throw new AutodimError(
      `AUTODIM_MOVIELENS_USERS must be FROM-TO (user ids, e.g. 1-2999) or all, got ${JSON.stringify(text)}`,
    );
  return r.range;
}

function isSubsetUsers(users: UserRange | undefined): boolean {
  return users?.from === MOVIELENS_SUBSET.users.from && users.to === MOVIELENS_SUBSET.users.to;
}

/** How to get MovieLens-1M as the experiments read it (for errors that need its raw files). */
export function movielensRecipe(): string {
  return (
    `get ml-1m.zip from GroupLens (https://grouplens.org/datasets/movielens/1m/) and unzip it so data/movielens/ml-1m/ holds ratings.dat, users.dat and movies.dat, ` +
    `or set AUTODIM_MOVIELENS to such a folder; the experiments use the ratings of users ${formatUserRange(movielensUsers())} ` +
    `(\`npx autodim movielens --input data/movielens/ml-1m --users 1-2999 --out ml.tsv\` checks that subset's sha256 against the committed runs')`
  );
}

/**
 * MovieLens-1M (the paper's case-study data) joined (label rating > 3; userId, movieId, gender,
 * age, occupation, zip, year, genres; the ratings of `users`, default `movielensUsers()`) and
 * prepared like the paper's sets (min count 10, random 8:1:1 split, seed 2026); both are cached
 * under data/movielens/ by the source files' sha256 (and the users, when not the default).
 */
export async function movielensDataset(
  opts: { dir?: string; progress?: boolean; out?: string; users?: UserRange | "all" } = {},
): Promise<Dataset & { reused: boolean; prepared: string }> {
  const dir = opts.dir ?? movielensSourceDir();
  const userRange = opts.users === undefined ? movielensUsers() : opts.users === "all" ? undefined : opts.users;
  const ratings = existsSync(join(dir, "ratings.dat")) ? "ratings.dat" : "ratings.dat.gz";
  const files = [ratings, "users.dat", "movies.dat"].map((f) => join(dir, f));
  const missing = files.find((f) => !existsSync(f));
  if (missing) throw new AutodimError(`MovieLens-1M: ${missing} is missing. ${movielensRecipe()}`);
  const key = createHash("sha256")
    .update(
      files.map((f) => sha256Sync(f)).join(",") +
        (isSubsetUsers(userRange) ? "" : `,users ${formatUserRange(userRange)}`),
    )
    .digest("hex")
    .slice(0, 12);
  const out = opts.out ?? join("data", "movielens");
  mkdirSync(out, { recursive: true });
  const joined = join(out, `ml-1m-${key}.tsv`);
  if (!existsSync(joined)) await joinMovieLens(dir, joined, { users: userRange });
  const prepared = join(out, `prepared-${key}`);
  const req: PrepareRequest = {
    ...syntheticPrepareRequest(joined, prepared, DEFAULT_SEED, opts.progress),
    format: "tsv",
  };
  const { reused, manifest } = await prepare(req);
  if (isSubsetUsers(userRange) && manifest.source.sha256 !== MOVIELENS_SUBSET.sha256)
    process.stderr.write(
      `${joined}: users ${formatUserRange(userRange)} of ${dir} give sha256 ${manifest.source.sha256.slice(0, 12)}, not the committed MovieLens runs' ${MOVIELENS_SUBSET.sha256.slice(0, 12)} (GroupLens' ml-1m): their saved runs will not be reused\n`,
    );
  const rows = manifest.rows.train + manifest.rows.val + manifest.rows.test;
  // Users seen in the training split (kept or rare): all of a MovieLens user's ≥ 20 ratings are rarely all held out.
  const userField = manifest.fields.find((f) => f.name === "userId");
  const users = (userField?.kept ?? 0) + (userField?.rareValues ?? 0);
  const subset =
    rows === MOVIELENS_1M_RATINGS
      ? ""
      : ` — a subset: ${rows.toLocaleString("en")} of its ${MOVIELENS_1M_RATINGS.toLocaleString("en")} ratings, ${users.toLocaleString("en")} users`;
  return {
    name: "movielens-1m",
    data: new PreparedData(prepared),
    description: `MovieLens-1M (GroupLens)${subset}; label rating > 3; 8 fields (${MOVIELENS_FIELDS.join(", ")}), min count 10, random 8:1:1 split (seed ${DEFAULT_SEED}); ratings sha256 ${manifest.source.sha256.slice(0, 12)}`,
    reused,
    prepared,
  };
}

const RAW_CTR = {
  criteo: {
    env: "AUTODIM_CRITEO",
    file: join("data", "criteo", "train.txt"),
    label: "Criteo (Kaggle Display Advertising Challenge)",
    full: 45_840_617,
    get: "Kaggle's Display Advertising Challenge train.txt",
  },
  avazu: {
    env: "AUTODIM_AVAZU",
    file: join("data", "avazu", "train"),
    label: "Avazu (Kaggle CTR prediction)",
    full: 40_428_967,
    get: "Kaggle's Avazu CTR prediction train file",
  },
} as const;

/**
 * A raw Criteo or Avazu file of any length (`AUTODIM_CRITEO` / `AUTODIM_AVAZU`, else
 * data/criteo/train.txt / data/avazu/train) through its raw loader with the paper's preset
 * (min count 10, random 8:1:1), cached under data/<name>/ by the file's sha256.
 */
export async function rawCtrDataset(name: "criteo" | "avazu", opts: { progress?: boolean } = {}): Promise<Dataset> {
  const spec = RAW_CTR[name];
  const file = process.env[spec.env] ?? spec.file;
  if (!existsSync(file))
    throw new AutodimError(`${spec.label}: ${file} is missing. Put ${spec.get} there, or set ${spec.env} to the file`);
  const sha = sha256Sync(file);
  const prepared = join("data", name, `prepared-${sha.slice(0, 12)}`);
  const { manifest } = await prepare({
    ...syntheticPrepareRequest(file, prepared, DEFAULT_SEED, opts.progress),
    format: name,
  });
  const rows = manifest.rows.train + manifest.rows.val + manifest.rows.test;
  const subset =
    rows >= spec.full ? "" : ` — a sample: ${rows.toLocaleString("en")} rows of its ${spec.full.toLocaleString("en")}`;
  return {
    name,
    data: new PreparedData(prepared),
    description: `${spec.label}${subset}; the paper's preset (min count 10, random 8:1:1 split, seed ${DEFAULT_SEED}); ${manifest.totalFeatures.toLocaleString("en")} features; file sha256 ${sha.slice(0, 12)}`,
  };
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

/**
 * Why a named real data set cannot be loaded here — neither its raw files nor its record (the
 * committed runs' data, results/datasets/) are here — or undefined.
 */
export function dataMissing(name: DataName): string | undefined {
  const absent = rawDataMissing(name);
  if (absent && (name === "movielens" || name === "criteo" || name === "avazu")) {
    const record = join(dataRecordsDir(), `${dataRecordKey(name)}.json`);
    if (existsSync(record)) return undefined;
    return `${absent}, and no record of it in ${record}`;
  }
  return absent;
}

/** Why a named real data set's raw files are not here, or undefined. */
export function rawDataMissing(name: DataName): string | undefined {
  if (name === "movielens")
    return movielensAvailable()
      ? undefined
      : `MovieLens-1M not found under ${movielensSourceDir()} (or AUTODIM_MOVIELENS)`;
  if (name === "criteo" || name === "avazu") {
    const spec = RAW_CTR[name];
    const file = process.env[spec.env] ?? spec.file;
    return existsSync(file) ? undefined : `${spec.label} not found at ${file} (or ${spec.env})`;
  }
  return undefined;
}

/**
 * The key of a real data set's record (results/datasets/<key>.json, see data-record.ts):
 * MovieLens's names its users when they are not the committed subset's.
 */
export function dataRecordKey(name: "movielens" | "criteo" | "avazu"): string {
  if (name !== "movielens") return name;
  const users = movielensUsers();
  return isSubsetUsers(users) ? "movielens" : `movielens-users-${users ? `${users.from}-${users.to}` : "all"}`;
}

/** Where to get a real data set's raw files, for the error a missing run cell gives. */
function rawRecipe(name: "movielens" | "criteo" | "avazu"): string {
  if (name === "movielens") return movielensRecipe();
  const spec = RAW_CTR[name];
  return `put ${spec.get} at ${spec.file}, or set ${spec.env} to the file`;
}

/**
 * A real data set: from its raw files when they are here (its record under results/datasets/
 * written or confirmed), else from its record — the committed runs' data without its rows, enough
 * to rebuild every table from saved runs; a run that must be computed then needs the raw files.
 */
async function realDataset(name: "movielens" | "criteo" | "avazu", scale: Scale): Promise<Dataset> {
  const absent = rawDataMissing(name);
  if (absent) {
    const recorded = recordedDataset(
      dataRecordKey(name),
      `${absent}; computing a run needs the raw data: ${rawRecipe(name)}`,
    );
    if (recorded) return recorded;
  }
  const ds =
    name === "movielens"
      ? await movielensDataset({ progress: scale !== "smoke" })
      : await rawCtrDataset(name, { progress: scale !== "smoke" });
  saveDataRecord(dataRecordKey(name), ds);
  return ds;
}

/** The data set named by an experiment's settings: "scale" is the scale's (synthetic at smoke/quick). */
export async function datasetByName(name: DataName, scale: Scale, seed = DEFAULT_SEED): Promise<Dataset> {
  if (name === "movielens" || name === "criteo" || name === "avazu") return realDataset(name, scale);
  if (name === "planted-large") return plantedLargeDataset(scale, seed, undefined, { progress: scale !== "smoke" });
  if (name === "planted-xl")
    return plantedLargeDataset(scale, seed, undefined, { progress: scale !== "smoke", rows: PLANTED_XL_ROWS });
  return datasetForScale(scale, seed);
}

/** Whether the MovieLens-1M files are where `movielensDataset` looks. */
export function movielensAvailable(dir = movielensSourceDir()): boolean {
  return (
    ["users.dat", "movies.dat"].every((f) => existsSync(join(dir, f))) &&
    (existsSync(join(dir, "ratings.dat")) || existsSync(join(dir, "ratings.dat.gz")))
  );
}
