// A settings schema: one zod object per group of settings (AutoDim's search settings, the shared
// training settings, each method's own), each field with its help (`.describe`), its bounds and
// its default (or `.optional()`). From it come the group's type (`SettingsOf`), its default values
// (`settingsDefaults`), its CLI flags (`settingFlags` and `choiceFlags`, read by src/cli/flags.ts) and the check
// of a config file's or a notebook cell's value (`settingProblem`, src/experiments/overrides.ts),
// so a setting's meaning, default and bounds are written once.
import { z } from "zod";

type Shape<S extends z.AnyZodObject> = S["shape"];
type OptionalKeys<T> = { [K in keyof T]: T[K] extends z.ZodOptional<z.ZodTypeAny> ? K : never }[keyof T];
type Flat<T> = { [K in keyof T]: T[K] };

/**
 * The settings a schema describes: a field with a default is required, an `.optional()` one
 * optional. Mapped here rather than `z.infer`, which tslab's non-strict compile turns into all
 * optional (see src/train/schemas.ts); test/methods/settings-schema.test.ts proves the two equal
 * under `tsc --strict`.
 */
export type SettingsOf<S extends z.AnyZodObject> = Flat<
  { [K in Exclude<keyof Shape<S>, OptionalKeys<Shape<S>>>]: z.output<Shape<S>[K]> } & {
    [K in OptionalKeys<Shape<S>>]?: Exclude<z.output<Shape<S>[K]>, undefined>;
  }
>;

/** The schema's defaults, in its field order; an optional field is absent. */
export function settingsDefaults<S extends z.AnyZodObject>(schema: S): SettingsOf<S> {
  return schema.parse({}) as SettingsOf<S>;
}

/** A number setting as a CLI flag: `--flag V`, its help, bounds (inclusive) and default. */
export interface SettingFlag {
  /** The setting's key in its group, e.g. "trialEpochs". */
  key: string;
  /** The flag without dashes, e.g. "trial-epochs". */
  flag: string;
  help: string;
  kind: "int" | "number";
  min: number;
  max: number;
  /**
   * The value when the flag is not given. An optional setting's absence means its least value
   * (no L2: 0), so the flag at that value leaves it absent and earlier runs' settings keep their JSON.
   */
  default: number;
  optional: boolean;
}

/** The number inside a field's optional/default wrappers, or undefined for another type. */
function numberOf(field: z.ZodTypeAny): z.ZodNumber | undefined {
  if (field instanceof z.ZodOptional || field instanceof z.ZodDefault) return numberOf(field._def.innerType);
  return field instanceof z.ZodNumber ? field : undefined;
}

/** Inclusive bounds of a number (an integer's exclusive bound moved to the next integer). */
function bounds(n: z.ZodNumber, key: string): { int: boolean; min: number; max: number } {
  const int = n.isInt;
  let min = -Infinity;
  let max = Infinity;
  for (const c of n._def.checks) {
    if (c.kind !== "min" && c.kind !== "max") continue;
    const step = c.inclusive ? 0 : int ? 1 : NaN;
    if (Number.isNaN(step)) continue; // open bounds of a real number are refined by a closed one (lr: > 0, ≥ 1e-8)
    if (c.kind === "min") min = Math.max(min, c.value + step);
    else max = Math.min(max, c.value - step);
  }
  if (!Number.isFinite(min) || !Number.isFinite(max))
    throw new Error(`setting ${key}: a setting needs closed bounds (.min and .max) to be a flag`);
  return { int, min, max };
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * A flag's name for each setting that differs from `--kebab-key` (`learningRate: "lr"`), or
 * false for a setting that is no flag (set in config files and notebook cells only).
 */
export type FlagNames = Record<string, string | false>;

/**
 * The flags of a schema's number settings, in its order: `--kebab-key` unless `names` renames
 * one (`learningRate: "lr"`) or leaves it out (false). Other fields (e.g. batch parts, 1 or 2)
 * are checked in config files but are no flag of this group (choices and switches: `choiceFlags`).
 */
export function settingFlags(schema: z.AnyZodObject, names: FlagNames = {}): SettingFlag[] {
  const defaults = schema.parse({}) as Record<string, unknown>;
  return Object.entries(schema.shape as z.ZodRawShape).flatMap(([key, field]) => {
    const n = numberOf(field);
    if (!n || names[key] === false) return [];
    const help = field.description ?? n.description;
    if (!help) throw new Error(`setting ${key} has no description (.describe): its flag needs help`);
    const { int, min, max } = bounds(n, key);
    const optional = field instanceof z.ZodOptional;
    return [
      {
        key,
        flag: names[key] || kebab(key),
        help,
        kind: int ? "int" : "number",
        min,
        max,
        default: optional ? min : (defaults[key] as number),
        optional,
      } satisfies SettingFlag,
    ];
  });
}

/** A choice setting (an enum: `--flag A|B`) or a switch (a boolean: `--flag`, off unless given) as a CLI flag. */
export interface ChoiceFlag {
  key: string;
  flag: string;
  help: string;
  /** The values it takes, in the schema's order; undefined for a switch. */
  choices: readonly string[] | undefined;
  /** The value when the flag is not given (a switch: false). */
  default: string | boolean;
}

/** The enum inside a field's optional/default wrappers, or a boolean's marker, or undefined for another type. */
function choicesOf(field: z.ZodTypeAny): readonly string[] | "switch" | undefined {
  if (field instanceof z.ZodOptional || field instanceof z.ZodDefault) return choicesOf(field._def.innerType);
  if (field instanceof z.ZodEnum) return field.options as readonly string[];
  return field instanceof z.ZodBoolean ? "switch" : undefined;
}

/**
 * The flags of a schema's choice settings (enums) and switches (booleans), in its order, named as
 * `settingFlags` names them; each needs a default (a switch's must be false: a flag turns it on).
 */
export function choiceFlags(schema: z.AnyZodObject, names: FlagNames = {}): ChoiceFlag[] {
  const defaults = schema.parse({}) as Record<string, unknown>;
  return Object.entries(schema.shape as z.ZodRawShape).flatMap(([key, field]) => {
    const choices = choicesOf(field);
    if (!choices || names[key] === false) return [];
    const help = field.description;
    if (!help) throw new Error(`setting ${key} has no description (.describe): its flag needs help`);
    const value = defaults[key];
    if (choices === "switch" ? value !== false : typeof value !== "string")
      throw new Error(
        `setting ${key}: a ${choices === "switch" ? "switch needs the default false" : "choice needs a default"}`,
      );
    return [
      {
        key,
        flag: names[key] || kebab(key),
        help,
        choices: choices === "switch" ? undefined : choices,
        default: value as string | boolean,
      } satisfies ChoiceFlag,
    ];
  });
}

/** What a flag or setting accepts, as the CLI's flag errors say it. */
export function accepts(f: Pick<SettingFlag, "kind" | "min" | "max">): string {
  return f.kind === "int" ? `an integer in ${f.min}..${f.max}` : `a number in [${f.min}, ${f.max}]`;
}

/** What is wrong with `value` for the schema's setting `key` ("an integer in 1..1000"), or undefined. */
export function settingProblem(schema: z.AnyZodObject, key: string, value: unknown): string | undefined {
  const field = (schema.shape as z.ZodRawShape)[key];
  if (field.safeParse(value).success) return undefined;
  const n = numberOf(field);
  if (n) return accepts({ ...bounds(n, key), kind: n.isInt ? "int" : "number" });
  const literals = literalsOf(field);
  if (literals) return `one of ${literals.join(", ")}`;
  return field.safeParse(value).error?.issues[0]?.message.toLowerCase() ?? "invalid";
}

function literalsOf(field: z.ZodTypeAny): unknown[] | undefined {
  if (field instanceof z.ZodOptional || field instanceof z.ZodDefault) return literalsOf(field._def.innerType);
  if (field instanceof z.ZodEnum) return field.options as unknown[];
  if (field instanceof z.ZodUnion) {
    const options = field._def.options as z.ZodTypeAny[];
    if (options.every((o) => o instanceof z.ZodLiteral)) return options.map((o) => (o as z.ZodLiteral<unknown>).value);
  }
  return undefined;
}
