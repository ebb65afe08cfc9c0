// The "why" experiment's statistics over plain numbers: means, medians and t-intervals, the α
// margin, the seeds' agreement on sizes (all agree, Pearson, chance, field bootstrap), and the null
// of Adam trained on gradients of pure noise. No run types here: the summaries (why-summary.ts) apply them.
import { pearson } from "../data/metrics.js";
import { argmaxIndex } from "../embedding/diagnostics.js";
import { randomStream } from "../core/random.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import { meanInterval } from "./unification.js";

/** Mean of the values. */
export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Median of the finite values (NaN if none). */
export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The upper median (the ⌊n/2⌋-th of the sorted values): for ordinal values such as steps needed,
 * where "never" (NEVER) must not be averaged with a finite count.
 */
export function upperMedian(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[s.length >> 1];
}

/** Steps needed of a field whose gradient favours its runner-up (never), as a number medians can order. */
export const NEVER = 1e12;

/** dims[s][f]: the share of fields f where every seed chose the same size. */
export function allSeedsAgree(dims: number[][]): number {
  const F = dims[0].length;
  let same = 0;
  for (let f = 0; f < F; f++) if (dims.every((d) => d[f] === dims[0][f])) same++;
  return same / F;
}

/**
 * The mean Pearson correlation over pairs of seeds of their size vectors; pairs where a seed's
 * sizes are all equal (no correlation defined) are left out, NaN if every pair is.
 */
export function meanPairwisePearson(dims: number[][]): number {
  const rs: number[] = [];
  for (let a = 0; a < dims.length; a++)
    for (let b = a + 1; b < dims.length; b++) {
      const r = pearson(dims[a], dims[b]);
      if (Number.isFinite(r)) rs.push(r);
    }
  return rs.length ? mean(rs) : NaN;
}

/**
 * The share of fields on which all seeds would agree by chance, were each seed's sizes drawn
 * independently from that seed's own mix of sizes: Σ_d Π_s share_s(d).
 */
export function chanceAgreement(dims: number[][]): number {
  const sizes = [...new Set(dims.flat())];
  return sizes.reduce(
    (acc, d) => acc + dims.reduce((p, row) => p * (row.filter((x) => x === d).length / row.length), 1),
    0,
  );
}

/** A percentile bootstrap 95% interval of `stat` over fields (columns of dims resampled with replacement). */
export function fieldBootstrap(
  dims: number[][],
  stat: (dims: number[][]) => number,
  replicates = 2000,
  seed = DEFAULT_SEED,
): { low: number; high: number } {
  const rng = randomStream(seed, "bootstrap", "why-fields");
  const F = dims[0].length;
  const values: number[] = [];
  for (let b = 0; b < replicates; b++) {
    const pick = Array.from({ length: F }, () => rng.int(F));
    const v = stat(dims.map((row) => pick.map((f) => row[f])));
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((x, y) => x - y);
  if (values.length === 0) return { low: NaN, high: NaN };
  const q = (p: number) => values[Math.min(values.length - 1, Math.max(0, Math.floor(p * values.length)))];
  return { low: q(0.025), high: q(0.975) };
}

/** Mean over seeds with its 95% t-interval. */
export interface Interval {
  mean: number;
  half: number;
}
/** Mean over seeds with its 95% t-interval, from the seeds' values. */
export const interval = (xs: number[]): Interval => {
  const m = meanInterval(xs);
  return { mean: m.mean, half: m.half };
};

/** p_argmax − p_runner-up of normalised α (0 with one candidate). */
export function fieldMargin(p: number[]): number {
  if (p.length < 2) return 0;
  const k = argmaxIndex(p);
  let r = -1;
  for (let n = 0; n < p.length; n++) if (n !== k && (r < 0 || p[n] > p[r])) r = n;
  return p[k] - p[r];
}

// ───────────────────────── the null: Adam on gradients of pure noise ─────────────────────────

/** What the search's statistics look like when the α gradient carries no signal at all. */
export interface NoiseNull {
  /** Mean over simulated fields of p(argmax) − p(runner-up) after n steps. */
  margin: number;
  /** Median of the diagnostics' SNR (argmax vs runner-up). */
  snr: number;
  /** Share of fields the decided rule would accept (SNR ≥ 2, margin ≥ 0.1/N, argmax stable over the last half). */
  decided: number;
}

/**
 * α trained by Adam (the search's: β1 0.9, β2 0.999, ε 1e-8, learning rate `lr`) on `n` steps of
 * gradients with mean 0 — i.i.d. normal per candidate, centred over the candidates as a softmax's
 * gradient in log α is — for `fields` simulated fields of N candidates: the margin, SNR and
 * decided share a search reaches on noise alone. Adam normalises each coordinate, so the noise's
 * scale does not matter; its momentum makes α drift as a random walk whose steps are ≈ lr.
 */
export function adamNoiseNull(n: number, N: number, lr: number, fields = 400, seed = DEFAULT_SEED): NoiseNull {
  const rng = randomStream(seed, "bench", "why-null", n, N, lr);
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  const margins: number[] = [];
  const snrs: number[] = [];
  let decided = 0;
  const g = new Float64Array(N);
  for (let f = 0; f < fields; f++) {
    const x = new Float64Array(N);
    const m = new Float64Array(N);
    const v = new Float64Array(N);
    const sum = new Float64Array(N);
    const cross = new Float64Array(N * N);
    let argmax = 0;
    let stableSince = 0;
    for (let t = 1; t <= n; t++) {
      let mean = 0;
      for (let a = 0; a < N; a++) {
        g[a] = rng.normal();
        mean += g[a] / N;
      }
      for (let a = 0; a < N; a++) {
        g[a] -= mean;
        sum[a] += g[a];
        for (let c = 0; c < N; c++) cross[a * N + c] += g[a] * g[c];
        m[a] = b1 * m[a] + (1 - b1) * g[a];
        v[a] = b2 * v[a] + (1 - b2) * g[a] * g[a];
        x[a] -= (lr * (m[a] / (1 - b1 ** t))) / (Math.sqrt(v[a] / (1 - b2 ** t)) + eps);
      }
      const k = argmaxIndex(x);
      if (k !== argmax) {
        argmax = k;
        stableSince = t;
      }
    }
    const max = Math.max(...x);
    const e = Array.from(x, (z) => Math.exp(z - max));
    const total = e.reduce((a, z) => a + z, 0);
    const p = e.map((z) => z / total);
    const margin = fieldMargin(p);
    const k = argmaxIndex(p);
    let r = -1;
    for (let a = 0; a < N; a++) if (a !== k && (r < 0 || p[a] > p[r])) r = a;
    const dSum = sum[r] - sum[k];
    const dSquares = cross[r * N + r] - 2 * cross[k * N + r] + cross[k * N + k];
    const dMean = dSum / n;
    const sd = Math.sqrt(Math.max(0, (dSquares - dSum * dMean) / (n - 1)));
    const snr = sd > 0 ? dMean / (sd / Math.sqrt(n)) : NaN;
    margins.push(margin);
    snrs.push(snr);
    if (n >= 50 && snr >= 2 && margin >= 0.1 / N && stableSince <= n / 2) decided++;
  }
  return { margin: mean(margins), snr: median(snrs), decided: decided / fields };
}
