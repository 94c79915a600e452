/**
 * Token-level reading shared by the phrase modules: numbers with units,
 * note-length fractions, count words, channel names, and numbers in messages.
 * Pure functions over single words; nothing here knows about clauses.
 *
 * @module
 */

import { RackTarget } from "../dsp/rack.ts";
import { INSTRUMENT_NAMES } from "./instrument_parser.ts";
import { NOTE_LENGTHS } from "./phrase_vocabulary.ts";

/** The word naming the drum channel in phrases and messages. */
export const DRUMS_WORD = "drums";

/** Count words read as numbers (`a`, `an`, `one` … `four`). */
export const NUMBER_WORDS: ReadonlyMap<string, number> = new Map([
  ["a", 1],
  ["an", 1],
  ["one", 1],
  ["two", 2],
  ["three", 3],
  ["four", 4],
]);

const QUANTITY =
  /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(khz|hz|k|ms|msec|s|sec|secs|%|bpm|st|cents|db|x)?$/;

/** A note length as a fraction of a whole note, e.g. `1/8` (up to 3 digits each side). */
export const FRACTION = /^(\d{1,3})\/(\d{1,3})$/;

/**
 * A number with an optional unit suffix (`440`, `1.5k`, `250ms`, `50%`, `-12`), or
 * undefined when `word` is not one. The unit is lower case, as the phrase is.
 */
export function quantity(word: string): { value: number; unit: string | undefined } | undefined {
  const match = QUANTITY.exec(word);
  if (match === null) return undefined;
  const value = Number(match[1]);
  if (!Number.isFinite(value)) return undefined;
  return { value: value + 0, unit: match[2] };
}

/**
 * True when `t` starts with an amount or a length: a number (not a frequency), a
 * fraction, a note length or a count word other than `a`.
 */
export function isQuantityStart(t: readonly string[]): boolean {
  const w = t[0] ?? "";
  return quantity(w) !== undefined && !(t[1] === "hz" || t[1] === "khz") ||
    FRACTION.test(w) || NOTE_LENGTHS.has(w) || NUMBER_WORDS.has(w) && w !== "a";
}

/** A number for messages: at most 3 decimals, no trailing zeros. */
export function fmt(value: number): string {
  return String(Number(value.toFixed(3)));
}

/** The rack target of a channel word (an instrument name, `drums` or `drum`), or undefined. */
export function channelTarget(word: string): number | undefined {
  if (word === DRUMS_WORD || word === "drum") return RackTarget.DrumStrip;
  return instrumentTarget(word);
}

/** The rack target of an instrument name (`lead`, `bass`, `pad`, `keys`), or undefined. */
export function instrumentTarget(word: string): number | undefined {
  const k = INSTRUMENT_NAMES.indexOf(word);
  return k < 0 ? undefined : RackTarget.FirstInstrument + k;
}

/** The phrase word for rack target `target` (`lead`, `drums`, …), for messages. */
export function nameOf(target: number): string {
  if (target === RackTarget.DrumStrip || target === RackTarget.Drums) return DRUMS_WORD;
  return INSTRUMENT_NAMES[target - RackTarget.FirstInstrument] ?? `target ${target}`;
}
