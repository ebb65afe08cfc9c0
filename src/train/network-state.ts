// A network's resumable state as named arrays and metadata: tables with their Adam moments,
// dense weights, BatchNorm statistics, α and both optimisers, exact to the bit (checkpoint.ts
// writes and reads them).
import * as tf from "@tensorflow/tfjs";
import { AutodimError } from "../core/errors.js";
import type { SparseParam } from "../tables/sparse.js";
import type { NamedArray } from "../tables/weights.js";

export interface NetworkStateMeta {
  steps: number;
  tableSteps: number[];
  optimizers: { key: "weights" | "architecture"; iterations: number; names: string[]; betaPowers?: number[] }[];
}

/** Adam's running β1^t, β2^t (private in tfjs; read for exact checkpoints). */
function adamBetaPowers(opt: tf.AdamOptimizer): tf.Variable[] {
  const o = opt as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
  return [o.accBeta1, o.accBeta2];
}

/** What a network's state is made of (Network passes its own, private parts included). */
export interface StateHost {
  readonly sparse: SparseParam[];
  readonly dense: tf.Variable[];
  /** BatchNorm running statistics of embedding and model. */
  readonly state: tf.Variable[];
  readonly architecture: tf.Variable[];
  /** The optimiser of W (Adam) and of α (Adam or SGD). */
  readonly optimizer: tf.Optimizer;
  readonly architectureOptimizer: tf.Optimizer;
  /** Training steps on W taken. */
  readonly steps: number;
}

/**
 * Everything a resumed run needs: tables with their Adam moments, dense weights,
 * BatchNorm statistics, architecture weights and both optimisers' state.
 */
export async function exportNetworkState(net: StateHost): Promise<{ arrays: NamedArray[]; meta: NetworkStateMeta }> {
  const arrays: NamedArray[] = [];
  net.sparse.forEach((p, i) => {
    const s = p.table.state();
    arrays.push(
      { name: `table/${i}/data`, shape: [p.table.rows, p.table.dim], data: s.data },
      { name: `table/${i}/moments`, shape: [p.table.rows, 2 * p.table.dim], data: s.moments },
    );
  });
  const put = (prefix: string, vars: tf.Variable[]) =>
    vars.forEach((v, i) =>
      arrays.push({ name: `${prefix}/${i}`, shape: v.shape, data: Float32Array.from(v.dataSync()) }),
    );
  put("dense", net.dense);
  put("state", net.state);
  put("architecture", net.architecture);
  const optimizers: NetworkStateMeta["optimizers"] = [];
  for (const [key, opt] of [
    ["weights", net.optimizer],
    ["architecture", net.architectureOptimizer],
  ] as const) {
    const weights = await opt.getWeights();
    const iterations = (await weights[0].tensor.data())[0];
    const rest = weights.slice(1);
    rest.forEach((w, i) =>
      arrays.push({
        name: `optimizer/${key}/${i}`,
        shape: w.tensor.shape,
        data: Float32Array.from(w.tensor.dataSync()),
      }),
    );
    // tfjs recomputes Adam's β^t as pow() on setWeights, which can differ from its running
    // product in the last bit: keep the exact values so a resumed run matches bit for bit.
    const beta = opt instanceof tf.AdamOptimizer ? adamBetaPowers(opt).map((v) => v.dataSync()[0]) : undefined;
    optimizers.push({ key, iterations, names: rest.map((w) => w.name), betaPowers: beta });
  }
  return { arrays, meta: { steps: net.steps, tableSteps: net.sparse.map((p) => p.table.step), optimizers } };
}

/** Restores `exportNetworkState` of a network built the same way (but its step count); `file` names it in errors. */
export async function importNetworkState(
  net: StateHost,
  arrays: Map<string, NamedArray>,
  meta: NetworkStateMeta,
  file: string,
): Promise<void> {
  const need = (name: string, shape: number[]) => {
    const a = arrays.get(name);
    if (!a || a.shape.join("×") !== shape.join("×"))
      throw new AutodimError(
        `${file}: ${name} ${a ? `has shape ${a.shape.join("×")}` : "is missing"}, this run needs ${shape.join("×")} (a checkpoint of another configuration?)`,
      );
    return a.data;
  };
  net.sparse.forEach((p, i) => {
    p.table.restore({
      data: need(`table/${i}/data`, [p.table.rows, p.table.dim]),
      moments: need(`table/${i}/moments`, [p.table.rows, 2 * p.table.dim]),
      step: meta.tableSteps[i],
    });
  });
  const take = (prefix: string, vars: tf.Variable[]) =>
    vars.forEach((v, i) => v.assign(tf.tensor(need(`${prefix}/${i}`, v.shape), v.shape)));
  take("dense", net.dense);
  take("state", net.state);
  take("architecture", net.architecture);
  for (const o of meta.optimizers) {
    const opt = o.key === "weights" ? net.optimizer : net.architectureOptimizer;
    const weights: { name: string; tensor: tf.Tensor }[] = [{ name: "iter", tensor: tf.scalar(o.iterations, "int32") }];
    o.names.forEach((name, i) => {
      const a = arrays.get(`optimizer/${o.key}/${i}`);
      if (!a) throw new AutodimError(`${file}: optimizer/${o.key}/${i} is missing`);
      weights.push({ name, tensor: tf.tensor(a.data, a.shape) });
    });
    await opt.setWeights(weights);
    tf.dispose(weights.map((w) => w.tensor));
    if (o.betaPowers && opt instanceof tf.AdamOptimizer)
      adamBetaPowers(opt).forEach((v, i) => v.assign(tf.scalar((o.betaPowers as number[])[i])));
  }
}
