// AutoDim and its variants through the registry: search → plan → re-train. The algorithm
// itself is in src/embedding/autodim.ts and search.ts. Names as in the paper: "AutoDim" is AD-2 (shared
// lookup, linear unification + BN), AutoDim-s its one-level version, and the zero-padding
// search AD-1 is reported beside them as its own method.
import { searchThenRetrain } from "../embedding/pipeline.js";
import type { UnifyKind } from "../train/schemas.js";
import type { Method, MethodSettings } from "./types.js";
import type { PreparedData } from "../data/batches.js";

interface Variant {
  name: string;
  label: string;
  paperColumn?: string;
  source: string;
  oneLevel: boolean;
  /** Overrides the settings' unification (AD-1); otherwise the search settings' own. */
  unify?: UnifyKind;
}

function autodimMethod(v: Variant): Method {
  return {
    name: v.name,
    label: v.label,
    ...(v.paperColumn ? { paperColumn: v.paperColumn } : {}),
    source: v.source,
    async run(data: PreparedData, s: MethodSettings, opts) {
      const config = {
        ...s.search,
        ...(v.unify ? { unify: v.unify } : {}),
        candidates: s.candidates,
        oneLevel: v.oneLevel,
        model: s.model,
        seed: s.seed,
      };
      const { result } = await searchThenRetrain(data, config, s.train, { ...opts, method: v.name });
      return result;
    },
  };
}

export const autodim = autodimMethod({
  name: "autodim",
  label: "AutoDim",
  paperColumn: "autodim",
  source: "Zhao et al., AutoDim (WWW'21; arXiv 2006.14827): AD-2, shared lookup + linear unification + BN",
  oneLevel: false,
});
export const autodimS = autodimMethod({
  name: "autodim-s",
  label: "AutoDim-s",
  paperColumn: "autodim-s",
  source: "Zhao et al., AutoDim (WWW'21), §3.3: the one-level variant AutoDim-s",
  oneLevel: true,
});
export const autodimZeropad = autodimMethod({
  name: "autodim-zeropad",
  label: "AutoDim (zero-pad, AD-1)",
  source: "Zhao et al., AutoDim (WWW'21), Table 4: AD-1, shared lookup + zero-padding + BN (not in the main table)",
  oneLevel: false,
  unify: "zeropad",
});
