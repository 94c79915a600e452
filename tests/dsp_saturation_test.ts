import assert from "node:assert/strict";
import {
  saturate,
  Saturator,
  SATURATOR_LATENCY_FRAMES,
  SATURATOR_MAX_DRIVE_DB,
  SATURATOR_PEAK_BOUND,
  SATURATOR_STATE_SIZE,
  saturatorCompensation,
} from "../dsp/saturation.ts";
import { sampledAllocation } from "./_alloc.ts";
import { processInBlocks } from "./_stereo_blocks.ts";
import { seededRandom } from "./_random.ts";
import {
  BH_MAIN_LOBE_BINS,
  deinterleave,
  gainToDb,
  magnitudeSpectrum,
  maxAbs,
  toneAmplitude,
} from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;

/** Stereo sine of amplitude `amp` at `freq` Hz, both channels alike. */
function sine(freq: number, amp: number, frames: number): Float32Array {
  const buf = new Float32Array(2 * frames);
  const w = (2 * Math.PI * freq) / RATE;
  for (let n = 0; n < frames; n++) buf[2 * n] = buf[2 * n + 1] = amp * Math.sin(w * n);
  return buf;
}

/**
 * THD (harmonics 2..15 over the fundamental, as amplitude ratios) of the static
 * curve driven by a sine of amplitude `amp`: a DFT of one period of
 * saturate(amp·sin θ) computed at 4096 points, no audio involved.
 */
function curveThd(amp: number, driveDb: number): number {
  const points = 4096;
  const harmonics = new Float64Array(16);
  for (let k = 1; k < 16; k++) {
    let re = 0, im = 0;
    for (let i = 0; i < points; i++) {
      const theta = (2 * Math.PI * i) / points;
      const y = saturate(amp * Math.sin(theta), driveDb);
      re += y * Math.cos(k * theta);
      im += y * Math.sin(k * theta);
    }
    harmonics[k] = (2 * Math.hypot(re, im)) / points;
  }
  let sum = 0;
  for (let k = 2; k < 16; k++) sum += (harmonics[k] as number) ** 2;
  return Math.sqrt(sum) / (harmonics[1] as number);
}

/** THD of `signal` with fundamental `freq` Hz (harmonics 2..15), measured over `length` samples from `start`. */
function measuredThd(signal: Float64Array, freq: number, start: number, length: number): number {
  const opts = { start, length, sampleRate: RATE };
  let sum = 0;
  for (let k = 2; k < 16; k++) sum += toneAmplitude(signal, k * freq, opts) ** 2;
  return Math.sqrt(sum) / toneAmplitude(signal, freq, opts);
}

Deno.test("saturate is tanh(g·x)/tanh(g): odd, unity at full scale, bounded by 1/tanh(g)", () => {
  for (const drive of [0, 6, 12, 24, SATURATOR_MAX_DRIVE_DB]) {
    const g = Math.pow(10, drive / 20);
    assert.ok(Math.abs(saturate(1, drive) - 1) < 1e-12);
    assert.ok(Math.abs(saturate(-1, drive) + 1) < 1e-12);
    assert.ok(Math.abs(saturate(0.3, drive) - Math.tanh(0.3 * g) / Math.tanh(g)) < 1e-12);
    assert.ok(Math.abs(saturatorCompensation(drive) - 1 / Math.tanh(g)) < 1e-12);
    assert.ok(saturate(1e30, drive) <= 1 / Math.tanh(g));
  }
  assert.equal(saturate(0.5, -10), saturate(0.5, 0));
  assert.equal(saturate(0.5, 1e30), saturate(0.5, SATURATOR_MAX_DRIVE_DB));
  assert.throws(() => saturate(0.5, NaN), RangeError);
  assert.throws(() => saturatorCompensation(Infinity), RangeError);
});

Deno.test("Saturator THD rises with drive and matches the static curve's THD within 0.5 dB", () => {
  const amp = 0.5;
  const freq = 1000;
  for (const oversample of [true, false]) {
    let previous = 0;
    for (const drive of [0, 6, 12, 24, 36]) {
      const sat = new Saturator(RATE, { driveDb: drive, oversample });
      const buf = sine(freq, amp, 9600);
      processInBlocks(sat, buf);
      const thd = measuredThd(deinterleave(buf, 0), freq, 4800, 4800);
      const want = curveThd(amp, drive);
      const diff = gainToDb(thd) - gainToDb(want);
      assert.ok(
        Math.abs(diff) < 0.5,
        `oversample ${oversample} drive ${drive}: THD ${thd} vs ${want}`,
      );
      assert.ok(thd > previous, `oversample ${oversample}: THD fell at drive ${drive}`);
      previous = thd;
    }
  }
});

/** Energy in 0..20 kHz away from the harmonics of `freq`, over the harmonics' energy, in dB. */
function aliasLevelDb(signal: Float64Array, freq: number): number {
  const spectrum = magnitudeSpectrum(signal, { start: 8192, size: 1 << 15, sampleRate: RATE });
  let alias = 0, harmonic = 0;
  for (let k = 1; k * spectrum.binHz < 20000; k++) {
    const f = k * spectrum.binHz;
    const nearest = Math.round(f / freq) * freq;
    const e = (spectrum.magnitudes[k] as number) ** 2;
    if (nearest > 0 && Math.abs(f - nearest) <= (BH_MAIN_LOBE_BINS + 1) * spectrum.binHz) {
      harmonic += e;
    } else alias += e;
  }
  return 10 * Math.log10(alias / harmonic);
}

Deno.test("Saturator oversampling measurably lowers aliasing of driven 5 and 7 kHz tones", () => {
  // Measured when written (alias energy below 20 kHz relative to the harmonics):
  // 5 kHz at 12 dB drive -41 dB direct, -88 dB oversampled; at 24 dB drive -18 and
  // -35 dB: harmonics beyond the doubled rate still fold back at extreme drive.
  const cases = [[5000, 12, 30], [7000, 12, 30], [5000, 24, 12], [7000, 24, 8]] as const;
  for (const [freq, drive, improvement] of cases) {
    const levels: number[] = [];
    for (const oversample of [true, false]) {
      const sat = new Saturator(RATE, { driveDb: drive, oversample });
      const buf = sine(freq, 0.5, 8192 + (1 << 15));
      processInBlocks(sat, buf);
      levels.push(aliasLevelDb(deinterleave(buf, 0), freq));
    }
    const [with2x, without] = levels as [number, number];
    assert.ok(
      with2x < without - improvement,
      `${freq} Hz, drive ${drive} dB: aliases ${with2x} dB oversampled vs ${without} dB direct`,
    );
  }
});

Deno.test("Saturator output never exceeds SATURATOR_PEAK_BOUND, even for +40 dB input", () => {
  const rand = seededRandom(31);
  const frames = 20000;
  const inputs = [
    new Float32Array(2 * frames).map(() => 100 * (2 * rand() - 1)),
    new Float32Array(2 * frames).map((_, i) => ((i >> 6) & 1 ? 100 : -100)),
    new Float32Array(2 * frames).map((_, i) => (i % 97 === 0 ? 1e30 : 0)),
    new Float32Array(2 * frames).map((_, i) => (i % 2 ? 3.4e38 : -3.4e38)),
  ];
  for (const oversample of [true, false]) {
    for (const drive of [0, 12, SATURATOR_MAX_DRIVE_DB]) {
      for (const input of inputs) {
        const buf = input.slice();
        processInBlocks(new Saturator(RATE, { driveDb: drive, oversample }), buf);
        // Direct: the curve's bound 1/tanh(g), plus float32 rounding.
        const bound = oversample
          ? SATURATOR_PEAK_BOUND
          : saturatorCompensation(drive) * (1 + 2 ** -23);
        assert.ok(maxAbs(buf) <= bound, `oversample ${oversample} drive ${drive}: ${maxAbs(buf)}`);
        for (const x of buf) assert.ok(Number.isFinite(x));
      }
    }
  }
});

Deno.test("Saturator keeps a full-scale sine's peak at full scale at every drive", () => {
  for (const drive of [0, 12, 24, SATURATOR_MAX_DRIVE_DB]) {
    const buf = sine(1000, 1, 4800);
    processInBlocks(new Saturator(RATE, { driveDb: drive, oversample: false }), buf);
    assert.ok(Math.abs(maxAbs(buf) - 1) < 1e-6, `drive ${drive}: peak ${maxAbs(buf)}`);
  }
});

Deno.test("Saturator oversampled is the direct curve delayed by SATURATOR_LATENCY_FRAMES for low tones", () => {
  const direct = sine(100, 0.8, 9600);
  const over = direct.slice();
  processInBlocks(new Saturator(RATE, { driveDb: 6, oversample: false }), direct);
  const sat = new Saturator(RATE, { driveDb: 6 });
  assert.equal(sat.latencyFrames, SATURATOR_LATENCY_FRAMES);
  processInBlocks(sat, over);
  const d = SATURATOR_LATENCY_FRAMES;
  let worst = 0;
  for (let n = 1000; n < 9600; n++) {
    worst = Math.max(worst, Math.abs((over[2 * n] as number) - (direct[2 * (n - d)] as number)));
  }
  assert.ok(worst < 1e-3, `differs by ${worst}`);
});

Deno.test("Saturator setters reject non-finite values and clamp the rest; output stays finite", () => {
  const sat = new Saturator(RATE);
  const rand = seededRandom(2027);
  const values = [NaN, Infinity, -Infinity, 1e30, -1e30, -1, 0, 5e-324, 6, 60];
  const block = new Float32Array(2 * BLOCK);
  for (let b = 0; b < 2000; b++) {
    for (let i = 0; i < block.length; i++) block[i] = 4 * rand() - 2;
    const v = values[Math.floor(rand() * values.length)] as number;
    try {
      sat.setDrive(v);
    } catch (e) {
      assert.ok(e instanceof RangeError && !Number.isFinite(v), `${e} for ${v}`);
    }
    sat.process(block, 0, BLOCK);
    assert.ok(maxAbs(block) <= SATURATOR_PEAK_BOUND, `block ${b}`);
  }
  assert.ok(sat.drive >= 0 && sat.drive <= SATURATOR_MAX_DRIVE_DB);
});

Deno.test("Saturator silences and clears itself after NaN input, then works again", () => {
  const sat = new Saturator(RATE, { oversample: true });
  const buf = new Float32Array(2 * BLOCK).fill(0.5);
  buf[100] = NaN;
  sat.process(buf, 0, BLOCK);
  assert.ok(buf.every((x) => x === 0));
  const again = sine(1000, 0.5, 4800);
  processInBlocks(sat, again);
  assert.ok(maxAbs(again) > 0.5);
});

/** Process `blocks` blocks, two sub-ranges each, while the drive keeps gliding. */
function saturationScenario(sat: Saturator, block: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < block.length; i++) block[i] = ((i * 7919 + b * 31) % 200) / 100 - 1;
    sat.process(block, 0, 50);
    if (b % 50 === 0) sat.setDrive((b >> 6) % 30);
    sat.process(block, 50, BLOCK);
  }
}

Deno.test("Saturator.process allocates nothing in steady state (V8 heap sampling)", async () => {
  for (const oversample of [true, false]) {
    const sat = new Saturator(RATE, { oversample });
    const block = new Float32Array(2 * BLOCK);
    saturationScenario(sat, block, 5000);
    const bytes = await sampledAllocation(
      () => saturationScenario(sat, block, 8000),
      "saturationScenario",
    );
    assert.ok(bytes < 64 * 1024, `oversample ${oversample}: ${bytes} bytes sampled`);
  }
});

/**
 * `blocks` blocks of seeded noise through `sat`, each split at a random
 * frame, with drive changes (gliding); the same seed gives the same calls.
 * Returns the output.
 */
function modulatedRun(sat: Saturator, blocks: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(2 * BLOCK * blocks);
  for (let b = 0; b < blocks; b++) {
    if (b % 5 === 2) sat.setDrive(rand() * SATURATOR_MAX_DRIVE_DB);
    const amp = (b & 2) === 0 ? 1.5 : 0.2;
    const block = out.subarray(2 * BLOCK * b, 2 * BLOCK * (b + 1));
    for (let i = 0; i < block.length; i++) block[i] = amp * (2 * rand() - 1);
    const k = Math.floor(rand() * (BLOCK + 1));
    sat.process(block, 0, k);
    sat.process(block, k, BLOCK);
  }
  return out;
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: sample ${i}: ${a[i]} vs ${b[i]}`);
  }
}

Deno.test("Saturator snapshot at an offset continues bit-identically, oversampled or not", () => {
  for (
    const [oversample, frames] of [[true, 33], [false, 33], [true, 9000], [false, 9000]] as const
  ) {
    const a = new Saturator(RATE, { oversample, driveDb: 30 });
    assert.equal(a.stateSize, SATURATOR_STATE_SIZE);
    modulatedRun(a, 20, 1);
    a.setDrive(3); // still gliding after 33 frames, settled after 9000
    a.process(sine(700, 0.8, frames), 0, frames);
    const state = new Float64Array(SATURATOR_STATE_SIZE + 5).fill(-7);
    assert.equal(a.saveState(state, 2), 2 + SATURATOR_STATE_SIZE);
    assert.ok(
      state.subarray(0, 2).every((x) => x === -7) && state.subarray(-3).every((x) => x === -7),
    );
    const b = new Saturator(RATE, { oversample, driveDb: 0 });
    modulatedRun(b, 3, 2); // a different history
    assert.equal(b.loadState(state, 2), 2 + SATURATOR_STATE_SIZE);
    assert.equal(b.drive, a.drive);
    assertBitIdentical(modulatedRun(b, 60, 3), modulatedRun(a, 60, 3), `oversample ${oversample}`);
    const again = new Float64Array(SATURATOR_STATE_SIZE);
    const c = new Saturator(RATE, { oversample });
    c.loadState(state, 2);
    c.saveState(again, 0);
    assert.deepEqual(again, state.subarray(2, 2 + SATURATOR_STATE_SIZE));
  }
  const sat = new Saturator(RATE);
  assert.throws(() => sat.saveState(new Float64Array(SATURATOR_STATE_SIZE), 1), RangeError);
  assert.throws(() => sat.loadState(new Float64Array(SATURATOR_STATE_SIZE - 1), 0), RangeError);
});

Deno.test("Saturator.loadState repairs corrupt snapshots: output finite, within SATURATOR_PEAK_BOUND", () => {
  const a = new Saturator(RATE, { driveDb: 40 });
  modulatedRun(a, 10, 4);
  const state = new Float64Array(SATURATOR_STATE_SIZE);
  a.saveState(state, 0);
  const check = (bad: Float64Array, what: string) => {
    for (const oversample of [true, false]) {
      const sat = new Saturator(RATE, { oversample });
      sat.loadState(bad, 0);
      const after = new Float64Array(SATURATOR_STATE_SIZE);
      sat.saveState(after, 0);
      assert.ok(after.every(Number.isFinite), `${what}: state repaired`);
      const out = modulatedRun(sat, 2, 5);
      for (let i = 0; i < out.length; i++) {
        const x = out[i] as number;
        if (!(Math.abs(x) <= SATURATOR_PEAK_BOUND)) assert.fail(`${what}: sample ${i} is ${x}`);
      }
    }
  };
  for (let slot = 0; slot < SATURATOR_STATE_SIZE; slot++) {
    for (const poison of [NaN, Infinity, -Infinity, 1e300, -1e300, -1, 0.5, 1.5, 1e3]) {
      const bad = state.slice();
      bad[slot] = poison;
      check(bad, `slot ${slot} = ${poison}`);
    }
  }
  for (const poison of [NaN, Infinity, -1e300, 1.3, 2]) {
    check(state.slice().fill(poison), `all ${poison}`);
  }
});
