// The one place that chooses the tfjs backend. Everything that computes with tensors
// calls `initRuntime()` (src/accel/index.ts) first; the choice is made once per process and recorded.
import * as tf from "@tensorflow/tfjs";
import { availableParallelism } from "node:os";
import { AutodimError } from "../core/errors.js";
import { useSparseKernels, type SparseKernels } from "../tables/sparse-kernels.js";
import { useNativeAlea } from "../core/random.js";
import { useLinearSegmentSumOnCpu } from "../core/cpu-segment-sum.js";
import {
  registerSumGradientFix,
  registerWasmKernelFixes,
  type NativeBlas,
  type NativeElementwise,
} from "./wasm-kernels.js";

export type BackendName = "node" | "wasm" | "cpu";
export const BACKEND_NAMES: readonly BackendName[] = ["node", "wasm", "cpu"];

export interface RuntimeInfo {
  /** Our name for the backend (what `AUTODIM_BACKEND` takes). */
  backend: BackendName;
  /** tfjs's own name for it ("tensorflow" for tfjs-node). */
  tfBackend: string;
  tfjsVersion: string;
  /** Kernels this module registered over the backend's stock ones. */
  kernelFixes: string[];
  /** Why preferred backends were passed over, when the choice was automatic. */
  fallbacks: string[];
  /**
   * On wasm: "openblas (one thread per product)" when matmuls run on the native OpenBLAS addon, else
   * "wasm" with the reason in `nativeBlasMissing`.
   */
  matmul: string;
  nativeBlasMissing?: string;
  /**
   * Where sparse tables gather rows and apply Adam: "native" (the addon of src/accel/native/sparse.c,
   * bit-identical to JS, tables on huge pages) or "js", with the reason in `nativeSparseMissing`.
   */
  sparseTables: "native" | "js";
  nativeSparseMissing?: string;
  /**
   * Where large float32 Multiply/Add/Sub/Sum run: "native" (src/accel/native/elementwise.c, on the compute
   * threads, bit-identical to wasm) or "wasm", with the reason in `nativeElementwiseMissing`.
   */
  elementwise: "native" | "wasm" | "none";
  nativeElementwiseMissing?: string;
  /** Threads one run computes on (the OpenBLAS GEMMs and the element-wise kernels). */
  threads: number;
}

/** Backend and GEMM in one label, for provenance lines ("wasm", "wasm + OpenBLAS matmul"). */
export function backendLabel(info: Pick<RuntimeInfo, "backend" | "matmul">): string {
  return info.backend === "wasm" && info.matmul.startsWith("openblas") ? "wasm + OpenBLAS matmul" : info.backend;
}

/** The OpenBLAS addon (built by src/accel/native/build.cjs at install), unless AUTODIM_NATIVE_BLAS=0. */
async function loadNativeBlas(): Promise<{ blas?: NativeBlas; missing?: string }> {
  if (process.env.AUTODIM_NATIVE_BLAS === "0") return { missing: "disabled by AUTODIM_NATIVE_BLAS=0" };
  try {
    const mod = (await loadOptional("./native/index.cjs")) as { default?: NativeBlas } & NativeBlas;
    return { blas: mod.default ?? mod };
  } catch (err) {
    return { missing: firstLine((err as Error).message) };
  }
}

/** The element-wise addon (built by src/accel/native/build.cjs at install), unless AUTODIM_NATIVE_EW=0. */
async function loadNativeElementwise(): Promise<{ ew?: NativeElementwise; missing?: string }> {
  if (process.env.AUTODIM_NATIVE_EW === "0") return { missing: "disabled by AUTODIM_NATIVE_EW=0" };
  try {
    const mod = (await loadOptional("./native/elementwise.cjs")) as {
      default?: NativeElementwise;
    } & NativeElementwise;
    return { ew: mod.default ?? mod };
  } catch (err) {
    return { missing: firstLine((err as Error).message) };
  }
}

/**
 * The compute threads a run starts with: AUTODIM_THREADS (AUTODIM_BLAS_THREADS, its older name),
 * else DEFAULT_THREADS, all the cores this process may use. `--threads N` of the training commands
 * sets it per run. The thread count never changes a run's numbers: products are never split, and
 * a batch is computed in two parts only when the run's config says so (`batchParts: 2`), the
 * second part on a replica thread when there are two (src/accel/parallel.ts; bench/README.md).
 * With another job on the second core two threads are slower than one, so runs side by side
 * (two `reproduce` processes, GNU parallel) should take `--threads 1`. `prepare` caps its encode
 * workers by it too (src/data/encode.ts).
 */
export const DEFAULT_THREADS = Math.min(64, Math.max(1, availableParallelism()));

export function threadsFromEnvironment(): number {
  for (const name of ["AUTODIM_THREADS", "AUTODIM_BLAS_THREADS"]) {
    const text = process.env[name];
    if (text === undefined || text === "") continue;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 64)
      throw new AutodimError(`${name} must be an integer from 1 to 64, got ${JSON.stringify(text)}`);
    return n;
  }
  return DEFAULT_THREADS;
}

/**
 * The threads asked for (AUTODIM_THREADS, `--threads`), which `RuntimeInfo.threads` may be below
 * when no addon can split a kernel: a data-parallel run uses them all the same (one wasm
 * instance per thread).
 */
let threadsAsked = 1;

export function requestedThreads(): number {
  return threadsAsked;
}

let blasAddon: NativeBlas | undefined;
let ewAddon: NativeElementwise | undefined;

/**
 * Sets the threads one run computes on (the element-wise kernels, sums and the fused mixture;
 * a run in batch parts, its replica); returns the count in use. Results are the same bits at any
 * count: each output of a split kernel is computed by one thread in a fixed order, and a GEMM is
 * never split (OpenBLAS's sums change with the cut).
 */
export function setComputeThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new AutodimError(`--threads must be an integer from 1 to 64, got ${n}`);
  threadsAsked = n;
  blasAddon?.threads(n);
  const used = ewAddon ? ewAddon.threads(n) : (blasAddon?.threads() ?? 1);
  if (ewAddon) useNativeAlea(ewAddon, used >= 2);
  if (current) {
    current.threads = used;
  }
  return used;
}

/**
 * While data-parallel replicas run beside this thread (src/accel/parallel.ts) every thread
 * computes on one core: the native pools and OpenBLAS are process-wide, so no thread may split
 * its kernels. `false` gives the run its threads back; `runtimeInfo().threads` is unchanged.
 */
export function oneCorePerThread(on: boolean): void {
  const n = on ? 1 : (current?.threads ?? threadsFromEnvironment());
  blasAddon?.threads(n);
  ewAddon?.threads(n);
  if (ewAddon) useNativeAlea(ewAddon, n >= 2);
}

/** A product is never split between threads: OpenBLAS's sums would change with the cut. */
const OPENBLAS_LABEL = "openblas (one thread per product)";

/** The sparse-table addon (built by src/accel/native/build.cjs at install), unless AUTODIM_NATIVE_SPARSE=0. */
async function loadNativeSparse(): Promise<{ kernels?: SparseKernels; missing?: string }> {
  if (process.env.AUTODIM_NATIVE_SPARSE === "0") return { missing: "disabled by AUTODIM_NATIVE_SPARSE=0" };
  try {
    const mod = (await loadOptional("./native/sparse.cjs")) as { default?: SparseKernels } & SparseKernels;
    return { kernels: mod.default ?? mod };
  } catch (err) {
    return { missing: firstLine((err as Error).message) };
  }
}

let chosen: Promise<RuntimeInfo> | undefined;

// A dynamic import resolves from this file, whatever the working directory (a require
// rooted at process.cwd() missed the packages when the CLI ran elsewhere and fell back to
// the slow cpu backend); the specifier is a variable so a missing optional package fails
// at runtime, not at type-check time; and it needs no `import.meta` (tslab loads src/ as
// CommonJS, where this becomes a require from this file).
const loadOptional = (specifier: string): Promise<unknown> => import(specifier);

/**
 * Picks the backend once: `AUTODIM_BACKEND` when set (an error if it cannot load),
 * else tfjs-node when it loads, else wasm, else cpu.
 */
export function chooseBackend(): Promise<RuntimeInfo> {
  chosen ??= choose(process.env.AUTODIM_BACKEND).then((info) => {
    if (announceOnInit) announceGemm(info);
    return info;
  });
  return chosen;
}

/** The runtime already chosen; throws if `initRuntime()` has not completed. */
export function runtimeInfo(): RuntimeInfo {
  if (current === undefined) throw new Error("runtime not initialised: await initRuntime() first");
  return current;
}
let current: RuntimeInfo | undefined;

async function choose(forced: string | undefined): Promise<RuntimeInfo> {
  if (forced !== undefined && forced !== "") {
    if (!(BACKEND_NAMES as readonly string[]).includes(forced)) {
      throw new AutodimError(`AUTODIM_BACKEND=${forced} is not a backend; use one of ${BACKEND_NAMES.join(", ")}`);
    }
    const name = forced as BackendName;
    try {
      return (current = await activate(name, []));
    } catch (err) {
      throw new AutodimError(
        `AUTODIM_BACKEND=${name} could not be loaded: ${firstLine((err as Error).message)}${installHint(name)}`,
      );
    }
  }
  const fallbacks: string[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      return (current = await activate(name, fallbacks));
    } catch (err) {
      fallbacks.push(`${name}: ${firstLine((err as Error).message)}`);
    }
  }
  throw new Error(`no tfjs backend could be loaded:\n  ${fallbacks.join("\n  ")}`);
}

async function activate(name: BackendName, fallbacks: string[]): Promise<RuntimeInfo> {
  let tfBackend: string;
  let kernelFixes: string[] = [];
  if (name === "node") {
    await loadOptional("@tensorflow/tfjs-node");
    tfBackend = "tensorflow";
  } else if (name === "wasm") {
    await loadOptional("@tensorflow/tfjs-backend-wasm");
    tfBackend = "wasm";
  } else {
    tfBackend = "cpu";
  }
  if (!(await tf.setBackend(tfBackend))) throw new Error(`tf.setBackend("${tfBackend}") failed`);
  await tf.ready();
  let matmul = tfBackend;
  let nativeBlasMissing: string | undefined;
  let elementwise: RuntimeInfo["elementwise"] = "none";
  let nativeElementwiseMissing: string | undefined;
  const threads = threadsFromEnvironment();
  threadsAsked = threads;
  if (name === "wasm") {
    const { blas, missing } = await loadNativeBlas();
    const native = await loadNativeElementwise();
    blasAddon = blas;
    ewAddon = native.ew;
    useNativeAlea(native.ew, threads >= 2);
    kernelFixes = registerWasmKernelFixes(blas, native.ew);
    blas?.threads(threads);
    native.ew?.threads(threads);
    matmul = blas ? OPENBLAS_LABEL : "wasm";
    nativeBlasMissing = missing;
    elementwise = native.ew ? "native" : "wasm";
    nativeElementwiseMissing = native.missing;
  }
  if (name === "cpu") kernelFixes = [useLinearSegmentSumOnCpu()];
  kernelFixes = [...kernelFixes, registerSumGradientFix()];
  const sparse = await loadNativeSparse();
  useSparseKernels(sparse.kernels);
  return {
    backend: name,
    tfBackend,
    tfjsVersion: tf.version.tfjs,
    kernelFixes,
    fallbacks: [...fallbacks],
    matmul,
    ...(nativeBlasMissing ? { nativeBlasMissing } : {}),
    sparseTables: sparse.kernels ? "native" : "js",
    ...(sparse.missing ? { nativeSparseMissing: sparse.missing } : {}),
    elementwise,
    ...(nativeElementwiseMissing ? { nativeElementwiseMissing } : {}),
    threads: name === "wasm" ? (ewAddon?.threads() ?? blasAddon?.threads() ?? 1) : 1,
  };
}

let gemmAnnounced = false;
let announceOnInit = false;

/** Makes the next `initRuntime()` say which GEMM it chose (training commands, after their flags parsed). */
export function announceGemmOnInit(): void {
  announceOnInit = true;
  if (current) announceGemm(current);
}

/**
 * Says once per process, on stderr, which GEMM the training's matmuls run on and, when it is
 * wasm's, how to get OpenBLAS (2–3× faster steps with an MLP; same results up to float rounding).
 */
export function announceGemm(info: RuntimeInfo, write: (line: string) => void = (l) => process.stderr.write(l)): void {
  // A child process of a command that already said it (autodim start) stays quiet.
  if (gemmAnnounced || process.env.AUTODIM_GEMM_ANNOUNCED === "1") return;
  gemmAnnounced = true;
  if (info.backend !== "wasm") {
    write(`autodim: matmuls on the ${info.backend} backend\n`);
    return;
  }
  if (info.matmul.startsWith("openblas")) {
    write(
      `autodim: matmuls on OpenBLAS, ${info.matmul.slice("openblas ".length).replace(/[()]/g, "")} (src/accel/native/blas.c)\n`,
    );
    return;
  }
  const why = info.nativeBlasMissing ?? "not loaded";
  const fix = /not found|ENOBLAS/.test(why)
    ? "install OpenBLAS (Debian/Ubuntu: apt-get install -y libopenblas0-pthread); the next run picks it up"
    : /disabled by/.test(why)
      ? "unset AUTODIM_NATIVE_BLAS to use it"
      : "the addon was not built at install: install a C compiler (Debian/Ubuntu: apt-get install -y gcc libc6-dev) and OpenBLAS (libopenblas0-pthread), then run `npm run postinstall`";
  write(
    `autodim: matmuls on wasm, 2–3× slower than OpenBLAS for models with an MLP (${why}); to use OpenBLAS: ${fix}\n`,
  );
}

function installHint(name: BackendName): string {
  if (name === "node") {
    return " (tfjs-node needs libtensorflow, which its install script downloads; run `npm install @tensorflow/tfjs-node` on a machine with internet access)";
  }
  if (name === "wasm") return " (run `npm install` to get @tensorflow/tfjs-backend-wasm)";
  return "";
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return i < 0 ? s : s.slice(0, i);
}
