// Writing files so that a reader (or a resumed run after a crash) never sees half of one.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";

/** Writes `text` (or bytes) to a temporary file beside `path`, fsyncs it and renames it into place. */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    try {
      if (typeof text === "string") writeSync(fd, text);
      else writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    // A full disk or a target that is a folder: no half-written file is left behind.
    rmSync(tmp, { force: true });
    throw err;
  }
}
