// The manifest of a prepared data set: what went in, what came out, where it lies.
// It is the only description of a data set the rest of the code reads: field names,
// vocabulary sizes and offsets come from here, never from code.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { AutodimError } from "../errors.js";
import type { FieldKind, FormatName, Schema } from "./formats.js";

export const SPLITS = ["train", "val", "test"] as const;
export type Split = (typeof SPLITS)[number];

/** Bumped whenever prepare's output for the same input and options would change. */
export const PREPARE_VERSION = 2;

export interface PrepareSettings {
  format: FormatName;
  minCount: number;
  /** Fractions of train/val/test, summing to 1. */
  split: [number, number, number];
  seed: number;
  onBadRow: "error" | "skip";
  avazuTimeFields: boolean;
  rowsPerShard: number;
  /** csv / tsv / libfm: the columns' roles (label, fields, numeric, delimiter, field names). */
  schema?: Schema;
  /** Inputs came as separate train/val/test files (`split` is then unused). */
  preSplit?: boolean;
}

/** One input file as it was when prepared. */
export interface SourceEntry {
  /** The split its rows went to, or "all" for a file split at random. */
  split: Split | "all";
  path: string;
  bytes: number;
  mtimeMs: number;
  sha256: string;
  lines: number;
}

export interface FileEntry {
  file: string;
  bytes: number;
  sha256: string;
}

export interface ShardEntry {
  split: Split;
  rows: number;
  /** Row-major int32 global feature ids, `rows × fields`. */
  ids: FileEntry;
  /** One uint8 label (0/1) per row. */
  labels: FileEntry;
}

export interface FieldEntry {
  name: string;
  kind: FieldKind;
  /** Rows of this field's table: missing + rare + kept values. */
  vocabularySize: number;
  /** Global id of this field's local id 0. */
  offset: number;
  /** Distinct training values kept (seen ≥ minCount times). */
  kept: number;
  /** Distinct training values merged into the rare id. */
  rareValues: number;
}

export interface SkippedRow {
  /** The input file (pre-split inputs have several). */
  file?: string;
  line: number;
  field: string | null;
  reason: string;
  message: string;
}

export interface Manifest {
  version: number;
  createdAt: string;
  settings: PrepareSettings;
  /** Human description of the preprocessing preset. */
  preset: string;
  /** The input file, or the training file of pre-split inputs. */
  source: SourceEntry;
  /** Every input file (one unless pre-split). */
  sources: SourceEntry[];
  rows: Record<Split, number>;
  positives: Record<Split, number>;
  skipped: { total: number; byReason: Record<string, number>; examples: SkippedRow[] };
  fields: FieldEntry[];
  totalFeatures: number;
  /** Per global id: its count in the training split (uint32 little-endian). */
  counts: FileEntry;
  /** One JSON line per field: its kept values in id order (ids from 2 on). */
  vocab: FileEntry;
  shards: ShardEntry[];
  prepareSeconds: number;
  /** Wall time of pass 1 (validate + count) and pass 2 (encode + write shards). */
  passSeconds: { count: number; encode: number };
}

export const MANIFEST_FILE = "manifest.json";

/** Reads and checks a prepared directory's manifest (files present, sizes right). */
export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) {
    throw new AutodimError(`${path} not found: run \`autodim prepare --out ${dir} ...\` first`);
  }
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch (err) {
    throw new AutodimError(`${path}: not valid JSON (${(err as Error).message}); re-run \`autodim prepare\``);
  }
  if (m.version !== PREPARE_VERSION) {
    throw new AutodimError(`${path}: written by prepare version ${m.version}, this is version ${PREPARE_VERSION}; re-run \`autodim prepare\``);
  }
  for (const f of [m.counts, m.vocab, ...m.shards.flatMap((s) => [s.ids, s.labels])]) {
    const p = join(dir, f.file);
    const size = existsSync(p) ? statSync(p).size : -1;
    if (size !== f.bytes) {
      throw new AutodimError(`${p}: ${size < 0 ? "missing" : `${size} bytes, manifest says ${f.bytes}`}; the prepared data is damaged, re-run \`autodim prepare\``);
    }
  }
  return m;
}

/** A short human summary (the `summary` command and notebooks print it). */
export function summarizeManifest(m: Manifest): string {
  const lines: string[] = [];
  const total = m.rows.train + m.rows.val + m.rows.test;
  const pos = m.positives.train + m.positives.val + m.positives.test;
  for (const src of m.sources) {
    lines.push(`format ${m.settings.format}, ${src.split === "all" ? "source" : `${src.split} source`} ${src.path} (${(src.bytes / 1e6).toFixed(1)} MB, sha256 ${src.sha256.slice(0, 12)}…)`);
  }
  lines.push(`rows ${total} (train ${m.rows.train}, val ${m.rows.val}, test ${m.rows.test}), skipped ${m.skipped.total}, click rate ${(pos / Math.max(total, 1)).toFixed(4)}`);
  lines.push(`fields ${m.fields.length}, total features ${m.totalFeatures} (min count ${m.settings.minCount}, ${m.settings.preSplit ? "pre-split files" : `seed ${m.settings.seed}`})`);
  const width = Math.max(...m.fields.map((f) => f.name.length));
  for (const f of m.fields) {
    lines.push(`  ${f.name.padEnd(width)}  ${f.kind}  vocab ${String(f.vocabularySize).padStart(8)}  (kept ${f.kept}, rare values ${f.rareValues})`);
  }
  return lines.join("\n");
}
