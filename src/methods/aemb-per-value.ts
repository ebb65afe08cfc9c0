// AEmb's re-train embedding: a size per feature value (the controller's argmax), one table per
// size. Apart from the search in aemb.ts, which only hands it the sizes.
import * as tf from "@tensorflow/tfjs";
import type { ProjectionKind } from "../train/plan-embedding.js";
import type { EmbeddingModule, EmbeddingParameterCounts } from "../models/embedding.js";
import { SparseTable, type SparseParam, type TouchedRows } from "../tables/sparse.js";
import { AutodimError } from "../core/errors.js";
import { Dense, type StepContext } from "../models/layers.js";
import type { RandomStream } from "../core/random.js";

/**
 * Per-value sizes: `sizeIndex[id]` picks the candidate of global id `id`. One table per
 * size holds the values of that size, plus one last row that stands for "another size":
 * the output of a table is masked to zero at values it does not hold, so that row never
 * reaches the model and never gets a gradient. The field embedding is the sum over sizes
 * of the masked, projected lookups.
 */
export class PerValueEmbedding implements EmbeddingModule {
  readonly sparse: SparseParam[];
  readonly dense: tf.Variable[];
  readonly state: tf.Variable[] = [];
  readonly architecture: tf.Variable[] = [];
  /** Candidate sizes that some value uses, ascending. */
  readonly sizes: number[];
  private readonly projections: (Dense | null)[];
  /** Per table: the row that stands for values of other sizes. */
  private readonly otherRow: number[];

  constructor(
    readonly fieldCount: number,
    sizeIndex: Uint8Array,
    candidates: number[],
    readonly projection: Exclude<ProjectionKind, "none">,
    readonly outputDim: number,
    rng: RandomStream,
  ) {
    const used = [...new Set(sizeIndex)].sort((a, b) => a - b);
    if (used.some((n) => n >= candidates.length))
      throw new AutodimError(`a size index exceeds the ${candidates.length} candidates`);
    this.sizes = used.map((n) => candidates[n]);
    if (this.sizes[this.sizes.length - 1] > outputDim)
      throw new AutodimError(`a size ${this.sizes[this.sizes.length - 1]} exceeds the output size ${outputDim}`);
    const fields = Int32Array.from({ length: fieldCount }, (_, i) => i);
    this.otherRow = [];
    this.sparse = used.map((n) => {
      const d = candidates[n];
      const rowOf = new Int32Array(sizeIndex.length);
      let rows = 0;
      for (let id = 0; id < sizeIndex.length; id++) if (sizeIndex[id] === n) rowOf[id] = rows++;
      for (let id = 0; id < sizeIndex.length; id++) if (sizeIndex[id] !== n) rowOf[id] = rows;
      this.otherRow.push(rows);
      return { table: new SparseTable(`aemb/size${d}`, rows + 1, d).initNormal(rng, 0.01), fields, rowOf };
    });
    this.projections = this.sizes.map((d) =>
      projection === "linear" ? new Dense(d, outputDim, rng, `aemb/W${d}`, true) : null,
    );
    this.dense = this.projections.flatMap((p) => p?.variables ?? []);
  }

  forward(touched: TouchedRows[], batch: number, _ctx: StepContext): tf.Tensor3D {
    const D = this.outputDim;
    const parts = this.sizes.map((d, g) => {
      const t = touched[g];
      const held = Float32Array.from(t.rows, (r) => (r === this.otherRow[g] ? 0 : 1));
      const mask = tf.reshape(tf.gather(tf.tensor1d(held), t.local), [-1, 1]);
      const e = tf.gather(t.values, t.local) as tf.Tensor2D; // [B·F, d]
      const p = this.projections[g];
      const x = p
        ? p.apply(e)
        : d < D
          ? tf.pad(e, [
              [0, 0],
              [0, D - d],
            ])
          : e;
      return tf.mul(x, mask);
    });
    return tf.reshape(parts.length === 1 ? parts[0] : tf.addN(parts), [batch, this.fieldCount, D]) as tf.Tensor3D;
  }

  parameterCounts(): EmbeddingParameterCounts {
    return {
      // The "other sizes" rows are bookkeeping, not parameters of the model.
      embedding: this.sparse.reduce((a, p) => a + (p.table.rows - 1) * p.table.dim, 0),
      transform: this.projections.reduce((a, p) => a + (p?.parameterCount ?? 0), 0),
      architecture: 0,
    };
  }

  dispose(): void {
    tf.dispose(this.dense);
  }
}
