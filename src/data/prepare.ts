// raw file ──pass 1──▶ vocabularies (training split only) ──pass 2──▶ id shards + manifest.
// Both passes stream the file; memory is bounded by the number of distinct values, not
// by the number of rows. The split of a row is drawn from the "split" stream in file
// order, once per data line (bad lines included), so both passes and every rerun agree.
import { createHash } from "node:crypto";
import { closeSync, createReadStream, type Stats, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import { basename, join, resolve } from "node:path";
import { AutodimError } from "../errors.js";
import { writeFileAtomic } from "../runtime/files.js";
import { randomStream } from "../runtime/random.js";
import { Progress } from "../runtime/progress.js";
import { countLibfmPairs, makeFormat, RowDecoder, RowError, SchemaError, splitHeader, type Encoding, type Format } from "./formats.js";
import { defaultEncodeThreads, EncodePool, encodeFile, LINE_HEADER, LINE_ROW, type EncodeSetup } from "./encode.js";
import { scanLines, type LineInfo } from "./lines.js";
import {
  isPrepareManifest,
  MANIFEST_FILE,
  PREPARE_VERSION,
  SPLITS,
  type FieldEntry,
  type FileEntry,
  type Manifest,
  type PrepareSettings,
  type ShardEntry,
  type SkippedRow,
  type Split,
} from "./manifest.js";
import { ByteVocab, MISSING_ID, RARE_ID, RESERVED_IDS } from "./vocab.js";
import { FileLock } from "../runtime/lock.js";
import { liveReaders, READERS_DIR } from "./readers.js";

export interface PrepareRequest extends PrepareSettings {
  /** One file, split at random by `split` and `seed`; or separate train/val/test files. */
  input: string | Record<Split, string>;
  out: string;
  /** Print progress on stderr (default true). */
  progress?: boolean;
  /**
   * Worker threads for the encode pass (0: the calling thread). Default: one per core for
   * files of 32 MB and more. The output is the same bytes whatever the number.
   */
  threads?: number;
}

export interface PrepareOutcome {
  manifest: Manifest;
  /** True when an existing prepared directory matched and nothing was rebuilt. */
  reused: boolean;
}

/** A bad input row, located by file, line and field. */
export class DataError extends AutodimError {
  override name = "DataError";
}

export const DEFAULT_ROWS_PER_SHARD = 1 << 18;

export function presetDescription(s: PrepareSettings): string {
  const split = s.preSplit
    ? `train/val/test from separate files`
    : `random ${s.split.map((x) => Math.round(x * 100)).join(":")} train/val/test split (seed ${s.seed})`;
  return (
    `paper preset: integer (numeric) fields v > 2 → ⌊ln(v)²⌋, values ≤ 2 each their own token, empty = missing id 0; ` +
    `values seen < ${s.minCount} times in the training split → the field's rare id 1; ` +
    `${split}; vocabularies from the training split only`
  );
}

export async function prepare(req: PrepareRequest): Promise<PrepareOutcome> {
  const preSplit = typeof req.input !== "string";
  const inputs: { split: Split | "all"; path: string }[] =
    typeof req.input === "string" ? [{ split: "all", path: req.input }] : SPLITS.map((sp) => ({ split: sp, path: (req.input as Record<Split, string>)[sp] }));
  for (const i of inputs) {
    checkInputFile(i.path, i.split === "all" ? "input" : `${i.split} input`);
    i.path = resolve(i.path);
  }
  const input = inputs[0].path;
  const settings: PrepareSettings = {
    format: req.format,
    minCount: req.minCount,
    split: req.split,
    seed: req.seed,
    onBadRow: req.onBadRow,
    avazuTimeFields: req.avazuTimeFields,
    rowsPerShard: req.rowsPerShard,
    ...(req.schema ? { schema: req.schema } : {}),
    ...(preSplit ? { preSplit: true } : {}),
    // Noted only when not the default, like `preSplit`.
    ...(req.encoding === "latin1" ? { encoding: "latin1" as const } : {}),
  };
  const started = Date.now();
  const format = formatFor(req, input);
  mkdirSync(req.out, { recursive: true });
  ownManifest(req.out); // a manifest.json prepare did not write stops us before we wait for the lock
  // One writer per --out, on one machine or several (see src/runtime/lock.ts).
  const lock = await FileLock.acquire(join(req.out, LOCK_FILE), `autodim prepare into ${req.out}`);
  try {
    // Read under the lock: a prepare that finished while we waited has made its data set current,
    // and what it uses is not an orphan.
    const previous = ownManifest(req.out);
    removeOrphans(req.out, previous);
    const cached = await reusable(req.out, inputs, settings);
    if (cached) return { manifest: cached, reused: true };
    // The new data set is built in a folder of its own and becomes current only when its
    // manifest replaces the old one (an atomic rename): a failure leaves the old one whole.
    const generation = `${GENERATION_PREFIX}${Date.now().toString(36)}-${process.pid}`;
    mkdirSync(join(req.out, generation));
    const sourceBytes = inputs.reduce((a, i) => a + statSync(i.path).size, 0);
    const threads = req.threads ?? defaultEncodeThreads(sourceBytes);
    let outcome: PrepareOutcome;
    // Started now, so the workers load while the count pass runs.
    const pool = threads > 0 ? await EncodePool.start(threads) : undefined;
    try {
      outcome = await prepareWith(req, inputs, settings, format, sourceBytes, started, pool, generation);
    } catch (err) {
      rmSync(join(req.out, generation), { recursive: true, force: true });
      throw err;
    } finally {
      await pool?.close();
    }
    if (previous) removeReplaced(req.out, previous, outcome.manifest);
    return outcome;
  } finally {
    lock.release();
  }
}

/** Held by the one `prepare` writing into a folder. */
export const LOCK_FILE = ".prepare.lock";
/** Each prepare's files go to a folder `data-<time>-<pid>/` inside --out, named by the manifest. */
const GENERATION_PREFIX = "data-";
const GENERATION = /^data-[0-9a-z]+-\d+$/;

/** The files a manifest lists, relative to its folder. */
function manifestFiles(m: Pick<Manifest, "counts" | "vocab" | "shards">): string[] {
  return [m.counts, m.vocab, ...m.shards.flatMap((s) => [s.ids, s.labels])].map((f) => f.file);
}

/**
 * The manifest already in `out`, when prepare wrote it; undefined when there is none. A
 * manifest.json that prepare did not write is an error: it is the user's, and prepare would
 * replace it.
 */
function ownManifest(out: string): Manifest | undefined {
  const path = join(out, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    m = undefined;
  }
  if (!isPrepareManifest(m)) {
    throw new DataError(`${path}: not a manifest written by \`autodim prepare\`, and prepare would replace it; move it away or choose another --out`);
  }
  return m;
}

/**
 * Removes what killed prepares left behind: generation folders the current manifest does not
 * use. Runs under the lock, so no other prepare is writing one.
 */
function removeOrphans(out: string, current: Manifest | undefined): void {
  const used = new Set((current ? manifestFiles(current) : []).map((f) => f.split("/")[0]));
  for (const name of readdirSync(out)) {
    if (GENERATION.test(name) && !used.has(name)) {
      if (liveReaders(join(out, name)).length > 0) continue; // still read: a later prepare removes it
      rmSync(join(out, name), { recursive: true, force: true });
      process.stderr.write(`prepare: removed ${join(out, name)}, left by an interrupted prepare\n`);
    }
  }
}

/** After the swap: removes the previous data set's files (only those its manifest listed). */
function removeReplaced(out: string, previous: Manifest, current: Manifest): void {
  const keep = new Set(manifestFiles(current));
  const folders = new Set<string>();
  // A generation another process still reads stays whole until its readers are gone.
  const read = new Set(
    manifestFiles(previous)
      .filter((f) => f.includes("/"))
      .map((f) => f.split("/")[0])
      .filter((d) => GENERATION.test(d) && liveReaders(join(out, d)).length > 0),
  );
  for (const d of read)
    process.stderr.write(`prepare: kept ${join(out, d)} (the replaced data set) while other processes read it; a later prepare removes it\n`);
  for (const f of manifestFiles(previous)) {
    if (f.includes("/") && read.has(f.split("/")[0])) continue;
    if (keep.has(f)) continue;
    rmSync(join(out, f), { force: true });
    if (f.includes("/")) folders.add(f.split("/")[0]);
  }
  // Empty but for this process's own reader mark (no other reader: checked above): remove it.
  for (const d of folders)
    if (GENERATION.test(d) && readdirSync(join(out, d)).every((n) => n === READERS_DIR))
      rmSync(join(out, d), { recursive: true, force: true });
}

async function prepareWith(
  req: PrepareRequest,
  inputs: { split: Split | "all"; path: string }[],
  settings: PrepareSettings,
  format: Format,
  sourceBytes: number,
  started: number,
  pool: EncodePool | undefined,
  generation: string,
): Promise<PrepareOutcome> {
  const input = inputs[0].path;
  const preSplit = settings.preSplit === true;
  const show = req.progress !== false;
  // The sources as pass 1 starts: the manifest records these (they go with pass 1's sha256),
  // and after the last pass every source must still be exactly this.
  const before = inputs.map((src) => statSync(src.path));
  // Pass 1: validate every row, count training values.
  const vocabs = format.fields.map(() => new ByteVocab());
  const missing = new Float64Array(format.fields.length);
  const rows = { train: 0, val: 0, test: 0 };
  const positives = { train: 0, val: 0, test: 0 };
  const skipped = { total: 0, byReason: {} as Record<string, number>, examples: [] as SkippedRow[] };
  const p1 = show ? new Progress("prepare pass 1/2 (count)", sourceBytes / 1e6, "MB") : undefined;
  const scans1: { sha256?: string; lines: number; bytes: number; bom: boolean }[] = [];
  let before1 = 0;
  for (const src of inputs) {
  const scan1 = await scanRows(src.path, src.split, format, req, (decoder, split) => {
    rows[split]++;
    positives[split] += decoder.label;
    if (split !== "train") return;
    for (let m = 0; m < vocabs.length; m++) {
      const s = decoder.tokenStart[m];
      if (s < 0) missing[m]++;
      else vocabs[m].add(decoder.tokens, s, decoder.tokenEnd[m], decoder.tokenHash[m]);
    }
  }, (row) => {
    skipped.total++;
    skipped.byReason[row.reason] = (skipped.byReason[row.reason] ?? 0) + 1;
    if (skipped.examples.length < 10) skipped.examples.push(row);
  }, true, (b) => p1?.update((before1 + b) / 1e6));
  scans1.push(scan1);
  before1 += scan1.bytes;
  }
  p1?.finish(before1 / 1e6, `${scans1.reduce((a, x) => a + x.lines, 0)} lines`);
  const countSeconds = (Date.now() - started) / 1000;
  if (skipped.total > 0) {
    process.stderr.write(`prepare: skipped ${skipped.total} bad rows (${Object.entries(skipped.byReason).map(([k, v]) => `${k}: ${v}`).join(", ")}); first: ${skipped.examples[0].file ?? input}:${skipped.examples[0].line}${skipped.examples[0].field ? `: field ${skipped.examples[0].field}` : ""}: ${skipped.examples[0].message}\n`);
  }
  if (rows.train === 0) throw new DataError(`${input}: no valid training rows`);
  if (preSplit && (rows.val === 0 || rows.test === 0)) throw new DataError(`${rows.val === 0 ? inputs[1].path : inputs[2].path}: no valid rows`);

  // Vocabularies → ids, offsets, counts.
  const fields: FieldEntry[] = [];
  let offset = 0;
  for (let m = 0; m < format.fields.length; m++) {
    const kept = vocabs[m].assignIds(req.minCount);
    const rare = vocabs[m].rareTotals(req.minCount);
    fields.push({ name: format.fields[m].name, kind: format.fields[m].kind, vocabularySize: RESERVED_IDS + kept, offset, kept, rareValues: rare.distinct });
    offset += RESERVED_IDS + kept;
  }
  const totalFeatures = offset;
  const counts = new Uint32Array(totalFeatures);
  const vocabLines: string[] = [];
  for (let m = 0; m < fields.length; m++) {
    const f = fields[m];
    counts[f.offset + MISSING_ID] = missing[m];
    counts[f.offset + RARE_ID] = vocabs[m].rareTotals(req.minCount).count;
    const kept = vocabs[m].kept();
    kept.forEach((e, i) => (counts[f.offset + RESERVED_IDS + i] = vocabs[m].count(e)));
    // Keys are bytes (a latin1 string, one char per byte); as text they are the file's encoding.
    const encoding = encodingOf(req);
    vocabLines.push(JSON.stringify({ field: f.name, values: kept.map((e) => Buffer.from(vocabs[m].key(e), "latin1").toString(encoding)) }));
  }
  const countsEntry = writeChecked(req.out, `${generation}/counts.u32`, new Uint8Array(counts.buffer));
  const vocabEntry = writeChecked(req.out, `${generation}/vocab.jsonl`, Buffer.from(vocabLines.join("\n") + "\n", "utf8"));

  // Pass 2: encode. Chunks come back in file order; the split of each line is drawn here,
  // in order, exactly as in pass 1 (bad lines draw too, the header does not).
  const writers = Object.fromEntries(SPLITS.map((s) => [s, new ShardWriter(req.out, generation, s, fields.length, req.rowsPerShard)])) as Record<Split, ShardWriter>;
  const setup: EncodeSetup = { format, lookups: vocabs.map((v) => v.lookup()), offsets: Int32Array.from(fields.map((f) => f.offset)) };
  const F = fields.length;
  const p2 = show ? new Progress(`prepare pass 2/2 (encode${pool ? `, ${pool.threads} threads` : ""})`, sourceBytes / 1e6, "MB") : undefined;
  const encodeStarted = Date.now();
  let before2 = 0;
  const hashes2: string[] = [];
  for (const src of inputs) {
    const splitOf = lineSplits(req, src.split);
    const hash2 = createHash("sha256");
    before2 += await encodeFile(src.path, setup, {
      hash: hash2,
      threads: pool?.threads ?? 0,
      hasHeader: format.header !== null,
      onChunk: (chunk) => {
        let r = 0;
        for (let i = 0; i < chunk.status.length; i++) {
          const status = chunk.status[i];
          if (status === LINE_HEADER) continue;
          const split = splitOf();
          if (status !== LINE_ROW) continue;
          const row = writers[split].nextRow();
          row.ids.set(chunk.ids.subarray(r * F, r * F + F), row.at);
          row.labels[row.rowIndex] = chunk.labels[r];
          r++;
        }
      },
      onUnterminatedLine: () => void splitOf(),
      onBytes: (b) => p2?.update((before2 + b) / 1e6),
    }, pool);
    hashes2.push(hash2.digest("hex"));
  }
  const shards = SPLITS.flatMap((s) => writers[s].close());
  p2?.finish(before2 / 1e6);
  const encodeSeconds = (Date.now() - encodeStarted) / 1000;

  inputs.forEach((src, i) => assertUnchanged(src.path, before[i], scans1[i].sha256 as string, hashes2[i]));
  const sources = inputs.map((src, i) => {
    const st = before[i];
    return {
      split: src.split,
      path: src.path,
      bytes: st.size,
      mtimeMs: st.mtimeMs,
      sha256: scans1[i].sha256 as string,
      lines: scans1[i].lines,
      // Noted only when present, so manifests of files without one are unchanged.
      ...(scans1[i].bom ? { bom: true } : {}),
    };
  });
  const manifest: Manifest = {
    version: PREPARE_VERSION,
    createdAt: new Date().toISOString(),
    settings,
    preset: presetDescription(settings),
    source: sources[0],
    sources,
    rows,
    positives,
    skipped,
    fields,
    totalFeatures,
    counts: countsEntry,
    vocab: vocabEntry,
    shards,
    prepareSeconds: (Date.now() - started) / 1000,
    passSeconds: { count: countSeconds, encode: encodeSeconds },
  };
  writeFileAtomic(join(req.out, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
  return { manifest, reused: false };
}

/**
 * A source that changed while prepare read it (appended to, rewritten) gives shards that match
 * neither its old nor its new bytes: fail, so the data set already in --out stays current. A new
 * mtime alone, with the same size and both passes' bytes the same, is the same content (a
 * generator renaming identical bytes into place): the manifest keeps pass 1's stat, and a reuse
 * then decides by sha256.
 */
function assertUnchanged(path: string, before: Stats, sha1: string, sha2: string): void {
  let after: Stats | undefined;
  try {
    after = statSync(path);
  } catch {
    after = undefined;
  }
  const what = !after
    ? "was removed"
    : after.size !== before.size
      ? `${after.size > before.size ? "grew" : "shrank"} from ${before.size} to ${after.size} bytes`
      : sha1 !== sha2
        ? "changed its content (the two passes read different bytes)"
        : undefined;
  if (what === undefined) return;
  throw new DataError(`${path}: ${what} while prepare read it; nothing was replaced: re-run \`autodim prepare\` once the file is complete`);
}

/**
 * The split of each data line of one input file, called once per line in file order (bad
 * lines included, the header not): a fixed split for pre-split files, else a draw from the
 * seed's "split" stream. Both passes call it the same way, so they agree line by line.
 */
function lineSplits(req: PrepareRequest, fixedSplit: Split | "all"): () => Split {
  if (fixedSplit !== "all") return () => fixedSplit;
  const rng = randomStream(req.seed, "split");
  const a = req.split[0];
  const b = req.split[0] + req.split[1];
  return () => {
    const u = rng.next();
    return u < a ? "train" : u < b ? "val" : "test";
  };
}

/**
 * Streams the data rows of `input`: `onRow` gets each valid row with its split, `onBad`
 * each bad one (under `--on-bad-row skip`; under `error` the first bad row throws).
 */
async function scanRows(
  input: string,
  fixedSplit: Split | "all",
  format: Format,
  req: PrepareRequest,
  onRow: (decoder: RowDecoder, split: Split) => void,
  onBad: (row: SkippedRow) => void,
  sha256: boolean,
  onBytes: (bytes: number) => void,
) {
  const decoder = new RowDecoder(format);
  const splitOf = lineSplits(req, fixedSplit);
  const name = basename(input);
  const delimiter = String.fromCharCode(format.delimiter);
  const expectedHeader = format.header?.join(delimiter);
  const bad = (info: LineInfo, field: string | null, reason: string, message: string) => {
    const where = `${input}:${info.line}${field ? `: field ${field}` : ""}`;
    if (req.onBadRow === "error") {
      throw new DataError(`${where}: ${message}\n  (use --on-bad-row skip to skip and count such rows)`);
    }
    onBad({ file: input, line: info.line, field, reason, message });
  };
  return scanLines(input, (buf, start, end, info) => {
    if (info.line === 1 && expectedHeader !== undefined) {
      const header = decodeText(Buffer.from(buf.buffer, buf.byteOffset + start, end - start), encodingOf(req), `${input}:1: the header`);
      // Quoted formats compare names, so `"a",b` and `a,b` are the same header.
      const same = format.quoted ? sameNames(header, delimiter, format.header as string[]) : header === expectedHeader;
      if (!same) {
        throw new DataError(`${input}:1: header does not match the ${format.quoted ? "training file's" : `${format.name} layout`}\n  expected: ${expectedHeader}\n  found:    ${header.slice(0, 400)}`);
      }
      return;
    }
    const split = splitOf();
    if (!info.terminated) {
      bad(info, null, "truncated", `truncated last line: no line end at the end of ${name} (if the file is complete, append a newline)`);
      return;
    }
    try {
      decoder.decode(buf, start, end);
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      bad(info, err.field, err.reason, err.message);
      return;
    }
    onRow(decoder, split);
  }, { sha256, onBytes });
}

function sameNames(line: string, delimiter: string, names: string[]): boolean {
  try {
    const got = splitHeader(line, delimiter);
    return got.length === names.length && got.every((n, i) => n === names[i]);
  } catch {
    return false;
  }
}

/**
 * The format of the request; csv/tsv read their header and libfm its first data line
 * (from the training file) to learn the columns.
 */
function formatFor(req: PrepareRequest, input: string): Format {
  const options = { avazuTimeFields: req.avazuTimeFields, schema: req.schema, encoding: encodingOf(req) };
  try {
    if (req.format === "csv" || req.format === "tsv") {
      const delimiter = req.schema?.delimiter ?? (req.format === "csv" ? "," : "\t");
      const first = firstLine(input, false, encodingOf(req));
      if (first === null) throw new DataError(`${input}: empty file; --format ${req.format} needs a header line`);
      return makeFormat(req.format, options, { header: splitHeader(first, delimiter) });
    }
    if (req.format === "libfm") {
      const first = firstLine(input, true, encodingOf(req));
      if (first === null) throw new DataError(`${input}: no data line to count the fields of --format libfm on`);
      return makeFormat(req.format, options, { pairs: countLibfmPairs(first) });
    }
    return makeFormat(req.format, options);
  } catch (err) {
    if (err instanceof SchemaError) throw new DataError(`${input}: ${err.message}`);
    throw err;
  }
}

/** The first line (or first non-blank line) of a file, read in small chunks and decoded as `encoding`. */
function firstLine(path: string, skipBlank: boolean, encoding: Encoding): string | null {
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.alloc(1 << 16);
    let bytes = Buffer.alloc(0);
    let pos = 0;
    let lineNo = 0;
    const decode = (line: Buffer) => decodeText(line, encoding, `${path}:${lineNo}: the ${skipBlank ? "first data line" : "header"}`);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      bytes = Buffer.concat([bytes, chunk.subarray(0, n)]);
      // A UTF-8 byte-order mark (Excel's "CSV UTF-8") is not part of the header.
      if (pos === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
      pos += n;
      for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10)) {
        lineNo++;
        const line = bytes.subarray(0, nl > 0 && bytes[nl - 1] === 13 ? nl - 1 : nl);
        bytes = bytes.subarray(nl + 1);
        const text = decode(line);
        if (!skipBlank || text.trim() !== "") return text;
      }
    }
    lineNo++;
    const last = decode(bytes.subarray(0, bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length));
    return last.trim() === "" && (skipBlank || last === "") ? null : last;
  } finally {
    closeSync(fd);
  }
}

function encodingOf(req: Pick<PrepareRequest, "encoding">): Encoding {
  return req.encoding ?? "utf8";
}

/** Bytes as text; in UTF-8 they must be valid (`what` names them in the error). */
function decodeText(bytes: Buffer, encoding: Encoding, what: string): string {
  if (encoding === "utf8" && !isUtf8(bytes))
    throw new DataError(`${what} is not valid UTF-8; if the file is Latin-1 (ISO-8859-1), prepare with --encoding latin1`);
  return bytes.toString(encoding);
}

/**
 * An input must be a readable file of text: a folder, a symbolic link loop, a gzip file and
 * classic-Mac CR-only line ends are each named (they would otherwise surface as "not found"
 * or as one endless bad line).
 */
function checkInputFile(path: string, what: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new DataError(`${path}: ${what} is a symbolic link that points to itself (a loop, ELOOP)`);
    if (code === "ENOENT") {
      let dangling = false;
      try {
        dangling = lstatSync(path).isSymbolicLink();
      } catch {
        // Not there at all.
      }
      throw new DataError(`${path}: ${what} file not found${dangling ? " (a symbolic link to a path that does not exist)" : ""}`);
    }
    throw e;
  }
  if (st.isDirectory()) throw new DataError(`${path}: ${what} is a folder; give the data file inside it`);
  const head = Buffer.alloc(1 << 16);
  const fd = openSync(path, "r");
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b)
    throw new DataError(`${path}: ${what} is gzip-compressed (whatever its name says); decompress it first: gunzip -k ${path}`);
  const sample = head.subarray(0, n);
  if (sample.includes(13) && !sample.includes(10))
    throw new DataError(`${path}: ${what} has lines ending in CR only (classic Mac), no LF; convert them first, e.g. tr '\\r' '\\n' < FILE > FILE.unix`);
}

/** Accumulates one split's rows into fixed-size shard files. */
class ShardWriter {
  private ids: Int32Array;
  private labels: Uint8Array;
  private rowsInShard = 0;
  private readonly shards: ShardEntry[] = [];
  private readonly row = { ids: new Int32Array(0), labels: new Uint8Array(0), at: 0, rowIndex: 0 };

  constructor(
    private readonly dir: string,
    private readonly generation: string,
    private readonly split: Split,
    private readonly fields: number,
    private readonly rowsPerShard: number,
  ) {
    this.ids = new Int32Array(rowsPerShard * fields);
    this.labels = new Uint8Array(rowsPerShard);
  }

  /** Where to write the next row (valid until the next call). */
  nextRow() {
    if (this.rowsInShard === this.rowsPerShard) this.flush();
    const r = this.row;
    r.ids = this.ids;
    r.labels = this.labels;
    r.rowIndex = this.rowsInShard;
    r.at = this.rowsInShard * this.fields;
    this.rowsInShard++;
    return r;
  }

  close(): ShardEntry[] {
    if (this.rowsInShard > 0 || this.shards.length === 0) this.flush();
    return this.shards;
  }

  private flush(): void {
    const n = this.rowsInShard;
    const stem = `${this.generation}/${this.split}-${String(this.shards.length).padStart(5, "0")}`;
    const ids = new Uint8Array(this.ids.buffer, 0, n * this.fields * 4);
    this.shards.push({
      split: this.split,
      rows: n,
      ids: writeChecked(this.dir, `${stem}.ids.i32`, ids),
      labels: writeChecked(this.dir, `${stem}.labels.u8`, this.labels.subarray(0, n)),
    });
    this.rowsInShard = 0;
  }
}

function writeChecked(dir: string, file: string, bytes: Uint8Array): FileEntry {
  writeFileSync(join(dir, file), bytes);
  return { file, bytes: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** The existing manifest in `out`, if it was made from the same bytes with the same settings. */
async function reusable(out: string, inputs: { split: Split | "all"; path: string }[], settings: PrepareSettings): Promise<Manifest | undefined> {
  const path = join(out, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
  if (m.version !== PREPARE_VERSION || JSON.stringify(m.settings) !== JSON.stringify(settings)) return undefined;
  if (!m.sources || m.sources.length !== inputs.length) return undefined;
  for (let i = 0; i < inputs.length; i++) {
    const src = m.sources[i];
    if (src.split !== inputs[i].split) return undefined;
    const st = statSync(inputs[i].path);
    if (st.size !== src.bytes) return undefined;
    // Touched, or the same bytes under another path (another checkout, a moved file): the checksum decides.
    if ((st.mtimeMs !== src.mtimeMs || src.path !== inputs[i].path) && (await sha256File(inputs[i].path)) !== src.sha256)
      return undefined;
  }
  // Sizes first (cheap), then every file's sha256: a shard damaged in place (same size) makes
  // this prepare rebuild, as the reader's "re-run `autodim prepare`" promises.
  for (const f of [m.counts, m.vocab, ...m.shards.flatMap((s) => [s.ids, s.labels])]) {
    const p = join(out, f.file);
    if (!existsSync(p) || statSync(p).size !== f.bytes) return undefined;
  }
  for (const f of [m.counts, m.vocab, ...m.shards.flatMap((s) => [s.ids, s.labels])]) {
    if ((await sha256File(join(out, f.file))) !== f.sha256) {
      process.stderr.write(`prepare: ${join(out, f.file)} does not match its sha256 in the manifest; rebuilding\n`);
      return undefined;
    }
  }
  return m;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

