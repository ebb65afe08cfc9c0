// The path of a worker thread's CommonJS entry file (encode-worker.cjs, replica-worker.cjs):
// each exports its own `__filename`, so importing it gives the path without `import.meta`, whether
// src/ runs as ESM through tsx (the exports under `default` or at the top) or as CommonJS in tslab.
export type WorkerEntryModule = { workerFile?: string; default?: { workerFile: string } };

export async function workerEntry(mod: Promise<WorkerEntryModule>): Promise<string> {
  const m = await mod;
  return m.workerFile ?? (m.default as { workerFile: string }).workerFile;
}
