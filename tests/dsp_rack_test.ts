import assert from "node:assert/strict";
import { Drum, DRUM_KIT_STATE_SIZE, DRUM_PARAM_COUNT, DrumKit, DrumParam } from "../dsp/drums.ts";
import {
  insertTailFrames,
  Instrument,
  INSTRUMENT_PARAM_COUNT,
  INSTRUMENT_STATE_TAG,
  InstrumentParam,
  instrumentStateSize,
} from "../dsp/instrument.ts";
import { MINI_SYNTH_STATE_SIZE, MINI_SYNTH_STATE_TAG, MiniSynth } from "../dsp/mini_synth.ts";
import {
  CHANNEL_STRIP_STATE_SIZE,
  ChannelStrip,
  Mixer,
  MIXER_PARAM_COUNT,
  MIXER_STATE_TAG,
  MixerParam,
  STRIP_PARAM_COUNT,
  StripParam,
} from "../dsp/mixer.ts";
import { SafetyLimiter } from "../dsp/limiter.ts";
import { OutputGuard } from "../dsp/output_guard.ts";
import { PARAM_COUNT, SynthParam } from "../dsp/params.ts";
import {
  DRUM_TARGET_PARAM_COUNT,
  drumTargetParam,
  INSTRUMENT_TARGETS,
  Rack,
  RACK_ALL_TARGETS,
  RACK_AWAKE_MS,
  RACK_LIMITER_LOOKAHEAD_MS,
  RACK_PARAM_COUNTS,
  RACK_STATE_TAG,
  RACK_TARGET_COUNT,
  RackTarget,
} from "../dsp/rack.ts";
import { SEQUENCER_STATE_SIZE } from "../dsp/sequencer.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";
import { deinterleave, magnitudeSpectrum, maxAbs, peakFrequency, rms } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;
const CEILING = Math.pow(10, -0.3 / 20);
const T = RackTarget;

/** A command at frame `at`: a parameter change, a note on or off, or all notes off. */
type Cmd =
  | {
    readonly at: number;
    readonly op: "param";
    readonly target: number;
    readonly param: number;
    readonly value: number;
  }
  | {
    readonly at: number;
    readonly op: "on";
    readonly target: number;
    readonly note: number;
    readonly velocity: number;
  }
  | { readonly at: number; readonly op: "off"; readonly target: number; readonly note: number }
  | { readonly at: number; readonly op: "alloff"; readonly target: number };

const param = (at: number, target: number, param: number, value: number): Cmd => ({
  at,
  op: "param",
  target,
  param,
  value,
});
const on = (at: number, target: number, note: number, velocity = 1): Cmd => ({
  at,
  op: "on",
  target,
  note,
  velocity,
});
const off = (at: number, target: number, note: number): Cmd => ({ at, op: "off", target, note });

/** Something rendered block by block and driven by commands. */
interface Player {
  render(out: Float32Array, start: number, end: number): void;
  apply(cmd: Cmd): void;
}

/** A rack as a {@linkcode Player}; every command must be accepted. */
function rackPlayer(rack: Rack): Player {
  return {
    render: (out, start, end) => rack.render(out, start, end),
    apply: (cmd) => {
      let ok: boolean;
      switch (cmd.op) {
        case "param":
          ok = rack.setParam(cmd.target, cmd.param, cmd.value);
          break;
        case "on":
          ok = rack.noteOn(cmd.target, cmd.note, cmd.velocity);
          break;
        case "off":
          ok = rack.noteOff(cmd.target, cmd.note);
          break;
        case "alloff":
          ok = rack.allNotesOff(cmd.target);
          break;
      }
      assert.ok(ok, `command rejected: ${JSON.stringify(cmd)}`);
    },
  };
}

/**
 * Render `frames` frames from frame `from` in blocks of BLOCK (into one
 * reused block, as the engine does), each block split at its commands'
 * frames and, with `splitSeed`, at one more random frame. Returns the
 * interleaved stereo output.
 */
function play(
  player: Player,
  frames: number,
  cmds: readonly Cmd[] = [],
  options: { from?: number; splitSeed?: number } = {},
): Float32Array {
  const from = options.from ?? 0;
  const out = new Float32Array(2 * frames);
  const block = new Float32Array(2 * BLOCK);
  const random = options.splitSeed === undefined ? undefined : seededRandom(options.splitSeed);
  const sorted = [...cmds].sort((a, b) => a.at - b.at);
  let next = 0;
  while (next < sorted.length && (sorted[next] as Cmd).at < from) next++;
  for (let b = 0; b < frames; b += BLOCK) {
    const n = Math.min(BLOCK, frames - b);
    let pos = 0;
    const extra = random === undefined ? -1 : Math.floor(random() * n);
    while (pos < n) {
      const cmd = sorted[next];
      const due = cmd !== undefined && cmd.at - from < b + n ? cmd.at - from - b : n;
      const stop = extra > pos && extra < due ? extra : due;
      if (stop > pos) {
        player.render(block, pos, stop);
        pos = stop;
      }
      if (stop === due && cmd !== undefined && due < n) {
        player.apply(cmd);
        next++;
      }
    }
    out.set(block.subarray(0, 2 * n), 2 * b);
  }
  return out;
}

function snapshot(rack: Rack): Float64Array {
  const s = new Float64Array(rack.stateSize);
  rack.saveState(s);
  return s;
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) {
      assert.fail(`${what}: sample ${i} (frame ${i >> 1}) differs: ${a[i]} vs ${b[i]}`);
    }
  }
}

function assertFiniteBelowCeiling(out: Float32Array, what: string): void {
  for (let i = 0; i < out.length; i++) {
    const x = out[i] as number;
    if (!(Math.abs(x) <= CEILING)) assert.fail(`${what}: sample ${i} is ${x}`);
  }
}

/** Share of the spectral energy of `signal` below `hz`. */
function energyBelow(signal: Float64Array, hz: number): number {
  const spectrum = magnitudeSpectrum(signal, { size: 16384, sampleRate: RATE });
  let below = 0;
  let total = 0;
  spectrum.magnitudes.forEach((m, k) => {
    total += m * m;
    if (k * spectrum.binHz < hz) below += m * m;
  });
  return below / total;
}

Deno.test("Rack targets, param counts and state size", () => {
  assert.equal(INSTRUMENT_TARGETS, 4);
  assert.deepEqual(
    [T.MiniSynth, T.FirstInstrument, T.LastInstrument, T.Drums, T.Mixer],
    [0, 1, 4, 5, 6],
  );
  assert.deepEqual([T.MiniSynthStrip, T.DrumStrip, T.Transport, RACK_TARGET_COUNT], [7, 8, 9, 10]);
  assert.equal(T.LastInstrument - T.FirstInstrument + 1, INSTRUMENT_TARGETS);
  assert.deepEqual(RACK_PARAM_COUNTS, [
    PARAM_COUNT,
    INSTRUMENT_PARAM_COUNT,
    INSTRUMENT_PARAM_COUNT,
    INSTRUMENT_PARAM_COUNT,
    INSTRUMENT_PARAM_COUNT,
    DRUM_TARGET_PARAM_COUNT,
    MIXER_PARAM_COUNT,
    STRIP_PARAM_COUNT,
    STRIP_PARAM_COUNT,
    3, // TransportParam: tempo, beats per bar, swing
  ]);
  assert.equal(DRUM_TARGET_PARAM_COUNT, 40);
  assert.equal(drumTargetParam(Drum.Snare, DrumParam.Tune), DRUM_PARAM_COUNT + DrumParam.Tune);
  // -1 in the command struct's uint32 target field.
  assert.equal(new Uint32Array([-1])[0], RACK_ALL_TARGETS);

  const rack = new Rack(RATE);
  assert.equal(rack.voices, 16);
  const mixerSize = rack.mixer.stateSize;
  assert.equal(
    rack.stateSize,
    9 + MINI_SYNTH_STATE_SIZE + 2 * CHANNEL_STRIP_STATE_SIZE + 4 * instrumentStateSize(16, RATE) +
      DRUM_KIT_STATE_SIZE + mixerSize + 1 + SEQUENCER_STATE_SIZE,
  );
  const names = new Set<string>();
  for (let t = T.FirstInstrument; t <= T.LastInstrument; t++) {
    const inst = rack.instrument(t);
    assert.ok(inst !== undefined);
    assert.equal(inst.capacity, 16);
    assert.match(inst.name, /^t\d$/); // numeric ids, no words
    names.add(inst.name);
  }
  assert.equal(names.size, 4);
  for (const t of [0, 5, 6, -1, 1.5, NaN]) assert.equal(rack.instrument(t), undefined);
  assert.equal(new Rack(RATE, { voices: 4 }).instrument(2)?.capacity, 4);
  assert.throws(() => new Rack(RATE, { voices: 0 }), RangeError);
  assert.throws(() => new Rack(10), RangeError);
  const state = snapshot(rack);
  assert.deepEqual([state[0], state[1], state[2], state[3]], [
    RACK_STATE_TAG,
    RATE,
    16,
    rack.stateSize,
  ]);
  assert.throws(() => rack.saveState(new Float64Array(rack.stateSize - 1)), RangeError);
});

Deno.test("Rack routes notes by target: instrument 1 sounds at the note's frequency, the others stay silent", () => {
  const frames = 16384;
  const lead = T.FirstInstrument;
  const sine = (t: number) => param(0, t, InstrumentParam.Waveform, 0);
  const a = new Rack(RATE);
  const outA = play(rackPlayer(a), frames, [sine(1), sine(2), on(0, lead, 69)]);
  const spec = magnitudeSpectrum(deinterleave(outA, 0), { start: 4096, size: 8192 });
  assert.ok(Math.abs(peakFrequency(spec) - 440) < 1, `peak ${peakFrequency(spec)} Hz`);
  assert.ok(rms(outA) > 0.05, `rms ${rms(outA)}`);
  assert.equal(a.instrument(1)?.activeVoices, 1);
  assert.equal(a.activeVoices, 1);
  const fresh = new Rack(RATE);
  for (let t = 2; t <= 4; t++) {
    assert.equal(a.instrument(t)?.activeVoices, 0);
    // Not played: its state is as built, apart from the waveform set on instrument 2.
    const got = new Float64Array(instrumentStateSize(16, RATE));
    const want = new Float64Array(instrumentStateSize(16, RATE));
    if (t === 2) fresh.setParam(2, InstrumentParam.Waveform, 0);
    (a.instrument(t) as Instrument).saveState(got);
    (fresh.instrument(t) as Instrument).saveState(want);
    assert.deepEqual(got, want, `instrument ${t}`);
  }

  // The same note on instrument 2 (a fifth up) sounds there, not on 1.
  const b = new Rack(RATE);
  const outB = play(rackPlayer(b), frames, [sine(2), on(0, 2, 76)]);
  const specB = magnitudeSpectrum(deinterleave(outB, 1), { start: 4096, size: 8192 });
  assert.ok(Math.abs(peakFrequency(specB) - 659.255) < 1.5, `peak ${peakFrequency(specB)} Hz`);
  assert.equal(b.instrument(1)?.activeVoices, 0);
  assert.equal(b.instrument(2)?.activeVoices, 1);

  // Parameters of other targets do not touch instrument 1; its own do.
  const c = new Rack(RATE);
  const outC = play(rackPlayer(c), frames, [
    sine(1),
    sine(2),
    on(0, lead, 69),
    param(100, 2, InstrumentParam.Gain, 0),
    param(200, 3, InstrumentParam.Pan, 1),
    param(300, T.DrumStrip, StripParam.Gain, 0),
    param(400, T.Drums, drumTargetParam(Drum.Kick, DrumParam.Level), 0),
  ]);
  assertBitIdentical(outC, outA, "other targets' parameters");
  const d = new Rack(RATE);
  // Panned while idle (it glides to hard right before the note): the left stays exactly silent.
  const outD = play(rackPlayer(d), frames, [
    sine(1),
    param(0, lead, InstrumentParam.Pan, 1),
    on(6000, lead, 69),
  ]);
  assert.equal(maxAbs(deinterleave(outD, 0)), 0, "instrument 1 hard right: left silent");
  assert.ok(rms(deinterleave(outD, 1), 8192) > 0.05);
});

Deno.test("Rack drums: note 36 is a kick below 150 Hz, 42 a hat above; drum params route by drum", () => {
  const frames = 16384;
  const kick = new Rack(RATE);
  const outKick = deinterleave(play(rackPlayer(kick), frames, [on(0, T.Drums, 36)]), 0);
  assert.ok(maxAbs(outKick) > 0.1, `kick peak ${maxAbs(outKick)}`);
  const low = energyBelow(outKick, 150);
  assert.ok(low > 0.8, `kick: ${low} of the energy below 150 Hz`);
  const kickPeak = peakFrequency(magnitudeSpectrum(outKick, { size: 16384 }), { maxHz: 1000 });
  assert.ok(kickPeak > 40 && kickPeak < 150, `kick peak at ${kickPeak} Hz`);

  const hat = new Rack(RATE);
  const outHat = deinterleave(play(rackPlayer(hat), frames, [on(0, T.Drums, 42)]), 0);
  assert.ok(maxAbs(outHat) > 0.02);
  assert.ok(energyBelow(outHat, 150) < 0.01, `hat: ${energyBelow(outHat, 150)} below 150 Hz`);
  assert.ok(energyBelow(outHat, 4000) < 0.2, `hat: ${energyBelow(outHat, 4000)} below 4 kHz`);

  // Kick tuned an octave up: its spectral peak moves up by about an octave.
  const tuned = new Rack(RATE);
  const outTuned = deinterleave(
    play(rackPlayer(tuned), frames, [
      param(0, T.Drums, drumTargetParam(Drum.Kick, DrumParam.Tune), 12),
      on(0, T.Drums, 36),
    ]),
    0,
  );
  const tunedPeak = peakFrequency(magnitudeSpectrum(outTuned, { size: 16384 }), { maxHz: 1000 });
  assert.ok(
    tunedPeak / kickPeak > 1.7 && tunedPeak / kickPeak < 2.3,
    `${tunedPeak} vs ${kickPeak}`,
  );
  // The snare's level does not touch the kick; the kick's does.
  const other = new Rack(RATE);
  const outOther = play(rackPlayer(other), frames, [
    param(0, T.Drums, drumTargetParam(Drum.Snare, DrumParam.Level), 0),
    on(0, T.Drums, 36),
  ]);
  const plain = play(rackPlayer(new Rack(RATE)), frames, [on(0, T.Drums, 36)]);
  assertBitIdentical(outOther, plain, "snare level");
  const quiet = new Rack(RATE);
  const outQuiet = play(rackPlayer(quiet), frames, [
    param(0, T.Drums, drumTargetParam(Drum.Kick, DrumParam.Level), 0),
    on(0, T.Drums, 36),
  ]);
  assert.equal(maxAbs(outQuiet), 0, "kick at level 0");
  // The drum strip: balance hard left silences the right channel exactly.
  const strip = new Rack(RATE);
  const outStrip = play(rackPlayer(strip), frames, [
    param(0, T.DrumStrip, StripParam.Pan, -1),
    on(6000, T.Drums, 36),
  ]);
  assert.equal(maxAbs(deinterleave(outStrip, 1)), 0);
  assert.ok(maxAbs(deinterleave(outStrip, 0)) > 0.1);

  assert.equal(kick.noteOn(T.Drums, 60, 1), false, "unmapped drum note");
  assert.equal(kick.noteOff(T.Drums, 36), true, "note-off of a one-shot is accepted");
  assert.equal(kick.noteOff(T.Drums, 60), false);
});

Deno.test("Rack target 0 renders exactly a standalone MiniSynth through the guard and limiter", () => {
  const frames = 24000;
  const cmds = [
    param(0, 0, SynthParam.Gate, 1),
    param(1000, 0, SynthParam.SineFreq, 660),
    param(3000, 0, SynthParam.FilterCutoff, 900),
    param(3000, 0, SynthParam.FilterResonance, 0.6),
    param(7000, 0, SynthParam.Gate, 0),
    param(9050, 0, SynthParam.Gate, 1),
    param(12000, 0, SynthParam.MasterGain, 1),
    param(12000, 0, SynthParam.SineGain, 1),
    param(20000, 0, SynthParam.Gate, 0),
  ];
  const rack = new Rack(RATE);
  const got = play(rackPlayer(rack), frames, cmds, { splitSeed: 3 });
  // The reference: the synth alone, then the master chain as the mixer builds it.
  const synth = new MiniSynth(RATE);
  const guard = new OutputGuard(RATE);
  const limiter = new SafetyLimiter(RATE, { lookaheadMs: RACK_LIMITER_LOOKAHEAD_MS });
  const want = play(
    {
      render: (out, s, e) => {
        synth.render(out, s, e);
        guard.process(out, s, e);
        limiter.process(out, s, e);
      },
      apply: (cmd) => {
        assert.ok(cmd.op === "param" && synth.setParam(cmd.param, cmd.value));
      },
    },
    frames,
    cmds,
    { splitSeed: 3 },
  );
  assert.ok(maxAbs(want) > 0.3, "it played");
  assertBitIdentical(got, want, "MiniSynth through the rack");
  assert.equal(rack.faults, 0);

  // The strip's gain law: gain 0.5 halves it (the master chain is linear below the ceiling).
  const half = new Rack(RATE);
  const gotHalf = play(rackPlayer(half), frames, [
    param(0, T.MiniSynthStrip, StripParam.Gain, 0.5),
    ...cmds,
  ], { splitSeed: 3 });
  let err = 0;
  // From 0.1 s (the gain has glided) to 0.25 s (below the ceiling: the limiter does nothing).
  for (let i = 2 * 4800; i < 2 * 12000; i++) {
    err = Math.max(err, Math.abs((gotHalf[i] as number) - 0.5 * (want[i] as number)));
  }
  // Not exact: the guard's DC blocker still carries the first milliseconds' gain glide.
  assert.ok(err < 2e-5, `gain 0.5: largest error ${err}`);
  // Balanced hard right 0.15 s before the gate opens (so the balance has settled exactly).
  const right = new Rack(RATE);
  const gotRight = play(rackPlayer(right), frames, [
    param(0, T.MiniSynthStrip, StripParam.Pan, 1),
    ...cmds.map((c) => ({ ...c, at: c.at + 7200 })),
  ]);
  assert.equal(maxAbs(deinterleave(gotRight, 0)), 0, "balance hard right: left silent");
  assert.ok(maxAbs(deinterleave(gotRight, 1)) > 0.3);
  assert.equal(rack.noteOn(T.MiniSynth, 60, 1), false, "the MiniSynth takes no notes");
});

/** An un-gated copy of the rack's signal path, built from the same parts, for comparison. */
function referenceRack(): Player & { readonly instruments: readonly Instrument[] } {
  const synth = new MiniSynth(RATE);
  const synthStrip = new ChannelStrip("t0", RATE, { source: synth });
  const instruments = [1, 2, 3, 4].map((t) => new Instrument(`t${t}`, RATE));
  const kit = new DrumKit(RATE, { seed: 1 });
  const kitStrip = new ChannelStrip("t5", RATE, { source: kit });
  const mixer = new Mixer(RATE, { limiterLookaheadMs: RACK_LIMITER_LOOKAHEAD_MS });
  mixer.addChannel(synthStrip);
  for (const inst of instruments) mixer.addChannel(inst);
  mixer.addChannel(kitStrip);
  return {
    instruments,
    render: (out, s, e) => mixer.render(out, s, e),
    apply: (cmd) => {
      const inst = instruments[cmd.target - 1];
      if (cmd.op === "param") {
        if (cmd.target === T.Drums) {
          kit.setParam(
            Math.floor(cmd.param / DRUM_PARAM_COUNT),
            cmd.param % DRUM_PARAM_COUNT,
            cmd.value,
          );
        } else if (cmd.target === T.Mixer) mixer.setParam(cmd.param, cmd.value);
        else if (cmd.target === T.DrumStrip) kitStrip.setParam(cmd.param, cmd.value);
        else if (cmd.target === T.MiniSynthStrip) synthStrip.setParam(cmd.param, cmd.value);
        else if (cmd.target === T.MiniSynth) synth.setParam(cmd.param, cmd.value);
        else inst?.setParam(cmd.param, cmd.value);
      } else if (cmd.op === "on") {
        if (cmd.target === T.Drums) kit.triggerNote(cmd.note, cmd.velocity);
        else inst?.noteOn(cmd.note, cmd.velocity);
      } else if (cmd.op === "off") {
        inst?.noteOff(cmd.note);
      }
    },
  };
}

Deno.test("Rack skips idle instruments and drums bit-transparently, gliding parameters included", () => {
  const frames = 48000;
  const cmds: Cmd[] = [
    param(0, T.MiniSynth, SynthParam.Gate, 1),
    // Changed while idle: the first note must start from the new settings exactly.
    param(100, 1, InstrumentParam.Gain, 1.5),
    param(100, 1, InstrumentParam.Pan, -0.7),
    param(100, 1, InstrumentParam.ReverbSend, 0.5),
    param(150, T.DrumStrip, StripParam.Gain, 0.3),
    param(150, T.DrumStrip, StripParam.DelaySend, 0.6),
    on(6000, 1, 60, 0.8),
    on(6000, T.Drums, 38),
    param(7000, 2, InstrumentParam.FilterEnvAmount, 3),
    on(7050, 2, 48),
    param(8000, 1, InstrumentParam.AmpRelease, 30),
    off(9000, 1, 60),
    on(9000, 3, 72),
    // Changed just before the note ends: the glide finishes after the voice is idle.
    param(9000, 1, InstrumentParam.Gain, 0.2),
    param(12000, T.DrumStrip, StripParam.Pan, 0.8),
    off(15000, 2, 48),
    off(15000, 3, 72),
    on(15100, T.Drums, 36),
    param(30000, 1, InstrumentParam.Pan, 0.9),
    on(30100, 1, 67),
    on(30500, T.Drums, 42),
    param(30600, 4, InstrumentParam.DelaySend, 1),
    on(36000, 4, 55),
  ];
  const rack = new Rack(RATE);
  const ref = referenceRack();
  const got = play(rackPlayer(rack), frames, cmds, { splitSeed: 9 });
  const want = play(ref, frames, cmds, { splitSeed: 9 });
  assert.ok(maxAbs(want, 2 * 6000) > 0.1, "it played");
  assertBitIdentical(got, want, "gated vs un-gated");
  for (let k = 0; k < 4; k++) {
    const a = new Float64Array(instrumentStateSize(16, RATE));
    const b = new Float64Array(instrumentStateSize(16, RATE));
    (rack.instrument(k + 1) as Instrument).saveState(a);
    (ref.instruments[k] as Instrument).saveState(b);
    assert.deepEqual(a, b, `instrument ${k + 1} state`);
  }
  assert.equal(RACK_AWAKE_MS, 250);
});

Deno.test("Rack skips resting instruments bit-transparently with inserts: chorus tails, compression, drive", () => {
  const I = InstrumentParam;
  const frames = 48000;
  const cmds: Cmd[] = [
    // 1: chorus switched on while idle; two phrases, each with a tail, resting in between.
    param(0, 1, I.ChorusMix, 0.6),
    param(0, 1, I.ChorusDepth, 0.9),
    param(0, 1, I.AmpRelease, 30),
    on(6000, 1, 60),
    off(9000, 1, 60),
    on(26000, 1, 67),
    off(27000, 1, 67),
    // 2: compressed chord; the chorus comes in while it sounds (its pre-roll mid-note).
    param(100, 2, I.CompMix, 1),
    param(100, 2, I.CompThreshold, -30),
    param(100, 2, I.CompRelease, 2000),
    on(7000, 2, 48),
    on(7000, 2, 55),
    param(12000, 2, I.ChorusMix, 0.5),
    off(15000, 2, 48),
    off(15000, 2, 55),
    on(40000, 2, 50), // finds its compressor recovered
    // 3: drive switched on and off mid-note.
    on(7500, 3, 62),
    param(8000, 3, I.DriveMix, 1),
    param(8000, 3, I.Drive, 24),
    param(11000, 3, I.DriveMix, 0),
    off(13000, 3, 62),
    // 4: everything, then the chorus switched off while it rests.
    param(30000, 4, I.DriveMix, 0.7),
    param(30000, 4, I.ChorusMix, 1),
    param(30000, 4, I.CompMix, 0.5),
    on(30500, 4, 57),
    off(33000, 4, 57),
    param(42000, 4, I.ChorusMix, 0),
  ];
  const rack = new Rack(RATE);
  const ref = referenceRack();
  const got = play(rackPlayer(rack), frames, cmds, { splitSeed: 4 });
  const want = play(ref, frames, cmds, { splitSeed: 4 });
  assert.ok(maxAbs(want, 2 * 6000) > 0.1, "it played");
  assertBitIdentical(got, want, "gated vs un-gated");
  for (let k = 0; k < 4; k++) {
    const a = new Float64Array(instrumentStateSize(16, RATE));
    const b = new Float64Array(instrumentStateSize(16, RATE));
    (rack.instrument(k + 1) as Instrument).saveState(a);
    (ref.instruments[k] as Instrument).saveState(b);
    assert.deepEqual(a, b, `instrument ${k + 1} state`);
  }
  for (const t of [1, 3, 4]) assert.equal(rack.instrument(t)?.isResting, true, `${t} rests`);
  assert.equal(rack.instrument(2)?.isResting, false, "2 still plays");
});

Deno.test("Rack renders an instrument's chorus tail after its last voice, then skips it (spied)", () => {
  const calls = { n: 0 };
  const instMix = Instrument.prototype.mixInto;
  Instrument.prototype.mixInto = function (this: Instrument, ...args) {
    if (this.name === "t2") calls.n++;
    instMix.apply(this, args);
  };
  try {
    const count = (chorus: number) => {
      const rack = new Rack(RATE);
      const p = rackPlayer(rack);
      // Set 0.5 s before the note: the awake window is over when it starts.
      play(p, 24000, [
        param(0, 2, InstrumentParam.ChorusMix, chorus),
        param(0, 2, InstrumentParam.AmpRelease, 10),
      ]);
      calls.n = 0;
      play(p, 200 * BLOCK, [on(0, 2, 60), off(2000, 2, 60)]);
      return calls.n;
    };
    const plain = count(0);
    const chorus = count(0.5);
    const tail = Math.ceil(insertTailFrames(RATE) / BLOCK);
    assert.ok(plain > 10 && plain < 100, `${plain} chunks`);
    assert.ok(chorus >= plain + tail - 1 && chorus <= plain + tail + 1, `${chorus} vs ${plain}`);
  } finally {
    Instrument.prototype.mixInto = instMix;
  }
});

Deno.test("Rack idle: silent output, idle instruments and drums are not rendered at all", () => {
  const rack = new Rack(RATE);
  const kitBefore = new Float64Array(DRUM_KIT_STATE_SIZE);
  rack.drums.saveState(kitBefore, 0);
  const instBefore = [1, 2, 3, 4].map((t) => {
    const s = new Float64Array(instrumentStateSize(16, RATE));
    (rack.instrument(t) as Instrument).saveState(s);
    return s;
  });
  const out = play(rackPlayer(rack), 24000);
  assert.equal(maxAbs(out), 0, "exact silence");
  assert.equal(rack.activeVoices, 0);
  const kitAfter = new Float64Array(DRUM_KIT_STATE_SIZE);
  rack.drums.saveState(kitAfter, 0);
  // The kit renders its master gain smoother even when idle: not calling it leaves it as it was.
  assert.deepEqual(kitAfter, kitBefore);
  for (let t = 1; t <= 4; t++) {
    const s = new Float64Array(instrumentStateSize(16, RATE));
    (rack.instrument(t) as Instrument).saveState(s);
    assert.deepEqual(s, instBefore[t - 1]);
  }
  // After a note and its release, the instrument is skipped again: its state freezes
  // once its awake time (after the parameter change) is over.
  play(rackPlayer(rack), 12000, [
    param(0, 2, InstrumentParam.AmpRelease, 20),
    on(0, 2, 60),
    off(2000, 2, 60),
  ]);
  assert.equal(rack.instrument(2)?.activeVoices, 0);
  const frozen = new Float64Array(instrumentStateSize(16, RATE));
  (rack.instrument(2) as Instrument).saveState(frozen);
  play(rackPlayer(rack), 4800);
  const later = new Float64Array(instrumentStateSize(16, RATE));
  (rack.instrument(2) as Instrument).saveState(later);
  assert.deepEqual(later, frozen);
});

Deno.test("Rack rejects unknown targets and params, bad notes, NaN and ±Infinity without any state change", () => {
  const rack = new Rack(RATE, { voices: 4 });
  play(rackPlayer(rack), 2000, [
    param(0, 0, SynthParam.Gate, 1),
    on(0, 1, 60),
    on(0, T.Drums, 38),
    param(0, T.Mixer, MixerParam.ReverbSize, 0.7),
  ]);
  const before = snapshot(rack);
  const bad: Array<[string, () => boolean]> = [];
  const targets = [-2, -1, 10, 11, 1.5, NaN, Infinity, 2 ** 32, RACK_ALL_TARGETS];
  for (const t of targets) {
    bad.push([`setParam(${t})`, () => rack.setParam(t, 0, 1)]);
    bad.push([`noteOn(${t})`, () => rack.noteOn(t, 60, 1)]);
    bad.push([`noteOff(${t})`, () => rack.noteOff(t, 60)]);
  }
  for (let t = 0; t < RACK_TARGET_COUNT; t++) {
    const count = RACK_PARAM_COUNTS[t] as number;
    for (const p of [-1, count, count + 7, 0.5, NaN, Infinity, -Infinity]) {
      bad.push([`setParam(${t}, ${p})`, () => rack.setParam(t, p, 0.5)]);
    }
    for (const v of [NaN, Infinity, -Infinity]) {
      bad.push([`setParam(${t}, 0, ${v})`, () => rack.setParam(t, 0, v)]);
      bad.push([`setParam(${t}, last, ${v})`, () => rack.setParam(t, count - 1, v)]);
    }
  }
  for (const t of [1, 4, T.Drums]) {
    for (const note of [-1, 128, NaN, Infinity, -Infinity, 1e9]) {
      bad.push([`noteOn(${t}, ${note})`, () => rack.noteOn(t, note, 1)]);
      bad.push([`noteOff(${t}, ${note})`, () => rack.noteOff(t, note)]);
    }
    for (const v of [-0.1, 1.01, NaN, Infinity, -Infinity]) {
      bad.push([`noteOn(${t}, 38, ${v})`, () => rack.noteOn(t, 38, v)]);
    }
  }
  for (const t of [0, T.Mixer, T.MiniSynthStrip, T.DrumStrip]) {
    bad.push([`noteOn(${t})`, () => rack.noteOn(t, 60, 1)]);
    bad.push([`noteOff(${t})`, () => rack.noteOff(t, 60)]);
  }
  bad.push(["noteOn(drums, 37.5)", () => rack.noteOn(T.Drums, 37.5, 1)]);
  for (const t of [T.Mixer, T.MiniSynthStrip, T.DrumStrip, 9, -2, NaN]) {
    bad.push([`allNotesOff(${t})`, () => rack.allNotesOff(t)]);
  }
  for (const [what, call] of bad) {
    assert.equal(call(), false, what);
    assert.deepEqual(snapshot(rack), before, `${what} changed the state`);
  }
  // And valid commands of every kind are accepted and do change it.
  const good: Array<[string, () => boolean]> = [
    ["synth", () => rack.setParam(0, SynthParam.SineFreq, 300)],
    ["instrument 4", () => rack.setParam(4, InstrumentParam.FilterCutoff, 500)],
    ["drums", () => rack.setParam(T.Drums, DRUM_TARGET_PARAM_COUNT - 1, 0.3)],
    ["mixer", () => rack.setParam(T.Mixer, MixerParam.Ceiling, -3)],
    ["mixer, last param", () => rack.setParam(T.Mixer, MIXER_PARAM_COUNT - 1, 0.75)],
    ["instrument 2, last param", () => rack.setParam(2, INSTRUMENT_PARAM_COUNT - 1, 0.5)],
    ["synth strip", () => rack.setParam(T.MiniSynthStrip, StripParam.Gain, 1.5)],
    ["drum strip", () => rack.setParam(T.DrumStrip, StripParam.DelaySend, 0.2)],
    ["note on", () => rack.noteOn(3, 61.5, 0.5)],
    ["note off", () => rack.noteOff(1, 60)],
    ["drum", () => rack.noteOn(T.Drums, 42, 0.7)],
    ["all off", () => rack.allNotesOff(-1)],
  ];
  for (const [what, call] of good) {
    const s = snapshot(rack);
    assert.equal(call(), true, what);
    assert.notDeepEqual(snapshot(rack), s, `${what} changed nothing`);
  }
  assert.equal(rack.getParam(4, InstrumentParam.FilterCutoff), 500);
  assert.equal(rack.getParam(T.Drums, DRUM_TARGET_PARAM_COUNT - 1), 0.3);
  assert.equal(rack.getParam(T.Mixer, MixerParam.Ceiling), -3);
  assert.ok(Number.isNaN(rack.getParam(9, 0)));
  assert.ok(Number.isNaN(rack.getParam(T.Drums, DRUM_TARGET_PARAM_COUNT)));
});

Deno.test("Rack allNotesOff: per target, and every target with -1 / RACK_ALL_TARGETS", () => {
  for (const all of [-1, RACK_ALL_TARGETS]) {
    const rack = new Rack(RATE, { voices: 4 });
    const cmds = [param(0, 0, SynthParam.Gate, 1)];
    for (let t = 1; t <= 4; t++) cmds.push(on(0, t, 60), on(0, t, 64));
    play(rackPlayer(rack), 1000, cmds);
    assert.equal(rack.activeVoices, 9);
    assert.equal(rack.allNotesOff(2), true);
    assert.equal(rack.instrument(2)?.heldVoices, 0);
    assert.equal(rack.instrument(1)?.heldVoices, 2);
    assert.equal(rack.allNotesOff(all), true);
    for (let t = 1; t <= 4; t++) assert.equal(rack.instrument(t)?.heldVoices, 0);
    assert.equal(rack.getParam(0, SynthParam.Gate), 0);
    play(rackPlayer(rack), 24000); // default release 200 ms
    assert.equal(rack.activeVoices, 0);
  }
});

Deno.test("Rack output never exceeds -0.3 dBFS: 16-voice chords on every instrument at full gain, drums, synth", () => {
  const frames = 24000;
  const cmds: Cmd[] = [
    param(0, T.Mixer, MixerParam.MasterGain, 4),
    param(0, T.MiniSynth, SynthParam.Gate, 1),
    param(0, T.MiniSynth, SynthParam.SineGain, 1),
    param(0, T.MiniSynth, SynthParam.MasterGain, 1),
    param(0, T.MiniSynthStrip, StripParam.Gain, 2),
    param(0, T.DrumStrip, StripParam.Gain, 2),
    param(0, T.DrumStrip, StripParam.ReverbSend, 1),
  ];
  for (let t = 1; t <= 4; t++) {
    cmds.push(
      param(0, t, InstrumentParam.Gain, 2),
      param(0, t, InstrumentParam.SubLevel, 1),
      param(0, t, InstrumentParam.Waveform, 2), // square
      param(0, t, InstrumentParam.ReverbSend, 1),
      param(0, t, InstrumentParam.DelaySend, 1),
    );
    for (let v = 0; v < 16; v++) cmds.push(on(0, t, 24 + 12 * t + v, 1));
  }
  for (let at = 0; at < frames; at += 3000) {
    for (const note of [36, 38, 39, 42, 45, 47, 50]) cmds.push(on(at, T.Drums, note, 1));
  }
  const rack = new Rack(RATE);
  const out = play(rackPlayer(rack), frames, cmds, { splitSeed: 5 });
  assert.ok(rack.activeVoices >= 64 + 1, `${rack.activeVoices} voices`);
  for (let t = 1; t <= 4; t++) assert.equal(rack.instrument(t)?.activeVoices, 16);
  assertFiniteBelowCeiling(out, "full gain");
  assert.ok(maxAbs(out) > 0.9 * CEILING, `peak ${maxAbs(out)}: the limiter was exercised`);
  assert.ok(rack.mixer.gainReductionDb < -1 || rack.faults > 0, "the master chain worked");
});

/** A script played on a rack for the snapshot tests: notes, drums, synth, gliding params. */
function snapshotScript(sends: boolean): { before: Cmd[]; after: Cmd[]; split: number } {
  const split = 12000;
  const before: Cmd[] = [
    param(0, 0, SynthParam.Gate, 1),
    param(0, 1, InstrumentParam.FilterEnvAmount, 2),
    on(0, 1, 60),
    on(100, 1, 64),
    on(200, 2, 40, 0.7),
    param(300, 3, InstrumentParam.Mode, 1),
    param(300, 3, InstrumentParam.Glide, 80),
    on(400, 3, 70),
    on(5000, 3, 74),
    on(1000, T.Drums, 36),
    on(8000, T.Drums, 46),
    on(11500, T.Drums, 38),
    param(11800, 1, InstrumentParam.Gain, 1.2), // still gliding at the snapshot
    param(11900, T.MiniSynthStrip, StripParam.Pan, -0.5),
  ];
  if (sends) {
    before.push(
      param(0, T.Mixer, MixerParam.ReverbSize, 0.8),
      param(0, T.Mixer, MixerParam.DelayTime, 120),
      param(0, 1, InstrumentParam.ReverbSend, 0.6),
      param(0, 2, InstrumentParam.DelaySend, 0.5),
      param(0, T.DrumStrip, StripParam.ReverbSend, 0.7),
      param(0, T.MiniSynthStrip, StripParam.DelaySend, 0.4),
      // Inserts (chorus line, compression, drive) and the tempo-synced delay in the snapshot.
      param(0, T.Mixer, MixerParam.Tempo, 132),
      param(0, T.Mixer, MixerParam.DelayBeats, 0.75),
      param(0, 1, InstrumentParam.ChorusMix, 0.6),
      param(0, 2, InstrumentParam.CompMix, 1),
      param(0, 2, InstrumentParam.CompThreshold, -30),
      param(0, 2, InstrumentParam.DriveMix, 0.5),
      param(11900, 3, InstrumentParam.ChorusMix, 0.5), // pre-rolling at the snapshot
      param(11950, 2, InstrumentParam.DriveMix, 1), // gliding at the snapshot
    );
  }
  const after: Cmd[] = [
    off(split + 500, 1, 60),
    on(split + 600, 4, 67),
    on(split + 700, T.Drums, 42),
    param(split + 800, T.Mixer, MixerParam.MasterGain, 0.8),
    off(split + 3000, 3, 74),
    on(split + 4000, 1, 72),
    param(split + 4100, T.DrumStrip, StripParam.Gain, 0.5),
    on(split + 4200, T.Drums, 36),
  ];
  return { before, after, split };
}

/** Play the script on two racks, the second loaded from the first's snapshot at the split. */
function snapshotContinuation(sends: boolean): void {
  const { before, after, split } = snapshotScript(sends);
  const frames = 16384;
  const a = new Rack(RATE);
  play(rackPlayer(a), split, before);
  assert.ok(a.activeVoices >= 5, `${a.activeVoices} voices sounding at the snapshot`);
  const state = snapshot(a);
  const b = new Rack(RATE);
  b.loadState(state);
  const outA = play(rackPlayer(a), frames, after, { from: split, splitSeed: 2 });
  const outB = play(rackPlayer(b), frames, after, { from: split, splitSeed: 2 });
  assert.ok(maxAbs(outA) > 0.05, "it played");
  assert.deepEqual(snapshot(b), snapshot(a), "state after continuing");
  assertBitIdentical(outB, outA, "continuation");
}

// Needs the mixer to snapshot its OutputGuard and SafetyLimiter: if Mixer.loadState
// cleared the guard's DC blocker and the limiter's look-ahead delay, the restored rack
// would differ from the first frame on while anything sounds.
Deno.test("Rack snapshot continues bit-identically (sends at 0)", () => {
  snapshotContinuation(false);
});

// Needs the mixer to snapshot its Reverb and StereoDelay lines too (and guard and
// limiter): the effect tails must continue across the load. Do not weaken this test.
Deno.test("Rack snapshot continues bit-identically (sends, inserts, tempo-synced delay on)", () => {
  snapshotContinuation(true);
});

Deno.test("Rack snapshot load: the same calls from a loaded state give the same voices (sends at 0)", () => {
  // What the rack's own parts guarantee today: after a load, every part's state evolves
  // exactly as in the original (the whole snapshot, mixer included, stays equal).
  const { before, after, split } = snapshotScript(false);
  const a = new Rack(RATE);
  play(rackPlayer(a), split, before);
  const b = new Rack(RATE);
  b.loadState(snapshot(a));
  play(rackPlayer(a), 8192, after, { from: split });
  play(rackPlayer(b), 8192, after, { from: split });
  assert.deepEqual(snapshot(b), snapshot(a));
  assert.ok(a.activeVoices > 0);
});

/** The allocation scenario: the loop whose own allocations are counted. */
function rackScenario(rack: Rack, out: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    rack.setParam(6, 1, b & 1);
    rack.setParam(7, 1, (b & 1) * 2 - 1);
    if ((b & 15) === 0) rack.noteOn(5, 42, 1);
    rack.render(out, 0, 50);
    rack.render(out, 50, BLOCK);
  }
}

Deno.test("Rack allocates nothing per block with 8 voices, drums, synth and both effects (V8 heap sampling)", async () => {
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~24 KB.
  const LIMIT = 6 * 1024;
  const rack = new Rack(RATE);
  rack.setParam(T.MiniSynth, SynthParam.Gate, 1);
  for (let t = 1; t <= 2; t++) {
    rack.setParam(t, InstrumentParam.ReverbSend, 0.4);
    rack.setParam(t, InstrumentParam.DelaySend, 0.4);
    for (let k = 0; k < 4; k++) rack.noteOn(t, 40 + 12 * t + 3 * k, 1);
  }
  rack.setParam(T.DrumStrip, StripParam.ReverbSend, 0.3);
  const out = new Float32Array(2 * BLOCK);
  let bytes = Infinity;
  for (let attempt = 0; attempt < 5 && !(bytes < LIMIT); attempt++) {
    rackScenario(rack, out, 800);
    await new Promise((resolve) => setTimeout(resolve, 20));
    bytes = await sampledAllocation(() => rackScenario(rack, out, 1200), "rackScenario");
  }
  assert.equal(rack.instrument(1)?.activeVoices, 4);
  assert.equal(rack.instrument(2)?.activeVoices, 4);
  assert.ok(bytes < LIMIT, `${bytes} bytes sampled while rendering 1200 blocks`);
});

Deno.test("Rack is deterministic: two racks given the same random commands render the same samples", () => {
  const random = seededRandom(21);
  const cmds: Cmd[] = [];
  for (let i = 0; i < 300; i++) {
    const at = Math.floor(random() * 24000);
    const target = Math.floor(random() * RACK_TARGET_COUNT);
    const kind = random();
    if (kind < 0.5 && target >= 1 && target <= 5) {
      const note = target === 5
        ? [36, 38, 42, 46, 39, 45][Math.floor(random() * 6)] as number
        : 36 + Math.floor(random() * 48);
      cmds.push(on(at, target, note, 0.2 + 0.8 * random()));
      if (target !== 5) cmds.push(off(at + Math.floor(random() * 6000), target, note));
    } else {
      const count = RACK_PARAM_COUNTS[target] as number;
      const p = Math.floor(random() * count);
      // Keep the voice count and mode alone: they are covered elsewhere.
      if (
        target >= 1 && target <= 4 &&
        (p === InstrumentParam.Polyphony || p === InstrumentParam.Mode)
      ) continue;
      if (target === 0 && p === SynthParam.SineFreq) continue;
      cmds.push(param(at, target, p, random() * 2 - 0.5));
    }
  }
  const a = new Rack(RATE, { voices: 8 });
  const b = new Rack(RATE, { voices: 8 });
  const outA = play(rackPlayer(a), 24000, cmds, { splitSeed: 1 });
  const outB = play(rackPlayer(b), 24000, cmds, { splitSeed: 1 });
  assert.ok(maxAbs(outA) > 0.01, "it played");
  assertFiniteBelowCeiling(outA, "random commands");
  assertBitIdentical(outA, outB, "two racks");
  assert.deepEqual(snapshot(a), snapshot(b));
});

/**
 * Offset in an instrument snapshot of its voice allocator's voice count:
 * header (3), params, then 4 smoothers (gain, pan, two sends) of 2 slots.
 */
const ALLOCATOR_CAPACITY_SLOT = 3 + INSTRUMENT_PARAM_COUNT + 4 * 2;

/**
 * Indices of a valid snapshot that a corrupt one keeps: the rack's and the
 * parts' headers, and the allocators' voice counts (a mismatch there is
 * rejected, not repaired, by the instrument).
 */
function headerSlots(state: Float64Array): Set<number> {
  const keep = new Set([0, 1, 2, 3]);
  state.forEach((x, i) => {
    if (x === MINI_SYNTH_STATE_TAG || x === MIXER_STATE_TAG) keep.add(i).add(i + 1);
    if (x === INSTRUMENT_STATE_TAG) {
      keep.add(i).add(i + 1).add(i + 2).add(i + ALLOCATOR_CAPACITY_SLOT);
    }
  });
  return keep;
}

Deno.test("Rack renders only what sounds: idle instruments and drums are not called (spied)", () => {
  const calls = new Map<string, number>();
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const instMix = Instrument.prototype.mixInto;
  const kitRender = DrumKit.prototype.render;
  Instrument.prototype.mixInto = function (this: Instrument, ...args) {
    count(this.name);
    instMix.apply(this, args);
  };
  DrumKit.prototype.render = function (this: DrumKit, ...args) {
    count("kit");
    kitRender.apply(this, args);
  };
  try {
    const rack = new Rack(RATE);
    const p = rackPlayer(rack);
    play(p, 100 * BLOCK);
    assert.deepEqual([...calls], [], "idle: nothing but the synth and the mixer");
    // A note on instrument 2 (released after 20 ms): only it renders, until it is idle.
    play(p, 100 * BLOCK, [on(0, 2, 60), off(0, 2, 60)]);
    assert.deepEqual([...calls.keys()], ["t2"]);
    const t2 = calls.get("t2") as number;
    assert.ok(t2 > 10 && t2 < 100, `${t2} chunks`);
    play(p, 100 * BLOCK);
    assert.equal(calls.get("t2"), t2, "idle again");
    // A parameter change wakes an idle instrument for RACK_AWAKE_MS, then it rests.
    play(p, 200 * BLOCK, [param(0, 3, InstrumentParam.Gain, 1)]);
    assert.equal(calls.get("t3"), Math.ceil((RACK_AWAKE_MS * RATE) / 1000 / BLOCK));
    // Drums: rendered while a drum sounds (and awake after a strip change), else not.
    play(p, 100 * BLOCK, [on(0, T.Drums, 42)]);
    const kit = calls.get("kit") as number;
    assert.ok(kit > 0 && kit < 100, `${kit} chunks`);
    play(p, 100 * BLOCK);
    assert.equal(calls.get("kit"), kit);
    assert.deepEqual([...calls.keys()].sort(), ["kit", "t2", "t3"]);
  } finally {
    Instrument.prototype.mixInto = instMix;
    DrumKit.prototype.render = kitRender;
  }
});

// Last in this file on purpose: a corrupt sine phase (outside [0, 1)) makes
// SineOscillator.process read its table out of bounds, after which V8's code for it
// allocates in this isolate (sine.ts does not wrap a loaded phase). The output stays
// finite; the allocation test above must not run after this one.
Deno.test("Rack loadState rejects a foreign header unchanged and survives a corrupt body with finite output", () => {
  const rack = new Rack(RATE, { voices: 8 });
  const script = snapshotScript(true);
  play(rackPlayer(rack), script.split, script.before);
  const good = snapshot(rack);
  const keep = headerSlots(good);
  assert.equal(keep.size, 4 + 2 + 4 * 4 + 2, "rack, synth, 4 instrument and mixer headers");

  // Foreign headers: rejected, nothing changes.
  const mutate = (f: (s: Float64Array) => void) => {
    const s = good.slice();
    f(s);
    return s;
  };
  const firstTag = (tag: number) => good.indexOf(tag);
  const foreign: Array<[string, Float64Array]> = [
    ["short", good.slice(0, good.length - 1)],
    ["tag", mutate((s) => (s[0] = 0))],
    ["rate", mutate((s) => (s[1] = 44100))],
    ["voices", mutate((s) => (s[2] = 16))],
    ["size", mutate((s) => (s[3] = NaN))],
    ["synth tag", mutate((s) => (s[firstTag(MINI_SYNTH_STATE_TAG)] = 1))],
    ["instrument rate", mutate((s) => (s[good.lastIndexOf(INSTRUMENT_STATE_TAG) + 1] = 1))],
    ["instrument voices", mutate((s) => (s[firstTag(INSTRUMENT_STATE_TAG) + 2] = 16))],
    ["mixer tag", mutate((s) => (s[firstTag(MIXER_STATE_TAG)] = NaN))],
    ["other rack", snapshot(new Rack(RATE))],
  ];
  const target = new Rack(RATE, { voices: 8 });
  play(rackPlayer(target), 3000, [on(0, 2, 50), on(0, T.Drums, 36)]);
  const unchanged = snapshot(target);
  for (const [what, s] of foreign) {
    assert.throws(() => target.loadState(s), RangeError, what);
    assert.deepEqual(snapshot(target), unchanged, `${what}: state changed`);
  }

  // Corrupt bodies: accepted and repaired, output finite and below the ceiling.
  const random = seededRandom(11);
  const fills: Array<[string, (i: number) => number]> = [
    ["NaN", () => NaN],
    ["+Infinity", () => Infinity],
    ["-Infinity", () => -Infinity],
    ["huge", (i) => (i & 1 ? 1e300 : -1e300)],
    ["random", () => (random() - 0.5) * 1e6],
    ["small ints", () => Math.floor(random() * 300) - 50],
    ["mixed", (i) => [NaN, 1e30, -7, 0.5, Infinity, 3][i % 6] as number],
  ];
  // Finite and at most 0 dBFS is checked at once, the ceiling (-0.3 dBFS) at the end, so
  // every case runs and a failure lists them all (a corrupt limiter ceiling smoother
  // must be clamped to the mixer's ceiling, not just to 0 dBFS).
  const overCeiling: string[] = [];
  const check = (out: Float32Array, what: string) => {
    for (let i = 0; i < out.length; i++) {
      if (!(Math.abs(out[i] as number) <= 1)) assert.fail(`${what}: sample ${i} is ${out[i]}`);
    }
    if (maxAbs(out) > CEILING) overCeiling.push(`${what}: peak ${maxAbs(out)}`);
  };
  for (const [what, fill] of fills) {
    const s = good.slice();
    for (let i = 0; i < s.length; i++) if (!keep.has(i)) s[i] = fill(i);
    const r = new Rack(RATE, { voices: 8 });
    r.loadState(s);
    const out = play(rackPlayer(r), 9600, [], { splitSeed: 4 });
    check(out, `${what}: after load`);
    // Still playable without a fault (silence is allowed: a corrupt part may stay mute).
    const after = play(rackPlayer(r), 9600, [
      param(0, 1, InstrumentParam.Gain, 1),
      param(0, 1, InstrumentParam.AmpSustain, 1),
      param(0, 1, InstrumentParam.FilterCutoff, 20000),
      param(0, T.Mixer, MixerParam.MasterGain, 1),
      on(0, 1, 69),
    ]);
    check(after, `${what}: a new note`);
    const state = snapshot(r);
    assert.ok(state.every(Number.isFinite), `${what}: non-finite state after rendering`);
  }

  // Garbage everywhere but the rack's own header: all or nothing. Either rejected with
  // the state untouched (a part found a foreign header), or loaded and finite.
  let rejected = 0;
  for (const [what, fill] of fills) {
    const s = good.slice();
    for (let i = 4; i < s.length; i++) s[i] = fill(i);
    const r = new Rack(RATE, { voices: 8 });
    play(rackPlayer(r), 3000, [on(0, 3, 50), on(0, T.Drums, 38)]);
    const mine = snapshot(r);
    try {
      r.loadState(s);
    } catch (error) {
      assert.ok(error instanceof RangeError, `${what}: ${error}`);
      assert.deepEqual(snapshot(r), mine, `${what}: rejected but changed`);
      rejected++;
      continue;
    }
    check(play(rackPlayer(r), 4800), `${what}: loaded`);
  }
  assert.ok(rejected > 0, "foreign part headers are rejected");
  // A part that throws half-way (here the first instrument's allocator) leaves nothing loaded.
  const half = mutate((s) => (s[firstTag(INSTRUMENT_STATE_TAG) + ALLOCATOR_CAPACITY_SLOT] = 3));
  assert.throws(() => target.loadState(half), RangeError);
  assert.deepEqual(snapshot(target), unchanged, "half-loaded");
  assert.deepEqual(overCeiling, [], "output above the ceiling after a corrupt load");
});
