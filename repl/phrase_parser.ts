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
 * @module
 */

import { allNotesOff, type CommandSpec, noteOff, noteOn, setParam } from "../engine/command.ts";
import { InstrumentParam } from "../dsp/instrument.ts";
import { DRUM_SPECS } from "../dsp/drums.ts";
import { MIXER_PARAM_SPECS, StripParam } from "../dsp/mixer.ts";
import { SynthParam } from "../dsp/params.ts";
import { RACK_ALL_TARGETS, RackTarget } from "../dsp/rack.ts";
import { DEFAULT_VELOCITY, INSTRUMENT_NAMES } from "./instrument_parser.ts";
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
  DRUM_PARAM_WORDS,
  type LaterCommands,
  midiName,
  type ParamRange,
  paramRange,
  type PatchModel,
  type PatchOp,
  type PhraseAction,
  tempoParam,
  tempoRange,
} from "./patch_model.ts";
import {
  AMOUNT_WORDS,
  BRIGHTNESS_STEP,
  CHORD_QUALITIES,
  CHORD_WORDS,
  chordShape,
  chordSymbol,
  DRUM_WORDS,
  DYNAMICS,
  editDistance,
  FILLER_WORDS,
  FILTER_MODE_WORDS,
  HELP_TOPICS,
  INTERVAL_WORDS,
  LINEAR_STEP_FRACTION,
  LOUDNESS_STEP_DB,
  midiOf,
  MIXER_ALIASES,
  nearestNote,
  nearestWords,
  NOTE_LENGTHS,
  ORDINALS,
  PAN_WORDS,
  PARAM_ALIASES,
  PRESETS,
  readPitch,
  SCALE_NAMES,
  SCALE_WORDS,
  scaleIntervals,
  SEND_STEP,
  STACCATO_RELEASE_MS,
  TEMPO_STEP,
  TIME_FLOOR_MS,
  TIME_STEP,
  TIME_UNITS,
  transposeName,
  VOCABULARY,
  VOICE_MODE_WORDS,
  WAVE_WORDS,
} from "./phrase_vocabulary.ts";

/** Default octave of each instrument for notes written without one (lead, bass, pad, keys). */
export const DEFAULT_OCTAVES: readonly number[] = [4, 2, 4, 4];
/** Length of each note of a scale played without a length, in beats (an eighth note). */
export const SCALE_STEP_BEATS = 0.5;
/** Gain `louder` starts from when the gain is (nearly) 0, so it can rise again. */
const GAIN_FLOOR = 0.05;

/** Options of {@linkcode createPhraseParser}. */
export interface PhraseParserOptions {
  /** Whose undo history `undo` uses (the session's source name); default {@linkcode DEFAULT_SOURCE}. */
  readonly source?: string;
}

/** A failure inside a clause; caught at the top and turned into an `invalid` result. */
class PhraseError extends Error {}

function fail(message: string): never {
  throw new PhraseError(message);
}

/** Everything a phrase builds while its clauses are read. */
interface Ctx {
  readonly draft: PatchModel;
  target: number;
  cursorMs: number;
  amount: number;
  readonly now: CommandSpec[];
  readonly later: Map<number, CommandSpec[]>;
  readonly ops: PatchOp[];
  readonly messages: { readonly label: string; readonly text: string }[];
}

const DRUMS_WORD = "drums";
const PLAY_VERBS = new Set(["play", "hit", "strike", "trigger", "hold", "note", "notes"]);
const STOP_WORDS = new Set(["stop", "silence", "panic", "hush"]);
const FOCUS_VERBS = new Set(["use", "focus", "select", "switch"]);
const WAIT_WORDS = new Set(["wait", "rest", "pause"]);
const NUMBER_WORDS: ReadonlyMap<string, number> = new Map([
  ["a", 1],
  ["an", 1],
  ["one", 1],
  ["two", 2],
  ["three", 3],
  ["four", 4],
]);
const QUANTITY =
  /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(khz|hz|k|ms|msec|s|sec|secs|%|bpm|st|cents|db|x)?$/;
const FRACTION = /^(\d{1,3})\/(\d{1,3})$/;

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
  return (line: string): ParseResult => {
    try {
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

// ---------------------------------------------------------------------------
// The phrase.

function parsePhrase(model: PatchModel, source: string, line: string): ParseResult {
  const bad = checkLine(line);
  if (bad !== undefined) return invalid(bad);
  const trimmed = line.trim();
  if (trimmed.startsWith("/")) {
    return unknown(`not a phrase: ${shown(trimmed.split(/\s+/)[0] ?? "")}`);
  }
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
  const ctx: Ctx = {
    draft: model.clone(),
    target: model.focus,
    cursorMs: 0,
    amount: 1,
    now: [],
    later: new Map(),
    ops: [],
    messages: [],
  };
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

/** Lines that must stand alone: queries, help, undo, quit. */
function wholeLine(
  model: PatchModel,
  source: string,
  words: readonly string[],
): ParseResult | undefined {
  const text = words.join(" ");
  switch (text) {
    case "status":
      return parsed({ kind: "status" });
    case "state":
    case "state --json":
    case "show state":
      return parsed({ kind: "state" });
    case "help":
      return parsed({ kind: "help" });
    case "quit":
    case "exit":
      return parsed({ kind: "quit" });
    case "undo": {
      const plan = model.undoPlan(source);
      if (plan === undefined) return info("nothing to undo");
      const action: PhraseAction = {
        kind: "commands",
        specs: plan.specs,
        message: plan.message,
        ops: [{ kind: "undo" }],
        later: [],
      };
      return parsed(action);
    }
    case "what is playing":
    case "what's playing":
    case "whats playing":
    case "playing":
      return info(playingText(model));
    case "show patch":
    case "show":
    case "patch":
      return info(patchText(model, model.focus));
    case "tempo":
    case "what tempo":
      return info(`tempo ${fmt(model.tempo)} bpm`);
  }
  if (words[0] === "help" && words.length === 2) {
    const topic = words[1] ?? "";
    const found = HELP_TOPICS.get(topic) ?? HELP_TOPICS.get(topic.replace(/s$/, "")) ??
      HELP_TOPICS.get(`${topic}s`);
    if (found !== undefined) return info(found);
    const near = nearestOf(topic, [...HELP_TOPICS.keys()]);
    return invalid(
      `unknown help topic "${shown(topic)}" — ${
        near.length > 0 ? `did you mean ${quoteList(near)}? ` : ""
      }topics: ${[...HELP_TOPICS.keys()].join(", ")}`,
    );
  }
  if (words[0] === "show" && words.length === 2) {
    const target = instrumentTarget(words[1] ?? "");
    if (target !== undefined) return info(patchText(model, target));
  }
  return undefined;
}

function info(message: string): ParseResult {
  return parsed({ kind: "commands", specs: [], message });
}

function playingText(model: PatchModel): string {
  const parts: string[] = [];
  INSTRUMENT_NAMES.forEach((name, k) => {
    const held = model.held(RackTarget.FirstInstrument + k);
    if (held.length > 0) parts.push(`${name} ${held.map(midiName).join(" ")}`);
  });
  if (model.param(RackTarget.MiniSynth, SynthParam.Gate) >= 0.5) {
    parts.push(`sine ${fmt(model.param(RackTarget.MiniSynth, SynthParam.SineFreq))} Hz`);
  }
  return parts.length === 0 ? "nothing is playing" : `playing: ${parts.join("; ")}`;
}

function patchText(model: PatchModel, target: number): string {
  const p = (id: number): number => model.param(target, id);
  const wave = [...WAVE_WORDS].find(([, id]) => id === p(InstrumentParam.Waveform))?.[0] ?? "?";
  const mode = [...VOICE_MODE_WORDS].find(([, id]) => id === p(InstrumentParam.Mode))?.[0] ?? "?";
  const muted = model.mutedGain(target) !== undefined ? ", muted" : "";
  const transpose = model.transpose(target);
  return `${nameOf(target)}: ${wave}, cutoff ${fmt(p(InstrumentParam.FilterCutoff))} Hz, ` +
    `resonance ${fmt(p(InstrumentParam.FilterResonance))}, attack ${
      fmt(p(InstrumentParam.AmpAttack))
    } ms, decay ${fmt(p(InstrumentParam.AmpDecay))} ms, sustain ${
      fmt(p(InstrumentParam.AmpSustain))
    }, release ${fmt(p(InstrumentParam.AmpRelease))} ms, ${mode}, gain ${
      fmt(p(InstrumentParam.Gain))
    }, reverb ${fmt(p(InstrumentParam.ReverbSend))}, delay ${
      fmt(p(InstrumentParam.DelaySend))
    }, velocity ${fmt(model.velocity(target))}${
      transpose === 0 ? "" : `, transpose ${transpose}`
    }${muted}; tempo ${fmt(model.tempo)} bpm`;
}

// ---------------------------------------------------------------------------
// Clauses.

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

// ---------------------------------------------------------------------------
// Notes, chords and scales.

interface Music {
  /** MIDI notes, before the instrument's transpose. */
  readonly notes: number[];
  /** Spelled names of the notes (before transpose). */
  readonly names: string[];
  /** What was asked for, e.g. "C minor chord" (empty for plain notes). */
  readonly label: string;
  /** True for a scale: notes are played one after the other. */
  readonly scale: boolean;
}

function play(ctx: Ctx, args: readonly string[], verb: string): void {
  let tokens = [...args];
  // "for <duration>" at the end.
  let durationMs: number | undefined;
  const forAt = tokens.indexOf("for");
  if (forAt >= 0) {
    durationMs = readDuration(ctx, tokens.slice(forAt + 1), "for");
    tokens = tokens.slice(0, forAt);
  }
  // Dynamics and "velocity 0.6" anywhere.
  let vel: number | undefined;
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i] ?? "";
    const mark = DYNAMICS.get(word);
    if (mark !== undefined && !(word === "f" || word === "p")) {
      vel = mark;
    } else if ((word === "f" || word === "p") && kept.length > 0 && i === tokens.length - 1) {
      vel = mark;
    } else if (word === "velocity" || (word === "at" && tokens[i + 1] === "velocity")) {
      if (word === "at") i++;
      vel = readVelocity(tokens[i + 1]);
      i++;
    } else kept.push(word);
  }
  tokens = kept;
  if (tokens.length === 0) {
    fail(`${verb || "play"} what? e.g. play C4, play a C minor chord, play kick`);
  }
  const drum = drumOf(withoutArticle(tokens));
  if (drum !== undefined && drum.words === withoutArticle(tokens).length) {
    return hitDrum(ctx, drum.id, vel, durationMs);
  }
  if (ctx.target === RackTarget.DrumStrip) {
    fail(`drums play by name: ${[...DRUM_SPECS].map((s) => s.name).join(", ")}`);
  }
  const music = readMusic(ctx, tokens);
  const target = ctx.target;
  const shift = ctx.draft.transpose(target);
  const notes = music.notes.map((n) => n + shift);
  for (const n of notes) {
    if (!(n >= 0 && n <= 127)) {
      fail(`note ${n} is out of range (0..127)${shift ? ` after transposing by ${shift}` : ""}`);
    }
  }
  const v = vel ?? ctx.draft.velocity(target);
  const shown = shift === 0 ? music.names : notes.map(midiName);
  let text: string;
  if (music.scale) {
    const step = durationMs ?? beatsToMs(ctx, SCALE_STEP_BEATS);
    const start = ctx.cursorMs;
    notes.forEach((n, i) => {
      emit(ctx, [noteOn(target, n, v)], start + i * step);
      emit(ctx, [noteOff(target, n)], start + (i + 1) * step);
    });
    ctx.cursorMs = start + notes.length * step;
    text = `${music.label} (${shown.join(" ")}), ${fmt(step)} ms each`;
  } else {
    emit(ctx, notes.map((n) => noteOn(target, n, v)));
    if (durationMs !== undefined) {
      emit(ctx, notes.map((n) => noteOff(target, n)), ctx.cursorMs + durationMs);
      ctx.cursorMs += durationMs;
    }
    text = music.label === "" ? shown.join(" ") : `${music.label} (${shown.join(" ")})`;
    if (durationMs !== undefined) text += ` for ${fmt(durationMs)} ms`;
  }
  if (vel !== undefined) text += ` velocity ${fmt(v)}`;
  say(ctx, nameOf(target), text);
}

function withoutArticle(tokens: readonly string[]): string[] {
  return (tokens[0] === "a" || tokens[0] === "an") && tokens.length > 1
    ? tokens.slice(1)
    : [...tokens];
}

function readVelocity(text: string | undefined): number {
  const q = text === undefined ? undefined : quantity(text);
  const value = q === undefined ? NaN : q.unit === "%" ? q.value / 100 : q.value;
  if (!(value > 0 && value <= 1)) {
    fail(`velocity must be above 0 and at most 1 (or 1%..100%), got ${shown(text ?? "nothing")}`);
  }
  return value;
}

function readMusic(ctx: Ctx, tokens: readonly string[]): Music {
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

function startsMusic(t: readonly string[]): boolean {
  const w = t[0] ?? "";
  if (w === "middle" && t[1] === "c") return true;
  if (readPitch(w) !== undefined) return true;
  return chordSymbol(w) !== undefined;
}

function release(ctx: Ctx, args: readonly string[]): void {
  if (args.length === 1 && (args[0] === "all" || args[0] === "everything")) {
    emit(ctx, [allNotesOff(ctx.target)]);
    return say(ctx, nameOf(ctx.target), "all notes off");
  }
  const music = readMusic(ctx, args);
  const shift = ctx.draft.transpose(ctx.target);
  const notes = music.notes.map((n) => n + shift).filter((n) => n >= 0 && n <= 127);
  emit(ctx, notes.map((n) => noteOff(ctx.target, n)));
  say(ctx, nameOf(ctx.target), `release ${notes.map(midiName).join(" ")}`);
}

function stop(ctx: Ctx, args: readonly string[]): void {
  if (args.length === 0 || (args.length === 1 && (args[0] === "all" || args[0] === "everything"))) {
    emit(ctx, [allNotesOff(RACK_ALL_TARGETS)]);
    return say(ctx, "", "all notes off");
  }
  const target = args.length === 1 ? channelTarget(args[0] ?? "") : undefined;
  if (target !== undefined) {
    if (target === RackTarget.DrumStrip) {
      emit(ctx, [allNotesOff(RackTarget.Drums)]);
      return say(ctx, DRUMS_WORD, "all notes off");
    }
    emit(ctx, [allNotesOff(target)]);
    return say(ctx, nameOf(target), "all notes off");
  }
  return release(ctx, args);
}

function sine(ctx: Ctx, args: readonly string[]): void {
  const t = args[0] === "at" ? args.slice(1) : [...args];
  if (t.length === 1 && (t[0] === "on" || t[0] === "off")) {
    emit(ctx, [setParam(SynthParam.Gate, t[0] === "on" ? 1 : 0)]);
    return say(ctx, "", `sine gate ${t[0]}`);
  }
  const q = t[0] === undefined ? undefined : quantity(t[0]);
  const unitWord = t[1];
  if (
    q === undefined || t.length > 2 ||
    (unitWord !== undefined && unitWord !== "hz" && unitWord !== "khz")
  ) {
    fail(`sine needs a frequency, e.g. sine at 440 (20..20000 Hz), got "${shown(t.join(" "))}"`);
  }
  const hz = q.value * (q.unit === "khz" || q.unit === "k" || unitWord === "khz" ? 1000 : 1);
  if (q.unit !== undefined && q.unit !== "hz" && q.unit !== "khz" && q.unit !== "k") {
    fail(`sine needs a frequency in Hz, got ${shown(t[0] ?? "")}`);
  }
  if (!(hz >= 20 && hz <= 20000)) {
    fail(`sine frequency must be between 20 and 20000 Hz, got ${fmt(hz)}`);
  }
  emit(ctx, [setParam(SynthParam.SineFreq, hz)]);
  say(ctx, "", `sine ${fmt(hz)} Hz`);
}

// ---------------------------------------------------------------------------
// Instruments: focus, mute, solo, transpose.

function channelTarget(word: string): number | undefined {
  if (word === DRUMS_WORD || word === "drum") return RackTarget.DrumStrip;
  return instrumentTarget(word);
}

function instrumentTarget(word: string): number | undefined {
  const k = INSTRUMENT_NAMES.indexOf(word);
  return k < 0 ? undefined : RackTarget.FirstInstrument + k;
}

function nameOf(target: number): string {
  if (target === RackTarget.DrumStrip || target === RackTarget.Drums) return DRUMS_WORD;
  return INSTRUMENT_NAMES[target - RackTarget.FirstInstrument] ?? `target ${target}`;
}

function focus(ctx: Ctx, word: string): void {
  const target = instrumentTarget(word);
  if (target === undefined) {
    fail(`only an instrument can have the focus: ${INSTRUMENT_NAMES.join(", ")}`);
  }
  op(ctx, { kind: "focus", target });
  ctx.target = target;
  say(ctx, "", `focus ${word}`);
}

function switchTo(ctx: Ctx, args: readonly string[]): void {
  const [w = "", next] = args;
  const tail = args.slice(1);
  if (args.length === 1 && channelTarget(w) !== undefined) return focus(ctx, w);
  if (WAVE_WORDS.has(w) && isWaveTail(tail)) return setChoice(ctx, "osc/wave", w);
  if (FILTER_MODE_WORDS.has(w) && (args.length === 1 || next === "filter")) {
    return setChoice(ctx, "filter/mode", w);
  }
  if (VOICE_MODE_WORDS.has(w) && args.length === 1) return setChoice(ctx, "mode", w);
  if (PRESETS.has(w) && args.length === 1) return preset(ctx, w);
  if (args.length === 1) {
    unknownWord(w, [
      ...INSTRUMENT_NAMES,
      ...WAVE_WORDS.keys(),
      ...PRESETS.keys(),
      ...FILTER_MODE_WORDS.keys(),
      ...VOICE_MODE_WORDS.keys(),
    ]);
  }
  unknownClause(args);
}

function isWaveTail(tail: readonly string[]): boolean {
  return tail.length === 0 ||
    (tail.length === 1 &&
      (tail[0] === "wave" || tail[0] === "waveform" || tail[0] === "oscillator"));
}

const CHANNELS: readonly number[] = [
  ...INSTRUMENT_NAMES.map((_, k) => RackTarget.FirstInstrument + k),
  RackTarget.DrumStrip,
];

function gainParamOf(target: number): number {
  return target === RackTarget.DrumStrip ? StripParam.Gain : InstrumentParam.Gain;
}

function mute(ctx: Ctx, verb: string, args: readonly string[]): void {
  const all = args.length === 1 && (args[0] === "all" || args[0] === "everything");
  let target = ctx.target;
  if (args.length > 0 && !all) {
    if (args.length > 1) unknownClause(args.slice(1));
    target = channelTarget(args[0] ?? "") ??
      unknownWord(args[0] ?? "", [...INSTRUMENT_NAMES, DRUMS_WORD, "all"]);
  }
  const d = ctx.draft;
  const muteOne = (t: number): boolean => {
    if (d.mutedGain(t) !== undefined) return false;
    op(ctx, { kind: "muted", target: t, gain: d.param(t, gainParamOf(t)) });
    emit(ctx, [setParam(gainParamOf(t), 0, t)]);
    return true;
  };
  const unmuteOne = (t: number): boolean => {
    const gain = d.mutedGain(t);
    if (gain === undefined) return false;
    op(ctx, { kind: "muted", target: t, gain: null });
    emit(ctx, [setParam(gainParamOf(t), gain, t)]);
    return true;
  };
  switch (verb) {
    case "mute": {
      const targets = all ? CHANNELS : [target];
      const done = targets.filter(muteOne).map(nameOf);
      return say(
        ctx,
        "",
        done.length === 0
          ? `${all ? "all" : nameOf(target)} already muted`
          : `mute ${done.join(", ")}`,
      );
    }
    case "unmute": {
      const targets = all ? CHANNELS : [target];
      const done = targets.filter(unmuteOne).map(nameOf);
      return say(
        ctx,
        "",
        done.length === 0
          ? `${all ? "nothing" : nameOf(target)} not muted`
          : `unmute ${done.join(", ")}`,
      );
    }
    case "solo": {
      if (all) fail(`solo one channel: ${[...INSTRUMENT_NAMES, DRUMS_WORD].join(", ")}`);
      unmuteOne(target);
      const muted = CHANNELS.filter((t) => t !== target).filter(muteOne).map(nameOf);
      return say(
        ctx,
        "",
        `solo ${nameOf(target)}${muted.length > 0 ? ` (muted ${muted.join(", ")})` : ""}`,
      );
    }
    default: {
      const done = CHANNELS.filter(unmuteOne).map(nameOf);
      return say(
        ctx,
        "",
        done.length === 0 ? "nothing muted" : `unsolo: unmute ${done.join(", ")}`,
      );
    }
  }
}

function transpose(ctx: Ctx, t: readonly string[]): void {
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

function instrumentOnly(ctx: Ctx, what: string): number {
  if (ctx.target === RackTarget.DrumStrip) {
    fail(`drums have no ${what}; use an instrument: ${INSTRUMENT_NAMES.join(", ")}`);
  }
  return ctx.target;
}

// ---------------------------------------------------------------------------
// Timbre, dynamics, effects: parameters.

/** The parameter of the phrase's channel named `name` (a spec name), or a failure. */
function paramOf(ctx: Ctx, name: string): { id: number; range: ParamRange } {
  const target = ctx.target;
  for (let id = 0;; id++) {
    const range = paramRange(target, id);
    if (range === undefined) break;
    if (range.name === name) return { id, range };
  }
  return fail(`${nameOf(target)} has no ${name.replace(/\//g, " ")}`);
}

function setValue(ctx: Ctx, name: string, value: number, label?: string): void {
  const { id, range } = paramOf(ctx, name);
  const clamped = clampTo(range, value);
  emit(ctx, [setParam(id, clamped, ctx.target)]);
  say(ctx, nameOf(ctx.target), `${label ?? displayName(name)} ${valueText(name, range, clamped)}`);
}

function clampTo(range: ParamRange, value: number): number {
  const v = range.integer === true ? Math.round(value) : value;
  return Math.min(range.max, Math.max(range.min, v));
}

function displayName(name: string): string {
  const alias = PARAM_ALIASES.find(([words, spec]) => spec === name && words.length === 1);
  return alias !== undefined && name !== "gain" ? (alias[0][0] ?? name) : name.replace(/\//g, " ");
}

function valueText(name: string, range: ParamRange, value: number): string {
  const words = name === "osc/wave"
    ? WAVE_WORDS
    : name === "filter/mode"
    ? FILTER_MODE_WORDS
    : name === "mode"
    ? VOICE_MODE_WORDS
    : undefined;
  if (words !== undefined) {
    for (const [word, id] of words) if (id === value) return word;
  }
  return `${fmt(value)}${range.unit === "" ? "" : ` ${range.unit}`}`;
}

function setChoice(ctx: Ctx, name: string, word: string): void {
  instrumentOnly(ctx, name.replace("/", " "));
  const table = name === "osc/wave"
    ? WAVE_WORDS
    : name === "filter/mode"
    ? FILTER_MODE_WORDS
    : VOICE_MODE_WORDS;
  const value = table.get(word) ?? fail(`unknown ${name}: ${word}`);
  const { id } = paramOf(ctx, name);
  emit(ctx, [setParam(id, value, ctx.target)]);
  const text = name === "osc/wave"
    ? `${word} wave`
    : name === "filter/mode"
    ? `${word} filter`
    : `${word} mode`;
  say(ctx, nameOf(ctx.target), text);
}

function brightness(ctx: Ctx, word: string, rest: readonly string[]): void {
  if (rest.length > 0) unknownClause(rest);
  instrumentOnly(ctx, "filter");
  const { range } = paramOf(ctx, "filter/cutoff");
  const now = ctx.draft.param(ctx.target, InstrumentParam.FilterCutoff);
  const factor = BRIGHTNESS_STEP ** ctx.amount;
  const value = clampTo(range, word === "brighter" ? now * factor : now / factor);
  setValue(ctx, "filter/cutoff", value, "cutoff");
}

function loudness(ctx: Ctx, word: string, rest: readonly string[]): void {
  if (rest.length > 0) unknownClause(rest);
  const name = "gain";
  const { id, range } = paramOf(ctx, name);
  const now = ctx.draft.param(ctx.target, id);
  const factor = 10 ** ((LOUDNESS_STEP_DB * ctx.amount) / 20);
  const base = word === "louder" && now < GAIN_FLOOR ? GAIN_FLOOR : now;
  const value = clampTo(range, word === "louder" ? base * factor : base / factor);
  setValue(ctx, name, value, "gain");
}

function velocity(ctx: Ctx, rest: readonly string[]): void {
  if (rest[0] === "sensitivity") {
    return settingPhrase(ctx, ["velocity", ...rest]) ? undefined : unknownClause(rest);
  }
  if (rest.length > 1) unknownClause(rest.slice(1));
  const target = instrumentOnly(ctx, "note velocity");
  const v = readVelocity(rest[0]);
  op(ctx, { kind: "velocity", target, velocity: v });
  say(ctx, nameOf(target), `velocity ${fmt(v)}`);
}

function dynamic(ctx: Ctx, word: string): void {
  const target = instrumentOnly(ctx, "note velocity");
  const v = DYNAMICS.get(word) ?? DEFAULT_VELOCITY;
  op(ctx, { kind: "velocity", target, velocity: v });
  say(ctx, nameOf(target), `${word} (velocity ${fmt(v)})`);
}

function preset(ctx: Ctx, word: string): void {
  instrumentOnly(ctx, "envelope");
  const settings = PRESETS.get(word) ?? [];
  const specs: CommandSpec[] = [];
  for (const [name, value] of settings) {
    const { id, range } = paramOf(ctx, name);
    specs.push(setParam(id, clampTo(range, value), ctx.target));
  }
  emit(ctx, specs);
  say(ctx, nameOf(ctx.target), `${word} envelope`);
}

function staccato(ctx: Ctx): void {
  instrumentOnly(ctx, "envelope");
  setValue(ctx, "amp/release", STACCATO_RELEASE_MS, "staccato: release");
}

/** "more resonance", "less reverb", "more cutoff", "more attack". */
function moreOrLess(ctx: Ctx, less: boolean, rest: readonly string[]): void {
  if (rest.length === 0) fail(`${less ? "less" : "more"} what? e.g. more reverb, less resonance`);
  if (rest.length === 1 && (rest[0] === "brightness" || rest[0] === "bright")) {
    return brightness(ctx, less ? "darker" : "brighter", []);
  }
  if (rest.length === 1 && (rest[0] === "volume" || rest[0] === "gain")) {
    return loudness(ctx, less ? "quieter" : "louder", []);
  }
  if (rest.length === 1 && (rest[0] === "transpose")) unknownClause(rest);
  const found = findSetting(ctx, rest);
  if (found === undefined || found.used !== rest.length) return unknownClause(rest);
  stepParam(ctx, found.kind === "mixer" ? RackTarget.Mixer : ctx.target, found.name, less ? -1 : 1);
}

function isTimeParam(word: string): boolean {
  return word === "attack" || word === "decay" || word === "release" || word === "glide";
}

function longer(ctx: Ctx, more: boolean, rest: readonly string[]): void {
  const found = findSetting(ctx, rest);
  if (found === undefined || found.used !== rest.length || found.kind !== "param") {
    return rest.length === 0
      ? fail(`${more ? "longer" : "shorter"} what? e.g. longer release, shorter attack`)
      : unknownClause(rest);
  }
  const { range } = paramOf(ctx, found.name);
  if (range.unit !== "ms") fail(`${displayName(found.name)} is not a time`);
  stepParam(ctx, ctx.target, found.name, more ? 1 : -1);
}

function roomSize(ctx: Ctx, bigger: boolean, rest: readonly string[]): void {
  const what = rest.join(" ");
  if (what !== "reverb" && what !== "room" && what !== "space") {
    return rest.length === 0 ? fail(`bigger what? e.g. bigger room`) : unknownClause(rest);
  }
  stepParam(ctx, RackTarget.Mixer, "reverb/size", bigger ? 1 : -1);
}

/** One relative step of parameter `name` of `target`, scaled by the clause's amount. */
function stepParam(ctx: Ctx, target: number, name: string, sign: number): void {
  const saved = ctx.target;
  ctx.target = target;
  try {
    const { id, range } = paramOf(ctx, name);
    const now = ctx.draft.param(target, id);
    let value: number;
    if (range.unit === "Hz" || range.unit === "ms") {
      const factor = (range.unit === "Hz" ? BRIGHTNESS_STEP : TIME_STEP) ** ctx.amount;
      const base = sign > 0 && now < TIME_FLOOR_MS ? TIME_FLOOR_MS : now;
      value = sign > 0 ? base * factor : now / factor;
    } else if (name === "send/reverb" || name === "send/delay") {
      value = now + sign * SEND_STEP * ctx.amount;
    } else {
      value = now + sign * LINEAR_STEP_FRACTION * (range.max - range.min) * ctx.amount;
    }
    const clamped = clampTo(range, value);
    emit(ctx, [setParam(id, clamped, target)]);
    say(
      ctx,
      target === RackTarget.Mixer ? "mix" : nameOf(target),
      `${displayName(name)} ${valueText(name, range, clamped)}`,
    );
  } finally {
    ctx.target = saved;
  }
}

function addEffect(ctx: Ctx, rest: readonly string[]): void {
  const what = rest.join(" ");
  if (what === "reverb") return stepParam(ctx, ctx.target, "send/reverb", 1);
  if (what === "delay" || what === "echo") return stepParam(ctx, ctx.target, "send/delay", 1);
  if (rest.length === 0) fail(`add what? e.g. add reverb, add delay`);
  return unknownClause(rest);
}

function effectOff(ctx: Ctx, rest: readonly string[]): void {
  const what = rest.join(" ");
  if (what === "reverb") return setValue(ctx, "send/reverb", 0);
  if (what === "delay" || what === "echo") return setValue(ctx, "send/delay", 0);
  if (what === "effects" || what === "fx") return dry(ctx);
  return unknownClause(rest);
}

function dry(ctx: Ctx): void {
  const reverb = paramOf(ctx, "send/reverb");
  const delay = paramOf(ctx, "send/delay");
  emit(ctx, [setParam(reverb.id, 0, ctx.target), setParam(delay.id, 0, ctx.target)]);
  say(ctx, nameOf(ctx.target), "dry (reverb and delay sends 0)");
}

function master(ctx: Ctx, rest: readonly string[]): void {
  const [w = ""] = rest;
  if ((w === "louder" || w === "quieter" || w === "softer") && rest.length === 1) {
    const spec = MIXER_PARAM_SPECS.find((s) => s.name === "gain") ?? fail("the mixer has no gain");
    const now = ctx.draft.param(RackTarget.Mixer, spec.id);
    const factor = 10 ** ((LOUDNESS_STEP_DB * ctx.amount) / 20);
    const base = w === "louder" && now < GAIN_FLOOR ? GAIN_FLOOR : now;
    const value = Math.min(
      spec.max,
      Math.max(spec.min, w === "louder" ? base * factor : base / factor),
    );
    emit(ctx, [setParam(spec.id, value, RackTarget.Mixer)]);
    return say(ctx, "mix", `master gain ${fmt(value)}`);
  }
  return mixerSetting(ctx, ["master", ...rest], true);
}

function mixerSetting(ctx: Ctx, t: readonly string[], strict: boolean): void {
  const found = findSetting(ctx, t, true);
  if (found === undefined || found.kind !== "mixer") {
    if (strict) return unknownClause(t.filter((w) => w !== "master"));
    return unknownClause(t);
  }
  applySetting(ctx, found, t.slice(found.used));
}

// ---------------------------------------------------------------------------
// "<setting> <value>": any parameter by short name, spec name or words.

interface Setting {
  readonly kind: "param" | "mixer";
  readonly name: string;
  readonly used: number;
}

type SettingName = readonly [readonly string[], string, "param" | "mixer"];

const SETTING_NAMES = new Map<number, readonly SettingName[]>();

/** Every way to name a setting of `target` (cached: the spec tables do not change at run time). */
function settingNames(ctx: Ctx): readonly SettingName[] {
  const cached = SETTING_NAMES.get(ctx.target);
  if (cached !== undefined) return cached;
  const out: SettingName[] = [];
  for (let id = 0;; id++) {
    const range = paramRange(ctx.target, id);
    if (range === undefined) break;
    out.push([[range.name], range.name, "param"], [range.name.split("/"), range.name, "param"]);
  }
  for (const [words, name] of PARAM_ALIASES) out.push([words, name, "param"]);
  for (const spec of MIXER_PARAM_SPECS) {
    if (spec.name === "gain") continue;
    out.push([spec.name.split("/"), spec.name, "mixer"]);
    out.push([["mix", ...spec.name.split("/")], spec.name, "mixer"]);
  }
  for (const [words, name] of MIXER_ALIASES) out.push([words, name, "mixer"]);
  SETTING_NAMES.set(ctx.target, out);
  return out;
}

function findSetting(ctx: Ctx, t: readonly string[], mixerOnly = false): Setting | undefined {
  let best: Setting | undefined;
  for (const [words, name, kind] of settingNames(ctx)) {
    if (mixerOnly && kind !== "mixer") continue;
    if (words.length > t.length || !words.every((w, k) => t[k] === w)) continue;
    if (best === undefined || words.length > best.used) best = { kind, name, used: words.length };
  }
  if (best?.kind === "param") {
    // A parameter this channel lacks (e.g. "cutoff" on the drums) is no match.
    let has = false;
    for (let id = 0; paramRange(ctx.target, id) !== undefined; id++) {
      if (paramRange(ctx.target, id)?.name === best.name) has = true;
    }
    if (!has) {
      fail(
        `${nameOf(ctx.target)} ${ctx.target === RackTarget.DrumStrip ? "have" : "has"} no ${
          displayName(best.name)
        }`,
      );
    }
  }
  return best;
}

function settingPhrase(ctx: Ctx, t: readonly string[]): boolean {
  const found = findSetting(ctx, t);
  if (found === undefined) return false;
  applySetting(ctx, found, t.slice(found.used));
  return true;
}

function applySetting(ctx: Ctx, found: Setting, valueWords: readonly string[]): void {
  const words = valueWords.filter((w) => w !== "at" && w !== "is");
  if (found.kind === "mixer") {
    const saved = ctx.target;
    ctx.target = RackTarget.Mixer;
    try {
      if (found.name === "delay/time" || found.name === "delay/beats") return delayTime(ctx, words);
      const { range } = paramOf(ctx, found.name);
      const value = readValue(ctx, found.name, range, words);
      const { id } = paramOf(ctx, found.name);
      emit(ctx, [setParam(id, value, RackTarget.Mixer)]);
      say(ctx, "mix", `${found.name.replace(/\//g, " ")} ${mixerValueText(range, value)}`);
    } finally {
      ctx.target = saved;
    }
    return;
  }
  const { range } = paramOf(ctx, found.name);
  if ((found.name === "send/delay") && words.length > 0 && isDuration(words)) {
    return delayTime(ctx, words);
  }
  if (
    (found.name === "send/reverb" || found.name === "send/delay") && words.length === 1 &&
    words[0] === "on"
  ) {
    const now = ctx.draft.param(ctx.target, paramOf(ctx, found.name).id);
    return setValue(ctx, found.name, now > 0 ? now : SEND_STEP);
  }
  const value = readValue(ctx, found.name, range, words);
  setValue(ctx, found.name, value);
}

function mixerValueText(range: ParamRange, value: number): string {
  if (range.toggle === true) return value >= 0.5 ? "on" : "off";
  return `${fmt(value)}${range.unit === "" ? "" : ` ${range.unit}`}`;
}

function delayTime(ctx: Ctx, words: readonly string[]): void {
  const beatsSpec = MIXER_PARAM_SPECS.find((s) => s.name === "delay/beats");
  const timeSpec = MIXER_PARAM_SPECS.find((s) => s.name === "delay/time") ??
    fail("the mixer has no delay time");
  if (words.length === 0) fail(`delay time needs a length, e.g. delay time 250ms or delay 1/8`);
  const ms = readDuration(ctx, words, "delay time");
  const beats = ms / beatsToMs(ctx, 1);
  if (beatsSpec !== undefined && !isClockTime(words)) {
    if (beats < beatsSpec.min || beats > beatsSpec.max) {
      fail(`delay must be between ${beatsSpec.min} and ${beatsSpec.max} beats, got ${fmt(beats)}`);
    }
    emit(ctx, [setParam(beatsSpec.id, beats, RackTarget.Mixer)]);
    return say(ctx, "mix", `delay ${fmt(beats)} beats`);
  }
  if (ms < timeSpec.min || ms > timeSpec.max) {
    fail(`delay time must be between ${timeSpec.min} and ${timeSpec.max} ms, got ${fmt(ms)}`);
  }
  emit(ctx, [setParam(timeSpec.id, ms, RackTarget.Mixer)]);
  say(ctx, "mix", `delay time ${fmt(ms)} ms`);
}

/** Read a value for a parameter, with its units, and check it against the range. */
function readValue(ctx: Ctx, name: string, range: ParamRange, words: readonly string[]): number {
  const label = displayName(name);
  const allowed = `${fmt(range.min)}..${fmt(range.max)}${
    range.unit === "" ? "" : ` ${range.unit}`
  }`;
  if (words.length === 0) fail(`${label} needs a value: ${allowed}`);
  const [w0 = "", w1] = words;
  // Choices.
  const choices = name === "osc/wave"
    ? WAVE_WORDS
    : name === "filter/mode"
    ? FILTER_MODE_WORDS
    : name === "mode"
    ? VOICE_MODE_WORDS
    : undefined;
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

function isClockTime(words: readonly string[]): boolean {
  return words.some((w) =>
    TIME_UNITS.has(w) || /(ms|s|sec|secs)$/.test(w) && quantity(w) !== undefined
  );
}

// ---------------------------------------------------------------------------
// Time: tempo, durations, waits.

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

function tempo(ctx: Ctx, words: readonly string[]): void {
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

function tempoStep(ctx: Ctx, faster: boolean, rest: readonly string[]): void {
  if (rest.length > 0) unknownClause(rest);
  const factor = TEMPO_STEP ** ctx.amount;
  const now = ctx.draft.tempo;
  setTempo(ctx, faster ? now * factor : now / factor, true);
}

function tempoScale(ctx: Ctx, word: string): void {
  if (word === "normal") fail(`normal time needs a tempo: say tempo 120`);
  setTempo(ctx, word === "double" ? ctx.draft.tempo * 2 : ctx.draft.tempo / 2, true);
}

function wait(ctx: Ctx, words: readonly string[]): void {
  if (words.length === 0) fail(`wait how long? e.g. wait 2 beats, wait 500ms`);
  const w = words[0] === "for" ? words.slice(1) : words;
  const ms = readDuration(ctx, w, "wait");
  ctx.cursorMs += ms;
  say(ctx, "", `wait ${fmt(ms)} ms`);
}

function beatsToMs(ctx: Ctx, beats: number): number {
  return (beats * 60000) / ctx.draft.tempo;
}

function isDuration(words: readonly string[]): boolean {
  return words.some((w) =>
    NOTE_LENGTHS.has(w) || TIME_UNITS.has(w) || FRACTION.test(w) ||
    /^\d*\.?\d+(ms|s|sec|secs)$/.test(w) || w === "triplet" || w === "triplets"
  );
}

const MAX_DURATION_MS = 600_000;

/**
 * A length in ms: "2 beats", "a bar", "1/8", "1/16 triplet", "an eighth
 * note", "dotted quarter", "500ms", "2 seconds". Beats follow the draft tempo.
 */
function readDuration(ctx: Ctx, words: readonly string[], what: string): number {
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

// ---------------------------------------------------------------------------
// Drums.

function drumOf(t: readonly string[]): { id: number; words: number } | undefined {
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

function hitDrum(
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

function drumClause(ctx: Ctx, id: number, rest: readonly string[]): void {
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

// ---------------------------------------------------------------------------
// Output and errors.

function emit(ctx: Ctx, specs: readonly CommandSpec[], atMs = ctx.cursorMs): void {
  if (specs.length === 0) return;
  if (atMs <= 0) ctx.now.push(...specs);
  else {
    const batch = ctx.later.get(atMs) ?? [];
    batch.push(...specs);
    ctx.later.set(atMs, batch);
  }
  ctx.draft.applyQuietly(specs);
}

function op(ctx: Ctx, patchOp: PatchOp): void {
  ctx.ops.push(patchOp);
  ctx.draft.applyQuietly([], [patchOp]);
}

function say(ctx: Ctx, label: string, text: string): void {
  ctx.messages.push({ label, text });
}

/** A number for messages: at most 3 decimals, no trailing zeros. */
function fmt(value: number): string {
  return String(Number(value.toFixed(3)));
}

function quantity(word: string): { value: number; unit: string | undefined } | undefined {
  const match = QUANTITY.exec(word);
  if (match === null) return undefined;
  const value = Number(match[1]);
  if (!Number.isFinite(value)) return undefined;
  return { value: value + 0, unit: match[2] };
}

function isQuantityStart(t: readonly string[]): boolean {
  const w = t[0] ?? "";
  return quantity(w) !== undefined && !(t[1] === "hz" || t[1] === "khz") ||
    FRACTION.test(w) || NOTE_LENGTHS.has(w) || NUMBER_WORDS.has(w) && w !== "a";
}

function isKnownToken(word: string): boolean {
  return VOCABULARY.has(word) || quantity(word) !== undefined || FRACTION.test(word) ||
    readPitch(word) !== undefined || chordSymbol(word) !== undefined ||
    channelTarget(word.replace(/:$/, "")) !== undefined;
}

function quoteList(words: readonly string[]): string {
  const q = words.map((w) => `"${w}"`);
  if (q.length <= 1) return q.join("");
  return `${q.slice(0, -1).join(", ")} or ${q.at(-1)}`;
}

function nearestOf(word: string, choices: readonly string[]): string[] {
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

function suggestFrom(word: string, choices: readonly string[]): string {
  const near = nearestOf(word, choices);
  return near.length > 0 ? ` — did you mean ${quoteList(near)}?` : "";
}

/** Fail naming `word` as unknown, with the nearest known words (preferring `choices`). */
function unknownWord(word: string, choices: readonly string[]): never {
  const near = nearestOf(word, choices);
  const hint = near.length > 0 ? `did you mean ${quoteList(near)}?` : "try help for the words";
  return fail(`unknown word "${shown(word)}" — ${hint}`);
}

/** Fail on a clause no rule reads: name its first unknown word, or say what was expected. */
function unknownClause(t: readonly string[]): never {
  const bad = t.find((w) => !isKnownToken(w));
  if (bad !== undefined) return unknownWord(bad, []);
  return fail(
    `can't make sense of "${
      shown(t.join(" "))
    }" — try e.g. play C4, cutoff 800, brighter, add reverb, tempo 120 (help lists more)`,
  );
}
