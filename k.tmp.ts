import { PreparedData } from "./src/data/batches.js";
import { search, retrain, DEFAULT_SEARCH } from "./src/embedding/autodim.js";
process.env.AUTODIM_QUIET = "1";
const data = new PreparedData(process.argv[2]);
const model = process.argv[3] as "fm";
const t0 = Date.now();
const r = await retrain(data, { model, dims: data.manifest.fields.map(() => 32), projection: "none", outputDim: 32, epochs: 3, patience: 1, batchSize: 512, learningRate: 1e-3, seed: 1 }, { method: "fde", progress: false });
console.log("fde", model, (Date.now()-t0)/1000, "s", r.history.map(h => [h.trainLoss.toFixed(4), h.validation.auc.toFixed(4)]), "test", r.test.auc.toFixed(4), r.test.logloss.toFixed(4));
