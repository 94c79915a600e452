import assert from "node:assert/strict";
import { Instrument, InstrumentParam } from "../dsp/instrument.ts";
import {
  balanceGains,
  CHANNEL_STRIP_STATE_SIZE,
  ChannelStrip,
  Mixer,
  MIXER_PARAM_COUNT,
  MIXER_PARAM_SPECS,
  type MixerChannel,
  MixerParam,
  mixerParamId,
  mixerStateSize,
  panGains,
  SEND_BUS_COUNT,
  SendBus,
  STRIP_PARAM_COUNT,
  STRIP_PARAM_SPECS,
  StripParam,
  stripParamId,
} from "../dsp/mixer.ts";
import { Waveform } from "../dsp/oscillator.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";
import { deinterleave, rms } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;
const CEILING = Math.pow(10, -0.3 / 20);

/**
 * A stereo test source: a sine of `hz` at `amplitude` on both sides, or a
 * constant value (NaN, Infinity, …) after `set`. State in a typed array: object
 * fields holding doubles can box every sample (the mixer's allocation test counts
 * this source too).
 */
class SineSource {
  /** Phase in cycles, constant value, 1 while it is output, frequency, amplitude. */
  readonly #state = new Float64Array(5);
  constructor(hz: number, amplitude: number) {
    this.#state[3] = hz;
    this.#state[4] = amplitude;
  }
  render(out: Float32Array, start: number, end: number): void {
    const st = this.#state;
    let phase = st[0] as number;
    const value = st[1] as number;
    const fixed = st[2] === 1;
    const inc = (st[3] as number) / RATE;
    const amplitude = st[4] as number;
    for (let i = start; i < end; i++) {
      const y = fixed ? value : amplitude * Math.sin(2 * Math.PI * phase);
      phase += inc;
      if (phase >= 1) phase -= 1;
      out[2 * i] = y;
      out[2 * i + 1] = y;
    }
    st[0] = phase;
  }

  /** Output `value` from now on, or the sine again for null. */
  set(value: number | null): void {
    this.#state[1] = value ?? 0;
    this.#state[2] = value === null ? 0 : 1;
  }
}

/** A channel that adds a fixed value (NaN, Infinity, …) to the dry bus. */
class BadChannel implements MixerChannel {
  constructor(readonly name: string, public value: number) {}
  mixInto(dry: Float32Array, _sends: readonly Float32Array[], start: number, end: number): void {
    for (let i = 2 * start; i < 2 * end; i++) dry[i] = (dry[i] as number) + this.value;
  }
}

function sineInstrument(name: string): Instrument {
  const inst = new Instrument(name, RATE);
  inst.setParam(InstrumentParam.Waveform, Waveform.Sine);
  inst.setParam(InstrumentParam.AmpSustain, 1);
  inst.setParam(InstrumentParam.AmpRelease, 10);
  return inst;
}

/** Render `frames` frames of the mixer in blocks, each split at a seeded random frame. */
function renderMixer(mixer: Mixer, frames: number, seed = 1): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(2 * frames);
  for (let b = 0; b < frames; b += BLOCK) {
    const e = Math.min(b + BLOCK, frames);
    const k = b + Math.floor(rand() * (e - b + 1));
    mixer.render(out, b, k);
    mixer.render(out, k, e);
  }
  return out;
}

function maxAbs(x: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (!Number.isFinite(v)) return Infinity;
    m = Math.max(m, Math.abs(v));
  }
  return m;
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}: sample ${i} differs: ${a[i]} vs ${b[i]}`);
  }
}

Deno.test("MIXER_PARAM_SPECS and STRIP_PARAM_SPECS are indexed by id, named and in range", () => {
  assert.equal(MIXER_PARAM_SPECS.length, MIXER_PARAM_COUNT);
  assert.equal(Object.keys(MixerParam).length, MIXER_PARAM_COUNT);
  assert.equal(STRIP_PARAM_SPECS.length, STRIP_PARAM_COUNT);
  assert.equal(SEND_BUS_COUNT, Object.keys(SendBus).length);
  for (
    const [specs, lookup] of [[MIXER_PARAM_SPECS, mixerParamId], [
      STRIP_PARAM_SPECS,
      stripParamId,
    ]] as const
  ) {
    specs.forEach((spec, i) => {
      assert.equal(spec.id, i);
      assert.ok(spec.min <= spec.initial && spec.initial <= spec.max, spec.name);
      assert.equal(lookup(spec.name), i);
    });
    assert.equal(lookup("nope"), -1);
  }
  assert.ok((MIXER_PARAM_SPECS[MixerParam.Ceiling]?.max as number) <= -0.3, "never above -0.3");
});

Deno.test("panGains is equal-power and balanceGains is unity at the centre", () => {
  const [l0, r0] = panGains(0);
  assert.ok(Math.abs(l0 - Math.SQRT1_2) < 1e-15 && Math.abs(r0 - Math.SQRT1_2) < 1e-15);
  assert.deepEqual(panGains(-1), [1, 0]);
  assert.deepEqual(panGains(-7), [1, 0]);
  const [lr, rr] = panGains(1);
  assert.equal(lr, 0);
  assert.equal(rr, 1);
  for (const p of [-0.9, -0.3, 0.2, 0.77]) {
    const [l, r] = panGains(p);
    assert.ok(Math.abs(l * l + r * r - 1) < 1e-12, `power at ${p}`);
  }
  assert.deepEqual(balanceGains(0), [1, 1]);
  assert.deepEqual(balanceGains(-1), [1, 0]);
  assert.deepEqual(balanceGains(1), [0, 1]);
  assert.throws(() => panGains(NaN), RangeError);
  assert.throws(() => balanceGains(NaN), RangeError);
});

Deno.test("Mixer sums its channels (delayed by the limiter's look-ahead) below the ceiling", () => {
  const frames = 9600;
  const mixer = new Mixer(RATE);
  const a = sineInstrument("lead");
  const b = new ChannelStrip("tone", RATE, { source: new SineSource(1000, 0.2) });
  a.setParam(InstrumentParam.Pan, -0.5);
  b.setParam(StripParam.Pan, 0.4);
  assert.equal(mixer.addChannel(a), 0);
  assert.equal(mixer.addChannel(b), 1);
  a.noteOn(69, 1);
  const out = renderMixer(mixer, frames);
  // The same channels rendered on their own.
  const a2 = sineInstrument("lead");
  a2.setParam(InstrumentParam.Pan, -0.5);
  a2.noteOn(69, 1);
  const b2 = new ChannelStrip("tone", RATE, { source: new SineSource(1000, 0.2) });
  b2.setParam(StripParam.Pan, 0.4);
  const ref = new Float32Array(2 * frames);
  for (let s = 0; s < frames; s += BLOCK) {
    const e = Math.min(s + BLOCK, frames);
    a2.mixInto(ref, [], s, e);
    b2.mixInto(ref, [], s, e);
  }
  const d = mixer.latencyFrames;
  assert.ok(d > 0 && d < 200);
  for (const ch of [0, 1]) {
    const got = deinterleave(out, ch);
    const want = deinterleave(ref, ch);
    let err = 0;
    for (let i = 4800; i < frames; i++) {
      err += ((got[i] as number) - (want[i - d] as number)) ** 2;
    }
    const e = Math.sqrt(err / (frames - 4800));
    // Only the guard's 5 Hz DC blocker separates them (about 1 % at 440 Hz).
    assert.ok(e < 0.02 * rms(want, 4800), `channel ${ch}: error ${e} vs ${rms(want, 4800)}`);
  }
  assert.equal(mixer.faults, 0);
  assert.equal(mixer.gainReductionDb, 0);
});

Deno.test("Mixer sends reach the reverb and delay and return into the master", () => {
  const tail = (send: number, param: number, returnParam: number, returnLevel = 1) => {
    const mixer = new Mixer(RATE);
    mixer.setParam(MixerParam.DelayTime, 100);
    mixer.setParam(MixerParam.DelayFeedback, 0);
    mixer.setParam(returnParam, returnLevel);
    const inst = sineInstrument("pad");
    inst.setParam(param, send);
    mixer.addChannel(inst);
    inst.noteOn(60);
    renderMixer(mixer, 2400); // 50 ms note
    inst.noteOff(60); // 10 ms release
    const out = renderMixer(mixer, 9600);
    // From 20 ms after the note ended: only the effects can sound.
    return rms(deinterleave(out, 0), 1000 + mixer.latencyFrames, 9600);
  };
  const R = InstrumentParam.ReverbSend;
  const D = InstrumentParam.DelaySend;
  assert.ok(tail(0, R, MixerParam.ReverbReturn) < 1e-3, "no send, no reverb tail");
  assert.ok(tail(1, R, MixerParam.ReverbReturn) > 0.01, "reverb tail");
  assert.ok(tail(1, R, MixerParam.ReverbReturn, 0) < 1e-3, "return 0 mutes it");
  assert.ok(tail(0, D, MixerParam.DelayReturn) < 1e-3, "no send, no echo");
  assert.ok(tail(1, D, MixerParam.DelayReturn) > 0.05, "echo of the note");
  assert.ok(tail(1, D, MixerParam.DelayReturn, 0) < 1e-3, "return 0 mutes it");
  // The delay's echo comes exactly 100 ms later: nothing in between.
  const mixer = new Mixer(RATE);
  mixer.setParam(MixerParam.DelayTime, 100);
  mixer.setParam(MixerParam.DelayFeedback, 0);
  const strip = new ChannelStrip("click", RATE, { source: new SineSource(500, 0.3) });
  strip.setParam(StripParam.DelaySend, 1);
  strip.setParam(StripParam.Gain, 0); // dry silent, send post-fader: nothing at all
  mixer.addChannel(strip);
  // After the gain has glided to 0 (snapped after ~21 time constants) and the last echo of
  // the glide has come back, nothing is left.
  const out = renderMixer(mixer, 24000);
  assert.ok(maxAbs(out.subarray(2 * 14400)) < 1e-6, "sends are post-fader");
  assert.ok(maxAbs(out.subarray(0, 2 * 4800)) > 0.01, "the glide and its echo were heard");
});

Deno.test("Mixer master never exceeds the ceiling with +20 dB of input, without faults", () => {
  const mixer = new Mixer(RATE);
  const inst = new Instrument("loud", RATE, { voices: 8 });
  inst.setParam(InstrumentParam.Gain, 2);
  inst.setParam(InstrumentParam.ReverbSend, 1);
  inst.setParam(InstrumentParam.DelaySend, 1);
  mixer.addChannel(inst);
  mixer.setParam(MixerParam.MasterGain, 2);
  mixer.setParam(MixerParam.DelayFeedback, 0.9);
  for (let k = 0; k < 8; k++) inst.noteOn(36 + 5 * k, 1);
  // Input level: the instrument alone (the mixer would be louder still, with gain and effects).
  const alone = new Instrument("loud", RATE, { voices: 8 });
  alone.setParam(InstrumentParam.Gain, 2);
  for (let k = 0; k < 8; k++) alone.noteOn(36 + 5 * k, 1);
  const dry = new Float32Array(2 * 24000);
  alone.render(dry, 0, 24000);
  assert.ok(maxAbs(dry) > 4, `input peak ${maxAbs(dry)} (+20 dB with the master gain)`);
  const out = renderMixer(mixer, 24000);
  const peak = maxAbs(out);
  assert.ok(peak <= CEILING, `peak ${peak} above ${CEILING}`);
  assert.ok(peak > 0.9 * CEILING, "it is loud");
  assert.ok(mixer.gainReductionDb < -12);
  assert.equal(mixer.faults, 0);
  // A lower ceiling holds too, once it has glided there.
  mixer.setParam(MixerParam.Ceiling, -6);
  renderMixer(mixer, 4800);
  assert.ok(maxAbs(renderMixer(mixer, 4800)) <= Math.pow(10, -6 / 20));
  // It cannot be raised above -0.3 dBFS.
  mixer.setParam(MixerParam.Ceiling, 6);
  assert.equal(mixer.getParam(MixerParam.Ceiling), -0.3);
});

Deno.test("Mixer turns a NaN or runaway channel into silence and counts the fault", () => {
  for (const bad of [NaN, Infinity, 1e30]) {
    const mixer = new Mixer(RATE);
    const inst = sineInstrument("ok");
    const channel = new BadChannel("bad", 0);
    mixer.addChannel(inst);
    mixer.addChannel(channel);
    inst.noteOn(60);
    renderMixer(mixer, 2400);
    channel.value = bad;
    const out = renderMixer(mixer, 2400);
    assert.ok(maxAbs(out) <= CEILING, `${bad}: finite and below the ceiling`);
    assert.ok(mixer.faults >= 1, `${bad}: fault counted`);
    assert.ok(maxAbs(out.subarray(1200)) === 0, `${bad}: silence`);
    channel.value = 0;
    const back = renderMixer(mixer, 4800);
    assert.ok(maxAbs(back.subarray(4800)) > 0.1, `${bad}: sound comes back`);
  }
  // A strip reads non-finite source samples as silence (no fault at all).
  const mixer = new Mixer(RATE);
  const source = new SineSource(300, 0.5);
  mixer.addChannel(new ChannelStrip("src", RATE, { source }));
  source.set(NaN);
  assert.ok(maxAbs(renderMixer(mixer, 1024)) === 0);
  assert.equal(mixer.faults, 0);
});

/** A stereo source of one impulse of 0.5 (both sides) at each frame in `at`, counted from its first render. */
class ImpulseSource {
  /** Frames rendered so far. */
  readonly #frame = new Float64Array(1);
  constructor(readonly at: readonly number[]) {}
  render(out: Float32Array, start: number, end: number): void {
    let n = this.#frame[0] as number;
    for (let i = start; i < end; i++, n++) {
      const y = this.at.includes(n) ? 0.5 : 0;
      out[2 * i] = y;
      out[2 * i + 1] = y;
    }
    this.#frame[0] = n;
  }
}

/**
 * Frames from the dry impulse at frame `at` to its first echo in `out` (the
 * loudest frame between 100 frames after it and `before`), after checking
 * that nothing but the echo sounds there.
 */
function echoOffset(out: Float32Array, at: number, before: number, latency: number): number {
  const left = deinterleave(out, 0);
  const dry = at + latency;
  assert.ok((left[dry] as number) > 0.45, `dry impulse at ${dry}: ${left[dry]}`);
  let best = -1;
  for (let i = dry + 100; i < before; i++) {
    if (best < 0 || Math.abs(left[i] as number) > Math.abs(left[best] as number)) best = i;
  }
  const peak = Math.abs(left[best] as number);
  assert.ok(peak > 0.45, `echo of ${peak}`);
  // An impulse echoes as an impulse: at most the guard's DC blocker's tiny tail elsewhere.
  for (let i = dry + 100; i < before; i++) {
    if (i !== best) assert.ok(Math.abs(left[i] as number) < 0.01, `frame ${i}: ${left[i]}`);
  }
  return best - dry;
}

Deno.test("Mixer delay/beats syncs the delay to the tempo: 0.75 beats at 120 bpm echo 375 ms later, to the frame", () => {
  const echo = (setup: (mixer: Mixer) => void, frames: number, options = {}) => {
    const mixer = new Mixer(RATE, options);
    mixer.setParam(MixerParam.DelayFeedback, 0);
    mixer.setParam(MixerParam.DelayTime, 100); // not the default 375: tempo sync must win
    setup(mixer);
    const strip = new ChannelStrip("click", RATE, { source: new ImpulseSource([2400]) });
    strip.setParam(StripParam.DelaySend, 1);
    mixer.addChannel(strip);
    // The impulse comes 50 ms in, after the delay's 30 ms crossfade to the new time.
    const out = renderMixer(mixer, frames);
    return echoOffset(out, 2400, frames, mixer.latencyFrames);
  };
  const beats = (bpm: number, n: number) => (mixer: Mixer) => {
    assert.ok(mixer.setParam(MixerParam.Tempo, bpm));
    assert.ok(mixer.setParam(MixerParam.DelayBeats, n));
  };
  assert.equal(echo(beats(120, 0.75), 24000), 18000, "375 ms");
  assert.equal(echo(() => {}, 24000), 4800, "beats 0 (the default): delay/time, 100 ms");
  assert.equal(echo(beats(90, 0.75), 30000), 24000, "a slower tempo moves it: 500 ms at 90 bpm");
  assert.equal(echo(beats(140, 0.5), 24000), Math.round((60 / 140 / 2) * RATE), "an eighth at 140");
  // Clamped to the line: 16 beats at 20 bpm is 48 s; this line holds 500 ms.
  assert.equal(echo(beats(20, 16), 30000, { delayMaxTimeMs: 500 }), 24000, "clamped");

  // Changing the tempo while playing moves the echo (after the 30 ms crossfade).
  const mixer = new Mixer(RATE);
  mixer.setParam(MixerParam.DelayFeedback, 0);
  mixer.setParam(MixerParam.DelayBeats, 1);
  const strip = new ChannelStrip("click", RATE, { source: new ImpulseSource([2400, 40000]) });
  strip.setParam(StripParam.DelaySend, 1);
  mixer.addChannel(strip);
  const first = renderMixer(mixer, 36000);
  assert.equal(echoOffset(first, 2400, 36000, mixer.latencyFrames), 24000, "1 beat at 120");
  mixer.setParam(MixerParam.Tempo, 160);
  const second = renderMixer(mixer, 36000);
  assert.equal(echoOffset(second, 4000, 36000, mixer.latencyFrames), 18000, "1 beat at 160");
  // The parameters: ranges, and the ms value kept while beats rule.
  assert.equal(mixer.getParam(MixerParam.DelayTime), 375);
  assert.equal(mixer.setParam(MixerParam.Tempo, 1000), true);
  assert.equal(mixer.getParam(MixerParam.Tempo), 300);
  assert.equal(mixer.setParam(MixerParam.DelayBeats, -1), true);
  assert.equal(mixer.getParam(MixerParam.DelayBeats), 0);
  assert.equal(mixer.setParam(MixerParam.DelayBeats, 99), true);
  assert.equal(mixer.getParam(MixerParam.DelayBeats), 16);
  assert.equal(mixerParamId("tempo"), MixerParam.Tempo);
  assert.equal(mixerParamId("delay/beats"), MixerParam.DelayBeats);
});

Deno.test("Mixer snapshot keeps the tempo and beats: a loaded mixer echoes at the synced time", () => {
  const build = () => {
    const mixer = new Mixer(RATE);
    mixer.setParam(MixerParam.DelayFeedback, 0);
    const strip = new ChannelStrip("click", RATE, { source: new ImpulseSource([1200]) });
    strip.setParam(StripParam.DelaySend, 1);
    mixer.addChannel(strip);
    return { mixer, source: strip.source as ImpulseSource };
  };
  const a = build();
  a.mixer.setParam(MixerParam.Tempo, 100);
  a.mixer.setParam(MixerParam.DelayBeats, 1.5); // 900 ms
  renderMixer(a.mixer, 2400); // the impulse is in the line when saved
  const state = new Float64Array(a.mixer.stateSize);
  a.mixer.saveState(state);
  assert.equal(state[0], 0x434d5803, "CMX version 3");
  const b = build();
  renderMixer(b.mixer, 2400); // its own impulse: the load replaces the line
  b.mixer.loadState(state);
  assert.equal(b.mixer.getParam(MixerParam.Tempo), 100);
  assert.equal(b.mixer.getParam(MixerParam.DelayBeats), 1.5);
  const outA = renderMixer(a.mixer, 48000);
  const outB = renderMixer(b.mixer, 48000);
  assertBitIdentical(outB, outA, "continuation");
  // The echo of the impulse at frame 1200 comes 900 ms later: frame 1200 + 43200 − 2400 here.
  const left = deinterleave(outA, 0);
  const lat = a.mixer.latencyFrames;
  assert.ok((left[1200 + 43200 - 2400 + lat] as number) > 0.45, "echo at 900 ms");
  assert.ok(maxAbs(outA.subarray(0, 2 * (42000 + lat - 1))) < 0.01, "nothing before it");
});

Deno.test("Mixer manages its channels by name", () => {
  const mixer = new Mixer(RATE, { maxChannels: 2 });
  const a = sineInstrument("a");
  mixer.addChannel(a);
  assert.throws(() => mixer.addChannel(sineInstrument("a")), RangeError);
  mixer.addChannel(new ChannelStrip("drums", RATE, { source: new SineSource(100, 0.1) }));
  assert.throws(() => mixer.addChannel(sineInstrument("c")), RangeError);
  assert.equal(mixer.channelCount, 2);
  assert.equal(mixer.channel("a"), a);
  assert.equal(mixer.channel("x"), undefined);
  assert.equal(mixer.removeChannel("a"), true);
  assert.equal(mixer.removeChannel("a"), false);
  assert.equal(mixer.channelCount, 1);
  assert.throws(() => new Mixer(RATE, { maxChannels: 0 }), RangeError);
  assert.throws(() => new Mixer(RATE, { delayMaxTimeMs: 0 }), RangeError);
  assert.throws(() => new ChannelStrip("", RATE, { source: new SineSource(1, 1) }), RangeError);
});

Deno.test("ChannelStrip balances a stereo source and sends post-fader", () => {
  const strip = new ChannelStrip("s", RATE, { source: new SineSource(1000, 0.5) });
  strip.setParam(StripParam.Pan, -1);
  strip.setParam(StripParam.ReverbSend, 0.25);
  const frames = 4800; // 100 periods of 1 kHz
  const dry = new Float32Array(2 * frames);
  const rev = new Float32Array(2 * frames);
  const del = new Float32Array(2 * frames);
  for (let b = 0; b < 3; b++) {
    dry.fill(0);
    rev.fill(0);
    del.fill(0);
    strip.mixInto(dry, [rev, del], 0, frames);
  }
  const l = deinterleave(dry, 0);
  assert.ok(deinterleave(dry, 1).every((x) => x === 0), "hard left: right silent");
  assert.ok(Math.abs(rms(l) / (0.5 * Math.SQRT1_2) - 1) < 1e-4, "left at unity");
  for (let i = 0; i < dry.length; i++) assert.equal(rev[i], (dry[i] as number) * 0.25);
  assert.ok(del.every((x) => x === 0));
  strip.setParam(StripParam.Pan, 0);
  for (let b = 0; b < 3; b++) {
    dry.fill(0);
    strip.mixInto(dry, [], 0, frames);
  }
  assert.deepEqual(deinterleave(dry, 0), deinterleave(dry, 1));
  assert.ok(Math.abs(rms(deinterleave(dry, 0)) / (0.5 * Math.SQRT1_2) - 1) < 1e-4, "centre unity");
  assert.equal(strip.setParam(StripParam.Gain, NaN), false);
  assert.equal(strip.setParam(99, 1), false);
  assert.equal(strip.getParam(StripParam.Gain), 1);
  assert.equal(strip.setParam(StripParam.Gain, 1e30), true);
  assert.equal(strip.getParam(StripParam.Gain), 2);
  // Snapshot round trip.
  const state = new Float64Array(CHANNEL_STRIP_STATE_SIZE);
  assert.equal(strip.saveState(state, 0), CHANNEL_STRIP_STATE_SIZE);
  const copy = new ChannelStrip("s", RATE, { source: new SineSource(440, 0.5) });
  copy.loadState(state, 0);
  const again = new Float64Array(CHANNEL_STRIP_STATE_SIZE);
  copy.saveState(again, 0);
  assert.deepEqual(again, state);
});

Deno.test("Mixer rejects NaN and ±Infinity parameters without any state change", () => {
  const mixer = new Mixer(RATE);
  mixer.setParam(MixerParam.ReverbSize, 0.8);
  const before = new Float64Array(mixer.stateSize);
  mixer.saveState(before);
  for (let id = 0; id < MIXER_PARAM_COUNT; id++) {
    for (const bad of [NaN, Infinity, -Infinity]) assert.equal(mixer.setParam(id, bad), false);
  }
  for (const id of [-1, MIXER_PARAM_COUNT, 0.5]) assert.equal(mixer.setParam(id, 1), false);
  const after = new Float64Array(mixer.stateSize);
  mixer.saveState(after);
  assert.deepEqual(after, before);
  assert.ok(Number.isNaN(mixer.getParam(42)));
  assert.equal(mixer.setParam(MixerParam.DelayPingPong, 0.7), true);
  assert.equal(mixer.getParam(MixerParam.DelayPingPong), 1);
  assert.equal(mixer.setParam(MixerParam.DelayFeedback, 5), true);
  assert.equal(mixer.getParam(MixerParam.DelayFeedback), 0.95);
});

Deno.test("Mixer fuzz: random values into every module keep the output finite and within the ceiling", () => {
  const rand = seededRandom(99);
  const specials = [NaN, Infinity, -Infinity, 1e30, -1e30, -1, -1e6, 0, 1e-300, 0.5, 3, 20000];
  const value = () =>
    rand() < 0.6 ? specials[Math.floor(rand() * specials.length)] as number : (rand() - 0.5) * 1e4;
  const mixer = new Mixer(RATE, { delayMaxTimeMs: 500 });
  const lead = new Instrument("lead", RATE, { voices: 8 });
  const bass = new Instrument("bass", RATE, { voices: 4 });
  const source = new SineSource(220, 1);
  const strip = new ChannelStrip("drums", RATE, { source });
  mixer.addChannel(lead);
  mixer.addChannel(bass);
  mixer.addChannel(strip);
  const insts = [lead, bass];
  const out = new Float32Array(2 * BLOCK);
  let loud = 0;
  for (let step = 0; step < 300; step++) {
    const inst = insts[step & 1] as Instrument;
    const r = rand();
    if (r < 0.3) inst.setParam(Math.floor(rand() * 30) - 1, value());
    else if (r < 0.45) mixer.setParam(Math.floor(rand() * 11) - 1, value());
    else if (r < 0.55) strip.setParam(Math.floor(rand() * 5) - 1, value());
    else if (r < 0.6) source.set(rand() < 0.5 ? value() : null);
    else if (r < 0.85) inst.noteOn(rand() < 0.8 ? 24 + Math.floor(rand() * 72) : value(), value());
    else inst.noteOff(rand() < 0.8 ? 24 + Math.floor(rand() * 72) : value());
    const k = Math.floor(rand() * (BLOCK + 1));
    mixer.render(out, 0, k);
    mixer.render(out, k, BLOCK);
    for (let i = 0; i < out.length; i++) {
      const x = out[i] as number;
      if (!(Math.abs(x) <= CEILING)) assert.fail(`step ${step}: sample ${i} is ${x}`);
      if (Math.abs(x) > 0.1) loud++;
    }
  }
  assert.ok(loud > 1000, "the fuzz made sound");
});

Deno.test("Mixer snapshot: mixers loaded from one snapshot render bit-identically to the original", () => {
  const build = () => {
    const mixer = new Mixer(RATE);
    const inst = new Instrument("pad", RATE, { voices: 4 });
    inst.setParam(InstrumentParam.ReverbSend, 0.5);
    inst.setParam(InstrumentParam.DelaySend, 0.3);
    mixer.addChannel(inst);
    return { mixer, inst };
  };
  const a = build();
  a.mixer.setParam(MixerParam.ReverbSize, 0.9);
  a.mixer.setParam(MixerParam.DelayTime, 250);
  a.mixer.setParam(MixerParam.MasterGain, 1.5);
  a.inst.noteOn(57);
  a.inst.noteOn(64);
  renderMixer(a.mixer, 3000);
  a.mixer.setParam(MixerParam.MasterGain, 0.7); // gliding when saved
  renderMixer(a.mixer, 10);
  const size = a.mixer.stateSize;
  assert.equal(size, mixerStateSize(RATE));
  const mixerState = new Float64Array(size + 2);
  assert.equal(a.mixer.saveState(mixerState, 2), 2 + size);
  const instState = new Float64Array(a.inst.stateSize);
  a.inst.saveState(instState);
  const b = build();
  const c = build();
  for (const x of [b, c]) {
    assert.equal(x.mixer.loadState(mixerState, 2), 2 + size);
    x.inst.loadState(instState);
  }
  assert.equal(b.mixer.getParam(MixerParam.ReverbSize), 0.9);
  assert.equal(b.mixer.getParam(MixerParam.DelayTime), 250);
  const play = (x: { mixer: Mixer; inst: Instrument }) => {
    const first = renderMixer(x.mixer, 2000, 5);
    x.inst.noteOff(57);
    x.inst.noteOn(60);
    return [first, renderMixer(x.mixer, 6000, 6)] as const;
  };
  const [a1, a2] = play(a);
  const [b1, b2] = play(b);
  const [c1, c2] = play(c);
  assertBitIdentical(b1, c1, "first part");
  assertBitIdentical(b2, c2, "second part");
  // The effects' lines, the guard and the limiter are in the snapshot: the
  // original renders the same samples too (reverb and delay tails included).
  assertBitIdentical(a1, b1, "original, first part");
  assertBitIdentical(a2, b2, "original, second part");
  const again = new Float64Array(size);
  b.mixer.saveState(again);
  const mid = new Float64Array(size);
  c.mixer.saveState(mid);
  assert.deepEqual(again, mid);
  a.mixer.saveState(mid);
  assert.deepEqual(again, mid);
  assert.ok(maxAbs(b2) > 0.05, "it played");
  assert.throws(() => b.mixer.loadState(mixerState, 0), RangeError);
  assert.throws(() => new Mixer(44100).loadState(mixerState, 2), RangeError);
  assert.throws(() => b.mixer.saveState(new Float64Array(3)), RangeError);
});

/** The allocation scenario: the loop whose own allocations are counted. */
function mixerScenario(mixer: Mixer, strip: ChannelStrip, out: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    mixer.setParam(MixerParam.ReverbReturn, b & 1);
    strip.setParam(StripParam.Pan, (b & 1) * 2 - 1);
    mixer.render(out, 0, 50);
    mixer.render(out, 50, BLOCK);
  }
}

Deno.test("Mixer allocates nothing per block with 8 voices, a strip and both effects (V8 heap sampling)", async () => {
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~24 KB.
  const LIMIT = 6 * 1024;
  const mixer = new Mixer(RATE);
  const inst = new Instrument("lead", RATE, { voices: 8 });
  inst.setParam(InstrumentParam.ReverbSend, 0.4);
  inst.setParam(InstrumentParam.DelaySend, 0.4);
  for (let k = 0; k < 8; k++) inst.noteOn(48 + 3 * k, 1);
  const strip = new ChannelStrip("drums", RATE, { source: new SineSource(60, 0.5) });
  strip.setParam(StripParam.ReverbSend, 0.5);
  strip.setParam(StripParam.DelaySend, 0.5);
  mixer.addChannel(inst);
  mixer.addChannel(strip);
  const out = new Float32Array(2 * BLOCK);
  // Steady state: V8's optimising compiler (TurboFan) runs on a background thread and
  // may take its time on a busy machine; the code before it (Maglev) boxes doubles
  // everywhere in dsp/. So warm up and measure up to five times: code that allocates
  // in steady state fails every attempt.
  let bytes = Infinity;
  for (let attempt = 0; attempt < 5 && !(bytes < LIMIT); attempt++) {
    mixerScenario(mixer, strip, out, 1000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    bytes = await sampledAllocation(() => mixerScenario(mixer, strip, out, 1500), "mixerScenario");
  }
  assert.equal(inst.activeVoices, 8);
  assert.ok(bytes < LIMIT, `${bytes} bytes sampled while rendering 1500 blocks`);
});

/**
 * A channel whose output is a function of its frame counter (kept in a
 * typed array, so a test can copy it): two sines, loud stretches that make
 * the limiter work, sends into both effects, and a NaN now and then (a
 * guard fault, a reverb reset).
 */
class ScriptedChannel implements MixerChannel {
  readonly name = "scripted";
  /** [frame counter]. */
  readonly state = new Float64Array(1);
  mixInto(dry: Float32Array, sends: readonly Float32Array[], start: number, end: number): void {
    const rev = sends[SendBus.Reverb] as Float32Array;
    const del = sends[SendBus.Delay] as Float32Array;
    let n = this.state[0] as number;
    for (let i = start; i < end; i++, n++) {
      const loud = (n >> 13) % 3 === 1 ? 4 : 0.4;
      let x = loud * (Math.sin(n * 0.031) + 0.5 * Math.sin(n * 0.0017));
      if (n % 25013 === 611) x = NaN;
      dry[2 * i] = (dry[2 * i] as number) + x;
      dry[2 * i + 1] = (dry[2 * i + 1] as number) - 0.7 * x;
      rev[2 * i] = (rev[2 * i] as number) + 0.5 * x;
      rev[2 * i + 1] = (rev[2 * i + 1] as number) + 0.3 * x;
      del[2 * i + 1] = (del[2 * i + 1] as number) + 0.6 * x;
    }
    this.state[0] = n;
  }
}

/** `blocks` blocks of `mixer`, each split at a random frame, with parameter changes (glides, a delay crossfade). */
function modulatedMix(mixer: Mixer, blocks: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(2 * BLOCK * blocks);
  for (let b = 0; b < blocks; b++) {
    if (b % 17 === 3) mixer.setParam(MixerParam.DelayTime, 20 + 280 * rand());
    if (b % 13 === 5) mixer.setParam(MixerParam.ReverbSize, rand());
    if (b % 11 === 7) mixer.setParam(MixerParam.MasterGain, 2 * rand());
    if (b % 19 === 2) mixer.setParam(MixerParam.DelayFeedback, rand());
    if (b % 23 === 9) mixer.setParam(MixerParam.Ceiling, -6 * rand());
    if (b % 29 === 4) mixer.setParam(MixerParam.DelayPingPong, rand() < 0.5 ? 0 : 1);
    if (b % 31 === 6) {
      mixer.setParam(MixerParam.DelayBeats, rand() < 0.3 ? 0 : Math.floor(rand() * 9) / 8);
    }
    if (b % 37 === 8) mixer.setParam(MixerParam.Tempo, 60 + 240 * rand());
    const block = out.subarray(2 * BLOCK * b, 2 * BLOCK * (b + 1));
    const k = Math.floor(rand() * (BLOCK + 1));
    mixer.render(block, 0, k);
    mixer.render(block, k, BLOCK);
  }
  return out;
}

Deno.test("Mixer snapshot at an offset continues bit-identically: tails, fade-in and limiting included", () => {
  const options = { delayMaxTimeMs: 300 };
  const a = new Mixer(RATE, options);
  const chA = new ScriptedChannel();
  a.addChannel(chA);
  assert.equal(a.stateSize, mixerStateSize(RATE, options));
  assert.equal(mixerStateSize(RATE), new Mixer(RATE).stateSize);
  modulatedMix(a, 300, 1); // through a fault (frame 25013·k + 611) and a loud stretch
  assert.ok(a.faults >= 1);
  a.setParam(MixerParam.MasterGain, 3); // gliding when saved
  a.setParam(MixerParam.DelayBeats, 0); // the time in ms applies again
  a.setParam(MixerParam.DelayTime, 123); // crossfading when saved
  modulatedMix(a, 1, 9);
  const state = new Float64Array(a.stateSize + 20).fill(-7);
  assert.equal(a.saveState(state, 11), 11 + a.stateSize);
  assert.ok(
    state.subarray(0, 11).every((x) => x === -7) && state.subarray(-9).every((x) => x === -7),
  );
  const b = new Mixer(RATE, options);
  const chB = new ScriptedChannel();
  b.addChannel(chB);
  b.setParam(MixerParam.ReverbSize, 0.01);
  modulatedMix(b, 40, 2); // a different history
  assert.equal(b.loadState(state, 11), 11 + b.stateSize);
  chB.state.set(chA.state);
  assert.equal(b.faults, a.faults);
  for (let id = 0; id < MIXER_PARAM_COUNT; id++) assert.equal(b.getParam(id), a.getParam(id));
  const outA = modulatedMix(a, 600, 3);
  const outB = modulatedMix(b, 600, 3);
  assertBitIdentical(outA, outB, "restored");
  assert.equal(b.faults, a.faults);
  assert.ok(a.gainReductionDb < -6 || maxAbs(outA) > 0.9, "the limiter worked");
  const again = new Float64Array(b.stateSize);
  const c = new Mixer(RATE, options);
  c.loadState(state, 11);
  c.saveState(again, 0);
  assert.deepEqual(again, state.subarray(11, 11 + b.stateSize));
  assert.throws(() => a.saveState(new Float64Array(a.stateSize), 1), RangeError);
  assert.throws(() => a.loadState(new Float64Array(a.stateSize - 1), 0), RangeError);
});

Deno.test("Mixer.loadState repairs corrupt snapshots: output finite and within the ceiling", () => {
  const options = { delayMaxTimeMs: 100 };
  const a = new Mixer(RATE, options);
  a.addChannel(new ScriptedChannel());
  modulatedMix(a, 120, 4);
  const state = new Float64Array(a.stateSize);
  a.saveState(state, 0);
  const rand = seededRandom(8);
  // Every slot of the mixer's own part (tag, rate, parameters, 3 smoothers) and the first 40
  // of each module; a sample of the rest.
  const smoothersAt = 2 + MIXER_PARAM_COUNT;
  const own = smoothersAt + 3 * 2;
  const starts = [own, own + 18078, state.length - 376 - 9, state.length - 376];
  const slots: number[] = [];
  for (let i = 2; i < own; i++) slots.push(i);
  for (const s0 of starts) for (let i = s0; i < s0 + 40; i++) slots.push(i);
  for (let k = 0; k < 40; k++) slots.push(Math.floor(rand() * state.length));
  const check = (bad: Float64Array, what: string) => {
    const m = new Mixer(RATE, options);
    m.addChannel(new ScriptedChannel());
    m.loadState(bad, 0);
    const after = new Float64Array(m.stateSize);
    m.saveState(after, 0);
    assert.ok(after.every(Number.isFinite), `${what}: state repaired`);
    // The master gain and return smoothers (value, target) within their parameter's range.
    for (let k = 0; k < 3; k++) {
      const spec = MIXER_PARAM_SPECS[k] as (typeof MIXER_PARAM_SPECS)[number];
      for (const x of after.subarray(smoothersAt + 2 * k, smoothersAt + 2 + 2 * k)) {
        assert.ok(x >= spec.min && x <= spec.max, `${what}: ${spec.name} smoother at ${x}`);
      }
    }
    const out = modulatedMix(m, 40, 5); // longer than the reverb's and the delay's lines
    for (let i = 0; i < out.length; i++) {
      const x = out[i] as number;
      if (!(Math.abs(x) <= CEILING)) assert.fail(`${what}: sample ${i} is ${x}`);
    }
  };
  for (const slot of slots) {
    for (const poison of [NaN, Infinity, -1e300, -1, 0.5]) {
      const bad = state.slice();
      bad[slot] = poison;
      check(bad, `slot ${slot} = ${poison}`);
    }
  }
  for (const poison of [NaN, -Infinity, 1e300]) {
    const bad = state.slice(0, 2);
    check(
      Float64Array.of(...bad, ...new Float64Array(state.length - 2).fill(poison)),
      `all ${poison}`,
    );
  }
});

Deno.test("Mixer limiterLookaheadMs sets the master latency and the snapshot size", () => {
  const short = new Mixer(RATE, { limiterLookaheadMs: 0.25 });
  assert.equal(short.latencyFrames, Math.round(0.25 * RATE / 1000));
  assert.ok(short.latencyFrames < new Mixer(RATE).latencyFrames);
  assert.equal(short.stateSize, mixerStateSize(RATE, { limiterLookaheadMs: 0.25 }));
  assert.ok(short.stateSize < mixerStateSize(RATE));
  // An impulse through an empty mixer's master comes out exactly latencyFrames late.
  const strip = new ChannelStrip("impulse", RATE, {
    source: {
      render(out: Float32Array, start: number, end: number): void {
        out.fill(0, start * 2, end * 2);
        if (start === 0) out[0] = out[1] = 0.5;
      },
    },
  });
  short.addChannel(strip);
  const out = new Float32Array(256);
  short.render(out, 0, 128);
  const first = out.findIndex((x) => x !== 0);
  assert.equal(first >> 1, short.latencyFrames);
});
