// `npm run test:jupyter`: every notebook run through a real Jupyter front end, as a user runs
// it. Starts Debian's classic Notebook (6.4) on 127.0.0.1 with the repo's kernelspec, opens
// each notebook (a copy, so autosave never touches the committed ones) in headless Chromium,
// restarts the kernel and runs all cells through the page's own notebook API, then checks:
// every code cell executed with status "ok", no error output, tslab's compile errors (which it
// writes to stderr only) absent, and at least one rendered table or figure. A screenshot per
// notebook goes to a temp folder. Not part of `npm test`: it needs Jupyter (`.ci/run` installs it).
// The suite (server, checks, loop, fixture) is shared with `npm run test:jupyterlab`: shared.ts.
import { spawn, spawnSync } from "node:child_process";
import type { Page } from "playwright-core";
import { CELL_TIMEOUT_MS, exitWith, runNotebookSuite, type CellReport } from "./shared.js";

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

/** How many tables and figures the page rendered in its output areas. */
function renderedCount(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      document.querySelectorAll(
        ".output_area .rendered_html table, .output_area svg, .output_area img, .output_area .js-plotly-plot",
      ).length,
  );
}

async function main(): Promise<number> {
  const which = spawnSync("jupyter", ["notebook", "--version"], { encoding: "utf8" });
  if (which.status !== 0) {
    process.stderr.write(
      "test:jupyter needs the classic Jupyter Notebook: on Debian/Ubuntu `apt-get install -y jupyter-notebook` (`.ci/run` installs it); not found on PATH\n",
    );
    return 1;
  }
  return runNotebookSuite({
    script: "test:jupyter",
    label: "jupyter notebook",
    version: which.stdout.trim(),
    start: ({ port, token, served, env }) =>
      spawn(
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
      ),
    run: async (page, { base, token }, name) => {
      await page.goto(`${base}/notebooks/${encodeURIComponent(name)}?token=${token}`, { waitUntil: "load" });
      const cells = await runAll(page);
      return { cells, rendered: await renderedCount(page) };
    },
  });
}

exitWith("test:jupyter", main);
