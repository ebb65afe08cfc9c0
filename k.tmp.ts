import { scanLines } from "./src/data/lines.js";
import { makeFormat, RowDecoder } from "./src/data/formats.js";
import { randomStream } from "./src/runtime/random.js";
const f = "/tmp/big.txt";
const mb = 269.86;
async function time(name: string, fn: (buf: Uint8Array, s: number, e: number) => void, sha = false) {
  const t = Date.now();
  await scanLines(f, (b, s, e) => fn(b, s, e), { sha256: sha });
  const sec = (Date.now() - t) / 1000;
  console.log(name, (mb / sec).toFixed(1), "MB/s");
}
await time("noop", () => {});
await time("noop+sha", () => {}, true);
const d = new RowDecoder(makeFormat("criteo", { avazuTimeFields: false }));
await time("decode", (b, s, e) => d.decode(b, s, e));
const rng = randomStream(1, "split");
let x = 0;
await time("rng", () => { x += rng.next(); });
