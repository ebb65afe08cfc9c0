// What prepare keeps in --out: one folder per data set (a generation) that becomes current
// when its manifest replaces the old one, the shard files and their checksums, and whether
// the data set already there can be reused.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DataError } from "./data-error.js";
import {
  isPrepareManifest,
  MANIFEST_FILE,
  PREPARE_VERSION,
  type FileEntry,
  type Manifest,
  type PrepareSettings,
  type ShardEntry,
  type Split,
} from "./manifest.js";
import { liveReaders, READERS_DIR } from "./readers.js";

/** Held by the one `prepare` writing into a folder. */
export const LOCK_FILE = ".prepare.lock";
/** Each prepare's files go to a folder `data-<time>-<pid>/` inside --out, named by the manifest. */
export const GENERATION_PREFIX = "data-";
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
export function ownManifest(out: string): Manifest | undefined {
  const path = join(out, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    m = undefined;
  }
  if (!isPrepareManifest(m)) {
    throw new DataError(
      `${path}: not a manifest written by \`autodim prepare\`, and prepare would replace it; move it away or choose another --out`,
    );
  }
  return m;
}

/**
 * Removes what killed prepares left behind: generation folders the current manifest does not
 * use. Runs under the lock, so no other prepare is writing one.
 */
export function removeOrphans(out: string, current: Manifest | undefined): void {
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
export function removeReplaced(out: string, previous: Manifest, current: Manifest): void {
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
    process.stderr.write(
      `prepare: kept ${join(out, d)} (the replaced data set) while other processes read it; a later prepare removes it\n`,
    );
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

/** Accumulates one split's rows into fixed-size shard files. */
export class ShardWriter {
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

export function writeChecked(dir: string, file: string, bytes: Uint8Array): FileEntry {
  writeFileSync(join(dir, file), bytes);
  return { file, bytes: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** The existing manifest in `out`, if it was made from the same bytes with the same settings. */
export async function reusable(
  out: string,
  inputs: { split: Split | "all"; path: string }[],
  settings: PrepareSettings,
): Promise<Manifest | undefined> {
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
    if (
      (st.mtimeMs !== src.mtimeMs || src.path !== inputs[i].path) &&
      (await sha256File(inputs[i].path)) !== src.sha256
    )
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
