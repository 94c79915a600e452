/**
 * Time in phrases: lengths (`2 beats`, `a bar`, `1/8`, `dotted quarter`,
 * `500ms`), the tempo (`tempo 90`, `faster`, `double time`) and `wait`,
 * which moves the phrase's time cursor. Beats follow the draft's tempo.
 *
 * @module
 */

import { setParam } from "../engine/command.ts";
import { RackTarget } from "../dsp/rack.ts";
import { shown } from "./line_parser.ts";
import { tempoParam, tempoRange } from "./patch_model.ts";
import { NOTE_LENGTHS, TEMPO_STEP, TIME_UNITS, VOCABULARY } from "./phrase_vocabulary.ts";
import { type Ctx, emit, op, say } from "./phrase_context.ts";
import { fail, unknownClause, unknownWord } from "./phrase_errors.ts";
import { fmt, FRACTION, NUMBER_WORDS, quantity } from "./phrase_words.ts";

function setTempo(ctx: Ctx, bpm: number, clamp: boolean): void {
  const { min, max } = tempoRange();
  let value = bpm;
  if (!Number.isFinite(value) || value < min || value > max) {
    if (!clamp) fail(`tempo must be between ${min} and ${max} bpm, got ${fmt(bpm)}`);
    value = Math.min(max, Math.max(min, Number.isFinite(value) ? value : min));
  }
  const spec = tempoParam();
  op(ctx, { kind: "tempo", bpm: value });
  if (spec !== undefined) emit(ctx, [setParam(spec.id, value, RackTarget.Mixer)]);
  say(ctx, "", `tempo ${fmt(value)} bpm`);
}

/**
 * `tempo 90`, `tempo is 90 bpm`, `90 bpm`, `tempo up`: set the tempo from `words` (the words
 * after `tempo`, or the whole clause), failing outside the tempo range.
 */
export function tempo(ctx: Ctx, words: readonly string[]): void {
  const w = words.filter((x) => x !== "at" && x !== "is");
  const q = quantity(w[0] ?? "");
  const tail = w.slice(1);
  if (
    q === undefined || (q.unit !== undefined && q.unit !== "bpm") ||
    !(tail.length === 0 || (tail.length === 1 && tail[0] === "bpm"))
  ) {
    if (w.length === 0) fail(`tempo needs a value in bpm, e.g. tempo 120`);
    if (w.length === 1 && (w[0] === "up" || w[0] === "down")) {
      return tempoStep(ctx, w[0] === "up", []);
    }
    fail(
      `tempo needs a number of beats per minute, e.g. tempo 120 or 90 bpm, got "${
        shown(w.join(" "))
      }"`,
    );
  }
  setTempo(ctx, q.value, false);
}

/** `faster` / `slower`: one tempo step, scaled by the clause's amount and clamped to the range. */
export function tempoStep(ctx: Ctx, faster: boolean, rest: readonly string[]): void {
  if (rest.length > 0) unknownClause(rest);
  const factor = TEMPO_STEP ** ctx.amount;
  const now = ctx.draft.tempo;
  setTempo(ctx, faster ? now * factor : now / factor, true);
}

/** `double time` / `half time`, clamped to the tempo range (`normal time` fails, naming the fix). */
export function tempoScale(ctx: Ctx, word: string): void {
  if (word === "normal") fail(`normal time needs a tempo: say tempo 120`);
  setTempo(ctx, word === "double" ? ctx.draft.tempo * 2 : ctx.draft.tempo / 2, true);
}

/** `wait 2 beats`, `rest for 500ms`: move the time cursor, so the clauses after it sound later. */
export function wait(ctx: Ctx, words: readonly string[]): void {
  if (words.length === 0) fail(`wait how long? e.g. wait 2 beats, wait 500ms`);
  const w = words[0] === "for" ? words.slice(1) : words;
  const ms = readDuration(ctx, w, "wait");
  ctx.cursorMs += ms;
  say(ctx, "", `wait ${fmt(ms)} ms`);
}

/** `beats` in ms at the draft's tempo. */
export function beatsToMs(ctx: Ctx, beats: number): number {
  return (beats * 60000) / ctx.draft.tempo;
}

/**
 * True when `words` hold a length word: a note length, time unit, fraction, `500ms`-style
 * time or `triplet`.
 */
export function isDuration(words: readonly string[]): boolean {
  return words.some((w) =>
    NOTE_LENGTHS.has(w) || TIME_UNITS.has(w) || FRACTION.test(w) ||
    /^\d*\.?\d+(ms|s|sec|secs)$/.test(w) || w === "triplet" || w === "triplets"
  );
}

/** True when `words` give a clock time (ms or seconds) rather than beats. */
export function isClockTime(words: readonly string[]): boolean {
  return words.some((w) =>
    TIME_UNITS.has(w) || /(ms|s|sec|secs)$/.test(w) && quantity(w) !== undefined
  );
}

const MAX_DURATION_MS = 600_000;

/**
 * A length in ms: "2 beats", "a bar", "1/8", "1/16 triplet", "an eighth
 * note", "dotted quarter", "500ms", "2 seconds". Beats follow the draft tempo.
 */
export function readDuration(ctx: Ctx, words: readonly string[], what: string): number {
  let count: number | undefined;
  let beats: number | undefined;
  let ms: number | undefined;
  let scale = 1;
  for (const w of words) {
    if (w === "triplet" || w === "triplets") {
      scale *= 2 / 3;
      continue;
    }
    if (w === "dotted") {
      scale *= 1.5;
      continue;
    }
    if ((w === "note" || w === "notes") && beats !== undefined) continue;
    const fraction = FRACTION.exec(w);
    if (fraction !== null && beats === undefined && ms === undefined) {
      const den = Number(fraction[2]);
      if (den === 0) fail(`${what}: ${w} divides by zero`);
      beats = (4 * Number(fraction[1])) / den;
      continue;
    }
    const length = NOTE_LENGTHS.get(w);
    if (length !== undefined && beats === undefined && ms === undefined) {
      beats = length;
      continue;
    }
    const unitMs = TIME_UNITS.get(w);
    if (unitMs !== undefined && ms === undefined && beats === undefined && count !== undefined) {
      ms = count * unitMs;
      count = undefined;
      continue;
    }
    const n = NUMBER_WORDS.get(w);
    if (n !== undefined && count === undefined) {
      count = n;
      continue;
    }
    const q = quantity(w);
    if (q !== undefined && count === undefined && beats === undefined && ms === undefined) {
      if (q.unit === undefined) {
        count = q.value;
        continue;
      }
      const u = TIME_UNITS.get(q.unit);
      if (u !== undefined) {
        ms = q.value * u;
        continue;
      }
    }
    if (VOCABULARY.has(w)) {
      fail(
        `${what} needs a length like 2 beats, 1 bar, 1/8, 500ms, got "${shown(words.join(" "))}"`,
      );
    }
    return unknownWord(w, [...NOTE_LENGTHS.keys(), ...TIME_UNITS.keys()]);
  }
  let total: number;
  if (ms !== undefined) total = ms * scale;
  else if (beats !== undefined) total = beatsToMs(ctx, (count ?? 1) * beats * scale);
  else {fail(
      `${what} needs a unit: beats, bars, 1/8, ms or seconds, got "${shown(words.join(" "))}"`,
    );}
  if (!(total > 0 && total <= MAX_DURATION_MS)) {
    fail(`${what} must be longer than 0 and at most 10 minutes, got ${fmt(total)} ms`);
  }
  return total;
}
