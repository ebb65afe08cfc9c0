// The `prepare` throughput benchmark: raw Criteo-layout text made by the synthetic
// generator (so no download is needed), encoded by the real pipeline; MB/s per pass.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepare } from "../data/prepare.js";
import { syntheticPrepareRequest } from "../experiments/datasets.js";
import { generateSynthetic } from "../data/synthetic.js";

export interface PrepareBenchResult {
  rows: number;
  megabytes: number;
  countMBps: number;
  encodeMBps: number;
  totalSeconds: number;
  peakRssMB: number;
}

export async function benchPrepare(rows: number, seed = 1): Promise<PrepareBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "autodim-bench-prepare-"));
  try {
    const input = join(dir, "train.txt");
    await generateSynthetic(input, { rows, seed, progress: false });
    const { manifest } = await prepare(syntheticPrepareRequest(input, join(dir, "prepared"), seed, false));
    const mb = statSync(input).size / 1e6;
    return {
      rows,
      megabytes: mb,
      countMBps: mb / manifest.passSeconds.count,
      encodeMBps: mb / manifest.passSeconds.encode,
      totalSeconds: manifest.prepareSeconds,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
