// Notebook 10, "shrink my embeddings": Shrink (ours) and the full-dimension model on the user's
// prepared data, per seed, then the compare step — the test AUC difference over the seeds with a
// paired-bootstrap 95% interval on the same test rows — and the command line of every run.
import { initRuntime } from "../accel/index.js";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PreparedData } from "../data/batches.js";
import type { ShrinkDecision } from "../embedding/shrink.js";
import { quickSettings } from "../methods/defaults.js";
import { METHODS } from "../methods/registry.js";
import { SHRINK_TOLERANCE, shrinkRecommended, type ShrinkSettings } from "../methods/defaults.js";
import type { ShrinkRecord } from "../methods/shrink.js";
import type { MethodSettings } from "../methods/types.js";
import type { RetrainResult } from "../train/result-schema.js";
import { writeFileAtomic } from "../core/files.js";
import { AucDraws, verdict, type PairedDifference } from "./bootstrap.js";
import { testLabelsOf } from "./data-record.js";
import { DEFAULT_SEED } from "../methods/defaults.js";
import { markdownTable } from "./report.js";
import type { YourDataSettings } from "./yourdata.js";

/** Shrink's own settings for the compare step: the rule (tolerance or gain share) and the re-train. */
export type ShrinkRule = Partial<ShrinkSettings>;

/** The `run` flags that give a rule (`--gain-share 0.05 --warm-start`). */
export function shrinkFlags(rule: ShrinkRule): string {
  return [
    rule.chooseShare
      ? "--choose-share"
      : rule.gainShare
        ? `--gain-share ${rule.gainShare}`
        : `--tolerance ${rule.tolerance ?? SHRINK_TOLERANCE}`,
    ...(rule.fieldProjection ? ["--field-projection"] : []),
    ...(rule.warmStart ? ["--warm-start"] : []),
  ].join(" ");
}

export interface ShrinkComparison {
  seeds: number[];
  rule: ShrinkRule;
  fde: RetrainResult[];
  shrink: RetrainResult[];
  /** Mean over seeds of Shrink's test AUC − FDE's, with its 95% interval (seeds, then test rows). */
  delta: PairedDifference & { verdict: string };
  /** 1 − Shrink's embedding parameters ÷ FDE's (mean over seeds). */
  saved: number;
  decisions: ShrinkDecision[][];
  commands: string[];
}

function settingsFor(s: YourDataSettings, seed: number, rule: ShrinkRule): MethodSettings {
  const base = quickSettings(s.model, seed);
  return {
    ...base,
    candidates: s.candidates,
    train: { ...s.retrain },
    shrink: { tolerance: SHRINK_TOLERANCE, ...rule },
  };
}

/** Shrink and FDE on `s.prepared` for every seed (results in `s.runs`), and the compare step. */
export async function shrinkYourData(
  s: YourDataSettings,
  seeds: number[],
  rule: ShrinkRule = shrinkRecommended(s.model),
  replicates = 1000,
): Promise<ShrinkComparison> {
  await initRuntime(); // the notebook is the entry point: compute on the engine
  const data = new PreparedData(s.prepared);
  mkdirSync(s.runs, { recursive: true });
  const fde: RetrainResult[] = [];
  const shrink: RetrainResult[] = [];
  const scores: Record<"fde" | "shrink", Float32Array[]> = { fde: [], shrink: [] };
  const commands: string[] = [];
  const train = `--epochs ${s.retrain.epochs} --patience ${s.retrain.patience} --batch-size ${s.retrain.batchSize} --lr ${s.retrain.learningRate}`;
  for (const seed of seeds) {
    for (const method of ["fde", "shrink"] as const) {
      let test: Float32Array | undefined;
      const r = await METHODS[method].run(data, settingsFor(s, seed, rule), {
        progress: false,
        onTestScores: (p) => (test = p.slice()),
      });
      const out = join(s.runs, `${method}-seed${seed}.json`);
      writeFileAtomic(out, JSON.stringify(r, null, 1) + "\n");
      (method === "fde" ? fde : shrink).push(r);
      scores[method].push(test as Float32Array);
      commands.push(
        `npx autodim run --method ${method} --data ${s.prepared} --model ${s.model} ${train} --seed ${seed}${method === "shrink" ? ` ${shrinkFlags(rule)}` : ""} --out ${out}`,
      );
    }
  }
  const draws = new AucDraws(
    testLabelsOf(data),
    (["fde", "shrink"] as const).map((k) => ({ key: k, scoresBySeed: scores[k] })),
    { replicates, seed: DEFAULT_SEED },
  );
  const d = draws.difference("shrink", "fde");
  return {
    seeds,
    rule,
    fde,
    shrink,
    delta: { ...d, verdict: verdict(d) },
    saved: shrink.reduce((a, r, i) => a + (1 - r.params.embedding / fde[i].params.embedding), 0) / seeds.length,
    decisions: shrink.map((r) => (r.selection?.detail as unknown as ShrinkRecord).decisions),
    commands,
  };
}

/** Per field: the size each seed chose, and whether it was decided above noise. */
export function shrinkDecisionTable(c: ShrinkComparison): string {
  return markdownTable(
    c.decisions[0].map((_, m) => ({
      field: c.decisions[0][m].name,
      "size per seed": c.decisions.map((d) => d[m].size).join(", "),
      "decided per seed": c.decisions.map((d) => (d[m].decided ? "yes" : "no")).join(", "),
      "validation logloss cost at that size": c.decisions.map((d) => d[m].increase.toFixed(5)).join(", "),
    })),
  );
}

/** The compare step in words: the interval decides, and fewer than 3 seeds decide nothing. */
export function shrinkVerdict(c: ShrinkComparison): string {
  const f = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(4)}`;
  const ci = `${f(c.delta.delta)} [${f(c.delta.low)}, ${f(c.delta.high)}]`;
  const seeds = c.seeds.length;
  const word =
    seeds < 3
      ? `${seeds} seed${seeds === 1 ? "" : "s"}: too few to claim anything — run 3 or more`
      : c.delta.verdict === "worse"
        ? "Shrink is below FDE on your data: try a smaller tolerance (--gain-share or --tolerance), or keep FDE"
        : c.delta.verdict === "better"
          ? "Shrink is above FDE on your data"
          : "no difference from FDE detected";
  return `Shrink vs FDE, test AUC: ${ci} (95% paired bootstrap over ${seeds} seed${seeds === 1 ? "" : "s"} and the test rows) with ${(100 * c.saved).toFixed(1)}% fewer embedding parameters — ${word}.`;
}
