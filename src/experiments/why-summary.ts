// The "why" experiment's summaries of its runs: per setting over the seeds (margin, decided,
// agreement, SNR, planted ranks), per field at the longest search (the gradient's signal), the
// projection to the paper's Criteo search, and the result's shape (WhyResult).
import { pearson, spearman } from "../data/metrics.js";
import { stepsNeeded } from "../embedding/diagnostics.js";
import { PAPER_CANDIDATES } from "../methods/defaults.js";
import type { WhyAuc } from "./why-retrain.js";
import type { WhyRun } from "./why-search.js";
import type { WhySettings } from "./why-settings.js";
import {
  allSeedsAgree,
  chanceAgreement,
  fieldBootstrap,
  interval,
  mean,
  meanPairwisePearson,
  median,
  NEVER,
  upperMedian,
  type Interval,
  type NoiseNull,
} from "./why-stats.js";

/** Fields that at least two seeds decided (the diagnostics' rule) on different sizes. */
export function contradictedFields(runs: Pick<WhyRun, "fields">[]): number {
  let n = 0;
  for (let f = 0; f < runs[0].fields.length; f++) {
    const sizes = new Set(runs.filter((r) => r.fields[f].decided).map((r) => r.fields[f].dim));
    if (sizes.size >= 2) n++;
  }
  return n;
}

/** One setting over its seeds. */
export interface WhyRow {
  item: "length" | "data";
  epochs: number;
  frequency: number;
  share: number;
  trainRows: number;
  seeds: number;
  /** α steps (mean over seeds; equal unless the share changes the steps per epoch). */
  architectureSteps: number;
  steps: number;
  /** Mean over fields of p_argmax − p_runner-up, per seed → mean ± 95% t-interval. */
  margin: Interval;
  /** The largest normalised α of any field. */
  maxAlpha: Interval;
  /** Fields decided by the diagnostics' rule (of `fields`). */
  decided: Interval;
  fields: number;
  /** Share of fields where all seeds agree, its field-bootstrap interval, and chance level. */
  agreement: number;
  agreementLow: number;
  agreementHigh: number;
  chance: number;
  /** Mean pairwise Pearson of the seeds' size vectors, with its field-bootstrap interval. */
  pearson: number;
  pearsonLow: number;
  pearsonHigh: number;
  /** Median over fields × seeds of the SNR and of the α steps a decision would need (null counted as ∞). */
  snrMedian: number;
  stepsNeededMedian: number;
  /** Fields × seeds whose gradient favours the runner-up or is 0 (steps needed: none). */
  neverDecides: number;
  supernetValidationAuc: Interval;
  /** Mean wall seconds of one search. */
  searchSeconds: number;
  /** The same statistics for α trained by Adam on pure noise for as many steps (`adamNoiseNull`). */
  noise?: NoiseNull;
  /**
   * Mean over fields of the mean pairwise Pearson between seeds of the per-candidate mean gradient
   * (`WhyFieldSignal.gradientAgreement`): do the seeds' gradients rank the candidates alike?
   */
  gradientAgreement: number;
  /** Fields that at least two seeds decided (the diagnostics' rule) on different sizes. */
  contradicted: number;
  /**
   * Planted data only: Spearman(planted rank, size) per seed → mean ± 95% t; the share of the
   * noise fields (rank 0) × seeds given the smallest size.
   */
  planted?: { spearman: Interval; noiseAtSmallest: number; noiseFields: number };
}

/** Spearman(planted rank, size) per seed and the noise fields at the smallest candidate. */
export function plantedAgreement(
  runs: WhyRun[],
  ranks: Map<string, number>,
  smallest: number,
): WhyRow["planted"] | undefined {
  if (ranks.size === 0 || runs.length === 0) return undefined;
  const fields = runs[0].fields.map((f) => f.name);
  const missing = fields.filter((f) => !ranks.has(f));
  if (missing.length > 0) throw new Error(`why: no planted rank for field(s) ${missing.join(", ")}`);
  const r = fields.map((f) => ranks.get(f) as number);
  const noise = fields.flatMap((_, i) => (r[i] === 0 ? [i] : []));
  return {
    spearman: interval(
      runs.map((run) =>
        spearman(
          r,
          run.fields.map((f) => f.dim),
        ),
      ),
    ),
    noiseAtSmallest:
      noise.length === 0
        ? NaN
        : runs.reduce((a, run) => a + noise.filter((i) => run.fields[i].dim === smallest).length, 0) /
          (noise.length * runs.length),
    noiseFields: noise.length,
  };
}

export function summarizeSetting(
  runs: WhyRun[],
  item: "length" | "data",
  ranks: Map<string, number> = new Map(),
  smallest = PAPER_CANDIDATES[0],
): WhyRow {
  const dims = runs.map((r) => r.fields.map((f) => f.dim));
  const planted = plantedAgreement(runs, ranks, smallest);
  const agree = fieldBootstrap(dims, allSeedsAgree);
  const corr = fieldBootstrap(dims, meanPairwisePearson);
  const all = runs.flatMap((r) => r.fields);
  return {
    item,
    epochs: runs[0].epochs,
    frequency: runs[0].frequency,
    share: runs[0].share,
    trainRows: runs[0].trainRows,
    seeds: runs.length,
    architectureSteps: mean(runs.map((r) => r.architectureSteps)),
    steps: mean(runs.map((r) => r.steps)),
    margin: interval(runs.map((r) => mean(r.fields.map((f) => f.margin)))),
    maxAlpha: interval(runs.map((r) => Math.max(...r.fields.flatMap((f) => f.alpha)))),
    decided: interval(runs.map((r) => r.decided)),
    fields: runs[0].fields.length,
    agreement: allSeedsAgree(dims),
    agreementLow: agree.low,
    agreementHigh: agree.high,
    chance: chanceAgreement(dims),
    pearson: meanPairwisePearson(dims),
    pearsonLow: corr.low,
    pearsonHigh: corr.high,
    snrMedian: median(all.map((f) => f.snr ?? NaN)),
    stepsNeededMedian: upperMedian(all.map((f) => f.stepsNeeded ?? NEVER)),
    neverDecides: all.filter((f) => f.stepsNeeded === null).length,
    supernetValidationAuc: interval(runs.map((r) => r.supernetValidationAuc)),
    searchSeconds: mean(runs.map((r) => r.runtime.wallSeconds)),
    contradicted: contradictedFields(runs),
    gradientAgreement: mean(
      fieldSignals(
        runs,
        runs[0].fields[0].alpha.map((_, n) => n),
      )
        .map((f) => f.gradientAgreement)
        .filter((x) => Number.isFinite(x)),
    ),
    ...(planted ? { planted } : {}),
  };
}

/** Per field, over the seeds of one setting: the gradient's signal. */
export interface WhyFieldSignal {
  field: string;
  ids: number;
  sizes: number[];
  margin: Interval;
  /** Per seed: the SNR (null: undefined) and the α steps needed (null: never). */
  snr: (number | null)[];
  stepsNeeded: (number | null)[];
  decided: number;
  /** Per seed: |mean d| / sd(d), the per-step effect size (SNR / √n). */
  effect: number[];
  /** Per candidate: the mean ∂L/∂log α over all seeds' steps, and its sd per step (mean over seeds). */
  gradientMean: number[];
  gradientSd: number[];
  /**
   * Mean pairwise Pearson between seeds of the mean gradient over candidates: ≈ 1 when the mean
   * gradient ranks the candidates the same way for every seed (a property of the data), ≈ 0 when
   * each seed's mean is its own.
   */
  gradientAgreement: number;
  /**
   * Pooled over seeds (each seed's mean gradient an independent estimate): the candidate the
   * mean gradient favours most and the t statistic of its lead over the next, from the seeds'
   * per-step means and sds; and the α steps per seed that t would need to reach 2.
   */
  pooledBest: number;
  pooledSnr: number;
  pooledStepsNeeded: number | null;
}

export function fieldSignals(runs: WhyRun[], candidates: number[]): WhyFieldSignal[] {
  return runs[0].fields.map((f0, f) => {
    const fs = runs.map((r) => r.fields[f]);
    const N = candidates.length;
    const gradientMean = candidates.map((_, a) => mean(fs.map((x) => x.gradientMean[a])));
    const gradientSd = candidates.map((_, a) => mean(fs.map((x) => x.gradientSd[a])));
    // The loss falls fastest for the candidate with the most negative ∂L/∂log α.
    const order = [...Array(N).keys()].sort((a, b) => gradientMean[a] - gradientMean[b]);
    const [best, next] = order;
    const n = mean(runs.map((r) => r.architectureSteps));
    // d = g(next) − g(best) per step; its sd per step bounded by the candidates' sds (independence assumed).
    const dMean = gradientMean[next] - gradientMean[best];
    const dSd = Math.sqrt(gradientSd[next] ** 2 + gradientSd[best] ** 2);
    const pooledSnr = dSd > 0 ? dMean / (dSd / Math.sqrt(n * runs.length)) : NaN;
    const corr = (() => {
      const rs: number[] = [];
      for (let a = 0; a < fs.length; a++)
        for (let b = a + 1; b < fs.length; b++) {
          const r = pearson(fs[a].gradientMean, fs[b].gradientMean);
          if (Number.isFinite(r)) rs.push(r);
        }
      return rs.length ? mean(rs) : NaN;
    })();
    return {
      field: f0.name,
      ids: f0.ids,
      sizes: fs.map((x) => x.dim),
      margin: interval(fs.map((x) => x.margin)),
      snr: fs.map((x) => x.snr),
      stepsNeeded: fs.map((x) => x.stepsNeeded),
      decided: fs.filter((x) => x.decided).length,
      effect: fs.map((x) => (x.differenceSd > 0 ? x.differenceMean / x.differenceSd : NaN)),
      gradientMean,
      gradientSd,
      gradientAgreement: corr,
      pooledBest: candidates[best],
      pooledSnr,
      pooledStepsNeeded: stepsNeeded(pooledSnr, n * runs.length),
    };
  });
}

export interface WhyResult {
  settings: WhySettings;
  rows: WhyRow[];
  /** The gradient's signal per field at the longest search on all rows. */
  signal: WhyFieldSignal[];
  signalSetting: { epochs: number; frequency: number; architectureSteps: number };
  /**
   * The longest searches read after n = 25, 50, 100, … α steps: medians over fields × seeds of
   * the SNR the diagnostics would have reported then, of the α steps a decision would need
   * (n · (2 / SNR)², a field favouring its runner-up counted as never), and of the margin. A real
   * per-step signal makes the SNR grow as √n and the steps needed settle; none leaves the SNR
   * O(1) and the steps needed growing with n.
   */
  growth: { n: number; snr: number; stepsNeeded: number; margin: number }[];
  /** Every run, small enough to keep (the cells hold the same). */
  runs: (WhyRun & { key: string })[];
  computeSeconds: number;
  /** Training rows of the full split, and the projection to Criteo (see `criteoProjection`). */
  projection: CriteoProjection;
  /** ΔAUC vs FDE of the longest searches' plans (absent: not re-trained, or FDE's runs not saved). */
  auc?: WhyAuc;
}

/**
 * What the signal predicts for the paper's Criteo search, on the assumption that the per-α-step
 * noise of the gradient difference scales as 1/√batch and the per-step signal (its mean) is the
 * same as here: SNR ∝ √(α steps × batch rows). The paper's search: one epoch over 36.7M training
 * rows (80% of 45.8M), batch 2000, α every 10 steps.
 */
export interface CriteoProjection {
  criteoAlphaSteps: number;
  criteoBatch: number;
  /** α steps × batch rows here (the longest search) and on Criteo; their ratio. */
  hereRowsSeen: number;
  criteoRowsSeen: number;
  factor: number;
  /** Median SNR here at the longest search, and that × √factor. */
  snrHere: number;
  snrCriteo: number;
  /** Fields × seeds here whose steps needed (scaled to Criteo's batch) is within Criteo's α steps. */
  decidableShare: number;
  /**
   * Fields whose signal shared by the seeds (`WhyFieldSignal.pooledStepsNeeded`, scaled to
   * Criteo's batch) would reach t = 2 within Criteo's α steps: what a search could decide from the
   * data rather than from its own feedback.
   */
  sharedDecidable: number;
  fields: number;
}

export const CRITEO_TRAIN_ROWS = Math.round(0.8 * 45_840_617);

export function criteoProjection(runs: WhyRun[], batch: number, signal: WhyFieldSignal[]): CriteoProjection {
  const criteoBatch = 2000;
  const criteoAlphaSteps = Math.ceil(CRITEO_TRAIN_ROWS / criteoBatch / 10);
  const n = mean(runs.map((r) => r.architectureSteps));
  const hereRowsSeen = n * batch;
  const criteoRowsSeen = criteoAlphaSteps * criteoBatch;
  const factor = criteoRowsSeen / hereRowsSeen;
  const all = runs.flatMap((r) => r.fields);
  const snrHere = median(all.map((f) => f.snr ?? NaN));
  // steps needed at batch b' = steps needed at b × b / b'.
  const decidable = all.filter(
    (f) => f.stepsNeeded !== null && (f.stepsNeeded * batch) / criteoBatch <= criteoAlphaSteps,
  );
  return {
    criteoAlphaSteps,
    criteoBatch,
    hereRowsSeen,
    criteoRowsSeen,
    factor,
    snrHere,
    snrCriteo: snrHere * Math.sqrt(factor),
    decidableShare: decidable.length / all.length,
    sharedDecidable: signal.filter(
      (f) => f.pooledStepsNeeded !== null && (f.pooledStepsNeeded * batch) / criteoBatch <= criteoAlphaSteps,
    ).length,
    fields: signal.length,
  };
}
