// The code version in every result: the commit, and whether the code that computes results
// (not the results, figures or prose themselves) had uncommitted changes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { codeVersion, describeVersion } from "../../src/core/version.js";
import { tempDir } from "../helpers.js";

function repo(): string {
  const dir = tempDir();
  const git = (...args: string[]) => {
    const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  git("init", "-q");
  mkdirSync(join(dir, "src"));
  mkdirSync(join(dir, "results"));
  writeFileSync(join(dir, "src", "a.ts"), "export const a = 1;\n");
  writeFileSync(join(dir, "results", "r.md"), "old\n");
  git("add", ".");
  git("commit", "-qm", "x");
  return dir;
}

test("code version: the commit; a changed source marks it dirty, a rewritten result does not; outside git it is not recorded", () => {
  const clean = repo();
  const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: clean, encoding: "utf8" }).stdout.trim();
  writeFileSync(join(clean, "results", "r.md"), "re-assembled\n");
  assert.deepEqual(codeVersion(clean), { commit: head, dirty: false });
  assert.equal(describeVersion(codeVersion(clean)), head.slice(0, 7));

  const edited = repo();
  writeFileSync(join(edited, "src", "a.ts"), "export const a = 2;\n");
  assert.equal(codeVersion(edited).dirty, true);
  assert.match(describeVersion(codeVersion(edited)), /^[0-9a-f]{7}\+uncommitted changes$/);

  const none = tempDir();
  assert.deepEqual(codeVersion(none), { commit: "unknown", dirty: false });
  assert.equal(describeVersion(codeVersion(none)), "not recorded");
});
