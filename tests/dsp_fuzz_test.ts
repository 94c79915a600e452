/**
 * Fuzz across every module at once, through the Rack's command entry points
 * (what the engine calls): random targets, params, notes and values —
 * including NaN, ±Infinity, ±1e30, negatives and values just outside each
 * range — interleaved with rendering in random chunk sizes. The output must
 * stay finite and never exceed the -0.3 dBFS ceiling, and the rack must stay
 * deterministic (a second rack fed the same stream is bit-identical).
 */

import assert from "node:assert/strict";
import { Rack, RACK_PARAM_COUNTS, RACK_TARGET_COUNT } from "../dsp/rack.ts";
import { seededRandom } from "./_random.ts";

const RATE = 48000;
const CEILING = 10 ** (-0.3 / 20);
const NASTY = [NaN, Infinity, -Infinity, 1e30, -1e30, -1, -1e-30, 0, 1e-300, 2 ** 31, 0.5];

/** One random value: nasty, or anywhere in a wide range, or a small plausible number. */
function value(random: () => number): number {
  const kind = random();
  if (kind < 0.4) return NASTY[Math.floor(random() * NASTY.length)] as number;
  if (kind < 0.7) return (random() - 0.5) * 40000;
  return random() * 2;
}

/** Feed `steps` random commands and renders to `rack`; returns every sample rendered. */
function run(rack: Rack, seed: number, steps: number): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(steps * 64 * 2);
  let frame = 0;
  for (let step = 0; step < steps; step++) {
    const target = random() < 0.05
      ? Math.floor(random() * 20) - 5
      : Math.floor(random() * RACK_TARGET_COUNT);
    const params = RACK_PARAM_COUNTS[target] ?? 4;
    const param = random() < 0.05 ? Math.floor(random() * 100) - 50 : Math.floor(random() * params);
    const op = random();
    if (op < 0.55) rack.setParam(target, param, value(random));
    else if (op < 0.8) {
      rack.noteOn(
        target,
        random() < 0.8 ? 24 + Math.floor(random() * 72) : value(random),
        value(random),
      );
    } else if (op < 0.95) rack.noteOff(target, Math.floor(random() * 128));
    else rack.allNotesOff(target);
    const frames = 1 + Math.floor(random() * 64);
    const chunk = new Float32Array(frames * 2);
    rack.render(chunk, 0, frames);
    out.set(chunk, frame * 2);
    frame += frames;
  }
  return out.subarray(0, frame * 2);
}

Deno.test("fuzz: random commands with junk values into every module keep the output finite and under the ceiling", () => {
  for (const seed of [1, 2, 3]) {
    const samples = run(new Rack(RATE), seed, 1500);
    let peak = 0;
    for (let i = 0; i < samples.length; i++) {
      const x = samples[i] as number;
      assert.ok(Number.isFinite(x), `seed ${seed}: sample ${i} is ${x}`);
      const a = Math.abs(x);
      if (a > peak) peak = a;
    }
    assert.ok(peak <= CEILING, `seed ${seed}: peak ${peak} above ${CEILING}`);
    assert.ok(peak > 0, `seed ${seed}: the fuzz made no sound at all, so it tested little`);
  }
});

Deno.test("fuzz: two racks fed the same junk stay bit-identical", () => {
  const a = run(new Rack(RATE), 7, 800);
  const b = run(new Rack(RATE), 7, 800);
  assert.deepEqual(
    new Uint32Array(a.buffer, a.byteOffset, a.length),
    new Uint32Array(b.buffer, b.byteOffset, b.length),
  );
});
