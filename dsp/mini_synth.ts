/**
 * The minimal synth: sine → resonant SVF low-pass → × ADSR → × master gain,
 * mono duplicated to two interleaved channels, driven by numeric parameter
 * ids from {@linkcode SynthParam}.
 *
 * @module
 */

import { checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { Adsr, ADSR_STATE_SIZE } from "./adsr.ts";
import { clampParam, PARAM_COUNT, PARAM_SPECS, SynthParam } from "./params.ts";
import { SINE_STATE_SIZE, SineOscillator } from "./sine.ts";
import { ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import { SVF_STATE_SIZE, SvfLowpass } from "./svf_lowpass.ts";
import type { Frames, Hz } from "./units.ts";

/** First slot of every {@linkcode MiniSynth} snapshot: format tag and version ("CMS", 1). */
export const MINI_SYNTH_STATE_TAG = 0x434d5301;

/** Header slots of a snapshot: tag and sample rate. */
const HEADER_SIZE = 2;

/** Number of float64 slots in a {@linkcode MiniSynth} snapshot. */
export const MINI_SYNTH_STATE_SIZE = HEADER_SIZE + PARAM_COUNT + SINE_STATE_SIZE +
  SVF_STATE_SIZE + ADSR_STATE_SIZE + SMOOTHER_STATE_SIZE;

/** Output channels of {@linkcode MiniSynth.render} (interleaved). */
export const MINI_SYNTH_CHANNELS = 2;

/** Gate values at or above this open the envelope; below it they close it. */
export const GATE_THRESHOLD = 0.5;

function initialParam(id: number): number {
  return PARAM_SPECS[id]?.initial ?? 0;
}

/**
 * Sine → SVF low-pass → ADSR → master gain. Deterministic: two instances fed
 * the same calls produce bit-identical output, and a snapshot
 * ({@linkcode saveState} / {@linkcode loadState}) makes a second instance
 * continue bit-identically (hot standby).
 *
 * `setParam`, `getParam`, `saveState` and `loadState` are called by the
 * control side between sub-blocks; `render` by the render loop, where it
 * neither allocates nor throws.
 *
 * @example
 * ```ts
 * import { MiniSynth } from "./mini_synth.ts";
 * import { SynthParam } from "./params.ts";
 * const synth = new MiniSynth(48000);
 * const block = new Float32Array(128 * 2);
 * synth.setParam(SynthParam.Gate, 1);
 * synth.render(block, 0, 64);
 * synth.setParam(SynthParam.FilterCutoff, 800); // takes effect at frame 64
 * synth.render(block, 64, 128);
 * ```
 */
export class MiniSynth {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode MINI_SYNTH_STATE_SIZE}). */
  readonly stateSize: number = MINI_SYNTH_STATE_SIZE;
  readonly #params = new Float64Array(PARAM_COUNT);
  readonly #osc: SineOscillator;
  readonly #filter: SvfLowpass;
  readonly #env: Adsr;
  readonly #master: ParamSmoother;
  readonly #scratch = new Float64Array(MINI_SYNTH_STATE_SIZE);
  readonly #voice = new Float64Array(SCRATCH_FRAMES);
  readonly #levels = new Float64Array(SCRATCH_FRAMES);
  readonly #gains = new Float64Array(SCRATCH_FRAMES);

  /**
   * A synth at rest (gate closed), parameters at their
   * {@linkcode PARAM_SPECS} initial values.
   *
   * @param sampleRate sample rate in Hz.
   * @throws {RangeError} if the sample rate is out of range.
   */
  constructor(sampleRate: Hz) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    for (let id = 0; id < PARAM_COUNT; id++) this.#params[id] = initialParam(id);
    const p = (id: number): number => this.#params[id] ?? 0;
    this.#osc = new SineOscillator(sampleRate, {
      frequency: p(SynthParam.SineFreq),
      gain: p(SynthParam.SineGain),
    });
    this.#filter = new SvfLowpass(sampleRate, {
      cutoffHz: p(SynthParam.FilterCutoff),
      resonance: p(SynthParam.FilterResonance),
    });
    this.#env = new Adsr(sampleRate, {
      attackMs: p(SynthParam.AdsrAttack),
      decayMs: p(SynthParam.AdsrDecay),
      sustain: p(SynthParam.AdsrSustain),
      releaseMs: p(SynthParam.AdsrRelease),
    });
    this.#master = new ParamSmoother(sampleRate, { initial: p(SynthParam.MasterGain) });
  }

  /**
   * Set parameter `id` to `value`, clamped to its range. Continuous
   * parameters glide; ADSR times apply from the next segment; the gate acts
   * only on edges (>= {@linkcode GATE_THRESHOLD} opens, below closes).
   *
   * @returns false (and changes nothing) for an unknown id, NaN or ±Infinity.
   */
  setParam(id: number, value: number): boolean {
    if (!Number.isFinite(value)) return false;
    const v = clampParam(id, value);
    if (Number.isNaN(v)) return false;
    const params = this.#params;
    const wasOpen = (params[SynthParam.Gate] as number) >= GATE_THRESHOLD;
    params[id] = v;
    switch (id) {
      case SynthParam.SineFreq:
        this.#osc.setFrequency(v);
        break;
      case SynthParam.SineGain:
        this.#osc.setGain(v);
        break;
      case SynthParam.FilterCutoff:
        this.#filter.setCutoff(v);
        break;
      case SynthParam.FilterResonance:
        this.#filter.setResonance(v);
        break;
      case SynthParam.AdsrAttack:
        this.#env.setAttack(v);
        break;
      case SynthParam.AdsrDecay:
        this.#env.setDecay(v);
        break;
      case SynthParam.AdsrSustain:
        this.#env.setSustain(v);
        break;
      case SynthParam.AdsrRelease:
        this.#env.setRelease(v);
        break;
      case SynthParam.Gate: {
        const open = v >= GATE_THRESHOLD;
        if (open && !wasOpen) this.#env.gateOn();
        else if (!open && wasOpen) this.#env.gateOff();
        break;
      }
      case SynthParam.MasterGain:
        this.#master.setTarget(v);
        break;
    }
    return true;
  }

  /** The last value set (clamped) for parameter `id`; NaN for an unknown id. */
  getParam(id: number): number {
    return PARAM_SPECS[id] === undefined ? NaN : this.#params[id] ?? NaN;
  }

  /**
   * Render frames [start, end) into the interleaved stereo block `out`
   * (frame i at out[2i] and out[2i+1]); frames outside the range are not
   * touched. The range is clamped to the block. If anything non-finite
   * appears, the range is zeroed and the synth is reset to silence (gate
   * closed, integrators cleared, finite parameters kept). Render loop.
   */
  render(out: Float32Array, start: Frames, end: Frames): void {
    const frames = out.length >> 1;
    // Whole frame numbers as int32, so nothing below is a boxed double.
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    const voice = this.#voice;
    const levels = this.#levels;
    const gains = this.#gains;
    let bad = 0;
    // Stage by stage over scratch chunks; the mixing loop calls nothing (see _scratch.ts).
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      this.#osc.process(voice, 0, n);
      this.#filter.process(voice, 0, n);
      this.#env.process(levels, 0, n);
      this.#master.fill(gains, 0, n);
      for (let i = 0; i < n; i++) {
        const y = Math.fround(
          (voice[i] as number) * (levels[i] as number) * (gains[i] as number),
        );
        bad += y - y;
        const o = 2 * (c + i);
        out[o] = y;
        out[o + 1] = y;
      }
    }
    if (bad !== 0 || !this.#stateIsFinite()) {
      if (e > s) out.fill(0, 2 * s, 2 * e);
      this.#resetToSilence();
    }
  }

  /**
   * Copy the complete state (parameters, phases, smoothers, envelope,
   * filter integrators) into `dst[0..stateSize)`. Control side.
   * @throws {RangeError} if `dst` is shorter than {@linkcode stateSize}.
   */
  saveState(dst: Float64Array): void {
    if (dst.length < MINI_SYNTH_STATE_SIZE) {
      throw new RangeError(
        `state buffer must hold at least ${MINI_SYNTH_STATE_SIZE} values, got ${dst.length}`,
      );
    }
    dst[0] = MINI_SYNTH_STATE_TAG;
    dst[1] = this.sampleRate;
    dst.set(this.#params, HEADER_SIZE);
    let o = HEADER_SIZE + PARAM_COUNT;
    o = this.#osc.saveState(dst, o);
    o = this.#filter.saveState(dst, o);
    o = this.#env.saveState(dst, o);
    this.#master.saveState(dst, o);
  }

  /**
   * Restore a state written by {@linkcode saveState} of a synth with the same
   * sample rate; from then on this synth renders bit-identically to the one
   * saved. Non-finite values are not rejected here: the first `render` resets
   * them to silence. Control side.
   * @throws {RangeError} if `src` is too short, is not a MiniSynth snapshot, or
   * was taken at another sample rate.
   */
  loadState(src: Float64Array): void {
    if (src.length < MINI_SYNTH_STATE_SIZE) {
      throw new RangeError(
        `state buffer must hold at least ${MINI_SYNTH_STATE_SIZE} values, got ${src.length}`,
      );
    }
    if (src[0] !== MINI_SYNTH_STATE_TAG) {
      throw new RangeError(
        `state must start with tag ${MINI_SYNTH_STATE_TAG} (a MiniSynth snapshot), got ${src[0]}`,
      );
    }
    if (src[1] !== this.sampleRate) {
      throw new RangeError(
        `state sample rate must be ${this.sampleRate} Hz, got ${src[1]}`,
      );
    }
    this.#params.set(src.subarray(HEADER_SIZE, HEADER_SIZE + PARAM_COUNT));
    let o = HEADER_SIZE + PARAM_COUNT;
    o = this.#osc.loadState(src, o);
    o = this.#filter.loadState(src, o);
    o = this.#env.loadState(src, o);
    this.#master.loadState(src, o);
  }

  #stateIsFinite(): boolean {
    const s = this.#scratch;
    this.saveState(s);
    let acc = 0;
    for (let i = 0; i < MINI_SYNTH_STATE_SIZE; i++) acc += (s[i] as number) * 0;
    return acc === 0;
  }

  /**
   * Back to a silent, valid state: non-finite parameters to their initial
   * values, gate closed, integrators and phase cleared. Allocates nothing.
   */
  #resetToSilence(): void {
    const params = this.#params;
    for (let id = 0; id < PARAM_COUNT; id++) {
      const v = params[id] as number;
      params[id] = Number.isFinite(v) ? clampParam(id, v) : initialParam(id);
    }
    params[SynthParam.Gate] = 0;
    const osc = this.#osc;
    osc.setFrequency(params[SynthParam.SineFreq] as number);
    osc.setGain(params[SynthParam.SineGain] as number);
    osc.settle();
    osc.resetPhase(0);
    const filter = this.#filter;
    filter.setCutoff(params[SynthParam.FilterCutoff] as number);
    filter.setResonance(params[SynthParam.FilterResonance] as number);
    filter.reset();
    const env = this.#env;
    env.setAttack(params[SynthParam.AdsrAttack] as number);
    env.setDecay(params[SynthParam.AdsrDecay] as number);
    env.setSustain(params[SynthParam.AdsrSustain] as number);
    env.setRelease(params[SynthParam.AdsrRelease] as number);
    env.reset();
    this.#master.reset(params[SynthParam.MasterGain] as number);
  }
}
