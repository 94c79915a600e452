import assert from "node:assert/strict";
import {
  DEFAULT_VELOCITY,
  INSTRUMENT_NAMES,
  noteName,
  parseInstrumentLine,
  parseNote,
} from "../repl/instrument_parser.ts";
import { allNotesOff, type CommandSpec, noteOff, noteOn, setParam } from "../engine/command.ts";
import { InstrumentParam } from "../dsp/instrument.ts";
import { Drum, DRUM_PARAM_COUNT, DRUM_SPECS, DrumParam } from "../dsp/drums.ts";
import { MixerParam } from "../dsp/mixer.ts";
import { Waveform } from "../dsp/oscillator.ts";
import { SvfMode } from "../dsp/svf.ts";
import { VoiceMode } from "../dsp/voice_allocator.ts";
import { RackTarget } from "../dsp/rack.ts";

function specsOf(line: string): readonly CommandSpec[] {
  const result = parseInstrumentLine(line);
  if (!result.ok) throw new Error(`${line}: ${result.error}`);
  if (result.action.kind !== "commands") throw new Error(`${line}: ${result.action.kind}`);
  return result.action.specs;
}

const LEAD = RackTarget.FirstInstrument;

Deno.test("instrument parameters become SetParam structs for the named instrument", () => {
  assert.deepEqual(
    specsOf("/inst/lead/filter/cutoff 800"),
    [setParam(InstrumentParam.FilterCutoff, 800, LEAD)],
  );
  assert.deepEqual(specsOf("/inst/bass/osc/wave saw"), [
    setParam(InstrumentParam.Waveform, Waveform.Saw, LEAD + 1),
  ]);
  assert.deepEqual(specsOf("/inst/pad/mode legato"), [
    setParam(InstrumentParam.Mode, VoiceMode.Legato, LEAD + 2),
  ]);
  assert.deepEqual(specsOf("/inst/keys/filter/mode hp # comment"), [
    setParam(InstrumentParam.FilterMode, SvfMode.Highpass, LEAD + 3),
  ]);
  assert.deepEqual(specsOf("/inst/lead/osc/wave 4"), [
    setParam(InstrumentParam.Waveform, 4, LEAD),
  ]);
  assert.deepEqual(specsOf("/inst/lead/glide 120"), [setParam(InstrumentParam.Glide, 120, LEAD)]);
  assert.equal(INSTRUMENT_NAMES.length, RackTarget.LastInstrument - RackTarget.FirstInstrument + 1);
});

Deno.test("notes by name or number, with or without a velocity", () => {
  assert.deepEqual(specsOf("/inst/lead/note C4 0.5"), [noteOn(LEAD, 60, 0.5)]);
  assert.deepEqual(specsOf("/inst/lead/note 69"), [noteOn(LEAD, 69, DEFAULT_VELOCITY)]);
  assert.deepEqual(specsOf("/inst/keys/off Bb2"), [noteOff(LEAD + 3, 46)]);
  assert.deepEqual(specsOf("/inst/bass/panic"), [allNotesOff(LEAD + 1)]);
  const result = parseInstrumentLine("/inst/lead/note F#3 1");
  assert.ok(result.ok && result.action.kind === "commands");
  assert.equal(result.action.message, "lead note F#3 (54) velocity 1");
});

Deno.test("drums play by name and take per-drum parameters", () => {
  assert.deepEqual(specsOf("/drums/kick"), [noteOn(RackTarget.Drums, 36, DEFAULT_VELOCITY)]);
  for (const spec of DRUM_SPECS) {
    assert.deepEqual(specsOf(`/drums/${spec.name} 1`), [noteOn(RackTarget.Drums, spec.note, 1)]);
  }
  assert.deepEqual(specsOf("/drums/snare/decay 250"), [
    setParam(Drum.Snare * DRUM_PARAM_COUNT + DrumParam.Decay, 250, RackTarget.Drums),
  ]);
  assert.deepEqual(specsOf("/drums/closed-hat/pan -0.5"), [
    setParam(Drum.ClosedHat * DRUM_PARAM_COUNT + DrumParam.Pan, -0.5, RackTarget.Drums),
  ]);
});

Deno.test("mixer parameters, toggles as on/off", () => {
  assert.deepEqual(specsOf("/mix/reverb/size 0.7"), [
    setParam(MixerParam.ReverbSize, 0.7, RackTarget.Mixer),
  ]);
  assert.deepEqual(specsOf("/mix/delay/pingpong on"), [
    setParam(MixerParam.DelayPingPong, 1, RackTarget.Mixer),
  ]);
  assert.deepEqual(specsOf("/mix/ceiling -1"), [
    setParam(MixerParam.Ceiling, -1, RackTarget.Mixer),
  ]);
});

Deno.test("bad values and names get one clear error line and no commands", () => {
  const cases: [string, RegExp][] = [
    ["/inst/lead/filter/cutoff NaN", /finite number/],
    ["/inst/lead/filter/cutoff 1e30", /between 20 and 20000 Hz/],
    ["/inst/lead/filter/cutoff 5", /between 20 and 20000 Hz/],
    ["/inst/lead/filter/cutoff", /needs a value/],
    ["/inst/lead/filter/cutoff 800 900", /one value/],
    ["/inst/flute/gain 1", /unknown instrument flute; instruments: lead, bass, pad, keys/],
    ["/inst/lead/wobble 1", /lead has no wobble; try note, off, panic/],
    ["/inst/lead/osc/wave wobble", /one of sine, saw, square, pulse, triangle/],
    ["/inst/lead/voices 2.5", /whole number/],
    ["/inst/lead/note H9", /note like C4/],
    ["/inst/lead/note G#9", /note like C4/],
    ["/inst/lead/note C4 1.5", /velocity must be above 0 and at most 1/],
    ["/inst/lead/note C4 0", /velocity must be above 0/],
    ["/inst/lead/note C4 0.5 9", /at most 2 arguments/],
    ["/inst/lead/panic now", /takes no arguments/],
    ["/drums/cowbell", /unknown drum cowbell; drums: kick, snare/],
    ["/drums/kick/tune 99", /between -24 and 24 st/],
    ["/drums/kick/wobble 1", /a drum has level, tune, decay, tone, pan/],
    ["/mix/ceiling 0", /between -\d+ and -0.3 dB/],
    ["/mix/delay/pingpong maybe", /on or off/],
    ["/mix/warp 1", /the mixer has gain/],
  ];
  for (const [line, error] of cases) {
    const result = parseInstrumentLine(line);
    assert.equal(result.ok, false, line);
    if (result.ok) continue;
    assert.equal(result.reason, "invalid", line);
    assert.match(result.error, error, line);
    assert.ok(!result.error.includes("\n"), `${line}: one line`);
  }
});

Deno.test("lines for other parsers are left alone", () => {
  for (const line of ["/mod/sine/freq 440", "/status", "play a C minor chord", "", "# note"]) {
    const result = parseInstrumentLine(line);
    assert.ok(!result.ok && result.reason === "unknown", line);
  }
});

Deno.test("parseNote and noteName are inverse over the MIDI range", () => {
  for (let note = 0; note <= 127; note++) {
    assert.equal(parseNote(noteName(note)), note, noteName(note));
    assert.equal(parseNote(String(note)), note);
  }
  assert.equal(parseNote("A4"), 69);
  assert.equal(parseNote("Db4"), 61);
  assert.equal(parseNote("cb4"), 59);
  assert.equal(parseNote("C-1"), 0);
  for (const bad of ["128", "-1", "60.5", "C10", "X4", "", "C#", "0x3c"]) {
    assert.equal(parseNote(bad), undefined, bad);
  }
});
