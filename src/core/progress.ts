// Progress lines on stderr for long work: rate and ETA, at most one line a second, so a
// log stays readable when stderr is a file. `AUTODIM_QUIET=1` silences them. Only the final
// line reaches a run's log file (run-log.ts); the updates are for the console.
import { writeTransient } from "./run-log.js";

export class Progress {
  private readonly started = Date.now();
  private lastPrint = Date.now();
  private readonly quiet: boolean;

  /**
   * @param label what is being done ("prepare pass 1/2")
   * @param total the amount of work in `unit`s, if known (for the ETA)
   * @param unit the unit of `done` ("MB", "rows", "steps")
   */
  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly unit: string,
    opts: { quiet?: boolean } = {},
  ) {
    this.quiet = opts.quiet ?? process.env.AUTODIM_QUIET === "1";
  }

  /** Reports `done` units so far; `extra` is appended (e.g. "loss 0.45"). */
  update(done: number, extra = ""): void {
    const now = Date.now();
    if (this.quiet || now - this.lastPrint < 1000) return;
    this.lastPrint = now;
    this.print(done, extra, now);
  }

  /** Always prints a final line. */
  finish(done: number, extra = ""): void {
    if (!this.quiet) this.print(done, extra, Date.now(), true);
  }

  elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  private print(done: number, extra: string, now: number, final = false): void {
    const secs = Math.max((now - this.started) / 1000, 1e-9);
    const rate = done / secs;
    let line = `${this.label}: ${formatAmount(done)}${this.total ? ` / ${formatAmount(this.total)}` : ""} ${this.unit}`;
    line += `, ${formatAmount(rate)} ${this.unit}/s`;
    if (final) line += `, ${secs.toFixed(1)} s`;
    else if (this.total && rate > 0) line += `, ETA ${formatDuration((this.total - done) / rate)}`;
    if (extra) line += `, ${extra}`;
    if (final) process.stderr.write(line + "\n");
    else writeTransient(process.stderr, line + "\n");
  }
}

function formatAmount(x: number): string {
  if (x >= 100) return Math.round(x).toLocaleString("en-US");
  return x.toFixed(x >= 10 ? 1 : 2);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
