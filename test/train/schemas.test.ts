// Every persisted format is validated on read: the committed results' own plan and result
// pass, and each damage is one error naming the file and the field.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { z } from "zod";
import { manifestSchema, manifestShape, readManifest, type Manifest } from "../../src/data/manifest.js";
import { headerEntryShape, parseWeights, saveWeights, type HeaderEntry } from "../../src/tables/weights.js";
import { checkpointFileShape, type CheckpointFile } from "../../src/train/checkpoint.js";
import {
  dimensionPlanSchema,
  dimensionPlanShape,
  searchConfigShape,
  type DimensionPlan,
  type SearchConfig,
} from "../../src/train/schemas.js";
import { readJsonFile, validate } from "../../src/train/json-file.js";
import { retrainResultSchema, retrainResultShape, type RetrainResult } from "../../src/train/result-schema.js";
import { prepareQuiet, CRITEO_DEEPCTR, tempDir } from "../helpers.js";

// Each raw schema describes exactly its interface (compiled by `tsc --strict` in npm test; the
// casts in src/ exist only for tslab's non-strict compile).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameTypes: [
  Same<z.infer<typeof dimensionPlanShape>, DimensionPlan>,
  Same<z.infer<typeof retrainResultShape>, RetrainResult>,
  Same<z.infer<typeof searchConfigShape>, SearchConfig>,
  Same<z.infer<typeof manifestShape>, Manifest>,
  Same<z.infer<typeof headerEntryShape>, HeaderEntry>,
  Same<Omit<z.infer<typeof checkpointFileShape>, "loop">, Omit<CheckpointFile<unknown>, "loop">>,
] = [true, true, true, true, true, true];

const committed = JSON.parse(readFileSync("results/methods-quick-runs/fm-autodim.json", "utf8")) as {
  value: { plan: Record<string, unknown> } & Record<string, unknown>;
};

function planFile(edit: (plan: Record<string, unknown>) => unknown): string {
  const path = join(tempDir(), "plan.json");
  writeFileSync(path, JSON.stringify(edit(structuredClone(committed.value.plan))));
  return path;
}

test("schemas: a committed result and its plan validate, and keep every field", () => {
  assert.deepEqual(sameTypes, [true, true, true, true, true, true]);
  const result = validate(retrainResultSchema, committed.value, "fm-autodim.json");
  assert.deepEqual(JSON.parse(JSON.stringify(result)), JSON.parse(JSON.stringify(committed.value)));
  const plan = readJsonFile(
    dimensionPlanSchema,
    planFile((p) => p),
  );
  assert.equal(plan.fields.length, 39);
});

test("schemas: a damaged plan is one error naming the file and the field", () => {
  const cases: [(p: Record<string, unknown>) => unknown, RegExp][] = [
    [() => null, /: \(top level\): Expected object, received null/],
    [(p) => ({ ...p, config: undefined }), /: config: Required/],
    [(p) => ({ ...p, candidates: undefined }), /: candidates: Required/],
    [(p) => ({ ...p, fields: undefined }), /: fields: Required/],
    [(p) => ({ ...p, candidates: [-8, 8, 16, 24, 32] }), /: candidates\.0: Number must be greater than 0/],
    [(p) => ({ ...p, candidates: [0, 8, 16, 24, 32] }), /: candidates\.0: Number must be greater than 0/],
    [(p) => ({ ...p, candidates: [2.5, 8, 16, 24, 32] }), /: candidates\.0: Expected integer, received float/],
    [(p) => ({ ...p, candidates: [8, 2, 16, 24, 32] }), /candidates: must be strictly increasing, got 8,2,16,24,32/],
    [
      (p) => ({ ...p, config: { ...(p.config as object), unify: "bogus" } }),
      /: config\.unify: Invalid enum value\. Expected 'linear' \| 'zeropad', received 'bogus'/,
    ],
    [
      (p) => ({ ...p, fields: (p.fields as { dim: number }[]).map((f, i) => (i === 3 ? { ...f, dim: 7 } : f)) }),
      /: fields\.3\.dim: field I4 has size 7, not one of the candidates 2,8,16,24,32/,
    ],
  ];
  for (const [edit, message] of cases) {
    const path = planFile(edit);
    assert.throws(
      () => readJsonFile(dimensionPlanSchema, path),
      (e: Error) => e.name === "AutodimError" && e.message.startsWith(`${path}: `) && message.test(e.message),
      String(message),
    );
  }
  const notJson = join(tempDir(), "x.json");
  writeFileSync(notJson, "{");
  assert.throws(() => readJsonFile(dimensionPlanSchema, notJson), /x\.json: not valid JSON/);
  assert.throws(() => readJsonFile(dimensionPlanSchema, join(tempDir(), "none.json")), /none\.json: file not found/);
  assert.throws(() => readJsonFile(dimensionPlanSchema, tempDir()), /: is a directory, not a file/);
});

test("schemas: a manifest with a field of the wrong type or inconsistent offsets is refused with the field named", async () => {
  const out = join(tempDir(), "prepared");
  await prepareQuiet({ input: CRITEO_DEEPCTR, format: "criteo-deepctr", minCount: 1, out });
  const path = join(out, "manifest.json");
  const good = JSON.parse(readFileSync(path, "utf8")) as {
    fields: { offset: number; vocabularySize: unknown }[];
    totalFeatures: number;
  };
  assert.ok(manifestSchema.safeParse(good).success);
  writeFileSync(
    path,
    JSON.stringify({ ...good, fields: good.fields.map((f, i) => (i === 2 ? { ...f, vocabularySize: "12" } : f)) }),
  );
  assert.throws(
    () => readManifest(out),
    /manifest\.json: fields\.2\.vocabularySize: Expected number, received string; the manifest is damaged, re-run `autodim prepare`/,
  );
  writeFileSync(path, JSON.stringify({ ...good, totalFeatures: good.totalFeatures + 1 }));
  assert.throws(() => readManifest(out), /manifest\.json: totalFeatures: \d+, the fields' vocabularies sum to \d+/);
});

test("schemas: a weights file whose header is damaged names the entry", () => {
  const path = join(tempDir(), "w.bin");
  saveWeights(path, [{ name: "a", shape: [2], data: Float32Array.from([1, 2]) }]);
  const bytes = readFileSync(path);
  const broken = Buffer.from(bytes.toString("latin1").replace('"shape":[2]', '"shape":[-2]'), "latin1");
  assert.throws(
    () => parseWeights(broken, path),
    /w\.bin: not a weights file .*\(header 0\.shape\.0: Number must be greater than or equal to 0\)/,
  );
});
