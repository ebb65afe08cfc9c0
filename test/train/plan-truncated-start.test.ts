// Shrink's warm start (issue 31): a plan with per-field projections loaded from a full model's
// PCA truncation predicts what the full model predicts with those rows truncated in place — two
// independent paths (full-width rows rewritten by truncateRow, versus d-wide coordinates and a
// per-field map) — and its parameters are counted as the per-field maps they are.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { initRuntime } from "../../src/accel/index.js";
import { PreparedData } from "../../src/data/batches.js";
import { randomStream } from "../../src/core/random.js";
import { truncateRow, weightedComponents } from "../../src/embedding/pca.js";
import { CtrModel, PAPER_MLP } from "../../src/models/ctr.js";
import { evaluate } from "../../src/train/fit.js";
import { Network } from "../../src/train/network.js";
import { PlanEmbedding } from "../../src/train/plan-embedding.js";
import { learnableSyntheticData } from "../helpers.js";

before(async () => {
  await initRuntime();
});

const D = 32;

function scores(network: Network, data: PreparedData): Float32Array {
  const out: number[] = [];
  evaluate(network, data, "val", 500, (p) => out.push(...p));
  return Float32Array.from(out);
}

for (const modelName of ["fm", "deepfm"] as const)
  test(`a truncated start (${modelName}): the plan predicts the full model with its fields truncated in place`, async () => {
    const data = new PreparedData(await learnableSyntheticData());
    const F = data.fieldCount;
    const m = data.manifest;
    const full = new PlanEmbedding(F, Array(F).fill(D), m, "none", D, randomStream(1, "init", "embedding"));
    // Rows of unit scale in every direction, so a truncation changes predictions visibly.
    full.sparse[0].table.initNormal(randomStream(2, "init", "rows"), 0.3);
    const model = new CtrModel(modelName, F, D, data.totalFeatures, randomStream(1, "init", "model"), PAPER_MLP);
    const fullNet = new Network(full, model, F);
    const untouched = scores(fullNet, data);

    const sizes = [2, 8, 16, 24, 32];
    const dims = Array.from({ length: F }, (_, f) => sizes[f % sizes.length]);
    const rng = randomStream(3, "bench", "weights");
    const { table, rowOf } = full.sparse[0];
    const fields = m.fields.map((f) => {
      const rows = Array.from({ length: f.vocabularySize }, (_, i) => table.row(rowOf![f.offset + i]).slice());
      // Uneven weights: the mean and directions are the weighted ones.
      const weights = rows.map(() => 1 + rng.int(5));
      return { rows, components: weightedComponents(rows, weights, D) };
    });

    const plan = new PlanEmbedding(F, dims, m, "field-linear", D, randomStream(4, "init", "embedding"));
    const planModel = new CtrModel(modelName, F, D, data.totalFeatures, randomStream(5, "init", "model"), PAPER_MLP);
    plan.loadTruncated(fields);
    planModel.importWeights(new Map(model.exportWeights().map((w) => [w.name, w])), "test");
    const planNet = new Network(plan, planModel, F);
    const warm = scores(planNet, data);

    // The reference: the full model with every field's rows truncated to its size in place.
    m.fields.forEach((f, k) => {
      fields[k].rows.forEach((e, i) => {
        const out = new Float64Array(D);
        truncateRow(e, fields[k].components, dims[k], out);
        table.row(rowOf![f.offset + i]).set(out);
      });
    });
    const truncated = scores(fullNet, data);

    assert.equal(warm.length, truncated.length);
    let maxDiff = 0;
    let moved = 0;
    for (let i = 0; i < warm.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(warm[i] - truncated[i]));
      moved = Math.max(moved, Math.abs(untouched[i] - truncated[i]));
    }
    // Float32 arithmetic in two orders: far below the change truncation itself makes.
    assert.ok(maxDiff < 2e-5, `warm start vs truncated in place: max |Δp| ${maxDiff}`);
    assert.ok(moved > 100 * Math.max(maxDiff, 1e-7), `the truncation moved predictions by only ${moved}`);

    // Parameters: the tables at their sizes, and per narrow field a d × D map and a D bias.
    const counts = plan.parameterCounts();
    assert.equal(
      counts.embedding,
      m.fields.reduce((a, f, k) => a + f.vocabularySize * dims[k], 0),
    );
    assert.equal(
      counts.transform,
      dims.reduce((a, d) => a + (d < D ? d * D + D : 0), 0),
    );
    fullNet.dispose();
    planNet.dispose();
  });

test("a truncated start needs the field-linear projection", async () => {
  const data = new PreparedData(await learnableSyntheticData());
  const F = data.fieldCount;
  const plan = new PlanEmbedding(F, Array(F).fill(8), data.manifest, "linear", D, randomStream(1, "init"));
  assert.throws(() => plan.loadTruncated([]), /field-linear/);
  plan.dispose();
});
