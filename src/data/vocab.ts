// A per-field vocabulary keyed on raw bytes. Looking a token up never allocates a JS
// string: the encode pass reads hundreds of millions of tokens, and string slicing was
// the cost that mattered. Keys are compared byte for byte, so hashing never merges two
// different values. Callers pass the key's hash (see `hashBytes`), which the row decoder
// computes while it copies the token, so the bytes are walked once.

/** Ids every field reserves before its kept values. */
export const MISSING_ID = 0;
export const RARE_ID = 1;
export const RESERVED_IDS = 2;

export class ByteVocab {
  // Counting phase: every distinct value seen.
  private arena = new Uint8Array(1 << 12);
  private arenaUsed = 0;
  private keyStart = new Int32Array(1 << 8);
  private keyLength = new Int32Array(1 << 8);
  private counts = new Float64Array(1 << 8);
  /** Slots of [hash, entry + 1] side by side: a probe reads one cache line. */
  private table = new Int32Array(2 << 9);
  private mask = (1 << 9) - 1;
  /** Number of distinct keys. */
  size = 0;

  // Lookup phase (after assignIds): kept values only.
  private keptIds = new KeptIds({ table: new Int32Array(4 * 16).fill(-1), arena: new Uint8Array(0) });
  private keptEntries: number[] = [];

  /** Counts `times` occurrences of bytes[start, end), whose hashBytes() is `h`. */
  add(bytes: Uint8Array, start: number, end: number, h = hashBytes(bytes, start, end), times = 1): void {
    const t = this.table;
    let slot = h & this.mask;
    for (;;) {
      const e = t[2 * slot + 1] - 1;
      if (e < 0) break;
      if (t[2 * slot] === h && this.sameKey(e, bytes, start, end)) {
        this.counts[e] += times;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
    const e = this.insertAt(slot, h, bytes, start, end);
    this.counts[e] = times;
  }

  /** Entry index of bytes[start, end), or -1. */
  find(bytes: Uint8Array, start: number, end: number, h = hashBytes(bytes, start, end)): number {
    const t = this.table;
    let slot = h & this.mask;
    for (;;) {
      const e = t[2 * slot + 1] - 1;
      if (e < 0) return -1;
      if (t[2 * slot] === h && this.sameKey(e, bytes, start, end)) return e;
      slot = (slot + 1) & this.mask;
    }
  }

  count(entry: number): number {
    return this.counts[entry];
  }

  /** The key of an entry as a latin1 string (one char per byte, so it round-trips). */
  key(entry: number): string {
    return Buffer.from(this.arena.buffer, this.arena.byteOffset + this.keyStart[entry], this.keyLength[entry]).toString(
      "latin1",
    );
  }

  /**
   * Assigns ids: values counted at least `minCount` times get ids from RESERVED_IDS on,
   * most frequent first (ties: first seen first); the others map to RARE_ID.
   * Returns the number of kept values.
   */
  assignIds(minCount: number): number {
    const kept: number[] = [];
    for (let e = 0; e < this.size; e++) if (this.counts[e] >= minCount) kept.push(e);
    kept.sort((a, b) => this.counts[b] - this.counts[a] || a - b);
    this.keptEntries = kept;
    this.keptIds = KeptIds.build(
      kept.map((e) => this.arena.subarray(this.keyStart[e], this.keyStart[e] + this.keyLength[e])),
    );
    return kept.length;
  }

  /** Entries of the kept values in id order (id = RESERVED_IDS + position). */
  kept(): readonly number[] {
    return this.keptEntries;
  }

  /** Id of bytes[start, end) after `assignIds`: RARE_ID for rare and unseen values. */
  idOf(bytes: Uint8Array, start: number, end: number, h = hashBytes(bytes, start, end)): number {
    return this.keptIds.idOf(bytes, start, end, h);
  }

  /** The kept values' lookup after `assignIds`, as plain arrays (to copy into a worker). */
  lookup(): KeptIdsData {
    return this.keptIds.data;
  }

  /** Total count of values that map to RARE_ID, and how many distinct values they are. */
  rareTotals(minCount: number): { count: number; distinct: number } {
    let count = 0;
    let distinct = 0;
    for (let e = 0; e < this.size; e++) {
      if (this.counts[e] < minCount) {
        count += this.counts[e];
        distinct++;
      }
    }
    return { count, distinct };
  }

  private sameKey(e: number, bytes: Uint8Array, start: number, end: number): boolean {
    const len = end - start;
    if (this.keyLength[e] !== len) return false;
    const a = this.arena;
    const s = this.keyStart[e];
    for (let i = 0; i < len; i++) if (a[s + i] !== bytes[start + i]) return false;
    return true;
  }

  private insertAt(slot: number, h: number, bytes: Uint8Array, start: number, end: number): number {
    const len = end - start;
    if (this.arenaUsed + len > this.arena.length) this.arena = grow(this.arena, this.arenaUsed + len);
    this.arena.set(bytes.subarray(start, end), this.arenaUsed);
    const e = this.size++;
    if (e >= this.keyStart.length) {
      this.keyStart = grow(this.keyStart, e + 1);
      this.keyLength = grow(this.keyLength, e + 1);
      this.counts = grow(this.counts, e + 1);
    }
    this.keyStart[e] = this.arenaUsed;
    this.keyLength[e] = len;
    this.arenaUsed += len;
    this.table[2 * slot] = h;
    this.table[2 * slot + 1] = e + 1;
    if (this.size * 2 > this.mask + 1) this.rehash();
    return e;
  }

  private rehash(): void {
    const cap = (this.mask + 1) * 2;
    const table = new Int32Array(2 * cap);
    const mask = cap - 1;
    const old = this.table;
    for (let o = 0; o < old.length; o += 2) {
      if (old[o + 1] === 0) continue;
      let slot = old[o] & mask;
      while (table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = old[o];
      table[2 * slot + 1] = old[o + 1];
    }
    this.table = table;
    this.mask = mask;
  }
}

/** A KeptIds as plain typed arrays: what a worker thread receives. */
export interface KeptIdsData {
  /** Open-addressing slots of [hash, id, start, length]; id −1 marks an empty slot. */
  table: Int32Array;
  /** The kept values' bytes, back to back. */
  arena: Uint8Array;
}

/**
 * Value bytes → id for the kept values of one field (id = RESERVED_IDS + rank), RARE_ID
 * for anything else. A table of the kept values alone: on real data they are a small
 * fraction of all values seen, so encode-time probes stay in cache.
 */
export class KeptIds {
  private readonly table: Int32Array;
  private readonly arena: Uint8Array;
  private readonly mask: number;

  constructor(readonly data: KeptIdsData) {
    this.table = data.table;
    this.arena = data.arena;
    this.mask = data.table.length / 4 - 1;
    if (!Number.isInteger(Math.log2(this.mask + 1)))
      throw new Error(`KeptIds: table of ${data.table.length} ints is not 4 × a power of two`);
  }

  /** The lookup of `values` in rank order: values[r] gets id RESERVED_IDS + r. */
  static build(values: readonly Uint8Array[]): KeptIds {
    let cap = 16;
    while (cap < values.length * 2) cap *= 2;
    const table = new Int32Array(4 * cap).fill(-1);
    const arena = new Uint8Array(values.reduce((a, v) => a + v.length, 0));
    let at = 0;
    values.forEach((v, rank) => {
      arena.set(v, at);
      const h = hashBytes(arena, at, at + v.length);
      let slot = h & (cap - 1);
      while (table[4 * slot + 1] !== -1) slot = (slot + 1) & (cap - 1);
      table.set([h, RESERVED_IDS + rank, at, v.length], 4 * slot);
      at += v.length;
    });
    return new KeptIds({ table, arena });
  }

  /** Id of bytes[start, end), whose hashBytes() is `h`. */
  idOf(bytes: Uint8Array, start: number, end: number, h = hashBytes(bytes, start, end)): number {
    const t = this.table;
    const a = this.arena;
    const len = end - start;
    let slot = h & this.mask;
    for (;;) {
      const o = 4 * slot;
      const id = t[o + 1];
      if (id === -1) return RARE_ID;
      if (t[o] === h && t[o + 3] === len) {
        const s = t[o + 2];
        let i = 0;
        while (i < len && a[s + i] === bytes[start + i]) i++;
        if (i === len) return id;
      }
      slot = (slot + 1) & this.mask;
    }
  }
}

export const HASH_SEED = 0x811c9dc5;
export const HASH_PRIME = 0x01000193;

/** FNV-1a (32-bit) with a final avalanche, so low bits spread for power-of-two tables. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = HASH_SEED;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], HASH_PRIME);
  return finishHash(h);
}

export function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

function grow<T extends Uint8Array | Int32Array | Float64Array>(a: T, need: number): T {
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}
