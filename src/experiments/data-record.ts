// What the tables and figures need of a real data set when its raw files are not here: the
// description (every run cell's identity names its data by it), the manifest (rows per split,
// fields, vocabulary sizes, features; no values) and the test split's labels (the paired-bootstrap
// intervals are recomputed from each run's saved test scores and these). Written beside the
// results as results/datasets/<key>.json + <key>.test-labels.u8.gz whenever an experiment loads
// the data set from its raw files (rewritten only when it changed), and read instead of the raw
// files when they are absent: `reproduce` and the notebooks then rebuild every table and figure
// from the committed run cells, and only a missing cell needs the raw data (RecordedData says so).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { PreparedData } from "../data/batches.js";
import type { Manifest } from "../data/manifest.js";
import { AutodimError } from "../core/errors.js";
import { writeFileAtomic } from "../core/files.js";
import type { Dataset } from "./datasets.js";
import { RESULTS_DIR } from "./report.js";

/** Where the records are: results/datasets/ (under AUTODIM_RESULTS_DIR when set). */
export function dataRecordsDir(): string {
  return join(RESULTS_DIR, "datasets");
}

interface DataRecordFile {
  kind: "autodim-data-record";
  about: string;
  /** The record's key (its file name): the data set's name in the experiments' settings, and its variant. */
  key: string;
  /** Dataset.name. */
  name: string;
  /** Dataset.description: the `data` of every run cell's identity. */
  description: string;
  testLabels: { file: string; rows: number; positives: number; sha256: string };
  /** The prepared set's manifest, without what changes from one prepare to the next (times, paths). */
  manifest: Manifest;
}

/**
 * A prepared data set's manifest and test labels without its rows: every read of rows (shards,
 * counts) stops with `why` — what is missing and how to get it.
 */
export class RecordedData extends PreparedData {
  constructor(
    /** The record file it stands for. */
    readonly record: string,
    manifest: Manifest,
    readonly testLabels: Uint8Array,
    readonly why: string,
  ) {
    super(record, manifest);
  }

  override readShard(): never {
    throw new AutodimError(this.why);
  }

  override counts(): never {
    throw new AutodimError(this.why);
  }
}

/** The test split's labels in row order (the order of every run's saved test scores). */
export function testLabelsOf(data: PreparedData): Uint8Array {
  if (data instanceof RecordedData) return data.testLabels;
  const labels = new Uint8Array(data.rows("test"));
  let at = 0;
  for (const shard of data.shards("test")) {
    labels.set(data.readShard(shard).labels, at);
    at += shard.rows;
  }
  return labels;
}

/** The manifest with what differs between two prepares of the same input left out. */
function stableManifest(m: Manifest): Manifest {
  const file = <T extends { file: string }>(e: T): T => ({ ...e, file: basename(e.file) });
  const source = (s: Manifest["source"]) => ({ ...s, path: basename(s.path), mtimeMs: 0 });
  return {
    ...m,
    createdAt: "",
    source: source(m.source),
    sources: m.sources.map(source),
    counts: file(m.counts),
    vocab: file(m.vocab),
    shards: m.shards.map((s) => ({ ...s, ids: file(s.ids), labels: file(s.labels) })),
    prepareSeconds: 0,
    passSeconds: { count: 0, encode: 0 },
  };
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Writes (or leaves, when unchanged) the record of `ds` under `key`; returns its path. */
export function saveDataRecord(key: string, ds: Dataset, dir = dataRecordsDir()): string {
  const labels = testLabelsOf(ds.data);
  const json = join(dir, `${key}.json`);
  const labelsFile = `${key}.test-labels.u8.gz`;
  const record: DataRecordFile = {
    kind: "autodim-data-record",
    about:
      "What the tables need of this data set without its raw files: the description its run cells name, its prepared manifest and its test labels (src/experiments/data-record.ts)",
    key,
    name: ds.name,
    description: ds.description,
    testLabels: {
      file: labelsFile,
      rows: labels.length,
      positives: labels.reduce((a, y) => a + y, 0),
      sha256: sha256(labels),
    },
    manifest: stableManifest(ds.data.manifest),
  };
  const text = JSON.stringify(record, null, 1) + "\n";
  mkdirSync(dir, { recursive: true });
  const labelsPath = join(dir, labelsFile);
  let same = false;
  try {
    same = sha256(gunzipSync(readFileSync(labelsPath))) === record.testLabels.sha256;
  } catch {
    same = false;
  }
  if (!same) writeFileAtomic(labelsPath, gzipSync(labels, { level: 9 }));
  if (!existsSync(json) || readFileSync(json, "utf8") !== text) writeFileAtomic(json, text);
  return json;
}

/**
 * The data set `key` as its record describes it (rows unreadable: `why` says what to get), or
 * undefined when there is no record; a damaged record is an error naming its file.
 */
export function recordedDataset(key: string, why: string, dir = dataRecordsDir()): Dataset | undefined {
  const json = join(dir, `${key}.json`);
  if (!existsSync(json)) return undefined;
  let record: DataRecordFile;
  try {
    record = JSON.parse(readFileSync(json, "utf8")) as DataRecordFile;
  } catch (e) {
    throw new AutodimError(`${json}: not valid JSON (${(e as Error).message})`);
  }
  if (record.kind !== "autodim-data-record" || !record.manifest || !record.testLabels)
    throw new AutodimError(`${json}: not a data record (kind "autodim-data-record")`);
  const labelsPath = join(dir, record.testLabels.file);
  let labels: Uint8Array;
  try {
    labels = new Uint8Array(gunzipSync(readFileSync(labelsPath)));
  } catch (e) {
    throw new AutodimError(`${labelsPath}: missing or not gzip (${(e as Error).message}); ${json} names it`);
  }
  if (labels.length !== record.manifest.rows.test || sha256(labels) !== record.testLabels.sha256)
    throw new AutodimError(
      `${labelsPath}: ${labels.length} labels with sha256 ${sha256(labels).slice(0, 12)}, ${json} says ${record.manifest.rows.test} with ${record.testLabels.sha256.slice(0, 12)}`,
    );
  return {
    name: record.name,
    description: record.description,
    data: new RecordedData(json, record.manifest, labels, why),
  };
}

/** Whether a data set is a record's stand-in (its rows are not here). */
export function isRecorded(ds: Dataset): boolean {
  return ds.data instanceof RecordedData;
}

/** Why a record's rows cannot be read (its `why`), or undefined for a data set with rows. */
export function rawDataNeeded(ds: Dataset): string | undefined {
  return ds.data instanceof RecordedData ? ds.data.why : undefined;
}
