// Generated prose on the main tables (experiments 2 and 3): AutoDim and AD-1 against FDE on
// MovieLens and planted data, the best methods, efficiency, the legacy one-seed table and the
// paper's numbers they are set beside.
import { modelLabel, type MainTableRow } from "./methods-table.js";
import { summarizeEfficiency } from "./methods-efficiency.js";
import type { MethodRow } from "./methods.js";
import { METHODS } from "../methods/registry.js";
import { PAPER_MAIN } from "./paper.js";
import { AutodimError } from "../core/errors.js";
import { fix, pct, range, signed, verdictWord, type Block, type Results } from "./prose-format.js";

const interval = (r: MainTableRow) => `[${signed(r.deltaLow)}, ${signed(r.deltaHigh)}]`;

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

/** README and notebook spans about the main tables. */
export const MAIN_BLOCKS: Record<string, Block> = {
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

  "efficiency-inference": (r) => {
    const s = summarizeEfficiency(r.payload<MethodRow[]>("efficiency-quick"));
    const get = (m: string) => s.find((x) => x.method === m)?.inferenceMsPer1k ?? NaN;
    const fastest = [...s].sort((a, b) => a.inferenceMsPer1k - b.inferenceMsPer1k)[0];
    return `AutoDim's inference ${get("autodim").toFixed(2)} ms per 1,000 rows, FDE's ${get("fde").toFixed(2)}, the fastest ${fastest.method}'s ${fastest.inferenceMsPer1k.toFixed(2)} — the paper has AutoDim fastest`;
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

  "paper-main": () => {
    const c = PAPER_MAIN.criteo;
    const saved = (["fm", "wd", "deepfm"] as const).map((m) => 1 - c[m].autodim.paramsM / c[m].fde.paramsM);
    return `AutoDim ${(["fm", "wd", "deepfm"] as const).map((m) => `${signed(c[m].autodim.auc - c[m].fde.auc)} (${modelLabel(m)})`).join(", ")} AUC over FDE with ${range(saved, (x) => pct(x))} fewer embedding parameters`;
  },
};
