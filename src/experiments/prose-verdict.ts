// The README's verdict (generated spans): the short table beside the paper's matching numbers,
// the fair-chance summary (experiment 13) and Shrink's summary (experiment 14). Each reads
// results/*.json; an experiment not run yet is said to be so, never filled in.
import type { BeyondResult } from "./beyond.js";
import type { GainShareChoice } from "./beyond-verdict.js";
import { VARIANT_NAME } from "./beyond-tables.js";
import { SHRINK_MAX_VALIDATION_DROP } from "../methods/defaults.js";
import type { ShrinkTarget } from "./beyond-targets.js";
import type { CaseStudyPaperResult } from "./casestudy-paper.js";
import type { MainTableRow } from "./methods-table.js";
import { modelLabel } from "./methods-table.js";
import { PAPER_MAIN } from "./paper.js";
import { fix, interval as iv, pct, range, signed, type Results } from "./prose-format.js";
import type { ArmRow, TuningResult } from "./tuning.js";

type Block = (r: Results) => string;

const word = (v: string) => (v === "no difference detected" ? "no difference" : v);
const notRun = (name: string, command: string) => `not run yet (\`${command}\` makes results/${name}.json)`;

function mainRows(r: Results, name: string): MainTableRow[] {
  return r.payload<{ table: MainTableRow[] }>(name).table;
}

function arm(t: TuningResult, setting: ArmRow["setting"], model: string, name: ArmRow["arm"]): ArmRow | undefined {
  return t.arms.find((a) => a.setting === setting && a.model === model && a.arm === name);
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The verdict table: each question, our answer with its interval, the paper's matching number. */
const verdictTable: Block = (r) => {
  const rows: string[] = [];
  const cs = r.payload<CaseStudyPaperResult>("casestudy-paper-quick");
  rows.push(
    `| the case study as the paper ran it: W&D, sizes ≤ ${cs.candidates[cs.candidates.length - 1]}, against FDE at ${cs.candidates[cs.candidates.length - 1]} | ΔAUC ${signed(cs.mean.deltaAuc)} [${signed(cs.mean.deltaLow)}, ${signed(cs.mean.deltaHigh)}] ${word(cs.mean.verdict)}, ${pct(cs.mean.saved, 0)} saved | MovieLens: ${signed(cs.paper.deltaAuc)}, ${pct(cs.paper.saved, 0)} saved |`,
  );
  const main = mainRows(r, "methods-movielens-quick");
  const ad = ["fm", "wd", "deepfm"].map(
    (m) => main.find((x) => x.model === m && x.method === "autodim") as MainTableRow,
  );
  const paper = (["fm", "wd", "deepfm"] as const).map((m) => PAPER_MAIN.criteo[m]);
  rows.push(
    `| the main table, paper settings: AutoDim vs FDE at 32 (FM / W&D / DeepFM) | ${ad.map((x) => `${signed(x.deltaAuc)} [${signed(x.deltaLow)}, ${signed(x.deltaHigh)}] ${word(x.verdict)}`).join("; ")}; ${range(
      ad.map((x) => -x.paramsVsFde),
      (x) => pct(x, 0),
    )} saved | Criteo: ${paper.map((p) => signed(p.autodim.auc - p.fde.auc)).join(" / ")}, ${range(
      paper.map((p) => 1 - p.autodim.paramsM / p.fde.paramsM),
      (x) => pct(x, 0),
    )} saved |`,
  );
  if (r.has("tuning-quick")) {
    const t = r.payload<TuningResult>("tuning-quick");
    const tuned = t.models.map((m) => ({
      m: m.model,
      a: arm(t, "tuned", m.model, "AutoDim"),
      f: arm(t, "tuned", m.model, "FDE"),
    }));
    rows.push(
      `| tuned: equal budgets for FDE and AutoDim, fresh seeds ${t.verdictSeeds.join(", ")} | ${tuned
        .map(
          (x) =>
            `${modelLabel(x.m)} ${x.a?.vsFde ? `${iv(x.a.vsFde)} ${word(x.a.vsFde.verdict)}` : "–"}, ${x.a && x.f ? pct(1 - mean(x.a.params) / mean(x.f.params), 0) : "–"} saved`,
        )
        .join("; ")} | not tuned (one run per cell) |`,
    );
    const control = (setting: ArmRow["setting"]) =>
      [...new Set(t.arms.filter((a) => a.setting === setting).map((a) => a.model))]
        .map((m) => {
          const a = arm(t, setting, m, "AutoDim");
          return a?.vsUniform ? `${modelLabel(m)} ${iv(a.vsUniform)} ${word(a.vsUniform.verdict)}` : "";
        })
        .filter(Boolean)
        .join("; ");
    rows.push(
      `| AutoDim − a uniform shrink of the same parameter budget | paper settings: ${control("paper settings")}; tuned: ${control("tuned")} | no such control |`,
    );
  } else
    rows.push(
      `| tuned, and against a uniform shrink of the same budget | ${notRun("tuning-quick", "npx autodim reproduce tuning")} | – |`,
    );
  const planted = mainRows(r, "methods-planted-quick").filter((x) => x.method === "autodim");
  rows.push(
    `| 1.2M planted rows with known ranks: AutoDim vs FDE (FM / W&D / DeepFM) | ${planted.map((x) => `${signed(x.deltaAuc)} [${signed(x.deltaLow)}, ${signed(x.deltaHigh)}] ${word(x.verdict)}`).join("; ")} | – |`,
  );
  return ["| question | ours (3 seeds, 95% CI) | the paper (one run) |", "|---|---|---|", ...rows].join("\n");
};

const tuningSummary: Block = (r) => {
  if (!r.has("tuning-quick")) return notRun("tuning-quick", "npx autodim reproduce tuning");
  const t = r.payload<TuningResult>("tuning-quick");
  const parts = t.models.map((m) => {
    const a = arm(t, "tuned", m.model, "AutoDim");
    const u = arm(t, "tuned", m.model, "uniform");
    const c = m.chosen;
    return `${modelLabel(m.model)} (chosen: lr ${c.training.learningRate}, embedding L2 ${c.training.embeddingL2}; α lr ${c.search.architectureLearningRate}, ${c.search.epochs} search epochs, f ${c.search.frequency}): AutoDim vs FDE ${a?.vsFde ? `${iv(a.vsFde)} (${word(a.vsFde.verdict)})` : "–"}, the uniform control vs FDE ${u?.vsFde ? `${iv(u.vsFde)} (${word(u.vsFde.verdict)})` : "–"}, AutoDim − uniform ${a?.vsUniform ? `${iv(a.vsUniform)} (${word(a.vsUniform.verdict)})` : "–"}; fields decided per seed ${a?.decided?.join(", ") ?? "–"}`;
  });
  const paper = [...new Set(t.arms.filter((a) => a.setting === "paper settings").map((a) => a.model))].map((m) => {
    const a = arm(t, "paper settings", m, "AutoDim");
    return a?.vsUniform ? `${modelLabel(m)} ${iv(a.vsUniform)} (${word(a.vsUniform.verdict)})` : "";
  });
  const cells = t.arms
    .filter((a) => a.vsUniform)
    .map((a) => ({
      label: `${modelLabel(a.model)} ${a.setting === "tuned" ? "tuned" : "at paper settings"}`,
      v: a.vsUniform?.verdict,
    }));
  const list = (v: string) => cells.filter((c) => c.v === v).map((c) => c.label);
  const better = list("better");
  const worse = list("worse");
  const same = list("no difference detected");
  const verdictText = [
    better.length ? `above the uniform shrink for ${better.join(", ")}` : "",
    worse.length ? `below it for ${worse.join(", ")}` : "",
    same.length ? `within noise of it for ${same.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("; ");
  return `Tuned, ${parts.join("; ")}. At the paper settings AutoDim − uniform is ${paper.filter(Boolean).join(", ")}. Against a uniform shrink of its own budget the search is ${verdictText}.`;
};

function targetLine(t: ShrinkTarget): string {
  const extra = t.spearman
    ? `, Spearman(planted rank, size) ${t.spearman.map((x) => fix(x, 2)).join(", ")}, rank-0 fields at the smallest size ${t.noiseAtSmallest?.map((n) => `${n.count}/${n.of}`).join(", ")}`
    : "";
  return `${modelLabel(t.model)} ${iv(t.delta)} (${word(t.delta.verdict)}) with ${pct(t.saved, 0)} saved, ${t.decided.map((d) => `${d}/${t.fields}`).join(", ")} fields decided, seeds' sizes correlate at ${Number.isFinite(t.pearson) ? fix(t.pearson, 2) : "–"}${extra}, search ${fix(t.costVsFde, 2)}× one FDE training`;
}

const beyondSummary: Block = (r) => {
  if (!r.has("beyond-quick")) return notRun("beyond-quick", "npx autodim reproduce beyond");
  const b = r.payload<BeyondResult>("beyond-quick");
  const ml = b.targets.filter((t) => t.data === "movielens");
  const pl = b.targets.filter((t) => t.data === "planted-large");
  const mlText = ml.length
    ? `On MovieLens (seeds 1–3, against FDE): ${ml.map(targetLine).join("; ")}.`
    : "Its MovieLens main-table cells are not run yet.";
  const plText = pl.length
    ? ` On the planted set: ${pl.map(targetLine).join("; ")}.`
    : " Its planted main-table cells are not run yet.";
  const met = ml.length === 3 && ml.every((t) => t.delta.high >= 0 && t.saved >= 0.5);
  const first = `${mlText}${plText} The MovieLens target (ΔAUC's interval reaching 0 or above with ≥ 50% saved, every model) is ${ml.length === 3 ? (met ? "**met**" : "**not met**") : "not judged yet"}; tolerance ${b.chosen} (chosen on seeds ${b.tuningSeeds.join(", ")}).`;
  return `${first}${gainShareSummary(b)}`;
};

/** Issue 31's targets, each judged on a verdict's rows: met, or which rows miss it. */
export function targetsJudged(rows: ShrinkTarget[]): { target: string; met: boolean; misses: string[] }[] {
  const ml = rows.filter((t) => t.data === "movielens");
  const pl = rows.filter((t) => t.data === "planted-large");
  const label = (t: ShrinkTarget) => `${t.data === "movielens" ? "MovieLens" : "planted"} ${modelLabel(t.model)}`;
  const judge = (target: string, of: ShrinkTarget[], ok: (t: ShrinkTarget) => boolean) => {
    const misses = of.filter((t) => !ok(t)).map(label);
    return { target, met: of.length > 0 && misses.length === 0, misses };
  };
  const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [
    judge(
      "MovieLens: ΔAUC ≥ 0 or its interval includes 0, with ≥ 50% saved",
      ml,
      (t) => t.delta.high >= 0 && t.saved >= 0.5,
    ),
    judge(
      "planted: Spearman(planted rank, size) ≥ 0.7 (mean over seeds)",
      pl,
      (t) => meanOf(t.spearman ?? [NaN]) >= 0.7,
    ),
    judge("planted: every rank-0 field at the smallest size", pl, (t) =>
      (t.noiseAtSmallest ?? []).every((n) => n.count === n.of),
    ),
    judge("planted: ΔAUC's interval includes 0 or is above it", pl, (t) => t.delta.high >= 0),
    judge(
      "stable: mean Pearson between seeds' sizes ≥ 0.75",
      rows,
      (t) => Number.isFinite(t.pearson) && t.pearson >= 0.75,
    ),
    judge("cost: search ≤ 2× one FDE training", rows, (t) => t.costVsFde <= 2),
  ];
}

/** One verdict row in brief: ΔAUC with its interval, the saving, on planted data the mean Spearman. */
function briefLine(t: ShrinkTarget): string {
  const rank = t.spearman ? `, Spearman ${fix(t.spearman.reduce((a, b) => a + b, 0) / t.spearman.length, 2)}` : "";
  return `${modelLabel(t.model)} ${iv(t.delta)} (${word(t.delta.verdict)}), ${pct(t.saved, 0)} saved${rank}`;
}

/** A re-train variant's shares, its fresh-seed verdict in brief, and the targets it meets and misses. */
function variantSummary(
  b: BeyondResult,
  name: string,
  shares: GainShareChoice[] | string | undefined,
  verdict: ShrinkTarget[] | undefined,
  /** Where the choice was made and the fresh seeds judged (default: the tuning seeds; the verdict seeds). */
  where?: { chosenOn: string; seeds: number[] },
): string {
  if (!shares?.length || !verdict?.length) return "";
  const chosen =
    typeof shares === "string" ? shares : shares.map((g) => `${modelLabel(g.model)} ${g.chosen}`).join(", ");
  const chosenOn = where?.chosenOn ?? `chosen on seeds ${b.tuningSeeds.join(", ")}`;
  const seeds = where?.seeds ?? b.verdictSeeds ?? [];
  const byData = (d: string) =>
    verdict
      .filter((t) => t.data === d)
      .map(briefLine)
      .join("; ");
  const judged = targetsJudged(verdict);
  const met = judged.filter((j) => j.met).map((j) => j.target);
  const missed = judged.filter((j) => !j.met).map((j) => `${j.target} (${j.misses.join(", ")})`);
  return ` ${name} (${chosenOn}: ${chosen}), fresh seeds ${seeds.join(", ")}: MovieLens ${byData("movielens")}; planted ${byData("planted-large")}. Targets met: ${met.length ? met.join("; ") : "none"}. **Not met**: ${missed.length ? missed.join("; ") : "none"}.`;
}

function gainShareSummary(b: BeyondResult): string {
  if (!b.gainShares?.length) return "";
  if (!b.verdict?.length)
    return " With the tolerance as a share of the model's own gain, the verdict on fresh seeds is not run yet.";
  return [
    variantSummary(
      b,
      "With the tolerance as a share of the model's own gain over a constant predictor and the paper's re-train (a projection per size)",
      b.gainShares,
      b.verdict,
    ),
    variantSummary(b, "Re-trained with a projection per field", b.fieldShares, b.fieldVerdict),
    variantSummary(b, "Started from the truncated full model (warm start)", b.warmShares, b.warmVerdict),
    b.across
      ? variantSummary(
          b,
          "**One rule across the three re-trains**, per model",
          b.across.map((c) => `${modelLabel(c.model)} ${VARIANT_NAME[c.variant]}, share ${c.gainShare}`).join("; "),
          b.acrossVerdict,
        )
      : "",
    b.chosenVerdict?.length && b.choices
      ? variantSummary(
          b,
          `**The share chosen by each run on its own validation split, warm start** (the largest saving whose truncation keeps validation AUC within ${SHRINK_MAX_VALIDATION_DROP} of the full model's)`,
          b.chosenVerdict
            .map((t) => {
              const mine = (b.choices ?? []).filter((c) => c.data === t.data && c.model === t.model);
              return `${t.data === "movielens" ? "MovieLens" : "planted"} ${modelLabel(t.model)} ${mine.map((c) => c.choice.chosen).join("/")}`;
            })
            .join(", "),
          b.chosenVerdict,
          { chosenOn: "per run, on no other seed; shares by seed", seeds: b.chosenSeeds ?? [] },
        )
      : "",
  ].join("");
}

export const VERDICT_BLOCKS: Record<string, Block> = {
  "verdict-table": verdictTable,
  "tuning-summary": tuningSummary,
  "beyond-summary": beyondSummary,
};
