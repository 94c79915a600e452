/**
 * Lines that must stand alone: `status`, `state`, `help [topic]`, `undo`,
 * `quit`, and the answers read from the model without changing the sound
 * (`what is playing`, `show [instrument]`, `tempo`).
 *
 * @module
 */

import { InstrumentParam } from "../dsp/instrument.ts";
import { SynthParam } from "../dsp/params.ts";
import { RackTarget } from "../dsp/rack.ts";
import { INSTRUMENT_NAMES } from "./instrument_parser.ts";
import { invalid, parsed, type ParseResult, shown } from "./line_parser.ts";
import { midiName, type PatchModel, type PhraseAction } from "./patch_model.ts";
import { HELP_TOPICS, VOICE_MODE_WORDS, WAVE_WORDS } from "./phrase_vocabulary.ts";
import { nearestOf, quoteList } from "./phrase_errors.ts";
import { fmt, instrumentTarget, nameOf } from "./phrase_words.ts";

/**
 * A line that must stand alone (a query, help, undo, quit), read from its clause `words`;
 * undefined when it is none. `undo` plans from `source`'s history in `model`.
 */
export function wholeLine(
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
