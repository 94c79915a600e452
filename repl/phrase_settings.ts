/**
 * `<setting> <value>` clauses: any instrument, drum-strip or mixer parameter
 * named by spec name, short name or words (`cutoff 800`, `filter resonance
 * 0.3`, `mix reverb size 0.8`, `delay 1/8`), choice settings (`saw`,
 * `lowpass filter`), and one relative step of a parameter.
 *
 * @module
 */

import { setParam } from "../engine/command.ts";
import { MIXER_PARAM_SPECS } from "../dsp/mixer.ts";
import { RackTarget } from "../dsp/rack.ts";
import { type ParamRange, paramRange } from "./patch_model.ts";
import {
  BRIGHTNESS_STEP,
  LINEAR_STEP_FRACTION,
  MIXER_ALIASES,
  PARAM_ALIASES,
  SEND_STEP,
  TIME_FLOOR_MS,
  TIME_STEP,
  VOICE_MODE_WORDS,
} from "./phrase_vocabulary.ts";
import { type Ctx, emit, instrumentOnly, say } from "./phrase_context.ts";
import { fail, unknownClause } from "./phrase_errors.ts";
import { beatsToMs, isClockTime, isDuration, readDuration } from "./phrase_time.ts";
import {
  choiceWords,
  clampTo,
  displayName,
  mixerValueText,
  readValue,
  valueText,
} from "./phrase_values.ts";
import { fmt, nameOf } from "./phrase_words.ts";

/** The parameter of the phrase's channel named `name` (a spec name), or a failure. */
export function paramOf(ctx: Ctx, name: string): { id: number; range: ParamRange } {
  const target = ctx.target;
  for (let id = 0;; id++) {
    const range = paramRange(target, id);
    if (range === undefined) break;
    if (range.name === name) return { id, range };
  }
  return fail(`${nameOf(target)} has no ${name.replace(/\//g, " ")}`);
}

/**
 * Set parameter `name` of the phrase's target to `value`, clamped into its range, and say
 * so as `label` (default the parameter's short name).
 */
export function setValue(ctx: Ctx, name: string, value: number, label?: string): void {
  const { id, range } = paramOf(ctx, name);
  const clamped = clampTo(range, value);
  emit(ctx, [setParam(id, clamped, ctx.target)]);
  say(ctx, nameOf(ctx.target), `${label ?? displayName(name)} ${valueText(name, range, clamped)}`);
}

/**
 * Set choice parameter `name` (`osc/wave`, `filter/mode`, `mode`) of the phrase's
 * instrument to the value of `word` (`saw`, `lowpass`, `mono`).
 */
export function setChoice(ctx: Ctx, name: string, word: string): void {
  instrumentOnly(ctx, name.replace("/", " "));
  const table = choiceWords(name) ?? VOICE_MODE_WORDS;
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

/** True when the words after a wave name are none, `wave`, `waveform` or `oscillator`. */
export function isWaveTail(tail: readonly string[]): boolean {
  return tail.length === 0 ||
    (tail.length === 1 &&
      (tail[0] === "wave" || tail[0] === "waveform" || tail[0] === "oscillator"));
}

/** One relative step of parameter `name` of `target`, scaled by the clause's amount. */
export function stepParam(ctx: Ctx, target: number, name: string, sign: number): void {
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

/** A parameter named by the first `used` words of a clause. */
export interface Setting {
  /** `param`: a parameter of the phrase's target; `mixer`: a mixer parameter. */
  readonly kind: "param" | "mixer";
  /** The parameter's spec name, e.g. `filter/cutoff`. */
  readonly name: string;
  /** How many words name it. */
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

/**
 * The setting named by the most leading words of `t` (mixer settings only when
 * `mixerOnly`), or undefined; fails when it names a parameter the phrase's target lacks.
 */
export function findSetting(
  ctx: Ctx,
  t: readonly string[],
  mixerOnly = false,
): Setting | undefined {
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

/** Read `t` as `<setting> <value>` and apply it; false when `t` names no setting. */
export function settingPhrase(ctx: Ctx, t: readonly string[]): boolean {
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

/**
 * `mix reverb size 0.8`, `master volume 0.8`: a mixer setting and its value. On a
 * failure, `strict` leaves the word `master` out of the unknown words.
 */
export function mixerSetting(ctx: Ctx, t: readonly string[], strict: boolean): void {
  const found = findSetting(ctx, t, true);
  if (found === undefined || found.kind !== "mixer") {
    if (strict) return unknownClause(t.filter((w) => w !== "master"));
    return unknownClause(t);
  }
  applySetting(ctx, found, t.slice(found.used));
}
