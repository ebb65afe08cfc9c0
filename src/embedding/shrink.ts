// Shrink — our dimension search beyond the paper (issue 31). AutoDim's α gradient carries almost
// no signal shared by seeds on the data here (experiment 12, "why"): a decision must come from a
// measurement that is large against its noise. Shrink measures directly what a smaller size costs:
//
//   1. Train the full-dimension model (FDE) once, with early stopping on validation AUC.
//   2. Per field m and candidate d < D: replace the field's rows by their best rank-d affine
//      approximation (weighted PCA, src/embedding/pca.ts — exactly a d-wide table plus the
//      re-train's linear projection) and measure the validation logloss increase over the full
//      model, with its paired standard error over validation rows. One forward pass each.
//   3. Allocate greedily: repeatedly take the step to a field's next smaller size that costs the
//      least validation loss per parameter saved, while the summed increase stays within the
//      tolerance; then check the joint truncation and undo the last steps while it exceeds it.
//   4. Re-train the plan from scratch, as every method's plan is (src/methods/shrink.ts).
//
// A field's decision is reported like AutoDim's diagnostics: decided when shrinking it one size
// further raises the validation loss by ≥ 2 standard errors (kept for a measured reason), or, at
// the smallest size, when the increase's upper bound (+2 SE) is within the tolerance.

/** One field's probe: the validation logloss increase at each candidate (ascending), with paired SEs. */
export interface FieldProbe {
  name: string;
  vocabularySize: number;
  /** Increase over the full model at candidates[i]; 0 at the largest. */
  increase: number[];
  /** Standard error of each increase (paired over validation rows). */
  se: number[];
  /** SE of increase[i] − increase[i + 1] (the step from candidates[i + 1] down to candidates[i]). */
  stepSe: number[];
}

export interface ShrinkStep {
  field: string;
  from: number;
  to: number;
  /** Its validation logloss increase (single-field probe) and parameters saved. */
  cost: number;
  saved: number;
}

/**
 * Greedy allocation from single-field probes: sizes per field (indices into `candidates`), the
 * steps in the order taken. Additive model: the plan's increase is Σ_m max(0, increase_m(d_m)).
 */
export function allocateSizes(
  probes: FieldProbe[],
  candidates: number[],
  tolerance: number,
): { dims: number[]; steps: ShrinkStep[]; predictedIncrease: number } {
  const top = candidates.length - 1;
  const at = probes.map(() => top);
  const stuck = probes.map(() => false);
  const steps: ShrinkStep[] = [];
  const spent = () => probes.reduce((a, p, m) => a + Math.max(0, p.increase[at[m]]), 0);
  for (;;) {
    let best = -1;
    let bestRatio = Infinity;
    probes.forEach((p, m) => {
      if (stuck[m] || at[m] === 0) return;
      const cost = Math.max(0, p.increase[at[m] - 1]) - Math.max(0, p.increase[at[m]]);
      const saved = p.vocabularySize * (candidates[at[m]] - candidates[at[m] - 1]);
      const ratio = cost / saved;
      // Ties (free steps) go to the field saving more, then to the earlier field.
      if (
        ratio < bestRatio ||
        (ratio === bestRatio &&
          best >= 0 &&
          saved > probes[best].vocabularySize * (candidates[at[best]] - candidates[at[best] - 1]))
      ) {
        best = m;
        bestRatio = ratio;
      }
    });
    if (best < 0) break;
    const p = probes[best];
    const before = spent();
    at[best]--;
    if (spent() > tolerance) {
      at[best]++;
      stuck[best] = true;
      continue;
    }
    steps.push({
      field: p.name,
      from: candidates[at[best] + 1],
      to: candidates[at[best]],
      cost: spent() - before,
      saved: p.vocabularySize * (candidates[at[best] + 1] - candidates[at[best]]),
    });
  }
  return { dims: at.map((i) => candidates[i]), steps, predictedIncrease: spent() };
}

export interface ShrinkDecision {
  name: string;
  size: number;
  /** Validation logloss increase at the chosen size (single-field probe). */
  increase: number;
  /** Shrinking one size further: the extra increase and its z (null at the smallest size). */
  nextStep: { size: number; extra: number; z: number | null } | null;
  decided: boolean;
}

/** Whether each field's size stands on a measurement above its noise (see the header). */
export function decideSizes(
  probes: FieldProbe[],
  candidates: number[],
  dims: number[],
  tolerance: number,
): ShrinkDecision[] {
  return probes.map((p, m) => {
    const i = candidates.indexOf(dims[m]);
    if (i < 0) throw new Error(`decideSizes: size ${dims[m]} is not a candidate`);
    const increase = p.increase[i];
    if (i === 0)
      return { name: p.name, size: dims[m], increase, nextStep: null, decided: increase + 2 * p.se[0] <= tolerance };
    const extra = p.increase[i - 1] - increase;
    const se = p.stepSe[i - 1];
    const z = se > 0 ? extra / se : null;
    return {
      name: p.name,
      size: dims[m],
      increase,
      nextStep: { size: candidates[i - 1], extra, z },
      decided: z !== null && z >= 2,
    };
  });
}

/** Per-row logloss (clamped like data/metrics' logloss). */
export function rowLosses(
  labels: ArrayLike<number>,
  probs: ArrayLike<number>,
  out: Float64Array,
  eps = 1e-7,
): Float64Array {
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probs[i]));
    out[i] = labels[i] ? -Math.log(p) : -Math.log(1 - p);
  }
  return out;
}

/**
 * What the full model gains over a constant predictor, in validation logloss: the mean loss of
 * predicting the training click rate `baseRate` for every row, minus the model's mean loss
 * (`modelLosses`, per row). A tolerance stated as a share of it means the same on data where
 * models gain much (MovieLens: ~0.155) and on data where they gain little (planted: ~0.05).
 */
export function loglossGain(
  labels: ArrayLike<number>,
  baseRate: number,
  modelLosses: Float64Array,
): { constant: number; model: number; gain: number } {
  const constant = rowLosses(
    labels,
    Array.from({ length: labels.length }, () => baseRate),
    new Float64Array(labels.length),
  );
  const mean = (x: Float64Array) => x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);
  const c = mean(constant);
  const m = mean(modelLosses);
  return { constant: c, model: m, gain: c - m };
}

/** Mean of a − b and its standard error (paired rows). */
export function pairedIncrease(a: Float64Array, b: Float64Array): { mean: number; se: number } {
  const n = a.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] - b[i];
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (a[i] - b[i] - mean) ** 2;
  return { mean, se: n > 1 ? Math.sqrt(v / (n - 1) / n) : 0 };
}

/**
 * Which plan a run takes when it chooses among several on its own validation split: the one
 * saving most whose validation AUC is at most `maxDrop` below the full model's (equal savings:
 * the higher AUC); none within it (`fallback`), the plan of highest validation AUC.
 */
export function chooseByValidation(
  plans: { saved: number; validationAuc: number }[],
  fullValidationAuc: number,
  maxDrop: number,
): { index: number; fallback: boolean } {
  if (plans.length === 0) throw new Error("chooseByValidation: no plans");
  let index = -1;
  plans.forEach((p, i) => {
    if (!(p.validationAuc >= fullValidationAuc - maxDrop)) return;
    const b = index >= 0 ? plans[index] : undefined;
    if (!b || p.saved > b.saved || (p.saved === b.saved && p.validationAuc > b.validationAuc)) index = i;
  });
  if (index >= 0) return { index, fallback: false };
  index = 0;
  plans.forEach((p, i) => {
    if (p.validationAuc > plans[index].validationAuc) index = i;
  });
  return { index, fallback: true };
}
