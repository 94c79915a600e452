import assert from "node:assert/strict";
import { SINE_STATE_SIZE, SINE_TABLE_SIZE, SineOscillator, sineTableLookup } from "../dsp/sine.ts";
import { levelDb, magnitudeSpectrum, maxAbs, peakFrequency } from "./_spectrum.ts";

const RATE = 48000;

function render(osc: SineOscillator, frames: number): Float64Array {
  const out = new Float64Array(frames);
  osc.process(out, 0, frames);
  return out;
}

/** Fail unless `a` and `b` hold the same bits. */
function assertBitIdentical(a: Float64Array, b: Float64Array): void {
  assert.equal(a.length, b.length);
  const ua = new BigUint64Array(a.buffer, a.byteOffset, a.length);
  const ub = new BigUint64Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`sample ${i} differs: ${a[i]} vs ${b[i]}`);
  }
}

/** Largest |x[i] - x[i-1]| in `x[from..to)`. */
function maxStep(x: Float64Array, from = 1, to = x.length): number {
  let max = 0;
  for (let i = Math.max(1, from); i < to; i++) {
    max = Math.max(max, Math.abs((x[i] as number) - (x[i - 1] as number)));
  }
  return max;
}

Deno.test("sineTableLookup matches Math.sin within 3e-7 over a dense phase grid", () => {
  let worst = 0;
  const n = 1 << 20;
  for (let i = 0; i < n; i++) {
    const phase = (i + 0.37) / n;
    worst = Math.max(worst, Math.abs(sineTableLookup(phase) - Math.sin(2 * Math.PI * phase)));
  }
  // Linear interpolation error bound: (pi / N)^2 / 2.
  const bound = (Math.PI / SINE_TABLE_SIZE) ** 2 / 2;
  assert.ok(worst <= bound * 1.01, `worst error ${worst} above bound ${bound}`);
  assert.ok(worst > bound * 0.5, `worst error ${worst} suspiciously small: is the table used?`);
});

Deno.test("SineOscillator at 440 Hz peaks within 1 Hz of 440 with harmonics below -80 dB", () => {
  const osc = new SineOscillator(RATE, { frequency: 440, gain: 0.5 });
  const x = render(osc, 1 << 16);
  const spectrum = magnitudeSpectrum(x, { sampleRate: RATE });
  const peak = peakFrequency(spectrum);
  assert.ok(Math.abs(peak - 440) < 1, `peak at ${peak} Hz`);
  for (let h = 2; h <= 10; h++) {
    const db = levelDb(spectrum, 440 * h);
    assert.ok(db < -80, `harmonic ${h} at ${db.toFixed(1)} dB`);
    // The float64 table oscillator is far cleaner than the requirement.
    assert.ok(db < -110, `harmonic ${h} at ${db.toFixed(1)} dB, expected < -110 dB`);
  }
});

Deno.test("SineOscillator is clean at several frequencies (peak and no spur above -100 dB)", () => {
  for (const freq of [55, 1000, 3333.3, 12000]) {
    const osc = new SineOscillator(RATE, { frequency: freq });
    const x = render(osc, 1 << 16);
    const spectrum = magnitudeSpectrum(x, { sampleRate: RATE });
    assert.ok(Math.abs(peakFrequency(spectrum) - freq) < 0.1, `peak for ${freq} Hz`);
    // Everything further than 10 bins from the fundamental is below -100 dB.
    const m = spectrum.magnitudes;
    const centre = Math.round(freq / spectrum.binHz);
    let spur = 0;
    for (let k = 1; k < m.length; k++) {
      if (Math.abs(k - centre) > 10) spur = Math.max(spur, m[k] as number);
    }
    const spurDb = 20 * Math.log10(spur / Math.max(...m));
    assert.ok(spurDb < -100, `${freq} Hz: worst spur ${spurDb.toFixed(1)} dB`);
  }
});

Deno.test("SineOscillator frequency change glides with no sample step above the signal's own", () => {
  const osc = new SineOscillator(RATE, { frequency: 440 });
  const before = render(osc, 4800);
  osc.setFrequency(1760);
  assert.ok(osc.frequency === 440, "frequency must not jump on setFrequency");
  // 5 ms time constant: within 1e-9 (settled exactly) after ~21 time constants.
  const after = render(osc, 9600);
  // The glide takes several samples, then settles exactly.
  const glide = new SineOscillator(RATE, { frequency: 440 });
  glide.setFrequency(1760);
  glide.next();
  assert.ok(glide.frequency > 440 && glide.frequency < 450, `first step to ${glide.frequency}`);
  assert.equal(osc.frequency, 1760);
  // No step larger than a steady 1760 Hz sine's own largest step (× 1.05).
  const steady = render(new SineOscillator(RATE, { frequency: 1760 }), 4800);
  const limit = maxStep(steady) * 1.05;
  const joined = new Float64Array(4800 + 9600);
  joined.set(before);
  joined.set(after, 4800);
  assert.ok(maxStep(joined) <= limit, `step ${maxStep(joined)} > ${limit}`);
});

Deno.test("SineOscillator gain change is smoothed (a gain jump would step by up to 1)", () => {
  const osc = new SineOscillator(RATE, { frequency: 440, gain: 0, phase: 0.25 });
  osc.setGain(1);
  const x = render(osc, 9600);
  const steady = render(new SineOscillator(RATE, { frequency: 440 }), 4800);
  const limit = maxStep(steady) * 1.05;
  assert.ok(Math.abs(x[0] as number) < 0.01, `first sample ${x[0]} after gain 0 -> 1`);
  assert.ok(maxStep(x) <= limit, `step ${maxStep(x)} > ${limit}`);
  assert.ok(Math.abs(maxAbs(x, 2400) - 1) < 1e-3, `settled amplitude ${maxAbs(x, 2400)}`);
  assert.equal(osc.gain, 1);
});

Deno.test("SineOscillator keeps its phase in [0, 1) up to Nyquist and clamps frequency", () => {
  const osc = new SineOscillator(RATE, { frequency: 1e9 });
  assert.equal(osc.frequency, RATE / 2);
  osc.setFrequency(-5);
  for (let i = 0; i < 10000; i++) {
    osc.next();
    assert.ok(osc.phase >= 0 && osc.phase < 1, `phase ${osc.phase}`);
  }
  assert.equal(osc.frequencyTarget, 0);
});

Deno.test("SineOscillator rejects non-finite values with RangeError", () => {
  const osc = new SineOscillator(RATE);
  assert.throws(() => osc.setFrequency(NaN), RangeError);
  assert.throws(() => osc.setGain(Infinity), RangeError);
  assert.throws(() => new SineOscillator(0), RangeError);
  assert.throws(() => new SineOscillator(RATE, { frequency: NaN }), RangeError);
});

Deno.test("SineOscillator snapshot continues bit-identically mid-glide", () => {
  const a = new SineOscillator(RATE, { frequency: 300, gain: 0.3 });
  render(a, 1000);
  a.setFrequency(5000);
  a.setGain(0.9);
  render(a, 37);
  const state = new Float64Array(SINE_STATE_SIZE);
  assert.equal(a.saveState(state, 0), SINE_STATE_SIZE);
  const b = new SineOscillator(RATE);
  assert.equal(b.loadState(state, 0), SINE_STATE_SIZE);
  assertBitIdentical(render(b, 5000), render(a, 5000));
});
