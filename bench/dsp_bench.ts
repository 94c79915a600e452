/**
 * Block render cost of the minimal synth at 48 kHz, gate open (sine → SVF →
 * ADSR → master, stereo). Goal: far below the block period (128 frames =
 * 2667 µs, 64 frames = 1333 µs) so that many voices fit; the DESIGN budget is
 * set by p99.9, which `deno bench` prints as p995/max next to the mean.
 *
 * Run: deno bench --allow-all bench/dsp_bench.ts
 *
 * @module
 */

import { MiniSynth } from "../dsp/mini_synth.ts";
import { SynthParam } from "../dsp/params.ts";

const RATE = 48000;

/** A synth with the gate open, past its attack, and a block to render into. */
function playing(frames: number): { synth: MiniSynth; block: Float32Array } {
  const synth = new MiniSynth(RATE);
  synth.setParam(SynthParam.Gate, 1);
  const block = new Float32Array(2 * frames);
  for (let i = 0; i < 100; i++) synth.render(block, 0, frames);
  return { synth, block };
}

const b128 = playing(128);
Deno.bench({
  name: "MiniSynth.render 128 frames @48 kHz (period 2667 µs)",
  group: "render",
  baseline: true,
  fn() {
    b128.synth.render(b128.block, 0, 128);
  },
});

const b64 = playing(64);
Deno.bench({
  name: "MiniSynth.render 64 frames @48 kHz (period 1333 µs)",
  group: "render",
  fn() {
    b64.synth.render(b64.block, 0, 64);
  },
});

const glide = playing(128);
let toggle = false;
Deno.bench({
  name: "MiniSynth.render 128 frames, cutoff and resonance always gliding (worst case)",
  group: "render",
  fn() {
    toggle = !toggle;
    glide.synth.setParam(SynthParam.FilterCutoff, toggle ? 300 : 8000);
    glide.synth.setParam(SynthParam.FilterResonance, toggle ? 0.9 : 0.1);
    glide.synth.render(glide.block, 0, 128);
  },
});
