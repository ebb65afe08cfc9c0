/** The worker entry's own path (see replica-worker.cjs). */
export declare const workerFile: string;
