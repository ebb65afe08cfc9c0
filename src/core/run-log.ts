// A log file beside every result: what the console showed while it was made — the command, the
// code version and machine, each finished step's line (epochs, searches, cells), warnings and
// errors. Progress updates that repeat once a second stay on the console only (their final
// line is logged). Several logs may be open at once (an experiment's and the cell it computes);
// each receives every line written while it is open.
import { closeSync, openSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { describeHardware } from "./hardware.js";
import { codeVersion, describeVersion } from "./version.js";

type Write = typeof process.stdout.write;

const open = new Set<number>();
let transient = 0;
// The console writers a log wraps, and the wrappers installed in their place.
let installed: { out: Write; err: Write; teeOut: Write; teeErr: Write } | undefined;

/** Writes `text` to the console only: a progress update that a later final line summarises. */
export function writeTransient(stream: NodeJS.WriteStream, text: string): void {
  transient++;
  try {
    stream.write(text);
  } finally {
    transient--;
  }
}

function tee(write: Write): Write {
  return function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (transient === 0 && open.size > 0) {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
      for (const fd of open) {
        try {
          writeSync(fd, text);
        } catch {
          // A log that cannot be written (disk full) must not stop the run it describes.
        }
      }
    }
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Write;
}

// A host may replace the console writers (tslab does so for every notebook cell): a log wraps
// the writers current when it opens, and hands back only writers that are still its own.
function install(): void {
  if (installed && process.stdout.write === installed.teeOut && process.stderr.write === installed.teeErr) return;
  const out = process.stdout.write;
  const err = process.stderr.write;
  installed = { out, err, teeOut: tee(out), teeErr: tee(err) };
  process.stdout.write = installed.teeOut;
  process.stderr.write = installed.teeErr;
}

function uninstall(): void {
  if (!installed || open.size > 0) return;
  if (process.stdout.write === installed.teeOut) process.stdout.write = installed.out;
  if (process.stderr.write === installed.teeErr) process.stderr.write = installed.err;
  installed = undefined;
}

/** The first lines of a log: what ran, with which code, where and when. */
export function logHeader(what: string): string {
  return [
    `# ${what}`,
    `# command: ${process.argv.slice(1).join(" ")}`,
    `# code: ${describeVersion(codeVersion())}`,
    `# machine: ${describeHardware()}, host ${hostname()}`,
    `# started: ${new Date().toISOString()}`,
    "",
  ].join("\n");
}

/**
 * Logs the console into `file` (replaced) from now until the returned function is called, which
 * writes the closing line (`ok`, or what went wrong) and closes the file.
 */
export function startLog(file: string, what: string): (outcome?: string) => void {
  const fd = openSync(file, "w");
  writeSync(fd, logHeader(what));
  const started = Date.now();
  install();
  open.add(fd);
  let closed = false;
  return (outcome = "ok") => {
    if (closed) return;
    closed = true;
    open.delete(fd);
    try {
      writeSync(
        fd,
        `# finished: ${new Date().toISOString()} after ${((Date.now() - started) / 1000).toFixed(1)} s: ${outcome}\n`,
      );
    } finally {
      closeSync(fd);
      uninstall();
    }
  };
}

/** Runs `work` with the console logged into `file`; the log ends with its outcome either way. */
export async function withLog<T>(file: string, what: string, work: () => Promise<T>): Promise<T> {
  const close = startLog(file, what);
  try {
    const value = await work();
    close("ok");
    return value;
  } catch (e) {
    close(`failed: ${(e as Error).message ?? String(e)}`);
    throw e;
  }
}
