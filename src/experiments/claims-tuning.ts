// The claims read from experiment 13 (tuning.ts): C1 and C2 at tuned settings, and C9 — AutoDim
// against the uniform control of its parameter budget — at paper and tuned settings.
import { modelLabel } from "./methods-table.js";
import type { ArmRow, TuningResult } from "./tuning.js";
import { claimRow, fromInterval, interval, type ClaimRow, type Verdict } from "./claims.js";

/**
 * From experiment 13 (tuning.ts): C1 and C2 at tuned settings (the tuned model only), and C9 —
 * AutoDim against the uniform control of its parameter budget — at both settings.
 */
export function tuningClaims(data: string, r: TuningResult): ClaimRow[] {
  const arm = (setting: ArmRow["setting"], model: string, name: ArmRow["arm"]) =>
    r.arms.find((a) => a.setting === setting && a.model === model && a.arm === name);
  const modelsOf = (setting: ArmRow["setting"]) => [
    ...new Set(r.arms.filter((a) => a.setting === setting).map((a) => a.model)),
  ];
  const out: ClaimRow[] = [];
  const tuned = modelsOf("tuned");
  const ad = tuned.map((m) => ({ m, a: arm("tuned", m, "AutoDim"), f: arm("tuned", m, "FDE") }));
  const seeds = Math.min(...r.arms.filter((a) => a.setting === "tuned").map((a) => a.seeds.length));
  const only =
    tuned.length < 3
      ? ` (${tuned.map(modelLabel).join(", ")} only: the models tuned so far; ${seeds} fresh seeds)`
      : ` (${seeds} fresh seeds)`;
  const c1 = ad.flatMap((x) => (x.a?.vsFde ? [{ m: x.m, d: x.a.vsFde }] : []));
  if (c1.length) {
    // A claim about every base model holds only when every model was tuned; it can fail on one.
    const v = fromInterval(
      c1.map((x) => x.d),
      seeds,
    );
    const verdict: Verdict = v === "holds" && c1.length < 3 ? "inconclusive" : v;
    out.push({
      ...claimRow(
        "C1",
        data,
        verdict,
        `ΔAUC ${c1.map((x) => `${modelLabel(x.m)} ${interval(x.d)}`).join("; ")}${only}${verdict !== v ? `; holds for ${c1.map((x) => modelLabel(x.m)).join(", ")}, the other models not tuned` : ""}`,
      ),
      setting: "tuned",
    });
  }
  const saved = ad.flatMap((x) => {
    if (!x.a || !x.f) return [];
    const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
    return [{ m: x.m, s: 1 - mean(x.a.params) / mean(x.f.params) }];
  });
  if (saved.length)
    out.push({
      ...claimRow(
        "C2",
        data,
        saved.every((x) => x.s >= 0.64) ? "holds" : "fails",
        `saved ${saved.map((x) => `${modelLabel(x.m)} ${(100 * x.s).toFixed(1)}%`).join(", ")} (holds: ≥ 64%)${only}`,
      ),
      setting: "tuned",
    });
  for (const setting of ["paper settings", "tuned"] as const) {
    const c9 = modelsOf(setting).flatMap((m) => {
      const a = arm(setting, m, "AutoDim");
      const u = arm(setting, m, "uniform");
      return a?.vsUniform && u ? [{ m, d: a.vsUniform, sizes: u.dims.map((d) => d[0]), seeds: a.seeds.length }] : [];
    });
    if (c9.length === 0) continue;
    out.push({
      ...claimRow(
        "C9",
        data,
        fromInterval(
          c9.map((x) => x.d),
          Math.min(...c9.map((x) => x.seeds)),
        ),
        `AutoDim − uniform ${c9.map((x) => `${modelLabel(x.m)} ${interval(x.d)} (uniform sizes ${x.sizes.join("/")})`).join("; ")} (${c9[0].seeds} seeds)`,
      ),
      setting,
    });
  }
  return out;
}
