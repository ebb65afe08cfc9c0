// `npm run test:jupyterlab`: every notebook run through JupyterLab 3.6, as a user runs it. The
// front end is jupyterlab/ (JupyterLab's examples/app built from the npm @jupyterlab/* 3.6.8
// packages; installed and built here when missing or older than its sources), served by
// jupyterlab/serve.py (jupyterlab_server's LabServerApp on Debian's jupyter_server) on 127.0.0.1
// with a token and the repo's kernelspec. Each notebook (a copy, so autosave never touches the
// committed ones) opens in headless Chromium at /lab/tree/<name> in a fresh workspace; its outputs
// are cleared, then Kernel > Restart Kernel and Run All Cells… is clicked in the menu bar and the
// dialog's Restart button; the kernel's execute_reply to each cell is recorded from the session's
// messages. The checks are test:jupyter's (shared.ts): every code cell ran with status "ok", no
// error output or tslab error on stderr, at least one rendered table or figure; the failing
// fixture must be caught. A screenshot per notebook goes to a temp folder. Not part of `npm test`:
// it needs python3-jupyterlab-server and python3-jupyter-server (`.ci/run` installs them).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { CELL_TIMEOUT_MS, REPO, exitWith, runNotebookSuite, type CellReport } from "./shared.js";

const LAB = join(REPO, "jupyterlab");

/** The page-side helpers, as plain JavaScript (functions handed to page.evaluate get tsx's `__name` wrappers). */
const PAGE_HELPERS = `window.__autodimLab = (() => {
  const state = { sent: {}, open: new Set(), replies: {}, last: 0, accepted: 0, hooked: null };
  const panelFor = (path) => {
    const app = window.jupyterapp;
    if (!app) return undefined;
    const widgets = app.shell.widgets("main");
    for (let w = widgets.next(); w !== undefined; w = widgets.next())
      if (w.context && w.context.path === path && w.content && w.content.model && w.sessionContext) return w;
    return undefined;
  };
  const kernelOf = (p) => (p && p.sessionContext.session ? p.sessionContext.session.kernel : null);
  const outputs = (p) => p.node.querySelectorAll(
    ".jp-OutputArea-output table, .jp-OutputArea-output svg, .jp-OutputArea-output img, .jp-OutputArea-output .js-plotly-plot",
  );
  return {
    // The notebook is open and its kernel connected and idle.
    ready: (path) => {
      const p = panelFor(path);
      const k = kernelOf(p);
      return !!p && p.context.isReady && !!k && k.connectionStatus === "connected" && k.status === "idle";
    },
    // Records each execute_request's cell (JupyterLab sends the cell's id in its metadata) and
    // the status of the execute_reply to it; makes the notebook the current widget.
    hook: (path) => {
      const p = panelFor(path);
      const session = p.sessionContext.session;
      if (state.hooked !== session) {
        session.anyMessage.connect((_, args) => {
          const msg = args.msg;
          state.last = Date.now();
          if (args.direction === "send" && msg.header.msg_type === "execute_request") {
            state.sent[msg.header.msg_id] = msg.metadata.cellId;
            state.open.add(msg.header.msg_id);
          }
          if (args.direction === "recv" && msg.header.msg_type === "execute_reply") {
            const id = msg.parent_header.msg_id;
            state.open.delete(id);
            if (state.sent[id] !== undefined) state.replies[state.sent[id]] = msg.content.status;
          }
        });
        state.hooked = session;
      }
      state.sent = {};
      state.open = new Set();
      state.replies = {};
      state.last = Date.now();
      window.jupyterapp.shell.activateById(p.id);
    },
    accepted: () => {
      state.accepted = Date.now();
      state.last = Date.now();
    },
    // Done when every code cell has its reply and the kernel is idle (its outputs precede the
    // idle status); or, when some cell never got a request, once the kernel has been idle with
    // no request open and no message for 5 s.
    done: (path) => {
      const p = panelFor(path);
      const k = kernelOf(p);
      if (!p || !k || k.status !== "idle") return false;
      const code = p.content.widgets.filter((c) => c.model.type === "code");
      if (code.every((c) => state.replies[c.model.id] !== undefined)) return true;
      const now = Date.now();
      const sent = Object.keys(state.sent).length > 0 || now - state.accepted > 60000;
      return sent && state.open.size === 0 && now - state.last > 5000 && now - state.accepted > 5000;
    },
    report: (path) =>
      panelFor(path)
        .content.widgets.map((c, index) => ({ c, index }))
        .filter(({ c }) => c.model.type === "code")
        .map(({ c, index }) => ({
          index,
          prompt: c.model.executionCount == null ? null : c.model.executionCount,
          status: state.replies[c.model.id],
          outputs: c.model.outputs.toJSON().map((o) => {
            const text = Array.isArray(o.text) ? o.text.join("") : o.text;
            return {
              type: o.output_type,
              name: o.name,
              text: typeof text === "string" ? text.slice(0, 2000) : undefined,
              mimes: Object.keys(o.data || {}),
            };
          }),
        })),
    rendered: (path) => {
      const p = panelFor(path);
      return p ? outputs(p).length : 0;
    },
    showFirst: (path) => {
      const p = panelFor(path);
      const first = p ? outputs(p)[0] : undefined;
      if (first) first.scrollIntoView({ block: "start" });
    },
  };
})();`;

interface PageLab {
  ready(path: string): boolean;
  hook(path: string): void;
  accepted(): void;
  done(path: string): boolean;
  report(path: string): CellReport[];
  rendered(path: string): number;
  showFirst(path: string): void;
}
interface LabWindow {
  jupyterapp?: { commands: { execute(id: string, args?: unknown): Promise<unknown> } };
  __autodimLab: PageLab;
}

/** Opens `name` in JupyterLab, restarts its kernel and runs all cells from the menu bar, and reports each code cell. */
async function runInLab(
  page: Page,
  base: string,
  token: string,
  name: string,
  index: number,
): Promise<{ cells: CellReport[]; rendered: number }> {
  // A workspace of its own: nothing from another notebook's page is restored (no second kernel).
  await page.goto(`${base}/lab/workspaces/autodim-${index}/tree/${encodeURIComponent(name)}?token=${token}`, {
    waitUntil: "load",
  });
  await page.waitForFunction(() => (window as unknown as LabWindow).jupyterapp !== undefined, undefined, {
    timeout: 120_000,
  });
  await page.evaluate(PAGE_HELPERS);
  await page
    .waitForFunction((n) => (window as unknown as LabWindow).__autodimLab.ready(n), name, {
      timeout: 180_000,
      polling: 250,
    })
    .catch(async () => {
      // Say what is in the way: a dialog (kernel choice, an error) or the kernel's state.
      const dialog = await page
        .locator(".jp-Dialog")
        .first()
        .innerText({ timeout: 1000 })
        .catch(() => "");
      throw new Error(
        `${name} did not open with a connected, idle kernel within 180 s` +
          (dialog ? `; a dialog shows: ${dialog.replace(/\s+/g, " ").trim()}` : ""),
      );
    });
  await page.evaluate((n) => (window as unknown as LabWindow).__autodimLab.hook(n), name);
  // Edit > Clear All Outputs first, so a cell that does not run shows neither an old output nor an old prompt.
  await page.evaluate(() =>
    (window as unknown as LabWindow).jupyterapp!.commands.execute("notebook:clear-all-cell-outputs"),
  );
  // Kernel > Restart Kernel and Run All Cells…, then the dialog's Restart.
  await page.click('.lm-MenuBar-item:has-text("Kernel")');
  await page.click('.lm-Menu-item:has-text("Restart Kernel and Run All Cells")');
  await page.click(".jp-Dialog .jp-Dialog-button.jp-mod-accept", { timeout: 30_000 });
  await page.evaluate(() => (window as unknown as LabWindow).__autodimLab.accepted());
  await page.waitForFunction((n) => (window as unknown as LabWindow).__autodimLab.done(n), name, {
    timeout: CELL_TIMEOUT_MS,
    polling: 500,
  });
  const cells = await page.evaluate((n) => (window as unknown as LabWindow).__autodimLab.report(n), name);
  // Outputs render on arrival; give the last ones a moment.
  await page
    .waitForFunction((n) => (window as unknown as LabWindow).__autodimLab.rendered(n) > 0, name, { timeout: 15_000 })
    .catch(() => undefined);
  const rendered = await page.evaluate((n) => (window as unknown as LabWindow).__autodimLab.rendered(n), name);
  await page.evaluate((n) => (window as unknown as LabWindow).__autodimLab.showFirst(n), name);
  return { cells, rendered };
}

/** The first Python that imports jupyter_server and jupyterlab_server, with their versions. */
function findPython(): { python: string; versions: string } | undefined {
  for (const python of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(
      python,
      [
        "-c",
        "import jupyter_server, jupyterlab_server; print(jupyter_server.__version__, jupyterlab_server.__version__)",
      ],
      { encoding: "utf8" },
    );
    if (r.status === 0) {
      const [server, lab] = r.stdout.trim().split(" ");
      return { python, versions: `jupyter_server ${server}, jupyterlab_server ${lab}` };
    }
  }
  return undefined;
}

function mtime(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function duSize(dir: string): string {
  const r = spawnSync("du", ["-sh", dir], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split("\t")[0] : "?";
}

function npm(args: string[], what: string): { seconds: number; error?: string } {
  const started = Date.now();
  const r = spawnSync("npm", args, { cwd: LAB, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const seconds = (Date.now() - started) / 1000;
  if (r.status === 0) return { seconds };
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-25).join("\n");
  return {
    seconds,
    error: `${what} (npm ${args.join(" ")} in ${LAB}) failed${r.error ? `: ${r.error.message}` : ""}:\n${out}`,
  };
}

/** Installs (npm ci) and builds (webpack) jupyterlab/ when missing or older than its sources; an error message when that fails. */
function ensureBuilt(): string | undefined {
  const lock = join(LAB, "package-lock.json");
  if (!existsSync(lock)) return `${lock} is missing`;
  if (mtime(join(LAB, "node_modules", ".package-lock.json")) < mtime(lock)) {
    console.log(`jupyterlab/: npm ci (JupyterLab 3.6's npm packages; once)…`);
    const r = npm(["ci", "--no-audit", "--no-fund"], "installing JupyterLab's packages");
    if (r.error) return r.error;
    console.log(`jupyterlab/: npm ci ${r.seconds.toFixed(1)} s, node_modules ${duSize(join(LAB, "node_modules"))}`);
  }
  const bundle = join(LAB, "build", "bundle.js");
  const sources = ["package.json", "package-lock.json", "index.js", "webpack.config.js"].map((f) =>
    mtime(join(LAB, f)),
  );
  if (mtime(bundle) < Math.max(...sources, mtime(join(LAB, "node_modules", ".package-lock.json")))) {
    console.log(`jupyterlab/: npm run build (webpack)…`);
    const r = npm(["run", "build"], "building the JupyterLab front end");
    if (r.error) return r.error;
    console.log(`jupyterlab/: build ${r.seconds.toFixed(1)} s, build/ ${duSize(join(LAB, "build"))}`);
  }
  return undefined;
}

async function main(): Promise<number> {
  const found = findPython();
  if (!found) {
    process.stderr.write(
      "test:jupyterlab needs JupyterLab's server side: on Debian/Ubuntu `apt-get install -y python3-jupyterlab-server python3-jupyter-server` (`.ci/run` installs them); neither python3 nor /usr/bin/python3 imports jupyter_server and jupyterlab_server\n",
    );
    return 1;
  }
  if (spawnSync("npm", ["--version"], { encoding: "utf8" }).status !== 0) {
    process.stderr.write("test:jupyterlab builds its front end with npm (jupyterlab/): npm not found on PATH\n");
    return 1;
  }
  const failed = ensureBuilt();
  if (failed) {
    process.stderr.write(`test:jupyterlab: ${failed}\n`);
    return 1;
  }
  const version = (
    JSON.parse(readFileSync(join(LAB, "node_modules", "@jupyterlab", "application", "package.json"), "utf8")) as {
      version: string;
    }
  ).version;
  return runNotebookSuite({
    script: "test:jupyterlab",
    label: "jupyterlab",
    version: `${version} (jupyterlab/; ${found.versions} on ${found.python})`,
    // At the repo root (as a user starts it), serving the notebooks' copy.
    start: ({ port, token, served, work, env }) =>
      spawn(
        found.python,
        [
          join(LAB, "serve.py"),
          "--no-browser",
          "--allow-root",
          "--ip=127.0.0.1",
          `--port=${port}`,
          "--port-retries=0",
          `--ServerApp.token=${token}`,
          `--ServerApp.root_dir=${served}`,
          `--AutodimLab.user_settings_dir=${join(work, "lab-settings")}`,
          `--AutodimLab.workspaces_dir=${join(work, "lab-workspaces")}`,
        ],
        { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
      ),
    run: (page, { base, token }, name, index) => runInLab(page, base, token, name, index),
    // JupyterLab's page does not scroll (the notebook scrolls inside it): a tall viewport, the first figure in view.
    viewport: { width: 1280, height: 1200 },
    screenshot: async (page, path) => {
      await page.screenshot({ path });
    },
  });
}

exitWith("test:jupyterlab", main);
