/**
 * Channel clauses: give an instrument the focus (`bass`, `use pad`), `switch
 * to saw` and friends, and mute, unmute, solo and unsolo channels.
 *
 * @module
 */

import { setParam } from "../engine/command.ts";
import { InstrumentParam } from "../dsp/instrument.ts";
import { StripParam } from "../dsp/mixer.ts";
import { RackTarget } from "../dsp/rack.ts";
import { INSTRUMENT_NAMES } from "./instrument_parser.ts";
import { FILTER_MODE_WORDS, PRESETS, VOICE_MODE_WORDS, WAVE_WORDS } from "./phrase_vocabulary.ts";
import { type Ctx, emit, op, say } from "./phrase_context.ts";
import { fail, unknownClause, unknownWord } from "./phrase_errors.ts";
import { preset } from "./phrase_adjust.ts";
import { isWaveTail, setChoice } from "./phrase_settings.ts";
import { channelTarget, DRUMS_WORD, instrumentTarget, nameOf } from "./phrase_words.ts";

/** Give instrument `word` the focus, for this phrase and the lines after it. */
export function focus(ctx: Ctx, word: string): void {
  const target = instrumentTarget(word);
  if (target === undefined) {
    fail(`only an instrument can have the focus: ${INSTRUMENT_NAMES.join(", ")}`);
  }
  op(ctx, { kind: "focus", target });
  ctx.target = target;
  say(ctx, "", `focus ${word}`);
}

/**
 * `use bass`, `switch to saw`, `select lowpass filter`, `use pluck`: focus an instrument,
 * or set a wave, filter mode, voice mode or envelope preset.
 */
export function switchTo(ctx: Ctx, args: readonly string[]): void {
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

const CHANNELS: readonly number[] = [
  ...INSTRUMENT_NAMES.map((_, k) => RackTarget.FirstInstrument + k),
  RackTarget.DrumStrip,
];

function gainParamOf(target: number): number {
  return target === RackTarget.DrumStrip ? StripParam.Gain : InstrumentParam.Gain;
}

/**
 * `mute`, `unmute`, `solo`, `unsolo` (the `verb`) of the channel named in `args`, `all`, or the
 * phrase's target. A muted channel's gain goes to 0 and is restored on unmute.
 */
export function mute(ctx: Ctx, verb: string, args: readonly string[]): void {
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
