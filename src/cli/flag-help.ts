// Per-flag help (`autodim search --help`): what each flag sets, its default and the paper's
// value. A flag that sets a config field takes its meaning from the field's schema description
// (src/train/schemas.ts, src/train/result-schema.ts), so the help and the validated config
// cannot drift apart; a setting flag (training, each method's own) takes its meaning, default
// and accepted values from its settings schema (src/methods/defaults.ts); flags that are not
// config fields (files, threads, checkpoints) say what they do here.
import type { z } from "zod";
import { DEFAULT_SEARCH } from "../methods/defaults.js";
import { METHOD_FLAGS, METHODS } from "../methods/registry.js";
import { accepts, type SettingFlag } from "../methods/settings-schema.js";
import { searchConfigShape } from "../train/schemas.js";
import { retrainConfigShape } from "../train/result-schema.js";
import { TRAIN_SETTING_FLAGS } from "./flags.js";

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

const SEARCH: FlagDoc[] = [
  COMMON.data,
  { flag: "model", value: "fm|wd|deepfm|nfm|ipnn|autoint", help: "the base model the supernet searches with" },
  { flag: "out", value: "plan.json", help: "where the dimension plan is written (with per-field diagnostics)" },
  {
    flag: "candidates",
    value: "2,8,16,24,32",
    field: S.candidates,
    default: DEFAULT_SEARCH.candidates.join(","),
    paper: "2,8,16,24,32",
  },
  {
    flag: "embedding",
    value: "shared|separate",
    field: S.lookup,
    default: DEFAULT_SEARCH.lookup,
    paper: "shared (AD-2)",
  },
  { flag: "unify", value: "linear|zeropad", field: S.unify, default: DEFAULT_SEARCH.unify, paper: "linear (AD-2)" },
  { flag: "freq", value: "N", field: S.frequency, default: String(DEFAULT_SEARCH.frequency), paper: "10" },
  { flag: "one-level", field: S.oneLevel, default: "off (bi-level)" },
  { flag: "second-order", field: S.secondOrder, default: "off (first order)", paper: "first order" },
  { flag: "epochs", value: "N", field: S.epochs, default: String(DEFAULT_SEARCH.epochs), paper: "1" },
  {
    flag: "warmup-steps",
    value: "N",
    field: S.warmupSteps,
    default: String(DEFAULT_SEARCH.warmupSteps),
    paper: "not stated",
  },
  { flag: "batch-size", value: "N", field: S.batchSize, default: String(DEFAULT_SEARCH.batchSize), paper: "2000" },
  { flag: "lr", value: "X", field: S.learningRate, default: String(DEFAULT_SEARCH.learningRate), paper: "0.001" },
  {
    flag: "arch-lr",
    value: "X",
    field: S.architectureLearningRate,
    default: String(DEFAULT_SEARCH.architectureLearningRate),
    paper: "0.001",
  },
  {
    flag: "tau-schedule",
    value: "fit|paper",
    field: S.tauSchedule,
    default: DEFAULT_SEARCH.tauSchedule ?? "fit",
    paper: "paper",
  },
  { flag: "tau-decay", value: "X", field: S.tauDecay, default: String(DEFAULT_SEARCH.tauDecay), paper: "5e-5" },
  { flag: "seed", value: "N", field: S.seed, default: "2026" },
  { flag: "save-weights", value: "FILE", help: "also save the trained supernet, for `retrain --warm-start`" },
  { flag: "undecided", value: "keep|max|fail", field: S.undecided, default: "keep" },
  ...RUN_CONTROL,
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
