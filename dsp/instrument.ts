/**
 * Named polyphonic instruments ("lead", "bass", "pad"): N voices (default
 * 16) of band-limited oscillator → multi-mode SVF (key tracking, filter
 * envelope) → amp envelope, allocated by a {@linkcode VoiceAllocator}
 * (oldest released voice stolen first), in poly, mono or legato mode with
 * glide; an insert chain on the summed voices — {@linkcode Saturator} →
 * {@linkcode Chorus} → {@linkcode Compressor} — then a smoothed gain,
 * equal-power pan and reverb and delay sends.
 *
 * Parameters are addressed by number ({@linkcode InstrumentParam}), with
 * names, ranges, defaults and units in {@linkcode INSTRUMENT_PARAM_SPECS},
 * so the engine can map `/inst/lead/filter/cutoff 800` onto
 * `setParam(InstrumentParam.FilterCutoff, 800)` through
 * {@linkcode instrumentParamId}. Every continuous parameter glides (the
 * voice bank's smoothers, or the instrument's for gain, pan and sends);
 * envelope times apply from the next segment.
 *
 * The voices are a {@linkcode VoiceBank}: a WebAssembly SIMD kernel that
 * renders four voices per vector. Render cost scales with the sounding
 * voices: groups of four idle voices are skipped, a silent bank costs
 * nothing.
 *
 * Inserts: each effect is bypassed — not processed at all, the signal path
 * bit-identical to an instrument without it — while its mix (`drive/mix`,
 * `chorus/mix`, `comp/mix`) rests at 0. Switching never clicks: every mix
 * glides (the chorus through its own mix smoother, the saturator and the
 * compressor through a wet/dry crossfade here), and the bypass begins only
 * once the mix has reached 0. The saturator runs oversampled; its dry path
 * is delayed by {@linkcode SATURATOR_LATENCY_FRAMES} to stay aligned with
 * the wet one, and a short crossfade moves between that delayed path and
 * the undelayed bypass. An effect switched on from bypass starts cleared,
 * so no stale echo of an earlier phrase comes back, and the saturator and
 * the chorus first run a pre-roll with their mix held at 0 (about 1.3 ms
 * and 15 ms) until their filters and line hold the signal, else the wet
 * signal would start with a step. When a note starts on a resting
 * instrument (see {@linkcode Instrument.isResting}) every insert is cleared
 * and settled at once: a chain that has only heard silence holds zeros.
 *
 * Tails: after the last voice has ended, an engaged chain keeps being
 * rendered for {@linkcode insertTailFrames} (the chorus line, about 15 ms,
 * plus the saturator's filters), so the chorus rings out instead of being
 * cut; then the instrument rests and its inserts are not processed until
 * the next note. The compressor's recovery is not waited for (with a long
 * release that would be seconds of silence to compute): a note starting on
 * a resting instrument finds the compressor fully recovered.
 *
 * @module
 */

import { checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { BankEnvelope, noteToHz, VoiceBank, voiceBankStateSize } from "./voice_bank.ts";
import { AdsrStage, type AdsrStageId } from "./adsr.ts";
import {
  Chorus,
  CHORUS_BASE_MS,
  CHORUS_MAX_DEPTH_MS,
  CHORUS_MAX_RATE,
  CHORUS_MIN_RATE,
  chorusStateSize,
} from "./chorus.ts";
import {
  Compressor,
  COMPRESSOR_ATTACK_RANGE_MS,
  COMPRESSOR_MAX_KNEE_DB,
  COMPRESSOR_MAX_MAKEUP_DB,
  COMPRESSOR_MAX_RATIO,
  COMPRESSOR_MIN_THRESHOLD_DB,
  COMPRESSOR_RELEASE_RANGE_MS,
  COMPRESSOR_STATE_SIZE,
} from "./compressor.ts";
import { type MixerChannel, SendBus } from "./mixer.ts";
import { WAVEFORM_COUNT, type WaveformId } from "./oscillator.ts";
import {
  Saturator,
  SATURATOR_HALFBAND_TAPS,
  SATURATOR_LATENCY_FRAMES,
  SATURATOR_MAX_DRIVE_DB,
  SATURATOR_STATE_LIMIT,
  SATURATOR_STATE_SIZE,
} from "./saturation.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { SvfModeId } from "./svf.ts";
import type { Frames, Hz, Milliseconds } from "./units.ts";
import {
  checkVoiceCount,
  DEFAULT_VOICES,
  MAX_VOICES,
  NoteAction,
  VoiceAllocator,
  voiceAllocatorStateSize,
  type VoiceModeId,
} from "./voice_allocator.ts";

export { noteToHz };

/** Numeric ids of an instrument's parameters (see {@linkcode INSTRUMENT_PARAM_SPECS}). */
export const InstrumentParam = {
  /** Oscillator waveform, a `Waveform` id (0 sine, 1 saw, 2 square, 3 pulse, 4 triangle). */
  Waveform: 0,
  /** Oscillator detune in cents. */
  Detune: 1,
  /** Pulse width of the pulse waveform, fraction of the period. */
  PulseWidth: 2,
  /** Sub-oscillator (square, one octave down) level, 0..1. */
  SubLevel: 3,
  /** FM modulator frequency over carrier frequency. */
  FmRatio: 4,
  /** FM (phase-modulation) index in radians. */
  FmIndex: 5,
  /** Filter mode, an `SvfMode` id (0 low-pass, 1 high-pass, 2 band-pass, 3 notch). */
  FilterMode: 6,
  /** Filter cutoff in Hz (at middle C when key tracking). */
  FilterCutoff: 7,
  /** Filter resonance, 0..1. */
  FilterResonance: 8,
  /** Filter key tracking, 0 (none) .. 1 (cutoff follows the pitch). */
  FilterKeyTrack: 9,
  /** Filter-envelope depth in octaves (negative closes the filter). */
  FilterEnvAmount: 10,
  /** Amp envelope attack in ms. */
  AmpAttack: 11,
  /** Amp envelope decay in ms. */
  AmpDecay: 12,
  /** Amp envelope sustain level, 0..1. */
  AmpSustain: 13,
  /** Amp envelope release in ms. */
  AmpRelease: 14,
  /** Filter envelope attack in ms. */
  FilterAttack: 15,
  /** Filter envelope decay in ms. */
  FilterDecay: 16,
  /** Filter envelope sustain level, 0..1. */
  FilterSustain: 17,
  /** Filter envelope release in ms. */
  FilterRelease: 18,
  /** How much velocity scales the amp envelope's peak, 0..1. */
  VelocitySensitivity: 19,
  /** Glide (portamento) time in ms, linear in pitch; 0 = none. */
  Glide: 20,
  /** Voice mode, a `VoiceMode` id (0 poly, 1 mono, 2 legato). */
  Mode: 21,
  /** Voices used in poly mode (at most the instrument's capacity). */
  Polyphony: 22,
  /** Output gain, linear. */
  Gain: 23,
  /** Pan, −1 (left) .. 1 (right), equal-power. */
  Pan: 24,
  /** Reverb send level, 0..1 (post gain and pan). */
  ReverbSend: 25,
  /** Delay send level, 0..1 (post gain and pan). */
  DelaySend: 26,
  /** Saturator drive in dB, 0..48 (see `saturate` in saturation.ts); heard when {@linkcode InstrumentParam.DriveMix} > 0. */
  Drive: 27,
  /** Saturator wet/dry mix, 0 (bypassed) .. 1 (wet only). */
  DriveMix: 28,
  /** Chorus wet/dry mix, 0 (bypassed) .. 1 (wet only). */
  ChorusMix: 29,
  /** Chorus LFO rate in Hz, 0.01..10. */
  ChorusRate: 30,
  /** Chorus depth, 0..1 (sweep of ±5 ms around 10 ms at 1). */
  ChorusDepth: 31,
  /** Compressor threshold in dBFS, −80..0 (the level of the summed voices, before gain). */
  CompThreshold: 32,
  /** Compressor ratio, 1..100. */
  CompRatio: 33,
  /** Compressor knee width in dB, 0..24. */
  CompKnee: 34,
  /** Compressor attack time constant in ms, 0.1..1000. */
  CompAttack: 35,
  /** Compressor release time constant in ms, 1..5000. */
  CompRelease: 36,
  /** Compressor makeup gain in dB, −24..24 (on the compressed signal). */
  CompMakeup: 37,
  /** Compressor wet/dry mix, 0 (bypassed) .. 1 (compressed only); between: parallel compression. */
  CompMix: 38,
} as const;

/** An instrument parameter id (a value of {@linkcode InstrumentParam}). */
export type InstrumentParamId = typeof InstrumentParam[keyof typeof InstrumentParam];

/** Number of instrument parameters; ids run from 0 to `INSTRUMENT_PARAM_COUNT - 1`. */
export const INSTRUMENT_PARAM_COUNT = 39;

/** Range, default, unit and address of one instrument parameter. */
export interface InstrumentParamSpec {
  /** The parameter id. */
  readonly id: InstrumentParamId;
  /** Address below the instrument, e.g. "filter/cutoff" for `/inst/<name>/filter/cutoff`. */
  readonly name: string;
  /** Smallest accepted value. */
  readonly min: number;
  /** Largest accepted value. */
  readonly max: number;
  /** Value at start-up (Polyphony: the instrument's capacity). */
  readonly initial: number;
  /** Unit shown to users; "" for linear amounts and choices. */
  readonly unit: "Hz" | "ms" | "cents" | "oct" | "dB" | "";
  /** True when only whole values are meaningful (choices, counts): values are rounded. */
  readonly integer?: boolean;
}

const P = InstrumentParam;

/**
 * Specs of every instrument parameter, indexed by id.
 *
 * @example
 * ```ts
 * import { INSTRUMENT_PARAM_SPECS, InstrumentParam } from "./instrument.ts";
 * const cutoff = INSTRUMENT_PARAM_SPECS[InstrumentParam.FilterCutoff];
 * console.log(cutoff?.name, cutoff?.min, cutoff?.max); // filter/cutoff 20 20000
 * ```
 */
export const INSTRUMENT_PARAM_SPECS: readonly InstrumentParamSpec[] = [
  {
    id: P.Waveform,
    name: "osc/wave",
    min: 0,
    max: WAVEFORM_COUNT - 1,
    initial: 1,
    unit: "",
    integer: true,
  },
  { id: P.Detune, name: "osc/detune", min: -1200, max: 1200, initial: 0, unit: "cents" },
  { id: P.PulseWidth, name: "osc/pw", min: 0.01, max: 0.99, initial: 0.5, unit: "" },
  { id: P.SubLevel, name: "osc/sub", min: 0, max: 1, initial: 0, unit: "" },
  { id: P.FmRatio, name: "osc/fm/ratio", min: 0, max: 32, initial: 1, unit: "" },
  { id: P.FmIndex, name: "osc/fm/index", min: 0, max: 16, initial: 0, unit: "" },
  { id: P.FilterMode, name: "filter/mode", min: 0, max: 3, initial: 0, unit: "", integer: true },
  { id: P.FilterCutoff, name: "filter/cutoff", min: 20, max: 20000, initial: 20000, unit: "Hz" },
  { id: P.FilterResonance, name: "filter/resonance", min: 0, max: 1, initial: 0, unit: "" },
  { id: P.FilterKeyTrack, name: "filter/keytrack", min: 0, max: 1, initial: 0, unit: "" },
  { id: P.FilterEnvAmount, name: "filter/env", min: -8, max: 8, initial: 0, unit: "oct" },
  { id: P.AmpAttack, name: "amp/attack", min: 0, max: 10000, initial: 5, unit: "ms" },
  { id: P.AmpDecay, name: "amp/decay", min: 0, max: 10000, initial: 100, unit: "ms" },
  { id: P.AmpSustain, name: "amp/sustain", min: 0, max: 1, initial: 0.8, unit: "" },
  { id: P.AmpRelease, name: "amp/release", min: 0, max: 10000, initial: 200, unit: "ms" },
  { id: P.FilterAttack, name: "filter/attack", min: 0, max: 10000, initial: 5, unit: "ms" },
  { id: P.FilterDecay, name: "filter/decay", min: 0, max: 10000, initial: 200, unit: "ms" },
  { id: P.FilterSustain, name: "filter/sustain", min: 0, max: 1, initial: 0.5, unit: "" },
  { id: P.FilterRelease, name: "filter/release", min: 0, max: 10000, initial: 200, unit: "ms" },
  { id: P.VelocitySensitivity, name: "amp/velocity", min: 0, max: 1, initial: 1, unit: "" },
  { id: P.Glide, name: "glide", min: 0, max: 10000, initial: 0, unit: "ms" },
  { id: P.Mode, name: "mode", min: 0, max: 2, initial: 0, unit: "", integer: true },
  {
    id: P.Polyphony,
    name: "voices",
    min: 1,
    max: MAX_VOICES,
    initial: DEFAULT_VOICES,
    unit: "",
    integer: true,
  },
  { id: P.Gain, name: "gain", min: 0, max: 2, initial: 0.5, unit: "" },
  { id: P.Pan, name: "pan", min: -1, max: 1, initial: 0, unit: "" },
  { id: P.ReverbSend, name: "send/reverb", min: 0, max: 1, initial: 0, unit: "" },
  { id: P.DelaySend, name: "send/delay", min: 0, max: 1, initial: 0, unit: "" },
  { id: P.Drive, name: "drive", min: 0, max: SATURATOR_MAX_DRIVE_DB, initial: 12, unit: "dB" },
  { id: P.DriveMix, name: "drive/mix", min: 0, max: 1, initial: 0, unit: "" },
  { id: P.ChorusMix, name: "chorus/mix", min: 0, max: 1, initial: 0, unit: "" },
  {
    id: P.ChorusRate,
    name: "chorus/rate",
    min: CHORUS_MIN_RATE,
    max: CHORUS_MAX_RATE,
    initial: 0.8,
    unit: "Hz",
  },
  { id: P.ChorusDepth, name: "chorus/depth", min: 0, max: 1, initial: 0.5, unit: "" },
  {
    id: P.CompThreshold,
    name: "comp/threshold",
    min: COMPRESSOR_MIN_THRESHOLD_DB,
    max: 0,
    initial: -18,
    unit: "dB",
  },
  { id: P.CompRatio, name: "comp/ratio", min: 1, max: COMPRESSOR_MAX_RATIO, initial: 4, unit: "" },
  {
    id: P.CompKnee,
    name: "comp/knee",
    min: 0,
    max: COMPRESSOR_MAX_KNEE_DB,
    initial: 6,
    unit: "dB",
  },
  {
    id: P.CompAttack,
    name: "comp/attack",
    min: COMPRESSOR_ATTACK_RANGE_MS[0],
    max: COMPRESSOR_ATTACK_RANGE_MS[1],
    initial: 10,
    unit: "ms",
  },
  {
    id: P.CompRelease,
    name: "comp/release",
    min: COMPRESSOR_RELEASE_RANGE_MS[0],
    max: COMPRESSOR_RELEASE_RANGE_MS[1],
    initial: 150,
    unit: "ms",
  },
  {
    id: P.CompMakeup,
    name: "comp/makeup",
    min: -COMPRESSOR_MAX_MAKEUP_DB,
    max: COMPRESSOR_MAX_MAKEUP_DB,
    initial: 0,
    unit: "dB",
  },
  { id: P.CompMix, name: "comp/mix", min: 0, max: 1, initial: 0, unit: "" },
];

/**
 * Id of the parameter addressed `name` (e.g. "filter/cutoff"); -1 if none.
 *
 * @example
 * ```ts
 * import { instrumentParamId, InstrumentParam } from "./instrument.ts";
 * instrumentParamId("filter/cutoff") === InstrumentParam.FilterCutoff; // true
 * ```
 */
export function instrumentParamId(name: string): number {
  for (const spec of INSTRUMENT_PARAM_SPECS) if (spec.name === name) return spec.id;
  return -1;
}

/**
 * `value` rounded (integer parameters) and clamped into the range of
 * parameter `id`; NaN for an unknown id or a NaN value.
 */
export function clampInstrumentParam(id: number, value: number): number {
  const spec = INSTRUMENT_PARAM_SPECS[id];
  if (spec === undefined) return NaN;
  const v = spec.integer === true ? Math.round(value) : value;
  return v < spec.min ? spec.min : v > spec.max ? spec.max : v;
}

/**
 * First slot of every {@linkcode Instrument} snapshot: format tag and version
 * ("CIN", 2; version 2 adds the insert effects).
 */
export const INSTRUMENT_STATE_TAG = 0x43494e03;

/** Header slots of a snapshot: tag, sample rate, capacity. */
const HEADER = 3;
/** Instrument-level smoothers: gain, pan, two sends. */
const SMOOTHERS = 4;

/**
 * Insert-chain slots of a snapshot before the effects' own: tail frames,
 * dry-delay position, the drive's and the chorus's pre-roll frames, three
 * mix smoothers (drive mix, drive crossfade, compressor mix), the
 * saturator's dry delay.
 */
const INSERT_OWN = 4 + 3 * SMOOTHER_STATE_SIZE + SATURATOR_LATENCY_FRAMES;

/**
 * Frames the saturator runs, its mix held at 0, after being switched on
 * from bypass, before its mix glides in: its filters and the dry delay then
 * hold the signal, not the zeros they were cleared to.
 */
const DRIVE_PREROLL_FRAMES = 2 * SATURATOR_LATENCY_FRAMES + 2;

/** Frames of the chorus's line at `sampleRate` Hz (as chorus.ts sizes it): its pre-roll. */
function chorusLineFrames(sampleRate: Hz): Frames {
  return Math.ceil(((CHORUS_BASE_MS + CHORUS_MAX_DEPTH_MS) * sampleRate) / 1000) + 4;
}

/**
 * Float64 slots used by {@linkcode Instrument.saveState} for an instrument
 * of `voices` voices at `sampleRate` Hz: 3 + 39 + 8 + the allocator's +
 * the voice bank's ({@linkcode voiceBankStateSize}, whatever the voice
 * count), then the inserts: 41 + the saturator's (386) +
 * the chorus's (`chorusStateSize`, 1456 at 48 kHz) + the compressor's (11).
 *
 * @throws {RangeError} for an out-of-range sample rate.
 *
 * @example
 * ```ts
 * import { instrumentStateSize } from "./instrument.ts";
 * instrumentStateSize(16, 48000); // 5454
 * ```
 */
export function instrumentStateSize(voices: number, sampleRate: Hz): number {
  return HEADER + INSTRUMENT_PARAM_COUNT + SMOOTHERS * SMOOTHER_STATE_SIZE +
    voiceAllocatorStateSize(voices) + voiceBankStateSize() + INSERT_OWN +
    SATURATOR_STATE_SIZE + chorusStateSize(sampleRate) + COMPRESSOR_STATE_SIZE;
}

/**
 * Frames an engaged insert chain keeps being rendered after the last voice
 * ended, at `sampleRate` Hz: the chorus line (base + depth, plus 4 frames)
 * and twice the saturator's half-band length, by which the saturator's
 * filters, its dry delay and the chorus line hold only zeros (850 at 48 kHz).
 *
 * @example
 * ```ts
 * import { insertTailFrames } from "./instrument.ts";
 * insertTailFrames(48000); // 850
 * ```
 */
export function insertTailFrames(sampleRate: Hz): Frames {
  return chorusLineFrames(sampleRate) + 2 * SATURATOR_HALFBAND_TAPS;
}

/** Instrument names: a letter, then letters, digits, `_` or `-`; at most 32 characters. */
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

/** No send buses (for {@linkcode Instrument.render}). */
const NO_SENDS: readonly Float32Array[] = [];

/** Options of {@linkcode Instrument}. */
export interface InstrumentOptions {
  /** Number of voices (capacity), 1..{@linkcode MAX_VOICES}; default {@linkcode DEFAULT_VOICES}. */
  readonly voices?: number;
  /** Smoothing time constant of the instrument-level parameters in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

function initialParam(id: number): number {
  return INSTRUMENT_PARAM_SPECS[id]?.initial ?? 0;
}

/**
 * A named polyphonic instrument (see the module doc). Note events,
 * `setParam`, `saveState` and `loadState` are called by the control side
 * between sub-blocks; `render` and `mixInto` by the render loop, where they
 * neither allocate nor throw. Deterministic: the same calls give the same
 * samples, and a snapshot makes a second instance continue bit-identically.
 *
 * @example
 * ```ts
 * import { Instrument, InstrumentParam } from "./instrument.ts";
 * const lead = new Instrument("lead", 48000, { voices: 8 });
 * lead.setParam(InstrumentParam.FilterCutoff, 1200);
 * lead.setParam(InstrumentParam.Pan, -0.3);
 * lead.setParam(InstrumentParam.ChorusMix, 0.4); // inserts: drive/mix, chorus/mix, comp/mix
 * lead.noteOn(60, 0.9);
 * lead.noteOn(64, 0.7);
 * const block = new Float32Array(2 * 128); // L,R,L,R…
 * lead.render(block, 0, 128);
 * lead.noteOff(60);
 * ```
 */
export class Instrument implements MixerChannel {
  /** The instrument's name (its address, `/inst/<name>/…`). */
  readonly name: string;
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Number of voices. */
  readonly capacity: number = DEFAULT_VOICES;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode instrumentStateSize}). */
  readonly stateSize: number = 0;
  readonly #params = new Float64Array(INSTRUMENT_PARAM_COUNT);
  /** The voices: oscillator → filter → envelopes, in the WebAssembly SIMD kernel. */
  readonly #bank: VoiceBank;
  readonly #alloc: VoiceAllocator;
  readonly #gain: ParamSmoother;
  readonly #pan: ParamSmoother;
  readonly #reverbSend: ParamSmoother;
  readonly #delaySend: ParamSmoother;
  readonly #smoothers: readonly ParamSmoother[];
  #glideFrames = 0;
  readonly #mono = new Float64Array(SCRATCH_FRAMES);
  readonly #gains = new Float64Array(SCRATCH_FRAMES);
  readonly #pans = new Float64Array(SCRATCH_FRAMES);
  readonly #sendLevels = new Float64Array(SCRATCH_FRAMES);
  readonly #left = new Float64Array(SCRATCH_FRAMES);
  readonly #right = new Float64Array(SCRATCH_FRAMES);
  // Inserts.
  readonly #sat: Saturator;
  readonly #chorus: Chorus;
  readonly #comp: Compressor;
  /** Saturator wet/dry mix. */
  readonly #driveMix: ParamSmoother;
  /** Crossfade from the undelayed bypass (0) to the latency-aligned drive path (1). */
  readonly #driveFade: ParamSmoother;
  /** Compressor wet/dry mix. */
  readonly #compMix: ParamSmoother;
  readonly #insertSmoothers: readonly ParamSmoother[];
  /** The summed voices delayed by the saturator's latency (the drive's dry path). */
  readonly #dryRing = new Float64Array(SATURATOR_LATENCY_FRAMES);
  #dryPos = 0;
  /** Frames the engaged chain is still rendered with no voice sounding. */
  #tail = 0;
  readonly #tailFrames: number = 0;
  /** Frames the saturator still runs with its mix held at 0 (see DRIVE_PREROLL_FRAMES). */
  #drivePreroll = 0;
  /** Frames the chorus still runs with its mix held at 0, filling its line. */
  #chorusPreroll = 0;
  readonly #chorusPrerollFrames: number = 0;
  /** The chain's interleaved stereo chunk (the effects process Float32 L,R,L,R…). */
  readonly #fx = new Float32Array(2 * SCRATCH_FRAMES);
  /** The compressor's input, for its wet/dry mix. */
  readonly #compDry = new Float32Array(2 * SCRATCH_FRAMES);
  readonly #fxMixes = new Float64Array(SCRATCH_FRAMES);
  readonly #fxFades = new Float64Array(SCRATCH_FRAMES);

  /**
   * A silent instrument, parameters at their {@linkcode INSTRUMENT_PARAM_SPECS}
   * initial values, its voices allocated here.
   *
   * @param name address of the instrument: a letter, then letters, digits, `_` or `-` (<= 32).
   * @param sampleRate sample rate in Hz.
   * @param options voice count and smoothing time.
   * @throws {RangeError} for a bad name, sample rate, voice count or smoothing time.
   */
  constructor(name: string, sampleRate: Hz, options: InstrumentOptions = {}) {
    if (!NAME_PATTERN.test(name)) {
      throw new RangeError(
        `instrument name must be a letter then up to 31 letters, digits, _ or -, got "${name}"`,
      );
    }
    checkSampleRate(sampleRate);
    const capacity = options.voices ?? DEFAULT_VOICES;
    checkVoiceCount(capacity);
    this.name = name;
    this.sampleRate = sampleRate;
    this.capacity = capacity;
    this.stateSize = instrumentStateSize(capacity, sampleRate);
    this.#tailFrames = insertTailFrames(sampleRate) | 0;
    this.#chorusPrerollFrames = chorusLineFrames(sampleRate) | 0;
    this.#alloc = new VoiceAllocator(capacity);
    const timeMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    this.#bank = new VoiceBank(sampleRate, { lanes: capacity, smoothingMs: timeMs });
    const smoother = () => new ParamSmoother(sampleRate, { timeMs });
    this.#gain = smoother();
    this.#pan = smoother();
    this.#reverbSend = smoother();
    this.#delaySend = smoother();
    this.#smoothers = [
      this.#gain,
      this.#pan,
      this.#reverbSend,
      this.#delaySend,
    ];
    const smoothingMs = timeMs;
    this.#sat = new Saturator(sampleRate, { driveDb: initialParam(P.Drive), smoothingMs });
    this.#chorus = new Chorus(sampleRate, {
      mix: 0,
      rateHz: initialParam(P.ChorusRate),
      depth: initialParam(P.ChorusDepth),
      smoothingMs,
    });
    this.#comp = new Compressor(sampleRate, { smoothingMs });
    this.#driveMix = smoother();
    this.#driveFade = smoother();
    this.#compMix = smoother();
    this.#insertSmoothers = [this.#driveMix, this.#driveFade, this.#compMix];
    for (let id = 0; id < INSTRUMENT_PARAM_COUNT; id++) this.setParam(id, initialParam(id));
    this.setParam(InstrumentParam.Polyphony, capacity);
    for (const s of this.#smoothers) s.reset(s.target);
    this.#bank.settle();
    this.#bank.clear();
    this.#clearInserts();
  }

  /**
   * True when no voice sounds and the insert chain has rung out (or is
   * bypassed): rendering then adds only silence, and the inserts are not
   * processed, so a host may skip this instrument (the Rack does, once its
   * smoothed gain, pan and sends have settled too).
   */
  get isResting(): boolean {
    return this.#alloc.activeVoices === 0 && this.#tail === 0;
  }

  /** Voices sounding (held or releasing). */
  get activeVoices(): number {
    return this.#alloc.activeVoices;
  }

  /** Voices whose note is held (gate open). */
  get heldVoices(): number {
    return this.#alloc.heldVoices;
  }

  /** Current voice mode. */
  get mode(): VoiceModeId {
    return this.#alloc.mode;
  }

  /** Voices poly mode uses. */
  get polyphony(): number {
    return this.#alloc.polyphony;
  }

  /** Amp-envelope stage of voice `i` (for meters and tests). */
  voiceStage(i: number): AdsrStageId {
    return this.#bank.stage(i);
  }

  /** Amp-envelope level of voice `i`, 0..1 (for meters and tests). */
  voiceLevel(i: number): number {
    return this.#bank.level(i);
  }

  /** Current pitch of voice `i` in semitones (MIDI numbering; fractional while gliding). */
  voicePitch(i: number): number {
    return this.#bank.pitch(i);
  }

  /** Note voice `i` plays, -1 when free. */
  voiceNote(i: number): number {
    return this.#alloc.isSounding(i) ? this.#alloc.voiceNote(i) : -1;
  }

  /**
   * Play `note` (MIDI number, fractions allowed, clamped to 0..127) at
   * `velocity` (0..1). Control side.
   * @returns the voice used, or -1 (nothing changes) for a non-finite note or velocity.
   */
  noteOn(note: number, velocity = 1): number {
    const alloc = this.#alloc;
    const resting = this.isResting;
    const v = alloc.noteOn(note, velocity);
    if (v >= 0) {
      if (resting) this.#clearInserts();
      this.#apply(v);
    }
    return v;
  }

  /**
   * Release `note`; in mono and legato modes this may return to a note
   * still held instead. Control side.
   * @returns the voice affected, or -1 if none.
   */
  noteOff(note: number): number {
    const v = this.#alloc.noteOff(note);
    if (v >= 0) this.#apply(v);
    return v;
  }

  /** Release every held note (voices finish their release). Control side. */
  allNotesOff(): void {
    this.#releaseHeld(0);
    this.#alloc.allNotesOff();
  }

  /**
   * Silence every voice at once (no release) and free them; clear the
   * inserts' lines, filters and gain reduction. Control side.
   */
  reset(): void {
    this.#bank.clear();
    this.#alloc.reset();
    this.#clearInserts();
  }

  /**
   * Switch to poly, mono or legato mode; held notes are released. Control side.
   * @returns false for NaN or ±Infinity; other values are rounded and clamped to a `VoiceMode`
   * (voice_allocator.ts).
   */
  setMode(mode: VoiceModeId): boolean {
    return this.setParam(InstrumentParam.Mode, mode);
  }

  /**
   * Use `n` voices in poly mode (rounded, clamped to 1..capacity); held
   * voices beyond are released. Control side.
   * @returns false for NaN or ±Infinity.
   */
  setPolyphony(n: number): boolean {
    return this.setParam(InstrumentParam.Polyphony, n);
  }

  /**
   * Set the glide time in ms (clamped to 0..10000): later pitch changes of a
   * sounding voice slide linearly in semitones over it. Control side.
   * @returns false for NaN or ±Infinity.
   */
  setGlide(ms: Milliseconds): boolean {
    return this.setParam(InstrumentParam.Glide, ms);
  }

  /**
   * Set parameter `id` to `value`, rounded (choices and counts) and clamped
   * to its range; see {@linkcode INSTRUMENT_PARAM_SPECS}. Continuous
   * parameters glide; envelope times apply from each voice's next segment;
   * a mode change releases held notes. Control side.
   * @returns false (and changes nothing) for an unknown id, NaN or ±Infinity.
   */
  setParam(id: number, value: number): boolean {
    const spec = INSTRUMENT_PARAM_SPECS[id];
    if (spec === undefined || !Number.isFinite(value)) return false;
    // clampInstrumentParam written out, with Math.min/max rather than ?: on the
    // spec's numbers: both would box the double (see _scratch.ts).
    const r = spec.integer === true ? Math.round(value) : value;
    const max = id === P.Polyphony ? this.capacity : spec.max;
    this.#params[id] = Math.min(Math.max(r, spec.min), max);
    this.#dispatch(id);
    return true;
  }

  /**
   * Apply parameter `id` from #params. The forwarding methods read the value
   * back from #params too: a double crossing a call V8 does not inline is
   * boxed, and that would happen once per voice (see _scratch.ts).
   */
  #dispatch(id: number): void {
    switch (id) {
      case P.Waveform:
        this.#setWaveform();
        break;
      case P.Detune:
        this.#setDetune();
        break;
      case P.PulseWidth:
        this.#setPulseWidth();
        break;
      case P.SubLevel:
        this.#setSubLevel();
        break;
      case P.FmRatio:
        this.#setFmRatio();
        break;
      case P.FmIndex:
        this.#setFmIndex();
        break;
      case P.FilterMode:
        this.#setFilterMode();
        break;
      case P.FilterCutoff:
        this.#setFilterCutoff();
        break;
      case P.FilterResonance:
        this.#setFilterResonance();
        break;
      case P.AmpAttack:
        this.#setAmpAttack();
        break;
      case P.AmpDecay:
        this.#setAmpDecay();
        break;
      case P.AmpSustain:
        this.#setAmpSustain();
        break;
      case P.AmpRelease:
        this.#setAmpRelease();
        break;
      case P.VelocitySensitivity:
        this.#setVelocitySensitivity();
        break;
      case P.FilterAttack:
        this.#setFilterAttack();
        break;
      case P.FilterDecay:
        this.#setFilterDecay();
        break;
      case P.FilterSustain:
        this.#setFilterSustain();
        break;
      case P.FilterRelease:
        this.#setFilterRelease();
        break;
      case P.Mode: {
        const mode = this.#params[P.Mode] as number;
        if (mode !== this.#alloc.mode) {
          this.#releaseHeld(0);
          this.#alloc.setMode(mode);
        }
        break;
      }
      case P.Polyphony: {
        const n = this.#params[P.Polyphony] as number;
        this.#releaseHeld(n);
        this.#alloc.setPolyphony(n);
        break;
      }
      default:
        if (id >= P.Drive) this.#setInsert(id);
        else this.#setShared(id);
    }
  }

  /** The last value set (rounded and clamped) for parameter `id`; NaN for an unknown id. */
  getParam(id: number): number {
    return INSTRUMENT_PARAM_SPECS[id] === undefined ? NaN : this.#params[id] ?? NaN;
  }

  /**
   * Render frames [start, end) into the interleaved stereo block `out`
   * (overwriting them; post gain and pan, sends dropped). The range is
   * clamped to the block. Render loop.
   */
  render(out: Float32Array, start: Frames, end: Frames): void {
    const frames = out.length >> 1;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    if (e <= s) return;
    out.fill(0, 2 * s, 2 * e);
    this.mixInto(out, NO_SENDS, s, e);
  }

  /**
   * Add frames [start, end) of the instrument, post gain and equal-power
   * pan, into the interleaved stereo bus `dry`, and scaled by the send
   * levels into `sends[SendBus.Reverb]` and `sends[SendBus.Delay]` (a send
   * bus that is missing or shorter than `dry` is skipped). The range is
   * clamped to `dry`. The summed voices pass through the engaged inserts
   * first (see the module doc). If a voice produced a non-finite sample,
   * that chunk is dropped and every voice silenced. Render loop; allocates
   * nothing.
   */
  mixInto(dry: Float32Array, sends: readonly Float32Array[], start: Frames, end: Frames): void {
    const frames = dry.length >> 1;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    const reverbBus = sends.length > SendBus.Reverb ? sends[SendBus.Reverb] : undefined;
    const delayBus = sends.length > SendBus.Delay ? sends[SendBus.Delay] : undefined;
    const left = this.#left;
    const right = this.#right;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      const sounding = this.#alloc.activeVoices !== 0;
      if (!this.#renderVoices(n)) continue;
      this.#gain.fill(this.#gains, 0, n);
      this.#pan.fill(this.#pans, 0, n);
      if (this.#inserts(n, sounding)) this.#pannedStereo(n);
      else this.#panned(n);
      for (let i = 0; i < n; i++) {
        const o = 2 * (c + i);
        dry[o] = (dry[o] as number) + (left[i] as number);
        dry[o + 1] = (dry[o + 1] as number) + (right[i] as number);
      }
      if (reverbBus !== undefined && reverbBus.length >= dry.length) {
        this.#send(this.#reverbSend, P.ReverbSend, reverbBus, c, n);
      }
      if (delayBus !== undefined && delayBus.length >= dry.length) {
        this.#send(this.#delaySend, P.DelaySend, delayBus, c, n);
      }
    }
  }

  /**
   * Copy the complete state (parameters, smoothers, allocator, every
   * voice's oscillator, filter, envelopes and glide) into `dst` at `offset`
   * ({@linkcode stateSize} slots); returns the offset after it. Control side.
   * @throws {RangeError} if `dst` is too short.
   */
  saveState(dst: Float64Array, offset = 0): number {
    if (!(offset >= 0 && offset + this.stateSize <= dst.length)) {
      throw new RangeError(
        `state buffer must hold ${this.stateSize} values from offset ${offset}, got ${dst.length}`,
      );
    }
    dst[offset] = INSTRUMENT_STATE_TAG;
    dst[offset + 1] = this.sampleRate;
    dst[offset + 2] = this.capacity;
    dst.set(this.#params, offset + HEADER);
    let o = offset + HEADER + INSTRUMENT_PARAM_COUNT;
    for (const s of this.#smoothers) o = s.saveState(dst, o);
    o = this.#alloc.saveState(dst, o);
    o = this.#bank.saveState(dst, o);
    dst[o] = this.#tail;
    dst[o + 1] = this.#dryPos;
    dst[o + 2] = this.#drivePreroll;
    dst[o + 3] = this.#chorusPreroll;
    o += 4;
    for (const s of this.#insertSmoothers) o = s.saveState(dst, o);
    dst.set(this.#dryRing, o);
    o += this.#dryRing.length;
    o = this.#sat.saveState(dst, o);
    o = this.#chorus.saveState(dst, o);
    return this.#comp.saveState(dst, o);
  }

  /**
   * Restore a state written by {@linkcode saveState} of an instrument with
   * the same sample rate and voice count; from then on this instrument
   * renders bit-identically to the one saved. Parameter values a valid
   * snapshot cannot hold are repaired (non-finite to their initial values,
   * others clamped). Control side.
   * @throws {RangeError} if `src` is too short, is not an instrument
   * snapshot, or has another sample rate or voice count.
   */
  loadState(src: Float64Array, offset = 0): number {
    if (!(offset >= 0 && offset + this.stateSize <= src.length)) {
      throw new RangeError(
        `state buffer must hold ${this.stateSize} values from offset ${offset}, got ${src.length}`,
      );
    }
    if (src[offset] !== INSTRUMENT_STATE_TAG) {
      throw new RangeError(
        `state must start with tag ${INSTRUMENT_STATE_TAG} (an Instrument snapshot), got ${
          src[offset]
        }`,
      );
    }
    if (src[offset + 1] !== this.sampleRate) {
      throw new RangeError(
        `state sample rate must be ${this.sampleRate} Hz, got ${src[offset + 1]}`,
      );
    }
    if (src[offset + 2] !== this.capacity) {
      throw new RangeError(`state must be of ${this.capacity} voices, got ${src[offset + 2]}`);
    }
    const params = this.#params;
    for (let id = 0; id < INSTRUMENT_PARAM_COUNT; id++) {
      const x = src[offset + HEADER + id] as number;
      params[id] = Number.isFinite(x) ? clampInstrumentParam(id, x) : initialParam(id);
    }
    if ((params[P.Polyphony] as number) > this.capacity) params[P.Polyphony] = this.capacity;
    this.#glideFrames = Math.round(((params[P.Glide] as number) * this.sampleRate) / 1000);
    let o = offset + HEADER + INSTRUMENT_PARAM_COUNT;
    for (const s of this.#smoothers) {
      o = s.loadState(src, o);
      if (!(Number.isFinite(s.value) && Number.isFinite(s.target))) s.reset(0);
    }
    o = this.#alloc.loadState(src, o);
    o = this.#bank.loadState(src, o);
    // The bank's parameter targets from the repaired parameters (a valid
    // snapshot holds exactly those, so nothing changes).
    for (let id: number = P.Waveform; id <= P.VelocitySensitivity; id++) this.#dispatch(id);
    return this.#loadInserts(src, o);
  }

  /**
   * The insert section of {@linkcode loadState}, from `o`; returns the offset
   * after it. A tail count a valid snapshot cannot hold becomes the full
   * tail (render rather than rest); the mix smoothers' targets follow the
   * parameters, their values clamped to 0..1; dry-delay values beyond
   * ±`SATURATOR_STATE_LIMIT` (or non-finite) become 0; each effect repairs
   * its own state, then takes its targets from the parameters (a valid
   * snapshot holds exactly those, so nothing changes).
   */
  #loadInserts(src: Float64Array, offset: number): number {
    const params = this.#params;
    const count = (x: number, most: number, fallback: number): number =>
      Number.isInteger(x) && x >= 0 && x <= most ? x : fallback;
    this.#tail = count(src[offset] as number, this.#tailFrames, this.#tailFrames);
    const ring = this.#dryRing;
    this.#dryPos = count(src[offset + 1] as number, ring.length - 1, 0);
    this.#drivePreroll = count(src[offset + 2] as number, DRIVE_PREROLL_FRAMES, 0);
    this.#chorusPreroll = count(src[offset + 3] as number, this.#chorusPrerollFrames, 0);
    if (params[P.DriveMix] === 0) this.#drivePreroll = 0;
    if (params[P.ChorusMix] === 0) this.#chorusPreroll = 0;
    let o = offset + 4;
    // While a pre-roll runs, the mixes it holds rest at 0.
    const driveMix = this.#drivePreroll > 0 ? 0 : params[P.DriveMix] as number;
    const targets = [driveMix, driveMix > 0 ? 1 : 0, params[P.CompMix] as number];
    for (let k = 0; k < this.#insertSmoothers.length; k++) {
      const s = this.#insertSmoothers[k] as ParamSmoother;
      o = s.loadState(src, o);
      const target = targets[k] as number;
      const v = s.value;
      const value = v >= 0 && v <= 1 ? v : target;
      if (value !== v || s.target !== target) {
        s.reset(value);
        s.setTarget(target);
      }
    }
    const limit = SATURATOR_STATE_LIMIT;
    for (let i = 0; i < ring.length; i++) {
      const x = src[o + i] as number;
      ring[i] = x >= -limit && x <= limit ? x : 0;
    }
    o += ring.length;
    o = this.#sat.loadState(src, o);
    o = this.#chorus.loadState(src, o);
    o = this.#comp.loadState(src, o);
    for (let id: number = P.Drive; id < INSTRUMENT_PARAM_COUNT; id++) {
      if (id !== P.DriveMix && id !== P.ChorusMix && id !== P.CompMix) this.#setInsert(id);
    }
    this.#chorus.setMix(this.#chorusPreroll > 0 ? 0 : params[P.ChorusMix] as number);
    return o;
  }

  // One small method per forwarded parameter, each reading its value from
  // #params: V8 inlines the voice setter into it, so no double is boxed per voice.

  /** Forward Waveform to every voice's oscillator. */
  #setWaveform(): void {
    const x = this.#params[P.Waveform] as number;
    this.#bank.setWaveform(x as WaveformId);
  }

  /** Forward Detune to every voice's oscillator. */
  #setDetune(): void {
    const x = this.#params[P.Detune] as number;
    this.#bank.setDetune(x);
  }

  /** Forward PulseWidth to every voice's oscillator. */
  #setPulseWidth(): void {
    const x = this.#params[P.PulseWidth] as number;
    this.#bank.setPulseWidth(x);
  }

  /** Forward SubLevel to every voice's oscillator. */
  #setSubLevel(): void {
    const x = this.#params[P.SubLevel] as number;
    this.#bank.setSubLevel(x);
  }

  /** Forward FmRatio to every voice's oscillator. */
  #setFmRatio(): void {
    this.#bank.setFm(this.#params[P.FmRatio] as number, this.#params[P.FmIndex] as number);
  }

  /** Forward FmIndex to every voice's oscillator. */
  #setFmIndex(): void {
    this.#bank.setFm(this.#params[P.FmRatio] as number, this.#params[P.FmIndex] as number);
  }

  /** Forward FilterMode to every voice's filter. */
  #setFilterMode(): void {
    const x = this.#params[P.FilterMode] as number;
    this.#bank.setFilterMode(x as SvfModeId);
  }

  /** Forward FilterCutoff to every voice's filter. */
  #setFilterCutoff(): void {
    const x = this.#params[P.FilterCutoff] as number;
    this.#bank.setCutoff(x);
  }

  /** Forward FilterResonance to every voice's filter. */
  #setFilterResonance(): void {
    const x = this.#params[P.FilterResonance] as number;
    this.#bank.setResonance(x);
  }

  /** Forward AmpAttack to every voice's amp envelope. */
  #setAmpAttack(): void {
    const x = this.#params[P.AmpAttack] as number;
    this.#bank.setEnvelopeTime(BankEnvelope.Amp, AdsrStage.Attack, x);
  }

  /** Forward AmpDecay to every voice's amp envelope. */
  #setAmpDecay(): void {
    const x = this.#params[P.AmpDecay] as number;
    this.#bank.setEnvelopeTime(BankEnvelope.Amp, AdsrStage.Decay, x);
  }

  /** Forward AmpSustain to every voice's amp envelope. */
  #setAmpSustain(): void {
    const x = this.#params[P.AmpSustain] as number;
    this.#bank.setSustain(BankEnvelope.Amp, x);
  }

  /** Forward AmpRelease to every voice's amp envelope. */
  #setAmpRelease(): void {
    const x = this.#params[P.AmpRelease] as number;
    this.#bank.setEnvelopeTime(BankEnvelope.Amp, AdsrStage.Release, x);
  }

  /** Forward VelocitySensitivity to every voice's amp envelope. */
  #setVelocitySensitivity(): void {
    const x = this.#params[P.VelocitySensitivity] as number;
    this.#bank.setVelocitySensitivity(BankEnvelope.Amp, x);
  }

  /** Forward FilterAttack to every voice's filter envelope. */
  #setFilterAttack(): void {
    const x = this.#params[P.FilterAttack] as number;
    this.#bank.setEnvelopeTime(BankEnvelope.Filter, AdsrStage.Attack, x);
  }

  /** Forward FilterDecay to every voice's filter envelope. */
  #setFilterDecay(): void {
    const x = this.#params[P.FilterDecay] as number;
    this.#bank.setEnvelopeTime(BankEnvelope.Filter, AdsrStage.Decay, x);
  }

  /** Forward FilterSustain to every voice's filter envelope. */
  #setFilterSustain(): void {
    const x = this.#params[P.FilterSustain] as number;
    this.#bank.setSustain(BankEnvelope.Filter, x);
  }

  /** Forward FilterRelease to every voice's filter envelope. */
  #setFilterRelease(): void {
    const x = this.#params[P.FilterRelease] as number;
    this.#bank.setEnvelopeTime(BankEnvelope.Filter, AdsrStage.Release, x);
  }

  /** Apply instrument-level parameter `id` (glide, shared smoothers) from #params. */
  #setShared(id: number): void {
    const x = this.#params[id] as number;
    if (id === P.Glide) this.#glideFrames = Math.round((x * this.sampleRate) / 1000);
    else if (id === P.FilterKeyTrack) this.#bank.setKeyTrack(x);
    else if (id === P.FilterEnvAmount) this.#bank.setFilterEnvAmount(x);
    else if (id === P.Gain) this.#gain.setTarget(x);
    else if (id === P.Pan) this.#pan.setTarget(x);
    else if (id === P.ReverbSend) this.#reverbSend.setTarget(x);
    else if (id === P.DelaySend) this.#delaySend.setTarget(x);
  }

  /**
   * Apply insert parameter `id` from #params. Switching an effect on from
   * bypass clears it first, so nothing it held from before comes back.
   */
  #setInsert(id: number): void {
    const x = this.#params[id] as number;
    switch (id) {
      case P.Drive:
        this.#sat.setDrive(x);
        break;
      case P.DriveMix:
        if (x === 0) {
          this.#drivePreroll = 0;
          this.#startDrive();
        } else if (this.#drivePreroll > 0) {
          // Still pre-rolling: the mix glides in from the new value when it ends.
        } else if (
          this.#driveMix.target === 0 && this.#driveMix.isSettled && this.#driveFade.isSettled
        ) {
          // On from bypass: cleared, then run with the mix at 0 before it glides in.
          this.#sat.reset();
          this.#dryRing.fill(0);
          this.#dryPos = 0;
          this.#drivePreroll = DRIVE_PREROLL_FRAMES;
        } else {
          this.#startDrive();
        }
        break;
      case P.ChorusMix:
        if (x === 0) {
          this.#chorusPreroll = 0;
          this.#startChorus();
        } else if (this.#chorusPreroll > 0) {
          // Still filling its line: the mix glides in from the new value when it ends.
        } else if (this.#chorus.isDry) {
          // On from bypass: the line cleared, then filled before the mix glides in
          // (a wet signal arriving on a cleared line would start with a step).
          this.#chorus.reset();
          this.#chorusPreroll = this.#chorusPrerollFrames;
        } else {
          this.#startChorus();
        }
        break;
      case P.ChorusRate:
        this.#chorus.setRate(x);
        break;
      case P.ChorusDepth:
        this.#chorus.setDepth(x);
        break;
      case P.CompThreshold:
        this.#comp.setThreshold(x);
        break;
      case P.CompRatio:
        this.#comp.setRatio(x);
        break;
      case P.CompKnee:
        this.#comp.setKnee(x);
        break;
      case P.CompAttack:
        this.#comp.setAttack(x);
        break;
      case P.CompRelease:
        this.#comp.setRelease(x);
        break;
      case P.CompMakeup:
        this.#comp.setMakeup(x);
        break;
      case P.CompMix:
        if (x > 0 && this.#compMix.target === 0 && this.#compMix.isSettled) this.#comp.reset();
        this.#compMix.setTarget(x);
        break;
    }
  }

  /** Glide the drive's mix and crossfade toward DriveMix (the pre-roll is over). */
  #startDrive(): void {
    const x = this.#params[P.DriveMix] as number;
    this.#driveMix.setTarget(x);
    this.#driveFade.setTarget(x > 0 ? 1 : 0);
  }

  /** Glide the chorus's mix toward ChorusMix (the pre-roll is over). */
  #startChorus(): void {
    this.#chorus.setMix(this.#params[P.ChorusMix] as number);
  }

  /**
   * Clear every insert (filters, lines, dry delay, gain reduction), settle
   * their smoothers at their parameters, end the pre-rolls and the tail:
   * the state of a chain that has only ever seen silence. Done on a note
   * starting on a resting instrument, on {@linkcode reset} and at construction.
   */
  #clearInserts(): void {
    this.#drivePreroll = 0;
    this.#chorusPreroll = 0;
    this.#startDrive();
    this.#startChorus();
    this.#sat.reset();
    this.#chorus.reset();
    this.#comp.reset();
    const smoothers = this.#insertSmoothers;
    for (let k = 0; k < smoothers.length; k++) {
      const s = smoothers[k] as ParamSmoother;
      s.reset(s.target);
    }
    this.#dryRing.fill(0);
    this.#dryPos = 0;
    this.#tail = 0;
  }

  /** Carry out the allocator's last action on voice `v`. */
  #apply(v: number): void {
    const alloc = this.#alloc;
    const bank = this.#bank;
    const note = alloc.voiceNote(v);
    switch (alloc.lastAction) {
      case NoteAction.Start:
        bank.start(v, note, alloc.voiceVelocity(v));
        break;
      case NoteAction.Retrigger:
        bank.retrigger(v, note, alloc.voiceVelocity(v), this.#glideFrames);
        break;
      case NoteAction.Legato:
        bank.moveTo(v, note, this.#glideFrames);
        break;
      case NoteAction.Release:
        bank.release(v);
        break;
    }
  }

  /** Close the gates of held voices from index `from` up (before the allocator releases them). */
  #releaseHeld(from: number): void {
    for (let i = from; i < this.capacity; i++) {
      if (this.#alloc.isHeld(i)) this.#bank.release(i);
    }
  }

  /**
   * Sum the sounding voices into #mono[0..n) and free the voices that went
   * idle. Returns false (and silences every voice) if a sample was not finite.
   */
  #renderVoices(n: number): boolean {
    const alloc = this.#alloc;
    const bank = this.#bank;
    const mono = this.#mono;
    for (let i = 0; i < n; i++) mono[i] = 0;
    bank.render(mono, 0, n);
    for (let v = 0; v < this.capacity; v++) {
      if (alloc.isSounding(v) && bank.isIdle(v)) alloc.voiceEnded(v);
    }
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const x = mono[i] as number;
      bad += x - x;
    }
    if (bad === 0) return true;
    this.reset();
    return false;
  }

  /**
   * Run the engaged inserts on #mono[0..n) into #fx; false (nothing done)
   * when every insert is bypassed or the chain rests (no voice `sounding`
   * at the chunk's start and the tail over). Keeps the tail count.
   */
  #inserts(n: number, sounding: boolean): boolean {
    const params = this.#params;
    // Parameters (the targets) from #params: a getter returning a double may box.
    const sat = !(params[P.DriveMix] === 0 && this.#driveMix.isSettled &&
      this.#driveFade.isSettled);
    const chorus = this.#chorusPreroll > 0 || !this.#chorus.isDry;
    const comp = !(params[P.CompMix] === 0 && this.#compMix.isSettled);
    if (!(sat || chorus || comp)) {
      this.#tail = 0;
      return false;
    }
    const tail = this.#tail;
    if (sounding) this.#tail = this.#tailFrames;
    else if (tail === 0) return false;
    else this.#tail = tail > n ? tail - n : 0;
    const fx = this.#fx;
    const mono = this.#mono;
    for (let i = 0; i < n; i++) {
      const x = mono[i] as number;
      fx[2 * i] = x;
      fx[2 * i + 1] = x;
    }
    if (sat) this.#drive(n);
    if (chorus) this.#chorus.process(fx, 0, n);
    if (comp) this.#compress(n);
    const drivePreroll = this.#drivePreroll;
    if (drivePreroll > 0) {
      this.#drivePreroll = drivePreroll > n ? drivePreroll - n : 0;
      if (drivePreroll <= n) this.#startDrive();
    }
    const chorusPreroll = this.#chorusPreroll;
    if (chorusPreroll > 0) {
      this.#chorusPreroll = chorusPreroll > n ? chorusPreroll - n : 0;
      if (chorusPreroll <= n) this.#startChorus();
    }
    return true;
  }

  /**
   * The saturator on #fx[0..n) (both channels hold the summed voices), mixed
   * with the dry signal delayed by the saturator's latency, crossfaded with
   * the undelayed bypass while switching on or off.
   */
  #drive(n: number): void {
    const fx = this.#fx;
    const mono = this.#mono;
    const mixes = this.#fxMixes;
    const fades = this.#fxFades;
    this.#sat.process(fx, 0, n);
    this.#driveMix.fill(mixes, 0, n);
    this.#driveFade.fill(fades, 0, n);
    // Fully switched on: the crossfade rests at 1 and is skipped.
    const fading = !(this.#params[P.DriveMix] !== 0 && this.#driveFade.isSettled &&
      this.#drivePreroll === 0);
    const ring = this.#dryRing;
    const len = ring.length;
    let pos = this.#dryPos;
    for (let i = 0; i < n; i++) {
      const x = mono[i] as number;
      const d = ring[pos] as number;
      ring[pos] = x;
      pos = pos + 1 === len ? 0 : pos + 1;
      let y = d + (mixes[i] as number) * ((fx[2 * i] as number) - d);
      if (fading) y = x + (fades[i] as number) * (y - x);
      fx[2 * i] = y;
      fx[2 * i + 1] = y;
    }
    this.#dryPos = pos;
  }

  /** The compressor on #fx[0..n), mixed with its input unless the mix rests at 1. */
  #compress(n: number): void {
    const fx = this.#fx;
    const dry = this.#compDry;
    const wetOnly = this.#params[P.CompMix] === 1 && this.#compMix.isSettled;
    if (wetOnly) {
      this.#comp.process(fx, 0, n);
      return;
    }
    for (let i = 0; i < 2 * n; i++) dry[i] = fx[i] as number;
    this.#comp.process(fx, 0, n);
    const mixes = this.#fxMixes;
    this.#compMix.fill(mixes, 0, n);
    for (let i = 0; i < n; i++) {
      const m = mixes[i] as number;
      const l = dry[2 * i] as number;
      const r = dry[2 * i + 1] as number;
      fx[2 * i] = l + m * ((fx[2 * i] as number) - l);
      fx[2 * i + 1] = r + m * ((fx[2 * i + 1] as number) - r);
    }
  }

  /** #left and #right [0..n) from the stereo #fx with the gains and pan of {@linkcode #panned}. */
  #pannedStereo(n: number): void {
    const fx = this.#fx;
    const gains = this.#gains;
    const pans = this.#pans;
    const left = this.#left;
    const right = this.#right;
    const q = Math.PI / 4;
    if (this.#pan.isSettled) {
      const p = pans[0] as number;
      const gl = Math.sin((1 - p) * q);
      const gr = Math.sin((1 + p) * q);
      for (let i = 0; i < n; i++) {
        const g = gains[i] as number;
        left[i] = (fx[2 * i] as number) * g * gl;
        right[i] = (fx[2 * i + 1] as number) * g * gr;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const p = pans[i] as number;
        const g = gains[i] as number;
        left[i] = (fx[2 * i] as number) * g * Math.sin((1 - p) * q);
        right[i] = (fx[2 * i + 1] as number) * g * Math.sin((1 + p) * q);
      }
    }
  }

  /**
   * #left and #right [0..n) from #mono with the gains and equal-power pan:
   * left = sin((1 − pan)·π/4), right = sin((1 + pan)·π/4), so the centre is
   * −3 dB each side and a hard pan leaves the other side exactly silent.
   */
  #panned(n: number): void {
    const mono = this.#mono;
    const gains = this.#gains;
    const pans = this.#pans;
    const left = this.#left;
    const right = this.#right;
    const q = Math.PI / 4;
    if (this.#pan.isSettled) {
      const p = pans[0] as number;
      const gl = Math.sin((1 - p) * q);
      const gr = Math.sin((1 + p) * q);
      for (let i = 0; i < n; i++) {
        const m = (mono[i] as number) * (gains[i] as number);
        left[i] = m * gl;
        right[i] = m * gr;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const p = pans[i] as number;
        const m = (mono[i] as number) * (gains[i] as number);
        left[i] = m * Math.sin((1 - p) * q);
        right[i] = m * Math.sin((1 + p) * q);
      }
    }
  }

  /** Add #left/#right[0..n) × send level (parameter `id`) into `bus` from frame `c`, unless it rests at 0. */
  #send(level: ParamSmoother, id: number, bus: Float32Array, c: number, n: number): void {
    // The parameter (its target) from #params: a getter returning a double may box.
    if (this.#params[id] === 0 && level.isSettled) return;
    const levels = this.#sendLevels;
    const left = this.#left;
    const right = this.#right;
    level.fill(levels, 0, n);
    for (let i = 0; i < n; i++) {
      const o = 2 * (c + i);
      const g = levels[i] as number;
      bus[o] = (bus[o] as number) + (left[i] as number) * g;
      bus[o + 1] = (bus[o + 1] as number) + (right[i] as number) * g;
    }
  }
}
