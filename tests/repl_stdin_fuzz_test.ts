/**
 * Stdin fuzz: 100,000 lines of random bytes, random vocabulary and random
 * printable text, split at random chunk boundaries, through the same path as
 * `chronus` reading a pipe (the line splitter, the session, the address and
 * phrase parsers) into a running offline engine. Every line is answered with
 * exactly one `ok` or `error` line, in order, as the parsers predict; the
 * session never throws; the engine renders finite audio under the ceiling
 * and still plays a note afterwards.
 */

import { OfflineEngine } from "../engine/offline.ts";
import { firstParser } from "../repl/line_parser.ts";
import { linesFromReadable } from "../repl/line_input.ts";
import { ERROR_PREFIX, OK_PREFIX, runLineSession } from "../repl/line_session.ts";
import { phraseParsers } from "../repl/parsers.ts";
import { PatchModel } from "../repl/patch_model.ts";
import { PatchStore } from "../repl/patch_store.ts";
import { VOCABULARY } from "../repl/phrase_vocabulary.ts";
import { assert, assertEquals } from "./_assert.ts";
import { seededRandom } from "./_random.ts";
import { chronusParser } from "./_run.ts";
import { magnitudeSpectrum, maxAbs, peakFrequency } from "./_spectrum.ts";

const LINES = 100_000;

/** Extra words the vocabulary list may not hold: addresses, numbers, units. */
const EXTRA = ["/inst/lead/note", "/mix/reverb/size", "/drums/kick", "440", "-3", "NaN", "1e30"];

/** One random line (no line breaks): random bytes, vocabulary or printable ASCII. */
function randomLine(random: () => number, words: readonly string[]): Uint8Array {
  const kind = Math.floor(random() * 3);
  if (kind === 0) {
    const bytes = new Uint8Array(Math.floor(random() * 24));
    for (let i = 0; i < bytes.length; i++) {
      const b = Math.floor(random() * 256);
      bytes[i] = b === 0x0a || b === 0x0d ? 0x20 : b;
    }
    return bytes;
  }
  let text = "";
  if (kind === 1) {
    const count = 1 + Math.floor(random() * 6);
    const parts: string[] = [];
    for (let i = 0; i < count; i++) parts.push(words[Math.floor(random() * words.length)] ?? "");
    text = parts.join(random() < 0.85 ? " " : ", ");
  } else {
    const length = Math.floor(random() * 20);
    for (let i = 0; i < length; i++) text += String.fromCharCode(32 + Math.floor(random() * 95));
  }
  return new TextEncoder().encode(text);
}

Deno.test("stdin: 100,000 random lines, each answered once and in order; the engine plays on", async () => {
  const random = seededRandom(0x5eed);
  const words = [...VOCABULARY, ...EXTRA];
  const predict = chronusParser();
  const decoder = new TextDecoder();
  const lines: Uint8Array[] = [];
  const expected: string[] = [];
  while (lines.length < LINES) {
    const line = randomLine(random, words);
    // What the splitter will hand the session (invalid UTF-8 replaced).
    const result = predict(decoder.decode(line));
    // A stray "quit" would end the session early: left out of the input.
    if (result.ok && result.action.kind === "quit") continue;
    lines.push(line);
    if (!(result.ok && result.action.kind === "empty")) expected.push(result.ok ? "ok" : "error");
  }
  // The whole input, cut into random chunks (a pipe delivers arbitrary pieces).
  const total = lines.reduce((n, l) => n + l.length + 1, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const line of lines) {
    bytes.set(line, at);
    bytes[at + line.length] = 0x0a;
    at += line.length + 1;
  }
  const chunks: Uint8Array[] = [];
  for (let from = 0; from < bytes.length;) {
    const size = 1 + Math.floor(random() * 700);
    chunks.push(bytes.subarray(from, from + size));
    from += size;
  }

  const engine = new OfflineEngine();
  const answers: string[] = [];
  const model = new PatchModel();
  let sent = 0;
  const result = await runLineSession({
    engine,
    parsers: phraseParsers(
      model,
      "local",
      new PatchStore(Deno.makeTempDirSync({ prefix: "chronus-patches-" })),
    ),
    input: linesFromReadable(ReadableStream.from(chunks)),
    write: (line) => {
      if (line.startsWith(OK_PREFIX)) answers.push("ok");
      else if (line.startsWith(ERROR_PREFIX)) answers.push("error");
    },
    afterSend: (action) => {
      model.commit(action, "local");
      // Keep the engine running: a block after every 50 sends.
      if (++sent % 50 === 0) engine.renderFrames(engine.blockFrames);
    },
    wait: () => {}, // `wait` phrases: no real waiting in a test
  });

  assertEquals(result.lines, LINES);
  assertEquals(answers.length, expected.length, "one answer per line");
  assertEquals(answers, expected, "the answers the parsers predict, in order");
  assert(expected.filter((a) => a === "ok").length > 1000, "many lines were valid phrases");

  // The engine plays on: finite and under the ceiling. (The master guard may
  // count a DC-runaway fault: here a few hundred notes start in the same
  // 100 ms, dozens of low saws in phase, whose slow mean passes its 0.25
  // threshold; it removes the offset and counts it, and the sound goes on.)
  const audio = engine.renderFrames(48000);
  assert(audio.every(Number.isFinite) && maxAbs(audio) <= 1, `peak ${maxAbs(audio)}`);
  // And a note still sounds, once whatever the fuzz muted is undone.
  const recover = [
    "panic",
    "/mix/gain 1",
    ...[
      "gain 1",
      "pan 0",
      "osc/wave sine",
      "osc/detune 0",
      "osc/sub 0",
      "osc/fm/index 0",
      "filter/mode lowpass",
      "filter/cutoff 20000",
      "filter/env 0",
      "amp/attack 0",
      "amp/sustain 1",
      "mode poly",
      "voices 16",
      "drive/mix 0",
      "chorus/mix 0",
      "comp/mix 0",
    ].map((p) => `/inst/lead/${p}`),
  ];
  const parse = firstParser(phraseParsers(new PatchModel(), "local"));
  for (const line of recover) {
    const r = parse(line);
    assert(r.ok && r.action.kind === "commands", `${line}: ${r.ok ? r.action.kind : r.error}`);
    engine.send(r.action.specs);
  }
  engine.renderFrames(24000); // every tail rings out, every glide lands
  const note = parse("/inst/lead/note A4 1");
  assert(note.ok && note.action.kind === "commands");
  engine.send(note.action.specs);
  engine.renderFrames(4800);
  const after = engine.renderFrames(16384);
  const left = after.filter((_, i) => i % 2 === 0);
  assert(maxAbs(left) > 0.01, "a note after the fuzz");
  const peak = peakFrequency(magnitudeSpectrum(left, { size: 8192 }));
  assert(Math.abs(peak - 440) < 3, `A4 after the fuzz, peak at ${peak} Hz`);
});
