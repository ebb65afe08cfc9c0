// The paper's reported numbers (shared/paper/AUTODIM.md; "as reported", not checked against
// the PDF), for the notebooks to show beside ours. Never tuned to.

export interface PaperCell {
  auc: number;
  logloss: number;
  /** Embedding parameters, millions. */
  paramsM: number;
}

/** The paper's columns, in its order; a method names its column (`Method.paperColumn`). */
const PAPER_COLUMNS = ["fde", "mde", "dpq", "nis", "mgqe", "aemb", "ras", "autodim-s", "autodim"] as const;

/** One row of the table as printed: AUC, Logloss and Params (M) each in PAPER_COLUMNS order. */
function row(auc: number[], logloss: number[], paramsM: number[]): Record<string, PaperCell> {
  return Object.fromEntries(
    PAPER_COLUMNS.map((m, i) => [m, { auc: auc[i], logloss: logloss[i], paramsM: paramsM[i] }]),
  );
}

/** Main table: data set → model → method → cell. */
export const PAPER_MAIN: Record<"criteo" | "avazu", Record<"fm" | "wd" | "deepfm", Record<string, PaperCell>>> = {
  criteo: {
    fm: row(
      [0.802, 0.8027, 0.8035, 0.8042, 0.8046, 0.8049, 0.8056, 0.8063, 0.8078],
      [0.4487, 0.4481, 0.4472, 0.4467, 0.4462, 0.446, 0.4457, 0.4452, 0.4438],
      [34.778, 15.52, 20.078, 13.636, 12.564, 13.399, 16.236, 31.039, 11.632],
    ),
    wd: row(
      [0.8045, 0.8051, 0.8058, 0.8067, 0.807, 0.8072, 0.8076, 0.8081, 0.8098],
      [0.4468, 0.4464, 0.4457, 0.4452, 0.4446, 0.4445, 0.4443, 0.4439, 0.4419],
      [34.778, 18.562, 22.628, 14.728, 15.741, 15.987, 18.233, 30.33, 12.455],
    ),
    deepfm: row(
      [0.8056, 0.806, 0.8067, 0.8076, 0.808, 0.8082, 0.8085, 0.8089, 0.8101],
      [0.4457, 0.4456, 0.4449, 0.4442, 0.4439, 0.4438, 0.4436, 0.4432, 0.4416],
      [34.778, 17.272, 25.737, 12.955, 13.059, 13.437, 17.816, 31.77, 11.457],
    ),
  },
  avazu: {
    fm: row(
      [0.7799, 0.7802, 0.7809, 0.7818, 0.7823, 0.7825, 0.7827, 0.7831, 0.7842],
      [0.3805, 0.3803, 0.3799, 0.3792, 0.3789, 0.3788, 0.3787, 0.3785, 0.3776],
      [64.576, 22.696, 28.187, 22.679, 22.769, 21.026, 27.272, 55.038, 17.595],
    ),
    wd: row(
      [0.7827, 0.7829, 0.7836, 0.7842, 0.7849, 0.7851, 0.7853, 0.7856, 0.7872],
      [0.3788, 0.3785, 0.3777, 0.3772, 0.3768, 0.3767, 0.3767, 0.3766, 0.3756],
      [64.576, 27.976, 35.558, 21.413, 19.457, 17.292, 35.126, 56.401, 14.13],
    ),
    deepfm: row(
      [0.7842, 0.7845, 0.7852, 0.7858, 0.7863, 0.7866, 0.7867, 0.787, 0.7881],
      [0.3742, 0.3739, 0.3737, 0.3736, 0.3734, 0.3733, 0.3732, 0.373, 0.3721],
      [64.576, 32.972, 36.128, 22.55, 17.575, 21.605, 29.235, 58.325, 13.976],
    ),
  },
};

/** Transferability: plans searched with FM reused in other models (Criteo and Avazu). */
export const PAPER_TRANSFER: Record<
  "nfm" | "ipnn" | "autoint",
  {
    full: { criteo: [number, number]; avazu: [number, number] };
    autodim: { criteo: [number, number]; avazu: [number, number] };
  }
> = {
  nfm: {
    full: { criteo: [0.8018, 0.4491], avazu: [0.7741, 0.3846] },
    autodim: { criteo: [0.8065, 0.4451], avazu: [0.7766, 0.3817] },
  },
  ipnn: {
    full: { criteo: [0.8085, 0.4428], avazu: [0.7855, 0.3772] },
    autodim: { criteo: [0.8112, 0.4407], avazu: [0.7869, 0.3761] },
  },
  autoint: {
    full: { criteo: [0.8096, 0.4418], avazu: [0.786, 0.3763] },
    autodim: { criteo: [0.8116, 0.4403], avazu: [0.7875, 0.3756] },
  },
};

/** Case study (MovieLens-1M, W&D): single-field AUC / Logloss and AutoDim's chosen size. */
export const PAPER_CASE_STUDY: { field: string; auc: number; logloss: number; dim: number }[] = [
  { field: "movieId", auc: 0.7321, logloss: 0.5947, dim: 8 },
  { field: "userId", auc: 0.6857, logloss: 0.6272, dim: 8 },
  { field: "zip", auc: 0.6524, logloss: 0.6443, dim: 4 },
  { field: "genres", auc: 0.6312, logloss: 0.6536, dim: 4 },
  { field: "year", auc: 0.5763, logloss: 0.6705, dim: 2 },
  { field: "occupation", auc: 0.5264, logloss: 0.6805, dim: 2 },
  { field: "age", auc: 0.5245, logloss: 0.6805, dim: 2 },
  { field: "gender", auc: 0.5079, logloss: 0.6812, dim: 2 },
];
/** Case study totals: FDE (all 16) vs AutoDim, and AutoDim's parameter saving. */
export const PAPER_CASE_STUDY_TOTALS = {
  fde: { auc: 0.8077, logloss: 0.5383 },
  autodim: { auc: 0.8113, logloss: 0.5242 },
  reduction: 0.57,
};
