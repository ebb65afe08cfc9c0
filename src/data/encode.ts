// prepare's encode pass: raw lines → feature ids, chunk by chunk. A chunk is a run of whole
// lines; encoding one needs only the format and the vocabularies' lookups, so chunks can be
// encoded on worker threads (one per core) while the main thread reads the file and puts
// the results back in file order. The main thread also draws each line's split, so the
// output is the same bytes whatever the number of threads.
import { workerEntry } from "../core/worker-entry.js";
import { availableParallelism } from "node:os";
import { promises as fsp } from "node:fs";
import type { Hash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { skipBom } from "./lines.js";
import type { Format } from "./formats.js";
import { RowDecoder, RowError } from "./row-decoder.js";
import { KeptIds, MISSING_ID, type KeptIdsData } from "./vocab.js";

/** What a line of a chunk turned out to be. */
export const LINE_ROW = 0;
export const LINE_BAD = 1;
export const LINE_HEADER = 2;

export interface EncodeSetup {
  format: Format;
  /** Per field, its kept values' lookup. */
  lookups: KeptIdsData[];
  /** Per field, the offset of its ids in the global feature space. */
  offsets: Int32Array;
}

export interface EncodedChunk {
  /** LINE_ROW / LINE_BAD / LINE_HEADER per line, in order. */
  status: Uint8Array;
  /** Ids of the LINE_ROW lines, row-major (rows × fields). */
  ids: Int32Array;
  labels: Uint8Array;
}

/** Encodes chunks of whole lines; the same code runs on the main thread and in workers. */
export class ChunkEncoder {
  private readonly decoder: RowDecoder;
  private readonly kept: KeptIds[];

  constructor(private readonly setup: EncodeSetup) {
    this.decoder = new RowDecoder(setup.format);
    this.kept = setup.lookups.map((d) => new KeptIds(d));
  }

  /**
   * Encodes buf[start, end), which holds whole lines each ending in `\n`. When
   * `headerFirst`, its first line is the file's header (checked by the count pass).
   */
  encode(buf: Buffer, start: number, end: number, headerFirst: boolean): EncodedChunk {
    let lines = 0;
    for (let i = buf.indexOf(10, start); i !== -1 && i < end; i = buf.indexOf(10, i + 1)) lines++;
    const fields = this.kept.length;
    const status = new Uint8Array(lines);
    const ids = new Int32Array(lines * fields);
    const labels = new Uint8Array(lines);
    const d = this.decoder;
    const offsets = this.setup.offsets;
    let rows = 0;
    let s = start;
    for (let line = 0; line < lines; line++) {
      const nl = buf.indexOf(10, s);
      const e = nl > s && buf[nl - 1] === 13 ? nl - 1 : nl;
      const from = s;
      s = nl + 1;
      if (line === 0 && headerFirst) {
        status[line] = LINE_HEADER;
        continue;
      }
      try {
        d.decode(buf, from, e);
      } catch (err) {
        // Bad rows were counted (or made the run stop) in the count pass.
        if (!(err instanceof RowError)) throw err;
        status[line] = LINE_BAD;
        continue;
      }
      const at = rows * fields;
      for (let m = 0; m < fields; m++) {
        const t = d.tokenStart[m];
        ids[at + m] = offsets[m] + (t < 0 ? MISSING_ID : this.kept[m].idOf(d.tokens, t, d.tokenEnd[m], d.tokenHash[m]));
      }
      labels[rows++] = d.label;
    }
    return { status, ids: ids.subarray(0, rows * fields), labels: labels.subarray(0, rows) };
  }
}

/** Threads for the encode pass by default: one per core when there are several. */
export function defaultEncodeThreads(fileBytes: number): number {
  // `--threads N` / AUTODIM_THREADS caps the workers like every other part of a run.
  const asked = Number(process.env.AUTODIM_THREADS ?? process.env.AUTODIM_BLAS_THREADS ?? NaN);
  const cores =
    Number.isInteger(asked) && asked >= 1 ? Math.min(asked, availableParallelism()) : availableParallelism();
  // Starting a worker costs ~0.2 s (it compiles the decoder): not worth it for small files.
  return cores >= 2 && fileBytes >= 32 << 20 ? Math.min(cores, 4) : 0;
}

export interface EncodeFileOptions {
  /** Worker threads; 0 encodes on the calling thread. */
  threads: number;
  hasHeader: boolean;
  /** Each chunk's result, in file order. */
  onChunk: (chunk: EncodedChunk) => void;
  /** The file's last line has no line end: a bad row (truncated). */
  onUnterminatedLine: () => void;
  onBytes?: (bytes: number) => void;
  chunkBytes?: number;
  /** Fed every byte read (before a chunk goes to a worker), so a caller can tell the file changed since pass 1. */
  hash?: Hash;
}

/** Reads `path` in chunks of whole lines and encodes them, in order. Returns the bytes read. */
export async function encodeFile(
  path: string,
  setup: EncodeSetup,
  opts: EncodeFileOptions,
  pool?: EncodePool,
): Promise<number> {
  const local = opts.threads > 0 ? undefined : new ChunkEncoder(setup);
  const ownPool = local || pool ? undefined : await EncodePool.start(opts.threads);
  const workers = pool ?? ownPool;
  workers?.init(setup);
  const pending: Promise<EncodedChunk>[] = [];
  const fh = await fsp.open(path, "r");
  let chunkBytes = opts.chunkBytes ?? 1 << 21;
  let carry = Buffer.alloc(0);
  let bytes = 0;
  let first = true;
  try {
    const bom = await skipBom(fh);
    if (bom) opts.hash?.update(bom);
    bytes += bom?.length ?? 0;
    for (;;) {
      // A fresh buffer per chunk: it is handed over to a worker, not copied.
      const buf = Buffer.from(new ArrayBuffer(carry.length + chunkBytes));
      carry.copy(buf, 0);
      const { bytesRead } = await fh.read(buf, carry.length, chunkBytes, null);
      if (bytesRead === 0) break;
      opts.hash?.update(buf.subarray(carry.length, carry.length + bytesRead));
      bytes += bytesRead;
      const filled = carry.length + bytesRead;
      const last = buf.lastIndexOf(10, filled - 1);
      if (last < 0) {
        // No line end yet: a line longer than a chunk. Read on with bigger chunks.
        carry = buf.subarray(0, filled);
        chunkBytes *= 2;
        continue;
      }
      carry = Buffer.from(buf.subarray(last + 1, filled));
      const headerFirst = first && opts.hasHeader;
      first = false;
      if (local) {
        opts.onChunk(local.encode(buf, 0, last + 1, headerFirst));
      } else {
        const result = (workers as EncodePool).encode(buf, last + 1, headerFirst);
        // Awaited in order below; if an earlier chunk fails first, this one is never awaited
        // and its rejection (the pool closing) must not surface as an unhandled rejection.
        result.catch(() => {});
        pending.push(result);
        // Two chunks in flight per worker keep them busy; more would only hold memory.
        if (pending.length >= 2 * opts.threads) opts.onChunk(await (pending.shift() as Promise<EncodedChunk>));
      }
      opts.onBytes?.(bytes);
    }
    while (pending.length > 0) opts.onChunk(await (pending.shift() as Promise<EncodedChunk>));
    if (carry.length > 0) opts.onUnterminatedLine();
  } finally {
    await fh.close();
    await ownPool?.close();
  }
  return bytes;
}

interface WorkerHandle {
  worker: Worker;
  waiting: { resolve: (c: EncodedChunk) => void; reject: (e: Error) => void }[];
}

/**
 * Worker threads that encode chunks. Start it early (a worker takes ~0.2 s to load) and
 * `init` it once the vocabularies are known.
 */
export class EncodePool {
  private readonly handles: WorkerHandle[] = [];
  private next = 0;
  private failure: Error | undefined;

  private constructor(private readonly entry: string) {}

  static async start(threads: number): Promise<EncodePool> {
    // The worker entry is CommonJS beside this file; importing it gives its path without
    // `import.meta` (tslab loads src/ as CommonJS, where this import is a require).
    const pool = new EncodePool(await workerEntry(import("./encode-worker.cjs")));
    for (let i = 0; i < threads; i++) pool.handles.push(pool.spawn());
    return pool;
  }

  get threads(): number {
    return this.handles.length;
  }

  init(setup: EncodeSetup): void {
    for (const h of this.handles) h.worker.postMessage({ kind: "init", setup });
  }

  /** Encodes buf[0, end) on the next worker; `buf` is handed over (unusable afterwards). */
  encode(buf: Buffer, end: number, headerFirst: boolean): Promise<EncodedChunk> {
    if (this.failure) return Promise.reject(this.failure);
    const h = this.handles[this.next];
    this.next = (this.next + 1) % this.handles.length;
    return new Promise((resolve, reject) => {
      h.waiting.push({ resolve, reject });
      const ab = buf.buffer as ArrayBuffer;
      h.worker.postMessage({ kind: "encode", buffer: ab, offset: buf.byteOffset, end, headerFirst }, [ab]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.worker.terminate()));
  }

  private spawn(): WorkerHandle {
    const worker = new Worker(this.entry, { workerData: { autodimEncodeWorker: true } });
    const h: WorkerHandle = { worker, waiting: [] };
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const w of h.waiting.splice(0)) w.reject(err);
    };
    worker.on("message", (m: { kind: "chunk"; chunk: EncodedChunk } | { kind: "error"; message: string }) => {
      if (m.kind === "error") return fail(new Error(`prepare encode worker: ${m.message}`));
      h.waiting.shift()?.resolve(m.chunk);
    });
    worker.on("error", (err) => fail(err instanceof Error ? err : new Error(String(err))));
    worker.on("exit", (code) => {
      if (h.waiting.length > 0)
        fail(new Error(`prepare encode worker exited (code ${code}) with ${h.waiting.length} chunks unfinished`));
    });
    return h;
  }
}
