import assert from "node:assert/strict";
import {
  ParamSmoother,
  SMOOTHER_SNAP,
  SMOOTHER_STATE_SIZE,
  smootherCoefficient,
} from "../dsp/smoother.ts";

const RATE = 48000;

Deno.test("smootherCoefficient is 1 - exp(-1 / (tau * rate)), 1 for no smoothing", () => {
  assert.equal(smootherCoefficient(5, RATE), 1 - Math.exp(-1 / 240));
  assert.equal(smootherCoefficient(0, RATE), 1);
  assert.throws(() => smootherCoefficient(-1, RATE), RangeError);
  assert.throws(() => smootherCoefficient(NaN, RATE), RangeError);
  assert.throws(() => smootherCoefficient(5, 0), RangeError);
});

Deno.test("ParamSmoother covers 1 - 1/e of a step in one time constant", () => {
  const s = new ParamSmoother(RATE, { timeMs: 5, initial: 0 });
  s.setTarget(1);
  let v = 0;
  for (let i = 0; i < 240; i++) v = s.next();
  assert.ok(Math.abs(v - (1 - Math.exp(-1))) < 1e-12, `after 240 samples: ${v}`);
  assert.equal(s.target, 1);
});

Deno.test("ParamSmoother settles exactly on its target and then stays bit-stable", () => {
  for (const [from, to] of [[0, 1], [440, 1760], [20000, 20], [1, 0], [-3, 2.5]] as const) {
    const s = new ParamSmoother(RATE, { initial: from });
    s.setTarget(to);
    let settledAt = -1;
    for (let i = 0; i < RATE; i++) {
      const v = s.next();
      if (v === to && settledAt < 0) settledAt = i;
      if (settledAt >= 0) assert.equal(v, to, `${from} -> ${to} left its target at ${i}`);
    }
    assert.ok(settledAt > 0 && settledAt < RATE / 4, `${from} -> ${to} settled at ${settledAt}`);
    assert.ok(s.isSettled);
    // The last step before snapping was within the snap distance.
    const t = new ParamSmoother(RATE, { initial: from });
    t.setTarget(to);
    let before: number = from;
    for (let i = 0; i < settledAt; i++) before = t.next();
    const distance = Math.abs(to - (before + t.coefficient * (to - before)));
    assert.ok(distance < SMOOTHER_SNAP * Math.max(Math.abs(to), 1));
  }
});

Deno.test("ParamSmoother.fill produces exactly the values of repeated next()", () => {
  const a = new ParamSmoother(RATE, { timeMs: 3, initial: 100 });
  const b = new ParamSmoother(RATE, { timeMs: 3, initial: 100 });
  a.setTarget(9000);
  b.setTarget(9000);
  const filled = new Float64Array(20000);
  for (let i = 0; i < filled.length; i += 333) a.fill(filled, i, Math.min(i + 333, filled.length));
  for (let i = 0; i < filled.length; i++) {
    const v = b.next();
    if (!Object.is(v, filled[i])) assert.fail(`sample ${i}: ${filled[i]} vs ${v}`);
  }
});

Deno.test("ParamSmoother with time 0 jumps, and reset jumps", () => {
  const s = new ParamSmoother(RATE, { timeMs: 0, initial: 2 });
  s.setTarget(7);
  assert.equal(s.next(), 7);
  const g = new ParamSmoother(RATE, { initial: 0 });
  g.setTarget(1);
  g.reset(0.25);
  assert.equal(g.next(), 0.25);
  assert.throws(() => g.setTarget(NaN), RangeError);
  assert.throws(() => g.reset(Infinity), RangeError);
});

Deno.test("ParamSmoother snapshot continues bit-identically mid-glide", () => {
  const a = new ParamSmoother(RATE, { initial: 1 });
  a.setTarget(-1);
  for (let i = 0; i < 100; i++) a.next();
  const state = new Float64Array(SMOOTHER_STATE_SIZE);
  a.saveState(state, 0);
  const b = new ParamSmoother(RATE);
  b.loadState(state, 0);
  for (let i = 0; i < 10000; i++) assert.equal(b.next(), a.next());
});
