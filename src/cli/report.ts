// `autodim report [--check] [--prose-only]`: the README's and notebooks' generated spans and the
// figures, brought up to date with the committed results (src/experiments/refresh.ts). Nothing
// is trained. With --check nothing is written and a stale span or figure is exit code 1.
import { AutodimError } from "../core/errors.js";
import { refreshPublished } from "../experiments/refresh.js";
import { parseFlags } from "./args.js";

export async function reportCommand(argv: string[]): Promise<void> {
  const f = parseFlags("report", argv, { check: { type: "boolean" }, "prose-only": { type: "boolean" } });
  const check = f.check === true;
  const r = await refreshPublished({ check, proseOnly: f["prose-only"] === true });
  if (check) {
    if (r.stale.length > 0)
      throw new AutodimError(
        `report --check: ${r.stale.length} file(s) disagree with results/: ${r.stale.join(", ")}; run \`npx autodim report\` to regenerate them`,
      );
    console.log("report --check: README.md, the notebooks' generated spans and figures/ agree with results/");
    return;
  }
  console.log(
    r.written.length > 0
      ? `report: rewrote ${r.written.join(", ")}`
      : "report: README.md, the notebooks and figures/ already agree with results/",
  );
}
