// `autodim run --config FILE`: a JSON file of one run's settings — the method, the prepared data
// and the method settings (model, seed, candidates, train, search, …) — layered flags > file >
// defaults, each key checked against the defaults (a typo or a wrong type names the file and the
// setting). Three kinds of file work: a config written by hand, a result of `autodim run` (its
// resolved `settings`), and a saved main-table cell (its identity), so any committed cell can be
// re-run from its own file.
import { AutodimError } from "../core/errors.js";
import { readConfigFile } from "../experiments/overrides.js";
import { METHOD_SETTINGS } from "../methods/defaults.js";
import { METHOD_NAMES } from "../methods/registry.js";
import { UsageError } from "./args.js";

export interface RunConfigFile {
  /** Absent: no --config. */
  path?: string;
  method?: string;
  /** The prepared data folder. */
  data?: string;
  /** The method settings the file gives (merged over the defaults by the caller). */
  settings: Record<string, unknown>;
}

/**
 * Method settings a run may have that the defaults lack: each with a template of its type, or its
 * schema (the optional keys of search and train are their schemas', SEARCH_SETTINGS and TRAIN_SETTINGS).
 */
export const RUN_OPTIONAL_SETTINGS: Record<string, unknown> = {
  shrink: METHOD_SETTINGS.shrink,
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function runConfigFile(path: string | boolean | undefined): RunConfigFile {
  if (path === undefined) return { settings: {} };
  if (typeof path !== "string" || path === "") throw new UsageError("--config needs a file: --config FILE.json");
  const raw = readConfigFile(path);
  // A result of `autodim run` carries its resolved settings; a saved cell its identity.
  let body: Record<string, unknown> = raw;
  if (raw.kind === "autodim-result") {
    if (!isObject(raw.settings))
      throw new AutodimError(`${path}: this result records no settings (made before \`autodim run\` saved them)`);
    body = raw.settings;
  } else if (isObject(raw.identity) && isObject(raw.identity.settings)) {
    body = { method: raw.identity.method, ...raw.identity.settings };
  }
  const { method, data, ...settings } = body as { method?: unknown; data?: unknown } & Record<string, unknown>;
  if (method !== undefined && !(typeof method === "string" && (METHOD_NAMES as readonly string[]).includes(method)))
    throw new AutodimError(
      `${path}: setting method must be one of ${METHOD_NAMES.join(", ")}, got ${JSON.stringify(method)}`,
    );
  if (data !== undefined && typeof data !== "string")
    throw new AutodimError(
      `${path}: setting data must be a prepared data folder (a string), got ${JSON.stringify(data)}`,
    );
  return {
    path,
    ...(typeof method === "string" ? { method } : {}),
    ...(typeof data === "string" ? { data } : {}),
    settings,
  };
}

/** A choice the config file makes (`model`), checked like its flag. */
export function runConfigChoice<T extends string>(
  file: RunConfigFile,
  key: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (typeof value === "string" && (choices as readonly string[]).includes(value)) return value as T;
  throw new AutodimError(
    `${file.path}: setting ${key} must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`,
  );
}

/** The log file beside a result file: `r.json` → `r.log`. */
export function logBeside(out: string): string {
  return `${out.replace(/\.json$/i, "")}.log`;
}
