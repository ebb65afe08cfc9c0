// Weighted principal components of one field's embedding rows, for the shrink search
// (src/embedding/shrink.ts): the best rank-d affine approximation of a table, e ≈ μ + (e − μ)·V_d·V_dᵀ,
// is exactly a d-wide table (e − μ)·V_d followed by a linear map V_dᵀ with bias μ — the
// re-train's linear projection — so a truncated model is one the plan can express.

/**
 * Eigen-decomposition of a symmetric n × n matrix (row-major, float64) by cyclic Jacobi
 * rotations: values descending, vectors[k] the unit eigenvector of values[k]. Small n (the
 * embedding width) only: O(n³) per sweep.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: number[]; vectors: Float64Array[] } {
  if (matrix.length !== n * n) throw new Error(`symmetricEigen: ${matrix.length} entries for ${n} × ${n}`);
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const offNorm = () => {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += a[i * n + j] ** 2;
    return s;
  };
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i] ** 2;
  for (let sweep = 0; sweep < 100 && offNorm() > 1e-30 * Math.max(scale, 1e-300); sweep++) {
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x]);
  return {
    values: order.map((i) => a[i * n + i]),
    vectors: order.map((i) => Float64Array.from({ length: n }, (_, k) => v[k * n + i])),
  };
}

/** A field's rows summarised: weighted mean and principal directions (descending variance). */
export interface FieldComponents {
  mean: Float64Array;
  /** Weighted variance along each direction. */
  variances: number[];
  directions: Float64Array[];
}

/**
 * Principal components of `rows` (each of width `dim`) weighted by `weights` (how often the
 * training data reads each row: an error in a frequent row costs more loss).
 */
export function weightedComponents(
  rows: ArrayLike<number>[],
  weights: ArrayLike<number>,
  dim: number,
): FieldComponents {
  let total = 0;
  const mean = new Float64Array(dim);
  rows.forEach((r, i) => {
    const w = weights[i];
    total += w;
    for (let j = 0; j < dim; j++) mean[j] += w * r[j];
  });
  if (!(total > 0)) throw new Error("weightedComponents: the weights sum to 0");
  for (let j = 0; j < dim; j++) mean[j] /= total;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  rows.forEach((r, i) => {
    const w = weights[i] / total;
    if (w === 0) return;
    for (let j = 0; j < dim; j++) centred[j] = r[j] - mean[j];
    for (let j = 0; j < dim; j++) {
      const wj = w * centred[j];
      for (let k = j; k < dim; k++) cov[j * dim + k] += wj * centred[k];
    }
  });
  for (let j = 0; j < dim; j++) for (let k = 0; k < j; k++) cov[j * dim + k] = cov[k * dim + j];
  const { values, vectors } = symmetricEigen(cov, dim);
  return { mean, variances: values.map((x) => Math.max(0, x)), directions: vectors };
}

/** Writes into `out` the rank-`d` approximation of `row`: μ + Σ_{k<d} ⟨row − μ, v_k⟩ v_k. */
export function truncateRow(
  row: ArrayLike<number>,
  c: FieldComponents,
  d: number,
  out: Float32Array | Float64Array,
): void {
  const dim = c.mean.length;
  for (let j = 0; j < dim; j++) out[j] = c.mean[j];
  for (let k = 0; k < d; k++) {
    const v = c.directions[k];
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += (row[j] - c.mean[j]) * v[j];
    for (let j = 0; j < dim; j++) out[j] += dot * v[j];
  }
}
