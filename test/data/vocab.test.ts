import assert from "node:assert/strict";
import { test } from "node:test";
import { ByteVocab, RARE_ID, RESERVED_IDS } from "../../src/data/vocab.js";

const bytes = (s: string) => Buffer.from(s, "latin1");
const add = (v: ByteVocab, s: string) => v.add(bytes(s), 0, s.length);
const id = (v: ByteVocab, s: string) => v.idOf(bytes(s), 0, s.length);

test("counts and ids: frequent first, ties in first-seen order, rare below min count", () => {
  const v = new ByteVocab();
  for (const t of ["b", "a", "c", "a", "b", "d", "a", "c", "e"]) add(v, t);
  // counts: a 3, b 2, c 2, d 1, e 1
  assert.equal(v.size, 5);
  assert.equal(v.assignIds(2), 3);
  assert.equal(id(v, "a"), RESERVED_IDS);
  assert.equal(id(v, "b"), RESERVED_IDS + 1); // b seen before c
  assert.equal(id(v, "c"), RESERVED_IDS + 2);
  assert.equal(id(v, "d"), RARE_ID);
  assert.equal(id(v, "never"), RARE_ID);
  assert.deepEqual(v.rareTotals(2), { count: 2, distinct: 2 });
  assert.deepEqual(
    v.kept().map((e) => v.key(e)),
    ["a", "b", "c"],
  );
});

test("keys are exact bytes: prefixes, empty-vs-long and many keys never merge", () => {
  const v = new ByteVocab();
  add(v, "ab");
  add(v, "abc");
  add(v, "a");
  for (let i = 0; i < 50000; i++) add(v, `k${i}`);
  for (let i = 0; i < 50000; i += 2) add(v, `k${i}`);
  assert.equal(v.size, 50003);
  const e = v.find(bytes("k123"), 0, 4);
  assert.equal(v.count(e), 1);
  assert.equal(v.count(v.find(bytes("k124"), 0, 4)), 2);
  assert.equal(v.find(bytes("k"), 0, 1), -1);
  assert.equal(v.key(v.find(bytes("xabcx"), 1, 4)), "abc");
  assert.equal(v.assignIds(2), 25000);
});

test("non-ASCII bytes round-trip through key()", () => {
  const v = new ByteVocab();
  const raw = Uint8Array.from([0xff, 0x00, 0x80, 0x41]);
  v.add(raw, 0, 4);
  assert.deepEqual([...Buffer.from(v.key(0), "latin1")], [...raw]);
});
