/**
 * Bad input on stdin while a tone plays, end to end: the `chronus` CLI on the
 * JACK dummy server gets malformed lines and random bytes through a pipe.
 * Every line is answered (one `ok`/`error` line each, in order, as the
 * parser predicts), the process keeps going to EOF, and `jack_rec` hears the
 * tone the whole time and the command sent after the garbage.
 */

import { REALTIME_V8_FLAGS } from "../engine/_v8_flags.ts";
import { assert, assertAlmostEquals, assertEquals } from "./_assert.ts";
import { longestSilentRun, record, requireJack, sleep } from "./_jack.ts";
import { magnitudeSpectrum, peakFrequency } from "./_spectrum.ts";
import { seededRandom } from "./_random.ts";
import { chronusParser, ROOT } from "./_run.ts";
import type { ParseResult } from "../repl/line_parser.ts";
import { linesFromReadable } from "../repl/line_input.ts";
import { ERROR_PREFIX, OK_PREFIX } from "../repl/line_session.ts";

/** Hand-written malformed lines: every kind of mistake the parser must refuse. */
const MALFORMED = [
  "play a C minor chord please",
  "/mod/sine/freq",
  "/mod/sine/freq NaN",
  "/mod/sine/freq Infinity",
  "/mod/sine/freq -Infinity",
  "/mod/sine/freq 1e308",
  "/mod/sine/freq -440",
  "/mod/sine/freq 0x1b8",
  "/mod/sine/freq 440 880",
  "/mod/sine/gain 1.5",
  "/mod/filter/resonance -0.1",
  "/mod/adsr/attack -5",
  "/gate/adsr 2",
  "/gate/adsr",
  "/mod/unknown/param 1",
  "/fault/kill everything",
  "/fault/hang",
  "mod/sine/freq 440",
  "//",
  "/",
  "/test extra",
  "\u0000\u0001\u0002",
  "/mod/sine/freq 4\u00a040",
  "x".repeat(5000),
];

/** Random bytes in lines: line breaks, UTF-8 lead/continuation bytes and anything else. */
function randomBytes(seed: number, count: number): Uint8Array {
  const random = seededRandom(seed);
  const bytes = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const r = random();
    bytes[i] = r < 0.04 ? 0x0a : r < 0.06 ? 0x0d : Math.floor(random() * 256);
  }
  return bytes;
}

/** The answer kinds the session must print for `bytes`, from the parsers themselves. */
async function expectedAnswers(
  bytes: Uint8Array,
  parse: (line: string) => ParseResult,
): Promise<string[]> {
  const kinds: string[] = [];
  for await (const line of linesFromReadable(ReadableStream.from([bytes]))) {
    const result = parse(line);
    if (result.ok && result.action.kind === "empty") continue;
    kinds.push(result.ok ? "ok" : "error");
  }
  return kinds;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

Deno.test("chronus answers every malformed line and random byte on stdin while the tone plays on", async () => {
  await requireJack();
  const encoder = new TextEncoder();
  const garbage = concat([
    encoder.encode(MALFORMED.join("\n") + "\n"),
    randomBytes(0xbad_1e5, 6000),
    encoder.encode("\n"),
  ]);
  const parse = chronusParser();
  const [testAnswer] = await expectedAnswers(encoder.encode("/test\n"), parse);
  const garbageAnswers = await expectedAnswers(garbage, parse);
  const [lastAnswer] = await expectedAnswers(encoder.encode("/mod/sine/freq 660\n"), parse);
  assert(garbageAnswers.length > 100, `only ${garbageAnswers.length} garbage lines`);
  // A stray word can be a valid phrase ("f" is forte): nearly all, not all, are errors.
  const errors = garbageAnswers.filter((kind) => kind === "error").length;
  assert(errors >= 0.95 * garbageAnswers.length, `${errors} of ${garbageAnswers.length} errors`);

  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--v8-flags=${REALTIME_V8_FLAGS}`,
      "main.ts",
      "start",
      "--device",
      "system",
      "--linger",
      "3",
      "--quiet",
    ],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  const stdin = child.stdin.getWriter();
  try {
    await stdin.write(encoder.encode("/test\n"));
    await sleep(1500); // start-up, then the tone settles
    const recording = record(3);
    await sleep(200);
    // Garbage in small chunks over about half a second, while the capture runs.
    for (let at = 0; at < garbage.length; at += 256) {
      await stdin.write(garbage.subarray(at, at + 256));
      await sleep(10);
    }
    await stdin.write(encoder.encode("/mod/sine/freq 660\n"));
    await stdin.close();
    const capture = await recording.done;
    const { code, stdout, stderr } = await output;
    const answers = new TextDecoder().decode(stdout).split("\n")
      .filter((line) => line.startsWith(OK_PREFIX) || line.startsWith(ERROR_PREFIX))
      .map((line) => line.startsWith(OK_PREFIX) ? "ok" : "error");
    const errorText = new TextDecoder().decode(stderr).trim();

    assertEquals(
      answers,
      [testAnswer, ...garbageAnswers, lastAnswer],
      "one answer per line, in order",
    );
    assertEquals([testAnswer, lastAnswer], ["ok", "ok"]);
    assertEquals(code, 1, `exit status 1 after failed lines; stderr: ${errorText}`);
    assert(!/panic|uncaught/i.test(errorText), `stderr: ${errorText}`);

    const left = capture.channels[0] as Float64Array;
    // A stop would be a run of silent blocks (128 zeros each). A stray valid
    // phrase in the garbage ("(c" plays C4) adds notes, and the sum can dwell
    // near zero a few samples (64 allowed). One late block (a 2.7 ms hiccup of this 2-core
    // VM, seen about one run in eight with or without garbage) is tolerated:
    // underruns are what tests/realtime_test.ts and the benchmarks measure.
    const silent = longestSilentRun(left, 1e-3, 2400);
    assert(silent < 128 + 64, `the tone never stopped (longest quiet run ${silent} samples)`);
    const early = peakFrequency(magnitudeSpectrum(left, { start: 4800, size: 16384 }));
    assertAlmostEquals(early, 440, 2, "the test tone plays through the garbage");
    const late = peakFrequency(
      magnitudeSpectrum(left, { start: left.length - 16384 - 2400, size: 16384 }),
    );
    assertAlmostEquals(late, 660, 2, "the command after the garbage took effect");
  } finally {
    await stdin.close().catch(() => {});
    await output.catch(() => {});
  }
});
