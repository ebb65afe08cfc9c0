// C1–C6 from one main table (claims.ts has the claims and the verdict rules): AutoDim against
// FDE, the baselines, AutoDim-s and AD-1, each a paired interval per base model.
import type { ModelName } from "../models/ctr.js";
import { METHODS } from "../methods/registry.js";
import type { AucDraws, PairedDifference } from "./bootstrap.js";
import { modelLabel, type MainTableRow } from "./methods-table.js";
import { type ClaimRow, interval, fromInterval, claimRow } from "./claims.js";

/**
 * C1–C6 from one main table: its per-(model, method) rows and, per model, the bootstrap
 * replicates of every run's AUC (so any two methods compare on the same seeds and rows).
 */
export function mainTableClaims(
  data: string,
  table: MainTableRow[],
  draws: Map<ModelName, AucDraws | undefined>,
): ClaimRow[] {
  const models = [...new Set(table.map((r) => r.model))];
  const seeds = Math.min(...table.map((r) => r.seeds));
  const get = (model: string, method: string) => table.find((r) => r.model === model && r.method === method);
  const diff = (model: ModelName, a: string, b: string) => {
    const d = draws.get(model);
    return d && d.keys.includes(a) && d.keys.includes(b) ? d.difference(a, b) : undefined;
  };
  const per = (f: (m: ModelName) => PairedDifference | undefined) =>
    models.map((m) => ({ m, d: f(m) })).filter((x): x is { m: ModelName; d: PairedDifference } => x.d !== undefined);
  const out: ClaimRow[] = [];
  const seedNote = `${seeds} seed${seeds === 1 ? "" : "s"}`;

  /** A claim that method a beats method b with every model: one interval per model. */
  const pairwise = (id: string, a: string, b: string, label: string, note = "") => {
    const ds = per((m) => diff(m, a, b));
    return ds.length === 0
      ? claimRow(id, data, "not run", "")
      : claimRow(
          id,
          data,
          fromInterval(
            ds.map((x) => x.d),
            seeds,
          ),
          `${label} ${ds.map((x) => `${modelLabel(x.m)} ${interval(x.d)}`).join("; ")}${note}`,
        );
  };
  out.push(pairwise("C1", "autodim", "fde", "ΔAUC", ` (${seedNote})`));

  const savings = models.map((m) => ({ m, s: -(get(m, "autodim")?.paramsVsFde ?? NaN) }));
  out.push(
    savings.some((x) => Number.isNaN(x.s))
      ? claimRow("C2", data, "not run", "")
      : claimRow(
          "C2",
          data,
          savings.every((x) => x.s >= 0.64) ? "holds" : "fails",
          `saved ${savings.map((x) => `${modelLabel(x.m)} ${(100 * x.s).toFixed(1)}%`).join(", ")} (holds: ≥ 64% for every model)`,
        ),
  );

  const baselines = ["mde", "dpq", "nis", "mgqe", "aemb", "ras", "autodim-s"];
  const c3 = models.flatMap((m) =>
    baselines.flatMap((b) => {
      const d = diff(m, "autodim", b);
      return d ? [{ m, b, d }] : [];
    }),
  );
  if (c3.length === 0) out.push(claimRow("C3", data, "not run", ""));
  else {
    const v = fromInterval(
      c3.map((x) => x.d),
      seeds,
    );
    const beaten = c3.filter((x) => x.d.high < 0);
    const unresolved = c3.filter((x) => x.d.low <= 0 && x.d.high >= 0);
    out.push(
      claimRow(
        "C3",
        data,
        v,
        `AutoDim better than ${c3.length - beaten.length - unresolved.length} of ${c3.length} (model, baseline) pairs` +
          (beaten.length
            ? `; worse than ${beaten.map((x) => `${METHODS[x.b]?.label ?? x.b} (${modelLabel(x.m)}: ${interval(x.d)})`).join(", ")}`
            : "") +
          (unresolved.length ? `; ${unresolved.length} pairs within noise` : ""),
      ),
    );
  }

  const fieldLevel = ["autodim", "autodim-s", "ras"];
  const valueLevel = ["mde", "dpq", "nis", "mgqe", "aemb"];
  const c4 = models.flatMap((m) =>
    fieldLevel.flatMap((f) =>
      valueLevel.flatMap((v) => {
        const d = diff(m, f, v);
        return d ? [{ m, f, v, d }] : [];
      }),
    ),
  );
  if (c4.length === 0) out.push(claimRow("C4", data, "not run", ""));
  else {
    const better = c4.filter((x) => x.d.low > 0).length;
    const worse = c4.filter((x) => x.d.high < 0).length;
    out.push(
      claimRow(
        "C4",
        data,
        fromInterval(
          c4.map((x) => x.d),
          seeds,
        ),
        `of ${c4.length} (model, field-level, value-level) pairs: field-level better in ${better}, worse in ${worse}, within noise in ${c4.length - better - worse}`,
      ),
    );
  }

  const adsSaving = models.map((m) => -(get(m, "autodim-s")?.paramsVsFde ?? NaN));
  out.push(
    pairwise(
      "C5",
      "autodim",
      "autodim-s",
      "AutoDim − AutoDim-s",
      `; AutoDim-s saves ${adsSaving.map((s) => `${(100 * s).toFixed(1)}%`).join(", ")}`,
    ),
  );
  out.push(pairwise("C6", "autodim", "autodim-zeropad", "AD-2 − AD-1", " (main-table models)"));
  return out;
}
