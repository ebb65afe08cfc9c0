// What is published agrees with results/ (issue 28, parts 3 and 4): the README's and the
// notebooks' generated spans are what the results give, no number typed into the README
// outside them repeats a result's, every figure is the one its result makes, plots the numbers
// its table prints, and shows only glyphs the packaged Chromium renders. Nothing is trained.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { blocksIn, BLOCKS, proseFiles } from "../../src/experiments/prose.js";
import { Results } from "../../src/experiments/prose-format.js";
import { notebookFigureOutputs, refreshPublished, staleFigures } from "../../src/experiments/refresh.js";
import { LEGACY_RESULTS, readFigure, readSavedResult, resultNames } from "../../src/experiments/remake.js";
import type { Figure } from "../../src/experiments/figures.js";
import { launchChromium } from "../../src/experiments/browser.js";

const results = new Results("results");

test("README and notebooks: every generated span agrees with results/, and every span is used", async () => {
  const r = await refreshPublished({ check: true, proseOnly: true });
  assert.deepEqual(r.stale, [], "run `npx autodim report` (the spans disagree with results/)");
  const used = new Set<string>();
  for (const file of proseFiles()) {
    const text = readFileSync(file, "utf8");
    for (const b of blocksIn(file.endsWith(".ipynb") ? notebookMarkdown(text) : text, results)) used.add(b.name);
  }
  assert.deepEqual(
    // claim-<id>-<data> exist for every claim and data set; the README quotes some.
    Object.keys(BLOCKS).filter((n) => !used.has(n) && !n.startsWith("claim-")),
    [],
    "a block no README/notebook span uses",
  );
});

function notebookMarkdown(json: string): string {
  const nb = JSON.parse(json) as { cells: { cell_type: string; source: string[] | string }[] };
  return nb.cells
    .filter((c) => c.cell_type === "markdown")
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source))
    .join("\n\n");
}

test("README and docs/: outside the generated spans, no typed number repeats one of results/", () => {
  const unminus = (s: string) => s.replace(/−/g, "-").replace(/^\+/, "");
  const held = new Set<string>();
  for (const name of resultNames())
    for (const m of readFileSync(join("results", `${name}.md`), "utf8").matchAll(/[−+-]?\d*\.\d{3,4}\b/g)) {
      held.add(unminus(m[0]));
      held.add(unminus(m[0]).replace(/^-/, ""));
    }
  const typed: string[] = [];
  for (const file of proseFiles().filter((f) => f.endsWith(".md"))) {
    const text = readFileSync(file, "utf8").replace(
      /<!-- autodim:begin ([\w-]+) -->[\s\S]*?<!-- autodim:end \1 -->/g,
      "",
    );
    for (const [i, line] of text.split("\n").entries())
      for (const m of line.matchAll(/[−+-]?\d*\.\d{3,4}\b/g))
        if (held.has(unminus(m[0]))) typed.push(`${file} line ~${i + 1}: ${m[0]}`);
  }
  assert.deepEqual(typed, [], "a number a result holds, typed by hand: make it a generated span (prose.ts) or a link");
});

test("figures/*.json are the figures remade from results/, and the notebooks show those", async () => {
  assert.deepEqual(
    staleFigures().map((f) => f.name),
    [],
    "run `npx autodim report` (figures disagree with their results)",
  );
  assert.deepEqual(await notebookFigureOutputs(".", "figures"), [], "a notebook shows another figure than figures/");
});

test("a notebook output that shows a result's table shows the committed result, whole", () => {
  const shown: string[] = [];
  for (const file of proseFiles().filter((f) => f.endsWith(".ipynb"))) {
    const nb = JSON.parse(readFileSync(file, "utf8")) as {
      cells: { outputs?: { data?: Record<string, string | string[]> }[] }[];
    };
    for (const cell of nb.cells)
      for (const o of cell.outputs ?? []) {
        const md = o.data?.["text/markdown"];
        if (md === undefined) continue;
        const text = Array.isArray(md) ? md.join("") : md;
        for (const name of resultNames()) {
          const markdown = readSavedResult(name).markdown;
          if (!text.startsWith(markdown.split("\n")[0])) continue;
          assert.ok(text.includes(markdown), `${file} shows an older ${name} than results/${name}.json`);
          shown.push(name);
        }
      }
  }
  assert.ok(shown.length >= 10, `only ${shown.length} result tables found in the notebooks`);
});

// ---- each figure against its table ----

type Row = Record<string, string>;

/** The Markdown table of a result (the first one in its markdown), as rows of cell strings. */
function tableOf(name: string): Row[] {
  const lines = readSavedResult(name)
    .markdown.split("\n")
    .filter((l) => l.startsWith("|"));
  const cells = (l: string) => l.slice(1, -1).split("|");
  const head = cells(lines[0]);
  return lines.slice(2).map((l) => Object.fromEntries(cells(l).map((c, i) => [head[i], c])));
}

/** A plotted number printed as the table prints its cell (decimals, %, Unicode minus). */
function printed(value: number, cell: string): string {
  const c = cell.trim().replace(/−/g, "-").replace(/^\+/, "");
  const pctCell = c.endsWith("%");
  const body = pctCell ? c.slice(0, -1) : c;
  const decimals = body.includes(".") ? body.length - body.indexOf(".") - 1 : 0;
  const v = pctCell ? 100 * value : value;
  const s = v.toFixed(decimals);
  return (s === `-${(0).toFixed(decimals)}` ? s.slice(1) : s) + (pctCell ? "%" : "");
}

function same(value: unknown, cell: string | undefined, what: string): void {
  assert.ok(cell !== undefined, `${what}: no such table cell`);
  assert.equal(typeof value, "number", `${what}: plotted ${String(value)}`);
  // A tiny negative printed as "−0.0000" is the same number as "0.0000".
  const zero = (x: string) => x.replace(/^-(0(\.0+)?%?)$/, "$1");
  assert.equal(
    zero(printed(value as number, cell)),
    zero(cell.trim().replace(/−/g, "-").replace(/^\+/, "")),
    `${what}: figure ${String(value)} vs table ${cell}`,
  );
}

const trace = (fig: Figure, pick: (t: Record<string, unknown>) => boolean, what: string) => {
  const t = fig.data.find(pick);
  assert.ok(t, `${what}: no such trace`);
  return t as { x: unknown[]; y: unknown[]; text?: string[]; error_y?: { array: number[]; arrayminus?: number[] } };
};
const named = (prefix: string) => (t: Record<string, unknown>) => String(t.name ?? "").startsWith(prefix);

function figure(result: string, name: string): Figure {
  const { experiment, scale } = readSavedResult(result).provenance;
  const fig = readFigure(experiment, name, scale);
  assert.ok(fig, `figures/${experiment}-${name}-${scale}.json is missing`);
  return fig;
}

/** The table of a result whose header row starts with `head` (results with several tables). */
function tableStarting(name: string, head: string): Row[] {
  return tablesStarting(name, head)[0];
}

/** Every table of a result whose header row starts with `head`. */
function tablesStarting(name: string, head: string): Row[][] {
  const blocks = readSavedResult(name)
    .markdown.split(/\n\s*\n/)
    .filter((b) => b.startsWith(head));
  assert.ok(blocks.length > 0, `${name}: no table starting ${head}`);
  return blocks.map((block) => {
    const lines = block.split("\n").filter((l) => l.startsWith("|"));
    const cells = (l: string) => l.slice(1, -1).split("|");
    const names = cells(lines[0]);
    return lines.slice(2).map((l) => Object.fromEntries(cells(l).map((c, i) => [names[i], c])));
  });
}

/** "−0.0016 [−0.0027, −0.0005] worse" → its three numbers as printed. */
function intervalCells(cell: string | undefined): [string, string, string] {
  const m = /^(\S+) \[(\S+), (\S+)\]/.exec((cell ?? "").trim());
  assert.ok(m, `no interval in ${cell}`);
  return [m[1], m[2], m[3]];
}

type XTrace = {
  x: (number | null)[];
  y: unknown[];
  error_x: { array: (number | null)[]; arrayminus: (number | null)[] };
};

const checks: Record<string, () => void> = {
  "tuning-quick": () => {
    const rows = tableStarting("tuning-quick", "|setting|model|arm|");
    const fig = figure("tuning-quick", "verdicts");
    const series: [string, string, (r: Row) => boolean][] = [
      ["AutoDim − FDE", "ΔAUC vs FDE [95% CI]", (r) => r.arm === "AutoDim"],
      ["uniform − FDE", "ΔAUC vs FDE [95% CI]", (r) => r.arm === "uniform"],
      ["AutoDim − uniform", "AutoDim − uniform [95% CI]", (r) => r.arm === "AutoDim"],
    ];
    for (const [name, column, pick] of series) {
      const t = trace(fig, named(name), name) as unknown as XTrace;
      t.y.forEach((label, i) => {
        const r = rows.find((x) => pick(x) && `${x.model}, ${x.setting}` === label);
        const [d, lo, hi] = intervalCells(r?.[column]);
        same(t.x[i], d, `${name} ${String(label)}`);
        same((t.x[i] as number) + (t.error_x.array[i] as number), hi, `${name} ${String(label)} upper`);
        same((t.x[i] as number) - (t.error_x.arrayminus[i] as number), lo, `${name} ${String(label)} lower`);
      });
      assert.equal(t.y.length, rows.filter(pick).length, `${name}: one point per verdict row`);
    }
  },
  "beyond-quick": () => {
    const rows = tableStarting("beyond-quick", "|model|method|params saved|");
    const fig = figure("beyond-quick", "tradeoff");
    for (const t of fig.data as {
      name: string;
      x: number[];
      y: number[];
      text?: string[];
      error_y: { array: number[]; arrayminus: number[] };
    }[]) {
      t.x.forEach((x, i) => {
        const r = t.name.endsWith("one point per tolerance")
          ? rows.find((row) => row.method.startsWith(`Shrink, ${t.text?.[i]}`) && t.name.includes(`(${row.model})`))
          : rows.find((row) => t.name === `${row.method} (${row.model}, main table)`);
        assert.ok(r, `${t.name} point ${i}: no table row`);
        const [d, lo, hi] = intervalCells(r["ΔAUC [95% CI]"]);
        same(x / 100, r["params saved"], `${t.name} saved`);
        same(t.y[i], d, `${t.name} ΔAUC`);
        same(t.y[i] + t.error_y.array[i], hi, `${t.name} upper`);
        same(t.y[i] - t.error_y.arrayminus[i], lo, `${t.name} lower`);
      });
    }
    // The gain share's verdicts on fresh seeds (fresh re-train, warm start): a point per (data, model) row of their tables.
    if (!readSavedResult("beyond-quick").markdown.includes("\n|data|model|rule|")) return; // not run yet
    const verdictRows = tablesStarting("beyond-quick", "|data|model|rule|").flat();
    const verdictFig = figure("beyond-quick", "verdict");
    let points = 0;
    for (const t of verdictFig.data as {
      name: string;
      x: number[];
      y: number[];
      text: string[];
      error_y: { array: number[]; arrayminus: number[] };
    }[]) {
      t.x.forEach((x, i) => {
        const r = verdictRows.find(
          (row) =>
            t.name.includes(`(${row.data}, `) &&
            row.model === t.text[i] &&
            (row.rule.includes("chosen per run")
              ? t.name.includes("share chosen per run")
              : row.rule.endsWith("warm start")
                ? t.name.includes("warm start") && !t.name.includes("chosen per run")
                : row.rule.endsWith("projection per field")
                  ? t.name.includes("projection per field")
                  : t.name.includes("projection per size")),
        );
        assert.ok(r, `${t.name} point ${i}: no table row`);
        const [d, lo, hi] = intervalCells(r["ΔAUC vs FDE [95% CI]"]);
        same(x / 100, r["params saved"], `${t.name} saved`);
        same(t.y[i], d, `${t.name} ΔAUC`);
        same(t.y[i] + t.error_y.array[i], hi, `${t.name} upper`);
        same(t.y[i] - t.error_y.arrayminus[i], lo, `${t.name} lower`);
        points++;
      });
    }
    assert.equal(points, verdictRows.length, "one point per verdict row");
  },
  "efficiency-quick": () => {
    const rows = tableOf("efficiency-quick");
    const fig = figure("efficiency-quick", "time");
    for (const [traceName, column] of [
      ["choosing sizes", "choosing sizes s"],
      ["final training", "final training s"],
      ["inference", "inference ms / 1k rows"],
    ]) {
      const t = trace(fig, named(traceName), traceName);
      assert.equal(t.x.length, rows.length, `${traceName}: one bar per table row`);
      t.x.forEach((method, i) => same(t.y[i], rows.find((r) => r.method === method)?.[column], `${method} ${column}`));
    }
  },
  "transfer-quick": () => {
    const rows = tableOf("transfer-quick");
    const fig = figure("transfer-quick", "auc");
    const ours = trace(fig, named("ours"), "ours");
    const paper = trace(fig, named("paper"), "paper");
    ours.x.forEach((model, i) => {
      const r = rows.find((x) => x.model === model);
      same(ours.y[i], r?.["ΔAUC"], `${String(model)} ΔAUC`);
      same(ours.error_y?.array[i], r?.["ΔAUC std"], `${String(model)} ΔAUC std`);
      same(paper.y[i], r?.["paper ΔAUC"], `${String(model)} paper ΔAUC`);
    });
  },
  "components-quick": () => {
    const rows = tableOf("components-quick");
    const fig = figure("components-quick", "panels");
    const columns = [
      "search params",
      "search samples/s",
      "test AUC",
      "test Logloss",
      "final params",
      "inference ms / 1k rows",
    ];
    const means = fig.data.filter((t) => t.name === "mean") as { x: string[]; y: number[] }[];
    assert.equal(means.length, columns.length);
    means.forEach((t, p) =>
      t.x.forEach((v, i) => same(t.y[i], rows.find((r) => r.variant === v)?.[columns[p]], `${v} ${columns[p]}`)),
    );
  },
  "frequency-quick": () => {
    const rows = tableOf("frequency-quick");
    const fig = figure("frequency-quick", "panels");
    for (const [name, column] of [
      ["AUC", "test AUC"],
      ["Logloss", "test Logloss"],
      ["Params", "params"],
      ["time", "search s"],
    ]) {
      const t = trace(fig, (x) => x.name === name, name);
      t.x.forEach((f, i) => same(t.y[i], rows.find((r) => r.f === String(f))?.[column], `f = ${String(f)} ${column}`));
    }
  },
  "casestudy-quick": () => {
    const rows = tableOf("casestudy-quick");
    const fig = figure("casestudy-quick", "importance");
    const ours = trace(fig, named("ours: mean"), "ours");
    ours.text?.forEach((field, i) => {
      const r = rows.find((x) => x.field === field);
      same(ours.x[i], r?.["single-field AUC"], `${field} AUC`);
      same(ours.y[i], r?.["mean size"], `${field} mean size`);
    });
    const paper = trace(fig, named("paper"), "paper");
    paper.text?.forEach((field, i) => {
      const r = rows.find((x) => x.field === field);
      same(paper.x[i], r?.["paper AUC"], `${field} paper AUC`);
      same(paper.y[i], r?.["paper size"], `${field} paper size`);
    });
  },
  "casestudy-paper-quick": () => {
    // Two tables: the runs (per seed, mean, paper), then the fields.
    const [runs, fields] = readSavedResult("casestudy-paper-quick")
      .markdown.split(/\n\s*\n/)
      .filter((b) => b.startsWith("|"))
      .map((b) => {
        const lines = b.split("\n").filter((l) => l.startsWith("|"));
        const cells = (l: string) => l.slice(1, -1).split("|");
        const head = cells(lines[0]);
        return lines.slice(2).map((l) => Object.fromEntries(cells(l).map((c, i) => [head[i], c])) as Row);
      });
    const fig = figure("casestudy-paper-quick", "summary");
    const delta = trace(fig, named("ours: ΔAUC"), "ours ΔAUC");
    delta.x.forEach((run, i) => {
      const r = runs.find((x) => x.run === run);
      const ci = /\[(.*), (.*)\]/.exec(r?.["95% CI"] ?? "");
      assert.ok(ci, `${String(run)}: no interval in the table`);
      same(delta.y[i], r?.["ΔAUC"], `${String(run)} ΔAUC`);
      same((delta.y[i] as number) + (delta.error_y?.array[i] ?? NaN), ci[2], `${String(run)} upper bound`);
      same((delta.y[i] as number) - (delta.error_y?.arrayminus?.[i] ?? NaN), ci[1], `${String(run)} lower bound`);
    });
    same(
      trace(fig, named("paper: ΔAUC"), "paper ΔAUC").y[0],
      runs.find((x) => x.run.startsWith("paper"))?.["ΔAUC"],
      "paper ΔAUC",
    );
    const sizesColumn = Object.keys(fields[0]).find((k) => k.startsWith("sizes")) ?? "sizes";
    const seeds = (/seeds (.*)\)/.exec(sizesColumn)?.[1] ?? "").split(", ");
    seeds.forEach((seed, k) => {
      const t = trace(fig, named(`ours, seed ${seed}`), `seed ${seed}`);
      t.text?.forEach((field, i) => {
        const r = fields.find((x) => x.field === field);
        same(t.x[i], r?.importance, `${field} importance`);
        same(t.y[i], r?.[sizesColumn].split(", ")[k], `${field} size, seed ${seed}`);
      });
    });
    const mean = trace(fig, named("ours, mean"), "mean size");
    mean.text?.forEach((field, i) =>
      same(mean.y[i], fields.find((x) => x.field === field)?.["mean size"], `${field} mean size`),
    );
    const paper = trace(fig, named("paper (one run"), "paper sizes");
    paper.text?.forEach((field, i) => {
      const r = fields.find((x) => x.field === field);
      same(paper.x[i], r?.["paper importance"], `${field} paper importance`);
      same(paper.y[i], r?.["paper size"], `${field} paper size`);
    });
  },
  "unification-quick": () => {
    const rows = tableOf("unification-quick");
    const fig = figure("unification-quick", "panels");
    const means = fig.data.filter((t) => t.name === "mean ± 95% CI") as {
      x: string[];
      y: number[];
      error_y: { array: number[] };
    }[];
    means.forEach((t, p) =>
      t.x.forEach((label, i) => {
        const r = rows.find((x) => `${x.unification}, τ ${x["τ schedule"]}` === label);
        const [mean, half] = (r?.[p === 0 ? "Spearman(rank, size)" : "ΔAUC vs FDE"] ?? "").split(" ± ");
        same(t.y[i], mean, `${label} mean`);
        same(t.error_y.array[i], half, `${label} interval`);
      }),
    );
  },
  "dimensions-quick": () => {
    const rows = tableOf("dimensions-quick");
    const t = trace(figure("dimensions-quick", "fields"), (x) => x.type === "bar", "sizes");
    t.x.forEach((field, i) => same(t.y[i], rows.find((r) => r.field === field)?.size, `${String(field)} size`));
  },
  "dimensions-movielens-quick": () => {
    const rows = tableOf("dimensions-movielens-quick");
    for (const t of figure("dimensions-movielens-quick", "sizes").data as {
      name: string;
      x: string[];
      y: number[];
    }[]) {
      const label = { fm: "FM", wd: "W&D", deepfm: "DeepFM" }[t.name] ?? t.name;
      t.x.forEach((field, i) => {
        const sizes = (rows.find((r) => r.field === field)?.[`${label} sizes`] ?? "").split(", ").map(Number);
        assert.ok(
          Math.abs(t.y[i] - sizes.reduce((a, b) => a + b, 0) / sizes.length) < 1e-9,
          `${label} ${field}: ${t.y[i]} vs sizes ${sizes.join(", ")}`,
        );
      });
    }
  },
  "data-quick": () => {
    const rows = tableOf("data-quick");
    const t = trace(figure("data-quick", "fields"), (x) => x.type === "bar", "ids");
    t.x.forEach((field, i) => same(t.y[i], rows.find((r) => r.field === field)?.ids, `${String(field)} ids`));
  },
  "why-quick": () => whyCheck("why-quick"),
  "why-planted-quick": () => whyCheck("why-planted-quick"),
};

/** "390,320" → "390320": the why tables print counts with thousands separators. */
const plain = (cell: string | undefined) => cell?.replace(/,/g, "");

/** "0.018 ± 0.006", "0.7 ± 1.4 of 8" → mean and half-width as printed ("–": no interval). */
function plusMinus(cell: string | undefined): [string, string] {
  const m = /^(\S+) ± (\S+)/.exec((cell ?? "").trim());
  assert.ok(m, `no mean ± half in ${cell}`);
  return [m[1], m[2]];
}

type ErrorTrace = {
  name: string;
  x: number[];
  y: (number | null)[];
  text?: string[];
  error_y?: { array: number[]; arrayminus?: number[] };
  marker?: { symbol?: string[]; color?: string | string[] };
};

/** A point with a symmetric error bar (`withError`) against a "mean ± half" cell; "–" is drawn as no bar. */
function sameInterval(t: ErrorTrace, i: number, cell: string | undefined, what: string): void {
  const [mean, half] = plusMinus(cell);
  same(t.y[i], mean, what);
  if (half === "–") assert.equal(t.error_y?.array[i], 0, `${what}: no interval, yet a bar`);
  else same(t.error_y?.array[i], half, `${what} half-width`);
}

/** A point with an asymmetric band (`withBand`) against the printed value and bounds. */
function sameBand(t: ErrorTrace, i: number, [value, low, high]: string[], what: string): void {
  const y = t.y[i] as number;
  same(y, value, what);
  same(y + (t.error_y?.array[i] ?? NaN), high, `${what} upper`);
  same(y - (t.error_y?.arrayminus?.[i] ?? NaN), low, `${what} lower`);
}

/**
 * The why figures draw "never" at one level above every finite count (`never`, named in the points'
 * legend entry) and every finite count at its value.
 */
function sameSteps(value: unknown, cell: string | undefined, what: string, never: number): void {
  const c = plain(cell)?.trim();
  assert.ok(c !== undefined, `${what}: no such table cell`);
  same(value, c === "never" ? String(never) : c, what);
}

/**
 * The why result's three figures against its tables: the settings table (first), the gradient's
 * signal per field (second) and the "stopped early" read-out after them. Two things the figures
 * draw are printed nowhere, and are checked against the result's rows instead: the fields Adam
 * decides on pure noise (the simulation's share × fields), and each field's steps needed at the
 * searches shorter than the longest (the table prints only their median, never-count and decided).
 */
function whyCheck(name: string): void {
  const rows = tableOf(name);
  const fields = tableStarting(name, "|field|ids|");
  const saved = readSavedResult(name).result as {
    settings: { seeds: number[]; dataLength: { epochs: number; frequency: number } };
    rows: { item: string; share: number; architectureSteps: number; fields: number; noise?: { decided: number } }[];
    signalSetting: { architectureSteps: number };
    runs: {
      seed: number;
      share: number;
      architectureSteps: number;
      fields: { name: string; stepsNeeded: number | null; decided: boolean }[];
    }[];
  };
  const seeds = saved.settings.seeds;
  const byName = (fig: Figure, prefix: string) => trace(fig, named(prefix), prefix) as unknown as ErrorTrace;
  const agreeCells = (r: Row) => intervalCells(r["all seeds agree"]).map((c) => `${c}%`);
  const chanceCell = (r: Row) => /\(chance (\S+%)\)/.exec(r["all seeds agree"])?.[1];
  const planted = (fig: Figure, at: Row[], what: string) => {
    if (!at.some((r) => r["Spearman (planted)"] !== undefined)) return;
    const rho = byName(fig, "Spearman(planted rank, size)");
    const noise = byName(fig, "share of noise fields at the smallest size");
    at.forEach((r, i) => {
      sameInterval(rho, i, r["Spearman (planted)"], `${what} ${i} Spearman (planted)`);
      same(noise.y[i], r["noise at smallest"], `${what} ${i} noise at smallest`);
    });
  };

  // 1 — search length: one point per "1 length" row, at its α steps.
  const length = figure(name, "search-length");
  const lengthRows = rows.filter((r) => r.item === "1 length");
  for (const t of length.data as unknown as ErrorTrace[])
    assert.deepEqual(
      t.x.map(String),
      lengthRows.map((r) => plain(r["α steps"])),
      `search-length ${t.name}: x is the table's α steps`,
    );
  const margin = byName(length, "margin (mean over fields");
  const noiseMargin = byName(length, "margin Adam reaches on pure-noise");
  const decided = byName(length, "decided (diagnostics");
  const noiseDecided = byName(length, "decided on pure noise");
  const agree = byName(length, "share of fields all seeds agree on");
  const chance = byName(length, "chance agreement");
  const pearson = byName(length, "mean Pearson of size vectors");
  const savedLength = saved.rows.filter((r) => r.item === "length" && r.share === 1);
  lengthRows.forEach((r, i) => {
    const at = `search-length, ${r["α steps"]} α steps:`;
    sameInterval(margin, i, r.margin, `${at} margin`);
    same(noiseMargin.y[i], r["margin on noise"], `${at} margin on noise`);
    sameInterval(decided, i, r.decided, `${at} decided`);
    // Not printed: the simulated share decided on noise, drawn as a count of the fields.
    const s = savedLength[i];
    assert.ok(s?.noise && Math.round(s.architectureSteps) === Number(plain(r["α steps"])), `${at} no such saved row`);
    assert.equal(noiseDecided.y[i], s.noise.decided * s.fields, `${at} decided on noise`);
    sameBand(agree, i, agreeCells(r), `${at} all seeds agree`);
    same(chance.y[i], chanceCell(r), `${at} chance`);
    sameBand(pearson, i, intervalCells(r["Pearson (sizes)"]), `${at} Pearson (sizes)`);
  });
  planted(length, lengthRows, "search-length");

  // 2 — data size: the "3 data" rows at the data-size frequency and the full-data length row of
  // the same epochs and frequency, by training rows.
  const size = figure(name, "data-size");
  const { epochs, frequency } = saved.settings.dataLength;
  const sizeRows = rows
    .filter(
      (r) =>
        Number(r.f) === frequency && (r.item === "3 data" || (r.item === "1 length" && Number(r.epochs) === epochs)),
    )
    .sort((a, b) => Number(plain(a["train rows"])) - Number(plain(b["train rows"])));
  for (const t of size.data as unknown as ErrorTrace[])
    assert.deepEqual(
      t.x.map(String),
      sizeRows.map((r) => plain(r["train rows"])),
      `data-size ${t.name}: x is the table's train rows`,
    );
  const sizeMargin = byName(size, "margin (mean over fields)");
  const snr = byName(size, "median SNR over fields");
  const sizeDecided = byName(size, "decided fields");
  const sizeAgree = byName(size, "share of fields all seeds agree on");
  const sizePearson = byName(size, "mean Pearson of size vectors");
  sizeRows.forEach((r, i) => {
    const at = `data-size, ${r["train rows"]} rows:`;
    sameInterval(sizeMargin, i, r.margin, `${at} margin`);
    same(snr.y[i], r["median SNR"], `${at} median SNR`);
    sameInterval(sizeDecided, i, r.decided, `${at} decided`);
    sameBand(sizeAgree, i, agreeCells(r), `${at} all seeds agree`);
    sameBand(sizePearson, i, intervalCells(r["Pearson (sizes)"]), `${at} Pearson (sizes)`);
  });
  planted(size, sizeRows, "data-size");

  // 3 — the gradient's signal. Top: per field, each seed's SNR and the pooled t.
  const signal = figure(name, "gradient-signal");
  const pooled = byName(signal, "pooled over seeds");
  assert.deepEqual(
    pooled.x,
    fields.map((r) => r.field),
    "gradient-signal: one bar per field of the signal table",
  );
  pooled.x.forEach((field, i) => same(pooled.y[i], fields[i]["pooled t"], `gradient-signal ${field} pooled t`));
  seeds.forEach((seed, k) => {
    const t = byName(signal, `seed ${seed}: SNR`);
    assert.deepEqual(t.x, pooled.x, `gradient-signal seed ${seed}: the fields of the bars`);
    t.x.forEach((field, i) => {
      const cell = fields[i]["SNR (per seed)"].split(", ")[k];
      if (cell === "–") assert.equal(t.y[i], null, `gradient-signal ${field} seed ${seed}: no SNR, yet a point`);
      else same(t.y[i], cell, `gradient-signal ${field} seed ${seed} SNR`);
    });
  });
  assert.ok(
    byName(signal, "SNR 2 (the rule)").y.every((y) => y === 2),
    "gradient-signal: the rule's line is at SNR 2",
  );
  // Bottom: steps needed per field and seed at every length (x offset per seed).
  const points = byName(signal, "steps needed per field and seed");
  const neverLevel = Number(/at the top, ([0-9.e+]+): never/.exec(points.name ?? "")?.[1]);
  assert.ok(neverLevel > 0, "gradient-signal: the legend names the level drawn for never");
  const finiteDrawn = points.y.filter((_, i) => points.marker?.symbol?.[i] !== "triangle-up") as number[];
  assert.ok(
    finiteDrawn.length > 0 && Math.max(...finiteDrawn) < neverLevel,
    "gradient-signal: every finite count is below never's level",
  );
  const longest = Math.round(saved.signalSetting.architectureSteps);
  const perLength = new Map<string, number[]>();
  points.x.forEach((x, i) => {
    const [field, seed] = (points.text?.[i] ?? "").split(", seed ").map((v, j) => (j === 0 ? v : Number(v)));
    const k = seeds.indexOf(seed as number);
    const steps = Math.round(x / (1 + 0.06 * (k - 1)));
    const r = lengthRows.find((l) => Number(plain(l["α steps"])) === steps);
    assert.ok(k >= 0 && r, `gradient-signal ${points.text?.[i]}: at ${x}, no length of the table`);
    perLength.set(r["α steps"], [...(perLength.get(r["α steps"]) ?? []), i]);
    const never = points.marker?.symbol?.[i] === "triangle-up";
    const green = (points.marker?.color as string[])[i] === "#2ca02c";
    const what = `gradient-signal ${points.text?.[i]} after ${r["α steps"]} α steps`;
    // Not printed below the longest search: each field's steps needed (checked against its run).
    const run = saved.runs.find((u) => u.share === 1 && u.seed === seed && Math.round(u.architectureSteps) === steps);
    const f = run?.fields.find((g) => g.name === field);
    assert.ok(f, `${what}: no such run`);
    sameSteps(points.y[i], f.stepsNeeded === null ? "never" : String(f.stepsNeeded), `${what} (its run)`, neverLevel);
    assert.equal(never, f.stepsNeeded === null, `${what}: triangle iff never`);
    assert.equal(green, f.decided, `${what}: green iff decided`);
    if (steps !== longest) return;
    const row = fields.find((g) => g.field === field);
    const cell = row?.["steps needed (per seed)"].split(", ")[k];
    sameSteps(points.y[i], cell, what, neverLevel);
    assert.equal(never, cell === "never", `${what}: triangle iff the table says never`);
  });
  // Per length, the points agree with the table's median steps needed, never and decided columns.
  const medians = byName(signal, "median steps needed");
  assert.equal(medians.x.length, lengthRows.length, "gradient-signal: one median per length");
  lengthRows.forEach((r) => {
    const at = perLength.get(r["α steps"]) ?? [];
    const what = `gradient-signal after ${r["α steps"]} α steps`;
    const j = medians.x.findIndex((x) => Math.round(x) === Number(plain(r["α steps"])));
    assert.equal(at.length, seeds.length * Number(/of (\d+)$/.exec(r.decided)?.[1]), `${what}: fields × seeds points`);
    const ys = at.map((i) => points.y[i] as number).sort((a, b) => a - b);
    sameSteps(ys[ys.length >> 1], r["median steps needed"], `${what} median of the points`, neverLevel);
    same(medians.x[j], plain(r["α steps"]), `${what} median x`);
    sameSteps(medians.y[j], r["median steps needed"], `${what} median`, neverLevel);
    same(at.filter((i) => points.marker?.symbol?.[i] === "triangle-up").length, r.never, `${what} never`);
    same(
      at.filter((i) => (points.marker?.color as string[])[i] === "#2ca02c").length / seeds.length,
      plusMinus(r.decided)[0],
      `${what} decided`,
    );
  });
  // "Had the longest searches stopped early": the read-out after the tables.
  const early = byName(signal, "median steps needed, had the longest");
  const readout = [
    ...readSavedResult(name).markdown.matchAll(/n = ([\d,]+): SNR \S+, steps needed ([\d,]+|never), margin/g),
  ];
  assert.equal(early.x.length, readout.length, "gradient-signal: one early-stopping point per n of the read-out");
  readout.forEach((m, i) => {
    same(early.x[i], plain(m[1]), `gradient-signal early n = ${m[1]}`);
    sameSteps(early.y[i], m[2], `gradient-signal early n = ${m[1]} steps needed`, neverLevel);
  });
  const diagonal = byName(signal, "steps needed = steps taken");
  assert.deepEqual(diagonal.x, diagonal.y, "gradient-signal: the diagonal is steps needed = steps taken");
  same(2 * diagonal.x[0], plain(lengthRows[0]["α steps"]), "gradient-signal diagonal: half the shortest search");
  same(
    diagonal.x[1] / 2,
    plain(lengthRows[lengthRows.length - 1]["α steps"]),
    "gradient-signal diagonal: twice the longest",
  );
}

/** The main tables: ΔAUC, its interval and the parameters of every (model, method) point. */
function mainTableCheck(name: string): void {
  const rows = tableOf(name);
  const fig = figure(name, "tradeoff");
  const models = (fig.layout.annotations as { text: string }[]).map((a) => a.text);
  for (const t of fig.data as {
    name: string;
    xaxis: string;
    x: number[];
    y: number[];
    error_y: { array: number[]; arrayminus: number[] };
  }[]) {
    const model = models[t.xaxis === "x" ? 0 : Number(t.xaxis.slice(1)) - 1];
    if (t.name.startsWith("paper")) {
      const fde = rows.find((x) => x.model === model && x.method === "FDE");
      (t as unknown as { text: string[] }).text.forEach((method, i) => {
        const r = rows.find((x) => x.model === model && x.method === method);
        same(t.y[i], r?.["paper ΔAUC"], `${name} ${model} ${method} paper ΔAUC`);
        same(t.x[i] / Number(fde?.Params) - 1, r?.["paper Params vs FDE"], `${name} ${model} ${method} paper Params`);
      });
      continue;
    }
    const r = rows.find((x) => x.model === model && x.method === t.name);
    assert.ok(r, `${name}: ${model} ${t.name} is not in the table`);
    same(t.x[0], r.Params, `${name} ${model} ${t.name} Params`);
    if (r.method === "FDE") continue;
    same(t.y[0], r["ΔAUC vs FDE"], `${name} ${model} ${t.name} ΔAUC`);
    const ci = /\[(.*), (.*)\]/.exec(r["95% CI"]);
    if (!ci) continue;
    same(t.y[0] + t.error_y.array[0], ci[2], `${name} ${model} ${t.name} upper bound`);
    same(t.y[0] - t.error_y.arrayminus[0], ci[1], `${name} ${model} ${t.name} lower bound`);
  }
}

test("every figure plots the numbers its table prints", () => {
  const checked: string[] = [];
  for (const name of resultNames()) {
    if (LEGACY_RESULTS.has(name) || (readSavedResult(name).figures ?? []).length === 0) continue;
    const check = checks[name] ?? (name.startsWith("methods-") ? () => mainTableCheck(name) : undefined);
    if (!check) continue;
    check();
    checked.push(name);
  }
  // Stability's heatmap shows each seed's sizes, which its table (pairs of seeds) does not print.
  assert.deepEqual(
    resultNames().filter(
      (n) => !LEGACY_RESULTS.has(n) && (readSavedResult(n).figures ?? []).length > 0 && !checked.includes(n),
    ),
    ["stability-quick"],
  );
});

/** Every string a figure shows: titles, trace names and texts, annotations, axis titles. */
function shownText(fig: Figure): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string) => {
    if (typeof v === "string") {
      if (["text", "name", "title"].includes(key)) out.push(v);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k === "text" ? key || k : k);
  };
  walk(fig, "");
  return out;
}

test("every glyph a figure shows renders in the packaged Chromium's fonts", async () => {
  const chars = new Set<string>();
  for (const file of resultNames().flatMap((n) => {
    const s = readSavedResult(n);
    return (s.figures ?? []).map((f) => readFigure(s.provenance.experiment, f, s.provenance.scale));
  }))
    for (const s of file ? shownText(file) : [])
      for (const ch of s.replace(/<[^>]*>/g, "")) if (ch.charCodeAt(0) > 126) chars.add(ch);
  const { browser } = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent("<!doctype html><canvas id=c width=60 height=60></canvas>");
    // A string, not a function: tsx's helpers do not exist in the page.
    const ink = (await page.evaluate(`(() => {
      const ctx = document.getElementById("c").getContext("2d");
      return ${JSON.stringify([...chars, "a", "\u2192"])}.map((ch) => {
        ctx.clearRect(0, 0, 60, 60);
        ctx.font = "40px 'Open Sans', verdana, arial, sans-serif";
        ctx.fillText(ch, 5, 45);
        const d = ctx.getImageData(0, 0, 60, 60).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return [ch, n];
      });
    })()`)) as [string, number][];
    const blank = new Map(ink);
    // The probe itself: a letter inks, "→" (missing from these fonts) does not.
    assert.ok((blank.get("a") ?? 0) > 0 && blank.get("\u2192") === 0, "the glyph probe does not tell drawn from blank");
    assert.deepEqual(
      [...chars].filter((ch) => blank.get(ch) === 0),
      [],
      "glyphs the packaged fonts draw blank: write them another way",
    );
  } finally {
    await browser.close();
  }
});
