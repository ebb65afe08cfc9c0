// Experiment 14's tables and figure (the runs are in beyond.ts): the tolerance choice on the
// tuning seeds, and the trade-off curve on the verdict seeds beside the main table's methods.
// Here also the experiment `beyond`.
import { CellsStopped, type CellRunner } from "./cells.js";
import type { Dataset, Scale } from "./datasets.js";
import type { Figure } from "./figures.js";
import { experiment, type Experiment, type ExperimentBody } from "./experiment.js";
import type { RunCounts } from "./frequency.js";
import { modelLabel, type MainTableResult } from "./methods-table.js";
import { markdownTable } from "./report.js";
import { METHODS } from "../methods/registry.js";
import { beyondDefaults, runBeyond, type BeyondResult, type BeyondSettings } from "./beyond.js";
import type { GainShareChoice } from "./beyond-verdict.js";
import { shareChoiceTable, diagnosisTable, targetsTable, VARIANT_NAME } from "./beyond-tables.js";
import { finishedResult } from "./output-files.js";
import { interval } from "./prose-format.js";

/** The main table's rows for the curve's models: ΔAUC vs FDE with intervals, parameters saved. */
export interface MainPoint {
  model: string;
  method: string;
  saved: number;
  delta: number;
  low: number;
  high: number;
}

export function mainPoints(main: MainTableResult | undefined, models: string[]): MainPoint[] {
  if (!main) return [];
  return main.table
    .filter((r) => models.includes(r.model) && r.method !== "fde" && Number.isFinite(r.deltaLow))
    .map((r) => ({
      model: r.model,
      method: METHODS[r.method]?.label ?? r.method,
      saved: -r.paramsVsFde,
      delta: r.deltaAuc,
      low: r.deltaLow,
      high: r.deltaHigh,
    }));
}

export function beyondMarkdown(r: BeyondResult, ds: Dataset, s: BeyondSettings, main: MainPoint[]): string {
  const head =
    `**Beyond the paper: Shrink** on ${ds.description}. Shrink trains the full model (FDE) once, measures per field the ` +
    `validation logloss of each smaller size (the field's rows replaced by their best rank-d approximation: weighted PCA), ` +
    `allocates sizes greedily within a tolerance, and re-trains the plan (candidates {${s.base.candidates.join(", ")}}, ` +
    `linear projection to ${s.base.candidates[s.base.candidates.length - 1]}). The tolerance is chosen on tuning seeds ` +
    `${r.tuningSeeds.join(", ")} from validation AUC only (the largest mean saving whose mean validation AUC loss is ≤ ${s.maxValidationDrop}); ` +
    `the curve is on seeds ${r.curveSeeds.join(", ")}, which no Shrink choice saw. ΔAUC: test AUC of the plan − the full model of the same seed, ` +
    `95% two-stage paired bootstrap (${s.base.bootstrapReplicates} replicates). Run time: ${(r.computeSeconds / 3600).toFixed(2)} hours summed over the runs (each run's wall time, on 2 cores shared with other runs).`;
  const choice = markdownTable(
    r.tolerances.map((t) => ({
      tolerance: t.tolerance,
      "validation ΔAUC (mean)": t.validationDelta,
      "params saved (mean)": t.saved,
      ...Object.fromEntries(
        t.perModel.map((m) => [
          modelLabel(m.model),
          `${m.validationDelta >= 0 ? "+" : "−"}${Math.abs(m.validationDelta).toFixed(4)}, ${(100 * m.saved).toFixed(1)}% saved, ${m.decided.toFixed(1)} decided`,
        ]),
      ),
      chosen: t.chosen ? "✓" : "",
    })),
    { "validation ΔAUC (mean)": 4, "params saved (mean)": "%" },
  );
  const curve = markdownTable(
    [
      ...r.curve.map((c) => ({
        model: modelLabel(c.model),
        method: `Shrink, tolerance ${c.tolerance}${c.tolerance === r.chosen ? " (chosen)" : ""}`,
        "params saved": c.saved,
        "ΔAUC [95% CI]": `${interval(c.delta)} ${c.delta.verdict}`,
        reference: "its full model (FDE, same seed)",
        "fields decided": c.decided.join(", "),
        sizes: c.dims.map((d) => d.join("/")).join("; "),
        "search cost vs FDE": c.costVsFde.toFixed(2),
      })),
      ...main.map((m) => ({
        model: modelLabel(m.model),
        method: m.method,
        "params saved": m.saved,
        "ΔAUC [95% CI]": interval(m),
        reference: "FDE (main table)",
        "fields decided": "",
        sizes: "",
        "search cost vs FDE": "",
      })),
    ],
    { "params saved": "%" },
  );
  const targets = r.targets.length
    ? targetsTable(r.targets)
    : "Shrink's main-table cells are not saved yet (`autodim reproduce methods-movielens` and `methods-planted` make them).";
  const shareChoice = (choices: GainShareChoice[]) =>
    markdownTable(
      choices.flatMap((g) =>
        g.rows.map((row) => ({
          model: modelLabel(g.model),
          "gain share": row.gainShare,
          "tolerance (mean)": row.tolerance,
          "validation ΔAUC (mean)": row.validationDelta,
          "params saved (mean)": row.saved,
          "fields decided (mean)": row.decided.toFixed(1),
          chosen: row.gainShare === g.chosen ? "✓" : "",
        })),
      ),
      { "tolerance (mean)": 5, "validation ΔAUC (mean)": 4, "params saved (mean)": "%" },
    );
  const fresh = (r.verdictSeeds ?? []).join(", ");
  const variants = [
    { name: "fresh re-train, a projection per size", targets: r.verdict ?? [] },
    { name: "fresh re-train, a projection per field", targets: r.fieldVerdict ?? [] },
    { name: "warm start (the truncation, fine-tuned)", targets: r.warmVerdict ?? [] },
  ].filter((v) => v.targets.length > 0);
  const later =
    variants.length > 1
      ? [
          "",
          `### Why the re-train loses: the plan as a truncation against the plan re-trained (seeds ${fresh})`,
          "",
          "Per seed, on validation: the full model with the plan's fields truncated together (its logloss change: the joint probe), and the plan as trained three ways — from a fresh start with one projection per size shared by the fields of that size (the paper's re-train), from a fresh start with a projection per field, and started from the truncation itself (warm start: each narrower field its own projection, its mean and principal directions, then fine-tuned with early stopping; epoch 0 is the truncation kept as it is). A truncation that costs no logloss while a re-train loses AUC puts the loss in that re-train, not in the plan.",
          "",
          diagnosisTable(variants),
          ...(r.fieldShares?.length
            ? [
                "",
                `### A projection per field: the gain share per model (tuning seeds ${r.tuningSeeds.join(", ")})`,
                "",
                "The plan re-trained from a fresh start as above, but every field narrower than the full width has its own projection to it (MDE's choice) instead of one shared by the fields of its size. The share is chosen again, by the same rule.",
                "",
                shareChoice(r.fieldShares),
                "",
                `### A projection per field: the verdict on fresh seeds ${fresh} against the targets`,
                "",
                targetsTable(r.fieldVerdict ?? []),
              ]
            : []),
          ...(r.warmShares?.length
            ? [
                "",
                `### Warm start: the gain share per model (tuning seeds ${r.tuningSeeds.join(", ")})`,
                "",
                "The plan starts from the full model truncated to it, field by field, and is fine-tuned with early stopping; the truncation itself is epoch 0, kept unless an epoch beats it on validation AUC. The share is chosen again, by the same rule.",
                "",
                shareChoice(r.warmShares),
                "",
                `### Warm start: the verdict on fresh seeds ${fresh} against the targets`,
                "",
                targetsTable(r.warmVerdict ?? []),
              ]
            : []),
          ...(r.across?.length
            ? [
                "",
                `### One rule across the re-trains (tuning seeds ${r.tuningSeeds.join(", ")}), and its verdict on fresh seeds ${fresh}`,
                "",
                `Per model, the same rule over every (re-train, share) of the tuning seeds — the largest mean saving whose mean validation AUC change is ≥ −${s.maxValidationDrop} (none: the re-train whose pick loses least) — so the tuning seeds alone pick the re-train too; its verdict rows are the chosen re-train's above.`,
                "",
                markdownTable(
                  r.across.map((c) => ({
                    model: modelLabel(c.model),
                    "re-train": VARIANT_NAME[c.variant],
                    "gain share": c.gainShare,
                    "validation ΔAUC (mean)": c.validationDelta,
                    "params saved (mean)": c.saved,
                    "within the bound": c.fallback ? "no (least loss)" : "yes",
                  })),
                  { "validation ΔAUC (mean)": 4, "params saved (mean)": "%" },
                ),
                "",
                targetsTable(r.acrossVerdict ?? [], r.across),
              ]
            : []),
          ...(r.chosenVerdict?.length
            ? [
                "",
                `### The share chosen per run on its own validation split, warm start: the verdict on fresh seeds ${(r.chosenSeeds ?? []).join(", ")}`,
                "",
                `No choice made on other seeds or other data: each run allocates a plan per gain share (${[...new Set((r.choices ?? []).flatMap((c) => c.choice.plans.map((p) => p.share)))].join(", ")}), scores each plan's truncation of its full model on its own validation split, takes the one saving most whose validation AUC is at most ${s.maxValidationDrop} below the full model's (none: the highest), and fine-tunes it from that truncation. Seeds ${(r.chosenSeeds ?? []).join(", ")} were never used for any choice. Each cell: the plan's truncation, its validation AUC change against the full model and the parameters it saves; ✓ the plan taken.`,
                "",
                shareChoiceTable(r.choices ?? []),
                "",
                targetsTable(r.chosenVerdict),
                "",
                diagnosisTable([{ name: VARIANT_NAME.chosen, targets: r.chosenVerdict }]),
              ]
            : []),
        ]
      : [];
  return [
    head,
    "",
    "### Shrink in the main tables (seeds 1–3) against the targets",
    "",
    "Targets (issue 31): MovieLens ΔAUC ≥ 0 or its interval includes 0 with ≥ 50% fewer parameters, every model; planted Spearman(rank, size) ≥ 0.7, rank-0 fields at the smallest size, ΔAUC interval includes 0 or is above it; mean Pearson between seeds ≥ 0.75; search ≤ 2× one FDE training.",
    "",
    targets,
    "",
    `### The tolerance as a share of the gain, per model (tuning seeds ${r.tuningSeeds.join(", ")})`,
    "",
    "The tolerance is this share of the full model's validation-logloss gain over a constant predictor (at the training click rate), so it scales with what the model learned; per model, the largest mean saving whose mean validation AUC loss over the tuning seeds is ≤ " +
      `${s.maxValidationDrop}. Chosen after seeds 1–3 were seen (the mean-over-models rule above let FM's gain hide DeepFM's loss there), so its verdict is on fresh seeds.`,
    "",
    shareChoice(r.gainShares ?? []),
    "",
    `### The gain share's verdict on fresh seeds ${fresh} against the targets`,
    "",
    r.verdict?.length ? targetsTable(r.verdict) : "Not run yet.",
    ...later,
    "",
    `### The tolerance (tuning seeds ${r.tuningSeeds.join(", ")}; chosen ${r.chosen}; the code's default SHRINK_TOLERANCE ${r.defaultTolerance})`,
    "",
    choice,
    "",
    `### The trade-off on seeds ${r.curveSeeds.join(", ")}`,
    "",
    curve,
  ].join("\n");
}

export function beyondFigures(
  r: BeyondResult,
  main: MainPoint[],
  caption: string,
  verdictCaption = "",
): Record<string, Figure> {
  const models = [...new Set(r.curve.map((c) => c.model))];
  const shrinkTraces = models.map((model) => {
    const pts = r.curve.filter((c) => c.model === model);
    return {
      type: "scatter",
      mode: "lines+markers",
      name: `Shrink (${modelLabel(model)}), one point per tolerance`,
      x: pts.map((p) => 100 * p.saved),
      y: pts.map((p) => p.delta.delta),
      text: pts.map((p) => `tolerance ${p.tolerance}`),
      error_y: {
        type: "data",
        symmetric: false,
        array: pts.map((p) => p.delta.high - p.delta.delta),
        arrayminus: pts.map((p) => p.delta.delta - p.delta.low),
      },
      marker: { size: 10, color: "#2a9d8f" },
    };
  });
  const mainTraces = main.map((m) => ({
    type: "scatter",
    mode: "markers",
    name: `${m.method} (${modelLabel(m.model)}, main table)`,
    x: [100 * m.saved],
    y: [m.delta],
    error_y: { type: "data", symmetric: false, array: [m.high - m.delta], arrayminus: [m.delta - m.low] },
    marker: { size: 9, symbol: "diamond" },
  }));
  const dataName = (d: string) => (d === "movielens" ? "MovieLens-1M" : "planted 1.2M");
  const sets = [
    { targets: r.verdict ?? [], start: "projection per size", symbol: "-open" },
    { targets: r.fieldVerdict ?? [], start: "projection per field", symbol: "-dot" },
    { targets: r.warmVerdict ?? [], start: "warm start", symbol: "" },
    { targets: r.chosenVerdict ?? [], start: "warm start, share chosen per run", symbol: "-x" },
  ];
  const verdictTraces = sets
    .flatMap(({ targets, start, symbol }) =>
      [...new Set(targets.map((t) => t.data))].map((data) => ({
        data,
        start,
        symbol,
        pts: targets.filter((t) => t.data === data),
      })),
    )
    .map(({ data, start, symbol, pts }) => {
      return {
        type: "scatter",
        mode: "markers+text",
        name: `Shrink, ${start === "warm start, share chosen per run" ? "" : "gain share, "}${start} (${dataName(data)}, seeds ${pts[0].seeds.join(", ")})`,
        x: pts.map((p) => 100 * p.saved),
        y: pts.map((p) => p.delta.delta),
        text: pts.map((p) => modelLabel(p.model)),
        textposition: "top center",
        error_y: {
          type: "data",
          symmetric: false,
          array: pts.map((p) => p.delta.high - p.delta.delta),
          arrayminus: pts.map((p) => p.delta.delta - p.delta.low),
        },
        marker: {
          size: 11,
          symbol: `${data === "movielens" ? "circle" : "square"}${symbol}`,
        },
      };
    });
  const axes = {
    xaxis: { title: { text: "embedding parameters saved vs FDE (%)" } },
    yaxis: { title: { text: "ΔAUC vs FDE (test), 95% CI" }, zeroline: true, zerolinewidth: 2 },
    shapes: [{ type: "line", x0: 50, x1: 50, yref: "paper", y0: 0, y1: 1, line: { dash: "dot", color: "#888" } }],
  };
  return {
    ...(verdictTraces.length
      ? {
          verdict: {
            data: verdictTraces,
            layout: {
              title: {
                text: `Shrink's gain share chosen per model on tuning seeds, or per run on its own validation; fresh seeds: ΔAUC against parameters saved${verdictCaption ? `<br><sub>${verdictCaption}</sub>` : ""}`,
              },
              ...axes,
              width: 1000,
              height: 600,
              margin: { t: 90, b: 120 },
              legend: { orientation: "h", y: -0.2 },
            },
          },
        }
      : {}),
    tradeoff: {
      data: [...shrinkTraces, ...mainTraces],
      layout: {
        title: { text: `ΔAUC against embedding parameters saved${caption ? `<br><sub>${caption}</sub>` : ""}` },
        xaxis: { title: { text: "embedding parameters saved vs FDE (%)" } },
        yaxis: { title: { text: "ΔAUC vs FDE (test), 95% CI" }, zeroline: true, zerolinewidth: 2 },
        shapes: [{ type: "line", x0: 50, x1: 50, yref: "paper", y0: 0, y1: 1, line: { dash: "dot", color: "#888" } }],
        width: 1000,
        height: 600,
        margin: { t: 90, b: 150 },
        legend: { orientation: "h", y: -0.25 },
      },
    },
  };
}

export async function beyondBody(
  scale: Scale,
  ds: Dataset,
  settings: BeyondSettings,
  mainTable: MainTableResult | undefined,
  runner: CellRunner,
): Promise<ExperimentBody<BeyondResult & { main: MainPoint[] }> | CellsStopped> {
  const counts: RunCounts = { computed: 0, reused: 0 };
  const r = await runBeyond(ds, scale, settings, runner, counts);
  if (r instanceof CellsStopped) return r;
  const main = mainPoints(mainTable, settings.curveModels);
  const m = ds.data.manifest;
  const rows = m.rows.train + m.rows.val + m.rows.test;
  const caption = `${ds.name}, ${rows.toLocaleString("en")} rows (test ${m.rows.test.toLocaleString("en")}); scale ${scale}; seeds ${r.curveSeeds.join(", ")}`;
  return {
    markdown: beyondMarkdown(r, ds, settings, main),
    payload: { ...r, main },
    figures: beyondFigures(
      r,
      main,
      caption,
      `scale ${scale}; seeds ${(r.verdictSeeds ?? []).join(", ")}${r.chosenSeeds?.length ? ` (the share chosen per run: ${r.chosenSeeds.join(", ")})` : ""}, never used for a choice; reference: the full model (FDE) of the same seed`,
    ),
    data: ds.description,
    computeSeconds: r.computeSeconds,
    seed: r.curveSeeds[0],
    runs: counts,
  };
}

/** 14 — beyond the paper: Shrink's tolerance (tuning seeds) and its trade-off curve (verdict seeds) on MovieLens (beyond.ts). */
export const beyondExperiment: Experiment<BeyondResult & { main: MainPoint[] }, BeyondSettings> = experiment(
  "beyond",
  (scale, ds, settings, runner) =>
    beyondBody(
      scale,
      ds,
      settings,
      finishedResult("methods-movielens", scale)?.payload as MainTableResult | undefined,
      runner,
    ),
  beyondDefaults,
);
