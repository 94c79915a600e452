import assert from "node:assert/strict";
import {
  blampResidual,
  BLEP_HALF_WIDTH,
  blepResidual,
  centsToRatio,
  DETUNE_MAX_CENTS,
  FM_INDEX_MAX,
  FM_RATIO_MAX,
  NO_RESET,
  Oscillator,
  OSCILLATOR_LATENCY,
  OSCILLATOR_STATE_SIZE,
  type OscillatorOptions,
  PULSE_WIDTH_MAX,
  PULSE_WIDTH_MIN,
  Waveform,
  type WaveformId,
} from "../dsp/oscillator.ts";
import {
  UNISON_MAX_VOICES,
  UNISON_STATE_SIZE,
  unisonDetuneOffset,
  UnisonOscillator,
  unisonPan,
} from "../dsp/unison.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";
import {
  magnitudeNear,
  magnitudeSpectrum,
  peakFrequency,
  type Spectrum,
  worstNonHarmonicDb,
} from "./_spectrum.ts";

const RATE = 48000;
/** FFT size for the spectral tests: bins of 48000 / 65536 = 0.732 Hz. */
const FFT_SIZE = 1 << 16;
/** 1024 bins exactly, so it and its harmonics sit on bins (no scalloping loss). */
const F0 = 750;
/** Frames skipped before analysis (start-up of the output ring and of glides). */
const SETTLE = 2048;

function render(osc: Oscillator, frames: number): Float64Array {
  const out = new Float64Array(frames);
  osc.process(out, 0, frames);
  return out;
}

function spectrumOf(x: Float64Array): Spectrum {
  return magnitudeSpectrum(x, { start: SETTLE, size: FFT_SIZE, sampleRate: RATE });
}

function renderSpectrum(options: OscillatorOptions): Spectrum {
  return spectrumOf(render(new Oscillator(RATE, options), SETTLE + FFT_SIZE));
}

/** Magnitude at `freq` (on or near a bin): the largest bin within ±2. */
function magnitudeAt(spectrum: Spectrum, freq: number): number {
  return magnitudeNear(spectrum, freq);
}

function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/** Bessel function of the first kind J_k(x) = (1/π)∫₀^π cos(kτ − x·sin τ) dτ (Simpson). */
function besselJ(k: number, x: number): number {
  const steps = 2000;
  const h = Math.PI / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const t = i * h;
    const w = i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2;
    sum += w * Math.cos(k * t - x * Math.sin(t));
  }
  return (sum * h) / 3 / Math.PI;
}

/** Fail unless `a` and `b` hold the same bits. */
function assertBitIdentical(a: Float64Array, b: Float64Array, what: string): void {
  assert.equal(a.length, b.length, what);
  const ua = new BigUint64Array(a.buffer, a.byteOffset, a.length);
  const ub = new BigUint64Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}: sample ${i} differs: ${a[i]} vs ${b[i]}`);
  }
}

function assertFiniteAndBounded(x: Float64Array, bound: number, what: string): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (!(Math.abs(v) <= bound)) assert.fail(`${what}: ${v} at ${i}`);
  }
}

/** Largest |a[i] - a[i + lag]| over i in [from, to). */
function maxLagDifference(a: Float64Array, lag: number, from: number, to: number): number {
  let max = 0;
  for (let i = from; i < to; i++) {
    max = Math.max(max, Math.abs((a[i] as number) - (a[i + lag] as number)));
  }
  return max;
}

Deno.test("blepResidual and blampResidual vanish at ±BLEP_HALF_WIDTH and are step and ramp corrections", () => {
  const z = BLEP_HALF_WIDTH;
  for (const x of [-z - 1, -z, z, z + 3, NaN]) {
    assert.equal(blepResidual(x), 0, `blep at ${x}`);
    assert.equal(blampResidual(x), 0, `blamp at ${x}`);
  }
  assert.ok(Math.abs(blepResidual(-z + 1e-6)) < 1e-5);
  assert.ok(Math.abs(blepResidual(z - 1e-6)) < 1e-5);
  // The naive step jumps by 1 at 0, so the residual jumps by -1 there, ±0.5 either side.
  assert.ok(Math.abs(blepResidual(-1e-9) - 0.5) < 1e-6);
  assert.ok(Math.abs(blepResidual(0) + 0.5) < 1e-6);
  // The ramp residual is continuous and its slope is the step residual.
  assert.ok(Math.abs(blampResidual(-1e-9) - blampResidual(0)) < 1e-8);
  // (Both are tables read with linear interpolation: compare slopes over a table step.)
  for (const x of [-5.3, -1.7, -0.4, 0.3, 1.1, 4.9]) {
    const h = 1 / 256;
    const slope = (blampResidual(x + h) - blampResidual(x - h)) / (2 * h);
    const mean = (blepResidual(x - h) + blepResidual(x) + blepResidual(x + h)) / 3;
    assert.ok(Math.abs(slope - mean) < 2e-3, `slope at ${x}: ${slope} vs ${mean}`);
  }
  // ∫ step residual over the support is 0: the ramp residual ends at 0.
  assert.ok(Math.abs(blampResidual(z - 1e-9)) < 1e-7);
});

Deno.test("centsToRatio maps ±1200 cents to an octave", () => {
  assert.ok(Math.abs(centsToRatio(1200) - 2) < 1e-15);
  assert.ok(Math.abs(centsToRatio(-1200) - 0.5) < 1e-15);
  assert.equal(centsToRatio(0), 1);
  assert.ok(Math.abs(centsToRatio(100) - Math.pow(2, 1 / 12)) < 1e-15);
});

Deno.test("Oscillator sine, saw, square and triangle have their Fourier series within 0.2 dB", () => {
  // Amplitude of harmonic n of each waveform (amplitude 1), from its Fourier series.
  const theory: Record<string, (n: number) => number> = {
    sine: (n) => (n === 1 ? 1 : 0),
    saw: (n) => 2 / (Math.PI * n),
    square: (n) => (n % 2 === 1 ? 4 / (Math.PI * n) : 0),
    triangle: (n) => (n % 2 === 1 ? 8 / (Math.PI * Math.PI * n * n) : 0),
  };
  const ids: Record<string, WaveformId> = {
    sine: Waveform.Sine,
    saw: Waveform.Saw,
    square: Waveform.Square,
    triangle: Waveform.Triangle,
  };
  for (const [name, amplitude] of Object.entries(theory)) {
    const spectrum = renderSpectrum({ waveform: ids[name] as WaveformId, frequency: F0 });
    const fundamental = magnitudeAt(spectrum, F0);
    assert.ok(Math.abs(db(fundamental / amplitude(1))) < 0.1, `${name} fundamental ${fundamental}`);
    for (let n = 2; n <= 12; n++) {
      const want = amplitude(n) / amplitude(1);
      const got = magnitudeAt(spectrum, n * F0) / fundamental;
      if (db(want) > -45) {
        const err = db(got / want);
        assert.ok(Math.abs(err) < 0.2, `${name} harmonic ${n}: ${err.toFixed(3)} dB off`);
      } else if (want === 0) {
        assert.ok(
          db(got) < -90,
          `${name} harmonic ${n} should be absent: ${db(got).toFixed(1)} dB`,
        );
      }
    }
  }
});

Deno.test("Oscillator pulse width shapes the harmonics as |sin(nπw)|/n (25 % misses every 4th)", () => {
  for (const width of [0.25, 0.1, 0.5, 0.7]) {
    const spectrum = renderSpectrum({ waveform: Waveform.Pulse, frequency: F0, pulseWidth: width });
    // Pulse ±1 of width w: harmonic n at (4/(πn))·|sin(nπw)|.
    const amplitude = (n: number) => (4 / (Math.PI * n)) * Math.abs(Math.sin(n * Math.PI * width));
    const fundamental = magnitudeAt(spectrum, F0);
    assert.ok(Math.abs(db(fundamental / amplitude(1))) < 0.1, `width ${width}: fundamental`);
    for (let n = 2; n <= 12; n++) {
      const want = amplitude(n) / amplitude(1);
      const got = magnitudeAt(spectrum, n * F0) / fundamental;
      if (want > 1e-6) {
        assert.ok(
          Math.abs(db(got / want)) < 0.2,
          `width ${width} harmonic ${n}: ${db(got / want)}`,
        );
      } else {
        assert.ok(db(got) < -80, `width ${width}: harmonic ${n} should vanish: ${db(got)} dB`);
      }
    }
  }
});

Deno.test("Oscillator at 5 kHz keeps every alias at least 40 dB below the fundamental", () => {
  const cases: [string, OscillatorOptions][] = [
    ["saw", { waveform: Waveform.Saw }],
    ["square", { waveform: Waveform.Square }],
    ["pulse 25 %", { waveform: Waveform.Pulse, pulseWidth: 0.25 }],
    ["triangle", { waveform: Waveform.Triangle }],
    ["saw + sub", { waveform: Waveform.Saw, subLevel: 1 }],
  ];
  for (const [name, options] of cases) {
    const spectrum = renderSpectrum({ ...options, frequency: 5000 });
    const base = options.subLevel === undefined ? 5000 : 2500;
    const worst = worstNonHarmonicDb(spectrum, 5000, base);
    assert.ok(worst < -40, `${name}: alias at ${worst.toFixed(1)} dB`);
  }
  // The measure has teeth: a naive saw (no band-limiting) fails it badly.
  const naive = new Float64Array(SETTLE + FFT_SIZE);
  for (let i = 0; i < naive.length; i++) {
    const p = (i * 5000) / RATE;
    naive[i] = 2 * (p - Math.floor(p)) - 1;
  }
  assert.ok(worstNonHarmonicDb(spectrumOf(naive), 5000, 5000) > -25);
});

Deno.test("Oscillator detune of +1200 cents doubles the frequency, -1200 halves it", () => {
  const up = new Oscillator(RATE, { waveform: Waveform.Sine, frequency: 440, detuneCents: 1200 });
  const peak = peakFrequency(spectrumOf(render(up, SETTLE + FFT_SIZE)));
  assert.ok(Math.abs(peak - 880) < 0.05, `peak at ${peak} Hz`);
  assert.equal(up.setDetune(-1200), true);
  assert.equal(up.detune, 1200, "detune glides, it does not jump");
  render(up, RATE / 4);
  assert.equal(up.detune, -1200);
  const down = peakFrequency(spectrumOf(render(up, SETTLE + FFT_SIZE)));
  assert.ok(Math.abs(down - 220) < 0.05, `peak at ${down} Hz`);
  // Clamped to ±4 octaves.
  up.setDetune(1e9);
  up.settle();
  assert.equal(up.detune, DETUNE_MAX_CENTS);
});

Deno.test("Oscillator sub-oscillator adds a square one octave down at subLevel · 4/π", () => {
  const level = 0.5;
  const spectrum = renderSpectrum({ waveform: Waveform.Saw, frequency: F0, subLevel: level });
  const sub = F0 / 2;
  // Sub square harmonics: odd multiples of F0/2; the saw's sit on multiples of F0.
  for (const n of [1, 3, 5, 7]) {
    const want = level * (4 / (Math.PI * n));
    const got = magnitudeAt(spectrum, n * sub);
    assert.ok(Math.abs(db(got / want)) < 0.2, `sub harmonic ${n}: ${db(got / want)} dB`);
  }
  const saw = magnitudeAt(spectrum, F0);
  assert.ok(Math.abs(db(saw / (2 / Math.PI))) < 0.1, `saw fundamental ${saw}`);
  // Off by default.
  const plain = renderSpectrum({ waveform: Waveform.Saw, frequency: F0 });
  assert.ok(db(magnitudeAt(plain, sub) / magnitudeAt(plain, F0)) < -100);
});

/** Render a master/slave pair for `frames`; returns the slave output and the master resets. */
function renderSynced(master: Oscillator, slave: Oscillator, frames: number) {
  const out = new Float64Array(frames);
  const masterOut = new Float64Array(frames);
  const resets = new Float64Array(frames);
  for (let s = 0; s < frames; s += 128) {
    const e = Math.min(frames, s + 128);
    master.processSynced(masterOut, s, e, null, resets);
    slave.processSynced(out, s, e, resets, null);
  }
  return { out, resets };
}

Deno.test("Oscillator hard sync: the slave repeats with the master's period", () => {
  // Master at 200 Hz: a period of exactly 240 frames.
  const period = 240;
  const master = new Oscillator(RATE, { frequency: RATE / period });
  const slave = new Oscillator(RATE, { waveform: Waveform.Saw, frequency: 474 });
  const { out, resets } = renderSynced(master, slave, 20 * period + SETTLE);
  const wraps = resets.filter((d) => d !== NO_RESET);
  assert.ok(wraps.length >= 20 && wraps.length <= 30, `${wraps.length} master resets`);
  assert.ok(wraps.every((d) => d >= 0 && d < 1), "reset offsets are within a frame");
  assert.ok(maxLagDifference(out, period, SETTLE, SETTLE + 10 * period) < 1e-9, "periodic");
  // Free-running, the same slave is not periodic at 240 frames.
  const free = render(new Oscillator(RATE, { waveform: Waveform.Saw, frequency: 474 }), 6000);
  assert.ok(maxLagDifference(free, period, SETTLE, SETTLE + 10 * period) > 0.5);
  // Triangle and sine slaves too (their sync jumps are step and corner corrected).
  for (const waveform of [Waveform.Triangle, Waveform.Sine, Waveform.Pulse] as const) {
    const m = new Oscillator(RATE, { frequency: RATE / period });
    const s = new Oscillator(RATE, { waveform, frequency: 611 });
    const synced = renderSynced(m, s, 20 * period + SETTLE).out;
    assert.ok(maxLagDifference(synced, period, SETTLE, SETTLE + 10 * period) < 1e-9);
  }
});

Deno.test("Oscillator hard sync is harmonic of the master and band-limited (aliases below -45 dB)", () => {
  // A master period that is not a whole number of frames: 173 Hz.
  for (const waveform of [Waveform.Saw, Waveform.Square, Waveform.Triangle] as const) {
    const master = new Oscillator(RATE, { frequency: 173 });
    const slave = new Oscillator(RATE, { waveform, frequency: 173 * 2.71 });
    const { out } = renderSynced(master, slave, SETTLE + FFT_SIZE);
    const spectrum = spectrumOf(out);
    // The fundamental is the master's frequency ...
    const fundamental = db(magnitudeAt(spectrum, 173) / Math.max(...spectrum.magnitudes));
    assert.ok(fundamental > -20, `${waveform}: 173 Hz at ${fundamental} dB`);
    // ... and nothing else sits off its harmonics.
    const worst = worstNonHarmonicDb(spectrum, 173, 173);
    assert.ok(worst < -45, `waveform ${waveform}: off-harmonic at ${worst.toFixed(1)} dB`);
  }
});

Deno.test("Oscillator FM sidebands at carrier ± k·modulator have Bessel amplitudes within 1 dB", () => {
  // Carrier 6000 Hz, modulator 1125 Hz: both on bins, no sideband folds onto another.
  const carrier = 6000;
  const ratio = 0.1875;
  const modulator = carrier * ratio;
  for (const index of [0.5, 2, 3.5]) {
    const spectrum = renderSpectrum({
      waveform: Waveform.Sine,
      frequency: carrier,
      fmRatio: ratio,
      fmIndex: index,
    });
    let checked = 0;
    for (let k = -5; k <= 5; k++) {
      const want = Math.abs(besselJ(Math.abs(k), index));
      if (want < 0.01) continue;
      const got = magnitudeAt(spectrum, carrier + k * modulator);
      assert.ok(Math.abs(db(got / want)) < 1, `index ${index}, k ${k}: ${db(got / want)} dB`);
      checked++;
    }
    assert.ok(checked >= 3, `index ${index}: only ${checked} sidebands checked`);
  }
  // Index 0: a pure sine.
  const pure = renderSpectrum({ waveform: Waveform.Sine, frequency: carrier, fmRatio: ratio });
  assert.ok(db(magnitudeAt(pure, carrier + modulator)) < -100);
});

Deno.test("Oscillator parameters glide: pulse width, frequency and gain move gradually", () => {
  const osc = new Oscillator(RATE, { waveform: Waveform.Pulse, pulseWidth: 0.5 });
  assert.equal(osc.setPulseWidth(0.1), true);
  osc.next();
  assert.ok(osc.pulseWidth < 0.5 && osc.pulseWidth > 0.49, `after one frame ${osc.pulseWidth}`);
  render(osc, RATE / 10);
  assert.equal(osc.pulseWidth, 0.1);
  osc.setFrequency(880);
  osc.setGain(0.5);
  osc.next();
  assert.ok(osc.frequency > 440 && osc.frequency < 450);
  assert.ok(osc.gain < 1 && osc.gain > 0.99);
  osc.settle();
  assert.equal(osc.frequency, 880);
  assert.equal(osc.gain, 0.5);
});

Deno.test("Oscillator output lags its phase by OSCILLATOR_LATENCY frames", () => {
  const osc = new Oscillator(RATE, { waveform: Waveform.Sine, frequency: 1000 });
  const x = render(osc, 200);
  for (let i = 0; i < OSCILLATOR_LATENCY; i++) assert.equal(x[i], 0);
  for (let i = OSCILLATOR_LATENCY; i < 200; i++) {
    const want = Math.sin((2 * Math.PI * 1000 * (i - OSCILLATOR_LATENCY)) / RATE);
    assert.ok(Math.abs((x[i] as number) - want) < 1e-6, `frame ${i}`);
  }
});

Deno.test("Oscillator setters ignore NaN and ±Infinity and clamp finite values", () => {
  const osc = new Oscillator(RATE, { frequency: 300, waveform: Waveform.Pulse });
  const setters: [string, (v: number) => boolean][] = [
    ["frequency", (v) => osc.setFrequency(v)],
    ["detune", (v) => osc.setDetune(v)],
    ["pulse width", (v) => osc.setPulseWidth(v)],
    ["sub level", (v) => osc.setSubLevel(v)],
    ["FM ratio", (v) => osc.setFmRatio(v)],
    ["FM index", (v) => osc.setFmIndex(v)],
    ["gain", (v) => osc.setGain(v)],
    ["waveform", (v) => osc.setWaveform(v)],
    ["phase", (v) => osc.resetPhase(v)],
  ];
  const state = () => {
    const s = new Float64Array(OSCILLATOR_STATE_SIZE);
    osc.saveState(s, 0);
    return s;
  };
  const before = state();
  for (const [name, set] of setters) {
    for (const v of [NaN, Infinity, -Infinity]) {
      assert.equal(set(v), false, `${name}(${v})`);
      assert.deepEqual(state(), before, `${name}(${v}) changed the state`);
    }
  }
  for (const v of [7, -1, 2.5]) assert.equal(osc.setWaveform(v), false);
  assert.equal(osc.setFrequency(1e30), true);
  assert.equal(osc.frequencyTarget, RATE / 2);
  osc.setPulseWidth(5);
  osc.setGain(-3);
  osc.settle();
  assert.equal(osc.pulseWidth, PULSE_WIDTH_MAX);
  assert.equal(osc.gain, 0);
});

Deno.test("Oscillator constructor rejects a bad rate, non-finite options and unknown waveforms", () => {
  assert.throws(() => new Oscillator(0), RangeError);
  assert.throws(() => new Oscillator(NaN), RangeError);
  assert.throws(() => new Oscillator(RATE, { frequency: NaN }), RangeError);
  assert.throws(() => new Oscillator(RATE, { fmIndex: Infinity }), RangeError);
  assert.throws(() => new Oscillator(RATE, { waveform: 9 as WaveformId }), /waveform must be/);
  // Finite out-of-range options are clamped.
  const osc = new Oscillator(RATE, { frequency: -5, pulseWidth: 2, subLevel: 9 });
  assert.equal(osc.frequency, 0);
  assert.equal(osc.pulseWidth, PULSE_WIDTH_MAX);
  assert.equal(osc.subLevel, 1);
});

const FUZZ_VALUES = [
  NaN,
  Infinity,
  -Infinity,
  1e30,
  -1e30,
  -5,
  0,
  5e-324,
  0.25,
  0.5,
  1,
  3,
  440,
  20000,
];

Deno.test("Oscillator fuzz: random setters and sync garbage never give non-finite or unbounded output", () => {
  const rand = seededRandom(2024);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const master = new Oscillator(RATE, { frequency: 97 });
  const slave = new Oscillator(RATE, { subLevel: 1, fmIndex: 3 });
  const unison = new UnisonOscillator(RATE, { voices: 8 });
  const block = new Float64Array(128);
  const right = new Float64Array(128);
  const resets = new Float64Array(128);
  let sounding = 0;
  for (let b = 0; b < 1500; b++) {
    const osc = pick([master, slave]);
    const v = pick(FUZZ_VALUES);
    switch (Math.floor(rand() * 9)) {
      case 0:
        osc.setFrequency(v);
        break;
      case 1:
        osc.setDetune(v);
        break;
      case 2:
        osc.setPulseWidth(v);
        break;
      case 3:
        osc.setSubLevel(v);
        break;
      case 4:
        osc.setFmRatio(v);
        break;
      case 5:
        osc.setFmIndex(v);
        break;
      case 6:
        osc.setWaveform(Math.floor(rand() * 7) - 1);
        break;
      case 7:
        unison.setVoices(v);
        unison.setSpread(pick(FUZZ_VALUES));
        unison.setFrequency(pick(FUZZ_VALUES));
        break;
      default:
        osc.setGain(v === 0 ? 0 : 1);
    }
    const k = Math.floor(rand() * 129);
    master.processSynced(block, 0, k, null, resets);
    // Sync input: the master's resets, or garbage.
    if (rand() < 0.3) { for (let i = 0; i < 128; i++) resets[i] = pick(FUZZ_VALUES); }
    slave.processSynced(block, 0, k, resets, null);
    slave.processSynced(block, k, 128, null, null);
    assertFiniteAndBounded(block, 8, `slave block ${b}`);
    if (block.some((x) => x !== 0)) sounding++;
    unison.process(block, right, 0, 128);
    assertFiniteAndBounded(block, 8, `unison left block ${b}`);
    assertFiniteAndBounded(right, 8, `unison right block ${b}`);
  }
  assert.ok(sounding > 500, `only ${sounding} blocks had sound: the fuzz is not exercising much`);
});

/** A busy scenario: sync, FM, PWM and sub, with changes every few blocks. */
function busyScenario(master: Oscillator, slave: Oscillator, blocks: number): Float64Array {
  const out = new Float64Array(blocks * 128);
  const scratch = new Float64Array(128);
  const resets = new Float64Array(128);
  for (let b = 0; b < blocks; b++) {
    master.processSynced(scratch, 0, 128, null, resets);
    slave.processSynced(out.subarray(b * 128, b * 128 + 128), 0, 128, resets, null);
    if (b % 5 === 0) slave.setPulseWidth(0.1 + (b % 9) / 10);
    if (b % 7 === 0) slave.setFmIndex((b % 4) * 0.7);
    if (b % 11 === 0) master.setFrequency(100 + (b % 13) * 37);
    if (b % 13 === 0) slave.setWaveform((b / 13) % 5);
  }
  return out;
}

function busyPair(): [Oscillator, Oscillator] {
  return [
    new Oscillator(RATE, { frequency: 150 }),
    new Oscillator(RATE, { waveform: Waveform.Pulse, frequency: 523, subLevel: 0.3 }),
  ];
}

Deno.test("Oscillator instances fed identical calls produce bit-identical output", () => {
  const [m1, s1] = busyPair();
  const [m2, s2] = busyPair();
  assertBitIdentical(busyScenario(m1, s1, 300), busyScenario(m2, s2, 300), "twin pairs");
});

Deno.test("Oscillator.loadState of a mid-glide snapshot continues bit-identically", () => {
  const [master, slave] = busyPair();
  busyScenario(master, slave, 77);
  master.setFrequency(321);
  slave.setDetune(33);
  slave.setFmIndex(1.5);
  const tmp = new Float64Array(37);
  slave.process(tmp, 0, 37);
  const state = new Float64Array(2 * OSCILLATOR_STATE_SIZE + 3);
  assert.equal(master.saveState(state, 3), 3 + OSCILLATOR_STATE_SIZE);
  assert.equal(slave.saveState(state, 3 + OSCILLATOR_STATE_SIZE), state.length);
  const [m2, s2] = busyPair();
  busyScenario(m2, s2, 5); // a different history
  m2.loadState(state, 3);
  s2.loadState(state, 3 + OSCILLATOR_STATE_SIZE);
  assertBitIdentical(busyScenario(m2, s2, 200), busyScenario(master, slave, 200), "restored");
  // Saving the restored pair gives the snapshot back.
  const again = new Float64Array(OSCILLATOR_STATE_SIZE);
  const fresh = new Oscillator(RATE);
  fresh.loadState(state, 3 + OSCILLATOR_STATE_SIZE);
  fresh.saveState(again, 0);
  assert.deepEqual(again, state.subarray(3 + OSCILLATOR_STATE_SIZE));
});

Deno.test("Oscillator.loadState repairs NaN, Infinity and out-of-range snapshot values", () => {
  const [master, slave] = busyPair();
  busyScenario(master, slave, 20);
  const state = new Float64Array(OSCILLATOR_STATE_SIZE);
  slave.saveState(state, 0);
  for (let slot = 0; slot < OSCILLATOR_STATE_SIZE; slot++) {
    for (const poison of [NaN, Infinity, -1e300, 7.5]) {
      const bad = state.slice();
      bad[slot] = poison;
      const osc = new Oscillator(RATE);
      osc.loadState(bad, 0);
      const out = render(osc, 2000);
      // A clamped ring value (at most ±16) may still be on its way out.
      const ringFrames = 2 * OSCILLATOR_LATENCY;
      assertFiniteAndBounded(out.subarray(0, ringFrames), 32, `slot ${slot} = ${poison}`);
      assertFiniteAndBounded(out.subarray(ringFrames), 8, `slot ${slot} = ${poison}`);
      const after = new Float64Array(OSCILLATOR_STATE_SIZE);
      osc.saveState(after, 0);
      assert.ok(after.every(Number.isFinite), `slot ${slot}: state repaired`);
    }
  }
});

Deno.test("UnisonOscillator puts its voices at the spread detunes with equal levels", () => {
  const spread = 100;
  const uni = new UnisonOscillator(RATE, {
    waveform: Waveform.Sine,
    frequency: 1000,
    voices: 3,
    spreadCents: spread,
    stereoSpread: 0,
  });
  const frames = SETTLE + FFT_SIZE;
  const left = new Float64Array(frames);
  const right = new Float64Array(frames);
  uni.process(left, right, 0, frames);
  assertBitIdentical(left, right, "stereo spread 0 is mono");
  const spectrum = spectrumOf(left);
  const levels: number[] = [];
  for (let i = 0; i < 3; i++) {
    const want = 1000 * centsToRatio(unisonDetuneOffset(i, 3, spread));
    const near = peakFrequency(spectrum, { minHz: want - 10, maxHz: want + 10 });
    assert.ok(Math.abs(near - want) < 0.1, `voice ${i} at ${near} Hz, want ${want}`);
    levels.push(magnitudeAt(spectrum, near));
  }
  // Each voice: gain 1/√3, centre pan cos(π/4).
  for (const level of levels) {
    assert.ok(Math.abs(db(level / (Math.SQRT1_2 / Math.sqrt(3)))) < 1, `level ${level}`);
  }
  assert.equal(unisonDetuneOffset(0, 1, spread), 0);
  assert.equal(unisonPan(0, 1, 1), 0);
});

Deno.test("UnisonOscillator stereo spread puts the lowest voice left and the highest right", () => {
  const uni = new UnisonOscillator(RATE, {
    waveform: Waveform.Sine,
    frequency: 1000,
    voices: 2,
    spreadCents: 200,
    stereoSpread: 1,
  });
  const frames = SETTLE + FFT_SIZE;
  const left = new Float64Array(frames);
  const right = new Float64Array(frames);
  uni.process(left, right, 0, frames);
  const low = 1000 * centsToRatio(-100);
  const high = 1000 * centsToRatio(100);
  const l = spectrumOf(left);
  const r = spectrumOf(right);
  assert.ok(db(magnitudeAt(l, low) / magnitudeAt(r, low)) > 60, "low voice is left");
  assert.ok(db(magnitudeAt(r, high) / magnitudeAt(l, high)) > 60, "high voice is right");
});

Deno.test("UnisonOscillator with one centred voice is its oscillator times cos(π/4)", () => {
  const uni = new UnisonOscillator(RATE, { frequency: 330, seed: 9 });
  const voice = uni.voice(0);
  assert.ok(voice !== undefined);
  const osc = new Oscillator(RATE, { frequency: 330, phase: voice.phase });
  const left = new Float64Array(1000);
  const right = new Float64Array(1000);
  uni.process(left, right, 0, 1000);
  const y = render(osc, 1000);
  const g = Math.cos(Math.PI / 4);
  for (let i = 0; i < 1000; i++) {
    assert.equal(left[i], (y[i] as number) * g, `frame ${i}`);
    assert.equal(right[i], left[i]);
  }
});

Deno.test("UnisonOscillator voice-count changes fade voices in and out", () => {
  const uni = new UnisonOscillator(RATE, { voices: 2 });
  const left = new Float64Array(128);
  const right = new Float64Array(128);
  uni.process(left, right, 0, 128);
  assert.equal(uni.setVoices(5.4), true);
  assert.equal(uni.voices, 5);
  uni.process(left, right, 0, 1);
  const v4 = uni.voice(4);
  assert.ok(v4 !== undefined && v4.gain > 0 && v4.gain < 0.01, `voice 4 fades in: ${v4?.gain}`);
  for (let i = 0; i < 100; i++) uni.process(left, right, 0, 128);
  assert.ok(Math.abs((v4?.gain ?? 0) - 1 / Math.sqrt(5)) < 1e-9);
  uni.setVoices(1e9);
  assert.equal(uni.voices, UNISON_MAX_VOICES);
  assert.equal(uni.setVoices(NaN), false);
  assert.throws(() => new UnisonOscillator(RATE, { voices: NaN }), RangeError);
});

Deno.test("UnisonOscillator.loadState continues bit-identically and twins agree", () => {
  const make = () => new UnisonOscillator(RATE, { voices: 5, spreadCents: 40, seed: 3 });
  const run = (u: UnisonOscillator, blocks: number) => {
    const left = new Float64Array(blocks * 128);
    const right = new Float64Array(blocks * 128);
    for (let b = 0; b < blocks; b++) {
      if (b % 9 === 0) u.setVoices(1 + (b % 8));
      if (b % 7 === 0) u.setStereoSpread((b % 5) / 4);
      u.process(left, right, b * 128, b * 128 + 128);
    }
    const both = new Float64Array(2 * left.length);
    both.set(left);
    both.set(right, left.length);
    return both;
  };
  const a = make();
  run(a, 50);
  a.setSpread(70);
  const state = new Float64Array(UNISON_STATE_SIZE);
  assert.equal(a.saveState(state, 0), UNISON_STATE_SIZE);
  const b = new UnisonOscillator(RATE, { voices: 1 });
  b.loadState(state, 0);
  assertBitIdentical(run(b, 100), run(a, 100), "restored unison");
  assertBitIdentical(run(make(), 100), run(make(), 100), "twin unisons");
});

/** Whole-number parameter changes only: passing doubles would box in this frame. */
function allocationScenario(
  master: Oscillator,
  slave: Oscillator,
  uni: UnisonOscillator,
  bufs: Float64Array[],
  blocks: number,
): void {
  const [out, scratch, resets, right] = bufs as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  for (let b = 0; b < blocks; b++) {
    master.processSynced(scratch, 0, 50, null, resets);
    slave.processSynced(out, 0, 50, resets, null);
    slave.setPulseWidth(b & 1);
    slave.setFmIndex(b % 3);
    master.setFrequency(100 + (b % 17));
    master.processSynced(scratch, 50, 128, null, resets);
    slave.processSynced(out, 50, 128, resets, null);
    uni.setStereoSpread(b & 1);
    uni.setFmIndex(b & 1);
    uni.process(out, right, 0, 128);
  }
}

Deno.test("Oscillator and UnisonOscillator allocate nothing in steady state (V8 heap sampling)", async () => {
  const master = new Oscillator(RATE, { frequency: 130 });
  const slave = new Oscillator(RATE, { waveform: Waveform.Pulse, frequency: 347, subLevel: 1 });
  const uni = new UnisonOscillator(RATE, { voices: 8, waveform: Waveform.Saw });
  const bufs = [0, 1, 2, 3].map(() => new Float64Array(128));
  allocationScenario(master, slave, uni, bufs, 5000); // let V8 optimise first
  const bytes = await sampledAllocation(
    () => allocationScenario(master, slave, uni, bufs, 20000),
    "allocationScenario",
  );
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~320 KB.
  assert.ok(bytes < 32 * 1024, `${bytes} bytes sampled while rendering 20000 blocks`);
});

Deno.test("Oscillator setters clamp with literals equal to the exported ranges", () => {
  // oscillator.ts writes these as literals in its setters (see the comment there).
  assert.equal(PULSE_WIDTH_MIN, 0.01);
  assert.equal(PULSE_WIDTH_MAX, 0.99);
  assert.equal(DETUNE_MAX_CENTS, 4800);
  assert.equal(FM_RATIO_MAX, 32);
  assert.equal(FM_INDEX_MAX, 16);
  const osc = new Oscillator(RATE);
  for (
    const [set, get, lo, hi] of [
      [(x: number) => osc.setPulseWidth(x), () => osc.pulseWidth, PULSE_WIDTH_MIN, PULSE_WIDTH_MAX],
      [(x: number) => osc.setDetune(x), () => osc.detune, -DETUNE_MAX_CENTS, DETUNE_MAX_CENTS],
      [(x: number) => osc.setFmRatio(x), () => osc.fmRatio, 0, FM_RATIO_MAX],
      [(x: number) => osc.setFmIndex(x), () => osc.fmIndex, 0, FM_INDEX_MAX],
      [(x: number) => osc.setSubLevel(x), () => osc.subLevel, 0, 1],
      [(x: number) => osc.setGain(x), () => osc.gain, 0, 1],
      [(x: number) => osc.setFrequency(x), () => osc.frequency, 0, RATE / 2],
    ] as const
  ) {
    assert.equal(set(-1e9), true);
    osc.settle();
    assert.equal(get(), lo);
    assert.equal(set(1e9), true);
    osc.settle();
    assert.equal(get(), hi);
    assert.equal(set(NaN), false);
    assert.equal(set(-Infinity), false);
    osc.settle();
    assert.equal(get(), hi);
  }
});

/**
 * The instrument's way of forwarding a parameter: read the value from a
 * Float64Array and hand it to every voice (V8 inlines the setter here, so
 * the double is not boxed by this call).
 */
function forwardPulseWidth(oscs: readonly Oscillator[], params: Float64Array): void {
  const x = params[0] as number;
  for (let i = 0; i < oscs.length; i++) (oscs[i] as Oscillator).setPulseWidth(x);
}

/** A voice start: settle and retrigger. */
function startVoice(osc: Oscillator, b: number): void {
  osc.setFrequency(100 + (b & 63)); // a whole number: nothing boxed in this frame
  osc.settle();
  osc.resetPhase(0);
}

/** Pulse-width changes (in-range doubles) every block and a voice start, eight voices. */
function voiceScenario(
  oscs: readonly Oscillator[],
  params: Float64Array,
  buf: Float64Array,
  blocks: number,
): void {
  for (let b = 0; b < blocks; b++) {
    params[0] = 0.2 + (b & 7) * 0.075;
    forwardPulseWidth(oscs, params);
    startVoice(oscs[b & 7] as Oscillator, b);
    for (let k = 0; k < oscs.length; k++) (oscs[k] as Oscillator).process(buf, 0, 32);
  }
}

Deno.test("Oscillator pulse-width setter, settle and resetPhase allocate nothing (V8 heap sampling)", async () => {
  const oscs = Array.from({ length: 8 }, () => new Oscillator(RATE, { waveform: Waveform.Pulse }));
  const params = new Float64Array(1);
  const buf = new Float64Array(128);
  voiceScenario(oscs, params, buf, 5000); // let V8 optimise first
  const bytes = await sampledAllocation(
    () => voiceScenario(oscs, params, buf, 10000),
    "voiceScenario",
  );
  // Before the fix about 2 MB here: 16 bytes per setPulseWidth (a clamp mixing the
  // constants with the value boxed it) and some 65 per settle (boxed smoother values
  // and an iterator). 16 bytes per block would show as ~160 KB.
  assert.ok(bytes < 32 * 1024, `${bytes} bytes sampled over 10000 blocks`);
});
