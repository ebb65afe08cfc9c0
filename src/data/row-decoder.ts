// Reading one line of a format into a label and a token per field, in place: the hot path of
// both prepare passes. The layouts it reads are in formats.ts, numbers in numeric.ts.

import type { Column, Format } from "./formats.js";
import { checkUtf8Line, quote, RowError } from "./line-text.js";
import { numericTokenKind, numericTokenNumber, parseDecimal, parseInteger, parseNumber } from "./numeric.js";
import { finishHash, HASH_PRIME, HASH_SEED, hashBytes } from "./vocab.js";

export { RowError };

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
  /** Unquoted content of a quoted column. */
  private scratch = new Uint8Array(256);
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
      c.role === "label"
        ? ROLE_LABEL
        : c.role === "drop"
          ? ROLE_DROP
          : c.role === "avazu-hour"
            ? ROLE_HOUR
            : c.kind === "cat"
              ? ROLE_CAT
              : ROLE_INT,
    );
    this.fieldOf = Int32Array.from(format.columns, (c) =>
      c.role === "field" || c.role === "avazu-hour" ? c.field : -1,
    );
    this.tokenStart = new Int32Array(format.fields.length);
    this.tokenEnd = new Int32Array(format.fields.length);
    this.tokenHash = new Int32Array(format.fields.length);
  }

  /** Decodes buf[start, end) (line end already stripped); throws RowError. */
  decode(buf: Uint8Array, start: number, end: number): void {
    if (this.format.checkUtf8) checkUtf8Line(buf, start, end);
    if (this.format.libfm) return this.decodeLibfm(buf, start, end);
    try {
      this.decodeColumns(buf, start, end);
    } catch (err) {
      // A wrong column count explains any other error on the row: report it first.
      if (
        err instanceof RowError &&
        err.reason !== "columns" &&
        err.reason !== "quote" &&
        this.countColumns(buf, start, end) !== this.roles.length
      ) {
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
      if (this.format.quoted && p < end && buf[p] === 0x22) {
        p = this.quotedColumn(k, buf, p, end);
        continue;
      }
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
      this.plainColumn(k, buf, cs, p);
    }
    if (p !== end) throw this.columnCountError(buf, start, end);
  }

  /** A non-categorical column's value buf[s, e) (unquoted). */
  private plainColumn(k: number, buf: Uint8Array, s: number, e: number): void {
    const role = this.roles[k];
    if (role === ROLE_INT) this.intToken(this.fieldOf[k], buf, s, e);
    else if (role === ROLE_LABEL) this.parseLabel(k, buf, s, e);
    else if (role === ROLE_HOUR)
      this.avazuHour(this.format.columns[k] as Extract<Column, { role: "avazu-hour" }>, buf, s, e);
    else if (role === ROLE_CAT) this.copyToken(this.fieldOf[k], buf, s, e);
  }

  private columnName(k: number): string {
    const r = this.roles[k];
    if (r === ROLE_LABEL) return this.format.header && this.format.quoted ? this.format.header[k] : "label";
    return this.format.header?.[k] ?? this.format.fields[this.fieldOf[k]]?.name ?? `column ${k + 1}`;
  }

  private parseLabel(k: number, buf: Uint8Array, s: number, e: number): void {
    if (e - s === 1 && (buf[s] === 0x30 || buf[s] === 0x31)) {
      this.label = buf[s] - 0x30;
      return;
    }
    if (this.format.signedLabels) {
      const v = parseInteger(buf, buf[s] === 0x2b ? s + 1 : s, e, true);
      if (v === 1 || v === 0 || v === -1) {
        this.label = v === 1 ? 1 : 0;
        return;
      }
      throw new RowError("label", this.columnName(k), `label must be 0/1 or -1/1, found ${quote(buf, s, e)}`);
    }
    throw new RowError("label", "label", `label must be 0 or 1, found ${quote(buf, s, e)}`);
  }

  /**
   * An RFC 4180 quoted column starting at buf[p] = '"': its content (doubled quotes
   * undoubled) goes through the column's role. Returns the position after the closing quote.
   */
  private quotedColumn(k: number, buf: Uint8Array, p: number, end: number): number {
    if (this.scratch.length < end - p) this.scratch = new Uint8Array(2 * (end - p));
    const out = this.scratch;
    let n = 0;
    let i = p + 1;
    for (;;) {
      if (i >= end)
        throw new RowError(
          "quote",
          this.columnName(k),
          `unterminated quoted value (a quoted value spanning lines is not supported)`,
        );
      const c = buf[i];
      if (c === 0x22) {
        if (i + 1 < end && buf[i + 1] === 0x22) {
          out[n++] = 0x22;
          i += 2;
          continue;
        }
        i++;
        break;
      }
      out[n++] = c;
      i++;
    }
    if (i < end && buf[i] !== this.format.delimiter)
      throw new RowError("quote", this.columnName(k), `text after the closing quote: ${quote(buf, p, end)}`);
    this.plainColumn(k, out, 0, n);
    return i;
  }

  /** libFM: `label idx:val idx:val ...` separated by runs of spaces or tabs. */
  private decodeLibfm(buf: Uint8Array, start: number, end: number): void {
    const F = this.format.fields.length;
    const isSpace = (c: number) => c === 0x20 || c === 0x09;
    let p = start;
    while (p < end && isSpace(buf[p])) p++;
    let s = p;
    while (p < end && !isSpace(buf[p])) p++;
    if (s === p) throw new RowError("columns", null, `expected a label and ${F} idx:val pairs, found an empty line`);
    this.parseLabel(0, buf, s, p);
    this.used = 0;
    let m = 0;
    for (;;) {
      while (p < end && isSpace(buf[p])) p++;
      if (p >= end) break;
      s = p;
      let colon = -1;
      while (p < end && !isSpace(buf[p])) {
        if (buf[p] === 0x3a && colon < 0) colon = p;
        p++;
      }
      if (m >= F) {
        m++;
        continue; // counted for the message below
      }
      const name = this.format.fields[m].name;
      if (colon <= s || colon === p - 1)
        throw new RowError("pair", name, `expected idx:val, found ${quote(buf, s, p)}`);
      for (let i = s; i < colon; i++) {
        if (buf[i] < 0x30 || buf[i] > 0x39)
          throw new RowError("pair", name, `feature index must be a non-negative integer, found ${quote(buf, s, p)}`);
      }
      if (this.format.fields[m].kind === "int") {
        // Numeric field: the index and the bucketised value make the token.
        const v = parseNumber(buf, colon + 1, p);
        if (v === null) throw new RowError("integer", name, `expected a number, found ${quote(buf, s, p)}`);
        this.tokenStart[m] = this.used;
        this.copyBytes(buf, s, colon + 1);
        this.writeNumericToken(v);
        this.endToken(m);
      } else {
        const v = parseInteger(buf, colon + 1, p, true);
        if (v !== 1)
          throw new RowError(
            "value",
            name,
            `value must be 1 for a categorical field (declare it with --numeric to bucketise values), found ${quote(buf, s, p)}`,
          );
        this.copyToken(m, buf, s, colon);
      }
      m++;
    }
    if (m !== F)
      throw new RowError("columns", null, `expected ${F} idx:val pairs (as on the first data line), found ${m}`);
  }

  private copyBytes(buf: Uint8Array, s: number, e: number): void {
    if (this.used + (e - s) + 24 > this.tokens.length) this.growTokens(this.used + (e - s) + 24);
    this.tokens.set(buf.subarray(s, e), this.used);
    this.used += e - s;
  }

  private decodeAfterGrowing(buf: Uint8Array, start: number, end: number): void {
    this.growTokens(2 * (end - start) + 24 * this.tokenStart.length);
    this.decodeColumns(buf, start, end);
  }

  private countColumns(buf: Uint8Array, start: number, end: number): number {
    let c = 1;
    let inQuotes = false;
    const quoted = this.format.quoted;
    for (let i = start; i < end; i++) {
      if (quoted && buf[i] === 0x22) inQuotes = !inQuotes;
      else if (!inQuotes && buf[i] === this.format.delimiter) c++;
    }
    return c;
  }

  private columnCountError(buf: Uint8Array, start: number, end: number): RowError {
    return new RowError(
      "columns",
      null,
      `expected ${this.roles.length} columns, found ${this.countColumns(buf, start, end)}`,
    );
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
    const integer = parseInteger(buf, s, e, this.format.allowZeroFraction);
    const v = integer ?? (this.format.decimals ? parseDecimal(buf, s, e) : null);
    if (v === null) {
      // Digits only, yet no integer: too large to be exact in a double; say that, not "not an integer".
      const text = Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString("latin1");
      const digits = /^-?\d{16,}(\.0+)?$/.test(text) && (this.format.allowZeroFraction || !text.includes("."));
      throw new RowError(
        "integer",
        this.format.fields[field].name,
        digits
          ? `integer ${quote(buf, s, e)} is beyond ±9007199254740991 (2^53−1), the largest exact integer; declare the field categorical or scale it down`
          : `expected ${this.format.decimals ? "a number" : "an integer"}, found ${quote(buf, s, e)}`,
      );
    }
    this.tokenStart[field] = this.used;
    this.writeNumericToken(v);
    this.endToken(field);
  }

  /** `numericToken`'s token, written without making a string (this runs for every numeric value). */
  private writeNumericToken(v: number): void {
    if (this.used + 24 > this.tokens.length) this.growTokens(this.used + 24);
    const kind = numericTokenKind(v);
    this.tokens[this.used++] = kind;
    this.writeInt(numericTokenNumber(v, kind));
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
