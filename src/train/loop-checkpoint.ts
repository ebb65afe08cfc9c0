// Checkpoints of a training loop's position: its counters, where each batch cursor stands, the
// random streams, and the caller's own state, saved beside the network and put back on resume,
// so a killed run resumed ends exactly as an uninterrupted one. Used by the bi-level search.
import { BatchCursor, type CursorPosition } from "../data/batches.js";
import { AutodimError } from "../core/errors.js";
import type { RandomStream, StreamState } from "../core/random.js";
import { Checkpointer, type CheckpointSettings } from "./checkpoint.js";
import type { Network } from "./network.js";

/** What is saved: the counters at the top level, a position per cursor (null before its first pass). */
type LoopState<C> = C & {
  streams: Record<string, StreamState>;
  /** The caller's own state (AutoDim: the α history). */
  extra: unknown;
} & Record<string, unknown>;

export class LoopCheckpoints<C extends Record<string, number>> {
  private readonly checkpointer?: Checkpointer<LoopState<C>>;

  constructor(
    settings: CheckpointSettings | undefined,
    job: string,
    identity: unknown,
    private readonly cursors: Record<string, BatchCursor>,
    private readonly streams: Record<string, RandomStream>,
  ) {
    this.checkpointer = settings ? new Checkpointer<LoopState<C>>(settings, job, identity) : undefined;
  }

  due(step: number): boolean {
    return this.checkpointer?.due(step) ?? false;
  }

  async save(network: Network, step: number, counters: C, extra?: unknown): Promise<void> {
    if (!this.checkpointer) return;
    const positions = Object.fromEntries(
      Object.entries(this.cursors).map(([k, c]) => [k, c.pass > 0 ? c.position() : null]),
    );
    const streams = Object.fromEntries(Object.entries(this.streams).map(([k, r]) => [k, r.state()]));
    await this.checkpointer.save(network, step, { ...counters, ...positions, streams, extra } as LoopState<C>);
  }

  /** With --resume: puts the newest checkpoint back (network, cursors, streams); its counters and extra. */
  async restore(network: Network, counterNames: (keyof C)[]): Promise<{ counters: C; extra: unknown } | undefined> {
    const resumed = await this.checkpointer?.restore(network);
    if (!resumed) return undefined;
    const loop = resumed.loop;
    for (const [name, cursor] of Object.entries(this.cursors)) {
      const position = (loop as Record<string, unknown>)[name] as CursorPosition | null | undefined;
      if (position) cursor.restore(position);
    }
    for (const [name, state] of Object.entries(loop.streams)) {
      if (!this.streams[name]) throw new AutodimError(`checkpoint: stream ${name} is not part of this run`);
      this.streams[name].restore(state);
    }
    const counters = Object.fromEntries(
      counterNames.map((k) => [k, (loop as Record<string, unknown>)[k as string]]),
    ) as C;
    return { counters, extra: loop.extra };
  }
}
