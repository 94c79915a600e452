import assert from "node:assert/strict";
import {
  Reverb,
  REVERB_MAX_RT60,
  REVERB_MIN_RT60,
  reverbRt60,
  reverbStateSize,
} from "../dsp/reverb.ts";
import { DEFAULT_SMOOTHING_MS, smootherCoefficient } from "../dsp/smoother.ts";
import { sampledAllocation } from "./_alloc.ts";
import { processInBlocks } from "./_stereo_blocks.ts";
import { seededRandom } from "./_random.ts";
import { deinterleave, maxAbs, rms } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;

/** Stereo impulse response of `frames` frames (unit impulse in both channels at frame 0). */
function impulseResponse(reverb: Reverb, frames: number): Float32Array {
  const buf = new Float32Array(2 * frames);
  buf[0] = 1;
  buf[1] = 1;
  processInBlocks(reverb, buf);
  return buf;
}

/**
 * Decay time in seconds from the Schroeder energy decay curve of the summed
 * channel energies: a least-squares line through the curve between -5 and
 * -35 dB, extrapolated to 60 dB (T30).
 */
function measuredRt60(ir: Float32Array): number {
  const frames = ir.length / 2;
  const edc = new Float64Array(frames);
  let acc = 0;
  for (let n = frames - 1; n >= 0; n--) {
    acc += (ir[2 * n] as number) ** 2 + (ir[2 * n + 1] as number) ** 2;
    edc[n] = acc;
  }
  const total = edc[0] as number;
  let sx = 0, sy = 0, sxx = 0, sxy = 0, count = 0;
  for (let n = 0; n < frames; n++) {
    const db = 10 * Math.log10((edc[n] as number) / total);
    if (db > -5 || db < -35) continue;
    const t = n / RATE;
    sx += t;
    sy += db;
    sxx += t * t;
    sxy += t * db;
    count++;
  }
  const slope = (count * sxy - sx * sy) / (count * sxx - sx * sx); // dB per second
  return -60 / slope;
}

Deno.test("reverbRt60 rises exponentially from 0.2 s at size 0 to 10 s at size 1", () => {
  assert.equal(reverbRt60(0), REVERB_MIN_RT60);
  assert.ok(Math.abs(reverbRt60(1) - REVERB_MAX_RT60) < 1e-12);
  assert.ok(Math.abs(reverbRt60(0.5) - Math.sqrt(REVERB_MIN_RT60 * REVERB_MAX_RT60)) < 1e-12);
  assert.ok(
    Math.abs(reverbRt60(0.75) / reverbRt60(0.5) - reverbRt60(0.25) / reverbRt60(0)) < 1e-12,
  );
  assert.equal(reverbRt60(-4), REVERB_MIN_RT60);
  assert.equal(reverbRt60(1e30), reverbRt60(1));
  assert.throws(() => reverbRt60(NaN), RangeError);
});

Deno.test("Reverb impulse response decays at the documented RT60 (energy decay curve, T30)", () => {
  // At size 0 the 35 dB fitted span is only about three loop passes, so the
  // sparse early echoes make the curve lumpy: a wider tolerance there.
  for (const [size, tolerance] of [[0, 0.06], [0.3, 0.02], [0.6, 0.02], [0.8, 0.02]] as const) {
    const reverb = new Reverb(RATE, { size, damping: 0, mix: 1 });
    const want = reverbRt60(size);
    assert.equal(reverb.rt60, want);
    const ir = impulseResponse(reverb, Math.ceil((1.3 * want + 0.2) * RATE));
    const got = measuredRt60(ir);
    assert.ok(
      Math.abs(got / want - 1) < tolerance,
      `size ${size}: RT60 ${got} s, documented ${want} s`,
    );
  }
});

Deno.test("Reverb damping shortens the broadband decay but not the low-frequency one", () => {
  const size = 0.4;
  const bright = measuredRt60(
    impulseResponse(new Reverb(RATE, { size, damping: 0, mix: 1 }), RATE * 2),
  );
  const dark = new Reverb(RATE, { size, damping: 1, mix: 1 });
  const ir = impulseResponse(dark, RATE * 2);
  assert.ok(measuredRt60(ir) < 0.9 * bright, `damped ${measuredRt60(ir)} vs ${bright}`);
  // Below 100 Hz (two one-pole low-passes at 50 Hz) the decay is still the documented one.
  const a = Math.exp((-2 * Math.PI * 50) / RATE);
  let l1 = 0, l2 = 0, r1 = 0, r2 = 0;
  const low = new Float32Array(ir.length);
  for (let n = 0; n < ir.length / 2; n++) {
    l1 = (ir[2 * n] as number) + a * (l1 - (ir[2 * n] as number));
    l2 = l1 + a * (l2 - l1);
    r1 = (ir[2 * n + 1] as number) + a * (r1 - (ir[2 * n + 1] as number));
    r2 = r1 + a * (r2 - r1);
    low[2 * n] = l2;
    low[2 * n + 1] = r2;
  }
  const lowRt = measuredRt60(low);
  assert.ok(Math.abs(lowRt / reverbRt60(size) - 1) < 0.1, `low-frequency RT60 ${lowRt}`);
});

Deno.test("Reverb is stable and decaying for every corner of its parameters", () => {
  const rand = seededRandom(11);
  for (const size of [0, 0.5, 1]) {
    for (const damping of [0, 0.5, 1]) {
      for (const mix of [0.5, 1]) {
        const reverb = new Reverb(RATE, { size, damping, mix });
        const buf = new Float32Array(2 * RATE);
        for (let i = 0; i < RATE / 5; i++) buf[i] = 2 * rand() - 1;
        processInBlocks(reverb, buf, size * 10 + damping);
        for (const x of buf) {
          if (!Number.isFinite(x)) assert.fail(`size ${size} damping ${damping}: ${x}`);
        }
        assert.ok(maxAbs(buf) < 4, `size ${size} damping ${damping}: peak ${maxAbs(buf)}`);
        // After the burst, 100 ms windows never grow by more than 1 dB, and the last is quieter.
        let prev = Infinity;
        const windows: number[] = [];
        for (let w = 0.2; w < 0.95; w += 0.1) {
          const level = rms(buf, Math.round(2 * w * RATE), Math.round(2 * (w + 0.1) * RATE));
          assert.ok(level < prev * 1.122, `size ${size} damping ${damping}: grew at ${w} s`);
          prev = level;
          windows.push(level);
        }
        assert.ok(
          (windows.at(-1) as number) < (windows[0] as number),
          `size ${size} damping ${damping}`,
        );
      }
    }
  }
});

Deno.test("Reverb gives decorrelated left and right tails and mix 0 passes the input exactly", () => {
  const ir = impulseResponse(new Reverb(RATE, { size: 0.5, mix: 1 }), RATE / 2);
  const left = deinterleave(ir, 0);
  const right = deinterleave(ir, 1);
  let lr = 0, ll = 0, rr = 0;
  for (let n = 0; n < left.length; n++) {
    lr += (left[n] as number) * (right[n] as number);
    ll += (left[n] as number) ** 2;
    rr += (right[n] as number) ** 2;
  }
  assert.ok(Math.abs(lr / Math.sqrt(ll * rr)) < 0.3, `correlation ${lr / Math.sqrt(ll * rr)}`);
  const rand = seededRandom(4);
  const input = new Float32Array(2 * 5000).map(() => rand() - 0.5);
  const out = input.slice();
  processInBlocks(new Reverb(RATE, { mix: 0 }), out);
  assert.deepEqual(out, input);
});

Deno.test("Reverb size changes glide and lengthen the tail", () => {
  const reverb = new Reverb(RATE, { size: 0, mix: 1, damping: 0.5 });
  const buf = new Float32Array(2 * RATE / 2);
  const rand = seededRandom(6);
  for (let i = 0; i < 2 * 2400; i++) buf[i] = rand() - 0.5;
  for (let b0 = 0; b0 < buf.length / 2; b0 += BLOCK) {
    if (b0 === 40 * BLOCK) reverb.setSize(1);
    reverb.process(buf.subarray(2 * b0, 2 * (b0 + BLOCK)), 0, BLOCK);
    if (b0 === 40 * BLOCK) {
      // One block of the default 5 ms one-pole glide from 0 toward 1.
      const want = 1 - (1 - smootherCoefficient(DEFAULT_SMOOTHING_MS, RATE)) ** BLOCK;
      assert.ok(Math.abs(reverb.size - want) < 1e-9, `size ${reverb.size}, expected ${want}`);
    }
  }
  assert.equal(reverb.size, 1);
  // The tail lives on (10 s RT60) instead of dying out in 0.2 s.
  assert.ok(rms(buf, RATE - 4800, RATE) > 0.01);
});

Deno.test("Reverb setters reject non-finite values and clamp the rest; output stays finite", () => {
  const reverb = new Reverb(RATE);
  const rand = seededRandom(2025);
  const values = [NaN, Infinity, -Infinity, 1e30, -1e30, -1, 0, 5e-324, 0.5, 1, 2];
  const setters: ((v: number) => void)[] = [
    (v) => reverb.setSize(v),
    (v) => reverb.setDamping(v),
    (v) => reverb.setMix(v),
  ];
  const block = new Float32Array(2 * BLOCK);
  for (let b = 0; b < 2000; b++) {
    for (let i = 0; i < block.length; i++) block[i] = b % 50 < 5 ? 2 * rand() - 1 : 0;
    const v = values[Math.floor(rand() * values.length)] as number;
    try {
      (setters[Math.floor(rand() * setters.length)] as (v: number) => void)(v);
    } catch (e) {
      assert.ok(e instanceof RangeError && !Number.isFinite(v), `${e} for ${v}`);
    }
    reverb.process(block, 0, BLOCK);
    for (const x of block) if (!(Math.abs(x) < 10)) assert.fail(`block ${b}: ${x}`);
  }
  assert.ok(reverb.size >= 0 && reverb.size <= 1 && reverb.damping >= 0 && reverb.damping <= 1);
});

Deno.test("Reverb silences and clears itself after NaN input, then works again", () => {
  const reverb = new Reverb(RATE, { mix: 0.5 });
  const buf = new Float32Array(2 * BLOCK).fill(0.5);
  buf[17] = NaN;
  reverb.process(buf, 0, BLOCK);
  assert.ok(buf.every((x) => x === 0));
  const ir = impulseResponse(reverb, RATE / 4);
  assert.equal(ir[0], 0.5);
  assert.ok(rms(ir, 2, ir.length) > 0.001);
  for (const x of ir) assert.ok(Number.isFinite(x));
});

/** Process `blocks` blocks, two sub-ranges each, while size and damping keep gliding. */
function reverbScenario(reverb: Reverb, block: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < block.length; i++) block[i] = ((i * 7919 + b * 31) % 200) / 200 - 0.5;
    reverb.process(block, 0, 50);
    if (b % 100 === 0) reverb.setSize((b >> 7) & 1);
    reverb.setDamping(b & 1);
    reverb.process(block, 50, BLOCK);
  }
}

Deno.test("Reverb.process allocates nothing in steady state (V8 heap sampling)", async () => {
  const reverb = new Reverb(RATE);
  const block = new Float32Array(2 * BLOCK);
  reverbScenario(reverb, block, 10000);
  const bytes = await sampledAllocation(
    () => reverbScenario(reverb, block, 20000),
    "reverbScenario",
  );
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while processing 15000 blocks`);
});

/**
 * `blocks` blocks of seeded noise through `reverb`, each split at a random
 * frame, with size, damping and mix changes (gliding) every few blocks; the
 * same seed gives the same calls. Returns the output.
 */
function modulatedRun(reverb: Reverb, blocks: number, seed: number, amp = 0.5): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(2 * BLOCK * blocks);
  for (let b = 0; b < blocks; b++) {
    if (b % 7 === 3) reverb.setSize(rand());
    if (b % 5 === 1) reverb.setDamping(rand());
    if (b % 11 === 2) reverb.setMix(0.3 + 0.7 * rand());
    const block = out.subarray(2 * BLOCK * b, 2 * BLOCK * (b + 1));
    for (let i = 0; i < block.length; i++) block[i] = (b & 8) === 0 ? amp * (2 * rand() - 1) : 0;
    const k = Math.floor(rand() * (BLOCK + 1));
    reverb.process(block, 0, k);
    reverb.process(block, k, BLOCK);
  }
  return out;
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: sample ${i}: ${a[i]} vs ${b[i]}`);
  }
}

Deno.test("Reverb snapshot at an offset continues bit-identically in a reverb with another history", () => {
  const a = new Reverb(RATE, { size: 0.8, damping: 0.2, mix: 0.6 });
  assert.equal(a.stateSize, reverbStateSize(RATE));
  assert.equal(reverbStateSize(RATE), 30 + 18048);
  assert.equal(new Reverb(44100).stateSize, reverbStateSize(44100));
  modulatedRun(a, 60, 1);
  // Save mid-glide, mid-block.
  a.setSize(0.1);
  a.setDamping(0.9);
  const partial = new Float32Array(2 * 77).fill(0.25);
  a.process(partial, 0, 77);
  const state = new Float64Array(a.stateSize + 12).fill(-7);
  assert.equal(a.saveState(state, 5), 5 + a.stateSize);
  assert.ok(
    state.subarray(0, 5).every((x) => x === -7) && state.subarray(-7).every((x) => x === -7),
  );
  const b = new Reverb(RATE, { size: 0.05, damping: 1, mix: 0.1, smoothingMs: 5 });
  modulatedRun(b, 13, 2); // a different history
  assert.equal(b.loadState(state, 5), 5 + b.stateSize);
  assert.equal(b.size, a.size);
  assertBitIdentical(modulatedRun(b, 200, 3), modulatedRun(a, 200, 3), "restored");
  // Loading gives the snapshot back.
  const again = new Float64Array(b.stateSize);
  const c = new Reverb(RATE);
  c.loadState(state, 5);
  c.saveState(again, 0);
  assert.deepEqual(again, state.subarray(5, 5 + b.stateSize));
  assert.throws(() => a.saveState(new Float64Array(a.stateSize), 1), RangeError);
  assert.throws(() => a.loadState(new Float64Array(a.stateSize - 1), 0), RangeError);
});

Deno.test("Reverb.loadState repairs corrupt snapshots: output finite and bounded", () => {
  const a = new Reverb(RATE, { size: 1, damping: 0.3, mix: 0.7 });
  modulatedRun(a, 40, 4);
  const state = new Float64Array(a.stateSize);
  a.saveState(state, 0);
  const rand = seededRandom(8);
  // Every slot before the lines (smoothers, positions, gains, filters), a sample of line slots.
  const slots = Array.from({ length: 30 }, (_, i) => i);
  for (let k = 0; k < 40; k++) slots.push(30 + Math.floor(rand() * (state.length - 30)));
  slots.push(state.length - 1);
  const poisons = [NaN, Infinity, -Infinity, 1e300, -1e300, -1, 0.5, 7];
  const check = (bad: Float64Array, what: string) => {
    const r = new Reverb(RATE, { size: 0.3 });
    r.loadState(bad, 0);
    const after = new Float64Array(r.stateSize);
    r.saveState(after, 0);
    assert.ok(after.every(Number.isFinite), `${what}: state repaired`);
    assert.ok(r.size >= 0 && r.size <= 1 && r.damping >= 0 && r.mix <= 1, what);
    // Longer than the longest line, so every line value comes out.
    const out = modulatedRun(r, 30, 5);
    for (let i = 0; i < out.length; i++) {
      const x = out[i] as number;
      if (!(Math.abs(x) < 4)) assert.fail(`${what}: sample ${i} is ${x}`);
    }
  };
  for (const slot of slots) {
    for (const poison of poisons) {
      const bad = state.slice();
      bad[slot] = poison;
      check(bad, `slot ${slot} = ${poison}`);
    }
  }
  for (const poison of [NaN, Infinity, 1e300, -1e300]) {
    check(state.slice().fill(poison), `all ${poison}`);
  }
});
