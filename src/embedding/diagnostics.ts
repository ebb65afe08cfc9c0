// Search diagnostics: did the search decide a field's size, or is its argmax α noise?
//
// The derive step takes argmax α whatever α looks like; after a short search (or on little
// data) α has barely left uniform and the argmax is a coin toss that still becomes a plan.
// Three facts per field say whether it is more than that:
//   - the margin: α of the argmax minus α of the runner-up (α as the plan reports it, softmax of
//     log α);
//   - stability: the search step after which the argmax last changed, tracked at every α step;
//   - the evidence: over the n α steps, the per-step gradient difference
//     d_t = ∂L/∂log α(runner-up) − ∂L/∂log α(argmax) (> 0: the step pushes the argmax up relative
//     to the runner-up) as a t statistic, SNR = mean(d) / (sd(d) / √n). The gradients are the
//     ones the α optimiser applied (validation batches; AutoDim-s: training batches), so
//     collecting them costs one F×N read per α step. Per field and candidate pair the trace keeps
//     Σg and Σg·gᵀ only, so its memory (and a checkpoint's) does not grow with the search.
import type { FieldDiagnostics, PlanField, SearchDiagnostics, UndecidedPolicy } from "../train/schemas.js";

/**
 * The decided rule (`decideField`): a field is decided when
 *   n ≥ MIN_ARCHITECTURE_STEPS α steps, SNR ≥ MIN_SNR, its argmax held over the search's last
 *   half, and margin ≥ MIN_MARGIN_OF_UNIFORM / N.
 * Why these: the SNR is the evidence — a t statistic of 2 is a one-sided p ≈ 0.025 for a
 * gradient that favours the argmax by chance (selection of the argmax and the runner-up among N
 * makes it somewhat optimistic, one reason it is not the only condition). Under 50 steps its
 * normal approximation and the trajectory are too short to trust, so no field is decided and
 * the search warns. An argmax that changed in the last half could change again with a little
 * more search. The margin floor (a tenth of the uniform weight) is not evidence: it refuses a
 * near-tie in α, where the supernet still mixes argmax and runner-up almost equally and never
 * trained the one-size network the plan derives.
 */
export const MIN_ARCHITECTURE_STEPS = 50;
export const MIN_SNR = 2;
export const MIN_MARGIN_OF_UNIFORM = 0.1;

/** The rule's thresholds for N candidates, as a plan records them. */
export function decisionRule(candidates: number): SearchDiagnostics["rule"] {
  return {
    minArchitectureSteps: MIN_ARCHITECTURE_STEPS,
    minSnr: MIN_SNR,
    minMargin: MIN_MARGIN_OF_UNIFORM / candidates,
  };
}

/** argmax of a row; ties go to the smaller index (the smaller size). */
export function argmaxIndex(row: ArrayLike<number>): number {
  let best = 0;
  for (let n = 1; n < row.length; n++) if (row[n] > row[best]) best = n;
  return best;
}

/** The index of the largest entry other than `skip` (ties: the smaller index), or -1 with one entry. */
function runnerUpIndex(row: ArrayLike<number>, skip: number): number {
  let best = -1;
  for (let n = 0; n < row.length; n++) if (n !== skip && (best < 0 || row[n] > row[best])) best = n;
  return best;
}

/** A trace's state, JSON-serialisable for checkpoints. */
export interface SearchTraceState {
  fields: number;
  candidates: number;
  count: number;
  sum: number[];
  cross: number[];
  argmax: number[];
  stableSince: number[];
  maxDrift: number[];
}

/** What the search records at every α step for the diagnostics. */
export class SearchTrace {
  private count = 0;
  /** Σ_t g_t[f, n], [F·N]. */
  private readonly sum: Float64Array;
  /** Σ_t g_t[f, a]·g_t[f, b], [F·N·N]. */
  private readonly cross: Float64Array;
  private readonly argmax: number[];
  private readonly stableSince: number[];
  private readonly maxDrift: number[];

  /** `alpha`: α [F][N] (normalised) before the first α step. */
  constructor(
    readonly fields: number,
    readonly candidates: number,
    alpha: number[][],
  ) {
    this.sum = new Float64Array(fields * candidates);
    this.cross = new Float64Array(fields * candidates * candidates);
    this.argmax = alpha.map(argmaxIndex);
    this.stableSince = alpha.map(() => 0);
    this.maxDrift = alpha.map((row) => drift(row));
  }

  /**
   * One α step after search step `step`: its gradient in log α ([F·N], row-major) and α
   * (normalised, [F][N]) after it.
   */
  observe(step: number, gradient: ArrayLike<number>, alpha: number[][]): void {
    const F = this.fields;
    const N = this.candidates;
    if (gradient.length !== F * N) throw new Error(`an α gradient of ${gradient.length} values for ${F}×${N} α`);
    this.count++;
    for (let f = 0; f < F; f++) {
      for (let a = 0; a < N; a++) {
        const ga = gradient[f * N + a];
        this.sum[f * N + a] += ga;
        for (let b = 0; b < N; b++) this.cross[(f * N + a) * N + b] += ga * gradient[f * N + b];
      }
      const k = argmaxIndex(alpha[f]);
      if (k !== this.argmax[f]) {
        this.argmax[f] = k;
        this.stableSince[f] = step;
      }
      this.maxDrift[f] = Math.max(this.maxDrift[f], drift(alpha[f]));
    }
  }

  /** α steps observed. */
  get steps(): number {
    return this.count;
  }

  /**
   * mean, sd (n − 1) and n of d_t = g_t[f, b] − g_t[f, a] over the observed steps, from the
   * running sums: Σd = Σg_b − Σg_a, Σd² = Σg_b² − 2Σg_a·g_b + Σg_a².
   */
  difference(f: number, a: number, b: number): { n: number; mean: number; sd: number } {
    const N = this.candidates;
    const n = this.count;
    const s = this.sum[f * N + b] - this.sum[f * N + a];
    const c = (i: number, j: number) => this.cross[(f * N + i) * N + j];
    const squares = c(b, b) - 2 * c(a, b) + c(a, a);
    const mean = n > 0 ? s / n : 0;
    const variance = n > 1 ? Math.max(0, (squares - s * mean) / (n - 1)) : 0;
    return { n, mean, sd: Math.sqrt(variance) };
  }

  /** The trajectory facts of field f. */
  trajectory(f: number): { stableSince: number; maxDrift: number } {
    return { stableSince: this.stableSince[f], maxDrift: this.maxDrift[f] };
  }

  save(): SearchTraceState {
    return {
      fields: this.fields,
      candidates: this.candidates,
      count: this.count,
      sum: Array.from(this.sum),
      cross: Array.from(this.cross),
      argmax: [...this.argmax],
      stableSince: [...this.stableSince],
      maxDrift: [...this.maxDrift],
    };
  }

  restore(s: SearchTraceState): void {
    if (s.fields !== this.fields || s.candidates !== this.candidates)
      throw new Error(
        `a search trace of ${s.fields}×${s.candidates} α restored into ${this.fields}×${this.candidates}`,
      );
    this.count = s.count;
    this.sum.set(s.sum);
    this.cross.set(s.cross);
    this.argmax.splice(0, this.argmax.length, ...s.argmax);
    this.stableSince.splice(0, this.stableSince.length, ...s.stableSince);
    this.maxDrift.splice(0, this.maxDrift.length, ...s.maxDrift);
  }
}

/** max_n |α_n − 1/N|. */
function drift(row: number[]): number {
  return Math.max(...row.map((a) => Math.abs(a - 1 / row.length)));
}

/** The t statistic of a difference, or null where it is undefined (n < 2, or no spread). */
export function signalToNoise(d: { n: number; mean: number; sd: number }): number | null {
  if (d.n < 2 || d.sd === 0) return null;
  return d.mean / (d.sd / Math.sqrt(d.n));
}

/**
 * α steps for SNR to reach MIN_SNR at the same per-step signal: SNR grows as √n, so
 * n·(MIN_SNR / SNR)², and never fewer than the rule's minimum.
 */
export function stepsNeeded(snr: number | null, n: number): number | null {
  if (snr === null || snr <= 0) return null;
  return Math.max(MIN_ARCHITECTURE_STEPS, Math.ceil(n * (MIN_SNR / snr) ** 2));
}

/** The decided rule (see MIN_ARCHITECTURE_STEPS). One candidate: nothing to decide. */
export function decideField(
  f: Pick<FieldDiagnostics, "snr" | "margin" | "stableSince" | "runnerUp">,
  architectureSteps: number,
  searchSteps: number,
  candidates: number,
): boolean {
  if (f.runnerUp === null) return true;
  const rule = decisionRule(candidates);
  return (
    architectureSteps >= rule.minArchitectureSteps &&
    f.snr !== null &&
    f.snr >= rule.minSnr &&
    f.stableSince <= searchSteps / 2 &&
    f.margin >= rule.minMargin
  );
}

/** The diagnostics of a finished search: `alpha` the final α [F][N], `searchSteps` its steps. */
export function searchDiagnostics(
  trace: SearchTrace,
  names: string[],
  candidates: number[],
  alpha: number[][],
  searchSteps: number,
): SearchDiagnostics {
  const N = candidates.length;
  const n = trace.steps;
  const fields = alpha.map((row, f): FieldDiagnostics => {
    const k = argmaxIndex(row);
    const r = runnerUpIndex(row, k);
    const snr = r < 0 ? null : signalToNoise(trace.difference(f, k, r));
    const facts = {
      name: names[f],
      argmax: candidates[k],
      runnerUp: r < 0 ? null : candidates[r],
      margin: r < 0 ? row[k] : row[k] - row[r],
      ...trace.trajectory(f),
      snr,
      stepsNeeded: stepsNeeded(snr, n),
    };
    return { ...facts, decided: decideField(facts, n, searchSteps, N) };
  });
  return {
    rule: decisionRule(N),
    architectureSteps: n,
    decided: fields.filter((f) => f.decided).length,
    fields,
  };
}

/** The plan's sizes under a policy: "max" gives undecided fields the largest candidate. */
export function applyUndecidedPolicy(
  dims: number[],
  diagnostics: SearchDiagnostics,
  candidates: number[],
  policy: UndecidedPolicy,
): number[] {
  if (policy !== "max") return dims;
  return dims.map((d, i) => (diagnostics.fields[i].decided ? d : candidates[candidates.length - 1]));
}

/** Undecided fields' names. */
export function undecidedFields(diagnostics: SearchDiagnostics): string[] {
  return diagnostics.fields.filter((f) => !f.decided).map((f) => f.name);
}

const fixed = (x: number | null, digits: number) => (x === null ? "–" : x.toFixed(digits));
/** A margin readable at any size: α that barely left uniform differ in the fifth decimal. */
const marginText = (x: number) => (x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential(1) : x.toFixed(4));
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * What a search prints at its end: a summary line and a per-field table (`lines`), and the
 * warnings (`warnings`, for stderr) when it decided too little.
 */
export function describeDiagnostics(
  d: SearchDiagnostics,
  fields: Pick<PlanField, "name" | "dim">[],
  policy: UndecidedPolicy,
): { lines: string[]; warnings: string[] } {
  const undecided = undecidedFields(d);
  const rule = `SNR ≥ ${d.rule.minSnr} over ≥ ${d.rule.minArchitectureSteps} α steps, argmax stable over the last half, margin ≥ ${d.rule.minMargin.toFixed(3)}`;
  const lines = [
    `decided ${d.decided} of ${d.fields.length} fields (${rule}) in ${plural(d.architectureSteps, "α step")}${undecided.length ? `; undecided: ${undecided.join(", ")}` : ""}`,
  ];
  const width = Math.max(5, ...d.fields.map((f) => f.name.length));
  lines.push(
    `  ${"field".padEnd(width)}  size  argmax  runner-up  margin  SNR      needs α steps  stable since  decided`,
  );
  d.fields.forEach((f, i) => {
    lines.push(
      `  ${f.name.padEnd(width)}  ${String(fields[i].dim).padStart(4)}  ${String(f.argmax).padStart(6)}  ${String(f.runnerUp ?? "–").padStart(9)}  ${marginText(f.margin).padStart(6)}  ${fixed(f.snr, 2).padStart(7)}  ${String(f.stepsNeeded ?? "–").padStart(13)}  ${String(f.stableSince).padStart(12)}  ${f.decided ? "yes" : "no"}`,
    );
  });
  const warnings: string[] = [];
  if (d.architectureSteps < d.rule.minArchitectureSteps)
    warnings.push(
      `warning: the search took ${plural(d.architectureSteps, "α step")} (< ${d.rule.minArchitectureSteps}), too few to decide any field: its sizes are the argmax of α that moved at most ${Math.max(0, ...d.fields.map((f) => f.maxDrift)).toFixed(4)} from uniform. Search longer (--epochs, a smaller --batch-size or --freq) or on more data`,
    );
  if (undecided.length > 0)
    warnings.push(
      `warning: ${undecided.length} of ${d.fields.length} fields undecided (${undecided.join(", ")}): ${
        policy === "keep"
          ? "their sizes are α's argmax all the same (--undecided keep); --undecided max gives them the largest candidate, --undecided fail refuses the plan"
          : policy === "max"
            ? "they get the largest candidate (--undecided max)"
            : "--undecided fail: the plan is written with its diagnostics, and the search fails"
      }`,
    );
  return { lines, warnings };
}
