// `npm run test:slurm`: the experiment grid on a real Slurm. Starts munged, slurmctld and slurmd
// on this machine (one node "localhost" with 2 CPUs, a config and all state in a temp folder,
// its own ports), then:
//   1. `reproduce methods --scale smoke --slurm --wait`: one array task per cell, assembled;
//      the table equals a local run's except timing fields;
//   2. a cell killed with scancel is reported (with its log) by the next `reproduce methods`,
//      and a resubmission runs only that cell and assembles.
// Every daemon it started is stopped by pid at the end. Installs nothing: where the daemons
// cannot run, it says why and exits 1 (never a silent skip).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REPO = process.cwd();
let slurmEnv: NodeJS.ProcessEnv | undefined;
const RUNS = join(REPO, "results", "methods-smoke-runs");
const started: { name: string; pid: number; child?: ChildProcess }[] = [];

function fail(message: string): never {
  console.error(`test:slurm: ${message}`);
  throw new TestFailure(message);
}

class TestFailure extends Error {}

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** Stops every daemon this test started, newest first, and waits for each to be gone. */
async function stopAll(env?: NodeJS.ProcessEnv): Promise<void> {
  // slurmctld and slurmd stop cleanly on `scontrol shutdown`; the signals below are the fallback.
  if (env) spawnSync("scontrol", ["shutdown"], { env, timeout: 20_000 });
  for (const { name, pid, child } of started.reverse()) {
    // Our own children are reaped by Node (a zombie still answers kill(pid, 0)); munged is not ours.
    const gone = () => {
      if (child) return child.exitCode !== null || child.signalCode !== null;
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    if (!gone()) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // gone meanwhile
      }
    }
    for (let i = 0; i < 150 && !gone(); i++) await new Promise((r) => setTimeout(r, 100));
    if (!gone()) {
      process.kill(pid, "SIGKILL");
      console.error(`test:slurm: ${name} (pid ${pid}) did not stop on SIGTERM within 15 s; killed`);
    }
  }
  started.length = 0;
}

function run(args: string[], env: NodeJS.ProcessEnv): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/autodim.js", ...args], { cwd: REPO, env, encoding: "utf8" });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

async function waitFor(what: string, ok: () => boolean, seconds: number, log?: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!ok()) {
    if (Date.now() > deadline)
      fail(
        `${what}: not within ${seconds} s${log && existsSync(log) ? `\n--- ${log}:\n${readFileSync(log, "utf8").slice(-3000)}` : ""}`,
      );
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The main table without the fields that time things. */
function untimed(file: string): unknown {
  const saved = JSON.parse(readFileSync(file, "utf8")) as {
    result: { table: unknown[]; runs: Record<string, unknown>[] };
  };
  const timing = new Set(["selectionSeconds", "trainSeconds", "trainSamplesPerSecond", "inferenceMsPer1k"]);
  return {
    table: saved.result.table,
    runs: saved.result.runs.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !timing.has(k)))),
  };
}

async function main(): Promise<void> {
  const need = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo"];
  const missing = need.filter((c) => !which(c));
  if (missing.length)
    fail(
      `${missing.join(", ")} not found. Install Debian's slurm-wlm and munge (apt-get install -y slurm-wlm munge); this test starts its own daemons and installs nothing`,
    );
  if (process.getuid?.() !== 0)
    fail("the daemons run as the user who starts them, and slurmd needs root to launch tasks: run as root");

  const t = mkdtempSync(join(tmpdir(), "autodim-slurm-"));
  for (const d of ["state", "spool", "logs", "munge"]) mkdirSync(join(t, d), { recursive: true });
  chmodSync(join(t, "munge"), 0o700);
  const key = join(t, "munge", "munge.key");
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(t, "munge", "munge.sock");
  const munged = spawnSync(
    "munged",
    [
      `--socket=${socket}`,
      `--key-file=${key}`,
      `--pid-file=${join(t, "munge", "munged.pid")}`,
      `--log-file=${join(t, "munge", "munged.log")}`,
      `--seed-file=${join(t, "munge", "munged.seed")}`,
      "--force",
    ],
    { encoding: "utf8" },
  );
  if (munged.status !== 0) fail(`munged did not start: ${munged.stderr.trim()}`);
  started.push({ name: "munged", pid: Number(readFileSync(join(t, "munge", "munged.pid"), "utf8")) });

  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(t, "slurm.conf");
  writeFileSync(
    conf,
    [
      "ClusterName=autodimtest",
      "SlurmctldHost=localhost",
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      "SlurmUser=root",
      "AuthType=auth/munge",
      `AuthInfo=socket=${socket}`,
      "CredType=cred/munge",
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_CPU",
      "MpiDefault=none",
      "ReturnToService=2",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      `StateSaveLocation=${join(t, "state")}`,
      `SlurmdSpoolDir=${join(t, "spool")}`,
      `SlurmctldPidFile=${join(t, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(t, "slurmd.pid")}`,
      `SlurmctldLogFile=${join(t, "logs", "slurmctld.log")}`,
      `SlurmdLogFile=${join(t, "logs", "slurmd.log")}`,
      "NodeName=localhost CPUs=2 State=UNKNOWN",
      "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
      "",
    ].join("\n"),
  );
  const env = { ...process.env, SLURM_CONF: conf, AUTODIM_QUIET: "1" };
  slurmEnv = env;
  const daemon = (name: string, args: string[]) => {
    const p = spawn(name, args, { env, stdio: "ignore", detached: true });
    p.unref();
    if (!p.pid) fail(`${name} did not start`);
    started.push({ name, pid: p.pid, child: p });
  };
  daemon("slurmctld", ["-D", "-i"]);
  daemon("slurmd", ["-D", "-N", "localhost"]);
  await waitFor(
    "the node to become idle",
    () => /idle/.test(spawnSync("sinfo", ["-h", "-N", "-o", "%T"], { env, encoding: "utf8" }).stdout),
    60,
    join(t, "logs", "slurmctld.log"),
  );
  console.log(`test:slurm: munged, slurmctld (port ${ctldPort}) and slurmd (port ${dPort}) up in ${t}`);

  // 1. The whole grid through Slurm, assembled; then the same locally.
  rmSync(RUNS, { recursive: true, force: true });
  rmSync(join(REPO, "runs", "slurm", "methods-smoke.json"), { force: true });
  const viaSlurm = join(t, "results-slurm");
  const a = run(
    ["reproduce", "methods", "--scale", "smoke", "--slurm", "--wait", "--cpus", "1", "--out", viaSlurm],
    env,
  );
  if (a.status !== 0) fail(`reproduce --slurm --wait failed:\n${a.stdout}\n${a.stderr}`);
  if (!/submitted job \d+: 30 array tasks/.test(a.stdout)) fail(`expected 30 array tasks:\n${a.stdout}`);
  const local = join(t, "results-local");
  rmSync(RUNS, { recursive: true, force: true });
  const b = run(["reproduce", "methods", "--scale", "smoke", "--force", "--out", local], {
    ...process.env,
    AUTODIM_QUIET: "1",
  });
  if (b.status !== 0) fail(`local reproduce failed:\n${b.stderr}`);
  const x = JSON.stringify(untimed(join(viaSlurm, "methods-smoke.json")));
  const y = JSON.stringify(untimed(join(local, "methods-smoke.json")));
  if (x !== y)
    fail(`the table assembled from Slurm differs from the local run's:\n${x.slice(0, 2000)}\n${y.slice(0, 2000)}`);
  console.log("test:slurm: 30 cells through a Slurm array; assembled table = local run's (timing aside)");

  // 2. Two cells to redo; one is cancelled while it runs: reported, then resubmitted alone.
  const cells = readdirSync(RUNS).filter((f) => /^fm-(fde|mde)-s1-\w+\.json$/.test(f));
  if (cells.length !== 2) fail(`expected the FM FDE and MDE cells in ${RUNS}, found ${cells.join(", ")}`);
  for (const c of cells) rmSync(join(RUNS, c));
  const c = run(["reproduce", "methods", "--scale", "smoke", "--slurm"], env);
  const job = /submitted job (\d+): 2 array tasks/.exec(c.stdout)?.[1];
  if (c.status !== 0 || !job) fail(`resubmitting two cells:\n${c.stdout}\n${c.stderr}`);
  const record = JSON.parse(readFileSync(join(REPO, "runs", "slurm", "methods-smoke.json"), "utf8")) as {
    indices: number[];
  }[];
  const victim = record[record.length - 1].indices[1]; // the MDE cell's index
  const cancel = spawnSync("scancel", [`${job}_${victim}`], { env, encoding: "utf8" });
  if (cancel.status !== 0) fail(`scancel ${job}_${victim}: ${cancel.stderr}`);
  await waitFor(
    "the job to end",
    () => spawnSync("squeue", ["-h", "-j", job], { env, encoding: "utf8" }).stdout.trim() === "",
    120,
  );
  const d = run(["reproduce", "methods", "--scale", "smoke", "--out", viaSlurm], env);
  if (d.status === 0) fail(`assembling with a cancelled cell should fail:\n${d.stdout}`);
  if (
    !/1 of 30 cells are missing/.test(d.stderr) ||
    // Cancelled while pending it leaves no log; while running, slurmstepd's CANCELLED line in its log.
    !new RegExp(
      `task ${job}_${victim} (CANCELLED|never started \\(no log\\)); log .*methods-smoke-${job}_${victim}\\.out`,
    ).test(d.stderr)
  )
    fail(`the cancelled cell and its log should be named:\n${d.stderr}`);
  const e = run(["reproduce", "methods", "--scale", "smoke", "--slurm", "--wait", "--force", "--out", viaSlurm], env);
  if (e.status !== 0 || !/submitted job \d+: 1 array tasks/.test(e.stdout))
    fail(`resubmitting the cancelled cell:\n${e.stdout}\n${e.stderr}`);
  if (JSON.stringify(untimed(join(viaSlurm, "methods-smoke.json"))) !== y)
    fail("after the resubmission the table differs from the local run's");
  console.log("test:slurm: a cell cancelled with scancel was reported with its log and re-ran alone on resubmission");
  await stopAll(env);

  // 3. Any other scheduler: the --list-cells commands, run by GNU parallel, give the same table.
  if (!which("parallel")) fail("GNU parallel not found (apt-get install -y parallel)");
  for (const f of readdirSync(RUNS).filter((f) => /^(wd|deepfm)-fde-s1-\w+\.json$/.test(f))) rmSync(join(RUNS, f));
  const listed = run(["reproduce", "methods", "--scale", "smoke", "--list-cells"], {
    ...process.env,
    AUTODIM_QUIET: "1",
  });
  const commands = listed.stdout.trim().split("\n");
  if (listed.status !== 0 || commands.length !== 30)
    fail(`--list-cells should print 30 commands:\n${listed.stdout}\n${listed.stderr}`);
  const par = spawnSync("parallel", ["-j", "2", "--halt", "now,fail=1"], {
    input: listed.stdout,
    encoding: "utf8",
    env: { ...process.env, AUTODIM_QUIET: "1" },
    cwd: tmpdir(), // the commands carry their own `cd`
  });
  if (par.status !== 0) fail(`GNU parallel over the --list-cells commands failed:\n${par.stdout}\n${par.stderr}`);
  if ((par.stdout.match(/: computed →/g) ?? []).length !== 2)
    fail(`expected exactly the two removed cells to be computed:\n${par.stdout}`);
  const viaParallel = join(t, "results-parallel");
  const g = run(["reproduce", "methods", "--scale", "smoke", "--out", viaParallel], {
    ...process.env,
    AUTODIM_QUIET: "1",
  });
  if (g.status !== 0) fail(`assembling after GNU parallel failed:\n${g.stderr}`);
  if (JSON.stringify(untimed(join(viaParallel, "methods-smoke.json"))) !== y)
    fail("the table assembled after GNU parallel differs from the local run's");
  console.log("test:slurm: the --list-cells commands under GNU parallel computed the two missing cells; same table");
  rmSync(t, { recursive: true, force: true });
  console.log("test:slurm: passed; every daemon stopped");
}

process.on("SIGINT", () => {
  void stopAll().then(() => process.exit(130));
});
main().catch(async (err: unknown) => {
  if (!(err instanceof TestFailure))
    console.error(`test:slurm: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await stopAll(slurmEnv);
  process.exit(1);
});
