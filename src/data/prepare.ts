// raw file ──pass 1──▶ vocabularies (training split only) ──pass 2──▶ id shards + manifest.
// Both passes stream the file; memory is bounded by the number of distinct values, not
// by the number of rows. The split of a row is drawn from the "split" stream in file
// order, once per data line (bad lines included), so both passes and every rerun agree.
import { createHash } from "node:crypto";
import { type Stats, mkdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../core/files.js";
import { Progress } from "../core/progress.js";
import type { Format } from "./formats.js";
import { defaultEncodeThreads, EncodePool, encodeFile, LINE_HEADER, LINE_ROW, type EncodeSetup } from "./encode.js";
import {
  MANIFEST_FILE,
  PREPARE_VERSION,
  SPLITS,
  type FieldEntry,
  type Manifest,
  type PrepareSettings,
  type SkippedRow,
  type Split,
} from "./manifest.js";
import { ByteVocab, MISSING_ID, RARE_ID, RESERVED_IDS } from "./vocab.js";
import { FileLock } from "../core/lock.js";
import { DataError } from "./data-error.js";
import { checkInputFile, encodingOf, formatFor } from "./prepare-inputs.js";
import {
  GENERATION_PREFIX,
  LOCK_FILE,
  ownManifest,
  removeOrphans,
  removeReplaced,
  reusable,
  ShardWriter,
  writeChecked,
} from "./prepare-output.js";
import { lineSplits, scanRows } from "./prepare-scan.js";

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
    typeof req.input === "string"
      ? [{ split: "all", path: req.input }]
      : SPLITS.map((sp) => ({ split: sp, path: (req.input as Record<Split, string>)[sp] }));
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
  // One writer per --out, on one machine or several (see src/core/lock.ts).
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
    const scan1 = await scanRows(
      src.path,
      src.split,
      format,
      req,
      (decoder, split) => {
        rows[split]++;
        positives[split] += decoder.label;
        if (split !== "train") return;
        for (let m = 0; m < vocabs.length; m++) {
          const s = decoder.tokenStart[m];
          if (s < 0) missing[m]++;
          else vocabs[m].add(decoder.tokens, s, decoder.tokenEnd[m], decoder.tokenHash[m]);
        }
      },
      (row) => {
        skipped.total++;
        skipped.byReason[row.reason] = (skipped.byReason[row.reason] ?? 0) + 1;
        if (skipped.examples.length < 10) skipped.examples.push(row);
      },
      true,
      (b) => p1?.update((before1 + b) / 1e6),
    );
    scans1.push(scan1);
    before1 += scan1.bytes;
  }
  p1?.finish(before1 / 1e6, `${scans1.reduce((a, x) => a + x.lines, 0)} lines`);
  const countSeconds = (Date.now() - started) / 1000;
  if (skipped.total > 0) {
    process.stderr.write(
      `prepare: skipped ${skipped.total} bad rows (${Object.entries(skipped.byReason)
        .map(([k, v]) => `${k}: ${v}`)
        .join(
          ", ",
        )}); first: ${skipped.examples[0].file ?? input}:${skipped.examples[0].line}${skipped.examples[0].field ? `: field ${skipped.examples[0].field}` : ""}: ${skipped.examples[0].message}\n`,
    );
  }
  if (rows.train === 0) throw new DataError(`${input}: no valid training rows`);
  if (preSplit && (rows.val === 0 || rows.test === 0))
    throw new DataError(`${rows.val === 0 ? inputs[1].path : inputs[2].path}: no valid rows`);

  // Vocabularies → ids, offsets, counts.
  const fields: FieldEntry[] = [];
  let offset = 0;
  for (let m = 0; m < format.fields.length; m++) {
    const kept = vocabs[m].assignIds(req.minCount);
    const rare = vocabs[m].rareTotals(req.minCount);
    fields.push({
      name: format.fields[m].name,
      kind: format.fields[m].kind,
      vocabularySize: RESERVED_IDS + kept,
      offset,
      kept,
      rareValues: rare.distinct,
    });
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
    vocabLines.push(
      JSON.stringify({
        field: f.name,
        values: kept.map((e) => Buffer.from(vocabs[m].key(e), "latin1").toString(encoding)),
      }),
    );
  }
  const countsEntry = writeChecked(req.out, `${generation}/counts.u32`, new Uint8Array(counts.buffer));
  const vocabEntry = writeChecked(
    req.out,
    `${generation}/vocab.jsonl`,
    Buffer.from(vocabLines.join("\n") + "\n", "utf8"),
  );

  // Pass 2: encode. Chunks come back in file order; the split of each line is drawn here,
  // in order, exactly as in pass 1 (bad lines draw too, the header does not).
  const writers = Object.fromEntries(
    SPLITS.map((s) => [s, new ShardWriter(req.out, generation, s, fields.length, req.rowsPerShard)]),
  ) as Record<Split, ShardWriter>;
  const setup: EncodeSetup = {
    format,
    lookups: vocabs.map((v) => v.lookup()),
    offsets: Int32Array.from(fields.map((f) => f.offset)),
  };
  const F = fields.length;
  const p2 = show
    ? new Progress(`prepare pass 2/2 (encode${pool ? `, ${pool.threads} threads` : ""})`, sourceBytes / 1e6, "MB")
    : undefined;
  const encodeStarted = Date.now();
  let before2 = 0;
  const hashes2: string[] = [];
  for (const src of inputs) {
    const splitOf = lineSplits(req, src.split);
    const hash2 = createHash("sha256");
    before2 += await encodeFile(
      src.path,
      setup,
      {
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
      },
      pool,
    );
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
  throw new DataError(
    `${path}: ${what} while prepare read it; nothing was replaced: re-run \`autodim prepare\` once the file is complete`,
  );
}
