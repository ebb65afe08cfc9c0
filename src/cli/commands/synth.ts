// `autodim synth`: planted-rank synthetic rows in raw Criteo layout, with the truth file of their
// ranks beside them. One command per file (src/cli/main.ts dispatches).
import { DEFAULT_SYNTH_ROWS } from "../../experiments/datasets.js";
import { DEFAULT_SEED } from "../../methods/defaults.js";
import { FIELD_NAMES, generateSynthetic, MAX_RANK } from "../../data/synthetic.js";
import { intFlag, intListFlag, parseFlags, requireString, UsageError } from "../args.js";
import { checkOutputClashes } from "../outputs.js";

/** Writes planted-rank synthetic data (`--out`) and its truth file (`--out`.truth.json). */
export async function synthCommand(argv: string[]): Promise<void> {
  const f = parseFlags("synth", argv, {
    rows: { type: "string" },
    seed: { type: "string" },
    ranks: { type: "string" },
    out: { type: "string" },
  });
  const ranks = intListFlag(f, "ranks", 0, MAX_RANK);
  if (ranks && ranks.length !== FIELD_NAMES.length)
    throw new UsageError(`--ranks needs ${FIELD_NAMES.length} values (I1..I13, C1..C26), got ${ranks.length}`);
  const out = requireString(f, "out");
  checkOutputClashes(
    [],
    [
      { flag: "--out", path: out },
      { flag: "--out's truth file", path: `${out}.truth.json` },
    ],
  );
  const truth = await generateSynthetic(out, {
    rows: intFlag(f, "rows", DEFAULT_SYNTH_ROWS, 1),
    seed: intFlag(f, "seed", DEFAULT_SEED, 0),
    ranks,
  });
  console.log(
    `wrote ${out} (${truth.rows} rows, click rate ${truth.clickRate.toFixed(4)}, ceiling AUC ${truth.ceilingAuc.toFixed(4)}) and ${out}.truth.json`,
  );
}
