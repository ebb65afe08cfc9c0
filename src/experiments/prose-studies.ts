// Generated prose on the smaller studies: unification, dimensions, frequency, transfer, the data's
// AUC ceiling, and the README's list of the synthetic-data results with their provenance.
import { modelLabel } from "./methods-table.js";
import { summarizeEfficiency } from "./methods-efficiency.js";
import type { MethodRow } from "./methods.js";
import { PAPER_TRANSFER } from "./paper.js";
import type { Provenance } from "./report.js";
import { summarizeComponents, type VariantResult } from "./components.js";
import type { DimensionsResult } from "./dimensions.js";
import { summarizeFrequencies, type FrequencyResult } from "./frequency.js";
import type { StabilityResult } from "./stability.js";
import { summarizeTransfer, type TransferRow } from "./transfer.js";
import { summarizeUnification, type FdeRun, type UnificationRun } from "./unification.js";
import { describeVersion } from "../core/version.js";
import { describeHardware } from "../core/hardware.js";
import { fix, int, minus, pct, range, signed, type Block } from "./prose-format.js";

/** What every published number states: data, scale, seeds, backend, hardware, wall time, code version. */
export function provenanceLine(p: Provenance, seeds: string): string {
  const compute = p.computeSeconds !== undefined ? `, its runs ${(p.computeSeconds / 60).toFixed(1)} min` : "";
  return `${p.data}; scale ${p.scale}; seeds ${seeds}; ${p.backend}; ${describeHardware(p.hardware)}; assembled in ${p.wallSeconds.toFixed(1)} s${compute} (${p.createdAt.slice(0, 10)}, code ${p.code ? describeVersion(p.code) : "version not recorded"})`;
}

/** README and notebook spans about the smaller studies. */
export const STUDY_BLOCKS: Record<string, Block> = {
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

  "ceiling-auc": (r) => fix(r.payload<{ ceilingAuc: number }>("data-quick").ceilingAuc),

  "unification-paper-tau": (r) => {
    const u = r.payload<{ runs: UnificationRun[]; fde: FdeRun[] }>("unification-quick");
    const rows = summarizeUnification(u.runs, u.fde).filter((x) => x.schedule === "paper");
    return range(
      rows.map((x) => x.finalTemperature),
      (x) => x.toFixed(3),
    );
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
