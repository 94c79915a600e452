import assert from "node:assert/strict";
import { MINI_SYNTH_STATE_SIZE, MINI_SYNTH_STATE_TAG, MiniSynth } from "../dsp/mini_synth.ts";
import { adsrSegmentFrames } from "../dsp/adsr.ts";
import { PARAM_COUNT, PARAM_SPECS, SynthParam } from "../dsp/params.ts";
import { sampledAllocation } from "./_alloc.ts";
import { deinterleave, isSilent, magnitudeSpectrum, peakFrequency, rms } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;

/** Deterministic uniform numbers in [0, 1) (32-bit LCG). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A parameter change at frame `at` of the whole render. */
interface Change {
  readonly at: number;
  readonly id: number;
  readonly value: number;
}

/** Render `frames` frames in blocks of BLOCK, applying changes at their exact frame. */
function renderFrames(synth: MiniSynth, frames: number, changes: readonly Change[] = []) {
  const out = new Float32Array(2 * frames);
  const block = new Float32Array(2 * BLOCK);
  let next = 0;
  for (let b0 = 0; b0 < frames; b0 += BLOCK) {
    const n = Math.min(BLOCK, frames - b0);
    let pos = 0;
    while (next < changes.length && (changes[next] as Change).at < b0 + n) {
      const c = changes[next++] as Change;
      const k = Math.max(0, c.at - b0);
      synth.render(block, pos, k);
      synth.setParam(c.id, c.value);
      pos = k;
    }
    synth.render(block, pos, n);
    out.set(block.subarray(0, 2 * n), 2 * b0);
  }
  return out;
}

/** Fail unless two float32 buffers hold the same bits (so -0 vs 0 and NaNs count). */
function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, what);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}: value ${i} differs: ${a[i]} vs ${b[i]}`);
  }
}

function assertAllFinite(x: Float32Array, what: string): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) assert.fail(`${what}: non-finite ${x[i]} at ${i}`);
  }
}

/** A random but reproducible stream of parameter changes over `frames` frames. */
function randomChanges(seed: number, frames: number, count: number): Change[] {
  const rand = lcg(seed);
  const changes: Change[] = [];
  for (let i = 0; i < count; i++) {
    const id = Math.floor(rand() * PARAM_COUNT);
    const spec = PARAM_SPECS[id];
    assert.ok(spec !== undefined);
    const value = id === SynthParam.Gate
      ? (rand() < 0.5 ? 0 : 1)
      : spec.min + (spec.max - spec.min) * rand() ** 2;
    const ms = id === SynthParam.AdsrAttack || id === SynthParam.AdsrDecay ||
      id === SynthParam.AdsrRelease;
    changes.push({ at: Math.floor(rand() * frames), id, value: ms ? value / 20 : value });
  }
  return changes.sort((a, b) => a.at - b.at);
}

Deno.test("MiniSynth starts at the PARAM_SPECS initial values, silent with the gate closed", () => {
  const synth = new MiniSynth(RATE);
  for (const spec of PARAM_SPECS) assert.equal(synth.getParam(spec.id), spec.initial);
  assert.equal(synth.stateSize, MINI_SYNTH_STATE_SIZE);
  const out = renderFrames(synth, RATE / 10);
  assert.ok(isSilent(out));
  assert.throws(() => new MiniSynth(NaN), RangeError);
  assert.throws(() => new MiniSynth(0), RangeError);
});

Deno.test("MiniSynth with the gate open plays a 440 Hz sine at the expected level in both channels", () => {
  const synth = new MiniSynth(RATE);
  const out = renderFrames(synth, RATE, [{ at: 0, id: SynthParam.Gate, value: 1 }]);
  const left = deinterleave(out, 0);
  const right = deinterleave(out, 1);
  assert.deepEqual(left, right);
  const spectrum = magnitudeSpectrum(left, { start: RATE / 4, size: 1 << 15, sampleRate: RATE });
  const peak = peakFrequency(spectrum);
  assert.ok(Math.abs(peak - 440) < 1, `peak at ${peak} Hz`);
  // Sustain: sine gain 0.5 × sustain 0.8 × master 0.8 (cutoff far above 440 Hz).
  const amplitude = 0.5 * 0.8 * 0.8;
  const level = rms(left, RATE / 2, RATE);
  assert.ok(Math.abs(level / (amplitude / Math.SQRT2) - 1) < 0.01, `rms ${level}`);
});

Deno.test("MiniSynth is exactly silent once the release has finished", () => {
  const synth = new MiniSynth(RATE);
  const off = 24000 + 77;
  const changes = [
    { at: 0, id: SynthParam.Gate, value: 1 },
    { at: off, id: SynthParam.Gate, value: 0 },
  ];
  const out = deinterleave(renderFrames(synth, RATE, changes), 0);
  const r = adsrSegmentFrames(PARAM_SPECS[SynthParam.AdsrRelease]?.initial ?? NaN, RATE);
  const end = off + r - 1;
  assert.ok(rms(out, off, end) > 0.01, "sounding during release");
  assert.notEqual(out[end - 1], 0);
  assert.ok(isSilent(out, { start: end }), "silent from r + R - 1 on");
});

Deno.test("MiniSynth applies a change at the exact frame of the sub-block split", () => {
  for (const k of [0, 1, 63, 127]) {
    const synth = new MiniSynth(RATE);
    synth.setParam(SynthParam.AdsrAttack, 0);
    const out = deinterleave(renderFrames(synth, 1000, [{ at: 300 + k, id: 8, value: 1 }]), 0);
    assert.ok(isSilent(out, { end: 300 + k }), `silent before frame ${300 + k}`);
    assert.notEqual(out[300 + k], 0, `sound at frame ${300 + k}`);
  }
});

Deno.test("MiniSynth renders the same whether a span is one call or many sub-ranges", () => {
  const a = new MiniSynth(RATE);
  const b = new MiniSynth(RATE);
  a.setParam(SynthParam.Gate, 1);
  b.setParam(SynthParam.Gate, 1);
  const whole = new Float32Array(2 * 1000);
  a.render(whole, 0, 1000);
  const parts = new Float32Array(2 * 1000);
  for (const [s, e] of [[0, 1], [1, 100], [100, 100], [100, 999], [999, 1000]]) {
    b.render(parts, s as number, e as number);
  }
  assertBitIdentical(whole, parts, "split render");
});

Deno.test("MiniSynth.render writes only its clamped frame range", () => {
  const synth = new MiniSynth(RATE);
  synth.setParam(SynthParam.Gate, 1);
  synth.setParam(SynthParam.AdsrAttack, 0);
  const out = new Float32Array(2 * 64).fill(7);
  synth.render(out, 10, 5);
  synth.render(out, NaN, NaN);
  assert.ok(out.every((x) => x === 7));
  synth.render(out, 40, 1e9);
  assert.ok(out.subarray(0, 80).every((x) => x === 7));
  assert.ok(out.subarray(80).every((x) => x !== 7 && Math.abs(x) < 1));
  synth.render(out, -5, 3);
  assert.ok(out.subarray(0, 6).every((x) => x !== 7));
  assert.ok(out.subarray(6, 80).every((x) => x === 7));
});

Deno.test("MiniSynth.setParam ignores unknown ids and non-finite values and clamps the rest", () => {
  const synth = new MiniSynth(RATE);
  for (const id of [10, -1, 1.5, NaN, 1e9, Infinity]) {
    assert.equal(synth.setParam(id, 1), false, `id ${id}`);
    assert.ok(Number.isNaN(synth.getParam(id)));
  }
  for (let id = 0; id < PARAM_COUNT; id++) {
    const spec = PARAM_SPECS[id];
    assert.ok(spec !== undefined);
    const before = synth.getParam(id);
    for (const v of [NaN, Infinity, -Infinity]) {
      assert.equal(synth.setParam(id, v), false);
      assert.equal(synth.getParam(id), before);
    }
    assert.equal(synth.setParam(id, 1e30), true);
    assert.equal(synth.getParam(id), spec.max);
    assert.equal(synth.setParam(id, -1e30), true);
    assert.equal(synth.getParam(id), spec.min);
  }
});

Deno.test("MiniSynth never outputs non-finite values whatever it is sent", () => {
  const synth = new MiniSynth(RATE);
  const rand = lcg(2024);
  const values = [NaN, Infinity, -Infinity, -1e30, 1e30, 5e-324, -0, 0, 0.5, 1, 440, 20000];
  const block = new Float32Array(2 * BLOCK);
  let sounding = 0;
  for (let b = 0; b < 3000; b++) {
    const k = Math.floor(rand() * BLOCK);
    synth.render(block, 0, k);
    const id = Math.floor(rand() * (PARAM_COUNT + 3)) - 1;
    synth.setParam(id, values[Math.floor(rand() * values.length)] as number);
    if (b % 7 === 0) synth.setParam(SynthParam.Gate, 1);
    synth.render(block, k, BLOCK);
    assertAllFinite(block, `block ${b}`);
    for (const x of block) assert.ok(Math.abs(x) < 100, `runaway ${x} in block ${b}`);
    if (rms(block) > 0) sounding++;
  }
  assert.ok(sounding > 100, `only ${sounding} blocks had sound: the fuzz is not exercising much`);
});

Deno.test("MiniSynth instances fed identical calls produce bit-identical output", () => {
  const changes = randomChanges(1, 200 * BLOCK, 400);
  const a = renderFrames(new MiniSynth(RATE), 200 * BLOCK, changes);
  const b = renderFrames(new MiniSynth(RATE), 200 * BLOCK, changes);
  assertBitIdentical(a, b, "twin instances");
  assert.ok(rms(a) > 0.01, "the scenario makes sound");
});

Deno.test("MiniSynth.loadState of a snapshot continues bit-identically, block after block", () => {
  const frames = 3000 * BLOCK;
  // Snapshots right after a change (mid-glide, mid-segment) ...
  const busy = [1, 50, 333, 1234];
  // ... and after 80 quiet blocks, when every smoother has settled.
  const quiet = [2000, 2500];
  const changes = randomChanges(42, frames, 3000).filter((c) =>
    !quiet.some((q) => c.at >= (q - 80) * BLOCK && c.at < q * BLOCK)
  );
  for (const sb of busy) changes.push({ at: sb * BLOCK - 1, id: 2, value: 300 + sb });
  changes.sort((x, y) => x.at - y.at);
  const snapshotBlocks = [...busy, ...quiet];
  const reference = new MiniSynth(RATE);
  const want = renderFrames(reference, frames, changes);
  assert.ok(rms(want) > 0.01, "the scenario makes sound");
  for (const sb of snapshotBlocks) {
    const at = sb * BLOCK;
    const source = new MiniSynth(RATE);
    const before = changes.filter((c) => c.at < at);
    const after = changes.filter((c) => c.at >= at).map((c) => ({ ...c, at: c.at - at }));
    renderFrames(source, at, before);
    const snapshot = new Float64Array(source.stateSize);
    source.saveState(snapshot);
    // A standby with a different history, restored from the snapshot.
    const standby = new MiniSynth(RATE);
    renderFrames(standby, 777, randomChanges(sb, 777, 20));
    standby.loadState(snapshot);
    const rest = want.subarray(2 * at);
    assertBitIdentical(renderFrames(standby, frames - at, after), rest, `restored at ${sb}`);
    assertBitIdentical(renderFrames(source, frames - at, after), rest, `source at ${sb}`);
    // Without the snapshot, the same calls do not reproduce the output.
    const cold = renderFrames(new MiniSynth(RATE), frames - at, after);
    assert.ok(cold.some((x, i) => x !== rest[i]), `cold start at ${sb} should differ`);
  }
});

Deno.test("MiniSynth.saveState round-trips: loading a snapshot and saving it again gives it back", () => {
  const synth = new MiniSynth(RATE);
  renderFrames(synth, 5000, randomChanges(5, 5000, 50));
  const a = new Float64Array(MINI_SYNTH_STATE_SIZE);
  synth.saveState(a);
  assert.equal(a[0], MINI_SYNTH_STATE_TAG);
  assert.equal(a[1], RATE);
  const other = new MiniSynth(RATE);
  other.loadState(a);
  const b = new Float64Array(MINI_SYNTH_STATE_SIZE);
  other.saveState(b);
  assert.deepEqual(b, a);
  for (let id = 0; id < PARAM_COUNT; id++) assert.equal(other.getParam(id), synth.getParam(id));
});

Deno.test("MiniSynth.loadState rejects foreign snapshots with RangeError", () => {
  const synth = new MiniSynth(RATE);
  const snapshot = new Float64Array(MINI_SYNTH_STATE_SIZE);
  synth.saveState(snapshot);
  assert.throws(() => synth.loadState(snapshot.subarray(1)), RangeError);
  assert.throws(() => new MiniSynth(44100).loadState(snapshot), RangeError);
  const wrongTag = snapshot.slice();
  wrongTag[0] = 1;
  assert.throws(() => synth.loadState(wrongTag), RangeError);
  assert.throws(() => synth.saveState(new Float64Array(3)), RangeError);
});

Deno.test("MiniSynth resets to silence when its state holds NaN or Infinity, then plays again", () => {
  for (let slot = 2; slot < MINI_SYNTH_STATE_SIZE; slot++) {
    for (const poison of [NaN, Infinity]) {
      const synth = new MiniSynth(RATE);
      renderFrames(synth, 2000, [{ at: 0, id: SynthParam.Gate, value: 1 }]);
      const snapshot = new Float64Array(MINI_SYNTH_STATE_SIZE);
      synth.saveState(snapshot);
      snapshot[slot] = poison;
      synth.loadState(snapshot);
      const out = renderFrames(synth, 2 * BLOCK);
      assertAllFinite(out, `slot ${slot} = ${poison}`);
      const after = new Float64Array(MINI_SYNTH_STATE_SIZE);
      synth.saveState(after);
      assert.ok(after.every(Number.isFinite), `slot ${slot}: state repaired`);
      const again = renderFrames(synth, RATE / 10, [{ at: 0, id: SynthParam.Gate, value: 1 }]);
      assert.ok(rms(again) > 0.01, `slot ${slot} = ${poison}: plays again`);
    }
  }
});

/** Render `blocks` blocks, two sub-ranges each, with changes that keep every smoother gliding. */
function renderScenario(synth: MiniSynth, block: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    synth.render(block, 0, 50);
    // Whole-number values: passing them boxes nothing, so only render can allocate.
    synth.setParam(b % 10, (b % 7) * 300 + 1);
    synth.setParam(SynthParam.Gate, (b >> 9) & 1);
    synth.render(block, 50, BLOCK);
  }
}

Deno.test("MiniSynth.render allocates nothing in steady state (V8 heap sampling)", async () => {
  const synth = new MiniSynth(RATE);
  const block = new Float32Array(2 * BLOCK);
  renderScenario(synth, block, 20000); // let V8 optimise first
  const bytes = await sampledAllocation(
    () => renderScenario(synth, block, 100000),
    "renderScenario",
  );
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~1.6 MB.
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while rendering 100000 blocks`);
});
