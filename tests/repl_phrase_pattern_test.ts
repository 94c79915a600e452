import assert from "node:assert/strict";
import {
  type CommandSpec,
  patternBegin,
  patternCommit,
  patternCursor,
  patternNote,
  patternStop,
  setParam,
} from "../engine/command.ts";
import { OfflineEngine } from "../engine/offline.ts";
import { RACK_ALL_TARGETS, RackTarget } from "../dsp/rack.ts";
import { TICKS_PER_BEAT, TransportParam } from "../dsp/sequencer.ts";
import { firstParser, type ParseResult } from "../repl/line_parser.ts";
import { PatchModel } from "../repl/patch_model.ts";
import { phraseParsers } from "../repl/parsers.ts";
import { patternTrack } from "../repl/phrase_pattern.ts";
import { onsets } from "./_spectrum.ts";

const BAR = 4 * TICKS_PER_BEAT;
const SIXTEENTH = TICKS_PER_BEAT / 4;
const V = 0.8;

/** A session's parser over `model`, committing what it accepts. */
function session(model = new PatchModel()): (line: string) => ParseResult {
  const parse = firstParser(phraseParsers(model, "local"));
  return (line) => {
    const result = parse(line);
    if (result.ok && result.action.kind === "commands") model.commit(result.action, "local");
    return result;
  };
}

function specsOf(result: ParseResult): readonly CommandSpec[] {
  assert.ok(result.ok, result.ok ? "" : result.error);
  assert.equal(result.action.kind, "commands");
  return result.action.kind === "commands" ? result.action.specs : [];
}

/** The commands a loop of `notes` ([tick, length, note]) makes, by the documented recipe. */
function loop(
  target: number,
  length: number,
  notes: readonly (readonly [number, number, number, number?])[],
  quantum = BAR,
): CommandSpec[] {
  const track = patternTrack(target);
  const out = [
    patternBegin(track, length, target === RackTarget.DrumStrip ? RackTarget.Drums : target),
  ];
  let cursor = "";
  for (const [tick, len, note, velocity = V] of notes) {
    if (`${tick}/${len}` !== cursor) out.push(patternCursor(track, tick, len));
    cursor = `${tick}/${len}`;
    out.push(patternNote(track, note, velocity));
  }
  out.push(patternCommit(track, quantum));
  return out;
}

Deno.test("seq: eight steps of a bar on bass, exact commands, from the next bar", () => {
  const parse = session();
  const eighth = TICKS_PER_BEAT / 2;
  const result = parse("seq bass c2 ~ c2 eb2 g2 ~ c3 ~");
  assert.deepEqual(
    specsOf(result),
    loop(RackTarget.FirstInstrument + 1, BAR, [
      [0, eighth, 36],
      [2 * eighth, eighth, 36],
      [3 * eighth, eighth, 39],
      [4 * eighth, eighth, 43],
      [6 * eighth, eighth, 48],
    ]),
  );
  assert.ok(result.ok && result.action.kind === "commands");
  assert.equal(
    result.action.message,
    "bass: pattern c2 ~ c2 eb2 g2 ~ c3 ~, 1 bar, from the next bar",
  );
  // The same as bass: seq …, and as pattern with quotes.
  assert.deepEqual(specsOf(parse("bass: seq c2 ~ c2 eb2 g2 ~ c3 ~")), specsOf(result));
  assert.deepEqual(specsOf(parse('bass: pattern "c2 ~ c2 eb2 g2 ~ c3 ~"')), specsOf(result));
});

Deno.test("pattern: mini-notation on the focused instrument, transposed, two bars for < >", () => {
  const model = new PatchModel();
  const parse = session(model);
  parse("lead: transpose up 2");
  const specs = specsOf(parse('pattern "c4 [e4 g4] <b4 a4> ~"'));
  const q = TICKS_PER_BEAT;
  assert.deepEqual(
    specs,
    loop(RackTarget.FirstInstrument, 2 * BAR, [
      [0, q, 62],
      [q, q / 2, 66],
      [1.5 * q, q / 2, 69],
      [2 * q, q, 73],
      [BAR, q, 62],
      [BAR + q, q / 2, 66],
      [BAR + 1.5 * q, q / 2, 69],
      [BAR + 2 * q, q, 71],
    ]),
  );
  assert.equal(model.toJSON().patterns.lead, 'lead: pattern "c4 [e4 g4] <b4 a4> ~"');
});

Deno.test("drums: a grid (x hits, X accents) and drum names in mini-notation", () => {
  const parse = session();
  assert.deepEqual(
    specsOf(parse("drums: kick X...x...x...x... snare ....x.......x...")),
    loop(RackTarget.Drums, BAR, [
      [0, SIXTEENTH, 36, 1],
      [4 * SIXTEENTH, SIXTEENTH, 36],
      [4 * SIXTEENTH, SIXTEENTH, 38],
      [8 * SIXTEENTH, SIXTEENTH, 36],
      [12 * SIXTEENTH, SIXTEENTH, 36],
      [12 * SIXTEENTH, SIXTEENTH, 38],
    ]),
  );
  const euclid = specsOf(parse('drums: pattern "bd(3,8), hh*2"'));
  assert.deepEqual(
    euclid,
    loop(RackTarget.Drums, BAR, [
      [0, 480, 36],
      [0, 1920, 42],
      [1440, 480, 36],
      [1920, 1920, 42],
      [2880, 480, 36],
    ]),
  );
});

Deno.test("arp: the chord's notes in turn over the octaves at the rate, in every order", () => {
  const parse = session();
  const up = specsOf(parse("arp C minor up 2 octaves 1/16"));
  const ladder = [60, 63, 67, 72, 75, 79];
  const at = (notes: number[], rate: number) =>
    notes.map((n, k) => [Math.round(k * rate), Math.round(rate / 2), n] as const);
  assert.deepEqual(up, loop(RackTarget.FirstInstrument, 6 * SIXTEENTH, at(ladder, SIXTEENTH)));
  const down = specsOf(parse("arp C minor down 2 octaves 1/16"));
  assert.deepEqual(
    down,
    loop(RackTarget.FirstInstrument, 6 * SIXTEENTH, at([...ladder].reverse(), SIXTEENTH)),
  );
  const updown = specsOf(parse("bass: arp c minor updown 1/8"));
  const triad = [36, 39, 43];
  assert.deepEqual(
    updown,
    loop(RackTarget.FirstInstrument + 1, 4 * 480, at([...triad, 39], 480)),
  );
  const triplets = specsOf(parse("arp c e g 1/8 triplets"));
  assert.deepEqual(triplets, loop(RackTarget.FirstInstrument, 3 * 320, at([60, 64, 67], 320)));
  // Random: a fixed shuffle of the same notes, the same each time.
  const random = specsOf(parse("arp C minor random 2 octaves"));
  assert.deepEqual(specsOf(parse("arp C minor random 2 octaves")), random);
  const notes = random.filter((s) => s.opcode === patternNote(0, 0, 1).opcode).map((s) => s.param);
  assert.deepEqual([...notes].sort((a, b) => a - b), ladder);
});

Deno.test("stop, quantize, swing, time signature: commands and what the model remembers", () => {
  const model = new PatchModel();
  const parse = session(model);
  parse("seq bass c2 c3");
  parse("drums: kick x...x...");
  assert.deepEqual(model.patternTargets, [RackTarget.FirstInstrument + 1, RackTarget.Drums]);
  assert.deepEqual(specsOf(parse("quantize beat")), []);
  assert.equal(model.quantize, TICKS_PER_BEAT);
  assert.deepEqual(specsOf(parse("stop bass")), [patternStop(1, TICKS_PER_BEAT)]);
  assert.deepEqual(specsOf(parse("stop drums at next bar")), [patternStop(4, BAR)]);
  assert.deepEqual(model.patternTargets, []);
  // Nothing looping on bass: "stop bass" releases its notes as before.
  assert.equal(specsOf(parse("stop bass"))[0]?.opcode, 6);
  parse("quantize bar");
  parse("seq keys c4");
  assert.deepEqual(specsOf(parse("stop patterns")), [patternStop(RACK_ALL_TARGETS, BAR)]);
  assert.deepEqual(specsOf(parse("swing 20%")), [
    setParam(TransportParam.Swing, 0.2, RackTarget.Transport),
  ]);
  assert.deepEqual(specsOf(parse("time signature 3/4")), [
    setParam(TransportParam.BeatsPerBar, 3, RackTarget.Transport),
  ]);
  assert.equal(model.quantize, 3 * TICKS_PER_BEAT, "a bar is now three beats");
  assert.deepEqual(
    specsOf(parse("seq bass c2")),
    loop(
      RackTarget.FirstInstrument + 1,
      3 * TICKS_PER_BEAT,
      [[0, 3 * TICKS_PER_BEAT, 36]],
      3 * TICKS_PER_BEAT,
    ),
  );
  assert.equal(model.toJSON().quantize, "bar");
});

Deno.test("seq: accents, velocities and chances reach the note commands", () => {
  const parse = session();
  const specs = specsOf(parse("seq bass c2! c2^0.3 c2? c2?0.25"));
  const notes = specs.filter((s) => s.opcode === patternNote(0, 0, 1).opcode);
  assert.deepEqual(
    notes.map((s) => [s.value, s.flags]),
    [[1, 0], [0.3, 0], [V, 32768], [V, 16384]],
  );
});

Deno.test("pattern phrases refuse junk with one line naming the problem, changing nothing", () => {
  const model = new PatchModel();
  const parse = session(model);
  const bad: [string, RegExp][] = [
    ["seq bass c2 zz", /"zz" is not a note/],
    ["pattern c4 [e4", /missing/],
    ['drums: pattern "bd foo"', /"foo" is not a drum/],
    ["seq bass c4 b9", /out of range/],
    ["seq " + "c4 ".repeat(300), /at most 256/],
    ["arp C minor 1/3", /rate 1\/3/],
    ["arp C minor 9 octaves", /1 to 4 octaves/],
    ["swing 80%", /swing 0 to 50%/],
    ["time signature 17/4", /1\/4 to 16\/4/],
    ["drums: arp c e g", /instruments, not drums/],
    ["flute: seq c4", /not an instrument/],
  ];
  for (const [line, reason] of bad) {
    const result = parse(line);
    assert.ok(!result.ok, line);
    if (!result.ok) {
      assert.match(result.error, reason, line);
      assert.ok(!result.error.includes("\n"));
    }
  }
  assert.deepEqual(model.patternTargets, []);
});

Deno.test("offline: a drum grid plays on its sixteenths; a new grid lands exactly on the next bar", () => {
  const engine = new OfflineEngine({ sampleRate: 48000, blockFrames: 128 });
  const parse = session();
  engine.send(specsOf(parse("drums: kick x...x...x...x...")));
  const first = engine.renderFrames(30_000); // whole blocks: 30 080 frames
  engine.send(specsOf(parse("drums: snare x...x...x...x...")));
  const rest = engine.renderFrames(4 * 48_000 - first.length / 2);
  const left = [...first, ...rest].filter((_, i) => i % 2 === 0);
  const found = onsets(left, { quiet: 4000 });
  // Beats every 24 000 frames from frame 0 (the first bar line), the same
  // drum latency each time; the snare from bar 2 (frame 96 000) on.
  assert.equal(found.length, 8, `onsets ${found}`);
  const lag = found[0] as number;
  assert.ok(lag >= 0 && lag < 64, `first kick at ${lag}`);
  const kicks = found.slice(0, 4);
  const snares = found.slice(4);
  assert.deepEqual(kicks.map((o) => o - lag), [0, 24_000, 48_000, 72_000]);
  const snareLag = (snares[0] as number) - 96_000;
  assert.ok(snareLag >= 0 && snareLag < 64, `first snare ${snareLag} frames after the bar line`);
  assert.deepEqual(snares.map((o) => o - snareLag), [96_000, 120_000, 144_000, 168_000]);
});
