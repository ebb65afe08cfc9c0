// What a notebook cell does with an experiment's output: its tables (Markdown) with the
// provenance line, then each figure as plotly JSON + SVG in one output. Runs in tslab only.
import { AutodimError } from "../errors.js";
import { closeFigures, displayFigure, requireFromProgram } from "./figures.js";
import { figureName, provenanceMarkdown, type ExperimentOutput } from "./registry.js";

export async function show(out: ExperimentOutput): Promise<void> {
  const tslab = requireFromProgram("tslab") as { display?: { markdown(s: string): void } };
  if (!tslab.display) throw new AutodimError("show() runs inside a tslab notebook kernel only");
  tslab.display.markdown(`${out.markdown}\n\n${provenanceMarkdown(out.provenance)}`);
  try {
    for (const [name, fig] of Object.entries(out.figures)) await displayFigure(fig, figureName(out, name));
  } finally {
    await closeFigures();
  }
}
