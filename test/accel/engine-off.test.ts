// Every run's numbers are the same with the compute engine (src/accel/) on or off, within the
// float-rounding contract (docs/runtime.md): the same tiny AutoDim search and re-train of a fixed
// plan, in two processes (test/fixtures/scripts/onoff-run.ts) —
//   on:  initRuntime() as the entry points call it: wasm, the engine's kernels (OpenBLAS GEMM,
//        native element-wise ops, the fused BatchNorm + mixture, native sparse tables where they
//        load), each batch's second part on a data-parallel replica thread;
//   off: nothing of src/accel/ loaded: tfjs's plain cpu backend, the ops' plain compositions, the
//        tables' JS loops, both batch parts on one thread (the sequential step strategy).
//
// Tolerances. The two runs take different float paths (the cpu backend sums in float64, OpenBLAS
// with FMA in blocks, the fused op in its own order), and training amplifies the rounding. The
// scale of that amplification was measured on this very workload (2026-12-07) over 15 pairs of six
// correct paths — engine off; on; on with OpenBLAS, the fused op, or all addons off — and set
// against the same runs with a deliberate fault:
//                                   float paths (max)   faults (min … max)
//   α trajectory, ‖Δα‖ / ‖α − α₀‖      0.0020             0.091 (α's learning rate ×1.1), 0.23 (mixture
//                                                         scale ×1.1), 0.27 (τ schedule), 0.38 (a batch
//                                                         part lost: whole batches), 1.5 (another seed)
//   re-train loss, per epoch           0.0007             0.0023 … 0.0095
//   validation / test logloss          0.0015
//   validation / test AUC              0.0073             (seed noise: a re-seeded run moves it ≤ 0.0032)
// α is the sharp check: its tolerance (0.1 of how far α has moved from uniform, at every α step)
// is 50× what float paths gave here and 5× the worst seen on noisier data (0.02, near-chance
// labels, five candidates), and below every fault but a 10% error in α's step size; a fault in
// the engine's code (the fused op's gradient losing the last of 39 fields' α) gave 0.16. The
// re-train's numbers are chaotic at seed-noise scale (a re-seeded run differs less than two float
// paths in test AUC), so their tolerances — 0.01 in loss, 0.03 in AUC, 4–7× the float paths —
// catch gross faults only (a network that does not learn sits ≥ 0.13 below in AUC), not subtle
// ones. Parameter counts are compared exactly; argmax plans are not compared (α's margins are
// small after a short search). ~2 min on 2 cores, nearly all of it the engine-off run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import { PreparedData } from "../../src/data/batches.js";
import { aboveChance, learnableSyntheticData, SLOW } from "../helpers.js";

interface Evaluation {
  auc: number;
  logloss: number;
}

interface Run {
  engine: {
    backend: string;
    wasmLoaded: boolean;
    fusedMix: boolean;
    filled: boolean;
    sparseKernels: boolean;
    sequentialSteps: boolean;
    searchLabel: string;
    retrainLabel: string;
  };
  search: {
    steps: number;
    architectureSteps: number;
    alphaSteps: { step: number; alpha: number[][] }[];
    finalAlpha: number[][];
    parameterCounts: unknown;
    supernetValidation: Evaluation;
  };
  retrain: {
    history: { epoch: number; trainLoss: number; validation: Evaluation }[];
    bestValidation: Evaluation & { epoch: number };
    test: Evaluation;
    params: unknown;
  };
}

/** ‖Δα‖ over ‖α − α₀‖ at every α step (α₀ uniform), the largest of them. */
const ALPHA_TOLERANCE = 0.1;
const LOSS_TOLERANCE = 0.01;
const AUC_TOLERANCE = 0.03;

function run(mode: "on" | "off", data: string): Run {
  const r = spawnSync(process.execPath, ["--import", "tsx", "test/fixtures/scripts/onoff-run.ts", mode, data], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
    // The engine on two threads, the second batch part on a replica even for this small run.
    env: { ...process.env, AUTODIM_QUIET: "1", AUTODIM_THREADS: "2", AUTODIM_DATA_PARALLEL: "1" },
  });
  assert.equal(r.status, 0, `engine ${mode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Run;
}

const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

/** The largest ‖α_on − α_off‖ / ‖α_on − α₀‖ over the α steps. */
function alphaDeviation(on: Run, off: Run): number {
  assert.deepEqual(
    off.search.alphaSteps.map((s) => s.step),
    on.search.alphaSteps.map((s) => s.step),
  );
  let worst = 0;
  on.search.alphaSteps.forEach((s, i) => {
    const a = s.alpha.flat();
    const b = off.search.alphaSteps[i].alpha.flat();
    const uniform = 1 / s.alpha[0].length;
    const moved = norm(a.map((x) => x - uniform));
    assert.ok(moved > 0, `α step ${s.step}: α has not moved`);
    worst = Math.max(worst, norm(a.map((x, j) => x - b[j])) / moved);
  });
  return worst;
}

function close(what: string, on: number, off: number, tolerance: number): void {
  assert.ok(
    Number.isFinite(on) && Number.isFinite(off) && Math.abs(on - off) <= tolerance,
    `${what}: engine on ${on}, off ${off} (|Δ| ${Math.abs(on - off).toExponential(2)} > ${tolerance})`,
  );
}

test(
  "slow: a search and a re-train give the same numbers with the engine on and off, within float rounding",
  SLOW,
  async () => {
    const dir = await learnableSyntheticData();
    const on = run("on", dir);
    const off = run("off", dir);

    // What each run computed on.
    assert.equal(off.engine.backend, "cpu");
    assert.deepEqual(
      [off.engine.wasmLoaded, off.engine.fusedMix, off.engine.filled, off.engine.sparseKernels],
      [false, false, false, false],
      "engine off: no wasm, no fused op, no FILLED kernel, no native tables",
    );
    assert.ok(off.engine.sequentialSteps);
    assert.equal(off.engine.searchLabel, "cpu, batches in 2 parts (on 1 thread)");
    assert.equal(off.engine.retrainLabel, off.engine.searchLabel);
    assert.equal(on.engine.backend, "wasm");
    assert.ok(on.engine.filled && !on.engine.sequentialSteps);
    assert.match(on.engine.searchLabel, /^wasm.*, batches in 2 parts \(data-parallel on 2 threads\)$/);
    assert.match(on.engine.retrainLabel, /data-parallel on 2 threads/);

    // The search: the same steps, α along the same path, the same supernet.
    assert.equal(off.search.steps, on.search.steps);
    assert.equal(off.search.architectureSteps, on.search.architectureSteps);
    assert.ok(on.search.alphaSteps.length >= 10, `${on.search.alphaSteps.length} α steps`);
    const deviation = alphaDeviation(on, off);
    assert.ok(deviation <= ALPHA_TOLERANCE, `α: engine off strays ${deviation.toFixed(4)} of α's movement from on`);
    assert.deepEqual(off.search.parameterCounts, on.search.parameterCounts);
    const [sOn, sOff] = [on.search.supernetValidation, off.search.supernetValidation];
    close("supernet validation logloss", sOn.logloss, sOff.logloss, LOSS_TOLERANCE);
    close("supernet validation AUC", sOn.auc, sOff.auc, AUC_TOLERANCE);

    // The re-train of a fixed plan: every epoch's losses and AUC, then the test split.
    assert.deepEqual(off.retrain.params, on.retrain.params);
    assert.deepEqual(
      off.retrain.history.map((h) => h.epoch),
      on.retrain.history.map((h) => h.epoch),
    );
    on.retrain.history.forEach((h, i) => {
      const o = off.retrain.history[i];
      close(`epoch ${h.epoch} training loss`, h.trainLoss, o.trainLoss, LOSS_TOLERANCE);
      close(`epoch ${h.epoch} validation logloss`, h.validation.logloss, o.validation.logloss, LOSS_TOLERANCE);
      close(`epoch ${h.epoch} validation AUC`, h.validation.auc, o.validation.auc, AUC_TOLERANCE);
    });
    // The test split is scored by the best epoch's weights: the same epoch unless two epochs'
    // validation AUCs are within the tolerance of each other (then either may win).
    const [bOn, bOff] = [on.retrain.bestValidation, off.retrain.bestValidation];
    if (bOn.epoch === bOff.epoch) {
      close("test logloss", on.retrain.test.logloss, off.retrain.test.logloss, LOSS_TOLERANCE);
      close("test AUC", on.retrain.test.auc, off.retrain.test.auc, AUC_TOLERANCE);
    } else {
      const auc = (r: Run, epoch: number) => r.retrain.history[epoch - 1].validation.auc;
      assert.ok(Math.abs(auc(on, bOn.epoch) - auc(on, bOff.epoch)) <= 2 * AUC_TOLERANCE, "best epochs differ");
    }
    // Agreement is not vacuous: both runs learnt (test AUC ~0.71 against a bound of ~0.58).
    const m = new PreparedData(dir).manifest;
    const bound = aboveChance(m.positives.test, m.rows.test);
    for (const [mode, r] of [
      ["on", on],
      ["off", off],
    ] as const)
      assert.ok(r.retrain.test.auc > bound, `engine ${mode}: test AUC ${r.retrain.test.auc} ≤ ${bound.toFixed(4)}`);
  },
);
