import assert from "node:assert/strict";
import {
  dcBlockerPole,
  GUARD_DC_CUTOFF_HZ,
  GUARD_FADE_MS,
  GUARD_RUNAWAY_LEVEL,
  OUTPUT_GUARD_STATE_SIZE,
  OutputGuard,
} from "../dsp/output_guard.ts";
import { seededRandom } from "./_random.ts";
import { sampledAllocation } from "./_alloc.ts";
import { deinterleave, toneAmplitude } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;
const FADE = Math.round((GUARD_FADE_MS * RATE) / 1000);

/** Interleaved stereo buffer of `frames` frames; the right channel is the left one negated. */
function stereo(frames: number, f: (n: number) => number): Float32Array {
  const out = new Float32Array(2 * frames);
  for (let n = 0; n < frames; n++) {
    out[2 * n] = f(n);
    out[2 * n + 1] = -f(n);
  }
  return out;
}

/** The DC blocker y[n] = x[n] − x[n−1] + R·y[n−1] from rest, written independently. */
function dcBlocked(x: Float64Array): Float64Array {
  const pole = Math.exp((-2 * Math.PI * GUARD_DC_CUTOFF_HZ) / RATE);
  const y = new Float64Array(x.length);
  let x1 = 0;
  let y1 = 0;
  for (let n = 0; n < x.length; n++) {
    y1 = (x[n] as number) - x1 + pole * y1;
    x1 = x[n] as number;
    y[n] = y1;
  }
  return y;
}

function runBlocks(guard: OutputGuard, buf: Float32Array): void {
  for (let b0 = 0; b0 < buf.length / 2; b0 += BLOCK) {
    guard.process(buf.subarray(2 * b0, 2 * (b0 + BLOCK)), 0, BLOCK);
  }
}

const sine = (n: number) => 0.5 * Math.sin((2 * Math.PI * 440 * n) / RATE);

Deno.test("dcBlockerPole is exp(-2π·cutoff/rate)", () => {
  assert.equal(dcBlockerPole(5, 48000), Math.exp((-2 * Math.PI * 5) / 48000));
  assert.throws(() => dcBlockerPole(5, 0), RangeError);
});

Deno.test("OutputGuard passes clean audio through its DC blocker only, counting no fault", () => {
  const guard = new OutputGuard(RATE);
  const input = stereo(RATE / 2, (n) => sine(n) + 0.3 * Math.sin((2 * Math.PI * 40 * n) / RATE));
  const out = input.slice();
  runBlocks(guard, out);
  const want = dcBlocked(deinterleave(input, 0));
  const left = deinterleave(out, 0);
  for (let n = 0; n < want.length; n++) {
    if (Math.abs((left[n] as number) - (want[n] as number)) > 1e-6) {
      assert.fail(`frame ${n}: ${left[n]} vs ${want[n]}`);
    }
  }
  assert.equal(guard.faults, 0);
  assert.equal(guard.recovering, false);
});

for (const poison of [NaN, Infinity, -Infinity, 2 * GUARD_RUNAWAY_LEVEL]) {
  Deno.test(`OutputGuard silences a block holding ${poison}, counts it, and fades back in cleanly`, () => {
    const guard = new OutputGuard(RATE);
    const frames = RATE / 2;
    const badBlock = 40;
    const badFrame = badBlock * BLOCK + 60;
    const input = stereo(frames, sine);
    input[2 * badFrame + 1] = poison;
    const out = input.slice();
    runBlocks(guard, out);
    assert.equal(guard.faults, 1);
    for (const x of out) assert.ok(Number.isFinite(x));
    const left = deinterleave(out, 0);
    const clean = dcBlocked(deinterleave(input.subarray(0, 2 * badBlock * BLOCK), 0));
    // Before the block: untouched. In it: a straight fade to 0 on the frame before the bad one.
    for (let n = 0; n < badBlock * BLOCK; n++) {
      assert.ok(Math.abs((left[n] as number) - (clean[n] as number)) < 1e-6);
    }
    const s = badBlock * BLOCK;
    assert.equal(left[badFrame - 1], 0);
    for (let n = s; n < badFrame; n++) {
      const g = 1 - (n - s + 1) / (badFrame - s);
      assert.ok(Math.abs(left[n] as number) <= g * 0.51 + 1e-6, `fade-out at ${n}: ${left[n]}`);
    }
    // The rest of the block: silence.
    for (let n = badFrame; n < s + BLOCK; n++) assert.equal(left[n], 0);
    // Then a fade-in from 0 over GUARD_FADE_MS of the DC blocker restarted from rest.
    const restart = s + BLOCK;
    const resumed = dcBlocked(deinterleave(input.subarray(2 * restart), 0));
    for (let n = restart; n < frames; n++) {
      const g = Math.min(1, (n - restart + 1) / FADE);
      const want = g * (resumed[n - restart] as number);
      if (Math.abs((left[n] as number) - want) > 1e-6) {
        assert.fail(`frame ${n}: ${left[n]} vs ${want}`);
      }
    }
    assert.equal(guard.recovering, false);
  });
}

Deno.test("OutputGuard stays silent while the input stays broken, one fault per call", () => {
  const guard = new OutputGuard(RATE);
  const buf = new Float32Array(2 * BLOCK);
  for (let b = 0; b < 10; b++) {
    buf.fill(NaN);
    guard.process(buf, 0, BLOCK);
    assert.ok(buf.every((x) => x === 0));
    assert.ok(guard.recovering);
  }
  assert.equal(guard.faults, 10);
  // A clean block afterwards starts the fade from 0.
  buf.fill(0.5);
  guard.process(buf, 0, BLOCK);
  assert.ok(Math.abs((buf[2 * (BLOCK - 1)] as number) - (0.5 * BLOCK) / FADE) < 0.01);
});

Deno.test("OutputGuard removes a runaway DC offset and counts it once", () => {
  const guard = new OutputGuard(RATE);
  const frames = RATE;
  // A tone on a DC offset that jumps to 0.8 and then keeps drifting up at 0.5 per second.
  const input = stereo(frames, (n) => sine(n) + (n < RATE / 10 ? 0 : 0.8 + (0.5 * n) / RATE));
  const out = input.slice();
  runBlocks(guard, out);
  const left = deinterleave(out, 0);
  const tail = RATE / 2;
  let mean = 0;
  for (let n = tail; n < frames; n++) mean += left[n] as number;
  mean /= frames - tail;
  // A ramp through the 5 Hz high-pass leaves slope·RC = 0.5 / (2π·5) ≈ 0.016.
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  const amp = toneAmplitude(left, 440, { start: tail, length: 4800 * 4, sampleRate: RATE });
  assert.ok(Math.abs(amp - 0.5) < 0.005, `tone ${amp}`);
  assert.equal(guard.faults, 1);
});

Deno.test("OutputGuard does not mistake a loud 20 Hz tone for DC", () => {
  const guard = new OutputGuard(RATE);
  const out = stereo(2 * RATE, (n) => 0.95 * Math.sin((2 * Math.PI * 20 * n) / RATE));
  runBlocks(guard, out);
  assert.equal(guard.faults, 0);
});

/** Guard `blocks` blocks, two sub-ranges each, with a fault every 500 blocks. */
function guardScenario(guard: OutputGuard, block: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < block.length; i++) block[i] = ((i * 7919 + b * 31) % 200) / 200 - 0.5;
    if (b % 500 === 0) block[(b >> 3) % block.length] = NaN;
    guard.process(block, 0, 50);
    guard.process(block, 50, BLOCK);
  }
}

Deno.test("OutputGuard.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const guard = new OutputGuard(RATE);
  const block = new Float32Array(2 * BLOCK);
  guardScenario(guard, block, 20000);
  const bytes = await sampledAllocation(() => guardScenario(guard, block, 50000), "guardScenario");
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while guarding 50000 blocks`);
});

/**
 * Blocks `first` to `first + blocks` of seeded noise through `guard`, each
 * split at a random frame, with a DC offset on the left or the right channel
 * (64 blocks each, 64 of none between: DC-runaway faults) and a NaN or
 * runaway sample now and then (faults and fade-ins); the same seed gives the
 * same calls. Returns the output; pushes the fault count after each block to
 * `faults`.
 */
function modulatedRun(
  guard: OutputGuard,
  first: number,
  blocks: number,
  seed: number,
  faults: number[] = [],
): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(2 * BLOCK * blocks);
  for (let j = 0; j < blocks; j++) {
    const b = first + j;
    const phase = (b >> 6) & 3;
    const dcL = phase === 1 ? 0.6 : 0;
    const dcR = phase === 3 ? 0.6 : 0;
    const block = out.subarray(2 * BLOCK * j, 2 * BLOCK * (j + 1));
    for (let i = 0; i < block.length; i++) block[i] = ((i & 1) === 0 ? dcL : dcR) + rand() - 0.5;
    if (b % 23 === 7) block[Math.floor(rand() * block.length)] = rand() < 0.5 ? NaN : 1000;
    const k = Math.floor(rand() * (BLOCK + 1));
    guard.process(block, 0, k);
    guard.process(block, k, BLOCK);
    faults.push(guard.faults);
  }
  return out;
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: sample ${i}: ${a[i]} vs ${b[i]}`);
  }
}

Deno.test("OutputGuard snapshot at an offset continues bit-identically mid-fade and mid-DC-runaway", () => {
  // Saved with the left channel's DC latched, with the right one's rising, with it
  // latched; each time after a fault, part of the way through the fade-in.
  for (const at of [100, 205, 240]) {
    const a = new OutputGuard(RATE);
    assert.equal(a.stateSize, OUTPUT_GUARD_STATE_SIZE);
    modulatedRun(a, 0, at, 1);
    const block = stereo(BLOCK, () => 0.3);
    block[100] = NaN;
    a.process(block, 0, BLOCK);
    a.process(stereo(BLOCK, () => 0.3), 0, 70);
    assert.ok(a.recovering);
    const faults = a.faults;
    assert.ok(faults > 3);
    const state = new Float64Array(OUTPUT_GUARD_STATE_SIZE + 5).fill(-7);
    assert.equal(a.saveState(state, 3), 3 + OUTPUT_GUARD_STATE_SIZE);
    assert.ok(
      state.subarray(0, 3).every((x) => x === -7) && state.subarray(-2).every((x) => x === -7),
    );
    const b = new OutputGuard(RATE);
    modulatedRun(b, 60, 10, 2); // a different history
    assert.equal(b.loadState(state, 3), 3 + OUTPUT_GUARD_STATE_SIZE);
    assert.equal(b.faults, faults);
    assert.ok(b.recovering);
    const faultsA: number[] = [];
    const faultsB: number[] = [];
    const outA = modulatedRun(a, at + 1, 300, 3, faultsA);
    assertBitIdentical(modulatedRun(b, at + 1, 300, 3, faultsB), outA, `saved at ${at}`);
    // DC-runaway faults are counted in the same blocks.
    assert.deepEqual(faultsB, faultsA, `saved at ${at}`);
    assert.ok(a.faults > faults + 5, "faults counted on");
    const again = new Float64Array(OUTPUT_GUARD_STATE_SIZE);
    const c = new OutputGuard(RATE);
    c.loadState(state, 3);
    c.saveState(again, 0);
    assert.deepEqual(again, state.subarray(3, 3 + OUTPUT_GUARD_STATE_SIZE));
  }
  const guard = new OutputGuard(RATE);
  assert.throws(() => guard.saveState(new Float64Array(OUTPUT_GUARD_STATE_SIZE), 1), RangeError);
  assert.throws(
    () => guard.loadState(new Float64Array(OUTPUT_GUARD_STATE_SIZE - 1), 0),
    RangeError,
  );
});

Deno.test("OutputGuard.loadState repairs corrupt snapshots: output finite and bounded", () => {
  const a = new OutputGuard(RATE);
  modulatedRun(a, 0, 100, 4);
  const state = new Float64Array(OUTPUT_GUARD_STATE_SIZE);
  a.saveState(state, 0);
  for (let slot = 0; slot < OUTPUT_GUARD_STATE_SIZE; slot++) {
    for (const poison of [NaN, Infinity, -Infinity, 1e300, -1e300, -1, 0.5, 1e6]) {
      const bad = state.slice();
      bad[slot] = poison;
      const guard = new OutputGuard(RATE);
      guard.loadState(bad, 0);
      const after = new Float64Array(OUTPUT_GUARD_STATE_SIZE);
      guard.saveState(after, 0);
      const what = `slot ${slot} = ${poison}`;
      assert.ok(after.every(Number.isFinite), `${what}: state repaired`);
      assert.ok(Number.isInteger(guard.faults) && guard.faults >= 0, what);
      // Input within ±1.1: the DC blocker gives at most twice that, plus what is left
      // of a restored (here at most 1) last output.
      const out = modulatedRun(guard, 100, 40, 5);
      for (let i = 0; i < out.length; i++) {
        const x = out[i] as number;
        if (!(Math.abs(x) < 3.5)) assert.fail(`${what}: sample ${i} is ${x}`);
      }
    }
  }
});
