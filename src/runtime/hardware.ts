// What a published number was measured on: recorded in every result file.
import os from "node:os";

export interface HardwareInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
}

export function hardwareInfo(): HardwareInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
  };
}

/** One line for logs and notebook headers. */
export function describeHardware(h: HardwareInfo = hardwareInfo()): string {
  return `${h.cpuModel}, ${h.cores} cores, ${h.memoryGiB} GiB, ${h.platform}, Node ${h.node}`;
}
