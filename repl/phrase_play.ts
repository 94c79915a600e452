/**
 * Clauses that sound or silence notes — `play …` (notes, chords, scales and
 * drums, with lengths and dynamics), `release`, `stop`, `sine at 440` — and
 * the instrument's note velocity (`velocity 0.6`, `mf`).
 *
 * @module
 */

import { allNotesOff, noteOff, noteOn, patternStop, setParam } from "../engine/command.ts";
import { DRUM_SPECS } from "../dsp/drums.ts";
import { SynthParam } from "../dsp/params.ts";
import { RACK_ALL_TARGETS, RackTarget } from "../dsp/rack.ts";
import { DEFAULT_VELOCITY } from "./instrument_parser.ts";
import { shown } from "./line_parser.ts";
import { midiName } from "./patch_model.ts";
import { DYNAMICS } from "./phrase_vocabulary.ts";
import { type Ctx, emit, instrumentOnly, op, say } from "./phrase_context.ts";
import { drumOf, hitDrum } from "./phrase_drums.ts";
import { fail, unknownClause } from "./phrase_errors.ts";
import { readMusic, withoutArticle } from "./phrase_music.ts";
import { settingPhrase } from "./phrase_settings.ts";
import { beatsToMs, readDuration } from "./phrase_time.ts";
import { channelTarget, DRUMS_WORD, fmt, nameOf, quantity } from "./phrase_words.ts";

/** Length of each note of a scale played without a length, in beats (an eighth note). */
export const SCALE_STEP_BEATS = 0.5;

/**
 * `play C4 for 2 beats`, `play a C minor chord ff`, `play the D dorian scale`, `hit kick`:
 * notes now (and their note-offs after a length), a scale note by note, or a drum.
 * `verb` is the word that led the clause (`""` when there was none), for messages.
 */
export function play(ctx: Ctx, args: readonly string[], verb: string): void {
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

function readVelocity(text: string | undefined): number {
  const q = text === undefined ? undefined : quantity(text);
  const value = q === undefined ? NaN : q.unit === "%" ? q.value / 100 : q.value;
  if (!(value > 0 && value <= 1)) {
    fail(`velocity must be above 0 and at most 1 (or 1%..100%), got ${shown(text ?? "nothing")}`);
  }
  return value;
}

/** `release C4`, `release all`: note-offs of the phrase's instrument. */
export function release(ctx: Ctx, args: readonly string[]): void {
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

/** `stop`, `stop bass`, `stop C4`: all notes off everywhere, on one channel, or of some notes. */
export function stop(ctx: Ctx, args: readonly string[]): void {
  if (args.length === 0 || (args.length === 1 && (args[0] === "all" || args[0] === "everything"))) {
    // Silence: the loops stop too, at once.
    emit(ctx, [allNotesOff(RACK_ALL_TARGETS), patternStop(RACK_ALL_TARGETS, 0)]);
    for (const target of ctx.draft.patternTargets) {
      ctx.ops.push({ kind: "pattern", target, text: null });
    }
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

/** `sine at 440`, `sine 1.2 khz`, `sine on` / `sine off`: the mini synth's sine. */
export function sine(ctx: Ctx, args: readonly string[]): void {
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

/**
 * `velocity 0.6`: the note velocity of the phrase's instrument (`velocity sensitivity …`
 * is a setting).
 */
export function velocity(ctx: Ctx, rest: readonly string[]): void {
  if (rest[0] === "sensitivity") {
    return settingPhrase(ctx, ["velocity", ...rest]) ? undefined : unknownClause(rest);
  }
  if (rest.length > 1) unknownClause(rest.slice(1));
  const target = instrumentOnly(ctx, "note velocity");
  const v = readVelocity(rest[0]);
  op(ctx, { kind: "velocity", target, velocity: v });
  say(ctx, nameOf(target), `velocity ${fmt(v)}`);
}

/** `pp` … `ff`: the note velocity of the phrase's instrument from a dynamic mark. */
export function dynamic(ctx: Ctx, word: string): void {
  const target = instrumentOnly(ctx, "note velocity");
  const v = DYNAMICS.get(word) ?? DEFAULT_VELOCITY;
  op(ctx, { kind: "velocity", target, velocity: v });
  say(ctx, nameOf(target), `${word} (velocity ${fmt(v)})`);
}
