import assert from "node:assert/strict";
import { AdsrStage } from "../dsp/adsr.ts";
import { Chorus, CHORUS_MAX_RATE, CHORUS_MIN_RATE, chorusStateSize } from "../dsp/chorus.ts";
import {
  Compressor,
  COMPRESSOR_ATTACK_RANGE_MS,
  COMPRESSOR_MAX_KNEE_DB,
  COMPRESSOR_MAX_MAKEUP_DB,
  COMPRESSOR_MAX_RATIO,
  COMPRESSOR_MIN_THRESHOLD_DB,
  COMPRESSOR_RELEASE_RANGE_MS,
  COMPRESSOR_STATE_SIZE,
} from "../dsp/compressor.ts";
import {
  clampInstrumentParam,
  insertTailFrames,
  Instrument,
  INSTRUMENT_PARAM_COUNT,
  INSTRUMENT_PARAM_SPECS,
  INSTRUMENT_STATE_TAG,
  InstrumentParam,
  instrumentParamId,
  instrumentStateSize,
  noteToHz,
} from "../dsp/instrument.ts";
import {
  Saturator,
  SATURATOR_LATENCY_FRAMES,
  SATURATOR_MAX_DRIVE_DB,
  SATURATOR_STATE_SIZE,
} from "../dsp/saturation.ts";
import { SendBus } from "../dsp/mixer.ts";
import { Waveform } from "../dsp/oscillator.ts";
import { VoiceMode } from "../dsp/voice_allocator.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";
import {
  deinterleave,
  levelDb,
  magnitudeSpectrum,
  maxAbs,
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
  assert.equal(inst.stateSize, instrumentStateSize(16, RATE));
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
  // Every insert engaged and mid-glide: their state must not move either.
  inst.setParam(InstrumentParam.DriveMix, 0.5);
  inst.setParam(InstrumentParam.ChorusMix, 0.5);
  inst.setParam(InstrumentParam.CompMix, 0.5);
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
    { sessions: 3, below: 6 * 1024 }, // one session may catch V8 re-optimising
  );
  assert.ok(mono.voicePitch(0) > 40 && mono.voicePitch(0) < 90, "still gliding"); // 9.3 s of 10
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~24 KB.
  assert.ok(bytes < 6 * 1024, `${bytes} bytes sampled while rendering 1500 blocks`);
  // Note events (control side) may box a double or two, no more (about 13 bytes measured).
  noteScenario(poly, out, 2000);
  const eventBytes = await sampledAllocation(() => noteScenario(poly, out, 2000), "noteScenario");
  assert.ok(eventBytes < 4000 * 64, `${eventBytes} bytes sampled for 4000 note events`);
});

// ---------------------------------------------------------------------------
// Inserts: saturator → chorus → compressor after the voices, before gain and pan.

/** FNV-1a over the bits of `block`, continuing from `h`. */
function fnv(h: number, block: Float32Array): number {
  const u = new Uint32Array(block.buffer, block.byteOffset, block.length);
  for (let i = 0; i < u.length; i++) {
    h ^= u[i] as number;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

/**
 * Hash of a fixed scenario (6 voices, saw chord through the filter envelope,
 * pan and gain changes, both sends, split chunks) rendered through
 * `mixInto`. 0x4c5b5a95 is what the instrument gave before the inserts
 * existed (recorded from the previous commit's code).
 */
function scenarioHash(setup: (inst: Instrument) => void): number {
  const P = InstrumentParam;
  const inst = new Instrument("gold", RATE, { voices: 6 });
  inst.setParam(P.Waveform, 1);
  inst.setParam(P.FilterCutoff, 900);
  inst.setParam(P.FilterEnvAmount, 2);
  inst.setParam(P.FilterResonance, 0.3);
  inst.setParam(P.ReverbSend, 0.4);
  inst.setParam(P.DelaySend, 0.3);
  setup(inst);
  const out = new Float32Array(2 * BLOCK);
  const rev = new Float32Array(2 * BLOCK);
  const del = new Float32Array(2 * BLOCK);
  let h = 2166136261;
  for (let b = 0; b < 150; b++) {
    if (b === 0) { for (const n of [48, 55, 60, 64]) inst.noteOn(n, 0.8); }
    if (b === 40) {
      inst.setParam(P.Pan, -0.6);
      inst.setParam(P.Gain, 0.9);
      inst.noteOff(55);
    }
    if (b === 80) {
      for (const n of [48, 60, 64]) inst.noteOff(n);
      inst.noteOn(67, 1);
    }
    if (b === 110) inst.noteOff(67);
    out.fill(0);
    rev.fill(0);
    del.fill(0);
    inst.mixInto(out, [rev, del], 0, 37);
    inst.mixInto(out, [rev, del], 37, BLOCK);
    h = fnv(fnv(fnv(h, out), rev), del);
  }
  return h;
}

/** Count calls of the three insert effects' `process` while `fn` runs. */
function countInsertCalls(fn: () => void): { sat: number; chorus: number; comp: number } {
  const counts = { sat: 0, chorus: 0, comp: 0 };
  const sat = Saturator.prototype.process;
  const chorus = Chorus.prototype.process;
  const comp = Compressor.prototype.process;
  Saturator.prototype.process = function (this: Saturator, ...args) {
    counts.sat++;
    sat.apply(this, args);
  };
  Chorus.prototype.process = function (this: Chorus, ...args) {
    counts.chorus++;
    chorus.apply(this, args);
  };
  Compressor.prototype.process = function (this: Compressor, ...args) {
    counts.comp++;
    comp.apply(this, args);
  };
  try {
    fn();
  } finally {
    Saturator.prototype.process = sat;
    Chorus.prototype.process = chorus;
    Compressor.prototype.process = comp;
  }
  return counts;
}

const I = InstrumentParam;

/** Every insert at mix 0 but every other insert parameter far from its default. */
function tweakBypassedInserts(inst: Instrument): void {
  inst.setParam(I.Drive, 40);
  inst.setParam(I.ChorusRate, 7);
  inst.setParam(I.ChorusDepth, 1);
  inst.setParam(I.CompThreshold, -60);
  inst.setParam(I.CompRatio, 20);
  inst.setParam(I.CompKnee, 0);
  inst.setParam(I.CompAttack, 0.1);
  inst.setParam(I.CompRelease, 3000);
  inst.setParam(I.CompMakeup, 12);
  // Switched on and off again before anything rendered: still bypassed.
  inst.setParam(I.DriveMix, 0.5);
  inst.setParam(I.ChorusMix, 0.5);
  inst.setParam(I.CompMix, 0.5);
  inst.setParam(I.DriveMix, 0);
  inst.setParam(I.ChorusMix, 0);
  inst.setParam(I.CompMix, 0);
}

Deno.test("Instrument insert parameters: ids appended after the sends, ranges from the effects' constants", () => {
  const spec = (id: number) =>
    INSTRUMENT_PARAM_SPECS[id] as (typeof INSTRUMENT_PARAM_SPECS)[number];
  assert.equal(I.Drive, 27);
  assert.equal(I.CompMix, 38);
  assert.equal(INSTRUMENT_PARAM_COUNT, 39);
  const want: Array<[number, string, number, number, number, string]> = [
    [I.Drive, "drive", 0, SATURATOR_MAX_DRIVE_DB, 12, "dB"],
    [I.DriveMix, "drive/mix", 0, 1, 0, ""],
    [I.ChorusMix, "chorus/mix", 0, 1, 0, ""],
    [I.ChorusRate, "chorus/rate", CHORUS_MIN_RATE, CHORUS_MAX_RATE, 0.8, "Hz"],
    [I.ChorusDepth, "chorus/depth", 0, 1, 0.5, ""],
    [I.CompThreshold, "comp/threshold", COMPRESSOR_MIN_THRESHOLD_DB, 0, -18, "dB"],
    [I.CompRatio, "comp/ratio", 1, COMPRESSOR_MAX_RATIO, 4, ""],
    [I.CompKnee, "comp/knee", 0, COMPRESSOR_MAX_KNEE_DB, 6, "dB"],
    [I.CompAttack, "comp/attack", ...COMPRESSOR_ATTACK_RANGE_MS, 10, "ms"],
    [I.CompRelease, "comp/release", ...COMPRESSOR_RELEASE_RANGE_MS, 150, "ms"],
    [I.CompMakeup, "comp/makeup", -COMPRESSOR_MAX_MAKEUP_DB, COMPRESSOR_MAX_MAKEUP_DB, 0, "dB"],
    [I.CompMix, "comp/mix", 0, 1, 0, ""],
  ];
  for (const [id, name, min, max, initial, unit] of want) {
    const s = spec(id);
    assert.deepEqual([s.name, s.min, s.max, s.initial, s.unit], [name, min, max, initial, unit]);
  }
  assert.equal(INSTRUMENT_STATE_TAG, 0x43494e03, "CIN version 3 (voices in the VoiceBank)");
  const inst = new Instrument("fx", RATE);
  assert.equal(inst.setParam(I.Drive, 99), true);
  assert.equal(inst.getParam(I.Drive), 48);
  assert.equal(inst.setParam(I.ChorusRate, 0), true);
  assert.equal(inst.getParam(I.ChorusRate), 0.01);
  assert.equal(inst.setParam(I.CompRatio, 0.5), true);
  assert.equal(inst.getParam(I.CompRatio), 1);
  assert.equal(insertTailFrames(RATE), 720 + 4 + 126);
});

Deno.test("Instrument inserts at mix 0 render the previous behaviour bit-for-bit and are never processed", () => {
  let golden = 0;
  const calls = countInsertCalls(() => {
    golden = scenarioHash(() => {});
    assert.equal(scenarioHash(tweakBypassedInserts), golden, "insert parameters moved, mixes 0");
  });
  const GOLDEN = golden;
  assert.deepEqual(calls, { sat: 0, chorus: 0, comp: 0 }, "bypassed: not processed at all");
  // Engaged, they are processed and change the sound.
  let hash = 0;
  const engaged = countInsertCalls(() => {
    hash = scenarioHash((inst) => {
      inst.setParam(I.DriveMix, 1);
      inst.setParam(I.ChorusMix, 0.5);
      inst.setParam(I.CompMix, 1);
    });
  });
  assert.notEqual(hash, GOLDEN);
  assert.ok(engaged.sat > 0 && engaged.chorus > 0 && engaged.comp > 0, JSON.stringify(engaged));
});

/** Level in dB of the 3rd harmonic of a 440 Hz note relative to the fundamental, left channel. */
function thirdHarmonicDb(setup: (inst: Instrument) => void, velocity = 0.3): number {
  const inst = sineInstrument({ voices: 1 });
  setup(inst);
  inst.noteOn(69, velocity);
  const out = renderFrames(inst, 12288);
  const spectrum = magnitudeSpectrum(deinterleave(out, 0), {
    start: 4096,
    size: 8192,
    sampleRate: RATE,
  });
  return levelDb(spectrum, 1320) - levelDb(spectrum, 440);
}

Deno.test("Instrument drive adds harmonics to a sine voice: the 3rd rises by more than 20 dB", () => {
  const bypassed = thirdHarmonicDb(() => {});
  const soft = thirdHarmonicDb((inst) => {
    inst.setParam(I.DriveMix, 1);
    inst.setParam(I.Drive, 0);
  });
  const hard = thirdHarmonicDb((inst) => {
    inst.setParam(I.DriveMix, 1);
    inst.setParam(I.Drive, 24);
  });
  assert.ok(bypassed < -90, `bypassed: 3rd harmonic at ${bypassed} dB`);
  assert.ok(hard > soft + 20, `drive 24 dB: ${hard} dB vs drive 0 dB: ${soft} dB`);
  assert.ok(hard > -20, `drive 24 dB: ${hard} dB`);
});

Deno.test("Instrument drive/mix blends with a dry path delayed by the saturator's latency: no comb filter", () => {
  // A quiet 5 kHz sine: the curve is nearly linear there, with a small-signal gain of
  // 1/tanh(1) at drive 0 dB; half wet gives (1 + 1/tanh(1))/2 of the level. A dry path
  // not delayed by the saturator's 31 frames would be 0.2 cycle off and cancel partly.
  const level = (mix: number) => {
    const inst = sineInstrument({ voices: 1 });
    inst.setParam(I.Drive, 0);
    inst.setParam(I.DriveMix, mix);
    inst.noteOn(111, 0.02); // 4978 Hz
    const out = renderFrames(inst, 9600);
    return toneAmplitude(deinterleave(out, 0), noteToHz(111), {
      start: 4800,
      length: 4800,
      sampleRate: RATE,
    });
  };
  const dry = level(0);
  const half = level(0.5) / dry;
  const wet = level(1) / dry;
  const gain = 1 / Math.tanh(1);
  assert.ok(Math.abs(wet - gain) < 0.002 * gain, `wet: ${wet} vs ${gain}`);
  assert.ok(Math.abs(half - (1 + gain) / 2) < 0.002, `half: ${half} vs ${(1 + gain) / 2}`);
});

Deno.test("Instrument chorus widens a centred instrument; switched off it returns to the dry chain bit-exactly", () => {
  const build = () => {
    const inst = new Instrument("wide", RATE, { voices: 4 });
    inst.setParam(I.AmpSustain, 1);
    inst.setParam(I.DriveMix, 1); // the chain without chorus still has the saturator
    inst.setParam(I.Drive, 6);
    inst.setParam(I.ChorusDepth, 0.8);
    inst.setParam(I.ChorusRate, 1.5);
    inst.noteOn(48, 0.7);
    inst.noteOn(55, 0.7);
    return inst;
  };
  const a = build();
  const ref = build();
  const before = renderFrames(a, 2400);
  assertBitIdentical(before, renderFrames(ref, 2400), "chorus mix 0");
  for (let i = 0; i < before.length; i += 2) {
    assert.equal(before[i], before[i + 1], "centred: L = R");
  }
  a.setParam(I.ChorusMix, 0.5);
  const on = renderFrames(a, 9600);
  const refOn = renderFrames(ref, 9600);
  let width = 0;
  let change = 0;
  for (let i = 4800; i < 9600; i++) {
    width = Math.max(width, Math.abs((on[2 * i] as number) - (on[2 * i + 1] as number)));
    change = Math.max(change, Math.abs((on[2 * i] as number) - (refOn[2 * i] as number)));
  }
  assert.ok(width > 0.02, `L and R differ by at most ${width}`);
  assert.ok(change > 0.02, `the chorus changes the left by at most ${change}`);
  // Off: the mix glides down (snapping onto 0 within about 21 time constants), then the
  // chorus is bypassed and the output is the dry chain's again, sample for sample.
  a.setParam(I.ChorusMix, 0);
  renderFrames(a, 6400);
  renderFrames(ref, 6400);
  assertBitIdentical(renderFrames(a, 4800), renderFrames(ref, 4800), "after switching off");
});

Deno.test("Instrument compressor lowers a loud chord's peaks by (level − threshold)·(1 − 1/ratio)", () => {
  const render = (setup: (inst: Instrument) => void) => {
    const inst = sineInstrument({ voices: 4 });
    setup(inst);
    for (const n of [57, 61, 64, 69]) inst.noteOn(n, 1);
    return deinterleave(renderFrames(inst, 24000), 0);
  };
  const plain = render(() => {});
  // The compressor sees the summed voices, before the gain (1) and the centre pan (−3 dB).
  const peakDb = 20 * Math.log10(maxAbs(plain, 12000) / Math.SQRT1_2);
  for (const [over, ratio] of [[20, 4], [12, 2], [24, 10]] as const) {
    const out = render((inst) => {
      inst.setParam(I.CompThreshold, Math.round(peakDb) - over);
      inst.setParam(I.CompRatio, ratio);
      inst.setParam(I.CompKnee, 0);
      inst.setParam(I.CompAttack, 0.1);
      inst.setParam(I.CompRelease, 2000);
      inst.setParam(I.CompMix, 1);
    });
    const expected = (peakDb - (Math.round(peakDb) - over)) * (1 - 1 / ratio);
    const got = 20 * Math.log10(maxAbs(plain, 12000) / maxAbs(out, 12000));
    assert.ok(
      Math.abs(got - expected) < 1.5,
      `${over} dB over at ${ratio}:1: ${got} vs ${expected} dB`,
    );
  }
  // Makeup raises the compressed peaks; mix 0.5 is parallel compression, in between.
  const squashed = render((inst) => {
    inst.setParam(I.CompThreshold, Math.round(peakDb) - 20);
    inst.setParam(I.CompMix, 1);
  });
  const made = render((inst) => {
    inst.setParam(I.CompThreshold, Math.round(peakDb) - 20);
    inst.setParam(I.CompMakeup, 6);
    inst.setParam(I.CompMix, 1);
  });
  const parallel = render((inst) => {
    inst.setParam(I.CompThreshold, Math.round(peakDb) - 20);
    inst.setParam(I.CompMix, 0.5);
  });
  const db = (x: Float64Array) => 20 * Math.log10(maxAbs(x, 12000));
  assert.ok(Math.abs(db(made) - db(squashed) - 6) < 0.1, `makeup: ${db(made) - db(squashed)} dB`);
  assert.ok(db(parallel) > db(squashed) + 1 && db(parallel) < db(plain) - 1, "parallel");
});

Deno.test("Instrument inserts switch on and off without clicks", () => {
  // A 220 Hz sine moves at most 2π·220/48000 of its amplitude per frame; a hard switch
  // between the undelayed bypass and the saturator's 31-frame-late path would jump by
  // about 0.86 of it.
  const inst = sineInstrument({ voices: 1 });
  inst.setParam(I.Drive, 3);
  inst.noteOn(57, 0.5);
  const out = new Float32Array(2 * 48000);
  const steps: Array<[number, number, number]> = [
    [2000, I.DriveMix, 1],
    [6000, I.ChorusMix, 0.6],
    [10000, I.CompMix, 1],
    [10000, I.CompThreshold, -30],
    [16000, I.DriveMix, 0],
    [20000, I.ChorusMix, 0],
    [24000, I.DriveMix, 0.4],
    [28000, I.CompMix, 0],
    [32000, I.DriveMix, 0],
  ];
  let at = 0;
  for (const [frame, id, value] of steps) {
    for (let b = at; b < frame; b += BLOCK) inst.render(out, b, Math.min(b + BLOCK, frame));
    inst.setParam(id, value);
    at = frame;
  }
  for (let b = at; b < 48000; b += BLOCK) inst.render(out, b, Math.min(b + BLOCK, 48000));
  const left = deinterleave(out, 0);
  const amplitude = maxAbs(left, 1000, 2000);
  let jump = 0;
  for (let i = 1000; i < 48000; i++) {
    jump = Math.max(jump, Math.abs((left[i] as number) - (left[i - 1] as number)));
  }
  // Mild drive and the chorus's sweep may steepen the wave a little; a click would not fit.
  const smooth = amplitude * ((2 * Math.PI * noteToHz(57)) / RATE);
  assert.ok(jump < 2.5 * smooth, `largest step ${jump}, a smooth sine's ${smooth}`);
});

Deno.test("Instrument chorus tail rings out after the last voice, then the instrument rests", () => {
  const inst = sineInstrument({ voices: 2 });
  inst.setParam(I.AmpRelease, 1);
  inst.setParam(I.ChorusMix, 1); // wet only
  inst.setParam(I.ChorusDepth, 0); // a plain 10 ms delay
  assert.equal(inst.isResting, true);
  inst.noteOn(60);
  assert.equal(inst.isResting, false);
  renderFrames(inst, 4800);
  inst.noteOff(60);
  let out = renderFrames(inst, BLOCK);
  let frames = 0;
  while (inst.activeVoices > 0) {
    out = renderFrames(inst, BLOCK);
    frames += BLOCK;
    assert.ok(frames < 4800, "the voice ends");
  }
  // The voice is over; the chorus still sounds its last 10 ms.
  assert.equal(inst.isResting, false);
  const tail = renderFrames(inst, 480);
  assert.ok(maxAbs(tail) > 0.05, `tail ${maxAbs(tail)}`);
  // After insertTailFrames of no voice the chain holds only zeros and the instrument rests.
  const rest = renderFrames(inst, insertTailFrames(RATE) + BLOCK);
  assert.equal(inst.isResting, true);
  assert.equal(maxAbs(rest, 2 * 600), 0, "exact silence after the tail");
  // Resting: rendering changes nothing but the instrument-level smoothers (settled here).
  const frozen = snapshot(inst);
  renderFrames(inst, 4800);
  assert.deepEqual(snapshot(inst), frozen);
  // Without inserts, an instrument rests as soon as its last voice ends.
  const plain = sineInstrument({ voices: 2 });
  plain.setParam(I.AmpRelease, 1);
  plain.noteOn(60);
  renderFrames(plain, 4800);
  plain.noteOff(60);
  while (plain.activeVoices > 0) renderFrames(plain, BLOCK);
  assert.equal(plain.isResting, true);
  assert.ok(out.length > 0);
});

Deno.test("Instrument snapshot mid-chorus and mid-compression continues bit-identically", () => {
  const build = () => {
    const inst = new Instrument("fx", RATE, { voices: 4 });
    inst.setParam(I.Waveform, Waveform.Saw);
    inst.setParam(I.AmpRelease, 30);
    inst.setParam(I.Drive, 18);
    inst.setParam(I.DriveMix, 0.6);
    inst.setParam(I.ChorusMix, 0.5);
    inst.setParam(I.ChorusRate, 3);
    inst.setParam(I.CompThreshold, -30);
    inst.setParam(I.CompRatio, 8);
    inst.setParam(I.CompRelease, 400);
    inst.setParam(I.CompMix, 0.8);
    return inst;
  };
  const a = build();
  for (const n of [45, 52, 57, 61]) a.noteOn(n, 0.9);
  renderFrames(a, 5000);
  a.setParam(I.DriveMix, 0); // crossfading out when saved
  a.setParam(I.ChorusDepth, 1); // gliding
  a.setParam(I.CompMix, 0.3);
  a.noteOff(52);
  renderFrames(a, 70);
  const state = new Float64Array(a.stateSize + 3);
  assert.equal(a.saveState(state, 3), 3 + a.stateSize);
  const b = new Instrument("other", RATE, { voices: 4 }); // defaults, inserts off
  b.noteOn(80);
  renderFrames(b, 300);
  assert.equal(b.loadState(state, 3), 3 + b.stateSize);
  for (let id = 0; id < INSTRUMENT_PARAM_COUNT; id++) assert.equal(b.getParam(id), a.getParam(id));
  const events = (inst: Instrument) => {
    const out = new Float32Array(2 * 24000);
    inst.render(out, 0, 3000);
    inst.setParam(I.DriveMix, 1); // back on, mid-fade
    for (const n of [45, 57, 61]) inst.noteOff(n);
    inst.render(out, 3000, 12000); // the voices end, the tail rings out, it rests
    inst.noteOn(64, 0.5); // from rest: the inserts start cleared
    inst.render(out, 12000, 24000);
    return out;
  };
  const outA = events(a);
  const outB = events(b);
  assertBitIdentical(outB, outA, "continuation");
  assert.ok(maxAbs(outA, 2 * 12000) > 0.01, "it played");
  assert.deepEqual(snapshot(b), snapshot(a));
  // The tag is checked: a version-1 snapshot is refused.
  state[3] = 0x43494e01;
  assert.throws(() => b.loadState(state, 3), RangeError);
});

Deno.test("Instrument.loadState repairs corrupt insert state: finite output", () => {
  const a = new Instrument("fx", RATE, { voices: 2 });
  a.setParam(I.DriveMix, 1);
  a.setParam(I.ChorusMix, 1);
  a.setParam(I.CompMix, 1);
  a.noteOn(60);
  renderFrames(a, 3000);
  const state = snapshot(a);
  // The insert section ends the snapshot: tail, dry-delay position, two pre-rolls, three
  // smoothers, the dry delay; then the saturator, the chorus and the compressor.
  const own = 4 + 3 * 2 + SATURATOR_LATENCY_FRAMES;
  const effects = SATURATOR_STATE_SIZE + chorusStateSize(RATE) + COMPRESSOR_STATE_SIZE;
  const inserts = a.stateSize - own - effects;
  assert.equal(a.stateSize, instrumentStateSize(2, RATE));
  const slots: number[] = [];
  for (let i = inserts; i < inserts + own + 12; i++) slots.push(i);
  const chorusAt = inserts + own + SATURATOR_STATE_SIZE;
  for (let i = chorusAt; i < chorusAt + 12; i++) slots.push(i);
  for (let i = a.stateSize - COMPRESSOR_STATE_SIZE; i < a.stateSize; i++) slots.push(i);
  for (const poison of [NaN, Infinity, -1e300, 1e300, -1, 0.5, 1e9]) {
    for (const i of slots) {
      const bad = state.slice();
      bad[i] = poison;
      const b = new Instrument("fx", RATE, { voices: 2 });
      b.loadState(bad);
      const out = renderFrames(b, 2000);
      for (let k = 0; k < out.length; k++) {
        if (!Number.isFinite(out[k] as number)) assert.fail(`slot ${i} = ${poison}: ${out[k]}`);
      }
      assert.ok(snapshot(b).every(Number.isFinite), `slot ${i} = ${poison}: state`);
    }
  }
});

/** The allocation scenario with every insert engaged: the loop whose own allocations are counted. */
function insertScenario(
  poly: Instrument,
  wet: Instrument,
  out: Float32Array,
  buses: readonly Float32Array[],
  blocks: number,
): void {
  for (let b = 0; b < blocks; b++) {
    // Integer values only (see instrumentScenario). DriveMix flips between 1 and 2
    // (clamped to 1): the drive's mix and crossfade glide throughout.
    poly.setParam(InstrumentParam.CompThreshold, -20 - (b & 7));
    poly.setParam(InstrumentParam.ChorusDepth, b & 1);
    poly.setParam(InstrumentParam.DriveMix, 1 - (b & 1));
    poly.setParam(InstrumentParam.Pan, (b & 1) * 2 - 1);
    out.fill(0);
    poly.mixInto(out, buses, 0, 50);
    poly.mixInto(out, buses, 50, BLOCK);
    wet.render(out, 0, BLOCK);
  }
}

Deno.test("Instrument allocates nothing per block with every insert engaged (V8 heap sampling)", async () => {
  const poly = new Instrument("poly", RATE, { voices: 8 });
  poly.setParam(InstrumentParam.Waveform, Waveform.Saw);
  poly.setParam(InstrumentParam.ChorusMix, 0.5);
  poly.setParam(InstrumentParam.CompMix, 0.7); // blended with its input
  poly.setParam(InstrumentParam.ReverbSend, 0.5);
  for (let k = 0; k < 8; k++) poly.noteOn(48 + 2 * k, 1);
  const wet = new Instrument("wet", RATE, { voices: 2 });
  wet.setParam(InstrumentParam.DriveMix, 1); // settled: no crossfade
  wet.setParam(InstrumentParam.ChorusMix, 1);
  wet.setParam(InstrumentParam.CompMix, 1); // compressed only
  wet.noteOn(40);
  wet.noteOn(52);
  const out = new Float32Array(2 * BLOCK);
  const buses = [new Float32Array(2 * BLOCK), new Float32Array(2 * BLOCK)];
  insertScenario(poly, wet, out, buses, 2000); // let V8 optimise first
  const bytes = await sampledAllocation(
    () => insertScenario(poly, wet, out, buses, 1500),
    "insertScenario",
    { sessions: 3, below: 6 * 1024 }, // one session may catch V8 re-optimising
  );
  assert.equal(poly.activeVoices, 8);
  assert.equal(wet.activeVoices, 2);
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~24 KB.
  assert.ok(bytes < 6 * 1024, `${bytes} bytes sampled while rendering 1500 blocks`);
});

Deno.test("Instrument: a note starting on a resting instrument finds its inserts cleared, as new", () => {
  const build = () => {
    const inst = sineInstrument({ voices: 2 });
    inst.setParam(I.Waveform, Waveform.Saw);
    inst.setParam(I.DriveMix, 0.8);
    inst.setParam(I.ChorusMix, 0.5);
    inst.setParam(I.CompMix, 1);
    inst.setParam(I.CompThreshold, -40);
    inst.setParam(I.CompRelease, 5000); // far from recovered when the phrase ends
    return inst;
  };
  // The insert section ends the snapshot (see the corrupt-state test).
  const size = 4 + 3 * 2 + SATURATOR_LATENCY_FRAMES + SATURATOR_STATE_SIZE +
    chorusStateSize(RATE) + COMPRESSOR_STATE_SIZE;
  const inserts = (inst: Instrument) => snapshot(inst).subarray(-size);
  const a = build();
  a.noteOn(50);
  renderFrames(a, 9600);
  a.noteOff(50);
  while (!a.isResting) renderFrames(a, BLOCK);
  renderFrames(a, 2400);
  const b = build();
  renderFrames(b, 2400);
  assert.notDeepEqual(inserts(a), inserts(b), "resting: gain reduction, LFO phase, positions");
  a.noteOn(62, 0.9);
  b.noteOn(62, 0.9);
  assert.deepEqual(inserts(a), inserts(b), "the note starts on cleared inserts");
  // While the tail still runs, a new note continues the chain as it is.
  renderFrames(a, 2400);
  a.noteOff(62);
  while (a.activeVoices > 0) renderFrames(a, BLOCK);
  assert.equal(a.isResting, false, "the tail runs");
  const before = inserts(a).slice();
  a.noteOn(64);
  assert.deepEqual(inserts(a), before, "not resting: nothing cleared");
});
