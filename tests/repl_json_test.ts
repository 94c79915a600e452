import assert from "node:assert/strict";
import { type CommandSpec, noteOn, setParam } from "../engine/command.ts";
import type { EngineControl, EngineStatus } from "../engine/control.ts";
import { InstrumentParam } from "../dsp/instrument.ts";
import { RackTarget } from "../dsp/rack.ts";
import { Conductor } from "../repl/conductor.ts";
import { runLineSession } from "../repl/line_session.ts";
import { PatchModel } from "../repl/patch_model.ts";
import { phraseParsers } from "../repl/parsers.ts";

const STATUS = {
  backend: "null",
  activeSlot: 0,
  failovers: 0,
  underruns: 0,
} as unknown as EngineStatus;

class Engine implements EngineControl {
  readonly sent: (readonly CommandSpec[])[] = [];
  send(specs: readonly CommandSpec[]): void {
    this.sent.push(specs);
  }
  status(): EngineStatus {
    return STATUS;
  }
  injectFault(): void {}
}

Deno.test("--json: exactly one JSON object per input line, with the exact commands", async () => {
  const engine = new Engine();
  const model = new PatchModel();
  const conductor = new Conductor(engine, model);
  const lines = [
    "/inst/lead/note C4",
    "lead: cutoff 1200",
    "frobnicate",
    "",
    "# a comment",
    "/inst/lead/filter/cutoff NaN",
    "state --json",
  ];
  const out: string[] = [];
  const result = await runLineSession({
    engine,
    parsers: phraseParsers(model, "json"),
    input: (async function* () {
      yield* lines;
    })(),
    write: (line) => out.push(line),
    afterSend: conductor.hook("json"),
    patchState: () => model.toJSON(),
    json: true,
  });
  assert.equal(out.length, lines.length, out.join("\n"));
  const answers = out.map((line) => JSON.parse(line));
  const lead = RackTarget.FirstInstrument;
  assert.deepEqual(answers[0], {
    ok: true,
    input: "/inst/lead/note C4",
    commands: [noteOn(lead, 60, 0.8)],
    message: "lead note C4 (60) velocity 0.8",
  });
  assert.deepEqual(answers[1].commands, [setParam(InstrumentParam.FilterCutoff, 1200, lead)]);
  assert.equal(answers[2].ok, false);
  assert.match(answers[2].message, /unknown word "frobnicate"/);
  assert.deepEqual(answers[3], { ok: true, input: "", commands: [], message: "" });
  assert.deepEqual(answers[4], { ok: true, input: "# a comment", commands: [], message: "" });
  assert.equal(answers[5].ok, false);
  assert.deepEqual(answers[5].commands, []);
  const state = answers[6];
  assert.equal(state.tempo, 120);
  assert.equal(state.instruments.lead.params["filter/cutoff"], 1200);
  assert.deepEqual(state.engine, STATUS);
  assert.equal(result.failures, 2);
  assert.deepEqual(engine.sent, [[noteOn(lead, 60, 0.8)], [
    setParam(InstrumentParam.FilterCutoff, 1200, lead),
  ]]);
});
