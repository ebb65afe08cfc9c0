// `autodim movielens`: MovieLens-1M's three .dat files joined into one TSV for `prepare --format
// tsv`, with the committed results' user subset checked by sha256. One command per file
// (src/cli/main.ts dispatches).
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  formatUserRange,
  joinMovieLens,
  MOVIELENS_FIELDS,
  MOVIELENS_SUBSET,
  parseUserRange,
} from "../../data/movielens.js";
import { sha256File } from "../../data/prepare-output.js";
import { AutodimError } from "../../core/errors.js";
import { parseFlags, requireString, UsageError } from "../args.js";
import { checkOutputClashes } from "../outputs.js";

/** Joins ml-1m's ratings, users and movies into one TSV (label = rating > 3). */
export async function movielensCommand(argv: string[]): Promise<void> {
  const f = parseFlags("movielens", argv, {
    input: { type: "string" },
    out: { type: "string" },
    users: { type: "string" },
  });
  const input = requireString(f, "input");
  const out = requireString(f, "out");
  const users = parseUserRange(typeof f.users === "string" ? f.users : "all");
  if (!users.ok)
    throw new UsageError(`--users takes FROM-TO (user ids, e.g. 1-2999) or all, got ${JSON.stringify(f.users)}`);
  for (const file of ["ratings.dat", "users.dat", "movies.dat"])
    if (!existsSync(join(input, file)) && !(file === "ratings.dat" && existsSync(join(input, "ratings.dat.gz"))))
      throw new AutodimError(
        `--input ${input}: no ${file} (the unzipped ml-1m folder holds ratings.dat (or ratings.dat.gz), users.dat and movies.dat)`,
      );
  checkOutputClashes(
    ["ratings.dat", "ratings.dat.gz", "users.dat", "movies.dat"].map((file) => ({
      flag: "--input",
      path: join(input, file),
    })),
    [{ flag: "--out", path: out }],
  );
  mkdirSync(dirname(resolve(out)), { recursive: true });
  const rows = await joinMovieLens(input, out, { users: users.range });
  const sha = await sha256File(out);
  console.log(
    `wrote ${out}: ${rows} ratings${users.range ? ` of users ${formatUserRange(users.range)}` : ""}, label = rating > 3, fields ${MOVIELENS_FIELDS.join(", ")}; sha256 ${sha}`,
  );
  const subset = MOVIELENS_SUBSET;
  if (users.range && users.range.from === subset.users.from && users.range.to === subset.users.to) {
    if (sha !== subset.sha256)
      throw new AutodimError(
        `${out}: sha256 ${sha}, not ${subset.sha256}, the subset the committed MovieLens results used (users ${formatUserRange(subset.users)} of GroupLens' ml-1m: ${subset.ratings.toLocaleString("en")} ratings); is --input ${input} GroupLens' ml-1m as unzipped from ml-1m.zip?`,
      );
    console.log(`the subset every committed MovieLens result was made from (sha256 ${subset.sha256} matches)`);
  }
  console.log(`next: npx autodim prepare --format tsv --input ${out} --out <DIR>`);
}
