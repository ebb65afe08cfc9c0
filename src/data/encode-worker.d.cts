/** The worker entry's own path (see encode-worker.cjs). */
export declare const workerFile: string;
