// The prose's reader of committed results and its number formats (Unicode minus, explicit plus
// on differences), shared by every generated block (prose-*.ts; prose.ts fills them in).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AutodimError } from "../core/errors.js";
import { RESULTS_DIR } from "./report.js";
import type { SavedResult } from "./remake.js";

/** Reads committed results by file name (`efficiency-quick`), once each. */
export class Results {
  private cache = new Map<string, SavedResult>();
  constructor(readonly dir = RESULTS_DIR) {}
  /** Whether results/<name>.json exists (a block about an experiment not yet run says so). */
  has(name: string): boolean {
    return this.cache.has(name) || existsSync(join(this.dir, `${name}.json`));
  }
  get(name: string): SavedResult {
    let r = this.cache.get(name);
    if (!r) {
      const file = join(this.dir, `${name}.json`);
      if (!existsSync(file)) throw new AutodimError(`${file}: no such result (a generated block reads it)`);
      r = JSON.parse(readFileSync(file, "utf8")) as SavedResult;
      this.cache.set(name, r);
    }
    return r;
  }
  payload<T>(name: string): T {
    return this.get(name).result as T;
  }
}

/** A generated block: its text from the committed results. */
export type Block = (r: Results) => string;

export const minus = (s: string) => s.replace(/^-/, "−");
/** 0.80723 → "0.8072". */
export const fix = (x: number, d = 4) => minus(x.toFixed(d));
/** A difference: "+0.0012", "−0.0016". */
export const signed = (x: number, d = 4) => (x >= 0 ? `+${x.toFixed(d)}` : minus(x.toFixed(d)));
/** A share: 0.352 → "35.2%". */
export const pct = (x: number, d = 1) => `${minus((100 * x).toFixed(d))}%`;
/** "a–b" of the smallest and largest, formatted; one value when they print the same. */
export function range(xs: number[], f: (x: number) => string): string {
  const lo = f(Math.min(...xs));
  const hi = f(Math.max(...xs));
  return lo === hi ? lo : `${lo}–${hi}`;
}

/** A difference with its interval: "−0.0016 [−0.0027, −0.0005]". */
export function interval(d: { delta: number; low: number; high: number }): string {
  return `${signed(d.delta)} [${signed(d.low)}, ${signed(d.high)}]`;
}

/** 12345.6 → "12,346". */
export const int = (x: number) => Math.round(x).toLocaleString("en");
/** A bootstrap verdict as a sentence says it. */
export const verdictWord = (v: string) => (v === "no difference detected" ? "no difference" : v);
