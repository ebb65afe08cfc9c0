// Divergence detection: a run whose training loss has grown far above where it started (a
// learning rate too large, say) stops with the step and the numbers, instead of finishing
// with rc 0 and a meaningless AUC. Non-finite losses are caught in Network.trainStep already.
import { AutodimError } from "../core/errors.js";

/** Loss growth that counts as divergence: the recent loss over the first steps' mean. */
export const DIVERGENCE_FACTOR = 100;
/** The reference level: the first step's loss, the untrained model's (~ln 2 for balanced labels; later steps may already have blown up). */
const BASELINE_STEPS = 1;
/** Smoothing of the recent loss (an exponential moving average over ~10 steps), so one bad batch is not a divergence. */
const SMOOTHING = 0.1;

export class DivergenceGuard {
  private baselineSum = 0;
  private baselineSteps = 0;
  private baseline = NaN;
  private recent = NaN;

  private readonly stepsForBaseline = BASELINE_STEPS;

  constructor(
    private readonly what: string,
    private readonly allow = false,
    private readonly factor = DIVERGENCE_FACTOR,
  ) {}

  /** Records a step's loss; throws when the smoothed loss exceeds `factor` × the baseline. */
  observe(loss: number, step: number): void {
    this.recent = Number.isNaN(this.recent) ? loss : (1 - SMOOTHING) * this.recent + SMOOTHING * loss;
    if (this.baselineSteps < this.stepsForBaseline) {
      this.baselineSum += loss;
      if (++this.baselineSteps === this.stepsForBaseline) this.baseline = this.baselineSum / this.baselineSteps;
      return;
    }
    if (this.allow || !(this.recent > this.factor * this.baseline)) return;
    throw new AutodimError(
      `${this.what} diverged at step ${step}: the training loss is ${this.recent.toPrecision(3)}, ${Math.round(this.recent / this.baseline)}× its first step's (${this.baseline.toFixed(4)}); lower --lr, or pass --allow-divergence to go on`,
    );
  }
}
