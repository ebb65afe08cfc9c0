// Numbers in a row's bytes: integers, decimals, and the token a numeric value becomes (the
// paper's ⌊ln(v)²⌋ buckets).

/**
 * The token of a numeric value: v > 2 → "b⌊ln(v)²⌋" (the integer preset, for decimals too);
 * an integer ≤ 2 → "v<v>"; a decimal ≤ 2 → "d⌊10·v⌋", its tenth (0.37 → d3, −0.05 → d-1), so
 * small fractions keep apart from the integers and from each other without one id per value.
 */
export function numericToken(v: number): string {
  const kind = numericTokenKind(v);
  return String.fromCharCode(kind) + numericTokenNumber(v, kind);
}

/** The token's kind, as its first byte: "b" (a bucket), "v" (a small integer) or "d" (a tenth). */
export function numericTokenKind(v: number): 0x62 | 0x76 | 0x64 {
  return v > 2 ? 0x62 : Number.isInteger(v) ? 0x76 : 0x64;
}

/** The integer after the kind: ⌊ln(v)²⌋, v itself, or ⌊10·v⌋. */
export function numericTokenNumber(v: number, kind: 0x62 | 0x76 | 0x64): number {
  return kind === 0x62 ? bucketOf(v) : kind === 0x76 ? v : Math.floor(10 * v);
}

/**
 * A decimal number (`3.75`, `-.5`, `1e-3`, `+2.`): digits with an optional sign, point and
 * exponent, finite. Null for anything else (`NaN`, `inf`, `1,5`, `0x1`, empty).
 */
export function parseDecimal(buf: Uint8Array, s: number, e: number): number | null {
  if (e - s > 64) return null;
  const text = Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString("latin1");
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  // An integer too long to be exact is not a decimal: the caller says it is beyond 2^53.
  if (/^[+-]?\d{16,}(\.0*)?$/.test(text)) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

/** A libFM value: an integer (a zero fraction allowed) or a decimal. */
export function parseNumber(buf: Uint8Array, s: number, e: number): number | null {
  return parseInteger(buf, s, e, true) ?? parseDecimal(buf, s, e);
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
