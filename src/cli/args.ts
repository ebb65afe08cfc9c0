// Flag parsing and validation for the CLI: every flag is checked, and every message names
// the flag and what it accepts. Unknown flags are errors.
import { parseArgs } from "node:util";

/** A usage error: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

export type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

export function parseFlags(
  command: string,
  argv: string[],
  spec: FlagSpec,
): Record<string, string | boolean | undefined> {
  // `-epochs` would parse as the short flags -e -p -o …: name it as written.
  const dashed = argv.find(
    (a, i) =>
      /^-[A-Za-z][\w-]+/.test(a) &&
      !(i > 0 && /^--[\w-]+$/.test(argv[i - 1]) && spec[argv[i - 1].slice(2)]?.type === "string"),
  );
  if (dashed !== undefined) {
    const name = dashed.slice(1).split("=")[0];
    throw new UsageError(`autodim ${command}: ${dashed}: flags take two dashes${name in spec ? `: --${name}` : ""}`);
  }
  try {
    const { values, positionals, tokens } = parseArgs({
      args: argv,
      options: spec,
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
    if (positionals.length > 0)
      throw new UsageError(`autodim ${command}: unexpected argument ${JSON.stringify(positionals[0])}`);
    // A flag given twice would silently take its last value: which one was meant is unknowable.
    const seen = new Set<string>();
    for (const t of tokens ?? []) {
      if (t.kind !== "option") continue;
      if (seen.has(t.name)) throw new UsageError(`autodim ${command}: --${t.name} is given twice; give it once`);
      seen.add(t.name);
    }
    return values as Record<string, string | boolean | undefined>;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const ambiguous = /Option '(--[\w-]+)' argument is ambiguous/.exec((err as Error).message);
    if (ambiguous)
      throw new UsageError(
        `autodim ${command}: ${ambiguous[1]}: a value that starts with "-" must be written ${ambiguous[1]}=VALUE`,
      );
    const known = Object.keys(spec)
      .map((k) => `--${k}`)
      .join(", ");
    throw new UsageError(
      `autodim ${command}: ${(err as Error).message.replace(/\. To specify.*$/s, "")}\n  flags: ${known}`,
    );
  }
}

export function requireString(flags: Record<string, unknown>, name: string): string {
  const v = flags[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name} is required`);
  return v;
}

export function intFlag(
  flags: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  const s = String(v);
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in ${min}..${max}`;
  if (!/^-?\d+$/.test(s)) throw new UsageError(`--${name} must be ${range}, got ${JSON.stringify(s)}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n))
    throw new UsageError(
      `--${name} must be ${range}, got ${s}: beyond ${Number.MAX_SAFE_INTEGER} (2^53−1), the largest integer a double holds exactly`,
    );
  if (n < min || n > max) throw new UsageError(`--${name} must be ${range}, got ${s}`);
  return n;
}

export function numberFlag(
  flags: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (String(v).trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return n;
}

export function choiceFlag<T extends string>(
  flags: Record<string, unknown>,
  name: string,
  choices: readonly T[],
  fallback?: T,
): T {
  const v = flags[name];
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required (one of ${choices.join(", ")})`);
    return fallback;
  }
  if (!(choices as readonly string[]).includes(String(v))) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** "8:1:1" → fractions summing to 1. */
export function splitFlag(
  flags: Record<string, unknown>,
  name: string,
  fallback: [number, number, number],
): [number, number, number] {
  const v = flags[name];
  if (v === undefined) return fallback;
  const parts = String(v).split(":");
  const nums = parts.map(Number);
  if (parts.length !== 3 || nums.some((x, i) => parts[i].trim() === "" || !Number.isFinite(x) || x <= 0)) {
    // Validation (early stopping, α) and test (the reported AUC) must both get rows.
    throw new UsageError(
      `--${name} must be train:val:test with three positive numbers (e.g. 8:1:1): every split needs rows, got ${JSON.stringify(v)}`,
    );
  }
  const total = nums[0] + nums[1] + nums[2];
  return [nums[0] / total, nums[1] / total, nums[2] / total];
}

/** "1,2,3" → integers, each in [min, max]. */
export function intListFlag(
  flags: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number[] | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const parts = String(v).split(",");
  return parts.map((p) => {
    if (!/^\s*-?\d+\s*$/.test(p) || Number(p) < min || Number(p) > max) {
      throw new UsageError(
        `--${name} must be a comma-separated list of integers in ${min}..${max}, got ${JSON.stringify(p)} in ${JSON.stringify(v)}`,
      );
    }
    return Number(p);
  });
}

/** "a,b,c" → names (non-empty, no duplicates). */
export function nameListFlag(flags: Record<string, unknown>, name: string): string[] | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const names = String(v).split(",");
  if (names.some((n) => n === ""))
    throw new UsageError(`--${name} must be comma-separated non-empty names, got ${JSON.stringify(v)}`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(`--${name} names ${JSON.stringify(dup)} twice`);
  return names;
}
