/**
 * Reading back the output for scopes: the offline engine's `scope` returns
 * exactly the samples it just rendered, mixed to mono; its history wraps and
 * pads with zeros; the real-time engine on the null backend returns the
 * blocks the audio side played, straight from the active slot's ring.
 */

import { assert, assertEquals } from "./_assert.ts";
import { until } from "./_engine_wait.ts";
import { OfflineEngine } from "../engine/offline.ts";
import { startEngine } from "../engine/engine.ts";
import { MonoHistory, SCOPE_HISTORY_FRAMES } from "../engine/scope.ts";
import { setParam } from "../engine/command.ts";
import { I } from "../engine/_control.ts";
import { SynthParam } from "../dsp/params.ts";
import { RackTarget } from "../dsp/rack.ts";

const RATE = 48000;
const BLOCK = 128;
const TONE = [
  setParam(SynthParam.SineFreq, 440, RackTarget.MiniSynth),
  setParam(SynthParam.SineGain, 0.5, RackTarget.MiniSynth),
  setParam(SynthParam.Gate, 1, RackTarget.MiniSynth),
];

/** The last `frames` frames of interleaved stereo `audio`, mixed to mono as float32. */
function monoTail(audio: Float32Array, frames: number): Float32Array {
  const total = audio.length / 2;
  return Float32Array.from(
    { length: frames },
    (_, i) =>
      ((audio[2 * (total - frames + i)] as number) +
        (audio[2 * (total - frames + i) + 1] as number)) * 0.5,
  );
}

function bits(samples: Float32Array): Uint32Array {
  return new Uint32Array(samples.buffer, samples.byteOffset, samples.length);
}

Deno.test("OfflineEngine.scope returns the samples just rendered, mono, newest last", () => {
  const engine = new OfflineEngine({ sampleRate: RATE, blockFrames: BLOCK });
  engine.send(TONE);
  const rendered = engine.renderFrames(20 * BLOCK);
  const out = new Float32Array(1000);
  const capture = engine.scope(out);
  assertEquals(capture, { frames: 1000, endFrame: 20 * BLOCK });
  assertEquals(bits(out), bits(monoTail(rendered, 1000)));
  assert(out.some((x) => Math.abs(x) > 0.1), "the tone sounds");
  // A later render moves the window on.
  const more = engine.renderFrames(3 * BLOCK);
  assertEquals(engine.scope(out).endFrame, 23 * BLOCK);
  const joined = new Float32Array(rendered.length + more.length);
  joined.set(rendered);
  joined.set(more, rendered.length);
  assertEquals(bits(out), bits(monoTail(joined, 1000)));
});

Deno.test("OfflineEngine.scope pads with zeros before the start and beyond its history", () => {
  const engine = new OfflineEngine({ sampleRate: RATE, blockFrames: BLOCK });
  engine.send(TONE);
  const out = new Float32Array(1024);
  assertEquals(engine.scope(out), { frames: 0, endFrame: 0 });
  assert(out.every((x) => x === 0));
  const rendered = engine.renderFrames(2 * BLOCK);
  out.fill(7);
  assertEquals(engine.scope(out), { frames: 2 * BLOCK, endFrame: 2 * BLOCK });
  assert(out.subarray(0, 1024 - 2 * BLOCK).every((x) => x === 0), "zeros before the start");
  assertEquals(bits(out.subarray(1024 - 2 * BLOCK)), bits(monoTail(rendered, 2 * BLOCK)));
  const long = engine.renderFrames(SCOPE_HISTORY_FRAMES);
  const big = new Float32Array(SCOPE_HISTORY_FRAMES + 100);
  assertEquals(engine.scope(big).frames, SCOPE_HISTORY_FRAMES);
  assert(big.subarray(0, 100).every((x) => x === 0));
  assertEquals(bits(big.subarray(100)), bits(monoTail(long, SCOPE_HISTORY_FRAMES)));
});

Deno.test("MonoHistory keeps the newest frames across wrap-around and oversized blocks", () => {
  const history = new MonoHistory(10, 2);
  const stereo = (from: number, frames: number) =>
    Float32Array.from({ length: 2 * frames }, (_, i) => from + Math.floor(i / 2) + (i % 2) * 0.5);
  // Frame n holds n (left) and n + 0.5 (right): its mono value is n + 0.25.
  history.push(stereo(0, 7));
  history.push(stereo(7, 6));
  const out = new Float32Array(12);
  assertEquals(history.read(out), 10);
  assertEquals(Array.from(out), [0, 0, ...Array.from({ length: 10 }, (_, i) => 3 + i + 0.25)]);
  history.push(stereo(13, 25)); // more than it holds: only the last 10 stay
  assertEquals(history.written, 38);
  const four = new Float32Array(4);
  assertEquals(history.read(four), 4);
  assertEquals(Array.from(four), [34.25, 35.25, 36.25, 37.25]);
});

Deno.test("Engine.scope on the null backend returns the played blocks of the active ring", async () => {
  const engine = await startEngine({ backend: "null", sampleRate: RATE, blockFrames: BLOCK });
  try {
    engine.send(TONE);
    await until(
      "20 blocks are played after the tone starts",
      () => Atomics.load(engine.control.ints, I.Played) > 40,
    );
    const out = new Float32Array(1024);
    const capture = engine.scope(out);
    // Compare at once, before the slots render over these blocks (14 blocks of slack).
    const ring = engine.rings[Atomics.load(engine.control.ints, I.Active)];
    assert(ring !== undefined);
    const end = capture.endFrame / BLOCK;
    assert(Number.isInteger(end) && end > 40, `ends on a block: ${capture.endFrame}`);
    assertEquals(capture.frames, 1024);
    const blocks = 1024 / BLOCK;
    for (let b = end - blocks; b < end; b++) {
      assert(ring.has(b), `block ${b} is still in the ring`);
      const block = ring.samples.subarray(ring.offsetOf(b), ring.offsetOf(b) + BLOCK * 2);
      const at = (b - (end - blocks)) * BLOCK;
      assertEquals(bits(out.slice(at, at + BLOCK)), bits(monoTail(block, BLOCK)), `block ${b}`);
    }
    assert(out.some((x) => Math.abs(x) > 0.1), "the tone sounds");
    assert(end <= Atomics.load(engine.control.ints, I.Played), "only blocks already played");
    // Asking for more than the ring can spare: the newest part, zeros before it.
    const wide = new Float32Array(2048);
    const most = engine.scope(wide).frames;
    // At most the ring less the block a slot may be writing (15 of 16), less any rendered ahead.
    assert(most >= 1024 && most <= (16 - 1) * BLOCK, `frames available: ${most}`);
    assert(wide.subarray(0, 2048 - most).every((x) => x === 0));
  } finally {
    await engine.stop();
  }
});
