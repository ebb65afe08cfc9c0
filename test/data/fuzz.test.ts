// Bad input end to end: seeded random mutations of the real Criteo (raw and DeepCTR) and
// Avazu samples go through `prepare` twice (--on-bad-row error and skip). Every run must
// either succeed or fail with a `file:line` message at the first rejected line — never
// another exception; skip mode must skip exactly the rows error mode stops at; and every
// row that is accepted must encode to exactly its own values (checked by decoding the ids
// through vocab.jsonl against a plain split of the line), so nothing is silently wrong.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PreparedData } from "../../src/data/batches.js";
import { DataError } from "../../src/data/data-error.js";
import { MISSING_ID } from "../../src/data/vocab.js";
import { randomStream, type RandomStream } from "../../src/core/random.js";
import { AVAZU, CRITEO_DEEPCTR, CRITEO_RAW, preparedFile, prepareQuiet, tempDir } from "../helpers.js";

interface Layout {
  name: string;
  fixture: string;
  format: "criteo" | "criteo-deepctr" | "avazu";
  delimiter: string;
  header: boolean;
  columns: number;
  labelColumn: number;
  /** Raw column of each categorical field, by field name (numeric fields are bucketised). */
  categorical: Record<string, number>;
  numeric: Record<string, number>;
}

const criteoFields = (offset: number) => ({
  numeric: Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`I${i + 1}`, offset + i])),
  categorical: Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`C${i + 1}`, offset + 13 + i])),
});
const avazuHeader = readFileSync(AVAZU, "latin1").split("\n")[0].split(",");
const LAYOUTS: Layout[] = [
  {
    name: "criteo raw",
    fixture: CRITEO_RAW,
    format: "criteo",
    delimiter: "\t",
    header: false,
    columns: 40,
    labelColumn: 0,
    ...criteoFields(1),
  },
  {
    name: "criteo deepctr",
    fixture: CRITEO_DEEPCTR,
    format: "criteo-deepctr",
    delimiter: ",",
    header: true,
    columns: 40,
    labelColumn: 0,
    ...criteoFields(1),
  },
  {
    name: "avazu",
    fixture: AVAZU,
    format: "avazu",
    delimiter: ",",
    header: true,
    columns: 24,
    labelColumn: 1,
    numeric: {},
    categorical: Object.fromEntries(avazuHeader.map((n, i) => [n, i]).filter(([n]) => n !== "id" && n !== "click")),
  },
];

const NOISE = [",", "\t", "-", ".", "x", "9", " ", "\n", "\r", "\u00e9", "0", "e"];

/** One random edit of one data line; returns the new file text and the edited line's number. */
function mutate(lines: string[], layout: Layout, rng: RandomStream): string[] {
  const out = lines.slice();
  const first = layout.header ? 1 : 0;
  const at = first + rng.int(out.length - first);
  const line = out[at];
  const cols = line.split(layout.delimiter);
  const c = rng.int(cols.length);
  switch (rng.int(8)) {
    case 0: // delete a character
      out[at] = ((p) => line.slice(0, p) + line.slice(p + 1))(rng.int(line.length));
      break;
    case 1: // insert a character
      out[at] = ((p) => line.slice(0, p) + NOISE[rng.int(NOISE.length)] + line.slice(p))(rng.int(line.length + 1));
      break;
    case 2: // drop a column
      cols.splice(c, 1);
      out[at] = cols.join(layout.delimiter);
      break;
    case 3: // duplicate a column
      cols.splice(c, 0, cols[c]);
      out[at] = cols.join(layout.delimiter);
      break;
    case 4: // a garbage value
      cols[c] = ["", "abc", "1.5", "-0", "1e3", "2", "NaN", "\u00e9\u00e9"][rng.int(8)];
      out[at] = cols.join(layout.delimiter);
      break;
    case 5: // cut the line
      out[at] = line.slice(0, rng.int(line.length));
      break;
    case 6: // a bad label
      cols[layout.labelColumn] = ["", "2", "-1", "yes", "0.5", "1"][rng.int(6)];
      out[at] = cols.join(layout.delimiter);
      break;
    default: // an empty line
      out[at] = "";
  }
  return out;
}

test("prepare on 300 seeded mutations of the real samples: a file:line error or exact skips, and accepted rows encode to their own values", async (t) => {
  const rng = randomStream(4242, "init", "fuzz");
  const outcomes: Record<string, number> = {};
  // Skip mode reports its skips on stderr: 300 runs of that would bury the test output.
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    typeof chunk === "string" && chunk.startsWith("prepare: skipped")
      ? true
      : write(chunk, ...(rest as []))) as typeof process.stderr.write;
  t.after(() => {
    process.stderr.write = write;
  });
  for (const layout of LAYOUTS) {
    const clean = readFileSync(layout.fixture, "latin1")
      .split("\n")
      .filter((l) => l.length > 0);
    for (let k = 0; k < 100; k++) {
      const mutated = mutate(clean, layout, rng);
      const text = mutated.join("\n") + "\n";
      const dir = tempDir();
      const input = join(dir, "input.txt");
      writeFileSync(input, text, "latin1");
      // The lines as the reader sees them: split at \n, one \r before it dropped (CRLF).
      const physical = text
        .split("\n")
        .slice(0, -1)
        .map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
      const where = `${layout.name} case ${k}`;

      let errorLine = -1;
      try {
        await prepareQuiet({ input, format: layout.format, onBadRow: "error" });
      } catch (err) {
        assert.ok(err instanceof DataError, `${where}: ${(err as Error).stack}`);
        const m = new RegExp(`^${input.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+)(: field \\S+)?: `).exec(
          err.message,
        );
        assert.ok(m, `${where}: message without file:line: ${err.message}`);
        errorLine = Number(m[1]);
      }
      const skip = await prepareQuiet({ input, format: layout.format, onBadRow: "skip", out: join(dir, "skip") });
      const s = skip.manifest.skipped;
      const skippedLines = new Set(s.examples.map((e) => e.line));
      if (errorLine < 0)
        assert.equal(s.total, 0, `${where}: error mode accepted everything, skip mode skipped ${s.total}`);
      else {
        assert.ok(
          s.total >= 1 && Math.min(...skippedLines) === errorLine,
          `${where}: error at line ${errorLine}, skipped ${[...skippedLines]}`,
        );
      }
      const dataLines = physical.length - (layout.header ? 1 : 0);
      assert.equal(skip.manifest.rows.train, dataLines - s.total, `${where}: rows`);
      outcomes[errorLine < 0 ? "accepted" : `rejected`] = (outcomes[errorLine < 0 ? "accepted" : `rejected`] ?? 0) + 1;
      if (s.total > s.examples.length) continue; // more skips than examples: rows cannot be matched to lines

      // Every accepted row decodes to its own line's values (all rows are in the train split, in order).
      const data = new PreparedData(join(dir, "skip"));
      const vocab = new Map<string, string[]>(
        readFileSync(preparedFile(join(dir, "skip"), "vocab.jsonl"), "latin1")
          .trim()
          .split("\n")
          .map((l) => {
            const v = JSON.parse(l) as { field: string; values: string[] };
            return [v.field, v.values];
          }),
      );
      const { ids, labels } = data.readSplit("train");
      const F = data.fieldCount;
      let row = 0;
      physical.forEach((line, i) => {
        const lineNo = i + 1;
        if ((layout.header && lineNo === 1) || skippedLines.has(lineNo)) return;
        const cols = line.split(layout.delimiter);
        assert.equal(cols.length, layout.columns, `${where}: line ${lineNo} was accepted with ${cols.length} columns`);
        assert.equal(labels[row], Number(cols[layout.labelColumn]), `${where}: line ${lineNo} label`);
        data.manifest.fields.forEach((f, m) => {
          const local = ids[row * F + m] - f.offset;
          assert.ok(
            local >= 0 && local < f.vocabularySize,
            `${where}: line ${lineNo} field ${f.name}: id out of range`,
          );
          const rawColumn = layout.categorical[f.name] ?? layout.numeric[f.name];
          if (rawColumn === undefined) return; // derived fields
          const raw = cols[rawColumn];
          if (raw === "")
            assert.equal(local, MISSING_ID, `${where}: line ${lineNo} field ${f.name}: empty must be missing`);
          else if (f.name in layout.categorical) {
            // min count 1: every value is kept, so the id names the value exactly.
            assert.equal((vocab.get(f.name) as string[])[local - 2], raw, `${where}: line ${lineNo} field ${f.name}`);
          } else
            assert.notEqual(local, MISSING_ID, `${where}: line ${lineNo} field ${f.name}: a number encoded as missing`);
        });
        row++;
      });
      assert.equal(row, skip.manifest.rows.train);
    }
  }
  // Both outcomes occur, so the test exercises both paths.
  assert.ok((outcomes.accepted ?? 0) > 20 && (outcomes.rejected ?? 0) > 20, JSON.stringify(outcomes));
});
