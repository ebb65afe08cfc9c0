// Streams a file line by line over one reused buffer: the file is never held whole, and
// no string is made per line.
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";

export interface LineInfo {
  /** 1-based physical line number. */
  line: number;
  /** False only for a last line that has no line end (a possibly truncated file). */
  terminated: boolean;
}

export interface ScanResult {
  lines: number;
  bytes: number;
  /** sha256 of the whole file, when asked for. */
  sha256?: string;
  /** The file began with a UTF-8 byte-order mark (Excel's "CSV UTF-8" writes one); it was skipped. */
  bom: boolean;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Consumes a UTF-8 byte-order mark at the start of an open file, so reading goes on after it;
 * returns its bytes, or undefined when the file has none (the position is then unchanged).
 */
export async function skipBom(fh: fsp.FileHandle): Promise<Buffer | undefined> {
  const head = Buffer.alloc(3);
  const { bytesRead } = await fh.read(head, 0, 3, 0); // a positioned read: the file position stays
  if (bytesRead < 3 || !UTF8_BOM.every((b, i) => head[i] === b)) return undefined;
  await fh.read(Buffer.alloc(3), 0, 3, null);
  return head;
}

/**
 * Calls `onLine(buf, start, end, info)` for every line; `end` excludes the line end
 * (`\n` or `\r\n`). `onBytes` reports progress. An exception from `onLine` stops the scan.
 */
export async function scanLines(
  path: string,
  onLine: (buf: Uint8Array, start: number, end: number, info: LineInfo) => void,
  opts: { sha256?: boolean; onBytes?: (bytesRead: number) => void; chunkBytes?: number } = {},
): Promise<ScanResult> {
  const fh = await fsp.open(path, "r");
  const hash = opts.sha256 ? createHash("sha256") : undefined;
  let buf = Buffer.allocUnsafe(opts.chunkBytes ?? 1 << 22);
  let carry = 0; // bytes of an unfinished line at the front of buf
  let bytes = 0;
  const info: LineInfo = { line: 0, terminated: true };
  let bom = false;
  try {
    const mark = await skipBom(fh);
    if (mark) {
      bom = true;
      hash?.update(mark);
      bytes += mark.length;
    }
    for (;;) {
      if (carry === buf.length) {
        // One line longer than the buffer: grow rather than split it.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry, null);
      if (bytesRead === 0) break;
      hash?.update(buf.subarray(carry, carry + bytesRead));
      bytes += bytesRead;
      const end = carry + bytesRead;
      const filled = buf.subarray(0, end);
      let s = 0;
      for (let i = filled.indexOf(10, carry); i !== -1; i = filled.indexOf(10, i + 1)) {
        info.line++;
        const e = i > s && buf[i - 1] === 13 ? i - 1 : i;
        onLine(buf, s, e, info);
        s = i + 1;
      }
      carry = end - s;
      if (carry > 0 && s > 0) buf.copy(buf, 0, s, end);
      opts.onBytes?.(bytes);
    }
    if (carry > 0) {
      info.line++;
      info.terminated = false;
      const e = buf[carry - 1] === 13 ? carry - 1 : carry;
      onLine(buf, 0, e, info);
    }
  } finally {
    await fh.close();
  }
  return { lines: info.line, bytes, sha256: hash?.digest("hex"), bom };
}
