// `npm run test:jupyter`: every notebook run through a real Jupyter front end, as a user runs
// it. Starts Debian's classic Notebook (6.4) on 127.0.0.1 with the repo's kernelspec, opens
// each notebook (a copy, so autosave never touches the committed ones) in headless Chromium,
// restarts the kernel and runs all cells through the page's own notebook API, then checks:
// every code cell executed with status "ok", no error output, tslab's compile errors (which it
// writes to stderr only) absent, and at least one rendered table or figure. A screenshot per
// notebook goes to a temp folder. Not part of `npm test`: it needs Jupyter (`.ci/run` installs it).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { launchChromium } from "../../src/runtime/browser.js";

const REPO = resolve(".");
const CELL_TIMEOUT_MS = Number(process.env.AUTODIM_JUPYTER_TIMEOUT_MS ?? 20 * 60_000);

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

async function waitForServer(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`jupyter notebook exited with ${server.exitCode}:\n${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`jupyter notebook did not answer ${url} within 60 s:\n${log()}`);
}

interface CellReport {
  index: number;
  prompt: number | string | null;
  status: string | undefined;
  outputs: { type: string; name?: string; text?: string; mimes: string[] }[];
}

/** Restarts the kernel, runs every cell through the page's notebook API, and reports each code cell. */
async function runAll(page: Page): Promise<CellReport[]> {
  await page.waitForFunction(
    () => {
      const J = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter;
      return J?.notebook?.kernel?.is_connected() === true;
    },
    undefined,
    { timeout: 120_000 },
  );
  // Record each cell's execute_reply status: the prompt alone does not tell "ok" from "aborted".
  await page.evaluate(
    () =>
      new Promise<void>((done, fail) => {
        const w = window as unknown as {
          require: (
            deps: string[],
            cb: (m: { CodeCell: { prototype: Record<string, (...a: unknown[]) => unknown> } }) => void,
            err: (e: Error) => void,
          ) => void;
          Jupyter: { notebook: { find_cell_index(c: unknown): number; set_autosave_interval(ms: number): void } };
          __replies: Record<number, string>;
        };
        w.__replies = {};
        w.Jupyter.notebook.set_autosave_interval(0);
        w.require(
          ["notebook/js/codecell"],
          (m) => {
            const proto = m.CodeCell.prototype;
            const original = proto._handle_execute_reply;
            proto._handle_execute_reply = function (this: unknown, msg: unknown) {
              w.__replies[w.Jupyter.notebook.find_cell_index(this)] = (
                msg as { content: { status: string } }
              ).content.status;
              return original.call(this, msg);
            };
            done();
          },
          fail,
        );
      }),
  );
  // Kernel → Restart & Run All, through the page's API (the menu item asks for confirmation).
  await page.evaluate(
    () =>
      new Promise<void>((done) => {
        const J = (
          window as unknown as {
            Jupyter: {
              notebook: {
                kernel: { restart(cb: () => void): void };
                clear_all_output(): void;
                execute_all_cells(): void;
              };
            };
          }
        ).Jupyter;
        J.notebook.clear_all_output();
        J.notebook.kernel.restart(() => done());
      }),
  );
  await page.waitForFunction(
    () =>
      (
        window as unknown as { Jupyter: { notebook: { kernel: { is_connected(): boolean } } } }
      ).Jupyter.notebook.kernel.is_connected(),
    undefined,
    { timeout: 120_000 },
  );
  await page.evaluate(() =>
    (
      window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }
    ).Jupyter.notebook.execute_all_cells(),
  );
  // Done when every code cell has its reply (a cell left behind by an abort has none).
  await page.waitForFunction(
    () => {
      const w = window as unknown as {
        Jupyter: { notebook: { get_cells(): { cell_type: string }[] } };
        __replies: Record<number, string>;
      };
      const cells = w.Jupyter.notebook.get_cells();
      return cells.every((c, i) => c.cell_type !== "code" || w.__replies[i] !== undefined);
    },
    undefined,
    { timeout: CELL_TIMEOUT_MS, polling: 500 },
  );
  return page.evaluate(() => {
    const w = window as unknown as {
      Jupyter: {
        notebook: {
          get_cells(): {
            cell_type: string;
            input_prompt_number?: number | string | null;
            output_area?: {
              outputs: { output_type: string; name?: string; text?: string; data?: Record<string, unknown> }[];
            };
          }[];
        };
      };
      __replies: Record<number, string>;
    };
    return w.Jupyter.notebook
      .get_cells()
      .map((c, index) => ({ c, index }))
      .filter(({ c }) => c.cell_type === "code")
      .map(({ c, index }) => ({
        index,
        prompt: c.input_prompt_number ?? null,
        status: w.__replies[index],
        outputs: (c.output_area?.outputs ?? []).map((o) => ({
          type: o.output_type,
          name: o.name,
          text: typeof o.text === "string" ? o.text.slice(0, 2000) : undefined,
          mimes: Object.keys(o.data ?? {}),
        })),
      }));
  });
}

/** What is wrong with one notebook's run (empty when nothing is). */
async function problems(page: Page, cells: CellReport[]): Promise<string[]> {
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
  const rendered = await page.evaluate(
    () =>
      document.querySelectorAll(
        ".output_area .rendered_html table, .output_area svg, .output_area img, .output_area .js-plotly-plot",
      ).length,
  );
  if (rendered === 0) found.push("no rendered table or figure");
  return found;
}

async function main(): Promise<number> {
  const which = spawnSync("jupyter", ["notebook", "--version"], { encoding: "utf8" });
  if (which.status !== 0) {
    process.stderr.write(
      "test:jupyter needs the classic Jupyter Notebook: on Debian/Ubuntu `apt-get install -y jupyter-notebook` (`.ci/run` installs it); not found on PATH\n",
    );
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), "autodim-jupyter-"));
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
  let log = "";
  const server = spawn(
    "jupyter",
    [
      "notebook",
      "--no-browser",
      "--allow-root",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--NotebookApp.token=${token}`,
      `--notebook-dir=${served}`,
      "--NotebookApp.open_browser=False",
    ],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  server.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  server.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  // Kernels run in process groups of their own: a killed server would leave them running, so
  // each is shut down through the server's API, and the pids it reported are killed at the end.
  const base = `http://127.0.0.1:${port}`;
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
    await waitForServer(`${base}/api/kernelspecs?token=${token}`, server, () => log);
    const specs = (await (await fetch(`${base}/api/kernelspecs?token=${token}`)).json()) as {
      kernelspecs: Record<string, unknown>;
    };
    if (!("autodim-tslab" in specs.kernelspecs))
      throw new Error(
        `Jupyter does not see the repo's kernelspec autodim-tslab (JUPYTER_PATH=${env.JUPYTER_PATH}); it has ${Object.keys(specs.kernelspecs).join(", ")}`,
      );
    console.log(
      `jupyter notebook ${which.stdout.trim()} on ${base}; browser ${launch.source} (${browser.version()}); screenshots in ${shots}`,
    );
    for (const name of [...selected, fixture]) {
      const started = Date.now();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      try {
        await page.goto(`${base}/notebooks/${encodeURIComponent(name)}?token=${token}`, { waitUntil: "load" });
        const cells = await runAll(page);
        const found = await problems(page, cells);
        await page.screenshot({ path: join(shots, name.replace(/\.ipynb$/, ".png")), fullPage: true });
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
        await page
          .screenshot({ path: join(shots, name.replace(/\.ipynb$/, ".png")), fullPage: true })
          .catch(() => undefined);
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

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`test:jupyter: ${e.message}\n`);
    process.exit(1);
  },
);
