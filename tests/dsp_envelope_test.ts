import assert from "node:assert/strict";
import { Adsr, adsrSegmentFrames, AdsrStage } from "../dsp/adsr.ts";
import {
  Envelope,
  ENVELOPE_STATE_SIZE,
  EnvelopeCurve,
  envelopeCurve,
  type EnvelopeCurveId,
  EnvelopeMode,
  type EnvelopeModeId,
} from "../dsp/envelope.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";

const RATE = 48000;
const BLOCK = 128;
const LIN = EnvelopeCurve.Linear;
const EXP = EnvelopeCurve.Exponential;

/** Envelope settings: times in ms, linear sustain, curves, mode, legato, velocity sensitivity. */
interface Settings {
  readonly a: number;
  readonly d: number;
  readonly s: number;
  readonly r: number;
  readonly curves: readonly [EnvelopeCurveId, EnvelopeCurveId, EnvelopeCurveId];
  readonly mode?: EnvelopeModeId;
  readonly legato?: boolean;
  readonly sensitivity?: number;
}

/** Gate edge at sample `at`: true opens (with `velocity`, default 1), false closes. */
interface GateEvent {
  readonly at: number;
  readonly open: boolean;
  readonly velocity?: number;
}

function makeEnvelope(set: Settings): Envelope {
  return new Envelope(RATE, {
    attackMs: set.a,
    decayMs: set.d,
    sustain: set.s,
    releaseMs: set.r,
    attackCurve: set.curves[0],
    decayCurve: set.curves[1],
    releaseCurve: set.curves[2],
    mode: set.mode ?? EnvelopeMode.Adsr,
    legato: set.legato ?? false,
    velocitySensitivity: set.sensitivity ?? 0,
  });
}

/** Run `env` for `total` samples in blocks of BLOCK, applying gate events before their sample. */
function run(env: Envelope, events: readonly GateEvent[], total: number): Float64Array {
  const out = new Float64Array(total);
  let next = 0;
  for (let b = 0; b < total; b += BLOCK) {
    const end = Math.min(b + BLOCK, total);
    let pos = b;
    while (next < events.length && (events[next] as GateEvent).at < end) {
      const ev = events[next++] as GateEvent;
      env.process(out, pos, ev.at);
      if (ev.open) env.gateOn(ev.velocity ?? 1);
      else env.gateOff();
      pos = ev.at;
    }
    env.process(out, pos, end);
  }
  return out;
}

/** The curve written out from its definition (independent of the module). */
function curve(kind: EnvelopeCurveId, t: number): number {
  return kind === LIN ? t : (1 - Math.exp(-5 * t)) / (1 - Math.exp(-5));
}

/** The timing contract of envelope.ts written out directly, sample by sample. */
function expected(set: Settings, events: readonly GateEvent[], total: number): Float64Array {
  const a = Math.max(1, adsrSegmentFrames(set.a, RATE));
  const d = adsrSegmentFrames(set.d, RATE);
  const r = Math.max(1, adsrSegmentFrames(set.r, RATE));
  const [ca, cd, cr] = set.curves;
  const ar = set.mode === EnvelopeMode.Ar;
  const out = new Float64Array(total);
  let level = 0;
  let stage: "idle" | "attack" | "decay" | "sustain" | "release" = "idle";
  let t0 = 0;
  let from = 0;
  let peak = 1;
  let gate = false;
  for (let n = 0; n < total; n++) {
    for (const ev of events) {
      if (ev.at !== n) continue;
      if (ev.open) {
        if (set.legato && gate) continue;
        gate = true;
        const velocity = Math.min(1, Math.max(0, ev.velocity ?? 1));
        peak = 1 - (set.sensitivity ?? 0) * (1 - velocity);
        [stage, t0, from] = ["attack", n, level];
      } else {
        gate = false;
        if (stage !== "idle" && !ar) [stage, t0, from] = ["release", n, level];
      }
    }
    const i = n - t0;
    if (stage === "attack") {
      level = from + (peak - from) * curve(ca, (i + 1) / a);
      if (i + 1 === a) {
        level = peak;
        if (ar) [stage, t0, from] = ["release", n + 1, peak];
        else [stage, t0] = [d > 0 ? "decay" : "sustain", n + 1];
      }
    } else if (stage === "decay") {
      const sp = set.s * peak;
      level = sp + (peak - sp) * (1 - curve(cd, (i + 1) / d));
      if (i + 1 === d) [level, stage] = [sp, "sustain"];
    } else if (stage === "sustain") {
      level = set.s * peak;
    } else if (stage === "release") {
      level = from * (1 - curve(cr, (i + 1) / r));
      if (i + 1 === r) [level, stage] = [0, "idle"];
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

const TIMINGS = [
  { a: 5, d: 100, s: 0.8, r: 200 },
  { a: 0, d: 0, s: 0.5, r: 0 },
  { a: 1, d: 0, s: 1, r: 10 },
  { a: 0, d: 50, s: 0, r: 1 },
  { a: 0.03125, d: 0.03125, s: 0.6, r: 0.03125 },
  { a: 20, d: 3, s: 0.25, r: 7.5 },
] as const;
const CURVES = [[LIN, LIN, LIN], [EXP, EXP, EXP], [LIN, EXP, EXP], [EXP, LIN, EXP]] as const;

Deno.test("envelopeCurve is linear or the normalised exponential, 0 at 0 and 1 at 1", () => {
  for (const t of [0, 0.1, 0.5, 0.9, 1]) {
    assert.equal(envelopeCurve(LIN, t), t);
    assert.ok(Math.abs(envelopeCurve(EXP, t) - curve(EXP, t)) < 1e-15);
  }
  assert.equal(envelopeCurve(EXP, 0), 0);
  assert.ok(Math.abs(envelopeCurve(EXP, 1) - 1) < 1e-15);
  assert.ok(Math.abs(envelopeCurve(EXP, 0.5) - 0.924) < 1e-3);
  assert.throws(() => envelopeCurve(2 as EnvelopeCurveId, 0.5), RangeError);
});

Deno.test("Envelope follows the ADSR contract to the sample with linear and exponential curves", () => {
  for (const timing of TIMINGS) {
    for (const curves of CURVES) {
      const set: Settings = { ...timing, curves };
      const a = Math.max(1, adsrSegmentFrames(set.a, RATE));
      const d = adsrSegmentFrames(set.d, RATE);
      const r = Math.max(1, adsrSegmentFrames(set.r, RATE));
      const g = 17;
      const close = g + a + d + 300;
      const total = close + r + 100;
      const events = [{ at: g, open: true }, { at: close, open: false }];
      const env = makeEnvelope(set);
      const out = run(env, events, total);
      const what = JSON.stringify(set);
      assertClose(out, expected(set, events, total), what);
      // Segment ends exactly on the sample, whatever the curve.
      for (let n = 0; n < g; n++) assert.equal(out[n], 0, `${what}: idle before the gate`);
      const peak = g + a - 1;
      assert.equal(out[peak], 1, `${what}: 1 at g + A - 1`);
      if (a >= 2) assert.ok((out[peak - 1] as number) < 1, `${what}: below 1 before`);
      assert.equal(out[peak + Math.max(d, 1)], set.s, `${what}: sustain reached after D`);
      if (d >= 2 && set.s < 1) {
        assert.ok((out[peak + d - 1] as number) > set.s, `${what}: decaying`);
      }
      assert.equal(out[close - 1], set.s, `${what}: holds sustain`);
      const end = close + r - 1;
      assert.equal(out[end], 0, `${what}: 0 exactly at r + R - 1`);
      if (r >= 2 && set.s > 0) assert.ok((out[end - 1] as number) > 0, `${what}: not 0 before`);
      for (let n = end; n < total; n++) assert.equal(out[n], 0, `${what}: idle after release`);
      assert.equal(env.stage, AdsrStage.Idle);
    }
  }
});

Deno.test("Envelope with linear curves matches Adsr", () => {
  for (const timing of TIMINGS) {
    const env = makeEnvelope({ ...timing, curves: [LIN, LIN, LIN] });
    const adsr = new Adsr(RATE, {
      attackMs: timing.a,
      decayMs: timing.d,
      sustain: timing.s,
      releaseMs: timing.r,
    });
    const events = [
      { at: 10, open: true },
      { at: 300, open: false },
      { at: 310, open: true },
      { at: 9000, open: false },
    ];
    const out = run(env, events, 20000);
    const ref = new Float64Array(20000);
    let pos = 0;
    for (const ev of events) {
      adsr.process(ref, pos, ev.at);
      if (ev.open) adsr.gateOn();
      else adsr.gateOff();
      pos = ev.at;
    }
    adsr.process(ref, pos, ref.length);
    assertClose(out, ref, JSON.stringify(timing));
  }
});

Deno.test("Envelope re-triggered during release restarts the attack from the current level", () => {
  for (const curves of CURVES) {
    const set: Settings = { a: 10, d: 20, s: 0.7, r: 50, curves };
    const a = adsrSegmentFrames(set.a, RATE);
    const g2 = 2000 + adsrSegmentFrames(set.r, RATE) / 4;
    const events = [{ at: 10, open: true }, { at: 2000, open: false }, { at: g2, open: true }];
    const out = run(makeEnvelope(set), events, g2 + 5000);
    assertClose(out, expected(set, events, g2 + 5000), `${curves}`);
    const l0 = out[g2 - 1] as number;
    assert.ok(l0 > 0.1 && l0 < 0.6, `mid-release level ${l0}`);
    // No click: the first step is one attack step from the current level.
    const step = (1 - l0) * curve(curves[0], 1 / a);
    assert.ok(Math.abs((out[g2] as number) - l0 - step) < 1e-12, `${curves}: first attack sample`);
    assert.equal(out[g2 + a - 1], 1);
  }
});

Deno.test("Envelope with legato ignores a gate opening while held; without, it retriggers", () => {
  const base = { a: 20, d: 30, s: 0.4, r: 40, curves: [EXP, EXP, EXP] } as const;
  const held = [{ at: 0, open: true }, { at: 5000, open: true, velocity: 0.2 }];
  const single = [{ at: 0, open: true }];
  const legato = run(makeEnvelope({ ...base, legato: true, sensitivity: 1 }), held, 12000);
  assert.deepEqual(
    legato,
    run(makeEnvelope({ ...base, legato: true, sensitivity: 1 }), single, 12000),
  );
  const retrig = run(makeEnvelope({ ...base, sensitivity: 1 }), held, 12000);
  assertClose(retrig, expected({ ...base, sensitivity: 1 }, held, 12000), "retrigger");
  assert.equal(retrig[4999], 0.4);
  // The attack goes down to the new peak, 1 - 1 · (1 - 0.2).
  assert.equal(retrig[5000 + adsrSegmentFrames(20, RATE) - 1], 1 - (1 - 0.2));
  // After a release the gate is closed again, so legato retriggers.
  const again = [{ at: 0, open: true }, { at: 5000, open: false }, { at: 5100, open: true }];
  const out = run(makeEnvelope({ ...base, legato: true }), again, 12000);
  assertClose(out, expected({ ...base, legato: true }, again, 12000), "legato after release");
  assert.equal(out[5100 + adsrSegmentFrames(20, RATE) - 1], 1);
});

Deno.test("Envelope in AR mode releases right after the attack and ignores the gate closing", () => {
  for (const curves of CURVES) {
    const set: Settings = { a: 2, d: 100, s: 0.5, r: 10, curves, mode: EnvelopeMode.Ar };
    const a = adsrSegmentFrames(set.a, RATE);
    const r = adsrSegmentFrames(set.r, RATE);
    for (const close of [40, 5000]) {
      const events = [{ at: 100, open: true }, { at: 100 + close, open: false }];
      const out = run(makeEnvelope(set), events, 6000);
      assertClose(out, expected(set, events, 6000), `${curves} close ${close}`);
      assert.equal(out[100 + a - 1], 1);
      assert.ok((out[100 + a] as number) < 1);
      assert.equal(out[100 + a + r - 1], 0);
      assert.ok((out[100 + a + r - 2] as number) > 0);
    }
  }
});

Deno.test("Envelope scales the peak and sustain by velocity with the sensitivity", () => {
  const cases: readonly (readonly [number, number])[] = [[0, 0.3], [1, 0.3], [0.5, 0.3], [1, 0], [
    1,
    7,
  ]];
  for (const [sensitivity, velocity] of cases) {
    const set: Settings = { a: 1, d: 1, s: 0.5, r: 1, curves: [EXP, LIN, EXP], sensitivity };
    const env = makeEnvelope(set);
    const events = [{ at: 0, open: true, velocity }];
    const out = run(env, events, 1000);
    assertClose(out, expected(set, events, 1000), `${sensitivity} ${velocity}`);
    const peak = 1 - sensitivity * (1 - Math.min(1, velocity));
    assert.equal(env.peak, peak);
    assert.equal(out[adsrSegmentFrames(1, RATE) - 1], peak);
    assert.equal(out[999], 0.5 * peak);
  }
  assert.throws(() =>
    makeEnvelope({ a: 1, d: 1, s: 1, r: 1, curves: [LIN, LIN, LIN] }).gateOn(NaN)
  );
});

Deno.test("Envelope glides a sustain change and latches segment settings at segment start", () => {
  const env = makeEnvelope({ a: 1, d: 1, s: 0.8, r: 10, curves: [LIN, LIN, LIN] });
  env.gateOn();
  run(env, [], 1000);
  assert.equal(env.level, 0.8);
  env.setSustain(0.2);
  const out = run(env, [], 20000);
  assert.ok((out[0] as number) < 0.8 && (out[0] as number) > 0.79, `first step ${out[0]}`);
  assert.equal(out[out.length - 1], 0.2);
  // A release time change during the release affects the next one only.
  env.gateOff();
  run(env, [], 10);
  env.setRelease(1000);
  const rest = run(env, [], 1000);
  assert.equal(rest[adsrSegmentFrames(10, RATE) - 11], 0);
  assert.throws(() => env.setSustain(1.5), RangeError);
  assert.throws(() => env.setAttack(-1), RangeError);
  assert.throws(() => env.setDecayCurve(3 as EnvelopeCurveId), RangeError);
  assert.throws(() => env.setMode(2 as EnvelopeModeId), RangeError);
});

Deno.test("Envelope output stays finite and within 0..1 whatever the setters are given (fuzz)", () => {
  const rand = seededRandom(31);
  const nasty = [NaN, Infinity, -Infinity, 1e30, -1e30, -5, 0, 1, 0.5, 1e-30, 2, 1e308];
  const pick = () =>
    rand() < 0.6 ? nasty[Math.floor(rand() * nasty.length)] as number : rand() * 50;
  const env = new Envelope(RATE);
  const out = new Float64Array(BLOCK);
  for (let step = 0; step < 3000; step++) {
    const value = pick();
    try {
      switch (step % 10) {
        case 0:
          env.setAttack(value);
          break;
        case 1:
          env.setDecay(value);
          break;
        case 2:
          env.setRelease(value);
          break;
        case 3:
          env.setSustain(value);
          break;
        case 4:
          env.setVelocitySensitivity(value);
          break;
        case 5:
          env.setAttackCurve(value as EnvelopeCurveId);
          break;
        case 6:
          env.setMode(value as EnvelopeModeId);
          break;
        case 7:
          env.gateOn(value);
          break;
        case 8:
          env.gateOff();
          break;
        default:
          env.setLegato(value > 0.5);
      }
    } catch (e) {
      assert.ok(e instanceof RangeError, `step ${step}: ${e}`);
    }
    env.process(out, 0, 1 + Math.floor(rand() * BLOCK));
    for (const x of out) if (!(x >= 0 && x <= 1)) assert.fail(`step ${step}: level ${x}`);
  }
});

Deno.test("Envelope snapshot continues bit-identically mid-attack", () => {
  const set: Settings = {
    a: 30,
    d: 40,
    s: 0.3,
    r: 60,
    curves: [EXP, LIN, EXP],
    legato: true,
    sensitivity: 0.7,
  };
  const a = makeEnvelope(set);
  a.gateOn(0.5);
  run(a, [], 500);
  const state = new Float64Array(ENVELOPE_STATE_SIZE + 3);
  assert.equal(a.stateSize, ENVELOPE_STATE_SIZE);
  assert.equal(a.saveState(state, 3), ENVELOPE_STATE_SIZE + 3);
  const b = new Envelope(RATE);
  assert.equal(b.loadState(state, 3), ENVELOPE_STATE_SIZE + 3);
  const events = [
    { at: 1000, open: true, velocity: 0.1 },
    { at: 4000, open: false },
    { at: 5000, open: true, velocity: 0.9 },
  ];
  assert.deepEqual(run(b, events, 9000), run(a, events, 9000));
});

/** Render `blocks` blocks with gate changes every few blocks. */
function renderScenario(env: Envelope, out: Float64Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    env.process(out, 0, 50);
    if ((b & 7) === 0) env.gateOn();
    if ((b & 7) === 5) env.gateOff();
    env.process(out, 50, BLOCK);
  }
}

Deno.test("Envelope.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const env = new Envelope(RATE, {
    attackMs: 1,
    decayMs: 2,
    releaseMs: 3,
    attackCurve: EXP,
    decayCurve: LIN,
  });
  const out = new Float64Array(BLOCK);
  renderScenario(env, out, 20000); // let V8 optimise first
  const bytes = await sampledAllocation(() => renderScenario(env, out, 40000), "renderScenario");
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~640 KB.
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while rendering 40000 blocks`);
});
