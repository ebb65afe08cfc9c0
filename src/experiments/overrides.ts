// Experiment settings from outside the code: a JSON config file and the common flags
// (`reproduce X --config FILE --seeds 1,2 --models fm --methods fde,autodim`), layered
// flags > file > defaults. A settings object is checked against the experiment's defaults —
// every key must exist there and keep its type (arrays keep their elements' type) — and a group
// with a settings schema (the search, training, RaS, MDE, Shrink) against that schema, bounds
// included, so a typo, a wrong type or a value out of range is an error naming the field, never
// ignored.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { AutodimError } from "../core/errors.js";
import { METHOD_SETTINGS, SEARCH_SETTINGS, TRAIN_SETTINGS } from "../methods/defaults.js";
import { settingProblem, settingsDefaults } from "../methods/settings-schema.js";

/**
 * The groups of settings with a schema, by the name every settings object gives them (AutoDim's
 * `search`, a run's `train`, an experiment's `retrain`, and each method's own).
 */
const SCHEMAS = new Map<string, z.AnyZodObject>([
  ["search", SEARCH_SETTINGS],
  ["train", TRAIN_SETTINGS],
  ["retrain", TRAIN_SETTINGS],
  ...Object.entries(METHOD_SETTINGS),
]);

/**
 * Whether `base` is a group of `schema`'s settings (a subset of its keys, each value valid), not
 * another object of the same name (the tuning's `search` is a grid of search settings).
 */
function describes(schema: z.AnyZodObject, base: unknown): boolean {
  return schema.partial().strict().safeParse(base).success;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function kind(v: unknown): string {
  return Array.isArray(v) ? "array" : v === null ? "null" : typeof v;
}

/**
 * `defaults` with `overrides` merged in (objects key by key, arrays and scalars replaced), each
 * override checked against the default it replaces, and a group with a schema (SCHEMAS) against
 * it. `where` names the source in errors. `whole` names settings the defaults may lack (optional
 * ones) or that an override replaces as one value (a data schema whose keys are all optional),
 * each with a template of its type (for an object: every key it may have) or its settings schema,
 * for the same checks.
 */
export function mergeSettings<S>(
  defaults: S,
  overrides: Record<string, unknown>,
  where: string,
  whole: Record<string, unknown> = {},
): S {
  const merge = (base: unknown, over: unknown, path: string): unknown => {
    const template: unknown = whole[path];
    const named = kind(base) === "object" ? SCHEMAS.get(path.slice(path.lastIndexOf(".") + 1)) : undefined;
    const schema = template instanceof z.ZodObject ? template : named && describes(named, base) ? named : undefined;
    if (schema && kind(over) === "object") return mergeGroup(schema, base, over as Record<string, unknown>, path);
    if (template !== undefined && kind(template) === "object" && kind(over) === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(over as Record<string, unknown>))
        out[key] = merge((template as Record<string, unknown>)[key], value, `${path}.${key}`);
      return out;
    }
    if (template !== undefined && base === undefined) return merge(template, over, path);
    const k = kind(base);
    if (k === "undefined") throw new AutodimError(`${where}: unknown setting ${path}`);
    if (kind(over) !== k)
      throw new AutodimError(
        `${where}: setting ${path} must be ${k === "object" ? "an object" : `a ${k}`}, got ${JSON.stringify(over)}`,
      );
    if (k === "array") {
      const items = over as unknown[];
      const sample = (base as unknown[])[0];
      if (sample !== undefined)
        items.forEach((x, i) => {
          if (kind(x) !== kind(sample))
            throw new AutodimError(
              `${where}: setting ${path}[${i}] must be a ${kind(sample)}, got ${JSON.stringify(x)}`,
            );
        });
      if (items.length === 0) throw new AutodimError(`${where}: setting ${path} is empty`);
      return items;
    }
    if (k === "object") {
      const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
      for (const [key, value] of Object.entries(over as Record<string, unknown>))
        out[key] = merge((base as Record<string, unknown>)[key], value, path ? `${path}.${key}` : key);
      return out;
    }
    if (k === "number" && !Number.isFinite(over))
      throw new AutodimError(`${where}: setting ${path} must be a finite number`);
    return over;
  };
  // A group with a schema: the base's keys (or the schema's defaults) with the override's, each
  // checked by its field (type and bounds). A key the base lacks is taken only when the schema
  // makes it optional: an experiment's group may leave out a setting it sets itself (the frequency
  // sweep's search has no frequency), and an override of that would be ignored.
  const mergeGroup = (schema: z.AnyZodObject, base: unknown, over: Record<string, unknown>, path: string) => {
    const out: Record<string, unknown> = {
      ...((base as Record<string, unknown> | undefined) ?? settingsDefaults(schema)),
    };
    for (const [key, value] of Object.entries(over)) {
      const at = `${path}.${key}`;
      const field = (schema.shape as z.ZodRawShape)[key] as z.ZodTypeAny | undefined;
      if (!field || !(key in out || field instanceof z.ZodOptional))
        throw new AutodimError(`${where}: unknown setting ${at}`);
      const problem = settingProblem(schema, key, value);
      if (problem) {
        // A wrong type says the type first (as every other setting's), a wrong value what the field accepts.
        const expected = out[key] === undefined ? undefined : kind(out[key]);
        const wanted = expected !== undefined && kind(value) !== expected ? `a ${expected}` : problem;
        throw new AutodimError(`${where}: setting ${at} must be ${wanted}, got ${JSON.stringify(value)}`);
      }
      out[key] = value;
    }
    return out;
  };
  if (kind(defaults) !== "object") throw new AutodimError(`${where}: this experiment takes no settings`);
  return merge(defaults, overrides, "") as S;
}

/** A settings object's overrides: any subset, objects partly (merged into the defaults). */
export type SettingsOverrides<S> = {
  [K in keyof S]?: S[K] extends readonly unknown[] ? S[K] : S[K] extends object ? SettingsOverrides<S[K]> : S[K];
};

/**
 * A notebook's settings cell: the experiment's defaults with the cell's lines merged in. The
 * lines are plain data (one setting a line, its comment after it), so uncommenting one keeps the
 * cell valid; a wrong name or type is an error naming the setting.
 */
export function settingsCell<S>(defaults: S, overrides: SettingsOverrides<S>, whole: Record<string, unknown> = {}): S {
  return mergeSettings(defaults, overrides as Record<string, unknown>, "the settings cell", whole);
}

/** A config file's settings: a JSON object (comments are not JSON: use a "//" key if needed). */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new AutodimError(`${file}: cannot read the config file (${(e as Error).message})`);
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const at = m ? Number(m[1]) : jsonErrorOffset(text);
    const line = at !== undefined ? text.slice(0, at).split("\n").length : undefined;
    throw new AutodimError(`${file}${line ? `:${line}` : ""}: not valid JSON (${(e as Error).message})`);
  }
  if (kind(parsed) !== "object") throw new AutodimError(`${file}: a config file is a JSON object of settings`);
  const { "//": _comment, ...settings } = parsed as Record<string, Json>;
  return settings;
}

/**
 * Where JSON text first goes wrong (an offset), for the line of a parse error: Node's message
 * gives a position for some errors only. A small recursive-descent reader of JSON's grammar.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === "{") {
          space();
          if (text[i] !== '"') fail();
          value();
          space();
          if (text[i] !== ":") fail();
          i++;
        }
        value();
        space();
        if (text[i] === ",") i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      if (i >= text.length) fail();
      i++;
      return;
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) fail();
    i += (m as RegExpExecArray)[0].length;
  };
  try {
    value();
    space();
    return i < text.length ? i : undefined;
  } catch (at) {
    return typeof at === "number" ? at : undefined;
  }
}

/** The flags' layer: `--seeds 1,2`, `--models fm,wd`, `--methods fde,autodim`, as settings keys. */
export function flagOverrides(flags: { seeds?: string; models?: string; methods?: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const list = (name: string, v: string) => {
    const items = v.split(",").map((x) => x.trim());
    if (items.some((x) => x === "")) throw new AutodimError(`--${name}: an empty item in ${JSON.stringify(v)}`);
    return items;
  };
  if (flags.seeds !== undefined)
    out.seeds = list("seeds", flags.seeds).map((x) => {
      if (!/^\d+$/.test(x)) throw new AutodimError(`--seeds: ${JSON.stringify(x)} is not a whole number ≥ 0`);
      return Number(x);
    });
  if (flags.models !== undefined) out.models = list("models", flags.models);
  if (flags.methods !== undefined) out.methods = list("methods", flags.methods);
  return out;
}

/** Names each setting the overrides change, for the output's file name and the log: "seeds=1;models=fm". */
export function overridesLabel(overrides: Record<string, unknown>): string {
  return Object.entries(overrides)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : JSON.stringify(v)}`)
    .join(";");
}
