// `autodim prepare`: raw files (Criteo, Avazu, csv/tsv, libfm) encoded into id shards and a
// manifest. Its flags depend on the format, so most of this file checks which go together. One
// command per file (src/cli/main.ts dispatches).
import { ENCODINGS, FORMAT_NAMES, GENERIC_FORMATS } from "../../data/formats.js";
import { summarizeManifest } from "../../data/manifest.js";
import { DEFAULT_ROWS_PER_SHARD, prepare } from "../../data/prepare.js";
import { DEFAULT_SEED } from "../../methods/defaults.js";
import { choiceFlag, intFlag, nameListFlag, parseFlags, requireString, splitFlag, UsageError } from "../args.js";
import { checkPrepareClashes, type FlagPath } from "../outputs.js";

/** Encodes raw files into a prepared folder (reused when its inputs and options match). */
export async function prepareCommand(argv: string[]): Promise<void> {
  const f = parseFlags("prepare", argv, {
    format: { type: "string" },
    input: { type: "string" },
    out: { type: "string" },
    "min-count": { type: "string" },
    split: { type: "string" },
    seed: { type: "string" },
    "on-bad-row": { type: "string" },
    "avazu-time-fields": { type: "boolean" },
    "rows-per-shard": { type: "string" },
    threads: { type: "string" },
    train: { type: "string" },
    val: { type: "string" },
    test: { type: "string" },
    label: { type: "string" },
    fields: { type: "string" },
    numeric: { type: "string" },
    delimiter: { type: "string" },
    "field-names": { type: "string" },
    encoding: { type: "string" },
  });
  const format = choiceFlag(f, "format", FORMAT_NAMES);
  if (f["avazu-time-fields"] && format !== "avazu")
    throw new UsageError(`--avazu-time-fields applies to --format avazu only`);
  const generic = GENERIC_FORMATS.includes(format);
  for (const flag of ["label", "fields", "numeric", "delimiter", "field-names"]) {
    if (f[flag] !== undefined && !generic)
      throw new UsageError(`--${flag} applies to --format ${GENERIC_FORMATS.join(", ")} only`);
  }
  if (format === "libfm")
    for (const flag of ["label", "fields", "delimiter"])
      if (f[flag] !== undefined) throw new UsageError(`--${flag} applies to --format csv and tsv, not libfm`);
  if (format !== "libfm" && f["field-names"] !== undefined)
    throw new UsageError(`--field-names applies to --format libfm only (csv and tsv take names from the header)`);
  const splitFiles = [f.train, f.val, f.test].filter((x) => x !== undefined).length;
  if (splitFiles > 0 && splitFiles < 3)
    throw new UsageError("pre-split input needs all three of --train, --val and --test");
  if (splitFiles === 3 && (f.input !== undefined || f.split !== undefined))
    throw new UsageError("give either --input FILE [--split 8:1:1] or --train FILE --val FILE --test FILE, not both");
  if (splitFiles === 0 && f.input === undefined)
    throw new UsageError("--input is required (or --train, --val and --test for pre-split files)");
  const schema = generic
    ? {
        ...(f.label !== undefined ? { label: requireString(f, "label") } : {}),
        ...(f.fields !== undefined ? { fields: nameListFlag(f, "fields") } : {}),
        ...(f.numeric !== undefined ? { numeric: nameListFlag(f, "numeric") } : {}),
        ...(f.delimiter !== undefined ? { delimiter: f.delimiter === "\\t" ? "\t" : String(f.delimiter) } : {}),
        ...(f["field-names"] !== undefined ? { fieldNames: nameListFlag(f, "field-names") } : {}),
      }
    : undefined;
  const inputFlags: FlagPath[] =
    splitFiles === 3
      ? (["train", "val", "test"] as const).map((s) => ({ flag: `--${s}`, path: requireString(f, s) }))
      : [{ flag: "--input", path: requireString(f, "input") }];
  checkPrepareClashes(inputFlags, requireString(f, "out"));
  const { manifest, reused } = await prepare({
    format,
    schema,
    input:
      splitFiles === 3
        ? { train: requireString(f, "train"), val: requireString(f, "val"), test: requireString(f, "test") }
        : requireString(f, "input"),
    out: requireString(f, "out"),
    minCount: intFlag(f, "min-count", 10, 1),
    split: splitFlag(f, "split", [0.8, 0.1, 0.1]),
    seed: intFlag(f, "seed", DEFAULT_SEED, 0),
    onBadRow: choiceFlag(f, "on-bad-row", ["error", "skip"] as const, "error"),
    avazuTimeFields: f["avazu-time-fields"] === true,
    rowsPerShard: intFlag(f, "rows-per-shard", DEFAULT_ROWS_PER_SHARD, 1, 1 << 26),
    ...(f.threads !== undefined ? { threads: intFlag(f, "threads", 0, 0, 64) } : {}),
    encoding: choiceFlag(f, "encoding", ENCODINGS, "utf8"),
  });
  console.log(`${reused ? "reused" : "prepared"} ${f.out}`);
  console.log(summarizeManifest(manifest));
}
