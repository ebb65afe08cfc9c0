// The real data sets by name: MovieLens-1M (joined and prepared from GroupLens' files), raw
// Criteo / Avazu files of any length, their records when the raw files are absent, and the
// data set an experiment's settings name (datasetByName).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { PreparedData } from "../data/batches.js";
import { prepare, type PrepareRequest } from "../data/prepare.js";
import {
  formatUserRange,
  joinMovieLens,
  MOVIELENS_FIELDS,
  MOVIELENS_SUBSET,
  parseUserRange,
  type UserRange,
} from "../data/movielens.js";
import { AutodimError } from "../core/errors.js";
import { dataRecordsDir, recordedDataset, saveDataRecord } from "./data-record.js";
import {
  type Scale,
  type Dataset,
  sha256Sync,
  syntheticPrepareRequest,
  datasetForScale,
  PLANTED_XL_ROWS,
  plantedLargeDataset,
  type DataName,
} from "./datasets.js";
import { DEFAULT_SEED } from "../methods/defaults.js";

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
