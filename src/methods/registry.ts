// The methods of the paper's main table, by name, in the paper's column order. Adding a method:
// its file (a `Method`: name, label, source, paper column, flags, run) and one line here.
import { aemb } from "./aemb.js";
import { autodim, autodimS, autodimZeropad } from "./autodim.js";
import { dpq, mgqe } from "./dpq.js";
import { fde } from "./fde.js";
import { mde } from "./mde.js";
import { nis } from "./nis.js";
import { ras } from "./ras.js";
import type { Method } from "./types.js";

// The paper's nine columns in its order, then AD-1 (the paper reports it only in its ablation).
const REGISTRY: Method[] = [fde, mde, dpq, nis, mgqe, aemb, ras, autodimS, autodim, autodimZeropad];

export const METHODS: Record<string, Method> = Object.fromEntries(REGISTRY.map((m) => [m.name, m]));
export const METHOD_NAMES = REGISTRY.map((m) => m.name);

/** Every method's own `run` flags. */
export const METHOD_FLAGS = REGISTRY.flatMap((m) => (m.flags ?? []).map((flag) => ({ method: m.name, ...flag })));

export { quickSettings } from "./defaults.js";
