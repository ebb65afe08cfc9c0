// The rows a batch touches in a table, each once (a hash set sized to the batch), and the
// gradients of a batch computed in two parts added back per row: the step-time side of the
// sparse tables in sparse.ts.
import * as tf from "@tensorflow/tfjs";
import { sparseKernels } from "./sparse-kernels.js";
import { filledTensor } from "../core/tensor-memory.js";
import { SharedArrays } from "../core/shared-arrays.js";
import type { SparseParam, SparseTable, TouchedRows } from "./sparse.js";
/**
 * Collects the rows a batch touches, each once. Deduplication goes through a hash set sized
 * to the batch, not to the table: its slots stay in cache whatever the vocabulary (a mark
 * per table row cost a cache miss per lookup at 10M rows, and 8 bytes per row). Slots are
 * [generation, row, index]; a slot of an older generation is empty, so nothing is cleared
 * between batches.
 */
export class TouchCollector {
  private slots = new Int32Array(0);
  private mask = 0;
  /** 32 − log2(slots): Fibonacci hashing takes the product's top bits. */
  private shift = 32;
  private generation = 0;
  private localScratch = new Int32Array(0);
  private rowsScratch = new Int32Array(0);
  /**
   * Two gradient arrays, used in turn: a step's stay valid through the next step's (a
   * data-parallel replica may still be updating the tables with them). Shared memory, so
   * handing them to the replica copies nothing.
   */
  private readonly gradientScratch = new SharedArrays();
  private gradientTurn = 0;

  constructor(readonly param: SparseParam) {}

  collect(ids: Int32Array, batchSize: number, fieldCount: number): TouchedRows {
    return this.withValues(this.collectIndices(ids, batchSize, fieldCount));
  }

  /**
   * `collect`'s second half: the rows' current values. (The first half reads no table: a
   * data-parallel step dedups every table while the replica still writes them.)
   */
  withValues({ rows, localIndex }: { rows: Int32Array; localIndex: Int32Array }): TouchedRows {
    const { table } = this.param;
    const initial = filledTensor([rows.length, table.dim], "float32", (values) => table.gather(rows, values));
    const values = tf.variable(initial, true);
    initial.dispose();
    const local = filledTensor([localIndex.length], "int32", (out) => out.set(localIndex));
    return { param: this.param, rows, values, local: local as tf.Tensor1D };
  }

  /** An array for `size` gradient values (valid until the call after next: see gradientScratch). */
  gradientBuffer(size: number): Float32Array {
    this.gradientTurn ^= 1;
    return this.gradientScratch.float(String(this.gradientTurn), size);
  }

  /**
   * The rows a batch touches, each once, and per (row, field) the index into them: no values yet.
   * The index is a view on this collector's memory, valid until the next call; the rows are the
   * caller's (they may be kept for an Adam step after more collections: DARTS' second order).
   */
  collectIndices(ids: Int32Array, batchSize: number, fieldCount: number): { rows: Int32Array; localIndex: Int32Array } {
    const { fields, rowOf } = this.param;
    const nf = fields.length;
    const n = batchSize * nf;
    if (this.localScratch.length < n) {
      this.localScratch = new Int32Array(n);
      this.rowsScratch = new Int32Array(n);
      let cap = 16;
      while (cap < 2 * n) cap *= 2; // at most half full: short probes
      this.slots = new Int32Array(3 * cap);
      this.mask = cap - 1;
      this.shift = 32 - Math.log2(cap);
      this.generation = 0;
    }
    const gen = ++this.generation;
    const { slots, mask, shift } = this;
    const local = this.localScratch;
    const rows = this.rowsScratch;
    const dedup = sparseKernels()?.collect ?? collectRows;
    const unique = dedup(ids, batchSize, fieldCount, fields, rowOf ?? null, slots, gen, mask, shift, rows, local);
    if (unique < 0)
      throw new Error(`feature id ${ids[-1 - unique]} is outside the table's row map (${rowOf?.length} ids)`);
    return { rows: rows.slice(0, unique), localIndex: local.subarray(0, n) };
  }
}

/**
 * Adds the gradients of two parts of a batch over one table: the rows of both each once (the
 * first part's in their order, then the second's new ones), gradients added in float32 (first
 * + second) where both parts touched a row. Keeps its hash set between calls.
 */
export class RowGradientAdder {
  private readonly dedup: TouchCollector;
  // Reused between calls: fresh megabyte arrays every step cost their page faults and zeroing.
  private both = new Int32Array(0);
  private sum = new Float32Array(0);

  constructor(table: SparseTable) {
    this.dedup = new TouchCollector({ table, fields: Int32Array.of(0) });
  }

  /** The result's arrays are overwritten by the next call. */
  add(
    rowsA: Int32Array,
    gradsA: Float32Array,
    rowsB: Int32Array,
    gradsB: Float32Array,
    dim: number,
  ): { rows: Int32Array; grads: Float32Array } {
    const n = rowsA.length + rowsB.length;
    if (this.both.length < n) this.both = new Int32Array(2 * n);
    const both = this.both.subarray(0, n);
    both.set(rowsA);
    both.set(rowsB, rowsA.length);
    const { rows, localIndex } = this.dedup.collectIndices(both, n, 1);
    if (this.sum.length < rows.length * dim) this.sum = new Float32Array(2 * rows.length * dim);
    const grads = this.sum.subarray(0, rows.length * dim).fill(0);
    scatterAddRows(grads, dim, localIndex.subarray(0, rowsA.length), gradsA);
    scatterAddRows(grads, dim, localIndex.subarray(rowsA.length), gradsB);
    return { rows, grads };
  }
}

/** out[positions[i], :] += src[i, :] in float32, in order of i (`dim` floats a row). */
export function scatterAddRows(out: Float32Array, dim: number, positions: Int32Array, src: Float32Array): void {
  const kernels = sparseKernels();
  if (kernels) return kernels.scatterAdd(out, dim, positions, src);
  const rows = Math.floor(out.length / dim);
  if (positions.some((p) => p < 0 || p >= rows)) throw new RangeError("scatterAdd: a position outside out");
  for (let i = 0; i < positions.length; i++) {
    const o = positions[i] * dim;
    for (let j = 0; j < dim; j++) out[o + j] = Math.fround(out[o + j] + src[i * dim + j]);
  }
}

/**
 * The dedup loop of `TouchCollector.collect` (the native addon's `collect` is its twin): each
 * (row, field) id, through `rowOf`, probes the hash set; a new row gets the next index. Fills
 * rows and local; returns the unique count, or −1 − k when ids[k] is outside rowOf.
 */
export function collectRows(
  ids: Int32Array,
  batchSize: number,
  fieldCount: number,
  fields: Int32Array,
  rowOf: Int32Array | null,
  slots: Int32Array,
  gen: number,
  mask: number,
  shift: number,
  rows: Int32Array,
  local: Int32Array,
): number {
  const nf = fields.length;
  let unique = 0;
  for (let b = 0; b < batchSize; b++) {
    const base = b * fieldCount;
    for (let j = 0; j < nf; j++) {
      const id = ids[base + fields[j]];
      if (rowOf && !(id >= 0 && id < rowOf.length)) return -1 - (base + fields[j]);
      const r = rowOf ? rowOf[id] : id;
      let s = Math.imul(r, 0x9e3779b1) >>> shift;
      while (slots[3 * s] === gen && slots[3 * s + 1] !== r) s = (s + 1) & mask;
      if (slots[3 * s] !== gen) {
        slots[3 * s] = gen;
        slots[3 * s + 1] = r;
        slots[3 * s + 2] = unique;
        rows[unique++] = r;
      }
      local[b * nf + j] = slots[3 * s + 2];
    }
  }
  return unique;
}
