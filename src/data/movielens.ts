// MovieLens-1M (GroupLens), the paper's case-study data: ratings.dat, users.dat and
// movies.dat, `::`-separated. Joined into one tab-separated file with a header, which the
// ordinary `--format tsv` path then prepares:
//   label   rating > 3 (1) or not (0)
//   fields  userId, movieId, gender, age, occupation, zip, year, genres
// Choices: `year` is the four digits in parentheses at the end of the title; `genres` is the
// movie's whole genre list as one value ("Animation|Children's|Comedy"), one field as in the
// paper's table. Users and movies (6,040 and 3,883 rows) are held in memory; ratings stream.
// A range of user ids keeps those users' ratings only (every line is checked all the same):
// users 1–2999 make the subset every committed MovieLens result was made from (MOVIELENS_SUBSET).
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { scanLines } from "./lines.js";
import { DataError } from "./data-error.js";

export const MOVIELENS_FIELDS = ["userId", "movieId", "gender", "age", "occupation", "zip", "year", "genres"];

/** User ids `from`–`to`, both included. */
export interface UserRange {
  from: number;
  to: number;
}

/**
 * The subset of GroupLens' ml-1m every committed MovieLens result was made from: the ratings of
 * users 1–2999 (487,650 of 1,000,209, every rating of those users), joined by `joinMovieLens`.
 * `sha256` is the joined file's, which each committed run records as its data's source
 * (`data.sourceSha256` in results/methods-movielens-quick-runs/*.json, and the "ratings sha256"
 * of every MovieLens result's data line).
 */
export const MOVIELENS_SUBSET = {
  users: { from: 1, to: 2999 } as UserRange,
  ratings: 487_650,
  sha256: "252ded7b772b3b84cb0f8e385de41cf275241e245b2d714b24744f54930eb174",
} as const;

/** "1-2999" (or "1–2999") → a range; "all" → undefined (every user); anything else → undefined + ok false. */
export function parseUserRange(text: string): { ok: true; range: UserRange | undefined } | { ok: false } {
  if (text === "all") return { ok: true, range: undefined };
  const m = /^(\d+)[-–](\d+)$/.exec(text);
  if (!m) return { ok: false };
  const from = Number(m[1]);
  const to = Number(m[2]);
  return from >= 1 && from <= to ? { ok: true, range: { from, to } } : { ok: false };
}

/** "1–2999", or "all" for no range. */
export function formatUserRange(range: UserRange | undefined): string {
  return range ? `${range.from}–${range.to}` : "all";
}

function text(buf: Uint8Array, s: number, e: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString("latin1");
}

/** The `::`-separated columns of a line; an error naming file:line if there are not `n`. */
function columns(line: string, n: number, file: string, lineNo: number): string[] {
  const cols = line.split("::");
  if (cols.length !== n)
    throw new DataError(`${file}:${lineNo}: expected ${n} '::'-separated columns, found ${cols.length}`);
  return cols;
}

async function readTable(
  file: string,
  n: number,
  onRow: (cols: string[], line: number) => void,
  name = file,
): Promise<void> {
  await scanLines(file, (buf, s, e, info) => {
    if (e === s) return; // a trailing empty line
    onRow(columns(text(buf, s, e), n, name, info.line), info.line);
  });
}

/**
 * Writes `out` (TSV with header `label` + MOVIELENS_FIELDS) from the three files in `dir`, the
 * ratings of `opts.users` only when given; returns the number of rating rows written. Every bad
 * line stops with file:line: what is wrong.
 */
export async function joinMovieLens(dir: string, out: string, opts: { users?: UserRange } = {}): Promise<number> {
  const users = new Map<string, string[]>();
  const usersFile = join(dir, "users.dat");
  await readTable(usersFile, 5, (c, line) => {
    if (!/^\d+$/.test(c[0]))
      throw new DataError(`${usersFile}:${line}: field UserID: expected an integer, found ${JSON.stringify(c[0])}`);
    users.set(c[0], [c[1], c[2], c[3], c[4]]);
  });
  const movies = new Map<string, string[]>();
  const moviesFile = join(dir, "movies.dat");
  await readTable(moviesFile, 3, (c, line) => {
    const year = /\((\d{4})\)\s*$/.exec(c[1]);
    if (!year)
      throw new DataError(`${moviesFile}:${line}: field Title: no "(YYYY)" year at its end in ${JSON.stringify(c[1])}`);
    movies.set(c[0], [year[1], c[2]]);
  });
  // ratings.dat as GroupLens ships it, or gzipped (ratings.dat.gz), unpacked beside `out` for the scan.
  let ratingsFile = join(dir, "ratings.dat");
  let unpacked: string | undefined;
  if (!existsSync(ratingsFile) && existsSync(`${ratingsFile}.gz`)) {
    unpacked = `${out}.ratings-${process.pid}.dat`;
    try {
      await pipeline(createReadStream(`${ratingsFile}.gz`), createGunzip(), createWriteStream(unpacked));
    } catch (e) {
      rmSync(unpacked, { force: true });
      throw new DataError(`${ratingsFile}.gz: not a readable gzip file (${(e as Error).message})`);
    }
  }
  try {
    return await joinRatings(users, movies, unpacked ?? ratingsFile, ratingsFile, out, opts.users);
  } finally {
    if (unpacked) rmSync(unpacked, { force: true });
  }
}

/** The ratings joined with users and movies into `out`; errors name `ratingsName`. */
async function joinRatings(
  users: Map<string, string[]>,
  movies: Map<string, string[]>,
  path: string,
  ratingsName: string,
  out: string,
  range: UserRange | undefined,
): Promise<number> {
  // Written beside `out` and renamed into place when complete (a failure leaves no half file).
  const tmp = `${out}.tmp-${process.pid}`;
  const sink = createWriteStream(tmp, { encoding: "latin1" });
  const lines: string[] = [["label", ...MOVIELENS_FIELDS].join("\t")];
  let rows = 0;
  // One wait for "drain" shared by every write that finds the buffer full (one listener, not one per write).
  let drained: Promise<void> | undefined;
  const flush = async () => {
    if (lines.length === 0) return;
    const chunk = lines.join("\n") + "\n";
    lines.length = 0;
    if (!sink.write(chunk, "latin1") && !drained) {
      drained = new Promise<void>((r) =>
        sink.once("drain", () => {
          drained = undefined;
          r();
        }),
      );
    }
    await drained;
  };
  let ok = false;
  try {
    const pending: Promise<void>[] = [];
    await readTable(
      path,
      4,
      (c, line) => {
        const user = users.get(c[0]);
        if (!user) throw new DataError(`${ratingsName}:${line}: field UserID: ${c[0]} is not in users.dat`);
        const movie = movies.get(c[1]);
        if (!movie) throw new DataError(`${ratingsName}:${line}: field MovieID: ${c[1]} is not in movies.dat`);
        if (!/^[1-5]$/.test(c[2]))
          throw new DataError(`${ratingsName}:${line}: field Rating: expected 1–5, found ${JSON.stringify(c[2])}`);
        const values = [c[0], c[1], ...user, ...movie];
        const bad = values.findIndex((v) => v.includes("\t"));
        if (bad >= 0)
          throw new DataError(
            `${ratingsName}:${line}: field ${MOVIELENS_FIELDS[bad]}: a tab in ${JSON.stringify(values[bad])} (the joined file is tab-separated)`,
          );
        if (range && !(Number(c[0]) >= range.from && Number(c[0]) <= range.to)) return;
        lines.push([Number(c[2]) > 3 ? "1" : "0", ...values].join("\t"));
        rows++;
        if (lines.length >= 8192) pending.push(flush());
      },
      ratingsName,
    );
    await Promise.all(pending);
    await flush();
    ok = true;
  } finally {
    await new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (!ok) rmSync(tmp, { force: true });
  }
  renameSync(tmp, out);
  return rows;
}
