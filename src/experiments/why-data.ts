// The "why" experiment's training rows, subsampled (item 3, data size): a prepared set whose
// training split is a seeded share of the full set's rows, with validation, test and vocabulary unchanged.
import { PreparedData } from "../data/batches.js";
import type { ShardEntry, Split } from "../data/manifest.js";
import { randomStream, type RandomStream } from "../core/random.js";
import { DEFAULT_SEED } from "../methods/defaults.js";

/**
 * A prepared set whose training split is a seeded share of its rows (each shard keeps
 * ⌊rows · share⌋ rows, drawn without replacement and kept in order); validation, test and the
 * vocabulary are the full set's. The subset depends on the share and `seed`, not on the search's seed.
 */
export class SubsampledData extends PreparedData {
  private readonly kept = new Map<string, Int32Array>();
  private readonly original = new Map<string, ShardEntry>();
  private readonly trainShards: ShardEntry[];

  constructor(
    dir: string,
    readonly share: number,
    seed = DEFAULT_SEED,
  ) {
    super(dir);
    if (!(share > 0 && share <= 1)) throw new RangeError(`a share of the training rows in (0, 1], got ${share}`);
    this.trainShards = super.shards("train").map((s, i) => {
      const rows = subsetRows(s.rows, share, randomStream(seed, "split", "why-subsample", share, i));
      this.kept.set(s.ids.file, rows);
      this.original.set(s.ids.file, s);
      return { ...s, rows: rows.length };
    });
  }

  override rows(split: Split): number {
    return split === "train" ? this.trainShards.reduce((a, s) => a + s.rows, 0) : super.rows(split);
  }

  override shards(split: Split): ShardEntry[] {
    return split === "train" ? this.trainShards : super.shards(split);
  }

  override readShard(shard: ShardEntry): { ids: Int32Array; labels: Uint8Array } {
    const rows = shard.split === "train" ? this.kept.get(shard.ids.file) : undefined;
    if (!rows) return super.readShard(shard);
    const whole = super.readShard(this.original.get(shard.ids.file) as ShardEntry);
    const F = this.fieldCount;
    const ids = new Int32Array(rows.length * F);
    const labels = new Uint8Array(rows.length);
    rows.forEach((r, i) => {
      ids.set(whole.ids.subarray(r * F, r * F + F), i * F);
      labels[i] = whole.labels[r];
    });
    return { ids, labels };
  }
}

/** ⌊n · share⌋ distinct row indices of 0…n−1 drawn with `rng`, ascending. */
export function subsetRows(n: number, share: number, rng: RandomStream): Int32Array {
  const k = share >= 1 ? n : Math.floor(n * share);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.subarray(0, k).sort();
}
