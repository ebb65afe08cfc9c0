// V8 flags for every process that trains (the CLI, the notebook kernel). They only take effect
// when Node starts, so the CLI starts itself once more when they are missing.
//
// A training step leaves a few MB of short-lived JS objects (tfjs's tensors, tape and kernel
// bookkeeping). With V8's default 16 MB semi-space they fill it every few steps, survivors get
// promoted and later cost full collections; with a data-parallel replica every such pause on
// the main thread holds the replica as well. 64 MB: the two-thread re-train went from a median
// of 36.1k to 42.8k samples/s, one thread +2% (bench/README.md, "Both cores in one run").
import { spawn } from "node:child_process";
import { Worker } from "node:worker_threads";

export const NODE_FLAGS = ["--max-semi-space-size=64"];

/** Set for the relaunched child (and removed by it, so its own children do not see it). */
const RELAUNCHED = "AUTODIM_RELAUNCHED";

/** Flags of NODE_FLAGS this process was started without (by name: a value given by the user stands). */
function missingFlags() {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  return NODE_FLAGS.filter((flag) => {
    const name = flag.split("=")[0];
    return !given.some((g) => g === name || g.startsWith(`${name}=`));
  });
}

/**
 * Runs this same script again in a child Node with the missing flags, forwarding signals, and
 * resolves to its exit code; undefined when nothing is missing (go on in this process).
 * A child killed by a signal ends this process by the same signal.
 */
export function relaunchWithNodeFlags() {
  const missing = missingFlags();
  if (missing.length === 0) return undefined;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...missing, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: "inherit",
      env: { ...process.env, [RELAUNCHED]: "1" },
    });
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
    const forward = (signal) => child.kill(signal);
    for (const s of signals) process.on(s, forward);
    child.on("error", (err) => {
      process.stderr.write(`autodim: could not start ${process.execPath}: ${err.message}\n`);
      resolve(1);
    });
    child.on("exit", (code, signal) => {
      for (const s of signals) process.off(s, forward);
      if (signal) process.kill(process.pid, signal);
      else resolve(code ?? 1);
    });
  });
}

/**
 * In a relaunched child: ends this process soon after the one that started it is gone (a
 * SIGKILL'ed CLI must stop its work, as it did before the relaunch). A thread of its own looks
 * every 100 ms (the main thread may not yield for a whole training epoch): a parent that died
 * leaves this process to another one.
 */
export function dieWithParent() {
  if (process.env[RELAUNCHED] !== "1") return;
  delete process.env[RELAUNCHED];
  const watcher = new Worker(
    `const parent = process.ppid;
     setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, "SIGKILL"); }, 100);`,
    { eval: true },
  );
  watcher.unref();
}
