// A per-field vocabulary keyed on raw bytes. Looking a token up never allocates a JS
// string: the encode pass reads hundreds of millions of tokens, and string slicing was
// the cost that mattered. Keys are compared byte for byte, so hashing never merges two
// different values.

/** Ids every field reserves before its kept values. */
export const MISSING_ID = 0;
export const RARE_ID = 1;
export const RESERVED_IDS = 2;

export class ByteVocab {
  private arena = new Uint8Array(1 << 12);
  private arenaUsed = 0;
  private keyStart = new Int32Array(1 << 8);
  private keyLength = new Int32Array(1 << 8);
  private keyHash = new Int32Array(1 << 8);
  private counts = new Float64Array(1 << 8);
  private ids: Int32Array | undefined;
  private table = new Int32Array(1 << 9); // entry index + 1; 0 = empty slot
  private mask = (1 << 9) - 1;
  /** Number of distinct keys. */
  size = 0;

  /** Counts one occurrence of bytes[start, end). */
  add(bytes: Uint8Array, start: number, end: number, times = 1): void {
    const h = hashBytes(bytes, start, end);
    let slot = h & this.mask;
    for (;;) {
      const e = this.table[slot] - 1;
      if (e < 0) break;
      if (this.keyHash[e] === h && this.sameKey(e, bytes, start, end)) {
        this.counts[e] += times;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
    const e = this.insertAt(slot, h, bytes, start, end);
    this.counts[e] = times;
  }

  /** Entry index of bytes[start, end), or -1. */
  find(bytes: Uint8Array, start: number, end: number): number {
    const h = hashBytes(bytes, start, end);
    let slot = h & this.mask;
    for (;;) {
      const e = this.table[slot] - 1;
      if (e < 0) return -1;
      if (this.keyHash[e] === h && this.sameKey(e, bytes, start, end)) return e;
      slot = (slot + 1) & this.mask;
    }
  }

  count(entry: number): number {
    return this.counts[entry];
  }

  /** The key of an entry as a latin1 string (one char per byte, so it round-trips). */
  key(entry: number): string {
    const s = this.keyStart[entry];
    return Buffer.from(this.arena.buffer, this.arena.byteOffset + s, this.keyLength[entry]).toString("latin1");
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
    const ids = new Int32Array(this.size).fill(RARE_ID);
    kept.forEach((e, rank) => (ids[e] = RESERVED_IDS + rank));
    this.ids = ids;
    this.keptEntries = kept;
    return kept.length;
  }
  private keptEntries: number[] = [];

  /** Entries of the kept values in id order (id = RESERVED_IDS + position). */
  kept(): readonly number[] {
    return this.keptEntries;
  }

  /** Id of bytes[start, end) after `assignIds`: RARE_ID for rare and unseen values. */
  idOf(bytes: Uint8Array, start: number, end: number): number {
    const e = this.find(bytes, start, end);
    return e < 0 ? RARE_ID : (this.ids as Int32Array)[e];
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
      this.keyHash = grow(this.keyHash, e + 1);
      this.counts = grow(this.counts, e + 1);
    }
    this.keyStart[e] = this.arenaUsed;
    this.keyLength[e] = len;
    this.keyHash[e] = h;
    this.arenaUsed += len;
    this.table[slot] = e + 1;
    if (this.size * 2 > this.table.length) this.rehash();
    return e;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let e = 0; e < this.size; e++) {
      let slot = this.keyHash[e] & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = e + 1;
    }
    this.table = table;
    this.mask = mask;
  }
}

/** FNV-1a (32-bit) with a final avalanche, so low bits spread for power-of-two tables. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
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
