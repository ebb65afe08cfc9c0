// `autodim backend`: which tfjs backend, matmul and sparse tables this machine runs on, and why
// any were passed over. One command per file (src/cli/main.ts dispatches).
import { initRuntime } from "../../accel/index.js";
import { describeHardware } from "../../core/hardware.js";
import { parseFlags } from "../args.js";

/** Prints the backend this machine uses. */
export async function backendCommand(argv: string[]): Promise<void> {
  parseFlags("backend", argv, {});
  const info = await initRuntime();
  console.log(
    `backend ${info.backend} (tfjs ${info.tfjsVersion}${info.kernelFixes.length ? `, kernel fixes: ${info.kernelFixes.join(", ")}` : ""})`,
  );
  for (const why of info.fallbacks) console.log(`  passed over ${why}`);
  if (info.backend === "wasm")
    console.log(
      `matmul ${info.matmul}${info.nativeBlasMissing ? ` (OpenBLAS addon not used: ${info.nativeBlasMissing})` : ""}`,
    );
  console.log(
    `sparse tables ${info.sparseTables}${info.nativeSparseMissing ? ` (sparse addon not used: ${info.nativeSparseMissing})` : ""}`,
  );
  console.log(`hardware ${describeHardware()}`);
}
