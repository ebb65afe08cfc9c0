// Worker-thread entry of a data-parallel replica (see parallel.ts). CommonJS, so the main thread can import this file to
// learn its path whether src/ runs as ESM (tsx) or CommonJS (tslab); in a worker it loads the
// TypeScript through tsx.
const { parentPort, workerData } = require("node:worker_threads");

module.exports = { workerFile: __filename };

if (workerData && workerData.autodimReplica) {
  import("tsx/esm/api")
    .then(({ register }) => {
      register();
      return import("./replica-worker.ts");
    })
    .then(({ runReplica }) => runReplica(workerData))
    .catch((err) => parentPort.postMessage({ kind: "error", message: String((err && err.stack) || err) }));
}
