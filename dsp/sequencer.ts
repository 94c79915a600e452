/**
 * The musical clock and the pattern player of a rack: tempo, time signature
 * and swing; up to {@linkcode MAX_TRACKS} looping patterns of notes, each
 * played on a rack target (an instrument, the drums); pattern changes that
 * land on the next bar (or beat, or at once); tempo changes that take effect
 * on the next beat.
 *
 * Time is counted in ticks, {@linkcode TICKS_PER_BEAT} per quarter-note
 * beat, from tick 0 at the rack's frame 0. The frame of a tick is computed
 * from the last tempo change (an anchor), never accumulated, so events land
 * exactly on their frame however long the clock runs: at 120 bpm and
 * 48 kHz a sixteenth (240 ticks) is exactly 6000 frames, and the bar after
 * ten minutes starts on frame 28 800 000, to the sample. An event's frame
 * is the first frame at or after its exact time.
 *
 * The sequencer only decides *when*: {@linkcode Sequencer.nextEventFrame}
 * says how far the rack may render before the next event, and
 * {@linkcode Sequencer.fire} plays what is due on a {@linkcode NoteSink}
 * (the rack). Everything lives in preallocated typed arrays; the render-loop
 * methods allocate nothing, and the whole state saves and loads, so both
 * engine slots keep the same beat through a failover.
 *
 * @example
 * ```ts
 * import { Sequencer, TICKS_PER_BEAT } from "./sequencer.ts";
 * const played: string[] = [];
 * const sink = {
 *   noteOn: (target: number, note: number) => void played.push(`on ${target} ${note}`),
 *   noteOff: (target: number, note: number) => void played.push(`off ${target} ${note}`),
 * };
 * const seq = new Sequencer(48000);
 * // Track 0: a bar of C2 quarter notes on target 2, starting at once.
 * seq.beginPattern(0, 4 * TICKS_PER_BEAT, 2);
 * for (let beat = 0; beat < 4; beat++) {
 *   seq.patternCursor(0, beat * TICKS_PER_BEAT, TICKS_PER_BEAT / 2);
 *   seq.patternNote(0, 36, 0.9);
 * }
 * seq.commitPattern(0, 0, 0);
 * seq.nextEventFrame(0, 128); // 0: the first note is due now
 * seq.fire(0, sink); // played: ["on 2 36"]
 * seq.nextEventFrame(1, 100000); // 12000: its note-off, an eighth later
 * ```
 *
 * @module
 */

import { checkSampleRate } from "./_checks.ts";
import type { Frames, Hz } from "./units.ts";

/** Ticks per quarter-note beat. */
export const TICKS_PER_BEAT = 960;
/** Tracks (looping patterns) a sequencer plays at once. */
export const MAX_TRACKS = 16;
/** Notes one pattern holds. */
export const MAX_PATTERN_EVENTS = 256;
/** Notes a track may hold at once (waiting for their note-off). */
const MAX_HELD = 64;
/** Ticks of a sixteenth note: swing delays every second one. */
const SIXTEENTH = TICKS_PER_BEAT / 4;

/** Where notes go: the rack. */
export interface NoteSink {
  /** Start `note` on rack target `target` at `velocity`. */
  noteOn(target: number, note: number, velocity: number): unknown;
  /** Release `note` on rack target `target`. */
  noteOff(target: number, note: number): unknown;
}

/** Transport parameters (a {@linkcode RackTarget}.Transport command's `param`). */
export const TransportParam = {
  /** Tempo in quarter-note beats per minute, 20..300; takes effect on the next beat. */
  Tempo: 0,
  /** Beats in a bar, 1..16 (the bar a pattern change waits for). */
  BeatsPerBar: 1,
  /** Swing, 0..0.5: every second sixteenth is late by this fraction of a sixteenth. */
  Swing: 2,
} as const;

/** A transport parameter id. */
export type TransportParamId = typeof TransportParam[keyof typeof TransportParam];

// Event fields of a pattern: tick, note, velocity, length in ticks, chance.
const EV = 5;
// Pattern header: length in ticks, event count, rack target.
const PAT_HEADER = 3;
const PAT_SIZE = PAT_HEADER + MAX_PATTERN_EVENTS * EV;
// A track: three patterns (playing, pending, being built), then its own slots.
const PLAYING = 0;
const PENDING = PAT_SIZE;
const BUILDING = 2 * PAT_SIZE;
const OWN = 3 * PAT_SIZE;
// Own slots: playing (0/1), loop start tick, next event index, pending (0/1),
// pending start tick, stop tick (-1 none), build cursor tick, build cursor
// length, held count; then the held notes (off tick, note, target).
const T_PLAYING = 0;
const T_LOOP_START = 1;
const T_INDEX = 2;
const T_HAS_PENDING = 3;
const T_PENDING_AT = 4;
const T_STOP_AT = 5;
const T_CURSOR = 6;
const T_CURSOR_LENGTH = 7;
const T_HELD = 8;
const T_OWN = 9;
const HELD_AT = OWN + T_OWN;
const TRACK_SIZE = HELD_AT + MAX_HELD * 3;
// Transport slots, after the tracks.
const X_TEMPO = 0;
const X_PENDING_TEMPO = 1; // 0: none
const X_BEATS_PER_BAR = 2;
const X_SWING = 3;
const X_ANCHOR_FRAME = 4;
const X_ANCHOR_TICK = 5;
const X_RANDOM = 6; // state of the chance draws (uint32), the same in both slots
const TRANSPORT = MAX_TRACKS * TRACK_SIZE;
const TRANSPORT_SIZE = 7;

/** Float64 slots of a {@linkcode Sequencer} snapshot (its whole state). */
export const SEQUENCER_STATE_SIZE = TRANSPORT + TRANSPORT_SIZE;

/** Frame of `x` (an exact frame time): the first whole frame at or after it. */
function frameAtOrAfter(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) < 1e-6 ? r : Math.ceil(x);
}

/**
 * Tempo, time signature, swing and up to 16 looping patterns, see the module
 * doc. Pattern building, commits and transport changes are control side (the
 * engine applies them as commands between sub-blocks); {@linkcode nextEventFrame}
 * and {@linkcode fire} are the render loop's and allocate nothing.
 */
export class Sequencer {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz;
  readonly #s = new Float64Array(SEQUENCER_STATE_SIZE);

  /** A stopped sequencer at 120 bpm in 4/4, no swing. @throws {RangeError} for a bad rate. */
  constructor(sampleRate: Hz) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    this.reset();
  }

  /** Stop every track, forget every pattern; 120 bpm, 4/4, no swing, tick 0 at frame 0. */
  reset(): void {
    const s = this.#s;
    s.fill(0);
    for (let t = 0; t < MAX_TRACKS; t++) s[t * TRACK_SIZE + OWN + T_STOP_AT] = -1;
    s[TRANSPORT + X_TEMPO] = 120;
    s[TRANSPORT + X_BEATS_PER_BAR] = 4;
    s[TRANSPORT + X_RANDOM] = 0x9e3779b9;
  }

  /** The next chance draw in [0, 1) (mulberry32 over the state in the snapshot). */
  #draw(): number {
    const s = this.#s;
    const a = ((s[TRANSPORT + X_RANDOM] as number) + 0x6d2b79f5) >>> 0;
    s[TRANSPORT + X_RANDOM] = a;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Current tempo in bpm (a pending change not yet applied). */
  get tempo(): number {
    return this.#s[TRANSPORT + X_TEMPO] as number;
  }

  /** Beats in a bar. */
  get beatsPerBar(): number {
    return this.#s[TRANSPORT + X_BEATS_PER_BAR] as number;
  }

  /** Ticks in a bar. */
  get barTicks(): number {
    return this.beatsPerBar * TICKS_PER_BEAT;
  }

  /** True while track `track` plays a pattern. */
  isPlaying(track: number): boolean {
    return this.#s[this.#track(track) + OWN + T_PLAYING] === 1;
  }

  /** Tracks playing now. */
  get playingTracks(): number {
    let n = 0;
    for (let t = 0; t < MAX_TRACKS; t++) if (this.#s[t * TRACK_SIZE + OWN + T_PLAYING] === 1) n++;
    return n;
  }

  /** The exact tick at `frame` (fractional between ticks). */
  tickAt(frame: Frames): number {
    const s = this.#s;
    const x = TRANSPORT;
    return (s[x + X_ANCHOR_TICK] as number) +
      ((frame - (s[x + X_ANCHOR_FRAME] as number)) * (s[x + X_TEMPO] as number) *
          TICKS_PER_BEAT) / (60 * this.sampleRate);
  }

  /** The frame of `tick`: the first whole frame at or after its exact time. */
  frameOf(tick: number): Frames {
    const s = this.#s;
    const x = TRANSPORT;
    const exact = (s[x + X_ANCHOR_FRAME] as number) +
      ((tick - (s[x + X_ANCHOR_TICK] as number)) * 60 * this.sampleRate) /
        ((s[x + X_TEMPO] as number) * TICKS_PER_BEAT);
    return frameAtOrAfter(exact);
  }

  // ------------------------------------------------------------ transport

  /**
   * Set a transport parameter: tempo (on the next beat), beats per bar or
   * swing, clamped to their ranges. Control side; `frame` is now.
   * @returns false (nothing changes) for an unknown parameter or a non-finite value.
   */
  setTransport(param: number, value: number, frame: Frames): boolean {
    if (!Number.isFinite(value)) return false;
    const s = this.#s;
    switch (param) {
      case TransportParam.Tempo:
        s[TRANSPORT + X_PENDING_TEMPO] = value < 20 ? 20 : value > 300 ? 300 : value;
        // A stopped clock follows at once: nothing is waiting for a beat.
        if (this.playingTracks === 0) this.#applyTempo(frame);
        return true;
      case TransportParam.BeatsPerBar:
        s[TRANSPORT + X_BEATS_PER_BAR] = Math.min(16, Math.max(1, Math.round(value)));
        return true;
      case TransportParam.Swing:
        s[TRANSPORT + X_SWING] = value < 0 ? 0 : value > 0.5 ? 0.5 : value;
        return true;
    }
    return false;
  }

  /** Re-anchor at `frame` with the pending tempo. */
  #applyTempo(frame: Frames): void {
    const s = this.#s;
    const pending = s[TRANSPORT + X_PENDING_TEMPO] as number;
    if (pending === 0) return;
    s[TRANSPORT + X_ANCHOR_TICK] = this.tickAt(frame);
    s[TRANSPORT + X_ANCHOR_FRAME] = frame;
    s[TRANSPORT + X_TEMPO] = pending;
    s[TRANSPORT + X_PENDING_TEMPO] = 0;
  }

  // ------------------------------------------------------------ patterns

  #track(track: number): number {
    if (!(Number.isInteger(track) && track >= 0 && track < MAX_TRACKS)) {
      throw new RangeError(`track must be a whole number 0..${MAX_TRACKS - 1}, got ${track}`);
    }
    return track * TRACK_SIZE;
  }

  /**
   * Start building a pattern for `track`: `lengthTicks` long (one loop), its
   * notes played on rack target `target`. Replaces what was being built.
   * Control side.
   * @returns false (nothing changes) for a bad track, length or target.
   */
  beginPattern(track: number, lengthTicks: number, target: number): boolean {
    if (!(Number.isInteger(track) && track >= 0 && track < MAX_TRACKS)) return false;
    if (!(Number.isInteger(lengthTicks) && lengthTicks >= 1 && lengthTicks <= 1e9)) return false;
    if (!(Number.isInteger(target) && target >= 0 && target < 1e6)) return false;
    const s = this.#s;
    const b = this.#track(track) + BUILDING;
    s[b] = lengthTicks;
    s[b + 1] = 0;
    s[b + 2] = target;
    s[this.#track(track) + OWN + T_CURSOR] = 0;
    s[this.#track(track) + OWN + T_CURSOR_LENGTH] = TICKS_PER_BEAT / 4;
    return true;
  }

  /**
   * Where the next {@linkcode patternNote}s of `track`'s pattern go: at
   * `tick` (0 ≤ tick < the pattern's length), `lengthTicks` long. Control side.
   * @returns false (nothing changes) for a bad track, tick or length.
   */
  patternCursor(track: number, tick: number, lengthTicks: number): boolean {
    if (!(Number.isInteger(track) && track >= 0 && track < MAX_TRACKS)) return false;
    const s = this.#s;
    const t = this.#track(track);
    const length = s[t + BUILDING] as number;
    if (!(Number.isInteger(tick) && tick >= 0 && tick < length)) return false;
    if (!(Number.isInteger(lengthTicks) && lengthTicks >= 1 && lengthTicks <= 1e9)) return false;
    s[t + OWN + T_CURSOR] = tick;
    s[t + OWN + T_CURSOR_LENGTH] = lengthTicks;
    return true;
  }

  /**
   * Add `note` (MIDI 0..127) at `velocity` (0..1] to `track`'s pattern at
   * the cursor, played each time round with probability `chance` (0..1],
   * drawn from a generator both engine slots share. Notes at the same tick
   * sound together (a chord). Control side.
   * @returns false (nothing changes) for a bad note, velocity or chance, or a full pattern.
   */
  patternNote(track: number, note: number, velocity: number, chance = 1): boolean {
    if (!(Number.isInteger(track) && track >= 0 && track < MAX_TRACKS)) return false;
    if (!(note >= 0 && note <= 127) || !(velocity > 0 && velocity <= 1)) return false;
    if (!(chance > 0 && chance <= 1)) return false;
    const s = this.#s;
    const t = this.#track(track);
    const b = t + BUILDING;
    const count = s[b + 1] as number;
    if (count >= MAX_PATTERN_EVENTS || !((s[b] as number) >= 1)) return false;
    const tick = s[t + OWN + T_CURSOR] as number;
    // Kept sorted by tick (stable: a later note at the same tick comes after).
    let at = count;
    while (at > 0 && (s[b + PAT_HEADER + (at - 1) * EV] as number) > tick) at--;
    for (let k = count; k > at; k--) {
      for (let f = 0; f < EV; f++) {
        s[b + PAT_HEADER + k * EV + f] = s[b + PAT_HEADER + (k - 1) * EV + f] as number;
      }
    }
    const e = b + PAT_HEADER + at * EV;
    s[e] = tick;
    s[e + 1] = note;
    s[e + 2] = velocity;
    s[e + 3] = s[t + OWN + T_CURSOR_LENGTH] as number;
    s[e + 4] = chance;
    s[b + 1] = count + 1;
    return true;
  }

  /**
   * Make the pattern built for `track` play from the next multiple of
   * `quantumTicks` (a bar, a beat; 0 or 1: the current tick) at or after
   * `frame`, replacing the one playing there; notes already sounding finish.
   * Control side.
   * @returns false (nothing changes) for a bad track or quantum, or nothing built.
   */
  commitPattern(track: number, quantumTicks: number, frame: Frames): boolean {
    if (!(Number.isInteger(track) && track >= 0 && track < MAX_TRACKS)) return false;
    if (!(Number.isInteger(quantumTicks) && quantumTicks >= 0 && quantumTicks <= 1e9)) {
      return false;
    }
    const s = this.#s;
    const t = this.#track(track);
    if (!((s[t + BUILDING] as number) >= 1)) return false;
    s.copyWithin(t + PENDING, t + BUILDING, t + BUILDING + PAT_SIZE);
    s[t + OWN + T_HAS_PENDING] = 1;
    s[t + OWN + T_PENDING_AT] = this.#boundary(quantumTicks, frame);
    return true;
  }

  /**
   * Stop `track` (or every track, for -1) at the next multiple of
   * `quantumTicks` at or after `frame`; its sounding notes finish. Control side.
   * @returns false for a bad track or quantum.
   */
  stopTrack(track: number, quantumTicks: number, frame: Frames): boolean {
    if (!(Number.isInteger(quantumTicks) && quantumTicks >= 0 && quantumTicks <= 1e9)) {
      return false;
    }
    if (track === -1) {
      for (let k = 0; k < MAX_TRACKS; k++) this.stopTrack(k, quantumTicks, frame);
      return true;
    }
    if (!(Number.isInteger(track) && track >= 0 && track < MAX_TRACKS)) return false;
    const s = this.#s;
    const t = this.#track(track);
    s[t + OWN + T_STOP_AT] = this.#boundary(quantumTicks, frame);
    s[t + OWN + T_HAS_PENDING] = 0;
    return true;
  }

  /** The first multiple of `quantum` ticks whose frame is at or after `frame`. */
  #boundary(quantum: number, frame: Frames): number {
    const now = this.tickAt(frame);
    if (quantum <= 1) return Math.ceil(now - 1e-9);
    let tick = Math.ceil(now / quantum - 1e-9) * quantum;
    if (this.frameOf(tick) < frame) tick += quantum;
    return tick;
  }

  // ------------------------------------------------------------ render loop

  /** Swing delay in ticks of a note at `tick` (every second sixteenth). */
  #swing(tick: number): number {
    const swing = this.#s[TRANSPORT + X_SWING] as number;
    if (swing === 0 || tick % (2 * SIXTEENTH) !== SIXTEENTH) return 0;
    return Math.round(swing * SIXTEENTH);
  }

  /** The tick of track `t`'s next due thing (onset, note-off, swap, stop); Infinity for none. */
  #nextTick(t: number): number {
    const s = this.#s;
    const o = t + OWN;
    let next = Infinity;
    if (s[o + T_HAS_PENDING] === 1) next = s[o + T_PENDING_AT] as number;
    const stopAt = s[o + T_STOP_AT] as number;
    if (stopAt >= 0 && stopAt < next) next = stopAt;
    const held = s[o + T_HELD] as number;
    for (let h = 0; h < held; h++) {
      const off = s[t + HELD_AT + 3 * h] as number;
      if (off < next) next = off;
    }
    if (s[o + T_PLAYING] === 1 && (s[t + PLAYING + 1] as number) > 0) {
      const e = t + PLAYING + PAT_HEADER + (s[o + T_INDEX] as number) * EV;
      const tick = (s[o + T_LOOP_START] as number) + (s[e] as number);
      const at = tick + this.#swing(s[e] as number);
      if (at < next) next = at;
    }
    return next;
  }

  /** The tick of the next beat boundary after the anchor when a tempo change waits; else Infinity. */
  #tempoTick(frame: Frames): number {
    if (this.#s[TRANSPORT + X_PENDING_TEMPO] === 0) return Infinity;
    return Math.ceil(this.tickAt(frame) / TICKS_PER_BEAT - 1e-9) * TICKS_PER_BEAT;
  }

  /**
   * The first frame in [`frame`, `end`) at which something is due (a note,
   * a note-off, a pattern change, a stop, a tempo change), or `end`: the
   * rack renders up to it, then calls {@linkcode fire}. Render loop.
   */
  nextEventFrame(frame: Frames, end: Frames): Frames {
    let next = this.#tempoTick(frame);
    for (let t = 0; t < MAX_TRACKS; t++) {
      const tick = this.#nextTick(t * TRACK_SIZE);
      if (tick < next) next = tick;
    }
    if (next === Infinity) return end;
    const at = this.frameOf(next);
    return at < frame ? frame : at < end ? at : end;
  }

  /**
   * Play everything due at `frame` on `sink`: note-offs first, then stops
   * and pattern changes, a tempo change, then note-ons (a note that ends and
   * starts again on the same frame is released, then restarted). Render loop.
   */
  fire(frame: Frames, sink: NoteSink): void {
    const s = this.#s;
    // The tempo first: the ticks below are counted at the tempo from here on.
    if (s[TRANSPORT + X_PENDING_TEMPO] !== 0) {
      const beat = this.#tempoTick(frame);
      if (this.frameOf(beat) <= frame) this.#applyTempo(frame);
    }
    for (let k = 0; k < MAX_TRACKS; k++) this.#fireOffs(k * TRACK_SIZE, frame, sink);
    for (let k = 0; k < MAX_TRACKS; k++) {
      const t = k * TRACK_SIZE;
      const o = t + OWN;
      const stopAt = s[o + T_STOP_AT] as number;
      if (stopAt >= 0 && this.frameOf(stopAt) <= frame) {
        s[o + T_PLAYING] = 0;
        s[o + T_STOP_AT] = -1;
      }
      if (s[o + T_HAS_PENDING] === 1) {
        const at = s[o + T_PENDING_AT] as number;
        if (this.frameOf(at) <= frame) {
          s.copyWithin(t + PLAYING, t + PENDING, t + PENDING + PAT_SIZE);
          s[o + T_HAS_PENDING] = 0;
          s[o + T_PLAYING] = 1;
          s[o + T_LOOP_START] = at;
          s[o + T_INDEX] = 0;
        }
      }
      this.#fireOns(t, frame, sink);
    }
  }

  /** Release track `t`'s held notes whose off tick is due at `frame`. */
  #fireOffs(t: number, frame: Frames, sink: NoteSink): void {
    const s = this.#s;
    const o = t + OWN;
    let held = s[o + T_HELD] as number;
    for (let h = 0; h < held;) {
      const at = t + HELD_AT + 3 * h;
      if (this.frameOf(s[at] as number) <= frame) {
        sink.noteOff(s[at + 2] as number, s[at + 1] as number);
        // Last held note into this place.
        const last = t + HELD_AT + 3 * (held - 1);
        s[at] = s[last] as number;
        s[at + 1] = s[last + 1] as number;
        s[at + 2] = s[last + 2] as number;
        held--;
      } else {
        h++;
      }
    }
    s[o + T_HELD] = held;
  }

  /** Start track `t`'s notes due at `frame`, looping its pattern as needed. */
  #fireOns(t: number, frame: Frames, sink: NoteSink): void {
    const s = this.#s;
    const o = t + OWN;
    if (s[o + T_PLAYING] !== 1) return;
    const count = s[t + PLAYING + 1] as number;
    const length = s[t + PLAYING] as number;
    const target = s[t + PLAYING + 2] as number;
    if (count === 0) return;
    // Bounded: at most one pass over the pattern per call.
    for (let guard = 0; guard <= count; guard++) {
      const index = s[o + T_INDEX] as number;
      const e = t + PLAYING + PAT_HEADER + index * EV;
      const rel = s[e] as number;
      const tick = (s[o + T_LOOP_START] as number) + rel;
      if (this.frameOf(tick + this.#swing(rel)) > frame) return;
      const note = s[e + 1] as number;
      const chance = s[e + 4] as number;
      const plays = chance >= 1 || this.#draw() < chance;
      // The same note still held on this track: released first (no stuck voice).
      if (plays) this.#release(t, note, target, sink);
      if (plays) sink.noteOn(target, note, s[e + 2] as number);
      const held = s[o + T_HELD] as number;
      if (plays && held < MAX_HELD) {
        const h = t + HELD_AT + 3 * held;
        s[h] = tick + this.#swing(rel) + (s[e + 3] as number);
        s[h + 1] = note;
        s[h + 2] = target;
        s[o + T_HELD] = held + 1;
      }
      if (index + 1 < count) {
        s[o + T_INDEX] = index + 1;
      } else {
        s[o + T_INDEX] = 0;
        s[o + T_LOOP_START] = (s[o + T_LOOP_START] as number) + length;
      }
    }
  }

  /** Release `note` on `target` if track `t` holds it. */
  #release(t: number, note: number, target: number, sink: NoteSink): void {
    const s = this.#s;
    const o = t + OWN;
    const held = s[o + T_HELD] as number;
    for (let h = 0; h < held; h++) {
      const at = t + HELD_AT + 3 * h;
      if (s[at + 1] === note && s[at + 2] === target) {
        sink.noteOff(target, note);
        const last = t + HELD_AT + 3 * (held - 1);
        s[at] = s[last] as number;
        s[at + 1] = s[last + 1] as number;
        s[at + 2] = s[last + 2] as number;
        s[o + T_HELD] = held - 1;
        return;
      }
    }
  }

  // ------------------------------------------------------------ snapshots

  /** Write the whole state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    dst.set(this.#s, offset);
    return offset + SEQUENCER_STATE_SIZE;
  }

  /**
   * Read a state written by {@linkcode saveState}; returns the offset after
   * it. A state a sequencer cannot have written (a non-finite value, a count
   * or index out of range, a tempo out of range) is refused: the sequencer
   * resets (stopped, 120 bpm) rather than play garbage.
   */
  loadState(src: Float64Array, offset: number): number {
    const s = this.#s;
    for (let i = 0; i < SEQUENCER_STATE_SIZE; i++) s[i] = src[offset + i] ?? NaN;
    if (!this.#valid()) this.reset();
    return offset + SEQUENCER_STATE_SIZE;
  }

  /**
   * True when the scalar state (transport, counts, indices, cursors, held
   * notes) is one a sequencer can have: each checked, not the whole array,
   * so a load stays cheap (a NaN in an event's fields only keeps that event
   * from ever playing).
   */
  #valid(): boolean {
    const s = this.#s;
    const x = TRANSPORT;
    for (let i = 0; i < TRANSPORT_SIZE; i++) if (!Number.isFinite(s[x + i])) return false;
    const tempo = s[x + X_TEMPO] as number;
    const pending = s[x + X_PENDING_TEMPO] as number;
    if (!(tempo >= 20 && tempo <= 300) || !(pending === 0 || (pending >= 20 && pending <= 300))) {
      return false;
    }
    const random = s[x + X_RANDOM] as number;
    if (!(Number.isInteger(random) && random >= 0 && random < 4294967296)) return false;
    const bpb = s[x + X_BEATS_PER_BAR] as number;
    const swing = s[x + X_SWING] as number;
    if (!(Number.isInteger(bpb) && bpb >= 1 && bpb <= 16 && swing >= 0 && swing <= 0.5)) {
      return false;
    }
    for (let k = 0; k < MAX_TRACKS; k++) {
      const t = k * TRACK_SIZE;
      for (const p of [PLAYING, PENDING, BUILDING]) {
        const count = s[t + p + 1] as number;
        if (!(Number.isInteger(count) && count >= 0 && count <= MAX_PATTERN_EVENTS)) return false;
        if (!Number.isFinite(s[t + p]) || !Number.isFinite(s[t + p + 2])) return false;
      }
      for (let i = 0; i < T_OWN; i++) if (!Number.isFinite(s[t + OWN + i])) return false;
      const index = s[t + OWN + T_INDEX] as number;
      const held = s[t + OWN + T_HELD] as number;
      if (
        !(Number.isInteger(index) && index >= 0 &&
          index < Math.max(1, s[t + PLAYING + 1] as number))
      ) {
        return false;
      }
      if (!(Number.isInteger(held) && held >= 0 && held <= MAX_HELD)) return false;
      for (let i = 0; i < 3 * held; i++) if (!Number.isFinite(s[t + HELD_AT + i])) return false;
    }
    return true;
  }
}
