// `autodim reproduce`: the notebooks' experiments without Jupyter, one or all, with settings from
// flags or a config file; also their run cells listed for a scheduler, sent to Slurm, or awaited.
// One command per file (src/cli/main.ts dispatches); the cells' scheduling is in ../schedule.ts.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SCALES } from "../../experiments/datasets.js";
import { closeFigures, FIGURES_DIR } from "../../experiments/figures.js";
import { flagOverrides, overridesLabel, readConfigFile } from "../../experiments/overrides.js";
import type { Experiment } from "../../experiments/experiment.js";
import { finishedResult, saveOutput } from "../../experiments/output-files.js";
import { EXPERIMENTS, experimentData, experimentDataMissing } from "../../experiments/registry.js";
import { RESULTS_DIR } from "../../experiments/report.js";
import { useCheckpoints } from "../../experiments/settings.js";
import { AutodimError } from "../../core/errors.js";
import { runNotebook, selectNotebooks } from "../../notebooks/run.js";
import { withLog } from "../../core/run-log.js";
import { choiceFlag, intFlag, parseFlags, UsageError } from "../args.js";
import { checkpointFlags, checkpointOutput, resolvedSettings, threadsFlag } from "../flags.js";
import { checkOutputClashes, checkOutputFolder } from "../outputs.js";
import { cellCommand, jobActive, listCells, missingReport, readSubmissions, submitSlurm } from "../schedule.js";

/** Runs experiments (or lists, submits or awaits their cells) and saves their tables and figures. */
export async function reproduceCommand(argv: string[]): Promise<void> {
  const positional = argv[0] !== undefined && !argv[0].startsWith("-") ? argv[0] : undefined;
  const f = parseFlags("reproduce", positional ? argv.slice(1) : argv, {
    scale: { type: "string" },
    force: { type: "boolean" },
    out: { type: "string" },
    "figures-out": { type: "string" },
    "checkpoint-dir": { type: "string" },
    "checkpoint-every": { type: "string" },
    resume: { type: "boolean" },
    notebooks: { type: "boolean" },
    "list-cells": { type: "boolean" },
    slurm: { type: "boolean" },
    partition: { type: "string" },
    time: { type: "string" },
    cpus: { type: "string" },
    "dry-run": { type: "boolean" },
    wait: { type: "boolean" },
    threads: { type: "string" },
    config: { type: "string" },
    seeds: { type: "string" },
    models: { type: "string" },
    methods: { type: "string" },
  });
  threadsFlag(f);
  useCheckpoints(checkpointFlags(f));
  if (f.notebooks && (f.out !== undefined || f["figures-out"] !== undefined))
    throw new UsageError(
      "--notebooks regenerates the committed notebooks from results/ and figures/: it cannot be combined with --out or --figures-out",
    );
  const names = Object.keys(EXPERIMENTS);
  const which = positional ?? "all";
  if (which !== "all" && !names.includes(which))
    throw new UsageError(
      `reproduce: the experiment must be one of ${names.join(", ")}, all; got ${JSON.stringify(which)}`,
    );
  const scale = choiceFlag(f, "scale", SCALES, "quick");
  // Settings from a config file and flags (flags > file > defaults); the result goes to its
  // own folder unless --out says where, so a variant never overwrites the committed result.
  const fileLayer = typeof f.config === "string" ? readConfigFile(f.config) : {};
  const flagLayer = flagOverrides({
    seeds: f.seeds as string | undefined,
    models: f.models as string | undefined,
    methods: f.methods as string | undefined,
  });
  const overrides = { ...fileLayer, ...flagLayer };
  const custom = Object.keys(overrides).length > 0;
  if (custom && which === "all")
    throw new UsageError("--config, --seeds, --models and --methods take one experiment, not all");
  if (custom && (f["list-cells"] || f.slurm || f.wait))
    throw new UsageError(
      "--config, --seeds, --models and --methods run here: not with --list-cells, --slurm or --wait",
    );
  const customSettings = custom
    ? resolvedSettings(which, scale, overrides, typeof f.config === "string" ? f.config : "flags")
    : undefined;
  const customDir = custom
    ? join(
        "runs",
        "custom",
        `${which}-${scale}-${createHash("sha256").update(overridesLabel(overrides)).digest("hex").slice(0, 8)}`,
      )
    : undefined;
  if (customDir)
    console.log(
      `${which} (${scale}) with ${overridesLabel(overrides)} → ${typeof f.out === "string" ? f.out : customDir}`,
    );
  const dir = typeof f.out === "string" ? f.out : (customDir ?? RESULTS_DIR);
  const scheduled = f["list-cells"] || f.slurm || f.wait;
  if (scheduled && which === "all")
    throw new UsageError("--list-cells, --slurm and --wait take one experiment, not all");
  if (!f.slurm && (f.partition !== undefined || f.time !== undefined || f.cpus !== undefined || f["dry-run"]))
    throw new UsageError("--partition, --time, --cpus and --dry-run go with --slurm");
  if (f["list-cells"]) {
    const listed = await listCells(which, scale);
    if (!listed) {
      console.error(
        `${which} (${scale}): every cell is saved; \`autodim reproduce ${which} --scale ${scale}\` assembles`,
      );
      return;
    }
    console.error(
      `${which} (${scale}): ${listed.cells.length} cells in ${listed.dir} (${listed.cells.filter((c) => c.saved).length} saved); one command per cell:`,
    );
    for (const c of listed.cells) console.log(cellCommand(which, scale, c.index));
    return;
  }
  if (f.slurm) {
    const time = f.time === undefined ? undefined : String(f.time);
    if (time !== undefined && !/^(\d+-)?\d{1,2}(:\d{2}){0,2}$/.test(time))
      throw new UsageError(`--time must be Slurm's [D-]HH[:MM[:SS]], got ${JSON.stringify(time)}`);
    const listed = await listCells(which, scale);
    if (!listed) console.log(`${which} (${scale}): every cell is saved; assembling here`);
    else {
      const sub = submitSlurm(which, scale, listed, {
        partition: f.partition === undefined ? undefined : String(f.partition),
        time,
        cpus: intFlag(f, "cpus", 1, 1, 1024),
        dryRun: f["dry-run"] === true,
      });
      if (!sub.jobId) {
        console.log(`dry run: ${sub.indices.length} array tasks in ${sub.script}, not submitted:\n`);
        console.log(readFileSync(sub.script, "utf8"));
        return;
      }
      console.log(`submitted job ${sub.jobId}: ${sub.indices.length} array tasks (${sub.script})`);
      if (!f.wait) {
        console.log(
          `when it is done: npx autodim reproduce ${which} --scale ${scale} (assembles, or names the missing cells)`,
        );
        return;
      }
    }
  }
  if (f.wait) {
    const subs = readSubmissions(which, scale);
    const last = subs[subs.length - 1];
    if (!last) throw new UsageError(`--wait: no Slurm submission of ${which} (${scale}) recorded in runs/slurm/`);
    while (jobActive(last.jobId)) await new Promise((r) => setTimeout(r, 2000));
  }
  if (which !== "all" && !custom && !f.force && readSubmissions(which, scale).length > 0) {
    // Cells of this experiment went to Slurm: assemble only when every cell of every stage is
    // there (--force computes what is missing here instead).
    const listed = await listCells(which, scale);
    if (listed && listed.cells.some((c) => !c.saved)) {
      const lines = missingReport(which, scale, listed, readSubmissions(which, scale));
      throw new AutodimError(
        `${which} (${scale}): ${lines.length} of ${listed.cells.length} cells are missing in ${listed.dir}:\n  ${lines.join("\n  ")}\n` +
          `resubmit them: npx autodim reproduce ${which} --scale ${scale} --slurm (only the missing cells are submitted), or compute them here with --force`,
      );
    }
  }
  const figuresDir =
    typeof f["figures-out"] === "string" ? f["figures-out"] : customDir ? join(customDir, "figures") : FIGURES_DIR;
  checkOutputClashes(
    [],
    [
      { flag: "--out", path: dir, folder: true },
      { flag: "--figures-out", path: figuresDir, folder: true },
      ...checkpointOutput(f),
    ],
  );
  checkOutputFolder("--out", dir);
  checkOutputFolder("--figures-out", figuresDir);
  for (const name of which === "all" ? names : [which]) {
    const missing = experimentDataMissing(name, scale);
    if (which === "all" && missing) {
      console.log(`${name} (${scale}): skipped — ${missing}`);
      continue;
    }
    if (which === "all" && scale === "smoke" && experimentData(name, scale) !== "scale") {
      // Smoke scale checks the pipeline in minutes on tiny synthetic data; real data sets are run by name.
      console.log(
        `${name} (smoke): skipped — it runs on another data set than the scale's; \`reproduce ${name} --scale smoke\` runs it`,
      );
      continue;
    }
    if (!f.force && finishedResult(name, scale, dir, figuresDir)) {
      console.log(`${name} (${scale}): done earlier, kept ${join(dir, `${name}-${scale}.md`)} (--force to run again)`);
      continue;
    }
    // The experiment's log sits beside its result (each computed cell has its own beside its JSON).
    await withLog(join(dir, `${name}-${scale}.log`), `reproduce ${name} --scale ${scale}`, async () => {
      const out = customSettings
        ? await (EXPERIMENTS[name] as Experiment<unknown, unknown>)(scale, customSettings)
        : await EXPERIMENTS[name](scale);
      try {
        const files = await saveOutput(out, dir, figuresDir);
        console.log(
          `${name} (${scale}): ${out.provenance.wallSeconds.toFixed(1)} s → ${[files.md, ...files.figures].join(", ")}`,
        );
      } finally {
        await closeFigures();
      }
    });
  }
  if (f.notebooks) {
    // The notebooks show the finished results just written: their outputs come from here too.
    for (const path of selectNotebooks(which === "all" ? [] : [which])) {
      const r = await runNotebook(path, path, scale);
      if (!r.ok) throw new AutodimError(`${path}: cell ${r.failure?.cell} failed:\n${r.failure?.stderr}`);
      console.log(`${path}: ${r.cells} cells in ${r.seconds.toFixed(1)} s`);
    }
  }
}
