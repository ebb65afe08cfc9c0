// The Gumbel-softmax temperature of a search, one schedule for every method that anneals τ
// (AutoDim and its variants, AEmb): τ(t) = max(TAU_FLOOR, 1 − decay·t) at training step t, the
// decay resolved once from the config and the search's length. The schedule object is the only
// thing that computes τ: the embeddings take it, not a decay, because a method that took the
// configured decay as it is would anneal by the "paper" rule under a "fit" config (AEmb did: its
// τ ended near 0.94 where AutoDim's reached 0.01).
import type { SearchConfig } from "../train/schemas.js";

/** The lowest temperature. */
export const TAU_FLOOR = 0.01;

/** A search's τ over its steps: built once per search from its config, then read at every step. */
export class TemperatureSchedule {
  private constructor(
    /** The resolved decay per training step. */
    readonly decay: number,
  ) {}

  /**
   * The schedule of a search of `searchSteps` training steps (warm-up excluded) under `config`.
   * "paper": the configured decay (the paper's 5e-5 reaches the floor after 19,800 steps — one
   * Criteo epoch at batch 2000 is ~18,000 — but a short search ends near τ = 1). "fit": the decay
   * that reaches the floor at the last search step, whatever the data size.
   */
  static of(config: Pick<SearchConfig, "tauDecay" | "tauSchedule">, searchSteps: number): TemperatureSchedule {
    return new TemperatureSchedule(
      config.tauSchedule === "fit" ? (1 - TAU_FLOOR) / Math.max(1, searchSteps) : config.tauDecay,
    );
  }

  /** τ falling by a decay already resolved: a replica rebuilding its main thread's schedule, a test's fixed one. */
  static linear(decay: number): TemperatureSchedule {
    return new TemperatureSchedule(decay);
  }

  /** τ at training step t (counted from the end of the warm-up). */
  at(step: number): number {
    return Math.max(TAU_FLOOR, 1 - this.decay * step);
  }

  /** `config` with this schedule's decay: what a search's records (plan, checkpoint identity) read. */
  applyTo<T extends { tauDecay: number }>(config: T): T {
    return { ...config, tauDecay: this.decay };
  }
}
