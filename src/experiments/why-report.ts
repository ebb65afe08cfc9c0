// The "why" experiment's markdown: what was searched and how, the table per setting, the
// gradient's signal per field, the early-stopping read-out, ΔAUC vs FDE and the Criteo projection.
import type { Dataset } from "./datasets.js";
import { modelLabel } from "./methods-table.js";
import { markdownTable } from "./report.js";
import type { WhyDelta } from "./why-retrain.js";
import { NEVER, type Interval } from "./why-stats.js";
import { CRITEO_TRAIN_ROWS, type WhyResult } from "./why-summary.js";

const int = (x: number) => Math.round(x).toLocaleString("en");
const ci = (x: Interval, d: number) => `${x.mean.toFixed(d)} ± ${Number.isFinite(x.half) ? x.half.toFixed(d) : "–"}`;
const range = (v: number, lo: number, hi: number, d: number) =>
  Number.isFinite(v) ? `${v.toFixed(d)} [${lo.toFixed(d)}, ${hi.toFixed(d)}]` : "–";

/** The report: the settings and how to read them, the tables, and what the runs say about the AUC and Criteo. */
export function whyMarkdown(r: WhyResult, ds: Dataset): string {
  const s = r.settings;
  const p = r.projection;
  const intro = [
    `**Why AutoDim fails on ${s.data === "movielens" ? "MovieLens" : ds.truth ? "planted data" : ds.name}: the search alone, repeated** (${modelLabel(s.model)}, AD-2 as in the main table: candidates {${s.candidates.join(", ")}}, ${s.search.unify} unification + BN, batch ${s.search.batchSize}, ${s.search.warmupSteps} warm-up steps, α learning rate ${s.search.architectureLearningRate} (Adam), τ ${s.search.tauSchedule === "fit" ? "decayed to 0.01 over the search" : `decay ${s.search.tauDecay}`}; seeds ${s.seeds.join(", ")}; no re-train) on ${ds.description}. Compute: ${(r.computeSeconds / 60).toFixed(1)} minutes over ${r.runs.length} searches, one at a time on one thread.`,
    `Margin: p(argmax) − p(runner-up) of softmax(log α), mean over the ${r.rows[0]?.fields ?? 0} fields, mean ± 95% t-interval over seeds. On noise: the margin and median SNR of α trained by the same Adam for as many steps on gradients of mean 0 (400 simulated fields, \`adamNoiseNull\`): what the search reaches with no signal at all. Decided: the diagnostics' rule (SNR ≥ 2 over ≥ 50 α steps, argmax stable over the last half, margin ≥ 0.02). Agreement: share of fields all seeds give the same size (chance: the same if each seed drew its sizes independently from its own mix); Pearson: mean over pairs of seeds of the correlation of their size vectors; both with a 95% percentile bootstrap over fields. SNR and steps needed: medians over fields × seeds (a field whose gradient favours its runner-up never decides; counted as never). Decided two ways: fields that two seeds both decided, on different sizes. Gradient agreement: mean over fields of the mean Pearson between seeds of the per-candidate mean ∂L/∂log α (≈ 1: the seeds' gradients rank the candidates alike).${r.rows.some((x) => x.planted) ? ` Planted: Spearman(planted rank, size) per seed, mean ± 95% t over seeds (1 = the sizes follow the ranks the data was made with); noise at smallest: the share of the ${r.rows.find((x) => x.planted)?.planted?.noiseFields} noise fields (rank 0) × seeds given the smallest size ${Math.min(...s.candidates)}.` : ""}`,
  ].join("\n\n");
  const table = markdownTable(
    r.rows.map((x) => ({
      item: x.item === "length" ? "1 length" : "3 data",
      "train rows": int(x.trainRows),
      epochs: x.epochs,
      f: x.frequency,
      "α steps": int(x.architectureSteps),
      seeds: x.seeds,
      margin: ci(x.margin, 3),
      "margin on noise": x.noise?.margin,
      "max α": ci(x.maxAlpha, 2),
      decided: `${ci(x.decided, 1)} of ${x.fields}`,
      "decided two ways": x.contradicted,
      "all seeds agree": `${range(100 * x.agreement, 100 * x.agreementLow, 100 * x.agreementHigh, 0)}% (chance ${(100 * x.chance).toFixed(0)}%)`,
      "Pearson (sizes)": range(x.pearson, x.pearsonLow, x.pearsonHigh, 2),
      "gradient agreement": x.gradientAgreement,
      "median SNR": x.snrMedian,
      "SNR on noise": x.noise?.snr,
      "median steps needed": x.stepsNeededMedian >= NEVER ? "never" : int(x.stepsNeededMedian),
      never: x.neverDecides,
      ...(x.planted
        ? {
            "Spearman (planted)": ci(x.planted.spearman, 2),
            "noise at smallest": `${(100 * x.planted.noiseAtSmallest).toFixed(0)}%`,
          }
        : {}),
      "supernet val AUC": ci(x.supernetValidationAuc, 4),
      "search s": x.searchSeconds,
    })),
    { "median SNR": 2, "SNR on noise": 2, "margin on noise": 3, "gradient agreement": 2, "search s": 0 },
  );
  const g = r.signalSetting;
  const signalIntro = `**The gradient's signal per field** at the longest search (${g.epochs} epochs, f = ${g.frequency}: ${int(g.architectureSteps)} α steps per seed). SNR: the diagnostics' t statistic of d = ∂L/∂log α(runner-up) − ∂L/∂log α(argmax), per seed; effect: mean(d)/sd(d) per step (SNR/√n). Gradient agreement: mean Pearson between seeds of the per-candidate mean gradient (≈ 1: the seeds' gradients rank the candidates alike). Pooled: over all seeds' steps, the candidate the mean gradient favours and the t of its lead over the next one (sds combined as if independent), and the α steps per seed that lead would need for t = 2.`;
  const fmt = (x: number | null, d: number) => (x === null || !Number.isFinite(x) ? "–" : x.toFixed(d));
  const signal = markdownTable(
    r.signal.map((f) => ({
      field: f.field,
      ids: f.ids,
      "sizes (per seed)": f.sizes.join(", "),
      margin: ci(f.margin, 3),
      "SNR (per seed)": f.snr.map((x) => fmt(x, 2)).join(", "),
      "steps needed (per seed)": f.stepsNeeded.map((x) => (x === null ? "never" : int(x))).join(", "),
      decided: `${f.decided} of ${f.sizes.length}`,
      "effect (per seed)": f.effect.map((x) => fmt(x, 3)).join(", "),
      "mean ∂L/∂log α per candidate (×1e-4)": f.gradientMean.map((x) => (1e4 * x).toFixed(1)).join(", "),
      "sd per step (×1e-4)": f.gradientSd.map((x) => (1e4 * x).toFixed(0)).join(", "),
      "gradient agreement": fmt(f.gradientAgreement, 2),
      "pooled best": f.pooledBest,
      "pooled t": fmt(f.pooledSnr, 2),
      "pooled steps needed": f.pooledStepsNeeded === null ? "never" : int(f.pooledStepsNeeded),
    })),
  );
  const growth = `**Had the longest searches stopped early** (medians over fields × seeds after n α steps; a real per-step signal multiplies the SNR by √2 ≈ 1.41 per doubling of n and leaves the steps needed where they are): ${r.growth
    .map(
      (x) =>
        `n = ${int(x.n)}: SNR ${x.snr.toFixed(2)}, steps needed ${x.stepsNeeded >= NEVER ? "never" : int(x.stepsNeeded)}, margin ${x.margin.toFixed(3)}`,
    )
    .join("; ")}.`;
  const projection = `**What this predicts for Criteo** (the paper: one epoch over ${int(CRITEO_TRAIN_ROWS)} training rows at batch ${p.criteoBatch}, α every 10 steps = ${int(p.criteoAlphaSteps)} α steps). Assumption: the per-step mean of the gradient difference is the same as here and its per-step noise falls as 1/√batch, so the SNR grows as √(α steps × batch rows) — optimistic, since part of the noise is the step's one Gumbel draw per field, which a larger batch does not average away. Here the longest search saw ${int(p.hereRowsSeen)} validation rows through α steps, Criteo's ${int(p.criteoRowsSeen)} (× ${p.factor.toFixed(1)}): the median SNR ${p.snrHere.toFixed(2)} would become ${p.snrCriteo.toFixed(2)}, and ${(100 * p.decidableShare).toFixed(0)}% of the fields × seeds here would reach SNR 2 within Criteo's α steps. But a seed's own SNR counts its feedback as evidence (items 1 and 2: seeds decide fields on different sizes); on the signal the seeds share (pooled steps needed above), ${p.sharedDecidable} of ${p.fields} fields would be decided within Criteo's α steps. So the paper's search would settle on Criteo only if its per-step signal is larger than ${r.settings.data === "movielens" ? "MovieLens's" : "this data's"} — plausible where fields have 10⁵–10⁶ ids and capacity matters — which these runs cannot test.`;
  const a = r.auc;
  const deltaText = (d: WhyDelta) =>
    `${d.label}, ${int(d.architectureSteps)} α steps: ΔAUC ${d.delta >= 0 ? "+" : ""}${d.delta.toFixed(4)} [${d.low.toFixed(4)}, ${d.high.toFixed(4)}] (${d.low > 0 ? "better" : d.high < 0 ? "worse" : "no difference detected"}), ${(100 * d.saved).toFixed(1)}% of the embedding parameters saved (AUC per seed ${d.aucs.map((x) => x.toFixed(4)).join(", ")}; FDE ${d.fdeAucs.map((x) => x.toFixed(4)).join(", ")})`;
  const aucText = a
    ? `**Does the longest search fix the AUC?** Each seed's plan re-trained as the main table re-trains (${s.retrain?.epochs} epochs at most, patience ${s.retrain?.patience}, batch ${s.retrain?.batchSize}; ${(a.retrains.reduce((x, y) => x + y.runtime.wallSeconds, 0) / 60).toFixed(1)} minutes for the ${a.retrains.length}), against the main table's FDE of the same seed (its saved test scores; paired bootstrap over seeds and test rows, ${a.replicates} replicates): ${[a.longest, ...(a.mainTable ? [a.mainTable] : [])].map(deltaText).join("; ")}.`
    : "**ΔAUC vs FDE**: not computed (no re-train in the settings, or the main table's FDE runs are not saved).";
  return [intro, table, signalIntro, signal, growth, aucText, projection].join("\n\n");
}
