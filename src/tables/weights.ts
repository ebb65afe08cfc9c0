// Named float32 arrays in one file: the search's trained weights for warm-started
// re-training. Layout: "ADWEIGHT" (8 bytes), header length (uint32 LE), JSON header
// [{ name, shape, offset }] (or { vocabSha256, arrays: [...] } for a search's tables, which are
// tied to one vocabulary), padding to 4 bytes, then the arrays back to back. Written to a
// temporary file, fsynced and renamed, so a reader never sees half a file.
import { createHash } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { AutodimError } from "../core/errors.js";
import { z } from "zod";

const MAGIC = "ADWEIGHT";

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface HeaderEntry {
  name: string;
  shape: number[];
  /** Offset in floats from the start of the payload. */
  offset: number;
}

/** The weights file's header: one entry per array (raw zod object; checked against HeaderEntry in test/train/schemas.test.ts). */
export const headerEntryShape = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  /** Offset in floats from the start of the payload. */
  offset: z.number().int().nonnegative(),
});
/** What a weights file says about itself beside its arrays. */
export interface WeightsMeta {
  /** sha256 of the vocab.jsonl the tables' rows index: the same rows mean the same values only under it. */
  vocabSha256?: string;
}

const headerSchema = z.union([
  z.array(headerEntryShape),
  z.object({
    vocabSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    arrays: z.array(headerEntryShape),
  }),
]) as unknown as z.ZodType<HeaderEntry[] | (WeightsMeta & { arrays: HeaderEntry[] })>;

/** Writes the file; returns its sha256 (hex), computed from the bytes as they are written. */
export function saveWeights(path: string, arrays: NamedArray[], meta?: WeightsMeta): string {
  const header: HeaderEntry[] = [];
  let offset = 0;
  const names = new Set<string>();
  for (const a of arrays) {
    if (names.has(a.name)) throw new Error(`saveWeights: duplicate name ${a.name}`);
    names.add(a.name);
    const size = a.shape.reduce((x, y) => x * y, 1);
    if (size !== a.data.length)
      throw new Error(`saveWeights: ${a.name} has ${a.data.length} values, shape ${a.shape.join("×")} needs ${size}`);
    header.push({ name: a.name, shape: a.shape, offset });
    offset += size;
  }
  const json = Buffer.from(JSON.stringify(meta ? { ...meta, arrays: header } : header), "utf8");
  const pad = (4 - ((MAGIC.length + 4 + json.length) % 4)) % 4;
  const head = Buffer.alloc(MAGIC.length + 4 + json.length + pad, 0x20);
  head.write(MAGIC, 0, "latin1");
  head.writeUInt32LE(json.length + pad, MAGIC.length);
  json.copy(head, MAGIC.length + 4);
  const hash = createHash("sha256");
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    for (const bytes of [
      head,
      ...arrays.map((a) => new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength)),
    ]) {
      writeSync(fd, bytes);
      hash.update(bytes);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return hash.digest("hex");
}

export function loadWeights(path: string): Map<string, NamedArray> {
  return parseWeights(readWeightsFile(path), path);
}

export function readWeightsFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new AutodimError(`${path}: weights file not found`);
  }
}

/** The arrays of a weights file already in memory (`path` names it in errors). */
export function parseWeights(bytes: Buffer, path: string): Map<string, NamedArray> {
  return parseWeightsFile(bytes, path).arrays;
}

/** The arrays of a weights file already in memory, with what its header says about them. */
export function parseWeightsFile(bytes: Buffer, path: string): { arrays: Map<string, NamedArray>; meta: WeightsMeta } {
  const bad = (why: string) =>
    new AutodimError(`${path}: not a weights file written by \`autodim search --save-weights\` (${why})`);
  if (bytes.length < MAGIC.length + 4 || bytes.toString("latin1", 0, MAGIC.length) !== MAGIC)
    throw bad("no ADWEIGHT signature");
  const headerBytes = bytes.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4 + headerBytes;
  if (start > bytes.length) throw bad("truncated header");
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString("utf8", MAGIC.length + 4, start));
  } catch {
    throw bad("unreadable header");
  }
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) throw bad(`header ${parsed.error.issues[0].path.join(".")}: ${parsed.error.issues[0].message}`);
  const header: HeaderEntry[] = Array.isArray(parsed.data) ? parsed.data : parsed.data.arrays;
  const meta: WeightsMeta = Array.isArray(parsed.data) ? {} : { vocabSha256: parsed.data.vocabSha256 };
  const payload = bytes.subarray(start);
  const out = new Map<string, NamedArray>();
  for (const h of header) {
    const size = h.shape.reduce((x, y) => x * y, 1);
    if ((h.offset + size) * 4 > payload.length) throw bad(`truncated: ${h.name} runs past the end`);
    // Copy into an aligned array: the payload may not start at a multiple of 4 in the pool.
    const data = new Float32Array(size);
    new Uint8Array(data.buffer).set(payload.subarray(h.offset * 4, (h.offset + size) * 4));
    out.set(h.name, { name: h.name, shape: h.shape, data });
  }
  return { arrays: out, meta };
}
