// `autodim main`: the 5-minute end-to-end job on the default (synthetic) data. One command per
// file (src/cli/main.ts dispatches); the job is ../mainjob.ts.
import { join } from "node:path";
import { DEFAULT_SYNTH_ROWS } from "../../experiments/datasets.js";
import { DEFAULT_SEED } from "../../methods/defaults.js";
import { MODEL_NAMES } from "../../models/ctr.js";
import { choiceFlag, intFlag, parseFlags } from "../args.js";
import { threadsFlag } from "../flags.js";
import { describeMainJob, runMainJob } from "../mainjob.js";

/** Runs the main job and prints its comparison. */
export async function mainCommand(argv: string[]): Promise<void> {
  const f = parseFlags("main", argv, {
    rows: { type: "string" },
    seed: { type: "string" },
    dir: { type: "string" },
    model: { type: "string" },
    threads: { type: "string" },
  });
  threadsFlag(f);
  const rows = intFlag(f, "rows", DEFAULT_SYNTH_ROWS, 1000);
  const seed = intFlag(f, "seed", DEFAULT_SEED, 0);
  const model = choiceFlag(f, "model", MODEL_NAMES, "fm");
  const dir = typeof f.dir === "string" ? f.dir : join("data", "synthetic");
  console.log(`\n${describeMainJob(await runMainJob({ rows, seed, model, dir }))}`);
}
