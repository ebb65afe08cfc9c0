// The passes' reading of an input file: every data line's split, drawn in file order, and
// each line decoded into a row or reported as a bad one. Both passes read the same way, so
// they agree line by line.
import { basename } from "node:path";
import { randomStream } from "../core/random.js";
import { DataError } from "./data-error.js";
import { splitHeader, type Format } from "./formats.js";
import { scanLines, type LineInfo } from "./lines.js";
import type { PrepareSettings, SkippedRow, Split } from "./manifest.js";
import { decodeText, encodingOf } from "./prepare-inputs.js";
import { RowDecoder, RowError } from "./row-decoder.js";

/**
 * The split of each data line of one input file, called once per line in file order (bad
 * lines included, the header not): a fixed split for pre-split files, else a draw from the
 * seed's "split" stream. Both passes call it the same way, so they agree line by line.
 */
export function lineSplits(req: PrepareSettings, fixedSplit: Split | "all"): () => Split {
  if (fixedSplit !== "all") return () => fixedSplit;
  const rng = randomStream(req.seed, "split");
  const a = req.split[0];
  const b = req.split[0] + req.split[1];
  return () => {
    const u = rng.next();
    return u < a ? "train" : u < b ? "val" : "test";
  };
}

/**
 * Streams the data rows of `input`: `onRow` gets each valid row with its split, `onBad`
 * each bad one (under `--on-bad-row skip`; under `error` the first bad row throws).
 */
export async function scanRows(
  input: string,
  fixedSplit: Split | "all",
  format: Format,
  req: PrepareSettings,
  onRow: (decoder: RowDecoder, split: Split) => void,
  onBad: (row: SkippedRow) => void,
  sha256: boolean,
  onBytes: (bytes: number) => void,
) {
  const decoder = new RowDecoder(format);
  const splitOf = lineSplits(req, fixedSplit);
  const name = basename(input);
  const delimiter = String.fromCharCode(format.delimiter);
  const expectedHeader = format.header?.join(delimiter);
  const bad = (info: LineInfo, field: string | null, reason: string, message: string) => {
    const where = `${input}:${info.line}${field ? `: field ${field}` : ""}`;
    if (req.onBadRow === "error") {
      throw new DataError(`${where}: ${message}\n  (use --on-bad-row skip to skip and count such rows)`);
    }
    onBad({ file: input, line: info.line, field, reason, message });
  };
  return scanLines(
    input,
    (buf, start, end, info) => {
      if (info.line === 1 && expectedHeader !== undefined) {
        const header = decodeText(
          Buffer.from(buf.buffer, buf.byteOffset + start, end - start),
          encodingOf(req),
          `${input}:1: the header`,
        );
        // Quoted formats compare names, so `"a",b` and `a,b` are the same header.
        const same = format.quoted
          ? sameNames(header, delimiter, format.header as string[])
          : header === expectedHeader;
        if (!same) {
          throw new DataError(
            `${input}:1: header does not match the ${format.quoted ? "training file's" : `${format.name} layout`}\n  expected: ${expectedHeader}\n  found:    ${header.slice(0, 400)}`,
          );
        }
        return;
      }
      const split = splitOf();
      if (!info.terminated) {
        bad(
          info,
          null,
          "truncated",
          `truncated last line: no line end at the end of ${name} (if the file is complete, append a newline)`,
        );
        return;
      }
      try {
        decoder.decode(buf, start, end);
      } catch (err) {
        if (!(err instanceof RowError)) throw err;
        bad(info, err.field, err.reason, err.message);
        return;
      }
      onRow(decoder, split);
    },
    { sha256, onBytes },
  );
}

function sameNames(line: string, delimiter: string, names: string[]): boolean {
  try {
    const got = splitHeader(line, delimiter);
    return got.length === names.length && got.every((n, i) => n === names[i]);
  } catch {
    return false;
  }
}
