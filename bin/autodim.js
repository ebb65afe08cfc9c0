#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so there is no build step to forget (in a Node started
// with the flags training wants: node-flags.js).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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

// Help answers from a cache when the code it is generated from has not changed since: loading
// the CLI (tsx, tfjs, every schema) takes seconds, the cached text milliseconds.
const helpCache = helpCacheFile(process.argv.slice(2));
if (helpCache && existsSync(helpCache)) {
  const { code, text } = JSON.parse(readFileSync(helpCache, "utf8"));
  process.stdout.write(text);
  process.exit(code);
}
if (helpCache) process.env.AUTODIM_HELP_CACHE = helpCache;

const relaunched = relaunchWithNodeFlags();
if (relaunched) process.exitCode = await relaunched;
else {
  dieWithParent();
  const { register } = await import("tsx/esm/api");
  register();
  const { run } = await import("../src/cli/main.ts");
  process.exitCode = await run(process.argv.slice(2));
}

/**
 * The cache file of a help request (`--help`, `-h`, `help [command]`, `<command> --help`), named
 * by the request and the size and mtime of every source file the help is made from; undefined
 * for any other command line.
 */
function helpCacheFile(argv) {
  const [name, ...rest] = argv;
  const isHelp =
    name === "help" || name === "--help" || name === "-h" || rest.includes("--help") || rest.includes("-h");
  if (!isHelp) return undefined;
  const root = fileURLToPath(new URL("..", import.meta.url));
  const hash = createHash("sha256").update(JSON.stringify(argv));
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const st = statSync(path);
        hash.update(`${path}:${st.size}:${st.mtimeMs}\n`);
      }
    }
  };
  try {
    walk(join(root, "src"));
    hash.update(String(statSync(join(root, "package.json")).mtimeMs));
  } catch {
    return undefined;
  }
  return join(root, "node_modules", ".cache", "autodim-help", `${hash.digest("hex").slice(0, 24)}.json`);
}
