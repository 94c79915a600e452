import assert from "node:assert/strict";
import {
  ceilingGain,
  LIMITER_DEFAULT_CEILING_DB,
  SafetyLimiter,
  safetyLimiterStateSize,
} from "../dsp/limiter.ts";
import { OutputGuard } from "../dsp/output_guard.ts";
import { Chorus } from "../dsp/chorus.ts";
import { Compressor } from "../dsp/compressor.ts";
import { StereoDelay } from "../dsp/delay.ts";
import { Reverb } from "../dsp/reverb.ts";
import { Saturator } from "../dsp/saturation.ts";
import { sampledAllocation } from "./_alloc.ts";
import { processInBlocks } from "./_stereo_blocks.ts";
import { seededRandom } from "./_random.ts";
import { dbToGain, deinterleave, maxAbs } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;
/** +20 dB: ten times full scale. */
const HOT = dbToGain(20);

/** Interleaved stereo buffer of `frames` frames from per-frame functions of the frame index. */
function stereo(frames: number, left: (n: number) => number, right = left): Float32Array {
  const out = new Float32Array(2 * frames);
  for (let n = 0; n < frames; n++) {
    out[2 * n] = left(n);
    out[2 * n + 1] = right(n);
  }
  return out;
}

/** Test signals at +20 dB (peaks ten times full scale), by name. */
function hotSignals(frames: number): Map<string, Float32Array> {
  const rand = seededRandom(77);
  const signals = new Map<string, Float32Array>();
  for (const f of [20, 100, 997, 5000, 15000, 21000]) {
    const w = (2 * Math.PI * f) / RATE;
    signals.set(
      `sine ${f} Hz`,
      stereo(frames, (n) => HOT * Math.sin(w * n), (n) => HOT * Math.cos(w * n)),
    );
  }
  const burst = (n: number) => (n % 960 < 480 ? (n % 96 < 48 ? HOT : -HOT) : 0);
  signals.set("square bursts", stereo(frames, burst, (n) => -burst(n + 17)));
  const noise = stereo(frames, () => HOT * (2 * rand() - 1), () => HOT * (2 * rand() - 1));
  signals.set("white noise", noise);
  const spikes = stereo(frames, (n) => (n % 1009 === 0 ? HOT : n % 1013 === 0 ? -HOT : 0));
  signals.set("impulses", spikes);
  const pairs = stereo(
    frames,
    (n) => (n % 500 < 2 ? HOT : 0.01),
    (n) => (n % 700 === 3 ? -HOT : 0),
  );
  signals.set("impulse pairs on a quiet floor", pairs);
  signals.set("huge impulses", stereo(frames, (n) => (n % 4000 === 5 ? 1e30 : 0.5 * Math.sin(n))));
  return signals;
}

Deno.test("ceilingGain converts dBFS to a linear gain and clamps to [-60, 0] dBFS", () => {
  assert.equal(ceilingGain(0), 1);
  assert.ok(Math.abs(ceilingGain(-6) - Math.pow(10, -6 / 20)) < 1e-15);
  assert.equal(ceilingGain(12), 1);
  assert.ok(Math.abs(ceilingGain(-1e30) - 1e-3) < 1e-15);
  assert.throws(() => ceilingGain(NaN), RangeError);
  assert.throws(() => new SafetyLimiter(RATE, { lookaheadMs: 0 }), RangeError);
  assert.throws(() => new SafetyLimiter(RATE, { lookaheadMs: 11 }), RangeError);
  assert.throws(() => new SafetyLimiter(RATE).setCeiling(Infinity), RangeError);
});

Deno.test("SafetyLimiter passes signals below the ceiling unchanged, delayed by latencyFrames", () => {
  const limiter = new SafetyLimiter(RATE);
  const d = limiter.latencyFrames;
  assert.equal(d, Math.round(0.0015 * RATE));
  const rand = seededRandom(3);
  const input = stereo(RATE / 2, () => 0.96 * (2 * rand() - 1));
  const out = input.slice();
  processInBlocks(limiter, out);
  for (let i = 0; i < 2 * d; i++) assert.equal(out[i], 0);
  for (let i = 2 * d; i < out.length; i++) {
    if (out[i] !== input[i - 2 * d]) assert.fail(`value ${i}: ${out[i]} vs ${input[i - 2 * d]}`);
  }
  assert.equal(limiter.gainReductionDb, 0);
});

Deno.test("SafetyLimiter output never exceeds the ceiling for +20 dB sines, bursts, noise and impulses", () => {
  for (const ceilingDb of [LIMITER_DEFAULT_CEILING_DB, 0, -6, -20]) {
    const ceiling = ceilingGain(ceilingDb);
    for (const [name, signal] of hotSignals(RATE / 2)) {
      for (const lookaheadMs of [0.02, 1.5, 5]) {
        const limiter = new SafetyLimiter(RATE, { ceilingDb, lookaheadMs, releaseMs: 20 });
        const out = signal.slice();
        processInBlocks(limiter, out, ceilingDb * 1000 + lookaheadMs);
        const peak = maxAbs(out);
        assert.ok(peak <= ceiling, `${name}, ceiling ${ceilingDb} dB: peak ${peak} > ${ceiling}`);
        if (!name.startsWith("huge")) {
          // It limits, it does not just turn down: peaks come close to the ceiling.
          assert.ok(peak > 0.9 * ceiling, `${name}, ceiling ${ceilingDb}: peak only ${peak}`);
        }
      }
    }
  }
});

Deno.test("SafetyLimiter keeps the ceiling while the ceiling itself moves", () => {
  const signal = hotSignals(RATE).get("white noise") as Float32Array;
  const limiter = new SafetyLimiter(RATE, { ceilingDb: 0 });
  const rand = seededRandom(8);
  for (let b0 = 0; b0 < signal.length / 2; b0 += BLOCK) {
    if (b0 % (40 * BLOCK) === 0) limiter.setCeiling(-30 * rand());
    const before = limiter.ceiling;
    const block = signal.subarray(2 * b0, 2 * (b0 + BLOCK));
    limiter.process(block, 0, BLOCK);
    const after = limiter.ceiling;
    const peak = maxAbs(block);
    assert.ok(peak <= Math.max(before, after), `block at ${b0}: ${peak} over ${before}/${after}`);
  }
});

Deno.test("SafetyLimiter ramps the gain down in a straight line over the look-ahead, then releases", () => {
  const limiter = new SafetyLimiter(RATE, { releaseMs: 50 });
  const d = limiter.latencyFrames;
  const c = ceilingGain(LIMITER_DEFAULT_CEILING_DB);
  const n0 = 1000;
  const input = stereo(RATE / 2, (n) => (n === n0 ? HOT : 0.5));
  const out = input.slice();
  processInBlocks(limiter, out);
  const left = deinterleave(out, 0);
  const gainAt = (n: number) => (left[n + d] as number) / (input[2 * n] as number);
  // The sample at n0 gets exactly the gain it needs; the D before it a linear ramp toward that.
  const need = c / HOT;
  assert.ok(Math.abs(gainAt(n0) - need) < 1e-6, `gain at the peak ${gainAt(n0)}, need ${need}`);
  for (let k = 1; k <= d; k++) {
    const want = (k + (d + 1 - k) * need) / (d + 1);
    assert.ok(Math.abs(gainAt(n0 - k) - want) < 1e-6, `${k} before: ${gainAt(n0 - k)} vs ${want}`);
  }
  assert.ok(Math.abs(gainAt(n0 - d - 1) - 1) < 1e-6);
  // Release: the envelope recovers as 1 - (1 - need)·exp(-t / 50 ms), the gain a box-mean behind it.
  const t = Math.round(0.1 * RATE);
  const envelope = 1 - (1 - need) * Math.exp(-t / (0.05 * RATE));
  assert.ok(gainAt(n0 + t) <= envelope + 1e-6 && gainAt(n0 + t) > envelope - 0.01);
  const late = gainAt(n0 + Math.round(0.4 * RATE));
  assert.ok(late > 0.999, `recovered to ${late}`);
  // Straight-line ramps and an exponential release: no jump in the gain bigger than one ramp step.
  let worst = 0;
  for (let n = n0 - 2 * d; n < n0 + RATE / 4; n++) {
    worst = Math.max(worst, Math.abs(gainAt(n + 1) - gainAt(n)));
  }
  assert.ok(worst <= (1 - need) / (d + 1) + 1e-6, `largest gain step ${worst}`);
});

Deno.test("SafetyLimiter treats NaN and Infinity as silence and carries on", () => {
  const limiter = new SafetyLimiter(RATE);
  const d = limiter.latencyFrames;
  const input = stereo(4 * BLOCK, (n) => (n % 3 === 0 ? NaN : n % 5 === 0 ? -Infinity : 0.5));
  const out = input.slice();
  processInBlocks(limiter, out);
  for (let i = 2 * d; i < out.length; i++) {
    const x = input[i - 2 * d] as number;
    assert.equal(out[i], Number.isFinite(x) ? x : 0, `value ${i}`);
  }
  // No gain reduction was left behind: what follows passes untouched.
  const after = stereo(RATE / 10, (n) => 0.5 * Math.sin(n / 10));
  const expected = after.slice();
  processInBlocks(limiter, after);
  for (let i = 2 * d; i < after.length; i++) assert.equal(after[i], expected[i - 2 * d]);
});

/** Render `blocks` blocks of a hot signal, two sub-ranges each, through the limiter. */
function limitScenario(limiter: SafetyLimiter, block: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < block.length; i++) block[i] = ((i * 7919 + b * 31) % 200) - 100;
    limiter.process(block, 0, 50);
    limiter.process(block, 50, BLOCK);
    if (b % 1000 === 0) limiter.setCeiling(-(b % 7));
  }
}

Deno.test("SafetyLimiter.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const limiter = new SafetyLimiter(RATE);
  const block = new Float32Array(2 * BLOCK);
  limitScenario(limiter, block, 20000);
  const bytes = await sampledAllocation(
    () => limitScenario(limiter, block, 50000),
    "limitScenario",
  );
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while limiting 50000 blocks`);
});

/** The master chain every module sits in, with random parameter changes between blocks. */
class Chain {
  readonly saturator = new Saturator(RATE, { driveDb: 6 });
  readonly chorus = new Chorus(RATE);
  readonly delay = new StereoDelay(RATE, { maxTimeMs: 1000 });
  readonly reverb = new Reverb(RATE);
  readonly compressor = new Compressor(RATE);
  readonly guard = new OutputGuard(RATE);
  readonly limiter = new SafetyLimiter(RATE);
  readonly stages = [
    this.saturator,
    this.chorus,
    this.delay,
    this.reverb,
    this.compressor,
    this.guard,
    this.limiter,
  ];
  readonly setters: ((v: number) => void)[] = [
    (v) => this.saturator.setDrive(v),
    (v) => this.chorus.setRate(v),
    (v) => this.chorus.setDepth(v),
    (v) => this.chorus.setMix(v),
    (v) => this.delay.setTime(v),
    (v) => this.delay.setFeedback(v),
    (v) => this.delay.setMix(v),
    (v) => this.delay.setPingPong(v > 0.5),
    (v) => this.delay.setTempoSync(v, v / 100),
    (v) => this.reverb.setSize(v),
    (v) => this.reverb.setDamping(v),
    (v) => this.reverb.setMix(v),
    (v) => this.compressor.setThreshold(v),
    (v) => this.compressor.setRatio(v),
    (v) => this.compressor.setKnee(v),
    (v) => this.compressor.setAttack(v),
    (v) => this.compressor.setRelease(v),
    (v) => this.compressor.setMakeup(v),
    (v) => this.limiter.setCeiling(v),
    (v) => this.limiter.setRelease(v),
  ];
}

Deno.test("random setter values into every module never make the chain output non-finite or over the ceiling", () => {
  const rand = seededRandom(4242);
  const chain = new Chain();
  const values = [NaN, Infinity, -Infinity, 1e30, -1e30, -1, -0.5, 0, 5e-324, 0.5, 1, 2, 100, 1e4];
  const block = new Float32Array(2 * BLOCK);
  let sounding = 0;
  let rejected = 0;
  for (let b = 0; b < 1500; b++) {
    const amp = b % 97 === 0 ? 1e30 : 10 * rand();
    for (let i = 0; i < block.length; i++) {
      block[i] = amp * Math.sin((b * BLOCK + i) * (0.01 + 0.002 * (b % 13))) *
        (rand() < 0.01 ? -1 : 1);
    }
    // Now and then a NaN, injected before a random stage.
    const poisoned = b % 23 === 0 ? Math.floor(rand() * chain.stages.length) : -1;
    for (let k = 0; k < 3; k++) {
      const setter = chain.setters[Math.floor(rand() * chain.setters.length)] as (
        v: number,
      ) => void;
      const v = rand() < 0.5
        ? values[Math.floor(rand() * values.length)] as number
        : 200 * rand() - 100;
      try {
        setter(v);
      } catch (e) {
        assert.ok(e instanceof RangeError, `setter threw ${e}`);
        rejected++;
      }
    }
    const split = Math.floor(rand() * BLOCK);
    const before = chain.limiter.ceiling;
    for (const [index, stage] of chain.stages.entries()) {
      if (index === poisoned) block[Math.floor(rand() * block.length)] = NaN;
      stage.process(block, 0, split);
      stage.process(block, split, BLOCK);
      for (let i = 0; i < block.length; i++) {
        if (!Number.isFinite(block[i])) {
          assert.fail(`${stage.constructor.name}: non-finite ${block[i]} in block ${b}`);
        }
      }
    }
    const ceiling = Math.max(before, chain.limiter.ceiling);
    const peak = maxAbs(block);
    assert.ok(peak <= ceiling, `block ${b}: peak ${peak} over the ceiling ${ceiling}`);
    if (peak > 1e-3) sounding++;
  }
  assert.ok(sounding > 1000, `only ${sounding} blocks had sound: the fuzz exercises little`);
  assert.ok(rejected > 50, `only ${rejected} setter calls were rejected`);
  assert.ok(chain.guard.faults > 0, "some injected NaNs reached the guard");
});

/**
 * `blocks` blocks of seeded noise bursts, up to +20 dB, through `limiter`,
 * each split at a random frame, with ceiling (gliding) and release changes;
 * the same seed gives the same calls. Returns the output.
 */
function modulatedRun(limiter: SafetyLimiter, blocks: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(2 * BLOCK * blocks);
  for (let b = 0; b < blocks; b++) {
    if (b % 7 === 3) limiter.setCeiling(-12 * rand());
    if (b % 11 === 5) limiter.setRelease(1 + 300 * rand());
    const amp = [0.1, HOT, 0.5, 2][b & 3] as number;
    const block = out.subarray(2 * BLOCK * b, 2 * BLOCK * (b + 1));
    for (let i = 0; i < block.length; i++) block[i] = amp * (2 * rand() - 1);
    const k = Math.floor(rand() * (BLOCK + 1));
    limiter.process(block, 0, k);
    limiter.process(block, k, BLOCK);
  }
  return out;
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: sample ${i}: ${a[i]} vs ${b[i]}`);
  }
}

Deno.test("SafetyLimiter snapshot at an offset continues bit-identically mid-reduction", () => {
  const a = new SafetyLimiter(RATE, { releaseMs: 40 });
  assert.equal(a.stateSize, safetyLimiterStateSize(RATE));
  assert.equal(a.stateSize, 5 * 72 + 16);
  const long = new SafetyLimiter(44100, { lookaheadMs: 10 });
  assert.equal(long.stateSize, safetyLimiterStateSize(44100, 10));
  modulatedRun(a, 30, 1);
  a.setCeiling(-6); // gliding when saved
  const partial = stereo(90, (n) => HOT * Math.sin(n / 7));
  a.process(partial, 0, 90);
  assert.ok(a.gainReductionDb < -10);
  const state = new Float64Array(a.stateSize + 8).fill(-7);
  assert.equal(a.saveState(state, 6), 6 + a.stateSize);
  assert.ok(
    state.subarray(0, 6).every((x) => x === -7) && state.subarray(-2).every((x) => x === -7),
  );
  const b = new SafetyLimiter(RATE, { ceilingDb: -40, releaseMs: 4000 });
  modulatedRun(b, 9, 2); // a different history
  assert.equal(b.loadState(state, 6), 6 + b.stateSize);
  assert.equal(b.releaseMs, a.releaseMs);
  assert.equal(b.gainReductionDb, a.gainReductionDb);
  assertBitIdentical(modulatedRun(b, 120, 3), modulatedRun(a, 120, 3), "restored");
  const again = new Float64Array(b.stateSize);
  const c = new SafetyLimiter(RATE);
  c.loadState(state, 6);
  c.saveState(again, 0);
  assert.deepEqual(again, state.subarray(6, 6 + b.stateSize));
  assert.throws(() => a.saveState(new Float64Array(a.stateSize), 1), RangeError);
  assert.throws(() => a.loadState(new Float64Array(a.stateSize - 1), 0), RangeError);
});

Deno.test("SafetyLimiter.loadState repairs corrupt snapshots: output finite, within 0 dBFS", () => {
  const a = new SafetyLimiter(RATE);
  modulatedRun(a, 20, 4);
  const state = new Float64Array(a.stateSize);
  a.saveState(state, 0);
  const check = (bad: Float64Array, what: string) => {
    const lim = new SafetyLimiter(RATE);
    lim.loadState(bad, 0);
    const after = new Float64Array(lim.stateSize);
    lim.saveState(after, 0);
    assert.ok(after.every(Number.isFinite), `${what}: state repaired`);
    assert.ok(lim.ceiling > 0 && lim.ceiling <= 1, what);
    const out = modulatedRun(lim, 3, 5);
    for (let i = 0; i < out.length; i++) {
      const x = out[i] as number;
      if (!(Math.abs(x) < 1)) assert.fail(`${what}: sample ${i} is ${x}`);
    }
  };
  for (let slot = 0; slot < state.length; slot++) {
    for (const poison of [NaN, Infinity, -Infinity, 1e300, -1e300, -1, 0.5, 3]) {
      const bad = state.slice();
      bad[slot] = poison;
      check(bad, `slot ${slot} = ${poison}`);
    }
  }
  for (const poison of [NaN, -Infinity, 1e300, 0]) {
    check(state.slice().fill(poison), `all ${poison}`);
  }
});

Deno.test("SafetyLimiter.loadState takes every snapshot of a run as it is (no false repairs)", () => {
  const a = new SafetyLimiter(RATE, { lookaheadMs: 0.5 });
  const rand = seededRandom(6);
  const state = new Float64Array(a.stateSize);
  const again = new Float64Array(a.stateSize);
  const b = new SafetyLimiter(RATE, { lookaheadMs: 0.5 });
  const block = new Float32Array(2 * BLOCK);
  for (let step = 0; step < 400; step++) {
    const amp = [0.2, HOT, 1e4, 0.99][step & 3] as number;
    for (let i = 0; i < block.length; i++) {
      block[i] = amp * (2 * rand() - 1) * (rand() < 0.9 ? 1 : 0);
    }
    if (step % 9 === 0) a.setRelease(1 + 200 * rand());
    a.process(block, 0, 1 + Math.floor(rand() * BLOCK));
    a.saveState(state, 0);
    b.loadState(state, 0);
    b.saveState(again, 0);
    for (let i = 0; i < state.length; i++) {
      if (!Object.is(again[i], state[i])) {
        assert.fail(`step ${step}, slot ${i}: ${again[i]} vs ${state[i]}`);
      }
    }
  }
});

Deno.test("SafetyLimiter maxCeilingDb caps setCeiling and snapshots", () => {
  const capped = new SafetyLimiter(RATE, { maxCeilingDb: -3 });
  capped.setCeiling(0);
  const rand = seededRandom(7);
  const out = stereo(20 * BLOCK, () => HOT * (2 * rand() - 1));
  processInBlocks(capped, out);
  assert.equal(capped.ceiling, ceilingGain(-3));
  assert.ok(maxAbs(out) < ceilingGain(-3));
  const open = new SafetyLimiter(RATE);
  open.setCeiling(0);
  processInBlocks(open, stereo(20 * BLOCK, () => HOT * (2 * rand() - 1)));
  const state = new Float64Array(open.stateSize);
  open.saveState(state, 0);
  assert.ok((state[9] as number) > ceilingGain(-3)); // the ceiling smoother's value
  capped.loadState(state, 0);
  assert.equal(capped.ceiling, ceilingGain(-3));
  const again = new SafetyLimiter(RATE);
  again.loadState(state, 0);
  assert.equal(again.ceiling, state[9]);
});
