// The methods of the paper's main table, by name, in the paper's column order. Adding a method:
// its file (a `Method`: name, label, source, paper column, own settings, run) and one line here.
import { aemb } from "./aemb.js";
import { autodim, autodimS, autodimZeropad } from "./autodim.js";
import { dpq, mgqe } from "./dpq.js";
import { fde } from "./fde.js";
import { mde } from "./mde.js";
import { nis } from "./nis.js";
import { ras } from "./ras.js";
import { shrink } from "./shrink.js";
import { METHOD_SETTINGS, ownSettings } from "./defaults.js";
import { settingFlags } from "./settings-schema.js";
import type { Method, MethodFlag } from "./types.js";

// The paper's nine columns in its order, then AD-1 (the paper reports it only in its ablation).
// Then the methods beyond the paper (ours), which the paper's main tables do not run by default.
const PAPER_REGISTRY: Method[] = [fde, mde, dpq, nis, mgqe, aemb, ras, autodimS, autodim, autodimZeropad];
const REGISTRY: Method[] = [...PAPER_REGISTRY, shrink];

export const METHODS: Record<string, Method> = Object.fromEntries(REGISTRY.map((m) => [m.name, m]));
export const METHOD_NAMES = REGISTRY.map((m) => m.name);
/** The paper's comparison (its main table's methods and AD-1). */
export const PAPER_METHOD_NAMES = PAPER_REGISTRY.map((m) => m.name);

/** Every method's own `run` flags, one per number setting of its schema (help, bounds, default from there). */
export const METHOD_FLAGS: MethodFlag[] = REGISTRY.flatMap((m) => {
  if (!m.settings) return [];
  const { section, flags } = m.settings;
  return settingFlags(METHOD_SETTINGS[section], flags).map((f): MethodFlag => ({
    ...f,
    method: m.name,
    section,
    // An absent optional setting reads as its least value, the flag's default.
    get: (s) => (ownSettings(s, section) as Record<string, number | undefined>)[f.key] ?? f.min,
    // An optional setting at its least value is absent (e.g. --gain-share 0), so the JSON is as if unset.
    set: (s, value) => {
      const { [f.key]: _old, ...rest } = ownSettings(s, section) as Record<string, number>;
      return { ...s, [section]: f.optional && value === f.min ? rest : { ...rest, [f.key]: value } };
    },
  }));
});

export { quickSettings } from "./defaults.js";
