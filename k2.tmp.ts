import * as tf from "@tensorflow/tfjs";
import { PreparedData } from "./src/data/batches.js";
import { AutoDimSearchEmbedding, DEFAULT_SEARCH } from "./src/embedding/autodim.js";
import { CtrModel, fmInteraction } from "./src/models/ctr.js";
import { Network } from "./src/train/network.js";
import { randomStream } from "./src/runtime/random.js";
import { initRuntime } from "./src/runtime/backend.js";
await initRuntime();
const data = new PreparedData("/tmp/syn50/prepared-50000-s2026");
const F = data.fieldCount;
const emb = new AutoDimSearchEmbedding(F, data.totalFeatures, { ...DEFAULT_SEARCH }, randomStream(1, "init"), randomStream(1, "gumbel"));
const model = new CtrModel(process.argv[2] as "fm", F, 32, data.totalFeatures, randomStream(1, "init", "m"));
const net = new Network(emb, model, F);
const dropout = randomStream(1, "dropout");
let i = 0;
for (const b of data.batches("train", { batchSize: 512, shuffle: true })) {
  const loss = net.trainStep(b, { training: true, step: i, dropout });
  if (i % 10 === 0) console.log(i, loss.toFixed(4));
  if (++i > 80) break;
}
