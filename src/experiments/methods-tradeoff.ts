// The main table's figure: ΔAUC vs FDE against embedding parameters per base model, with the
// paper's cells beside ours.
import { METHODS } from "../methods/registry.js";
import type { Figure } from "./figures.js";
import { PAPER_MAIN } from "./paper.js";
import { type MainTableRow, modelLabel } from "./methods-table.js";

/**
 * ΔAUC vs FDE (with its 95% interval) against embedding parameters, one panel per base model,
 * one trace per method with its own marker and a shared legend (text labels overlapped).
 */
export function methodFigures(
  rows: MainTableRow[],
  caption = "",
  paperData: "criteo" | "avazu" = "criteo",
): Record<string, Figure> {
  const models = [...new Set(rows.map((r) => r.model))];
  const methods = [...new Set(rows.map((r) => r.method))];
  const symbols = [
    "circle",
    "square",
    "diamond",
    "cross",
    "x",
    "triangle-up",
    "triangle-down",
    "star",
    "hexagram",
    "pentagon",
  ];
  const colors = [
    "#4c72b0",
    "#55a868",
    "#8172b2",
    "#ccb974",
    "#64b5cd",
    "#8c8c8c",
    "#dd8452",
    "#937860",
    "#c44e52",
    "#da8bc3",
  ];
  const data: Record<string, unknown>[] = models.flatMap((model, i) => {
    const axis = i === 0 ? "" : String(i + 1);
    return methods.map((method, k) => {
      const rs = rows.filter((r) => r.model === model && r.method === method);
      const label = METHODS[method]?.label ?? method;
      return {
        type: "scatter",
        mode: "markers",
        name: label,
        legendgroup: method,
        showlegend: i === 0,
        x: rs.map((r) => r.paramsMean),
        y: rs.map((r) => (method === "fde" ? 0 : r.deltaAuc)),
        error_y: {
          type: "data",
          symmetric: false,
          array: rs.map((r) => (Number.isNaN(r.deltaHigh) ? 0 : r.deltaHigh - r.deltaAuc)),
          arrayminus: rs.map((r) => (Number.isNaN(r.deltaLow) ? 0 : r.deltaAuc - r.deltaLow)),
          thickness: 1.2,
          width: 3,
        },
        marker: {
          size: method.startsWith("autodim") ? 12 : 9,
          symbol: symbols[k % symbols.length],
          color: colors[k % colors.length],
        },
        xaxis: `x${axis}`,
        yaxis: `y${axis}`,
        hovertemplate: `${label}: %{x:,.0f} params, ΔAUC %{y:.4f}<extra></extra>`,
      };
    });
  });
  // The paper's cells beside ours: its ΔAUC vs FDE, at our FDE's parameters scaled by its Params ÷ FDE's.
  const paperPoints = models.map((model) => {
    const fde = rows.find((r) => r.model === model && r.method === "fde");
    const table = PAPER_MAIN[paperData][model as "fm" | "wd" | "deepfm"];
    const points = methods.flatMap((method) => {
      const column = METHODS[method]?.paperColumn;
      const cell = column === undefined || method === "fde" ? undefined : table?.[column];
      return cell && table && fde
        ? [{ method, x: (fde.paramsMean * cell.paramsM) / table.fde.paramsM, y: cell.auc - table.fde.auc }]
        : [];
    });
    return { model, points };
  });
  paperPoints.forEach(({ points }, i) => {
    if (points.length === 0) return;
    const axis = i === 0 ? "" : String(i + 1);
    data.push({
      type: "scatter",
      mode: "markers",
      name: `paper (${paperData === "avazu" ? "Avazu" : "Criteo"}, one run; params as its share of FDE's)`,
      legendgroup: "paper",
      showlegend: i === paperPoints.findIndex((p) => p.points.length > 0),
      x: points.map((p) => p.x),
      y: points.map((p) => p.y),
      text: points.map((p) => METHODS[p.method]?.label ?? p.method),
      marker: { size: 9, symbol: "circle-open", color: "#222222" },
      xaxis: `x${axis}`,
      yaxis: `y${axis}`,
      hovertemplate: "paper, %{text}: ΔAUC %{y:.4f}<extra></extra>",
    });
  });
  const layout: Record<string, unknown> = {
    title: {
      text: `ΔAUC vs FDE (95% paired-bootstrap interval) against embedding parameters; open circles: the paper's${caption ? `<br><sub>${caption}</sub>` : ""}`,
    },
    legend: { orientation: "h", y: -0.25 },
    grid: { rows: 1, columns: models.length, pattern: "independent" },
    annotations: models.map((m, i) => ({
      text: modelLabel(m),
      showarrow: false,
      xref: "paper",
      yref: "paper",
      x: (i + 0.5) / models.length,
      y: 1.06,
      xanchor: "center",
      font: { size: 13 },
    })),
    width: 380 * models.length + 80,
    height: 520,
    margin: { t: 110, b: 140 },
    ...Object.fromEntries(
      models.flatMap((_, i) => [
        [`xaxis${i === 0 ? "" : i + 1}`, { type: "log", title: { text: "embedding params" } }],
        [
          `yaxis${i === 0 ? "" : i + 1}`,
          { zeroline: true, zerolinewidth: 2, ...(i === 0 ? { title: { text: "ΔAUC vs FDE" } } : {}) },
        ],
      ]),
    ),
  };
  return { tradeoff: { data, layout } };
}
