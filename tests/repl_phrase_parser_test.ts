import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { seededRandom as prng } from "./_random.ts";
import { allNotesOff, noteOff, noteOn, patternStop, setParam } from "../engine/command.ts";
import { INSTRUMENT_PARAM_SPECS, InstrumentParam } from "../dsp/instrument.ts";
import { MIXER_PARAM_SPECS } from "../dsp/mixer.ts";
import { RACK_ALL_TARGETS, RackTarget } from "../dsp/rack.ts";
import type { LineAction, ParseResult } from "../repl/line_parser.ts";
import { firstParser } from "../repl/line_parser.ts";
import { CHRONUS_PARSERS } from "../repl/parsers.ts";
import { isPhraseAction, PatchModel, tempoParam } from "../repl/patch_model.ts";
import { createPhraseParser, isUndoAction, timedCommands } from "../repl/phrase_parser.ts";
import { BRIGHTNESS_STEP } from "../repl/phrase_vocabulary.ts";

const LEAD = RackTarget.FirstInstrument;
const BASS = RackTarget.FirstInstrument + 1;
const I = InstrumentParam;

function action(result: ParseResult): LineAction {
  if (!result.ok) throw new Error(`expected ok, got ${result.reason}: ${result.error}`);
  return result.action;
}

function specsOf(result: ParseResult) {
  const a = action(result);
  if (a.kind !== "commands") throw new Error(`expected commands, got ${a.kind}`);
  return a.specs;
}

function specsOfAction(a: LineAction) {
  if (a.kind !== "commands") throw new Error(`expected commands, got ${a.kind}`);
  return a.specs;
}

Deno.test("phrase: lines starting with / are left to the address parsers", () => {
  const parse = createPhraseParser(new PatchModel());
  for (const line of ["/status", "/inst/lead/note C4", "  /mod/sine/freq 440"]) {
    const result = parse(line);
    assert(!result.ok && result.reason === "unknown", line);
  }
});

Deno.test("phrase: blank lines and comments are empty", () => {
  const parse = createPhraseParser(new PatchModel());
  for (const line of ["", "   ", "# a comment", "\t# x"]) {
    assertEquals(action(parse(line)), { kind: "empty" });
  }
});

Deno.test("phrase: a phrase with one bad clause yields no commands (all or nothing)", () => {
  const parse = createPhraseParser(new PatchModel());
  for (
    const line of [
      "lead: saw, cutoff 1200, frobnicate",
      "play C4, brigther",
      "cutoff 800, resonance 5",
      "tempo 90, play h9",
      "add reverb; mute basss",
    ]
  ) {
    const result = parse(line);
    assert(!result.ok && result.reason === "invalid", line);
  }
  // The good clauses alone parse.
  assertEquals(specsOf(parse("lead: saw, cutoff 1200")), [
    setParam(I.Waveform, 1, LEAD),
    setParam(I.FilterCutoff, 1200, LEAD),
  ]);
});

Deno.test("phrase: parsing never changes the model", () => {
  const model = new PatchModel();
  const before = JSON.stringify(model.toJSON());
  const parse = createPhraseParser(model);
  for (
    const line of [
      "brighter, brighter",
      "mute bass",
      "solo lead",
      "use pad",
      "octave up",
      "tempo 90",
      "play C4 for 2 beats",
      "ff",
      "undo",
      "bass: play c2, darker",
    ]
  ) {
    parse(line);
  }
  assertEquals(JSON.stringify(model.toJSON()), before);
  assertEquals(model.undoDepth(), 0);
});

Deno.test("phrase: clauses build on each other through a private draft", () => {
  const model = new PatchModel();
  const parse = createPhraseParser(model);
  model.apply([setParam(I.FilterCutoff, 1000, LEAD)]);
  const step = BRIGHTNESS_STEP;
  assertEquals(specsOf(parse("darker, darker")), [
    setParam(I.FilterCutoff, 1000 / step, LEAD),
    setParam(I.FilterCutoff, 1000 / step / step, LEAD),
  ]);
  assertEquals(specsOf(parse("octave up, play C4, octave up, play C4")), [
    noteOn(LEAD, 72, 0.8),
    noteOn(LEAD, 84, 0.8),
  ]);
});

Deno.test("phrase: commit applies commands and ops; undo reverts them", () => {
  const model = new PatchModel();
  const parse = createPhraseParser(model);
  const initialCutoff = INSTRUMENT_PARAM_SPECS[I.FilterCutoff]?.initial ?? NaN;
  const a = action(parse("bass: cutoff 300, octave up, mute"));
  model.commit(a);
  assertEquals(model.param(BASS, I.FilterCutoff), 300);
  assertEquals(model.param(BASS, I.Gain), 0);
  assertEquals(model.transpose(BASS), 12);
  assertEquals(model.mutedGain(BASS), 0.5);
  const undo = action(parse("undo"));
  assert(isUndoAction(undo));
  assertEquals(
    new Set(specsOfAction(undo).map((s) => JSON.stringify(s))),
    new Set(
      [setParam(I.FilterCutoff, initialCutoff, BASS), setParam(I.Gain, 0.5, BASS)].map((s) =>
        JSON.stringify(s)
      ),
    ),
  );
  model.commit(undo);
  assertEquals(model.param(BASS, I.FilterCutoff), initialCutoff);
  assertEquals(model.param(BASS, I.Gain), 0.5);
  assertEquals(model.transpose(BASS), 0);
  assertEquals(model.mutedGain(BASS), undefined);
  assertEquals(model.undoDepth(), 0);
  const nothing = action(parse("undo"));
  assert(!isUndoAction(nothing));
  assertEquals(nothing, { kind: "commands", specs: [], message: "nothing to undo" });
});

Deno.test("phrase: undo history is per source", () => {
  const model = new PatchModel();
  const agent = createPhraseParser(model, { source: "agent" });
  const human = createPhraseParser(model, { source: "human" });
  model.commit(action(agent("cutoff 500")), "agent");
  model.commit(action(human("resonance 0.5")), "human");
  const undo = action(agent("undo"));
  assertEquals(specsOfAction(undo), [
    setParam(I.FilterCutoff, INSTRUMENT_PARAM_SPECS[I.FilterCutoff]?.initial ?? NaN, LEAD),
  ]);
  model.commit(undo, "agent");
  assertEquals(model.param(LEAD, I.FilterResonance), 0.5);
  assertEquals(model.undoDepth("human"), 1);
});

Deno.test("phrase: unmute restores the gain remembered by mute", () => {
  const model = new PatchModel();
  const parse = createPhraseParser(model);
  model.commit(action(parse("bass: volume 0.9")));
  model.commit(action(parse("mute bass")));
  assertEquals(specsOf(parse("unmute bass")), [setParam(I.Gain, 0.9, BASS)]);
  model.commit(action(parse("unmute bass")));
  assertEquals(model.mutedGain(BASS), undefined);
  assertEquals(model.param(BASS, I.Gain), 0.9);
});

Deno.test("phrase: focus changes where later phrases go", () => {
  const model = new PatchModel();
  const parse = createPhraseParser(model);
  const a = action(parse("use bass"));
  assert(isPhraseAction(a));
  model.commit(a);
  assertEquals(model.focus, BASS);
  assertEquals(specsOf(parse("play C")), [noteOn(BASS, 36, 0.8)]);
  assertEquals(model.toJSON().focus, "bass");
});

Deno.test("phrase: timed phrases carry a later list computed from the tempo", () => {
  const model = new PatchModel();
  const parse = createPhraseParser(model);
  const result = parse("tempo 60, play C4 for 2 beats, play E4 for 1 beat");
  const batches = timedCommands(result);
  const tempo = tempoParam();
  const first = [
    ...(tempo === undefined ? [] : [setParam(tempo.id, 60, RackTarget.Mixer)]),
    noteOn(LEAD, 60, 0.8),
  ];
  assertEquals(batches, [
    { atMs: 0, specs: first },
    { atMs: 2000, specs: [noteOff(LEAD, 60), noteOn(LEAD, 64, 0.8)] },
    { atMs: 3000, specs: [noteOff(LEAD, 64)] },
  ]);
  model.commit(action(result));
  assertEquals(model.tempo, 60);
  assertEquals(model.held(LEAD), []);
});

Deno.test("phrase: commit of a held note tracks it; panic clears every instrument", () => {
  const model = new PatchModel();
  const parse = createPhraseParser(model);
  model.commit(action(parse("play C4 E4")));
  model.commit(action(parse("bass: play C2")));
  assertEquals(model.toJSON().instruments.lead?.held, ["C4", "E4"]);
  assertEquals(action(parse("what is playing")), {
    kind: "commands",
    specs: [],
    message: "playing: lead C4 E4; bass C2",
  });
  const panic = action(parse("panic"));
  // Panic silences the loops too, at once.
  assertEquals(specsOf(parse("panic")), [
    allNotesOff(RACK_ALL_TARGETS),
    patternStop(RACK_ALL_TARGETS, 0),
  ]);
  model.commit(panic);
  assertEquals(model.held(LEAD), []);
  assertEquals(model.held(BASS), []);
});

Deno.test("phrase: queries map to status, help and info text", () => {
  const parse = createPhraseParser(new PatchModel());
  assertEquals(action(parse("status")), { kind: "status" });
  assertEquals(action(parse("help")), { kind: "help" });
  assertEquals(action(parse("quit")), { kind: "quit" });
  const filters = action(parse("help filters"));
  assert(filters.kind === "commands" && filters.message.includes("brighter"));
  const patch = action(parse("show patch"));
  assert(patch.kind === "commands" && patch.message.startsWith("lead: saw, cutoff 20000 Hz"));
  const bad = parse("help filtres");
  assert(!bad.ok && bad.error.includes('"filters"'), JSON.stringify(bad));
});

Deno.test("phrase: model toJSON names every parameter from the spec tables", () => {
  const json = new PatchModel().toJSON();
  assertEquals(Object.keys(json.instruments), ["lead", "bass", "pad", "keys"]);
  assertEquals(
    Object.keys(json.instruments.lead?.params ?? {}).length,
    INSTRUMENT_PARAM_SPECS.length,
  );
  assertEquals(Object.keys(json.mixer).length, MIXER_PARAM_SPECS.length);
  assertEquals(json.tempo, tempoParam()?.initial ?? 120);
  assertEquals(json.instruments.lead?.params["filter/cutoff"], 20000);
  assertEquals(JSON.parse(JSON.stringify(json)), json);
});

Deno.test("phrase: model clamps like the DSP and ignores non-finite values", () => {
  const model = new PatchModel();
  model.apply([
    setParam(I.FilterCutoff, 1e9, LEAD),
    setParam(I.Waveform, 2.4, LEAD),
    setParam(I.Gain, NaN, LEAD),
  ]);
  assertEquals(model.param(LEAD, I.FilterCutoff), 20000);
  assertEquals(model.param(LEAD, I.Waveform), 2);
  assertEquals(model.param(LEAD, I.Gain), 0.5);
  const copy = model.clone();
  copy.apply([setParam(I.Gain, 1, LEAD)]);
  assertEquals(model.param(LEAD, I.Gain), 0.5);
});

Deno.test("phrase: joins the Chronus parsers after the address parsers", () => {
  const model = new PatchModel();
  const parse = firstParser([...CHRONUS_PARSERS, createPhraseParser(model)]);
  assert(parse("/inst/lead/note C4").ok);
  assertEquals(specsOf(parse("play C4")), [noteOn(LEAD, 60, 0.8)]);
  const bad = parse("brigther");
  assert(!bad.ok && bad.error.includes('"brighter"'));
});

Deno.test("phrase: parsing is deterministic", () => {
  const a = createPhraseParser(new PatchModel());
  const b = createPhraseParser(new PatchModel());
  for (
    const line of [
      "play a C minor chord",
      "a bit brighter",
      "frobnicate",
      "play the d dorian scale",
    ]
  ) {
    assertEquals(a(line), b(line));
    assertEquals(a(line), a(line));
  }
});

const WORDS = [
  "play",
  "c4",
  "minor",
  "chord",
  "brighter",
  "a",
  "bit",
  "on",
  "bass:",
  "for",
  "2",
  "beats",
  "1/8",
  "cutoff",
  "800",
  "hz",
  "k",
  ",",
  "and",
  "then",
  "wait",
  "tempo",
  "mute",
  "undo",
  "reverb",
  "%",
  "-1",
  "1e999",
  "scale",
  "dorian",
  "inversion",
  "first",
  "ms",
  "x",
  "#",
  ":",
  "/",
];

Deno.test("phrase: 100,000 random lines never throw and always answer ok, invalid or unknown", () => {
  const model = new PatchModel();
  const parse = createPhraseParser(model);
  const random = prng(20240611);
  const decoder = new TextDecoder();
  const start = performance.now();
  for (let n = 0; n < 100_000; n++) {
    let line: string;
    const kind = n % 3;
    if (kind === 0) {
      const bytes = new Uint8Array(Math.floor(random() * 24));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      line = decoder.decode(bytes);
    } else if (kind === 1) {
      const count = 1 + Math.floor(random() * 8);
      const parts: string[] = [];
      for (let i = 0; i < count; i++) parts.push(WORDS[Math.floor(random() * WORDS.length)] ?? "");
      line = parts.join(random() < 0.8 ? " " : "");
    } else {
      let text = "";
      const length = Math.floor(random() * 16);
      for (let i = 0; i < length; i++) text += String.fromCharCode(32 + Math.floor(random() * 95));
      line = text;
    }
    const result = parse(line);
    assert(
      result.ok || result.reason === "invalid" || result.reason === "unknown",
      JSON.stringify(line),
    );
    if (!result.ok) assert(result.error.length > 0 && !result.error.includes("\n"));
  }
  const seconds = (performance.now() - start) / 1000;
  assert(seconds < 3, `took ${seconds.toFixed(2)} s`);
  assertEquals(model.undoDepth(), 0);
});
