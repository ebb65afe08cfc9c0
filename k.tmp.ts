import { generateSynthetic } from "./src/data/synthetic.js";
import { prepare } from "./src/data/prepare.js";
const t0 = Date.now();
const t = await generateSynthetic("/tmp/synth.txt", { rows: 200000, seed: 1 });
console.log(Date.now() - t0, "ms", { clickRate: t.clickRate, ceilingAuc: t.ceilingAuc, bias: t.bias });
const r = await prepare({ input: "/tmp/synth.txt", out: "/tmp/ps", format: "criteo", minCount: 10, split: [0.8,0.1,0.1], seed: 1, onBadRow: "error", avazuTimeFields: false, rowsPerShard: 1 << 18 });
console.log(r.manifest.totalFeatures, r.manifest.prepareSeconds, r.manifest.fields.map(f => f.vocabularySize).join(","));
