/**
 * Phrase failures: the error a clause throws to refuse the whole phrase, and
 * messages that name the unknown word with the nearest known words.
 *
 * @module
 */

import { shown } from "./line_parser.ts";
import {
  chordSymbol,
  editDistance,
  nearestWords,
  readPitch,
  VOCABULARY,
} from "./phrase_vocabulary.ts";
import { channelTarget, FRACTION, quantity } from "./phrase_words.ts";

/** A failure inside a clause; caught at the top and turned into an `invalid` result. */
export class PhraseError extends Error {}

/** Refuse the phrase with `message` (throws a {@linkcode PhraseError}). */
export function fail(message: string): never {
  throw new PhraseError(message);
}

function isKnownToken(word: string): boolean {
  return VOCABULARY.has(word) || quantity(word) !== undefined || FRACTION.test(word) ||
    readPitch(word) !== undefined || chordSymbol(word) !== undefined ||
    channelTarget(word.replace(/:$/, "")) !== undefined;
}

/** Words quoted and joined for hints: `"a"`, `"a" or "b"`, `"a", "b" or "c"`. */
export function quoteList(words: readonly string[]): string {
  const q = words.map((w) => `"${w}"`);
  if (q.length <= 1) return q.join("");
  return `${q.slice(0, -1).join(", ")} or ${q.at(-1)}`;
}

/**
 * Up to 3 words near `word` for a hint: the vocabulary's nearest that are among `choices`,
 * else the nearest of `choices` themselves, else the vocabulary's nearest (always those when
 * `choices` is empty).
 */
export function nearestOf(word: string, choices: readonly string[]): string[] {
  const near = nearestWords(word, 3);
  if (choices.length === 0) return near;
  const set = new Set(choices);
  const preferred = near.filter((w) => set.has(w));
  if (preferred.length > 0) return preferred;
  // Nearest among the choices themselves.
  const scored = choices.map((c) => [c, editDistance(word, c)] as const).filter(([, d]) =>
    d <= Math.max(2, Math.floor(word.length / 3))
  );
  scored.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  const best = scored[0]?.[1];
  return scored.length > 0
    ? scored.filter(([, d]) => d === best).slice(0, 3).map(([c]) => c)
    : near;
}

/** ` — did you mean …?` naming the words of `choices` nearest to `word`, or `""` when none is near. */
export function suggestFrom(word: string, choices: readonly string[]): string {
  const near = nearestOf(word, choices);
  return near.length > 0 ? ` — did you mean ${quoteList(near)}?` : "";
}

/** Fail naming `word` as unknown, with the nearest known words (preferring `choices`). */
export function unknownWord(word: string, choices: readonly string[]): never {
  const near = nearestOf(word, choices);
  const hint = near.length > 0 ? `did you mean ${quoteList(near)}?` : "try help for the words";
  return fail(`unknown word "${shown(word)}" — ${hint}`);
}

/** Fail on a clause no rule reads: name its first unknown word, or say what was expected. */
export function unknownClause(t: readonly string[]): never {
  const bad = t.find((w) => !isKnownToken(w));
  if (bad !== undefined) return unknownWord(bad, []);
  return fail(
    `can't make sense of "${
      shown(t.join(" "))
    }" — try e.g. play C4, cutoff 800, brighter, add reverb, tempo 120 (help lists more)`,
  );
}
