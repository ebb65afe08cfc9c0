// The compute engine's entry: what an entry point (the CLI, an experiment, a notebook, the package
// root, a test) calls to compute on it. It chooses the tfjs backend with its kernels and addons
// (backend.ts, wasm-kernels.ts), and installs the two seams method code sees: the engine's start
// (src/core/engine.ts) and the data-parallel step strategy (src/train/step-parts.ts).
import { useEngine } from "../core/engine.js";
import { useStepStrategy } from "../train/step-parts.js";
import { backendLabel, chooseBackend, type RuntimeInfo } from "./backend.js";
import { DATA_PARALLEL_STEPS } from "./parallel.js";

export {
  announceGemm,
  announceGemmOnInit,
  BACKEND_NAMES,
  backendLabel,
  DEFAULT_THREADS,
  requestedThreads,
  runtimeInfo,
  setComputeThreads,
  threadsFromEnvironment,
} from "./backend.js";
export type { BackendName, RuntimeInfo } from "./backend.js";

/** Installs the engine for method code, then chooses the backend (once per process). */
export function initRuntime(): Promise<RuntimeInfo> {
  installEngine();
  return chooseBackend();
}

/** Makes every following search and re-train run on this engine, data-parallel where it pays. */
export function installEngine(): void {
  useEngine(async () => ({ label: backendLabel(await chooseBackend()) }));
  useStepStrategy(DATA_PARALLEL_STEPS);
}
