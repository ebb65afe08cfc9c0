// Experiment 14's verdict tables (beyond-report.ts assembles the result): each verdict row
// against issue 31's targets, and the diagnosis setting the truncation beside each re-train.
import { modelLabel } from "./methods-table.js";
import { markdownTable } from "./report.js";
import { interval } from "./prose-format.js";
import type { ShrinkTarget } from "./beyond-targets.js";
import type { AcrossChoice, ShrinkVariant } from "./beyond-verdict.js";
import type { ShareChoice } from "../methods/shrink.js";

/** Shrink's runs against issue 31's targets, a row per (data, model). */
export function targetsTable(targets: ShrinkTarget[], across?: AcrossChoice[]): string {
  return markdownTable(
    targets.map((t) => ({
      data: t.data === "movielens" ? "MovieLens-1M" : "planted 1.2M",
      model: modelLabel(t.model),
      ...(across ? { "re-train": VARIANT_NAME[across.find((c) => c.model === t.model)!.variant] } : {}),
      ...(t.rule ? { rule: t.rule } : {}),
      seeds: t.seeds.join(", "),
      "ΔAUC vs FDE [95% CI]": `${interval(t.delta)} ${t.delta.verdict}`,
      "params saved": t.saved,
      "fields decided": t.decided.map((d) => `${d}/${t.fields}`).join(", "),
      "Pearson between seeds": Number.isFinite(t.pearson) ? t.pearson.toFixed(2) : "–",
      "Spearman(planted rank, size)": t.spearman ? t.spearman.map((x) => x.toFixed(2)).join(", ") : "",
      "rank-0 fields at the smallest size": t.noiseAtSmallest
        ? t.noiseAtSmallest.map((n) => `${n.count}/${n.of}`).join(", ")
        : "",
      "search cost vs FDE": t.costVsFde.toFixed(2),
      "re-train vs FDE": t.retrainVsFde === undefined ? "" : t.retrainVsFde.toFixed(2),
    })),
    { "params saved": "%" },
  );
}

/** Each re-train variant as the tables name it. */
export const VARIANT_NAME: Record<ShrinkVariant, string> = {
  shared: "fresh, a projection per size",
  field: "fresh, a projection per field",
  warm: "warm start",
  chosen: "warm start, share chosen per run",
};

const signed = (x: number, digits: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`;

/** Per (data, model, re-train): the joint truncation's validation logloss change, the plan's validation AUC change, its test ΔAUC. */
export function diagnosisTable(variants: { name: string; targets: ShrinkTarget[] }[]): string {
  const perSeed = (xs: number[] | undefined, digits: number) =>
    xs ? xs.map((x) => (Number.isFinite(x) ? signed(x, digits) : "–")).join(", ") : "";
  const rows = variants[0].targets.flatMap((first) =>
    variants.flatMap((v) => {
      const t = v.targets.find((x) => x.data === first.data && x.model === first.model);
      if (!t) return [];
      return [
        {
          data: t.data === "movielens" ? "MovieLens-1M" : "planted 1.2M",
          model: modelLabel(t.model),
          "re-train": v.name,
          "its rule": t.rule ?? "",
          "truncation: val logloss change": perSeed(t.validation?.jointLogloss, 4),
          "plan: val ΔAUC": perSeed(t.validation?.planAuc, 4),
          "epoch kept": t.validation?.bestEpoch.join(", ") ?? "",
          "plan: test ΔAUC [95% CI]": `${interval(t.delta)} ${t.delta.verdict}`,
          "params saved": t.saved,
        },
      ];
    }),
  );
  return markdownTable(rows, { "params saved": "%" });
}

/** Per (data, model, seed) of the chosen variant: every share's plan as its truncation scored on validation, and the one taken. */
export function shareChoiceTable(
  rows: { data: string; model: string; seed: number; choice: ShareChoice; fullParams: number }[],
): string {
  const shares = [...new Set(rows.flatMap((r) => r.choice.plans.map((p) => p.share)))].sort((a, b) => a - b);
  return markdownTable(
    rows.map((r) => ({
      data: r.data === "movielens" ? "MovieLens-1M" : "planted 1.2M",
      model: modelLabel(r.model),
      seed: String(r.seed),
      ...Object.fromEntries(
        shares.map((share) => {
          const p = r.choice.plans.find((x) => x.share === share);
          const cell = p
            ? `${signed(p.validationAuc - r.choice.fullValidationAuc, 4)}, ${((100 * p.saved) / r.fullParams).toFixed(1)}%${share === r.choice.chosen ? " ✓" : ""}`
            : "";
          return [`share ${share}`, cell];
        }),
      ),
      chosen: `${r.choice.chosen}${r.choice.fallback ? " (none within the bound: the highest)" : ""}`,
    })),
  );
}
