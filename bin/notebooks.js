#!/usr/bin/env node
// Runs notebooks through the tslab kernel (see src/notebooks/run.ts), via tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/notebooks/run.ts");
process.exitCode = await main(process.argv.slice(2));
