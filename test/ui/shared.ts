// What the Jupyter UI tests share (`npm run test:jupyter`, classic Notebook 6.4, and
// `npm run test:jupyterlab`, JupyterLab 3.6): the served copy of notebooks/ plus a failing
// fixture, a server on a free port with a token and the repo's kernelspec, headless Chromium, the
// checks on each notebook's run, screenshots, and the kernels' shutdown. Each front end supplies
// how to start its server and how to run a notebook's cells through its UI.
import { spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { launchChromium } from "../../src/experiments/browser.js";

export const REPO = resolve(".");
export const CELL_TIMEOUT_MS = Number(process.env.AUTODIM_JUPYTER_TIMEOUT_MS ?? 20 * 60_000);

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

/** Waits until `url` answers 200; `label` names the server in the errors. */
export async function waitForServer(
  url: string,
  server: ChildProcess,
  log: () => string,
  label: string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`${label} exited with ${server.exitCode}:\n${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${label} did not answer ${url} within 60 s:\n${log()}`);
}

export interface CellReport {
  /** The cell's index in the notebook (markdown cells counted). */
  index: number;
  /** The execution count shown in the prompt (a number once the cell ran). */
  prompt: number | string | null;
  /** The status of the kernel's execute_reply for the cell ("ok", "error", "aborted"). */
  status: string | undefined;
  outputs: { type: string; name?: string; text?: string; mimes: string[] }[];
}

/** What is wrong with one notebook's run (empty when nothing is); `rendered` counts tables and figures on the page. */
export function cellProblems(cells: CellReport[], rendered: number): string[] {
  const found: string[] = [];
  for (const c of cells) {
    if (c.status !== "ok") found.push(`cell ${c.index + 1}: execute_reply status ${c.status ?? "missing"}`);
    if (typeof c.prompt !== "number")
      found.push(`cell ${c.index + 1}: left unexecuted (prompt ${JSON.stringify(c.prompt)})`);
    for (const o of c.outputs) {
      if (o.type === "error") found.push(`cell ${c.index + 1}: error output`);
      // tslab reports type errors and exceptions on stderr only.
      if (
        o.type === "stream" &&
        o.name === "stderr" &&
        /error TS\d+|^\s*\d+:\d+ - |Error:|at .+\(.+:\d+:\d+\)/m.test(o.text ?? "")
      ) {
        found.push(`cell ${c.index + 1}: stderr: ${(o.text ?? "").split("\n").slice(0, 3).join(" | ")}`);
      }
    }
  }
  if (rendered === 0) found.push("no rendered table or figure");
  return found;
}

/** Where a running suite's server listens and what it serves. */
export interface Served {
  base: string;
  token: string;
  /** The copy of notebooks/ the server serves (its root). */
  served: string;
  work: string;
  port: number;
  env: NodeJS.ProcessEnv;
}

/** A Jupyter front end under test. */
export interface FrontEnd {
  /** The script's name in messages ("test:jupyter"). */
  script: string;
  /** The server's name in messages ("jupyter notebook"). */
  label: string;
  /** Its version, printed in the heading. */
  version: string;
  /** Starts the server (detached, so its process group can be stopped). */
  start(s: Served): ChildProcess;
  /** The URL that answers once the server is up (default `${base}/api/kernelspecs?token=`). */
  readyUrl?(s: Served): string;
  /** Opens `name` in `page`, runs every cell through the UI and reports the code cells and the rendered tables and figures. */
  run(page: Page, s: Served, name: string, index: number): Promise<{ cells: CellReport[]; rendered: number }>;
  /** Takes the notebook's screenshot (default: the full page). */
  screenshot?(page: Page, path: string): Promise<void>;
  viewport?: { width: number; height: number };
}

/**
 * Runs every notebook under notebooks/ (those whose names contain a command-line argument, when
 * given), then the failing fixture, through `fe`; prints one line per notebook and returns the
 * exit code.
 */
export async function runNotebookSuite(fe: FrontEnd): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), `autodim-${fe.script.replace(/^test:/, "")}-`));
  const served = join(work, "notebooks");
  const shots = join(work, "screenshots");
  mkdirSync(shots, { recursive: true });
  cpSync(join(REPO, "notebooks"), served, { recursive: true });
  const names = readdirSync(served)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
  const only = process.argv.slice(2);
  const selected = only.length ? names.filter((n) => only.some((o) => n.includes(o))) : names;
  // The checks themselves are checked: a notebook with a type error in its second cell (and a
  // third cell tslab then aborts) must be reported, with both problems.
  const fixture = "zz-failing-fixture.ipynb";
  const nb = JSON.parse(readFileSync(join(REPO, "test", "fixtures", "notebooks", "failing.ipynb"), "utf8")) as {
    metadata: Record<string, unknown>;
  };
  nb.metadata.kernelspec = {
    name: "autodim-tslab",
    display_name: "TypeScript (autodim, tslab)",
    language: "typescript",
  };
  writeFileSync(join(served, fixture), JSON.stringify(nb));
  const port = await freePort();
  const token = `autodim${process.pid}${Date.now()}`;
  const env = {
    ...process.env,
    JUPYTER_PATH: join(REPO, ".jupyter"),
    JUPYTER_CONFIG_DIR: join(work, "config"),
    JUPYTER_RUNTIME_DIR: join(work, "runtime"),
    JUPYTER_DATA_DIR: join(work, "data"),
  };
  const base = `http://127.0.0.1:${port}`;
  const s: Served = { base, token, served, work, port, env };
  let log = "";
  const server = fe.start(s);
  server.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  server.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  // Kernels run in process groups of their own: a killed server would leave them running, so
  // each is shut down through the server's API, and the pids it reported are killed at the end.
  const kernelPids = new Set<number>();
  const shutdownKernels = async () => {
    try {
      const kernels = (await (await fetch(`${base}/api/kernels?token=${token}`)).json()) as { id: string }[];
      for (const k of kernels) await fetch(`${base}/api/kernels/${k.id}?token=${token}`, { method: "DELETE" });
    } catch {
      // The server is gone; the pids below remain.
    }
  };
  const stop = () => {
    for (const pid of kernelPids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    if (server.pid !== undefined && server.exitCode === null) {
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
  };
  process.on("exit", stop);
  let failed = 0;
  const { browser, launch } = await launchChromium();
  try {
    await waitForServer(fe.readyUrl?.(s) ?? `${base}/api/kernelspecs?token=${token}`, server, () => log, fe.label);
    const specs = (await (await fetch(`${base}/api/kernelspecs?token=${token}`)).json()) as {
      kernelspecs: Record<string, unknown>;
    };
    if (!("autodim-tslab" in specs.kernelspecs))
      throw new Error(
        `Jupyter does not see the repo's kernelspec autodim-tslab (JUPYTER_PATH=${env.JUPYTER_PATH}); it has ${Object.keys(specs.kernelspecs).join(", ")}`,
      );
    console.log(
      `${fe.label} ${fe.version} on ${base}; browser ${launch.source} (${browser.version()}); screenshots in ${shots}`,
    );
    const all = [...selected, fixture];
    for (const [index, name] of all.entries()) {
      const started = Date.now();
      const page = await browser.newPage({ viewport: fe.viewport ?? { width: 1280, height: 900 } });
      const shot = join(shots, name.replace(/\.ipynb$/, ".png"));
      const screenshot = (p: string) =>
        fe.screenshot ? fe.screenshot(page, p) : page.screenshot({ path: p, fullPage: true }).then(() => undefined);
      try {
        const { cells, rendered } = await fe.run(page, s, name, index);
        const found = cellProblems(cells, rendered);
        await screenshot(shot);
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        if (name === fixture) {
          const caught =
            found.some((f) => f.startsWith("cell 2: stderr: ") && /not assignable to type 'number'/.test(f)) &&
            found.some((f) => f.startsWith("cell 3: "));
          if (!caught) failed++;
          console.log(
            `${caught ? "ok    " : "not ok"}  the failing fixture is reported (${found.length} problems: ${found.join("; ")})`,
          );
          continue;
        }
        if (found.length) {
          failed++;
          console.log(`not ok  ${name}: ${cells.length} code cells, ${secs} s\n  ${found.join("\n  ")}`);
        } else {
          console.log(`ok      ${name}: ${cells.length} code cells, all ran through the UI, ${secs} s`);
        }
      } catch (e) {
        failed++;
        await screenshot(shot).catch(() => undefined);
        console.log(`not ok  ${name}: ${(e as Error).message.split("\n")[0]}`);
      } finally {
        await page.close();
        // Remember the kernel's pid (the tslab process under the kernelspec's launcher), then shut it down.
        for (const line of spawnSync("pgrep", ["-f", `tslab kernel --config-path ${join(work, "runtime")}`], {
          encoding: "utf8",
        }).stdout.split("\n")) {
          if (/^\d+$/.test(line.trim())) kernelPids.add(Number(line.trim()));
        }
        await shutdownKernels();
      }
    }
  } finally {
    await browser.close();
    await shutdownKernels();
    stop();
  }
  console.log(`${selected.length + 1 - failed} passed, ${failed} failed`);
  if (failed === 0) rmSync(served, { recursive: true, force: true });
  return failed === 0 ? 0 : 1;
}

/** Runs `main` and exits with its code; an exception is printed after the script's name. */
export function exitWith(script: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`${script}: ${e.message}\n`);
      process.exit(1);
    },
  );
}
