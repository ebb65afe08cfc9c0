// A line's text for the row decoder: its UTF-8 check, a value quoted for an error message, and
// the error a bad row raises.
import { isUtf8 } from "node:buffer";

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

/**
 * A line that is not valid UTF-8 is a bad row, named by its first bad byte. ASCII lines (all
 * of Criteo's and Avazu's) cost one loop over their bytes; only others go through isUtf8.
 */
export function checkUtf8Line(buf: Uint8Array, s: number, e: number): void {
  let i = s;
  while (i < e && buf[i] < 0x80) i++;
  if (i === e) return;
  const line = Buffer.from(buf.buffer, buf.byteOffset + s, e - s);
  if (isUtf8(line)) return;
  // The first byte from which no valid character starts (the bytes before it decode cleanly).
  let bad = i - s;
  while (bad < line.length && isUtf8(line.subarray(0, bad + utf8Length(line[bad])))) bad += utf8Length(line[bad]);
  throw new RowError(
    "encoding",
    null,
    `not valid UTF-8: byte 0x${line[bad].toString(16).toUpperCase().padStart(2, "0")} at column ${bad + 1} of the line; if the file is Latin-1 (ISO-8859-1), prepare with --encoding latin1`,
  );
}

/** Bytes of the UTF-8 sequence a lead byte starts (1 for a byte that starts none). */
function utf8Length(lead: number): number {
  return lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? (lead <= 0xef ? 3 : 1) : lead >= 0xc2 ? 2 : 1;
}

/** A value as the user typed it, for an error message (the first 40 bytes). */
export function quote(buf: Uint8Array, s: number, e: number): string {
  // UTF-8 (bad bytes show as U+FFFD): a value is shown as the user typed it.
  const text = Buffer.from(buf.buffer, buf.byteOffset + s, Math.min(e - s, 40)).toString("utf8");
  return JSON.stringify(e - s > 40 ? text + "…" : text);
}
