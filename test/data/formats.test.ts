import assert from "node:assert/strict";
import { test } from "node:test";
import { makeFormat } from "../../src/data/formats.js";
import { bucketOf, parseInteger } from "../../src/data/numeric.js";
import { RowDecoder, RowError } from "../../src/data/row-decoder.js";

const b = (s: string) => Buffer.from(s, "latin1");
const parse = (s: string, frac = false) => parseInteger(b(s), 0, s.length, frac);

test("bucketOf: ⌊ln(v)²⌋ at hand-computed points", () => {
  assert.equal(bucketOf(3), 1); // ln 3 = 1.0986, ² = 1.207
  assert.equal(bucketOf(4), 1); // 1.922
  assert.equal(bucketOf(5), 2); // 2.590
  assert.equal(bucketOf(260), 30); // 5.5607² = 30.92
  assert.equal(bucketOf(17668), 95); // 9.7795² = 95.64
  assert.equal(bucketOf(33), 12); // 12.23
});

test("parseInteger: integers, signs, zero fractions only where allowed", () => {
  assert.equal(parse("0"), 0);
  assert.equal(parse("-17"), -17);
  assert.equal(parse("260"), 260);
  assert.equal(parse("260.0"), null);
  assert.equal(parse("260.0", true), 260);
  assert.equal(parse("260.00", true), 260);
  assert.equal(parse("260.5", true), null);
  assert.equal(parse("260.", true), null);
  assert.equal(parse("1e3", true), null);
  assert.equal(parse("-"), null);
  assert.equal(parse("abc"), null);
  assert.equal(parse("12a"), null);
  assert.equal(parse(" 1"), null);
  assert.equal(parse("99999999999999999999"), null);
});

function tokens(d: RowDecoder): (string | null)[] {
  return d.format.fields.map((_, m) =>
    d.tokenStart[m] < 0 ? null : Buffer.from(d.tokens.subarray(d.tokenStart[m], d.tokenEnd[m])).toString("latin1"),
  );
}

test("criteo-deepctr row: tokens computed by hand", () => {
  const d = new RowDecoder(makeFormat("criteo-deepctr", { avazuTimeFields: false }));
  // The first row of the DeepCTR sample.
  const line =
    "0,,3,260.0,,17668.0,,,33.0,,,,0.0,,05db9164,08d6d899,9143c832,f56b7dd5,25c83c98,7e0ccccf,df5c2d18,0b153874,a73ee510,8f48ce11,a7b606c4,ae1bb660,eae197fd,b28479f6,bfef54b3,bad5ee18,e5ba7672,87c6f83c,,,0429f84b,,3a171ecb,c0d61a5c,,";
  d.decode(b(line), 0, line.length);
  const t = tokens(d);
  assert.equal(d.label, 0);
  assert.equal(t.length, 39);
  assert.deepEqual(t.slice(0, 13), [null, "b1", "b30", null, "b95", null, null, "b12", null, null, null, "v0", null]);
  assert.equal(t[13], "05db9164");
  assert.equal(t[30], "87c6f83c"); // C18
  assert.deepEqual(t.slice(31, 33), [null, null]); // C19, C20 empty
  assert.equal(t[33], "0429f84b"); // C21
  assert.equal(t[38], null);
});

test("small and negative integers are tokens of their own, apart from buckets", () => {
  const d = new RowDecoder(makeFormat("criteo", { avazuTimeFields: false }));
  const ints = ["-3", "-1", "0", "1", "2", "3", "4", "5", "", "1000000", "7", "8", "9"];
  const line = ["1", ...ints, ...Array(26).fill("ab")].join("\t");
  d.decode(b(line), 0, line.length);
  assert.equal(d.label, 1);
  assert.deepEqual(tokens(d).slice(0, 13), [
    "v-3",
    "v-1",
    "v0",
    "v1",
    "v2",
    "b1",
    "b1",
    "b2",
    null,
    "b190",
    "b3",
    "b4",
    "b4",
  ]);
});

test("avazu: id dropped, click is the label, optional hour-of-day and weekday", () => {
  const line =
    "1000009418151094273,1,14102100,1005,0,1fbe01fe,f3845767,28905ebd,ecad2386,7801e8d9,07d7df22,a99f214a,ddd2926e,44956a24,1,2,15706,320,50,1722,0,35,-1,79";
  const plain = new RowDecoder(makeFormat("avazu", { avazuTimeFields: false }));
  plain.decode(b(line), 0, line.length);
  assert.equal(plain.label, 1);
  assert.equal(plain.format.fields.length, 22);
  assert.deepEqual(tokens(plain).slice(0, 3), ["14102100", "1005", "0"]);
  assert.equal(tokens(plain)[20], "-1"); // C20 is categorical: "-1" is just a value
  const timed = new RowDecoder(makeFormat("avazu", { avazuTimeFields: true }));
  timed.decode(b(line), 0, line.length);
  assert.equal(timed.format.fields.length, 24);
  // 2014-10-21 was a Tuesday (getUTCDay 2); hour 00
  assert.deepEqual(tokens(timed).slice(22), ["0", "2"]);
  const bad = line.replace("14102100", "14103224");
  assert.throws(
    () => timed.decode(b(bad), 0, bad.length),
    (e: RowError) => e.field === "hour" && /YYMMDDHH/.test(e.message),
  );
});

test("row errors name the field and what was found", () => {
  const d = new RowDecoder(makeFormat("criteo", { avazuTimeFields: false }));
  const good = ["0", ...Array(13).fill("1"), ...Array(26).fill("ab")];
  const check = (cols: string[], field: string | null, re: RegExp) => {
    const line = cols.join("\t");
    assert.throws(
      () => d.decode(b(line), 0, line.length),
      (e: RowError) => e instanceof RowError && e.field === field && re.test(e.message),
    );
  };
  check(good.slice(0, 39), null, /expected 40 columns, found 39/);
  check([...good, "x"], null, /expected 40 columns, found 41/);
  check(["2", ...good.slice(1)], "label", /label must be 0 or 1, found "2"/);
  check(["", ...good.slice(1)], "label", /found ""/);
  const nonNumeric = [...good];
  nonNumeric[3] = "12x";
  check(nonNumeric, "I3", /expected an integer, found "12x"/);
  const float = [...good];
  float[5] = "260.0";
  check(float, "I5", /found "260.0"/);
});
