// Experiment 14's verdicts on fresh seeds (beyond.ts runs the stages): each re-train variant's
// cells on every verdict data set judged against issue 31's targets, and the one rule across the
// variants, decided on the tuning seeds only.
import { AutodimError } from "../core/errors.js";
import type { ShareChoice } from "../methods/shrink.js";
import type { ModelName } from "../models/ctr.js";
import { CellsStopped } from "./cells.js";
import { datasetByName } from "./datasets-real.js";
import { plantedRanks, type Dataset, type Scale } from "./datasets.js";
import { methodsDefaults } from "./methods.js";
import {
  cellSeconds,
  fullWithScores,
  chosenCells,
  probeCells,
  retrainCells,
  ruleLabel,
  warmCells,
  type ShrinkCells,
  type ShrinkRun,
} from "./beyond-cells.js";
import { shrinkTarget, type ShrinkTarget, type TargetData } from "./beyond-targets.js";

/** Stage 3's choice for one model: each gain share's mean over the tuning seeds. */
export interface GainShareChoice {
  model: ModelName;
  rows: { gainShare: number; validationDelta: number; saved: number; decided: number; tolerance: number }[];
  chosen: number;
}

/** How a verdict row names its re-train (the shared-projection fresh re-train is the plain rule). */
export const VARIANT_TAG = {
  shared: "",
  field: ", projection per field",
  warm: ", warm start",
  chosen: ", warm start",
} as const;

/** Warm cells' full trainings and probes, counted once per cell (each rule's row repeats them). */
export function warmFullSeconds(runs: ShrinkRun[]): number {
  const cells = new Map(runs.map((r) => [r.key, r.found.full.runtime.wallSeconds + r.found.probeSeconds]));
  return [...cells.values()].reduce((a, b) => a + b, 0);
}

/** Each model's chosen share judged on the fresh seeds of every verdict data set (stages 3b and 4b). */
export async function verdictOnFreshSeeds(
  s: { models: ModelName[]; verdictSeeds: number[]; verdictData: TargetData[] },
  ds: Dataset,
  scale: Scale,
  movielens: ShrinkCells,
  /** Each model's share chosen on the tuning seeds (none for `chosen`: each run chooses its own). */
  shares: GainShareChoice[] | undefined,
  variant: ShrinkVariant,
  /** Probe cells already counted in the run time (shared between the verdicts). */
  counted: Set<string>,
): Promise<
  | {
      targets: ShrinkTarget[];
      seconds: number;
      /** Each run's share choice (the `chosen` variant). */
      choices: { data: TargetData; model: ModelName; seed: number; choice: ShareChoice; fullParams: number }[];
    }
  | CellsStopped
> {
  const { dir, runner, counts } = movielens;
  const every = (models: ModelName[], seeds: number[]) =>
    models.flatMap((model) => seeds.map((seed) => ({ model, seed })));
  const verdictTargets: ShrinkTarget[] = [];
  const choices: { data: TargetData; model: ModelName; seed: number; choice: ShareChoice; fullParams: number }[] = [];
  let seconds = 0;
  const shareOf = (model: ModelName) => {
    const chosen = shares?.find((g) => g.model === model)?.chosen;
    if (chosen === undefined) throw new AutodimError(`beyond: no gain share chosen for ${model}`);
    return [{ gainShare: chosen }];
  };
  for (const data of s.verdictData) {
    const vds = data === "movielens" ? ds : await datasetByName(data, scale);
    const cells: ShrinkCells =
      data === "movielens"
        ? movielens
        : { ds: vds, base: methodsDefaults(scale, data), dir, runner, counts, prefix: `${data}-` };
    const plan = every(s.models, s.verdictSeeds);
    let runs: ShrinkRun[];
    if (variant === "chosen") {
      const chosen = await chosenCells(cells, plan);
      if (chosen instanceof CellsStopped) return chosen;
      runs = chosen;
      seconds += cellSeconds([], chosen) + warmFullSeconds(chosen);
      const D = cells.base.candidates[cells.base.candidates.length - 1];
      const fullParams = vds.data.manifest.fields.reduce((a, f) => a + f.vocabularySize * D, 0);
      for (const r of chosen) {
        const choice = r.allocation.shareChoice;
        if (!choice) throw new AutodimError(`beyond: the ${r.model} chosen cell of seed ${r.seed} records no choice`);
        choices.push({ data, model: r.model, seed: r.seed, choice, fullParams });
      }
    } else if (variant === "warm") {
      const warm = await warmCells(cells, plan, shareOf);
      if (warm instanceof CellsStopped) return warm;
      runs = warm;
      seconds += cellSeconds([], warm) + warmFullSeconds(warm);
    } else {
      const probed = await probeCells(cells, plan, shareOf);
      if (probed instanceof CellsStopped) return probed;
      const cold = await retrainCells(cells, probed, { fieldProjection: variant === "field" });
      if (cold instanceof CellsStopped) return cold;
      runs = cold;
      seconds += cellSeconds(probed, cold, counted);
    }
    for (const model of s.models) {
      const mine = runs.filter((r) => r.model === model);
      verdictTargets.push(
        shrinkTarget(
          {
            data,
            ds: vds,
            model,
            smallest: cells.base.candidates[0],
            replicates: cells.base.bootstrapReplicates,
            rule:
              variant === "chosen"
                ? `gain share chosen per run on validation (${mine.map((r) => (typeof r.rule === "number" ? r.rule : r.rule.gainShare)).join(", ")})${VARIANT_TAG[variant]}`
                : `${ruleLabel(shareOf(model)[0])}${VARIANT_TAG[variant]}`,
          },
          mine.map((r) => {
            if (!r.scores)
              throw new AutodimError(`beyond: the ${r.model} plan of seed ${r.seed} has no saved test scores`);
            // The full model's scores are saved beside the cell that trained it (probe or warm cell).
            return { seed: r.seed, fde: fullWithScores(cells, r), shrink: { result: r.result, scores: r.scores } };
          }),
          data === "movielens" ? undefined : plantedRanks(vds),
        ),
      );
    }
  }
  return { targets: verdictTargets, seconds, choices };
}

export type ShrinkVariant = keyof typeof VARIANT_TAG;

/** One model's choice across re-trains: the variant and share the tolerance rule picks on the tuning seeds. */
export interface AcrossChoice {
  model: ModelName;
  variant: ShrinkVariant;
  gainShare: number;
  validationDelta: number;
  saved: number;
  /** No share of any re-train kept the validation drop within the bound (the least-losing fallback). */
  fallback: boolean;
}

/**
 * The tolerance rule over every (re-train, share) of the tuning seeds: per model, the largest mean
 * saving whose mean validation AUC change is ≥ −maxDrop (equal savings: the higher validation AUC). Each re-train's own pick is its admissible
 * share of largest saving, so the winner is one of them and its verdict row is already run; with
 * none admissible, the re-train whose fallback loses least. Tuning seeds only decide it.
 */
export function chooseAcross(
  models: ModelName[],
  variants: { variant: ShrinkVariant; shares: GainShareChoice[]; verdict: ShrinkTarget[] }[],
  maxDrop = 0.0005,
): { choices: AcrossChoice[]; verdict: ShrinkTarget[] } {
  const choices = models.map((model): AcrossChoice => {
    const picks = variants.map((v) => {
      const g = v.shares.find((x) => x.model === model)!;
      const row = g.rows.find((r) => r.gainShare === g.chosen)!;
      return { variant: v.variant, gainShare: g.chosen, validationDelta: row.validationDelta, saved: row.saved };
    });
    const admissible = picks.filter((p) => p.validationDelta >= -maxDrop);
    // Re-trains of the same plan save the same: then the higher validation AUC.
    const best = admissible.length
      ? admissible.reduce((a, b) =>
          b.saved > a.saved || (b.saved === a.saved && b.validationDelta > a.validationDelta) ? b : a,
        )
      : picks.reduce((a, b) => (b.validationDelta > a.validationDelta ? b : a));
    return { model, ...best, fallback: admissible.length === 0 };
  });
  // In the first re-train's row order (data, then model), each row from the model's chosen re-train.
  const verdict = variants[0].verdict.flatMap((first) => {
    const chosen = choices.find((c) => c.model === first.model)?.variant;
    const row = variants
      .find((v) => v.variant === chosen)
      ?.verdict.find((t) => t.data === first.data && t.model === first.model);
    return row ? [row] : [];
  });
  return { choices, verdict };
}
