/**
 * A bank of up to 64 synthesizer voices rendered by a WebAssembly SIMD
 * kernel, four voices per vector: band-limited oscillator (sine, saw,
 * square, pulse, triangle; detune, sub-oscillator an octave down, 2-operator
 * phase-modulation FM) → topology-preserving state-variable filter
 * (low/high/band-pass, notch; cutoff moved by a filter envelope and key
 * tracking) → ADSR/AR amp envelope, with glide: the voice of every
 * {@linkcode Instrument}. It renders what {@linkcode Oscillator} →
 * {@linkcode SvfFilter} → {@linkcode Envelope} render in TypeScript
 * (tests/dsp_voice_bank_test.ts compares them frame by frame), at about a
 * fifth of the cost.
 *
 * What differs from the per-voice TypeScript chain, by design:
 * - samples are float32 and the oscillator uses a two-sample polynomial
 *   BLEP (BLAMP for the triangle's corners);
 * - glide, the filter envelope, the cutoff (and so the filter's
 *   coefficients, ramped linearly between) and the smoothed parameters move
 *   at control points every {@linkcode VOICE_BANK_CONTROL_FRAMES} frames;
 * - the amp envelope is exact to the frame, as in {@linkcode Envelope}.
 *
 * Parameters are shared by the bank (as by an instrument's voices); notes
 * address a lane (voice number). The kernel's source is
 * dsp/_wasm/voice_bank.ts (AssemblyScript), compiled by `bin/build-wasm`
 * into dsp/_voice_bank_wasm.ts.
 *
 * @example
 * ```ts
 * import { VoiceBank } from "./voice_bank.ts";
 * import { Waveform } from "./oscillator.ts";
 * const bank = new VoiceBank(48000, { lanes: 16 });
 * bank.setWaveform(Waveform.Saw);
 * bank.setCutoff(2000);
 * bank.start(0, 57, 1); // A3 on lane 0
 * bank.start(1, 64, 0.8); // E4 on lane 1
 * const block = new Float64Array(128);
 * bank.render(block, 0, 128); // adds both voices into block
 * ```
 *
 * @module
 */

import { decodeBase64 } from "./_base64.ts";
import { VOICE_BANK_WASM_BASE64 } from "./_voice_bank_wasm.ts";
import { adsrSegmentFrames, AdsrStage, type AdsrStageId } from "./adsr.ts";
import { EnvelopeCurve, type EnvelopeCurveId, type EnvelopeModeId } from "./envelope.ts";
import { blampResidual, blepResidual, type WaveformId } from "./oscillator.ts";
import { type SvfModeId } from "./svf.ts";
import { clampCutoff, resonanceToQ } from "./svf_lowpass.ts";
import { DEFAULT_SMOOTHING_MS } from "./smoother.ts";
import type { Frames, Hz, Milliseconds } from "./units.ts";

/**
 * Frequency in Hz of MIDI note `note` (A4 = 69 = 440 Hz, fractions allowed):
 * 440·2^((note − 69)/12).
 *
 * @example
 * ```ts
 * import { noteToHz } from "./voice_bank.ts";
 * noteToHz(69); // 440
 * noteToHz(60); // 261.63 (middle C)
 * ```
 */
export function noteToHz(note: number): Hz {
  return 440 * Math.pow(2, (note - 69) / 12);
}

/** The compiled kernel, once per isolate. */
let compiled: WebAssembly.Module | undefined;

function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(decodeBase64(VOICE_BANK_WASM_BASE64));
  return compiled;
}

/** The kernel's exports. */
interface Kernel {
  readonly memory: WebAssembly.Memory;
  stateBegin(): number;
  stateEnd(): number;
  paramOffset(): number;
  outOffset(): number;
  blepTableOffset(): number;
  blampTableOffset(): number;
  noteStart(lane: number, note: number, velocity: number): void;
  noteMove(lane: number, note: number, glideFrames: number): void;
  noteRetrigger(lane: number, note: number, velocity: number, glideFrames: number): void;
  noteRelease(lane: number): void;
  noteStop(lane: number): void;
  laneStage(lane: number): number;
  lanePitch(lane: number): number;
  laneLevel(lane: number): number;
  laneFilterEnvelope(lane: number): number;
  settle(): void;
  clear(): void;
  repair(): number;
  render(frames: number): void;
}

/** The value of an exported global `name` of `instance`. */
function globalOf(instance: WebAssembly.Instance, name: string): number {
  const g = instance.exports[name];
  if (!(g instanceof WebAssembly.Global)) throw new Error(`voice bank kernel lacks ${name}`);
  return g.value as number;
}

/** Float64 slots of a {@linkcode VoiceBank} snapshot (the same for any voice count). */
let stateSlots = 0;

/**
 * Float64 slots used by {@linkcode VoiceBank.saveState}: the kernel's whole
 * state (every lane, glided values, parameters, oscillator rings), whatever
 * the voice count.
 */
export function voiceBankStateSize(): number {
  if (stateSlots === 0) {
    const kernel = new WebAssembly.Instance(kernelModule(), {}).exports as unknown as Kernel;
    stateSlots = (kernel.stateEnd() - kernel.stateBegin()) / 4;
  }
  return stateSlots;
}

/** Most voices in one bank. */
export const VOICE_BANK_MAX_LANES = 64;

/** Frames between the bank's control points (glide, filter envelope, cutoff). */
export const VOICE_BANK_CONTROL_FRAMES: Frames = 16;

/** Most frames the kernel renders per call; {@linkcode VoiceBank.render} loops over longer ranges. */
const KERNEL_FRAMES = 128;

/** Filter output weights (input, k·band, low) per mode, as in {@linkcode SvfFilter}. */
const MODE_WEIGHTS: readonly (readonly [number, number, number])[] = [
  [0, 0, 1],
  [1, -1, -1],
  [0, 1, 0],
  [1, -1, 0],
];

/** Which envelope a setter addresses. */
export const BankEnvelope = {
  /** The amp envelope. */
  Amp: 0,
  /** The filter envelope. */
  Filter: 1,
} as const;

/** A value of {@linkcode BankEnvelope}. */
export type BankEnvelopeId = typeof BankEnvelope[keyof typeof BankEnvelope];

/** Options of {@linkcode VoiceBank}. */
export interface VoiceBankOptions {
  /** Voices, 1..64 (rounded up to a multiple of 4 inside); default 16. */
  readonly lanes?: number;
  /** Smoothing time constant of the bank's continuous parameters in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

/** Parameter slot indices, read from the kernel's exported globals. */
interface Slots {
  readonly waveform: number;
  readonly detune: number;
  readonly width: number;
  readonly sub: number;
  readonly fmRatio: number;
  readonly fmIndex: number;
  readonly wx: number;
  readonly wb: number;
  readonly wl: number;
  readonly cutoff: number;
  readonly k: number;
  readonly keyTrack: number;
  readonly envAmount: number;
  readonly envelopes: readonly [number, number];
  readonly attack: number;
  readonly decay: number;
  readonly release: number;
  readonly sustain: number;
  readonly attackCurve: number;
  readonly decayCurve: number;
  readonly releaseCurve: number;
  readonly sensitivity: number;
  readonly envMode: number;
  readonly rate: number;
  readonly smooth: number;
  readonly freqSmooth: number;
  readonly lanes: number;
  readonly count: number;
}

function slotsOf(instance: WebAssembly.Instance): Slots {
  const at = (name: string) => globalOf(instance, name);
  return {
    waveform: at("P_WAVEFORM"),
    detune: at("P_DETUNE"),
    width: at("P_WIDTH"),
    sub: at("P_SUB"),
    fmRatio: at("P_FM_RATIO"),
    fmIndex: at("P_FM_INDEX"),
    wx: at("P_WX"),
    wb: at("P_WB"),
    wl: at("P_WL"),
    cutoff: at("P_CUTOFF"),
    k: at("P_K"),
    keyTrack: at("P_KEYTRACK"),
    envAmount: at("P_ENV_AMOUNT"),
    envelopes: [at("P_AMP"), at("P_FENV")],
    attack: at("EP_ATTACK"),
    decay: at("EP_DECAY"),
    release: at("EP_RELEASE"),
    sustain: at("EP_SUSTAIN"),
    attackCurve: at("EP_ATTACK_CURVE"),
    decayCurve: at("EP_DECAY_CURVE"),
    releaseCurve: at("EP_RELEASE_CURVE"),
    sensitivity: at("EP_SENSITIVITY"),
    envMode: at("P_ENV_MODE"),
    rate: at("P_RATE"),
    smooth: at("P_SMOOTH"),
    freqSmooth: at("P_FREQ_SMOOTH"),
    lanes: at("P_LANES"),
    count: at("PARAM_SLOTS"),
  };
}

function checkFinite(what: string, x: number): void {
  if (!Number.isFinite(x)) throw new RangeError(`${what} must be a finite number, got ${x}`);
}

function checkUnit(what: string, x: number): void {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`${what} must be between 0 and 1, got ${x}`);
}

function checkCurve(curve: number): void {
  if (!(curve === 0 || curve === 1)) {
    throw new RangeError(`envelope curve must be 0 or 1 (an EnvelopeCurve), got ${curve}`);
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * Up to 64 voices of oscillator → filter → envelopes in one WebAssembly
 * SIMD kernel, see the module doc. Setters and note calls are control side
 * (they validate and may throw); {@linkcode render} is the render loop's and
 * allocates nothing.
 */
export class VoiceBank {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz;
  /** Voices (lanes) in the bank. */
  readonly lanes: number;
  readonly #kernel: Kernel;
  readonly #slots: Slots;
  /** The kernel's parameter slots. */
  readonly #params: Float32Array;
  /** The kernel's output block. */
  readonly #out: Float32Array;
  /** The kernel's state bytes (what a snapshot copies), as f32. */
  readonly #state: Float32Array;
  /** The parameters, kept across {@linkcode loadState}. */
  readonly #keptParams: Float32Array;

  /**
   * @param sampleRate sample rate in Hz.
   * @param options voices and smoothing time.
   * @throws {RangeError} for a bad rate, lane count or smoothing time.
   */
  constructor(sampleRate: Hz, options: VoiceBankOptions = {}) {
    if (!(sampleRate >= 1000 && sampleRate <= 384000)) {
      throw new RangeError(`sample rate must be 1000..384000 Hz, got ${sampleRate}`);
    }
    const lanes = options.lanes ?? 16;
    if (!(Number.isInteger(lanes) && lanes >= 1 && lanes <= VOICE_BANK_MAX_LANES)) {
      throw new RangeError(`voices must be a whole number 1..64, got ${lanes}`);
    }
    const smoothingMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    if (!(smoothingMs >= 0 && smoothingMs < Infinity)) {
      throw new RangeError(`smoothing time must be a finite number of ms >= 0, got ${smoothingMs}`);
    }
    this.sampleRate = sampleRate;
    this.lanes = lanes;
    const instance = new WebAssembly.Instance(kernelModule(), {});
    this.#kernel = instance.exports as unknown as Kernel;
    this.#slots = slotsOf(instance);
    const buffer = this.#kernel.memory.buffer;
    const s = this.#slots;
    this.#params = new Float32Array(buffer, this.#kernel.paramOffset(), s.count);
    this.#keptParams = new Float32Array(s.count);
    this.#out = new Float32Array(buffer, this.#kernel.outOffset(), KERNEL_FRAMES);
    const begin = this.#kernel.stateBegin();
    this.#state = new Float32Array(buffer, begin, (this.#kernel.stateEnd() - begin) / 4);
    const p = this.#params;
    const perControl = (ms: number) =>
      ms === 0 ? 1 : 1 - Math.exp(-(VOICE_BANK_CONTROL_FRAMES * 1000) / (ms * sampleRate));
    p[s.rate] = sampleRate;
    p[s.smooth] = perControl(smoothingMs);
    p[s.freqSmooth] = perControl(smoothingMs);
    p[s.lanes] = Math.ceil(lanes / 4) * 4;
    p[s.waveform] = 1;
    p[s.width] = 0.5;
    p[s.fmRatio] = 1;
    p[s.cutoff] = clampCutoff(20000, sampleRate);
    p[s.k] = 1 / resonanceToQ(0);
    this.setFilterMode(0);
    for (const env of [BankEnvelope.Amp, BankEnvelope.Filter] as const) {
      // Envelope's defaults: linear attack, exponential decay and release.
      this.setEnvelope(env, {
        attackMs: 5,
        decayMs: 100,
        sustain: 0.8,
        releaseMs: 200,
        attackCurve: EnvelopeCurve.Linear,
        decayCurve: EnvelopeCurve.Exponential,
        releaseCurve: EnvelopeCurve.Exponential,
      });
    }
    this.#fillResidualTables(instance);
    this.#kernel.settle();
    this.#kernel.clear();
  }

  /**
   * The kernel's residual tables, sampled from the oscillator's windowed-sinc
   * step and ramp residuals ({@linkcode blepResidual}, {@linkcode blampResidual}):
   * tap k, point j at k − 8 + j/phases frames (the last point of a tap just
   * left of the next, so the step at 0 stays inside its tap).
   */
  #fillResidualTables(instance: WebAssembly.Instance): void {
    const taps = globalOf(instance, "RESIDUAL_TAPS");
    const phases = globalOf(instance, "RESIDUAL_PHASES");
    const half = taps / 2;
    const buffer = this.#kernel.memory.buffer;
    const size = taps * (phases + 1);
    const blep = new Float32Array(buffer, this.#kernel.blepTableOffset(), size);
    const blamp = new Float32Array(buffer, this.#kernel.blampTableOffset(), size);
    for (let k = 0; k < taps; k++) {
      for (let j = 0; j <= phases; j++) {
        const x = k - half + j / phases - (j === phases ? 1e-9 : 0);
        blep[k * (phases + 1) + j] = blepResidual(x);
        blamp[k * (phases + 1) + j] = blampResidual(x);
      }
    }
  }

  /** Bytes of one snapshot ({@linkcode saveState}), in float64 slots. */
  get stateSize(): number {
    return this.#state.length;
  }

  // ------------------------------------------------------------ parameters

  /** Set the waveform (a {@linkcode Waveform}). @throws {RangeError} for an unknown one. */
  setWaveform(waveform: WaveformId): void {
    if (!(Number.isInteger(waveform) && waveform >= 0 && waveform <= 4)) {
      throw new RangeError(`waveform must be 0..4 (a Waveform), got ${waveform}`);
    }
    this.#params[this.#slots.waveform] = waveform;
  }

  /** Glide the detune to `cents` (clamped to ±1200). @throws {RangeError} if not finite. */
  setDetune(cents: number): void {
    checkFinite("detune", cents);
    this.#params[this.#slots.detune] = clamp(cents, -1200, 1200);
  }

  /** Glide the pulse width (fraction of the period, clamped to 0.01..0.99). @throws {RangeError} if not finite. */
  setPulseWidth(width: number): void {
    checkFinite("pulse width", width);
    this.#params[this.#slots.width] = clamp(width, 0.01, 0.99);
  }

  /** Glide the sub-oscillator level (0..1). @throws {RangeError} if not finite. */
  setSubLevel(level: number): void {
    checkFinite("sub level", level);
    this.#params[this.#slots.sub] = clamp(level, 0, 1);
  }

  /** Glide the FM ratio (modulator / carrier, 0..32) and index (radians, 0..16). @throws {RangeError} if not finite. */
  setFm(ratio: number, index: number): void {
    checkFinite("FM ratio", ratio);
    checkFinite("FM index", index);
    this.#params[this.#slots.fmRatio] = clamp(ratio, 0, 32);
    this.#params[this.#slots.fmIndex] = clamp(index, 0, 16);
  }

  /** Switch the filter mode (a {@linkcode SvfMode}), crossfaded. @throws {RangeError} for an unknown one. */
  setFilterMode(mode: SvfModeId): void {
    const w = MODE_WEIGHTS[mode];
    if (w === undefined) throw new RangeError(`filter mode must be 0..3 (an SvfMode), got ${mode}`);
    const p = this.#params;
    const s = this.#slots;
    p[s.wx] = w[0];
    p[s.wb] = w[1];
    p[s.wl] = w[2];
  }

  /** Glide the cutoff to `hz` (clamped to 20 Hz .. 0.45·rate). @throws {RangeError} if not finite. */
  setCutoff(hz: Hz): void {
    checkFinite("cutoff", hz);
    this.#params[this.#slots.cutoff] = clampCutoff(hz, this.sampleRate);
  }

  /** Glide the resonance (0..1, Q from 1/√2 to 20). @throws {RangeError} if not finite. */
  setResonance(resonance: number): void {
    checkFinite("resonance", resonance);
    this.#params[this.#slots.k] = 1 / resonanceToQ(clamp(resonance, 0, 1));
  }

  /** Glide the key tracking: octaves of cutoff per octave of pitch above C4 (−2..2). @throws {RangeError} if not finite. */
  setKeyTrack(amount: number): void {
    checkFinite("key tracking", amount);
    this.#params[this.#slots.keyTrack] = clamp(amount, -2, 2);
  }

  /** Glide the filter envelope amount in octaves (−10..10). @throws {RangeError} if not finite. */
  setFilterEnvAmount(octaves: number): void {
    checkFinite("filter envelope amount", octaves);
    this.#params[this.#slots.envAmount] = clamp(octaves, -10, 10);
  }

  /**
   * Set an envelope's times (ms; latched when a segment starts), sustain
   * (0..1, glided), curves and velocity sensitivity (0..1: peak =
   * 1 − amount·(1 − velocity)). Missing fields keep their values; nothing
   * changes when any field is refused. Control side (allocates; the render
   * loop's commands use the single-value setters below).
   * @throws {RangeError} for a negative or non-finite time, a level outside 0..1 or an unknown curve.
   */
  setEnvelope(
    which: BankEnvelopeId,
    e: {
      readonly attackMs?: Milliseconds;
      readonly decayMs?: Milliseconds;
      readonly sustain?: number;
      readonly releaseMs?: Milliseconds;
      readonly attackCurve?: EnvelopeCurveId;
      readonly decayCurve?: EnvelopeCurveId;
      readonly releaseCurve?: EnvelopeCurveId;
      readonly velocitySensitivity?: number;
    },
  ): void {
    // Validate everything before writing anything.
    const rate = this.sampleRate;
    for (const ms of [e.attackMs, e.decayMs, e.releaseMs]) {
      if (ms !== undefined) adsrSegmentFrames(ms, rate);
    }
    if (e.sustain !== undefined) checkUnit("sustain", e.sustain);
    if (e.velocitySensitivity !== undefined) {
      checkUnit("velocity sensitivity", e.velocitySensitivity);
    }
    for (const c of [e.attackCurve, e.decayCurve, e.releaseCurve]) {
      if (c !== undefined) checkCurve(c);
    }
    if (e.attackMs !== undefined) this.setEnvelopeTime(which, AdsrStage.Attack, e.attackMs);
    if (e.decayMs !== undefined) this.setEnvelopeTime(which, AdsrStage.Decay, e.decayMs);
    if (e.releaseMs !== undefined) this.setEnvelopeTime(which, AdsrStage.Release, e.releaseMs);
    if (e.sustain !== undefined) this.setSustain(which, e.sustain);
    if (e.velocitySensitivity !== undefined) {
      this.setVelocitySensitivity(which, e.velocitySensitivity);
    }
    if (e.attackCurve !== undefined) this.setEnvelopeCurve(which, AdsrStage.Attack, e.attackCurve);
    if (e.decayCurve !== undefined) this.setEnvelopeCurve(which, AdsrStage.Decay, e.decayCurve);
    if (e.releaseCurve !== undefined) {
      this.setEnvelopeCurve(which, AdsrStage.Release, e.releaseCurve);
    }
  }

  /** First parameter slot of envelope `which`. */
  #envelopeBase(which: BankEnvelopeId): number {
    return this.#slots.envelopes[which === BankEnvelope.Filter ? 1 : 0];
  }

  /**
   * Set the time of `stage` (attack, decay or release) of envelope `which`
   * in ms; it applies from the next segment. Control side; allocates nothing.
   * @throws {RangeError} for a negative or non-finite time or another stage.
   */
  setEnvelopeTime(which: BankEnvelopeId, stage: AdsrStageId, ms: Milliseconds): void {
    const frames = adsrSegmentFrames(ms, this.sampleRate);
    const s = this.#slots;
    const slot = stage === AdsrStage.Attack
      ? s.attack
      : stage === AdsrStage.Decay
      ? s.decay
      : stage === AdsrStage.Release
      ? s.release
      : -1;
    if (slot < 0) throw new RangeError(`envelope stage must be attack, decay or release`);
    this.#params[this.#envelopeBase(which) + slot] = frames;
  }

  /**
   * Set the curve of `stage` (attack, decay or release) of envelope `which`.
   * Control side; allocates nothing.
   * @throws {RangeError} for an unknown curve or another stage.
   */
  setEnvelopeCurve(which: BankEnvelopeId, stage: AdsrStageId, curve: EnvelopeCurveId): void {
    checkCurve(curve);
    const s = this.#slots;
    const slot = stage === AdsrStage.Attack
      ? s.attackCurve
      : stage === AdsrStage.Decay
      ? s.decayCurve
      : stage === AdsrStage.Release
      ? s.releaseCurve
      : -1;
    if (slot < 0) throw new RangeError(`envelope stage must be attack, decay or release`);
    this.#params[this.#envelopeBase(which) + slot] = curve;
  }

  /** Glide envelope `which`'s sustain level (0..1). Control side; allocates nothing. @throws {RangeError} outside 0..1. */
  setSustain(which: BankEnvelopeId, level: number): void {
    checkUnit("sustain", level);
    this.#params[this.#envelopeBase(which) + this.#slots.sustain] = level;
  }

  /** Set envelope `which`'s velocity sensitivity (0..1). Control side; allocates nothing. @throws {RangeError} outside 0..1. */
  setVelocitySensitivity(which: BankEnvelopeId, amount: number): void {
    checkUnit("velocity sensitivity", amount);
    this.#params[this.#envelopeBase(which) + this.#slots.sensitivity] = amount;
  }

  /** Set the mode of both envelopes (a {@linkcode EnvelopeMode}). @throws {RangeError} for an unknown one. */
  setEnvelopeMode(mode: EnvelopeModeId): void {
    if (!(mode === 0 || mode === 1)) {
      throw new RangeError(`envelope mode must be 0 or 1, got ${mode}`);
    }
    this.#params[this.#slots.envMode] = mode;
  }

  /** Jump every glided parameter to its target. Control side. */
  settle(): void {
    this.#kernel.settle();
  }

  // ------------------------------------------------------------ notes

  #lane(lane: number): number {
    if (!(Number.isInteger(lane) && lane >= 0 && lane < this.lanes)) {
      throw new RangeError(`voice must be a whole number 0..${this.lanes - 1}, got ${lane}`);
    }
    return lane;
  }

  #note(note: number): number {
    if (!(note >= 0 && note <= 127)) throw new RangeError(`note must be 0..127, got ${note}`);
    return note;
  }

  #velocity(velocity: number): number {
    if (Number.isNaN(velocity)) throw new RangeError("velocity must be between 0 and 1, got NaN");
    return clamp(velocity, 0, 1);
  }

  /** Start `lane` from silence at MIDI `note` (fractions allowed) with `velocity` 0..1. */
  start(lane: number, note: number, velocity: number): void {
    this.#kernel.noteStart(this.#lane(lane), this.#note(note), this.#velocity(velocity));
  }

  /** Retrigger both envelopes of `lane` from their levels and move to `note`, gliding over `glideFrames`. */
  retrigger(lane: number, note: number, velocity: number, glideFrames: Frames = 0): void {
    this.#kernel.noteRetrigger(
      this.#lane(lane),
      this.#note(note),
      this.#velocity(velocity),
      glideFrames,
    );
  }

  /** Move `lane` to `note`: linear in semitones over `glideFrames` (0: at once). */
  moveTo(lane: number, note: number, glideFrames: Frames = 0): void {
    this.#kernel.noteMove(this.#lane(lane), this.#note(note), glideFrames);
  }

  /** Close both gates of `lane` (release). */
  release(lane: number): void {
    this.#kernel.noteRelease(this.#lane(lane));
  }

  /** Silence `lane` at once. */
  stop(lane: number): void {
    this.#kernel.noteStop(this.#lane(lane));
  }

  /** Silence every lane at once and clear all voice state. */
  clear(): void {
    this.#kernel.clear();
  }

  /** Stage of `lane`'s amp envelope. */
  stage(lane: number): AdsrStageId {
    return this.#kernel.laneStage(this.#lane(lane)) as AdsrStageId;
  }

  /** True once `lane`'s amp envelope is idle. */
  isIdle(lane: number): boolean {
    return this.#kernel.laneStage(this.#lane(lane)) === 0;
  }

  /** Pitch of `lane` in semitones (fractional while gliding). */
  pitch(lane: number): number {
    return this.#kernel.lanePitch(this.#lane(lane));
  }

  /** `lane`'s amp envelope level after the last frame rendered. */
  level(lane: number): number {
    return this.#kernel.laneLevel(this.#lane(lane));
  }

  /** `lane`'s filter envelope level at the last control point. */
  filterEnvelope(lane: number): number {
    return this.#kernel.laneFilterEnvelope(this.#lane(lane));
  }

  // ------------------------------------------------------------ render

  /**
   * Add every voice, summed, into `out[start..end)` (clamped to `out`).
   * Render loop; allocates nothing.
   */
  render(out: Float64Array | Float32Array, start: Frames, end: Frames): void {
    const frames = out.length;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    const block = this.#out;
    const kernel = this.#kernel;
    for (let c = s; c < e; c += KERNEL_FRAMES) {
      const n = e - c < KERNEL_FRAMES ? e - c : KERNEL_FRAMES;
      kernel.render(n);
      for (let i = 0; i < n; i++) out[c + i] = (out[c + i] as number) + (block[i] as number);
    }
  }

  // ------------------------------------------------------------ snapshots

  /** Write the whole state (voices, glided values, parameters) to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    const state = this.#state;
    for (let i = 0; i < state.length; i++) dst[offset + i] = state[i] as number;
    return offset + state.length;
  }

  /**
   * Read a state written by {@linkcode saveState}; returns the offset after
   * it. The parameters are not read: they stay this bank's (the owner sets
   * them, a valid snapshot holds the same). What a valid snapshot cannot
   * hold is repaired: a voice with any such value goes idle, glided values
   * that are not finite jump to their targets.
   */
  loadState(src: Float64Array, offset: number): number {
    const state = this.#state;
    const params = this.#params;
    const keep = this.#keptParams;
    keep.set(params);
    for (let i = 0; i < state.length; i++) state[i] = src[offset + i] ?? NaN;
    params.set(keep);
    this.#kernel.repair();
    return offset + state.length;
  }
}
