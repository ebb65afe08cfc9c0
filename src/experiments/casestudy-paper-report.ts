// Experiment 7b's report (see casestudy-paper.ts): its Markdown (what ran, headline, runs and
// fields tables) and its two-panel figure.
import type { Dataset } from "./datasets.js";
import type { Figure } from "./figures.js";
import type { MethodsSettings } from "./methods.js";
import { markdownTable } from "./report.js";
import type { CaseStudyPaperResult } from "./casestudy-paper.js";

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;

/** "+0.0012", "−0.0016" */
function signed(x: number, digits = 4): string {
  return `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`;
}
const ci = (x: { deltaLow: number; deltaHigh: number }) => `[${signed(x.deltaLow)}, ${signed(x.deltaHigh)}]`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
/** Spearman as the tables print it ("–" when undefined: every field one size). */
const rho = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "–");
const perSeedList = <T>(xs: (T | null)[], f: (x: T) => string) => xs.map((x) => (x === null ? "–" : f(x))).join(", ");

/** The experiment's Markdown: what ran, the headline, the runs table and the fields table. */
export function caseStudyPaperMarkdown(r: CaseStudyPaperResult, ds: Dataset, settings: MethodsSettings): string {
  const s = settings.search;
  const t = settings.retrain;
  const seeds = r.seeds.join(", ");
  const full = r.candidates[r.candidates.length - 1];
  const nFields = r.fields.length;
  const decided = r.perSeed.map((x) => x.decided);
  const p = r.paper;
  const summary = [
    `**The case study as the paper ran it** on ${ds.description}: W&D; AutoDim (AD-2: ${s.lookup} lookup, ${s.unify} unification + BN; batch ${s.batchSize}, ${s.warmupSteps} warm-up steps + ${s.epochs} search epochs, α by Adam ${s.architectureLearningRate} every ${s.frequency} steps, τ ${s.tauSchedule === "fit" ? "decayed linearly to 0.01 over the search" : `decay ${s.tauDecay}/step`}) with candidates {${r.candidates.join(", ")}}, against FDE with every field at ${full}; both re-trained (batch ${t.batchSize}, Adam ${t.learningRate}, ≤ ${t.epochs} epochs, early stopping on validation AUC, patience ${t.patience}) and tested; seeds ${seeds}, one search + re-train and one FDE per seed. The paper does not state its case study's candidates: its sizes are 2, 4 and 8 and its FDE ${full}, so we search the smallest set that holds them all.`,
    `Importance: the test AUC of a W&D trained on that field alone (experiment 7, casestudy: ${r.importanceSource}; mean over its seeds). ΔAUC: AutoDim − FDE-${full} on the same test rows (${ds.data.rows("test").toLocaleString("en")}); per seed its 95% interval resamples the test rows, for the mean it resamples the seeds, then the rows (the main tables' paired bootstrap, ${r.bootstrapReplicates} replicates); better / worse when it excludes 0. Params saved: 1 − AutoDim's embedding parameters ÷ FDE-${full}'s. Decided: fields whose size the search decided by its diagnostics (plan.search.diagnostics: enough α steps, SNR of the α gradient, argmax stable over the last half, margin; margin and SNR per field in the second table).`,
    `**Ours** (means over seeds): FDE-${full} AUC ${r.mean.fdeAuc.toFixed(4)}, AutoDim ${r.mean.autodimAuc.toFixed(4)}: ΔAUC **${signed(r.mean.deltaAuc)}** ${ci(r.mean)} (${r.mean.verdict}), **${pct(r.mean.saved)}** fewer embedding parameters; Spearman(importance, mean size) **${rho(r.spearman)}** (per seed ${r.perSeed.map((x) => rho(x.spearman)).join(", ")}); fields decided per seed ${perSeedList(decided, String)} of ${nFields}. **Paper** (one run): FDE-${full} ${p.fdeAuc.toFixed(4)}, AutoDim ${p.autodimAuc.toFixed(4)}: ΔAUC ${signed(p.deltaAuc)}, ${pct(p.saved)} fewer parameters; Spearman(its importance, its size) ${rho(p.spearman)}; its sizes on our vocabularies would save ${pct(p.savedOnOurVocabulary)}. Compute: ${(r.computeSeconds / 60).toFixed(1)} minutes over the ${r.seeds.length * 2} runs (searches included)${r.runsMadeBy ? `; the runs made by ${r.runsMadeBy.join("; ")}` : ""}.`,
  ].join("\n\n");
  const runs = markdownTable(
    [
      ...r.perSeed.map((x) => ({
        run: `seed ${x.seed}`,
        [`FDE-${full} AUC`]: x.fdeAuc,
        "AutoDim AUC": x.autodimAuc,
        ΔAUC: x.deltaAuc,
        "95% CI": ci(x),
        verdict: x.verdict,
        [`FDE-${full} params`]: x.fdeParams,
        "AutoDim params": x.autodimParams,
        "params saved": x.saved,
        "fields decided": x.decided === null ? "–" : `${x.decided} of ${nFields}`,
        "Spearman(importance, size)": rho(x.spearman),
        "search s": x.searchSeconds,
        "re-train s": x.trainSeconds,
        "FDE s": x.fdeSeconds,
      })),
      {
        run: `mean of ${r.seeds.length}`,
        [`FDE-${full} AUC`]: r.mean.fdeAuc,
        "AutoDim AUC": r.mean.autodimAuc,
        ΔAUC: r.mean.deltaAuc,
        "95% CI": ci(r.mean),
        verdict: r.mean.verdict,
        [`FDE-${full} params`]: mean(r.perSeed.map((x) => x.fdeParams)),
        "AutoDim params": mean(r.perSeed.map((x) => x.autodimParams)),
        "params saved": r.mean.saved,
        "fields decided": r.mean.decided === null ? "–" : `${r.mean.decided.toFixed(1)} of ${nFields}`,
        "Spearman(importance, size)": `${rho(r.spearman)} (mean size)`,
        "search s": mean(r.perSeed.map((x) => x.searchSeconds)),
        "re-train s": mean(r.perSeed.map((x) => x.trainSeconds)),
        "FDE s": mean(r.perSeed.map((x) => x.fdeSeconds)),
      },
      {
        run: "paper (one run)",
        [`FDE-${full} AUC`]: p.fdeAuc,
        "AutoDim AUC": p.autodimAuc,
        ΔAUC: p.deltaAuc,
        "95% CI": "",
        verdict: "",
        [`FDE-${full} params`]: "",
        "AutoDim params": "",
        "params saved": p.saved,
        "fields decided": "",
        "Spearman(importance, size)": rho(p.spearman),
        "search s": "",
        "re-train s": "",
        "FDE s": "",
      },
    ],
    {
      [`FDE-${full} AUC`]: 4,
      "AutoDim AUC": 4,
      ΔAUC: 4,
      [`FDE-${full} params`]: 0,
      "AutoDim params": 0,
      "params saved": "%",
      "search s": 0,
      "re-train s": 0,
      "FDE s": 0,
    },
  );
  const fields = markdownTable(
    r.fields.map((f) => ({
      field: f.field,
      ids: f.ids,
      importance: f.importance,
      "paper importance": f.paperImportance,
      [`sizes (seeds ${seeds})`]: f.sizes.join(", "),
      "mean size": f.meanSize,
      "paper size": f.paperSize,
      decided: perSeedList(f.decided, (d) => (d ? "yes" : "no")),
      margin: perSeedList(f.margin, (m) => m.toFixed(4)),
      SNR: perSeedList(f.snr, (x) => x.toFixed(1)),
    })),
    { importance: 4, "paper importance": 4, "mean size": 1 },
  );
  return `${summary}\n\n${runs}\n\n${fields}`;
}

/**
 * Two panels: each field's size against its importance (ours per seed, our mean, the paper's), and
 * ΔAUC vs FDE-16 with its 95% interval per seed and for the mean, beside the paper's one run.
 */
export function caseStudyPaperFigures(r: CaseStudyPaperResult, caption = ""): Record<string, Figure> {
  const full = r.candidates[r.candidates.length - 1];
  const seedSymbols = ["circle-open", "square-open", "diamond-open", "triangle-up-open", "x-thin-open"];
  const paper = r.fields.filter((f) => f.paperSize !== undefined);
  const sizes: Record<string, unknown>[] = [
    ...r.seeds.map((seed, k) => ({
      type: "scatter",
      mode: "markers",
      name: `ours, seed ${seed}`,
      legendgroup: "seeds",
      x: r.fields.map((f) => f.importance),
      y: r.fields.map((f) => f.sizes[k]),
      text: r.fields.map((f) => f.field),
      marker: { size: 9 + 3 * k, symbol: seedSymbols[k % seedSymbols.length], color: "#c44e52", line: { width: 1.5 } },
      xaxis: "x",
      yaxis: "y",
      hovertemplate: `%{text}: importance %{x:.4f}, size %{y}<extra>seed ${seed}</extra>`,
    })),
    {
      type: "scatter",
      mode: "lines+markers+text",
      name: `ours, mean over ${r.seeds.length} seeds`,
      x: r.fields.map((f) => f.importance),
      y: r.fields.map((f) => f.meanSize),
      text: r.fields.map((f) => f.field),
      textposition: "top center",
      textfont: { size: 10, color: "#c44e52" },
      line: { color: "#c44e52", width: 1, dash: "dot" },
      marker: { size: 7, color: "#c44e52" },
      xaxis: "x",
      yaxis: "y",
      hovertemplate: "%{text}: importance %{x:.4f}, mean size %{y:.1f}<extra></extra>",
    },
    {
      type: "scatter",
      mode: "lines+markers",
      name: "paper (one run; its own importances)",
      x: paper.map((f) => f.paperImportance),
      y: paper.map((f) => f.paperSize),
      text: paper.map((f) => f.field),
      line: { color: "#4c72b0", width: 1 },
      marker: { size: 10, color: "#4c72b0", symbol: "diamond" },
      xaxis: "x",
      yaxis: "y",
      hovertemplate: "paper, %{text}: importance %{x:.4f}, size %{y}<extra></extra>",
    },
  ];
  const labels = [...r.perSeed.map((s) => `seed ${s.seed}`), `mean of ${r.seeds.length}`];
  const deltas = [...r.perSeed, r.mean];
  const delta: Record<string, unknown>[] = [
    {
      type: "scatter",
      mode: "markers",
      name: `ours: ΔAUC vs FDE-${full}, 95% CI`,
      x: labels,
      y: deltas.map((d) => d.deltaAuc),
      error_y: {
        type: "data",
        symmetric: false,
        array: deltas.map((d) => d.deltaHigh - d.deltaAuc),
        arrayminus: deltas.map((d) => d.deltaAuc - d.deltaLow),
        thickness: 1.5,
        width: 4,
      },
      marker: { size: 10, color: "#c44e52" },
      xaxis: "x2",
      yaxis: "y2",
      hovertemplate: "%{x}: ΔAUC %{y:.4f}<extra></extra>",
    },
    {
      type: "scatter",
      mode: "markers",
      name: `paper: ΔAUC vs FDE-${full} (one run)`,
      x: ["paper"],
      y: [r.paper.deltaAuc],
      marker: { size: 11, color: "#4c72b0", symbol: "diamond" },
      xaxis: "x2",
      yaxis: "y2",
      hovertemplate: "paper: ΔAUC %{y:.4f}<extra></extra>",
    },
  ];
  return {
    summary: {
      data: [...sizes, ...delta],
      layout: {
        title: {
          text:
            `The case study as the paper ran it (W&D, candidates {${r.candidates.join(", ")}}, FDE at ${full}): Spearman(importance, mean size) ${rho(r.spearman)}, paper ${rho(r.paper.spearman)}` +
            (caption ? `<br><sub>${caption}</sub>` : ""),
        },
        grid: { rows: 1, columns: 2, pattern: "independent" },
        xaxis: { title: { text: "importance: single-field W&D test AUC" }, domain: [0, 0.6] },
        yaxis: {
          title: { text: "AutoDim's size" },
          type: "log",
          tickvals: r.candidates,
          ticktext: r.candidates.map(String),
          range: [Math.log10(r.candidates[0] / 1.4), Math.log10(full * 1.4)],
        },
        xaxis2: { domain: [0.7, 1], title: { text: "" } },
        yaxis2: {
          title: { text: `ΔAUC vs FDE-${full}` },
          zeroline: true,
          zerolinewidth: 2,
          anchor: "x2",
        },
        width: 1100,
        height: 600,
        margin: { t: 90, b: 170 },
        legend: { orientation: "h", y: -0.3 },
      },
    },
  };
}
