// The bi-level (DARTS-style) search loop shared by AutoDim, AutoDim-s and AutoEmb: the network's
// weights W on training batches, its architecture weights on validation batches, with warm-up,
// checkpoints and resume. The searches themselves (what the architecture is) live above, in
// src/embedding and src/methods.
import { BatchCursor, type PreparedData } from "../data/batches.js";
import { AutodimError } from "../core/errors.js";
import type { StepContext } from "../models/layers.js";
import type { Progress } from "../core/progress.js";
import { randomStream, type RandomStream } from "../core/random.js";
import type { CheckpointSettings } from "./checkpoint.js";
import { DivergenceGuard } from "./divergence.js";
import { LoopCheckpoints } from "./loop-checkpoint.js";
import type { Network } from "./network.js";
import type { SearchConfig } from "./schemas.js";

/** What the bi-level loop needs of a search embedding besides its architecture weights. */
export interface FreezableArchitecture {
  /** While set, the architecture is fixed uniform (the warm-up). */
  frozenUniform: boolean;
}

export type BiLevelSettings = Pick<
  SearchConfig,
  "warmupSteps" | "epochs" | "batchSize" | "frequency" | "oneLevel" | "secondOrder" | "learningRate" | "seed"
>;

export interface BiLevelHooks {
  /** Called after every search step with the step count t. */
  afterStep?: (step: number) => void;
  /** Streams drawn inside the embedding (Gumbel noise), saved and restored with checkpoints. */
  streams?: Record<string, RandomStream>;
  checkpoint?: CheckpointSettings;
  /** Identity of the run for its checkpoints (config + data). */
  identity?: unknown;
  /** The caller's state to keep in checkpoints, and how to take it back. */
  saveExtra?: () => unknown;
  restoreExtra?: (extra: unknown) => void;
  /** Go on when the training loss grows 100× above its first steps' level (DivergenceGuard). */
  allowDivergence?: boolean;
  /** Appended to the progress line after search step t (AutoDim: the temperature τ). */
  progressNote?: (step: number) => string;
  /**
   * Called after every α update (AutoDim-s: every step) with the search step t it belongs to
   * and the gradient the α optimiser applied, one array per architecture variable.
   */
  afterArchitectureStep?: (step: number, gradients: Float32Array[]) => void;
}

/** The α gradients the network applies (`Network.onArchitectureGradients`), taken one step at a time. */
function tapArchitectureGradients(network: Network): { take(): Float32Array[] | undefined; release(): void } {
  let taken: Float32Array[] | undefined;
  network.onArchitectureGradients = (gradients) => {
    taken = gradients;
  };
  return {
    take() {
      const out = taken;
      taken = undefined;
      return out;
    },
    release() {
      network.onArchitectureGradients = undefined;
    },
  };
}

/**
 * The search loop shared by AutoDim, AutoDim-s and AutoEmb: a warm-up with the architecture
 * frozen uniform, then `epochs` epochs of W steps on training batches with an architecture
 * step on a validation batch every `frequency` steps (first or second order), or with W on
 * the training batch (one level). Steps count from 0 after the warm-up (τ's t). With
 * checkpoints, a killed run resumed with `resume` ends exactly as an uninterrupted one.
 */
export async function runBiLevel(
  network: Network,
  embedding: FreezableArchitecture,
  data: PreparedData,
  config: BiLevelSettings,
  progress: Progress | undefined,
  hooks: BiLevelHooks = {},
): Promise<{ steps: number; architectureSteps: number; loss: number }> {
  if (config.oneLevel && config.secondOrder)
    throw new AutodimError(
      "AutoDim-s (one level) has no second-order variant: drop one of --one-level, --second-order",
    );
  const dropout = randomStream(config.seed, "dropout");
  const streams: Record<string, RandomStream> = { dropout, ...(hooks.streams ?? {}) };
  const train = new BatchCursor(data, "train", { batchSize: config.batchSize }, randomStream(config.seed, "shuffle"));
  const validation = new BatchCursor(
    data,
    "val",
    { batchSize: config.batchSize, dropLast: data.rows("val") >= config.batchSize },
    randomStream(config.seed, "shuffle", "validation"),
  );
  const state = { warmupDone: 0, epoch: 0, t: 0, architectureSteps: 0, loss: NaN };
  const guard = new DivergenceGuard("search", hooks.allowDivergence);
  const checkpoints = new LoopCheckpoints<typeof state>(
    hooks.checkpoint,
    "search",
    hooks.identity ?? config,
    { train, validation },
    streams,
  );
  const resumed = await checkpoints.restore(network, ["warmupDone", "epoch", "t", "architectureSteps", "loss"]);
  if (resumed) {
    Object.assign(state, resumed.counters);
    hooks.restoreExtra?.(resumed.extra);
  }
  let midPass = resumed !== undefined;
  const save = () => checkpoints.save(network, state.warmupDone + state.t, state, hooks.saveExtra?.());
  const nextValidation = () => {
    let batch = validation.pass > 0 ? validation.next() : undefined;
    if (!batch) {
      validation.startPass();
      batch = validation.next();
      if (!batch)
        throw new AutodimError(`${data.dir}: the validation split is empty; the bi-level search needs validation data`);
    }
    return batch;
  };
  const beginPass = () => {
    if (midPass) midPass = false;
    else train.startPass();
  };

  // Warm-up: architecture fixed uniform, so every candidate's weights start trained.
  // Choice: warm-up steps do not advance τ (t counts search steps).
  embedding.frozenUniform = true;
  while (state.warmupDone < config.warmupSteps) {
    beginPass();
    for (let batch = train.next(); batch; batch = train.next()) {
      state.loss = network.trainStep(batch, { training: true, step: 0, dropout });
      state.warmupDone++;
      guard.observe(state.loss, state.warmupDone);
      progress?.update(state.warmupDone, `loss ${state.loss.toFixed(4)} (warm-up)`);
      if (state.warmupDone >= config.warmupSteps) break;
      if (checkpoints.due(state.warmupDone)) await save();
    }
  }
  // The warm-up's last pass is abandoned where it stopped: the search starts a new one.
  embedding.frozenUniform = false;

  // (An error leaves the tap on: the caller disposes the network, and the tap only reads.)
  const tap = hooks.afterArchitectureStep ? tapArchitectureGradients(network) : undefined;
  for (; state.epoch < config.epochs; state.epoch++) {
    beginPass();
    for (let batch = train.next(); batch; batch = train.next()) {
      const ctx: StepContext = { training: true, step: state.t, dropout };
      const architectureStep = !config.oneLevel && state.t % config.frequency === 0;
      if (architectureStep && config.secondOrder) {
        // Second order: α first, from w and this training batch's virtual step.
        network.architectureStepSecondOrder(batch, nextValidation(), ctx, config.learningRate);
        state.architectureSteps++;
      }
      state.loss = network.trainStep(batch, ctx, config.oneLevel);
      guard.observe(state.loss, state.warmupDone + state.t + 1);
      if (architectureStep && !config.secondOrder) {
        network.architectureStep(nextValidation(), ctx);
        state.architectureSteps++;
      }
      state.t++;
      const gradients = tap?.take();
      if (gradients) hooks.afterArchitectureStep?.(state.t, gradients);
      hooks.afterStep?.(state.t);
      const note = hooks.progressNote?.(state.t);
      progress?.update(config.warmupSteps + state.t, `loss ${state.loss.toFixed(4)}${note ? `, ${note}` : ""}`);
      if (checkpoints.due(state.warmupDone + state.t)) await save();
    }
    // Epoch end: the position is the end of this pass, so a resume goes on with the next epoch.
    await save();
  }
  tap?.release();
  return { steps: state.t, architectureSteps: state.architectureSteps, loss: state.loss };
}
