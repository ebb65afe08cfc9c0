// Worker-thread entry of prepare's encode pass (see encode.ts). CommonJS, so the main thread
// can import this file to learn its path whether src/ runs as ESM (tsx) or CommonJS (tslab);
// in a worker it loads the TypeScript encoder through tsx.
const { parentPort, workerData } = require("node:worker_threads");

module.exports = { workerFile: __filename };

if (workerData && workerData.autodimEncodeWorker) {
  import("tsx/esm/api")
    .then(({ register }) => {
      register();
      return import("./encode-worker.ts");
    })
    .then(({ serveEncodeRequests }) => serveEncodeRequests(parentPort))
    .catch((err) => parentPort.postMessage({ kind: "error", message: String((err && err.stack) || err) }));
}
