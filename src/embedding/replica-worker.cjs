// Worker-thread entry of a data-parallel replica of AutoDim's search (see
// src/train/replica.ts): the train layer's replica, plus the search embedding. CommonJS for the
// same reason as src/train/replica-worker.cjs.
const { parentPort, workerData } = require("node:worker_threads");

module.exports = { workerFile: __filename };

if (workerData && workerData.autodimReplica) {
  import("tsx/esm/api")
    .then(({ register }) => {
      register();
      return import("./replica-worker.ts");
    })
    .then(({ runSearchReplica }) => runSearchReplica(workerData))
    .catch((err) => parentPort.postMessage({ kind: "error", message: String((err && err.stack) || err) }));
}
