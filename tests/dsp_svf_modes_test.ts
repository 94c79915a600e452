import assert from "node:assert/strict";
import {
  keyTrackOctaves,
  SVF_FILTER_STATE_SIZE,
  SvfFilter,
  svfMagnitude,
  SvfMode,
  type SvfModeId,
} from "../dsp/svf.ts";
import {
  resonanceToQ,
  SVF_MAX_Q,
  SVF_MIN_CUTOFF,
  SVF_MIN_Q,
  svfCoefficients,
  SvfLowpass,
} from "../dsp/svf_lowpass.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";
import { gainToDb } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;
const MODES: readonly SvfModeId[] = [
  SvfMode.Lowpass,
  SvfMode.Highpass,
  SvfMode.Bandpass,
  SvfMode.Notch,
];
const NAMES = ["low-pass", "high-pass", "band-pass", "notch"];

/** A complex number as [re, im]. */
type Complex = readonly [number, number];
const mul = (
  a: Complex,
  b: Complex,
): Complex => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const add = (a: Complex, b: Complex): Complex => [a[0] + b[0], a[1] + b[1]];
const scale = (a: Complex, s: number): Complex => [a[0] * s, a[1] * s];
const abs = (a: Complex): number => Math.hypot(a[0], a[1]);

/**
 * |H(e^jω)| of the bilinear-transformed prototypes written as z-polynomials:
 * with s = (1 − z⁻¹) / (g(1 + z⁻¹)), multiply through by g²(1 + z⁻¹)². An
 * independent route to the same numbers as svfMagnitude.
 */
function zMagnitude(mode: SvfModeId, freqHz: number, cutoffHz: number, q: number): number {
  const { g, k } = svfCoefficients(cutoffHz, q, RATE);
  const w = (2 * Math.PI * freqHz) / RATE;
  const zi: Complex = [Math.cos(w), -Math.sin(w)];
  const minus = add([1, 0], scale(zi, -1)); // 1 − z⁻¹
  const plus = add([1, 0], zi); // 1 + z⁻¹
  const hp = mul(minus, minus);
  const lp = scale(mul(plus, plus), g * g);
  const bp = scale(mul(minus, plus), g * k);
  const den = add(add(hp, bp), lp);
  const num = [lp, hp, bp, add(hp, lp)][mode] as Complex;
  return abs(num) / abs(den);
}

/** |Σ h[n] e^(−jωn)|: the filter's response at `freqHz` from its (decayed) impulse response. */
function responseAt(h: Float64Array, freqHz: number): number {
  const w = (2 * Math.PI * freqHz) / RATE;
  let re = 0;
  let im = 0;
  for (let n = 0; n < h.length; n++) {
    const x = h[n] as number;
    if (x === 0) continue;
    re += x * Math.cos(w * n);
    im -= x * Math.sin(w * n);
  }
  return Math.hypot(re, im);
}

/** Impulse response of `filter`, `length` samples, rendered in blocks of BLOCK. */
function impulseResponse(filter: SvfFilter, length: number): Float64Array {
  const h = new Float64Array(length);
  h[0] = 1;
  for (let b = 0; b < length; b += BLOCK) filter.process(h, b, Math.min(b + BLOCK, length));
  return h;
}

function assertAllFinite(signal: ArrayLike<number>, what: string): void {
  for (let n = 0; n < signal.length; n++) {
    if (!Number.isFinite(signal[n])) assert.fail(`${what}: sample ${n} is ${signal[n]}`);
  }
}

Deno.test("SvfFilter render loops may use the literals they inline for the shared constants", () => {
  // svf.ts writes these as literals inside its per-sample loop (see the comment there).
  assert.equal(SVF_MIN_CUTOFF, 20);
  assert.equal(SVF_MAX_Q, 20);
  assert.equal(SVF_MIN_Q, Math.SQRT1_2);
});

Deno.test("svfMagnitude has the textbook values at DC, the cutoff and Nyquist", () => {
  for (const q of [Math.SQRT1_2, 3, 20]) {
    const at = (mode: SvfModeId, f: number) => svfMagnitude(mode, f, 1000, q, RATE);
    assert.ok(Math.abs(at(SvfMode.Lowpass, 0) - 1) < 1e-12);
    assert.equal(at(SvfMode.Highpass, 0), 0);
    assert.equal(at(SvfMode.Bandpass, 0), 0);
    assert.ok(Math.abs(at(SvfMode.Notch, 0) - 1) < 1e-12);
    assert.ok(Math.abs(at(SvfMode.Lowpass, 1000) - q) < 1e-9 * q);
    assert.ok(Math.abs(at(SvfMode.Highpass, 1000) - q) < 1e-9 * q);
    assert.ok(Math.abs(at(SvfMode.Bandpass, 1000) - 1) < 1e-9);
    assert.ok(at(SvfMode.Notch, 1000) < 1e-9);
    assert.deepEqual(MODES.map((m) => at(m, RATE / 2)), [0, 1, 0, 1]);
  }
  assert.throws(() => svfMagnitude(7 as SvfModeId, 100, 1000, 1, RATE), RangeError);
  assert.throws(() => svfMagnitude(SvfMode.Notch, -1, 1000, 1, RATE), RangeError);
  assert.throws(() => svfMagnitude(SvfMode.Notch, 100, NaN, 1, RATE), RangeError);
  assert.throws(() => svfMagnitude(SvfMode.Notch, 100, 1000, 0, RATE), RangeError);
});

Deno.test("svfMagnitude equals the z-domain transfer function of every mode", () => {
  for (const mode of MODES) {
    for (const fc of [20, 250, 3000, 15000]) {
      for (const q of [Math.SQRT1_2, 4, 20]) {
        for (const f of [10, fc / 3, fc * 0.9, Math.min(fc * 1.7, 23000), 20000]) {
          const want = zMagnitude(mode, f, fc, q);
          const got = svfMagnitude(mode, f, fc, q, RATE);
          const ok = Math.abs(got - want) <= 1e-9 * Math.max(want, 1e-3);
          assert.ok(ok, `${NAMES[mode]} fc ${fc} q ${q} f ${f}: ${got} vs ${want}`);
        }
      }
    }
  }
});

Deno.test("SvfFilter measured gain at fc/2, fc and 2fc is within 1 dB of svfMagnitude in every mode", () => {
  let worst = 0;
  for (const mode of MODES) {
    for (const fc of [100, 1000, 5000]) {
      for (const resonance of [0, 0.5, 0.9]) {
        const q = resonanceToQ(resonance);
        const h = impulseResponse(new SvfFilter(RATE, { mode, cutoffHz: fc, resonance }), RATE);
        for (const f of [fc / 2, fc, 2 * fc]) {
          const what = `${NAMES[mode]} fc ${fc} res ${resonance} f ${f}`;
          const want = svfMagnitude(mode, f, fc, q, RATE);
          const got = responseAt(h, f);
          if (mode === SvfMode.Notch && f === fc) {
            // The analytic gain is 0 (-Infinity dB): require a deep notch instead.
            assert.ok(gainToDb(got) < -80, `${what}: notch depth ${gainToDb(got)} dB`);
            continue;
          }
          const diff = gainToDb(got) - gainToDb(want);
          worst = Math.max(worst, Math.abs(diff));
          assert.ok(Math.abs(diff) < 1, `${what}: off by ${diff} dB`);
        }
      }
    }
  }
  // The filter is exactly the bilinear transform, so agreement is far better than 1 dB.
  assert.ok(worst < 1e-6, `worst deviation ${worst} dB`);
});

Deno.test("SvfFilter in low-pass mode equals SvfLowpass sample for sample, gliding included", () => {
  const rand = seededRandom(5);
  const a = new SvfFilter(RATE, { cutoffHz: 300, resonance: 0.1 });
  const b = new SvfLowpass(RATE, { cutoffHz: 300, resonance: 0.1 });
  // The last three: resonance only, with and without modulation, then cutoff only.
  const targets = [
    [9000, 0.9],
    [40, 0.4],
    [30000, 1],
    [1000, 0],
    [1000, 0.7],
    [1000, 0.2],
    [2000, 0.2],
  ] as const;
  const bufA = new Float64Array(BLOCK);
  const bufB = new Float64Array(BLOCK);
  const zeros = new Float64Array(BLOCK);
  for (let blk = 0; blk < 100 * targets.length; blk++) {
    if (blk % 100 === 0) {
      const [c, r] = targets[blk / 100] as readonly [number, number];
      for (const f of [a, b]) {
        f.setCutoff(c);
        f.setResonance(r);
      }
    }
    for (let i = 0; i < BLOCK; i++) bufA[i] = bufB[i] = rand() * 2 - 1;
    // Zero modulation (the modulated path, same output) now and then.
    a.process(bufA, 0, 77, blk % 100 > 60 && blk % 100 < 70 ? zeros : undefined);
    a.process(bufA, 77, BLOCK);
    b.process(bufB, 0, BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      if (!Object.is(bufA[i], bufB[i])) {
        assert.fail(`block ${blk} sample ${i}: ${bufA[i]} vs ${bufB[i]}`);
      }
    }
  }
});

Deno.test("SvfFilter crossfades a mode change, then equals a filter that was in that mode all along", () => {
  const rand = seededRandom(11);
  const switched = new SvfFilter(RATE, { mode: SvfMode.Lowpass, cutoffHz: 2000, resonance: 0.3 });
  const hp = new SvfFilter(RATE, { mode: SvfMode.Highpass, cutoffHz: 2000, resonance: 0.3 });
  const abrupt = new SvfFilter(RATE, { cutoffHz: 2000, resonance: 0.3, smoothingMs: 0 });
  let maxStep = 0;
  let maxAbruptStep = 0;
  let prev = 0;
  let prevAbrupt = 0;
  for (let n = 0; n < RATE / 2; n++) {
    if (n === 5040) {
      switched.setMode(SvfMode.Highpass);
      abrupt.setMode(SvfMode.Highpass);
    }
    // A slow sine: the low-pass passes it, the high-pass removes it, so the switch is a big change.
    const x = Math.sin((2 * Math.PI * 50 * n) / RATE) + 0.01 * (rand() - 0.5);
    const y = switched.next(x);
    const yAbrupt = abrupt.next(x);
    const yHp = hp.next(x);
    if (n > 0) {
      maxStep = Math.max(maxStep, Math.abs(y - prev));
      maxAbruptStep = Math.max(maxAbruptStep, Math.abs(yAbrupt - prevAbrupt));
    }
    prev = y;
    prevAbrupt = yAbrupt;
    if (n > RATE / 4 && !Object.is(y, yHp)) assert.fail(`sample ${n}: ${y} vs ${yHp}`);
  }
  assert.equal(switched.mode, SvfMode.Highpass);
  assert.ok(maxAbruptStep > 0.5, `the abrupt switch jumps ${maxAbruptStep}`);
  assert.ok(maxStep < 0.05, `the crossfade steps at most ${maxStep}`);
  assert.throws(() => switched.setMode(4 as SvfModeId), RangeError);
  assert.throws(() => switched.setMode(NaN as SvfModeId), RangeError);
});

Deno.test("SvfFilter cutoff modulation in octaves equals a filter at the modulated cutoff", () => {
  const rand = seededRandom(21);
  for (const mode of MODES) {
    for (
      const [octaves, cutoff] of [[1, 2000], [-2, 250], [NaN, 20], [-Infinity, 20], [1e30, 21600]]
    ) {
      const modulated = new SvfFilter(RATE, { mode, cutoffHz: 1000, resonance: 0.7 });
      const fixed = new SvfFilter(RATE, { mode, cutoffHz: cutoff as number, resonance: 0.7 });
      const mod = new Float64Array(BLOCK).fill(octaves as number);
      const a = new Float64Array(BLOCK);
      const b = new Float64Array(BLOCK);
      for (let blk = 0; blk < 50; blk++) {
        for (let i = 0; i < BLOCK; i++) a[i] = b[i] = rand() * 2 - 1;
        modulated.process(a, 0, BLOCK, mod);
        fixed.process(b, 0, BLOCK);
        for (let i = 0; i < BLOCK; i++) {
          if (!Object.is(a[i], b[i])) {
            assert.fail(`${NAMES[mode]} ${octaves} octaves: sample ${i}: ${a[i]} vs ${b[i]}`);
          }
        }
      }
    }
  }
});

Deno.test("keyTrackOctaves follows the note by the amount, relative to middle C", () => {
  assert.equal(keyTrackOctaves(261.6255653005986, 1), 0);
  assert.ok(Math.abs(keyTrackOctaves(523.2511306011972, 1) - 1) < 1e-12);
  assert.ok(Math.abs(keyTrackOctaves(65.40639132514966, 0.5) + 1) < 1e-12);
  assert.equal(keyTrackOctaves(1000, 0), 0);
  assert.equal(keyTrackOctaves(1046.5022612023945, 7), keyTrackOctaves(1046.5022612023945, 1));
  assert.equal(keyTrackOctaves(1046.5022612023945, -1), 0);
  assert.throws(() => keyTrackOctaves(0, 1), RangeError);
  assert.throws(() => keyTrackOctaves(Infinity, 1), RangeError);
  assert.throws(() => keyTrackOctaves(440, NaN), RangeError);
  // Fed per sample with an envelope amount, a voice's cutoff follows both.
  const filter = new SvfFilter(RATE, { cutoffHz: 500, resonance: 0 });
  const reference = new SvfFilter(RATE, { cutoffHz: 500 * 2 * 2 ** 1.5, resonance: 0 });
  const env = 0.75;
  const mod = new Float64Array(BLOCK).fill(env * 2 + keyTrackOctaves(2 * 261.6255653005986, 1));
  const a = new Float64Array(BLOCK).fill(0.5);
  const b = new Float64Array(BLOCK).fill(0.5);
  filter.process(a, 0, BLOCK, mod);
  reference.process(b, 0, BLOCK);
  for (let i = 0; i < BLOCK; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) < 1e-12);
});

Deno.test("SvfFilter stays bounded with the cutoff swept 20 Hz..20 kHz at 1 kHz and maximum resonance", () => {
  for (const mode of MODES) {
    const rand = seededRandom(100 + mode);
    const filter = new SvfFilter(RATE, { mode, cutoffHz: 20, resonance: 1 });
    const buf = new Float64Array(BLOCK);
    const mod = new Float64Array(BLOCK);
    let peak = 0;
    for (let b = 0; b < RATE; b += BLOCK) {
      for (let i = 0; i < BLOCK; i++) {
        // 20 Hz · 2^(log2(1000)·(0.5 + 0.5·sin)): 20 Hz .. 20 kHz, exponentially, 1000 times a second.
        mod[i] = Math.log2(1000) * (0.5 + 0.5 * Math.sin((2 * Math.PI * 1000 * (b + i)) / RATE));
        buf[i] = rand() * 2 - 1;
      }
      filter.process(buf, 0, BLOCK, mod);
      assertAllFinite(buf, NAMES[mode] as string);
      for (let i = 0; i < BLOCK; i++) peak = Math.max(peak, Math.abs(buf[i] as number));
    }
    // A static Q = 20 filter peaks at 20x; modulation must not blow up beyond twice that.
    assert.ok(peak < 2 * SVF_MAX_Q, `${NAMES[mode]}: peak ${peak}`);
  }
});

Deno.test("SvfFilter rings down to exact zeros and reads non-finite input as 0", () => {
  for (const mode of MODES) {
    const filter = new SvfFilter(RATE, { mode, cutoffHz: 300, resonance: 0.9 });
    filter.next(1);
    let zeroAt = -1;
    for (let n = 0; n < 10 * RATE; n++) {
      const y = filter.next(0);
      if (y !== 0 && Math.abs(y) < 2.2250738585072014e-308) assert.fail(`subnormal ${y} at ${n}`);
      if (y === 0 && zeroAt < 0) zeroAt = n;
      if (zeroAt >= 0 && y !== 0) assert.fail(`${NAMES[mode]}: output ${y} after reaching 0`);
    }
    assert.ok(zeroAt > 0, `${NAMES[mode]}: state never flushed to 0`);
    for (const x of [NaN, Infinity, -Infinity]) assert.equal(filter.next(x), 0);
    filter.next(1);
    assert.ok(Number.isFinite(filter.next(0.5)));
  }
});

Deno.test("SvfFilter output stays finite whatever the setters and modulation are given (fuzz)", () => {
  const rand = seededRandom(77);
  const nasty = [NaN, Infinity, -Infinity, 1e30, -1e30, -5, 0, 1, 0.5, 1e-30, 20000, 1e308];
  const pick = () =>
    rand() < 0.5 ? nasty[Math.floor(rand() * nasty.length)] as number : rand() * 4e4 - 1e4;
  const filter = new SvfFilter(RATE, { resonance: 1 });
  const buf = new Float64Array(BLOCK);
  const mod = new Float64Array(BLOCK);
  for (let step = 0; step < 2000; step++) {
    const value = pick();
    try {
      switch (step % 3) {
        case 0:
          filter.setCutoff(value);
          break;
        case 1:
          filter.setResonance(value);
          break;
        default:
          filter.setMode(Math.floor(rand() * 6) as SvfModeId);
      }
    } catch (e) {
      assert.ok(e instanceof RangeError, `step ${step}: ${e}`);
    }
    for (let i = 0; i < BLOCK; i++) {
      buf[i] = rand() < 0.01 ? pick() : rand() * 2 - 1;
      mod[i] = rand() < 0.05 ? pick() : rand() * 20 - 10;
    }
    const nonFiniteIn = buf.some((x) => Math.abs(x) > 1e300);
    filter.process(buf, 0, BLOCK, step % 2 === 0 ? mod : undefined);
    if (!nonFiniteIn) assertAllFinite(buf, `step ${step}`);
    assert.ok(Number.isFinite(filter.cutoff) && Number.isFinite(filter.q));
  }
});

Deno.test("SvfFilter snapshot continues bit-identically mid-glide and mid-crossfade", () => {
  const rand = seededRandom(99);
  const a = new SvfFilter(RATE, { cutoffHz: 400, resonance: 0.2 });
  for (let n = 0; n < 1000; n++) a.next(rand() - 0.5);
  a.setCutoff(9000);
  a.setResonance(0.95);
  a.setMode(SvfMode.Bandpass);
  for (let n = 0; n < 50; n++) a.next(rand() - 0.5);
  const state = new Float64Array(SVF_FILTER_STATE_SIZE + 2);
  assert.equal(a.stateSize, SVF_FILTER_STATE_SIZE);
  assert.equal(a.saveState(state, 2), SVF_FILTER_STATE_SIZE + 2);
  const b = new SvfFilter(RATE, { mode: SvfMode.Notch });
  assert.equal(b.loadState(state, 2), SVF_FILTER_STATE_SIZE + 2);
  assert.equal(b.mode, SvfMode.Bandpass);
  const mod = new Float64Array(BLOCK);
  const bufA = new Float64Array(BLOCK);
  const bufB = new Float64Array(BLOCK);
  for (let blk = 0; blk < 200; blk++) {
    for (let i = 0; i < BLOCK; i++) {
      bufA[i] = bufB[i] = rand() - 0.5;
      mod[i] = rand() - 0.5;
    }
    a.process(bufA, 0, BLOCK, blk % 3 === 0 ? mod : undefined);
    b.process(bufB, 0, BLOCK, blk % 3 === 0 ? mod : undefined);
    for (let i = 0; i < BLOCK; i++) {
      if (!Object.is(bufA[i], bufB[i])) {
        assert.fail(`block ${blk} sample ${i}: ${bufA[i]} vs ${bufB[i]}`);
      }
    }
  }
});

/** Render `blocks` blocks with per-sample modulation and setter changes that keep smoothers gliding. */
function renderScenario(
  filter: SvfFilter,
  buf: Float64Array,
  mod: Float64Array,
  blocks: number,
): void {
  for (let b = 0; b < blocks; b++) {
    filter.process(buf, 0, 50, mod);
    // Whole-number values: passing them boxes nothing, so only process can allocate.
    filter.setCutoff((b % 7) * 300 + 100);
    if (b % 64 === 0) filter.setMode(((b >> 6) % 4) as SvfModeId);
    filter.process(buf, 50, BLOCK);
  }
}

Deno.test("SvfFilter.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const filter = new SvfFilter(RATE, { resonance: 0.8 });
  const rand = seededRandom(3);
  const buf = new Float64Array(BLOCK).map(() => rand() * 0.1);
  const mod = new Float64Array(BLOCK).map(() => rand() * 2 - 1);
  renderScenario(filter, buf, mod, 20000); // let V8 optimise first
  const bytes = await sampledAllocation(
    () => renderScenario(filter, buf, mod, 40000),
    "renderScenario",
  );
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~640 KB.
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while rendering 40000 blocks`);
});

/** A voice start: glide to a new cutoff (a whole number: nothing boxed here), reset. */
function startFilter(filter: SvfFilter, b: number): void {
  filter.setCutoff(300 + (b & 31) * 10);
  filter.reset();
}

/**
 * Voices starting from silence, as an instrument does it: each block one of
 * eight filters starts, then all eight filter a chunk under modulation, the
 * started one gliding to its new cutoff.
 */
function voiceStartScenario(
  filters: readonly SvfFilter[],
  buf: Float64Array,
  mod: Float64Array,
  blocks: number,
): void {
  for (let b = 0; b < blocks; b++) {
    startFilter(filters[b & 7] as SvfFilter, b);
    for (let k = 0; k < filters.length; k++) (filters[k] as SvfFilter).process(buf, 0, 32, mod);
  }
}

Deno.test("SvfFilter.reset, then gliding under modulation, allocates nothing (V8 heap sampling)", async () => {
  const filters = Array.from({ length: 8 }, () => new SvfFilter(RATE, { resonance: 0.3 }));
  const rand = seededRandom(5);
  const buf = new Float64Array(BLOCK).map(() => rand() * 0.1);
  const mod = new Float64Array(BLOCK).map(() => rand() * 2 - 1);
  voiceStartScenario(filters, buf, mod, 5000); // let V8 optimise first
  const bytes = await sampledAllocation(
    () => voiceStartScenario(filters, buf, mod, 10000),
    "voiceStartScenario",
  );
  // Before the fix about 1 MB here: some 75 bytes per reset (boxed smoother values
  // and an iterator) and 32 per chunk of the gliding filter (two getters not
  // inlined in the coefficient update, each returning a boxed double).
  // 16 bytes per block would show as ~160 KB.
  assert.ok(bytes < 32 * 1024, `${bytes} bytes sampled over 10000 blocks`);
});
