// Prose made from results: the numbers README.md and the notebooks' markdown cells state about
// committed results are generated from results/*.json (and the paper's numbers from paper.ts),
// never typed. A generated span sits between two markers,
//
//   <!-- autodim:begin NAME -->…<!-- autodim:end NAME -->
//
// inline in a sentence or around whole paragraphs and tables; `autodim report` rewrites what is
// between them and `autodim report --check` (and test/report.test.ts) fails when any is stale.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { modelLabel, summarizeEfficiency, type MainTableRow, type MethodRow } from "./methods.js";
import { METHODS } from "../methods/registry.js";
import { PAPER_CASE_STUDY, PAPER_CASE_STUDY_TOTALS, PAPER_MAIN, PAPER_TRANSFER } from "./paper.js";
import { RESULTS_DIR, type Provenance } from "./report.js";
import type { CaseStudyResult } from "./casestudy.js";
import type { CaseStudyPaperResult } from "./casestudy-paper.js";
import { spearmanCritical, type ClaimRow } from "./claims.js";
import { summarizeComponents, type VariantResult } from "./components.js";
import type { DimensionsResult } from "./dimensions.js";
import { summarizeFrequencies, type FrequencyResult } from "./frequency.js";
import type { StabilityResult } from "./stability.js";
import type { WhyResult, WhyRow } from "./why-summary.js";
import { summarizeTransfer, type TransferRow } from "./transfer.js";
import { summarizeUnification, type FdeRun, type UnificationRun } from "./unification.js";
import type { SavedResult } from "./remake.js";
import { describeVersion } from "../runtime/version.js";
import { describeHardware } from "../runtime/hardware.js";
import { AutodimError } from "../errors.js";

export { Results, fix, signed, pct, range, minus } from "./prose-format.js";
import { Results, fix, signed, pct, range, minus } from "./prose-format.js";
import { VERDICT_BLOCKS } from "./prose-verdict.js";

const int = (x: number) => Math.round(x).toLocaleString("en");
const interval = (r: MainTableRow) => `[${signed(r.deltaLow)}, ${signed(r.deltaHigh)}]`;

/** What every published number states: data, scale, seeds, backend, hardware, wall time, code version. */
export function provenanceLine(p: Provenance, seeds: string): string {
  const compute = p.computeSeconds !== undefined ? `, its runs ${(p.computeSeconds / 60).toFixed(1)} min` : "";
  return `${p.data}; scale ${p.scale}; seeds ${seeds}; ${p.backend}; ${describeHardware(p.hardware)}; assembled in ${p.wallSeconds.toFixed(1)} s${compute} (${p.createdAt.slice(0, 10)}, code ${p.code ? describeVersion(p.code) : "version not recorded"})`;
}

function mainRows(results: Results, name: string): MainTableRow[] {
  return (results.payload<{ table: MainTableRow[] }>(name).table ?? []).map((r) => ({
    ...r,
    deltaLow: r.deltaLow ?? NaN,
    deltaHigh: r.deltaHigh ?? NaN,
  }));
}

function row(rows: MainTableRow[], model: string, method: string): MainTableRow {
  const r = rows.find((x) => x.model === model && x.method === method);
  if (!r) throw new AutodimError(`no ${method} row for ${model}`);
  return r;
}

const verdictWord = (v: string) => (v === "no difference detected" ? "no difference" : v);

// ---- run time of the committed runs (what a full reproduction recomputes) ----

/** Seconds a saved run cell records (its trainings' and searches' wall times), or undefined. */
function cellSeconds(cell: unknown): number | undefined {
  const v = (cell as { value?: Record<string, unknown> }).value;
  if (!v) return undefined;
  const runtime = (o: unknown) => (o as { runtime?: { wallSeconds?: number } } | undefined)?.runtime?.wallSeconds;
  let s = 0;
  let found = false;
  const add = (x: unknown) => {
    if (typeof x === "number") {
      s += x;
      found = true;
    }
  };
  add(runtime(v));
  add(runtime(v.plan));
  add((v.selection as { seconds?: number } | undefined)?.seconds);
  if (!found) {
    add(v.seconds);
    add(v.searchSeconds);
  }
  return found ? s : undefined;
}

export interface RunFolderCost {
  folder: string;
  runs: number;
  /** Runs that record their time, and the sum of those times. */
  timed: number;
  seconds: number;
}

/** Per results/*-runs/ folder: how many runs, and the seconds they record (a full reproduction recomputes them). */
export function runFolderCosts(dir = RESULTS_DIR, scale = "quick"): RunFolderCost[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(`-${scale}-runs`))
    .sort()
    .map((folder) => {
      const files = readdirSync(join(dir, folder)).filter((f) => f.endsWith(".json"));
      let timed = 0;
      let seconds = 0;
      for (const f of files) {
        const s = cellSeconds(JSON.parse(readFileSync(join(dir, folder, f), "utf8")));
        if (s !== undefined) {
          timed++;
          seconds += s;
        }
      }
      return { folder, runs: files.length, timed, seconds };
    });
}

/** One line for `npm start`: what the committed quick-scale runs took. */
export function reproductionCostLine(dir = RESULTS_DIR): string {
  const costs = runFolderCosts(dir);
  const hours = costs.reduce((a, c) => a + c.seconds, 0) / 3600;
  const untimed = costs.reduce((a, c) => a + c.runs - c.timed, 0);
  return `the committed quick-scale runs recorded ${hours.toFixed(1)} h of run time in all${untimed ? ` (and ${untimed} runs that record none)` : ""}: ~${(hours / 2).toFixed(1)} h on 2 cores, one run per core`;
}

// ---- the blocks ----

type Block = (r: Results) => string;

const README_BLOCKS: Record<string, Block> = {
  "reproduce-cost": (r) => {
    const costs = runFolderCosts(r.dir);
    const hours = (s: number) => (s / 3600).toFixed(1);
    const total = costs.reduce((a, c) => a + c.seconds, 0);
    const untimed = costs.filter((c) => c.timed < c.runs).map((c) => `${c.folder} (${c.runs - c.timed} runs)`);
    return `The committed runs recorded ${hours(total)} hours of run time in all (summed over the runs of \`results/*-quick-runs/\`: ${costs
      .filter((c) => c.timed > 0)
      .map((c) => `${c.folder.replace(/-quick-runs$/, "")} ${hours(c.seconds)} h over ${c.timed} runs`)
      .join(", ")}${untimed.length ? `; no time recorded in ${untimed.join(", ")}` : ""})`;
  },

  "movielens-core-table": (r) => {
    const rows = mainRows(r, "methods-movielens-core-quick");
    const line = (model: string) => {
      const fde = row(rows, model, "fde");
      const a = row(rows, model, "autodim");
      const z = row(rows, model, "autodim-zeropad");
      const p = PAPER_MAIN.criteo[model as "fm"];
      const word = (x: MainTableRow) => (x.verdict === "worse" && x === a ? "**worse**" : verdictWord(x.verdict));
      return `| ${modelLabel(model)} | ${fix(fde.aucMean)} | ${signed(a.deltaAuc)} ${interval(a)} ${word(a)} | ${pct(-a.paramsVsFde)} | ${signed(z.deltaAuc)} ${interval(z)} ${word(z)} | ${pct(-z.paramsVsFde)} | ${signed(p.autodim.auc - p.fde.auc)}, ${pct(1 - p.autodim.paramsM / p.fde.paramsM)} |`;
    };
    return [
      "| base model | FDE AUC | AutoDim (AD-2) ΔAUC [95% CI] | params saved | AD-1 (zero-pad) ΔAUC [95% CI] | params saved | paper ΔAUC (Criteo), saved |",
      "|---|---|---|---|---|---|---|",
      ...["fm", "wd", "deepfm"].map(line),
    ].join("\n");
  },

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

  "claims-counts": (r) => {
    const rows = r.payload<ClaimRow[]>("claims-quick");
    const n = (v: string) => rows.filter((x) => x.verdict === v).length;
    return `${n("holds")} holds, ${n("fails")} fail, ${n("inconclusive")} inconclusive, ${n("not run")} not run`;
  },

  "efficiency-inference": (r) => {
    const s = summarizeEfficiency(r.payload<MethodRow[]>("efficiency-quick"));
    const get = (m: string) => s.find((x) => x.method === m)?.inferenceMsPer1k ?? NaN;
    const fastest = [...s].sort((a, b) => a.inferenceMsPer1k - b.inferenceMsPer1k)[0];
    return `AutoDim's inference ${get("autodim").toFixed(2)} ms per 1,000 rows, FDE's ${get("fde").toFixed(2)}, the fastest ${fastest.method}'s ${fastest.inferenceMsPer1k.toFixed(2)} — the paper has AutoDim fastest`;
  },

  "unification-table": (r) => {
    const u = r.payload<{ runs: UnificationRun[]; fde: FdeRun[] }>("unification-quick");
    const rows = summarizeUnification(u.runs, u.fde);
    const best = Math.max(...rows.map((x) => x.spearman.mean));
    const mostNoise = rows.map((x) => Number(x.noiseAtSmallest.split(" ")[0]));
    const top = Math.max(...mostNoise);
    return [
      "| unification | τ | Spearman(rank, size) | rank-0 fields at 2 | ΔAUC vs FDE (paired) | params saved | dead α entries (of 195) |",
      "|---|---|---|---|---|---|---|",
      ...rows.map((x, i) => {
        const name =
          x.unify === "linear"
            ? i === 0
              ? "linear + BN (**AD-2, the paper's AutoDim**)"
              : "linear + BN (AD-2)"
            : "zero-padding (AD-1)";
        const sp = `${x.spearman.mean.toFixed(3)} ± ${x.spearman.half.toFixed(3)}`;
        const bold = (s: string, on: boolean) => (on ? `**${s}**` : s);
        return `| ${name} | ${x.schedule} | ${bold(sp, x.spearman.mean === best)} | ${bold(x.noiseAtSmallest, mostNoise[i] === top && i === mostNoise.indexOf(top))} | ${minus(x.deltaAuc.mean.toFixed(4))} ± ${x.deltaAuc.half.toFixed(4)} | ${pct(x.reduction)} | ${x.deadCandidates.toFixed(1)} |`;
      }),
    ].join("\n");
  },

  "planted-core": (r) => {
    const rows = mainRows(r, "methods-planted-quick");
    const models = ["fm", "wd", "deepfm"];
    const part = (method: string) =>
      `${models
        .map((m) => {
          const x = row(rows, m, method);
          return `${modelLabel(m)} ${signed(x.deltaAuc)} ${interval(x)} (${verdictWord(x.verdict)})`;
        })
        .join(
          ", ",
        )}, saving ${models.map((m) => pct(-row(rows, m, method).paramsVsFde, 0)).join(", ")} of the parameters`;
    return `AutoDim (AD-2) against FDE: ${part("autodim")}; AD-1 (zero-padding): ${part("autodim-zeropad")}`;
  },

  "movielens-best": (r) => {
    const rows = mainRows(r, "methods-movielens-quick").filter((x) => x.method !== "fde");
    const label = (x: MainTableRow) =>
      `${x.method === "autodim" ? "AutoDim" : (METHODS[x.method]?.label ?? x.method)} with ${modelLabel(x.model)}`;
    const best = [...rows].sort((a, b) => b.deltaAuc - a.deltaAuc).slice(0, 3);
    const better = rows.filter((x) => x.verdict === "better");
    return `${better.length === 0 ? "No method beats FDE outside the noise" : `${better.length} (model, method) pairs beat FDE outside the noise`}: the best point estimates are ${best.map((x) => `${label(x)} (${signed(x.deltaAuc)}, ${verdictWord(x.verdict)})`).join(", ")}`;
  },

  "paper-range": () => {
    const cells = (["criteo", "avazu"] as const).flatMap((d) =>
      (["fm", "wd", "deepfm"] as const).map((m) => PAPER_MAIN[d][m]),
    );
    return `${range(
      cells.map((c) => c.autodim.auc - c.fde.auc),
      (x) => fix(x),
    )} AUC *above* the full-dimension model (FDE, every field at 32) with ${range(
      cells.map((c) => 1 - c.autodim.paramsM / c.fde.paramsM),
      (x) => pct(x, 0),
    )} fewer embedding parameters`;
  },

  "movielens-core-summary": (r) => {
    const rows = mainRows(r, "methods-movielens-core-quick").filter((x) => x.method === "autodim");
    const worse = rows.filter((x) => x.verdict === "worse");
    const same = rows.filter((x) => x.verdict !== "worse" && x.verdict !== "better");
    const names = (xs: MainTableRow[]) => xs.map((x) => modelLabel(x.model)).join(" and ");
    return `${same.length ? `keeps ${names(same)}'s AUC and ` : ""}loses ${range(
      worse.map((x) => -x.deltaAuc),
      (x) => fix(x),
    )} with ${names(worse)}${worse.length ? "" : " no model"} (small but outside the noise of ${rows[0]?.seeds ?? 0} seeds × the test rows), while saving ${range(
      rows.map((x) => -x.paramsVsFde),
      (x) => pct(x, 0),
    )} of the embedding parameters`;
  },

  "ceiling-auc": (r) => fix(r.payload<{ ceilingAuc: number }>("data-quick").ceilingAuc),

  "unification-paper-tau": (r) => {
    const u = r.payload<{ runs: UnificationRun[]; fde: FdeRun[] }>("unification-quick");
    const rows = summarizeUnification(u.runs, u.fde).filter((x) => x.schedule === "paper");
    return range(
      rows.map((x) => x.finalTemperature),
      (x) => x.toFixed(3),
    );
  },

  "legacy-fm-delta": (r) => {
    const l = r.payload<MethodRow[]>("methods-quick");
    const get = (m: string) => l.find((x) => x.model === "fm" && x.method === m) as MethodRow;
    return signed(get("autodim").testAuc - get("fde").testAuc);
  },

  "legacy-fm": (r) => {
    const l = r.payload<MethodRow[]>("methods-quick");
    const get = (m: string) => l.find((x) => x.model === "fm" && x.method === m) as MethodRow;
    return `AD-1 ${fix(get("autodim").testAuc)} vs FDE ${fix(get("fde").testAuc)} test AUC at ${pct(get("autodim").paramsVsFde)} parameters`;
  },

  "dimensions-ad2": (r) => {
    const d = r.payload<DimensionsResult>("dimensions-quick");
    const noise = d.fields.filter((f) => f.plantedRank === 0);
    const smallest = Math.min(...d.candidates);
    return `${fix(d.spearmanRank ?? NaN, 3)}, ${noise.filter((f) => f.dim === smallest).length} of ${noise.length}, ${pct(d.reduction)}`;
  },

  "synthetic-results": (r) => {
    const item = (name: string, seeds: string, text: string) =>
      `- ${text} ([${name}](results/${name}.md); ${provenanceLine(r.get(name).provenance, seeds)})`;
    const seedsOf = (rows: { seed?: number }[]) =>
      [...new Set(rows.flatMap((x) => (x.seed === undefined ? [] : [x.seed])))].join(", ");

    const eff = r.payload<MethodRow[]>("efficiency-quick");
    const es = summarizeEfficiency(eff);
    const e = (m: string) => es.find((x) => x.method === m) as (typeof es)[number];
    const slowest = [...es].sort((a, b) => b.inferenceMsPer1k - a.inferenceMsPer1k).slice(0, 2);
    const efficiency = item(
      "efficiency-quick",
      seedsOf(eff),
      `**efficiency** (DeepFM, means over seeds): AutoDim spends ${e("autodim").selectionSeconds.toFixed(1)} s searching and ${e("autodim").trainSeconds.toFixed(1)} s re-training against FDE's ${e("fde").trainSeconds.toFixed(1)} s; inference ${e("autodim").inferenceMsPer1k.toFixed(2)} ms per 1,000 rows vs FDE's ${e("fde").inferenceMsPer1k.toFixed(2)}; ${slowest.map((x) => `${x.method} ${x.inferenceMsPer1k.toFixed(2)} ms`).join(" and ")} are the slowest (their code lookups).`,
    );

    const tr = r.payload<TransferRow[]>("transfer-quick");
    const ts = summarizeTransfer(tr);
    const transfer = item(
      "transfer-quick",
      seedsOf(tr),
      `**transfer** (FM's AutoDim sizes, ${range(
        tr.map((x) => 1 - x.autodim.params / x.full.params),
        (x) => pct(x, 0),
      )} fewer parameters over the seeds; ΔAUC vs each model at full size, mean ± std over seeds): ${ts
        .map((x) => `${modelLabel(x.model)} ${signed(x.autodim.auc - x.full.auc)} ± ${x.deltaAucStd.toFixed(4)}`)
        .join(", ")} (paper, Criteo: ${ts
        .map((x) => {
          const p = PAPER_TRANSFER[x.model as keyof typeof PAPER_TRANSFER];
          return p ? signed(p.autodim.criteo[0] - p.full.criteo[0]) : "–";
        })
        .join(", ")}).`,
    );

    const d = r.payload<DimensionsResult>("dimensions-quick");
    const st = r.payload<StabilityResult>("stability-quick");
    const dimensions = item(
      "dimensions-quick",
      String(r.get("dimensions-quick").provenance.seed),
      `**dimensions** (one FM search): Spearman(planted rank, size) ${fix(d.spearmanRank ?? NaN, 3)}, Spearman(log ids, size) ${fix(d.spearmanCardinality, 3)}, ${pct(d.reduction)} fewer parameters.`,
    );
    const stability = item(
      "stability-quick",
      st.seeds.join(", "),
      `**stability** (FM, ${st.seeds.length} seeds): mean Pearson between the seeds' size vectors ${fix(st.meanPearsonDims, 3)} (paper, Criteo: ≈ 0.85), of the selection probabilities ${fix(st.meanPearsonAlpha, 3)}; a field gets the same size from two seeds ${pct(st.meanAgreement)} of the time.`,
    );

    const fr = r.payload<FrequencyResult[]>("frequency-quick");
    const fs = summarizeFrequencies(fr);
    const bestF = [...fs].sort((a, b) => b.testAuc - a.testAuc)[0];
    const oneSeed = fs.every((x) => x.seeds === 1);
    const frequency = item(
      "frequency-quick",
      seedsOf(fr) || String(r.get("frequency-quick").provenance.seed),
      `**update frequency** (FM${oneSeed ? ", one seed: differences this small are within a seed's noise" : ""}): f = ${bestF.frequency} gives the best test AUC (${fs.map((x) => `f = ${x.frequency}: ${fix(x.testAuc)}`).join(", ")}); the paper: f = 10 best.`,
    );

    const co = r.payload<VariantResult[]>("components-quick");
    const cs = summarizeComponents(co);
    const bestC = [...cs].sort((a, b) => b.testAuc - a.testAuc)[0];
    const sharing = cs.filter((x) => x.lookup === "shared");
    const separate = cs.filter((x) => x.lookup === "separate");
    const components = item(
      "components-quick",
      seedsOf(co),
      `**components** (DeepFM${cs.every((x) => x.seeds === 1) ? ", one seed" : ""}): test AUC ${cs.map((x) => `${x.variant} ${fix(x.testAuc)}`).join(", ")} (best: ${bestC.variant}; the paper: AD-2); the separate-table variants search with ${range(
        separate.map((x) => x.searchParams / (sharing[0]?.searchParams ?? NaN)),
        (x) => `${x.toFixed(1)}×`,
      )} the parameters of the shared ones at ${range(
        separate.map((x) => x.searchSamplesPerSecond / Math.max(...sharing.map((y) => y.searchSamplesPerSecond))),
        (x) => `${x.toFixed(2)}×`,
      )} the fastest one's samples/s.`,
    );

    const legacy = r.payload<MethodRow[]>("methods-quick");
    const l = (model: string, method: string) =>
      legacy.find((x) => x.model === model && x.method === method) as MethodRow;
    const main = item(
      "methods-quick",
      String(r.get("methods-quick").provenance.seed),
      `**main table, legacy** (one seed; "autodim" there is AD-1, see results/README.md): the AutoDim run against FDE: ${[
        "fm",
        "wd",
        "deepfm",
      ]
        .map(
          (m) =>
            `${modelLabel(m)} ${fix(l(m, "autodim").testAuc)} vs ${fix(l(m, "fde").testAuc)} (${signed(l(m, "autodim").testAuc - l(m, "fde").testAuc)}) at ${pct(l(m, "autodim").paramsVsFde)} parameters`,
        )
        .join("; ")} — single-seed numbers the five-seed unification diagnostic does not confirm.`,
    );
    return [main, efficiency, transfer, dimensions, stability, frequency, components].join("\n");
  },
};

const NOTEBOOK_BLOCKS: Record<string, Block> = {
  "paper-main": () => {
    const c = PAPER_MAIN.criteo;
    const saved = (["fm", "wd", "deepfm"] as const).map((m) => 1 - c[m].autodim.paramsM / c[m].fde.paramsM);
    return `AutoDim ${(["fm", "wd", "deepfm"] as const).map((m) => `${signed(c[m].autodim.auc - c[m].fde.auc)} (${modelLabel(m)})`).join(", ")} AUC over FDE with ${range(saved, (x) => pct(x))} fewer embedding parameters`;
  },
  "movielens-features": (r) => {
    const d = r.payload<{ fields: { ids: number }[] }>("dimensions-movielens-quick");
    return `${d.fields.length} fields, ${int(d.fields.reduce((a, f) => a + f.ids, 0))} features`;
  },
  "frequency-steps": (r) => {
    const fs = summarizeFrequencies(r.payload<FrequencyResult[]>("frequency-quick"));
    const lo = fs[fs.length - 1];
    const hi = fs[0];
    return `with f = ${lo.frequency} the quick search makes ${int(lo.architectureSteps)} α steps, with f = ${hi.frequency} it makes ${int(hi.architectureSteps)}`;
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
  "paper-transfer": () => {
    const ms = ["nfm", "ipnn", "autoint"] as const;
    const d = (data: "criteo" | "avazu") =>
      ms
        .map(
          (m) =>
            `${signed(PAPER_TRANSFER[m].autodim[data][0] - PAPER_TRANSFER[m].full[data][0])}${data === "criteo" ? ` (${modelLabel(m)})` : ""}`,
        )
        .join(", ");
    return `ΔAUC on Criteo ${d("criteo")}; on Avazu ${d("avazu")}`;
  },
};

export const BLOCKS: Record<string, Block> = {
  ...README_BLOCKS,
  ...NOTEBOOK_BLOCKS,
  ...claimBlocks(),
  ...VERDICT_BLOCKS,
};

/** claim-<id>-<data>: a claim's verdict and our numbers on one data set, as the claims table states them. */
function claimBlocks(): Record<string, Block> {
  const data = { movielens: "MovieLens-1M", planted: "planted synthetic, 1.2M" };
  const out: Record<string, Block> = {};
  for (const id of ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"])
    for (const [key, prefix] of Object.entries(data))
      out[`claim-${id}-${key}`] = (r) => {
        const row = r.payload<ClaimRow[]>("claims-quick").find((c) => c.id === id && c.data.startsWith(prefix));
        if (!row) throw new AutodimError(`claims-quick has no ${id} row for ${prefix}`);
        return `**${row.verdict}**${row.ours ? ` (${row.ours.replace(/(^|[\s(])-(?=\d)/g, "$1−")})` : ""}`;
      };
  return out;
}

const MARKER = /<!-- autodim:begin ([\w-]+) -->([\s\S]*?)<!-- autodim:end \1 -->/g;

export interface BlockUse {
  name: string;
  current: string;
  expected: string;
}

/** The generated spans of a text, each with what it holds now and what the results say. */
export function blocksIn(text: string, results: Results): BlockUse[] {
  const out: BlockUse[] = [];
  for (const m of text.matchAll(MARKER)) {
    const render = BLOCKS[m[1]];
    if (!render) throw new AutodimError(`unknown generated block "${m[1]}" (known: ${Object.keys(BLOCKS).join(", ")})`);
    const multiline = m[2].startsWith("\n");
    const body = render(results);
    out.push({ name: m[1], current: m[2], expected: multiline ? `\n${body}\n` : body });
  }
  return out;
}

/** The text with every generated span filled from the results. */
export function fillBlocks(text: string, results: Results, relink: (s: string) => string = (s) => s): string {
  // A begin marker without its end would leave a span unchecked: refuse it.
  const begins = [...text.matchAll(/<!-- autodim:begin ([\w-]+) -->/g)].map((m) => m[1]);
  const ends = [...text.matchAll(/<!-- autodim:end ([\w-]+) -->/g)].map((m) => m[1]);
  if (begins.join() !== ends.join())
    throw new AutodimError(
      `unbalanced autodim:begin/end markers (begin: ${begins.join(", ")}; end: ${ends.join(", ")})`,
    );
  return text.replace(MARKER, (_all, name: string, body: string) => {
    const render = BLOCKS[name];
    if (!render) throw new AutodimError(`unknown generated block "${name}"`);
    const out = relink(render(results));
    return `<!-- autodim:begin ${name} -->${body.startsWith("\n") ? `\n${out}\n` : out}<!-- autodim:end ${name} -->`;
  });
}

interface Notebook {
  cells: { cell_type: string; source: string[] | string }[];
}

/** A notebook with its markdown cells' generated spans filled (other cells untouched), as its file text. */
export function fillNotebook(json: string, results: Results): string {
  const nb = JSON.parse(json) as Notebook;
  for (const cell of nb.cells) {
    if (cell.cell_type !== "markdown") continue;
    const src = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    if (!src.includes("<!-- autodim:begin ")) continue;
    const filled = fillBlocks(src, results);
    cell.source = filled.split(/(?<=\n)/);
  }
  // The notebook runner's layout: one-space indent, a final newline.
  return JSON.stringify(nb, null, 1) + "\n";
}

/** The files whose generated spans `autodim report` maintains: README, docs/*.md, the notebooks. */
export function proseFiles(root = "."): string[] {
  const nbDir = join(root, "notebooks");
  const docsDir = join(root, "docs");
  return [
    join(root, "README.md"),
    ...(existsSync(docsDir)
      ? readdirSync(docsDir)
          .filter((f) => f.endsWith(".md"))
          .sort()
          .map((f) => join(docsDir, f))
      : []),
    ...readdirSync(nbDir)
      .filter((f) => f.endsWith(".ipynb"))
      .sort()
      .map((f) => join(nbDir, f)),
  ];
}

/** A file's text with its spans filled (README as Markdown, notebooks cell by cell). */
export function filledFile(file: string, text: string, results: Results): string {
  if (file.endsWith(".ipynb")) return fillNotebook(text, results);
  // The blocks link from the repo root (README's place); a page under docs/ needs ../ before them.
  const underDocs = basename(dirname(file)) === "docs";
  return fillBlocks(text, results, underDocs ? fromDocs : undefined);
}

/** Relative Markdown links of a block, made relative to docs/. */
function fromDocs(s: string): string {
  return s.replace(/\]\((?!https?:|#|\.\.\/|mailto:)([^)]+)\)/g, "](../$1)");
}
