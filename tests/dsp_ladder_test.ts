import assert from "node:assert/strict";
import {
  LADDER_LOOP_LIMIT,
  LADDER_MAX_FEEDBACK,
  LADDER_SELF_OSCILLATION,
  LADDER_STATE_SIZE,
  ladderFeedback,
  LadderFilter,
  ladderMagnitude,
} from "../dsp/ladder.ts";
import { SVF_MIN_CUTOFF } from "../dsp/svf_lowpass.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";
import { gainToDb, magnitudeSpectrum, peakFrequency, rms } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;

/** A complex number as [re, im]. */
type Complex = readonly [number, number];
const mul = (a: Complex, b: Complex): Complex => [
  a[0] * b[0] - a[1] * b[1],
  a[0] * b[1] + a[1] * b[0],
];
const div = (a: Complex, b: Complex): Complex => {
  const d = b[0] * b[0] + b[1] * b[1];
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
};

/**
 * |H(e^jω)| of the ladder built from its z-domain parts: each TPT one-pole is
 * H1(z) = g(1 + z⁻¹) / ((1 + g) − (1 − g)z⁻¹), and the zero-delay loop gives
 * H = H1⁴ / (1 + k·H1⁴). An independent route to ladderMagnitude.
 */
function zMagnitude(freqHz: number, cutoffHz: number, resonance: number): number {
  const g = Math.tan((Math.PI * cutoffHz) / RATE);
  const k = LADDER_MAX_FEEDBACK * resonance;
  const w = (2 * Math.PI * freqHz) / RATE;
  const zi: Complex = [Math.cos(w), -Math.sin(w)];
  const h1 = div([g * (1 + zi[0]), g * zi[1]], [1 + g - (1 - g) * zi[0], -(1 - g) * zi[1]]);
  const h2 = mul(h1, h1);
  const h4 = mul(h2, h2);
  const h = div(h4, [1 + k * h4[0], k * h4[1]]);
  return Math.hypot(h[0], h[1]);
}

/** |Σ h[n] e^(−jωn)|: the response at `freqHz` from a (decayed) impulse response. */
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

function assertAllFinite(signal: ArrayLike<number>, what: string): void {
  for (let n = 0; n < signal.length; n++) {
    if (!Number.isFinite(signal[n])) assert.fail(`${what}: sample ${n} is ${signal[n]}`);
  }
}

/** Run `filter` over `input` in blocks of BLOCK (in place on a copy); returns the output. */
function render(filter: LadderFilter, input: Float64Array): Float64Array {
  const out = input.slice();
  for (let b = 0; b < out.length; b += BLOCK) {
    filter.process(out, b, Math.min(b + BLOCK, out.length));
  }
  return out;
}

Deno.test("LadderFilter render loop may use the literals it inlines for the shared constants", () => {
  // ladder.ts writes these as literals inside its per-sample loop (see the comment there).
  assert.equal(SVF_MIN_CUTOFF, 20);
  assert.equal(LADDER_LOOP_LIMIT, 16);
});

Deno.test("ladderFeedback maps resonance 0..1 to k = 4.2·resonance, k = 4 at the threshold", () => {
  assert.equal(ladderFeedback(0), 0);
  assert.equal(ladderFeedback(1), LADDER_MAX_FEEDBACK);
  assert.equal(ladderFeedback(0.5), 2.1);
  assert.equal(ladderFeedback(-2), 0);
  assert.equal(ladderFeedback(9), LADDER_MAX_FEEDBACK);
  assert.ok(Math.abs(ladderFeedback(LADDER_SELF_OSCILLATION) - 4) < 1e-15);
  assert.throws(() => ladderFeedback(NaN), RangeError);
});

Deno.test("ladderMagnitude is 1/(1+k) at DC, -12 dB at the cutoff without resonance, 0 at Nyquist", () => {
  for (const r of [0, 0.3, 0.9]) {
    const dc = ladderMagnitude(0, 1000, r, RATE);
    assert.ok(Math.abs(dc - 1 / (1 + LADDER_MAX_FEEDBACK * r)) < 1e-12, `resonance ${r}: ${dc}`);
  }
  assert.ok(Math.abs(ladderMagnitude(1000, 1000, 0, RATE) - 0.25) < 1e-12);
  // At the cutoff (1 + j)⁴ = −4, so the gain is 1 / (4 − k): it grows without bound toward k = 4.
  assert.ok(Math.abs(ladderMagnitude(1000, 1000, 0.9, RATE) - 1 / (4 - 3.78)) < 1e-9);
  assert.equal(ladderMagnitude(RATE / 2, 1000, 0.5, RATE), 0);
  // 24 dB per octave well above the cutoff.
  const slope = gainToDb(ladderMagnitude(4000, 250, 0, RATE)) -
    gainToDb(ladderMagnitude(2000, 250, 0, RATE));
  assert.ok(Math.abs(slope + 24) < 1, `slope ${slope} dB/octave`);
  assert.throws(() => ladderMagnitude(-1, 1000, 0, RATE), RangeError);
  assert.throws(() => ladderMagnitude(30000, 1000, 0, RATE), RangeError);
  assert.throws(() => ladderMagnitude(100, NaN, 0, RATE), RangeError);
  assert.throws(() => ladderMagnitude(100, 1000, NaN, RATE), RangeError);
});

Deno.test("ladderMagnitude equals the z-domain transfer function of the TPT ladder", () => {
  for (const fc of [20, 250, 3000, 15000]) {
    for (const r of [0, 0.5, 0.9, 0.95]) {
      for (const f of [10, fc / 3, fc * 0.9, Math.min(fc * 1.7, 23000), 20000]) {
        const want = zMagnitude(f, fc, r);
        const got = ladderMagnitude(f, fc, r, RATE);
        assert.ok(Math.abs(got / want - 1) < 1e-9, `fc ${fc} r ${r} f ${f}: ${got} vs ${want}`);
      }
    }
  }
});

Deno.test("LadderFilter measured gain at fc/2, fc and 2fc is within 1 dB of ladderMagnitude", () => {
  let worst = 0;
  for (const saturation of [false, true]) {
    // Small enough that tanh is linear to 1e-8: the saturating filter's small-signal response.
    const level = saturation ? 1e-4 : 1;
    for (const fc of [100, 1000, 5000]) {
      for (const resonance of [0, 0.5, 0.9]) {
        const filter = new LadderFilter(RATE, { cutoffHz: fc, resonance, saturation });
        const impulse = new Float64Array(2 * RATE);
        impulse[0] = level;
        const h = render(filter, impulse);
        for (const f of [fc / 2, fc, 2 * fc]) {
          const measured = responseAt(h, f) / level;
          const diff = gainToDb(measured) - gainToDb(ladderMagnitude(f, fc, resonance, RATE));
          worst = Math.max(worst, Math.abs(diff));
          const what = `saturation ${saturation} fc ${fc} res ${resonance} f ${f}`;
          assert.ok(Math.abs(diff) < 1, `${what}: off by ${diff} dB`);
        }
      }
    }
  }
  assert.ok(worst < 1e-3, `worst deviation ${worst} dB`);
});

Deno.test("LadderFilter self-oscillates near the cutoff above the threshold and rings out below it", () => {
  for (const saturation of [true, false]) {
    for (const fc of [500, 2000]) {
      const rand = seededRandom(fc);
      const input = new Float64Array(2 * RATE);
      for (let n = 0; n < 480; n++) input[n] = (rand() * 2 - 1) * 0.1; // a 10 ms burst, then silence
      const osc = render(new LadderFilter(RATE, { cutoffHz: fc, resonance: 1, saturation }), input);
      const what = `saturation ${saturation} fc ${fc}`;
      const early = rms(osc, RATE, RATE + 4800);
      const late = rms(osc, 2 * RATE - 4800, 2 * RATE);
      assert.ok(late > 0.01, `${what}: oscillation level ${late}`);
      assert.ok(Math.abs(late / early - 1) < 0.01, `${what}: level ${early} then ${late}`);
      const f = peakFrequency(magnitudeSpectrum(osc, { start: RATE, size: 32768 }));
      assert.ok(Math.abs(f / fc - 1) < 0.02, `${what}: oscillates at ${f} Hz`);
      if (!saturation) assert.ok(late < LADDER_LOOP_LIMIT, `${what}: level ${late}`);
      const below = render(
        new LadderFilter(RATE, { cutoffHz: fc, resonance: 0.9, saturation }),
        input,
      );
      assert.ok(rms(below, 2 * RATE - 4800, 2 * RATE) < 1e-9, `${what}: rings out below threshold`);
    }
  }
});

Deno.test("LadderFilter cutoff modulation in octaves equals a filter at the modulated cutoff", () => {
  const rand = seededRandom(21);
  for (const saturation of [false, true]) {
    for (
      const [octaves, cutoff] of [[1, 2000], [-2, 250], [NaN, 20], [-Infinity, 20], [1e30, 21600]]
    ) {
      const modulated = new LadderFilter(RATE, { cutoffHz: 1000, resonance: 0.8, saturation });
      const fixed = new LadderFilter(RATE, {
        cutoffHz: cutoff as number,
        resonance: 0.8,
        saturation,
      });
      const mod = new Float64Array(BLOCK).fill(octaves as number);
      const a = new Float64Array(BLOCK);
      const b = new Float64Array(BLOCK);
      for (let blk = 0; blk < 50; blk++) {
        for (let i = 0; i < BLOCK; i++) a[i] = b[i] = rand() * 2 - 1;
        modulated.process(a, 0, BLOCK, mod);
        fixed.process(b, 0, BLOCK);
        for (let i = 0; i < BLOCK; i++) {
          if (!Object.is(a[i], b[i])) {
            assert.fail(`${octaves} octaves: sample ${i}: ${a[i]} vs ${b[i]}`);
          }
        }
      }
    }
  }
});

Deno.test("LadderFilter stays bounded with the cutoff swept 20 Hz..20 kHz at 1 kHz and maximum resonance", () => {
  for (const saturation of [true, false]) {
    const rand = seededRandom(saturation ? 1 : 2);
    const filter = new LadderFilter(RATE, { cutoffHz: SVF_MIN_CUTOFF, resonance: 1, saturation });
    const buf = new Float64Array(BLOCK);
    const mod = new Float64Array(BLOCK);
    let peak = 0;
    for (let b = 0; b < RATE; b += BLOCK) {
      for (let i = 0; i < BLOCK; i++) {
        mod[i] = Math.log2(1000) * (0.5 + 0.5 * Math.sin((2 * Math.PI * 1000 * (b + i)) / RATE));
        buf[i] = rand() * 2 - 1;
      }
      filter.process(buf, 0, BLOCK, mod);
      assertAllFinite(buf, `saturation ${saturation}`);
      for (let i = 0; i < BLOCK; i++) peak = Math.max(peak, Math.abs(buf[i] as number));
    }
    // Saturated, the loop input is within ±1 and the passive stages cannot amplify
    // much; linear, the loop input is clipped at ±LADDER_LOOP_LIMIT.
    const bound = saturation ? 2 : LADDER_LOOP_LIMIT;
    assert.ok(peak < bound, `saturation ${saturation}: peak ${peak}`);
  }
});

Deno.test("LadderFilter rings down to exact zeros and reads non-finite input as 0", () => {
  for (const saturation of [true, false]) {
    const filter = new LadderFilter(RATE, { cutoffHz: 300, resonance: 0.9, saturation });
    filter.next(1);
    let zeroAt = -1;
    for (let n = 0; n < 10 * RATE; n++) {
      const y = filter.next(0);
      if (y !== 0 && Math.abs(y) < 2.2250738585072014e-308) assert.fail(`subnormal ${y} at ${n}`);
      if (y === 0 && zeroAt < 0) zeroAt = n;
      if (zeroAt >= 0 && y !== 0) assert.fail(`output ${y} after reaching 0`);
    }
    assert.ok(zeroAt > 0, "state never flushed to 0");
    for (const x of [NaN, Infinity, -Infinity]) assert.equal(filter.next(x), 0);
  }
});

Deno.test("LadderFilter output stays finite whatever the setters and modulation are given (fuzz)", () => {
  const rand = seededRandom(78);
  const nasty = [NaN, Infinity, -Infinity, 1e30, -1e30, -5, 0, 1, 0.5, 1e-30, 20000, 1e308];
  const pick = () =>
    rand() < 0.5 ? nasty[Math.floor(rand() * nasty.length)] as number : rand() * 4e4 - 1e4;
  const filter = new LadderFilter(RATE, { resonance: 1 });
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
          filter.setSaturation(rand() < 0.5);
      }
    } catch (e) {
      assert.ok(e instanceof RangeError, `step ${step}: ${e}`);
    }
    for (let i = 0; i < BLOCK; i++) {
      buf[i] = rand() < 0.01 ? pick() : rand() * 2 - 1;
      mod[i] = rand() < 0.05 ? pick() : rand() * 20 - 10;
    }
    filter.process(buf, 0, BLOCK, step % 2 === 0 ? mod : undefined);
    // Loop input clipped or saturated: even 1e308 at the input gives a bounded output.
    assertAllFinite(buf, `step ${step}`);
    assert.ok(Number.isFinite(filter.cutoff) && Number.isFinite(filter.resonance));
  }
});

Deno.test("LadderFilter snapshot continues bit-identically mid-glide", () => {
  const rand = seededRandom(99);
  const a = new LadderFilter(RATE, { cutoffHz: 400, resonance: 0.2, saturation: false });
  for (let n = 0; n < 1000; n++) a.next(rand() - 0.5);
  a.setCutoff(9000);
  a.setResonance(0.97);
  for (let n = 0; n < 50; n++) a.next(rand() - 0.5);
  const state = new Float64Array(LADDER_STATE_SIZE);
  assert.equal(a.stateSize, LADDER_STATE_SIZE);
  assert.equal(a.saveState(state, 0), LADDER_STATE_SIZE);
  const b = new LadderFilter(RATE);
  assert.equal(b.loadState(state, 0), LADDER_STATE_SIZE);
  assert.equal(b.saturation, false);
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
  filter: LadderFilter,
  buf: Float64Array,
  mod: Float64Array,
  blocks: number,
) {
  for (let b = 0; b < blocks; b++) {
    filter.process(buf, 0, 50, mod);
    // Whole-number values: passing them boxes nothing, so only process can allocate.
    filter.setCutoff((b % 7) * 300 + 100);
    filter.setResonance(b & 1);
    if (b % 64 === 0) filter.setSaturation((b & 64) === 0);
    filter.process(buf, 50, BLOCK);
  }
}

Deno.test("LadderFilter.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const filter = new LadderFilter(RATE, { resonance: 0.8 });
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
