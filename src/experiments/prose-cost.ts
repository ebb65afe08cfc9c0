// Generated prose on cost: what the committed runs recorded as run time (what a full
// reproduction recomputes), for README.md and `npm start`.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RESULTS_DIR } from "./report.js";
import type { Block } from "./prose-format.js";

/**
 * Seconds a saved run cell records (its trainings' and searches' wall times), or undefined.
 * `selectionElsewhere`: the selection a re-train records ran in another cell of the folder
 * (experiment 14's probe cells), so it is not counted twice.
 */
function cellSeconds(cell: unknown, selectionElsewhere = false): number | undefined {
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
  // Shrink's probe and warm cells (experiment 14): the full model, its probes, each warm fine-tune.
  add(runtime(v.full));
  add(v.probeSeconds);
  if (Array.isArray(v.warm)) for (const w of v.warm) add(runtime(w));
  if (!selectionElsewhere) add((v.selection as { seconds?: number } | undefined)?.seconds);
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
        const s = cellSeconds(JSON.parse(readFileSync(join(dir, folder, f), "utf8")), folder.startsWith("beyond-"));
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

/** The README's total run time, per experiment. */
export const COST_BLOCKS: Record<string, Block> = {
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
};
