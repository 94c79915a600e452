import assert from "node:assert/strict";
import {
  clampCutoff,
  resonanceToQ,
  SVF_MAX_Q,
  SVF_STATE_SIZE,
  svfCoefficients,
  SvfLowpass,
  svfLowpassMagnitude,
} from "../dsp/svf_lowpass.ts";
import { ParamSmoother } from "../dsp/smoother.ts";
import { gainToDb, toneAmplitude } from "./_spectrum.ts";

const RATE = 48000;

/** Deterministic uniform numbers in [0, 1) (32-bit LCG), for test inputs. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * |H(e^jω)| of the bilinear-transformed 2-pole low-pass written as a biquad:
 * H(z) = g²(1 + z⁻¹)² / ((1 + gk + g²) + (2g² - 2)z⁻¹ + (1 - gk + g²)z⁻²).
 * An independent route to the same magnitude as svfLowpassMagnitude.
 */
function biquadMagnitude(freqHz: number, cutoffHz: number, q: number): number {
  const { g, k } = svfCoefficients(cutoffHz, q, RATE);
  const w = (2 * Math.PI * freqHz) / RATE;
  const c1 = Math.cos(w), s1 = -Math.sin(w), c2 = Math.cos(2 * w), s2 = -Math.sin(2 * w);
  const nr = g * g * (1 + 2 * c1 + c2), ni = g * g * (2 * s1 + s2);
  const a0 = 1 + g * k + g * g, a1 = 2 * g * g - 2, a2 = 1 - g * k + g * g;
  const dr = a0 + a1 * c1 + a2 * c2, di = a1 * s1 + a2 * s2;
  return Math.hypot(nr, ni) / Math.hypot(dr, di);
}

Deno.test("resonanceToQ maps 0..1 exponentially from 1/sqrt(2) to 20", () => {
  assert.equal(resonanceToQ(0), Math.SQRT1_2);
  assert.equal(resonanceToQ(1), SVF_MAX_Q);
  assert.ok(Math.abs(resonanceToQ(0.5) - Math.sqrt(Math.SQRT1_2 * 20)) < 1e-12);
  // Exponential: equal steps in resonance give equal Q ratios.
  const ratio = resonanceToQ(0.3) / resonanceToQ(0.2);
  assert.ok(Math.abs(resonanceToQ(0.8) / resonanceToQ(0.7) - ratio) < 1e-12);
  assert.equal(resonanceToQ(-3), Math.SQRT1_2);
  assert.equal(resonanceToQ(7), SVF_MAX_Q);
  assert.throws(() => resonanceToQ(NaN), RangeError);
});

Deno.test("svfLowpassMagnitude is 1 at DC, Q at the cutoff, and equals the biquad form", () => {
  for (const fc of [20, 100, 1000, 5000, 15000]) {
    for (const q of [Math.SQRT1_2, 2, 14, 20]) {
      assert.ok(Math.abs(svfLowpassMagnitude(0, fc, q, RATE) - 1) < 1e-12);
      assert.ok(Math.abs(svfLowpassMagnitude(fc, fc, q, RATE) - q) < 1e-9 * q);
      for (const f of [10, fc / 3, fc * 0.9, Math.min(fc * 1.7, 23000), 20000]) {
        const want = biquadMagnitude(f, fc, q);
        const got = svfLowpassMagnitude(f, fc, q, RATE);
        assert.ok(Math.abs(got / want - 1) < 1e-9, `fc ${fc} q ${q} f ${f}: ${got} vs ${want}`);
      }
    }
  }
  assert.equal(svfLowpassMagnitude(RATE / 2, 1000, 1, RATE), 0);
  assert.throws(() => svfLowpassMagnitude(-1, 1000, 1, RATE), RangeError);
  assert.throws(() => svfLowpassMagnitude(30000, 1000, 1, RATE), RangeError);
  assert.throws(() => svfLowpassMagnitude(100, 1000, 0, RATE), RangeError);
  assert.throws(() => svfCoefficients(NaN, 1, RATE), RangeError);
});

Deno.test("SvfLowpass measured gain at fc/2, fc and 2fc is within 1 dB of svfLowpassMagnitude", () => {
  let worst = 0;
  for (const fc of [100, 1000, 5000]) {
    for (const resonance of [0, 0.5, 0.9]) {
      const q = resonanceToQ(resonance);
      // Ring-down time constant 2Q / (2π fc); skip 14 of them plus 0.1 s.
      const skip = Math.ceil((14 * 2 * q) / (2 * Math.PI * fc) * RATE) + RATE / 10;
      const length = RATE / 2;
      for (const f of [fc / 2, fc, 2 * fc]) {
        const lp = new SvfLowpass(RATE, { cutoffHz: fc, resonance });
        const y = new Float64Array(skip + length);
        const w = (2 * Math.PI * f) / RATE;
        for (let n = 0; n < y.length; n++) y[n] = lp.next(Math.sin(w * n));
        const measured = toneAmplitude(y, f, { start: skip, length, sampleRate: RATE });
        const diff = gainToDb(measured) - gainToDb(svfLowpassMagnitude(f, fc, q, RATE));
        worst = Math.max(worst, Math.abs(diff));
        assert.ok(Math.abs(diff) < 1, `fc ${fc} res ${resonance} f ${f}: off by ${diff} dB`);
      }
    }
  }
  // The filter is exactly the bilinear transform, so agreement is much better than 1 dB.
  assert.ok(worst < 0.001, `worst deviation ${worst} dB`);
});

Deno.test("SvfLowpass equals the Cytomic SVF equations run with svfCoefficients", () => {
  const rand = lcg(7);
  for (const [fc, res] of [[100, 0], [1000, 0.5], [5000, 0.9], [30000, 1]] as const) {
    const lp = new SvfLowpass(RATE, { cutoffHz: fc, resonance: res });
    const { a1, a2, a3 } = svfCoefficients(fc, resonanceToQ(res), RATE);
    let ic1 = 0, ic2 = 0;
    for (let n = 0; n < 5000; n++) {
      const x = rand() * 2 - 1;
      const v3 = x - ic2;
      const v1 = a1 * ic1 + a2 * v3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      ic1 = 2 * v1 - ic1;
      ic2 = 2 * v2 - ic2;
      const y = lp.next(x);
      if (y !== v2) assert.fail(`fc ${fc} res ${res}: sample ${n} is ${y}, expected ${v2}`);
    }
  }
});

Deno.test("SvfLowpass while gliding equals the equations with svfCoefficients of the smoothed values", () => {
  const rand = lcg(3);
  const lp = new SvfLowpass(RATE, { cutoffHz: 200, resonance: 0 });
  const cutoff = new ParamSmoother(RATE, { initial: 200 });
  const resonance = new ParamSmoother(RATE, { initial: 0 });
  let ic1 = 0, ic2 = 0;
  const targets = [[8000, 0.9], [50, 0.3], [30000, 1], [1000, 0]] as const;
  for (let n = 0; n < 40000; n++) {
    if (n % 10000 === 0) {
      const [c, r] = targets[n / 10000] as readonly [number, number];
      lp.setCutoff(c);
      lp.setResonance(r);
      cutoff.setTarget(clampCutoff(c, RATE));
      resonance.setTarget(r);
    }
    const { a1, a2, a3 } = svfCoefficients(cutoff.next(), resonanceToQ(resonance.next()), RATE);
    const x = rand() * 2 - 1;
    const v3 = x - ic2;
    const v1 = a1 * ic1 + a2 * v3;
    const v2 = ic2 + a2 * ic1 + a3 * v3;
    ic1 = 2 * v1 - ic1;
    ic2 = 2 * v2 - ic2;
    const y = lp.next(x);
    if (y !== v2) assert.fail(`sample ${n}: ${y}, expected ${v2}`);
  }
});

Deno.test("SvfLowpass stays bounded under audio-rate cutoff modulation at max resonance", () => {
  const rand = lcg(12345);
  for (const smoothingMs of [0, 5]) {
    const lp = new SvfLowpass(RATE, { cutoffHz: 1000, resonance: 1, smoothingMs });
    let peak = 0;
    for (let n = 0; n < 4 * RATE; n++) {
      // Exponential sweep 20 Hz .. 20 kHz at 1.7 kHz, plus jumps to random cutoffs.
      const sweep = 20 * Math.pow(1000, 0.5 + 0.5 * Math.sin((2 * Math.PI * 1700 * n) / RATE));
      lp.setCutoff(n % 3 === 0 ? 20 * Math.pow(1000, rand()) : sweep);
      const x = n % 4800 < 2400 ? Math.sin((2 * Math.PI * 440 * n) / RATE) : rand() * 2 - 1;
      const y = lp.next(x);
      if (!Number.isFinite(y)) assert.fail(`non-finite output at ${n}`);
      peak = Math.max(peak, Math.abs(y));
    }
    // A static Q = 20 filter peaks at 20x; modulation must not blow up beyond twice that.
    assert.ok(peak < 2 * SVF_MAX_Q, `smoothing ${smoothingMs} ms: peak ${peak}`);
  }
});

Deno.test("SvfLowpass rings down to exact zeros, never through subnormal numbers", () => {
  const lp = new SvfLowpass(RATE, { cutoffHz: 300, resonance: 0.9 });
  lp.next(1);
  let zeroAt = -1;
  for (let n = 0; n < 10 * RATE; n++) {
    const y = lp.next(0);
    if (y !== 0 && Math.abs(y) < 2.2250738585072014e-308) assert.fail(`subnormal ${y} at ${n}`);
    if (y === 0 && zeroAt < 0) zeroAt = n;
    if (zeroAt >= 0 && y !== 0) assert.fail(`output ${y} after reaching 0`);
  }
  assert.ok(zeroAt > 0, "state never flushed to 0");
});

Deno.test("SvfLowpass glides cutoff and resonance changes and clamps the cutoff", () => {
  const lp = new SvfLowpass(RATE, { cutoffHz: 1000, resonance: 0 });
  lp.setCutoff(5000);
  lp.setResonance(0.5);
  assert.equal(lp.cutoff, 1000);
  lp.next(0);
  assert.ok(lp.cutoff > 1000 && lp.cutoff < 1100, `first step ${lp.cutoff}`);
  assert.ok(lp.resonance > 0 && lp.resonance < 0.01);
  for (let n = 0; n < RATE; n++) lp.next(0);
  assert.equal(lp.cutoff, 5000);
  assert.equal(lp.resonance, 0.5);
  assert.equal(lp.q, resonanceToQ(0.5));
  lp.setCutoff(1e9);
  lp.reset();
  assert.equal(lp.cutoff, 0.45 * RATE);
  lp.setCutoff(-5);
  lp.reset();
  assert.equal(lp.cutoff, 20);
  assert.equal(clampCutoff(19, RATE), 20);
  assert.throws(() => lp.setCutoff(NaN), RangeError);
  assert.throws(() => lp.setResonance(Infinity), RangeError);
});

Deno.test("SvfLowpass snapshot continues bit-identically mid-glide", () => {
  const rand = lcg(99);
  const a = new SvfLowpass(RATE, { cutoffHz: 400, resonance: 0.2 });
  for (let n = 0; n < 1000; n++) a.next(rand() - 0.5);
  a.setCutoff(9000);
  a.setResonance(0.95);
  for (let n = 0; n < 50; n++) a.next(rand() - 0.5);
  const state = new Float64Array(SVF_STATE_SIZE);
  assert.equal(a.saveState(state, 0), SVF_STATE_SIZE);
  const b = new SvfLowpass(RATE);
  b.loadState(state, 0);
  for (let n = 0; n < 20000; n++) {
    const x = rand() - 0.5;
    const ya = a.next(x);
    const yb = b.next(x);
    if (!Object.is(ya, yb)) assert.fail(`sample ${n}: ${ya} vs ${yb}`);
  }
});
