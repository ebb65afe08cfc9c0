import { prepare, DEFAULT_ROWS_PER_SHARD } from "./src/data/prepare.js";
import { rmSync } from "node:fs";
rmSync("/tmp/w/prep1m", { recursive: true, force: true });
const { manifest } = await prepare({ input: "/tmp/w/raw1m.txt", out: "/tmp/w/prep1m", format: "criteo", minCount: 10, split: [0.8, 0.1, 0.1], seed: 1, onBadRow: "error", avazuTimeFields: false, rowsPerShard: DEFAULT_ROWS_PER_SHARD, progress: false });
const mb = 271;
console.log(manifest.passSeconds, (mb / manifest.passSeconds.count).toFixed(0), (mb / manifest.passSeconds.encode).toFixed(0));
