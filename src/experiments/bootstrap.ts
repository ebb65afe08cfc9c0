// Paired bootstrap of AUC differences between runs scored on the same test rows. Two stages,
// because both the test rows and the training seeds vary between a reader's run and ours:
// every replicate draws the seeds with replacement (a method's seed s stays paired with the
// reference's seed s) and the test rows with replacement (the same rows for every run), and
// recomputes each run's AUC on those rows with the drawn multiplicities as weights.
import { randomStream } from "../core/random.js";

/** The rows of a run sorted by score, with tie groups: what a weighted AUC needs, computed once. */
export interface RankedScores {
  /** Row indices in ascending score order. */
  order: Uint32Array;
  /** groupEnd[k]: one past the last position of the tie group that position k belongs to. */
  groupEnd: Uint32Array;
}

export function rankScores(scores: ArrayLike<number>): RankedScores {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b]);
  const groupEnd = new Uint32Array(n);
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && scores[order[j]] === scores[order[i]]) j++;
    groupEnd.fill(j, i, j);
    i = j;
  }
  return { order, groupEnd };
}

/**
 * AUC with row weights (a row of weight w counts as w copies; ties count one half), in one pass
 * over the ranked rows. With all weights 1 it is the ordinary AUC.
 */
export function weightedAuc(labels: ArrayLike<number>, ranked: RankedScores, weights: ArrayLike<number>): number {
  const { order, groupEnd } = ranked;
  const n = order.length;
  let negativesBelow = 0;
  let pairs = 0;
  let positives = 0;
  for (let i = 0; i < n;) {
    const end = groupEnd[i];
    let groupPositives = 0;
    let groupNegatives = 0;
    for (let k = i; k < end; k++) {
      const row = order[k];
      const w = weights[row];
      if (labels[row] === 1) groupPositives += w;
      else groupNegatives += w;
    }
    pairs += groupPositives * (negativesBelow + 0.5 * groupNegatives);
    positives += groupPositives;
    negativesBelow += groupNegatives;
    i = end;
  }
  return pairs / (positives * negativesBelow);
}

/** A run to compare: its test scores per seed (seed order shared by every run). */
export interface BootstrapRun {
  key: string;
  /** Test-row probabilities, one array per seed, all of the same rows in the same order. */
  scoresBySeed: ArrayLike<number>[];
}

export interface PairedDifference {
  key: string;
  /** Mean over seeds of AUC(run, seed s) − AUC(reference, seed s) on all test rows. */
  delta: number;
  /** 95% percentile interval of that mean over the replicates. */
  low: number;
  high: number;
  /** Share of replicates with a difference ≤ 0 (a one-sided bootstrap p-value for "better"). */
  shareAtMostZero: number;
}

/**
 * Bootstrap replicates of every run's AUC, drawn once so any pair can be compared: per
 * replicate, the seeds drawn (indices, shared by all runs) and each run's AUC per seed on the
 * rows drawn (shared by all runs). Deterministic for `seed`.
 */
export class AucDraws {
  readonly keys: string[];
  /** point[k][s]: run k's AUC with seed s on all rows. */
  readonly point: number[][];
  /** seedDraws[b]: the seed indices of replicate b. */
  readonly seedDraws: number[][];
  /** aucs[k][b][s]: run k's AUC with seed s on replicate b's rows. */
  readonly aucs: Float64Array[][];

  constructor(labels: ArrayLike<number>, runs: BootstrapRun[], opts: { replicates: number; seed: number }) {
    const n = labels.length;
    const seeds = runs[0]?.scoresBySeed.length ?? 0;
    for (const r of runs) {
      if (r.scoresBySeed.length !== seeds)
        throw new Error(`bootstrap: ${r.key} has ${r.scoresBySeed.length} seeds, ${runs[0].key} ${seeds}`);
      for (const s of r.scoresBySeed)
        if (s.length !== n) throw new Error(`bootstrap: ${r.key} scored ${s.length} rows, the labels are ${n}`);
    }
    this.keys = runs.map((r) => r.key);
    const ranked = runs.map((r) => r.scoresBySeed.map(rankScores));
    const ones = new Float64Array(n).fill(1);
    this.point = ranked.map((perSeed) => perSeed.map((r) => weightedAuc(labels, r, ones)));
    const rng = randomStream(opts.seed, "bootstrap");
    this.seedDraws = [];
    this.aucs = runs.map(() => []);
    const weights = new Float64Array(n);
    for (let b = 0; b < opts.replicates; b++) {
      this.seedDraws.push(Array.from({ length: seeds }, () => Math.floor(rng.next() * seeds)));
      weights.fill(0);
      for (let i = 0; i < n; i++) weights[Math.floor(rng.next() * n)]++;
      ranked.forEach((perSeed, k) =>
        this.aucs[k].push(Float64Array.from(perSeed, (r) => weightedAuc(labels, r, weights))),
      );
    }
  }

  /** Mean over seeds of AUC(a, s) − AUC(b, s), with its 95% percentile interval over the replicates. */
  difference(a: string, b: string): PairedDifference {
    const ka = this.keys.indexOf(a);
    const kb = this.keys.indexOf(b);
    if (ka < 0 || kb < 0) throw new Error(`bootstrap: no run ${ka < 0 ? a : b}`);
    const seeds = this.point[ka].length;
    let delta = 0;
    for (let s = 0; s < seeds; s++) delta += (this.point[ka][s] - this.point[kb][s]) / seeds;
    const draws = this.seedDraws
      .map((draw, r) => draw.reduce((acc, s) => acc + this.aucs[ka][r][s] - this.aucs[kb][r][s], 0) / draw.length)
      .sort((x, y) => x - y);
    return {
      key: a,
      delta,
      low: quantile(draws, 0.025),
      high: quantile(draws, 0.975),
      shareAtMostZero: draws.filter((x) => x <= 0).length / draws.length,
    };
  }
}

/**
 * ΔAUC of every run against `reference` with a two-stage paired bootstrap (seeds, then test
 * rows), `replicates` times, deterministic for `seed`.
 */
export function pairedAucBootstrap(
  labels: ArrayLike<number>,
  reference: BootstrapRun,
  runs: BootstrapRun[],
  opts: { replicates: number; seed: number },
): PairedDifference[] {
  const draws = new AucDraws(labels, [reference, ...runs], opts);
  return runs.map((r) => draws.difference(r.key, reference.key));
}

/** The q-quantile of ascending `sorted` (linear interpolation between order statistics). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

/** "better" / "worse" when the 95% interval excludes 0, else "no difference detected". */
export function verdict(d: Pick<PairedDifference, "low" | "high">): "better" | "worse" | "no difference detected" {
  return d.low > 0 ? "better" : d.high < 0 ? "worse" : "no difference detected";
}
