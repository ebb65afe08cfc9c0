// The manifest of a prepared data set: what went in, what came out, where it lies.
// It is the only description of a data set the rest of the code reads: field names,
// vocabulary sizes and offsets come from here, never from code.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { AutodimError } from "../core/errors.js";
import { z } from "zod";
import { ENCODINGS, FORMAT_NAMES, type Encoding, type FieldKind, type FormatName, type Schema } from "./formats.js";

export const SPLITS = ["train", "val", "test"] as const;
export type Split = (typeof SPLITS)[number];

/** Bumped whenever prepare's output for the same input and options would change. */
// 3: headers, values and vocab.jsonl are UTF-8 (names and values read as Latin-1 before).
export const PREPARE_VERSION = 3;

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
  /** `--encoding latin1`: the files are read as Latin-1 (absent: UTF-8, checked). */
  encoding?: Encoding;
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
  /** The file began with a UTF-8 byte-order mark, which was skipped. */
  bom?: boolean;
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
  /**
   * One JSON line per field: its kept values in id order (ids from 2 on), UTF-8. Its sha256 is
   * the data set's vocabulary hash: equal hashes mean every id stands for the same value.
   */
  vocab: FileEntry;
  shards: ShardEntry[];
  prepareSeconds: number;
  /** Wall time of pass 1 (validate + count) and pass 2 (encode + write shards). */
  passSeconds: { count: number; encode: number };
}

// The schema: the raw zod objects (`…Shape`) are checked against the interfaces above under
// \`tsc --strict\` in test/train/schemas.test.ts (tslab's non-strict compile infers zod types as optional).
const count = z.number().int().nonnegative();
export const fileEntryShape = z.object({
  file: z.string().min(1),
  bytes: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
const splitCounts = z.object({ train: count, val: count, test: count });
const formatSchema = z.object({
  label: z.string().optional(),
  fields: z.array(z.string()).optional(),
  numeric: z.array(z.string()).optional(),
  delimiter: z.string().optional(),
  fieldNames: z.array(z.string()).optional(),
});

export const prepareSettingsShape = z.object({
  format: z.enum(FORMAT_NAMES as [FormatName, ...FormatName[]]),
  minCount: z.number().int().positive(),
  /** Fractions of train/val/test, summing to 1. */
  split: z.tuple([z.number().nonnegative(), z.number().nonnegative(), z.number().nonnegative()]),
  seed: z.number().int(),
  onBadRow: z.enum(["error", "skip"]),
  avazuTimeFields: z.boolean(),
  rowsPerShard: z.number().int().positive(),
  /** csv / tsv / libfm: the columns' roles (label, fields, numeric, delimiter, field names). */
  schema: formatSchema.optional(),
  /** Inputs came as separate train/val/test files (`split` is then unused). */
  preSplit: z.boolean().optional(),
  /** `--encoding latin1`: the files are read as Latin-1 (absent: UTF-8, checked). */
  encoding: z.enum(ENCODINGS as [Encoding, ...Encoding[]]).optional(),
});

/** One input file as it was when prepared. */
export const sourceEntryShape = z.object({
  /** The split its rows went to, or "all" for a file split at random. */
  split: z.enum([...SPLITS, "all"]),
  path: z.string(),
  bytes: count,
  mtimeMs: z.number(),
  sha256: z.string(),
  lines: count,
  bom: z.boolean().optional(),
});

export const shardEntryShape = z.object({
  split: z.enum(SPLITS),
  rows: count,
  /** Row-major int32 global feature ids, `rows × fields`. */
  ids: fileEntryShape,
  /** One uint8 label (0/1) per row. */
  labels: fileEntryShape,
});

export const fieldEntryShape = z.object({
  name: z.string().min(1),
  kind: z.enum(["int", "cat"]),
  /** Rows of this field's table: missing + rare + kept values. */
  vocabularySize: z.number().int().positive(),
  /** Global id of this field's local id 0. */
  offset: count,
  /** Distinct training values kept (seen ≥ minCount times). */
  kept: count,
  /** Distinct training values merged into the rare id. */
  rareValues: count,
});

export const skippedRowShape = z.object({
  /** The input file (pre-split inputs have several). */
  file: z.string().optional(),
  line: count,
  field: z.string().nullable(),
  reason: z.string(),
  message: z.string(),
});

export const manifestShape = z.object({
  version: z.number().int(),
  createdAt: z.string(),
  settings: prepareSettingsShape,
  /** Human description of the preprocessing preset. */
  preset: z.string(),
  /** The input file, or the training file of pre-split inputs. */
  source: sourceEntryShape,
  /** Every input file (one unless pre-split). */
  sources: z.array(sourceEntryShape).min(1),
  rows: splitCounts,
  positives: splitCounts,
  skipped: z.object({ total: count, byReason: z.record(count), examples: z.array(skippedRowShape) }),
  fields: z.array(fieldEntryShape).min(1),
  totalFeatures: z.number().int().positive(),
  /** Per global id: its count in the training split (uint32 little-endian). */
  counts: fileEntryShape,
  /** One JSON line per field: its kept values in id order (ids from 2 on). */
  vocab: fileEntryShape,
  shards: z.array(shardEntryShape),
  prepareSeconds: z.number(),
  /** Wall time of pass 1 (validate + count) and pass 2 (encode + write shards). */
  passSeconds: z.object({ count: z.number(), encode: z.number() }),
});

/** A manifest, with its offsets checked against the vocabularies. */
export const manifestSchema = manifestShape.superRefine((m, ctx) => {
  let offset = 0;
  m.fields.forEach((f, i) => {
    if (f.offset !== offset)
      ctx.addIssue({
        code: "custom",
        path: ["fields", i, "offset"],
        message: `${f.offset}, expected ${offset} (the sum of the vocabularies before it)`,
      });
    offset += f.vocabularySize;
  });
  if (m.totalFeatures !== offset)
    ctx.addIssue({
      code: "custom",
      path: ["totalFeatures"],
      message: `${m.totalFeatures}, the fields' vocabularies sum to ${offset}`,
    });
}) as unknown as z.ZodType<Manifest>;

export const MANIFEST_FILE = "manifest.json";

/** Whether parsed JSON looks like a manifest `autodim prepare` wrote (any version). */
export function isPrepareManifest(x: unknown): x is Manifest {
  const o = x as Partial<Manifest> | null | undefined;
  return (
    !!o &&
    typeof o.version === "number" &&
    typeof o.preset === "string" &&
    Array.isArray(o.shards) &&
    !!o.counts &&
    !!o.vocab
  );
}

/**
 * The prepared data folder `path` is in (or is), found by walking up to a manifest.json that
 * prepare wrote; undefined when there is none. Nothing there may be written by anything but
 * prepare: its files are checked by sha256 and removed by the next prepare.
 */
export function preparedFolderOf(path: string): string | undefined {
  for (let dir = path; ; dir = dirname(dir)) {
    const m = join(dir, MANIFEST_FILE);
    if (existsSync(m)) {
      try {
        if (isPrepareManifest(JSON.parse(readFileSync(m, "utf8")))) return dir;
      } catch {
        // Not JSON: not prepare's.
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Reads and checks a prepared directory's manifest (files present, sizes right). */
export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST_FILE);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new AutodimError(
      `${dir} is a file: --data takes the folder that \`autodim prepare --out DIR\` wrote (it holds manifest.json)`,
    );
  }
  if (!existsSync(path)) {
    throw new AutodimError(`${path} not found: run \`autodim prepare --out ${dir} ...\` first`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new AutodimError(`${path}: not valid JSON (${(err as Error).message}); re-run \`autodim prepare\``);
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (version !== PREPARE_VERSION) {
    throw new AutodimError(
      `${path}: written by prepare version ${String(version)}, this is version ${PREPARE_VERSION}; re-run \`autodim prepare\``,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AutodimError(
      `${path}: ${issue.path.join(".") || "(top level)"}: ${issue.message}; the manifest is damaged, re-run \`autodim prepare\``,
    );
  }
  const m = parsed.data;
  if (m.version !== PREPARE_VERSION) {
    throw new AutodimError(
      `${path}: written by prepare version ${m.version}, this is version ${PREPARE_VERSION}; re-run \`autodim prepare\``,
    );
  }
  for (const f of [m.counts, m.vocab, ...m.shards.flatMap((s) => [s.ids, s.labels])]) {
    const p = join(dir, f.file);
    const size = existsSync(p) ? statSync(p).size : -1;
    if (size !== f.bytes) {
      throw new AutodimError(
        `${p}: ${size < 0 ? "missing" : `${size} bytes, manifest says ${f.bytes}`}; the prepared data is damaged, re-run \`autodim prepare\``,
      );
    }
  }
  return m;
}

/**
 * Before any training: validation (early stopping, the search's α) and test (the reported AUC)
 * each need rows of both classes, or AUC is undefined there. Says which split is degenerate.
 */
export function assertEvaluableSplits(m: Pick<Manifest, "rows" | "positives">, dir: string): void {
  for (const [split, name] of [
    ["val", "validation"],
    ["test", "test"],
  ] as const) {
    const rows = m.rows[split];
    const pos = m.positives[split];
    if (rows === 0 || pos === 0 || pos === rows) {
      const what =
        rows === 0 ? "no rows" : `${rows.toLocaleString("en")} rows, all ${pos === 0 ? "negative" : "positive"}`;
      throw new AutodimError(
        `${dir}: the ${name} split has ${what}, so AUC is undefined there; prepare with more data or another --split`,
      );
    }
  }
  // A training split of one class trains (the loss goes to 0) but learns nothing of the features.
  const { train } = m.rows;
  const pos = m.positives.train;
  if (train > 0 && (pos === 0 || pos === train))
    process.stderr.write(
      `warning: ${dir}: the training split's ${train.toLocaleString("en")} rows are all ${pos === 0 ? "negative" : "positive"}: the model can only learn to predict that; prepare with more data or another --split\n`,
    );
}

/** A short human summary (the `summary` command and notebooks print it). */
export function summarizeManifest(m: Manifest): string {
  const lines: string[] = [];
  const total = m.rows.train + m.rows.val + m.rows.test;
  const pos = m.positives.train + m.positives.val + m.positives.test;
  for (const src of m.sources) {
    lines.push(
      `format ${m.settings.format}, ${src.split === "all" ? "source" : `${src.split} source`} ${src.path} (${(src.bytes / 1e6).toFixed(1)} MB, sha256 ${src.sha256.slice(0, 12)}…)`,
    );
  }
  lines.push(
    `rows ${total} (train ${m.rows.train}, val ${m.rows.val}, test ${m.rows.test}), skipped ${m.skipped.total}, click rate ${(pos / Math.max(total, 1)).toFixed(4)}`,
  );
  lines.push(
    `fields ${m.fields.length}, total features ${m.totalFeatures} (min count ${m.settings.minCount}, ${m.settings.preSplit ? "pre-split files" : `seed ${m.settings.seed}`})`,
  );
  const width = Math.max(...m.fields.map((f) => f.name.length));
  for (const f of m.fields) {
    lines.push(
      `  ${f.name.padEnd(width)}  ${f.kind}  vocab ${String(f.vocabularySize).padStart(8)}  (kept ${f.kept}, rare values ${f.rareValues})`,
    );
  }
  return lines.join("\n");
}
