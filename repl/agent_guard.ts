/**
 * Guard-rails for non-human clients (OSC programs, agents): parameter
 * ranges clamped tighter than a person's, so a program cannot push levels
 * past unity gain or filters into self-oscillation. Applied to what they
 * send before it reaches the engine; a person at the REPL gets the full
 * ranges. (The master limiter's -0.3 dBFS ceiling applies to everyone.)
 *
 * @module
 */

import { type CommandSpec, Opcode } from "../engine/command.ts";
import { InstrumentParam } from "../dsp/instrument.ts";
import { MixerParam, StripParam } from "../dsp/mixer.ts";
import { SynthParam } from "../dsp/params.ts";
import { RackTarget } from "../dsp/rack.ts";
import type { LineParser, ParseResult } from "./line_parser.ts";
import { isPhraseAction } from "./patch_model.ts";

/** The largest gain (linear) any program may set: unity. */
export const AGENT_MAX_GAIN = 1;
/** The largest filter resonance a program may set (below self-oscillation). */
export const AGENT_MAX_RESONANCE = 0.9;
/** The highest limiter ceiling a program may set, in dBFS. */
export const AGENT_MAX_CEILING_DB = -1;

/** The most a program may set `param` of `target` to, or undefined when unrestricted. */
function agentMax(target: number, param: number): number | undefined {
  if (target >= RackTarget.FirstInstrument && target <= RackTarget.LastInstrument) {
    if (param === InstrumentParam.Gain) return AGENT_MAX_GAIN;
    if (param === InstrumentParam.FilterResonance) return AGENT_MAX_RESONANCE;
    return undefined;
  }
  switch (target) {
    case RackTarget.MiniSynth:
      return param === SynthParam.FilterResonance ? AGENT_MAX_RESONANCE : undefined;
    case RackTarget.Mixer:
      if (param === MixerParam.MasterGain) return AGENT_MAX_GAIN;
      return param === MixerParam.Ceiling ? AGENT_MAX_CEILING_DB : undefined;
    case RackTarget.MiniSynthStrip:
    case RackTarget.DrumStrip:
      return param === StripParam.Gain ? AGENT_MAX_GAIN : undefined;
  }
  return undefined;
}

/** `specs` with every restricted parameter clamped to a program's range; the count clamped. */
export function clampForAgents(specs: readonly CommandSpec[]): {
  specs: CommandSpec[];
  clamped: number;
} {
  let clamped = 0;
  const out = specs.map((spec) => {
    if (spec.opcode !== Opcode.SetParam) return spec;
    const max = agentMax(spec.target, spec.param);
    if (max === undefined || !(spec.value > max)) return spec;
    clamped++;
    return { ...spec, value: max };
  });
  return { specs: out, clamped };
}

/**
 * `parse`, with the commands of every accepted line clamped to a program's
 * ranges; the message says so when something was clamped.
 *
 * @example
 * ```ts
 * import { guardedParser } from "./agent_guard.ts";
 * import { parseChronusLine } from "./parsers.ts";
 * const parse = guardedParser(parseChronusLine);
 * const result = parse("/inst/lead/gain 2");
 * if (result.ok && result.action.kind === "commands") console.log(result.action.specs[0]?.value); // 1
 * ```
 */
export function guardedParser(parse: LineParser): LineParser {
  return (line: string): ParseResult => {
    const result = parse(line);
    if (!result.ok || result.action.kind !== "commands") return result;
    const action = result.action;
    const now = clampForAgents(action.specs);
    let clamped = now.clamped;
    // A phrase's timed parts (note lengths, scales) are clamped the same way.
    const later = isPhraseAction(action)
      ? action.later.map((batch) => {
        const guarded = clampForAgents(batch.specs);
        clamped += guarded.clamped;
        return { ...batch, specs: guarded.specs };
      })
      : undefined;
    if (clamped === 0) return result;
    const message = `${action.message} (limited to the range for programs)`;
    return {
      ok: true,
      action: { ...action, specs: now.specs, message, ...(later === undefined ? {} : { later }) },
    };
  };
}
