import assert from "node:assert/strict";
import { Adsr, ADSR_STATE_SIZE, adsrSegmentFrames, AdsrStage } from "../dsp/adsr.ts";

const RATE = 48000;

/** Envelope settings in ms and linear sustain. */
interface Settings {
  readonly a: number;
  readonly d: number;
  readonly s: number;
  readonly r: number;
}

/** Gate edge at sample `at`: true opens, false closes. */
interface GateEvent {
  readonly at: number;
  readonly open: boolean;
}

/** Run `env` for `total` samples, applying gate events before their sample. */
function run(env: Adsr, events: readonly GateEvent[], total: number): Float64Array {
  const out = new Float64Array(total);
  let pos = 0;
  for (const ev of events) {
    env.process(out, pos, ev.at);
    if (ev.open) env.gateOn();
    else env.gateOff();
    pos = ev.at;
  }
  env.process(out, pos, total);
  return out;
}

/**
 * The timing contract written out directly (forward formulas of the spec):
 * attack L0 + (1 - L0)(i + 1)/A, decay 1 + (S - 1)(j + 1)/D, release
 * Lr - Lr(j + 1)/R, with 0-length segments taking one sample.
 */
function expected(set: Settings, events: readonly GateEvent[], total: number): Float64Array {
  const a = Math.max(1, adsrSegmentFrames(set.a, RATE));
  const d = adsrSegmentFrames(set.d, RATE);
  const r = Math.max(1, adsrSegmentFrames(set.r, RATE));
  const out = new Float64Array(total);
  let level = 0;
  let stage: "idle" | "attack" | "decay" | "sustain" | "release" = "idle";
  let t0 = 0;
  let from = 0;
  for (let n = 0; n < total; n++) {
    for (const ev of events) {
      if (ev.at !== n) continue;
      if (ev.open) [stage, t0, from] = ["attack", n, level];
      else if (stage !== "idle") [stage, t0, from] = ["release", n, level];
    }
    const i = n - t0;
    if (stage === "attack") {
      level = from + ((1 - from) * (i + 1)) / a;
      if (i + 1 === a) [stage, t0] = [d > 0 ? "decay" : "sustain", n + 1];
    } else if (stage === "decay") {
      level = 1 + ((set.s - 1) * (i + 1)) / d;
      if (i + 1 === d) stage = "sustain";
    } else if (stage === "sustain") {
      level = set.s;
    } else if (stage === "release") {
      level = from - (from * (i + 1)) / r;
      if (i + 1 === r) stage = "idle";
    } else {
      level = 0;
    }
    out[n] = level;
  }
  return out;
}

function assertClose(actual: Float64Array, wanted: Float64Array, what: string): void {
  assert.equal(actual.length, wanted.length);
  for (let n = 0; n < actual.length; n++) {
    const diff = Math.abs((actual[n] as number) - (wanted[n] as number));
    if (!(diff <= 1e-12)) {
      assert.fail(`${what}: sample ${n} is ${actual[n]}, expected ${wanted[n]}`);
    }
  }
}

const CASES: readonly Settings[] = [
  { a: 5, d: 100, s: 0.8, r: 200 },
  { a: 0, d: 0, s: 0.5, r: 0 },
  { a: 1, d: 0, s: 1, r: 10 },
  { a: 0, d: 50, s: 0, r: 1 },
  { a: 0.01, d: 0.02, s: 0.3, r: 0.0104 },
  { a: 0.03125, d: 0.03125, s: 0.6, r: 0.03125 },
  { a: 20, d: 3, s: 0.25, r: 7.5 },
];

function makeAdsr(set: Settings): Adsr {
  return new Adsr(RATE, { attackMs: set.a, decayMs: set.d, sustain: set.s, releaseMs: set.r });
}

Deno.test("adsrSegmentFrames rounds ms * rate / 1000 to whole frames", () => {
  assert.equal(adsrSegmentFrames(5, RATE), 240);
  assert.equal(adsrSegmentFrames(0, RATE), 0);
  assert.equal(adsrSegmentFrames(0.01, RATE), 0);
  assert.equal(adsrSegmentFrames(0.02, RATE), 1);
  assert.equal(adsrSegmentFrames(0.03125, RATE), 2); // 1.5 rounds up
  assert.equal(adsrSegmentFrames(10000, 44100), 441000);
  assert.throws(() => adsrSegmentFrames(-1, RATE), RangeError);
  assert.throws(() => adsrSegmentFrames(NaN, RATE), RangeError);
  assert.throws(() => adsrSegmentFrames(Infinity, RATE), RangeError);
});

Deno.test("Adsr follows the attack/decay/sustain/release contract to the sample", () => {
  for (const set of CASES) {
    const a = adsrSegmentFrames(set.a, RATE);
    const d = adsrSegmentFrames(set.d, RATE);
    const r = adsrSegmentFrames(set.r, RATE);
    const g = 17;
    const close = g + Math.max(a, 1) + d + 300;
    const total = close + r + 100;
    const events = [{ at: g, open: true }, { at: close, open: false }];
    const out = run(makeAdsr(set), events, total);
    const what = JSON.stringify(set);
    assertClose(out, expected(set, events, total), what);
    // Key points straight from the contract, exact.
    for (let n = 0; n < g; n++) assert.equal(out[n], 0, `${what}: idle before gate`);
    const peak = g + Math.max(a, 1) - 1;
    assert.equal(out[peak], 1, `${what}: 1.0 at g + A - 1`);
    if (a >= 2) assert.ok((out[peak - 1] as number) < 1, `${what}: below 1 before g + A - 1`);
    if (a >= 1) {
      assert.ok(Math.abs((out[g] as number) - 1 / a) < 1e-15, `${what}: first attack sample`);
    }
    // Sustain exactly at the last decay sample (D = 0: right after the peak).
    assert.equal(out[peak + Math.max(d, 1)], set.s, `${what}: sustain reached`);
    if (d >= 2 && set.s < 1) assert.ok((out[peak + d - 1] as number) > set.s, `${what}: decaying`);
    assert.equal(out[close - 1], set.s, `${what}: holds sustain`);
    const end = close + Math.max(r, 1) - 1;
    assert.equal(out[end], 0, `${what}: 0 exactly at r + R - 1`);
    if (r >= 2 && set.s > 0) assert.ok((out[end - 1] as number) > 0, `${what}: not 0 before`);
    for (let n = end; n < total; n++) assert.equal(out[n], 0, `${what}: idle after release`);
  }
});

Deno.test("Adsr re-triggered during release restarts the attack from the current level", () => {
  const set = { a: 10, d: 20, s: 0.7, r: 50 };
  const a = adsrSegmentFrames(set.a, RATE);
  const g2 = 2000 + adsrSegmentFrames(set.r, RATE) / 2;
  const events = [{ at: 10, open: true }, { at: 2000, open: false }, { at: g2, open: true }];
  const total = g2 + 5000;
  const env = makeAdsr(set);
  const out = run(env, events, total);
  assertClose(out, expected(set, events, total), "retrigger");
  const l0 = out[g2 - 1] as number;
  assert.ok(l0 > 0.3 && l0 < 0.4, `mid-release level ${l0}`);
  for (let i = 0; i < a; i++) {
    const want = l0 + ((1 - l0) * (i + 1)) / a;
    assert.ok(Math.abs((out[g2 + i] as number) - want) < 1e-12, `attack sample ${i}`);
  }
  assert.equal(out[g2 + a - 1], 1);
  // No click: the first step is one attack increment.
  assert.ok(Math.abs((out[g2] as number) - l0) <= (1 - l0) / a + 1e-12);
  assert.equal(env.stage, AdsrStage.Sustain);
});

Deno.test("Adsr gate closed during attack or decay releases from the current level", () => {
  const set = { a: 10, d: 20, s: 0.5, r: 4 };
  for (const close of [100, 600]) {
    const events = [{ at: 0, open: true }, { at: close, open: false }];
    const out = run(makeAdsr(set), events, 2000);
    assertClose(out, expected(set, events, 2000), `close at ${close}`);
    const lr = out[close - 1] as number;
    const r = adsrSegmentFrames(set.r, RATE);
    assert.ok(Math.abs((out[close] as number) - (lr - lr / r)) < 1e-12);
    assert.equal(out[close + r - 1], 0);
  }
});

Deno.test("Adsr re-triggered while open restarts the attack; gate off when idle does nothing", () => {
  const set = { a: 2, d: 10, s: 0.4, r: 3 };
  const events = [
    { at: 5, open: false },
    { at: 10, open: true },
    { at: 400, open: true },
    { at: 2000, open: false },
  ];
  const out = run(makeAdsr(set), events, 3000);
  assertClose(out, expected(set, events, 3000), "retrigger while open");
  assert.equal(out[9], 0);
});

Deno.test("Adsr glides a sustain change and then holds it exactly", () => {
  const env = makeAdsr({ a: 1, d: 1, s: 0.8, r: 1 });
  env.gateOn();
  run(env, [], 1000);
  assert.equal(env.level, 0.8);
  env.setSustain(0.2);
  const out = run(env, [], 20000);
  assert.ok((out[0] as number) < 0.8 && (out[0] as number) > 0.79, `first step ${out[0]}`);
  for (let n = 1; n < out.length; n++) {
    assert.ok((out[n] as number) <= (out[n - 1] as number), "monotonic glide");
  }
  assert.equal(out[out.length - 1], 0.2);
  assert.throws(() => env.setSustain(1.5), RangeError);
  assert.throws(() => env.setSustain(NaN), RangeError);
});

Deno.test("Adsr snapshot continues bit-identically mid-attack", () => {
  const a = makeAdsr({ a: 30, d: 40, s: 0.3, r: 60 });
  a.gateOn();
  run(a, [], 500);
  const state = new Float64Array(ADSR_STATE_SIZE + 3);
  assert.equal(a.saveState(state, 3), ADSR_STATE_SIZE + 3);
  const b = new Adsr(RATE);
  assert.equal(b.loadState(state, 3), ADSR_STATE_SIZE + 3);
  const events = [{ at: 4000, open: false }, { at: 5000, open: true }];
  assert.deepEqual(run(b, events, 9000), run(a, events, 9000));
});
