/**
 * Drum clauses: drum names (`kick`, `closed hat`, `low tom`, `bass drum`),
 * hits with dynamics (`snare ff`), and drum parameters (`snare decay 200ms`).
 *
 * @module
 */

import { noteOn, setParam } from "../engine/command.ts";
import { DRUM_SPECS } from "../dsp/drums.ts";
import { RackTarget } from "../dsp/rack.ts";
import { DEFAULT_VELOCITY } from "./instrument_parser.ts";
import { DRUM_PARAM_WORDS, paramRange } from "./patch_model.ts";
import { DRUM_WORDS, DYNAMICS } from "./phrase_vocabulary.ts";
import { type Ctx, emit, say } from "./phrase_context.ts";
import { fail, unknownWord } from "./phrase_errors.ts";
import { readValue } from "./phrase_values.ts";
import { DRUMS_WORD, fmt } from "./phrase_words.ts";

/**
 * The drum named by the first one or two words of `t` (its index in {@linkcode DRUM_SPECS})
 * and how many words name it, or undefined.
 */
export function drumOf(t: readonly string[]): { id: number; words: number } | undefined {
  const [a = "", b] = t;
  if ((a === "closed" || a === "open") && (b === "hat" || b === "hihat" || b === "hi-hat")) {
    return { id: a === "closed" ? 2 : 3, words: 2 };
  }
  if ((a === "low" || a === "mid" || a === "high") && b === "tom") {
    return { id: a === "low" ? 5 : a === "mid" ? 6 : 7, words: 2 };
  }
  if (a === "bass" && b === "drum") return { id: 0, words: 2 };
  if (a === "closed" || a === "open") return undefined;
  const id = DRUM_WORDS.get(a);
  return id === undefined ? undefined : { id, words: 1 };
}

/**
 * Hit drum `id` now at velocity `vel` (default {@linkcode DEFAULT_VELOCITY}); a length
 * `durationMs` moves the time cursor.
 */
export function hitDrum(
  ctx: Ctx,
  id: number,
  vel: number | undefined,
  durationMs: number | undefined,
): void {
  const spec = DRUM_SPECS[id] ?? fail(`no drum ${id}`);
  emit(ctx, [noteOn(RackTarget.Drums, spec.note, vel ?? DEFAULT_VELOCITY)]);
  if (durationMs !== undefined) ctx.cursorMs += durationMs;
  say(ctx, DRUMS_WORD, `${spec.name}${vel === undefined ? "" : ` velocity ${fmt(vel)}`}`);
}

/** A clause led by a drum name: a hit, a hit with a dynamic, or `<drum> <param> <value>`. */
export function drumClause(ctx: Ctx, id: number, rest: readonly string[]): void {
  if (rest.length === 0) return hitDrum(ctx, id, undefined, undefined);
  const mark = rest.length === 1 ? DYNAMICS.get(rest[0] ?? "") : undefined;
  if (mark !== undefined) return hitDrum(ctx, id, mark, undefined);
  const spec = DRUM_SPECS[id] ?? fail(`no drum ${id}`);
  const param = DRUM_PARAM_WORDS.indexOf(rest[0] ?? "");
  if (param < 0) return unknownWord(rest[0] ?? "", [...DRUM_PARAM_WORDS]);
  const paramId = id * DRUM_PARAM_WORDS.length + param;
  const range = paramRange(RackTarget.Drums, paramId) ?? fail(`no drum param ${paramId}`);
  const words = rest.slice(1);
  const value = readValue(ctx, `${spec.name}/${rest[0]}`, range, words);
  emit(ctx, [setParam(paramId, value, RackTarget.Drums)]);
  say(
    ctx,
    DRUMS_WORD,
    `${spec.name} ${rest[0]} ${fmt(value)}${range.unit === "" ? "" : ` ${range.unit}`}`,
  );
}
