import assert from "node:assert/strict";
import {
  Compressor,
  COMPRESSOR_MAX_RATIO,
  COMPRESSOR_MIN_THRESHOLD_DB,
  COMPRESSOR_STATE_SIZE,
  compressorGain,
} from "../dsp/compressor.ts";
import { sampledAllocation } from "./_alloc.ts";
import { processInBlocks } from "./_stereo_blocks.ts";
import { seededRandom } from "./_random.ts";
import { dbToGain, deinterleave, gainToDb, maxAbs, toneAmplitude } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;

/** A stereo square wave (constant |x|, so a constant detector level) of amplitude `amp`. */
function square(amp: number, frames: number): Float32Array {
  const buf = new Float32Array(2 * frames);
  for (let n = 0; n < frames; n++) buf[2 * n] = buf[2 * n + 1] = (n >> 5) & 1 ? amp : -amp;
  return buf;
}

Deno.test("compressorGain is 0 below the knee, (x − T)(1/R − 1) above, quadratic and continuous inside", () => {
  assert.equal(compressorGain(-40, -20, 4, 0), 0);
  assert.equal(compressorGain(-10, -20, 4, 0), -7.5);
  assert.equal(compressorGain(-10, -20, 1, 6), 0);
  assert.equal(compressorGain(0, -20, Infinity, 0), -20);
  assert.equal(compressorGain(-Infinity, -20, 4, 6), 0);
  // Knee of 12 dB around -20: from -26 to -14.
  assert.equal(compressorGain(-26.0001, -20, 4, 12), 0);
  assert.ok(Math.abs(compressorGain(-20, -20, 4, 12) - (0.25 - 1) * 12 / 8) < 1e-12);
  for (const [t, r, w] of [[-20, 4, 12], [-30, 10, 6], [-6, 2, 24]] as const) {
    for (const edge of [t - w / 2, t + w / 2]) {
      const inside = compressorGain(edge, t, r, w);
      const outside = compressorGain(edge + (edge < t ? -1e-9 : 1e-9), t, r, w);
      assert.ok(Math.abs(inside - outside) < 1e-6, `edge ${edge}: ${inside} vs ${outside}`);
    }
  }
  // Monotonic: more input never gives more output... nor less.
  let prevOut = -Infinity;
  for (let x = -60; x <= 10; x += 0.01) {
    const out = x + compressorGain(x, -20, 4, 12);
    assert.ok(out >= prevOut);
    prevOut = out;
  }
  assert.throws(() => compressorGain(NaN, -20, 4, 6), RangeError);
  assert.throws(() => compressorGain(Infinity, -20, 4, 6), RangeError);
  assert.throws(() => compressorGain(0, NaN, 4, 6), RangeError);
  assert.throws(() => compressorGain(0, -20, 0.5, 6), RangeError);
  assert.throws(() => compressorGain(0, -20, 4, -1), RangeError);
});

Deno.test("Compressor settles exactly on the static curve for a constant detector level", () => {
  for (
    const [t, r, w, makeup] of [[-20, 4, 0, 0], [-20, 4, 12, 3], [-40, 20, 6, 10], [
      -6,
      2,
      24,
      -2,
    ]] as const
  ) {
    for (const levelDb of [-50, -30, -21, -14, -3, 0, 6]) {
      const comp = new Compressor(RATE, {
        thresholdDb: t,
        ratio: r,
        kneeDb: w,
        makeupDb: makeup,
        attackMs: 2,
        releaseMs: 20,
      });
      const amp = dbToGain(levelDb);
      const buf = square(amp, RATE / 2);
      processInBlocks(comp, buf);
      const measured = gainToDb(Math.abs(buf[buf.length - 1] as number) / Math.fround(amp));
      const want = compressorGain(gainToDb(Math.fround(amp)), t, r, w) + makeup;
      assert.ok(
        Math.abs(measured - want) < 1e-4,
        `T ${t} R ${r} W ${w} at ${levelDb}: ${measured} vs ${want}`,
      );
    }
  }
});

Deno.test("Compressor steady-state gain on sines matches the static curve within 0.5 dB", () => {
  for (const [t, r, w] of [[-20, 4, 6], [-30, 8, 0], [-12, 2, 12]] as const) {
    for (const levelDb of [-40, -25, -18, -10, -3]) {
      for (const freq of [100, 1000, 5000]) {
        const comp = new Compressor(RATE, {
          thresholdDb: t,
          ratio: r,
          kneeDb: w,
          attackMs: 1,
          releaseMs: 200,
        });
        const amp = dbToGain(levelDb);
        const frames = RATE / 2;
        const buf = new Float32Array(2 * frames);
        const omega = (2 * Math.PI * freq) / RATE;
        for (let n = 0; n < frames; n++) buf[2 * n] = buf[2 * n + 1] = amp * Math.sin(omega * n);
        processInBlocks(comp, buf);
        const out = toneAmplitude(deinterleave(buf, 0), freq, {
          start: frames / 2,
          length: frames / 2,
          sampleRate: RATE,
        });
        const measured = gainToDb(out / amp);
        const want = compressorGain(levelDb, t, r, w);
        assert.ok(
          Math.abs(measured - want) < 0.5,
          `T ${t} R ${r} W ${w}, ${freq} Hz at ${levelDb} dBFS: ${measured} dB vs ${want} dB`,
        );
      }
    }
  }
});

Deno.test("Compressor gain moves with the attack and release time constants in dB", () => {
  const attackMs = 5;
  const releaseMs = 50;
  const comp = new Compressor(RATE, { thresholdDb: -30, ratio: 4, kneeDb: 0, attackMs, releaseMs });
  const quiet = dbToGain(-40);
  const loud = dbToGain(-10);
  const frames = RATE / 2;
  const step = frames / 2;
  const buf = new Float32Array(2 * frames);
  for (let n = 0; n < frames; n++) {
    const a = n >= step / 2 && n < step ? loud : quiet;
    buf[2 * n] = buf[2 * n + 1] = n & 1 ? a : -a;
  }
  const input = buf.slice();
  processInBlocks(comp, buf);
  const gainAt = (n: number) =>
    gainToDb(Math.abs(buf[2 * n] as number) / Math.abs(input[2 * n] as number));
  const target = compressorGain(gainToDb(Math.fround(loud)), -30, 4, 0);
  const a = Math.exp(-1000 / (attackMs * RATE));
  for (const k of [0, 1, 10, 240, 1000]) {
    const want = target * (1 - a ** (k + 1));
    assert.ok(
      Math.abs(gainAt(step / 2 + k) - want) < 1e-4,
      `attack +${k}: ${gainAt(step / 2 + k)} vs ${want}`,
    );
  }
  const settled = gainAt(step - 1);
  const r = Math.exp(-1000 / (releaseMs * RATE));
  for (const k of [0, 1, 100, 2400, 10000]) {
    const want = settled * r ** (k + 1);
    assert.ok(
      Math.abs(gainAt(step + k) - want) < 1e-4,
      `release +${k}: ${gainAt(step + k)} vs ${want}`,
    );
  }
});

Deno.test("Compressor detector is stereo-linked: a loud left channel turns the right down too", () => {
  const comp = new Compressor(RATE, { thresholdDb: -20, ratio: 10, kneeDb: 0, attackMs: 1 });
  const frames = RATE / 4;
  const buf = new Float32Array(2 * frames);
  for (let n = 0; n < frames; n++) {
    buf[2 * n] = n & 1 ? 0.9 : -0.9;
    buf[2 * n + 1] = 0.01 * Math.sin(n / 7);
  }
  const input = buf.slice();
  processInBlocks(comp, buf);
  const want = compressorGain(gainToDb(Math.fround(0.9)), -20, 10, 0);
  for (let n = frames - 100; n < frames; n++) {
    const l = gainToDb((buf[2 * n] as number) / (input[2 * n] as number));
    const r = gainToDb((buf[2 * n + 1] as number) / (input[2 * n + 1] as number));
    assert.ok(
      Math.abs(l - want) < 1e-4 && Math.abs(r - want) < 1e-4,
      `frame ${n}: ${l} / ${r} vs ${want}`,
    );
  }
  assert.ok(Math.abs(comp.gainReductionDb - want) < 1e-4);
});

Deno.test("Compressor setters reject non-finite values and clamp the rest; output stays finite", () => {
  const comp = new Compressor(RATE);
  const rand = seededRandom(2028);
  const values = [NaN, Infinity, -Infinity, 1e30, -1e30, -1, 0, 5e-324, 0.5, 4, 100, -100];
  const setters: ((v: number) => void)[] = [
    (v) => comp.setThreshold(v),
    (v) => comp.setRatio(v),
    (v) => comp.setKnee(v),
    (v) => comp.setAttack(v),
    (v) => comp.setRelease(v),
    (v) => comp.setMakeup(v),
  ];
  const block = new Float32Array(2 * BLOCK);
  for (let b = 0; b < 3000; b++) {
    const amp = b % 100 === 0 ? 1e30 : 2 * rand();
    for (let i = 0; i < block.length; i++) block[i] = amp * (2 * rand() - 1);
    const v = values[Math.floor(rand() * values.length)] as number;
    try {
      (setters[Math.floor(rand() * setters.length)] as (v: number) => void)(v);
    } catch (e) {
      assert.ok(e instanceof RangeError && !Number.isFinite(v), `${e} for ${v}`);
    }
    comp.process(block, 0, BLOCK);
    for (const x of block) if (!Number.isFinite(x)) assert.fail(`block ${b}: ${x}`);
    // At most +24 dB makeup on a +6 dB input with no reduction.
    if (amp < 10) {
      assert.ok(maxAbs(block) <= 2 * dbToGain(24) * 1.0001, `block ${b}: ${maxAbs(block)}`);
    }
  }
  assert.ok(comp.threshold >= COMPRESSOR_MIN_THRESHOLD_DB && comp.threshold <= 0);
  assert.ok(comp.ratio >= 1 && comp.ratio <= COMPRESSOR_MAX_RATIO);
});

Deno.test("Compressor silences and resets itself after NaN input, then works again", () => {
  const comp = new Compressor(RATE, { thresholdDb: -20, kneeDb: 0 });
  const buf = square(0.9, BLOCK);
  buf[51] = NaN;
  comp.process(buf, 0, BLOCK);
  assert.ok(buf.every((x) => x === 0));
  assert.equal(comp.gainReductionDb, 0);
  const again = square(0.01, BLOCK);
  comp.process(again, 0, BLOCK);
  assert.equal(Math.abs(again[0] as number), Math.fround(0.01));
});

/** Process `blocks` blocks, two sub-ranges each, while every parameter keeps changing. */
function compressorScenario(comp: Compressor, block: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < block.length; i++) block[i] = ((i * 7919 + b * 31) % 200) / 100 - 1;
    comp.process(block, 0, 50);
    comp.setThreshold(-(b % 40));
    comp.setRatio((b % 8) + 1);
    comp.setMakeup(b & 3);
    comp.process(block, 50, BLOCK);
  }
}

Deno.test("Compressor.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const comp = new Compressor(RATE);
  const block = new Float32Array(2 * BLOCK);
  compressorScenario(comp, block, 10000);
  const bytes = await sampledAllocation(
    () => compressorScenario(comp, block, 20000),
    "compressorScenario",
  );
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while processing 20000 blocks`);
});

/**
 * `blocks` blocks of bursts of seeded noise through `comp`, each split at a
 * random frame, with every parameter changing (threshold, ratio, knee and
 * makeup gliding); the same seed gives the same calls. Returns the output.
 */
function modulatedRun(comp: Compressor, blocks: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(2 * BLOCK * blocks);
  for (let b = 0; b < blocks; b++) {
    if (b % 7 === 2) comp.setThreshold(-40 * rand());
    if (b % 5 === 1) comp.setRatio(1 + 10 * rand());
    if (b % 11 === 3) comp.setKnee(12 * rand());
    if (b % 13 === 4) comp.setMakeup(12 * rand() - 6);
    if (b % 17 === 5) comp.setAttack(0.1 + 20 * rand());
    if (b % 19 === 6) comp.setRelease(1 + 300 * rand());
    const amp = (b & 4) === 0 ? 1 : 0.05;
    const block = out.subarray(2 * BLOCK * b, 2 * BLOCK * (b + 1));
    for (let i = 0; i < block.length; i++) block[i] = amp * (2 * rand() - 1);
    const k = Math.floor(rand() * (BLOCK + 1));
    comp.process(block, 0, k);
    comp.process(block, k, BLOCK);
  }
  return out;
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: sample ${i}: ${a[i]} vs ${b[i]}`);
  }
}

Deno.test("Compressor snapshot at an offset continues bit-identically mid-release and mid-glide", () => {
  const a = new Compressor(RATE, { thresholdDb: -30, ratio: 8, attackMs: 2, releaseMs: 80 });
  assert.equal(a.stateSize, COMPRESSOR_STATE_SIZE);
  modulatedRun(a, 40, 1);
  a.setThreshold(-10);
  a.setMakeup(3);
  a.process(new Float32Array(2 * 20).fill(0.9), 0, 20);
  assert.ok(a.gainReductionDb < 0);
  const state = new Float64Array(COMPRESSOR_STATE_SIZE + 6).fill(-7);
  assert.equal(a.saveState(state, 2), 2 + COMPRESSOR_STATE_SIZE);
  assert.ok(
    state.subarray(0, 2).every((x) => x === -7) && state.subarray(-4).every((x) => x === -7),
  );
  const b = new Compressor(RATE, { thresholdDb: 0, ratio: 1, attackMs: 500, releaseMs: 3000 });
  modulatedRun(b, 9, 2); // a different history
  assert.equal(b.loadState(state, 2), 2 + COMPRESSOR_STATE_SIZE);
  assert.equal(b.attackMs, a.attackMs);
  assert.equal(b.gainReductionDb, a.gainReductionDb);
  assertBitIdentical(modulatedRun(b, 100, 3), modulatedRun(a, 100, 3), "restored");
  const again = new Float64Array(COMPRESSOR_STATE_SIZE);
  const c = new Compressor(RATE);
  c.loadState(state, 2);
  c.saveState(again, 0);
  assert.deepEqual(again, state.subarray(2, 2 + COMPRESSOR_STATE_SIZE));
  assert.throws(() => a.saveState(new Float64Array(COMPRESSOR_STATE_SIZE), 1), RangeError);
  assert.throws(() => a.loadState(new Float64Array(COMPRESSOR_STATE_SIZE - 1), 0), RangeError);
});

Deno.test("Compressor.loadState repairs corrupt snapshots: output finite and bounded", () => {
  const a = new Compressor(RATE, { thresholdDb: -30, ratio: 8 });
  modulatedRun(a, 20, 4);
  const state = new Float64Array(COMPRESSOR_STATE_SIZE);
  a.saveState(state, 0);
  for (let slot = 0; slot < COMPRESSOR_STATE_SIZE; slot++) {
    for (const poison of [NaN, Infinity, -Infinity, 1e300, -1e300, -1, 0.5, 500]) {
      const bad = state.slice();
      bad[slot] = poison;
      const comp = new Compressor(RATE);
      comp.loadState(bad, 0);
      const after = new Float64Array(COMPRESSOR_STATE_SIZE);
      comp.saveState(after, 0);
      const what = `slot ${slot} = ${poison}`;
      assert.ok(after.every(Number.isFinite), `${what}: state repaired`);
      assert.ok(comp.ratio >= 1 && comp.makeup <= 24 && comp.gainReductionDb <= 0, what);
      // Input within ±1 and makeup at most +24 dB: at most 10^(24/20).
      const out = modulatedRun(comp, 10, 5);
      for (let i = 0; i < out.length; i++) {
        const x = out[i] as number;
        if (!(Math.abs(x) <= dbToGain(24) * 1.0001)) assert.fail(`${what}: sample ${i} is ${x}`);
      }
    }
  }
});
