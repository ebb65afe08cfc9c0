// What a published number was measured on: recorded in every result file.
import os from "node:os";

export interface HardwareInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  /** Node's heap and GC flags (they change a run's speed, not its numbers: bin/node-flags.js). */
  nodeFlags?: string[];
}

/** The process's heap and GC flags, e.g. --max-semi-space-size=64. */
function heapFlags(): string[] {
  return process.execArgv.filter((a) => /^--(max|min)-[a-z-]*-size=|^--[a-z-]*gc\b/.test(a));
}

export function hardwareInfo(): HardwareInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    nodeFlags: heapFlags(),
  };
}

/** One line for logs and notebook headers. */
export function describeHardware(h: HardwareInfo = hardwareInfo()): string {
  const flags = h.nodeFlags?.length ? ` ${h.nodeFlags.join(" ")}` : "";
  return `${h.cpuModel}, ${h.cores} cores, ${h.memoryGiB} GiB, ${h.platform}, Node ${h.node}${flags}`;
}
