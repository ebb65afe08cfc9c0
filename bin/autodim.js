#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so there is no build step to forget (in a Node started
// with the flags training wants: node-flags.js).
import { dieWithParent, relaunchWithNodeFlags } from "./node-flags.js";

const relaunched = relaunchWithNodeFlags();
if (relaunched) process.exitCode = await relaunched;
else {
  dieWithParent();
  const { register } = await import("tsx/esm/api");
  register();
  const { run } = await import("../src/cli/main.ts");
  process.exitCode = await run(process.argv.slice(2));
}
