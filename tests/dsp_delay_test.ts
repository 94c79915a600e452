import assert from "node:assert/strict";
import {
  DELAY_CROSSFADE_MS,
  DELAY_MAX_FEEDBACK,
  delayFrames,
  StereoDelay,
  stereoDelayStateSize,
  tempoSyncMs,
} from "../dsp/delay.ts";
import { sampledAllocation } from "./_alloc.ts";
import { processInBlocks } from "./_stereo_blocks.ts";
import { seededRandom } from "./_random.ts";
import { deinterleave, maxAbs } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;

/** A stereo buffer of `frames` frames, silent but for (left, right) at frame `at`. */
function impulse(frames: number, at: number, left = 1, right = left): Float32Array {
  const buf = new Float32Array(2 * frames);
  buf[2 * at] = left;
  buf[2 * at + 1] = right;
  return buf;
}

/** Assert `channel` is zero everywhere except `expected` (frame → value, relative tolerance 1e-6). */
function assertTaps(channel: Float64Array, expected: Map<number, number>, what: string): void {
  for (let n = 0; n < channel.length; n++) {
    const want = expected.get(n) ?? 0;
    const got = channel[n] as number;
    if (Math.abs(got - want) > 1e-6 * Math.abs(want)) {
      assert.fail(`${what}: frame ${n} is ${got}, expected ${want}`);
    }
  }
}

Deno.test("tempoSyncMs gives 60000·beats/bpm: a quarter note at 120 bpm is 500 ms", () => {
  assert.equal(tempoSyncMs(120, 1), 500);
  assert.equal(tempoSyncMs(120, 0.5), 250);
  assert.equal(tempoSyncMs(90, 0.75), 500);
  assert.equal(tempoSyncMs(120, 4), 2000);
  assert.equal(delayFrames(500, 48000), 24000);
  assert.equal(delayFrames(500, 44100), 22050);
  assert.equal(delayFrames(tempoSyncMs(140, 1), 48000), Math.round((60 / 140) * 48000));
  for (const bpm of [0, 0.5, 5e-324, -120, NaN, Infinity, 1001]) {
    assert.throws(() => tempoSyncMs(bpm, 1), RangeError, `bpm ${bpm}`);
  }
  for (const beats of [-1, NaN, Infinity, 1025]) {
    assert.throws(() => tempoSyncMs(120, beats), RangeError, `beats ${beats}`);
  }
  assert.throws(() => delayFrames(NaN, 48000), RangeError);
});

Deno.test("StereoDelay rejects a line longer than 4 s or shorter than 1 ms", () => {
  for (const maxTimeMs of [0, 0.5, 4001, NaN, Infinity]) {
    assert.throws(() => new StereoDelay(RATE, { maxTimeMs }), RangeError, `max ${maxTimeMs}`);
  }
  assert.equal(new StereoDelay(RATE, { maxTimeMs: 4000 }).maxFrames, 4 * RATE);
});

Deno.test("StereoDelay returns an impulse exactly at the delay time, to the sample", () => {
  for (const timeMs of [0.02, 1, 10.51, 333.3, 1999.99, 2000, 5000]) {
    const delay = new StereoDelay(RATE, { timeMs, feedback: 0, mix: 1 });
    const frames = Math.min(delayFrames(timeMs, RATE), delay.maxFrames);
    assert.equal(delay.timeFrames, Math.max(1, frames));
    const at = 77;
    const buf = impulse(at + delay.timeFrames + 500, at, 1, -0.5);
    processInBlocks(delay, buf, timeMs);
    const tap = at + delay.timeFrames;
    assertTaps(deinterleave(buf, 0), new Map([[tap, 1]]), `${timeMs} ms left`);
    assertTaps(deinterleave(buf, 1), new Map([[tap, -0.5]]), `${timeMs} ms right`);
  }
});

Deno.test("StereoDelay tempo sync: 120 bpm, one quarter note, comes back after exactly 24000 frames", () => {
  const delay = new StereoDelay(RATE, { feedback: 0, mix: 1 });
  delay.setTempoSync(120, 1);
  delay.reset();
  assert.equal(delay.timeMs, 500);
  const buf = impulse(30000, 10);
  processInBlocks(delay, buf);
  assertTaps(deinterleave(buf, 0), new Map([[24010, 1]]), "left");
});

Deno.test("StereoDelay repeats decay by the feedback gain each time", () => {
  for (const feedback of [0.3, 0.6, DELAY_MAX_FEEDBACK]) {
    const delay = new StereoDelay(RATE, { timeMs: 50, feedback, mix: 1 });
    const d = delay.timeFrames;
    const buf = impulse(12 * d, 5, 1, 0.25);
    processInBlocks(delay, buf);
    const left = new Map<number, number>();
    const right = new Map<number, number>();
    for (let k = 1; k < 12; k++) {
      left.set(5 + k * d, feedback ** (k - 1));
      right.set(5 + k * d, 0.25 * feedback ** (k - 1));
    }
    assertTaps(deinterleave(buf, 0), left, `feedback ${feedback} left`);
    assertTaps(deinterleave(buf, 1), right, `feedback ${feedback} right`);
  }
});

Deno.test("StereoDelay ping-pong alternates channels, left first, decaying by the feedback", () => {
  const feedback = 0.5;
  const delay = new StereoDelay(RATE, { timeMs: 20, feedback, mix: 1, pingPong: true });
  const d = delay.timeFrames;
  // Left-only input: the mono sum is half of it.
  const buf = impulse(10 * d, 3, 1, 0);
  processInBlocks(delay, buf);
  const left = new Map<number, number>();
  const right = new Map<number, number>();
  for (let k = 1; k < 10; k++) {
    (k % 2 === 1 ? left : right).set(3 + k * d, 0.5 * feedback ** (k - 1));
  }
  assertTaps(deinterleave(buf, 0), left, "left");
  assertTaps(deinterleave(buf, 1), right, "right");
  assert.equal(delay.pingPong, true);
});

Deno.test("StereoDelay mix blends dry and wet linearly; mix 0 is the dry signal exactly", () => {
  const rand = seededRandom(5);
  const input = new Float32Array(2 * 4000).map(() => rand() - 0.5);
  const dry = new StereoDelay(RATE, { timeMs: 10, feedback: 0.5, mix: 0 });
  const out = input.slice();
  processInBlocks(dry, out);
  assert.deepEqual(out, input);
  const half = new StereoDelay(RATE, { timeMs: 10, feedback: 0, mix: 0.5 });
  const d = half.timeFrames;
  const mixed = input.slice();
  processInBlocks(half, mixed);
  for (let i = 2 * d; i < input.length; i++) {
    const want = 0.5 * (input[i] as number) + 0.5 * (input[i - 2 * d] as number);
    assert.ok(Math.abs((mixed[i] as number) - want) < 1e-6);
  }
});

Deno.test("StereoDelay crossfades a time change without a click and then reads the new time exactly", () => {
  const delay = new StereoDelay(RATE, { timeMs: 100, feedback: 0, mix: 1 });
  const w = (2 * Math.PI * 440) / RATE;
  const frames = RATE;
  const input = new Float32Array(2 * frames);
  for (let n = 0; n < frames; n++) input[2 * n] = input[2 * n + 1] = Math.sin(w * n);
  const out = input.slice();
  const changes = new Map([[200, 300], [210, 37], [211, 250.5], [260, 900]]); // block → ms
  for (let b = 0; b < frames / BLOCK; b++) {
    const ms = changes.get(b);
    if (ms !== undefined) delay.setTime(ms);
    delay.process(out.subarray(2 * b * BLOCK, 2 * (b + 1) * BLOCK), 0, BLOCK);
  }
  const left = deinterleave(out, 0);
  // A jump between two unit sines could be 2. A linear crossfade over F frames
  // keeps every step within the sine's own step w plus 2/F; allow F down to
  // 10 ms, so the fade is certainly long enough not to click.
  assert.ok(DELAY_CROSSFADE_MS >= 10);
  const limit = w + 2 / (0.01 * RATE);
  for (let n = 100 * RATE / 1000 + 1; n < frames; n++) {
    const step = Math.abs((left[n] as number) - (left[n - 1] as number));
    if (step > limit) assert.fail(`step ${step} at frame ${n} (limit ${limit})`);
  }
  assert.equal(delay.timeFrames, delayFrames(900, RATE));
  for (let n = frames - 1000; n < frames; n++) {
    const want = input[2 * (n - delay.timeFrames)] as number;
    assert.ok(Math.abs((left[n] as number) - want) < 1e-6);
  }
});

Deno.test("StereoDelay clamps feedback below 1 and stays bounded at the maximum", () => {
  const delay = new StereoDelay(RATE, { timeMs: 3, feedback: 5, mix: 1 });
  assert.equal(delay.feedback, DELAY_MAX_FEEDBACK);
  delay.setFeedback(-3);
  delay.reset();
  assert.equal(delay.feedback, 0);
  delay.setFeedback(1e30);
  const rand = seededRandom(9);
  const buf = new Float32Array(2 * RATE).map(() => 2 * rand() - 1);
  processInBlocks(delay, buf);
  // Each repeat is at most the input's peak times DELAY_MAX_FEEDBACK^k: the sum is below 1/(1-fb).
  assert.ok(maxAbs(buf) < 1 / (1 - DELAY_MAX_FEEDBACK));
});

Deno.test("StereoDelay setters reject non-finite values and clamp the rest; output stays finite", () => {
  const delay = new StereoDelay(RATE, { maxTimeMs: 100 });
  const rand = seededRandom(2024);
  const values = [NaN, Infinity, -Infinity, 1e30, -1e30, -1, 0, 5e-324, 0.5, 1, 99, 1e4];
  const setters: ((v: number) => void)[] = [
    (v) => delay.setTime(v),
    (v) => delay.setFeedback(v),
    (v) => delay.setMix(v),
    (v) => delay.setTempoSync(v, 0.25),
    (v) => delay.setTempoSync(120, v),
    (v) => delay.setPingPong(v > 0.5),
  ];
  const block = new Float32Array(2 * BLOCK);
  let sounding = 0;
  for (let b = 0; b < 2000; b++) {
    for (let i = 0; i < block.length; i++) block[i] = rand() < 0.05 ? 2 * rand() - 1 : 0;
    const v = values[Math.floor(rand() * values.length)] as number;
    const setter = setters[Math.floor(rand() * setters.length)] as (v: number) => void;
    try {
      setter(v);
    } catch (e) {
      assert.ok(e instanceof RangeError, `${e}`);
    }
    delay.process(block, 0, BLOCK);
    for (const x of block) if (!(Math.abs(x) < 100)) assert.fail(`block ${b}: ${x}`);
    if (maxAbs(block) > 0) sounding++;
  }
  assert.ok(sounding > 1000);
});

Deno.test("StereoDelay silences and clears itself after NaN input, then works again", () => {
  const delay = new StereoDelay(RATE, { timeMs: 1, feedback: 0.9, mix: 0.5 });
  const buf = new Float32Array(2 * BLOCK).fill(0.5);
  buf[40] = NaN;
  delay.process(buf, 0, BLOCK);
  assert.ok(buf.every((x) => x === 0));
  const d = delay.timeFrames;
  const again = impulse(4 * d, 0);
  processInBlocks(delay, again);
  assert.equal(again[0], 0.5);
  assert.equal(again[2 * d], 0.5);
  assert.ok(Math.abs((again[4 * d] as number) - 0.45) < 1e-6);
});

/** Process `blocks` blocks, two sub-ranges each, while the time, feedback and routing keep changing. */
function delayScenario(delay: StereoDelay, block: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < block.length; i++) block[i] = ((i * 7919 + b * 31) % 200) / 200 - 0.5;
    delay.process(block, 0, 50);
    delay.setTime((b % 5) * 40 + 10);
    delay.setFeedback(b & 1);
    delay.setPingPong((b & 512) === 0);
    delay.process(block, 50, BLOCK);
  }
}

Deno.test("StereoDelay.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const delay = new StereoDelay(RATE, { maxTimeMs: 500 });
  const block = new Float32Array(2 * BLOCK);
  delayScenario(delay, block, 20000);
  const bytes = await sampledAllocation(() => delayScenario(delay, block, 50000), "delayScenario");
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while processing 50000 blocks`);
});

/**
 * `blocks` blocks of seeded noise through `delay`, each split at a random
 * frame, with time changes (crossfades, some arriving mid-fade), feedback,
 * mix and ping-pong changes (gliding); the same seed gives the same calls.
 * Returns the output.
 */
function modulatedRun(delay: StereoDelay, blocks: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(2 * BLOCK * blocks);
  for (let b = 0; b < blocks; b++) {
    if (b % 13 === 4 || b % 13 === 9) delay.setTime(1 + rand() * 299);
    if (b % 7 === 1) delay.setFeedback(rand());
    if (b % 11 === 5) delay.setMix(rand());
    if (b % 17 === 8) delay.setPingPong(rand() < 0.5);
    const block = out.subarray(2 * BLOCK * b, 2 * BLOCK * (b + 1));
    for (let i = 0; i < block.length; i++) block[i] = (b & 16) === 0 ? rand() - 0.5 : 0;
    const k = Math.floor(rand() * (BLOCK + 1));
    delay.process(block, 0, k);
    delay.process(block, k, BLOCK);
  }
  return out;
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: sample ${i}: ${a[i]} vs ${b[i]}`);
  }
}

Deno.test("StereoDelay snapshot at an offset continues bit-identically mid-crossfade", () => {
  const a = new StereoDelay(RATE, { maxTimeMs: 300, timeMs: 120, feedback: 0.7, pingPong: true });
  assert.equal(a.stateSize, stereoDelayStateSize(RATE, 300));
  assert.equal(a.stateSize, 11 + 2 * (14400 + 1));
  assert.equal(new StereoDelay(RATE).stateSize, stereoDelayStateSize(RATE));
  modulatedRun(a, 150, 1);
  // Save mid-crossfade with another time pending, and the routing gliding.
  a.setTime(200);
  const partial = new Float32Array(2 * 300).fill(0.3);
  a.process(partial, 0, 300);
  a.setTime(50);
  a.setPingPong(false);
  a.process(partial, 0, 3);
  assert.notEqual(a.timeFrames, delayFrames(200, RATE), "still fading");
  const state = new Float64Array(a.stateSize + 9).fill(-7);
  assert.equal(a.saveState(state, 4), 4 + a.stateSize);
  assert.ok(
    state.subarray(0, 4).every((x) => x === -7) && state.subarray(-5).every((x) => x === -7),
  );
  const b = new StereoDelay(RATE, { maxTimeMs: 300, timeMs: 10, feedback: 0, mix: 1 });
  modulatedRun(b, 20, 2); // a different history
  assert.equal(b.loadState(state, 4), 4 + b.stateSize);
  assert.equal(b.timeMs, a.timeMs);
  // 250 blocks: over twice the line, so every restored line value is read.
  assertBitIdentical(modulatedRun(b, 250, 3), modulatedRun(a, 250, 3), "restored");
  const again = new Float64Array(b.stateSize);
  const c = new StereoDelay(RATE, { maxTimeMs: 300 });
  c.loadState(state, 4);
  c.saveState(again, 0);
  assert.deepEqual(again, state.subarray(4, 4 + b.stateSize));
  assert.throws(() => a.saveState(new Float64Array(a.stateSize), 1), RangeError);
  assert.throws(() => a.loadState(new Float64Array(a.stateSize - 1), 0), RangeError);
});

Deno.test("StereoDelay.loadState repairs corrupt snapshots: output finite and bounded", () => {
  const a = new StereoDelay(RATE, { maxTimeMs: 300, feedback: 0.9 });
  modulatedRun(a, 130, 4);
  a.setTime(250);
  a.process(new Float32Array(2 * 10), 0, 10); // fading when saved
  const state = new Float64Array(a.stateSize);
  a.saveState(state, 0);
  const rand = seededRandom(8);
  const slots = Array.from({ length: 11 }, (_, i) => i);
  for (let k = 0; k < 30; k++) slots.push(11 + Math.floor(rand() * (state.length - 11)));
  slots.push(state.length - 1);
  const poisons = [NaN, Infinity, -Infinity, 1e300, -1e300, -1, 0.5, 1e6];
  const check = (bad: Float64Array, what: string) => {
    const d = new StereoDelay(RATE, { maxTimeMs: 300 });
    d.loadState(bad, 0);
    const after = new Float64Array(d.stateSize);
    d.saveState(after, 0);
    assert.ok(after.every(Number.isFinite), `${what}: state repaired`);
    assert.ok(d.timeFrames >= 1 && d.timeFrames <= d.maxFrames && d.feedback <= 0.95, what);
    // Input within ±0.5 and feedback <= 0.95 keep the lines within ±10.
    const out = modulatedRun(d, 120, 5);
    for (let i = 0; i < out.length; i++) {
      const x = out[i] as number;
      if (!(Math.abs(x) < 12)) assert.fail(`${what}: sample ${i} is ${x}`);
    }
  };
  for (const slot of slots) {
    for (const poison of poisons) {
      const bad = state.slice();
      bad[slot] = poison;
      check(bad, `slot ${slot} = ${poison}`);
    }
  }
  for (const poison of [NaN, -Infinity, 1e300]) check(state.slice().fill(poison), `all ${poison}`);
});
