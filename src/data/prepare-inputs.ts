// What prepare checks and learns from its input files before the passes: that each is a
// readable text file, its format (csv/tsv from the header, libfm from the first data line),
// and text in the requested encoding.
import { closeSync, lstatSync, openSync, readSync, statSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import { DataError } from "./data-error.js";
import { countLibfmPairs, makeFormat, SchemaError, splitHeader, type Encoding, type Format } from "./formats.js";
import type { PrepareSettings } from "./manifest.js";

/**
 * The format of the request; csv/tsv read their header and libfm its first data line
 * (from the training file) to learn the columns.
 */
export function formatFor(req: PrepareSettings, input: string): Format {
  const options = { avazuTimeFields: req.avazuTimeFields, schema: req.schema, encoding: encodingOf(req) };
  try {
    if (req.format === "csv" || req.format === "tsv") {
      const delimiter = req.schema?.delimiter ?? (req.format === "csv" ? "," : "\t");
      const first = firstLine(input, false, encodingOf(req));
      if (first === null) throw new DataError(`${input}: empty file; --format ${req.format} needs a header line`);
      return makeFormat(req.format, options, { header: splitHeader(first, delimiter) });
    }
    if (req.format === "libfm") {
      const first = firstLine(input, true, encodingOf(req));
      if (first === null) throw new DataError(`${input}: no data line to count the fields of --format libfm on`);
      return makeFormat(req.format, options, { pairs: countLibfmPairs(first) });
    }
    return makeFormat(req.format, options);
  } catch (err) {
    if (err instanceof SchemaError) throw new DataError(`${input}: ${err.message}`);
    throw err;
  }
}

/** The first line (or first non-blank line) of a file, read in small chunks and decoded as `encoding`. */
function firstLine(path: string, skipBlank: boolean, encoding: Encoding): string | null {
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.alloc(1 << 16);
    let bytes = Buffer.alloc(0);
    let pos = 0;
    let lineNo = 0;
    const decode = (line: Buffer) =>
      decodeText(line, encoding, `${path}:${lineNo}: the ${skipBlank ? "first data line" : "header"}`);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      bytes = Buffer.concat([bytes, chunk.subarray(0, n)]);
      // A UTF-8 byte-order mark (Excel's "CSV UTF-8") is not part of the header.
      if (pos === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
      pos += n;
      for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10)) {
        lineNo++;
        const line = bytes.subarray(0, nl > 0 && bytes[nl - 1] === 13 ? nl - 1 : nl);
        bytes = bytes.subarray(nl + 1);
        const text = decode(line);
        if (!skipBlank || text.trim() !== "") return text;
      }
    }
    lineNo++;
    const last = decode(
      bytes.subarray(0, bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length),
    );
    return last.trim() === "" && (skipBlank || last === "") ? null : last;
  } finally {
    closeSync(fd);
  }
}

export function encodingOf(req: Pick<PrepareSettings, "encoding">): Encoding {
  return req.encoding ?? "utf8";
}

/** Bytes as text; in UTF-8 they must be valid (`what` names them in the error). */
export function decodeText(bytes: Buffer, encoding: Encoding, what: string): string {
  if (encoding === "utf8" && !isUtf8(bytes))
    throw new DataError(
      `${what} is not valid UTF-8; if the file is Latin-1 (ISO-8859-1), prepare with --encoding latin1`,
    );
  return bytes.toString(encoding);
}

/**
 * An input must be a readable file of text: a folder, a symbolic link loop, a gzip file and
 * classic-Mac CR-only line ends are each named (they would otherwise surface as "not found"
 * or as one endless bad line).
 */
export function checkInputFile(path: string, what: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP")
      throw new DataError(`${path}: ${what} is a symbolic link that points to itself (a loop, ELOOP)`);
    if (code === "ENOENT") {
      let dangling = false;
      try {
        dangling = lstatSync(path).isSymbolicLink();
      } catch {
        // Not there at all.
      }
      throw new DataError(
        `${path}: ${what} file not found${dangling ? " (a symbolic link to a path that does not exist)" : ""}`,
      );
    }
    throw e;
  }
  if (st.isDirectory()) throw new DataError(`${path}: ${what} is a folder; give the data file inside it`);
  const head = Buffer.alloc(1 << 16);
  const fd = openSync(path, "r");
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b)
    throw new DataError(
      `${path}: ${what} is gzip-compressed (whatever its name says); decompress it first: gunzip -k ${path}`,
    );
  const sample = head.subarray(0, n);
  if (sample.includes(13) && !sample.includes(10))
    throw new DataError(
      `${path}: ${what} has lines ending in CR only (classic Mac), no LF; convert them first, e.g. tr '\\r' '\\n' < FILE > FILE.unix`,
    );
}
