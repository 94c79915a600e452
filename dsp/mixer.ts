/**
 * The mixer: sums channels (instruments, a drum kit, any stereo source) into
 * a master bus and two send buses, runs the shared send effects — a
 * {@linkcode Reverb} and a {@linkcode StereoDelay}, both fully wet — and
 * returns them into the master, then the master chain: smoothed master
 * gain → {@linkcode OutputGuard} (NaN, ±Infinity, runaway → silence and a
 * fault count) → {@linkcode SafetyLimiter}, so the output never exceeds the
 * ceiling (−0.3 dBFS by default, never above).
 *
 * ```
 * channel ─┬─ dry (post gain, pan) ─────────────────────┐
 *          ├─ × reverb send ─→ reverb bus ─→ Reverb ─ × return ─┤
 *          └─ × delay send ──→ delay bus ──→ StereoDelay ─ × return ─┤
 *                                          master: Σ × gain → guard → limiter → out
 * ```
 *
 * A channel is anything implementing {@linkcode MixerChannel}: it adds
 * itself, already panned and with its sends, into the buses
 * (`Instrument` in instrument.ts does). A plain stereo source (anything
 * with `render(out, start, end)`, such as a drum kit) becomes a channel
 * through a {@linkcode ChannelStrip}, which gives it gain, balance and sends.
 *
 * @module
 */

import { checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import {
  DELAY_DEFAULT_MAX_TIME_MS,
  DELAY_MAX_FEEDBACK,
  DELAY_MAX_TIME_MS,
  StereoDelay,
  stereoDelayStateSize,
  tempoSyncMs,
} from "./delay.ts";
import {
  LIMITER_DEFAULT_CEILING_DB,
  LIMITER_DEFAULT_LOOKAHEAD_MS,
  LIMITER_MIN_CEILING_DB,
  SafetyLimiter,
  safetyLimiterStateSize,
} from "./limiter.ts";
import { OUTPUT_GUARD_STATE_SIZE, OutputGuard } from "./output_guard.ts";
import { Reverb, reverbStateSize } from "./reverb.ts";
import { DEFAULT_SMOOTHING_MS, ParamSmoother, SMOOTHER_STATE_SIZE } from "./smoother.ts";
import type { Decibels, Frames, Hz, Milliseconds } from "./units.ts";

/** Send buses of a {@linkcode Mixer}: the index into the `sends` of {@linkcode MixerChannel.mixInto}. */
export const SendBus = {
  /** Into the shared reverb. */
  Reverb: 0,
  /** Into the shared stereo delay. */
  Delay: 1,
} as const;

/** A send bus (a value of {@linkcode SendBus}). */
export type SendBusId = typeof SendBus[keyof typeof SendBus];

/** Number of send buses. */
export const SEND_BUS_COUNT = 2;

/** Default most channels of a {@linkcode Mixer}. */
export const MIXER_DEFAULT_CHANNELS = 16;

/**
 * A mixer input. The mixer calls {@linkcode mixInto} from the render loop,
 * once per chunk of at most SCRATCH_FRAMES frames.
 */
export interface MixerChannel {
  /** The channel's name, unique within a mixer. */
  readonly name: string;
  /**
   * Add frames [start, end) of this channel, post gain and pan, into the
   * interleaved stereo bus `dry`, and its send signals into
   * `sends[SendBus.Reverb]` and `sends[SendBus.Delay]` (same layout).
   * Must neither allocate nor throw.
   */
  mixInto(dry: Float32Array, sends: readonly Float32Array[], start: Frames, end: Frames): void;
}

/** A stereo source for a {@linkcode ChannelStrip}: a drum kit, a sampler, another synth. */
export interface StereoSource {
  /**
   * Write or add frames [start, end) of interleaved stereo into `out` (the
   * strip clears them first, so both work). Render loop: must neither
   * allocate nor throw.
   */
  render(out: Float32Array, start: Frames, end: Frames): void;
}

/**
 * Equal-power pan gains [left, right] for `pan` in −1 (left) .. 1 (right),
 * clamped: sin((1 − pan)·π/4) and sin((1 + pan)·π/4). The centre is −3 dB
 * (1/√2) each side; a hard pan leaves the other side at exactly 0.
 *
 * @throws {RangeError} if `pan` is NaN.
 *
 * @example
 * ```ts
 * import { panGains } from "./mixer.ts";
 * panGains(0); // [0.7071…, 0.7071…]
 * panGains(-1); // [1, 0]
 * ```
 */
export function panGains(pan: number): readonly [number, number] {
  if (Number.isNaN(pan)) throw new RangeError("pan must be between -1 and 1, got NaN");
  const p = pan < -1 ? -1 : pan > 1 ? 1 : pan;
  return [Math.sin(((1 - p) * Math.PI) / 4), Math.sin(((1 + p) * Math.PI) / 4)];
}

/**
 * Balance gains [left, right] for a stereo source at `pan` (clamped to
 * −1..1): the equal-power gains × √2, capped at 1, so the centre is unity
 * and a hard pan silences the other side exactly.
 *
 * @throws {RangeError} if `pan` is NaN.
 *
 * @example
 * ```ts
 * import { balanceGains } from "./mixer.ts";
 * balanceGains(0); // [1, 1]
 * balanceGains(1); // [0, 1]
 * ```
 */
export function balanceGains(pan: number): readonly [number, number] {
  const [l, r] = panGains(pan);
  return [Math.min(1, Math.SQRT2 * l), Math.min(1, Math.SQRT2 * r)];
}

/** Range, default and unit of one mixer or channel-strip parameter. */
export interface MixerParamSpec {
  /** The parameter id. */
  readonly id: number;
  /** Address, e.g. "reverb/size" for `/mix/reverb/size`. */
  readonly name: string;
  /** Smallest accepted value. */
  readonly min: number;
  /** Largest accepted value. */
  readonly max: number;
  /** Value at start-up. */
  readonly initial: number;
  /** Unit shown to users; "" for linear amounts. */
  readonly unit: "ms" | "dB" | "bpm" | "beats" | "";
  /** True when only 0 or 1 is meaningful (values >= 0.5 are on). */
  readonly toggle?: boolean;
}

function clampSpec(specs: readonly MixerParamSpec[], id: number, value: number): number {
  const spec = specs[id];
  if (spec === undefined || !Number.isFinite(value)) return NaN;
  const v = spec.toggle === true ? (value >= 0.5 ? 1 : 0) : value;
  return v < spec.min ? spec.min : v > spec.max ? spec.max : v;
}

function specId(specs: readonly MixerParamSpec[], name: string): number {
  for (const spec of specs) if (spec.name === name) return spec.id;
  return -1;
}

/** Numeric ids of a {@linkcode ChannelStrip}'s parameters. */
export const StripParam = {
  /** Gain, linear 0..2. */
  Gain: 0,
  /** Balance, −1 (left) .. 1 (right), see {@linkcode balanceGains}. */
  Pan: 1,
  /** Reverb send, 0..1 (post gain and balance). */
  ReverbSend: 2,
  /** Delay send, 0..1 (post gain and balance). */
  DelaySend: 3,
} as const;

/** Number of channel-strip parameters. */
export const STRIP_PARAM_COUNT = 4;

/** Specs of the channel-strip parameters, indexed by id. */
export const STRIP_PARAM_SPECS: readonly MixerParamSpec[] = [
  { id: StripParam.Gain, name: "gain", min: 0, max: 2, initial: 1, unit: "" },
  { id: StripParam.Pan, name: "pan", min: -1, max: 1, initial: 0, unit: "" },
  { id: StripParam.ReverbSend, name: "send/reverb", min: 0, max: 1, initial: 0, unit: "" },
  { id: StripParam.DelaySend, name: "send/delay", min: 0, max: 1, initial: 0, unit: "" },
];

/** Float64 slots used by {@linkcode ChannelStrip.saveState}. */
export const CHANNEL_STRIP_STATE_SIZE = STRIP_PARAM_COUNT * (1 + SMOOTHER_STATE_SIZE);

/** Smoothing option of {@linkcode ChannelStrip} and {@linkcode Mixer}. */
export interface SmoothingOptions {
  /** Smoothing time constant of every parameter in ms; default 5. */
  readonly smoothingMs?: Milliseconds;
}

/** What a {@linkcode ChannelStrip} is made of. */
export interface ChannelStripInit extends SmoothingOptions {
  /** The source rendered by the strip. */
  readonly source: StereoSource;
}

/**
 * A {@linkcode StereoSource} as a mixer channel: smoothed gain, balance
 * ({@linkcode balanceGains}) and reverb and delay sends. The source renders
 * into the strip's own chunk buffer. Setters and snapshots are control side;
 * {@linkcode mixInto} is the render loop's and allocates nothing.
 *
 * @example
 * ```ts
 * import { ChannelStrip, Mixer, StripParam } from "./mixer.ts";
 * const kit = { render(out: Float32Array, start: number, end: number) { out.fill(0, 2 * start, 2 * end); } };
 * const drums = new ChannelStrip("drums", 48000, { source: kit });
 * drums.setParam(StripParam.ReverbSend, 0.2);
 * const mixer = new Mixer(48000);
 * mixer.addChannel(drums);
 * ```
 */
export class ChannelStrip implements MixerChannel {
  /** The channel's name. */
  readonly name: string;
  /** The source rendered. */
  readonly source: StereoSource;
  /** Float64 slots needed by {@linkcode saveState} ({@linkcode CHANNEL_STRIP_STATE_SIZE}). */
  readonly stateSize: number = CHANNEL_STRIP_STATE_SIZE;
  readonly #params = new Float64Array(STRIP_PARAM_COUNT);
  readonly #smoothers: readonly ParamSmoother[];
  readonly #buf = new Float32Array(2 * SCRATCH_FRAMES);
  readonly #gains = new Float64Array(SCRATCH_FRAMES);
  readonly #pans = new Float64Array(SCRATCH_FRAMES);
  readonly #sends = new Float64Array(SCRATCH_FRAMES);

  /**
   * A strip for `init.source` at unity gain, centred, sends at 0.
   *
   * @param name the channel's name.
   * @param sampleRate sample rate in Hz.
   * @param init the source and the smoothing time.
   * @throws {RangeError} for an empty name, a bad rate or smoothing time.
   */
  constructor(name: string, sampleRate: Hz, init: ChannelStripInit) {
    if (name.length === 0) throw new RangeError("channel name must not be empty");
    checkSampleRate(sampleRate);
    this.name = name;
    this.source = init.source;
    const timeMs = init.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    this.#smoothers = STRIP_PARAM_SPECS.map((spec) =>
      new ParamSmoother(sampleRate, { timeMs, initial: spec.initial })
    );
    for (const spec of STRIP_PARAM_SPECS) this.#params[spec.id] = spec.initial;
  }

  /**
   * Set parameter `id` (a {@linkcode StripParam}) to `value`, clamped; it glides. Control side.
   * @returns false (no change) for an unknown id, NaN or ±Infinity.
   */
  setParam(id: number, value: number): boolean {
    const v = clampSpec(STRIP_PARAM_SPECS, id, value);
    if (Number.isNaN(v)) return false;
    this.#params[id] = v;
    (this.#smoothers[id] as ParamSmoother).setTarget(v);
    return true;
  }

  /** The last value set for parameter `id`; NaN for an unknown id. */
  getParam(id: number): number {
    return STRIP_PARAM_SPECS[id] === undefined ? NaN : this.#params[id] ?? NaN;
  }

  /**
   * Render the source into the strip's buffer and add it, with gain,
   * balance and sends, into the buses (see {@linkcode MixerChannel.mixInto}).
   * Non-finite source samples are read as 0. Render loop.
   */
  mixInto(dry: Float32Array, sends: readonly Float32Array[], start: Frames, end: Frames): void {
    const frames = dry.length >> 1;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    const buf = this.#buf;
    // Indexed, not destructured: destructuring runs the iterator protocol, which allocates.
    const smoothers = this.#smoothers;
    const gain = smoothers[StripParam.Gain] as ParamSmoother;
    const pan = smoothers[StripParam.Pan] as ParamSmoother;
    const reverb = smoothers[StripParam.ReverbSend] as ParamSmoother;
    const delay = smoothers[StripParam.DelaySend] as ParamSmoother;
    const gains = this.#gains;
    const pans = this.#pans;
    const q = Math.PI / 4;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      buf.fill(0, 0, 2 * n);
      this.source.render(buf, 0, n);
      gain.fill(gains, 0, n);
      pan.fill(pans, 0, n);
      const settled = pan.isSettled;
      // balanceGains, written out branch-free: min(a, 1) = (a + 1 − |a − 1|)/2. A phi
      // of a double and a small-integer literal can be boxed before V8 has fully
      // optimised the loop (see _scratch.ts).
      const p0 = pans[0] as number;
      const l0 = Math.SQRT2 * Math.sin((1 - p0) * q);
      const r0 = Math.SQRT2 * Math.sin((1 + p0) * q);
      const bl0 = 0.5 * (l0 + 1 - Math.abs(l0 - 1));
      const br0 = 0.5 * (r0 + 1 - Math.abs(r0 - 1));
      for (let i = 0; i < n; i++) {
        let bl = bl0;
        let br = br0;
        if (!settled) {
          const p = pans[i] as number;
          const l = Math.SQRT2 * Math.sin((1 - p) * q);
          const r = Math.SQRT2 * Math.sin((1 + p) * q);
          bl = 0.5 * (l + 1 - Math.abs(l - 1));
          br = 0.5 * (r + 1 - Math.abs(r - 1));
        }
        const g = gains[i] as number;
        // Non-finite source samples count as 0: x·0 is 0 for finite x, NaN otherwise.
        const x = buf[2 * i] as number;
        const y = buf[2 * i + 1] as number;
        const l = x * 0 === 0 ? x * g * bl : 0 * g;
        const r = y * 0 === 0 ? y * g * br : 0 * g;
        buf[2 * i] = l;
        buf[2 * i + 1] = r;
        const o = 2 * (c + i);
        dry[o] = (dry[o] as number) + l;
        dry[o + 1] = (dry[o + 1] as number) + r;
      }
      if (sends.length > SendBus.Reverb) {
        this.#send(reverb, StripParam.ReverbSend, sends[SendBus.Reverb], dry, c, n);
      }
      if (sends.length > SendBus.Delay) {
        this.#send(delay, StripParam.DelaySend, sends[SendBus.Delay], dry, c, n);
      }
    }
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst.set(this.#params, offset);
    let o = offset + STRIP_PARAM_COUNT;
    for (const s of this.#smoothers) o = s.saveState(dst, o);
    return o;
  }

  /**
   * Read the state written by {@linkcode saveState}; returns the offset after
   * it. Non-finite values become the parameters' initial values.
   */
  loadState(src: Float64Array, offset: number): number {
    let o = offset + STRIP_PARAM_COUNT;
    for (let id = 0; id < STRIP_PARAM_COUNT; id++) {
      const initial = (STRIP_PARAM_SPECS[id] as MixerParamSpec).initial;
      const v = clampSpec(STRIP_PARAM_SPECS, id, src[offset + id] ?? NaN);
      this.#params[id] = Number.isNaN(v) ? initial : v;
      const s = this.#smoothers[id] as ParamSmoother;
      o = s.loadState(src, o);
      repairSmoother(s, STRIP_PARAM_SPECS[id] as MixerParamSpec, this.#params[id] as number);
    }
    return o;
  }

  /** Add the strip's buffer [0..n) × send level (parameter `id`) into `bus` from frame `c`. */
  #send(
    level: ParamSmoother,
    id: number,
    bus: Float32Array | undefined,
    dry: Float32Array,
    c: number,
    n: number,
  ): void {
    if (bus === undefined || bus.length < dry.length) return;
    // The parameter (its target) from #params: a getter returning a double may box.
    if (this.#params[id] === 0 && level.isSettled) return;
    const sends = this.#sends;
    const buf = this.#buf;
    level.fill(sends, 0, n);
    for (let i = 0; i < n; i++) {
      const o = 2 * (c + i);
      const g = sends[i] as number;
      bus[o] = (bus[o] as number) + (buf[2 * i] as number) * g;
      bus[o + 1] = (bus[o + 1] as number) + (buf[2 * i + 1] as number) * g;
    }
  }
}

/**
 * A smoother loaded from a snapshot: value and target clamped to the range of
 * `spec`, a non-finite target to `fallback`, a non-finite value to the target.
 */
function repairSmoother(s: ParamSmoother, spec: MixerParamSpec, fallback: number): void {
  const clamp = (x: number): number => (x < spec.min ? spec.min : x > spec.max ? spec.max : x);
  const t = s.target;
  const v = s.value;
  const target = Number.isFinite(t) ? clamp(t) : fallback;
  const value = Number.isFinite(v) ? clamp(v) : target;
  if (value !== v || target !== t) {
    s.reset(value);
    s.setTarget(target);
  }
}

/** Numeric ids of the {@linkcode Mixer}'s parameters. */
export const MixerParam = {
  /** Master gain, linear 0..4 (before the guard and the limiter). */
  MasterGain: 0,
  /** Reverb return level into the master, 0..1. */
  ReverbReturn: 1,
  /** Delay return level into the master, 0..1. */
  DelayReturn: 2,
  /** Reverb size 0..1 (decay 0.2 s .. 10 s, see `reverbRt60`). */
  ReverbSize: 3,
  /** Reverb damping 0..1. */
  ReverbDamping: 4,
  /** Delay time in ms (clamped to the delay line's length); used while {@linkcode MixerParam.DelayBeats} is 0. */
  DelayTime: 5,
  /** Delay feedback 0..0.95. */
  DelayFeedback: 6,
  /** Delay ping-pong routing, 0 off, 1 on. */
  DelayPingPong: 7,
  /** Limiter ceiling in dBFS, at most −0.3. */
  Ceiling: 8,
  /** Tempo in beats (quarter notes) per minute, 20..300, for the tempo-synced delay. */
  Tempo: 9,
  /**
   * Delay time in beats at {@linkcode MixerParam.Tempo}, 0..16 (0.75 a
   * dotted eighth): `tempoSyncMs(tempo, beats)`, clamped to the delay line's
   * length. 0 turns tempo sync off: {@linkcode MixerParam.DelayTime} applies.
   */
  DelayBeats: 10,
} as const;

/** A mixer parameter id (a value of {@linkcode MixerParam}). */
export type MixerParamId = typeof MixerParam[keyof typeof MixerParam];

/** Number of mixer parameters. */
export const MIXER_PARAM_COUNT = 11;

/**
 * Specs of every mixer parameter, indexed by id.
 *
 * @example
 * ```ts
 * import { MIXER_PARAM_SPECS, MixerParam } from "./mixer.ts";
 * MIXER_PARAM_SPECS[MixerParam.Ceiling]?.max; // -0.3
 * ```
 */
export const MIXER_PARAM_SPECS: readonly MixerParamSpec[] = [
  { id: MixerParam.MasterGain, name: "gain", min: 0, max: 4, initial: 1, unit: "" },
  { id: MixerParam.ReverbReturn, name: "reverb/return", min: 0, max: 1, initial: 1, unit: "" },
  { id: MixerParam.DelayReturn, name: "delay/return", min: 0, max: 1, initial: 1, unit: "" },
  { id: MixerParam.ReverbSize, name: "reverb/size", min: 0, max: 1, initial: 0.5, unit: "" },
  { id: MixerParam.ReverbDamping, name: "reverb/damping", min: 0, max: 1, initial: 0.3, unit: "" },
  {
    id: MixerParam.DelayTime,
    name: "delay/time",
    min: 1,
    max: DELAY_MAX_TIME_MS,
    initial: 375,
    unit: "ms",
  },
  {
    id: MixerParam.DelayFeedback,
    name: "delay/feedback",
    min: 0,
    max: DELAY_MAX_FEEDBACK,
    initial: 0.4,
    unit: "",
  },
  {
    id: MixerParam.DelayPingPong,
    name: "delay/pingpong",
    min: 0,
    max: 1,
    initial: 0,
    unit: "",
    toggle: true,
  },
  {
    id: MixerParam.Ceiling,
    name: "ceiling",
    min: LIMITER_MIN_CEILING_DB,
    max: LIMITER_DEFAULT_CEILING_DB,
    initial: LIMITER_DEFAULT_CEILING_DB,
    unit: "dB",
  },
  { id: MixerParam.Tempo, name: "tempo", min: 20, max: 300, initial: 120, unit: "bpm" },
  { id: MixerParam.DelayBeats, name: "delay/beats", min: 0, max: 16, initial: 0, unit: "beats" },
];

/** Id of the mixer parameter addressed `name` (e.g. "reverb/size"); -1 if none. */
export function mixerParamId(name: string): number {
  return specId(MIXER_PARAM_SPECS, name);
}

/** Id of the channel-strip parameter addressed `name` (e.g. "send/delay"); -1 if none. */
export function stripParamId(name: string): number {
  return specId(STRIP_PARAM_SPECS, name);
}

/**
 * First slot of every {@linkcode Mixer} snapshot: format tag and version
 * ("CMX", 3; version 2 added the effects, the guard and the limiter,
 * version 3 the tempo and the delay's beats).
 */
export const MIXER_STATE_TAG = 0x434d5803;

/** Mixer smoothers: master gain, reverb return, delay return. */
const MIXER_SMOOTHERS = 3;

/** The mixer's own snapshot slots: tag, rate, parameters, smoothers. */
const OWN_STATE = 2 + MIXER_PARAM_COUNT + MIXER_SMOOTHERS * SMOOTHER_STATE_SIZE;

/** Options of {@linkcode Mixer}. */
export interface MixerOptions extends SmoothingOptions {
  /** Most channels, 1..256; default {@linkcode MIXER_DEFAULT_CHANNELS}. */
  readonly maxChannels?: number;
  /** Length of the delay line in ms, 1..4000; default 2000. */
  readonly delayMaxTimeMs?: Milliseconds;
  /**
   * The master limiter's look-ahead, which is also the latency it adds, in
   * ms; default `LIMITER_DEFAULT_LOOKAHEAD_MS`. Live playing wants it short.
   */
  readonly limiterLookaheadMs?: Milliseconds;
}

/**
 * Float64 slots of a {@linkcode Mixer} snapshot ({@linkcode Mixer.stateSize})
 * at `sampleRate` Hz with `options.delayMaxTimeMs` (the only option it
 * depends on): 19 of its own plus those of the reverb (reverbStateSize), the
 * delay (stereoDelayStateSize), the output guard (9) and the limiter
 * (safetyLimiterStateSize). 210495 at 48 kHz with the default 2 s delay line,
 * almost all of it the two effects' lines.
 *
 * @throws {RangeError} for a bad rate or delay length.
 *
 * @example
 * ```ts
 * import { mixerStateSize } from "./mixer.ts";
 * mixerStateSize(48000); // 210495
 * mixerStateSize(48000, { delayMaxTimeMs: 500 }); // 66495
 * ```
 */
export function mixerStateSize(sampleRate: Hz, options: MixerOptions = {}): number {
  return OWN_STATE + reverbStateSize(sampleRate) +
    stereoDelayStateSize(sampleRate, options.delayMaxTimeMs ?? DELAY_DEFAULT_MAX_TIME_MS) +
    OUTPUT_GUARD_STATE_SIZE +
    safetyLimiterStateSize(sampleRate, options.limiterLookaheadMs ?? LIMITER_DEFAULT_LOOKAHEAD_MS);
}

/**
 * Sums {@linkcode MixerChannel}s through the send effects and the master
 * chain (see the module doc). Channel changes, `setParam` and snapshots are
 * control side; {@linkcode render} is the render loop's and neither
 * allocates nor throws. Whatever the channels produce, the output is finite
 * and at most the ceiling (10^(−0.3/20) by default) in magnitude.
 *
 * @example
 * ```ts
 * import { Instrument, InstrumentParam } from "./instrument.ts";
 * import { Mixer, MixerParam } from "./mixer.ts";
 * const mixer = new Mixer(48000);
 * const pad = new Instrument("pad", 48000);
 * pad.setParam(InstrumentParam.ReverbSend, 0.4);
 * mixer.addChannel(pad);
 * mixer.setParam(MixerParam.ReverbSize, 0.8);
 * pad.noteOn(57);
 * const block = new Float32Array(2 * 128);
 * mixer.render(block, 0, 128);
 * ```
 */
export class Mixer {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Most channels. */
  readonly maxChannels: number = MIXER_DEFAULT_CHANNELS;
  /**
   * Float64 slots needed by {@linkcode saveState}: {@linkcode mixerStateSize}
   * of the rate and delay length (210495 at 48 kHz with the defaults).
   */
  readonly stateSize: number = 0;
  readonly #channels: MixerChannel[] = [];
  readonly #params = new Float64Array(MIXER_PARAM_COUNT);
  readonly #reverb: Reverb;
  readonly #delay: StereoDelay;
  readonly #guard: OutputGuard;
  readonly #limiter: SafetyLimiter;
  readonly #gain: ParamSmoother;
  readonly #reverbReturn: ParamSmoother;
  readonly #delayReturn: ParamSmoother;
  readonly #dry = new Float32Array(2 * SCRATCH_FRAMES);
  readonly #reverbBus = new Float32Array(2 * SCRATCH_FRAMES);
  readonly #delayBus = new Float32Array(2 * SCRATCH_FRAMES);
  readonly #sends: readonly Float32Array[];
  readonly #gains = new Float64Array(SCRATCH_FRAMES);
  readonly #reverbReturns = new Float64Array(SCRATCH_FRAMES);
  readonly #delayReturns = new Float64Array(SCRATCH_FRAMES);

  /**
   * A mixer with no channels, silent effects and parameters at their
   * {@linkcode MIXER_PARAM_SPECS} initial values.
   *
   * @param sampleRate sample rate in Hz.
   * @param options channel count, delay line length and smoothing time.
   * @throws {RangeError} for a bad rate, channel count, delay length or smoothing time.
   */
  constructor(sampleRate: Hz, options: MixerOptions = {}) {
    checkSampleRate(sampleRate);
    const max = options.maxChannels ?? MIXER_DEFAULT_CHANNELS;
    if (!(Number.isInteger(max) && max >= 1 && max <= 256)) {
      throw new RangeError(`channel count must be an integer between 1 and 256, got ${max}`);
    }
    this.sampleRate = sampleRate;
    this.maxChannels = max;
    const smoothingMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
    this.#reverb = new Reverb(sampleRate, { mix: 1, smoothingMs });
    this.#delay = new StereoDelay(sampleRate, {
      mix: 1,
      smoothingMs,
      maxTimeMs: options.delayMaxTimeMs ?? DELAY_DEFAULT_MAX_TIME_MS,
    });
    this.#guard = new OutputGuard(sampleRate);
    this.#limiter = new SafetyLimiter(sampleRate, {
      smoothingMs,
      lookaheadMs: options.limiterLookaheadMs ?? LIMITER_DEFAULT_LOOKAHEAD_MS,
      maxCeilingDb: LIMITER_DEFAULT_CEILING_DB,
    });
    this.stateSize = OWN_STATE + this.#reverb.stateSize + this.#delay.stateSize +
      this.#guard.stateSize + this.#limiter.stateSize;
    this.#gain = new ParamSmoother(sampleRate, { timeMs: smoothingMs });
    this.#reverbReturn = new ParamSmoother(sampleRate, { timeMs: smoothingMs });
    this.#delayReturn = new ParamSmoother(sampleRate, { timeMs: smoothingMs });
    this.#sends = [this.#reverbBus, this.#delayBus];
    for (const spec of MIXER_PARAM_SPECS) this.setParam(spec.id, spec.initial);
    this.#settle();
  }

  /** Number of channels. */
  get channelCount(): number {
    return this.#channels.length;
  }

  /** Faults counted by the output guard (non-finite or runaway blocks, DC runaways). */
  get faults(): number {
    return this.#guard.faults;
  }

  /** Latency of the master chain in frames (the limiter's look-ahead). */
  get latencyFrames(): Frames {
    return this.#limiter.latencyFrames;
  }

  /** Deepest gain reduction of the limiter during the last render, in dB (<= 0). */
  get gainReductionDb(): Decibels {
    return this.#limiter.gainReductionDb;
  }

  /**
   * Add `channel` after the others. Control side.
   * @returns its index.
   * @throws {RangeError} if the mixer is full or a channel of that name is in it.
   */
  addChannel(channel: MixerChannel): number {
    if (this.#channels.length >= this.maxChannels) {
      throw new RangeError(`mixer holds at most ${this.maxChannels} channels`);
    }
    if (this.channel(channel.name) !== undefined) {
      throw new RangeError(`mixer already has a channel named "${channel.name}"`);
    }
    this.#channels.push(channel);
    return this.#channels.length - 1;
  }

  /** Remove the channel named `name`; false if there is none. Control side. */
  removeChannel(name: string): boolean {
    const i = this.#channels.findIndex((c) => c.name === name);
    if (i < 0) return false;
    this.#channels.splice(i, 1);
    return true;
  }

  /** The channel named `name`, if any. */
  channel(name: string): MixerChannel | undefined {
    return this.#channels.find((c) => c.name === name);
  }

  /**
   * Set parameter `id` (a {@linkcode MixerParam}) to `value`, clamped (the
   * ping-pong toggle: on from 0.5). Gains, returns, size, damping, feedback
   * and ceiling glide; the delay time crossfades, whether set in ms or by
   * tempo and beats. Control side.
   * @returns false (no change) for an unknown id, NaN or ±Infinity.
   */
  setParam(id: number, value: number): boolean {
    const v = clampSpec(MIXER_PARAM_SPECS, id, value);
    if (Number.isNaN(v)) return false;
    this.#params[id] = v;
    switch (id) {
      case MixerParam.MasterGain:
        this.#gain.setTarget(v);
        break;
      case MixerParam.ReverbReturn:
        this.#reverbReturn.setTarget(v);
        break;
      case MixerParam.DelayReturn:
        this.#delayReturn.setTarget(v);
        break;
      case MixerParam.ReverbSize:
        this.#reverb.setSize(v);
        break;
      case MixerParam.ReverbDamping:
        this.#reverb.setDamping(v);
        break;
      case MixerParam.DelayTime:
      case MixerParam.Tempo:
      case MixerParam.DelayBeats:
        this.#applyDelayTime();
        break;
      case MixerParam.DelayFeedback:
        this.#delay.setFeedback(v);
        break;
      case MixerParam.DelayPingPong:
        this.#delay.setPingPong(v === 1);
        break;
      case MixerParam.Ceiling:
        this.#limiter.setCeiling(v);
        break;
    }
    return true;
  }

  /** The last value set for parameter `id`; NaN for an unknown id. */
  getParam(id: number): number {
    return MIXER_PARAM_SPECS[id] === undefined ? NaN : this.#params[id] ?? NaN;
  }

  /**
   * Render frames [start, end) of the master into the interleaved stereo
   * block `out`, overwriting them; the range is clamped to the block. Render
   * loop; allocates nothing, never throws.
   */
  render(out: Float32Array, start: Frames, end: Frames): void {
    const frames = out.length >> 1;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    const dry = this.#dry;
    const rev = this.#reverbBus;
    const del = this.#delayBus;
    const gains = this.#gains;
    const revReturns = this.#reverbReturns;
    const delReturns = this.#delayReturns;
    const channels = this.#channels;
    for (let c = s; c < e; c += SCRATCH_FRAMES) {
      const n = e - c < SCRATCH_FRAMES ? e - c : SCRATCH_FRAMES;
      dry.fill(0, 0, 2 * n);
      rev.fill(0, 0, 2 * n);
      del.fill(0, 0, 2 * n);
      for (let k = 0; k < channels.length; k++) {
        (channels[k] as MixerChannel).mixInto(dry, this.#sends, 0, n);
      }
      this.#reverb.process(rev, 0, n);
      this.#delay.process(del, 0, n);
      this.#gain.fill(gains, 0, n);
      this.#reverbReturn.fill(revReturns, 0, n);
      this.#delayReturn.fill(delReturns, 0, n);
      for (let i = 0; i < n; i++) {
        const g = gains[i] as number;
        const rr = revReturns[i] as number;
        const dr = delReturns[i] as number;
        const j = 2 * i;
        const o = 2 * (c + i);
        out[o] = g * ((dry[j] as number) + rr * (rev[j] as number) + dr * (del[j] as number));
        out[o + 1] = g *
          ((dry[j + 1] as number) + rr * (rev[j + 1] as number) + dr * (del[j + 1] as number));
      }
    }
    this.#guard.process(out, s, e);
    this.#limiter.process(out, s, e);
  }

  /**
   * Copy the complete state of the mixer into `dst` at `offset`
   * ({@linkcode stateSize} slots): parameters and their smoothers, the
   * reverb and delay (lines included), the output guard (fault count
   * included) and the limiter (look-ahead included). Returns the offset after
   * it. Channels snapshot themselves. A mixer of the same rate and delay
   * length loaded from it, fed the same channels, renders bit-identically.
   * Control side.
   * @throws {RangeError} if `dst` is too short.
   */
  saveState(dst: Float64Array, offset = 0): number {
    this.#checkRange(dst, offset);
    dst[offset] = MIXER_STATE_TAG;
    dst[offset + 1] = this.sampleRate;
    dst.set(this.#params, offset + 2);
    let o = offset + 2 + MIXER_PARAM_COUNT;
    o = this.#gain.saveState(dst, o);
    o = this.#reverbReturn.saveState(dst, o);
    o = this.#delayReturn.saveState(dst, o);
    o = this.#reverb.saveState(dst, o);
    o = this.#delay.saveState(dst, o);
    o = this.#guard.saveState(dst, o);
    return this.#limiter.saveState(dst, o);
  }

  /**
   * Restore the state written by {@linkcode saveState} of a mixer of the
   * same rate and delay length (the header holds the rate, not the length:
   * another length misreads the snapshot, safely, as a corrupt one):
   * parameters, smoothers, effects, guard and limiter. Values a valid snapshot cannot
   * hold are repaired (a non-finite parameter becomes its initial value,
   * smoothers are clamped to their parameter's range, and each module
   * repairs its own state, see their `loadState`), so whatever the snapshot
   * holds the output stays finite and within the ceiling. Control side.
   * @throws {RangeError} if `src` is too short, not a mixer snapshot (of
   * this version) or of another rate.
   */
  loadState(src: Float64Array, offset = 0): number {
    this.#checkRange(src, offset);
    if (src[offset] !== MIXER_STATE_TAG) {
      throw new RangeError(
        `state must start with tag ${MIXER_STATE_TAG} (a Mixer snapshot), got ${src[offset]}`,
      );
    }
    if (src[offset + 1] !== this.sampleRate) {
      throw new RangeError(
        `state sample rate must be ${this.sampleRate} Hz, got ${src[offset + 1]}`,
      );
    }
    for (const spec of MIXER_PARAM_SPECS) {
      const x = src[offset + 2 + spec.id] ?? NaN;
      this.setParam(spec.id, Number.isFinite(x) ? x : spec.initial);
    }
    let o = offset + 2 + MIXER_PARAM_COUNT;
    const smoothers = [this.#gain, this.#reverbReturn, this.#delayReturn];
    const ids = [MixerParam.MasterGain, MixerParam.ReverbReturn, MixerParam.DelayReturn];
    for (let k = 0; k < MIXER_SMOOTHERS; k++) {
      const s = smoothers[k] as ParamSmoother;
      const id = ids[k] as number;
      o = s.loadState(src, o);
      repairSmoother(s, MIXER_PARAM_SPECS[id] as MixerParamSpec, this.#params[id] as number);
    }
    o = this.#reverb.loadState(src, o);
    o = this.#delay.loadState(src, o);
    o = this.#guard.loadState(src, o);
    return this.#limiter.loadState(src, o);
  }

  /**
   * Set the delay's time: `tempoSyncMs(tempo, beats)` while beats > 0, else
   * the delay time in ms (the delay clamps either to its line).
   */
  #applyDelayTime(): void {
    const params = this.#params;
    const beats = params[MixerParam.DelayBeats] as number;
    const ms = beats > 0
      ? tempoSyncMs(params[MixerParam.Tempo] as number, beats)
      : params[MixerParam.DelayTime] as number;
    this.#delay.setTime(ms);
  }

  /** Throw unless `buf` holds {@linkcode stateSize} values from `offset`. */
  #checkRange(buf: Float64Array, offset: number): void {
    if (!(Number.isInteger(offset) && offset >= 0 && offset + this.stateSize <= buf.length)) {
      throw new RangeError(
        `state buffer must hold ${this.stateSize} values from offset ${offset}, got ${buf.length}`,
      );
    }
  }

  /** Clear the effects and the master chain, settling their parameters. */
  #settle(): void {
    this.#reverb.reset();
    this.#delay.reset();
    this.#guard.reset();
    this.#limiter.reset();
    this.#gain.reset(this.#gain.target);
    this.#reverbReturn.reset(this.#reverbReturn.target);
    this.#delayReturn.reset(this.#delayReturn.target);
  }
}
