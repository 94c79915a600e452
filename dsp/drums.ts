/**
 * A synthesized drum kit (no sample library ships): kick, snare, closed and
 * open hi-hat, clap and three toms, playable by drum id or General MIDI note
 * number, mixed into an interleaved stereo block.
 *
 * The drums, each a voice that a trigger restarts:
 * - Kick: a sine sweeping from 3× down to its pitch (50 Hz), plus a noise
 *   click (amount: tone).
 * - Snare: a tonal body (180 Hz and 1.47× that, short pitch drop) decaying in
 *   half the decay time, plus high-passed noise (1.5 kHz); tone balances
 *   body (0) against noise (1).
 * - Closed / open hat: six square "metal" partials (the TR-808 ratios) mixed
 *   with noise (tone = noise share) through a 24 dB/octave high-pass at
 *   7 kHz. A closed-hat trigger chokes a ringing open hat, as on a real kit.
 * - Clap: noise through a 1.1 kHz band-pass (tone crossfades to a high-pass),
 *   four bursts {@linkcode CLAP_BURST_MS} apart over a longer tail.
 * - Toms (low, mid, high): a sine with a small pitch drop and a noise attack
 *   (tone).
 *
 * Every amplitude envelope is a normalised exponential that reaches exactly 0
 * at the decay time: with r falling from 1 by {@linkcode drumDecayCoefficient}
 * per frame (−60 dB after the decay time), the envelope is
 * (r − 0.001)/(1 − 0.001) while r > 0.001, then 0 and the voice goes idle.
 * So a hit is silent from its decay time on (tune, level, decay, tone held).
 *
 * Per-drum parameters ({@linkcode DrumParam}): level, tune (semitones),
 * decay (ms), tone (0..1) and pan; each is smoothed while its drum sounds and
 * jumps to its target when an idle drum is triggered, so every hit starts
 * from the current settings exactly. Setters never throw: finite values are
 * clamped, NaN and ±Infinity are ignored (the setter returns false).
 *
 * Sample accuracy: {@linkcode DrumKit.render} renders a frame range, so a
 * trigger at frame k of a block is `render(out, 0, k)`, `trigger(...)`,
 * `render(out, k, n)`. The output does not depend on how a block is split.
 * All noise is seeded per voice (xorshift32), so two kits given the same
 * calls produce bit-identical output, and a snapshot
 * ({@linkcode DrumKit.saveState}) makes another kit continue bit-identically.
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { noiseSeedState } from "./noise.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Frames, Hz, Milliseconds } from "./units.ts";

/** The drums of a {@linkcode DrumKit}: values for `trigger` and `setParam`. */
export const Drum = {
  /** Bass drum: swept sine and click. */
  Kick: 0,
  /** Snare: tonal body and high-passed noise. */
  Snare: 1,
  /** Closed hi-hat: short metallic noise; chokes the open hat. */
  ClosedHat: 2,
  /** Open hi-hat: long metallic noise. */
  OpenHat: 3,
  /** Hand clap: band-passed noise bursts and a tail. */
  Clap: 4,
  /** Low tom. */
  LowTom: 5,
  /** Mid tom. */
  MidTom: 6,
  /** High tom. */
  HighTom: 7,
} as const;

/** A drum (a value of {@linkcode Drum}). */
export type DrumId = typeof Drum[keyof typeof Drum];

/** Number of drums; valid ids are 0 .. DRUM_COUNT - 1. */
export const DRUM_COUNT = 8;

/** Per-drum parameters of a {@linkcode DrumKit}: values for `setParam`. */
export const DrumParam = {
  /** Linear level, 0..1. */
  Level: 0,
  /** Pitch offset in semitones, ±{@linkcode DRUM_TUNE_RANGE}. */
  Tune: 1,
  /** Decay time in ms (to silence), within the drum's {@linkcode DrumSpec} range. */
  Decay: 2,
  /** Timbre, 0..1: click (kick, toms), noise share (snare, hats), brightness (clap). */
  Tone: 3,
  /** Balance, −1 (left only) .. 0 (both channels at full level) .. 1 (right only). */
  Pan: 4,
} as const;

/** A drum parameter (a value of {@linkcode DrumParam}). */
export type DrumParamId = typeof DrumParam[keyof typeof DrumParam];

/** Number of per-drum parameters; valid ids are 0 .. DRUM_PARAM_COUNT - 1. */
export const DRUM_PARAM_COUNT = 5;

/** Largest tune offset either way, in semitones (two octaves). */
export const DRUM_TUNE_RANGE = 24;

/** Spacing of the clap's four bursts, in ms. */
export const CLAP_BURST_MS: Milliseconds = 10;

/** Decay time (to −60 dB and silence) of a choked drum, in ms. */
export const DRUM_CHOKE_MS: Milliseconds = 30;

/** Name, General MIDI note, pitch and parameter defaults of one drum. */
export interface DrumSpec {
  /** The drum id. */
  readonly id: DrumId;
  /** Lower-case name, e.g. "kick", "closed-hat". */
  readonly name: string;
  /** Its General MIDI (channel 10) note number. */
  readonly note: number;
  /**
   * Pitch at tune 0 in Hz: the sine's end pitch (kick, toms), the body
   * (snare), the lowest metal partial (hats) or the band-pass centre (clap).
   */
  readonly pitchHz: Hz;
  /** Default level, 0..1. */
  readonly level: number;
  /** Default decay in ms. */
  readonly decayMs: Milliseconds;
  /** Shortest decay in ms. */
  readonly minDecayMs: Milliseconds;
  /** Longest decay in ms. */
  readonly maxDecayMs: Milliseconds;
  /** Default tone, 0..1. */
  readonly tone: number;
}

/**
 * Specs of every drum, indexed by id. Default levels keep a single hit at
 * velocity 1 below full scale.
 *
 * @example
 * ```ts
 * import { Drum, DRUM_SPECS } from "./drums.ts";
 * DRUM_SPECS[Drum.Snare]?.note; // 38
 * ```
 */
export const DRUM_SPECS: readonly DrumSpec[] = [
  {
    id: Drum.Kick,
    name: "kick",
    note: 36,
    pitchHz: 50,
    level: 0.8,
    decayMs: 450,
    minDecayMs: 20,
    maxDecayMs: 4000,
    tone: 0.3,
  },
  {
    id: Drum.Snare,
    name: "snare",
    note: 38,
    pitchHz: 180,
    level: 0.7,
    decayMs: 220,
    minDecayMs: 20,
    maxDecayMs: 2000,
    tone: 0.5,
  },
  {
    id: Drum.ClosedHat,
    name: "closed-hat",
    note: 42,
    pitchHz: 205.3,
    level: 0.5,
    decayMs: 70,
    minDecayMs: 10,
    maxDecayMs: 1000,
    tone: 0.5,
  },
  {
    id: Drum.OpenHat,
    name: "open-hat",
    note: 46,
    pitchHz: 205.3,
    level: 0.5,
    decayMs: 450,
    minDecayMs: 20,
    maxDecayMs: 4000,
    tone: 0.5,
  },
  {
    id: Drum.Clap,
    name: "clap",
    note: 39,
    pitchHz: 1100,
    level: 0.6,
    decayMs: 250,
    minDecayMs: 50,
    maxDecayMs: 3000,
    tone: 0.3,
  },
  {
    id: Drum.LowTom,
    name: "low-tom",
    note: 45,
    pitchHz: 100,
    level: 0.7,
    decayMs: 450,
    minDecayMs: 20,
    maxDecayMs: 4000,
    tone: 0.2,
  },
  {
    id: Drum.MidTom,
    name: "mid-tom",
    note: 47,
    pitchHz: 140,
    level: 0.7,
    decayMs: 400,
    minDecayMs: 20,
    maxDecayMs: 4000,
    tone: 0.2,
  },
  {
    id: Drum.HighTom,
    name: "high-tom",
    note: 50,
    pitchHz: 200,
    level: 0.7,
    decayMs: 350,
    minDecayMs: 20,
    maxDecayMs: 4000,
    tone: 0.2,
  },
];

/** The main General MIDI note of each drum, indexed by drum id (36, 38, 42, 46, 39, 45, 47, 50). */
export const DRUM_NOTES: readonly number[] = DRUM_SPECS.map((s) => s.note);

/**
 * General MIDI percussion notes and the drum each plays: the notes of
 * {@linkcode DRUM_NOTES} plus their neighbours in the GM map (35 acoustic
 * bass drum, 40 electric snare, 44 pedal hi-hat, 41/43 floor toms, 48 hi-mid
 * tom).
 */
const NOTE_MAP: ReadonlyMap<number, DrumId> = new Map<number, DrumId>([
  [35, Drum.Kick],
  [36, Drum.Kick],
  [38, Drum.Snare],
  [40, Drum.Snare],
  [39, Drum.Clap],
  [42, Drum.ClosedHat],
  [44, Drum.ClosedHat],
  [46, Drum.OpenHat],
  [41, Drum.LowTom],
  [43, Drum.LowTom],
  [45, Drum.LowTom],
  [47, Drum.MidTom],
  [48, Drum.MidTom],
  [50, Drum.HighTom],
]);

/**
 * The drum played by General MIDI percussion note `note`, or undefined for a
 * note the kit does not map. Besides {@linkcode DRUM_NOTES}: 35 → kick,
 * 40 → snare, 44 → closed hat, 41 and 43 → low tom, 48 → mid tom.
 *
 * @example
 * ```ts
 * import { Drum, drumForNote } from "./drums.ts";
 * drumForNote(42) === Drum.ClosedHat; // true
 * drumForNote(60); // undefined
 * ```
 */
export function drumForNote(note: number): DrumId | undefined {
  return NOTE_MAP.get(note);
}

/**
 * Per-frame multiplier of an exponential decay that falls 60 dB (to 0.001)
 * in `decayMs` at `sampleRate`: 10^(−3 / (decayMs/1000 · sampleRate)).
 *
 * @throws {RangeError} if `decayMs` is not a finite number > 0 or the rate is out of range.
 *
 * @example
 * ```ts
 * import { drumDecayCoefficient } from "./drums.ts";
 * drumDecayCoefficient(100, 48000) ** 4800; // ≈ 0.001
 * ```
 */
export function drumDecayCoefficient(decayMs: Milliseconds, sampleRate: Hz): number {
  checkSampleRate(sampleRate);
  if (!(decayMs > 0 && decayMs < Infinity)) {
    throw new RangeError(`decay must be a finite number of ms > 0, got ${decayMs}`);
  }
  return Math.exp(DECAY_LOG / (decayMs * sampleRate));
}

/** ln(0.001) · 1000: a decay coefficient is exp(DECAY_LOG / (ms · rate)). */
const DECAY_LOG = Math.log(0.001) * 1000;

/** ln(2)/12: semitones to a natural-log frequency ratio. */
const SEMITONE_LOG = Math.LN2 / 12;

/** Frequencies of the six hat partials relative to the lowest (TR-808: 205.3 … 800 Hz). */
const HAT_RATIOS = [1, 304.4 / 205.3, 369.6 / 205.3, 522.7 / 205.3, 540 / 205.3, 800 / 205.3];
/** Starting phases of the hat partials, spread so their edges do not coincide. */
const HAT_PHASES = [0, 0.17, 0.43, 0.61, 0.29, 0.83];

/** Float64 slots of one voice in the kit's voice array (see the V_ offsets). */
const VOICE_SLOTS = 20;
/** 1 while the voice sounds, else 0. */
const V_ACTIVE = 0;
/** Velocity of the current hit, 0..1. */
const V_VELOCITY = 1;
/** Main envelope r: 1 at the trigger, times the decay coefficient per frame. */
const V_ENV = 2;
/** Second envelope: click (kick, toms), body (snare), burst (clap). */
const V_AUX = 3;
/** Pitch envelope, 1 → 0. */
const V_SWEEP = 4;
/** Oscillator phases in [0, 1): one (kick, toms), two (snare), six (hats). */
const V_PHASE = 5;
/** xorshift32 state of the voice's noise, a nonzero int32. */
const V_RNG = 11;
/** Integrators of the first and second SVF stage. */
const V_FILTER = 12;
/** Frames since the trigger (counted up to the clap's last burst). */
const V_FRAMES = 16;
/** 1 once choked (decays within DRUM_CHOKE_MS). */
const V_CHOKE = 17;
/** Declick tail: the previous hit's last output, fading out over ~1 ms after a retrigger. */
const V_TAIL = 18;
/** Last mono output of the voice (before level and pan). */
const V_LAST = 19;

/** Largest magnitude a filter integrator is restored to from a snapshot. */
const FILTER_LIMIT = 64;
/** Largest magnitude of a restored declick tail or last output. */
const OUTPUT_LIMIT = 8;

/** Number of float64 slots used by {@linkcode DrumKit.saveState}. */
export const DRUM_KIT_STATE_SIZE = DRUM_COUNT * VOICE_SLOTS +
  (DRUM_COUNT * DRUM_PARAM_COUNT + 1) * SMOOTHER_STATE_SIZE;

/** Options of {@linkcode DrumKit}. */
export interface DrumKitOptions {
  /** Seed of the voices' noise (its low 32 bits are used); default 1. */
  readonly seed?: number;
  /** Master gain, linear 0..1; default 1. */
  readonly gain?: number;
  /** Smoothing time constant of every continuous parameter in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function isDrum(drum: number): drum is DrumId {
  return Number.isInteger(drum) && drum >= 0 && drum < DRUM_COUNT;
}

function spec(drum: number): DrumSpec {
  return DRUM_SPECS[drum] as DrumSpec;
}

/** [lo, hi] of parameter `param` of `drum`. */
function paramRange(drum: number, param: number): readonly [number, number] {
  switch (param) {
    case DrumParam.Tune:
      return [-DRUM_TUNE_RANGE, DRUM_TUNE_RANGE];
    case DrumParam.Decay:
      return [spec(drum).minDecayMs, spec(drum).maxDecayMs];
    case DrumParam.Pan:
      return [-1, 1];
    default:
      return [0, 1];
  }
}

/** Default of parameter `param` of `drum`. */
function paramDefault(drum: number, param: number): number {
  const s = spec(drum);
  switch (param) {
    case DrumParam.Level:
      return s.level;
    case DrumParam.Decay:
      return s.decayMs;
    case DrumParam.Tone:
      return s.tone;
    default:
      return 0;
  }
}

/**
 * Eight synthesized drums (see the module doc) with per-drum level, tune,
 * decay, tone and pan, summed into an interleaved stereo block. The sum
 * passes a soft knee above 1 (linear below, so a normal mix is untouched),
 * which bounds what the kit adds to ±2 whatever the parameters.
 *
 * Triggers, setters, {@linkcode reset} and snapshots are called by the
 * control side between sub-blocks; {@linkcode render} by the render loop,
 * where it neither allocates nor throws.
 *
 * @example
 * ```ts
 * import { Drum, DrumKit, DrumParam } from "./drums.ts";
 * const kit = new DrumKit(48000, { seed: 7 });
 * kit.setParam(Drum.Snare, DrumParam.Tune, 2); // two semitones up
 * const block = new Float32Array(2 * 128); // interleaved L, R
 * kit.trigger(Drum.Kick, 1);
 * kit.render(block, 0, 40);
 * kit.triggerNote(42, 0.6); // closed hat at frame 40
 * kit.render(block, 40, 128); // adds into block
 * ```
 */
export class DrumKit {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode DRUM_KIT_STATE_SIZE}). */
  readonly stateSize: number = DRUM_KIT_STATE_SIZE;
  /** All voices' state, VOICE_SLOTS per drum. */
  readonly #voices = new Float64Array(DRUM_COUNT * VOICE_SLOTS);
  /** DRUM_PARAM_COUNT smoothers per drum, drum-major. */
  readonly #params: readonly ParamSmoother[];
  readonly #master: ParamSmoother;
  /** Ranges of the parameters, in #params order (whole numbers, so reading them boxes nothing). */
  readonly #lo: readonly number[];
  readonly #hi: readonly number[];
  /** Seeds of the voices' noise, restored by reset. */
  readonly #seeds = new Int32Array(DRUM_COUNT);
  readonly #invRate: number = 0;
  /** Per drum: pitch at tune 0 in Hz, sweep depth, sweep and aux-envelope coefficients. */
  readonly #pitch = new Float64Array(DRUM_COUNT);
  readonly #sweepDepth = new Float64Array(DRUM_COUNT);
  readonly #sweepCoef = new Float64Array(DRUM_COUNT);
  readonly #auxCoef = new Float64Array(DRUM_COUNT);
  readonly #hatRatios = Float64Array.from(HAT_RATIOS);
  readonly #chokeCoef: number = 0;
  readonly #tailCoef: number = 0;
  /** Frames between clap bursts (>= 1). */
  readonly #burstFrames: number = 1;
  /** 1 while the current voice's tune glides in this chunk (filters then recompute per frame). */
  #tuneGlide = 0;
  readonly #levels = new Float64Array(SCRATCH_FRAMES);
  readonly #pans = new Float64Array(SCRATCH_FRAMES);
  readonly #ratios = new Float64Array(SCRATCH_FRAMES);
  readonly #coefs = new Float64Array(SCRATCH_FRAMES);
  readonly #tones = new Float64Array(SCRATCH_FRAMES);
  readonly #mono = new Float64Array(SCRATCH_FRAMES);
  readonly #mixL = new Float64Array(SCRATCH_FRAMES);
  readonly #mixR = new Float64Array(SCRATCH_FRAMES);
  readonly #gains = new Float64Array(SCRATCH_FRAMES);
  readonly #pair = new Float64Array(SMOOTHER_STATE_SIZE);

  /**
   * A silent kit with every drum at its {@linkcode DRUM_SPECS} defaults.
   *
   * @param sampleRate sample rate in Hz.
   * @param options noise seed, master gain and smoothing time.
   * @throws {RangeError} for an out-of-range rate or smoothing time, or a non-finite option.
   */
  constructor(sampleRate: Hz, options: DrumKitOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    this.#invRate = 1 / sampleRate;
    const seed = options.seed ?? 1;
    checkFinite("seed", seed);
    const gain = options.gain ?? 1;
    checkFinite("gain", gain);
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    const params: ParamSmoother[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    for (let d = 0; d < DRUM_COUNT; d++) {
      for (let p = 0; p < DRUM_PARAM_COUNT; p++) {
        params.push(new ParamSmoother(sampleRate, { timeMs, initial: paramDefault(d, p) }));
        const [l, h] = paramRange(d, p);
        lo.push(l);
        hi.push(h);
      }
      this.#pitch[d] = spec(d).pitchHz;
      this.#seeds[d] = noiseSeedState(((seed >>> 0) + Math.imul(d + 1, 0x9e3779b9)) >>> 0);
    }
    this.#params = params;
    this.#lo = lo;
    this.#hi = hi;
    this.#master = new ParamSmoother(sampleRate, { timeMs, initial: clamp(gain, 0, 1) });
    const tau = (ms: number): number => Math.exp(-1000 / (ms * sampleRate));
    // Kick: 3× down to its pitch, time constant 30 ms; click 5 ms to -60 dB.
    this.#sweepDepth[Drum.Kick] = 2;
    this.#sweepCoef[Drum.Kick] = tau(30);
    this.#auxCoef[Drum.Kick] = drumDecayCoefficient(5, sampleRate);
    // Snare: body starts half an octave sharp (time constant 8 ms).
    this.#sweepDepth[Drum.Snare] = 0.5;
    this.#sweepCoef[Drum.Snare] = tau(8);
    // Clap: each burst falls 60 dB before the next.
    this.#burstFrames = Math.max(1, Math.round((CLAP_BURST_MS / 1000) * sampleRate));
    this.#auxCoef[Drum.Clap] = drumDecayCoefficient(CLAP_BURST_MS, sampleRate);
    // Toms: 1.35× down (time constant 40 ms); noise attack 8 ms to -60 dB.
    for (const d of [Drum.LowTom, Drum.MidTom, Drum.HighTom]) {
      this.#sweepDepth[d] = 0.35;
      this.#sweepCoef[d] = tau(40);
      this.#auxCoef[d] = drumDecayCoefficient(8, sampleRate);
    }
    this.#chokeCoef = drumDecayCoefficient(DRUM_CHOKE_MS, sampleRate);
    this.#tailCoef = tau(1);
    this.reset();
  }

  /** Current (smoothed) master gain. */
  get gain(): number {
    return this.#master.value;
  }

  /** True while `drum` sounds; false when idle or not a drum id. */
  isActive(drum: number): boolean {
    return isDrum(drum) && this.#voices[drum * VOICE_SLOTS + V_ACTIVE] === 1;
  }

  /**
   * Hit `drum` with `velocity` (0..1, clamped; the peak level scales with
   * it). An idle drum starts from its current settings; a sounding one
   * restarts, its old output fading out within ~1 ms so nothing clicks. A
   * closed hat chokes the open hat. Velocity 0 is a MIDI note-off: it does
   * nothing. Control side.
   * @returns false (no change) for an unknown drum, NaN or ±Infinity.
   */
  trigger(drum: number, velocity = 1): boolean {
    if (!isDrum(drum) || !Number.isFinite(velocity)) return false;
    if (!(velocity > 0)) return true;
    const v = this.#voices;
    const b = drum * VOICE_SLOTS;
    if (v[b + V_ACTIVE] === 1) {
      v[b + V_TAIL] = v[b + V_LAST] as number;
    } else {
      for (let p = 0; p < DRUM_PARAM_COUNT; p++) this.#settle(this.#smoother(drum, p));
      v[b + V_TAIL] = 0;
      v.fill(0, b + V_FILTER, b + V_FILTER + 4);
    }
    v[b + V_ACTIVE] = 1;
    v[b + V_VELOCITY] = velocity < 1 ? velocity : 1;
    v[b + V_ENV] = 1;
    v[b + V_AUX] = 1;
    v[b + V_SWEEP] = 1;
    v[b + V_FRAMES] = 0;
    v[b + V_CHOKE] = 0;
    // Pitched drums start at phase 0; the hats' partials run on.
    if (drum !== Drum.ClosedHat && drum !== Drum.OpenHat) v.fill(0, b + V_PHASE, b + V_RNG);
    if (drum === Drum.ClosedHat) this.choke(Drum.OpenHat);
    return true;
  }

  /**
   * Hit the drum mapped to General MIDI note `note` (see
   * {@linkcode drumForNote}) with `velocity`, 0..1. Control side.
   * @returns false (no change) for an unmapped note, NaN or ±Infinity.
   */
  triggerNote(note: number, velocity = 1): boolean {
    const drum = drumForNote(note);
    return drum !== undefined && this.trigger(drum, velocity);
  }

  /**
   * Fade `drum` out within {@linkcode DRUM_CHOKE_MS} (no-op when idle). Control side.
   * @returns false for an unknown drum.
   */
  choke(drum: number): boolean {
    if (!isDrum(drum)) return false;
    const b = drum * VOICE_SLOTS;
    if (this.#voices[b + V_ACTIVE] === 1) this.#voices[b + V_CHOKE] = 1;
    return true;
  }

  /**
   * Glide parameter `param` of `drum` to `value`, clamped to its range (see
   * {@linkcode DrumParam} and {@linkcode DrumSpec}). Control side.
   * @returns false (no change) for an unknown drum or parameter, NaN or ±Infinity.
   */
  setParam(drum: number, param: number, value: number): boolean {
    if (!isDrum(drum) || !isParam(param) || !Number.isFinite(value)) return false;
    const i = drum * DRUM_PARAM_COUNT + param;
    const lo = this.#lo[i] as number;
    const hi = this.#hi[i] as number;
    (this.#params[i] as ParamSmoother).setTarget(value < lo ? lo : value > hi ? hi : value);
    return true;
  }

  /** The last value set (clamped) for `param` of `drum`; NaN for an unknown drum or parameter. */
  getParam(drum: number, param: number): number {
    if (!isDrum(drum) || !isParam(param)) return NaN;
    return this.#smoother(drum, param).target;
  }

  /**
   * Glide the master gain to `gain`, clamped to 0..1. Control side.
   * @returns false for NaN or ±Infinity.
   */
  setGain(gain: number): boolean {
    if (!Number.isFinite(gain)) return false;
    this.#master.setTarget(clamp(gain, 0, 1));
    return true;
  }

  /**
   * Silence every drum at once, restart the noise from the seed and jump
   * every parameter to its target, as a new kit with these settings. Control side.
   */
  reset(): void {
    const v = this.#voices;
    v.fill(0);
    for (let d = 0; d < DRUM_COUNT; d++) {
      const b = d * VOICE_SLOTS;
      v[b + V_RNG] = this.#seeds[d] as number;
      if (d === Drum.ClosedHat || d === Drum.OpenHat) v.set(HAT_PHASES, b + V_PHASE);
    }
    for (const s of this.#params) this.#settle(s);
    this.#settle(this.#master);
  }

  /**
   * Add frames [start, end) of the kit's output to the interleaved stereo
   * block `out` (frame i at out[2i] and out[2i+1]); the range is clamped to
   * the block and frames outside it are not touched. Should anything
   * non-finite appear (only a corrupt snapshot could do that), the range
   * gets nothing and the kit is reset. Render loop; allocates nothing.
   */
  render(out: Float32Array, start: Frames, end: Frames): void {
    const frames = out.length >> 1;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    const mixL = this.#mixL;
    const mixR = this.#mixR;
    const gains = this.#gains;
    const voices = this.#voices;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      this.#master.fill(gains, 0, n);
      let any = 0;
      for (let d = 0; d < DRUM_COUNT; d++) {
        if (voices[d * VOICE_SLOTS + V_ACTIVE] !== 1) continue;
        if (any === 0) {
          for (let i = 0; i < n; i++) {
            mixL[i] = 0;
            mixR[i] = 0;
          }
          any = 1;
        }
        this.#voice(d, n);
      }
      if (any === 0) continue;
      let bad = 0;
      for (let i = 0; i < n; i++) {
        const g = gains[i] as number;
        let l = (mixL[i] as number) * g;
        let r = (mixR[i] as number) * g;
        // Soft knee above 1: 1 + u/(1 + u) for u = |x| − 1, slope 1 at the knee, below 2.
        const al = l < 0 ? -l : l;
        if (al > 1) {
          const u = al - 1;
          l = l < 0 ? -1 - u / (1 + u) : 1 + u / (1 + u);
        }
        const ar = r < 0 ? -r : r;
        if (ar > 1) {
          const u = ar - 1;
          r = r < 0 ? -1 - u / (1 + u) : 1 + u / (1 + u);
        }
        mixL[i] = l;
        mixR[i] = r;
        bad += l - l + (r - r);
      }
      if (bad !== 0) {
        this.reset();
        continue;
      }
      for (let i = 0; i < n; i++) {
        const o = 2 * (c + i);
        out[o] = (out[o] as number) + (mixL[i] as number);
        out[o + 1] = (out[o + 1] as number) + (mixR[i] as number);
      }
    }
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst.set(this.#voices, offset);
    let o = offset + DRUM_COUNT * VOICE_SLOTS;
    for (const s of this.#params) o = s.saveState(dst, o);
    return this.#master.saveState(dst, o);
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. From then on this kit renders bit-identically to the one saved.
   * Values a valid snapshot cannot hold (NaN, ±Infinity, out of range) are
   * repaired: a voice in doubt goes idle, parameters are clamped.
   */
  loadState(src: Float64Array, offset: number): number {
    const at = (i: number): number => src[offset + i] ?? NaN;
    const v = this.#voices;
    for (let d = 0; d < DRUM_COUNT; d++) {
      const b = d * VOICE_SLOTS;
      for (let k = 0; k < VOICE_SLOTS; k++) v[b + k] = at(b + k);
      repairVoice(v, b, this.#seeds[d] as number);
    }
    let o = offset + DRUM_COUNT * VOICE_SLOTS;
    for (let d = 0; d < DRUM_COUNT; d++) {
      for (let p = 0; p < DRUM_PARAM_COUNT; p++) {
        const s = this.#smoother(d, p);
        o = s.loadState(src, o);
        const [lo, hi] = paramRange(d, p);
        repairSmoother(s, lo, hi, paramDefault(d, p));
      }
    }
    o = this.#master.loadState(src, o);
    repairSmoother(this.#master, 0, 1, 1);
    return o;
  }

  #smoother(drum: number, param: number): ParamSmoother {
    return this.#params[drum * DRUM_PARAM_COUNT + param] as ParamSmoother;
  }

  /** Jump `s` to its target; through a snapshot pair so no double crosses a call. */
  #settle(s: ParamSmoother): void {
    const pair = this.#pair;
    s.saveState(pair, 0);
    pair[0] = pair[1] as number;
    s.loadState(pair, 0);
  }

  /**
   * Render `n` frames of drum `d` into #mono after filling its smoothed
   * parameters (tune as a frequency ratio, decay as a per-frame coefficient),
   * then add it, levelled and panned, to #mixL/#mixR.
   */
  #voice(d: number, n: number): void {
    const ratios = this.#ratios;
    const coefs = this.#coefs;
    const base = d * DRUM_PARAM_COUNT;
    const params = this.#params;
    (params[base + DrumParam.Level] as ParamSmoother).fill(this.#levels, 0, n);
    (params[base + DrumParam.Pan] as ParamSmoother).fill(this.#pans, 0, n);
    (params[base + DrumParam.Tone] as ParamSmoother).fill(this.#tones, 0, n);
    const tune = params[base + DrumParam.Tune] as ParamSmoother;
    const tuneSettled = tune.isSettled;
    tune.fill(ratios, 0, n);
    if (tuneSettled) {
      const ratio = Math.exp((ratios[0] as number) * SEMITONE_LOG);
      for (let i = 0; i < n; i++) ratios[i] = ratio;
    } else {
      for (let i = 0; i < n; i++) ratios[i] = Math.exp((ratios[i] as number) * SEMITONE_LOG);
    }
    this.#tuneGlide = tuneSettled ? 0 : 1;
    const decay = params[base + DrumParam.Decay] as ParamSmoother;
    const decaySettled = decay.isSettled;
    decay.fill(coefs, 0, n);
    // drumDecayCoefficient, written out (see _scratch.ts).
    const k = DECAY_LOG * this.#invRate;
    if (decaySettled) {
      const coef = Math.exp(k / (coefs[0] as number));
      for (let i = 0; i < n; i++) coefs[i] = coef;
    } else {
      for (let i = 0; i < n; i++) coefs[i] = Math.exp(k / (coefs[i] as number));
    }
    if (this.#voices[d * VOICE_SLOTS + V_CHOKE] === 1) {
      const choke = this.#chokeCoef;
      for (let i = 0; i < n; i++) {
        const c = coefs[i] as number;
        coefs[i] = c < choke ? c : choke;
      }
    }
    switch (d) {
      case Drum.Snare:
        this.#snare(n);
        break;
      case Drum.ClosedHat:
      case Drum.OpenHat:
        this.#hat(d, n);
        break;
      case Drum.Clap:
        this.#clap(n);
        break;
      default:
        this.#pitched(d, n);
    }
    const mono = this.#mono;
    const levels = this.#levels;
    const pans = this.#pans;
    const mixL = this.#mixL;
    const mixR = this.#mixR;
    for (let i = 0; i < n; i++) {
      const y = (mono[i] as number) * (levels[i] as number);
      const p = pans[i] as number;
      mixL[i] = (mixL[i] as number) + y * (p > 0 ? 1 - p : 1);
      mixR[i] = (mixR[i] as number) + y * (p < 0 ? 1 + p : 1);
    }
  }

  /** Kick and toms: swept sine plus a noise click (tone). */
  #pitched(d: number, n: number): void {
    const v = this.#voices;
    const b = d * VOICE_SLOTS;
    const mono = this.#mono;
    const ratios = this.#ratios;
    const coefs = this.#coefs;
    const tones = this.#tones;
    const step = (this.#pitch[d] as number) * this.#invRate;
    const depth = this.#sweepDepth[d] as number;
    const sweepCoef = this.#sweepCoef[d] as number;
    const auxCoef = this.#auxCoef[d] as number;
    const tailCoef = this.#tailCoef;
    const click = d === Drum.Kick ? 0.3 : 0.35;
    let active = v[b + V_ACTIVE] as number;
    const vel = v[b + V_VELOCITY] as number;
    let env = v[b + V_ENV] as number;
    let aux = v[b + V_AUX] as number;
    let sweep = v[b + V_SWEEP] as number;
    let ph = v[b + V_PHASE] as number;
    let x = (v[b + V_RNG] as number) | 0;
    let tail = v[b + V_TAIL] as number;
    let last = v[b + V_LAST] as number;
    for (let i = 0; i < n; i++) {
      if (active === 0) {
        mono[i] = 0;
        continue;
      }
      ph += step * (ratios[i] as number) * (1 + depth * sweep);
      ph -= Math.floor(ph);
      // sin(2π·ph), written out (see _scratch.ts): odd Taylor series to x⁹ on [−π/2, π/2], error < 4e-6.
      let t = ph - 0.5;
      t = t > 0.25 ? 0.5 - t : t < -0.25 ? -0.5 - t : t;
      const w = t * 6.283185307179586;
      const w2 = w * w;
      const sine = -w * (1 + w2 * (-1 / 6 + w2 * (1 / 120 + w2 * (-1 / 5040 + w2 / 362880))));
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const white = x * 4.656612873077393e-10;
      const e = env > 0.001 ? (env - 0.001) * 1.001001001001001 : 0;
      const ea = aux > 0.001 ? (aux - 0.001) * 1.001001001001001 : 0;
      const y = vel * (e * sine + ea * click * (tones[i] as number) * white) + tail;
      mono[i] = y;
      last = y;
      env *= coefs[i] as number;
      aux *= auxCoef;
      sweep = sweep > 1e-9 ? sweep * sweepCoef : 0;
      tail *= tailCoef;
      tail = tail > 1e-6 || tail < -1e-6 ? tail : 0;
      // Every compare runs every frame (a compare first reached late deoptimises the loop).
      const done = (env <= 0.001 ? 1 : 0) + (aux <= 0.001 ? 1 : 0) + (tail === 0 ? 1 : 0);
      if (done === 3) {
        active = 0;
        env = 0;
        aux = 0;
        sweep = 0;
        last = 0;
      }
    }
    v[b + V_ACTIVE] = active;
    v[b + V_ENV] = env;
    v[b + V_AUX] = aux;
    v[b + V_SWEEP] = sweep;
    v[b + V_PHASE] = ph;
    v[b + V_RNG] = x;
    v[b + V_TAIL] = tail;
    v[b + V_LAST] = last;
  }

  /** Snare: two-partial body (half the decay) plus noise through a 1.5 kHz high-pass. */
  #snare(n: number): void {
    const v = this.#voices;
    const b = Drum.Snare * VOICE_SLOTS;
    const mono = this.#mono;
    const ratios = this.#ratios;
    const coefs = this.#coefs;
    const tones = this.#tones;
    const step = (this.#pitch[Drum.Snare] as number) * this.#invRate;
    const depth = this.#sweepDepth[Drum.Snare] as number;
    const sweepCoef = this.#sweepCoef[Drum.Snare] as number;
    const tailCoef = this.#tailCoef;
    const glide = this.#tuneGlide;
    const piOverRate = Math.PI * this.#invRate;
    const hi = 0.45 * this.sampleRate;
    const k = Math.SQRT2; // Q = 1/√2
    // SVF coefficients (see svf.ts) for the chunk's first tune; per frame while it glides.
    let fc = 1500 * (ratios[0] as number);
    fc = fc < hi ? fc : hi;
    let g = Math.tan(piOverRate * fc);
    let a1 = 1 / (1 + g * (g + k));
    let a2 = g * a1;
    let a3 = g * a2;
    let active = v[b + V_ACTIVE] as number;
    const vel = v[b + V_VELOCITY] as number;
    let env = v[b + V_ENV] as number;
    let body = v[b + V_AUX] as number;
    let sweep = v[b + V_SWEEP] as number;
    let ph1 = v[b + V_PHASE] as number;
    let ph2 = v[b + V_PHASE + 1] as number;
    let x = (v[b + V_RNG] as number) | 0;
    let ic1 = v[b + V_FILTER] as number;
    let ic2 = v[b + V_FILTER + 1] as number;
    let tail = v[b + V_TAIL] as number;
    let last = v[b + V_LAST] as number;
    for (let i = 0; i < n; i++) {
      if (active === 0) {
        mono[i] = 0;
        continue;
      }
      const ratio = ratios[i] as number;
      if (glide === 1) {
        fc = 1500 * ratio;
        fc = fc < hi ? fc : hi;
        g = Math.tan(piOverRate * fc);
        a1 = 1 / (1 + g * (g + k));
        a2 = g * a1;
        a3 = g * a2;
      }
      const inc = step * ratio * (1 + depth * sweep);
      ph1 += inc;
      ph1 -= Math.floor(ph1);
      ph2 += 1.47 * inc;
      ph2 -= Math.floor(ph2);
      let t = ph1 - 0.5;
      t = t > 0.25 ? 0.5 - t : t < -0.25 ? -0.5 - t : t;
      let w = t * 6.283185307179586;
      let w2 = w * w;
      const s1 = -w * (1 + w2 * (-1 / 6 + w2 * (1 / 120 + w2 * (-1 / 5040 + w2 / 362880))));
      t = ph2 - 0.5;
      t = t > 0.25 ? 0.5 - t : t < -0.25 ? -0.5 - t : t;
      w = t * 6.283185307179586;
      w2 = w * w;
      const s2 = -w * (1 + w2 * (-1 / 6 + w2 * (1 / 120 + w2 * (-1 / 5040 + w2 / 362880))));
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const white = x * 4.656612873077393e-10;
      const v3 = white - ic2;
      const v1 = a1 * ic1 + a2 * v3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      const n1 = 2 * v1 - ic1;
      const n2 = 2 * v2 - ic2;
      ic1 = n1 > 1e-20 || n1 < -1e-20 ? n1 : 0;
      ic2 = n2 > 1e-20 || n2 < -1e-20 ? n2 : 0;
      const noise = white - k * v1 - v2;
      const tone = tones[i] as number;
      const en = env > 0.001 ? (env - 0.001) * 1.001001001001001 : 0;
      const eb = body > 0.001 ? (body - 0.001) * 1.001001001001001 : 0;
      const y = vel * 0.75 *
          ((1 - 0.6 * tone) * 0.8 * eb * (s1 + 0.4 * s2) +
            (0.25 + 0.75 * tone) * 0.7 * en * noise) +
        tail;
      mono[i] = y;
      last = y;
      const c = coefs[i] as number;
      env *= c;
      body *= c * c;
      sweep = sweep > 1e-9 ? sweep * sweepCoef : 0;
      tail *= tailCoef;
      tail = tail > 1e-6 || tail < -1e-6 ? tail : 0;
      const done = (env <= 0.001 ? 1 : 0) + (body <= 0.001 ? 1 : 0) + (tail === 0 ? 1 : 0);
      if (done === 3) {
        active = 0;
        env = 0;
        body = 0;
        sweep = 0;
        ic1 = 0;
        ic2 = 0;
        last = 0;
      }
    }
    v[b + V_ACTIVE] = active;
    v[b + V_ENV] = env;
    v[b + V_AUX] = body;
    v[b + V_SWEEP] = sweep;
    v[b + V_PHASE] = ph1;
    v[b + V_PHASE + 1] = ph2;
    v[b + V_RNG] = x;
    v[b + V_FILTER] = ic1;
    v[b + V_FILTER + 1] = ic2;
    v[b + V_TAIL] = tail;
    v[b + V_LAST] = last;
  }

  /** Hats: six square partials and noise (tone) through two 7 kHz high-pass stages. */
  #hat(d: number, n: number): void {
    const v = this.#voices;
    const b = d * VOICE_SLOTS;
    const mono = this.#mono;
    const ratios = this.#ratios;
    const coefs = this.#coefs;
    const tones = this.#tones;
    const hr = this.#hatRatios;
    const step = (this.#pitch[d] as number) * this.#invRate;
    const r0 = step * (hr[0] as number), r1 = step * (hr[1] as number);
    const r2 = step * (hr[2] as number), r3 = step * (hr[3] as number);
    const r4 = step * (hr[4] as number), r5 = step * (hr[5] as number);
    const tailCoef = this.#tailCoef;
    const glide = this.#tuneGlide;
    const piOverRate = Math.PI * this.#invRate;
    const hi = 0.45 * this.sampleRate;
    const k = Math.SQRT2;
    let fc = 7000 * (ratios[0] as number);
    fc = fc < hi ? fc : hi;
    let g = Math.tan(piOverRate * fc);
    let a1 = 1 / (1 + g * (g + k));
    let a2 = g * a1;
    let a3 = g * a2;
    let active = v[b + V_ACTIVE] as number;
    const vel = v[b + V_VELOCITY] as number;
    let env = v[b + V_ENV] as number;
    let p0 = v[b + V_PHASE] as number, p1 = v[b + V_PHASE + 1] as number;
    let p2 = v[b + V_PHASE + 2] as number, p3 = v[b + V_PHASE + 3] as number;
    let p4 = v[b + V_PHASE + 4] as number, p5 = v[b + V_PHASE + 5] as number;
    let x = (v[b + V_RNG] as number) | 0;
    let ic1 = v[b + V_FILTER] as number;
    let ic2 = v[b + V_FILTER + 1] as number;
    let jc1 = v[b + V_FILTER + 2] as number;
    let jc2 = v[b + V_FILTER + 3] as number;
    let tail = v[b + V_TAIL] as number;
    let last = v[b + V_LAST] as number;
    for (let i = 0; i < n; i++) {
      if (active === 0) {
        mono[i] = 0;
        continue;
      }
      const ratio = ratios[i] as number;
      if (glide === 1) {
        fc = 7000 * ratio;
        fc = fc < hi ? fc : hi;
        g = Math.tan(piOverRate * fc);
        a1 = 1 / (1 + g * (g + k));
        a2 = g * a1;
        a3 = g * a2;
      }
      p0 += r0 * ratio;
      p0 -= Math.floor(p0);
      p1 += r1 * ratio;
      p1 -= Math.floor(p1);
      p2 += r2 * ratio;
      p2 -= Math.floor(p2);
      p3 += r3 * ratio;
      p3 -= Math.floor(p3);
      p4 += r4 * ratio;
      p4 -= Math.floor(p4);
      p5 += r5 * ratio;
      p5 -= Math.floor(p5);
      const metal = ((p0 < 0.5 ? 1 : -1) + (p1 < 0.5 ? 1 : -1) + (p2 < 0.5 ? 1 : -1) +
        (p3 < 0.5 ? 1 : -1) + (p4 < 0.5 ? 1 : -1) + (p5 < 0.5 ? 1 : -1)) / 6;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const white = x * 4.656612873077393e-10;
      const tone = tones[i] as number;
      const input = (1 - tone) * metal + tone * white;
      // Two SVF high-pass stages, same coefficients (see svf.ts).
      let v3 = input - ic2;
      let v1 = a1 * ic1 + a2 * v3;
      let v2 = ic2 + a2 * ic1 + a3 * v3;
      let n1 = 2 * v1 - ic1;
      let n2 = 2 * v2 - ic2;
      ic1 = n1 > 1e-20 || n1 < -1e-20 ? n1 : 0;
      ic2 = n2 > 1e-20 || n2 < -1e-20 ? n2 : 0;
      const h1 = input - k * v1 - v2;
      v3 = h1 - jc2;
      v1 = a1 * jc1 + a2 * v3;
      v2 = jc2 + a2 * jc1 + a3 * v3;
      n1 = 2 * v1 - jc1;
      n2 = 2 * v2 - jc2;
      jc1 = n1 > 1e-20 || n1 < -1e-20 ? n1 : 0;
      jc2 = n2 > 1e-20 || n2 < -1e-20 ? n2 : 0;
      const h2 = h1 - k * v1 - v2;
      const e = env > 0.001 ? (env - 0.001) * 1.001001001001001 : 0;
      const y = vel * 1.8 * e * h2 + tail;
      mono[i] = y;
      last = y;
      env *= coefs[i] as number;
      tail *= tailCoef;
      tail = tail > 1e-6 || tail < -1e-6 ? tail : 0;
      const done = (env <= 0.001 ? 1 : 0) + (tail === 0 ? 1 : 0);
      if (done === 2) {
        active = 0;
        env = 0;
        ic1 = 0;
        ic2 = 0;
        jc1 = 0;
        jc2 = 0;
        last = 0;
      }
    }
    v[b + V_ACTIVE] = active;
    v[b + V_ENV] = env;
    v[b + V_PHASE] = p0;
    v[b + V_PHASE + 1] = p1;
    v[b + V_PHASE + 2] = p2;
    v[b + V_PHASE + 3] = p3;
    v[b + V_PHASE + 4] = p4;
    v[b + V_PHASE + 5] = p5;
    v[b + V_RNG] = x;
    v[b + V_FILTER] = ic1;
    v[b + V_FILTER + 1] = ic2;
    v[b + V_FILTER + 2] = jc1;
    v[b + V_FILTER + 3] = jc2;
    v[b + V_TAIL] = tail;
    v[b + V_LAST] = last;
  }

  /** Clap: noise through a band-pass (tone: toward high-pass), four bursts over a tail. */
  #clap(n: number): void {
    const v = this.#voices;
    const b = Drum.Clap * VOICE_SLOTS;
    const mono = this.#mono;
    const ratios = this.#ratios;
    const coefs = this.#coefs;
    const tones = this.#tones;
    const burstCoef = this.#auxCoef[Drum.Clap] as number;
    const spacing = this.#burstFrames;
    const lastBurst = 3 * spacing;
    const tailCoef = this.#tailCoef;
    const glide = this.#tuneGlide;
    const piOverRate = Math.PI * this.#invRate;
    const hi = 0.45 * this.sampleRate;
    const k = 0.7; // Q ≈ 1.4
    let fc = 1100 * (ratios[0] as number);
    fc = fc < hi ? fc : hi;
    let g = Math.tan(piOverRate * fc);
    let a1 = 1 / (1 + g * (g + k));
    let a2 = g * a1;
    let a3 = g * a2;
    let active = v[b + V_ACTIVE] as number;
    const vel = v[b + V_VELOCITY] as number;
    const choked = v[b + V_CHOKE] as number;
    let env = v[b + V_ENV] as number;
    let burst = v[b + V_AUX] as number;
    let frames = v[b + V_FRAMES] as number;
    let x = (v[b + V_RNG] as number) | 0;
    let ic1 = v[b + V_FILTER] as number;
    let ic2 = v[b + V_FILTER + 1] as number;
    let tail = v[b + V_TAIL] as number;
    let last = v[b + V_LAST] as number;
    for (let i = 0; i < n; i++) {
      if (active === 0) {
        mono[i] = 0;
        continue;
      }
      if (glide === 1) {
        fc = 1100 * (ratios[i] as number);
        fc = fc < hi ? fc : hi;
        g = Math.tan(piOverRate * fc);
        a1 = 1 / (1 + g * (g + k));
        a2 = g * a1;
        a3 = g * a2;
      }
      if (frames <= lastBurst) {
        if (choked === 0 && frames > 0 && frames % spacing === 0) burst = 1;
        frames++;
      }
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const white = x * 4.656612873077393e-10;
      const v3 = white - ic2;
      const v1 = a1 * ic1 + a2 * v3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      const n1 = 2 * v1 - ic1;
      const n2 = 2 * v2 - ic2;
      ic1 = n1 > 1e-20 || n1 < -1e-20 ? n1 : 0;
      ic2 = n2 > 1e-20 || n2 < -1e-20 ? n2 : 0;
      const tone = tones[i] as number;
      const band = k * v1;
      const filtered = (1 - tone) * band * 4.4 + tone * (white - band - v2) * 0.9;
      const et = env > 0.001 ? (env - 0.001) * 1.001001001001001 : 0;
      const eb = burst > 0.001 ? (burst - 0.001) * 1.001001001001001 : 0;
      const y = vel * (eb + 0.35 * et) * filtered + tail;
      mono[i] = y;
      last = y;
      env *= coefs[i] as number;
      burst *= burstCoef;
      tail *= tailCoef;
      tail = tail > 1e-6 || tail < -1e-6 ? tail : 0;
      const done = (env <= 0.001 ? 1 : 0) + (burst <= 0.001 ? 1 : 0) + (tail === 0 ? 1 : 0) +
        (frames > lastBurst || choked === 1 ? 1 : 0);
      if (done === 4) {
        active = 0;
        env = 0;
        burst = 0;
        ic1 = 0;
        ic2 = 0;
        last = 0;
      }
    }
    v[b + V_ACTIVE] = active;
    v[b + V_ENV] = env;
    v[b + V_AUX] = burst;
    v[b + V_FRAMES] = frames;
    v[b + V_RNG] = x;
    v[b + V_FILTER] = ic1;
    v[b + V_FILTER + 1] = ic2;
    v[b + V_TAIL] = tail;
    v[b + V_LAST] = last;
  }
}

function isParam(param: number): param is DrumParamId {
  return Number.isInteger(param) && param >= 0 && param < DRUM_PARAM_COUNT;
}

/** After loading a snapshot: one voice's slots into what a running kit can hold. */
function repairVoice(v: Float64Array, b: number, seed: number): void {
  const get = (k: number): number => v[b + k] as number;
  const unit = (k: number): void => {
    const x = get(k);
    v[b + k] = x >= 0 && x <= 1 ? x : 0;
  };
  const bounded = (k: number, limit: number): void => {
    const x = get(k);
    v[b + k] = Number.isFinite(x) ? clamp(x, -limit, limit) : 0;
  };
  const rng = get(V_RNG);
  v[b + V_RNG] = Number.isInteger(rng) && (rng | 0) === rng && rng !== 0 ? rng : seed;
  for (let k = 0; k < 6; k++) {
    const p = get(V_PHASE + k);
    v[b + V_PHASE + k] = p >= 0 && p < 1 ? p : 0;
  }
  for (let k = 0; k < 4; k++) bounded(V_FILTER + k, FILTER_LIMIT);
  bounded(V_TAIL, OUTPUT_LIMIT);
  bounded(V_LAST, OUTPUT_LIMIT);
  for (const k of [V_VELOCITY, V_ENV, V_AUX, V_SWEEP]) unit(k);
  const frames = get(V_FRAMES);
  v[b + V_FRAMES] = Number.isInteger(frames) && frames >= 0 ? Math.min(frames, 1e9) : 1e9;
  v[b + V_CHOKE] = get(V_CHOKE) === 1 ? 1 : 0;
  if (get(V_ACTIVE) !== 1) {
    // Idle: everything but the noise state and the phases back to rest.
    v[b + V_ACTIVE] = 0;
    for (const k of [V_VELOCITY, V_ENV, V_AUX, V_SWEEP, V_FRAMES, V_CHOKE, V_TAIL, V_LAST]) {
      v[b + k] = 0;
    }
    v.fill(0, b + V_FILTER, b + V_FILTER + 4);
  }
}

/** After loading a snapshot: a smoother's value and target back into [lo, hi]. */
function repairSmoother(s: ParamSmoother, lo: number, hi: number, fallback: number): void {
  const v = s.value;
  const t = s.target;
  const target = Number.isFinite(t)
    ? clamp(t, lo, hi)
    : Number.isFinite(v)
    ? clamp(v, lo, hi)
    : fallback;
  const value = Number.isFinite(v) ? clamp(v, lo, hi) : target;
  if (value !== v || target !== t) {
    s.reset(value);
    s.setTarget(target);
  }
}
