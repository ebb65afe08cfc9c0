// Synthetic click logs with planted structure, written in raw Criteo layout so they go
// through the same reader as the real thing. The yardstick for "does the search find the
// right dimension": field m's latent factors have rank r_m, so a field of rank 0 carries no
// signal and a field of rank 16 needs about 16 dimensions to express its interactions.
//
//   logit(x) = b + Σ_m c₁·√(r_m/K)·w_m[x_m] + c₂·Σ_{m<m'} ⟨U_m[x_m], U_m'[x_m']⟩ + ε,  ε ~ N(0, σ²)
//   U_m[v] ∈ R^K with N(0,1) entries in its first r_m coordinates and zeros after,
//   click ~ Bernoulli(sigmoid(logit)).
// c₁ and c₂ set the first-order and interaction parts' standard deviations; b sets the
// click rate. Values follow a Zipf law per field; missing values are a value of their own.
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { randomStream, type RandomStream } from "../core/random.js";
import { writeFileAtomic } from "../core/files.js";
import { Progress } from "../core/progress.js";
import { auc } from "./metrics.js";

/** Criteo's per-field cardinalities after a min-count-10 filter (as in the benchmark). */
export const CRITEO_VOCAB = [
  49, 101, 126, 52, 224, 148, 102, 56, 104, 10, 35, 43, 68, 1460, 558, 251259, 158609, 306, 21, 12136, 634, 4, 29951,
  5374, 214401, 3168, 28, 11043, 104428, 11, 4654, 2032, 5, 189787, 18, 16, 51732, 105, 43952,
];
export const INT_FIELDS = 13;
export const CAT_FIELDS = 26;
export const MAX_RANK = 16;

/**
 * Default planted ranks (I1..I13, C1..C26): 0..16 spread so that rank is not a proxy for
 * cardinality; fields with fewer than 32 values get ranks no larger than a quarter of them.
 */
export const DEFAULT_RANKS = [
  0, 4, 16, 2, 8, 0, 12, 1, 6, 2, 16, 3, 10, 8, 16, 0, 12, 2, 4, 16, 6, 1, 0, 10, 14, 0, 6, 16, 12, 2, 0, 1, 1, 16, 4,
  4, 10, 3, 8,
];

export const SYNTH_VERSION = 2;

export interface SynthOptions {
  rows: number;
  seed: number;
  ranks?: number[];
  /** Target click rate (Criteo's is about 0.256). */
  clickRate?: number;
  /** Std of the first-order part of the logit (at full rank) and of the interaction part. */
  firstOrderStd?: number;
  interactionStd?: number;
  /** Std of the per-row logit noise ε. */
  noiseStd?: number;
  /** Distinct values per field, instead of `syntheticVocabularySize` (the paper-scale rehearsal: Criteo's). */
  vocabularySizes?: number[];
  /** One Zipf exponent for every field, instead of a random one in 1.0–1.3 per field. */
  zipfExponent?: number;
  progress?: boolean;
}

export interface SynthTruth {
  generator: string;
  version: number;
  rows: number;
  seed: number;
  fields: string[];
  ranks: number[];
  /** min(rank, distinct values): the rank the factors can actually have. */
  effectiveRanks: number[];
  /** Distinct values per field, not counting "missing". */
  vocabularySizes: number[];
  zipfExponents: number[];
  missingRates: number[];
  bias: number;
  firstOrderScale: number;
  interactionScale: number;
  noiseStd: number;
  /** Click rate of the generated labels. */
  clickRate: number;
  /** AUC of the noise-free logit on the generated labels: the ceiling for any model of x. */
  ceilingAuc: number;
  seconds: number;
  /** Size and sha256 of the data file, so a cut or changed file is told from the one generated. */
  bytes: number;
  sha256: string;
}

export const FIELD_NAMES = [
  ...Array.from({ length: INT_FIELDS }, (_, i) => `I${i + 1}`),
  ...Array.from({ length: CAT_FIELDS }, (_, i) => `C${i + 1}`),
];

/** Criteo's row count: at this many rows the synthetic cardinalities are Criteo's. */
export const CRITEO_ROWS = 45_840_617;

/**
 * Distinct values of field m at `rows` rows. Integer fields: Criteo's bucket count (the log
 * bucketing bounds it whatever the row count). Categorical fields: Criteo's post-filter
 * cardinality scaled by rows / 45.84M, so a value is seen about as often as in Criteo, and
 * at least min(64, Criteo's), so that ranks up to 16 are representable.
 */
export function syntheticVocabularySize(m: number, rows: number): number {
  const v = CRITEO_VOCAB[m];
  if (m < INT_FIELDS) return v;
  return Math.max(Math.min(v, 64), Math.min(v, Math.round((v * rows) / CRITEO_ROWS)));
}

interface FieldModel {
  size: number;
  cdf: Float64Array; // Zipf CDF over popularity ranks
  valueOfRank: Int32Array; // popularity rank → value index
  missingRate: number;
  w: Float64Array; // first-order weight per value (index size = missing)
  u: Float64Array; // (size + 1) × K factors
  rank: number;
}

/** Generates the data set into `file` (raw Criteo TSV) and `file.truth.json`. */
export async function generateSynthetic(file: string, opts: SynthOptions): Promise<SynthTruth> {
  const started = Date.now();
  const ranks = opts.ranks ?? DEFAULT_RANKS;
  if (ranks.length !== FIELD_NAMES.length)
    throw new Error(`--ranks needs ${FIELD_NAMES.length} values (I1..I13, C1..C26), got ${ranks.length}`);
  for (const r of ranks) {
    if (!Number.isInteger(r) || r < 0 || r > MAX_RANK)
      throw new Error(`--ranks: ${r} is not an integer in 0..${MAX_RANK}`);
  }
  if (!Number.isInteger(opts.rows) || opts.rows < 1)
    throw new Error(`--rows must be a positive integer, got ${opts.rows}`);
  const K = MAX_RANK;
  const noiseStd = opts.noiseStd ?? 0.5;
  if (opts.vocabularySizes) {
    if (opts.vocabularySizes.length !== FIELD_NAMES.length)
      throw new Error(`vocabularySizes needs ${FIELD_NAMES.length} values, got ${opts.vocabularySizes.length}`);
    for (const v of opts.vocabularySizes)
      if (!Number.isInteger(v) || v < 1) throw new Error(`vocabularySizes: ${v} is not a positive integer`);
  }
  if (opts.zipfExponent !== undefined && !(opts.zipfExponent >= 0 && opts.zipfExponent <= 4))
    throw new Error(`zipfExponent must be in 0..4, got ${opts.zipfExponent}`);
  const fields = FIELD_NAMES.map((_, m) =>
    buildField(
      m,
      ranks[m],
      opts.vocabularySizes?.[m] ?? syntheticVocabularySize(m, opts.rows),
      opts.zipfExponent,
      randomStream(opts.seed, "synth", "field", m),
    ),
  );

  // Scales from a calibration sample, so the logit's parts have the asked-for spread
  // whatever the ranks and cardinalities.
  const calib = randomStream(opts.seed, "synth", "calibration");
  const sample = Math.min(20000, Math.max(2000, opts.rows));
  const first = new Float64Array(sample);
  const inter = new Float64Array(sample);
  const values = new Int32Array(fields.length);
  for (let i = 0; i < sample; i++) {
    drawRow(fields, calib, values);
    [first[i], inter[i]] = logitParts(fields, values, K);
  }
  const firstOrderScale = (opts.firstOrderStd ?? 0.5) / Math.max(std(first), 1e-12);
  const interactionScale = (opts.interactionStd ?? 1.2) / Math.max(std(inter), 1e-12);
  const noise = randomStream(opts.seed, "synth", "calibration-noise");
  const base = Array.from(
    { length: sample },
    (_, i) => firstOrderScale * first[i] + interactionScale * inter[i] + noiseStd * noise.normal(),
  );
  const bias = solveBias(base, opts.clickRate ?? 0.256);

  const rows = randomStream(opts.seed, "synth", "rows");
  mkdirSync(dirname(resolve(file)), { recursive: true });
  // Written beside the target and renamed into place (the truth file last): a concurrent
  // writer or reader never sees half a file, and a killed run leaves no file that looks done.
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  const hash = createHash("sha256");
  let bytes = 0;
  const logits = new Float64Array(opts.rows);
  const labels = new Uint8Array(opts.rows);
  const progress = opts.progress === false ? undefined : new Progress("synth", opts.rows, "rows");
  let clicks = 0;
  try {
    const chunk: string[] = [];
    const cols: string[] = new Array(1 + fields.length);
    for (let i = 0; i < opts.rows; i++) {
      drawRow(fields, rows, values);
      const [f, g] = logitParts(fields, values, K);
      const logit = bias + firstOrderScale * f + interactionScale * g;
      const y = rows.next() < sigmoid(logit + noiseStd * rows.normal()) ? 1 : 0;
      logits[i] = logit;
      labels[i] = y;
      clicks += y;
      cols[0] = String(y);
      for (let m = 0; m < fields.length; m++) cols[1 + m] = renderValue(m, values[m], fields[m], rows);
      chunk.push(cols.join("\t"));
      if (chunk.length === 8192 || i === opts.rows - 1) {
        const text = Buffer.from(chunk.join("\n") + "\n", "latin1");
        writeSync(fd, text);
        hash.update(text);
        bytes += text.length;
        chunk.length = 0;
        progress?.update(i + 1);
      }
    }
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  progress?.finish(opts.rows);
  const truth: SynthTruth = {
    generator: "autodim synth",
    version: SYNTH_VERSION,
    rows: opts.rows,
    seed: opts.seed,
    fields: FIELD_NAMES,
    ranks,
    effectiveRanks: fields.map((f) => Math.min(f.rank, f.size + 1)),
    vocabularySizes: fields.map((f) => f.size),
    zipfExponents: fields.map((f) => round(f.zipf, 4)),
    missingRates: fields.map((f) => round(f.missingRate, 4)),
    bias,
    firstOrderScale,
    interactionScale,
    noiseStd,
    clickRate: clicks / opts.rows,
    ceilingAuc: clicks > 0 && clicks < opts.rows ? auc(labels, logits) : NaN,
    seconds: (Date.now() - started) / 1000,
    bytes,
    sha256: hash.digest("hex"),
  };
  writeFileAtomic(`${file}.truth.json`, JSON.stringify(truth, null, 2) + "\n");
  return truth;
}

function buildField(
  m: number,
  rank: number,
  size: number,
  zipfExponent: number | undefined,
  rng: RandomStream,
): FieldModel & { zipf: number } {
  // Drawn even when fixed, so the rest of the field's stream (and a default data set) is unchanged.
  const drawnZipf = 1.0 + 0.3 * rng.next();
  const zipf = zipfExponent ?? drawnZipf;
  const cdf = new Float64Array(size);
  let total = 0;
  for (let r = 0; r < size; r++) cdf[r] = total += Math.pow(r + 1, -zipf);
  for (let r = 0; r < size; r++) cdf[r] /= total;
  const valueOfRank = Int32Array.from({ length: size }, (_, i) => i);
  rng.shuffle(valueOfRank);
  const missingRate = m < INT_FIELDS ? 0.3 * rng.next() : 0.1 * rng.next();
  const K = MAX_RANK;
  const w = new Float64Array(size + 1);
  const u = new Float64Array((size + 1) * K);
  const firstOrderWeight = Math.sqrt(rank / K);
  for (let v = 0; v <= size; v++) {
    w[v] = firstOrderWeight * rng.normal();
    for (let k = 0; k < rank; k++) u[v * K + k] = rng.normal();
  }
  return { size, cdf, valueOfRank, missingRate, w, u, rank, zipf };
}

/** Fills `values[m]` with a value index per field (`size` = missing). */
function drawRow(fields: FieldModel[], rng: RandomStream, values: Int32Array): void {
  for (let m = 0; m < fields.length; m++) {
    const f = fields[m];
    if (rng.next() < f.missingRate) {
      values[m] = f.size;
      continue;
    }
    const u = rng.next();
    let lo = 0;
    let hi = f.size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (f.cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    values[m] = f.valueOfRank[lo];
  }
}

const sumScratch = new Float64Array(MAX_RANK);

/** [first-order sum, pairwise interaction sum] before scaling. */
function logitParts(fields: FieldModel[], values: Int32Array, K: number): [number, number] {
  let first = 0;
  let squares = 0;
  sumScratch.fill(0);
  for (let m = 0; m < fields.length; m++) {
    const f = fields[m];
    const v = values[m];
    first += f.w[v];
    const o = v * K;
    for (let k = 0; k < f.rank; k++) {
      const x = f.u[o + k];
      sumScratch[k] += x;
      squares += x * x;
    }
  }
  let sq = 0;
  for (let k = 0; k < K; k++) sq += sumScratch[k] * sumScratch[k];
  // Σ_{m<m'} ⟨u_m, u_m'⟩ = (‖Σ u‖² − Σ ‖u‖²) / 2
  return [first, (sq - squares) / 2];
}

/**
 * The text of value index v of field m. Integer fields: indices 0..3 are the small values
 * −1, 0, 1, 2 (tokens of their own); index i ≥ 4 is a random integer of bucket i − 3 under
 * ⌊ln(v)²⌋, so the reader's bucketing recovers exactly the planted value. Categorical
 * fields: an 8-hex-digit id, a bijection of the index (no two values collide).
 */
function renderValue(m: number, v: number, f: FieldModel, rng: RandomStream): string {
  if (v === f.size) return "";
  if (m < INT_FIELDS) {
    if (v < 4) return String(v - 1);
    const k = v - 3;
    const lo = Math.max(3, Math.ceil(Math.exp(Math.sqrt(k))));
    const hi = Math.ceil(Math.exp(Math.sqrt(k + 1))) - 1;
    return String(lo + rng.int(Math.max(1, hi - lo + 1)));
  }
  const salt = Math.imul(m + 1, 0x85ebca6b) >>> 0;
  return ((Math.imul(v, 0x9e3779b1) + salt) >>> 0).toString(16).padStart(8, "0");
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function std(a: Float64Array): number {
  let mean = 0;
  for (const x of a) mean += x;
  mean /= a.length;
  let v = 0;
  for (const x of a) v += (x - mean) * (x - mean);
  return Math.sqrt(v / a.length);
}

/** b with mean(sigmoid(b + base)) = target, by bisection. */
function solveBias(base: number[], target: number): number {
  let lo = -20;
  let hi = 20;
  for (let it = 0; it < 100; it++) {
    const mid = (lo + hi) / 2;
    let mean = 0;
    for (const x of base) mean += sigmoid(mid + x);
    if (mean / base.length < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function round(x: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}
