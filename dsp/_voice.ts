/**
 * One voice of an {@linkcode Instrument} (instrument.ts): band-limited
 * {@linkcode Oscillator} → {@linkcode SvfFilter} (cutoff modulated by a
 * filter {@linkcode Envelope} and key tracking) → amp {@linkcode Envelope},
 * with a pitch glide (portamento) linear in semitones over a set time.
 *
 * Private to dsp/: the instrument owns the voices, forwards its parameter
 * setters to their parts and passes the parameters every voice shares
 * (filter-envelope amount, key tracking) as per-frame buffers.
 *
 * @module
 */

import { SCRATCH_FRAMES } from "./_scratch.ts";
import type { AdsrStageId } from "./adsr.ts";
import { Envelope, ENVELOPE_STATE_SIZE } from "./envelope.ts";
import { Oscillator, OSCILLATOR_STATE_SIZE, Waveform } from "./oscillator.ts";
import { SVF_FILTER_STATE_SIZE, SvfFilter } from "./svf.ts";
import type { Frames, Hz } from "./units.ts";

/**
 * Frames between frequency updates of the oscillator during a glide: the
 * glide is a staircase of this step, which the oscillator's own frequency
 * smoother (5 ms) rounds off.
 */
export const GLIDE_STEP_FRAMES: Frames = 16;

/** Own slots of a voice snapshot: pitch, glide target, glide step, glide frames left. */
const OWN_STATE = 4;

/** Float64 slots used by {@linkcode Voice.saveState}. */
export const VOICE_STATE_SIZE = OWN_STATE + OSCILLATOR_STATE_SIZE + SVF_FILTER_STATE_SIZE +
  2 * ENVELOPE_STATE_SIZE;

/**
 * Frequency in Hz of MIDI note `note` (A4 = 69 = 440 Hz, fractions allowed):
 * 440·2^((note − 69)/12).
 *
 * @example
 * ```ts
 * import { noteToHz } from "./_voice.ts";
 * noteToHz(69); // 440
 * noteToHz(60); // 261.63 (middle C)
 * ```
 */
export function noteToHz(note: number): Hz {
  return 440 * Math.pow(2, (note - 69) / 12);
}

/**
 * Oscillator → filter → amp envelope, see the module doc. Note methods are
 * control side; {@linkcode render} is the render loop's and allocates
 * nothing.
 */
export class Voice {
  /** The voice's oscillator (setters forwarded by the instrument). */
  readonly osc: Oscillator;
  /** The voice's filter. */
  readonly filter: SvfFilter;
  /** Amplitude envelope; the voice is silent once it is idle. */
  readonly amp: Envelope;
  /** Filter envelope (0..1, scaled by the shared amount in octaves). */
  readonly fenv: Envelope;
  /** Current pitch in semitones (MIDI note number, fractional while gliding). */
  #pitch = 60;
  #target = 60;
  /** Semitones per frame while gliding. */
  #step = 0;
  /** Frames of glide left; 0 when not gliding. */
  #left = 0;
  readonly #buf = new Float64Array(SCRATCH_FRAMES);
  readonly #pitches = new Float64Array(SCRATCH_FRAMES);
  readonly #fenvs = new Float64Array(SCRATCH_FRAMES);
  readonly #amps = new Float64Array(SCRATCH_FRAMES);
  readonly #mod = new Float64Array(SCRATCH_FRAMES);

  /** A silent voice at `sampleRate` Hz. */
  constructor(sampleRate: Hz) {
    this.osc = new Oscillator(sampleRate, { waveform: Waveform.Saw, frequency: noteToHz(60) });
    this.filter = new SvfFilter(sampleRate, { cutoffHz: 20000 });
    this.amp = new Envelope(sampleRate, { velocitySensitivity: 1 });
    this.fenv = new Envelope(sampleRate);
  }

  /** Current pitch (semitones, MIDI numbering). */
  get pitch(): number {
    return this.#pitch;
  }

  /** True once the amp envelope is idle: the voice outputs nothing. */
  get isIdle(): boolean {
    return this.amp.isIdle;
  }

  /** Stage of the amp envelope. */
  get stage(): AdsrStageId {
    return this.amp.stage;
  }

  /**
   * Start from silence at `note` with `velocity`: phase, filter and
   * envelopes reset, parameters jump to their targets, no glide.
   */
  start(note: number, velocity: number): void {
    this.#jumpTo(note);
    this.osc.settle();
    this.osc.resetPhase(0);
    this.filter.reset();
    this.amp.reset();
    this.fenv.reset();
    this.amp.gateOn(velocity);
    this.fenv.gateOn(velocity);
  }

  /** Retrigger both envelopes from their current levels and move to `note` (gliding over `glideFrames`). */
  retrigger(note: number, velocity: number, glideFrames: Frames): void {
    this.moveTo(note, glideFrames);
    this.amp.gateOn(velocity);
    this.fenv.gateOn(velocity);
  }

  /** Move to `note`: a glide linear in semitones over `glideFrames` (0: at once). */
  moveTo(note: number, glideFrames: Frames): void {
    if (!(glideFrames >= 1) || note === this.#pitch) {
      this.#jumpTo(note);
      return;
    }
    this.#target = note;
    this.#left = glideFrames;
    this.#step = (note - this.#pitch) / glideFrames;
  }

  /** Close both gates (release). */
  release(): void {
    this.amp.gateOff();
    this.fenv.gateOff();
  }

  /** Silence at once: envelopes idle, glide stopped. */
  stop(): void {
    this.amp.reset();
    this.fenv.reset();
    this.#jumpTo(this.#target);
  }

  /**
   * Add `n` (<= SCRATCH_FRAMES) frames of the voice to `out[0..n)`. The filter
   * cutoff moves by `envAmounts[i]`·filterEnvelope + `keyTracks[i]`·(pitch −
   * 60)/12 octaves when `modulate` is true; `envAmounts` and `keyTracks`
   * are indexed from 0 like `out`. Render loop; integer and buffer
   * arguments only, so nothing is boxed (see _scratch.ts).
   */
  render(
    out: Float64Array,
    n: number,
    envAmounts: Float64Array,
    keyTracks: Float64Array,
    modulate: boolean,
  ): void {
    const buf = this.#buf;
    const pitches = this.#pitches;
    if (this.#left > 0) {
      this.#renderGliding(n);
    } else {
      this.osc.process(buf, 0, n);
      // A loop, not fill(): a double passed to a builtin is boxed.
      const pitch = this.#pitch;
      for (let i = 0; i < n; i++) pitches[i] = pitch;
    }
    this.fenv.process(this.#fenvs, 0, n);
    if (modulate) {
      const mod = this.#mod;
      const fenvs = this.#fenvs;
      for (let i = 0; i < n; i++) {
        // Literals 60 and 1/12: see _scratch.ts.
        mod[i] = (fenvs[i] as number) * (envAmounts[i] as number) +
          (keyTracks[i] as number) * ((pitches[i] as number) - 60) * (1 / 12);
      }
      this.filter.process(buf, 0, n, mod);
    } else {
      this.filter.process(buf, 0, n);
    }
    const amps = this.#amps;
    this.amp.process(amps, 0, n);
    for (let i = 0; i < n; i++) {
      out[i] = (out[i] as number) + (buf[i] as number) * (amps[i] as number);
    }
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst[offset] = this.#pitch;
    dst[offset + 1] = this.#target;
    dst[offset + 2] = this.#step;
    dst[offset + 3] = this.#left;
    let o = this.osc.saveState(dst, offset + OWN_STATE);
    o = this.filter.saveState(dst, o);
    o = this.amp.saveState(dst, o);
    return this.fenv.saveState(dst, o);
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. A pitch or glide a valid snapshot cannot hold stops the glide at a
   * valid pitch; the parts repair or guard their own state.
   */
  loadState(src: Float64Array, offset: number): number {
    const pitch = src[offset] ?? NaN;
    const target = src[offset + 1] ?? NaN;
    const step = src[offset + 2] ?? NaN;
    const left = src[offset + 3] ?? NaN;
    const ok = (x: number) => x >= 0 && x <= 127;
    this.#pitch = ok(pitch) ? pitch : 60;
    this.#target = ok(target) ? target : this.#pitch;
    const gliding = Number.isInteger(left) && left > 0 && Number.isFinite(step);
    this.#left = gliding ? left : 0;
    this.#step = gliding ? step : 0;
    if (!gliding) this.#pitch = this.#target;
    let o = this.osc.loadState(src, offset + OWN_STATE);
    o = this.filter.loadState(src, o);
    o = this.amp.loadState(src, o);
    return this.fenv.loadState(src, o);
  }

  /** Pitch to `note` at once; the oscillator's frequency glides over its smoothing time. */
  #jumpTo(note: number): void {
    this.#pitch = note;
    this.#target = note;
    this.#step = 0;
    this.#left = 0;
    this.osc.setFrequency(noteToHz(note));
  }

  /**
   * Oscillator output and pitches of frames 0..n during a glide: the pitch
   * moves by the step per frame, reaching the target exactly; the
   * oscillator's frequency is updated every {@linkcode GLIDE_STEP_FRAMES}.
   */
  #renderGliding(n: number): void {
    const pitches = this.#pitches;
    let pitch = this.#pitch;
    let left = this.#left;
    const step = this.#step;
    const target = this.#target;
    for (let j = 0; j < n; j += GLIDE_STEP_FRAMES) {
      const m = n - j < GLIDE_STEP_FRAMES ? n - j : GLIDE_STEP_FRAMES;
      for (let i = j; i < j + m; i++) {
        if (left > 0) {
          left--;
          pitch = left === 0 ? target : pitch + step;
        }
        pitches[i] = pitch;
      }
      this.osc.setFrequency(440 * Math.pow(2, (pitch - 69) * (1 / 12)));
      this.osc.process(this.#buf, j, j + m);
    }
    this.#pitch = pitch;
    this.#left = left;
  }
}
