/**
 * Notes, chords and scales written in phrases — `C4`, `eb`, `f sharp`, `60`,
 * `440 hz`, `middle c`, `a C minor chord`, `cm7 first inversion`, `D dorian
 * scale` — read into MIDI notes and the names to show.
 *
 * @module
 */

import { RackTarget } from "../dsp/rack.ts";
import { shown } from "./line_parser.ts";
import { midiName } from "./patch_model.ts";
import {
  CHORD_QUALITIES,
  CHORD_WORDS,
  chordShape,
  chordSymbol,
  midiOf,
  nearestNote,
  ORDINALS,
  readPitch,
  SCALE_NAMES,
  SCALE_WORDS,
  scaleIntervals,
  transposeName,
} from "./phrase_vocabulary.ts";
import type { Ctx } from "./phrase_context.ts";
import { fail, suggestFrom, unknownClause } from "./phrase_errors.ts";
import { quantity } from "./phrase_words.ts";

/** Default octave of each instrument for notes written without one (lead, bass, pad, keys). */
export const DEFAULT_OCTAVES: readonly number[] = [4, 2, 4, 4];

/** Notes read from a phrase: plain notes, a chord or a scale. */
export interface Music {
  /** MIDI notes, before the instrument's transpose. */
  readonly notes: number[];
  /** Spelled names of the notes (before transpose). */
  readonly names: string[];
  /** What was asked for, e.g. "C minor chord" (empty for plain notes). */
  readonly label: string;
  /** True for a scale: notes are played one after the other. */
  readonly scale: boolean;
}

/** `tokens` without a leading `a` or `an` (kept when it is the only word). */
export function withoutArticle(tokens: readonly string[]): string[] {
  return (tokens[0] === "a" || tokens[0] === "an") && tokens.length > 1
    ? tokens.slice(1)
    : [...tokens];
}

/** Notes, a chord or a scale from `tokens` (a leading `a`/`an` is skipped when that reads). */
export function readMusic(ctx: Ctx, tokens: readonly string[]): Music {
  if (tokens[0] === "a" || tokens[0] === "an") {
    if (tokens.length === 1) return readMusicWords(ctx, tokens);
    try {
      return readMusicWords(ctx, tokens.slice(1));
    } catch (error) {
      if (tokens[0] !== "a") throw error;
      return readMusicWords(ctx, tokens);
    }
  }
  return readMusicWords(ctx, tokens);
}

function defaultOctave(ctx: Ctx): number {
  return DEFAULT_OCTAVES[ctx.target - RackTarget.FirstInstrument] ?? 4;
}

/** A single note token: name with or without octave, MIDI number, frequency. */
function singleNote(
  ctx: Ctx,
  tokens: readonly string[],
  i: number,
): { note: number; name: string; used: number } | undefined {
  const word = tokens[i] ?? "";
  if (word === "middle" && tokens[i + 1] === "c") return { note: 60, name: "C4", used: 2 };
  const pitch = readPitch(word);
  if (pitch !== undefined) {
    let name = pitch.pitch;
    let used = 1;
    const next = tokens[i + 1];
    if ((next === "sharp" || next === "flat") && name.length === 1) {
      name += next === "sharp" ? "#" : "b";
      used++;
    }
    const full = `${name}${pitch.octave ?? defaultOctave(ctx)}`;
    const note = midiOf(full);
    if (note === undefined || note < 0 || note > 127) {
      fail(`note ${shown(word)} is out of range (0..127)`);
    }
    return { note, name: full, used };
  }
  const q = quantity(word);
  if (q !== undefined) {
    if (q.unit === "hz" || q.unit === "khz" || tokens[i + 1] === "hz" || tokens[i + 1] === "khz") {
      const hz = q.value * (q.unit === "khz" || tokens[i + 1] === "khz" ? 1000 : 1);
      const note = nearestNote(hz);
      if (note === undefined) fail(`${shown(word)} Hz is outside the notes (8.2 Hz..12.5 kHz)`);
      return { note, name: midiName(note), used: q.unit === undefined ? 2 : 1 };
    }
    if (q.unit === undefined) {
      if (!Number.isInteger(q.value) || q.value < 0 || q.value > 127) {
        fail(`MIDI note must be a whole number 0..127, got ${shown(word)}`);
      }
      return { note: q.value, name: midiName(q.value), used: 1 };
    }
  }
  return undefined;
}

function readMusicWords(ctx: Ctx, tokens: readonly string[]): Music {
  // A chord symbol first: "cm7", "gmaj7".
  const symbol = tokens[0] === undefined || readPitch(tokens[0]) !== undefined
    ? undefined
    : chordSymbol(tokens[0]);
  if (symbol !== undefined) {
    const rest = tokens.slice(1);
    const root = `${symbol.pitch}${defaultOctave(ctx)}`;
    const tail = readChordTail(rest);
    return chordOf(
      root,
      symbol.shape.type,
      symbol.shape.intervals,
      tail.inversion,
    );
  }
  const first = singleNote(ctx, tokens, 0);
  if (first === undefined) return unknownClause(tokens);
  // Plain notes: every token a note.
  const notes = [first.note];
  const names = [first.name];
  let i = first.used;
  let allNotes = true;
  while (i < tokens.length) {
    const next = singleNote(ctx, tokens, i);
    if (next === undefined) {
      allNotes = false;
      break;
    }
    notes.push(next.note);
    names.push(next.name);
    i += next.used;
  }
  if (allNotes) return { notes, names, label: "", scale: false };
  if (notes.length > 1) unknownClause(tokens.slice(i));
  // A root followed by chord or scale words.
  const words: string[] = [];
  while (i < tokens.length && isMusicWord(tokens[i] ?? "")) words.push(tokens[i++] ?? "");
  const tail = tokens.slice(i);
  const isScale = tail[0] === "scale" ||
    (!CHORD_QUALITIES.has(words.join(" ")) && SCALE_NAMES.has(words.join(" ")));
  const quality = words.join(" ");
  const root = first.name;
  if (isScale) {
    if (tail[0] === "scale") tail.shift();
    if (tail.length > 0) unknownClause(tail);
    const name = quality === "" ? "major" : quality;
    const intervals = scaleIntervals(name) ?? fail(
      `unknown scale "${shown(name)}"${suggestFrom(name, [...SCALE_NAMES])}`,
    );
    const spelled = [...intervals.map((iv) => transposeName(root, iv)), transposeName(root, "8P")];
    const midi = spelled.map((n) => midiOf(n) ?? fail(`note ${n} is out of range`));
    if (midi.some((n) => n > 127)) fail(`the ${root} ${name} scale goes above note 127`);
    return { notes: midi, names: spelled, label: `${pitchOf(root)} ${name} scale`, scale: true };
  }
  const chordTail = readChordTail(tail);
  if (quality === "" && !chordTail.chordWord) unknownClause(tail);
  const shape = chordShape(quality) ?? fail(
    `unknown chord "${shown(quality)}"${suggestFrom(quality, [...CHORD_QUALITIES.keys()])}`,
  );
  return chordOf(root, shape.type, shape.intervals, chordTail.inversion);
}

function isMusicWord(word: string): boolean {
  return (CHORD_WORDS.has(word) || SCALE_WORDS.has(word)) && word !== "chord" &&
    word !== "scale" && !ORDINALS.has(word) && word !== "inversion";
}

function pitchOf(name: string): string {
  return name.replace(/-?\d+$/, "");
}

function readChordTail(tokens: readonly string[]): { inversion: number; chordWord: boolean } {
  const t = tokens.filter((w) => w !== "in");
  let chordWord = false;
  let inversion = 0;
  let i = 0;
  if (t[i] === "chord" || t[i] === "triad") {
    chordWord = true;
    i++;
  }
  if (i < t.length) {
    const a = t[i] ?? "";
    const b = t[i + 1];
    if (ORDINALS.has(a) && b === "inversion") {
      inversion = ORDINALS.get(a) ?? 0;
      i += 2;
    } else if (a === "inversion" && b !== undefined && /^[0-3]$/.test(b)) {
      inversion = Number(b);
      i += 2;
    } else if (a === "root" && b === "position") {
      i += 2;
    } else if (b === "inversion") {
      fail(`unknown inversion "${shown(a)}" — inversions: root, first, second, third`);
    }
  }
  if (i < t.length) unknownClause(t.slice(i));
  return { inversion, chordWord };
}

function chordOf(
  root: string,
  type: string,
  intervals: readonly string[],
  inversion: number,
): Music {
  let names = intervals.map((iv) => transposeName(root, iv));
  if (inversion >= names.length) {
    fail(`a ${type} chord has ${names.length} notes: inversions 0..${names.length - 1}`);
  }
  for (let k = 0; k < inversion; k++) {
    const [low = "", ...others] = names;
    names = [...others, transposeName(low, "8P")];
  }
  const notes = names.map((n) => midiOf(n) ?? fail(`note ${n} is out of range`));
  if (notes.some((n) => n < 0 || n > 127)) fail(`the ${root} ${type} chord leaves notes 0..127`);
  const inv = inversion === 0 ? "" : `, ${["", "first", "second", "third"][inversion]} inversion`;
  return { notes, names, label: `${pitchOf(root)} ${type} chord${inv}`, scale: false };
}

/** True when a clause starts with a note or chord symbol, so it is a `play` without the verb. */
export function startsMusic(t: readonly string[]): boolean {
  const w = t[0] ?? "";
  if (w === "middle" && t[1] === "c") return true;
  if (readPitch(w) !== undefined) return true;
  return chordSymbol(w) !== undefined;
}
