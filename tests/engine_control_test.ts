import assert from "node:assert/strict";
import {
  ControlBlock,
  F,
  H,
  HISTOGRAM_BIN_MS,
  HISTOGRAM_BINS,
  I,
  nowMs,
} from "../engine/_control.ts";

/** The middle of histogram bin `bin`, in ms: a value that no rounding moves to another bin. */
function mid(bin: number): number {
  return (bin + 0.5) * HISTOGRAM_BIN_MS;
}

/** The "lower" quantile of `values`: the sorted value at index floor(q * (n - 1)). */
function lowerQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

/** Deterministic uniform numbers in [0, 1) (32-bit LCG). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const CLOSE = 1e-9;

Deno.test("ControlBlock.quantile is NaN for an empty histogram", () => {
  const control = ControlBlock.create(2.5);
  assert.ok(Number.isNaN(control.quantile(H.Callback, 0.5)));
  assert.ok(Number.isNaN(control.quantile(H.Render + 1, 0.99)));
});

Deno.test("ControlBlock.quantile of one sample is that sample's bin centre for every q", () => {
  const control = ControlBlock.create(2.5);
  control.record(H.Period, 2.6671);
  for (const q of [0, 0.25, 0.5, 0.99, 1]) {
    assert.ok(Math.abs(control.quantile(H.Period, q) - 2.665) < CLOSE, `q = ${q}`);
  }
});

Deno.test("ControlBlock.quantile finds median and tail of a latency-like distribution", () => {
  const control = ControlBlock.create(2.5);
  // 900 fast callbacks around 0.1 ms, 90 at 2 ms, 9 at 5 ms and one 15 ms outlier.
  const values: number[] = [];
  for (let i = 0; i < 900; i++) values.push(mid(10 + (i % 3)));
  for (let i = 0; i < 90; i++) values.push(mid(200));
  for (let i = 0; i < 9; i++) values.push(mid(500));
  values.push(mid(1500));
  // Recorded in a scrambled order: the histogram does not care.
  const order = values.map((_, i) => (i * 7919) % values.length);
  for (const i of order) control.record(H.Callback, values[i] as number);
  const expect = (q: number, ms: number) =>
    assert.ok(
      Math.abs(control.quantile(H.Callback, q) - ms) < CLOSE,
      `q ${q}: ${control.quantile(H.Callback, q)} ms, expected ${ms}`,
    );
  expect(0, mid(10));
  expect(0.5, mid(11));
  expect(0.9, mid(12));
  expect(0.95, mid(200));
  expect(0.99, mid(200));
  expect(0.995, mid(500));
  expect(0.999, mid(500));
  expect(1, mid(1500));
  for (const q of [0, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1]) {
    assert.ok(Math.abs(control.quantile(H.Callback, q) - lowerQuantile(values, q)) < CLOSE);
  }
});

Deno.test("ControlBlock.quantile is within one bin of the exact quantile of random data", () => {
  const control = ControlBlock.create(2.5);
  const rand = lcg(42);
  const values: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    // Skewed toward short times, like render or callback durations.
    const ms = 19.9 * rand() ** 3;
    values.push(ms);
    control.record(H.Render, ms);
  }
  for (const q of [0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1]) {
    const got = control.quantile(H.Render, q);
    const exact = lowerQuantile(values, q);
    assert.ok(Math.abs(got - exact) <= HISTOGRAM_BIN_MS, `q ${q}: ${got} vs exact ${exact}`);
  }
});

Deno.test("ControlBlock.record clamps values outside 0-20 ms to the first and last bins", () => {
  const control = ControlBlock.create(2.5);
  control.record(H.Period, -3);
  control.record(H.Period, 25);
  control.record(H.Period, 1000);
  const base = H.Period * HISTOGRAM_BINS;
  assert.equal(control.histograms[base], 1);
  assert.equal(control.histograms[base + HISTOGRAM_BINS - 1], 2);
  assert.ok(Math.abs(control.quantile(H.Period, 0) - mid(0)) < CLOSE);
  assert.ok(Math.abs(control.quantile(H.Period, 1) - mid(HISTOGRAM_BINS - 1)) < CLOSE);
});

Deno.test("ControlBlock histograms are independent and resetHistogram clears only one", () => {
  const control = ControlBlock.create(2.5);
  control.record(H.Callback, mid(3));
  control.record(H.Period, mid(266));
  control.record(H.Render, mid(50));
  control.record(H.Render + 1, mid(70));
  assert.ok(Math.abs(control.quantile(H.Callback, 0.5) - mid(3)) < CLOSE);
  assert.ok(Math.abs(control.quantile(H.Period, 0.5) - mid(266)) < CLOSE);
  assert.ok(Math.abs(control.quantile(H.Render, 0.5) - mid(50)) < CLOSE);
  assert.ok(Math.abs(control.quantile(H.Render + 1, 0.5) - mid(70)) < CLOSE);
  control.resetHistogram(H.Render);
  assert.ok(Number.isNaN(control.quantile(H.Render, 0.5)));
  assert.ok(Math.abs(control.quantile(H.Render + 1, 0.5) - mid(70)) < CLOSE);
  assert.ok(Math.abs(control.quantile(H.Period, 0.5) - mid(266)) < CLOSE);
});

Deno.test("ControlBlock.create initialises the sentinels and fromBuffer shares the memory", () => {
  const control = ControlBlock.create(128 / 48);
  assert.equal(control.ints[I.Running], 1);
  assert.equal(control.ints[I.LastGap], -1);
  assert.equal(control.ints[I.SnapRequest], -1);
  assert.equal(control.ints[I.SnapDone], -1);
  assert.equal(control.ints[I.WatchSeq], -1);
  assert.equal(control.ints[I.Played], 0);
  assert.equal(control.floats[F.PeriodMs], 128 / 48);
  assert.throws(() => ControlBlock.fromBuffer(new SharedArrayBuffer(64)), RangeError);
  const other = ControlBlock.fromBuffer(control.buffer);
  other.record(H.Period, mid(5));
  other.ints[I.Failovers] = 3;
  assert.equal(control.ints[I.Failovers], 3);
  assert.ok(Math.abs(control.quantile(H.Period, 0.5) - mid(5)) < CLOSE);
});

Deno.test("nowMs is wall-clock milliseconds with sub-millisecond resolution", () => {
  const a = nowMs();
  assert.ok(Math.abs(a - Date.now()) < 1000);
  let b = nowMs();
  while (b === a) b = nowMs();
  assert.ok(b > a && b - a < 1, `step of ${b - a} ms`);
});

Deno.test("recordBetween lands in the same bins as record", () => {
  const viaMs = ControlBlock.create(2.5);
  const viaSpanMs = ControlBlock.create(2.5);
  const viaFields = ControlBlock.create(2.5);
  const start = nowMs();
  // Away from bin edges, where ms / 0.01 may round either way.
  for (const micros of [-5, 0, 3, 9, 11, 15, 999, 1005, 2665, 19995, 20005, 123456]) {
    viaMs.record(H.Render, micros / 1000);
    const end = start + micros / 1000;
    viaSpanMs.record(H.Render, end - start);
    viaFields.floats[F.CallbackStartMs] = start;
    viaFields.floats[F.CallbackEndMs] = end;
    viaFields.recordBetween(H.Render, F.CallbackStartMs, F.CallbackEndMs);
  }
  const bins = (control: ControlBlock) =>
    [...control.histograms.subarray(H.Render * HISTOGRAM_BINS, (H.Render + 1) * HISTOGRAM_BINS)]
      .flatMap((count, bin) => count > 0 ? [`${bin}:${count}`] : []);
  assert.deepEqual(bins(viaFields), bins(viaSpanMs));
  assert.deepEqual(bins(viaMs), ["0:4", "1:2", "99:1", "100:1", "266:1", "1999:3"]);
});
