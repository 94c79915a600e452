import assert from "node:assert/strict";
import FFT from "fft.js";
import {
  BROWN_CORNER_HZ,
  COLORED_NOISE_RMS,
  Noise,
  NOISE_STATE_SIZE,
  NoiseColor,
  type NoiseColorId,
  noiseSeedState,
  pinkNoiseFilter,
  xorshift32,
} from "../dsp/noise.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";
import { blackmanHarris, rms } from "./_spectrum.ts";

const RATE = 48000;
/** Frames of noise analysed per colour: about 22 s at 48 kHz. */
const FRAMES = 1 << 20;
/** Welch frame size (bins of 5.9 Hz at 48 kHz), hop of half a frame. */
const WELCH_SIZE = 8192;

/** The part of fft.js used here, typed (its own typings use `any`). */
interface RealFft {
  realTransform(out: Float64Array, data: Float64Array): void;
}

function render(noise: Noise, frames: number): Float64Array {
  const out = new Float64Array(frames);
  noise.process(out, 0, frames);
  return out;
}

/**
 * Welch power spectral density (arbitrary scale) of `x`: Blackman-Harris
 * frames of WELCH_SIZE with 50 % overlap, power averaged over frames.
 */
function welch(x: Float64Array): Float64Array {
  const window = blackmanHarris(WELCH_SIZE);
  const fft = new FFT(WELCH_SIZE) as unknown as RealFft;
  const data = new Float64Array(WELCH_SIZE);
  const spectrum = new Float64Array(2 * WELCH_SIZE);
  const power = new Float64Array(WELCH_SIZE / 2 + 1);
  let frames = 0;
  for (let s = 0; s + WELCH_SIZE <= x.length; s += WELCH_SIZE / 2) {
    for (let i = 0; i < WELCH_SIZE; i++) data[i] = (x[s + i] as number) * (window[i] as number);
    fft.realTransform(spectrum, data);
    for (let k = 0; k < power.length; k++) {
      const re = spectrum[2 * k] as number;
      const im = spectrum[2 * k + 1] as number;
      power[k] = (power[k] as number) + re * re + im * im;
    }
    frames++;
  }
  return power.map((p) => p / frames);
}

/** Octave bands centred on 125 Hz · 2^k, k = 0..6 (88 Hz – 11.3 kHz). */
const BAND_CENTRES = [125, 250, 500, 1000, 2000, 4000, 8000];

/** Mean power density in dB of each octave band of `BAND_CENTRES`. */
function octaveBandsDb(psd: Float64Array, rate = RATE): number[] {
  const binHz = rate / WELCH_SIZE;
  return BAND_CENTRES.map((centre) => {
    const lo = Math.ceil(centre / Math.SQRT2 / binHz);
    const hi = Math.floor((centre * Math.SQRT2) / binHz);
    let sum = 0;
    for (let k = lo; k <= hi; k++) sum += psd[k] as number;
    return 10 * Math.log10(sum / (hi - lo + 1));
  });
}

/** Differences between adjacent bands: the slope in dB per octave. */
function slopes(bandsDb: number[]): number[] {
  return bandsDb.slice(1).map((b, i) => b - (bandsDb[i] as number));
}

function colorSlopes(color: NoiseColorId, rate = RATE): number[] {
  const x = render(new Noise(rate, { color, seed: 7 }), FRAMES);
  return slopes(octaveBandsDb(welch(x), rate));
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

Deno.test("xorshift32 follows Marsaglia's recurrence (checked in unsigned arithmetic)", () => {
  assert.equal(xorshift32(1), 270369);
  let x = noiseSeedState(123);
  let u = BigInt(x >>> 0);
  const mask = (1n << 32n) - 1n;
  for (let i = 0; i < 1000; i++) {
    u ^= (u << 13n) & mask;
    u ^= u >> 17n;
    u ^= (u << 5n) & mask;
    x = xorshift32(x);
    assert.equal(BigInt(x >>> 0), u, `step ${i}`);
    assert.notEqual(x, 0);
  }
});

Deno.test("Noise white is the xorshift32 stream from the seed's state, scaled by 2^-31", () => {
  const x = render(new Noise(RATE, { seed: 42, gain: 1 }), 1000);
  let state = noiseSeedState(42);
  for (let i = 0; i < 1000; i++) {
    state = xorshift32(state);
    assert.equal(x[i], state / 2 ** 31, `frame ${i}`);
  }
});

Deno.test("noiseSeedState is never 0 and tells seeds apart", () => {
  const states = new Set<number>();
  for (let seed = 0; seed < 1000; seed++) {
    const s = noiseSeedState(seed);
    assert.notEqual(s, 0);
    assert.equal(s, s | 0, "an int32");
    states.add(s);
  }
  assert.equal(states.size, 1000);
  assert.equal(noiseSeedState(NaN), noiseSeedState(0));
});

Deno.test("Noise white is uniform in [-1, 1) with mean 0 and RMS 1/√3", () => {
  const x = render(new Noise(RATE, { seed: 3 }), FRAMES);
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of x) {
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.ok(Math.abs(sum / FRAMES) < 0.005, `mean ${sum / FRAMES}`);
  assert.ok(min >= -1 && max < 1, `range [${min}, ${max}]`);
  assert.ok(min < -0.9999 && max > 0.9999, "fills the range");
  assert.ok(Math.abs(rms(x) * Math.sqrt(3) - 1) < 0.01, `rms ${rms(x)}`);
});

Deno.test("Noise white is flat within 1 dB across octave bands 88 Hz – 11.3 kHz", () => {
  const bands = octaveBandsDb(welch(render(new Noise(RATE, { seed: 7 }), FRAMES)));
  const mean = bands.reduce((a, b) => a + b) / bands.length;
  for (const [i, b] of bands.entries()) {
    assert.ok(Math.abs(b - mean) < 1, `band ${BAND_CENTRES[i]} Hz: ${(b - mean).toFixed(2)} dB`);
  }
});

Deno.test("Noise pink falls 3 dB per octave (within 1 dB per octave)", () => {
  for (const [i, slope] of colorSlopes(NoiseColor.Pink).entries()) {
    assert.ok(
      Math.abs(slope + 3.01) < 1,
      `octave ${BAND_CENTRES[i]} Hz up: ${slope.toFixed(2)} dB`,
    );
  }
});

Deno.test("Noise brown falls 6 dB per octave (within 1 dB per octave)", () => {
  for (const [i, slope] of colorSlopes(NoiseColor.Brown).entries()) {
    assert.ok(
      Math.abs(slope + 6.02) < 1,
      `octave ${BAND_CENTRES[i]} Hz up: ${slope.toFixed(2)} dB`,
    );
  }
  assert.ok(BROWN_CORNER_HZ < BAND_CENTRES[0]! / 4, "the corner is below the bands tested");
});

Deno.test("Noise pink keeps its slope at 96 kHz (filter moved to the sample rate)", () => {
  for (const [i, slope] of colorSlopes(NoiseColor.Pink, 96000).entries()) {
    assert.ok(
      Math.abs(slope + 3.01) < 1,
      `octave ${BAND_CENTRES[i]} Hz up: ${slope.toFixed(2)} dB`,
    );
  }
});

Deno.test("pinkNoiseFilter at 44.1 kHz is Kellet's filter unchanged", () => {
  const f = pinkNoiseFilter(44100);
  assert.deepEqual([...f.poles], [0.99886, 0.99332, 0.969, 0.8665, 0.55]);
  const gains = [0.0555179, 0.0750759, 0.153852, 0.3104856, 0.5329522];
  f.gains.forEach((g, i) => assert.ok(Math.abs(g - (gains[i] as number)) < 1e-15));
  assert.throws(() => pinkNoiseFilter(10), RangeError);
});

Deno.test("Noise pink and brown have RMS COLORED_NOISE_RMS within 5 %", () => {
  for (const color of [NoiseColor.Pink, NoiseColor.Brown]) {
    const level = rms(render(new Noise(RATE, { color, seed: 11 }), FRAMES), 4096);
    assert.ok(Math.abs(level / COLORED_NOISE_RMS - 1) < 0.05, `colour ${color}: rms ${level}`);
  }
});

Deno.test("Noise with the same seed is bit-identical; other seeds differ; reseed restarts", () => {
  for (const color of [NoiseColor.White, NoiseColor.Pink, NoiseColor.Brown]) {
    const a = render(new Noise(RATE, { color, seed: 99 }), 5000);
    const b = render(new Noise(RATE, { color, seed: 99 }), 5000);
    assertBitIdentical(a, b, `colour ${color}`);
    const c = render(new Noise(RATE, { color, seed: 100 }), 5000);
    assert.ok(c.some((v, i) => v !== a[i]), `colour ${color}: seeds 99 and 100 differ`);
    const d = new Noise(RATE, { color, seed: 5 });
    render(d, 1234);
    d.reseed(99);
    assertBitIdentical(render(d, 5000), a, `colour ${color} after reseed`);
  }
});

Deno.test("Noise colour changes cross-fade, then match a noise of that colour exactly", () => {
  const noise = new Noise(RATE, { color: NoiseColor.White, seed: 4 });
  const pink = new Noise(RATE, { color: NoiseColor.Pink, seed: 4 });
  render(pink, 1000);
  const before = render(noise, 1000);
  assert.ok(rms(before) > 0.5);
  assert.equal(noise.setColor(NoiseColor.Pink), true);
  assert.equal(noise.color, NoiseColor.Pink);
  const fade = render(noise, RATE / 4);
  render(pink, RATE / 4);
  // The first frame after the change is still almost all white.
  const white = new Noise(RATE, { seed: 4 });
  const ref = render(white, 1001);
  assert.ok(Math.abs((fade[0] as number) - (ref[1000] as number)) < 0.02);
  assertBitIdentical(render(noise, 5000), render(pink, 5000), "settled on pink");
  for (const bad of [3, -1, 0.5, NaN]) assert.equal(noise.setColor(bad), false);
});

Deno.test("Noise setters ignore NaN and ±Infinity and clamp; constructor rejects bad options", () => {
  const noise = new Noise(RATE, { gain: 0.5 });
  for (const v of [NaN, Infinity, -Infinity]) {
    assert.equal(noise.setGain(v), false);
    assert.equal(noise.reseed(v), false);
  }
  assert.equal(noise.gain, 0.5);
  noise.setGain(1e30);
  render(noise, RATE);
  assert.equal(noise.gain, 1);
  assert.throws(() => new Noise(0), RangeError);
  assert.throws(() => new Noise(RATE, { seed: NaN }), RangeError);
  assert.throws(() => new Noise(RATE, { gain: Infinity }), RangeError);
  assert.throws(() => new Noise(RATE, { color: 3 as NoiseColorId }), /color must be/);
});

Deno.test("Noise fuzz: random setter values never give non-finite or unbounded output", () => {
  const rand = seededRandom(77);
  const values = [NaN, Infinity, -Infinity, 1e30, -1e30, -5, 0, 5e-324, 0.5, 1, 2, 3];
  const pick = () => values[Math.floor(rand() * values.length)] as number;
  const noise = new Noise(RATE, { color: NoiseColor.Brown });
  const block = new Float64Array(128);
  for (let b = 0; b < 3000; b++) {
    const r = rand();
    if (r < 0.3) noise.setColor(pick());
    else if (r < 0.6) noise.setGain(pick());
    else if (r < 0.7) noise.reseed(pick());
    noise.process(block, 0, Math.floor(rand() * 129));
    noise.process(block, Math.floor(rand() * 129), 1e9);
    for (const x of block) assert.ok(Math.abs(x) < 4, `block ${b}: ${x}`);
  }
});

Deno.test("Noise.loadState continues bit-identically mid-fade and repairs poisoned snapshots", () => {
  const a = new Noise(RATE, { color: NoiseColor.Pink, seed: 21 });
  render(a, 3000);
  a.setColor(NoiseColor.Brown);
  a.setGain(0.3);
  render(a, 17);
  const state = new Float64Array(NOISE_STATE_SIZE + 2);
  assert.equal(a.saveState(state, 2), NOISE_STATE_SIZE + 2);
  const b = new Noise(RATE, { seed: 1 });
  render(b, 99);
  assert.equal(b.loadState(state, 2), NOISE_STATE_SIZE + 2);
  assertBitIdentical(render(b, 20000), render(a, 20000), "restored");
  for (let slot = 2; slot < state.length; slot++) {
    for (const poison of [NaN, Infinity, 1e300, 0]) {
      const bad = state.slice();
      bad[slot] = poison;
      const c = new Noise(RATE);
      c.loadState(bad, 2);
      // Filter states are clamped to what white input in [-1, 1) can reach: the
      // output is bounded, and back to normal once the filters have decayed.
      const out = render(c, 30000);
      for (const [i, x] of out.entries()) {
        assert.ok(Math.abs(x) < (i < 25000 ? 32 : 4), `slot ${slot} = ${poison}: ${x} at ${i}`);
      }
      const after = new Float64Array(NOISE_STATE_SIZE);
      c.saveState(after, 0);
      assert.ok(after.every(Number.isFinite), `slot ${slot} = ${poison}: repaired`);
    }
  }
});

/** Whole-number gain and colour changes only: passing doubles would box in this frame. */
function renderNoise(noise: Noise, block: Float64Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    noise.process(block, 0, 60);
    noise.setColor(b % 3);
    noise.setGain(b & 1);
    noise.process(block, 60, 128);
  }
}

Deno.test("Noise.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const noise = new Noise(RATE, { color: NoiseColor.Pink });
  const block = new Float64Array(128);
  renderNoise(noise, block, 20000); // let V8 optimise first
  const bytes = await sampledAllocation(() => renderNoise(noise, block, 40000), "renderNoise");
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~640 KB.
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while rendering 40000 blocks`);
});
