// Every notebook's settings cell is plain data a researcher can edit: uncommenting any one of its
// lines keeps the cell valid TypeScript, and the line's value is a setting the experiment has, of
// the right type (checked by the same merge the notebook runs). A wrong name is an error naming it.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { caseStudyDefaults } from "../../src/experiments/casestudy-experiment.js";
import { claimsDefaults } from "../../src/experiments/claims-experiment.js";
import { componentsDefaults } from "../../src/experiments/components.js";
import { dimensionsDefaults } from "../../src/experiments/dimensions.js";
import { frequencyDefaults } from "../../src/experiments/frequency.js";
import { methodsDefaults } from "../../src/experiments/methods.js";
import { mergeSettings, settingsCell } from "../../src/experiments/overrides.js";
import { stabilityDefaults } from "../../src/experiments/stability.js";
import { transferDefaults } from "../../src/experiments/transfer.js";
import { YOUR_DATA_WHOLE, yourDataDefaults } from "../../src/experiments/yourdata.js";

// Each notebook's defaults, as its settings cell calls them (the first argument of settingsCell).
const DEFAULTS: Record<
  string,
  { call: RegExp; defaults: () => unknown; whole?: Record<string, Record<string, unknown>> }
> = {
  "01-data.ipynb": { call: /settingsCell<DataSettings>\(\{ data: "scale" \}, \{/, defaults: () => ({ data: "scale" }) },
  "02-methods.ipynb": {
    call: /settingsCell\(methodsDefaults\(scale, scale === "quick" \? "movielens" : "scale"\), \{/,
    defaults: () => methodsDefaults("quick", "movielens"),
  },
  "03-efficiency.ipynb": {
    call: /settingsCell\(methodsDefaults\(scale\), \{/,
    defaults: () => methodsDefaults("quick"),
  },
  "04-components.ipynb": {
    call: /settingsCell\(componentsDefaults\(scale\), \{/,
    defaults: () => componentsDefaults("quick"),
  },
  "05-frequency.ipynb": {
    call: /settingsCell\(frequencyDefaults\(scale\), \{/,
    defaults: () => frequencyDefaults("quick"),
  },
  "06-dimensions.ipynb": {
    call: /settingsCell\(dimensionsDefaults\(scale\), \{/,
    defaults: () => dimensionsDefaults("quick"),
  },
  "07-casestudy.ipynb": {
    call: /settingsCell\(caseStudyDefaults\(scale\), \{/,
    defaults: () => caseStudyDefaults("quick"),
  },
  "08-transfer.ipynb": {
    call: /settingsCell\(transferDefaults\(scale\), \{/,
    defaults: () => transferDefaults("quick"),
  },
  "09-stability.ipynb": {
    call: /settingsCell\(stabilityDefaults\(scale\), \{/,
    defaults: () => stabilityDefaults("quick"),
  },
  "10-your-data.ipynb": {
    call: /settingsCell\(\n {2}yourDataDefaults\(scale\),\n {2}\{/,
    defaults: () => yourDataDefaults("quick"),
    whole: YOUR_DATA_WHOLE,
  },
  "11-claims.ipynb": { call: /settingsCell\(claimsDefaults\(scale\), \{/, defaults: () => claimsDefaults("quick") },
};

function settingsSource(name: string): string {
  const nb = JSON.parse(readFileSync(join("notebooks", name), "utf8")) as {
    cells: { cell_type: string; source: string[] }[];
  };
  const cell = nb.cells.find((c) => c.cell_type === "code" && /settingsCell[<(]/.test(c.source.join("")));
  assert.ok(cell, `${name}: a settings cell calling settingsCell`);
  return cell.source.join("");
}

/** TypeScript's syntax errors in a cell (the kernel type-checks later; syntax is what an edit breaks). */
function syntaxErrors(source: string): string[] {
  const out = ts.transpileModule(source, {
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext },
  });
  return (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

// A commented setting: "  // key: value,   // what it means".
const COMMENTED = /^(\s*)\/\/ (\w+: .*?,)(\s+\/\/ .*)?$/;

test("every notebook has a settings cell, and the table above knows it", () => {
  const names = readdirSync("notebooks").filter((f) => f.endsWith(".ipynb"));
  assert.deepEqual(names.sort(), Object.keys(DEFAULTS).sort());
  for (const [name, d] of Object.entries(DEFAULTS)) assert.match(settingsSource(name), d.call, name);
});

test("uncommenting any settings line in any notebook keeps the cell valid and names a real setting", () => {
  let lines = 0;
  for (const [name, d] of Object.entries(DEFAULTS)) {
    const source = settingsSource(name);
    assert.deepEqual(syntaxErrors(source), [], `${name} as committed`);
    const all = source.split("\n");
    // The settings object: from the settingsCell call to the line closing it.
    const first = source.slice(0, source.search(d.call)).split("\n").length;
    const last = all.findIndex((l, i) => i >= first && /^\s*\}\)?[;,]?$/.test(l));
    all.forEach((line, i) => {
      if (i < first || i >= last || !/^\s*\/\//.test(line)) return;
      const m = COMMENTED.exec(line);
      assert.ok(m, `${name}, line ${i + 1}: a setting is "// key: value,   // its meaning": ${line.trim()}`);
      lines++;
      const edited = [...all.slice(0, i), `${m[1]}${m[2]}${m[3] ?? ""}`, ...all.slice(i + 1)].join("\n");
      assert.deepEqual(syntaxErrors(edited), [], `${name}, line ${i + 1} uncommented: ${line.trim()}`);
      // Plain data: the value evaluates with nothing in scope, and the merge accepts it.
      let value: Record<string, unknown>;
      try {
        value = new Function(`return ({ ${m[2]} });`)() as Record<string, unknown>;
      } catch (e) {
        assert.fail(`${name}, line ${i + 1} is not plain data: ${line.trim()} (${(e as Error).message})`);
      }
      assert.doesNotThrow(
        () => mergeSettings(d.defaults(), value, `${name} line ${i + 1}`, d.whole),
        `${name}, line ${i + 1}: ${line.trim()}`,
      );
    });
  }
  // Every notebook's cell offers settings to change (notebook 1 one, notebook 2 ten).
  assert.ok(lines >= 40, `${lines} commented settings lines`);
});

test("a settings cell merges nested settings into the defaults and names a wrong one", () => {
  const d = frequencyDefaults("quick");
  const s = settingsCell(d, { search: { epochs: 2 }, frequencies: [1, 5] });
  assert.equal(s.search.epochs, 2);
  assert.equal(s.search.batchSize, d.search.batchSize, "the rest of search stays the default");
  assert.deepEqual(s.frequencies, [1, 5]);
  assert.throws(
    () => settingsCell(d, { search: { epoch: 2 } } as never),
    /the settings cell: unknown setting search\.epoch/,
  );
  assert.throws(
    () => settingsCell(d, { seeds: ["1"] } as never),
    /the settings cell: setting seeds\[0\] must be a number/,
  );
  // A data schema is one value: its keys come from the template, the defaults' keys do not linger.
  const y = settingsCell(
    yourDataDefaults("quick"),
    { schema: { label: "clicked", fields: ["user", "ad"] } },
    YOUR_DATA_WHOLE,
  );
  assert.deepEqual(y.schema, { label: "clicked", fields: ["user", "ad"] });
  assert.throws(
    () => settingsCell(yourDataDefaults("quick"), { schema: { labels: "x" } } as never, YOUR_DATA_WHOLE),
    /unknown setting schema\.labels/,
  );
});
