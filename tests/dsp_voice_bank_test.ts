import assert from "node:assert/strict";
import { Envelope, EnvelopeCurve } from "../dsp/envelope.ts";
import { noteToHz } from "../dsp/instrument.ts";
import { Oscillator, Waveform, type WaveformId } from "../dsp/oscillator.ts";
import { SvfFilter, svfMagnitude, SvfMode, type SvfModeId } from "../dsp/svf.ts";
import { resonanceToQ } from "../dsp/svf_lowpass.ts";
import {
  BankEnvelope,
  VOICE_BANK_CONTROL_FRAMES,
  VOICE_BANK_MAX_LANES,
  VoiceBank,
} from "../dsp/voice_bank.ts";
import { sampledAllocation } from "./_alloc.ts";
import { seededRandom } from "./_random.ts";
import {
  magnitudeNear,
  magnitudeSpectrum,
  type Spectrum,
  worstNonHarmonicDb,
} from "./_spectrum.ts";
import { compileVoiceBank, embeddedVoiceBank, KERNEL_MEMORY_BASE } from "./_wasm_build.ts";

const RATE = 48000;
const BLOCK = 128;
const FFT_SIZE = 1 << 16;
const SETTLE = 4096;

/** MIDI note of `hz` (the inverse of noteToHz). */
function hzToNote(hz: number): number {
  return 69 + 12 * Math.log2(hz / 440);
}

/** A bank with a flat amp envelope (no attack, sustain 1) after `setup`, parameters settled. */
function flatBank(setup: (bank: VoiceBank) => void = () => {}, lanes = 4): VoiceBank {
  const bank = new VoiceBank(RATE, { lanes });
  bank.setEnvelope(BankEnvelope.Amp, { attackMs: 0, decayMs: 0, sustain: 1 });
  setup(bank);
  bank.settle();
  return bank;
}

function render(bank: VoiceBank, frames: number): Float64Array {
  const out = new Float64Array(frames);
  bank.render(out, 0, frames);
  return out;
}

function spectrumOf(x: Float64Array): Spectrum {
  return magnitudeSpectrum(x, { start: SETTLE, size: FFT_SIZE, sampleRate: RATE });
}

/** Magnitude near `freq`: the largest bin within ±4 (the window's main lobe). */
function magnitudeAt(spectrum: Spectrum, freq: number): number {
  return magnitudeNear(spectrum, freq, 4);
}

function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

function rmsFrom(x: Float64Array, start: number): number {
  let sum = 0;
  for (let i = start; i < x.length; i++) sum += (x[i] as number) ** 2;
  return Math.sqrt(sum / (x.length - start));
}

Deno.test("the embedded voice bank kernel is exactly what the AssemblyScript source compiles to", async () => {
  const [fresh, embedded] = await Promise.all([compileVoiceBank(), embeddedVoiceBank()]);
  assert.equal(embedded.length, fresh.length, "run bin/build-wasm after editing dsp/_wasm/");
  assert.ok(
    embedded.every((b, i) => b === fresh[i]),
    "run bin/build-wasm after editing dsp/_wasm/",
  );
  // The kernel's own memory layout ends below the compiler's static data.
  const instance = new WebAssembly.Instance(new WebAssembly.Module(embedded as BufferSource), {});
  const layoutEnd = (instance.exports.layoutEnd as () => number)();
  assert.ok(layoutEnd <= KERNEL_MEMORY_BASE, `layout ends at ${layoutEnd}`);
});

Deno.test("VoiceBank renders what Oscillator → SvfFilter → Envelope renders, within float32 precision", () => {
  const note = hzToNote(750);
  for (const wave of [0, 1, 2, 3, 4] as WaveformId[]) {
    for (const mode of [SvfMode.Lowpass, SvfMode.Highpass, SvfMode.Bandpass, SvfMode.Notch]) {
      const bank = new VoiceBank(RATE, { lanes: 4 });
      bank.setWaveform(wave);
      bank.setPulseWidth(0.3);
      bank.setFilterMode(mode);
      bank.setCutoff(2000);
      bank.setResonance(0.4);
      const times = { attackMs: 3, decayMs: 20, sustain: 0.6, releaseMs: 15 };
      bank.setEnvelope(BankEnvelope.Amp, { ...times, velocitySensitivity: 1 });
      bank.settle();
      bank.start(2, note, 0.9);
      const got = render(bank, 2400);
      bank.release(2);
      const tail = render(bank, 1200);

      // The same voice, by hand, in float64.
      const osc = new Oscillator(RATE, {
        waveform: wave,
        frequency: noteToHz(Math.fround(note)),
        pulseWidth: 0.3,
      });
      const filter = new SvfFilter(RATE, { mode, cutoffHz: 2000, resonance: 0.4 });
      const env = new Envelope(RATE, { ...times, velocitySensitivity: 1 });
      env.gateOn(0.9);
      const want = new Float64Array(3600);
      const levels = new Float64Array(3600);
      osc.process(want, 0, 3600);
      filter.process(want, 0, 3600);
      env.process(levels, 0, 2400);
      env.gateOff();
      env.process(levels, 2400, 3600);
      let worst = 0;
      for (let i = 0; i < 3600; i++) {
        const x = i < 2400 ? got[i] as number : tail[i - 2400] as number;
        worst = Math.max(worst, Math.abs(x - (want[i] as number) * (levels[i] as number)));
      }
      assert.ok(worst < 2e-3, `waveform ${wave}, mode ${mode}: differs by ${worst}`);
    }
  }
});

Deno.test("VoiceBank at 5 kHz keeps every alias at least 40 dB below the fundamental", () => {
  const cases: [string, (b: VoiceBank) => void, number][] = [
    ["saw", (b) => b.setWaveform(Waveform.Saw), 5000],
    ["square", (b) => b.setWaveform(Waveform.Square), 5000],
    ["pulse 25 %", (b) => (b.setWaveform(Waveform.Pulse), b.setPulseWidth(0.25)), 5000],
    ["triangle", (b) => b.setWaveform(Waveform.Triangle), 5000],
    ["saw + sub", (b) => (b.setWaveform(Waveform.Saw), b.setSubLevel(1)), 2500],
  ];
  for (const [name, setup, base] of cases) {
    const bank = flatBank(setup);
    bank.start(0, hzToNote(5000), 1);
    const worst = worstNonHarmonicDb(spectrumOf(render(bank, SETTLE + FFT_SIZE)), 5000, base, 4);
    assert.ok(worst < -40, `${name}: alias at ${worst.toFixed(1)} dB`);
  }
});

Deno.test("VoiceBank saw has the harmonic series 1/n", () => {
  const bank = flatBank((b) => b.setWaveform(Waveform.Saw));
  const f0 = 750; // 1024 bins exactly
  bank.start(0, hzToNote(f0), 1);
  const spectrum = spectrumOf(render(bank, SETTLE + FFT_SIZE));
  const fundamental = magnitudeAt(spectrum, f0);
  assert.ok(Math.abs(db(fundamental / (2 / Math.PI))) < 0.1, `fundamental ${fundamental}`);
  // Below 6 kHz the open low-pass (20 kHz, Q 0.707) takes off less than 0.1 dB.
  for (let n = 2; n <= 8; n++) {
    const level = db(magnitudeAt(spectrum, n * f0) / fundamental);
    assert.ok(Math.abs(level - db(1 / n)) < 0.1, `harmonic ${n}: ${level.toFixed(2)} dB`);
  }
});

Deno.test("VoiceBank filter magnitudes at ½, 1 and 2 × cutoff match the analytic SVF response within 0.1 dB", () => {
  const cutoff = 1000;
  const resonance = 0.3;
  for (const mode of [0, 1, 2, 3] as SvfModeId[]) {
    for (const ratio of [0.5, 1, 2]) {
      if (mode === SvfMode.Notch && ratio === 1) continue; // −∞ dB
      const f = cutoff * ratio;
      const open = flatBank((b) => b.setWaveform(Waveform.Sine));
      const shut = flatBank((b) => {
        b.setWaveform(Waveform.Sine);
        b.setFilterMode(mode);
        b.setCutoff(cutoff);
        b.setResonance(resonance);
      });
      open.start(0, hzToNote(f), 1);
      shut.start(0, hzToNote(f), 1);
      const got = db(rmsFrom(render(shut, 24000), 4800) / rmsFrom(render(open, 24000), 4800));
      const want = db(svfMagnitude(mode, f, cutoff, resonanceToQ(resonance), RATE));
      assert.ok(Math.abs(got - want) < 0.1, `mode ${mode} at ${f} Hz: ${got} dB, want ${want}`);
    }
  }
});

Deno.test("VoiceBank amp envelope stages change on the same frames as Envelope's", () => {
  for (const curve of [EnvelopeCurve.Linear, EnvelopeCurve.Exponential]) {
    const times = { attackMs: 1, decayMs: 2, sustain: 0.25, releaseMs: 1.5 };
    const curves = { attackCurve: curve, decayCurve: curve, releaseCurve: curve };
    const bank = new VoiceBank(RATE, { lanes: 4 });
    bank.setEnvelope(BankEnvelope.Amp, { ...times, ...curves });
    bank.settle();
    const env = new Envelope(RATE, { ...times, ...curves });
    const one = new Float64Array(1);
    bank.start(1, 60, 1);
    env.gateOn(1);
    for (let i = 0; i < 400; i++) {
      if (i === 200) {
        bank.release(1);
        env.gateOff();
      }
      bank.render(one, 0, 1);
      const want = env.next();
      assert.equal(bank.stage(1), env.stage, `curve ${curve}, frame ${i}: stage`);
      assert.ok(Math.abs(bank.level(1) - want) < 1e-5, `curve ${curve}, frame ${i}`);
    }
    assert.ok(bank.isIdle(1), "idle after the release");
  }
});

Deno.test("VoiceBank plays a 16-note chord on 16 voices, every fundamental present", () => {
  const bank = flatBank((b) => b.setWaveform(Waveform.Sine), 16);
  const notes = Array.from({ length: 16 }, (_, k) => 48 + 2 * k);
  notes.forEach((note, lane) => bank.start(lane, note, 1));
  const spectrum = spectrumOf(render(bank, SETTLE + FFT_SIZE));
  for (let lane = 0; lane < 16; lane++) {
    assert.equal(bank.isIdle(lane), false);
    // Off-bin tones lose up to 0.83 dB to the Blackman-Harris window's scalloping.
    const level = magnitudeAt(spectrum, noteToHz(notes[lane] as number));
    assert.ok(Math.abs(db(level)) < 0.9, `note ${notes[lane]}: ${db(level)} dB`);
  }
});

Deno.test("VoiceBank glide moves linearly in semitones and lands on the target at a control point", () => {
  const bank = flatBank();
  bank.start(0, 60, 1);
  const glide = 1000; // frames
  bank.moveTo(0, 72, glide);
  const one = new Float64Array(VOICE_BANK_CONTROL_FRAMES);
  let previous = 60;
  for (let done = 0; done < glide + 2 * VOICE_BANK_CONTROL_FRAMES;) {
    bank.render(one, 0, one.length);
    done += one.length;
    const pitch = bank.pitch(0);
    assert.ok(pitch >= previous, `frame ${done}: ${pitch} < ${previous}`);
    const want = Math.min(72, 60 + (12 * done) / glide);
    assert.ok(Math.abs(pitch - want) < 1e-3, `frame ${done}: ${pitch}, want ${want}`);
    previous = pitch;
  }
  assert.equal(bank.pitch(0), 72);
});

Deno.test("VoiceBank filter envelope and key tracking move the cutoff", () => {
  // Envelope: 5 octaves up from 250 Hz at the peak, back to the base over 200 ms.
  const bank = flatBank((b) => {
    b.setWaveform(Waveform.Saw);
    b.setCutoff(250);
    b.setFilterEnvAmount(5);
    b.setEnvelope(BankEnvelope.Filter, { attackMs: 0, decayMs: 200, sustain: 0 });
  });
  bank.start(0, 45, 1);
  const early = render(bank, 480);
  const fenvEarly = bank.filterEnvelope(0);
  render(bank, 48000);
  const late = render(bank, 480);
  // At control points the filter envelope is Envelope's level at that frame.
  const reference = new Envelope(RATE, { attackMs: 0, decayMs: 200, sustain: 0 });
  reference.gateOn(1);
  const curve = new Float64Array(480);
  reference.process(curve, 0, 480);
  const want = curve[479] as number;
  assert.ok(Math.abs(fenvEarly - want) < 0.005, `after 10 ms: ${fenvEarly}, want ${want}`);
  assert.equal(bank.filterEnvelope(0), 0, "sustain 0 after the decay");
  // Brightness: the RMS of the first difference (a high-pass) over the RMS.
  const brightness = (x: Float64Array) => {
    const d = x.map((v, i) => i === 0 ? 0 : v - (x[i - 1] as number));
    return rmsFrom(d, 1) / rmsFrom(x, 1);
  };
  assert.ok(
    brightness(early) > 3 * brightness(late),
    `brightness ${brightness(early)} vs ${brightness(late)}`,
  );
  // Key tracking 1: an octave up moves the cutoff an octave up, so the
  // fundamental sits at the same point of the response: same level.
  const levels = [60, 72].map((note) => {
    const b = flatBank((b) => {
      b.setWaveform(Waveform.Sine);
      b.setCutoff(noteToHz(60));
      b.setKeyTrack(1);
      b.setResonance(0.5);
    });
    b.start(0, note, 1);
    return rmsFrom(render(b, 9600), 4800);
  });
  assert.ok(Math.abs(db((levels[1] as number) / (levels[0] as number))) < 0.05);
});

Deno.test("VoiceBank sub-oscillator adds the octave below; FM adds Bessel sidebands", () => {
  const f0 = 750;
  const sub = flatBank((b) => (b.setWaveform(Waveform.Sine), b.setSubLevel(0.5)));
  sub.start(0, hzToNote(f0), 1);
  const s1 = spectrumOf(render(sub, SETTLE + FFT_SIZE));
  // A square of amplitude 0.5 has its fundamental at 0.5·4/π.
  assert.ok(Math.abs(db(magnitudeAt(s1, f0 / 2) / (2 / Math.PI))) < 0.1);
  // Sine carrier, modulator at 3 × f0, index 1 rad: f0 ± 3·f0 at J1(1)/J0(1) of the carrier.
  const fm = flatBank((b) => (b.setWaveform(Waveform.Sine), b.setFm(3, 1)));
  fm.start(0, hzToNote(f0), 1);
  const s2 = spectrumOf(render(fm, SETTLE + FFT_SIZE));
  const j0 = 0.7651976865579666;
  const j1 = 0.44005058574493355;
  const ratio = db(magnitudeAt(s2, 4 * f0) / magnitudeAt(s2, f0));
  assert.ok(Math.abs(ratio - db(j1 / j0)) < 0.2, `upper sideband ${ratio.toFixed(2)} dB`);
});

Deno.test("VoiceBank snapshots restore every voice bit for bit; a corrupt one is repaired, voice by voice", () => {
  const setup = (b: VoiceBank) => {
    b.setWaveform(Waveform.Saw);
    b.setCutoff(900);
    b.setFilterEnvAmount(2);
    b.setSubLevel(0.3);
  };
  const bank = flatBank(setup, 8);
  for (let lane = 0; lane < 8; lane++) bank.start(lane, 40 + 3 * lane, 0.7);
  render(bank, 1000);
  bank.release(3);
  bank.moveTo(5, 70, 2000);
  const state = new Float64Array(bank.stateSize);
  assert.equal(bank.saveState(state, 0), bank.stateSize);
  const a = render(bank, 3000);
  // Parameters are the owner's: the loading bank is set up the same way.
  const other = flatBank(setup, 8);
  other.loadState(state, 0);
  const b = render(other, 3000);
  assert.deepEqual(b, a);
  // Junk in every slot (as the rack passes it: non-finite values as 0, or
  // anything): output stays finite, parameters stay, new notes play.
  const random = seededRandom(9);
  for (const fill of [() => 0, () => NaN, () => (random() - 0.5) * 1e6, () => random()]) {
    const junk = state.map(fill);
    const bank = flatBank((b) => b.setWaveform(Waveform.Sine), 8);
    bank.loadState(junk, 0);
    assert.ok(render(bank, 2048).every((x) => Number.isFinite(x) && Math.abs(x) < 1e4));
    bank.start(0, hzToNote(750), 1);
    const out = render(bank, SETTLE + FFT_SIZE);
    assert.ok(out.every(Number.isFinite));
    const peak = magnitudeAt(spectrumOf(out), 750);
    assert.ok(peak > 0.5, `a new note after a corrupt load: ${peak}`);
  }
});

Deno.test("VoiceBank refuses junk with a RangeError and changes nothing; random junk never breaks the output", () => {
  const bank = flatBank(undefined, 8);
  for (const bad of [NaN, Infinity, -Infinity]) {
    assert.throws(() => bank.setCutoff(bad), RangeError);
    assert.throws(() => bank.setResonance(bad), RangeError);
    assert.throws(() => bank.setDetune(bad), RangeError);
    assert.throws(() => bank.setFm(bad, 1), RangeError);
    assert.throws(() => bank.start(0, bad, 1), RangeError);
    assert.throws(
      () => bank.setEnvelope(BankEnvelope.Amp, { attackMs: 5, sustain: bad }),
      RangeError,
    );
  }
  assert.throws(() => bank.start(8, 60, 1), RangeError);
  assert.throws(() => bank.setWaveform(7 as WaveformId), RangeError);
  assert.throws(() => new VoiceBank(RATE, { lanes: VOICE_BANK_MAX_LANES + 1 }), RangeError);
  // A refused envelope change writes none of its fields.
  bank.start(0, 60, 1);
  assert.throws(
    () => bank.setEnvelope(BankEnvelope.Amp, { attackMs: 500, sustain: 2 }),
    RangeError,
  );
  bank.release(0);
  bank.start(0, 60, 1);
  render(bank, 2);
  assert.equal(bank.level(0), 1, "attack still 0 ms");

  const random = seededRandom(4);
  const junk = [NaN, Infinity, -Infinity, 1e30, -1e30, -1, 0, 0.5, 1, 3, 1e5];
  const pick = () => junk[Math.floor(random() * junk.length)] as number;
  const calls: ((x: number) => void)[] = [
    (x) => bank.setWaveform(Math.floor(Math.abs(x)) % 5 as WaveformId),
    (x) => bank.setDetune(x),
    (x) => bank.setPulseWidth(x),
    (x) => bank.setSubLevel(x),
    (x) => bank.setFm(x, pick()),
    (x) => bank.setFilterMode(Math.floor(Math.abs(x)) % 4 as SvfModeId),
    (x) => bank.setCutoff(x),
    (x) => bank.setResonance(x),
    (x) => bank.setKeyTrack(x),
    (x) => bank.setFilterEnvAmount(x),
    (x) => bank.setEnvelope(BankEnvelope.Filter, { attackMs: x, sustain: random() }),
    (x) => bank.start(Math.floor(random() * 8), x, pick()),
    (x) => bank.moveTo(Math.floor(random() * 8), x, pick()),
    () => bank.release(Math.floor(random() * 8)),
  ];
  const block = new Float64Array(BLOCK);
  for (let step = 0; step < 3000; step++) {
    const call = calls[Math.floor(random() * calls.length)] as (x: number) => void;
    try {
      call(pick());
    } catch (e) {
      assert.ok(e instanceof RangeError, String(e));
    }
    block.fill(0);
    bank.render(block, 0, BLOCK);
    for (const x of block) {
      // Eight voices, each a waveform of peak ≤ 2 through a filter of Q ≤ 20.
      assert.ok(Number.isFinite(x) && Math.abs(x) < 8 * 2 * 40, `step ${step}: ${x}`);
    }
  }
});

function renderBlocks(bank: VoiceBank, block: Float64Array, blocks: number): void {
  for (let b = 0; b < blocks; b++) bank.render(block, 0, BLOCK);
}

Deno.test("VoiceBank.render allocates nothing per block", async () => {
  const bank = flatBank((b) => {
    b.setWaveform(Waveform.Saw);
    b.setSubLevel(0.2);
    b.setFm(2, 0.5);
    b.setFilterEnvAmount(1);
  }, 16);
  for (let lane = 0; lane < 16; lane++) bank.start(lane, 40 + lane, 1);
  const block = new Float64Array(BLOCK);
  renderBlocks(bank, block, 20000); // let V8 optimise first
  const bytes = await sampledAllocation(() => renderBlocks(bank, block, 40000), "renderBlocks");
  // Sampled every 64 bytes on average: 16 bytes per block would show as ~640 KB.
  assert.ok(bytes < 64 * 1024, `${bytes} bytes sampled while rendering 40000 blocks`);
});
