// How method code starts the compute engine without knowing it. The engine (src/accel/) installs
// itself here when an entry point — the CLI, an experiment, a notebook, the package root — starts
// it; method code only awaits `startEngine()` before it computes and records the label it gets.
// With no engine installed, tfjs runs on its own default backend (in Node its cpu backend, with
// one kernel of the same bits in one pass instead of a quadratic one: cpu-segment-sum.ts).
import * as tf from "@tensorflow/tfjs";
import { useLinearSegmentSumOnCpu } from "./cpu-segment-sum.js";

export interface EngineStart {
  /** The backend as results record it ("wasm + OpenBLAS matmul", "cpu"). */
  label: string;
}

let engine: (() => Promise<EngineStart>) | undefined;
let warned = false;

/** Installs the engine's start (idempotent: it is awaited before every search and re-train). */
export function useEngine(start: () => Promise<EngineStart>): void {
  engine = start;
}

export async function startEngine(): Promise<EngineStart> {
  if (engine) return engine();
  await tf.ready();
  useLinearSegmentSumOnCpu();
  // Said once: plain tfjs in Node is its cpu backend, far slower than the engine (see docs/layout.md).
  if (!warned && process.env.AUTODIM_QUIET !== "1")
    process.stderr.write(
      `autodim: no compute engine installed; computing on tfjs's ${tf.getBackend()} backend (call initRuntime() from src/accel/index.ts, or import the package root, to use it)\n`,
    );
  warned = true;
  return { label: tf.getBackend() };
}
