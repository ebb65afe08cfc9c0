// Experiment 7's tables: the case study (each field's importance beside AutoDim's size, from the
// main table's W&D runs; casestudy.ts) and the case study as the paper ran it (casestudy-paper.ts).
import { join } from "node:path";
import { caseStudyFigures, PRIOR_ROWS, runCaseStudy, type CaseStudyResult } from "./casestudy.js";
import { caseStudyPaperBody } from "./casestudy-paper-run.js";
import { caseStudyPaperDefaults, type CaseStudyPaperResult } from "./casestudy-paper.js";
import { CellsStopped, identityHash } from "./cells.js";
import type { Scale } from "./datasets.js";
import { experiment, figureCaption, type Experiment } from "./experiment.js";
import type { RunCounts } from "./frequency.js";
import { methodRunsDir, methodsDefaults, type MethodsSettings } from "./methods.js";
import { mainTableName } from "./methods-experiment.js";
import { PAPER_CASE_STUDY, PAPER_CASE_STUDY_TOTALS } from "./paper.js";
import { markdownTable } from "./report.js";

/**
 * The case study's settings: MovieLens as the paper's (its raw files, or without them the
 * committed runs' record: results/datasets/movielens.json); the scale's synthetic data at smoke.
 */
export function caseStudyDefaults(scale: Scale): MethodsSettings {
  return methodsDefaults(scale, scale === "smoke" ? "scale" : "movielens");
}

/** 7 — case study: each field's importance (trained single-field W&D, test AUC) beside the size AutoDim chose with W&D. */
export const caseStudyExperiment: Experiment<CaseStudyResult, MethodsSettings> = experiment(
  "casestudy",
  async (scale, ds, settings, runner) => {
    const counts: RunCounts = { computed: 0, reused: 0 };
    const mainName = mainTableName(settings.data);
    const r = await runCaseStudy(
      ds,
      settings,
      methodRunsDir(mainName, scale),
      methodRunsDir("casestudy", scale),
      join("data", "single-field", `${ds.name}-${identityHash(ds.description)}`),
      runner,
      counts,
    );
    if (r instanceof CellsStopped) return r;
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const ranked = r.rows.some((f) => f.plantedRank !== undefined);
    const seeds = settings.seeds.join(", ");
    const perSeed = r.spearmanPerSeed.map((x) => x.toFixed(3)).join(", ");
    const summary = [
      `**Field importance vs AutoDim's size** on ${ds.description}, seeds ${seeds}. Importance, as the paper measures it: the test AUC of a W&D model trained on that field alone (size ${settings.candidates[settings.candidates.length - 1]}, the main table's re-train settings; mean ± std over seeds). Cross-check without training: the test AUC of each value's training click rate shrunk towards the global rate by ${PRIOR_ROWS} pseudo-rows (the optimum a single-field model trains towards). Sizes: AutoDim (AD-2) searched with W&D, candidates {${settings.candidates.join(", ")}} — the W&D runs of the main table (${mainName}), one per seed.`,
      `Spearman(single-field AUC, mean chosen size) = **${r.spearman.toFixed(3)}**; per seed ${perSeed}. W&D full dimension: AUC ${r.fde.auc.toFixed(4)}, Logloss ${r.fde.logloss.toFixed(4)}; AutoDim: AUC ${r.autodim.auc.toFixed(4)}, Logloss ${r.autodim.logloss.toFixed(4)} with ${pct(1 - r.autodim.params / r.fde.params)} fewer embedding parameters (means over seeds). Compute: ${(r.computeSeconds / 60).toFixed(1)} minutes over the runs behind it.`,
      `Paper (MovieLens-1M, W&D, candidates up to 16, one run): sizes follow importance — movieId and userId (AUC .73/.69) get 8, gender/age/occupation (≈ .51–.53) get 2; FDE AUC ${PAPER_CASE_STUDY_TOTALS.fde.auc} / Logloss ${PAPER_CASE_STUDY_TOTALS.fde.logloss} vs AutoDim ${PAPER_CASE_STUDY_TOTALS.autodim.auc} / ${PAPER_CASE_STUDY_TOTALS.autodim.logloss} with ${pct(PAPER_CASE_STUDY_TOTALS.reduction)} fewer parameters.` +
        (ranked
          ? " On the synthetic set the planted rank of each field is the ground truth of its importance; it is shown too."
          : ""),
    ].join("\n\n");
    const paperDim = new Map(PAPER_CASE_STUDY.map((p) => [p.field, p]));
    const table = markdownTable(
      r.rows.map((f) => ({
        field: f.field,
        ids: f.ids,
        ...(ranked ? { "planted rank": f.plantedRank } : {}),
        "single-field AUC": f.auc,
        "AUC std": f.aucStd,
        "click-rate AUC": f.clickRateAuc,
        "sizes (per seed)": f.dims.join(", "),
        "mean size": f.dim,
        ...(paperDim.has(f.field)
          ? { "paper AUC": paperDim.get(f.field)?.auc, "paper size": paperDim.get(f.field)?.dim }
          : {}),
      })),
      { "single-field AUC": 4, "AUC std": 4, "click-rate AUC": 4, "mean size": 1, "paper AUC": 4 },
    );
    return {
      markdown: `${summary}\n\n${table}`,
      payload: r,
      figures: caseStudyFigures(r, figureCaption(ds, scale, seeds)),
      data: ds.description,
      computeSeconds: r.computeSeconds,
      seed: settings.seeds[0],
      runs: counts,
    };
  },
  caseStudyDefaults,
);

/** 7b — the case study as the paper ran it: W&D, candidates {2, 4, 8, 16}, FDE at 16 (casestudy-paper.ts). */
export const caseStudyPaperExperiment: Experiment<CaseStudyPaperResult, MethodsSettings> = experiment(
  "casestudy-paper",
  caseStudyPaperBody,
  caseStudyPaperDefaults,
);
