// The CLI's one error boundary: every failure a user can cause ends as one line naming the
// path, field or flag and what to do, with exit code 1 (2 for usage). AUTODIM_DEBUG=1 adds
// the stack trace.
import { AutodimError } from "../core/errors.js";
import { UsageError } from "./args.js";

/** What a filesystem error code means, and what to do about it. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: "no such file or folder",
  EISDIR: "is a folder, where a file is needed: give a file path",
  ENOTDIR: "a part of the path is a file, not a folder",
  EACCES: "permission denied: choose a path you may write, or fix the permissions",
  EPERM: "operation not permitted: choose another path, or fix the permissions",
  EROFS: "the filesystem is read-only: choose a path on a writable disk",
  ENOSPC: "no space left on the device: free space or choose another disk",
  EDQUOT: "disk quota exceeded: free space or choose another disk",
  EEXIST: "already exists",
  ENAMETOOLONG: "the path is too long",
  EMFILE: "too many open files: raise the limit (ulimit -n)",
  EBUSY: "the file is busy",
};

/** Control bytes (a binary input echoed in a message) escaped as \xNN; line ends kept. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) =>
    c === "\r" ? "\\r" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** One line for a Node system error (path and meaning), or undefined when `err` is not one. */
export function describeSystemError(err: unknown, withPath = true): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (!e || typeof e.code !== "string" || !(e.code in SYSTEM_ERRORS)) return undefined;
  const path = withPath ? (e.path ?? (e as { dest?: string }).dest) : undefined;
  return `${path ? `${path}: ` : ""}${SYSTEM_ERRORS[e.code]} (${e.code}${e.syscall ? ` in ${e.syscall}` : ""})`;
}

/** Prints `err` as the CLI does and returns the exit code. */
export function reportError(
  command: string | undefined,
  err: unknown,
  write: (s: string) => void = (s) => process.stderr.write(s),
): number {
  const debug = process.env.AUTODIM_DEBUG === "1";
  const stack = debug && err instanceof Error && err.stack ? `\n${err.stack}` : "";
  if (err instanceof UsageError) {
    const first = escapeControl(err.message.replace(/^autodim [\w-]+: /, ""));
    write(
      `autodim${command ? ` ${command}` : ""}: ${first}\nsee \`autodim ${command && command !== "help" ? `${command} ` : ""}--help\`${stack}\n`,
    );
    return 2;
  }
  const system = describeSystemError(err);
  if (system !== undefined) {
    write(`autodim ${command}: ${escapeControl(system)}${stack}\n`);
    return 1;
  }
  if (err instanceof AutodimError) {
    write(`autodim ${command}: ${escapeControl(err.message)}${stack}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(
    `autodim ${command}: internal error: ${escapeControl(message.split("\n")[0])}${debug ? stack : " (AUTODIM_DEBUG=1 shows the stack trace; please report it)"}\n`,
  );
  return 1;
}
