// `autodim summary`: a prepared data set's summary from its manifest. One command per file
// (src/cli/main.ts dispatches).
import { readManifest, summarizeManifest } from "../../data/manifest.js";
import { parseFlags, requireString } from "../args.js";

/** Prints the summary of the prepared folder --data. */
export async function summaryCommand(argv: string[]): Promise<void> {
  const f = parseFlags("summary", argv, { data: { type: "string" } });
  console.log(summarizeManifest(readManifest(requireString(f, "data"))));
}
