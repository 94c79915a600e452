import assert from "node:assert/strict";
import { OfflineEngine } from "../engine/offline.ts";
import { noteOn, setParam } from "../engine/command.ts";
import { Rack, RackTarget } from "../dsp/rack.ts";
import { InstrumentParam } from "../dsp/instrument.ts";
import { Waveform } from "../dsp/oscillator.ts";
import { SynthParam } from "../dsp/params.ts";
import { deinterleave, magnitudeSpectrum, maxAbs, peakFrequency } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;
const LEAD = RackTarget.FirstInstrument;

Deno.test("offline engine plays an instrument note: peak at the note, other instruments silent", () => {
  const engine = new OfflineEngine({ sampleRate: RATE, blockFrames: BLOCK });
  engine.send([
    setParam(InstrumentParam.Waveform, Waveform.Triangle, LEAD + 1),
    noteOn(LEAD + 1, 69, 0.8), // A4 on the second instrument ("bass")
  ]);
  const left = deinterleave(engine.renderFrames(RATE), 0);
  const spectrum = magnitudeSpectrum(left, { start: 8192, size: 32768 });
  assert.ok(Math.abs(peakFrequency(spectrum) - 440) < 1, `peak ${peakFrequency(spectrum)} Hz`);
  const quiet = new OfflineEngine({ sampleRate: RATE, blockFrames: BLOCK });
  quiet.send([setParam(InstrumentParam.Waveform, Waveform.Triangle, LEAD + 1)]);
  assert.equal(maxAbs(quiet.renderFrames(RATE)), 0, "nothing played, nothing heard");
});

Deno.test("offline engine applies a note at its exact frame: bit-identical to a rack driven by hand", () => {
  const engine = new OfflineEngine({ sampleRate: RATE, blockFrames: BLOCK });
  engine.renderFrames(3 * BLOCK);
  engine.send([noteOn(LEAD, 60, 1), noteOn(RackTarget.Drums, 38, 0.9)]);
  const played = engine.renderFrames(4 * BLOCK);
  const rack = new Rack(RATE);
  const out = new Float32Array(BLOCK * 2);
  for (let b = 0; b < 3; b++) rack.render(out, 0, BLOCK);
  rack.noteOn(LEAD, 60, 1);
  rack.noteOn(RackTarget.Drums, 38, 0.9);
  const expected = new Float32Array(4 * BLOCK * 2);
  for (let b = 0; b < 4; b++) {
    rack.render(out, 0, BLOCK);
    expected.set(out, b * BLOCK * 2);
  }
  assert.ok(maxAbs(played) > 0.01, "the note and the snare sound");
  assert.deepEqual(new Uint32Array(played.buffer), new Uint32Array(expected.buffer));
});

Deno.test("offline engine: the /mod minimal synth still plays through the rack", () => {
  const engine = new OfflineEngine({ sampleRate: RATE, blockFrames: BLOCK });
  engine.send([
    setParam(SynthParam.SineFreq, 440, RackTarget.MiniSynth),
    setParam(SynthParam.SineGain, 0.5, RackTarget.MiniSynth),
    setParam(SynthParam.Gate, 1, RackTarget.MiniSynth),
  ]);
  const left = deinterleave(engine.renderFrames(RATE / 2), 0);
  const spectrum = magnitudeSpectrum(left, { start: 4096, size: 16384 });
  assert.ok(Math.abs(peakFrequency(spectrum) - 440) < 1, `peak ${peakFrequency(spectrum)} Hz`);
  assert.ok(maxAbs(left) <= 10 ** (-0.3 / 20), "never above the ceiling");
});
