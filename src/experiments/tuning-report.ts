// Experiment 13's tables and figure (the runs are in tuning.ts): the two grids with the chosen
// settings, and the verdicts — paper settings (the main table's seeds) and tuned (fresh seeds) —
// each with AutoDim and the uniform control of the same parameter budget against FDE. Here also
// the experiment `tuning`.
import { CellsStopped, type CellRunner } from "./cells.js";
import type { Dataset, Scale } from "./datasets.js";
import type { Figure } from "./figures.js";
import { experiment, type Experiment, type ExperimentBody } from "./experiment.js";
import type { RunCounts } from "./frequency.js";
import { modelLabel } from "./methods-table.js";
import { markdownTable } from "./report.js";
import { interval } from "./prose-format.js";
import { runTuning } from "./tuning-run.js";
import {
  searchGrid,
  trainingGrid,
  tuningDefaults,
  type ArmRow,
  type TuningResult,
  type TuningSettings,
} from "./tuning.js";

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

/** The arms of one setting and model, FDE first. */
export function armsOf(r: TuningResult, setting: ArmRow["setting"], model: string): ArmRow[] {
  return r.arms.filter((a) => a.setting === setting && a.model === model);
}

export function tuningMarkdown(r: TuningResult, ds: Dataset, s: TuningSettings): string {
  const fullParams =
    r.fields.reduce((a, f) => a + f.vocabularySize, 0) * s.base.candidates[s.base.candidates.length - 1];
  const t = s.base.retrain;
  const head =
    `**A fair chance for every method (BARS-style tuning), ${r.models.map((m) => modelLabel(m.model)).join(", ")}** on ${ds.description}. ` +
    `Each method gets ${trainingGrid(s).length} settings tried on validation AUC (FDE: learning rate × embedding L2; ` +
    `AutoDim: α learning rate × (search epochs, update frequency f), its re-train at FDE's chosen training settings), ` +
    `on tuning seeds ${r.tuningSeeds.join(", ")}; the verdict is re-run with the chosen settings on fresh seeds ` +
    `${r.verdictSeeds.join(", ")}. Everything else is the main table's (candidates {${s.base.candidates.join(", ")}}, ` +
    `batch ${t.batchSize}, ≤ ${t.epochs} epochs, patience ${t.patience}). The uniform control gives every field one size d ` +
    `with Σ|V|·d equal to the AutoDim plan's of the same seed, projected to ${s.base.candidates[s.base.candidates.length - 1]} ` +
    `as AutoDim's re-train is: AutoDim − uniform is what the search adds beyond shrinking. Intervals: 95%, two-stage paired ` +
    `bootstrap (${r.bootstrapReplicates} replicates over seeds, then test rows). Run time: ${(r.computeSeconds / 3600).toFixed(2)} hours ` +
    `summed over the runs (each run's wall time, on 2 cores shared with other runs). Cut from the issue's ~10 CPU-h plan: ${r.models.length === 3 ? "" : `only ${r.models.map((m) => modelLabel(m.model)).join(", ")} tuned; `}the other baselines keep the paper settings; two tuning seeds.`;

  const budgets = r.models.flatMap((m) => {
    const trainingTable = markdownTable(
      m.training.map((g) => ({
        lr: g.choice.learningRate,
        "embedding L2": g.choice.embeddingL2,
        "validation AUC per tuning seed": g.validationAuc.map((x) => x.toFixed(4)).join(", "),
        "mean validation AUC": g.meanValidationAuc,
        chosen: g.chosen ? "✓" : "",
        "run minutes": g.seconds / 60,
      })),
      { "mean validation AUC": 4, "run minutes": 1 },
    );
    const searchTable = markdownTable(
      m.search.map((g) => ({
        "α lr": g.choice.architectureLearningRate,
        "search epochs": g.choice.epochs,
        f: g.choice.frequency,
        "α steps": g.architectureSteps ?? NaN,
        [`fields decided (of ${r.fields.length})`]: g.decided ?? NaN,
        "params vs FDE": g.params / fullParams - 1,
        "validation AUC per tuning seed": g.validationAuc.map((x) => x.toFixed(4)).join(", "),
        "mean validation AUC": g.meanValidationAuc,
        chosen: g.chosen ? "✓" : "",
        "run minutes": g.seconds / 60,
      })),
      {
        "α steps": 0,
        [`fields decided (of ${r.fields.length})`]: 1,
        "params vs FDE": "%",
        "mean validation AUC": 4,
        "run minutes": 1,
      },
    );
    return [
      `### ${modelLabel(m.model)}: FDE's budget, training settings`,
      "",
      trainingTable,
      "",
      `### ${modelLabel(m.model)}: AutoDim's budget, search settings (re-trained at lr ${m.chosen.training.learningRate}, embedding L2 ${m.chosen.training.embeddingL2})`,
      "",
      searchTable,
      "",
    ];
  });
  const verdictRows = (["paper settings", "tuned"] as const).flatMap((setting) =>
    [...new Set(r.arms.filter((a) => a.setting === setting).map((a) => a.model))].flatMap((model) =>
      armsOf(r, setting, model).map((a, _, arms) => ({
        setting,
        model: modelLabel(model),
        arm: a.arm,
        seeds: a.seeds.join(", "),
        "test AUC": `${mean(a.auc).toFixed(4)} ± ${sd(a.auc).toFixed(4)}`,
        "params vs FDE": mean(a.params) / mean(arms.find((x) => x.arm === "FDE")?.params ?? [NaN]) - 1,
        sizes:
          a.arm === "uniform"
            ? a.dims.map((d) => d[0]).join(", ")
            : a.dims.length
              ? "per field (plan)"
              : String(s.base.candidates[s.base.candidates.length - 1]),
        // Plans made before the search diagnostics existed have no count (JSON keeps NaN as null).
        "fields decided": a.decided
          ? a.decided.map((d) => (typeof d === "number" && Number.isFinite(d) ? String(d) : "–")).join(", ")
          : "",
        "ΔAUC vs FDE [95% CI]": a.vsFde ? `${interval(a.vsFde)} ${a.vsFde.verdict}` : "reference",
        "AutoDim − uniform [95% CI]": a.vsUniform ? `${interval(a.vsUniform)} ${a.vsUniform.verdict}` : "",
      })),
    ),
  );
  return [
    head,
    "",
    ...budgets,
    "### Verdicts: paper settings (the main table's runs, seeds 1–3) and tuned (fresh seeds), each with the uniform control",
    "",
    markdownTable(verdictRows, { "params vs FDE": "%" }),
    "",
    `Uniform sizes: one per seed, in seed order. Grids: ${searchGrid(s).length} search and ${trainingGrid(s).length} training settings.`,
  ].join("\n");
}

/** Forest plot: ΔAUC vs FDE of AutoDim and of the uniform control, and AutoDim − uniform, per setting and model. */
export function tuningFigures(r: TuningResult, caption: string): Record<string, Figure> {
  const groups = (["paper settings", "tuned"] as const).flatMap((setting) =>
    [...new Set(r.arms.filter((a) => a.setting === setting).map((a) => a.model))].map((model) => ({ setting, model })),
  );
  const label = (g: { setting: string; model: string }) => `${modelLabel(g.model)}, ${g.setting}`;
  const series = [
    { name: "AutoDim − FDE", pick: (a: ArmRow[]) => a.find((x) => x.arm === "AutoDim")?.vsFde, color: "#c44e52" },
    { name: "uniform − FDE", pick: (a: ArmRow[]) => a.find((x) => x.arm === "uniform")?.vsFde, color: "#8c8c8c" },
    {
      name: "AutoDim − uniform",
      pick: (a: ArmRow[]) => a.find((x) => x.arm === "AutoDim")?.vsUniform,
      color: "#4c72b0",
    },
  ];
  const data = series.map((s) => {
    const d = groups.map((g) => s.pick(armsOf(r, g.setting, g.model)));
    return {
      type: "scatter",
      mode: "markers",
      name: `${s.name} (95% CI)`,
      x: d.map((x) => x?.delta ?? null),
      y: groups.map(label),
      error_x: {
        type: "data",
        symmetric: false,
        array: d.map((x) => (x ? x.high - x.delta : null)),
        arrayminus: d.map((x) => (x ? x.delta - x.low : null)),
        thickness: 1.5,
        width: 4,
      },
      marker: { size: 10, color: s.color },
      hovertemplate: `${s.name}: %{x:.4f}<extra>%{y}</extra>`,
    };
  });
  return {
    verdicts: {
      data,
      layout: {
        title: {
          text: `Does the search add anything beyond shrinking? ΔAUC at paper and tuned settings${caption ? `<br><sub>${caption}</sub>` : ""}`,
        },
        xaxis: { title: { text: "ΔAUC (test)" }, zeroline: true, zerolinewidth: 2 },
        yaxis: { automargin: true, autorange: "reversed" },
        width: 1000,
        height: 520,
        margin: { t: 90, b: 120 },
        legend: { orientation: "h", y: -0.2 },
      },
    },
  };
}

/** The figure caption (the format of experiment.ts's figureCaption, with both kinds of seeds). */
function caption(ds: Dataset, scale: Scale, r: TuningResult): string {
  const m = ds.data.manifest;
  const rows = m.rows.train + m.rows.val + m.rows.test;
  return `${ds.name}, ${rows.toLocaleString("en")} rows (test ${m.rows.test.toLocaleString("en")}); scale ${scale}; tuning seeds ${r.tuningSeeds.join(", ")}, verdict seeds 1–3 (paper) and ${r.verdictSeeds.join(", ")} (tuned)`;
}

export async function tuningBody(
  scale: Scale,
  ds: Dataset,
  settings: TuningSettings,
  runner: CellRunner,
): Promise<ExperimentBody<TuningResult> | CellsStopped> {
  const counts: RunCounts = { computed: 0, reused: 0 };
  const r = await runTuning(ds, scale, settings, runner, counts);
  if (r instanceof CellsStopped) return r;
  return {
    markdown: tuningMarkdown(r, ds, settings),
    payload: r,
    figures: tuningFigures(r, caption(ds, scale, r)),
    data: ds.description,
    computeSeconds: r.computeSeconds,
    seed: r.verdictSeeds[0],
    runs: counts,
  };
}

/** 13 — a fair chance for every method: BARS-style equal tuning budgets, fresh verdict seeds, uniform controls (tuning.ts). */
export const tuningExperiment: Experiment<TuningResult, TuningSettings> = experiment(
  "tuning",
  tuningBody,
  tuningDefaults,
);
