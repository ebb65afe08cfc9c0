// What a notebook cell does with an experiment's output: its tables (Markdown) with the
// provenance line, then each figure as plotly JSON + SVG in one output. Runs in tslab only.
import { AutodimError } from "../core/errors.js";
import { closeFigures, displayFigure, requireFromProgram } from "./figures.js";
import type { Dataset } from "./datasets.js";
import { isRecorded } from "./data-record.js";
import type { ExperimentOutput } from "./experiment.js";
import { figureName } from "./output-files.js";
import { provenanceMarkdown } from "./report.js";

function display(): { markdown(s: string): void } {
  const tslab = requireFromProgram("tslab") as { display?: { markdown(s: string): void } };
  if (!tslab.display) throw new AutodimError("the notebook helpers run inside a tslab notebook kernel only");
  return tslab.display;
}

export async function show(out: ExperimentOutput): Promise<void> {
  display().markdown(`${out.markdown}\n\n${provenanceMarkdown(out.provenance)}`);
  try {
    for (const [name, fig] of Object.entries(out.figures)) await displayFigure(fig, figureName(out, name));
  } finally {
    await closeFigures();
  }
}

/** A data set's summary: rows and click rate per split, fields and features. */
export function showData(ds: Dataset): void {
  const m = ds.data.manifest;
  const rows = (split: "train" | "val" | "test") =>
    `${m.rows[split].toLocaleString("en")} (click rate ${(m.positives[split] / Math.max(1, m.rows[split])).toFixed(3)})`;
  display().markdown(
    `**${ds.description}** — train ${rows("train")}, validation ${rows("val")}, test ${rows("test")}; ${m.fields.length} fields, ${m.totalFeatures.toLocaleString("en")} features (ids after min-count filtering); ` +
      (isRecorded(ds)
        ? `its raw files are not here: the committed runs' record \`${ds.data.dir}\` stands in (tables rebuild from the saved runs; computing a run needs the raw data).`
        : `prepared in \`${ds.data.dir}\`.`),
  );
}

/** Which of an experiment's runs were computed now and which loaded from results/. */
export function runsLine(out: ExperimentOutput): string {
  if (!out.runs)
    return `${out.name} (${out.scale}): the finished result from results/${out.name}-${out.scale}.json (made with the default settings)`;
  return `${out.name} (${out.scale}): ${out.runs.computed} run(s) computed now, ${out.runs.reused} loaded from results/${out.name}-${out.scale}-runs/`;
}
