// One arithmetic at any thread count: the same command and seed give the same bits — α, plans,
// weights' outcomes, every loss and metric — at --threads 1, 2 and 3, whole batches and batches
// in two parts alike (with two parts and two or more threads the second part runs on a replica
// thread: data-parallel). Real CLI processes, as a user runs them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { smallSyntheticData, tempDir, SLOW } from "../helpers.js";

function autodim(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["bin/autodim.js", ...args], {
    encoding: "utf8",
    // AUTODIM_DATA_PARALLEL=1: a replica even for these small runs (by default only from 200k rows).
    env: { ...process.env, AUTODIM_QUIET: "1", AUTODIM_DATA_PARALLEL: "1", ...env },
  });
  assert.equal(r.status, 0, `autodim ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Timing and machine fields: everything else in a plan or result must be equal. */
const WHERE_AND_WHEN = new Set(["runtime", "seconds", "samplesPerSecond", "wallSeconds", "createdAt"]);

function numbersOf(file: string): unknown {
  return JSON.parse(readFileSync(file, "utf8"), (key, value: unknown) => (WHERE_AND_WHEN.has(key) ? undefined : value));
}

const THREADS = [1, 2, 3];

test(
  "slow: search and re-train give the same bits at 1, 2 and 3 threads, whole batches and in two parts (data-parallel)",
  SLOW,
  async () => {
    const data = await smallSyntheticData();
    const dir = tempDir();
    for (const parts of [1, 2]) {
      const plans = THREADS.map((threads) => {
        const out = join(dir, `plan-p${parts}-t${threads}.json`);
        autodim([
          "search",
          ...["--data", data, "--model", "deepfm", "--out", out, "--seed", "3"],
          ...["--batch-size", "256", "--epochs", "1", "--warmup-steps", "4", "--freq", "2", "--arch-lr", "1e-2"],
          ...["--threads", String(threads), "--batch-parts", String(parts)],
        ]);
        return out;
      });
      const plan = JSON.parse(readFileSync(plans[0], "utf8")) as {
        search: { alphaHistory: { alpha: number[][] }[] };
        runtime: { backend: string };
      };
      // The search did something: α moved from uniform.
      const alpha = plan.search.alphaHistory;
      assert.notDeepEqual(alpha[alpha.length - 1].alpha, alpha[0].alpha);
      for (let i = 1; i < plans.length; i++)
        assert.deepEqual(
          numbersOf(plans[i]),
          numbersOf(plans[0]),
          `plan, ${THREADS[i]} threads vs 1, ${parts} part(s)`,
        );
      if (parts === 2) {
        const backend = (file: string) => (JSON.parse(readFileSync(file, "utf8")) as typeof plan).runtime.backend;
        assert.match(backend(plans[0]), /2 parts \(on 1 thread\)/);
        assert.match(backend(plans[1]), /2 parts \(data-parallel on 2 threads\)/);
      }
      const results = THREADS.map((threads) => {
        const out = join(dir, `result-p${parts}-t${threads}.json`);
        autodim([
          "retrain",
          ...["--data", data, "--model", "deepfm", "--plan", plans[0], "--out", out, "--seed", "3"],
          ...["--batch-size", "256", "--epochs", "2", "--threads", String(threads), "--batch-parts", String(parts)],
        ]);
        return out;
      });
      for (let i = 1; i < results.length; i++)
        assert.deepEqual(
          numbersOf(results[i]),
          numbersOf(results[0]),
          `result, ${THREADS[i]} threads vs 1, ${parts} part(s)`,
        );
    }
    // Two parts are another arithmetic than whole batches (their own BatchNorm statistics).
    assert.notDeepEqual(numbersOf(join(dir, "result-p2-t1.json")), numbersOf(join(dir, "result-p1-t1.json")));
  },
);
