// A Jupyter client for the tslab kernel over the Jupyter messaging protocol (v5.3), on
// tslab's own zeromq — no Python. It starts the repo's kernelspec launcher (which runs
// tslab with the repo root as working directory), sends execute requests on the shell
// channel and collects each cell's outputs from iopub until the kernel is idle again.
// Wire format: [<IDS|MSG>, HMAC-SHA256(header ‖ parent ‖ metadata ‖ content), header,
// parent, metadata, content]; iopub frames start with a topic frame.
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Dealer, Subscriber } from "zeromq";

/** A cell request with no status and no reply for this long was never started by the kernel. */
const LOST_REQUEST_MS = 10 * 60_000;
/** After "idle", how long to wait for the cell's shell reply before taking its outputs as they are. */
const LOST_REPLY_MS = 10_000;
import { AutodimError } from "../core/errors.js";

const DELIMITER = "<IDS|MSG>";

/** One output of a cell, as stored in an .ipynb (nbformat 4). */
export type CellOutput =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string }
  | { output_type: "display_data"; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | {
      output_type: "execute_result";
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
      execution_count: number;
    }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

export interface CellResult {
  ok: boolean;
  outputs: CellOutput[];
  /** Everything the cell wrote to stderr (tslab reports compile and runtime errors only there). */
  stderr: string;
}

interface Message {
  header: { msg_id: string; msg_type: string; session: string; username: string; date: string; version: string };
  parent_header: { msg_id?: string };
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export class TslabKernel {
  private readonly shell = new Dealer();
  private readonly iopub = new Subscriber();
  private readonly session = randomUUID();
  private readonly key = randomBytes(32).toString("hex");
  private process: ChildProcess | undefined;
  private exited = false;
  private readonly shellInbox = new Inbox();
  private readonly iopubInbox = new Inbox();

  private constructor() {}

  /**
   * Starts the kernel through `launcher` (the kernelspec's script, given the connection
   * file) with `env` added to the environment, and waits until it answers.
   */
  static async start(launcher: string, workDir: string, env: Record<string, string> = {}): Promise<TslabKernel> {
    const kernel = new TslabKernel();
    const ports = {
      shell_port: await freePort(),
      iopub_port: await freePort(),
      stdin_port: await freePort(),
      control_port: await freePort(),
      hb_port: await freePort(),
    };
    const connection = join(workDir, `kernel-${process.pid}-${Date.now()}.json`);
    writeFileSync(
      connection,
      JSON.stringify({ ...ports, ip: "127.0.0.1", transport: "tcp", signature_scheme: "hmac-sha256", key: kernel.key }),
    );
    kernel.process = spawn("bash", [launcher, connection], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit"],
    });
    kernel.process.on("exit", () => {
      kernel.exited = true;
      kernel.shellInbox.close();
      kernel.iopubInbox.close();
    });
    kernel.shell.connect(`tcp://127.0.0.1:${ports.shell_port}`);
    kernel.iopub.connect(`tcp://127.0.0.1:${ports.iopub_port}`);
    kernel.iopub.subscribe();
    void kernel.read(kernel.shell, kernel.shellInbox);
    void kernel.read(kernel.iopub, kernel.iopubInbox);
    // kernel_info until it answers: the first requests may go out before tslab has bound.
    // Ready means: the shell answers AND iopub delivers. A SUB socket only receives what is
    // published after its connection is made ("slow joiner"); a cell whose "idle" status was
    // published before would be waited on forever. Every request makes the kernel publish its
    // status on iopub, so repeat kernel_info until one of those arrives.
    for (let attempt = 0; ; attempt++) {
      if (kernel.exited) throw new AutodimError(`the tslab kernel (${launcher}) exited while starting`);
      const id = await kernel.send("kernel_info_request", {});
      const reply = await kernel.shellReply(id, 2000);
      if (reply && (await kernel.iopubFor(id, 1000))) break;
      if (attempt > 30) throw new AutodimError(`the tslab kernel (${launcher}) did not answer within a minute`);
    }
    return kernel;
  }

  private sign(parts: string[]): string {
    const h = createHmac("sha256", this.key);
    for (const p of parts) h.update(p);
    return h.digest("hex");
  }

  private async send(type: string, content: Record<string, unknown>): Promise<string> {
    const header = {
      msg_id: randomUUID(),
      msg_type: type,
      session: this.session,
      username: "autodim",
      date: new Date().toISOString(),
      version: "5.3",
    };
    const parts = [JSON.stringify(header), "{}", "{}", JSON.stringify(content)];
    await this.shell.send([DELIMITER, this.sign(parts), ...parts]);
    return header.msg_id;
  }

  private parse(frames: Buffer[]): Message | undefined {
    const at = frames.findIndex((f) => f.toString() === DELIMITER);
    if (at < 0 || frames.length < at + 6) return undefined;
    const parts = frames.slice(at + 2, at + 6).map((f) => f.toString("utf8"));
    if (frames[at + 1].toString() !== this.sign(parts)) return undefined; // not ours: ignore
    const [header, parent_header, metadata, content] = parts.map((p) => JSON.parse(p) as Record<string, unknown>);
    return { header: header as Message["header"], parent_header, metadata, content };
  }

  /** Moves every message of `socket` into `inbox` (one reader per socket: zeromq allows no second). */
  private async read(socket: Dealer | Subscriber, inbox: Inbox): Promise<void> {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch {
        inbox.close();
        return; // socket closed
      }
      const m = this.parse(frames);
      if (m) inbox.push(m);
    }
  }

  /** The shell reply to `id`, or undefined after `timeoutMs`. */
  private async shellReply(id: string, timeoutMs: number): Promise<Message | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.shellInbox.next(deadline - Date.now());
      if (!m) return undefined;
      if (m.parent_header.msg_id === id) return m;
    }
  }

  /** True once an iopub message answering request `id` arrives within `timeoutMs` (others are dropped). */
  private async iopubFor(id: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.iopubInbox.next(deadline - Date.now());
      if (!m) return false;
      if (m.parent_header.msg_id === id) return true;
    }
  }

  /** Runs one cell; outputs as nbformat 4 outputs, stderr gathered for error reports. */
  async execute(code: string, executionCount: number): Promise<CellResult> {
    const id = await this.send("execute_request", {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    const sentAt = Date.now();
    let started = false;
    const outputs: CellOutput[] = [];
    let stderr = "";
    let failed = false;
    // The shell reply comes when the cell has run; iopub carries its outputs and ends with
    // "idle". Wait for iopub without a limit while the cell runs; once the reply is in, a
    // quiet iopub for 5 s means the idle was lost, and the outputs collected so far stand.
    let reply: Message | undefined;
    const replied = this.shellReply(id, Number.POSITIVE_INFINITY).then((r) => (reply = r));
    for (;;) {
      const m = await this.iopubInbox.next(reply ? 5000 : 1000);
      if (!m) {
        if (this.exited) throw new AutodimError("the tslab kernel died while running a cell");
        if (reply) return { ok: !failed && reply.content.status === "ok", outputs, stderr };
        // The kernel publishes "busy" before it compiles or runs a request; none at all for this
        // long means the request was lost (seen once under load): fail rather than wait forever.
        if (!started && Date.now() - sentAt > LOST_REQUEST_MS)
          throw new AutodimError(
            `the tslab kernel never started a cell (no status, no reply in ${LOST_REQUEST_MS / 60_000} minutes)`,
          );
        continue;
      }
      if (m.parent_header.msg_id !== id) continue;
      started = true;
      const c = m.content;
      switch (m.header.msg_type) {
        case "stream": {
          const name = c.name === "stderr" ? "stderr" : "stdout";
          const text = String(c.text);
          if (name === "stderr") stderr += text;
          const last = outputs[outputs.length - 1];
          if (last?.output_type === "stream" && last.name === name) last.text += text;
          else outputs.push({ output_type: "stream", name, text });
          break;
        }
        case "display_data":
          outputs.push({
            output_type: "display_data",
            data: c.data as Record<string, unknown>,
            metadata: (c.metadata ?? {}) as Record<string, unknown>,
          });
          break;
        case "execute_result":
          outputs.push({
            output_type: "execute_result",
            data: c.data as Record<string, unknown>,
            metadata: (c.metadata ?? {}) as Record<string, unknown>,
            execution_count: executionCount,
          });
          break;
        case "error":
          failed = true;
          outputs.push({
            output_type: "error",
            ename: String(c.ename),
            evalue: String(c.evalue),
            traceback: (c.traceback ?? []) as string[],
          });
          break;
        case "status":
          if (c.execution_state === "idle") {
            // The reply comes close to "idle"; a lost one must not hang the run. (A waiter left
            // behind sleeps for good: the inbox wakes only its newest waiter.)
            await Promise.race([replied, new Promise((r) => setTimeout(r, LOST_REPLY_MS))]);
            return { ok: !failed && (reply ? reply.content.status === "ok" : true), outputs, stderr };
          }
          break;
      }
    }
  }

  /** Asks the kernel to stop, then makes sure it has (on every exit path of the runner). */
  async stop(): Promise<void> {
    if (this.process && !this.exited) {
      try {
        await this.send("shutdown_request", { restart: false });
      } catch {
        // the socket may be gone already; the kill below still runs
      }
      await new Promise((r) => setTimeout(r, 200));
      if (!this.exited) this.process.kill("SIGKILL");
    }
    this.shell.close();
    this.iopub.close();
  }

  /** Synchronous last resort for process exit handlers. */
  kill(): void {
    if (this.process && !this.exited) this.process.kill("SIGKILL");
  }
}

/** Messages waiting to be taken, with a timed wait. */
class Inbox {
  private readonly queue: Message[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  push(m: Message): void {
    this.queue.push(m);
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  /** The next message, or undefined when closed or after `timeoutMs`. */
  async next(timeoutMs: number): Promise<Message | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (this.closed || left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(left) ? setTimeout(resolve, left) : undefined;
        this.wake = () => {
          if (timer) clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.queue.shift();
  }
}
