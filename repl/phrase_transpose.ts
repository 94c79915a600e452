/**
 * Transposition clauses: `transpose up a fifth`, `up 3 semitones`, `down a
 * minor third`, `octave down 2`, `transpose -12`, `transpose reset`. The
 * instrument's transpose applies to every note it plays after.
 *
 * @module
 */

import { shown } from "./line_parser.ts";
import { INTERVAL_WORDS } from "./phrase_vocabulary.ts";
import { type Ctx, instrumentOnly, op, say } from "./phrase_context.ts";
import { fail, unknownClause, unknownWord } from "./phrase_errors.ts";
import { nameOf, NUMBER_WORDS, quantity } from "./phrase_words.ts";

/**
 * A transpose clause `t` (from its first word: `octave`, `transpose`, `up` or `down`) for the
 * phrase's instrument: relative with up/down, else absolute; within ±48 semitones.
 */
export function transpose(ctx: Ctx, t: readonly string[]): void {
  const target = instrumentOnly(ctx, "transpose");
  let words = [...t];
  let absolute = false;
  let sign = 0;
  if (words[0] === "octave") {
    // "octave up", "octave down 2"
    const dir = words[1];
    if (dir !== "up" && dir !== "down") fail(`octave needs up or down, e.g. octave up`);
    const count = words[2] === undefined ? 1 : countOf(words[2]);
    if (words.length > 3) unknownClause(words.slice(3));
    return shiftBy(ctx, target, (dir === "up" ? 12 : -12) * count, false);
  }
  if (words[0] === "transpose") words = words.slice(1);
  if (words[0] === "up" || words[0] === "down") {
    sign = words[0] === "up" ? 1 : -1;
    words = words.slice(1);
  } else absolute = true;
  if (words.length === 1 && (words[0] === "reset" || words[0] === "off")) {
    return shiftBy(ctx, target, 0, true);
  }
  if (words.length === 0) {
    fail(`transpose needs an interval, e.g. transpose up a fifth, transpose -12`);
  }
  const semis = readInterval(words);
  if (absolute) return shiftBy(ctx, target, semis, true);
  shiftBy(ctx, target, sign * semis, false);
}

function countOf(word: string): number {
  const n = NUMBER_WORDS.get(word) ?? quantity(word)?.value;
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 10) {
    fail(`expected a count 1..10, got ${shown(word)}`);
  }
  return n;
}

/** Semitones of "a fifth", "2 octaves", "3 semitones", "7", "-12", "minor third". */
function readInterval(words: readonly string[]): number {
  const w = words.filter((x) => x !== "a" && x !== "an" && x !== "by");
  let count = 1;
  let i = 0;
  const number = quantity(w[0] ?? "");
  if (number !== undefined && number.unit === undefined) {
    count = number.value;
    i = 1;
    if (w.length === 1) {
      if (!Number.isInteger(count) || Math.abs(count) > 48) {
        fail(`transpose must be whole semitones within ±48, got ${shown(w[0] ?? "")}`);
      }
      return count;
    }
  } else if (number?.unit === "st") {
    return number.value;
  } else if (NUMBER_WORDS.has(w[0] ?? "")) {
    count = NUMBER_WORDS.get(w[0] ?? "") ?? 1;
    i = 1;
  }
  let quality = 0;
  if (w[i] === "minor" || w[i] === "major" || w[i] === "perfect") {
    quality = w[i] === "minor" ? -1 : 0;
    i++;
  }
  const unitWord = w[i] ?? "";
  const size = INTERVAL_WORDS.get(unitWord);
  if (size === undefined) {
    return unknownWord(unitWord || (w.join(" ") || "nothing"), [...INTERVAL_WORDS.keys()]);
  }
  if (i + 1 < w.length) unknownClause(w.slice(i + 1));
  const semis = count * size + quality;
  if (!Number.isInteger(semis) || Math.abs(semis) > 48) {
    fail(`transpose must be whole semitones within ±48`);
  }
  return semis;
}

function shiftBy(ctx: Ctx, target: number, semis: number, absolute: boolean): void {
  const now = absolute ? semis : ctx.draft.transpose(target) + semis;
  if (Math.abs(now) > 48) {
    fail(`transpose must stay within ±48 semitones (4 octaves), would be ${now}`);
  }
  op(ctx, { kind: "transpose", target, semitones: now });
  say(ctx, nameOf(target), `transpose ${now > 0 ? "+" : ""}${now} semitones`);
}
