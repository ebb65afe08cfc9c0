import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepare, type PrepareRequest } from "../src/data/prepare.js";
import { generateSynthetic } from "../src/data/synthetic.js";
import { RandomStream } from "../src/core/random.js";

export const FIXTURES = join(process.cwd(), "test", "fixtures");
export const CRITEO_DEEPCTR = join(FIXTURES, "criteo_sample_deepctr.csv");
export const CRITEO_RAW = join(FIXTURES, "criteo_sample_raw.txt");
export const AVAZU = join(FIXTURES, "avazu_sample.csv");

const created: string[] = [];
// Each test file runs in its own process: its temporary directories go when it exits.
process.on("exit", () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = "autodim-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function fixtureLines(path: string): string[] {
  return readFileSync(path, "latin1")
    .split("\n")
    .filter((l) => l.length > 0);
}

/** prepare() with test defaults: quiet, all rows in train unless a split is given. */
export function prepareQuiet(req: Partial<PrepareRequest> & Pick<PrepareRequest, "input" | "format">) {
  return prepare({
    out: tempDir(),
    minCount: 1,
    split: [1, 0, 0],
    seed: 1,
    onBadRow: "error",
    avazuTimeFields: false,
    rowsPerShard: 1 << 18,
    progress: false,
    ...req,
  });
}

/** 10k planted-rank synthetic rows (seed 11), prepared 8:1:1 with min count 5: the small search data. */
export async function smallSyntheticData(): Promise<string> {
  const dir = tempDir();
  const raw = join(dir, "synth.txt");
  await generateSynthetic(raw, { rows: 10000, seed: 11, progress: false });
  const out = join(dir, "prepared");
  await prepareQuiet({ input: raw, format: "criteo", minCount: 5, split: [0.8, 0.1, 0.1], out });
  return out;
}

/**
 * 10k planted synthetic rows (seed 11) whose clicks follow their features closely (first-order
 * part std 1.5, interactions 1.0, noise 0.25), prepared like `smallSyntheticData`: for tests that
 * a model learns at all, so that a model's test AUC lies far above a constant predictor's noise
 * and no float rounding (another CPU's BLAS) can carry it across the bound.
 */
export async function learnableSyntheticData(): Promise<string> {
  const dir = tempDir();
  const raw = join(dir, "synth.txt");
  await generateSynthetic(raw, {
    rows: 10000,
    seed: 11,
    firstOrderStd: 1.5,
    interactionStd: 1.0,
    noiseStd: 0.25,
    progress: false,
  });
  const out = join(dir, "prepared");
  await prepareQuiet({ input: raw, format: "criteo", minCount: 5, split: [0.8, 0.1, 0.1], out });
  return out;
}

/**
 * The test AUC a model must exceed to beat a constant (or random) predictor: 0.5 plus `z`
 * standard errors of the AUC under H0 (Mann–Whitney: √((n₁ + n₀ + 1) / (12 n₁ n₀))).
 */
export function aboveChance(positives: number, rows: number, z = 4): number {
  const n0 = rows - positives;
  return 0.5 + z * Math.sqrt((positives + n0 + 1) / (12 * positives * n0));
}

/**
 * A "gumbel" stream whose every draw is 0.5: the Gumbel noise is then the same constant for
 * every candidate, which the softmax ignores, so the selection is deterministic (what
 * finite-difference gradient checks need) without a test-only switch in the embedding.
 */
export function constantGumbelStream(): RandomStream {
  return new (class extends RandomStream {
    override next(): number {
      return 0.5;
    }
  })("constant-gumbel");
}

/** The path of a prepared directory's file by its name (`train-00000.ids.i32`), through its manifest. */
export function preparedFile(dir: string, name: string): string {
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
    counts: { file: string };
    vocab: { file: string };
    shards: { ids: { file: string }; labels: { file: string } }[];
  };
  const files = [m.counts.file, m.vocab.file, ...m.shards.flatMap((s) => [s.ids.file, s.labels.file])];
  const file = files.find((f) => f === name || f.endsWith(`/${name}`));
  if (file === undefined) throw new Error(`${dir}: no ${name} in the manifest`);
  return join(dir, file);
}

/** Every (transposeA, transposeB) of a matrix product, for tests that cover them all. */
export const TRANSPOSE_PAIRS = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** Every file of a folder with its bytes (base64), recursively: compare two to show nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    try {
      out[name] = readFileSync(p).toString("base64");
    } catch {
      // A folder.
    }
  }
  return out;
}

/**
 * A slow test's options: its name starts "slow: ", and it runs only under AUTODIM_SLOW_TESTS=1 —
 * `npm run test:slow` (which CI runs after `npm test`) and `npm run test:portable` — so that
 * `npm test` stays near ten minutes on 2 cores. test/architecture.test.ts checks that every file
 * using it is in test:slow.
 */
export const SLOW = process.env.AUTODIM_SLOW_TESTS === "1" ? {} : { skip: "slow: `npm run test:slow` runs it" };
