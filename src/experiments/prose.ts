// Prose made from results: the numbers README.md and the notebooks' markdown cells state about
// committed results are generated from results/*.json (and the paper's numbers from paper.ts),
// never typed. A generated span sits between two markers,
//
//   <!-- autodim:begin NAME -->…<!-- autodim:end NAME -->
//
// inline in a sentence or around whole paragraphs and tables; `autodim report` rewrites what is
// between them and `autodim report --check` (and test/experiments/report.test.ts) fails when any is stale.
//
// The blocks are the prose-*.ts files' by topic; this file collects them and fills the files.
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { AutodimError } from "../core/errors.js";
import type { Block, Results } from "./prose-format.js";
import { VERDICT_BLOCKS } from "./prose-verdict.js";
import { COST_BLOCKS } from "./prose-cost.js";
import { MAIN_BLOCKS } from "./prose-main.js";
import { SEARCH_BLOCKS } from "./prose-search.js";
import { STUDY_BLOCKS } from "./prose-studies.js";
import { CLAIM_BLOCKS } from "./prose-claims.js";

export const BLOCKS: Record<string, Block> = {
  ...COST_BLOCKS,
  ...MAIN_BLOCKS,
  ...SEARCH_BLOCKS,
  ...STUDY_BLOCKS,
  ...CLAIM_BLOCKS,
  ...VERDICT_BLOCKS,
};

const MARKER = /<!-- autodim:begin ([\w-]+) -->([\s\S]*?)<!-- autodim:end \1 -->/g;

export interface BlockUse {
  name: string;
  current: string;
  expected: string;
}

/** The generated spans of a text, each with what it holds now and what the results say. */
export function blocksIn(text: string, results: Results): BlockUse[] {
  const out: BlockUse[] = [];
  for (const m of text.matchAll(MARKER)) {
    const render = BLOCKS[m[1]];
    if (!render) throw new AutodimError(`unknown generated block "${m[1]}" (known: ${Object.keys(BLOCKS).join(", ")})`);
    const multiline = m[2].startsWith("\n");
    const body = render(results);
    out.push({ name: m[1], current: m[2], expected: multiline ? `\n${body}\n` : body });
  }
  return out;
}

/** The text with every generated span filled from the results. */
export function fillBlocks(text: string, results: Results, relink: (s: string) => string = (s) => s): string {
  // A begin marker without its end would leave a span unchecked: refuse it.
  const begins = [...text.matchAll(/<!-- autodim:begin ([\w-]+) -->/g)].map((m) => m[1]);
  const ends = [...text.matchAll(/<!-- autodim:end ([\w-]+) -->/g)].map((m) => m[1]);
  if (begins.join() !== ends.join())
    throw new AutodimError(
      `unbalanced autodim:begin/end markers (begin: ${begins.join(", ")}; end: ${ends.join(", ")})`,
    );
  return text.replace(MARKER, (_all, name: string, body: string) => {
    const render = BLOCKS[name];
    if (!render) throw new AutodimError(`unknown generated block "${name}"`);
    const out = relink(render(results));
    return `<!-- autodim:begin ${name} -->${body.startsWith("\n") ? `\n${out}\n` : out}<!-- autodim:end ${name} -->`;
  });
}

interface Notebook {
  cells: { cell_type: string; source: string[] | string }[];
}

/** A notebook with its markdown cells' generated spans filled (other cells untouched), as its file text. */
export function fillNotebook(json: string, results: Results): string {
  const nb = JSON.parse(json) as Notebook;
  for (const cell of nb.cells) {
    if (cell.cell_type !== "markdown") continue;
    const src = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    if (!src.includes("<!-- autodim:begin ")) continue;
    const filled = fillBlocks(src, results);
    cell.source = filled.split(/(?<=\n)/);
  }
  // The notebook runner's layout: one-space indent, a final newline.
  return JSON.stringify(nb, null, 1) + "\n";
}

/** The files whose generated spans `autodim report` maintains: README, docs/*.md, the notebooks. */
export function proseFiles(root = "."): string[] {
  const nbDir = join(root, "notebooks");
  const docsDir = join(root, "docs");
  return [
    join(root, "README.md"),
    ...(existsSync(docsDir)
      ? readdirSync(docsDir)
          .filter((f) => f.endsWith(".md"))
          .sort()
          .map((f) => join(docsDir, f))
      : []),
    ...readdirSync(nbDir)
      .filter((f) => f.endsWith(".ipynb"))
      .sort()
      .map((f) => join(nbDir, f)),
  ];
}

/** A file's text with its spans filled (README as Markdown, notebooks cell by cell). */
export function filledFile(file: string, text: string, results: Results): string {
  if (file.endsWith(".ipynb")) return fillNotebook(text, results);
  // The blocks link from the repo root (README's place); a page under docs/ needs ../ before them.
  const underDocs = basename(dirname(file)) === "docs";
  return fillBlocks(text, results, underDocs ? fromDocs : undefined);
}

/** Relative Markdown links of a block, made relative to docs/. */
function fromDocs(s: string): string {
  return s.replace(/\]\((?!https?:|#|\.\.\/|mailto:)([^)]+)\)/g, "](../$1)");
}
