// The "why" experiment's settings (why.ts runs them): the search and what is varied, the defaults of
// `why` (MovieLens) and `why-planted` (the 5M-row planted set), and the grid of settings whose
// (setting, seed) searches are the cells.
import { PAPER_CANDIDATES } from "../methods/defaults.js";
import type { ModelName } from "../models/ctr.js";
import type { DataName, Scale } from "./datasets.js";
import { methodsDefaults } from "./methods.js";
import type { RetrainSettings, SearchSettings } from "./settings.js";

/** A search length: epochs over the training rows, α updated every `frequency` training steps. */
export interface SearchLength {
  epochs: number;
  frequency: number;
}

export interface WhySettings {
  /** The data set (the real MovieLens subset). */
  data: DataName;
  /** The base model searched with (W&D: where AutoDim loses to FDE on MovieLens). */
  model: ModelName;
  seeds: number[];
  candidates: number[];
  /** The rest of the search: the MovieLens main table's AutoDim (AD-2) search. */
  search: Omit<SearchSettings, "candidates" | "oneLevel" | "epochs" | "frequency">;
  /** 1 — the search lengths, on all training rows, shortest first. */
  lengths: SearchLength[];
  /** 3 — shares of the training rows searched at `dataLength` (1 = the matching `lengths` cells). */
  fractions: number[];
  /** 3 — the length at share 1; at share r the search takes epochs / r epochs (the same steps). */
  dataLength: SearchLength;
  /**
   * ΔAUC vs FDE of the plans of the longest search: each seed's plan re-trained as the main
   * table re-trains (`retrain`), against the main table's FDE runs of the same seed (their saved
   * test scores, results/methods-movielens-<scale>-runs/). Absent: no re-train.
   */
  retrain?: RetrainSettings;
}

/** The defaults `autodim reproduce why` runs: MovieLens, W&D, 3 seeds, the main table's search. */
export function whyDefaults(scale: Scale): WhySettings {
  const m = methodsDefaults(scale, "movielens");
  const { epochs: _e, frequency: _f, ...search } = m.search;
  const smoke = scale === "smoke";
  return {
    data: "movielens",
    model: "wd",
    seeds: [...m.seeds],
    candidates: [...PAPER_CANDIDATES],
    search,
    lengths: smoke
      ? [{ epochs: 1, frequency: 10 }]
      : [
          { epochs: 1, frequency: 8 },
          { epochs: 4, frequency: 10 },
          { epochs: 4, frequency: 3 },
          { epochs: 4, frequency: 1 },
          { epochs: 8, frequency: 1 },
          { epochs: 12, frequency: 1 },
        ],
    fractions: smoke ? [] : [0.25, 0.5, 1],
    dataLength: smoke ? { epochs: 1, frequency: 10 } : { epochs: 4, frequency: 3 },
    ...(smoke ? {} : { retrain: { ...m.retrain } }),
  };
}

/** The two runs of this experiment: MovieLens (the real data) and the 5M-row planted set. */
export type WhyName = "why" | "why-planted";

/**
 * The same search on the 5M-row planted set (Criteo's layout and full vocabularies, planted ranks
 * known): lengths of ≈ 260 → 2,600 α steps over its 4M training rows, and data sizes of 200k,
 * 1.25M and 5M rows (shares 4%, 25%, 100% of the training rows at one number of α and W steps).
 * No re-train: the planted main table (1.2M rows) gives AutoDim's ΔAUC there; here the planted
 * ranks say whether the sizes are right.
 */
export function whyPlantedDefaults(scale: Scale): WhySettings {
  const m = methodsDefaults(scale, "planted-large");
  const { epochs: _e, frequency: _f, ...search } = m.search;
  const smoke = scale === "smoke";
  return {
    data: "planted-xl",
    model: "wd",
    seeds: smoke ? [1, 2] : [1, 2, 3],
    candidates: [...PAPER_CANDIDATES],
    search,
    lengths: smoke
      ? [{ epochs: 1, frequency: 10 }]
      : [
          { epochs: 1, frequency: 30 },
          { epochs: 1, frequency: 10 },
          { epochs: 1, frequency: 3 },
          // Cut for compute: f = 1 (7,800 α steps, about twice a shorter search's time); the
          // MovieLens runs cover the long searches (to 9,156 α steps).
        ],
    fractions: smoke ? [0.5] : [0.04, 0.25, 1],
    dataLength: smoke ? { epochs: 1, frequency: 10 } : { epochs: 1, frequency: 3 },
  };
}

// ───────────────────────── the grid ─────────────────────────

/** A setting of the grid: its length and share of the training rows. */
export interface WhySetting {
  item: "length" | "data";
  epochs: number;
  frequency: number;
  share: number;
}

/** The grid's settings in the order they run: the lengths (shortest first), then the data shares. */
export function whySettingsGrid(s: WhySettings): WhySetting[] {
  const out: WhySetting[] = s.lengths.map((l) => ({ item: "length" as const, ...l, share: 1 }));
  for (const share of s.fractions) {
    const epochs = Math.round(s.dataLength.epochs / share);
    const same = share === 1 && s.lengths.some((l) => l.epochs === epochs && l.frequency === s.dataLength.frequency);
    if (!same) out.push({ item: "data", epochs, frequency: s.dataLength.frequency, share });
  }
  return out;
}

/** A setting's part of its cells' keys. */
export const settingKey = (x: Pick<WhySetting, "epochs" | "frequency" | "share">) =>
  `e${x.epochs}-f${x.frequency}-r${Math.round(100 * x.share)}`;

/** The grid's longest search on all rows: the most α steps (epochs / f). */
export function longestLength(s: WhySettings): SearchLength {
  return [...s.lengths].sort((a, b) => b.epochs / b.frequency - a.epochs / a.frequency)[0];
}
