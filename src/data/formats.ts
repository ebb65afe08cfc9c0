// Input layouts and the paper's preprocessing preset. A format turns one line of its
// file into a label and one token per field; everything after that (vocabulary, ids,
// shards) is shared by all formats.

import { finishHash, HASH_PRIME, HASH_SEED, hashBytes } from "./vocab.js";

export type FormatName = "criteo" | "avazu" | "criteo-deepctr";
export const FORMAT_NAMES: readonly FormatName[] = ["criteo", "avazu", "criteo-deepctr"];

export type FieldKind = "int" | "cat";
export interface FieldSpec {
  name: string;
  kind: FieldKind;
}

export interface FormatOptions {
  /** Avazu: also derive hour-of-day and weekday fields from `hour` (YYMMDDHH). */
  avazuTimeFields: boolean;
}

/** How one column of the file is used. */
type Column =
  | { role: "label" }
  | { role: "drop" }
  | { role: "field"; field: number; kind: FieldKind }
  | { role: "avazu-hour"; field: number; hourOfDay: number; weekday: number };

export interface Format {
  name: FormatName;
  delimiter: number;
  /** The header line the file must start with, or null when it has none. */
  header: string[] | null;
  columns: Column[];
  fields: FieldSpec[];
  /** Integer fields may be written as floats with a zero fraction (`260.0`). */
  allowZeroFraction: boolean;
}

/** A problem with one row, located by field; the caller adds file and line. */
export class RowError extends Error {
  constructor(
    readonly reason: string,
    readonly field: string | null,
    message: string,
  ) {
    super(message);
  }
}

const CRITEO_INT = Array.from({ length: 13 }, (_, i) => `I${i + 1}`);
const CRITEO_CAT = Array.from({ length: 26 }, (_, i) => `C${i + 1}`);
export const AVAZU_HEADER = [
  "id", "click", "hour", "C1", "banner_pos", "site_id", "site_domain", "site_category", "app_id", "app_domain",
  "app_category", "device_id", "device_ip", "device_model", "device_type", "device_conn_type",
  "C14", "C15", "C16", "C17", "C18", "C19", "C20", "C21",
];

export function makeFormat(name: FormatName, options: FormatOptions): Format {
  if (name === "criteo" || name === "criteo-deepctr") {
    const fields: FieldSpec[] = [
      ...CRITEO_INT.map((n) => ({ name: n, kind: "int" as const })),
      ...CRITEO_CAT.map((n) => ({ name: n, kind: "cat" as const })),
    ];
    const columns: Column[] = [{ role: "label" }, ...fields.map((f, i) => ({ role: "field" as const, field: i, kind: f.kind }))];
    const deep = name === "criteo-deepctr";
    return {
      name,
      delimiter: deep ? 0x2c : 0x09,
      header: deep ? ["label", ...CRITEO_INT, ...CRITEO_CAT] : null,
      columns,
      fields,
      allowZeroFraction: deep,
    };
  }
  const fields: FieldSpec[] = AVAZU_HEADER.slice(2).map((n) => ({ name: n, kind: "cat" as const }));
  const columns: Column[] = [{ role: "drop" }, { role: "label" }];
  AVAZU_HEADER.slice(2).forEach((_, i) => columns.push({ role: "field", field: i, kind: "cat" }));
  if (options.avazuTimeFields) {
    fields.push({ name: "hour_of_day", kind: "cat" }, { name: "weekday", kind: "cat" });
    columns[2] = { role: "avazu-hour", field: 0, hourOfDay: fields.length - 2, weekday: fields.length - 1 };
  }
  return { name, delimiter: 0x2c, header: AVAZU_HEADER, columns, fields, allowZeroFraction: false };
}

const ROLE_LABEL = 0;
const ROLE_DROP = 1;
const ROLE_CAT = 2;
const ROLE_INT = 3;
const ROLE_HOUR = 4;

/**
 * Reads one line into a label and per-field tokens. Tokens are byte ranges in `tokens`
 * (start -1 = missing). Reused across lines: the hot path allocates nothing.
 */
export class RowDecoder {
  tokens = new Uint8Array(4096);
  readonly tokenStart: Int32Array;
  readonly tokenEnd: Int32Array;
  /** hashBytes() of each token, computed while copying it. */
  readonly tokenHash: Int32Array;
  label = 0;
  private used = 0;
  private readonly roles: Uint8Array;
  private readonly fieldOf: Int32Array;

  constructor(readonly format: Format) {
    this.roles = Uint8Array.from(format.columns, (c) =>
      c.role === "label" ? ROLE_LABEL : c.role === "drop" ? ROLE_DROP : c.role === "avazu-hour" ? ROLE_HOUR : c.kind === "cat" ? ROLE_CAT : ROLE_INT,
    );
    this.fieldOf = Int32Array.from(format.columns, (c) => (c.role === "field" || c.role === "avazu-hour" ? c.field : -1));
    this.tokenStart = new Int32Array(format.fields.length);
    this.tokenEnd = new Int32Array(format.fields.length);
    this.tokenHash = new Int32Array(format.fields.length);
  }

  /** Decodes buf[start, end) (line end already stripped); throws RowError. */
  decode(buf: Uint8Array, start: number, end: number): void {
    try {
      this.decodeColumns(buf, start, end);
    } catch (err) {
      // A wrong column count explains any other error on the row: report it first.
      if (err instanceof RowError && err.reason !== "columns" && this.countColumns(buf, start, end) !== this.roles.length) {
        throw this.columnCountError(buf, start, end);
      }
      throw err;
    }
  }

  private decodeColumns(buf: Uint8Array, start: number, end: number): void {
    const ncols = this.roles.length;
    const delim = this.format.delimiter;
    // Roles and fields in typed arrays keep this loop monomorphic. Each byte is read once:
    // categorical values are copied and hashed in the same pass that finds their end.
    const roles = this.roles;
    const fieldOf = this.fieldOf;
    const t = this.tokens;
    this.used = 0;
    let p = start;
    for (let k = 0; k < ncols; k++) {
      if (k > 0) {
        if (p >= end || buf[p] !== delim) throw this.columnCountError(buf, start, end);
        p++;
      }
      const cs = p;
      const role = roles[k];
      if (role === ROLE_CAT) {
        const field = fieldOf[k];
        if (this.used + (end - p) + 24 > t.length) return this.decodeAfterGrowing(buf, start, end);
        let at = this.used;
        let h = HASH_SEED;
        for (; p < end; p++) {
          const c = buf[p];
          if (c === delim) break;
          t[at++] = c;
          h = Math.imul(h ^ c, HASH_PRIME);
        }
        if (at === this.used) {
          this.tokenStart[field] = -1;
        } else {
          this.tokenStart[field] = this.used;
          this.tokenEnd[field] = at;
          this.tokenHash[field] = finishHash(h);
          this.used = at;
        }
        continue;
      }
      while (p < end && buf[p] !== delim) p++;
      if (role === ROLE_INT) this.intToken(fieldOf[k], buf, cs, p);
      else if (role === ROLE_LABEL) {
        if (p - cs === 1 && (buf[cs] === 0x30 || buf[cs] === 0x31)) this.label = buf[cs] - 0x30;
        else throw new RowError("label", "label", `label must be 0 or 1, found ${quote(buf, cs, p)}`);
      } else if (role === ROLE_HOUR) {
        this.avazuHour(this.format.columns[k] as Extract<Column, { role: "avazu-hour" }>, buf, cs, p);
      }
    }
    if (p !== end) throw this.columnCountError(buf, start, end);
  }

  private decodeAfterGrowing(buf: Uint8Array, start: number, end: number): void {
    this.growTokens(2 * (end - start) + 24 * this.tokenStart.length);
    this.decodeColumns(buf, start, end);
  }

  private countColumns(buf: Uint8Array, start: number, end: number): number {
    let c = 1;
    for (let i = start; i < end; i++) if (buf[i] === this.format.delimiter) c++;
    return c;
  }

  private columnCountError(buf: Uint8Array, start: number, end: number): RowError {
    return new RowError("columns", null, `expected ${this.roles.length} columns, found ${this.countColumns(buf, start, end)}`);
  }

  private copyToken(field: number, buf: Uint8Array, s: number, e: number): void {
    if (s === e) {
      this.tokenStart[field] = -1;
      return;
    }
    // 24 bytes of headroom cover the derived tokens a field may add after this one.
    if (this.used + (e - s) + 24 > this.tokens.length) this.growTokens(this.used + (e - s) + 24);
    this.tokenStart[field] = this.used;
    const t = this.tokens;
    let h = HASH_SEED;
    let at = this.used;
    for (let i = s; i < e; i++) {
      const b = buf[i];
      t[at++] = b;
      h = Math.imul(h ^ b, HASH_PRIME);
    }
    this.used = at;
    this.tokenEnd[field] = at;
    this.tokenHash[field] = finishHash(h);
  }

  /**
   * The preset for integer fields (as in PEP, torchfm and BARS; the paper does not state
   * its own): v > 2 → the token ⌊ln(v)²⌋; every other value (≤ 2, negative) is a token of
   * its own; empty is missing. The two kinds of token are kept apart ("b7" vs "v2").
   */
  private intToken(field: number, buf: Uint8Array, s: number, e: number): void {
    if (s === e) {
      this.tokenStart[field] = -1;
      return;
    }
    const v = parseInteger(buf, s, e, this.format.allowZeroFraction);
    if (v === null) {
      throw new RowError("integer", this.format.fields[field].name, `expected an integer, found ${quote(buf, s, e)}`);
    }
    this.tokenStart[field] = this.used;
    if (v > 2) {
      this.tokens[this.used++] = 0x62; // "b"
      this.writeInt(bucketOf(v));
    } else {
      this.tokens[this.used++] = 0x76; // "v"
      this.writeInt(v);
    }
    this.endToken(field);
  }

  private avazuHour(col: Extract<Column, { role: "avazu-hour" }>, buf: Uint8Array, s: number, e: number): void {
    this.copyToken(col.field, buf, s, e);
    const bad = () => new RowError("hour", "hour", `expected YYMMDDHH, found ${quote(buf, s, e)}`);
    if (e - s !== 8) throw bad();
    for (let i = s; i < e; i++) if (buf[i] < 0x30 || buf[i] > 0x39) throw bad();
    const two = (i: number) => (buf[s + i] - 0x30) * 10 + (buf[s + i + 1] - 0x30);
    const [yy, mm, dd, hh] = [two(0), two(2), two(4), two(6)];
    const date = new Date(Date.UTC(2000 + yy, mm - 1, dd));
    if (mm < 1 || mm > 12 || hh > 23 || date.getUTCDate() !== dd) throw bad();
    this.tokenStart[col.hourOfDay] = this.used;
    this.writeInt(hh);
    this.endToken(col.hourOfDay);
    this.tokenStart[col.weekday] = this.used;
    this.writeInt(date.getUTCDay());
    this.endToken(col.weekday);
  }

  private endToken(field: number): void {
    this.tokenEnd[field] = this.used;
    this.tokenHash[field] = hashBytes(this.tokens, this.tokenStart[field], this.used);
  }

  private growTokens(need: number): void {
    const t = new Uint8Array(Math.max(need, this.tokens.length * 2));
    t.set(this.tokens);
    this.tokens = t;
  }

  private writeInt(v: number): void {
    if (this.used + 24 > this.tokens.length) this.growTokens(this.used + 24);
    const t = this.tokens;
    if (v < 0) {
      t[this.used++] = 0x2d;
      v = -v;
    }
    // Digits without making a string: this runs for every integer field of every row.
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    for (let i = digits - 1; i >= 0; i--) {
      t[this.used + i] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.used += digits;
  }
}

/** ⌊ln(v)²⌋ for v > 2. */
export function bucketOf(v: number): number {
  const l = Math.log(v);
  return Math.floor(l * l);
}

/**
 * Parses an optionally signed decimal integer; with `allowZeroFraction`, a fraction of
 * zeros (`260.0`) too. Returns null for anything else (`1.5`, `1e3`, `abc`, `-`).
 */
export function parseInteger(buf: Uint8Array, s: number, e: number, allowZeroFraction: boolean): number | null {
  let i = s;
  let neg = false;
  if (buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  const digitsStart = i;
  let v = 0;
  for (; i < e; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  if (i === digitsStart) return null;
  if (i < e) {
    if (!allowZeroFraction || buf[i] !== 0x2e || i + 1 === e) return null;
    for (i++; i < e; i++) if (buf[i] !== 0x30) return null;
  }
  if (!Number.isSafeInteger(v)) return null;
  return neg ? -v : v;
}

function quote(buf: Uint8Array, s: number, e: number): string {
  const text = Buffer.from(buf.buffer, buf.byteOffset + s, Math.min(e - s, 40)).toString("latin1");
  return JSON.stringify(e - s > 40 ? text + "…" : text);
}
