// The re-train embedding shared by AutoDim's re-train and every baseline: per-field tables of
// fixed sizes, projected to a common width d_N (AutoDim step 6; see src/embedding/autodim.ts).
import * as tf from "@tensorflow/tfjs";
import type { FieldEntry, Manifest } from "../data/manifest.js";
import { AutodimError } from "../core/errors.js";
import {
  EMBEDDING_INIT_STD,
  type EmbeddingModule,
  type EmbeddingParameterCounts,
  type ReplicaModuleSpec,
} from "../models/embedding.js";
import { constantVariable, Dense, uniformVariable, type StepContext } from "../models/layers.js";
import type { RandomStream } from "../core/random.js";
import { SparseTable, type SparseParam, type TouchedRows } from "../tables/sparse.js";
import type { NamedArray } from "../tables/weights.js";
import type { ProjectionKind, SearchEmbeddingConfig } from "./schemas.js";

export type { ProjectionKind };

/** Embedding parameters of per-field sizes: Σ_m |V_m|·d_m. */
export function planParameterCount(dims: number[], manifest: Pick<Manifest, "fields">): number {
  return dims.reduce((a, d, m) => a + d * manifest.fields[m].vocabularySize, 0);
}

/** A field's rows summarised for truncation (src/embedding/pca.ts computes it): mean and unit directions, leading first. */
export interface TruncationBasis {
  mean: ArrayLike<number>;
  directions: ArrayLike<number>[];
}

/** Where each field's ids start and how many there are. */
export interface PlanLayout {
  fields: Pick<FieldEntry, "offset" | "vocabularySize">[];
  totalFeatures: number;
}

/**
 * Per-field tables of fixed sizes. Fields of equal size share one table (rows = the sum of
 * their vocabularies) and one projection to `outputDim`:
 *   linear   — x = W_dᵀ e + b_d (the paper's choice for FM/DeepFM)
 *   zeropad  — e padded with zeros to `outputDim`
 *   none     — every field has the same size, used as is (FDE: the full-dimension model)
 *   field-linear — each field narrower than `outputDim` has its own x = W_mᵀ e + b_m (MDE's
 *              per-field projection); full-width fields are used as is. Shrink's warm start needs
 *              it: a field's best rank-d approximation is its own map, which a shared W_d cannot hold.
 */
export class PlanEmbedding implements EmbeddingModule {
  readonly outputDim: number;
  readonly sparse: SparseParam[];
  readonly dense: tf.Variable[];
  readonly state: tf.Variable[] = [];
  readonly architecture: tf.Variable[] = [];
  /** Distinct sizes, ascending; `sparse[g]` holds the fields of size `sizes[g]`. */
  readonly sizes: number[];
  readonly projections: Map<number, Dense>;
  /** field-linear: per size d < outputDim, kernels [fields, d, outputDim] and biases [fields, 1, outputDim]. */
  readonly fieldProjections: Map<number, { kernel: tf.Variable; bias: tf.Variable }>;
  private rowOrderCache?: { batch: number; index: tf.Tensor1D };
  private readonly layout: PlanLayout;

  constructor(
    readonly fieldCount: number,
    readonly dims: number[],
    manifest: PlanLayout,
    readonly projection: ProjectionKind,
    outputDim: number,
    rng: RandomStream,
  ) {
    if (dims.length !== fieldCount)
      throw new AutodimError(`the plan has ${dims.length} fields, the data ${fieldCount}`);
    this.layout = {
      fields: manifest.fields.map(({ offset, vocabularySize }) => ({ offset, vocabularySize })),
      totalFeatures: manifest.totalFeatures,
    };
    this.sizes = [...new Set(dims)].sort((a, b) => a - b);
    if (projection === "none" && this.sizes.length !== 1)
      throw new AutodimError("projection 'none' needs one size for every field");
    this.outputDim = projection === "none" ? this.sizes[0] : outputDim;
    if (this.sizes[this.sizes.length - 1] > this.outputDim)
      throw new AutodimError(
        `a field size ${this.sizes[this.sizes.length - 1]} exceeds the output size ${this.outputDim}`,
      );
    this.sparse = this.sizes.map((d) => {
      const fields = dims.map((x, m) => (x === d ? m : -1)).filter((m) => m >= 0);
      const rowOf = new Int32Array(manifest.totalFeatures).fill(-1);
      let rows = 0;
      for (const m of fields) {
        const f = manifest.fields[m];
        for (let i = 0; i < f.vocabularySize; i++) rowOf[f.offset + i] = rows++;
      }
      const table = new SparseTable(`plan/size${d}`, rows, d).initNormal(rng, EMBEDDING_INIT_STD);
      return { table, fields: Int32Array.from(fields), rowOf };
    });
    this.projections = new Map();
    if (projection === "linear")
      for (const d of this.sizes) this.projections.set(d, new Dense(d, this.outputDim, rng, `plan/W${d}`, true));
    this.fieldProjections = new Map();
    if (projection === "field-linear")
      this.sizes.forEach((d, g) => {
        if (d >= this.outputDim) return;
        const n = this.sparse[g].fields.length;
        this.fieldProjections.set(d, {
          kernel: uniformVariable([n, d, this.outputDim], 1 / Math.sqrt(d), rng, `plan/fieldW${d}`),
          bias: constantVariable([n, 1, this.outputDim], 0, `plan/fieldb${d}`),
        });
      });
    this.dense = [
      ...[...this.projections.values()].flatMap((p) => p.variables),
      ...[...this.fieldProjections.values()].flatMap((p) => [p.kernel, p.bias]),
    ];
  }

  /**
   * Warm start from the search's weights: field m's rows of size d are the first d entries
   * of its shared rows (or its rows of the size-d table, separate lookup); the projection of
   * size d is the search's W_d, b_d when both unify linearly. Choice: with zero-padding
   * search and linear projection the projection starts fresh (there is no W_d to take).
   */
  warmStart(
    weights: Map<string, NamedArray>,
    search: Pick<SearchEmbeddingConfig, "lookup" | "unify" | "candidates">,
    manifest: Pick<Manifest, "fields" | "totalFeatures">,
    file: string,
  ): void {
    const need = (name: string, shape?: number[]) => {
      const w = weights.get(name);
      if (!w) throw new AutodimError(`${file}: no ${name} (the weights do not belong to this plan's search)`);
      if (shape && w.shape.join("×") !== shape.join("×"))
        throw new AutodimError(
          `${file}: ${name} has shape ${w.shape.join("×")}, this data and plan need ${shape.join("×")} (weights from other data?)`,
        );
      return w;
    };
    const D = search.candidates[search.candidates.length - 1];
    this.sizes.forEach((d, g) => {
      const source =
        search.lookup === "shared"
          ? need("lookup/shared", [manifest.totalFeatures, D])
          : need(`lookup/separate${d}`, [manifest.totalFeatures, d]);
      const width = source.shape[1];
      const { table, fields } = this.sparse[g];
      let row = 0;
      for (const m of fields) {
        const f = manifest.fields[m];
        for (let i = 0; i < f.vocabularySize; i++, row++) {
          const from = (f.offset + i) * width;
          table.row(row).set(source.data.subarray(from, from + d));
        }
      }
      const projection = this.projections.get(d);
      if (!projection || search.unify !== "linear") return;
      const n = search.candidates.indexOf(d);
      if (search.lookup === "shared") {
        const N = search.candidates.length;
        const W = need("unify/W", [D, N * D]);
        const b = need("unify/b", [N * D]);
        const kernel = new Float32Array(d * this.outputDim);
        for (let i = 0; i < d; i++) kernel.set(W.data.subarray(i * N * D + n * D, i * N * D + n * D + D), i * D);
        projection.kernel.assign(tf.tensor2d(kernel, [d, D]));
        projection.bias.assign(tf.tensor1d(b.data.slice(n * D, n * D + D)));
      } else {
        projection.kernel.assign(tf.tensor2d(need(`unify/W${d}`, [d, D]).data, [d, D]));
        projection.bias.assign(tf.tensor1d(need(`unify/b${d}`, [D]).data));
      }
    });
  }

  /**
   * Starts the plan as a trained full-width table truncated field by field: a field of size
   * d < outputDim gets rows (e − μ)·V_d and its own projection V_dᵀ with bias μ (its best rank-d
   * affine approximation, src/embedding/pca.ts); a full-width field gets its rows as they are.
   * `fields[m].rows` are field m's trained rows in id order.
   */
  loadTruncated(fields: { rows: ArrayLike<number>[]; components: TruncationBasis }[]): void {
    if (this.projection !== "field-linear")
      throw new AutodimError("a truncated start needs the field-linear projection (one map per field)");
    if (fields.length !== this.fieldCount)
      throw new AutodimError(`a truncated start of ${fields.length} fields for a plan of ${this.fieldCount}`);
    const D = this.outputDim;
    this.sizes.forEach((d, g) => {
      const { table, fields: members } = this.sparse[g];
      const own = this.fieldProjections.get(d);
      const kernel = new Float32Array(members.length * d * D);
      const bias = new Float32Array(members.length * D);
      let row = 0;
      members.forEach((m, j) => {
        const { rows, components } = fields[m];
        if (rows.length > 0 && rows[0].length !== D)
          throw new AutodimError(
            `a truncated start: field ${m}'s rows are ${rows[0].length} wide, the plan's output ${D}`,
          );
        for (const e of rows) {
          const out = table.row(row++);
          if (!own) {
            out.set(e);
            continue;
          }
          for (let k = 0; k < d; k++) {
            const v = components.directions[k];
            let dot = 0;
            for (let c = 0; c < D; c++) dot += (e[c] - components.mean[c]) * v[c];
            out[k] = dot;
          }
        }
        for (let k = 0; k < d; k++) kernel.set(components.directions[k], (j * d + k) * D);
        bias.set(components.mean, j * D);
      });
      own?.kernel.assign(tf.tensor3d(kernel, [members.length, d, D]));
      own?.bias.assign(tf.tensor3d(bias, [members.length, 1, D]));
    });
  }

  forward(touched: TouchedRows[], batch: number, _ctx: StepContext): tf.Tensor3D {
    const D = this.outputDim;
    const groups = this.sizes.map((d, g) => {
      const e = tf.gather(touched[g].values, touched[g].local) as tf.Tensor2D; // [B·F_g, d]
      const own = this.fieldProjections.get(d);
      if (own) {
        // Rows are (b, j) ordered: [B, F_g, d] → [F_g, B, d] · [F_g, d, D] + b → back.
        const n = this.sparse[g].fields.length;
        const byField = tf.transpose(tf.reshape(e, [batch, n, d]), [1, 0, 2]) as tf.Tensor3D;
        const x = tf.add(tf.matMul(byField, own.kernel as tf.Tensor3D), own.bias);
        return tf.reshape(tf.transpose(x, [1, 0, 2]), [batch * n, D]) as tf.Tensor2D;
      }
      return this.projection === "linear"
        ? (this.projections.get(d) as Dense).apply(e)
        : d < D
          ? tf.pad(e, [
              [0, 0],
              [0, D - d],
            ])
          : e;
    });
    if (groups.length === 1) return tf.reshape(groups[0], [batch, this.fieldCount, D]) as tf.Tensor3D;
    // Groups stacked row-wise, then one row gather into (row, field) order: both are row
    // copies. (A concat and gather along the field axis ran strided kernels on wasm: 17% of
    // a re-train step at batch 2000.)
    return tf.reshape(tf.gather(tf.concat(groups, 0), this.rowOrder(batch)), [
      batch,
      this.fieldCount,
      D,
    ]) as tf.Tensor3D;
  }

  /** For row b, field m: the row of [group 0 rows; group 1 rows; …] that holds it. */
  private rowOrder(batch: number): tf.Tensor1D {
    if (this.rowOrderCache?.batch === batch) return this.rowOrderCache.index;
    this.rowOrderCache?.index.dispose();
    const F = this.fieldCount;
    const index = new Int32Array(batch * F);
    let start = 0;
    for (const p of this.sparse) {
      const nf = p.fields.length;
      p.fields.forEach((m, j) => {
        for (let b = 0; b < batch; b++) index[b * F + m] = start + b * nf + j;
      });
      start += batch * nf;
    }
    const tensor = tf.keep(tf.tensor1d(index, "int32"));
    this.rowOrderCache = { batch, index: tensor };
    return tensor;
  }

  /** How a data-parallel replica rebuilds this module (`planEmbeddingFromSpec`). */
  replicaSpec(): ReplicaModuleSpec {
    const { fieldCount, dims, layout, projection, outputDim } = this;
    return { kind: "plan", fieldCount, dims, layout, projection, outputDim };
  }

  parameterCounts(): EmbeddingParameterCounts {
    return {
      embedding: this.sparse.reduce((a, p) => a + p.table.parameterCount, 0),
      transform:
        [...this.projections.values()].reduce((a, p) => a + p.parameterCount, 0) +
        [...this.fieldProjections.values()].reduce((a, p) => a + p.kernel.size + p.bias.size, 0),
      architecture: 0,
    };
  }

  dispose(): void {
    tf.dispose(this.dense);
    this.rowOrderCache?.index.dispose();
  }
}
