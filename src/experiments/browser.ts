// The headless Chromium behind static figures and the Jupyter UI test.
//
// Which Chromium: `AUTODIM_CHROMIUM` when set, else the Chromium shipped inside the npm package
// `@sparticuz/chromium` (installed by `npm ci`, unpacked into the temp folder on first use),
// with that package's own fonts. Always the packaged one, not a system Chromium when present,
// because the same binary and fonts make the committed SVGs the same bytes on every machine
// (measured: the same figure specs rendered by Debian's Chromium 156 with DejaVu and by the
// packaged 143 with Open Sans differ in text-dependent widths, e.g. a plot area of 380 vs 375
// px). Version 143.0.4 is the newest whose `engines` admits Node 20 (≥ 20.11; 147+ ask ≥ 22.17).
import { closeSync, existsSync, openSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { AutodimError } from "../core/errors.js";

/** How a Chromium is started: binary, flags, environment, and where the choice came from. */
export interface ChromiumLaunch {
  executablePath: string;
  args: string[];
  env: Record<string, string>;
  source: "AUTODIM_CHROMIUM" | "@sparticuz/chromium";
}

// No sandbox as root in containers; no background networking on a closed network.
const COMMON_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

interface PackagedChromium {
  executablePath(): Promise<string>;
  args: string[];
}

/** Where the packaged Chromium unpacks (the package's own rule: the temp folder). */
function unpackedBinary(): string {
  return join(tmpdir(), "chromium");
}

/**
 * Runs `work` while holding an O_EXCL lock file, so two processes never unpack at once (the
 * package writes the binary in place, and a second process would launch a half-written one).
 * A lock older than two minutes is a dead process's and is taken over.
 */
async function withUnpackLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), "autodim-chromium-unpack.lock");
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, `${hostname()} ${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) unlinkSync(lock);
      } catch {
        // Gone between the two calls: try again.
      }
      if (Date.now() > deadline)
        throw new AutodimError(
          `waited 3 minutes for ${lock} (another process unpacking Chromium); remove it if no such process runs`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Chooses the Chromium to launch (see the file header for the order and why). */
export async function chromiumLaunch(): Promise<ChromiumLaunch> {
  const chosen = process.env.AUTODIM_CHROMIUM;
  if (chosen !== undefined && chosen !== "") {
    if (!existsSync(chosen)) {
      throw new AutodimError(
        `AUTODIM_CHROMIUM is ${chosen}, which does not exist: unset it to use the Chromium that npm installed (@sparticuz/chromium), or point it at a Chromium binary`,
      );
    }
    return { executablePath: chosen, args: ["--headless", ...COMMON_ARGS], env: {}, source: "AUTODIM_CHROMIUM" };
  }
  let packaged: PackagedChromium;
  try {
    packaged = ((await import("@sparticuz/chromium")) as unknown as { default: PackagedChromium }).default;
  } catch (e) {
    throw new AutodimError(
      `the packaged Chromium (@sparticuz/chromium) is not installed (${(e as Error).message}): run \`npm ci\`, or set AUTODIM_CHROMIUM to a Chromium binary`,
    );
  }
  const executablePath = await withUnpackLock(() => packaged.executablePath());
  // Only the package's fonts (Open Sans, plotly's first choice): the system's do not leak in.
  const env = { FONTCONFIG_PATH: join(tmpdir(), "fonts") };
  // --single-process suits a serverless function; here closing a page would end the browser.
  const args = packaged.args.filter((a) => a !== "--single-process");
  return { executablePath, args: [...args, ...COMMON_ARGS], env, source: "@sparticuz/chromium" };
}

/** Launches headless Chromium through playwright-core; a damaged unpacked copy is unpacked again once. */
export async function launchChromium(): Promise<{ browser: Browser; launch: ChromiumLaunch }> {
  const { chromium } = (await import("playwright-core")) as typeof import("playwright-core");
  const start = async (l: ChromiumLaunch) =>
    chromium.launch({
      executablePath: l.executablePath,
      args: l.args,
      env: { ...process.env, ...l.env } as Record<string, string>,
      headless: true,
    });
  let launch = await chromiumLaunch();
  try {
    return { browser: await start(launch), launch };
  } catch (e) {
    if (launch.source !== "@sparticuz/chromium")
      throw new AutodimError(
        `Chromium at ${launch.executablePath} did not start: ${(e as Error).message.split("\n")[0]}`,
      );
    // An unpack cut short (a killed process) leaves a binary that exists but does not run.
    await withUnpackLock(async () => rmSync(unpackedBinary(), { force: true }));
    launch = await chromiumLaunch();
    try {
      return { browser: await start(launch), launch };
    } catch (e2) {
      throw new AutodimError(
        `the packaged Chromium at ${launch.executablePath} did not start: ${(e2 as Error).message.split("\n")[0]}; set AUTODIM_CHROMIUM to another Chromium binary`,
      );
    }
  }
}
