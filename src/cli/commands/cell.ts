// `autodim cell`: one run cell of an experiment computed and saved, the unit a scheduler runs
// (`reproduce --list-cells`, `--slurm`). One command per file (src/cli/main.ts dispatches).
import { SCALES } from "../../experiments/datasets.js";
import { EXPERIMENTS } from "../../experiments/registry.js";
import { choiceFlag, parseFlags, UsageError } from "../args.js";
import { threadsFlag } from "../flags.js";
import { runOneCell } from "../schedule.js";

/** Computes one run cell (of the first stage with unsaved cells); `cellCommand` in ../schedule.ts is its shell line. */
export async function computeCellCommand(argv: string[]): Promise<void> {
  const [experiment, indexText, ...rest] = argv;
  const f = parseFlags("cell", rest, { scale: { type: "string" }, threads: { type: "string" } });
  threadsFlag(f);
  if (!experiment || !(experiment in EXPERIMENTS))
    throw new UsageError(`cell: the experiment must be one of ${Object.keys(EXPERIMENTS).join(", ")}`);
  if (indexText === undefined || !/^\d+$/.test(indexText))
    throw new UsageError(`cell: the cell index must be a whole number ≥ 0, got ${JSON.stringify(indexText ?? "")}`);
  const scale = choiceFlag(f, "scale", SCALES, "quick");
  const done = await runOneCell(experiment, scale, Number(indexText));
  if (!done) console.log(`${experiment} (${scale}): every cell is saved; nothing to compute`);
  else
    console.log(
      `${experiment} (${scale}) cell ${done.cell.index} (${done.cell.key}): ${done.computed ? "computed" : "saved already"} → ${done.cell.file}`,
    );
}
