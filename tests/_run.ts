/**
 * Test helpers shared by the end-to-end tests: run a Deno program of this
 * repository with text on its standard input, read lines the way `chronus`
 * does, and a loop whose onsets measure the clock.
 *
 * @module
 */

import {
  type CommandSpec,
  patternBegin,
  patternCommit,
  patternCursor,
  patternNote,
  setParam,
} from "../engine/command.ts";
import { InstrumentParam } from "../dsp/instrument.ts";
import { RackTarget } from "../dsp/rack.ts";
import { firstParser, type ParseResult } from "../repl/line_parser.ts";
import { phraseParsers } from "../repl/parsers.ts";
import { PatchModel } from "../repl/patch_model.ts";
import { PatchStore } from "../repl/patch_store.ts";

/** The repository root. */
export const ROOT: string = new URL("..", import.meta.url).pathname;

/** What a finished program printed, and its exit code. */
export interface RunOutput {
  /** Exit code. */
  readonly code: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
}

/** Run `deno run -A <args…>` from the repository root with `stdin` on its input. */
export async function runDeno(args: readonly string[], stdin = ""): Promise<RunOutput> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const output = await child.output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** `chronus send --osc-port <port> <args…>` (stdin for `send -`): exit code and trimmed output. */
export async function chronusSend(
  port: number,
  args: readonly string[],
  stdin = "",
): Promise<{ code: number; out: string }> {
  const { code, stdout } = await runDeno(
    ["main.ts", "send", "--osc-port", String(port), ...args],
    stdin,
  );
  return { code, out: stdout.trim() };
}

/**
 * The parsers as `chronus` runs them (address commands, then phrases over a
 * patch model that learns every accepted line), to predict its answers.
 */
export function chronusParser(): (line: string) => ParseResult {
  const model = new PatchModel();
  // The same list chronus builds for its terminal (source "local"), with a
  // patch library of its own: a stray "save patch" writes there.
  const patches = new PatchStore(Deno.makeTempDirSync({ prefix: "chronus-patches-" }));
  const parse = firstParser(phraseParsers(model, "local", patches));
  return (line) => {
    const result = parse(line);
    if (result.ok && result.action.kind === "commands") model.commit(result.action, "local");
    return result;
  };
}

/**
 * Commands for a test loop on the lead (sequencer track 0): a short saw
 * note (attack 0, 5 ms release), `noteTicks` long, every `stepTicks` for
 * `steps` steps, playing at once. Every note starts the same way, so its
 * first loud sample is the same number of frames after its start each
 * time: onsets in a capture measure the clock, not the sound.
 */
export function noteLoop(stepTicks: number, steps: number, noteTicks: number): CommandSpec[] {
  const lead = RackTarget.FirstInstrument;
  return [
    setParam(InstrumentParam.Waveform, 1, lead),
    setParam(InstrumentParam.AmpAttack, 0, lead),
    setParam(InstrumentParam.AmpRelease, 5, lead),
    patternBegin(0, stepTicks * steps, lead),
    ...Array.from({ length: steps }, (_, k) => [
      patternCursor(0, k * stepTicks, noteTicks),
      patternNote(0, 57, 1),
    ]).flat(),
    patternCommit(0, 0),
  ];
}
