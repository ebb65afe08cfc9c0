// Generated prose on what the search finds: the case study (experiments 7 and 7b, and the paper's)
// and why the search decides so few fields (the "why" diagnostics).
import { PAPER_CASE_STUDY, PAPER_CASE_STUDY_TOTALS } from "./paper.js";
import type { CaseStudyResult } from "./casestudy.js";
import type { CaseStudyPaperResult } from "./casestudy-paper.js";
import { spearmanCritical } from "./claims.js";
import type { WhyResult, WhyRow } from "./why-summary.js";
import { fix, int, pct, signed, verdictWord, type Block } from "./prose-format.js";

/** README and notebook spans about the case study and the "why" runs. */
export const SEARCH_BLOCKS: Record<string, Block> = {
  "casestudy-importances": (r) => {
    const c = r.payload<CaseStudyResult>("casestudy-quick");
    const paper = new Map(PAPER_CASE_STUDY.map((p) => [p.field, p]));
    const fields = c.rows
      .map(
        (f) =>
          `${f.field} ${fix(f.auc)}${paper.has(f.field) ? ` (${c.rows.indexOf(f) === 0 ? "paper " : ""}${fix(paper.get(f.field)?.auc ?? NaN)})` : ""}`,
      )
      .join(", ");
    return `${fields} — but not the *sizes*: Spearman(importance, mean size) = ${fix(c.spearman, 2)} (per seed ${c.spearmanPerSeed.map((x) => fix(x, 2)).join(", ")}), where the paper's sizes follow importance exactly (${PAPER_CASE_STUDY.map((p) => p.dim).join(", ")})`;
  },

  "casestudy-paper-headline": (r) => {
    const c = r.payload<CaseStudyPaperResult>("casestudy-paper-quick");
    // JSON keeps an undefined Spearman (every field one size) as null.
    const rho = (x: number | null) => (typeof x === "number" && Number.isFinite(x) ? fix(x, 2) : "undefined");
    const full = c.candidates[c.candidates.length - 1];
    const critical = spearmanCritical(c.fields.length);
    const gain =
      c.mean.verdict === "better"
        ? `AutoDim beats FDE at ${full}, as the paper reports`
        : `AutoDim is ${c.mean.verdict === "worse" ? "below" : "within noise of"} FDE at ${full} (the paper has it above)`;
    const follow =
      typeof c.spearman === "number" && c.spearman >= critical
        ? `follow importance (Spearman ≥ ${fix(critical, 3)}, the 5% critical value)`
        : `do not follow importance (Spearman below ${fix(critical, 3)}, the 5% critical value)`;
    return `${gain}, and its sizes ${follow}: with candidates {${c.candidates.join(", ")}} and FDE at ${full} (${c.seeds.length} seeds), AutoDim's ΔAUC is ${signed(c.mean.deltaAuc)} [${signed(c.mean.deltaLow)}, ${signed(c.mean.deltaHigh)}] (${verdictWord(c.mean.verdict)}; per seed ${c.perSeed.map((s) => signed(s.deltaAuc)).join(", ")}) with ${pct(c.mean.saved, 0)} fewer parameters (paper ${signed(c.paper.deltaAuc)}, ${pct(c.paper.saved, 0)}); Spearman(importance, mean size) = ${rho(c.spearman)} (per seed ${c.perSeed.map((s) => rho(s.spearman)).join(", ")}; the paper's sizes ${rho(c.paper.spearman)}); the search decided ${c.perSeed.map((s) => (s.decided === null ? "–" : String(s.decided))).join(", ")} of ${c.fields.length} fields per seed`;
  },

  "why-summary": (r) => {
    const w = r.payload<WhyResult>("why-quick");
    const lengths = w.rows.filter((x) => x.item === "length").sort((a, b) => a.architectureSteps - b.architectureSteps);
    const first = lengths[0];
    const last = lengths[lengths.length - 1];
    const noise = (x: WhyRow) => (x.noise ? fix(x.noise.margin, 2) : "–");
    const shares = w.rows
      .filter(
        (x) => x.epochs * x.share === w.settings.dataLength.epochs && x.frequency === w.settings.dataLength.frequency,
      )
      .sort((a, b) => a.share - b.share);
    const data =
      shares.length > 1
        ? `; on ${shares.map((x) => pct(x.share, 0)).join(", ")} of the training rows (${int(shares[0].architectureSteps)} α steps each) the margin is ${shares.map((x) => fix(x.margin.mean, 2)).join(", ")}, the median SNR ${shares.map((x) => fix(x.snrMedian, 2)).join(", ")} and the seeds' gradient agreement ${shares.map((x) => fix(x.gradientAgreement, 2)).join(", ")}`
        : "";
    const a = w.auc;
    const auc = a
      ? `; the longest search's plans re-trained: ΔAUC vs FDE ${signed(a.longest.delta)} [${signed(a.longest.low)}, ${signed(a.longest.high)}] (${verdictWord(a.longest.low > 0 ? "better" : a.longest.high < 0 ? "worse" : "no difference detected")}) with ${pct(a.longest.saved, 0)} of the parameters saved${a.mainTable ? ` (the main table's AutoDim: ${signed(a.mainTable.delta)} [${signed(a.mainTable.low)}, ${signed(a.mainTable.high)}])` : ""}`
      : "";
    const main = lengths.find((x) => x.epochs === 4 && x.frequency === 10);
    const atMain = main
      ? `at the main table's length (${int(main.architectureSteps)} α steps) the margin is ${fix(main.margin.mean, 3)} ± ${fix(main.margin.half, 3)} (Adam on pure noise: ${main.noise ? fix(main.noise.margin, 3) : "–"}) and ${fix(main.decided.mean, 1)} fields are decided; `
      : "";
    return `${atMain}from ${int(first.architectureSteps)} to ${int(last.architectureSteps)} α steps the α margin grows from ${fix(first.margin.mean, 2)} to ${fix(last.margin.mean, 2)} (Adam on gradients of pure noise: ${noise(first)} to ${noise(last)}) and the fields the diagnostics call decided from ${fix(first.decided.mean, 1)} to ${fix(last.decided.mean, 1)} of ${last.fields} per seed, yet at the longest search all ${last.seeds} seeds agree on ${pct(last.agreement, 0)} of the fields (chance ${pct(last.chance, 0)}), their size vectors correlate at ${fix(last.pearson, 2)} [${fix(last.pearsonLow, 2)}, ${fix(last.pearsonHigh, 2)}], ${last.contradicted} field${last.contradicted === 1 ? " is" : "s are"} decided by two seeds on different sizes, and the seeds' mean gradients rank the candidates alike at a mean Pearson of ${fix(last.gradientAgreement, 2)}${data}${auc}`;
  },

  "why-planted-summary": (r) => {
    if (!r.has("why-planted-quick"))
      return "the planted runs (`npx autodim reproduce why-planted`) are not committed yet";
    const w = r.payload<WhyResult>("why-planted-quick");
    const lengths = w.rows.filter((x) => x.item === "length").sort((a, b) => a.architectureSteps - b.architectureSteps);
    const shares = w.rows
      .filter(
        (x) =>
          Math.round(x.epochs * x.share) === w.settings.dataLength.epochs &&
          x.frequency === w.settings.dataLength.frequency,
      )
      .sort((a, b) => a.share - b.share);
    const rho = (x: WhyRow) =>
      x.planted ? `${fix(x.planted.spearman.mean, 2)} ± ${fix(x.planted.spearman.half, 2)}` : "–";
    const noise = (x: WhyRow) => (x.planted ? pct(x.planted.noiseAtSmallest, 0) : "–");
    const F = lengths[0]?.fields ?? 0;
    const length = lengths.length
      ? `from ${int(lengths[0].architectureSteps)} to ${int(lengths[lengths.length - 1].architectureSteps)} α steps on ${int(lengths[0].trainRows)} training rows the α margin is ${lengths.map((x) => fix(x.margin.mean, 2)).join(", ")}, the fields decided ${lengths.map((x) => fix(x.decided.mean, 1)).join(", ")} of ${F} per seed, the seeds' size vectors correlate at ${lengths.map((x) => fix(x.pearson, 2)).join(", ")}, and Spearman(planted rank, size) is ${lengths.map(rho).join(", ")} (noise fields at the smallest size: ${lengths.map(noise).join(", ")})`
      : "";
    const data =
      shares.length > 1
        ? `; at ${int(shares[0].architectureSteps)} α steps on ${shares.map((x) => int(x.trainRows)).join(", ")} training rows the margin is ${shares.map((x) => fix(x.margin.mean, 2)).join(", ")}, the median SNR ${shares.map((x) => fix(x.snrMedian, 2)).join(", ")}, the fields decided ${shares.map((x) => fix(x.decided.mean, 1)).join(", ")}, the seeds' Pearson ${shares.map((x) => fix(x.pearson, 2)).join(", ")} and Spearman(planted rank, size) ${shares.map(rho).join(", ")}`
        : "";
    return `${length}${data}`;
  },

  "paper-casestudy": () => {
    const [a, b] = PAPER_CASE_STUDY;
    const t = PAPER_CASE_STUDY_TOTALS;
    const by = (d: number) =>
      PAPER_CASE_STUDY.filter((p) => p.dim === d)
        .map((p) => p.field)
        .join(d === 2 ? "/" : " and ");
    return `${a.field} (${a.auc.toFixed(4).slice(1)}) and ${b.field} (${b.auc.toFixed(4).slice(1)}) get 8, ${by(4)} 4, ${by(2)} 2 — sizes follow importance exactly — and AutoDim beats FDE (AUC ${t.autodim.auc.toFixed(4).slice(1)} vs ${t.fde.auc.toFixed(4).slice(1)}) with ${pct(t.reduction, 0)} fewer parameters`;
  },
};
