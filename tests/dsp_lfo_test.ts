import assert from "node:assert/strict";
import {
  Lfo,
  LFO_STATE_SIZE,
  lfoPeriodFrames,
  LfoShape,
  type LfoShapeId,
  syncedRateHz,
} from "../dsp/lfo.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";

const RATE = 48000;
const BLOCK = 128;
const SHAPES: readonly LfoShapeId[] = [
  LfoShape.Sine,
  LfoShape.Triangle,
  LfoShape.SawUp,
  LfoShape.SawDown,
  LfoShape.Square,
  LfoShape.SampleHold,
];

/** `frames` values of `lfo`, rendered in blocks of BLOCK. */
function render(lfo: Lfo, frames: number): Float64Array {
  const out = new Float64Array(frames);
  for (let b = 0; b < frames; b += BLOCK) lfo.process(out, b, Math.min(b + BLOCK, frames));
  return out;
}

/** The shapes of lfo.ts at phase φ in [0, 1), written out from the module doc (S&H excluded). */
function shapeAt(shape: LfoShapeId, phase: number): number {
  switch (shape) {
    case LfoShape.Sine:
      return Math.sin(2 * Math.PI * phase);
    case LfoShape.Triangle:
      return phase < 0.25 ? 4 * phase : phase < 0.75 ? 2 - 4 * phase : 4 * phase - 4;
    case LfoShape.SawUp:
      return 2 * phase - 1;
    case LfoShape.SawDown:
      return 1 - 2 * phase;
    default:
      return phase < 0.5 ? 1 : -1;
  }
}

/** Sample indices n > 0 where a saw-up output falls (the first sample of each new cycle). */
function cycleStarts(saw: Float64Array): number[] {
  const starts: number[] = [];
  for (let n = 1; n < saw.length; n++) {
    if ((saw[n] as number) < (saw[n - 1] as number)) starts.push(n);
  }
  return starts;
}

Deno.test("syncedRateHz and lfoPeriodFrames give exact periods for note divisions", () => {
  assert.equal(syncedRateHz(120, 1), 2);
  assert.equal(syncedRateHz(120, 0.5), 4);
  assert.equal(syncedRateHz(90, 4), 0.375);
  assert.equal(lfoPeriodFrames(syncedRateHz(120, 1), RATE), 24000); // 1/4
  assert.equal(lfoPeriodFrames(syncedRateHz(120, 0.75), RATE), 18000); // 1/8.
  assert.equal(lfoPeriodFrames(syncedRateHz(120, 1 / 6), RATE), 4000); // 1/16t
  assert.equal(lfoPeriodFrames(syncedRateHz(140, 2 / 3), RATE), 13714.285714285714); // 1/4t
  assert.equal(lfoPeriodFrames(3, 44100), 14700);
  assert.equal(lfoPeriodFrames(1e9, RATE), 2);
  assert.throws(() => syncedRateHz(0, 1), RangeError);
  assert.throws(() => syncedRateHz(120, -1), RangeError);
  assert.throws(() => syncedRateHz(NaN, 1), RangeError);
  assert.throws(() => lfoPeriodFrames(0, RATE), RangeError);
  assert.throws(() => lfoPeriodFrames(1, 10), RangeError);
});

Deno.test("Lfo shapes follow their formulas at every sample of a period", () => {
  for (const shape of SHAPES.filter((s) => s !== LfoShape.SampleHold)) {
    for (const unipolar of [false, true]) {
      const out = render(new Lfo(RATE, { shape, rateHz: 3, unipolar }), 16000);
      for (let n = 0; n < 16000; n++) {
        const y = shapeAt(shape, n / 16000);
        const want = unipolar ? (y + 1) / 2 : y;
        // The sine is a wavetable: within 3e-7 of Math.sin; the others are exact formulas.
        const tolerance = shape === LfoShape.Sine ? 3e-7 : 1e-15;
        if (!(Math.abs((out[n] as number) - want) <= tolerance)) {
          assert.fail(
            `shape ${shape} unipolar ${unipolar}: sample ${n} is ${out[n]}, expected ${want}`,
          );
        }
      }
    }
  }
});

Deno.test("Lfo period is exact to the sample in Hz, whole or fractional", () => {
  // 3 Hz: 16000 frames; the saw is 2(n mod P)/P - 1 exactly, for ten periods.
  const saw = render(new Lfo(RATE, { shape: LfoShape.SawUp, rateHz: 3 }), 160000);
  for (let n = 0; n < saw.length; n++) {
    if (saw[n] !== 2 * ((n % 16000) / 16000) - 1) assert.fail(`sample ${n}: ${saw[n]}`);
  }
  // 7 Hz: 6857.142857… frames; cycle k starts at the first sample at or after k·P.
  const period = RATE / 7;
  const starts = cycleStarts(render(new Lfo(RATE, { shape: LfoShape.SawUp, rateHz: 7 }), 70000));
  assert.equal(starts.length, 10);
  starts.forEach((n, i) => assert.equal(n, Math.ceil((i + 1) * period - 1e-6), `cycle ${i + 1}`));
});

Deno.test("Lfo synced to 120 bpm repeats every 24000 samples at 1/4, 18000 at 1/8., 4000 at 1/16t", () => {
  for (const [beats, frames] of [[1, 24000], [0.75, 18000], [1 / 6, 4000]] as const) {
    const lfo = new Lfo(RATE, { shape: LfoShape.Square });
    lfo.setTempo(120, beats);
    assert.equal(lfo.periodFrames, frames);
    assert.equal(lfo.rateHz, RATE / frames);
    const out = render(lfo, 10 * frames);
    const flips: number[] = [];
    for (let n = 1; n < out.length; n++) if (out[n] !== out[n - 1]) flips.push(n);
    assert.deepEqual(flips, Array.from({ length: 19 }, (_, i) => ((i + 1) * frames) / 2));
  }
});

Deno.test("Lfo keeps its phase through rate and tempo changes; rate 0 holds it", () => {
  const lfo = new Lfo(RATE, { shape: LfoShape.SawUp, rateHz: 2 });
  render(lfo, 6000); // a quarter of a 24000-frame period
  assert.equal(lfo.phase, 0.25);
  lfo.setRate(4);
  assert.equal(lfo.phase, 0.25);
  assert.equal(lfo.next(), -0.5);
  lfo.setRate(0);
  const held = render(lfo, 1000);
  assert.ok(held.every((y) => y === held[0]), "rate 0 holds the output");
  lfo.setTempo(60, 1);
  assert.equal(lfo.periodFrames, RATE);
  assert.ok(Math.abs(lfo.phase - (0.25 + 1 / 12000)) < 1e-12);
  lfo.setRate(1e9);
  assert.equal(lfo.periodFrames, 2);
  lfo.setRate(-3);
  assert.equal(lfo.rateHz, 0);
  assert.throws(() => lfo.setRate(NaN), RangeError);
  assert.throws(() => lfo.setTempo(0, 1), RangeError);
});

Deno.test("Lfo.resetPhase starts a new cycle at the given phase with the next sample", () => {
  const lfo = new Lfo(RATE, { shape: LfoShape.Sine, rateHz: 5 });
  render(lfo, 1234);
  lfo.resetPhase();
  assert.equal(lfo.next(), 0);
  lfo.resetPhase(0.25);
  assert.ok(Math.abs(lfo.next() - 1) < 1e-12);
  lfo.resetPhase(-0.25); // wraps to 0.75
  assert.ok(Math.abs(lfo.next() + 1) < 1e-12);
  lfo.setShape(LfoShape.SampleHold);
  const before = lfo.next();
  lfo.resetPhase();
  assert.notEqual(lfo.next(), before, "a reset draws a new sample-and-hold value");
  assert.throws(() => lfo.resetPhase(Infinity), RangeError);
  assert.throws(() => lfo.setShape(6 as LfoShapeId), RangeError);
});

Deno.test("Lfo sample-and-hold holds one seeded value per period, deterministic by seed", () => {
  const frames = 4000;
  const cycles = 500;
  const make = (seed: number) => {
    const lfo = new Lfo(RATE, { shape: LfoShape.SampleHold, seed });
    lfo.setTempo(120, 1 / 6);
    return render(lfo, cycles * frames);
  };
  const a = make(42);
  // The values are mulberry32's (tests/_random.ts), mapped to [-1, 1): one at the start, one per wrap.
  const rand = seededRandom(42);
  let sum = 0;
  for (let c = 0; c < cycles; c++) {
    const want = rand() * 2 - 1;
    sum += want;
    for (let i = 0; i < frames; i++) {
      if (a[c * frames + i] !== want) {
        assert.fail(`cycle ${c} sample ${i}: ${a[c * frames + i]} vs ${want}`);
      }
    }
  }
  assert.ok(Math.abs(sum / cycles) < 0.1, `mean ${sum / cycles}`);
  assert.deepEqual(make(42), a);
  const b = make(43);
  assert.notEqual(b[0], a[0]);
  assert.notEqual(b[frames], a[frames]);
  // Unipolar maps the same values to 0..1.
  const uni = new Lfo(RATE, { shape: LfoShape.SampleHold, seed: 42, unipolar: true }).next();
  assert.equal(uni, ((a[0] as number) + 1) / 2);
});

Deno.test("Lfo output stays finite and in range whatever the setters are given (fuzz)", () => {
  const rand = seededRandom(55);
  const nasty = [NaN, Infinity, -Infinity, 1e30, -1e30, -5, 0, 1, 0.5, 1e-30, 24000, 1e308];
  const pick = () =>
    rand() < 0.6 ? nasty[Math.floor(rand() * nasty.length)] as number : rand() * 100;
  const lfo = new Lfo(RATE);
  const out = new Float64Array(BLOCK);
  for (let step = 0; step < 3000; step++) {
    try {
      switch (step % 6) {
        case 0:
          lfo.setRate(pick());
          break;
        case 1:
          lfo.setTempo(pick(), pick());
          break;
        case 2:
          lfo.setShape(Math.floor(pick()) as LfoShapeId);
          break;
        case 3:
          lfo.resetPhase(pick());
          break;
        case 4:
          lfo.setSeed(pick());
          break;
        default:
          lfo.setUnipolar(rand() < 0.5);
      }
    } catch (e) {
      assert.ok(e instanceof RangeError, `step ${step}: ${e}`);
    }
    lfo.process(out, 0, 1 + Math.floor(rand() * BLOCK));
    for (const y of out) if (!(y >= -1 && y <= 1)) assert.fail(`step ${step}: ${y}`);
    assert.ok(lfo.phase >= 0 && lfo.phase < 1, `step ${step}: phase ${lfo.phase}`);
  }
});

Deno.test("Lfo snapshot continues bit-identically", () => {
  for (const shape of SHAPES) {
    const a = new Lfo(RATE, { shape, rateHz: 7.3, seed: 9 });
    render(a, 12345);
    const state = new Float64Array(LFO_STATE_SIZE + 1);
    assert.equal(a.stateSize, LFO_STATE_SIZE);
    assert.equal(a.saveState(state, 1), LFO_STATE_SIZE + 1);
    const b = new Lfo(RATE);
    assert.equal(b.loadState(state, 1), LFO_STATE_SIZE + 1);
    assert.deepEqual(render(b, 50000), render(a, 50000));
  }
});

/** Render `blocks` blocks, changing shape and rate every few blocks. */
function renderScenario(lfo: Lfo, out: Float64Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    lfo.process(out, 0, 50);
    if ((b & 15) === 0) lfo.setShape((b >> 4) % 6 as LfoShapeId);
    if ((b & 15) === 8) lfo.setRate((b & 255) + 1);
    lfo.process(out, 50, BLOCK);
  }
}

Deno.test("Lfo.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const lfo = new Lfo(RATE, { rateHz: 100 });
  const out = new Float64Array(BLOCK);
  renderScenario(lfo, out, 20000); // let V8 optimise first
  const bytes = await sampledAllocation(() => renderScenario(lfo, out, 40000), "renderScenario");
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~640 KB.
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while rendering 40000 blocks`);
});
