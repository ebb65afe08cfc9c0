#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so there is no build step to forget (in a Node started
// with the flags training wants: node-flags.js).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dieWithParent, relaunchWithNodeFlags } from "./node-flags.js";

// --version answers at once: no relaunch, no TypeScript loaded.
if (process.argv[2] === "--version" || process.argv[2] === "-v") {
  const root = new URL("..", import.meta.url);
  const { version } = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
  const git = (...args) => spawnSync("git", args, { cwd: root, encoding: "utf8" });
  const head = git("rev-parse", "--short", "HEAD");
  const dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", "bin", "native", "package.json");
  const commit =
    head.status === 0 ? ` (commit ${head.stdout.trim()}${dirty.stdout.trim() ? ", uncommitted changes" : ""})` : "";
  console.log(`autodim ${version}${commit}; node ${process.version}`);
  process.exit(0);
}

const relaunched = relaunchWithNodeFlags();
if (relaunched) process.exitCode = await relaunched;
else {
  dieWithParent();
  const { register } = await import("tsx/esm/api");
  register();
  const { run } = await import("../src/cli/main.ts");
  process.exitCode = await run(process.argv.slice(2));
}
