import assert from "node:assert/strict";
import {
  CLAP_BURST_MS,
  Drum,
  DRUM_CHOKE_MS,
  DRUM_COUNT,
  DRUM_KIT_STATE_SIZE,
  DRUM_NOTES,
  DRUM_PARAM_COUNT,
  DRUM_SPECS,
  DRUM_TUNE_RANGE,
  drumDecayCoefficient,
  drumForNote,
  type DrumId,
  DrumKit,
  DrumParam,
  type DrumSpec,
} from "../dsp/drums.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";
import { deinterleave, magnitudeSpectrum, maxAbs, peakFrequency, rms } from "./_spectrum.ts";

const RATE = 48000;
const BLOCK = 128;

/** Something the kit is told at frame `at` of a render. */
interface Event {
  readonly at: number;
  readonly apply: (kit: DrumKit) => void;
}

/**
 * Render `frames` frames in blocks of BLOCK, each block split at its events'
 * frames (and, with `splitSeed`, at one more random frame), applying each
 * event at its exact frame. Returns the interleaved stereo output.
 */
function play(
  kit: DrumKit,
  frames: number,
  events: readonly Event[] = [],
  splitSeed?: number,
): Float32Array {
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const rand = splitSeed === undefined ? undefined : seededRandom(splitSeed);
  const out = new Float32Array(2 * frames);
  let next = 0;
  for (let b0 = 0; b0 < frames; b0 += BLOCK) {
    const n = Math.min(BLOCK, frames - b0);
    const block = out.subarray(2 * b0, 2 * (b0 + n));
    const cuts: { at: number; event?: Event }[] = [];
    while (next < sorted.length && (sorted[next] as Event).at < b0 + n) {
      const event = sorted[next++] as Event;
      cuts.push({ at: Math.max(0, event.at - b0), event });
    }
    if (rand !== undefined) cuts.push({ at: Math.floor(rand() * (n + 1)) });
    cuts.sort((a, b) => a.at - b.at);
    let pos = 0;
    for (const cut of cuts) {
      kit.render(block, pos, cut.at);
      pos = cut.at;
      cut.event?.apply(kit);
    }
    kit.render(block, pos, n);
  }
  return out;
}

/** A hit of `drum` at frame `at` with `velocity`. */
function hit(drum: number, at = 0, velocity = 1): Event {
  return { at, apply: (kit) => assert.ok(kit.trigger(drum, velocity)) };
}

/** Left channel of a single hit of `drum` at `at`, `frames` long. */
function renderHit(drum: DrumId, frames: number, at = 0, kit = new DrumKit(RATE)): Float64Array {
  return deinterleave(play(kit, frames, [hit(drum, at)]), 0);
}

/** Frames of a drum's default decay (the envelope is exactly 0 from there on). */
function decayFrames(s: DrumSpec): number {
  return Math.ceil((s.decayMs / 1000) * RATE);
}

function assertBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, what);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}: value ${i} differs: ${a[i]} vs ${b[i]}`);
  }
}

/** Fraction of a windowed spectrum's energy in [loHz, hiHz). */
function energyFraction(x: ArrayLike<number>, loHz: number, hiHz: number, size: number): number {
  const { magnitudes, binHz } = magnitudeSpectrum(x, { size, sampleRate: RATE });
  let inside = 0;
  let total = 0;
  for (let k = 1; k < magnitudes.length; k++) {
    const e = (magnitudes[k] as number) ** 2;
    total += e;
    if (k * binHz >= loHz && k * binHz < hiHz) inside += e;
  }
  return inside / total;
}

/** Sign changes per second of `x[from..to)`. */
function crossingRate(x: Float64Array, from: number, to: number): number {
  let count = 0;
  for (let i = from + 1; i < to; i++) {
    if (((x[i - 1] as number) < 0) !== ((x[i] as number) < 0)) count++;
  }
  return (count * RATE) / (to - from);
}

Deno.test("drumForNote maps the General MIDI percussion notes; DRUM_NOTES and DRUM_SPECS agree", () => {
  assert.deepEqual([...DRUM_NOTES], [36, 38, 42, 46, 39, 45, 47, 50]);
  assert.equal(DRUM_SPECS.length, DRUM_COUNT);
  for (const [id, s] of DRUM_SPECS.entries()) {
    assert.equal(s.id, id);
    assert.equal(drumForNote(s.note), id, s.name);
    assert.ok(s.minDecayMs <= s.decayMs && s.decayMs <= s.maxDecayMs, s.name);
  }
  assert.equal(drumForNote(35), Drum.Kick);
  assert.equal(drumForNote(40), Drum.Snare);
  assert.equal(drumForNote(44), Drum.ClosedHat);
  assert.equal(drumForNote(41), Drum.LowTom);
  assert.equal(drumForNote(48), Drum.MidTom);
  for (const note of [0, 37, 60, 127, NaN, 36.5]) assert.equal(drumForNote(note), undefined);
});

Deno.test("drumDecayCoefficient falls 60 dB in the decay time and rejects bad values", () => {
  const c = drumDecayCoefficient(100, RATE);
  assert.ok(Math.abs(c ** 4800 - 0.001) < 1e-12);
  assert.ok(Math.abs(drumDecayCoefficient(250, 44100) ** (0.25 * 44100) - 0.001) < 1e-12);
  for (const bad of [0, -1, NaN, Infinity]) {
    assert.throws(() => drumDecayCoefficient(bad, RATE), RangeError);
  }
  assert.throws(() => drumDecayCoefficient(100, 10), RangeError);
});

Deno.test("DrumKit: every drum starts exactly at its trigger frame, stays bounded and ends by its decay", () => {
  const at = 300; // inside the third block, so the block is split there
  for (const s of DRUM_SPECS) {
    const kit = new DrumKit(RATE);
    const d = decayFrames(s);
    const stereo = play(kit, at + d + 2000, [hit(s.id, at)]);
    const left = deinterleave(stereo, 0);
    assert.deepEqual(deinterleave(stereo, 1), left, `${s.name}: centred`);
    for (let i = 0; i < at; i++) assert.equal(left[i], 0, `${s.name}: silent before the hit`);
    assert.notEqual(left[at], 0, `${s.name}: sounds at the trigger frame`);
    const peak = maxAbs(left);
    assert.ok(left.every(Number.isFinite), s.name);
    assert.ok(peak > 0.2 && peak < 1, `${s.name}: peak ${peak} at default level`);
    // The envelope reaches exactly 0 at the decay time; the last 10 ms before it are quiet.
    for (let i = at + d + 1; i < left.length; i++) {
      assert.equal(left[i], 0, `${s.name}: silent after its decay, frame ${i - at}`);
    }
    const end = rms(left, at + d - RATE / 100, at + d);
    assert.ok(end < 0.01 * peak, `${s.name}: last 10 ms at ${end / peak} of the peak`);
    assert.equal(kit.isActive(s.id), false, `${s.name}: idle again`);
  }
});

Deno.test("DrumKit velocity scales the output: half velocity, exactly half the samples", () => {
  for (const s of DRUM_SPECS) {
    const frames = decayFrames(s);
    const full = play(new DrumKit(RATE), frames, [hit(s.id, 0, 1)]);
    const half = play(new DrumKit(RATE), frames, [hit(s.id, 0, 0.5)]);
    for (let i = 0; i < full.length; i++) {
      if (half[i] !== (full[i] as number) / 2) {
        assert.fail(`${s.name}: value ${i}: ${half[i]} is not half of ${full[i]}`);
      }
    }
    const soft = deinterleave(play(new DrumKit(RATE), frames, [hit(s.id, 0, 0.3)]), 0);
    const ratio = maxAbs(soft) / maxAbs(deinterleave(full, 0));
    assert.ok(Math.abs(ratio - 0.3) < 1e-6, `${s.name}: peak ratio ${ratio} at velocity 0.3`);
  }
});

Deno.test("DrumKit kick: energy below 150 Hz, pitch falling from 3× to its tune", () => {
  const kick = renderHit(Drum.Kick, 16384);
  const low = energyFraction(kick, 0, 150, 16384);
  assert.ok(low > 0.9, `${(low * 100).toFixed(1)} % of the energy below 150 Hz`);
  const early = crossingRate(kick, 0, 960); // first 20 ms
  const late = crossingRate(kick, 9600, 14400); // 200–300 ms
  assert.ok(early > 1.6 * late, `crossings/s early ${early}, late ${late}`);
  const up = new DrumKit(RATE);
  up.setParam(Drum.Kick, DrumParam.Tune, 12);
  for (const [x, want] of [[kick, 50], [renderHit(Drum.Kick, 16384, 0, up), 100]] as const) {
    const pitch = peakFrequency(magnitudeSpectrum(x, { start: 8192, size: 8192 }), { minHz: 20 });
    assert.ok(Math.abs(pitch / want - 1) < 0.02, `pitch after 170 ms ${pitch} Hz, want ${want}`);
  }
});

Deno.test("DrumKit snare: noise above 1 kHz and a body peak at its tune", () => {
  for (const semitones of [0, 5]) {
    const kit = new DrumKit(RATE);
    kit.setParam(Drum.Snare, DrumParam.Tune, semitones);
    const snare = renderHit(Drum.Snare, 8192, 0, kit);
    const high = energyFraction(snare, 1000, RATE / 2, 4096);
    assert.ok(high > 0.5, `${(high * 100).toFixed(1)} % above 1 kHz`);
    const low = energyFraction(snare, 100, 400, 4096);
    assert.ok(low > 0.1, `${(low * 100).toFixed(1)} % in the body's 100–400 Hz`);
    const body = peakFrequency(magnitudeSpectrum(snare, { size: 4096 }), {
      minHz: 100,
      maxHz: 400,
    });
    const want = 180 * 2 ** (semitones / 12);
    assert.ok(Math.abs(body / want - 1) < 0.03, `tune ${semitones}: body ${body} Hz, want ${want}`);
  }
  // Tone moves the balance from body to noise.
  const [dull, snappy] = [0, 1].map((tone) => {
    const kit = new DrumKit(RATE);
    kit.setParam(Drum.Snare, DrumParam.Tone, tone);
    return energyFraction(renderHit(Drum.Snare, 4096, 0, kit), 1000, RATE / 2, 4096);
  }) as [number, number];
  assert.ok(dull < 0.3 && snappy > 0.9, `above 1 kHz: ${dull} at tone 0, ${snappy} at tone 1`);
});

Deno.test("DrumKit hats: energy above 5 kHz; the closed hat is shorter than the open one", () => {
  const closed = renderHit(Drum.ClosedHat, 8192);
  const open = renderHit(Drum.OpenHat, 8192);
  for (const [name, x, size] of [["closed", closed, 2048], ["open", open, 8192]] as const) {
    const high = energyFraction(x, 5000, RATE / 2, size);
    assert.ok(high > 0.85, `${name}: ${(high * 100).toFixed(1)} % above 5 kHz`);
  }
  /** Frame at which the 5 ms RMS first falls 40 dB below its first window's. */
  const fall = (x: Float64Array): number => {
    const first = rms(x, 0, 240);
    for (let i = 0; i + 240 <= x.length; i += 240) if (rms(x, i, i + 240) < first / 100) return i;
    return x.length;
  };
  assert.ok(fall(closed) < 0.1 * RATE, `closed hat quiet after ${fall(closed)} frames`);
  assert.ok(fall(open) > 2 * fall(closed), `open ${fall(open)} vs closed ${fall(closed)}`);
});

Deno.test("DrumKit: a closed hat chokes a ringing open hat within DRUM_CHOKE_MS", () => {
  const at = 2400; // 50 ms into the open hat
  const frames = 9600;
  const alone = deinterleave(play(new DrumKit(RATE), frames, [hit(Drum.OpenHat)]), 0);
  const kit = new DrumKit(RATE);
  kit.setParam(Drum.ClosedHat, DrumParam.Level, 0); // hear only the open hat
  const choked = deinterleave(play(kit, frames, [hit(Drum.OpenHat), hit(Drum.ClosedHat, at)]), 0);
  for (let i = 0; i < at; i++) assert.equal(choked[i], alone[i], `frame ${i}: same before`);
  const chokeEnd = at + Math.ceil((DRUM_CHOKE_MS / 1000) * RATE) + 1;
  for (let i = chokeEnd; i < frames; i++) assert.equal(choked[i], 0, `frame ${i}: choked`);
  assert.ok(rms(alone, chokeEnd, frames) > 0.02, "without the closed hat it still rings");
  // The choke fades: no step larger than the open hat's own.
  let step = 0;
  for (let i = at; i < chokeEnd; i++) {
    step = Math.max(step, Math.abs((choked[i] as number) - (choked[i - 1] as number)));
  }
  assert.ok(step <= maxAbs(alone) * 1.5, `largest step while choking ${step}`);
});

Deno.test("DrumKit clap: four bursts CLAP_BURST_MS apart in the first 40 ms", () => {
  const clap = renderHit(Drum.Clap, 4800);
  const win = 24; // 0.5 ms RMS windows
  const env: number[] = [];
  for (let i = 0; i + win <= 40 * 48; i += win) env.push(rms(clap, i, i + win));
  const peaks: number[] = [];
  let low = Infinity;
  for (let j = 0; j < env.length; j++) {
    const e = env[j] as number;
    low = Math.min(low, e);
    const rising = j === 0 || e >= (env[j - 1] as number);
    const falling = j + 1 === env.length || e > (env[j + 1] as number);
    if (rising && falling && (peaks.length === 0 || e > 3 * low)) {
      peaks.push((j * win) / 48);
      low = e;
    }
  }
  assert.equal(peaks.length, 4, `burst peaks at ${peaks.join(", ")} ms`);
  for (let j = 1; j < peaks.length; j++) {
    const gap = (peaks[j] as number) - (peaks[j - 1] as number);
    assert.ok(Math.abs(gap - CLAP_BURST_MS) <= 1.5, `gap ${gap} ms`);
  }
  const band = (tone?: number): number => {
    const kit = new DrumKit(RATE);
    if (tone !== undefined) kit.setParam(Drum.Clap, DrumParam.Tone, tone);
    return energyFraction(renderHit(Drum.Clap, 4096, 0, kit), 500, 3000, 4096);
  };
  // Band-passed at 1.1 kHz; tone brightens it toward a high-pass.
  const [byDefault, dark, bright] = [band(), band(0), band(1)];
  assert.ok(byDefault > 0.5, `${(byDefault * 100).toFixed(1)} % of the energy in 0.5–3 kHz`);
  assert.ok(dark > 0.7 && bright < 0.3, `in 0.5–3 kHz: ${dark} at tone 0, ${bright} at tone 1`);
});

Deno.test("DrumKit toms: low < mid < high, each at its pitch after the drop", () => {
  const pitches = [Drum.LowTom, Drum.MidTom, Drum.HighTom].map((drum) => {
    const x = renderHit(drum, 4800 + 8192);
    return peakFrequency(magnitudeSpectrum(x, { start: 4800, size: 8192 }), { minHz: 40 });
  });
  const [low, mid, high] = pitches as [number, number, number];
  assert.ok(low < mid && mid < high, `toms at ${pitches.join(", ")} Hz`);
  for (const [i, drum] of [Drum.LowTom, Drum.MidTom, Drum.HighTom].entries()) {
    const want = (DRUM_SPECS[drum] as DrumSpec).pitchHz;
    const got = pitches[i] as number;
    assert.ok(got >= want && got < want * 1.04, `tom ${i}: ${got} Hz, want just above ${want}`);
  }
});

Deno.test("DrumKit: a retrigger fades the old hit out instead of jumping", () => {
  const kit = new DrumKit(RATE);
  kit.setParam(Drum.Kick, DrumParam.Tone, 0); // no click: only the sine
  const at = 1037;
  const x = deinterleave(play(kit, 2000, [hit(Drum.Kick), hit(Drum.Kick, at)]), 0);
  assert.ok(Math.abs(x[at - 1] as number) > 0.2, "the old hit is loud at the retrigger");
  let step = 0;
  for (let i = at - 10; i < at + 10; i++) {
    step = Math.max(step, Math.abs((x[i] as number) - (x[i - 1] as number)));
  }
  assert.ok(step < 0.05, `largest step around the retrigger ${step}`);
});

Deno.test("DrumKit parameters glide while a drum sounds and apply in full to the next hit", () => {
  const frames = 7200;
  const ref = deinterleave(play(new DrumKit(RATE), frames, [hit(Drum.OpenHat)]), 0);
  const kit = new DrumKit(RATE);
  const at = 2400;
  const setLevel: Event = { at, apply: (k) => k.setParam(Drum.OpenHat, DrumParam.Level, 0) };
  const x = deinterleave(play(kit, frames, [hit(Drum.OpenHat), setLevel]), 0);
  const ratio = (x[at] as number) / (ref[at] as number);
  assert.ok(ratio > 0.99 && ratio < 1, `first frame after the change at ${ratio} of the level`);
  assert.ok(maxAbs(x, at + 2400) < 1e-4 * maxAbs(ref), "silent 10 time constants later");
  // Set while idle: the next hit starts at the new level (no glide from the old one).
  const quiet = new DrumKit(RATE);
  assert.equal(quiet.setParam(Drum.Kick, DrumParam.Level, 0.4), true);
  const a = play(quiet, 4800, [hit(Drum.Kick)]);
  const b = play(new DrumKit(RATE), 4800, [hit(Drum.Kick)]);
  for (let i = 0; i < a.length; i++) assert.equal(a[i], (b[i] as number) / 2, `value ${i}`);
});

Deno.test("DrumKit pan and master gain", () => {
  const centre = play(new DrumKit(RATE), 4800, [hit(Drum.Snare)]);
  const left = new DrumKit(RATE);
  left.setParam(Drum.Snare, DrumParam.Pan, -1);
  const l = play(left, 4800, [hit(Drum.Snare)]);
  assert.deepEqual(deinterleave(l, 0), deinterleave(centre, 0));
  assert.ok(deinterleave(l, 1).every((x) => x === 0), "hard left: nothing on the right");
  const half = new DrumKit(RATE);
  half.setParam(Drum.Snare, DrumParam.Pan, 0.5);
  const h = play(half, 4800, [hit(Drum.Snare)]);
  for (let i = 0; i < h.length; i += 2) {
    assert.equal(h[i], (centre[i] as number) / 2);
    assert.equal(h[i + 1], centre[i + 1]);
  }
  const quiet = play(new DrumKit(RATE, { gain: 0.5 }), 4800, [hit(Drum.Snare)]);
  for (let i = 0; i < quiet.length; i++) assert.equal(quiet[i], (centre[i] as number) / 2);
});

Deno.test("DrumKit.render adds into the block and leaves frames outside the range alone", () => {
  const kit = new DrumKit(RATE);
  kit.trigger(Drum.Kick);
  const block = new Float32Array(2 * BLOCK).fill(0.25);
  kit.render(block, 10, 20);
  const solo = new DrumKit(RATE);
  solo.trigger(Drum.Kick);
  const ref = new Float32Array(2 * BLOCK);
  solo.render(ref, 10, 20);
  for (let i = 0; i < block.length; i++) {
    const inside = i >= 20 && i < 40;
    const want = inside ? 0.25 + (ref[i] as number) : 0.25;
    assert.ok(
      Math.abs((block[i] as number) - want) < 1e-7,
      `value ${i}: ${block[i]}, want ${want}`,
    );
  }
  kit.render(block, -5, -1);
  kit.render(block, 200, 1e9);
  kit.render(block, NaN, NaN);
});

Deno.test("DrumKit: the mix of all drums at full level passes a soft knee below 2", () => {
  const kit = new DrumKit(RATE);
  for (let d = 0; d < DRUM_COUNT; d++) kit.setParam(d, DrumParam.Level, 1);
  const events = [0, 1, 2, 4, 5, 6, 7].map((d) => hit(d));
  const x = play(kit, 9600, events);
  const peak = maxAbs(x);
  assert.ok(peak > 1 && peak < 2, `peak ${peak}`);
});

/** Random triggers, parameter changes and chokes over `frames` frames. */
function randomEvents(seed: number, frames: number, count: number): Event[] {
  const rand = seededRandom(seed);
  const events: Event[] = [];
  for (let i = 0; i < count; i++) {
    const at = Math.floor(rand() * frames);
    const drum = Math.floor(rand() * DRUM_COUNT);
    const r = rand();
    if (r < 0.5) {
      const velocity = 0.2 + 0.8 * rand();
      events.push({ at, apply: (kit) => kit.trigger(drum, velocity) });
    } else if (r < 0.9) {
      const param = Math.floor(rand() * DRUM_PARAM_COUNT);
      const value = param === DrumParam.Tune
        ? (rand() - 0.5) * 2 * DRUM_TUNE_RANGE
        : param === DrumParam.Decay
        ? 10 + 600 * rand()
        : param === DrumParam.Pan
        ? 2 * rand() - 1
        : rand();
      events.push({ at, apply: (kit) => kit.setParam(drum, param, value) });
    } else {
      events.push({ at, apply: (kit) => kit.choke(drum) });
    }
  }
  return events;
}

Deno.test("DrumKit is deterministic and independent of how blocks are split", () => {
  const events = randomEvents(5, RATE, 120);
  const a = play(new DrumKit(RATE, { seed: 3 }), RATE, events);
  const b = play(new DrumKit(RATE, { seed: 3 }), RATE, events, 17);
  assertBitIdentical(a, b, "same calls, other splits");
  assert.ok(rms(a) > 0.01, "the scenario makes sound");
  const other = play(new DrumKit(RATE, { seed: 4 }), RATE, events);
  assert.ok(other.some((x, i) => x !== a[i]), "another seed gives other noise");
  const again = new DrumKit(RATE, { seed: 3 });
  play(again, 5000, randomEvents(6, 5000, 40));
  again.reset();
  for (let d = 0; d < DRUM_COUNT; d++) {
    for (let p = 0; p < DRUM_PARAM_COUNT; p++) {
      const spec = DRUM_SPECS[d] as DrumSpec;
      const initial = [spec.level, 0, spec.decayMs, spec.tone, 0][p] as number;
      again.setParam(d, p, initial);
    }
  }
  assertBitIdentical(play(again, RATE, events), a, "after reset and default parameters");
});

Deno.test("DrumKit.loadState continues bit-identically from a snapshot taken mid-decay", () => {
  const frames = RATE;
  const mid = 20000;
  const events = randomEvents(9, frames, 100);
  const a = new DrumKit(RATE, { seed: 11 });
  const first = events.filter((e) => e.at < mid);
  const second = events.filter((e) => e.at >= mid).map((e) => ({ ...e, at: e.at - mid }));
  // Everything ringing at the snapshot, with parameters gliding.
  const ringing = [0, 1, 3, 4, 5, 6, 7].map((d) => hit(d, mid - 500, 0.9));
  const glide: Event = { at: mid - 10, apply: (k) => k.setParam(Drum.Kick, DrumParam.Tune, 7) };
  play(a, mid, [...first, ...ringing, glide]);
  for (let d = 0; d < DRUM_COUNT; d++) if (d !== Drum.ClosedHat) assert.ok(a.isActive(d));
  const state = new Float64Array(DRUM_KIT_STATE_SIZE + 3);
  assert.equal(a.saveState(state, 3), DRUM_KIT_STATE_SIZE + 3);
  assert.equal(a.stateSize, DRUM_KIT_STATE_SIZE);
  const b = new DrumKit(RATE, { seed: 999 });
  play(b, 3000, randomEvents(2, 3000, 30));
  assert.equal(b.loadState(state, 3), DRUM_KIT_STATE_SIZE + 3);
  assertBitIdentical(play(b, frames - mid, second), play(a, frames - mid, second), "restored");
});

Deno.test("DrumKit.loadState repairs poisoned snapshots into a bounded, finite kit", () => {
  const a = new DrumKit(RATE);
  play(a, 2400, [0, 1, 3, 4, 5].map((d) => hit(d)));
  const state = new Float64Array(DRUM_KIT_STATE_SIZE);
  a.saveState(state, 0);
  const after = new Float64Array(DRUM_KIT_STATE_SIZE);
  for (let slot = 0; slot < state.length; slot++) {
    for (const poison of [NaN, -Infinity, 1e300, -3]) {
      const bad = state.slice();
      bad[slot] = poison;
      const kit = new DrumKit(RATE);
      kit.loadState(bad, 0);
      const out = play(kit, 1200);
      for (const [i, x] of out.entries()) {
        if (!(Math.abs(x) < 2)) assert.fail(`slot ${slot} = ${poison}: ${x} at ${i}`);
      }
      kit.saveState(after, 0);
      assert.ok(after.every(Number.isFinite), `slot ${slot} = ${poison}: repaired`);
    }
  }
});

Deno.test("DrumKit setters reject NaN and ±Infinity, unknown ids and clamp the rest", () => {
  const kit = new DrumKit(RATE);
  for (const bad of [NaN, Infinity, -Infinity]) {
    assert.equal(kit.setParam(Drum.Kick, DrumParam.Decay, bad), false);
    assert.equal(kit.trigger(Drum.Kick, bad), false);
    assert.equal(kit.setGain(bad), false);
    assert.equal(kit.trigger(bad), false);
  }
  assert.equal(kit.getParam(Drum.Kick, DrumParam.Decay), 450);
  assert.equal(kit.isActive(Drum.Kick), false);
  for (const drum of [-1, 8, 1.5]) {
    assert.equal(kit.trigger(drum), false);
    assert.equal(kit.setParam(drum, DrumParam.Level, 0.5), false);
    assert.equal(kit.choke(drum), false);
    assert.ok(Number.isNaN(kit.getParam(drum, DrumParam.Level)));
  }
  assert.equal(kit.setParam(Drum.Kick, 5, 1), false);
  assert.ok(Number.isNaN(kit.getParam(Drum.Kick, -1)));
  assert.equal(kit.triggerNote(60), false);
  assert.equal(kit.triggerNote(38, 0), true, "velocity 0 is a note-off");
  assert.equal(kit.isActive(Drum.Snare), false);
  assert.equal(kit.triggerNote(38, 7), true);
  assert.equal(kit.isActive(Drum.Snare), true);
  kit.setParam(Drum.Kick, DrumParam.Decay, 1e30);
  assert.equal(kit.getParam(Drum.Kick, DrumParam.Decay), 4000);
  kit.setParam(Drum.Clap, DrumParam.Decay, -5);
  assert.equal(kit.getParam(Drum.Clap, DrumParam.Decay), 50);
  kit.setParam(Drum.LowTom, DrumParam.Tune, -1e30);
  assert.equal(kit.getParam(Drum.LowTom, DrumParam.Tune), -DRUM_TUNE_RANGE);
  kit.setParam(Drum.OpenHat, DrumParam.Tone, 5);
  assert.equal(kit.getParam(Drum.OpenHat, DrumParam.Tone), 1);
  kit.setParam(Drum.OpenHat, DrumParam.Pan, -9);
  assert.equal(kit.getParam(Drum.OpenHat, DrumParam.Pan), -1);
  kit.setGain(3);
  play(kit, RATE / 10);
  assert.equal(kit.gain, 1);
  assert.throws(() => new DrumKit(0), RangeError);
  assert.throws(() => new DrumKit(RATE, { seed: NaN }), RangeError);
  assert.throws(() => new DrumKit(RATE, { gain: Infinity }), RangeError);
  assert.throws(() => new DrumKit(RATE, { smoothingMs: -1 }), RangeError);
});

Deno.test("DrumKit fuzz: any parameter values give finite output below 2", () => {
  const rand = seededRandom(123);
  const values = [NaN, Infinity, -Infinity, 1e30, -1e30, -5, -1, 0, 5e-324, 0.5, 1, 3, 24, 1e4];
  const pick = () => values[Math.floor(rand() * values.length)] as number;
  const kit = new DrumKit(RATE, { seed: 5 });
  const block = new Float32Array(2 * BLOCK);
  for (let b = 0; b < 1500; b++) {
    block.fill(0);
    const k = Math.floor(rand() * (BLOCK + 1));
    kit.render(block, 0, k);
    const r = rand();
    const drum = rand() < 0.9 ? Math.floor(rand() * DRUM_COUNT) : pick();
    if (r < 0.3) kit.trigger(drum, rand() < 0.5 ? 1 : pick());
    else if (r < 0.85) kit.setParam(drum, Math.floor(rand() * DRUM_PARAM_COUNT), pick());
    else if (r < 0.9) kit.setGain(pick());
    else if (r < 0.95) kit.triggerNote(pick(), pick());
    else kit.choke(drum);
    kit.render(block, k, BLOCK);
    for (const x of block) if (!(Math.abs(x) < 2)) assert.fail(`block ${b}: ${x}`);
  }
});

/**
 * Every code path of the render loop: hits, retriggers while ringing, voices
 * ending, chokes, tune and decay glides, pan moves. Whole-number arguments
 * only: a double passed from this frame would be boxed here.
 */
function drumScenario(kit: DrumKit, block: Float32Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    block.fill(0);
    kit.render(block, 0, 50);
    const d = (b >> 4) & 7;
    if ((b & 3) === 0) kit.trigger((b >> 2) & 7, 1);
    if ((b & 15) === 5) kit.setParam(d, DrumParam.Tune, (b % 7) - 3);
    if ((b & 15) === 11) kit.setParam(d, DrumParam.Decay, 50 + ((b >> 7) & 3) * 100);
    if ((b & 15) === 13) kit.setParam(d, DrumParam.Pan, (b & 32) === 0 ? -1 : 1);
    if ((b & 31) === 2) kit.choke((b >> 5) & 7);
    kit.render(block, 50, BLOCK);
  }
}

Deno.test("DrumKit.render allocates nothing in steady state (V8 heap sampling)", async () => {
  const kit = new DrumKit(RATE);
  const block = new Float32Array(2 * BLOCK);
  drumScenario(kit, block, 4000); // let V8 optimise first
  const bytes = await sampledAllocation(() => drumScenario(kit, block, 10000), "drumScenario");
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~160 KB.
  assert.ok(bytes < 32 * 1024, `${bytes} bytes sampled while rendering 10000 blocks`);
});
