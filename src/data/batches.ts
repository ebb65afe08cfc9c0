// Batches of (field ids, labels) straight from the shards of a prepared directory. The data
// layer hands out typed arrays only; turning them into tensors is the trainer's business.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { randomStream, type RandomStream, type StreamState } from "../core/random.js";
import { AutodimError } from "../core/errors.js";
import { readManifest, type FileEntry, type Manifest, type ShardEntry, type Split } from "./manifest.js";
import { markReader } from "./readers.js";

export interface Batch {
  /** Row-major global feature ids, `size × fields` (only the first `size` rows are valid). */
  ids: Int32Array;
  /** 0/1 labels as float32, `size` long. */
  labels: Float32Array;
  size: number;
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle shard order and rows within each shard (training); off for evaluation. */
  shuffle: boolean;
  /** Stream to shuffle with; default: the "shuffle" stream of the manifest's seed. */
  rng?: RandomStream;
  /** Drop a last batch smaller than `batchSize`. */
  dropLast?: boolean;
}

/** A prepared data set: its manifest plus access to its rows. */
export class PreparedData {
  readonly manifest: Manifest;
  readonly fieldCount: number;
  /** Global id of each field's local id 0. */
  readonly offsets: Int32Array;
  readonly vocabularySizes: number[];

  /** `manifest`: given instead of read from `dir` (a stand-in that has no rows to read). */
  constructor(
    readonly dir: string,
    manifest?: Manifest,
  ) {
    this.manifest = manifest ?? readManifest(dir);
    // Mark the generation folder(s) read, so a re-prepare of `dir` by another process keeps them.
    if (!manifest)
      for (const f of [this.manifest.counts, ...this.manifest.shards.map((s) => s.ids)])
        if (f.file.includes("/")) markReader(join(dir, f.file.split("/")[0]));
    this.fieldCount = this.manifest.fields.length;
    this.offsets = Int32Array.from(this.manifest.fields.map((f) => f.offset));
    this.vocabularySizes = this.manifest.fields.map((f) => f.vocabularySize);
  }

  get totalFeatures(): number {
    return this.manifest.totalFeatures;
  }

  rows(split: Split): number {
    return this.manifest.rows[split];
  }

  shards(split: Split): ShardEntry[] {
    return this.manifest.shards.filter((s) => s.split === split);
  }

  /** Training-split count of every global id. */
  counts(): Uint32Array {
    const buf = this.readChecked(this.manifest.counts);
    return new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  }

  /** Reads one shard whole (a shard is sized to fit comfortably in memory). */
  readShard(shard: ShardEntry): { ids: Int32Array; labels: Uint8Array } {
    const ids = this.readChecked(shard.ids);
    const labels = this.readChecked(shard.labels);
    if (ids.byteLength !== shard.rows * this.fieldCount * 4 || labels.byteLength !== shard.rows) {
      throw new AutodimError(
        `${join(this.dir, shard.ids.file)}: ${shard.rows} rows of ${this.fieldCount} fields do not fit its ${ids.byteLength} bytes (the manifest does not match its shards); re-run \`autodim prepare\``,
      );
    }
    // Copy out of Node's pooled buffer so the Int32Array is aligned and owns its memory.
    return {
      ids: new Int32Array(ids.buffer.slice(ids.byteOffset, ids.byteOffset + ids.byteLength)),
      labels: new Uint8Array(labels),
    };
  }

  /**
   * A file of the prepared set, checked against the manifest's size and sha256 on every
   * read (hashing runs at ~1.7 GB/s, a few ms per shard): a damaged cache is an error that
   * says so, never silently wrong ids.
   */
  private readChecked(entry: FileEntry): Buffer {
    const path = join(this.dir, entry.file);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      throw new AutodimError(`${path}: missing; the prepared data is damaged, re-run \`autodim prepare\``);
    }
    if (bytes.byteLength !== entry.bytes)
      throw new AutodimError(
        `${path}: ${bytes.byteLength} bytes, the manifest says ${entry.bytes}; the prepared data is damaged, re-run \`autodim prepare\``,
      );
    if (createHash("sha256").update(bytes).digest("hex") !== entry.sha256)
      throw new AutodimError(
        `${path}: content does not match the manifest's sha256; the prepared data is damaged, re-run \`autodim prepare\``,
      );
    return bytes;
  }

  /** A whole split in memory (for evaluation on small splits and for tests). */
  readSplit(split: Split): { ids: Int32Array; labels: Uint8Array } {
    const n = this.rows(split);
    const ids = new Int32Array(n * this.fieldCount);
    const labels = new Uint8Array(n);
    let at = 0;
    for (const shard of this.shards(split)) {
      const s = this.readShard(shard);
      ids.set(s.ids, at * this.fieldCount);
      labels.set(s.labels, at);
      at += shard.rows;
    }
    return { ids, labels };
  }

  /**
   * Iterates batches of a split. The yielded arrays are reused: a batch is valid until the
   * next one is requested. Shuffling is shard order plus rows within a shard — with shards
   * of 2^18 rows that mixes well and keeps memory to one shard.
   */
  *batches(split: Split, opts: BatchOptions): Generator<Batch> {
    const { batchSize } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batch size must be a positive integer, got ${batchSize}`);
    const F = this.fieldCount;
    const rng = opts.rng ?? randomStream(this.manifest.settings.seed, "shuffle");
    const shards = this.shards(split);
    const order = Int32Array.from(shards, (_, i) => i);
    if (opts.shuffle) rng.shuffle(order);
    const batch: Batch = { ids: new Int32Array(batchSize * F), labels: new Float32Array(batchSize), size: 0 };
    for (const si of order) {
      const shard = this.readShard(shards[si]);
      const rows = Int32Array.from({ length: shards[si].rows }, (_, i) => i);
      if (opts.shuffle) rng.shuffle(rows);
      for (const r of rows) {
        batch.ids.set(shard.ids.subarray(r * F, r * F + F), batch.size * F);
        batch.labels[batch.size] = shard.labels[r];
        if (++batch.size === batchSize) {
          yield batch;
          batch.size = 0;
        }
      }
    }
    if (batch.size > 0 && !opts.dropLast) yield batch;
  }
}

/** Where a resumable pass stands: the shuffle stream as the pass began, and batches taken. */
export interface CursorPosition {
  pass: number;
  batches: number;
  rngAtPassStart: StreamState;
}

/**
 * Shuffled passes over a split that can be saved and resumed mid-pass: the shuffle stream's
 * state at the start of the pass plus the batches taken identify the position exactly
 * (re-entering replays the pass's draws and skips the batches already taken).
 */
export class BatchCursor {
  private iterator: Generator<Batch> | undefined;
  private passStart: StreamState | undefined;
  pass = 0;
  taken = 0;

  constructor(
    private readonly data: PreparedData,
    private readonly split: Split,
    private readonly opts: { batchSize: number; dropLast?: boolean },
    readonly rng: RandomStream,
  ) {}

  /** Begins the next pass. */
  startPass(): void {
    this.passStart = this.rng.state();
    this.iterator = this.data.batches(this.split, { ...this.opts, shuffle: true, rng: this.rng });
    this.pass++;
    this.taken = 0;
  }

  /** The next batch of the current pass, or undefined at its end. */
  next(): Batch | undefined {
    if (!this.iterator) throw new Error("BatchCursor: startPass() first");
    const r = this.iterator.next();
    if (r.done) return undefined;
    this.taken++;
    return r.value;
  }

  position(): CursorPosition {
    if (!this.passStart) throw new Error("BatchCursor: no pass started");
    return { pass: this.pass, batches: this.taken, rngAtPassStart: this.passStart };
  }

  /** Re-enters a saved position: the same pass, with its first `batches` batches skipped. */
  restore(p: CursorPosition): void {
    this.rng.restore(p.rngAtPassStart);
    this.startPass();
    this.pass = p.pass;
    for (let i = 0; i < p.batches; i++) {
      if (!this.next())
        throw new Error(
          `checkpoint: pass ${p.pass} of ${this.split} has fewer than ${p.batches} batches (other data?)`,
        );
    }
  }
}
