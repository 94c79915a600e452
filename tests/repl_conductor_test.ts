import assert from "node:assert/strict";
import type { CommandSpec } from "../engine/command.ts";
import { noteOff, noteOn } from "../engine/command.ts";
import type { EngineControl, EngineStatus } from "../engine/control.ts";
import { RackTarget } from "../dsp/rack.ts";
import { Conductor, scriptPace } from "../repl/conductor.ts";
import { PatchModel } from "../repl/patch_model.ts";
import { createPhraseParser } from "../repl/phrase_parser.ts";
import { CHRONUS_PARSERS, phraseParsers } from "../repl/parsers.ts";
import { runLineSession } from "../repl/line_session.ts";

const LEAD = RackTarget.FirstInstrument;

/** Records every batch sent, with the time it arrived. */
class TimedEngine implements EngineControl {
  readonly sent: { at: number; specs: readonly CommandSpec[] }[] = [];
  readonly start = performance.now();
  send(specs: readonly CommandSpec[]): void {
    this.sent.push({ at: performance.now() - this.start, specs });
  }
  status(): EngineStatus {
    throw new Error("no status here");
  }
  injectFault(): void {
    throw new Error("no faults here");
  }
}

async function session(lines: string[], engine = new TimedEngine(), model = new PatchModel()) {
  const conductor = new Conductor(engine, model);
  const out: string[] = [];
  await runLineSession({
    engine,
    parsers: phraseParsers(model, "test"),
    input: (async function* () {
      yield* lines;
    })(),
    write: (line) => out.push(line),
    afterSend: conductor.hook("test"),
    pace: scriptPace,
  });
  return { engine, model, conductor, out };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("a timed note's release is sent when due, from the tempo", async () => {
  const { engine, conductor, out } = await session(["tempo 240", "play C4 for 1 beat"]);
  assert.equal(out[0], "ok  tempo 240 bpm", out.join("\n"));
  // The script paced itself by the phrase's span (250 ms at 240 bpm): the release is out.
  assert.equal(conductor.pending, 0, out.join("\n"));
  const on = engine.sent.find((s) => s.specs.some((c) => c.opcode === noteOn(LEAD, 60, 1).opcode));
  const off = engine.sent.find((s) => s.specs.some((c) => c.opcode === noteOff(LEAD, 60).opcode));
  assert.ok(on !== undefined && off !== undefined, JSON.stringify(engine.sent));
  assert.deepEqual(off.specs, [noteOff(LEAD, 60)]);
  const gap = off.at - on.at;
  assert.ok(gap >= 245 && gap < 600, `release ${gap} ms after the note, expected 250`);
});

Deno.test("scripts honour wait: the next line is read only after it", async () => {
  const { engine } = await session(["play C4", "wait 150ms", "play D4"]);
  const first = engine.sent[0];
  const last = engine.sent.at(-1);
  assert.deepEqual(last?.specs.at(-1), noteOn(LEAD, 62, 0.8));
  const gap = (last?.at ?? 0) - (first?.at ?? 0);
  assert.ok(gap >= 145, `D4 came ${gap} ms after C4, expected at least 150`);
});

Deno.test("panic cancels timed commands still pending; the model learns every accepted line", async () => {
  const engine = new TimedEngine();
  const model = new PatchModel();
  const conductor = new Conductor(engine, model);
  const parse = createPhraseParser(model, { source: "test" });
  const result = parse("play the C major scale");
  assert.ok(result.ok && result.action.kind === "commands");
  engine.send(result.action.specs);
  conductor.accepted(result.action, "test");
  assert.ok(conductor.pending > 0, "the scale's later notes are pending");
  const panic = parse("panic");
  assert.ok(panic.ok && panic.action.kind === "commands");
  engine.send(panic.action.specs);
  conductor.accepted(panic.action, "test");
  assert.equal(conductor.pending, 0);
  const sentBefore = engine.sent.length;
  await sleep(400);
  assert.equal(engine.sent.length, sentBefore, "nothing was sent after the panic");
  // Address commands update the model too: a relative phrase then starts from them.
  const cutoff = CHRONUS_PARSERS[1]?.("/inst/lead/filter/cutoff 1000");
  assert.ok(cutoff?.ok && cutoff.action.kind === "commands");
  conductor.accepted(cutoff.action, "test");
  const brighter = parse("brighter");
  assert.ok(brighter.ok && brighter.action.kind === "commands");
  assert.match(brighter.action.message, /cutoff 1500 Hz/);
});
