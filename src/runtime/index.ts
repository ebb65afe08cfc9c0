export { initRuntime, runtimeInfo, BACKEND_NAMES } from "./backend.js";
export type { BackendName, RuntimeInfo } from "./backend.js";
export { randomStream, RandomStream, STREAM_NAMES } from "./random.js";
export type { StreamName, StreamState } from "./random.js";
export { hardwareInfo, describeHardware } from "./hardware.js";
export type { HardwareInfo } from "./hardware.js";
