// The encode worker's message loop: "init" brings the format and lookups, then each
// "encode" a chunk whose result goes back with its buffers handed over, not copied.
import type { MessagePort } from "node:worker_threads";
import { ChunkEncoder, type EncodeSetup } from "./encode.js";

type Request =
  | { kind: "init"; setup: EncodeSetup }
  | { kind: "encode"; buffer: ArrayBuffer; offset: number; end: number; headerFirst: boolean };

export function serveEncodeRequests(port: MessagePort): void {
  let encoder: ChunkEncoder | undefined;
  port.on("message", (req: Request) => {
    try {
      if (req.kind === "init") {
        encoder = new ChunkEncoder(req.setup);
        return;
      }
      if (!encoder) throw new Error("encode request before init");
      const chunk = encoder.encode(Buffer.from(req.buffer, req.offset), 0, req.end, req.headerFirst);
      const transfer = [chunk.status.buffer, chunk.ids.buffer, chunk.labels.buffer] as ArrayBuffer[];
      port.postMessage({ kind: "chunk", chunk }, transfer);
    } catch (err) {
      port.postMessage({ kind: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
}
