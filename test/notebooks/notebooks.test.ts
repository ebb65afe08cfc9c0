// The notebooks run headlessly through the real tslab kernel (the repo's kernelspec) at the
// smoke scale; a failing cell stops the run and its stderr is reported.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runNotebook } from "../../src/notebooks/run.js";
import { FIXTURES, tempDir, SLOW } from "../helpers.js";

interface Cell {
  cell_type: string;
  outputs?: { output_type: string; data?: Record<string, unknown> }[];
  execution_count?: number | null;
}

test("the kernelspec starts tslab at the repo root through its launcher", () => {
  const spec = JSON.parse(readFileSync(".jupyter/kernels/autodim-tslab/kernel.json", "utf8")) as {
    argv: string[];
    language: string;
  };
  assert.deepEqual(spec.argv, ["bash", "{resource_dir}/launch.sh", "{connection_file}"]);
  assert.equal(spec.language, "typescript");
  const launcher = ".jupyter/kernels/autodim-tslab/launch.sh";
  assert.ok(statSync(launcher).mode & 0o100, "launch.sh is executable");
  assert.match(readFileSync(launcher, "utf8"), /cd "\$\(dirname "\$0"\)\/\.\.\/\.\.\/\.\."/);
});

test("slow: every notebook executes cleanly at smoke scale; each code cell gets its count and outputs", SLOW, () => {
  const out = tempDir();
  // Fresh results and figures in temporary folders: the notebooks run their experiments.
  const env = { ...process.env, AUTODIM_RESULTS_DIR: tempDir(), AUTODIM_FIGURES_DIR: tempDir() };
  const r = spawnSync(process.execPath, ["bin/notebooks.js", "--scale", "smoke", "--out", out], {
    encoding: "utf8",
    env,
  });
  assert.equal(r.status, 0, r.stderr);
  const names = readdirSync("notebooks").filter((f) => f.endsWith(".ipynb"));
  assert.ok(names.length >= 1);
  for (const name of names) {
    const nb = JSON.parse(readFileSync(join(out, name), "utf8")) as {
      cells: Cell[];
      metadata: { kernelspec?: { name: string } };
    };
    assert.equal(nb.metadata.kernelspec?.name, "autodim-tslab");
    const code = nb.cells.filter((c) => c.cell_type === "code");
    code.forEach((c, i) => {
      assert.equal(c.execution_count, i + 1, `${name} cell ${i + 1}`);
      assert.ok((c.outputs ?? []).length > 0, `${name} cell ${i + 1} shows something`);
      assert.ok(!(c.outputs ?? []).some((o) => o.output_type === "error"), `${name} cell ${i + 1}`);
    });
  }
});

test("a failing cell stops the notebook: its stderr is reported, later cells are left without outputs", async () => {
  const out = join(tempDir(), "failing.ipynb");
  const r = await runNotebook(join(FIXTURES, "notebooks", "failing.ipynb"), out, "smoke");
  assert.equal(r.ok, false);
  assert.equal(r.failure?.cell, 2);
  assert.match(r.failure?.stderr ?? "", /Type 'string' is not assignable to type 'number'/);
  const nb = JSON.parse(readFileSync(out, "utf8")) as { cells: Cell[] };
  assert.equal(nb.cells[0].execution_count, 1);
  assert.equal(nb.cells[2].execution_count, null);
  assert.deepEqual(nb.cells[2].outputs, []);
  // The CLI exits 1 and prints the cell and its stderr; unknown flags are usage errors.
  const bad = spawnSync(process.execPath, ["bin/notebooks.js", "--scale", "huge"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--scale must be one of smoke, quick, paper, paper-avazu/);
  const help = spawnSync(process.execPath, ["bin/notebooks.js", "--help"], { encoding: "utf8" });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: npm run notebooks -- \[--scale smoke\|quick\|paper\|paper-avazu\] \[--out DIR\]/);
  assert.match(help.stdout, /--out DIR +write the executed notebooks into DIR/);
});

test("notebooks are named by file, number or experiment; reproduce --notebooks rewrites the committed notebooks only", async () => {
  const { selectNotebooks } = await import("../../src/notebooks/run.js");
  assert.deepEqual(selectNotebooks(["data"]), [join("notebooks", "01-data.ipynb")]);
  assert.deepEqual(selectNotebooks(["01"]), [join("notebooks", "01-data.ipynb")]);
  assert.deepEqual(selectNotebooks(["notebooks/01-data.ipynb"]), [join("notebooks", "01-data.ipynb")]);
  assert.throws(() => selectNotebooks(["nope"]), /notebook nope not found; notebooks: 01-data\.ipynb/);
  const r = spawnSync(process.execPath, ["bin/autodim.js", "reproduce", "data", "--notebooks", "--out", tempDir()], {
    encoding: "utf8",
  });
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /--notebooks regenerates the committed notebooks from results\/ and figures\/: it cannot be combined with --out or --figures-out/,
  );
});

test("notebook 5 in the kernel: a changed setting computes only the runs whose identity changed; the rest load", async () => {
  const { TslabKernel } = await import("../../src/notebooks/kernel.js");
  const { KERNEL_LAUNCHER } = await import("../../src/notebooks/run.js");
  const { resolve } = await import("node:path");
  const nb = JSON.parse(readFileSync("notebooks/05-frequency.ipynb", "utf8")) as {
    cells: (Cell & { source: string[] })[];
  };
  const code = nb.cells.filter((c) => c.cell_type === "code").map((c) => c.source.join(""));
  const [settingsCell, dataCell, runCell] = code;
  assert.match(settingsCell, /settingsCell\(frequencyDefaults\(scale\), \{/);
  const work = tempDir();
  const kernel = await TslabKernel.start(resolve(KERNEL_LAUNCHER), work, {
    AUTODIM_SCALE: "smoke",
    AUTODIM_QUIET: "1",
    AUTODIM_RESULTS_DIR: join(work, "results"),
    AUTODIM_FIGURES_DIR: join(work, "figures"),
  });
  let n = 0;
  const run = async (source: string) => {
    const r = await kernel.execute(source, ++n);
    assert.ok(r.ok, r.stderr);
    return r.outputs
      .map((o) => (o as { text?: string | string[] }).text ?? "")
      .flat()
      .join("");
  };
  // The settings cell as a researcher edits it: one field changed at a time.
  const withSettings = (edit: string) =>
    settingsCell.replace(
      "settingsCell(frequencyDefaults(scale), {",
      `settingsCell(frequencyDefaults(scale), { ${edit}`,
    );
  try {
    await run(withSettings("frequencies: [1, 5],"));
    await run(dataCell);
    assert.match(await run(runCell), /2 run\(s\) computed now, 0 loaded from results\/frequency-smoke-runs\//);
    // Redeclaring in a new cell is how a re-run looks in tslab: the same cells, run again.
    await run(withSettings("frequencies: [1, 5, 10],"));
    assert.match(await run(runCell), /1 run\(s\) computed now, 2 loaded/);
    await run(withSettings("frequencies: [1, 5, 10], candidates: [2, 4, 8, 16, 32],"));
    assert.match(await run(runCell), /3 run\(s\) computed now, 0 loaded/);
    await run(withSettings("frequencies: [1, 5, 10],"));
    assert.match(await run(runCell), /0 run\(s\) computed now, 3 loaded/);
    assert.equal(
      readdirSync(join(work, "results", "frequency-smoke-runs")).filter((f) => f.endsWith(".json")).length,
      6,
    );
  } finally {
    await kernel.stop();
  }
});
