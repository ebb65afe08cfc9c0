// Input layouts and the paper's preprocessing preset. A format says how one line of its
// file becomes a label and one token per field (RowDecoder, row-decoder.ts, reads it so);
// everything after that (vocabulary, ids, shards) is shared by all formats.

export type FormatName = "criteo" | "avazu" | "criteo-deepctr" | "csv" | "tsv" | "libfm";
export const FORMAT_NAMES: readonly FormatName[] = ["criteo", "avazu", "criteo-deepctr", "csv", "tsv", "libfm"];
/** Formats whose columns come from the file and a schema, not from code. */
export const GENERIC_FORMATS: readonly FormatName[] = ["csv", "tsv", "libfm"];

export type FieldKind = "int" | "cat";
export interface FieldSpec {
  name: string;
  kind: FieldKind;
}

/** How a file's bytes are text: UTF-8 (checked line by line) or Latin-1 (any byte is a character). */
export type Encoding = "utf8" | "latin1";
export const ENCODINGS: readonly Encoding[] = ["utf8", "latin1"];

export interface FormatOptions {
  /** Avazu: also derive hour-of-day and weekday fields from `hour` (YYMMDDHH). */
  avazuTimeFields: boolean;
  /** Default UTF-8: a line that is not valid UTF-8 is a bad row (reason "encoding"). */
  encoding?: Encoding;
  /** csv / tsv / libfm: which columns are what. */
  schema?: Schema;
}

/** The user's description of a generic file (csv / tsv / libfm); all optional. */
export interface Schema {
  /** csv/tsv: the label column (default "label"). */
  label?: string;
  /** csv/tsv: the categorical fields, in column order (default: every column but the label). */
  fields?: string[];
  /** Fields bucketised like Criteo's integer fields (csv/tsv: column names; libfm: field names). */
  numeric?: string[];
  /** csv/tsv: one-character separator (default "," for csv, tab for tsv). */
  delimiter?: string;
  /** libfm: names of the fields in pair order (default f0, f1, ...). */
  fieldNames?: string[];
}

/** What a generic format needs to know from its file before it can decode rows. */
export interface FormatProbe {
  /** csv/tsv: the header line's column names. */
  header?: string[];
  /** libfm: feature pairs on the first data line. */
  pairs?: number;
}

/** A schema that does not fit the file (unknown columns, ...). */
export class SchemaError extends Error {}

/** How one column of the file is used. */
export type Column =
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
  /**
   * Numeric fields take decimals (`3.75`, `-0.5`, `1e-3`; csv/tsv/libfm): see `numericToken`.
   * Criteo's and Avazu's integer columns stay integers, so a stray float there is an error.
   */
  decimals: boolean;
  /** RFC 4180 quoting (csv/tsv): `"a,b"` is one value, `""` inside quotes is a quote. */
  quoted: boolean;
  /** Labels may be −1/1 (mapped to 0/1) as well as 0/1, with an optional zero fraction. */
  signedLabels: boolean;
  /** libFM layout: `label idx:val idx:val ...`, whitespace-separated, field m = m-th pair. */
  libfm: boolean;
  /** Lines must be valid UTF-8 (false with --encoding latin1, where every byte is a character). */
  checkUtf8: boolean;
}

const CRITEO_INT = Array.from({ length: 13 }, (_, i) => `I${i + 1}`);
const CRITEO_CAT = Array.from({ length: 26 }, (_, i) => `C${i + 1}`);
export const AVAZU_HEADER = [
  "id",
  "click",
  "hour",
  "C1",
  "banner_pos",
  "site_id",
  "site_domain",
  "site_category",
  "app_id",
  "app_domain",
  "app_category",
  "device_id",
  "device_ip",
  "device_model",
  "device_type",
  "device_conn_type",
  "C14",
  "C15",
  "C16",
  "C17",
  "C18",
  "C19",
  "C20",
  "C21",
];

export function makeFormat(name: FormatName, options: FormatOptions, probe: FormatProbe = {}): Format {
  return { ...layoutOf(name, options, probe), checkUtf8: options.encoding !== "latin1" };
}

function layoutOf(name: FormatName, options: FormatOptions, probe: FormatProbe): Omit<Format, "checkUtf8"> {
  const plain = { quoted: false, signedLabels: false, libfm: false };
  if (name === "csv" || name === "tsv") return delimitedFormat(name, options.schema ?? {}, probe);
  if (name === "libfm") return libfmFormat(options.schema ?? {}, probe);
  if (options.schema && Object.values(options.schema).some((v) => v !== undefined)) {
    throw new SchemaError(
      `--label, --fields, --numeric, --delimiter and --field-names apply to --format csv, tsv and libfm only`,
    );
  }
  if (name === "criteo" || name === "criteo-deepctr") {
    const fields: FieldSpec[] = [
      ...CRITEO_INT.map((n) => ({ name: n, kind: "int" as const })),
      ...CRITEO_CAT.map((n) => ({ name: n, kind: "cat" as const })),
    ];
    const columns: Column[] = [
      { role: "label" },
      ...fields.map((f, i) => ({ role: "field" as const, field: i, kind: f.kind })),
    ];
    const deep = name === "criteo-deepctr";
    return {
      name,
      delimiter: deep ? 0x2c : 0x09,
      header: deep ? ["label", ...CRITEO_INT, ...CRITEO_CAT] : null,
      columns,
      fields,
      allowZeroFraction: deep,
      decimals: false,
      ...plain,
    };
  }
  const fields: FieldSpec[] = AVAZU_HEADER.slice(2).map((n) => ({ name: n, kind: "cat" as const }));
  const columns: Column[] = [{ role: "drop" }, { role: "label" }];
  AVAZU_HEADER.slice(2).forEach((_, i) => columns.push({ role: "field", field: i, kind: "cat" }));
  if (options.avazuTimeFields) {
    fields.push({ name: "hour_of_day", kind: "cat" }, { name: "weekday", kind: "cat" });
    columns[2] = { role: "avazu-hour", field: 0, hourOfDay: fields.length - 2, weekday: fields.length - 1 };
  }
  return {
    name,
    delimiter: 0x2c,
    header: AVAZU_HEADER,
    columns,
    fields,
    allowZeroFraction: false,
    decimals: false,
    ...plain,
  };
}

/** csv/tsv: columns from the header line, roles from the schema. */
function delimitedFormat(name: "csv" | "tsv", schema: Schema, probe: FormatProbe): Omit<Format, "checkUtf8"> {
  const delimiterText = schema.delimiter ?? (name === "csv" ? "," : "\t");
  if (
    delimiterText.length !== 1 ||
    delimiterText.charCodeAt(0) > 0x7f ||
    delimiterText === '"' ||
    delimiterText === "\n" ||
    delimiterText === "\r"
  ) {
    throw new SchemaError(
      `--delimiter must be one ASCII character other than a quote or a line end, got ${JSON.stringify(delimiterText)}`,
    );
  }
  const header = probe.header;
  if (!header) throw new SchemaError(`--format ${name} needs a header line naming the columns`);
  const seen = new Set<string>();
  for (const h of header) {
    if (h === "") throw new SchemaError(`the header has an empty column name (columns: ${header.join(",")})`);
    if (seen.has(h)) throw new SchemaError(`the header names column ${JSON.stringify(h)} twice`);
    seen.add(h);
  }
  const label = schema.label ?? "label";
  const known = (flag: string, names: string[]) => {
    for (const n of names) {
      if (!seen.has(n))
        throw new SchemaError(`${flag}: no column ${JSON.stringify(n)} in the header (columns: ${header.join(",")})`);
      if (n === label) throw new SchemaError(`${flag}: ${JSON.stringify(n)} is the label column`);
    }
  };
  if (!seen.has(label))
    throw new SchemaError(
      `--label: no column ${JSON.stringify(label)} in the header (columns: ${header.join(",")})${schema.label ? "" : "; name the label column with --label"}`,
    );
  known("--fields", schema.fields ?? []);
  known("--numeric", schema.numeric ?? []);
  const numeric = new Set(schema.numeric ?? []);
  const chosen = new Set([...(schema.fields ?? header.filter((h) => h !== label)), ...numeric]);
  const fields: FieldSpec[] = [];
  const columns: Column[] = header.map((h) => {
    if (h === label) return { role: "label" };
    if (!chosen.has(h)) return { role: "drop" };
    const kind: FieldKind = numeric.has(h) ? "int" : "cat";
    fields.push({ name: h, kind });
    return { role: "field", field: fields.length - 1, kind };
  });
  if (fields.length === 0) throw new SchemaError(`no fields: the file has only the label column`);
  return {
    name,
    delimiter: delimiterText.charCodeAt(0),
    header,
    columns,
    fields,
    allowZeroFraction: true,
    decimals: true,
    quoted: true,
    signedLabels: true,
    libfm: false,
  };
}

/** libfm: one field per feature pair, counted on the first data line. */
function libfmFormat(schema: Schema, probe: FormatProbe): Omit<Format, "checkUtf8"> {
  const pairs = probe.pairs;
  if (pairs === undefined || pairs < 1)
    throw new SchemaError(`--format libfm: the first data line has no idx:val pairs`);
  const names = schema.fieldNames ?? Array.from({ length: pairs }, (_, i) => `f${i}`);
  if (names.length !== pairs)
    throw new SchemaError(`--field-names gives ${names.length} names, the first data line has ${pairs} idx:val pairs`);
  if (new Set(names).size !== names.length) throw new SchemaError(`--field-names has a name twice`);
  for (const n of schema.numeric ?? []) {
    if (!names.includes(n))
      throw new SchemaError(`--numeric: no field ${JSON.stringify(n)} (fields: ${names.join(",")})`);
  }
  const numeric = new Set(schema.numeric ?? []);
  const fields: FieldSpec[] = names.map((n) => ({ name: n, kind: numeric.has(n) ? "int" : "cat" }));
  const columns: Column[] = [
    { role: "label" },
    ...fields.map((f, i) => ({ role: "field" as const, field: i, kind: f.kind })),
  ];
  return {
    name: "libfm",
    delimiter: 0x20,
    header: null,
    columns,
    fields,
    allowZeroFraction: true,
    decimals: true,
    quoted: false,
    signedLabels: true,
    libfm: true,
  };
}

/**
 * Splits one header line by RFC 4180 rules (quotes, doubled quotes, delimiters inside
 * quotes). Headers are read once per file, so a plain string version is enough.
 */
export function splitHeader(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === "") quoted = true;
    else if (c === delimiter) {
      out.push(cell);
      cell = "";
    } else cell += c;
  }
  if (quoted) throw new SchemaError(`the header line has an unterminated quote`);
  out.push(cell);
  return out;
}

/** Feature pairs on a libfm line (whitespace-separated tokens after the label). */
export function countLibfmPairs(line: string): number {
  return line.trim().split(/[ \t]+/).length - 1;
}
