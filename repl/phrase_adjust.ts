/**
 * Relative and shortcut changes of the sound: `brighter`, `louder`, `more
 * reverb`, `longer release`, `bigger room`, `add reverb`, `no delay`, `dry`,
 * envelope presets (`pluck`), `staccato` and `master louder`. Relative steps
 * are scaled by the clause's amount (`a bit`, `much`).
 *
 * @module
 */

import { type CommandSpec, setParam } from "../engine/command.ts";
import { InstrumentParam } from "../dsp/instrument.ts";
import { MIXER_PARAM_SPECS } from "../dsp/mixer.ts";
import { RackTarget } from "../dsp/rack.ts";
import {
  BRIGHTNESS_STEP,
  LOUDNESS_STEP_DB,
  PRESETS,
  STACCATO_RELEASE_MS,
} from "./phrase_vocabulary.ts";
import { type Ctx, emit, instrumentOnly, say } from "./phrase_context.ts";
import { fail, unknownClause } from "./phrase_errors.ts";
import { findSetting, mixerSetting, paramOf, setValue, stepParam } from "./phrase_settings.ts";
import { clampTo, displayName } from "./phrase_values.ts";
import { fmt, nameOf } from "./phrase_words.ts";

/** Gain `louder` starts from when the gain is (nearly) 0, so it can rise again. */
const GAIN_FLOOR = 0.05;

/** `brighter` / `darker` / `duller`: one filter-cutoff step of the phrase's instrument. */
export function brightness(ctx: Ctx, word: string, rest: readonly string[]): void {
  if (rest.length > 0) unknownClause(rest);
  instrumentOnly(ctx, "filter");
  const { range } = paramOf(ctx, "filter/cutoff");
  const now = ctx.draft.param(ctx.target, InstrumentParam.FilterCutoff);
  const factor = BRIGHTNESS_STEP ** ctx.amount;
  const value = clampTo(range, word === "brighter" ? now * factor : now / factor);
  setValue(ctx, "filter/cutoff", value, "cutoff");
}

/** `louder` / `quieter` / `softer`: one gain step of the phrase's channel. */
export function loudness(ctx: Ctx, word: string, rest: readonly string[]): void {
  if (rest.length > 0) unknownClause(rest);
  const name = "gain";
  const { id, range } = paramOf(ctx, name);
  const now = ctx.draft.param(ctx.target, id);
  const factor = 10 ** ((LOUDNESS_STEP_DB * ctx.amount) / 20);
  const base = word === "louder" && now < GAIN_FLOOR ? GAIN_FLOOR : now;
  const value = clampTo(range, word === "louder" ? base * factor : base / factor);
  setValue(ctx, name, value, "gain");
}

/** An envelope preset (`pluck`, `pad`, …, see {@linkcode PRESETS}) on the phrase's instrument. */
export function preset(ctx: Ctx, word: string): void {
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

/** `staccato`: a short release on the phrase's instrument. */
export function staccato(ctx: Ctx): void {
  instrumentOnly(ctx, "envelope");
  setValue(ctx, "amp/release", STACCATO_RELEASE_MS, "staccato: release");
}

/** "more resonance", "less reverb", "more cutoff", "more attack". */
export function moreOrLess(ctx: Ctx, less: boolean, rest: readonly string[]): void {
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

/** True for the words of time parameters that `slower`/`faster` lengthen or shorten. */
export function isTimeParam(word: string): boolean {
  return word === "attack" || word === "decay" || word === "release" || word === "glide";
}

/** `longer release`, `shorter attack`, `slower attack`: one step of a time parameter. */
export function longer(ctx: Ctx, more: boolean, rest: readonly string[]): void {
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

/** `bigger room`, `smaller reverb`, `wider space`: one step of the mixer's reverb size. */
export function roomSize(ctx: Ctx, bigger: boolean, rest: readonly string[]): void {
  const what = rest.join(" ");
  if (what !== "reverb" && what !== "room" && what !== "space") {
    return rest.length === 0 ? fail(`bigger what? e.g. bigger room`) : unknownClause(rest);
  }
  stepParam(ctx, RackTarget.Mixer, "reverb/size", bigger ? 1 : -1);
}

/** `add reverb`, `add delay`, `add echo`: one step up of the channel's effect send. */
export function addEffect(ctx: Ctx, rest: readonly string[]): void {
  const what = rest.join(" ");
  if (what === "reverb") return stepParam(ctx, ctx.target, "send/reverb", 1);
  if (what === "delay" || what === "echo") return stepParam(ctx, ctx.target, "send/delay", 1);
  if (rest.length === 0) fail(`add what? e.g. add reverb, add delay`);
  return unknownClause(rest);
}

/** `no reverb`, `remove delay`, `no effects`: set effect sends of the channel to 0. */
export function effectOff(ctx: Ctx, rest: readonly string[]): void {
  const what = rest.join(" ");
  if (what === "reverb") return setValue(ctx, "send/reverb", 0);
  if (what === "delay" || what === "echo") return setValue(ctx, "send/delay", 0);
  if (what === "effects" || what === "fx") return dry(ctx);
  return unknownClause(rest);
}

/** `dry`: both effect sends of the phrase's channel to 0. */
export function dry(ctx: Ctx): void {
  const reverb = paramOf(ctx, "send/reverb");
  const delay = paramOf(ctx, "send/delay");
  emit(ctx, [setParam(reverb.id, 0, ctx.target), setParam(delay.id, 0, ctx.target)]);
  say(ctx, nameOf(ctx.target), "dry (reverb and delay sends 0)");
}

/**
 * `master louder` / `master quieter` (one mixer-gain step), or a mixer setting such as
 * `master volume 0.8`.
 */
export function master(ctx: Ctx, rest: readonly string[]): void {
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
