// The Gumbel-softmax temperature of a search, one schedule for every method that anneals τ
// (AutoDim and its variants, AEmb): τ(t) = max(TAU_FLOOR, 1 − decay·t) at training step t, the
// decay resolved once from the config and the search's length. A method that took the
// configured decay as it is would anneal by the "paper" rule under a "fit" config (AEmb did:
// its τ ended near 0.94 where AutoDim's reached 0.01).
import type { SearchConfig } from "../train/schemas.js";

/** The lowest temperature. */
export const TAU_FLOOR = 0.01;

/** τ at training step t: max(0.01, 1 − decay·t); the paper's decay is 5e-5. */
export function temperature(step: number, decay = 5e-5): number {
  return Math.max(TAU_FLOOR, 1 - decay * step);
}

/**
 * The decay a search runs with. "paper": the configured one (the paper's 5e-5 reaches the floor
 * after 19,800 steps — one Criteo epoch at batch 2000 is ~18,000 — but a short search ends near
 * τ = 1). "fit": chosen so τ reaches the floor at the last search step, whatever the data size.
 */
export function effectiveTauDecay(config: Pick<SearchConfig, "tauDecay" | "tauSchedule">, searchSteps: number): number {
  return config.tauSchedule === "fit" ? (1 - TAU_FLOOR) / Math.max(1, searchSteps) : config.tauDecay;
}

/** A search's τ over its steps: built once per search from its config, then read at every step. */
export class TemperatureSchedule {
  private constructor(
    /** The resolved decay per training step. */
    readonly decay: number,
  ) {}

  /** The schedule of a search of `searchSteps` training steps (warm-up excluded) under `config`. */
  static of(config: Pick<SearchConfig, "tauDecay" | "tauSchedule">, searchSteps: number): TemperatureSchedule {
    return new TemperatureSchedule(effectiveTauDecay(config, searchSteps));
  }

  at(step: number): number {
    return temperature(step, this.decay);
  }

  /** `config` with this schedule's decay: what the search's embedding and its records read. */
  applyTo<T extends { tauDecay: number }>(config: T): T {
    return { ...config, tauDecay: this.decay };
  }
}
