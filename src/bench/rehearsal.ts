// The paper-scale rehearsal: one whole run (prepare → one search epoch → one re-train epoch,
// DeepFM at the paper's settings) on a planted synthetic set with Criteo's full vocabularies,
// through the same functions `autodim prepare`, `search` and `retrain` call. It answers what a
// step benchmark cannot: wall time per phase at 10⁷ rows, memory (bounded by the vocabulary, not
// the rows) and disk, and from them the cost of the whole paper.
//
// The generator's Zipf exponent is 0.5 for every field (the default synthetic set draws 1.0–1.3):
// with Criteo's 1,086,810 values and a min count of 10, a steeper law would leave most tail
// values under the threshold at 10M rows, and the tables would not be the paper's size.
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { PreparedData } from "../data/batches.js";
import { prepare } from "../data/prepare.js";
import { CRITEO_VOCAB, generateSynthetic } from "../data/synthetic.js";
import { search } from "../embedding/autodim.js";
import { syntheticPrepareRequest } from "../experiments/datasets.js";
import { DEFAULT_SEARCH, PAPER_RETRAIN } from "../methods/defaults.js";
import { retrain } from "../train/retrain.js";

export const REHEARSAL_ROWS = 10_000_000;
export const REHEARSAL_ZIPF = 0.5;

export interface RehearsalPhase {
  name: "generate" | "prepare" | "search" | "retrain";
  wallSeconds: number;
  /** Rows the phase went through (generated, read, or trained on), per wall second. */
  rowsPerSecond: number;
  rows: number;
  /** Peak resident memory of this process so far (it only grows), MB. */
  peakRssMB: number;
  /** What else the phase measured (passes, evaluation seconds, steps). */
  detail: Record<string, number>;
}

export interface RehearsalResult {
  rows: number;
  seed: number;
  zipfExponent: number;
  /** Features after the min-count-10 filter (Criteo: 1,086,810). */
  totalFeatures: number;
  splitRows: { train: number; validation: number; test: number };
  phases: RehearsalPhase[];
  disk: { rawMB: number; preparedMB: number };
  peakRssMB: number;
  model: "deepfm";
  searchConfig: { batchSize: number; candidates: number[]; epochs: number };
  retrainConfig: { batchSize: number; epochs: number };
}

function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(p) : statSync(p).size;
  }
  return total;
}

export async function rehearse(opts: {
  rows?: number;
  seed?: number;
  /** Folder for the raw and prepared data (removed afterwards unless `keep`). */
  dir: string;
  keep?: boolean;
  say?: (line: string) => void;
}): Promise<RehearsalResult> {
  const rows = opts.rows ?? REHEARSAL_ROWS;
  const seed = opts.seed ?? 1;
  const say = opts.say ?? (() => undefined);
  mkdirSync(opts.dir, { recursive: true });
  const raw = join(opts.dir, `rehearsal-${rows}.txt`);
  const preparedDir = join(opts.dir, "prepared");
  const phases: RehearsalPhase[] = [];
  const phase = async <T>(
    name: RehearsalPhase["name"],
    phaseRows: number,
    work: () => Promise<T>,
    detail: (r: T) => Record<string, number>,
  ): Promise<T> => {
    const start = performance.now();
    const r = await work();
    const wallSeconds = (performance.now() - start) / 1000;
    const p = {
      name,
      wallSeconds,
      rows: phaseRows,
      rowsPerSecond: phaseRows / wallSeconds,
      peakRssMB: peakRssMB(),
      detail: detail(r),
    };
    phases.push(p);
    say(
      `rehearsal ${name}: ${wallSeconds.toFixed(1)} s, ${Math.round(p.rowsPerSecond).toLocaleString("en")} rows/s, peak RSS so far ${p.peakRssMB.toFixed(0)} MB`,
    );
    return r;
  };
  try {
    await phase(
      "generate",
      rows,
      () =>
        generateSynthetic(raw, {
          rows,
          seed,
          vocabularySizes: [...CRITEO_VOCAB],
          zipfExponent: REHEARSAL_ZIPF,
        }),
      (t) => ({ bytes: t.bytes, ceilingAuc: t.ceilingAuc }),
    );
    const { manifest } = await phase(
      "prepare",
      rows,
      () => prepare(syntheticPrepareRequest(raw, preparedDir, seed)),
      (r) => ({ countSeconds: r.manifest.passSeconds.count, encodeSeconds: r.manifest.passSeconds.encode }),
    );
    const data = new PreparedData(preparedDir);
    const trainRows = data.rows("train");
    const plan = await phase(
      "search",
      trainRows,
      () => search(data, { ...DEFAULT_SEARCH, model: "deepfm", seed, epochs: 1 }),
      (p) => ({
        steps: p.search.steps,
        architectureSteps: p.search.architectureSteps,
        validationSeconds: p.search.supernetValidation.seconds,
        embeddingParams: p.totals.embeddingParams,
      }),
    );
    await phase(
      "retrain",
      trainRows,
      () =>
        retrain(
          data,
          {
            model: "deepfm",
            dims: plan.fields.map((f) => f.dim),
            projection: plan.config.unify,
            outputDim: plan.candidates[plan.candidates.length - 1],
            ...PAPER_RETRAIN,
            epochs: 1,
            seed,
          },
          { method: "autodim", plan },
        ),
      (r) => ({
        trainSeconds: r.history.reduce((a, h) => a + h.seconds, 0),
        validationSeconds: r.bestValidation.seconds,
        testSeconds: r.test.seconds,
        testAuc: r.test.auc,
      }),
    );
    return {
      rows,
      seed,
      zipfExponent: REHEARSAL_ZIPF,
      totalFeatures: manifest.totalFeatures,
      splitRows: { train: trainRows, validation: data.rows("val"), test: data.rows("test") },
      phases,
      disk: { rawMB: statSync(raw).size / 1e6, preparedMB: folderBytes(preparedDir) / 1e6 },
      peakRssMB: peakRssMB(),
      model: "deepfm",
      searchConfig: { batchSize: DEFAULT_SEARCH.batchSize, candidates: DEFAULT_SEARCH.candidates, epochs: 1 },
      retrainConfig: { batchSize: PAPER_RETRAIN.batchSize, epochs: 1 },
    };
  } finally {
    if (!opts.keep) rmSync(opts.dir, { recursive: true, force: true });
  }
}
