import assert from "node:assert/strict";
import { setParam } from "../engine/command.ts";
import { InstrumentParam } from "../dsp/instrument.ts";
import { MixerParam } from "../dsp/mixer.ts";
import { RackTarget } from "../dsp/rack.ts";
import {
  AGENT_MAX_CEILING_DB,
  AGENT_MAX_GAIN,
  AGENT_MAX_RESONANCE,
  clampForAgents,
  guardedParser,
} from "../repl/agent_guard.ts";
import { parseChronusLine } from "../repl/parsers.ts";
import { firstParser } from "../repl/line_parser.ts";
import { CHRONUS_PARSERS } from "../repl/parsers.ts";
import { isPhraseAction, PatchModel } from "../repl/patch_model.ts";
import { createPhraseParser } from "../repl/phrase_parser.ts";

const LEAD = RackTarget.FirstInstrument;

function specsOf(result: ReturnType<typeof parseChronusLine>) {
  assert.ok(result.ok && result.action.kind === "commands", JSON.stringify(result));
  return result.action;
}

Deno.test("programs get gains at most unity, resonance below self-oscillation, a lower ceiling", () => {
  const parse = guardedParser(parseChronusLine);
  assert.deepEqual(specsOf(parse("/inst/lead/gain 2")).specs, [
    setParam(InstrumentParam.Gain, AGENT_MAX_GAIN, LEAD),
  ]);
  assert.deepEqual(specsOf(parse("/inst/bass/filter/resonance 1")).specs, [
    setParam(InstrumentParam.FilterResonance, AGENT_MAX_RESONANCE, LEAD + 1),
  ]);
  assert.deepEqual(specsOf(parse("/mix/gain 4")).specs, [
    setParam(MixerParam.MasterGain, AGENT_MAX_GAIN, RackTarget.Mixer),
  ]);
  assert.deepEqual(specsOf(parse("/mix/ceiling -0.3")).specs, [
    setParam(MixerParam.Ceiling, AGENT_MAX_CEILING_DB, RackTarget.Mixer),
  ]);
  assert.match(specsOf(parse("/inst/lead/gain 2")).message, /limited to the range for programs/);
});

Deno.test("values inside the programs' range and other commands pass untouched", () => {
  const parse = guardedParser(parseChronusLine);
  for (
    const line of ["/inst/lead/gain 0.7", "/inst/lead/note C4", "/mix/reverb/size 1", "/drums/kick"]
  ) {
    assert.deepEqual(parse(line), parseChronusLine(line), line);
  }
  const invalid = parse("/inst/lead/gain NaN");
  assert.equal(invalid.ok, false, "errors pass through");
  assert.deepEqual(clampForAgents([setParam(InstrumentParam.Gain, NaN, LEAD)]).clamped, 0);
});

Deno.test("phrases are clamped too, and keep their timed parts", () => {
  const model = new PatchModel();
  const parse = guardedParser(firstParser([...CHRONUS_PARSERS, createPhraseParser(model)]));
  const loud = specsOf(parse("lead: volume 200%, resonance 1, play C4 for 1 beat"));
  assert.deepEqual(loud.specs.slice(0, 2), [
    setParam(InstrumentParam.Gain, AGENT_MAX_GAIN, LEAD),
    setParam(InstrumentParam.FilterResonance, AGENT_MAX_RESONANCE, LEAD),
  ]);
  assert.match(loud.message, /limited to the range for programs/);
  assert.ok(isPhraseAction(loud), "still a phrase: ops and timed parts kept");
  assert.equal(loud.later.length, 1, "the note's release is still scheduled");
});
