/**
 * Parameter values in phrases: reading a value from words (units, `%`,
 * choices, on/off, pan words, lengths) against a parameter's range, and
 * naming parameters and values in messages.
 *
 * @module
 */

import { shown } from "./line_parser.ts";
import type { ParamRange } from "./patch_model.ts";
import {
  FILTER_MODE_WORDS,
  PAN_WORDS,
  PARAM_ALIASES,
  TIME_UNITS,
  VOCABULARY,
  VOICE_MODE_WORDS,
  WAVE_WORDS,
} from "./phrase_vocabulary.ts";
import type { Ctx } from "./phrase_context.ts";
import { fail, unknownClause, unknownWord } from "./phrase_errors.ts";
import { isDuration, readDuration } from "./phrase_time.ts";
import { fmt, quantity } from "./phrase_words.ts";

/**
 * The words of a choice parameter (`osc/wave`, `filter/mode`, `mode`) with
 * their values, or undefined for a numeric parameter.
 */
export function choiceWords(name: string): ReadonlyMap<string, number> | undefined {
  return name === "osc/wave"
    ? WAVE_WORDS
    : name === "filter/mode"
    ? FILTER_MODE_WORDS
    : name === "mode"
    ? VOICE_MODE_WORDS
    : undefined;
}

/** `value` rounded when the parameter takes whole numbers, then clamped into its range. */
export function clampTo(range: ParamRange, value: number): number {
  const v = range.integer === true ? Math.round(value) : value;
  return Math.min(range.max, Math.max(range.min, v));
}

/**
 * The name of parameter `name` in messages: its one-word alias (`cutoff`), else the
 * spec name with spaces.
 */
export function displayName(name: string): string {
  const alias = PARAM_ALIASES.find(([words, spec]) => spec === name && words.length === 1);
  return alias !== undefined && name !== "gain" ? (alias[0][0] ?? name) : name.replace(/\//g, " ");
}

/** A parameter value in messages: its choice word (`saw`), else the number and unit. */
export function valueText(name: string, range: ParamRange, value: number): string {
  const words = choiceWords(name);
  if (words !== undefined) {
    for (const [word, id] of words) if (id === value) return word;
  }
  return `${fmt(value)}${range.unit === "" ? "" : ` ${range.unit}`}`;
}

/** A mixer value in messages: `on`/`off` for a toggle, else the number and unit. */
export function mixerValueText(range: ParamRange, value: number): string {
  if (range.toggle === true) return value >= 0.5 ? "on" : "off";
  return `${fmt(value)}${range.unit === "" ? "" : ` ${range.unit}`}`;
}

/** Read a value for a parameter, with its units, and check it against the range. */
export function readValue(
  ctx: Ctx,
  name: string,
  range: ParamRange,
  words: readonly string[],
): number {
  const label = displayName(name);
  const allowed = `${fmt(range.min)}..${fmt(range.max)}${
    range.unit === "" ? "" : ` ${range.unit}`
  }`;
  if (words.length === 0) fail(`${label} needs a value: ${allowed}`);
  const [w0 = "", w1] = words;
  // Choices.
  const choices = choiceWords(name);
  if (choices !== undefined && quantity(w0) === undefined) {
    if (words.length > 1) unknownClause(words.slice(1));
    return choices.get(w0) ?? unknownWord(w0, [...choices.keys()]);
  }
  if (range.toggle === true) {
    if (words.length === 1 && (w0 === "on" || w0 === "1")) return 1;
    if (words.length === 1 && (w0 === "off" || w0 === "0")) return 0;
    return fail(`${label} needs on or off, got ${shown(words.join(" "))}`);
  }
  if (words.length === 1 && (w0 === "off" || w0 === "none" || w0 === "zero") && range.min <= 0) {
    return 0;
  }
  if (name === "pan") {
    const pan = PAN_WORDS.get(words.at(-1) ?? "");
    if (pan !== undefined && (words.length === 1 || (words.length === 2 && w0 === "hard"))) {
      return pan;
    }
  }
  if (range.unit === "ms" && isDuration(words) && !isPlainNumber(words)) {
    const ms = readDuration(ctx, words, label);
    return inRange(label, range, ms, allowed);
  }
  const q = quantity(w0);
  if (q === undefined) {
    if (VOCABULARY.has(w0)) {
      fail(`${label} needs a value: ${allowed}, got ${shown(words.join(" "))}`);
    }
    return unknownWord(w0, []);
  }
  let unit: string | undefined = q.unit;
  if (w1 !== undefined) {
    const next = w1 === "percent" ? "%" : w1 === "cent" ? "cents" : w1 === "semitones" ? "st" : w1;
    if (unit !== undefined || words.length > 2) unknownClause(words.slice(1));
    unit = next;
  }
  let value = q.value;
  switch (unit) {
    case undefined:
      break;
    case "%":
      if (range.unit !== "") fail(`${label} takes ${range.unit}, not %`);
      value = (q.value / 100) * (name === "gain" ? 1 : range.max - range.min) +
        (name === "gain" ? 0 : range.min);
      break;
    case "k":
    case "khz":
      if (range.unit !== "Hz") fail(`${label} is not a frequency`);
      value = q.value * 1000;
      break;
    case "hz":
      if (range.unit !== "Hz") fail(`${label} is not a frequency`);
      break;
    case "ms":
    case "msec":
      if (range.unit !== "ms") fail(`${label} is not a time`);
      break;
    case "s":
    case "sec":
    case "secs":
      if (range.unit !== "ms") fail(`${label} is not a time`);
      value = q.value * 1000;
      break;
    case "cents":
      if (range.unit !== "cents") fail(`${label} is not in cents`);
      break;
    default: {
      const ms = TIME_UNITS.get(unit);
      if (ms !== undefined && range.unit === "ms") {
        value = q.value * ms;
        break;
      }
      if (unit === "st" || unit === "db" || unit === "x" || unit === "bpm") {
        fail(`${label} does not take ${unit}`);
      }
      return unknownWord(w1 ?? unit, [...TIME_UNITS.keys(), "hz", "khz", "%", "cents"]);
    }
  }
  if (range.integer === true && !Number.isInteger(value)) {
    fail(`${label} needs a whole number, got ${fmt(value)}`);
  }
  return inRange(label, range, value, allowed);
}

function inRange(label: string, range: ParamRange, value: number, allowed: string): number {
  if (!Number.isFinite(value) || value < range.min || value > range.max) {
    fail(`${label} must be within ${allowed}, got ${fmt(value)}`);
  }
  return value;
}

function isPlainNumber(words: readonly string[]): boolean {
  return words.length === 1 && quantity(words[0] ?? "")?.unit === undefined;
}
