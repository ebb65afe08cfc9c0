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
import { choiceFlags, settingFlags, type ChoiceFlag } from "./settings-schema.js";
import { z } from "zod";
import type { Method, MethodFlag, MethodSettings } from "./types.js";
import type { MethodSection } from "./defaults.js";

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

/** A method's own switch (a boolean setting, off unless given): `run --warm-start`. */
export interface MethodSwitch extends ChoiceFlag {
  method: string;
  section: MethodSection;
  set(settings: MethodSettings): MethodSettings;
}

/** Every method's own `run` switches, one per boolean setting of its schema (optional: absent is off). */
export const METHOD_SWITCHES: MethodSwitch[] = REGISTRY.flatMap((m) => {
  if (!m.settings) return [];
  const { section, flags } = m.settings;
  const shape = METHOD_SETTINGS[section].shape as z.ZodRawShape;
  // choiceFlags needs a default false; an optional switch has none, and its absence reads as off.
  const switches = z.object(
    Object.fromEntries(
      Object.entries(shape)
        .filter(([, f]) => f instanceof z.ZodOptional && f.unwrap() instanceof z.ZodBoolean)
        .map(([key, f]) => [
          key,
          (f as z.ZodOptional<z.ZodBoolean>)
            .unwrap()
            .default(false)
            .describe(f.description ?? ""),
        ]),
    ),
  );
  return choiceFlags(switches, flags).map((c): MethodSwitch => ({
    ...c,
    method: m.name,
    section,
    set: (s) => ({ ...s, [section]: { ...ownSettings(s, section), [c.key]: true } }),
  }));
});
