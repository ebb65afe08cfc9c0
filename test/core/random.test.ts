import assert from "node:assert/strict";
import { test } from "node:test";
import { initRuntime, setComputeThreads } from "../../src/accel/index.js";
import { RandomStream, randomStream, STREAM_NAMES, useNativeAlea } from "../../src/core/random.js";

const draw = (s: RandomStream, n: number) => Array.from({ length: n }, () => s.next());

test("same seed and name give the same bits; streams and seeds differ", () => {
  assert.deepEqual(draw(randomStream(7, "init"), 50), draw(randomStream(7, "init"), 50));
  const firsts = STREAM_NAMES.map((n) => randomStream(7, n).next());
  assert.equal(new Set(firsts).size, STREAM_NAMES.length);
  assert.notDeepEqual(draw(randomStream(7, "init"), 5), draw(randomStream(8, "init"), 5));
  assert.notDeepEqual(draw(randomStream(7, "synth", "field", 1), 5), draw(randomStream(7, "synth", "field", 2), 5));
});

test("drawing from one stream does not shift another", () => {
  const a = randomStream(3, "dropout");
  draw(a, 1000);
  assert.deepEqual(draw(randomStream(3, "split"), 10), draw(randomStream(3, "split"), 10));
});

test("state round-trips: a restored stream continues identically", () => {
  const s = randomStream(11, "shuffle");
  draw(s, 17);
  const saved = JSON.parse(JSON.stringify(s.state()));
  const expected = draw(s, 20);
  assert.deepEqual(draw(new RandomStream(s.key, saved), 20), expected);
});

test("int, normal and shuffle behave", () => {
  const s = randomStream(1, "init");
  const ints = Array.from({ length: 10000 }, () => s.int(6));
  assert.ok(ints.every((x) => Number.isInteger(x) && x >= 0 && x < 6));
  assert.equal(new Set(ints).size, 6);
  const z = Array.from({ length: 20000 }, () => s.normal());
  const mean = z.reduce((a, b) => a + b) / z.length;
  const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  const arr = Int32Array.from({ length: 100 }, (_, i) => i);
  s.shuffle(arr);
  assert.deepEqual(
    [...arr].sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.notDeepEqual(
    [...arr],
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.throws(() => randomStream(1.5, "init"), /integer/);
});

test("fillMask: a dropout mask of the stream's draws; the native loop (when the runtime loads it) gives the same bits and leaves the stream in the same state", async () => {
  const plain = (n: number) => {
    const s = randomStream(4, "dropout");
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = s.next() < 0.3 ? 0 : 1 / 0.7;
    return { out, after: s.next() };
  };
  const masked = (n: number) => {
    const s = randomStream(4, "dropout");
    return { out: s.fillMask(new Float32Array(n), 0.3, 1 / 0.7), after: s.next() };
  };
  await initRuntime(); // installs the native loop where the element-wise addon loads
  assert.deepEqual(masked(3000), plain(3000)); // above the native threshold
  assert.deepEqual(masked(100), plain(100)); // below it: JS
  useNativeAlea(undefined);
  assert.deepEqual(masked(3000), plain(3000));
});

test("anticipate: with a spare core the next step's draws are made ahead on a native thread; values, order and saved states are those of the plain stream", async () => {
  const info = await initRuntime();
  if (info.elementwise !== "native") return; // nothing is drawn ahead without the addon
  // Steps drawing different amounts (an epoch's short last batch, an α step), single draws between them,
  // and a state saved mid-way (a checkpoint) that a fresh stream continues from.
  const steps = [4000, 4000, 2500, 4000, 6000, 6000, 0, 3000];
  const play = () => {
    const s = randomStream(21, "dropout");
    const out: number[] = [];
    let saved: ReturnType<RandomStream["state"]> | undefined;
    steps.forEach((n, k) => {
      s.anticipate();
      if (n) out.push(...s.fillMask(new Float32Array(n), 0.25, 4 / 3).subarray(n - 3));
      out.push(s.next());
      if (k === 3) saved = s.state();
    });
    const resumed = randomStream(21, "dropout");
    resumed.restore(saved as ReturnType<RandomStream["state"]>);
    return { out, tail: s.next(), resumed: resumed.fillMask(new Float32Array(2000), 0.25, 4 / 3).subarray(1990) };
  };
  try {
    setComputeThreads(1); // nothing ahead
    const plain = play();
    setComputeThreads(2);
    const ahead = play();
    assert.deepEqual(ahead, plain);
  } finally {
    setComputeThreads(1);
  }
});
