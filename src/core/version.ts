// The code version a result was made with: the git commit and whether the work tree had
// uncommitted changes to the tracked files that compute results (then the commit alone does not
// reproduce it). Results, figures, notebooks and prose are not among them: re-assembling a
// committed result rewrites its own files, which must not mark the code as changed.
import { spawnSync } from "node:child_process";

export interface CodeVersion {
  /** The commit hash, or "unknown" outside a git checkout. */
  commit: string;
  /** Tracked code (CODE_PATHS) differed from the commit. */
  dirty: boolean;
}

/** What computes a result: the sources, the native addons, the CLI and the dependency pins. */
export const CODE_PATHS = ["src", "bin", "native", "package.json", "package-lock.json", "tsconfig.json"];

const cached = new Map<string, CodeVersion>();

/** The version of the checkout at `cwd` (default: the working directory), looked up once per process. */
export function codeVersion(cwd = process.cwd()): CodeVersion {
  const known = cached.get(cwd);
  if (known) return known;
  const git = (...args: string[]) => spawnSync("git", args, { cwd, encoding: "utf8", timeout: 10_000 });
  const head = git("rev-parse", "HEAD");
  const status = git("status", "--porcelain", "--untracked-files=no", "--", ...CODE_PATHS);
  const v =
    head.status !== 0
      ? { commit: "unknown", dirty: false }
      : { commit: head.stdout.trim(), dirty: status.status !== 0 || status.stdout.trim() !== "" };
  cached.set(cwd, v);
  return v;
}

/** "8b55360" or "8b55360+dirty". */
export function describeVersion(v: CodeVersion): string {
  return v.commit === "unknown" ? "not recorded" : `${v.commit.slice(0, 7)}${v.dirty ? "+uncommitted changes" : ""}`;
}
