// Experiment 14's cells (beyond.ts): a probe cell trains the full model of a (model, seed) once,
// probes its fields and allocates a plan per rule; a re-train cell trains one rule's plan. A rule
// is an absolute tolerance or a share of the full model's gain over a constant predictor.
import { AutodimError } from "../core/errors.js";
import { SHRINK_SHARE_GRID, SHRINK_TOLERANCE } from "../methods/defaults.js";
import {
  choosePlan,
  retrainShrunk,
  trainAndProbe,
  type ShrinkAllocation,
  type ShrinkTolerance,
} from "../methods/shrink.js";
import type { FieldProbe } from "../embedding/shrink.js";
import type { ModelName } from "../models/ctr.js";
import type { RetrainResult } from "../train/result-schema.js";
import type { MethodSettings } from "../methods/types.js";
import { CellsStopped, identityHash, type CellRunner } from "./cells.js";
import { rawDataNeeded } from "./data-record.js";
import type { Dataset } from "./datasets.js";
import type { RunCounts } from "./frequency.js";
import { methodSettings, readScores, savingTestScores, scoresFile, type MethodsSettings } from "./methods.js";

/** A probe cell's result: the full model (test scores beside it), the probes, every rule's plan. */
export interface Probed {
  full: RetrainResult;
  probes: FieldProbe[];
  probeSeconds: number;
  allocations: ShrinkAllocation[];
}

/** Where and how experiment 14's cells run on one data set. */
export interface ShrinkCells {
  ds: Dataset;
  /** The main table's settings of that data set (the full model is its FDE). */
  base: MethodsSettings;
  dir: string;
  runner: CellRunner;
  counts: RunCounts;
  /** Before the cell keys ("" on MovieLens, whose keys predate the others). */
  prefix: string;
}

export interface ProbeCell {
  model: ModelName;
  seed: number;
  key: string;
  rules: ShrinkTolerance[];
  found: Probed;
}

export interface ShrinkRun extends Omit<ProbeCell, "rules"> {
  rule: ShrinkTolerance;
  allocation: ShrinkAllocation;
  result: RetrainResult;
  scores: Float32Array | undefined;
}

/** A rule in keys and labels: `t0.008` / "tolerance 0.008", `g0.05` / "gain share 0.05". */
export const ruleTag = (r: ShrinkTolerance) => (typeof r === "number" ? `t${r}` : `g${r.gainShare}`);
export const ruleLabel = (r: ShrinkTolerance) =>
  typeof r === "number" ? `tolerance ${r}` : `gain share ${r.gainShare}`;
const ruleSettings = (r: ShrinkTolerance) => (typeof r === "number" ? { tolerance: r } : { gainShare: r.gainShare });

function quiet() {
  const progress = process.env.AUTODIM_QUIET !== "1";
  return { progress, log: progress ? undefined : () => {} };
}

/** Probe cells for every (model, seed) of `plan`, each allocating `rulesOf(model)`. */
export async function probeCells(
  c: ShrinkCells,
  plan: { model: ModelName; seed: number }[],
  rulesOf: (model: ModelName) => ShrinkTolerance[],
): Promise<ProbeCell[] | CellsStopped> {
  const { progress, log } = quiet();
  const cells = plan.map(({ model, seed }) => {
    const settings = methodSettings(c.base, model, seed);
    const rules = rulesOf(model);
    const identity = { data: c.ds.description, job: "shrink-probe", settings, tolerances: rules };
    const key = `${c.prefix}${model}-probe-s${seed}-${identityHash(identity)}`;
    return {
      key,
      identity,
      run: (): Promise<Probed> =>
        savingTestScores(c.dir, key, (onTestScores) =>
          trainAndProbe(c.ds.data, settings, rules, { progress, onTestScores }),
        ),
    };
  });
  const done = await c.runner.stage(c.dir, cells, { log, counts: c.counts, offline: rawDataNeeded(c.ds) });
  if (done instanceof CellsStopped) return done;
  return plan.map((p, i) => ({
    ...p,
    key: cells[i].key,
    rules: rulesOf(p.model),
    found: done.get(cells[i].key) as Probed,
  }));
}

/** Every probe cell's plans re-trained, one cell per rule (`fieldProjection`: a projection per field). */
export async function retrainCells(
  c: ShrinkCells,
  probed: ProbeCell[],
  opts: { fieldProjection?: boolean } = {},
): Promise<ShrinkRun[] | CellsStopped> {
  const perField = opts.fieldProjection ? { fieldProjection: true } : {};
  const { progress, log } = quiet();
  const plan = probed.flatMap(({ rules, ...p }) =>
    rules.map((rule, t) => ({ ...p, rule, allocation: p.found.allocations[t] })),
  );
  const cells = plan.map((p) => {
    const own = methodSettings(c.base, p.model, p.seed);
    // The identity names the rule alone; the settings carry the default tolerance beside a gain
    // share, as `ownSettings` gives a user's `--gain-share` run (the share decides).
    const settings = {
      ...own,
      shrink: {
        ...(typeof p.rule === "number" ? { tolerance: p.rule } : { tolerance: SHRINK_TOLERANCE, ...p.rule }),
        ...perField,
      },
    };
    const identity = {
      data: c.ds.description,
      job: "shrink-retrain",
      settings: { ...own, shrink: { ...ruleSettings(p.rule), ...perField } },
      probe: p.key,
      dims: p.allocation.dims,
    };
    const tag = opts.fieldProjection ? "-fp" : "";
    const key = `${c.prefix}${p.model}-shrink-s${p.seed}-${ruleTag(p.rule)}${tag}-${identityHash(identity)}`;
    return {
      key,
      identity,
      run: (): Promise<RetrainResult> =>
        savingTestScores(c.dir, key, (onTestScores) =>
          retrainShrunk(
            c.ds.data,
            settings,
            p.found,
            p.allocation,
            p.found.full.runtime.wallSeconds + p.found.probeSeconds,
            { progress, onTestScores },
          ),
        ),
    };
  });
  const done = await c.runner.stage(c.dir, cells, { log, counts: c.counts, offline: rawDataNeeded(c.ds) });
  if (done instanceof CellsStopped) return done;
  return plan.map((p, i) => ({
    ...p,
    result: done.get(cells[i].key) as RetrainResult,
    scores: readScores(scoresFile(c.dir, cells[i].key)),
  }));
}

/** A warm cell's result: a probe cell's, and every rule's plan fine-tuned from the truncated full model. */
export interface WarmProbed extends Probed {
  warm: RetrainResult[];
}

/** The scores file of a warm cell's plan for one rule. */
export const warmScoresKey = (key: string, rule: ShrinkTolerance) => `${key}-${ruleTag(rule)}`;

/** A warm or chosen cell's full model, trained and probed with its start kept, its test scores saved under the cell's key. */
function probedWithStart(c: ShrinkCells, key: string, settings: MethodSettings, rules: ShrinkTolerance[]) {
  return savingTestScores(c.dir, key, (onTestScores) =>
    trainAndProbe(c.ds.data, settings, rules, { progress: quiet().progress, onTestScores, keepStart: true }),
  );
}

/**
 * Warm cells, one per (model, seed): the full model trained and probed once (the same bits as
 * its probe cell), then each rule's plan started from the full model truncated field by field
 * and fine-tuned (`warmStart`). One cell, because the start is the trained network, which a
 * cell does not save.
 */
export async function warmCells(
  c: ShrinkCells,
  plan: { model: ModelName; seed: number }[],
  rulesOf: (model: ModelName) => ShrinkTolerance[],
): Promise<ShrinkRun[] | CellsStopped> {
  const { progress, log } = quiet();
  const cells = plan.map(({ model, seed }) => {
    const settings = methodSettings(c.base, model, seed);
    const rules = rulesOf(model);
    const identity = { data: c.ds.description, job: "shrink-warm", settings, tolerances: rules };
    const key = `${c.prefix}${model}-warm-s${seed}-${identityHash(identity)}`;
    return {
      key,
      identity,
      run: async (): Promise<WarmProbed> => {
        const found = await probedWithStart(c, key, settings, rules);
        const { start, ...saved } = found;
        const warm: RetrainResult[] = [];
        for (const [t, rule] of rules.entries()) {
          const own = { ...settings, shrink: { tolerance: SHRINK_TOLERANCE, ...ruleSettings(rule), warmStart: true } };
          warm.push(
            await savingTestScores(c.dir, warmScoresKey(key, rule), (onTestScores) =>
              retrainShrunk(
                c.ds.data,
                own,
                found,
                found.allocations[t],
                found.full.runtime.wallSeconds + found.probeSeconds,
                { progress, onTestScores },
              ),
            ),
          );
        }
        if (!start) throw new AutodimError("beyond: the warm cell kept no start");
        return { ...saved, warm };
      },
    };
  });
  const done = await c.runner.stage(c.dir, cells, { log, counts: c.counts, offline: rawDataNeeded(c.ds) });
  if (done instanceof CellsStopped) return done;
  return plan.flatMap((p, i) => {
    const found = done.get(cells[i].key) as WarmProbed;
    const rules = rulesOf(p.model);
    return rules.map((rule, t) => ({
      ...p,
      key: cells[i].key,
      found,
      rule,
      allocation: found.allocations[t],
      result: found.warm[t],
      scores: readScores(scoresFile(c.dir, warmScoresKey(cells[i].key, rule))),
    }));
  });
}

/** A chosen cell's result: a probe cell's over the share grid, the plan its own validation chose, that plan fine-tuned warm. */
export interface ChosenProbed extends Probed {
  chosen: ShrinkAllocation;
  warm: RetrainResult;
}

/**
 * Chosen cells, one per (model, seed): the full model trained and probed once over the share grid
 * (SHRINK_SHARE_GRID), the plan chosen on this run's validation split alone (choosePlan: what a
 * user's `--choose-share --warm-start` run does), and that plan fine-tuned from the truncation.
 */
export async function chosenCells(
  c: ShrinkCells,
  plan: { model: ModelName; seed: number }[],
): Promise<ShrinkRun[] | CellsStopped> {
  const { progress, log } = quiet();
  const rules: ShrinkTolerance[] = SHRINK_SHARE_GRID.map((gainShare) => ({ gainShare }));
  const cells = plan.map(({ model, seed }) => {
    const settings = methodSettings(c.base, model, seed);
    const identity = { data: c.ds.description, job: "shrink-chosen", settings, tolerances: rules };
    const key = `${c.prefix}${model}-chosen-s${seed}-${identityHash(identity)}`;
    return {
      key,
      identity,
      run: async (): Promise<ChosenProbed> => {
        const found = await probedWithStart(c, key, settings, rules);
        const { start, ...saved } = found;
        if (!start) throw new AutodimError("beyond: the chosen cell kept no start");
        const chosen = choosePlan(c.ds.data, settings.candidates, found);
        const own = { ...settings, shrink: { tolerance: SHRINK_TOLERANCE, chooseShare: true, warmStart: true } };
        const warm = await savingTestScores(c.dir, `${key}-chosen`, (onTestScores) =>
          retrainShrunk(c.ds.data, own, found, chosen, found.full.runtime.wallSeconds + found.probeSeconds, {
            progress,
            onTestScores,
          }),
        );
        return { ...saved, chosen, warm };
      },
    };
  });
  const done = await c.runner.stage(c.dir, cells, { log, counts: c.counts, offline: rawDataNeeded(c.ds) });
  if (done instanceof CellsStopped) return done;
  return plan.map((p, i) => {
    const found = done.get(cells[i].key) as ChosenProbed;
    return {
      ...p,
      key: cells[i].key,
      found,
      rule: { gainShare: found.chosen.shareChoice?.chosen ?? NaN },
      allocation: found.chosen,
      result: found.warm,
      scores: readScores(scoresFile(c.dir, `${cells[i].key}-chosen`)),
    };
  });
}

/** The probe cells' and re-trains' summed wall time. */
export function cellSeconds(probed: ProbeCell[], retrained: ShrinkRun[], counted = new Set<string>()): number {
  // A probe cell several stages read (the same share chosen twice) is counted once.
  const fresh = probed.filter((p) => !counted.has(p.key));
  for (const p of fresh) counted.add(p.key);
  return (
    fresh.reduce((a, r) => a + r.found.full.runtime.wallSeconds + r.found.probeSeconds, 0) +
    retrained.reduce((a, r) => a + r.result.runtime.wallSeconds, 0)
  );
}

/** A probe cell's full model with its saved test scores (the reference of its plans). */
export function fullWithScores(
  c: ShrinkCells,
  p: Pick<ProbeCell, "key" | "model" | "seed" | "found">,
): { result: RetrainResult; scores: Float32Array } {
  const scores = readScores(scoresFile(c.dir, p.key));
  if (!scores) throw new AutodimError(`beyond: the ${p.model} full model of seed ${p.seed} has no saved test scores`);
  return { result: p.found.full, scores };
}
