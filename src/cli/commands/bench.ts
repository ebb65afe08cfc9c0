// `autodim bench`: the training workload's speed (search and retrain samples/s at each thread
// count, the PyTorch peer's), step time against vocabulary size, prepare's encode rate, and the
// paper-scale rehearsal. One command per file (src/cli/main.ts dispatches); the workloads are in
// src/bench/.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchPrepare } from "../../bench/prepare.js";
import { PAPER_TABLE_WORK, paperProjection, REHEARSAL_ROWS, rehearse } from "../../bench/rehearsal.js";
import {
  BENCH_BATCH,
  benchRetrain,
  benchSearch,
  benchVocabScaling,
  runPeer,
  type PhaseRun,
} from "../../bench/training.js";
import { backendLabel, initRuntime, setComputeThreads } from "../../accel/index.js";
import { describeHardware, hardwareInfo } from "../../core/hardware.js";
import { codeVersion } from "../../core/version.js";
import { intFlag, intListFlag, nameListFlag, parseFlags, UsageError } from "../args.js";

/** Measures the parts --only names and prints them (or one JSON report with --json). */
export async function benchCommand(argv: string[]): Promise<void> {
  const f = parseFlags("bench", argv, {
    rows: { type: "string" },
    steps: { type: "string" },
    json: { type: "boolean" },
    peer: { type: "boolean" },
    only: { type: "string" },
    dir: { type: "string" },
    keep: { type: "boolean" },
    threads: { type: "string" },
    split: { type: "string" },
  });
  // The rehearsal (a whole run at 10M rows: about an hour) runs only when asked for.
  const parts = ["search", "retrain", "scaling", "prepare", "rehearsal"] as const;
  const only = typeof f.only === "string" ? f.only.split(",") : parts.filter((p) => p !== "rehearsal");
  for (const p of only)
    if (!(parts as readonly string[]).includes(p))
      throw new UsageError(`--only: ${p} is not one of ${parts.join(", ")}`);
  if (only.includes("rehearsal") && only.includes("prepare") && f.rows !== undefined)
    throw new UsageError("--rows applies to one of prepare and rehearsal: run them in separate commands");
  const rows = intFlag(f, "rows", only.includes("rehearsal") ? REHEARSAL_ROWS : 1_000_000, 1000);
  const steps = intFlag(f, "steps", 60, 10, 100000);
  const info = await initRuntime();
  const quiet = f.json === true;
  const say = (line: string) => {
    if (!quiet) console.log(line);
  };
  say(`hardware ${describeHardware()}; backend ${backendLabel(info)}; sparse tables ${info.sparseTables}`);
  const rss = () => process.resourceUsage().maxRSS / 1024;
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    backend: backendLabel(info),
    matmul: info.matmul,
    sparseTables: info.sparseTables,
    hardware: hardwareInfo(),
    steps,
  };
  // Each phase at every thread count asked for (default 1 and 2), the peer likewise; the
  // ratios are taken within this run.
  const threadCounts = intListFlag(f, "threads", 1, 64) ?? [1, 2];
  // batch: batches in two parts (data-parallel on two threads, one after the other on one);
  // ops: whole batches. Each at every thread count, so a ratio compares the same arithmetic.
  const splits = (nameListFlag(f, "split") ?? ["batch"]).map((name) => {
    if (name !== "batch" && name !== "ops") throw new UsageError(`--split: ${name} is not one of batch, ops`);
    return name;
  });
  const runs: { threads: number; split: "batch" | "ops"; search?: PhaseRun; retrain?: PhaseRun }[] = [];
  for (const threads of threadCounts)
    for (const split of splits) {
      setComputeThreads(threads);
      const run: (typeof runs)[number] = { threads, split };
      const how = (r: PhaseRun) =>
        `${threads} thread${threads === 1 ? "" : "s"}, ${r.batchParts > 1 ? `batches in ${r.batchParts} parts on ${r.partThreads} thread${r.partThreads === 1 ? "" : "s"}` : "whole batches"}`;
      if (only.includes("search")) {
        const r = (run.search = await benchSearch({ steps, split }));
        say(
          `search  (DeepFM, 39 fields, 1,086,810 features, batch ${BENCH_BATCH}), ${how(r)}: ${r.samplesPerSecond.toFixed(0)} samples/s, ${r.stepMs.toFixed(0)} ms/step; peak RSS ${rss().toFixed(0)} MB (target ≤ 2048); live tensors +${r.tensorGrowth} over the timed steps`,
        );
      }
      if (only.includes("retrain")) {
        const r = (run.retrain = await benchRetrain({ steps, split }));
        say(
          `retrain (DeepFM, random plan, linear projection), ${how(r)}: ${r.samplesPerSecond.toFixed(0)} samples/s, ${r.stepMs.toFixed(0)} ms/step; live tensors +${r.tensorGrowth}`,
        );
      }
      runs.push(run);
    }
  setComputeThreads(threadCounts[0]);
  if (runs[0].search) report.search = { ...runs[0].search, peakRssMB: rss() };
  if (runs[0].retrain) report.retrain = runs[0].retrain;
  report.threads = runs;
  const best = (phase: "search" | "retrain") => Math.max(0, ...runs.map((r) => r[phase]?.samplesPerSecond ?? 0));
  const at = (phase: "search" | "retrain", threads: number, split: "batch" | "ops") =>
    runs.find((r) => r.threads === threads && r.split === split)?.[phase]?.samplesPerSecond;
  // Ratios of the same arithmetic (a seed gives the same bits at 1 and 2 threads): the first
  // split asked for as `<phase>2vs1`, the other as `<phase>2vs1<Split>`; and what two threads in
  // parts gain over one thread with whole batches, `<phase>BatchVsWhole`.
  const ratio: Record<string, number | undefined> = {};
  if (threadCounts.includes(1) && threadCounts.includes(2))
    for (const phase of ["search", "retrain"] as const) {
      splits.forEach((split, i) => {
        const one = at(phase, 1, split);
        const two = at(phase, 2, split);
        if (one && two) ratio[`${phase}2vs1${i === 0 ? "" : split === "ops" ? "Ops" : "Batch"}`] = two / one;
      });
      const whole = at(phase, 1, "ops");
      const parts = at(phase, 2, "batch");
      if (whole && parts) ratio[`${phase}BatchVsWhole`] = parts / whole;
    }
  if (ratio.search2vs1 !== undefined || ratio.retrain2vs1 !== undefined)
    say(
      `2 threads ÷ 1, same arithmetic (${splits[0] === "batch" ? "batches in 2 parts" : "whole batches"}): search ${ratio.search2vs1?.toFixed(2) ?? "–"} (target ≥ 1.4), retrain ${ratio.retrain2vs1?.toFixed(2) ?? "–"} (target ≥ 1.4)`,
    );
  for (const [key, text] of [
    ["2vs1Ops", "2 threads ÷ 1, whole batches"],
    ["2vs1Batch", "2 threads ÷ 1, batches in 2 parts"],
    ["BatchVsWhole", "2 threads in 2 parts ÷ 1 thread with whole batches"],
  ] as const)
    if (ratio[`search${key}`] !== undefined || ratio[`retrain${key}`] !== undefined)
      say(
        `${text}: search ${ratio[`search${key}`]?.toFixed(2) ?? "–"}, retrain ${ratio[`retrain${key}`]?.toFixed(2) ?? "–"}`,
      );
  if (f.peer) {
    say(`running the PyTorch reference (bench/autodim_torch_reference.py) at ${threadCounts.join(", ")} threads ...`);
    const peers = threadCounts.map((threads) => ({ threads, ...runPeer(steps, undefined, threads) }));
    report.peer = peers[0];
    report.peers = peers;
    const available = peers.filter((p) => p.available);
    if (available.length === 0) say(`peer skipped: ${peers[0].message}`);
    else {
      for (const p of available) say(`peer ${p.message}: search ${p.search} samples/s, retrain ${p.retrain} samples/s`);
      // Ours at its best thread count against PyTorch at its best.
      const peerBest = (phase: "search" | "retrain") => Math.max(0, ...available.map((p) => p[phase] ?? 0));
      for (const phase of ["search", "retrain"] as const)
        if (best(phase) > 0 && peerBest(phase) > 0) ratio[phase] = best(phase) / peerBest(phase);
      say(
        `ours ÷ PyTorch, each at its best thread count: search ${ratio.search?.toFixed(2) ?? "–"} (target ≥ 3), retrain ${ratio.retrain?.toFixed(2) ?? "–"} (target ≥ 2)`,
      );
    }
  }
  report.ratio = ratio;
  if (only.includes("scaling")) {
    const { points, hugePagesMB } = benchVocabScaling([100_000, 1_000_000, 10_000_000], steps);
    report.scaling = { points, ratio: points[points.length - 1].searchStepMs / points[0].searchStepMs, hugePagesMB };
    for (const p of points)
      say(`search step at ${p.totalFeatures.toLocaleString("en")} features: ${p.searchStepMs.toFixed(0)} ms`);
    if (hugePagesMB !== undefined)
      say(
        `memory on transparent huge pages with the three workloads built: ${hugePagesMB.toFixed(0)} MB (sparse tables ${info.sparseTables})`,
      );
    say(`step time 10M ÷ 100k features: ${(report.scaling as { ratio: number }).ratio.toFixed(2)} (target ≤ 1.15)`);
  }
  if (only.includes("prepare")) {
    const r = await benchPrepare(rows);
    report.prepare = r;
    say(
      `prepare (raw Criteo layout, ${r.rows} rows, ${r.megabytes.toFixed(0)} MB): pass 1 count ${r.countMBps.toFixed(0)} MB/s, pass 2 encode ${r.encodeMBps.toFixed(0)} MB/s (target ≥ 100), total ${r.totalSeconds.toFixed(1)} s`,
    );
  }
  if (only.includes("rehearsal")) {
    const dir = typeof f.dir === "string" ? f.dir : mkdtempSync(join(tmpdir(), "autodim-rehearsal-"));
    say(`rehearsal: ${rows.toLocaleString("en")} rows into ${dir} (removed afterwards unless --keep)`);
    const r = await rehearse({ rows, dir, keep: f.keep === true, say });
    const projection = paperProjection(r);
    report.rehearsal = { ...r, projection, assumptions: PAPER_TABLE_WORK, code: codeVersion() };
    say(
      `rehearsal: ${r.totalFeatures.toLocaleString("en")} features after min count 10; raw ${r.disk.rawMB.toFixed(0)} MB, prepared ${r.disk.preparedMB.toFixed(0)} MB; peak RSS ${r.peakRssMB.toFixed(0)} MB (target < 4096)`,
    );
    say(
      `the paper's main table (Criteo + Avazu, 3 models × 3 seeds × 10 methods; assumptions in PAPER_TABLE_WORK): ${projection.cpuHours.toFixed(0)} CPU-hours, longest run ${projection.longestCellHours.toFixed(1)} h; ${projection.days.map((d) => `${d.nodes} node${d.nodes === 1 ? "" : "s"}: ${d.days.toFixed(1)} days`).join(", ")}`,
    );
  }
  report.peakRssMB = rss();
  if (quiet) console.log(JSON.stringify(report, null, 2));
}
