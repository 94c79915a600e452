import assert from "node:assert/strict";
import { AdsrStage } from "../dsp/adsr.ts";
import {
  clampInstrumentParam,
  Instrument,
  INSTRUMENT_PARAM_COUNT,
  INSTRUMENT_PARAM_SPECS,
  InstrumentParam,
  instrumentParamId,
  instrumentStateSize,
  noteToHz,
} from "../dsp/instrument.ts";
import { SendBus } from "../dsp/mixer.ts";
import { Waveform } from "../dsp/oscillator.ts";
import { VoiceMode } from "../dsp/voice_allocator.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";
import {
  deinterleave,
  levelDb,
  magnitudeSpectrum,
  peakFrequency,
  rms,
  toneAmplitude,
} from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;

/** Render `frames` frames of `inst` in blocks of BLOCK into a new interleaved buffer. */
function renderFrames(inst: Instrument, frames: number): Float32Array {
  const out = new Float32Array(2 * frames);
  for (let b = 0; b < frames; b += BLOCK) inst.render(out, b, Math.min(b + BLOCK, frames));
  return out;
}

/** A sine instrument with an open filter and fast, flat envelopes. */
function sineInstrument(options: { voices?: number; sustain?: number } = {}): Instrument {
  const inst = new Instrument("test", RATE, { voices: options.voices ?? 16 });
  inst.setParam(InstrumentParam.Waveform, Waveform.Sine);
  inst.setParam(InstrumentParam.AmpAttack, 2);
  inst.setParam(InstrumentParam.AmpDecay, 10);
  inst.setParam(InstrumentParam.AmpSustain, options.sustain ?? 1);
  inst.setParam(InstrumentParam.AmpRelease, 20);
  inst.setParam(InstrumentParam.Gain, 1);
  return inst;
}

/**
 * Instantaneous frequency from rising zero crossings (linearly interpolated):
 * one [time in frames, Hz] per pair of consecutive crossings, timed at their midpoint.
 */
function zeroCrossingFrequencies(x: Float64Array): [number, number][] {
  const crossings: number[] = [];
  for (let i = 1; i < x.length; i++) {
    const a = x[i - 1] as number;
    const b = x[i] as number;
    if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b));
  }
  const out: [number, number][] = [];
  for (let k = 1; k < crossings.length; k++) {
    const t0 = crossings[k - 1] as number;
    const t1 = crossings[k] as number;
    out.push([(t0 + t1) / 2, RATE / (t1 - t0)]);
  }
  return out;
}

function semitones(hz: number): number {
  return 69 + 12 * Math.log2(hz / 440);
}

/** Median frequency in Hz over frames [from, to) of the left channel. */
function medianFrequency(out: Float32Array, from: number, to: number): number {
  const left = deinterleave(out, 0).subarray(from, to);
  const f = zeroCrossingFrequencies(left).map(([, hz]) => hz).sort((a, b) => a - b);
  return f[Math.floor(f.length / 2)] as number;
}

function snapshot(inst: Instrument): Float64Array {
  const s = new Float64Array(inst.stateSize);
  inst.saveState(s);
  return s;
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}: sample ${i} differs: ${a[i]} vs ${b[i]}`);
  }
}

Deno.test("INSTRUMENT_PARAM_SPECS is indexed by id with unique names and initial values in range", () => {
  assert.equal(INSTRUMENT_PARAM_SPECS.length, INSTRUMENT_PARAM_COUNT);
  assert.equal(Object.keys(InstrumentParam).length, INSTRUMENT_PARAM_COUNT);
  const names = new Set<string>();
  INSTRUMENT_PARAM_SPECS.forEach((spec, i) => {
    assert.equal(spec.id, i);
    assert.ok(spec.min <= spec.initial && spec.initial <= spec.max, spec.name);
    assert.ok(/^[a-z]+(\/[a-z]+)*$/.test(spec.name), spec.name);
    assert.ok(!names.has(spec.name), `duplicate ${spec.name}`);
    names.add(spec.name);
    assert.equal(instrumentParamId(spec.name), i);
  });
  assert.equal(instrumentParamId("filter/cutoff"), InstrumentParam.FilterCutoff);
  assert.equal(instrumentParamId("nope"), -1);
  assert.equal(clampInstrumentParam(InstrumentParam.FilterCutoff, 1e30), 20000);
  assert.equal(clampInstrumentParam(InstrumentParam.Waveform, 2.4), 2);
  assert.ok(Number.isNaN(clampInstrumentParam(99, 1)));
  assert.ok(Math.abs(noteToHz(60) - 261.6255653005986) < 1e-9);
  assert.equal(noteToHz(69), 440);
});

Deno.test("Instrument checks its name, rate and voice count", () => {
  for (const bad of ["", "1lead", "le ad", "a/b", "x".repeat(33)]) {
    assert.throws(() => new Instrument(bad, RATE), RangeError, bad);
  }
  assert.throws(() => new Instrument("lead", 10), RangeError);
  assert.throws(() => new Instrument("lead", RATE, { voices: 0 }), RangeError);
  assert.throws(() => new Instrument("lead", RATE, { voices: 65 }), RangeError);
  const inst = new Instrument("bass_2", RATE);
  assert.equal(inst.capacity, 16);
  assert.equal(inst.polyphony, 16);
  assert.equal(inst.getParam(InstrumentParam.Polyphony), 16);
  assert.equal(inst.stateSize, instrumentStateSize(16));
  assert.equal(new Instrument("pad", RATE, { voices: 32 }).polyphony, 32);
});

Deno.test("Instrument steals the oldest released voice first, then the oldest held, and retriggers it", () => {
  const inst = sineInstrument({ voices: 4 });
  inst.setParam(InstrumentParam.AmpRelease, 5000); // released voices keep sounding
  for (const note of [60, 62, 64, 65]) inst.noteOn(note);
  renderFrames(inst, 1024);
  inst.noteOff(64); // voice 2 released first
  renderFrames(inst, 256);
  inst.noteOff(60); // then voice 0
  renderFrames(inst, 256);
  assert.equal(inst.activeVoices, 4);
  assert.equal(inst.heldVoices, 2);
  assert.equal(inst.voiceStage(2), AdsrStage.Release);
  assert.equal(inst.noteOn(67), 2);
  assert.equal(inst.voiceStage(2), AdsrStage.Attack, "stolen voice retriggered");
  assert.equal(inst.voicePitch(2), 67);
  assert.equal(inst.noteOn(69), 0);
  assert.equal(inst.noteOn(71), 1, "no released voice left: the oldest held (62)");
  assert.equal(inst.noteOn(72), 3);
  assert.deepEqual([0, 1, 2, 3].map((i) => inst.voiceNote(i)), [69, 71, 67, 72]);
  assert.equal(inst.activeVoices, 4);
});

Deno.test("Instrument renders a 16-note chord with 16 voices and a spectral peak at every note", () => {
  const inst = sineInstrument();
  inst.setParam(InstrumentParam.Gain, 1 / 16);
  const notes = Array.from({ length: 16 }, (_, k) => 45 + 3 * k); // 110 Hz .. 1480 Hz
  for (const note of notes) inst.noteOn(note, 1);
  const settle = 4096;
  const size = 1 << 16; // 0.73 Hz bins: neighbours' main lobes stay clear of the midpoints
  const out = renderFrames(inst, settle + size);
  assert.equal(inst.activeVoices, 16);
  assert.equal(inst.heldVoices, 16);
  const left = deinterleave(out, 0);
  const spectrum = magnitudeSpectrum(left, { start: settle, size, sampleRate: RATE });
  // Each note: a sine of amplitude gain × sustain × centre pan.
  const amplitude = (1 / 16) * Math.SQRT1_2;
  for (const note of notes) {
    const f = noteToHz(note);
    const peak = peakFrequency(spectrum, { minHz: f - 10, maxHz: f + 10 });
    assert.ok(Math.abs(peak - f) < 0.05, `note ${note}: peak at ${peak} Hz, expected ${f}`);
    const a = toneAmplitude(left, f, { start: settle, length: size, sampleRate: RATE });
    assert.ok(
      Math.abs(a / amplitude - 1) < 0.01,
      `note ${note}: amplitude ${a}, expected ${amplitude}`,
    );
    // Halfway (in pitch) to the next note there is nothing.
    const between = f * Math.pow(2, 1.5 / 12);
    assert.ok(levelDb(spectrum, between) < -80, `between ${note} and ${note + 3}`);
  }
  // A 17th note steals instead of adding a voice.
  inst.noteOn(100, 1);
  assert.equal(inst.activeVoices, 16);
});

Deno.test("Instrument voices go idle after their release and cost nothing", () => {
  const inst = sineInstrument();
  for (let k = 0; k < 8; k++) inst.noteOn(50 + k);
  renderFrames(inst, 2000);
  assert.equal(inst.activeVoices, 8);
  inst.allNotesOff();
  assert.equal(inst.heldVoices, 0);
  assert.equal(inst.activeVoices, 8, "still releasing");
  renderFrames(inst, Math.ceil(0.02 * RATE) + BLOCK);
  assert.equal(inst.activeVoices, 0);
  renderFrames(inst, 9600); // until the gain smoother (set above) has snapped onto its target
  const idle = snapshot(inst);
  const after = renderFrames(inst, 1024);
  assert.ok(after.every((x) => x === 0), "exact silence once idle");
  // Idle voices are skipped, not rendered silently: their oscillators did not run.
  assert.deepEqual(snapshot(inst), idle);
  // reset() silences at once.
  inst.noteOn(60);
  renderFrames(inst, 512);
  inst.reset();
  assert.equal(inst.activeVoices, 0);
  assert.ok(renderFrames(inst, 256).every((x) => x === 0));
});

Deno.test("Instrument legato does not retrigger and glides over the glide time", () => {
  const glideMs = 200;
  const glideFrames = (glideMs * RATE) / 1000;
  const run = (mode: number) => {
    const inst = sineInstrument({ sustain: 0.5 });
    inst.setMode(mode as 0 | 1 | 2);
    inst.setGlide(glideMs);
    inst.noteOn(57, 1); // A3, 220 Hz
    const first = renderFrames(inst, 4800);
    const levelBefore = inst.voiceLevel(0);
    inst.noteOn(69, 1); // A4, overlapping
    const stage = inst.voiceStage(0);
    const second = renderFrames(inst, glideFrames + 4800);
    return { inst, first, second, levelBefore, stage };
  };
  const legato = run(VoiceMode.Legato);
  assert.equal(legato.levelBefore, 0.5);
  assert.equal(legato.stage, AdsrStage.Sustain, "no attack restart");
  assert.equal(legato.inst.voiceLevel(0), 0.5);
  // The output amplitude stays at the sustain level across the note change.
  const l = deinterleave(legato.second, 0);
  const expected = 0.5 * Math.SQRT1_2; // sustain × centre pan
  for (let w = 0; w + 480 <= l.length; w += 480) {
    let peak = 0;
    for (let i = w; i < w + 480; i++) peak = Math.max(peak, Math.abs(l[i] as number));
    assert.ok(Math.abs(peak - expected) < 0.01 * expected, `window ${w}: peak ${peak}`);
  }
  // Pitch: linear in semitones from 57 to 69 over the glide time, behind by the
  // oscillator's 5 ms frequency smoother (240 frames) and half a glide step.
  const lag = 240 + 8 + 8;
  const ramp = (t: number) => 57 + 12 * Math.min(1, Math.max(0, (t - lag) / glideFrames));
  let checked = 0;
  for (const [t, hz] of zeroCrossingFrequencies(l)) {
    const got = semitones(hz);
    assert.ok(Math.abs(got - ramp(t)) < 0.2, `t=${t}: ${got} semitones, expected ${ramp(t)}`);
    checked++;
  }
  assert.ok(checked > 80, `${checked} periods measured`);
  const mid = medianFrequency(legato.second, glideFrames / 2 - 300, glideFrames / 2 + 300);
  assert.ok(Math.abs(semitones(mid) - ramp(glideFrames / 2)) < 0.2, `halfway: ${semitones(mid)}`);
  assert.ok(Math.abs(semitones(mid) - 63) < 0.5, "halfway in pitch, not jumped");
  const end = medianFrequency(legato.second, glideFrames + 1000, glideFrames + 4800);
  assert.ok(Math.abs(end - 440) < 0.05, `after the glide: ${end} Hz`);
  // Mono mode retriggers: the attack restarts and the level leaves the sustain.
  const mono = run(VoiceMode.Mono);
  assert.equal(mono.stage, AdsrStage.Attack);
  assert.ok(rms(deinterleave(mono.second, 0), 0, 480) > 1.2 * rms(l, 0, 480));
});

Deno.test("Instrument mono mode returns to the previous held note; glide 0 jumps", () => {
  const inst = sineInstrument();
  inst.setMode(VoiceMode.Mono);
  inst.noteOn(57);
  inst.noteOn(64);
  inst.noteOn(69);
  let out = renderFrames(inst, 4800);
  assert.ok(Math.abs(medianFrequency(out, 1000, 4800) - 440) < 0.05);
  inst.noteOff(69);
  out = renderFrames(inst, 4800);
  assert.ok(Math.abs(medianFrequency(out, 1000, 4800) - noteToHz(64)) < 0.05, "back to 64");
  assert.equal(inst.noteOff(57), -1, "57 is not sounding");
  assert.equal(inst.voiceStage(0) !== AdsrStage.Release, true);
  out = renderFrames(inst, 4800);
  assert.ok(Math.abs(medianFrequency(out, 1000, 4800) - noteToHz(64)) < 0.05, "still 64");
  assert.equal(inst.noteOff(64), 0);
  assert.equal(inst.voiceStage(0), AdsrStage.Release);
  assert.equal(inst.activeVoices, 1);
});

Deno.test("Instrument polyphony limits the sounding voices", () => {
  const inst = sineInstrument();
  inst.setParam(InstrumentParam.AmpRelease, 1000);
  assert.equal(inst.setPolyphony(4), true);
  assert.equal(inst.polyphony, 4);
  for (let k = 0; k < 10; k++) {
    const v = inst.noteOn(40 + 2 * k);
    assert.ok(v >= 0 && v < 4, `voice ${v}`);
    renderFrames(inst, 256);
  }
  assert.equal(inst.activeVoices, 4);
  // Lowering it releases the voices beyond.
  inst.setPolyphony(2);
  assert.equal(inst.heldVoices, 2);
  assert.equal(inst.voiceStage(3), AdsrStage.Release);
  // Clamped to the capacity, rounded.
  inst.setParam(InstrumentParam.Polyphony, 1e30);
  assert.equal(inst.polyphony, 16);
  assert.equal(inst.getParam(InstrumentParam.Polyphony), 16);
  inst.setParam(InstrumentParam.Polyphony, 2.7);
  assert.equal(inst.polyphony, 3);
});

Deno.test("Instrument pans with equal power: hard left silences the right, centre is -3 dB", () => {
  const make = (pan: number) => {
    const inst = sineInstrument();
    inst.setParam(InstrumentParam.Pan, pan);
    inst.noteOn(60);
    return renderFrames(inst, 12000);
  };
  const hardLeft = make(-1);
  const centre = make(0);
  const hardRight = make(1);
  const from = 6000; // after the pan smoother has snapped onto its target (~21 time constants)
  const l = deinterleave(hardLeft, 0);
  const r = deinterleave(hardLeft, 1);
  assert.ok(r.subarray(from).every((x) => x === 0), "right silent");
  assert.ok(rms(l, from) > 0.5);
  assert.ok(deinterleave(hardRight, 0).subarray(from).every((x) => x === 0), "left silent");
  const cl = deinterleave(centre, 0);
  const cr = deinterleave(centre, 1);
  for (let i = from; i < cl.length; i++) assert.equal(cl[i], cr[i]);
  const ratioDb = 20 * Math.log10(rms(cl, from) / rms(l, from));
  assert.ok(Math.abs(ratioDb + 3.0103) < 0.001, `centre ${ratioDb} dB`);
  // Power is constant across the pan range.
  const quarter = make(0.5);
  const power = rms(deinterleave(quarter, 0), from) ** 2 + rms(deinterleave(quarter, 1), from) ** 2;
  assert.ok(Math.abs(power / rms(l, from) ** 2 - 1) < 1e-4);
});

Deno.test("Instrument sends reach their buses post gain and pan", () => {
  const inst = sineInstrument();
  inst.setParam(InstrumentParam.ReverbSend, 0.5);
  inst.setParam(InstrumentParam.Pan, -0.3);
  inst.noteOn(64);
  const dry = new Float32Array(2 * BLOCK);
  const reverb = new Float32Array(2 * BLOCK);
  const delay = new Float32Array(2 * BLOCK);
  const buses: Float32Array[] = [];
  buses[SendBus.Reverb] = reverb;
  buses[SendBus.Delay] = delay;
  for (let b = 0; b < 40; b++) {
    dry.fill(0);
    reverb.fill(0);
    delay.fill(0);
    inst.mixInto(dry, buses, 0, BLOCK);
  }
  assert.ok(rms(dry) > 0.3);
  for (let i = 0; i < dry.length; i++) {
    assert.equal(reverb[i], (dry[i] as number) * 0.5, `sample ${i}`);
    assert.equal(delay[i], 0);
  }
  inst.setParam(InstrumentParam.DelaySend, 1);
  for (let b = 0; b < 40; b++) {
    dry.fill(0);
    delay.fill(0);
    inst.mixInto(dry, buses, 0, BLOCK);
  }
  for (let i = 0; i < dry.length; i++) assert.equal(delay[i], dry[i]);
  // mixInto adds: a second call doubles the dry bus.
  const twice = new Float32Array(2 * BLOCK);
  const a = sineInstrument();
  const b = sineInstrument();
  a.noteOn(60);
  b.noteOn(60);
  a.mixInto(twice, [], 0, BLOCK);
  b.mixInto(twice, [], 0, BLOCK);
  const once = new Float32Array(2 * BLOCK);
  sineInstrument().render(once, 0, BLOCK); // silent: no note
  assert.ok(once.every((x) => x === 0));
  const c = sineInstrument();
  c.noteOn(60);
  c.render(once, 0, BLOCK);
  for (let i = 0; i < once.length; i++) assert.equal(twice[i], 2 * (once[i] as number));
});

Deno.test("Instrument filter envelope and key tracking move the cutoff", () => {
  /** Output level in dB of a saw through a 200 Hz low-pass. */
  const level = (amount: number, keyTrack: number, note: number) => {
    const inst = new Instrument("f", RATE);
    inst.setParam(InstrumentParam.FilterCutoff, 200);
    inst.setParam(InstrumentParam.FilterEnvAmount, amount);
    inst.setParam(InstrumentParam.FilterKeyTrack, keyTrack);
    inst.setParam(InstrumentParam.FilterSustain, 1);
    inst.setParam(InstrumentParam.Gain, 1);
    inst.noteOn(note);
    const out = renderFrames(inst, 8192);
    return 20 * Math.log10(rms(deinterleave(out, 0), 4096));
  };
  // C6 (1047 Hz) with +4 octaves of envelope at sustain 1: the cutoff is 3.2 kHz, not 200 Hz.
  const closed = level(0, 0, 84);
  const opened = level(4, 0, 84);
  assert.ok(opened > closed + 15, `env: ${opened} vs ${closed} dB`);
  assert.ok(level(-2, 0, 84) < closed - 10, "a negative amount closes further");
  // C6 is two octaves above middle C: full key tracking puts the cutoff at 800 Hz.
  const tracked = level(0, 1, 84);
  const untracked = level(0, 0, 84);
  assert.ok(tracked > untracked + 15, `key track: ${tracked} vs ${untracked} dB`);
});

Deno.test("Instrument rejects NaN and ±Infinity parameters and notes without any state change", () => {
  const inst = sineInstrument();
  inst.noteOn(60);
  renderFrames(inst, 1000);
  const before = snapshot(inst);
  for (let id = 0; id < INSTRUMENT_PARAM_COUNT; id++) {
    for (const bad of [NaN, Infinity, -Infinity]) {
      assert.equal(inst.setParam(id, bad), false, `param ${id} = ${bad}`);
    }
  }
  for (const id of [-1, INSTRUMENT_PARAM_COUNT, 1.5]) assert.equal(inst.setParam(id, 1), false);
  assert.equal(inst.noteOn(NaN), -1);
  assert.equal(inst.noteOn(60, NaN), -1);
  assert.equal(inst.noteOff(NaN), -1);
  assert.equal(inst.setGlide(NaN), false);
  assert.equal(inst.setPolyphony(Infinity), false);
  assert.deepEqual(snapshot(inst), before, "nothing changed");
  assert.ok(Number.isNaN(inst.getParam(99)));
  // Finite out-of-range values are clamped, not rejected.
  assert.equal(inst.setMode(7 as 0), true);
  assert.equal(inst.mode, VoiceMode.Legato);
  assert.equal(inst.setParam(InstrumentParam.FilterCutoff, -1e30), true);
  assert.equal(inst.getParam(InstrumentParam.FilterCutoff), 20);
});

Deno.test("Instrument fuzz: random parameters and notes give finite, bounded output", () => {
  const rand = seededRandom(2024);
  const specials = [NaN, Infinity, -Infinity, 1e30, -1e30, -1, -1000, 0, 1e-30, 0.5, 127, 1e6];
  const value = () =>
    rand() < 0.5
      ? specials[Math.floor(rand() * specials.length)] as number
      : (rand() - 0.5) * 40000;
  const inst = new Instrument("fuzz", RATE, { voices: 16 });
  const out = new Float32Array(2 * BLOCK);
  let max = 0;
  let sounding = 0;
  for (let step = 0; step < 400; step++) {
    const r = rand();
    if (r < 0.5) inst.setParam(Math.floor(rand() * (INSTRUMENT_PARAM_COUNT + 2)) - 1, value());
    else if (r < 0.8) inst.noteOn(rand() < 0.8 ? 30 + Math.floor(rand() * 60) : value(), value());
    else if (r < 0.95) inst.noteOff(rand() < 0.8 ? 30 + Math.floor(rand() * 60) : value());
    else inst.allNotesOff();
    const k = Math.floor(rand() * (BLOCK + 1));
    inst.render(out, 0, k);
    inst.render(out, k, BLOCK);
    for (let i = 0; i < out.length; i++) {
      const x = out[i] as number;
      if (!Number.isFinite(x)) assert.fail(`step ${step}: sample ${i} is ${x}`);
      max = Math.max(max, Math.abs(x));
    }
    sounding += inst.activeVoices;
    const s = snapshot(inst);
    for (let i = 0; i < s.length; i++) {
      if (!Number.isFinite(s[i] as number)) assert.fail(`step ${step}: state ${i} is ${s[i]}`);
    }
  }
  assert.ok(sounding > 400, "voices were sounding");
  // 16 voices, gain at most 2: a generous bound that still catches blow-ups.
  assert.ok(max < 16 * 2 * 25, `peak ${max}`);
});

Deno.test("Instrument snapshot continues bit-identically (poly chord, mono glide, gliding params)", () => {
  const build = () => {
    const inst = new Instrument("snap", RATE, { voices: 6 });
    inst.setParam(InstrumentParam.Waveform, Waveform.Pulse);
    inst.setParam(InstrumentParam.FilterEnvAmount, 3);
    inst.setParam(InstrumentParam.FilterKeyTrack, 0.5);
    inst.setParam(InstrumentParam.FilterResonance, 0.4);
    inst.setParam(InstrumentParam.FilterCutoff, 500);
    inst.setParam(InstrumentParam.Glide, 80);
    inst.setParam(InstrumentParam.SubLevel, 0.3);
    inst.setParam(InstrumentParam.ReverbSend, 0.3);
    return inst;
  };
  const a = build();
  for (const note of [48, 55, 60, 64, 67, 70, 72]) a.noteOn(note, 0.8);
  renderFrames(a, 3000);
  a.noteOff(55);
  a.noteOn(50); // steals the released voice
  a.setParam(InstrumentParam.Pan, 0.7);
  a.setParam(InstrumentParam.FilterCutoff, 2000);
  a.setParam(InstrumentParam.PulseWidth, 0.2);
  renderFrames(a, 50); // mid-glide of everything
  const state = new Float64Array(a.stateSize + 5);
  assert.equal(a.saveState(state, 5), 5 + a.stateSize);
  const b = build();
  b.setParam(InstrumentParam.Waveform, Waveform.Saw); // overwritten by the load
  assert.equal(b.loadState(state, 5), 5 + b.stateSize);
  const events = (inst: Instrument) => {
    const out = new Float32Array(2 * 9000);
    inst.render(out, 0, 1000);
    inst.setMode(VoiceMode.Legato);
    inst.noteOn(40);
    inst.render(out, 1000, 3000);
    inst.noteOn(52); // glides
    inst.render(out, 3000, 5000);
    inst.noteOff(52);
    inst.setParam(InstrumentParam.FmIndex, 2);
    inst.render(out, 5000, 9000);
    return out;
  };
  assertBitIdentical(events(b), events(a), "continuation");
  assert.deepEqual(snapshot(b), snapshot(a));
  // Wrong snapshots are refused.
  assert.throws(() => new Instrument("x", RATE, { voices: 5 }).loadState(state, 5), RangeError);
  assert.throws(() => new Instrument("x", 44100, { voices: 6 }).loadState(state, 5), RangeError);
  assert.throws(() => b.loadState(state, 0), RangeError);
  assert.throws(() => b.saveState(new Float64Array(10)), RangeError);
});

/** The allocation scenario: the loop whose own allocations are counted. */
function instrumentScenario(
  poly: Instrument,
  mono: Instrument,
  out: Float32Array,
  buses: readonly Float32Array[],
  blocks: number,
): void {
  for (let b = 0; b < blocks; b++) {
    // Integer values: a double argument would be boxed by this scaffolding's call.
    // Not the cutoff or the pulse width: SvfFilter (while its cutoff glides under
    // modulation) and Oscillator (pulse-width setter) box a double of their own.
    poly.setParam(InstrumentParam.Pan, (b & 1) * 2 - 1);
    poly.setParam(InstrumentParam.Gain, b & 1);
    poly.setParam(InstrumentParam.FilterEnvAmount, 1 + (b & 3));
    poly.setParam(InstrumentParam.ReverbSend, b & 1);
    out.fill(0);
    poly.mixInto(out, buses, 0, 50);
    poly.mixInto(out, buses, 50, BLOCK);
    mono.render(out, 0, BLOCK);
  }
}

/** Note events: the control side, between blocks. */
function noteScenario(poly: Instrument, out: Float32Array, events: number): void {
  for (let k = 0; k < events; k++) {
    poly.noteOff(48 + (k & 7) * 2);
    poly.noteOn(48 + (k & 7) * 2, 1);
    poly.render(out, 0, 16);
  }
}

Deno.test("Instrument allocates nothing per block with 8 voices sounding (V8 heap sampling)", async () => {
  const poly = new Instrument("poly", RATE, { voices: 8 });
  poly.setParam(InstrumentParam.Waveform, Waveform.Pulse);
  poly.setParam(InstrumentParam.FilterCutoff, 800);
  poly.setParam(InstrumentParam.FilterEnvAmount, 2);
  poly.setParam(InstrumentParam.FilterKeyTrack, 0.5);
  poly.setParam(InstrumentParam.ReverbSend, 0.5);
  poly.setParam(InstrumentParam.DelaySend, 0.2);
  for (let k = 0; k < 8; k++) poly.noteOn(48 + 2 * k, 1);
  const mono = new Instrument("mono", RATE, { voices: 1 });
  mono.setMode(VoiceMode.Legato);
  mono.setGlide(10000); // gliding throughout
  mono.noteOn(40);
  mono.noteOn(90);
  const out = new Float32Array(2 * BLOCK);
  const buses = [new Float32Array(2 * BLOCK), new Float32Array(2 * BLOCK)];
  instrumentScenario(poly, mono, out, buses, 2000); // let V8 optimise first
  assert.equal(poly.activeVoices, 8);
  const bytes = await sampledAllocation(
    () => instrumentScenario(poly, mono, out, buses, 1500),
    "instrumentScenario",
  );
  assert.ok(mono.voicePitch(0) > 40 && mono.voicePitch(0) < 90, "still gliding"); // 9.3 s of 10
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~24 KB.
  assert.ok(bytes < 6 * 1024, `${bytes} bytes sampled while rendering 1500 blocks`);
  // Note events (control side) may box a double or two, no more (about 13 bytes measured).
  noteScenario(poly, out, 2000);
  const eventBytes = await sampledAllocation(() => noteScenario(poly, out, 2000), "noteScenario");
  assert.ok(eventBytes < 4000 * 64, `${eventBytes} bytes sampled for 4000 note events`);
});
