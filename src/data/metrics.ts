// Evaluation metrics, exact. AUC is the Mann–Whitney statistic with midranks, so tied
// scores count one half — what sklearn's roc_auc_score computes — never a binned curve.

type Numbers = ArrayLike<number>;

/**
 * Area under the ROC curve of `scores` for binary `labels` (0/1). Ties get midranks.
 * Throws when one class is absent (the AUC is undefined then).
 */
export function auc(labels: Numbers, scores: Numbers): number {
  const n = labels.length;
  if (scores.length !== n) throw new Error(`auc: ${n} labels but ${scores.length} scores`);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSumPositives = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const midrank = (i + j) / 2 + 1; // 1-based ranks i+1..j+1
    for (let k = i; k <= j; k++) {
      const y = labels[order[k]];
      if (y !== 0 && y !== 1) throw new Error(`auc: label ${y} at ${order[k]} is not 0 or 1`);
      if (y === 1) {
        positives++;
        rankSumPositives += midrank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0)
    throw new Error(`auc: needs both classes (positives ${positives}, negatives ${negatives})`);
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean binary cross-entropy of probabilities `probs`, clipped to [eps, 1 - eps]. */
export function logloss(labels: Numbers, probs: Numbers, eps = 1e-7): number {
  const n = labels.length;
  if (probs.length !== n) throw new Error(`logloss: ${n} labels but ${probs.length} probabilities`);
  if (n === 0) throw new Error("logloss: no samples");
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new Error(`logloss: label ${y} at ${i} is not 0 or 1`);
    const p = Math.min(Math.max(probs[i], eps), 1 - eps);
    sum += y === 1 ? -Math.log(p) : -Math.log(1 - p);
  }
  return sum / n;
}

/** Pearson correlation coefficient. */
export function pearson(x: Numbers, y: Numbers): number {
  const n = x.length;
  if (y.length !== n || n < 2)
    throw new Error(`pearson: needs two series of equal length ≥ 2 (got ${n} and ${y.length})`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return NaN; // a constant series has no correlation
  return sxy / Math.sqrt(sxx * syy);
}

/** Midranks (1-based; ties share the mean of their ranks). */
export function midranks(x: Numbers): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]] === x[order[i]]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/** Spearman rank correlation: Pearson of the midranks (correct with ties). */
export function spearman(x: Numbers, y: Numbers): number {
  return pearson(midranks(x), midranks(y));
}

/** Standard deviation with n − 1 (0 for fewer than two values). */
export function sampleStd(x: number[]): number {
  if (x.length < 2) return 0;
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
}
