// Figures: plotly specs (data + layout, plain JSON) rendered to static SVG by plotly.js in
// headless Chromium (src/experiments/browser.ts) driven by playwright-core (plotly.js cannot run
// in plain Node). In a
// notebook a figure is one display output holding the interactive plotly JSON and the SVG
// beside it, so it shows in JupyterLab, the classic notebook, nbconvert and on GitHub alike.
import { mkdirSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { AutodimError } from "../core/errors.js";
import { launchChromium } from "./browser.js";
import { writeFileAtomic } from "../core/files.js";

/** Where figures go: figures/ (AUTODIM_FIGURES_DIR overrides it, e.g. for tests). */
export const FIGURES_DIR = process.env.AUTODIM_FIGURES_DIR ?? "figures";

/** A plotly figure: traces and layout as plotly.js takes them. */
export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

// Packages resolve from the running program (bin/autodim.js, or tslab's bin in the kernel),
// both inside the repo: no `import.meta` (tslab loads src/ as CommonJS). Its real path: `npx
// autodim` starts it through a link in npm's cache, beside which no node_modules lies.
function programPath(): string {
  const program = process.argv[1];
  if (program === undefined) return join(process.cwd(), "package.json");
  try {
    return realpathSync(program);
  } catch {
    return program;
  }
}
export const requireFromProgram = createRequire(programPath());

let browser: Promise<{ browser: Browser; page: Page }> | undefined;

async function page(): Promise<Page> {
  browser ??= (async () => {
    const { browser: b } = await launchChromium();
    const p = await b.newPage();
    await p.setContent("<!doctype html><html><body><div id=fig></div></body></html>");
    await p.addScriptTag({ path: requireFromProgram.resolve("plotly.js-dist/plotly.js") });
    return { browser: b, page: p };
  })();
  return (await browser).page;
}

/** The figure as an SVG document: the layout's width × height, else the given size in px. */
export async function toSvg(fig: Figure, defaultWidth = 800, defaultHeight = 480): Promise<string> {
  const width = typeof fig.layout.width === "number" ? fig.layout.width : defaultWidth;
  const height = typeof fig.layout.height === "number" ? fig.layout.height : defaultHeight;
  const p = await page();
  const url = await p.evaluate(
    async ({ fig, width, height }) => {
      // plotly names clip paths, gradients and traces with Math.random(): seeded per figure,
      // the same spec gives the same SVG bytes.
      let seed = 20260;
      Math.random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
      const Plotly = (
        globalThis as unknown as {
          Plotly: { newPlot: (...a: unknown[]) => Promise<unknown>; toImage: (...a: unknown[]) => Promise<string> };
        }
      ).Plotly;
      const gd = await Plotly.newPlot("fig", fig.data, { ...fig.layout, width, height }, { staticPlot: true });
      return Plotly.toImage(gd, { format: "svg", width, height });
    },
    { fig, width, height },
  );
  const comma = url.indexOf(",");
  const body = url.slice(comma + 1);
  return url.slice(0, comma).endsWith(";base64")
    ? Buffer.from(body, "base64").toString("utf8")
    : decodeURIComponent(body);
}

/** Closes the browser (the process would otherwise wait for it). */
export async function closeFigures(): Promise<void> {
  if (!browser) return;
  const b = await browser.catch(() => undefined);
  browser = undefined;
  await b?.browser.close();
}

/** Writes figures/<name>.svg and figures/<name>.json (the plotly spec). */
export async function saveFigure(name: string, fig: Figure, dir = FIGURES_DIR): Promise<{ svg: string; json: string }> {
  mkdirSync(dir, { recursive: true });
  const svg = join(dir, `${name}.svg`);
  const json = join(dir, `${name}.json`);
  writeFileAtomic(svg, await toSvg(fig));
  writeFileAtomic(json, JSON.stringify(fig) + "\n");
  return { svg, json };
}

/**
 * Shows a figure in a tslab notebook: one display output with the plotly JSON (interactive
 * where a plotly renderer is installed) and the SVG beside it (shown everywhere else).
 * tslab's public `display` sends one MIME type per output; the bundle goes through its
 * internal writer (tslab is pinned to 1.0.22 for this).
 */
export async function displayFigure(fig: Figure, title: string): Promise<void> {
  const svg = await toSvg(fig);
  const jupyter = requireFromProgram("tslab/dist/jupyter") as {
    lastWriteDisplayData?: (d: unknown, update: boolean) => void;
  };
  if (!jupyter.lastWriteDisplayData) throw new AutodimError("displayFigure runs inside a tslab notebook kernel only");
  jupyter.lastWriteDisplayData(
    {
      data: { "application/vnd.plotly.v1+json": fig, "image/svg+xml": svg, "text/plain": title },
      metadata: {},
      transient: {},
    },
    false,
  );
}
