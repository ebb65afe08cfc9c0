// The "why" experiment's figures: search length vs α's separation and seed agreement, the α
// gradient's signal per field and the steps a decision would need, and data size vs separation.
import type { Figure } from "./figures.js";
import { modelLabel } from "./methods-table.js";
import { NEVER, upperMedian, type Interval } from "./why-stats.js";
import type { WhyResult, WhyRow } from "./why-summary.js";

const axis = (title: string, extra: Record<string, unknown> = {}) => ({ title: { text: title }, ...extra });

/** Three stacked panels against one x axis. */
function stacked(
  x: number[],
  xTitle: string,
  xType: "log" | "linear",
  panels: { title: string; traces: Record<string, unknown>[]; range?: number[] }[],
  title: string,
): Figure {
  const h = 1 / panels.length;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: title },
    height: 860,
    margin: { t: 90, l: 80, b: 190 },
    legend: { orientation: "h", y: -0.1 },
    xaxis: axis(xTitle, { type: xType, tickvals: x, anchor: `y${panels.length === 1 ? "" : panels.length}` }),
  };
  panels.forEach((p, i) => {
    const y = i === 0 ? "y" : `y${i + 1}`;
    for (const t of p.traces) data.push({ ...t, xaxis: "x", yaxis: y });
    layout[i === 0 ? "yaxis" : `yaxis${i + 1}`] = axis(p.title, {
      domain: [1 - (i + 1) * h + 0.04, 1 - i * h - 0.02],
      ...(p.range ? { range: p.range } : {}),
    });
  });
  // The x axis sits under the last panel.
  (layout.xaxis as Record<string, unknown>).anchor = panels.length === 1 ? "y" : `y${panels.length}`;
  return { data, layout };
}

const withError = (name: string, x: number[], ys: Interval[], color: string) => ({
  type: "scatter",
  mode: "lines+markers",
  name,
  x,
  y: ys.map((v) => v.mean),
  error_y: { type: "data", array: ys.map((v) => (Number.isFinite(v.half) ? v.half : 0)), visible: true },
  line: { color },
  marker: { color },
});

const withBand = (name: string, x: number[], y: number[], low: number[], high: number[], color: string) => ({
  type: "scatter",
  mode: "lines+markers",
  name,
  x,
  y,
  error_y: {
    type: "data",
    symmetric: false,
    array: high.map((h, i) => (Number.isFinite(h) ? h - y[i] : 0)),
    arrayminus: low.map((l, i) => (Number.isFinite(l) ? y[i] - l : 0)),
    visible: true,
  },
  line: { color },
  marker: { color },
});

/** Planted data: Spearman(planted rank, size) and the noise fields at the smallest size. */
function plantedPanel(rows: WhyRow[], x: number[]) {
  return {
    title: "planted ranks",
    range: [-1, 1],
    traces: [
      withError(
        "Spearman(planted rank, size) (95% t over seeds)",
        x,
        rows.map((y) => y.planted?.spearman ?? { mean: NaN, half: NaN }),
        "#8c564b",
      ),
      {
        type: "scatter",
        mode: "lines+markers",
        name: "share of noise fields at the smallest size",
        x,
        y: rows.map((y) => y.planted?.noiseAtSmallest ?? NaN),
        line: { color: "#7f7f7f", dash: "dash" },
      },
    ],
  };
}

export function whyFigures(r: WhyResult, caption: string): Record<string, Figure> {
  const sub = caption ? `<br><sub>${caption}</sub>` : "";
  const figures: Record<string, Figure> = {};
  const lengthRows = r.rows.filter((x) => x.share === 1 && x.item === "length");
  const F = r.rows[0]?.fields ?? 8;
  if (lengthRows.length > 0) {
    const x = lengthRows.map((x) => Math.round(x.architectureSteps));
    figures["search-length"] = stacked(
      x,
      "α steps (search epochs × steps per epoch / f; log scale)",
      "log",
      [
        {
          title: "α margin",
          traces: [
            withError(
              "margin (mean over fields; 95% t over seeds)",
              x,
              lengthRows.map((y) => y.margin),
              "#1f77b4",
            ),
            {
              type: "scatter",
              mode: "lines",
              name: "margin Adam reaches on pure-noise gradients (simulated)",
              x,
              y: lengthRows.map((y) => y.noise?.margin ?? NaN),
              line: { color: "#1f77b4", dash: "dot" },
            },
          ],
        },
        {
          title: `decided (of ${F})`,
          traces: [
            withError(
              "decided (diagnostics' rule)",
              x,
              lengthRows.map((y) => y.decided),
              "#2ca02c",
            ),
            {
              type: "scatter",
              mode: "lines",
              name: "decided on pure noise (simulated)",
              x,
              y: lengthRows.map((y) => (y.noise?.decided ?? NaN) * F),
              line: { color: "#2ca02c", dash: "dot" },
            },
          ],
          range: [-0.3, F + 0.3],
        },
        {
          title: "seed agreement",
          range: [-1, 1],
          traces: [
            withBand(
              "share of fields all seeds agree on (95% bootstrap over fields)",
              x,
              lengthRows.map((y) => y.agreement),
              lengthRows.map((y) => y.agreementLow),
              lengthRows.map((y) => y.agreementHigh),
              "#d62728",
            ),
            {
              type: "scatter",
              mode: "lines",
              name: "chance agreement",
              x,
              y: lengthRows.map((y) => y.chance),
              line: { color: "#d62728", dash: "dot" },
            },
            withBand(
              "mean Pearson of size vectors",
              x,
              lengthRows.map((y) => y.pearson),
              lengthRows.map((y) => y.pearsonLow),
              lengthRows.map((y) => y.pearsonHigh),
              "#9467bd",
            ),
          ],
        },
        ...(lengthRows.some((y) => y.planted) ? [plantedPanel(lengthRows, x)] : []),
      ],
      `AutoDim search length vs α's separation and seed agreement (${modelLabel(r.settings.model)})${sub}`,
    );
  }
  // 2 — the gradient's signal.
  const s = r.signal;
  if (s.length > 0) {
    const seeds = r.settings.seeds;
    const colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];
    const snrTraces = seeds.map((seed, i) => ({
      type: "scatter",
      mode: "markers",
      name: `seed ${seed}: SNR (argmax vs runner-up)`,
      x: s.map((f) => f.field),
      y: s.map((f) => f.snr[i]),
      marker: { color: colors[i % colors.length], size: 9 },
      xaxis: "x",
      yaxis: "y",
    }));
    const pooled = {
      type: "bar",
      name: "pooled over seeds: best vs next candidate of the mean gradient (t)",
      x: s.map((f) => f.field),
      y: s.map((f) => f.pooledSnr),
      marker: { color: "rgba(127,127,127,0.35)" },
      xaxis: "x",
      yaxis: "y",
    };
    const threshold = {
      type: "scatter",
      mode: "lines",
      name: "SNR 2 (the rule)",
      x: s.map((f) => f.field),
      y: s.map(() => 2),
      line: { color: "black", dash: "dash" },
      xaxis: "x",
      yaxis: "y",
    };
    const all = r.runs.filter((x) => x.share === 1);
    const needed = all.flatMap((run) => run.fields.map((f) => ({ run, f })));
    // "Never" is drawn a decade above every finite count, so no count is clipped to look like it.
    const finite = [...needed.map(({ f }) => f.stepsNeeded ?? 0), ...r.growth.map((g) => g.stepsNeeded)].filter(
      (n) => n > 0 && n < NEVER,
    );
    const never = Math.max(1e7, 10 ** (Math.ceil(Math.log10(Math.max(1, ...finite))) + 1));
    const drawn = (n: number | null) => (n === null || n >= NEVER ? never : n);
    const lengths = [...new Set(all.map((x) => x.architectureSteps))].sort((a, b) => a - b);
    const scatter = {
      type: "scatter",
      mode: "markers",
      name: `steps needed per field and seed (triangles at the top, ${never.toExponential(0)}: never, the gradient favours the runner-up)`,
      x: needed.map(({ run }) => run.architectureSteps * (1 + 0.06 * (seeds.indexOf(run.seed) - 1))),
      y: needed.map(({ f }) => drawn(f.stepsNeeded)),
      text: needed.map(({ run, f }) => `${f.name}, seed ${run.seed}`),
      marker: {
        symbol: needed.map(({ f }) => (f.stepsNeeded === null ? "triangle-up" : "circle")),
        color: needed.map(({ f }) => (f.decided ? "#2ca02c" : "#7f7f7f")),
        size: 7,
        opacity: 0.7,
      },
      hovertemplate: "%{text}: %{y} steps needed after %{x} taken<extra></extra>",
      xaxis: "x2",
      yaxis: "y2",
    };
    const medians = {
      type: "scatter",
      mode: "lines+markers",
      name: "median steps needed",
      x: lengths,
      y: lengths.map((n) =>
        drawn(
          upperMedian(
            all.filter((x) => x.architectureSteps === n).flatMap((x) => x.fields.map((f) => f.stepsNeeded ?? NEVER)),
          ),
        ),
      ),
      line: { color: "#ff7f0e" },
      xaxis: "x2",
      yaxis: "y2",
    };
    const diagonal = {
      type: "scatter",
      mode: "lines",
      name: "steps needed = steps taken",
      x: [lengths[0] / 2, lengths[lengths.length - 1] * 2],
      y: [lengths[0] / 2, lengths[lengths.length - 1] * 2],
      line: { color: "black", dash: "dash" },
      xaxis: "x2",
      yaxis: "y2",
    };
    const early = {
      type: "scatter",
      mode: "lines",
      name: "median steps needed, had the longest searches stopped after n",
      x: r.growth.map((g) => g.n),
      y: r.growth.map((g) => drawn(g.stepsNeeded)),
      line: { color: "#1f77b4", dash: "dot" },
      xaxis: "x2",
      yaxis: "y2",
    };
    figures["gradient-signal"] = {
      data: [pooled, ...snrTraces, threshold, scatter, medians, early, diagonal],
      layout: {
        title: {
          text: `The α gradient's signal: SNR per field after ${Math.round(r.signalSetting.architectureSteps)} α steps (top);<br>α steps a decision would need vs steps taken (bottom; green: decided)${sub}`,
        },
        height: 900,
        margin: { t: 110, l: 80, b: 230 },
        legend: { orientation: "h", y: -0.12 },
        xaxis: { anchor: "y", domain: [0, 1] },
        yaxis: axis("SNR = mean(d) / (sd(d)/√n)", { domain: [0.58, 1] }),
        xaxis2: axis("α steps taken (log; seeds offset)", { type: "log", anchor: "y2", domain: [0, 1] }),
        yaxis2: axis("α steps needed (log)", { type: "log", domain: [0, 0.44] }),
      },
    };
  }
  // 3 — data size.
  const dataRows = r.rows
    .filter((x) => x.frequency === r.settings.dataLength.frequency && x.item !== "length")
    .concat(
      r.rows.filter(
        (x) =>
          x.item === "length" &&
          x.share === 1 &&
          x.epochs === r.settings.dataLength.epochs &&
          x.frequency === r.settings.dataLength.frequency,
      ),
    )
    .sort((a, b) => a.share - b.share);
  if (dataRows.length > 1) {
    const x = dataRows.map((y) => y.trainRows);
    figures["data-size"] = stacked(
      x,
      "training rows searched (the same α and W steps at every size)",
      "log",
      [
        {
          title: "α margin",
          traces: [
            withError(
              "margin (mean over fields)",
              x,
              dataRows.map((y) => y.margin),
              "#1f77b4",
            ),
          ],
        },
        {
          title: "median SNR | decided",
          traces: [
            {
              type: "scatter",
              mode: "lines+markers",
              name: "median SNR over fields × seeds",
              x,
              y: dataRows.map((y) => y.snrMedian),
              line: { color: "#ff7f0e" },
            },
            withError(
              "decided fields",
              x,
              dataRows.map((y) => y.decided),
              "#2ca02c",
            ),
          ],
        },
        {
          title: "seed agreement",
          range: [-1, 1],
          traces: [
            withBand(
              "share of fields all seeds agree on",
              x,
              dataRows.map((y) => y.agreement),
              dataRows.map((y) => y.agreementLow),
              dataRows.map((y) => y.agreementHigh),
              "#d62728",
            ),
            withBand(
              "mean Pearson of size vectors",
              x,
              dataRows.map((y) => y.pearson),
              dataRows.map((y) => y.pearsonLow),
              dataRows.map((y) => y.pearsonHigh),
              "#9467bd",
            ),
          ],
        },
        ...(dataRows.some((y) => y.planted) ? [plantedPanel(dataRows, x)] : []),
      ],
      `Training rows vs α's separation (${stepsRange(dataRows.map((y) => y.architectureSteps))} α steps each)${sub}`,
    );
  }
  return figures;
}

/** "1,018–1,019" (or one number): the α steps of runs meant to take the same number. */
function stepsRange(steps: number[]): string {
  const lo = Math.round(Math.min(...steps));
  const hi = Math.round(Math.max(...steps));
  return lo === hi ? lo.toLocaleString("en-US") : `${lo.toLocaleString("en-US")}–${hi.toLocaleString("en-US")}`;
}
