// `autodim start` (`npm start`): every experiment at smoke scale, then the main job beside the
// committed results. One command per file (src/cli/main.ts dispatches); the job is ../start.ts.
import { parseFlags } from "../args.js";
import { START_DIR, startJob } from "../start.js";

/** Runs what `npm start` runs into --dir. */
export async function startCommand(argv: string[]): Promise<void> {
  const f = parseFlags("start", argv, { dir: { type: "string" } });
  await startJob(typeof f.dir === "string" ? f.dir : START_DIR);
}
