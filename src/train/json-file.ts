// Reading a persisted file through its zod schema: a missing file, bad JSON and a bad field are
// each one error naming the file and the field, never a TypeError deep inside training.
import { readFileSync } from "node:fs";
import type { z } from "zod";
import { AutodimError } from "../core/errors.js";

/** "fields.3.dim: size 2.5 …" — a zod issue as the path to the field and what is wrong. */
export function describeIssues(error: z.ZodError, max = 3): string {
  const issues = error.issues
    .slice(0, max)
    .map((i) => `${i.path.length ? i.path.join(".") : "(top level)"}: ${i.message}`);
  const more = error.issues.length > max ? `; and ${error.issues.length - max} more` : "";
  return issues.join("; ") + more;
}

/** Validates a parsed value against a schema; the error names `what` (a file) and the field. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new AutodimError(`${what}: ${describeIssues(r.error)}`);
  return r.data;
}

/** Reads and validates a JSON file: missing file, bad JSON and a bad field are each one clear error. */
export function readJsonFile<T>(schema: z.ZodType<T>, path: string, label = path): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AutodimError(
      `${label}: ${code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory, not a file" : (e as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new AutodimError(`${label}: not valid JSON (${(e as Error).message})`);
  }
  return validate(schema, value, label);
}
