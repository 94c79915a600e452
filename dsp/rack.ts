/**
 * The complete sound of one DSP slot: the {@linkcode MiniSynth}, four
 * polyphonic {@linkcode Instrument}s, a {@linkcode DrumKit} and the
 * {@linkcode Mixer} with its send effects and master chain
 * ({@linkcode OutputGuard} → {@linkcode SafetyLimiter}), addressed by
 * number only: a command's target picks the module
 * ({@linkcode RackTarget}), its param the parameter within it.
 *
 * ```
 * target 0  MiniSynth ── ChannelStrip (target 7) ─┐
 * target 1..4  Instrument × 4 (own gain/pan/sends)┤
 * target 5  DrumKit ──── ChannelStrip (target 8) ─┤
 *                                                 └→ Mixer (target 6) → guard → limiter → out
 * ```
 *
 * Words never reach this module: the REPL maps instrument names (lead,
 * bass, pad, keys) and parameter addresses to target and param numbers.
 *
 * Render cost follows what sounds: a resting instrument (no sounding voice
 * and its insert chain rung out, see `Instrument.isResting`) and a drum kit
 * with no sounding drum are not rendered at all, except for
 * {@linkcode RACK_AWAKE_MS} after a parameter of theirs changed, so their
 * smoothed gains, pans and sends finish gliding exactly as if they had
 * been rendered all along (skipping is bit-transparent). An instrument's
 * inserts decide their own tail: after its last voice ends, an engaged
 * chorus or saturator keeps it rendered for `insertTailFrames` (about
 * 18 ms at 48 kHz) so the chorus line rings out rather than being cut, and
 * a resting instrument does not process its inserts at all (so skipping it
 * stays bit-transparent; its compressor is found recovered by the next
 * note). The MiniSynth always runs, as it does standalone, and so do the
 * mixer's effects and master chain.
 *
 * Deterministic: two racks given the same calls produce bit-identical
 * samples, and a snapshot ({@linkcode Rack.saveState} /
 * {@linkcode Rack.loadState}) makes a second rack continue bit-identically
 * (hot standby), effect tails and the master chain included. The snapshot
 * is large (about 225 000 values at 48 kHz), almost all of it the mixer's
 * reverb and delay lines.
 *
 * @module
 */

import { checkSampleRate } from "./_checks.ts";
import { DRUM_COUNT, DRUM_PARAM_COUNT, drumForNote, DrumKit } from "./drums.ts";
import {
  Instrument,
  INSTRUMENT_PARAM_COUNT,
  INSTRUMENT_STATE_TAG,
  instrumentStateSize,
} from "./instrument.ts";
import { MINI_SYNTH_STATE_SIZE, MINI_SYNTH_STATE_TAG, MiniSynth } from "./mini_synth.ts";
import {
  CHANNEL_STRIP_STATE_SIZE,
  ChannelStrip,
  Mixer,
  MIXER_PARAM_COUNT,
  MIXER_STATE_TAG,
  type MixerChannel,
  MixerParam,
  STRIP_PARAM_COUNT,
} from "./mixer.ts";
import { PARAM_COUNT, SynthParam } from "./params.ts";
import { DEFAULT_SMOOTHING_MS } from "./smoother.ts";
import { Sequencer, SEQUENCER_STATE_SIZE, TransportParam } from "./sequencer.ts";
import type { Frames, Hz, Milliseconds } from "./units.ts";
import { checkVoiceCount, DEFAULT_VOICES } from "./voice_allocator.ts";

/** Number of polyphonic instruments in a rack (targets 1..4). */
export const INSTRUMENT_TARGETS = 4;

/**
 * Command targets of a {@linkcode Rack}: which module a `setParam`,
 * `noteOn`, `noteOff` or `allNotesOff` addresses.
 *
 * | target | module                    | param ids                                   |
 * |--------|---------------------------|---------------------------------------------|
 * | 0      | MiniSynth                 | `SynthParam` (0..9)                         |
 * | 1..4   | Instrument 1..4           | `InstrumentParam` (0..38)                   |
 * | 5      | DrumKit                   | drum × `DRUM_PARAM_COUNT` + `DrumParam` (0..39) |
 * | 6      | Mixer (master, effects)   | `MixerParam` (0..10)                        |
 * | 7      | MiniSynth's channel strip | `StripParam` (0..3)                         |
 * | 8      | DrumKit's channel strip   | `StripParam` (0..3)                         |
 */
export const RackTarget = {
  /** The minimal synth, {@linkcode SynthParam} ids (the `/mod/...` commands). */
  MiniSynth: 0,
  /** The first instrument; instrument k (0-based) is `FirstInstrument + k`. */
  FirstInstrument: 1,
  /** The last instrument (`FirstInstrument + INSTRUMENT_TARGETS - 1`). */
  LastInstrument: 4,
  /** The drum kit: param `drum * DRUM_PARAM_COUNT + DrumParam`, notes by General MIDI number. */
  Drums: 5,
  /** The mixer: {@linkcode MixerParam} ids (returns, effects, master gain, ceiling). */
  Mixer: 6,
  /** The MiniSynth's channel strip: {@linkcode StripParam} ids. */
  MiniSynthStrip: 7,
  /** The drum kit's channel strip: {@linkcode StripParam} ids. */
  DrumStrip: 8,
  /** The musical clock: {@linkcode TransportParam} ids (tempo, beats per bar, swing). */
  Transport: 9,
} as const;

/** Number of rack targets; valid targets are 0 .. RACK_TARGET_COUNT - 1. */
export const RACK_TARGET_COUNT = 10;

/**
 * Target meaning "every target" for {@linkcode Rack.allNotesOff}: −1 as the
 * command struct's uint32 target field holds it (-1 itself is accepted too).
 */
export const RACK_ALL_TARGETS = 0xffff_ffff;

/** Params of the drum target: {@linkcode DRUM_COUNT} × {@linkcode DRUM_PARAM_COUNT}. */
export const DRUM_TARGET_PARAM_COUNT = DRUM_COUNT * DRUM_PARAM_COUNT;

/**
 * Number of params of each target, indexed by target: valid params of
 * target t are 0 .. RACK_PARAM_COUNTS[t] - 1.
 *
 * @example
 * ```ts
 * import { RACK_PARAM_COUNTS, RackTarget } from "./rack.ts";
 * RACK_PARAM_COUNTS[RackTarget.Drums]; // 40
 * ```
 */
export const RACK_PARAM_COUNTS: readonly number[] = [
  PARAM_COUNT,
  INSTRUMENT_PARAM_COUNT,
  INSTRUMENT_PARAM_COUNT,
  INSTRUMENT_PARAM_COUNT,
  INSTRUMENT_PARAM_COUNT,
  DRUM_TARGET_PARAM_COUNT,
  MIXER_PARAM_COUNT,
  STRIP_PARAM_COUNT,
  STRIP_PARAM_COUNT,
  Object.keys(TransportParam).length,
];

/**
 * The param of the drum target addressing `param` (a `DrumParam`) of `drum`
 * (a `Drum`): `drum * DRUM_PARAM_COUNT + param`.
 *
 * @example
 * ```ts
 * import { Drum, DrumParam } from "./drums.ts";
 * import { drumTargetParam } from "./rack.ts";
 * drumTargetParam(Drum.Snare, DrumParam.Tune); // 6
 * ```
 */
export function drumTargetParam(drum: number, param: number): number {
  return drum * DRUM_PARAM_COUNT + param;
}

/**
 * Look-ahead of the rack's master limiter, in ms: 12 frames at 48 kHz. It
 * is latency added to every note, so it is kept short for live playing; the
 * limiter still never lets a sample above the ceiling (a shorter look-ahead
 * only means harder gain changes on sudden peaks).
 */
export const RACK_LIMITER_LOOKAHEAD_MS: Milliseconds = 0.25;

/**
 * First slot of every {@linkcode Rack} snapshot: format tag and version
 * ("CRK", 3; version 3 ends with the clock's frame and the sequencer).
 */
export const RACK_STATE_TAG = 0x43524b03;

/**
 * How long an idle instrument or the idle drum strip keeps being rendered
 * after one of its parameters changed: 50 smoothing time constants, by
 * which every smoother has snapped to its target.
 */
export const RACK_AWAKE_MS: Milliseconds = 50 * DEFAULT_SMOOTHING_MS;

/** Channels skipped while idle: the instruments, then the drum strip (index INSTRUMENT_TARGETS). */
const GATED = INSTRUMENT_TARGETS + 1;

/**
 * Header slots of a rack snapshot: tag, sample rate, voices per instrument,
 * state size, then the frames each gated channel stays awake.
 */
const HEADER = 4 + GATED;

/** Options of {@linkcode Rack}. */
export interface RackOptions {
  /** Voices of each instrument, 1..`MAX_VOICES`; default {@linkcode DEFAULT_VOICES} (16). */
  readonly voices?: number;
  /** Seed of the drum kit's noise; default 1. Both slots must use the same. */
  readonly seed?: number;
}

/** Notes the rack accepts: finite MIDI numbers 0..127 (fractions for instruments). */
function isNote(note: number): boolean {
  return note >= 0 && note <= 127;
}

/**
 * Count down channel `k`'s awake frames by the chunk [start, end); true if
 * it was awake. Integer arguments only (see _scratch.ts).
 */
function wake(awake: Int32Array, k: number, start: number, end: number): boolean {
  const left = awake[k] as number;
  if (left <= 0) return false;
  const n = end - start;
  awake[k] = left > n ? left - n : 0;
  return true;
}

/** An instrument as a mixer channel, skipped while it rests (see `Instrument.isResting`) and is not awake. */
class InstrumentChannel implements MixerChannel {
  readonly name: string;
  readonly #inst: Instrument;
  readonly #awake: Int32Array;
  readonly #index: number;

  constructor(inst: Instrument, awake: Int32Array, index: number) {
    this.name = inst.name;
    this.#inst = inst;
    this.#awake = awake;
    this.#index = index;
  }

  mixInto(dry: Float32Array, sends: readonly Float32Array[], start: Frames, end: Frames): void {
    const awake = wake(this.#awake, this.#index, start, end);
    if (awake || !this.#inst.isResting) this.#inst.mixInto(dry, sends, start, end);
  }
}

/** The drum kit's strip as a mixer channel, skipped while no drum sounds and it is not awake. */
class DrumChannel implements MixerChannel {
  readonly name: string;
  readonly #kit: DrumKit;
  readonly #strip: ChannelStrip;
  readonly #awake: Int32Array;

  constructor(kit: DrumKit, strip: ChannelStrip, awake: Int32Array) {
    this.name = strip.name;
    this.#kit = kit;
    this.#strip = strip;
    this.#awake = awake;
  }

  mixInto(dry: Float32Array, sends: readonly Float32Array[], start: Frames, end: Frames): void {
    if (wake(this.#awake, INSTRUMENT_TARGETS, start, end)) {
      this.#strip.mixInto(dry, sends, start, end);
      return;
    }
    const kit = this.#kit;
    for (let d = 0; d < DRUM_COUNT; d++) {
      if (kit.isActive(d)) {
        this.#strip.mixInto(dry, sends, start, end);
        return;
      }
    }
  }
}

/**
 * One slot's sound (see the module doc): numeric command entry points
 * returning whether the command was accepted, a render method that
 * overwrites an interleaved stereo block, and whole-state snapshots.
 *
 * Every command method is control side (between sub-blocks); a rejected
 * command (unknown target or param, a note outside 0..127, a velocity
 * outside 0..1, NaN or ±Infinity) returns false and changes nothing.
 * {@linkcode render} is the render loop's: it neither allocates nor throws,
 * and its output is finite and never above the limiter's ceiling
 * (10^(−0.3/20) by default).
 *
 * @example
 * ```ts
 * import { InstrumentParam } from "./instrument.ts";
 * import { MixerParam } from "./mixer.ts";
 * import { SynthParam } from "./params.ts";
 * import { Rack, RackTarget } from "./rack.ts";
 * const rack = new Rack(48000);
 * const lead = RackTarget.FirstInstrument;
 * rack.setParam(lead, InstrumentParam.FilterCutoff, 1200);
 * rack.setParam(RackTarget.Mixer, MixerParam.ReverbSize, 0.7);
 * rack.setParam(RackTarget.MiniSynth, SynthParam.Gate, 1);
 * const block = new Float32Array(2 * 128); // L,R,L,R…
 * rack.render(block, 0, 64);
 * rack.noteOn(lead, 60, 0.9); // at frame 64
 * rack.noteOn(RackTarget.Drums, 36, 1); // kick
 * rack.render(block, 64, 128);
 * rack.noteOff(lead, 60);
 * rack.allNotesOff(-1); // every target
 * ```
 */
export class Rack {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Voices of each instrument. */
  readonly voices: number = DEFAULT_VOICES;
  /** Float64 slots needed by {@linkcode saveState}. */
  readonly stateSize: number = 0;
  /** The minimal synth (target 0). For status and tests: change it through the commands. */
  readonly miniSynth: MiniSynth;
  /** The drum kit (target 5). For status and tests: change it through the commands. */
  readonly drums: DrumKit;
  /** The mixer (target 6). For status and tests: change it through the commands. */
  readonly mixer: Mixer;
  readonly #instruments: readonly Instrument[];
  readonly #miniStrip: ChannelStrip;
  readonly #drumStrip: ChannelStrip;
  readonly #miniState = new Float64Array(MINI_SYNTH_STATE_SIZE);
  /** Frames each gated channel (instruments, drum strip) is rendered even when idle. */
  readonly #awake = new Int32Array(GATED);
  readonly #awakeFrames: number = 0;
  /** The musical clock and the patterns it plays on this rack. */
  readonly sequencer: Sequencer;
  /** Frames rendered since the rack was built: the sequencer's clock. */
  #frame = 0;
  /** The state before a load, restored if a part's loadState throws (allocated by the first load). */
  #backup: Float64Array | undefined;
  /** A snapshot being loaded with non-finite values replaced by 0 (allocated by the first such load). */
  #incoming: Float64Array | undefined;

  /**
   * A silent rack: every module at its defaults, strips at unity gain and
   * centred, sends at 0.
   *
   * @param sampleRate sample rate in Hz.
   * @param options voices per instrument and the drum kit's noise seed.
   * @throws {RangeError} for an out-of-range sample rate or voice count, or a non-finite seed.
   */
  constructor(sampleRate: Hz, options: RackOptions = {}) {
    checkSampleRate(sampleRate);
    const voices = options.voices ?? DEFAULT_VOICES;
    checkVoiceCount(voices);
    this.sampleRate = sampleRate;
    this.voices = voices;
    this.#awakeFrames = Math.ceil((RACK_AWAKE_MS * sampleRate) / 1000);
    this.miniSynth = new MiniSynth(sampleRate);
    this.#miniStrip = new ChannelStrip(`t${RackTarget.MiniSynth}`, sampleRate, {
      source: this.miniSynth,
    });
    const instruments: Instrument[] = [];
    for (let k = 0; k < INSTRUMENT_TARGETS; k++) {
      const name = `t${RackTarget.FirstInstrument + k}`;
      instruments.push(new Instrument(name, sampleRate, { voices }));
    }
    this.#instruments = instruments;
    this.drums = new DrumKit(sampleRate, { seed: options.seed ?? 1 });
    this.#drumStrip = new ChannelStrip(`t${RackTarget.Drums}`, sampleRate, {
      source: this.drums,
    });
    this.mixer = new Mixer(sampleRate, { limiterLookaheadMs: RACK_LIMITER_LOOKAHEAD_MS });
    this.mixer.addChannel(this.#miniStrip);
    for (let k = 0; k < INSTRUMENT_TARGETS; k++) {
      this.mixer.addChannel(new InstrumentChannel(instruments[k] as Instrument, this.#awake, k));
    }
    this.mixer.addChannel(new DrumChannel(this.drums, this.#drumStrip, this.#awake));
    this.sequencer = new Sequencer(sampleRate);
    this.stateSize = HEADER + MINI_SYNTH_STATE_SIZE + 2 * CHANNEL_STRIP_STATE_SIZE +
      1 + SEQUENCER_STATE_SIZE +
      INSTRUMENT_TARGETS * instrumentStateSize(voices, sampleRate) + this.drums.stateSize +
      this.mixer.stateSize;
  }

  /** Faults counted by the master's output guard (non-finite, runaway or DC blocks). */
  get faults(): number {
    return this.mixer.faults;
  }

  /**
   * Voices sounding: every instrument's sounding voices, every sounding
   * drum, and the MiniSynth as one while its gate is open.
   */
  get activeVoices(): number {
    let n = 0;
    for (const inst of this.#instruments) n += inst.activeVoices;
    for (let d = 0; d < DRUM_COUNT; d++) if (this.drums.isActive(d)) n++;
    if (this.miniSynth.getParam(SynthParam.Gate) >= 0.5) n++;
    return n;
  }

  /** Latency of the master chain in frames (the limiter's look-ahead). */
  get latencyFrames(): Frames {
    return this.mixer.latencyFrames;
  }

  /**
   * The instrument at `target` (1..4), or undefined. For status and tests:
   * change it through the commands, so both slots stay identical.
   */
  instrument(target: number): Instrument | undefined {
    return Number.isInteger(target)
      ? this.#instruments[target - RackTarget.FirstInstrument]
      : undefined;
  }

  /**
   * Set parameter `param` of module `target` (see {@linkcode RackTarget}) to
   * `value`, clamped to its range by the module. Control side.
   * @returns false (and changes nothing) for an unknown target or param, NaN or ±Infinity.
   */
  setParam(target: number, param: number, value: number): boolean {
    if (!(Number.isInteger(param) && param >= 0 && Number.isFinite(value))) return false;
    switch (target) {
      case RackTarget.MiniSynth:
        return this.miniSynth.setParam(param, value);
      case RackTarget.Drums:
        // Idle drums' smoothers rest until their next hit, which settles them.
        if (param >= DRUM_TARGET_PARAM_COUNT) return false;
        return this.drums.setParam(
          (param / DRUM_PARAM_COUNT) | 0,
          param % DRUM_PARAM_COUNT,
          value,
        );
      case RackTarget.Mixer:
        if (!this.mixer.setParam(param, value)) return false;
        // One tempo: the delay's and the clock's (which follows on the next beat).
        if (param === MixerParam.Tempo) {
          this.sequencer.setTransport(TransportParam.Tempo, value, this.#frame);
        }
        return true;
      case RackTarget.MiniSynthStrip:
        return this.#miniStrip.setParam(param, value);
      case RackTarget.DrumStrip:
        if (!this.#drumStrip.setParam(param, value)) return false;
        this.#awake[INSTRUMENT_TARGETS] = this.#awakeFrames;
        return true;
      case RackTarget.Transport:
        if (!this.sequencer.setTransport(param, value, this.#frame)) return false;
        // The delay follows the same tempo.
        if (param === TransportParam.Tempo) this.mixer.setParam(MixerParam.Tempo, value);
        return true;
    }
    const inst = this.instrument(target);
    if (inst === undefined || !inst.setParam(param, value)) return false;
    this.#awake[target - RackTarget.FirstInstrument] = this.#awakeFrames;
    return true;
  }

  /**
   * The last value set (clamped) for parameter `param` of `target`; NaN for
   * an unknown target or param.
   */
  getParam(target: number, param: number): number {
    if (!(Number.isInteger(param) && param >= 0)) return NaN;
    switch (target) {
      case RackTarget.MiniSynth:
        return this.miniSynth.getParam(param);
      case RackTarget.Drums:
        if (param >= DRUM_TARGET_PARAM_COUNT) return NaN;
        return this.drums.getParam((param / DRUM_PARAM_COUNT) | 0, param % DRUM_PARAM_COUNT);
      case RackTarget.Mixer:
        return this.mixer.getParam(param);
      case RackTarget.MiniSynthStrip:
        return this.#miniStrip.getParam(param);
      case RackTarget.DrumStrip:
        return this.#drumStrip.getParam(param);
    }
    const inst = this.instrument(target);
    return inst === undefined ? NaN : inst.getParam(param);
  }

  /**
   * Play `note` (MIDI number 0..127) at `velocity` (0..1) on an instrument
   * (fractional notes allowed; velocity 0 is a note-off) or the drum kit
   * (the drum General MIDI note `note` maps to, see `drumForNote`). Control side.
   * @returns false (and changes nothing) for a target without notes (the
   * MiniSynth, mixer and strips), a note or velocity out of range, NaN or
   * ±Infinity, or a drum note the kit does not map.
   */
  noteOn(target: number, note: number, velocity: number): boolean {
    if (!(isNote(note) && velocity >= 0 && velocity <= 1)) return false;
    if (target === RackTarget.Drums) {
      return drumForNote(note) !== undefined && this.drums.triggerNote(note, velocity);
    }
    const inst = this.instrument(target);
    if (inst === undefined) return false;
    if (velocity === 0) {
      inst.noteOff(note);
      return true;
    }
    return inst.noteOn(note, velocity) >= 0;
  }

  /**
   * Release `note` on an instrument (its voice, if any, enters its
   * release). Drums are one-shots: a note-off for a mapped drum note is
   * accepted and changes nothing. Control side.
   * @returns false (and changes nothing) for a target without notes, a note
   * out of range, NaN or ±Infinity, or an unmapped drum note.
   */
  noteOff(target: number, note: number): boolean {
    if (!isNote(note)) return false;
    if (target === RackTarget.Drums) return drumForNote(note) !== undefined;
    const inst = this.instrument(target);
    if (inst === undefined) return false;
    inst.noteOff(note);
    return true;
  }

  /**
   * Release every held note of `target`: an instrument's held voices enter
   * their release; the MiniSynth's gate closes; drums (one-shots) ring out.
   * {@linkcode RACK_ALL_TARGETS} (or −1) does this for all three kinds.
   * Control side.
   * @returns false for the mixer, the strips or an unknown target.
   */
  allNotesOff(target: number): boolean {
    if (target === RACK_ALL_TARGETS || target === -1) {
      for (const inst of this.#instruments) inst.allNotesOff();
      this.miniSynth.setParam(SynthParam.Gate, 0);
      return true;
    }
    if (target === RackTarget.MiniSynth) return this.miniSynth.setParam(SynthParam.Gate, 0);
    if (target === RackTarget.Drums) return true;
    const inst = this.instrument(target);
    if (inst === undefined) return false;
    inst.allNotesOff();
    return true;
  }

  /**
   * Render frames [start, end) of the master into the interleaved stereo
   * block `out` (frame i at out[2i] and out[2i+1]), overwriting them; the
   * range is clamped to the block, frames outside it are not touched.
   * Render loop; allocates nothing, never throws.
   */
  render(out: Float32Array, start: Frames, end: Frames): void {
    const frames = out.length >> 1;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    const sequencer = this.sequencer;
    let at = s;
    while (at < e) {
      const due = sequencer.nextEventFrame(this.#frame, this.#frame + (e - at));
      if (due > this.#frame) {
        const n = due - this.#frame;
        this.mixer.render(out, at, at + n);
        at += n;
        this.#frame = due;
      }
      if (at < e) sequencer.fire(this.#frame, this);
    }
  }

  /** Frames rendered since the rack was built (the clock the sequencer counts from). */
  get frame(): Frames {
    return this.#frame;
  }

  /**
   * Start building a looping pattern for sequencer track `track`:
   * `lengthTicks` long, played on `target` (an instrument or the drums).
   * Control side.
   * @returns false (nothing changes) for a bad track, length or target.
   */
  beginPattern(track: number, lengthTicks: number, target: number): boolean {
    if (!(target >= RackTarget.MiniSynth && target <= RackTarget.Drums)) return false;
    return this.sequencer.beginPattern(track, lengthTicks, target);
  }

  /** Place `track`'s next pattern notes at `tick`, `lengthTicks` long. Control side. */
  patternCursor(track: number, tick: number, lengthTicks: number): boolean {
    return this.sequencer.patternCursor(track, tick, lengthTicks);
  }

  /** Add `note` at `velocity` (played with probability `chance`) to `track`'s pattern. Control side. */
  patternNote(track: number, note: number, velocity: number, chance = 1): boolean {
    return this.sequencer.patternNote(track, note, velocity, chance);
  }

  /** Play `track`'s built pattern from the next multiple of `quantumTicks`. Control side. */
  commitPattern(track: number, quantumTicks: number): boolean {
    return this.sequencer.commitPattern(track, quantumTicks, this.#frame);
  }

  /** Stop `track` (0xFFFFFFFF or -1: all) at the next multiple of `quantumTicks`. Control side. */
  stopTrack(track: number, quantumTicks: number): boolean {
    const all = track === RACK_ALL_TARGETS || track === -1;
    return this.sequencer.stopTrack(all ? -1 : track, quantumTicks, this.#frame);
  }

  /**
   * Copy the complete state into `dst[0..stateSize)`: a header (tag, sample
   * rate, voices, size, the idle channels' awake frames), then the MiniSynth, its strip, the instruments, the
   * drum kit, its strip and the mixer. Control side.
   * @throws {RangeError} if `dst` is shorter than {@linkcode stateSize}.
   */
  saveState(dst: Float64Array): void {
    if (dst.length < this.stateSize) {
      throw new RangeError(
        `state buffer must hold at least ${this.stateSize} values, got ${dst.length}`,
      );
    }
    dst[0] = RACK_STATE_TAG;
    dst[1] = this.sampleRate;
    dst[2] = this.voices;
    dst[3] = this.stateSize;
    for (let k = 0; k < GATED; k++) dst[4 + k] = this.#awake[k] as number;
    const mini = this.#miniState;
    this.miniSynth.saveState(mini);
    dst.set(mini, HEADER);
    let o = this.#miniStrip.saveState(dst, HEADER + MINI_SYNTH_STATE_SIZE);
    for (const inst of this.#instruments) o = inst.saveState(dst, o);
    o = this.drums.saveState(dst, o);
    o = this.#drumStrip.saveState(dst, o);
    o = this.mixer.saveState(dst, o);
    dst[o] = this.#frame;
    this.sequencer.saveState(dst, o + 1);
  }

  /**
   * Restore a state written by {@linkcode saveState} of a rack with the same
   * sample rate and voices; from then on this rack renders as the one saved.
   * All or nothing: a snapshot whose header or parts' headers do not match
   * throws before anything changes, and if a part rejects its state
   * half-way, the previous state is restored before the error is rethrown.
   * Values a valid snapshot cannot hold are repaired: NaN and ±Infinity
   * become 0 (a valid snapshot holds only finite values), the parts clamp
   * or reset what is out of range (some on their first render), and
   * whatever remains is caught by the master's guard and limiter: a corrupt
   * snapshot gives finite output at most the ceiling, never NaN. Control side.
   * @throws {RangeError} if `src` is too short, not a rack snapshot, or of
   * another sample rate, voice count or layout.
   */
  loadState(src: Float64Array): void {
    const size = this.stateSize;
    if (src.length < size) {
      throw new RangeError(`state buffer must hold at least ${size} values, got ${src.length}`);
    }
    if (src[0] !== RACK_STATE_TAG) {
      throw new RangeError(
        `state must start with tag ${RACK_STATE_TAG} (a Rack snapshot), got ${src[0]}`,
      );
    }
    if (src[1] !== this.sampleRate) {
      throw new RangeError(`state sample rate must be ${this.sampleRate} Hz, got ${src[1]}`);
    }
    if (src[2] !== this.voices || src[3] !== size) {
      throw new RangeError(
        `state must be of ${this.voices} voices per instrument and ${size} values, got ${
          src[2]
        } and ${src[3]}`,
      );
    }
    this.#checkParts(src);
    // A valid snapshot holds only finite values; NaN and ±Infinity become 0 before any
    // part sees them (not every part repairs them, and a smoother throws on them later).
    let from = src;
    let finite = true;
    for (let i = 0; i < size && finite; i++) finite = (src[i] as number) * 0 === 0;
    if (!finite) {
      const incoming = this.#incoming ??= new Float64Array(size);
      for (let i = 0; i < size; i++) {
        const x = src[i] as number;
        incoming[i] = x * 0 === 0 ? x : 0;
      }
      from = incoming;
    }
    const backup = this.#backup ??= new Float64Array(size);
    this.saveState(backup);
    try {
      this.#load(from);
    } catch (error) {
      this.#load(backup);
      throw error;
    }
  }

  /** Throw a RangeError unless every part's own header in `src` matches this rack. */
  #checkParts(src: Float64Array): void {
    const rate = this.sampleRate;
    const expect = (offset: number, tag: number, what: string): void => {
      if (src[offset] !== tag || src[offset + 1] !== rate) {
        throw new RangeError(
          `state of the ${what} at ${offset} must start with tag ${tag} and rate ${rate}, got ${
            src[offset]
          } and ${src[offset + 1]}`,
        );
      }
    };
    expect(HEADER, MINI_SYNTH_STATE_TAG, "synth");
    let o = HEADER + MINI_SYNTH_STATE_SIZE + CHANNEL_STRIP_STATE_SIZE;
    for (const inst of this.#instruments) {
      expect(o, INSTRUMENT_STATE_TAG, "instrument");
      if (src[o + 2] !== this.voices) {
        throw new RangeError(`instrument state at ${o} must be of ${this.voices} voices`);
      }
      o += inst.stateSize;
    }
    o += this.drums.stateSize + CHANNEL_STRIP_STATE_SIZE;
    expect(o, MIXER_STATE_TAG, "mixer");
  }

  /**
   * Load every part from `src` (header already checked). An awake count a
   * valid snapshot cannot hold becomes the full awake time (render rather than skip).
   */
  #load(src: Float64Array): void {
    const most = this.#awakeFrames;
    for (let k = 0; k < GATED; k++) {
      const x = src[4 + k] as number;
      this.#awake[k] = Number.isInteger(x) && x >= 0 && x <= most ? x : most;
    }
    const mini = this.#miniState;
    for (let i = 0; i < MINI_SYNTH_STATE_SIZE; i++) mini[i] = src[HEADER + i] as number;
    this.miniSynth.loadState(mini);
    let o = this.#miniStrip.loadState(src, HEADER + MINI_SYNTH_STATE_SIZE);
    for (const inst of this.#instruments) o = inst.loadState(src, o);
    o = this.drums.loadState(src, o);
    o = this.#drumStrip.loadState(src, o);
    o = this.mixer.loadState(src, o);
    const frame = src[o] as number;
    this.#frame = Number.isSafeInteger(frame) && frame >= 0 ? frame : 0;
    this.sequencer.loadState(src, o + 1);
  }
}
