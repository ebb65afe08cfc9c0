// Generated prose on the claims table (experiment 11): the verdict counts and, per claim and data
// set, its verdict with our numbers.
import type { ClaimRow } from "./claims.js";
import { AutodimError } from "../core/errors.js";
import type { Block } from "./prose-format.js";

/** claim-<id>-<data>: a claim's verdict and our numbers on one data set, as the claims table states them. */
function claimBlocks(): Record<string, Block> {
  const data = { movielens: "MovieLens-1M", planted: "planted synthetic, 1.2M" };
  const out: Record<string, Block> = {};
  for (const id of ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"])
    for (const [key, prefix] of Object.entries(data))
      out[`claim-${id}-${key}`] = (r) => {
        const row = r.payload<ClaimRow[]>("claims-quick").find((c) => c.id === id && c.data.startsWith(prefix));
        if (!row) throw new AutodimError(`claims-quick has no ${id} row for ${prefix}`);
        return `**${row.verdict}**${row.ours ? ` (${row.ours.replace(/(^|[\s(])-(?=\d)/g, "$1−")})` : ""}`;
      };
  return out;
}

/** The verdict counts, and claim-<id>-<data> for every claim and data set. */
export const CLAIM_BLOCKS: Record<string, Block> = {
  "claims-counts": (r) => {
    const rows = r.payload<ClaimRow[]>("claims-quick");
    const n = (v: string) => rows.filter((x) => x.verdict === v).length;
    return `${n("holds")} holds, ${n("fails")} fail, ${n("inconclusive")} inconclusive, ${n("not run")} not run`;
  },

  ...claimBlocks(),
};
