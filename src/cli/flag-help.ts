// Per-flag help (`autodim search --help`): what each flag sets, its default and the paper's
// value. A flag that sets a config field takes its meaning from the field's schema description
// (src/train/schemas.ts, src/train/result-schema.ts), so the help and the validated config
// cannot drift apart; a setting flag (the search's, training's, each method's own) takes its
// meaning, default and accepted values from its settings schema (src/methods/defaults.ts); flags
// that are not config fields (files, threads, checkpoints) say what they do here.
import type { z } from "zod";
import { SEARCH_SETTINGS } from "../methods/defaults.js";
import { METHOD_FLAGS, METHOD_SWITCHES, METHODS } from "../methods/registry.js";
import { accepts, type ChoiceFlag, type SettingFlag } from "../methods/settings-schema.js";
import { searchConfigShape } from "../train/schemas.js";
import { retrainConfigShape } from "../train/result-schema.js";
import { MAX_CANDIDATE, SEARCH_CHOICE_FLAGS, SEARCH_SETTING_FLAGS, TRAIN_SETTING_FLAGS } from "./flags.js";

interface FlagDoc {
  flag: string;
  /** The value's placeholder ("N", "FILE"); absent for a switch. */
  value?: string;
  /** The schema field whose description is the meaning. */
  field?: z.ZodTypeAny;
  help?: string;
  /** The only method that reads it ("RaS"). */
  only?: string;
  default?: string;
  /** What it accepts ("an integer in 1..1000"), when narrower than its placeholder says. */
  range?: string;
  paper?: string;
}

function meaning(d: FlagDoc): string {
  const text = d.field?.description ?? d.help;
  if (!text) throw new Error(`flag --${d.flag} has no description`);
  return text;
}

const S = searchConfigShape.shape;
const R = retrainConfigShape.shape;

const COMMON: Record<string, FlagDoc> = {
  data: { flag: "data", value: "DIR", help: "a prepared data set (autodim prepare)" },
  threads: {
    flag: "threads",
    value: "N",
    help: "threads one run computes on; the same bits at any count",
    default: "all cores",
  },
  "batch-parts": { flag: "batch-parts", value: "1|2", field: S.batchParts, default: "1" },
  "checkpoint-dir": {
    flag: "checkpoint-dir",
    value: "DIR",
    help: "write checkpoints here (and resume from them with --resume)",
  },
  "checkpoint-every": { flag: "checkpoint-every", value: "N", help: "steps between checkpoints", default: "500" },
  resume: {
    flag: "resume",
    help: "continue from --checkpoint-dir's checkpoint of this run (=require: fail without one)",
  },
  "allow-divergence": {
    flag: "allow-divergence",
    help: "keep training when the loss grows 100× above the first step's",
  },
};

/** Flags of every training command: threads, batch parts, checkpoints, divergence. */
const RUN_CONTROL: FlagDoc[] = [
  COMMON.threads,
  COMMON["batch-parts"],
  COMMON["checkpoint-dir"],
  COMMON["checkpoint-every"],
  COMMON.resume,
  COMMON["allow-divergence"],
];

/** A setting flag's help, all from its settings schema. */
const settingDoc = (s: SettingFlag, extra: Partial<FlagDoc> = {}): FlagDoc => ({
  flag: s.flag,
  value: s.kind === "int" ? "N" : "X",
  help: s.help,
  default: String(s.default),
  range: accepts(s),
  ...extra,
});
/** A choice flag's (or a switch's) help, all from its settings schema. */
const choiceDoc = (c: ChoiceFlag, extra: Partial<FlagDoc> = {}): FlagDoc => ({
  flag: c.flag,
  ...(c.choices ? { value: c.choices.join("|") } : {}),
  help: c.help,
  default: typeof c.default === "string" ? c.default : c.default ? "on" : "off",
  ...extra,
});

/** The paper's value of each search setting that has a flag. */
const PAPER_SEARCH: Record<string, string> = {
  candidates: "2,8,16,24,32",
  lookup: "shared (AD-2)",
  unify: "linear (AD-2)",
  tauDecay: "5e-5",
  tauSchedule: "paper",
  frequency: "10",
  oneLevel: "bi-level",
  secondOrder: "first order",
  epochs: "1",
  warmupSteps: "not stated",
  batchSize: "2000",
  learningRate: "0.001",
  architectureLearningRate: "0.001",
};

/** The search settings' flags in their schema's order (SEARCH_SETTINGS): meaning, default, accepted values. */
const SEARCH_SETTING_DOCS: FlagDoc[] = Object.keys(SEARCH_SETTINGS.shape).flatMap((key): FlagDoc[] => {
  const paper = PAPER_SEARCH[key] === undefined ? {} : { paper: PAPER_SEARCH[key] };
  const n = SEARCH_SETTING_FLAGS.find((s) => s.key === key);
  if (n) return [settingDoc(n, paper)];
  const c = SEARCH_CHOICE_FLAGS.find((s) => s.key === key);
  if (c) return [choiceDoc(c, paper)];
  if (key !== "candidates") return []; // no flag: config files and notebook cells only
  const field = SEARCH_SETTINGS.shape.candidates;
  return [
    {
      flag: "candidates",
      value: "2,8,16,24,32",
      field,
      default: (field.parse(undefined) as number[]).join(","),
      range: `integers in 1..${MAX_CANDIDATE}`,
      ...paper,
    },
  ];
});

const SEARCH: FlagDoc[] = [
  COMMON.data,
  { flag: "model", value: "fm|wd|deepfm|nfm|ipnn|autoint", help: "the base model the supernet searches with" },
  { flag: "out", value: "plan.json", help: "where the dimension plan is written (with per-field diagnostics)" },
  ...SEARCH_SETTING_DOCS,
  { flag: "seed", value: "N", field: S.seed, default: "2026" },
  { flag: "save-weights", value: "FILE", help: "also save the trained supernet, for `retrain --warm-start`" },
  { flag: "undecided", value: "keep|max|fail", field: S.undecided, default: "keep" },
  ...RUN_CONTROL,
];

/** The paper's value of each training setting. */
const PAPER_TRAIN: Record<string, string> = {
  epochs: "not stated",
  patience: "not stated",
  batchSize: "2000",
  learningRate: "0.001",
  embeddingL2: "not stated",
};

const TRAIN: FlagDoc[] = [
  ...TRAIN_SETTING_FLAGS.map((s) => settingDoc(s, { paper: PAPER_TRAIN[s.key] })),
  { flag: "seed", value: "N", field: R.seed, default: "2026" },
];

const RETRAIN: FlagDoc[] = [
  COMMON.data,
  { flag: "model", value: "fm|wd|deepfm|nfm|ipnn|autoint", field: R.model },
  { flag: "plan", value: "plan.json", help: "train with the plan's per-field sizes (from `autodim search`)" },
  { flag: "dim", value: "D", help: "or every field at one size D (the full-dimension model at D = 32)", default: "32" },
  { flag: "out", value: "result.json", help: "where the result (test AUC, Logloss, Params, history) is written" },
  { flag: "projection", value: "linear|zeropad", field: R.projection, default: "the plan's --unify" },
  ...TRAIN,
  { flag: "warm-start", field: R.warmStart, default: "off" },
  { flag: "allow-other-data", help: "accept a plan searched on another source file (e.g. on a sample)" },
  ...RUN_CONTROL,
];

const RUN: FlagDoc[] = [
  {
    flag: "method",
    value: Object.keys(METHODS).join("|"),
    help: "the method that chooses the sizes, then re-trains them",
  },
  COMMON.data,
  { flag: "model", value: "fm|wd|deepfm|nfm|ipnn|autoint", field: R.model },
  {
    flag: "out",
    value: "result.json",
    help: "where the result (with how the sizes were chosen: selection, and the resolved settings) is written; its log beside it (result.log)",
  },
  {
    flag: "config",
    value: "FILE.json",
    help: "the run's settings from a JSON file: method, data, model, seed, candidates, train, search, … (flags > file > defaults); a result of `autodim run` or a saved main-table cell (results/methods-*-runs/*.json) works as its own config",
  },
  ...TRAIN,
  ...METHOD_FLAGS.map((m) => settingDoc(m, { only: METHODS[m.method].label })),
  ...METHOD_SWITCHES.map((m) => choiceDoc(m, { only: METHODS[m.method].label })),
  ...RUN_CONTROL,
];

export const FLAG_DOCS: Record<string, FlagDoc[]> = { search: SEARCH, retrain: RETRAIN, run: RUN };

/** The flags section of a command's help, or undefined for commands without per-flag docs. */
export function flagHelp(command: string): string | undefined {
  const docs = FLAG_DOCS[command];
  if (!docs) return undefined;
  const heads = docs.map((d) => `--${d.flag}${d.value ? ` ${d.value}` : ""}`);
  const width = Math.min(34, Math.max(...heads.map((h) => h.length)) + 2);
  const lines = docs.map((d, i) => {
    const extra = [
      d.only !== undefined ? `${d.only} only` : "",
      d.default !== undefined ? `default ${d.default}` : "",
      d.range ?? "",
      d.paper !== undefined ? `paper ${d.paper}` : "",
    ]
      .filter(Boolean)
      .join("; ");
    const text = `${meaning(d)}${extra ? ` (${extra})` : ""}`;
    const head = heads[i];
    return head.length < width ? `  ${head.padEnd(width)}${text}` : `  ${head}\n  ${" ".repeat(width)}${text}`;
  });
  return `flags:\n${lines.join("\n")}`;
}
