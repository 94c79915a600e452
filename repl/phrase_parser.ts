/**
 * The phrase language: short musical sentences such as `play a C minor
 * chord`, `lead: saw, cutoff 1200`, `a bit brighter`, `tempo 90` or `add
 * reverb`, turned into engine commands. Deterministic and offline: a small
 * grammar over the words of {@linkcode VOCABULARY}.
 *
 * A phrase is one line of comma-, semicolon-, `and`- or `then`-separated
 * clauses, optionally led by an instrument (`bass: …`, `on bass …`). Each
 * clause is read against a private copy of the {@linkcode PatchModel}, so
 * relative words build on the clauses before them ("brighter, brighter").
 * A phrase yields all its commands or, when any clause is wrong, none.
 *
 * The parser reads the model and never changes it: the session commits the
 * action ({@linkcode PatchModel.commit}) after the engine accepted its
 * commands. Timed phrases (`play C4 for 2 beats`, `wait 1 beat`, scales)
 * carry a `later` list of commands to send after a delay, computed from the
 * tempo; see {@linkcode timedCommands}.
 *
 * This module reads the line and its clauses and hands each clause to the
 * module that knows its words: `phrase_music.ts` (notes, chords, scales),
 * `phrase_play.ts` (play, release, stop, velocity), `phrase_transpose.ts`,
 * `phrase_drums.ts`, `phrase_channels.ts` (focus, mute, solo),
 * `phrase_settings.ts` and `phrase_values.ts` (`<setting> <value>`),
 * `phrase_adjust.ts` (brighter, louder, more reverb, …), `phrase_time.ts`
 * (lengths, tempo, wait) and `phrase_queries.ts` (whole-line queries). They
 * share `phrase_context.ts` (the phrase being built), `phrase_words.ts`
 * (numbers, units, channel names) and `phrase_errors.ts` (failures and
 * "did you mean" hints).
 *
 * @module
 */

import type { CommandSpec } from "../engine/command.ts";
import { INSTRUMENT_NAMES } from "./instrument_parser.ts";
import {
  checkLine,
  errorText,
  invalid,
  type LineAction,
  type LineParser,
  parsed,
  type ParseResult,
  shown,
  unknown,
} from "./line_parser.ts";
import {
  DEFAULT_SOURCE,
  type LaterCommands,
  type PatchModel,
  type PhraseAction,
} from "./patch_model.ts";
import {
  AMOUNT_WORDS,
  DYNAMICS,
  FILLER_WORDS,
  FILTER_MODE_WORDS,
  PRESETS,
  VOICE_MODE_WORDS,
  WAVE_WORDS,
} from "./phrase_vocabulary.ts";
import {
  addEffect,
  brightness,
  dry,
  effectOff,
  isTimeParam,
  longer,
  loudness,
  master,
  moreOrLess,
  preset,
  roomSize,
  staccato,
} from "./phrase_adjust.ts";
import { focus, mute, switchTo } from "./phrase_channels.ts";
import { type Ctx, newCtx } from "./phrase_context.ts";
import { drumClause, drumOf } from "./phrase_drums.ts";
import { fail, PhraseError, unknownClause, unknownWord } from "./phrase_errors.ts";
import { startsMusic } from "./phrase_music.ts";
import { dynamic, play, release, sine, stop, velocity } from "./phrase_play.ts";
import { patternLine } from "./phrase_pattern.ts";
import { patchLine } from "./phrase_patch.ts";
import { PatchStore } from "./patch_store.ts";
import { wholeLine } from "./phrase_queries.ts";
import { isWaveTail, mixerSetting, setChoice, settingPhrase } from "./phrase_settings.ts";
import { tempo, tempoScale, tempoStep, wait } from "./phrase_time.ts";
import { transpose } from "./phrase_transpose.ts";
import { channelTarget, DRUMS_WORD, isQuantityStart, nameOf } from "./phrase_words.ts";

export { DEFAULT_OCTAVES } from "./phrase_music.ts";
export { SCALE_STEP_BEATS } from "./phrase_play.ts";

/** Options of {@linkcode createPhraseParser}. */
export interface PhraseParserOptions {
  /** Whose undo history `undo` uses (the session's source name); default {@linkcode DEFAULT_SOURCE}. */
  readonly source?: string;
  /** The patch library `save/load patch` use; default the one in `defaultDataDir()` (patch_store.ts). */
  readonly patches?: PatchStore;
}

const PLAY_VERBS = new Set(["play", "hit", "strike", "trigger", "hold", "note", "notes"]);
const STOP_WORDS = new Set(["stop", "silence", "panic", "hush"]);
const FOCUS_VERBS = new Set(["use", "focus", "select", "switch"]);
const WAIT_WORDS = new Set(["wait", "rest", "pause"]);

/**
 * A phrase parser reading `model` (never changing it). Lines starting with
 * `/` are left to the address parsers (`"unknown"`); a phrase with an
 * unknown word or a bad value answers `"invalid"` naming the word and the
 * nearest known words. Never throws.
 *
 * @example
 * ```ts
 * import { PatchModel } from "./patch_model.ts";
 * import { createPhraseParser } from "./phrase_parser.ts";
 * const parse = createPhraseParser(new PatchModel());
 * const result = parse("lead: saw, cutoff 1200");
 * if (result.ok && result.action.kind === "commands") console.log(result.action.message);
 * // lead: saw wave, cutoff 1200 Hz
 * ```
 */
export function createPhraseParser(
  model: PatchModel,
  options: PhraseParserOptions = {},
): LineParser {
  const source = options.source ?? DEFAULT_SOURCE;
  let patches = options.patches;
  return (line: string): ParseResult => {
    try {
      if (
        /^\s*(?:[a-z][\w-]*\s*:\s*)?(?:save|load|delete|remove|list|show)\s+(?:patch|session)/i
          .test(line)
      ) {
        patches ??= new PatchStore();
        const result = patchLine(model, patches, line);
        if (result !== undefined) return result;
      }
      return parsePhrase(model, source, line);
    } catch (error) {
      if (error instanceof PhraseError) return invalid(error.message);
      return invalid(`could not read the phrase: ${errorText(error)}`);
    }
  };
}

/** True when `action` is the phrase parser's `undo` (the session commits it like any other). */
export function isUndoAction(action: LineAction): boolean {
  return action.kind === "commands" &&
    (action as Partial<PhraseAction>).ops?.some((op) => op.kind === "undo") === true;
}

/** One batch of commands of a parsed line, at its offset from the line's start. */
export interface TimedBatch {
  /** Milliseconds after the line was sent (0 for the commands to send at once). */
  readonly atMs: number;
  /** The commands. */
  readonly specs: readonly CommandSpec[];
}

/**
 * Every command of a parse result as timed batches: the action's own
 * commands at 0 ms (when there are any), then its `later` list. An empty
 * list for a failed parse or an action without commands.
 *
 * @example
 * ```ts
 * import { PatchModel } from "./patch_model.ts";
 * import { createPhraseParser, timedCommands } from "./phrase_parser.ts";
 * const parse = createPhraseParser(new PatchModel());
 * for (const batch of timedCommands(parse("play C4 for 1 beat"))) {
 *   console.log(batch.atMs, batch.specs.length); // 0 1, then 500 1 (at 120 bpm)
 * }
 * ```
 */
export function timedCommands(result: ParseResult): TimedBatch[] {
  if (!result.ok || result.action.kind !== "commands") return [];
  const out: TimedBatch[] = [];
  if (result.action.specs.length > 0) out.push({ atMs: 0, specs: result.action.specs });
  const later = (result.action as Partial<PhraseAction>).later ?? [];
  for (const batch of later) out.push({ atMs: batch.afterMs, specs: batch.specs });
  return out;
}

function parsePhrase(model: PatchModel, source: string, line: string): ParseResult {
  const bad = checkLine(line);
  if (bad !== undefined) return invalid(bad);
  const trimmed = line.trim();
  if (trimmed.startsWith("/")) {
    return unknown(`not a phrase: ${shown(trimmed.split(/\s+/)[0] ?? "")}`);
  }
  // Loops first: their brackets, commas and parentheses are notation.
  const loop = patternLine(model, trimmed);
  if (loop !== undefined) return loop;
  const text = normalise(trimmed);
  if (text === "") return parsed({ kind: "empty" });
  const clauses = text.split(/\s*[,;]\s*|\s+(?:and\s+then|then|and)\s+/).map((c) => c.trim())
    .filter((c) => c !== "");
  if (clauses.length === 0) return parsed({ kind: "empty" });
  const words = clauses.map((c) => c.split(/\s+/));
  if (words.length === 1) {
    const whole = wholeLine(model, source, words[0] ?? []);
    if (whole !== undefined) return whole;
  }
  const ctx = newCtx(model, model.focus);
  for (const clause of words) readClause(ctx, clause);
  const later: LaterCommands[] = [...ctx.later].sort((a, b) => a[0] - b[0]).map((
    [afterMs, specs],
  ) => ({ afterMs, specs }));
  const action: PhraseAction = {
    kind: "commands",
    specs: ctx.now,
    message: joinMessages(ctx.messages),
    ops: ctx.ops,
    later,
    spanMs: ctx.cursorMs,
  };
  return parsed(action);
}

function normalise(text: string): string {
  return text
    .replace(/\s#.*$|^#.*$/, "")
    .toLowerCase()
    .replace(/♯/g, "#")
    .replace(/♭/g, "b")
    .replace(/[’‘]/g, "'")
    .replace(/:/g, ": ")
    .replace(/[.!?]+(\s|$)/g, "$1")
    .replace(/[()"]/g, " ")
    .trim();
}

function joinMessages(messages: Ctx["messages"]): string {
  const groups: { label: string; texts: string[] }[] = [];
  for (const { label, text } of messages) {
    const last = groups.at(-1);
    if (last !== undefined && last.label === label) last.texts.push(text);
    else groups.push({ label, texts: [text] });
  }
  return groups.map((g) => (g.label === "" ? "" : `${g.label}: `) + g.texts.join(", ")).join("; ");
}

function readClause(ctx: Ctx, raw: readonly string[]): void {
  let tokens = [...raw];
  // A leading "lead:" or "on lead:" picks the instrument for the rest of the phrase.
  if (tokens[0] === "on" && tokens[1]?.endsWith(":") === true) tokens = tokens.slice(1);
  const head = tokens[0] ?? "";
  if (head.endsWith(":")) {
    const name = head.slice(0, -1);
    ctx.target = channelTarget(name) ?? unknownWord(name, [...INSTRUMENT_NAMES, DRUMS_WORD]);
    tokens = tokens.slice(1);
    if (tokens.length === 0) {
      ctx.messages.push({ label: nameOf(ctx.target), text: "selected for this phrase" });
      return;
    }
  }
  // "on bass" anywhere in a clause picks the instrument from here on.
  for (let i = 0; i + 1 < tokens.length; i++) {
    const target = tokens[i] === "on" ? channelTarget(tokens[i + 1] ?? "") : undefined;
    if (target !== undefined) {
      ctx.target = target;
      tokens.splice(i, 2);
      break;
    }
  }
  const amount = readAmount(tokens);
  ctx.amount = amount.factor;
  tokens = amount.tokens.filter((t) => !FILLER_WORDS.has(t));
  if (tokens.length === 0) fail(`"${shown(raw.join(" "))}" says nothing to do — try help`);
  readWords(ctx, tokens);
}

function readAmount(tokens: readonly string[]): { factor: number; tokens: string[] } {
  const out: string[] = [];
  let factor = 1;
  let i = 0;
  outer: while (i < tokens.length) {
    for (const [words, value] of AMOUNT_WORDS) {
      if (words.every((w, k) => tokens[i + k] === w)) {
        // "a bit" before a note or number is not an amount ("play a bit" is nonsense anyway).
        factor *= value;
        i += words.length;
        continue outer;
      }
    }
    out.push(tokens[i] ?? "");
    i++;
  }
  return { factor, tokens: out };
}

/** Read one clause (fillers and amounts already removed). */
function readWords(ctx: Ctx, t: string[]): void {
  const [w0 = "", w1, w2] = t;
  const rest = t.slice(1);
  if (PLAY_VERBS.has(w0)) return play(ctx, rest, w0);
  if (w0 === "release" && rest.length > 0 && !isQuantityStart(rest)) return release(ctx, rest);
  if (STOP_WORDS.has(w0)) return stop(ctx, rest);
  if (w0 === "all" && w1 === "notes" && w2 === "off" && t.length === 3) return stop(ctx, []);
  if (w0 === "sine" && w1 !== undefined && w1 !== "wave" && w1 !== "waveform") {
    return sine(ctx, rest);
  }
  if (FOCUS_VERBS.has(w0) && w1 !== undefined) return switchTo(ctx, rest);
  if (w0 === "mute" || w0 === "unmute" || w0 === "solo" || w0 === "unsolo") {
    return mute(ctx, w0, rest);
  }
  if (w0 === "no" && w1 === "solo" && t.length === 2) return mute(ctx, "unsolo", []);
  if (
    w0 === "octave" || w0 === "transpose" || ((w0 === "up" || w0 === "down") && w1 !== undefined)
  ) {
    return transpose(ctx, t);
  }
  if ((w0 === "no" || w0 === "reset") && w1 === "transpose" && t.length === 2) {
    return transpose(ctx, ["transpose", "0"]);
  }
  if (w0 === "brighter" || w0 === "darker" || w0 === "duller") return brightness(ctx, w0, rest);
  if (w0 === "louder" || w0 === "quieter" || w0 === "softer") return loudness(ctx, w0, rest);
  if (w0 === "turn" && (w1 === "up" || w1 === "down") && t.length === 2) {
    return loudness(ctx, w1 === "up" ? "louder" : "quieter", []);
  }
  if (w0 === "master") return master(ctx, rest);
  if (w0 === "mix" || w0 === "mixer") return mixerSetting(ctx, rest, true);
  if (w0 === "more" || w0 === "less" || w0 === "fewer") return moreOrLess(ctx, w0 !== "more", rest);
  if (w0 === "longer" || w0 === "shorter") return longer(ctx, w0 === "longer", rest);
  if ((w0 === "slower" || w0 === "faster") && w1 !== undefined && isTimeParam(w1)) {
    return longer(ctx, w0 === "slower", rest);
  }
  if (w0 === "bigger" || w0 === "smaller" || w0 === "wider") {
    return roomSize(ctx, w0 !== "smaller", rest);
  }
  if (w0 === "add") return addEffect(ctx, rest);
  if ((w0 === "no" || w0 === "remove") && w1 !== undefined) return effectOff(ctx, rest);
  if (w0 === "dry" && t.length === 1) return dry(ctx);
  if (w0 === "staccato" && t.length === 1) return staccato(ctx);
  if (PRESETS.has(w0) && t.length === 1) return preset(ctx, w0);
  if (w0 === "tempo" || w0 === "bpm") return tempo(ctx, rest);
  if (w1 === "bpm" || /^\d+(?:\.\d+)?bpm$/.test(w0)) return tempo(ctx, t);
  if (w0 === "faster" || w0 === "slower") return tempoStep(ctx, w0 === "faster", rest);
  if ((w0 === "double" || w0 === "half" || w0 === "normal") && w1 === "time" && t.length === 2) {
    return tempoScale(ctx, w0);
  }
  if (WAIT_WORDS.has(w0)) return wait(ctx, rest);
  if (w0 === "velocity" && rest.length > 0) return velocity(ctx, rest);
  if (DYNAMICS.has(w0) && t.length === 1) return dynamic(ctx, w0);
  if (WAVE_WORDS.has(w0) && isWaveTail(rest)) return setChoice(ctx, "osc/wave", w0);
  if (FILTER_MODE_WORDS.has(w0) && (t.length === 1 || (t.length === 2 && w1 === "filter"))) {
    return setChoice(ctx, "filter/mode", w0);
  }
  if (VOICE_MODE_WORDS.has(w0) && t.length === 1) return setChoice(ctx, "mode", w0);
  if (w0 === "filter" && w1 !== undefined && FILTER_MODE_WORDS.has(w1) && t.length === 2) {
    return setChoice(ctx, "filter/mode", w1);
  }
  if (channelTarget(w0) !== undefined && t.length === 1) return focus(ctx, w0);
  const drum = drumOf(t);
  if (drum !== undefined) return drumClause(ctx, drum.id, t.slice(drum.words));
  if (settingPhrase(ctx, t)) return;
  if (startsMusic(t)) return play(ctx, t, "");
  return unknownClause(t);
}
