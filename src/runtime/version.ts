// The code version a result was made with: the git commit and whether the work tree had
// uncommitted changes to tracked files (then the commit alone does not reproduce it).
import { spawnSync } from "node:child_process";

export interface CodeVersion {
  /** The commit hash, or "unknown" outside a git checkout. */
  commit: string;
  /** Tracked files differed from the commit. */
  dirty: boolean;
}

let cached: CodeVersion | undefined;

export function codeVersion(): CodeVersion {
  if (cached) return cached;
  const git = (...args: string[]) => spawnSync("git", args, { encoding: "utf8", timeout: 10_000 });
  const head = git("rev-parse", "HEAD");
  if (head.status !== 0) return (cached = { commit: "unknown", dirty: false });
  const status = git("status", "--porcelain", "--untracked-files=no");
  return (cached = { commit: head.stdout.trim(), dirty: status.status !== 0 || status.stdout.trim() !== "" });
}

/** "8b55360" or "8b55360+dirty". */
export function describeVersion(v: CodeVersion): string {
  return v.commit === "unknown" ? "not recorded" : `${v.commit.slice(0, 7)}${v.dirty ? "+uncommitted changes" : ""}`;
}
