/**
 * Voice allocation for a polyphonic instrument: which voice plays a new
 * note, which voice a note-off releases, and what the voice must do (start
 * from silence, retrigger, glide without retriggering, release). Pure
 * bookkeeping over preallocated typed arrays; no audio.
 *
 * Poly mode, `noteOn(note)` picks, among the first `polyphony` voices:
 * 1. the voice already sounding that note, if any (it is retriggered, so a
 *    repeated note never doubles up);
 * 2. else the free (silent) voice with the lowest index;
 * 3. else the released voice (gate closed, still sounding its release) that
 *    was released longest ago — "oldest released first";
 * 4. else the held voice that was started longest ago.
 * Ages come from an integer event counter that every note-on and note-off
 * advances, so the order is exact and deterministic (no clocks).
 *
 * Mono and legato modes play voice 0 only and keep a stack of held notes
 * ({@linkcode MONO_STACK_SIZE} deep): releasing the sounding note returns to
 * the most recent note still held. Mono retriggers the envelopes on every
 * note change; legato retriggers only when no other note was held, so
 * overlapping notes glide without a new attack.
 *
 * The owner reports when a voice has gone silent with
 * {@linkcode VoiceAllocator.voiceEnded}; until then a released voice counts
 * as sounding (and can be stolen).
 *
 * @module
 */

/** Voice modes of a {@linkcode VoiceAllocator}. */
export const VoiceMode = {
  /** Polyphonic: one voice per note, stealing when all are busy. */
  Poly: 0,
  /** Monophonic: voice 0 only, every note change retriggers the envelopes. */
  Mono: 1,
  /** Monophonic legato: overlapping notes change pitch without retriggering. */
  Legato: 2,
} as const;

/** A voice mode (a value of {@linkcode VoiceMode}). */
export type VoiceModeId = typeof VoiceMode[keyof typeof VoiceMode];

/** What the owner must do with the voice after a note event ({@linkcode VoiceAllocator.lastAction}). */
export const NoteAction = {
  /** Nothing (rejected event, or a note-off for a note not sounding). */
  None: 0,
  /** Start the voice from silence at the note (it was free). */
  Start: 1,
  /** The voice is sounding: retrigger its envelopes and move (glide) to the note. */
  Retrigger: 2,
  /** Move (glide) to the note without retriggering the envelopes. */
  Legato: 3,
  /** Close the voice's gate (release). */
  Release: 4,
} as const;

/** A note action (a value of {@linkcode NoteAction}). */
export type NoteActionId = typeof NoteAction[keyof typeof NoteAction];

/** Default number of voices. */
export const DEFAULT_VOICES = 16;
/** Largest number of voices. */
export const MAX_VOICES = 64;
/** Held notes remembered in mono and legato modes; older ones are forgotten. */
export const MONO_STACK_SIZE = 32;
/** Lowest note number (MIDI); notes are clamped to [NOTE_MIN, NOTE_MAX]. */
export const NOTE_MIN = 0;
/** Highest note number (MIDI). */
export const NOTE_MAX = 127;

/** Header slots of a snapshot: capacity, mode, polyphony, clock, stack length, last action. */
const HEADER = 6;
/** Per-voice slots: note, velocity, started, released, gate, sounding. */
const PER_VOICE = 6;

/** Float64 slots used by {@linkcode VoiceAllocator.saveState} for `capacity` voices. */
export function voiceAllocatorStateSize(capacity: number): number {
  return HEADER + PER_VOICE * capacity + 2 * MONO_STACK_SIZE;
}

/**
 * Throw a `RangeError` unless `capacity` is an integer voice count in
 * [1, {@linkcode MAX_VOICES}].
 */
export function checkVoiceCount(capacity: number): void {
  if (!(Number.isInteger(capacity) && capacity >= 1 && capacity <= MAX_VOICES)) {
    throw new RangeError(
      `voice count must be an integer between 1 and ${MAX_VOICES}, got ${capacity}`,
    );
  }
}

/**
 * Note and voice bookkeeping for a polyphonic instrument (see the module
 * doc). Every method is control side and allocates nothing; an event's
 * results are the returned voice index and {@linkcode lastAction}.
 *
 * @example
 * ```ts
 * import { NoteAction, VoiceAllocator } from "./voice_allocator.ts";
 * const alloc = new VoiceAllocator(4);
 * alloc.noteOn(60, 1); // 0
 * alloc.noteOn(64, 1); // 1
 * alloc.noteOff(60); // 0, alloc.lastAction === NoteAction.Release
 * ```
 */
export class VoiceAllocator {
  /** Number of voices (fixed). */
  readonly capacity: number = DEFAULT_VOICES;
  /** Float64 slots needed by {@linkcode saveState}. */
  readonly stateSize: number = 0;
  readonly #notes: Float64Array;
  readonly #velocities: Float64Array;
  /** Clock value of the voice's last note-on. */
  readonly #started: Float64Array;
  /** Clock value of the voice's last note-off. */
  readonly #released: Float64Array;
  /** 1 while the voice's gate is open (note held). */
  readonly #gate: Uint8Array;
  /** 1 from a note-on until {@linkcode voiceEnded}. */
  readonly #sounding: Uint8Array;
  readonly #stackNotes = new Float64Array(MONO_STACK_SIZE);
  readonly #stackVelocities = new Float64Array(MONO_STACK_SIZE);
  #stackLength = 0;
  #clock = 0;
  #mode: number = VoiceMode.Poly;
  #polyphony = DEFAULT_VOICES;
  #action: number = NoteAction.None;

  /**
   * All voices free, poly mode, polyphony = capacity.
   *
   * @param capacity number of voices, 1..{@linkcode MAX_VOICES}; default {@linkcode DEFAULT_VOICES}.
   * @throws {RangeError} for another capacity.
   */
  constructor(capacity: number = DEFAULT_VOICES) {
    checkVoiceCount(capacity);
    this.capacity = capacity;
    this.stateSize = voiceAllocatorStateSize(capacity);
    this.#notes = new Float64Array(capacity).fill(-1);
    this.#velocities = new Float64Array(capacity);
    this.#started = new Float64Array(capacity);
    this.#released = new Float64Array(capacity);
    this.#gate = new Uint8Array(capacity);
    this.#sounding = new Uint8Array(capacity);
    this.#polyphony = capacity;
  }

  /** Current mode. */
  get mode(): VoiceModeId {
    const m = this.#mode;
    return m === 1 || m === 2 ? m : VoiceMode.Poly;
  }

  /** Voices poly mode may use, 1..capacity. */
  get polyphony(): number {
    return this.#polyphony;
  }

  /** What the owner must do after the last note event. */
  get lastAction(): NoteActionId {
    const a = this.#action;
    return a === 1 || a === 2 || a === 3 || a === 4 ? a : NoteAction.None;
  }

  /** Voices sounding (held or releasing), 0..capacity. */
  get activeVoices(): number {
    let count = 0;
    for (let i = 0; i < this.capacity; i++) count += this.#sounding[i] as number;
    return count;
  }

  /** Voices with their gate open, 0..capacity. */
  get heldVoices(): number {
    let count = 0;
    for (let i = 0; i < this.capacity; i++) count += this.#gate[i] as number;
    return count;
  }

  /** Notes held in mono/legato mode (the stack depth). */
  get heldNotes(): number {
    return this.#stackLength;
  }

  /** True while voice `i` sounds (from its note-on until {@linkcode voiceEnded}). */
  isSounding(i: number): boolean {
    return this.#sounding[i] === 1;
  }

  /** True while voice `i`'s gate is open. */
  isHeld(i: number): boolean {
    return this.#gate[i] === 1;
  }

  /** Note voice `i` plays (or last played); -1 for a voice never used or ended. */
  voiceNote(i: number): number {
    return this.#notes[i] ?? -1;
  }

  /** Velocity (0..1) of the note voice `i` plays. */
  voiceVelocity(i: number): number {
    return this.#velocities[i] ?? 0;
  }

  /**
   * Switch mode; every held note is released first (the owner must close
   * the gates of the voices that {@linkcode isHeld} before calling this).
   * @returns false (no change) for a value that is not a {@linkcode VoiceMode}.
   */
  setMode(mode: number): boolean {
    if (!(mode === 0 || mode === 1 || mode === 2)) return false;
    this.allNotesOff();
    this.#mode = mode;
    return true;
  }

  /**
   * Let poly mode use `n` voices (rounded, clamped to 1..capacity). Voices
   * from `n` up that are held are marked released (the owner must close
   * their gates first); they finish their release and are not reused.
   * @returns false (no change) for NaN or ±Infinity.
   */
  setPolyphony(n: number): boolean {
    if (!Number.isFinite(n)) return false;
    const r = Math.round(n);
    const p = r < 1 ? 1 : r > this.capacity ? this.capacity : r;
    this.#polyphony = p;
    for (let i = p; i < this.capacity; i++) this.#releaseVoice(i);
    return true;
  }

  /**
   * A note starts: `note` (MIDI number, clamped to 0..127, fractions kept)
   * with `velocity` (clamped to 0..1). See the module doc for the choice.
   * @returns the voice to use, or -1 if either is NaN or ±Infinity (then nothing
   * changes, {@linkcode lastAction} included).
   */
  noteOn(note: number, velocity: number): number {
    if (!(Number.isFinite(note) && Number.isFinite(velocity))) return -1;
    const n = note < NOTE_MIN ? NOTE_MIN : note > NOTE_MAX ? NOTE_MAX : note;
    const v = velocity < 0 ? 0 : velocity > 1 ? 1 : velocity;
    return this.#mode === VoiceMode.Poly ? this.#polyOn(n, v) : this.#monoOn(n, v);
  }

  /**
   * A note ends. Poly: the voice holding `note` is released. Mono/legato:
   * the note leaves the stack; if it was sounding, voice 0 returns to the
   * latest held note (action Retrigger or Legato) or is released.
   * @returns the voice affected, or -1 if no voice changes (action None; for a
   * non-finite note nothing changes, {@linkcode lastAction} included).
   */
  noteOff(note: number): number {
    if (!Number.isFinite(note)) return -1;
    this.#action = NoteAction.None;
    const n = note < NOTE_MIN ? NOTE_MIN : note > NOTE_MAX ? NOTE_MAX : note;
    return this.#mode === VoiceMode.Poly ? this.#polyOff(n) : this.#monoOff(n);
  }

  /** Release every held voice and forget the held-note stack (the owner closes the gates). */
  allNotesOff(): void {
    for (let i = 0; i < this.capacity; i++) this.#releaseVoice(i);
    this.#stackLength = 0;
    this.#action = NoteAction.None;
  }

  /** Voice `i` has gone silent: it is free again. Ignored for an index out of range. */
  voiceEnded(i: number): void {
    if (!(i >= 0 && i < this.capacity)) return;
    this.#sounding[i] = 0;
    this.#gate[i] = 0;
    this.#notes[i] = -1;
  }

  /** Free every voice and empty the stack (mode and polyphony are kept). */
  reset(): void {
    this.#notes.fill(-1);
    this.#velocities.fill(0);
    this.#started.fill(0);
    this.#released.fill(0);
    this.#gate.fill(0);
    this.#sounding.fill(0);
    this.#stackLength = 0;
    this.#clock = 0;
    this.#action = NoteAction.None;
  }

  /** Write the state to `dst` at `offset`; returns the offset after it. */
  saveState(dst: Float64Array, offset: number): number {
    const cap = this.capacity;
    dst[offset] = cap;
    dst[offset + 1] = this.#mode;
    dst[offset + 2] = this.#polyphony;
    dst[offset + 3] = this.#clock;
    dst[offset + 4] = this.#stackLength;
    dst[offset + 5] = this.#action;
    let o = offset + HEADER;
    for (let i = 0; i < cap; i++) {
      dst[o++] = this.#notes[i] as number;
      dst[o++] = this.#velocities[i] as number;
      dst[o++] = this.#started[i] as number;
      dst[o++] = this.#released[i] as number;
      dst[o++] = this.#gate[i] as number;
      dst[o++] = this.#sounding[i] as number;
    }
    dst.set(this.#stackNotes, o);
    dst.set(this.#stackVelocities, o + MONO_STACK_SIZE);
    return o + 2 * MONO_STACK_SIZE;
  }

  /**
   * Read the state written by {@linkcode saveState} of an allocator with the
   * same capacity; returns the offset after it. Values a valid snapshot
   * cannot hold are repaired (mode to poly, counts clamped, non-finite
   * notes freed).
   * @throws {RangeError} if the snapshot is of another capacity.
   */
  loadState(src: Float64Array, offset: number): number {
    const cap = this.capacity;
    if (src[offset] !== cap) {
      throw new RangeError(`state must be of an allocator of ${cap} voices, got ${src[offset]}`);
    }
    const at = (i: number): number => src[offset + i] ?? NaN;
    const m = at(1);
    this.#mode = m === 1 || m === 2 ? m : VoiceMode.Poly;
    const p = at(2);
    this.#polyphony = Number.isInteger(p) && p >= 1 && p <= cap ? p : cap;
    const clock = at(3);
    this.#clock = Number.isFinite(clock) ? clock : 0;
    const len = at(4);
    this.#stackLength = Number.isInteger(len) && len >= 0 && len <= MONO_STACK_SIZE ? len : 0;
    const a = at(5);
    this.#action = a === 1 || a === 2 || a === 3 || a === 4 ? a : NoteAction.None;
    let o = offset + HEADER;
    for (let i = 0; i < cap; i++) {
      const note = src[o] ?? NaN;
      const ok = note >= NOTE_MIN && note <= NOTE_MAX;
      this.#notes[i] = ok ? note : -1;
      this.#velocities[i] = unit(src[o + 1] ?? 0);
      this.#started[i] = finite(src[o + 2] ?? 0);
      this.#released[i] = finite(src[o + 3] ?? 0);
      this.#gate[i] = ok && src[o + 4] === 1 ? 1 : 0;
      this.#sounding[i] = ok && src[o + 5] === 1 ? 1 : 0;
      o += PER_VOICE;
    }
    for (let k = 0; k < MONO_STACK_SIZE; k++) {
      const note = src[o + k] ?? NaN;
      this.#stackNotes[k] = note >= NOTE_MIN && note <= NOTE_MAX ? note : NOTE_MIN;
      this.#stackVelocities[k] = unit(src[o + MONO_STACK_SIZE + k] ?? 0);
    }
    return o + 2 * MONO_STACK_SIZE;
  }

  #polyOn(note: number, velocity: number): number {
    const p = this.#polyphony;
    let voice = -1;
    // 1. The voice already sounding this note.
    for (let i = 0; i < p && voice < 0; i++) {
      if (this.#sounding[i] === 1 && this.#notes[i] === note) voice = i;
    }
    // 2. A free voice, lowest index first.
    for (let i = 0; i < p && voice < 0; i++) {
      if (this.#sounding[i] === 0) voice = i;
    }
    // 3. The voice released longest ago; 4. the voice started longest ago.
    if (voice < 0) voice = this.#oldest(p, 0, this.#released);
    if (voice < 0) voice = this.#oldest(p, 1, this.#started);
    this.#action = this.#sounding[voice] === 1 ? NoteAction.Retrigger : NoteAction.Start;
    this.#play(voice, note, velocity);
    return voice;
  }

  /** Among voices [0, p) whose gate is `gate`, the one with the smallest `times` entry; -1 if none. */
  #oldest(p: number, gate: number, times: Float64Array): number {
    let best = -1;
    let bestTime = Infinity;
    for (let i = 0; i < p; i++) {
      if (this.#gate[i] !== gate) continue;
      const t = times[i] as number;
      if (t < bestTime) {
        best = i;
        bestTime = t;
      }
    }
    return best;
  }

  #polyOff(note: number): number {
    let voice = -1;
    let oldest = Infinity;
    for (let i = 0; i < this.capacity; i++) {
      if (this.#gate[i] === 1 && this.#notes[i] === note && (this.#started[i] as number) < oldest) {
        voice = i;
        oldest = this.#started[i] as number;
      }
    }
    if (voice < 0) return -1;
    this.#releaseVoice(voice);
    this.#action = NoteAction.Release;
    return voice;
  }

  #monoOn(note: number, velocity: number): number {
    const wasHeld = this.#stackLength > 0 && this.#gate[0] === 1;
    this.#stackRemove(note);
    if (this.#stackLength === MONO_STACK_SIZE) this.#stackRemoveAt(0);
    this.#stackNotes[this.#stackLength] = note;
    this.#stackVelocities[this.#stackLength] = velocity;
    this.#stackLength++;
    if (this.#sounding[0] === 0) this.#action = NoteAction.Start;
    else if (wasHeld && this.#mode === VoiceMode.Legato) this.#action = NoteAction.Legato;
    else this.#action = NoteAction.Retrigger;
    this.#play(0, note, velocity);
    return 0;
  }

  #monoOff(note: number): number {
    const sounding = this.#gate[0] === 1 && this.#notes[0] === note;
    this.#stackRemove(note);
    if (!sounding) return -1;
    const len = this.#stackLength;
    if (len === 0) {
      this.#releaseVoice(0);
      this.#action = NoteAction.Release;
      return 0;
    }
    // Back to the latest note still held, keeping its start time (no new age).
    this.#notes[0] = this.#stackNotes[len - 1] as number;
    this.#velocities[0] = this.#stackVelocities[len - 1] as number;
    this.#clock++;
    this.#action = this.#mode === VoiceMode.Legato ? NoteAction.Legato : NoteAction.Retrigger;
    return 0;
  }

  #play(voice: number, note: number, velocity: number): void {
    this.#notes[voice] = note;
    this.#velocities[voice] = velocity;
    this.#started[voice] = this.#clock++;
    this.#gate[voice] = 1;
    this.#sounding[voice] = 1;
  }

  #releaseVoice(i: number): void {
    if (this.#gate[i] !== 1) return;
    this.#gate[i] = 0;
    this.#released[i] = this.#clock++;
  }

  #stackRemove(note: number): void {
    for (let k = this.#stackLength - 1; k >= 0; k--) {
      if (this.#stackNotes[k] === note) this.#stackRemoveAt(k);
    }
  }

  #stackRemoveAt(k: number): void {
    const len = this.#stackLength;
    this.#stackNotes.copyWithin(k, k + 1, len);
    this.#stackVelocities.copyWithin(k, k + 1, len);
    this.#stackLength = len - 1;
  }
}

function unit(x: number): number {
  return x >= 0 && x <= 1 ? x : 0;
}

function finite(x: number): number {
  return Number.isFinite(x) ? x : 0;
}
