import assert from "node:assert/strict";
import {
  Chorus,
  CHORUS_BASE_MS,
  CHORUS_MAX_DEPTH_MS,
  CHORUS_MAX_RATE,
  CHORUS_MIN_RATE,
  chorusDelayMs,
  chorusStateSize,
} from "../dsp/chorus.ts";
import { DEFAULT_SMOOTHING_MS, smootherCoefficient } from "../dsp/smoother.ts";
import { sampledAllocation } from "./_alloc.ts";
import { processInBlocks } from "./_stereo_blocks.ts";
import { seededRandom } from "./_random.ts";
import { deinterleave, maxAbs } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;

Deno.test("chorusDelayMs sweeps base ± depth·max depth and clamps the depth", () => {
  assert.equal(chorusDelayMs(0, 1), CHORUS_BASE_MS);
  assert.equal(chorusDelayMs(1, 1), CHORUS_BASE_MS + CHORUS_MAX_DEPTH_MS);
  assert.equal(chorusDelayMs(1, -1), CHORUS_BASE_MS - CHORUS_MAX_DEPTH_MS);
  assert.equal(chorusDelayMs(0.5, 1), CHORUS_BASE_MS + 0.5 * CHORUS_MAX_DEPTH_MS);
  assert.equal(chorusDelayMs(7, -1), chorusDelayMs(1, -1));
  assert.equal(chorusDelayMs(-7, 1), CHORUS_BASE_MS);
});

Deno.test("Chorus at depth 0 is a plain delay of the base time, to the sample", () => {
  const chorus = new Chorus(RATE, { depth: 0, mix: 1 });
  const buf = new Float32Array(2 * 2000);
  buf[2 * 33] = 1;
  buf[2 * 33 + 1] = -1;
  processInBlocks(chorus, buf);
  const d = (CHORUS_BASE_MS * RATE) / 1000;
  for (let n = 0; n < 2000; n++) {
    assert.equal(buf[2 * n], n === 33 + d ? 1 : 0, `left ${n}`);
    assert.equal(buf[2 * n + 1], n === 33 + d ? -1 : 0, `right ${n}`);
  }
});

Deno.test("Chorus delay follows chorusDelayMs with the left LFO on sin and the right on cos", () => {
  // Catmull-Rom reproduces straight lines exactly, so a ramp input x[n] = n
  // comes out as n − delay(n): the instantaneous delay, measured to 1/100 frame.
  for (const [rateHz, depth] of [[0.8, 0.5], [3, 1], [CHORUS_MAX_RATE, 0.25]] as const) {
    const chorus = new Chorus(RATE, { rateHz, depth, mix: 1 });
    const frames = 12000;
    const buf = new Float32Array(2 * frames);
    for (let n = 0; n < frames; n++) buf[2 * n] = buf[2 * n + 1] = n;
    processInBlocks(chorus, buf, rateHz);
    const left = deinterleave(buf, 0);
    const right = deinterleave(buf, 1);
    let worst = 0;
    for (let n = 1000; n < frames; n++) {
      const phase = 2 * Math.PI * rateHz * n / RATE;
      const wantL = (chorusDelayMs(depth, Math.sin(phase)) * RATE) / 1000;
      const wantR = (chorusDelayMs(depth, Math.cos(phase)) * RATE) / 1000;
      worst = Math.max(worst, Math.abs(n - (left[n] as number) - wantL));
      worst = Math.max(worst, Math.abs(n - (right[n] as number) - wantR));
    }
    assert.ok(worst < 0.01, `rate ${rateHz} depth ${depth}: off by ${worst} frames`);
  }
});

Deno.test("Chorus mix 0 passes the input exactly and mix 1 makes the channels differ", () => {
  const rand = seededRandom(12);
  const input = new Float32Array(2 * 6000);
  for (let n = 0; n < 6000; n++) input[2 * n] = input[2 * n + 1] = rand() - 0.5;
  const dry = input.slice();
  processInBlocks(new Chorus(RATE, { mix: 0 }), dry);
  assert.deepEqual(dry, input);
  const wet = input.slice();
  processInBlocks(new Chorus(RATE, { mix: 1, depth: 1, rateHz: 2 }), wet);
  const left = deinterleave(wet, 0);
  const right = deinterleave(wet, 1);
  let diff = 0;
  for (let n = 1000; n < 6000; n++) {
    diff = Math.max(diff, Math.abs((left[n] as number) - (right[n] as number)));
  }
  assert.ok(diff > 0.1, `left and right differ by at most ${diff}`);
});

Deno.test("Chorus.isDry: only once the mix has glided all the way to 0", () => {
  const chorus = new Chorus(RATE, { mix: 0 });
  assert.equal(chorus.isDry, true);
  chorus.setMix(0.5);
  assert.equal(chorus.isDry, false, "mix target above 0");
  const block = new Float32Array(2 * BLOCK).fill(0.25);
  chorus.process(block, 0, BLOCK);
  chorus.setMix(0);
  chorus.process(block, 0, BLOCK);
  assert.ok(chorus.mix > 0, "still gliding down");
  assert.equal(chorus.isDry, false, "target 0 but not there yet");
  for (let b = 0; b < 60 && !chorus.isDry; b++) chorus.process(block, 0, BLOCK);
  assert.equal(chorus.mix, 0);
  assert.equal(chorus.isDry, true);
  // Dry: the input passes exactly.
  const input = block.map((_, i) => Math.sin(i));
  const out = input.slice();
  chorus.process(out, 0, BLOCK);
  assert.deepEqual(out, input);
});

Deno.test("Chorus glides depth, rate and mix without clicks", () => {
  const chorus = new Chorus(RATE, { depth: 0, mix: 0, rateHz: CHORUS_MIN_RATE });
  const w = (2 * Math.PI * 220) / RATE;
  const frames = RATE / 2;
  const buf = new Float32Array(2 * frames);
  for (let n = 0; n < frames; n++) buf[2 * n] = buf[2 * n + 1] = Math.sin(w * n);
  for (let b0 = 0; b0 < frames; b0 += BLOCK) {
    if (b0 === 20 * BLOCK) {
      chorus.setDepth(1);
      chorus.setMix(1);
      chorus.setRate(CHORUS_MAX_RATE);
    }
    chorus.process(buf.subarray(2 * b0, 2 * (b0 + BLOCK)), 0, BLOCK);
  }
  // Each step is at most the sine's own step w, raised by the sweep's Doppler
  // factor (1 + 2π·rate·depth), plus the mix's glide (at most 2·c per frame
  // between two unit signals).
  const doppler = 1 + (2 * Math.PI * CHORUS_MAX_RATE * CHORUS_MAX_DEPTH_MS) / 1000;
  const limit = w * doppler + 2 * smootherCoefficient(DEFAULT_SMOOTHING_MS, RATE);
  const left = deinterleave(buf, 0);
  let worst = 0;
  for (let n = 1; n < frames; n++) {
    worst = Math.max(worst, Math.abs((left[n] as number) - (left[n - 1] as number)));
  }
  assert.ok(worst < limit, `largest step ${worst}, limit ${limit}`);
  assert.equal(chorus.depth, 1);
  assert.equal(chorus.rate, CHORUS_MAX_RATE);
});

Deno.test("Chorus setters reject non-finite values and clamp the rest; output stays finite", () => {
  const chorus = new Chorus(RATE);
  const rand = seededRandom(2026);
  const values = [NaN, Infinity, -Infinity, 1e30, -1e30, -1, 0, 5e-324, 0.5, 1, 20];
  const setters: ((v: number) => void)[] = [
    (v) => chorus.setRate(v),
    (v) => chorus.setDepth(v),
    (v) => chorus.setMix(v),
  ];
  const block = new Float32Array(2 * BLOCK);
  for (let b = 0; b < 2000; b++) {
    for (let i = 0; i < block.length; i++) block[i] = 2 * rand() - 1;
    const v = values[Math.floor(rand() * values.length)] as number;
    try {
      (setters[Math.floor(rand() * setters.length)] as (v: number) => void)(v);
    } catch (e) {
      assert.ok(e instanceof RangeError && !Number.isFinite(v), `${e} for ${v}`);
    }
    chorus.process(block, 0, BLOCK);
    // Catmull-Rom overshoots a ±1 input by at most 1.25.
    assert.ok(maxAbs(block) <= 1.25, `block ${b}: ${maxAbs(block)}`);
  }
  assert.ok(chorus.rate >= CHORUS_MIN_RATE && chorus.rate <= CHORUS_MAX_RATE);
});

Deno.test("Chorus silences and clears itself after NaN input, then works again", () => {
  const chorus = new Chorus(RATE, { depth: 0, mix: 0.5 });
  const buf = new Float32Array(2 * BLOCK).fill(0.5);
  buf[3] = NaN;
  chorus.process(buf, 0, BLOCK);
  assert.ok(buf.every((x) => x === 0));
  assert.equal(chorus.phase, 0);
  const again = new Float32Array(2 * 1000);
  again[0] = 1;
  processInBlocks(chorus, again);
  assert.equal(again[0], 0.5);
  assert.equal(again[(2 * CHORUS_BASE_MS * RATE) / 1000], 0.5);
});

/** Process `blocks` blocks, two sub-ranges each, while depth and rate keep gliding. */
function chorusScenario(chorus: Chorus, block: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < block.length; i++) block[i] = ((i * 7919 + b * 31) % 200) / 200 - 0.5;
    chorus.process(block, 0, 50);
    chorus.setDepth(b & 1);
    chorus.setRate((b % 9) + 1);
    chorus.process(block, 50, BLOCK);
  }
}

Deno.test("Chorus.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const chorus = new Chorus(RATE);
  const block = new Float32Array(2 * BLOCK);
  chorusScenario(chorus, block, 10000);
  const bytes = await sampledAllocation(
    () => chorusScenario(chorus, block, 30000),
    "chorusScenario",
  );
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while processing 20000 blocks`);
});

/**
 * `blocks` blocks of seeded noise through `chorus`, each split at a random
 * frame, with rate, depth and mix changes (gliding); the same seed gives the
 * same calls. Returns the output.
 */
function modulatedRun(chorus: Chorus, blocks: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(2 * BLOCK * blocks);
  for (let b = 0; b < blocks; b++) {
    if (b % 7 === 2) chorus.setRate(rand() * 8);
    if (b % 5 === 1) chorus.setDepth(rand());
    if (b % 11 === 3) chorus.setMix(rand());
    const block = out.subarray(2 * BLOCK * b, 2 * BLOCK * (b + 1));
    for (let i = 0; i < block.length; i++) block[i] = rand() - 0.5;
    const k = Math.floor(rand() * (BLOCK + 1));
    chorus.process(block, 0, k);
    chorus.process(block, k, BLOCK);
  }
  return out;
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: sample ${i}: ${a[i]} vs ${b[i]}`);
  }
}

Deno.test("Chorus snapshot at an offset continues bit-identically mid-sweep and mid-glide", () => {
  const a = new Chorus(RATE, { rateHz: 3, depth: 0.9, mix: 0.5 });
  assert.equal(a.stateSize, chorusStateSize(RATE));
  assert.equal(a.stateSize, 8 + 2 * (720 + 4));
  modulatedRun(a, 50, 1);
  a.setRate(0.2);
  a.setDepth(0.1);
  a.process(new Float32Array(2 * 45).fill(0.2), 0, 45);
  assert.ok(a.phase > 0);
  const state = new Float64Array(a.stateSize + 10).fill(-7);
  assert.equal(a.saveState(state, 3), 3 + a.stateSize);
  assert.ok(
    state.subarray(0, 3).every((x) => x === -7) && state.subarray(-7).every((x) => x === -7),
  );
  const b = new Chorus(RATE, { rateHz: 9, depth: 0, mix: 1 });
  modulatedRun(b, 7, 2); // a different history
  assert.equal(b.loadState(state, 3), 3 + b.stateSize);
  assert.equal(b.phase, a.phase);
  assertBitIdentical(modulatedRun(b, 100, 3), modulatedRun(a, 100, 3), "restored");
  const again = new Float64Array(b.stateSize);
  const c = new Chorus(RATE);
  c.loadState(state, 3);
  c.saveState(again, 0);
  assert.deepEqual(again, state.subarray(3, 3 + b.stateSize));
  assert.throws(() => a.saveState(new Float64Array(a.stateSize), 1), RangeError);
  assert.throws(() => a.loadState(new Float64Array(a.stateSize - 1), 0), RangeError);
});

Deno.test("Chorus.loadState repairs corrupt snapshots: output finite and bounded", () => {
  const a = new Chorus(RATE, { rateHz: 5, depth: 1 });
  modulatedRun(a, 20, 4);
  const state = new Float64Array(a.stateSize);
  a.saveState(state, 0);
  const rand = seededRandom(8);
  const slots = Array.from({ length: 8 }, (_, i) => i);
  for (let k = 0; k < 40; k++) slots.push(8 + Math.floor(rand() * (state.length - 8)));
  const poisons = [NaN, Infinity, -Infinity, 1e300, -1e300, -1, 0.5, 1e6];
  const check = (bad: Float64Array, what: string) => {
    const ch = new Chorus(RATE);
    ch.loadState(bad, 0);
    const after = new Float64Array(ch.stateSize);
    ch.saveState(after, 0);
    assert.ok(after.every(Number.isFinite), `${what}: state repaired`);
    assert.ok(ch.phase >= 0 && ch.phase < 1 && ch.rate <= CHORUS_MAX_RATE, what);
    // Catmull-Rom overshoots by at most 1.25× the line values (±1 here).
    const out = modulatedRun(ch, 8, 5);
    for (let i = 0; i < out.length; i++) {
      const x = out[i] as number;
      if (!(Math.abs(x) < 1.5)) assert.fail(`${what}: sample ${i} is ${x}`);
    }
  };
  for (const slot of slots) {
    for (const poison of poisons) {
      const bad = state.slice();
      bad[slot] = poison;
      check(bad, `slot ${slot} = ${poison}`);
    }
  }
  for (const poison of [NaN, Infinity, -1e300]) check(state.slice().fill(poison), `all ${poison}`);
});
