/**
 * Address commands for the instruments, the drum kit and the mixer:
 *
 * - `/inst/<name>/<param> <value>`: e.g. `/inst/lead/filter/cutoff 800`,
 *   `/inst/lead/osc/wave saw`, `/inst/bass/mode legato`;
 * - `/inst/<name>/note <note> [velocity]`, `/inst/<name>/off <note>`,
 *   `/inst/<name>/panic`: notes as MIDI numbers (60) or names (C4, F#3, Bb2);
 * - `/drums/<drum> [velocity]` plays a drum, `/drums/<drum>/<param> <value>`
 *   sets it (level, tune, decay, tone, pan);
 * - `/mix/<param> <value>`: master gain, reverb and delay, limiter ceiling.
 *
 * Names, ranges and units come from the DSP modules' spec tables, so the
 * parser and the sound never disagree about what a value may be.
 *
 * @module
 */

import { allNotesOff, type CommandSpec, noteOff, noteOn, setParam } from "../engine/command.ts";
import { INSTRUMENT_PARAM_SPECS, type InstrumentParamSpec } from "../dsp/instrument.ts";
import {
  DRUM_COUNT,
  DRUM_PARAM_COUNT,
  DRUM_SPECS,
  DRUM_TUNE_RANGE,
  DrumParam,
} from "../dsp/drums.ts";
import { MIXER_PARAM_SPECS, type MixerParamSpec } from "../dsp/mixer.ts";
import { Waveform } from "../dsp/oscillator.ts";
import { SvfMode } from "../dsp/svf.ts";
import { VoiceMode } from "../dsp/voice_allocator.ts";
import { INSTRUMENT_TARGETS, RackTarget } from "../dsp/rack.ts";
import { parseDecimal } from "./address_parser.ts";
import { checkLine, invalid, parsed, type ParseResult, shown, unknown } from "./line_parser.ts";

/** The instruments' names, in target order: `/inst/lead/...` is the first instrument. */
export const INSTRUMENT_NAMES: readonly string[] = ["lead", "bass", "pad", "keys"].slice(
  0,
  INSTRUMENT_TARGETS,
);

/** Velocity of a note or drum hit given without one. */
export const DEFAULT_VELOCITY = 0.8;

/** Words accepted for the instrument parameters that are choices. */
const CHOICES: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map([
  ["osc/wave", words(Waveform)],
  ["filter/mode", new Map([...words(SvfMode), ["lp", 0], ["hp", 1], ["bp", 2]])],
  ["mode", words(VoiceMode)],
]);

function words(table: Readonly<Record<string, number>>): Map<string, number> {
  return new Map(Object.entries(table).map(([key, value]) => [key.toLowerCase(), value]));
}

const NOTE_NAME = /^([a-g])([#b]?)(-1|[0-9])$/i;
const PITCH_CLASS: Readonly<Record<string, number>> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };

/**
 * A MIDI note number from `60` or a name like `C4` (= 60), `F#3`, `Bb2`,
 * `C-1` (= 0); `undefined` for anything else or outside 0..127.
 *
 * @example
 * ```ts
 * import { parseNote } from "./instrument_parser.ts";
 * console.log(parseNote("A4"), parseNote("c#5"), parseNote("64"), parseNote("H2")); // 69 73 64 undefined
 * ```
 */
export function parseNote(text: string): number | undefined {
  const match = NOTE_NAME.exec(text);
  let note: number | undefined;
  if (match !== null) {
    const [, letter = "", accidental = "", octave = ""] = match;
    const shift = accidental === "#" ? 1 : accidental.toLowerCase() === "b" ? -1 : 0;
    note = (Number(octave) + 1) * 12 + (PITCH_CLASS[letter.toLowerCase()] ?? 0) + shift;
  } else {
    const value = parseDecimal(text);
    if (value !== undefined && Number.isInteger(value)) note = value;
  }
  return note !== undefined && note >= 0 && note <= 127 ? note : undefined;
}

/** The name of MIDI note `note`, e.g. 61 → "C#4". */
export function noteName(note: number): string {
  const names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
  return `${names[note % 12]}${Math.floor(note / 12) - 1}`;
}

/** One drum parameter's range, for `/drums/<drum>/<param>`. */
interface DrumParamRange {
  readonly id: number;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
}

function drumParamRange(drum: number, name: string): DrumParamRange | undefined {
  const spec = DRUM_SPECS[drum];
  if (spec === undefined) return undefined;
  switch (name) {
    case "level":
      return { id: DrumParam.Level, min: 0, max: 1, unit: "" };
    case "tune":
      return { id: DrumParam.Tune, min: -DRUM_TUNE_RANGE, max: DRUM_TUNE_RANGE, unit: "st" };
    case "decay":
      return { id: DrumParam.Decay, min: spec.minDecayMs, max: spec.maxDecayMs, unit: "ms" };
    case "tone":
      return { id: DrumParam.Tone, min: 0, max: 1, unit: "" };
    case "pan":
      return { id: DrumParam.Pan, min: -1, max: 1, unit: "" };
  }
  return undefined;
}

const DRUM_PARAM_NAMES = ["level", "tune", "decay", "tone", "pan"];

/** A few lines of help for these commands, for `/help`. */
export const INSTRUMENT_HELP: readonly { readonly usage: string; readonly summary: string }[] = [
  {
    usage: `/inst/<${INSTRUMENT_NAMES.join("|")}>/<param> <value>`,
    summary: `set an instrument parameter: ${INSTRUMENT_PARAM_SPECS.map((s) => s.name).join(", ")}`,
  },
  {
    usage: "/inst/<name>/note <C4|60> [velocity 0..1]",
    summary: "start a note (e.g. /inst/lead/note C4 0.8)",
  },
  { usage: "/inst/<name>/off <note>", summary: "release a note; /inst/<name>/panic releases all" },
  {
    usage: `/drums/<${DRUM_SPECS.map((s) => s.name).join("|")}> [velocity]`,
    summary: "play a drum (e.g. /drums/kick 1)",
  },
  {
    usage: "/drums/<drum>/<level|tune|decay|tone|pan> <value>",
    summary: "shape a drum (e.g. /drums/snare/decay 250)",
  },
  {
    usage: "/mix/<param> <value>",
    summary: `set the mixer: ${MIXER_PARAM_SPECS.map((s) => s.name).join(", ")}`,
  },
];

/**
 * Parse one instrument, drum or mixer command line. Lines that do not start
 * with `/inst/`, `/drums/` or `/mix/` answer `"unknown"` so other parsers
 * may take them. Never throws.
 *
 * @example
 * ```ts
 * import { parseInstrumentLine } from "./instrument_parser.ts";
 * const result = parseInstrumentLine("/inst/lead/filter/cutoff 800");
 * if (result.ok && result.action.kind === "commands") console.log(result.action.message);
 * // lead filter/cutoff 800 Hz
 * ```
 */
export function parseInstrumentLine(line: string): ParseResult {
  const bad = checkLine(line);
  if (bad !== undefined) return invalid(bad);
  const tokens = line.trim().split(/\s+/).filter((token) => token !== "");
  const hash = tokens.findIndex((token) => token.startsWith("#"));
  const [head, ...args] = hash < 0 ? tokens : tokens.slice(0, hash);
  if (head === undefined) return unknown("empty line");
  const path = head.toLowerCase().split("/");
  // path[0] is "" (the line starts with "/").
  if (path[0] !== "") return unknown(`not an address: ${shown(head)}`);
  switch (path[1]) {
    case "inst":
      return parseInstrument(head, path.slice(2), args);
    case "drums":
      return parseDrums(head, path.slice(2), args);
    case "mix":
      return parseMixer(head, path.slice(2).join("/"), args);
  }
  return unknown(`not an instrument command: ${shown(head)}`);
}

function parseInstrument(head: string, path: string[], args: readonly string[]): ParseResult {
  const [name = "", ...rest] = path;
  const index = INSTRUMENT_NAMES.indexOf(name);
  if (index < 0) {
    return invalid(
      `unknown instrument ${shown(name)}; instruments: ${INSTRUMENT_NAMES.join(", ")}`,
    );
  }
  const target = RackTarget.FirstInstrument + index;
  const what = rest.join("/");
  switch (what) {
    case "note": {
      const note = noteArgument(head, args, 2);
      if (typeof note !== "number") return note;
      const velocity = velocityArgument(head, args[1]);
      if (typeof velocity !== "number") return velocity;
      return commands(
        [noteOn(target, note, velocity)],
        `${name} note ${noteName(note)} (${note}) velocity ${velocity}`,
      );
    }
    case "off": {
      const note = noteArgument(head, args, 1);
      if (typeof note !== "number") return note;
      return commands([noteOff(target, note)], `${name} note ${noteName(note)} off`);
    }
    case "panic":
      if (args.length > 0) return invalid(`${head} takes no arguments, got ${args.length}`);
      return commands([allNotesOff(target)], `${name} all notes off`);
  }
  const spec = INSTRUMENT_PARAM_SPECS.find((s) => s.name === what);
  if (spec === undefined) {
    return invalid(
      `${shown(head)}: ${name} has no ${shown(what)}; try note, off, panic or ${
        INSTRUMENT_PARAM_SPECS.map((s) => s.name).join(", ")
      }`,
    );
  }
  const value = choiceOrNumber(head, spec, args);
  if (typeof value !== "number") return value;
  return commands(
    [setParam(spec.id, value, target)],
    `${name} ${spec.name} ${valueText(spec, value)}`,
  );
}

function parseDrums(head: string, path: string[], args: readonly string[]): ParseResult {
  const [name = "", param, ...extra] = path;
  const drum = DRUM_SPECS.find((spec) => spec.name === name);
  if (drum === undefined || extra.length > 0) {
    return invalid(
      `unknown drum ${shown(name)}; drums: ${DRUM_SPECS.map((s) => s.name).join(", ")}`,
    );
  }
  if (param === undefined) {
    if (args.length > 1) {
      return invalid(`${head} takes at most a velocity, got ${args.length} arguments`);
    }
    const velocity = velocityArgument(head, args[0]);
    if (typeof velocity !== "number") return velocity;
    return commands(
      [noteOn(RackTarget.Drums, drum.note, velocity)],
      `${name} velocity ${velocity}`,
    );
  }
  const range = drumParamRange(drum.id, param);
  if (range === undefined) {
    return invalid(`${shown(head)}: a drum has ${DRUM_PARAM_NAMES.join(", ")}`);
  }
  const value = numberArgument(head, args, range.min, range.max, range.unit);
  if (typeof value !== "number") return value;
  const id = drum.id * DRUM_PARAM_COUNT + range.id;
  return commands(
    [setParam(id, value, RackTarget.Drums)],
    `${name} ${param} ${value}${range.unit === "" ? "" : ` ${range.unit}`}`,
  );
}

function parseMixer(head: string, what: string, args: readonly string[]): ParseResult {
  const spec = MIXER_PARAM_SPECS.find((s) => s.name === what);
  if (spec === undefined) {
    return invalid(
      `${shown(head)}: the mixer has ${MIXER_PARAM_SPECS.map((s) => s.name).join(", ")}`,
    );
  }
  const value = spec.toggle === true
    ? toggleArgument(head, args)
    : numberArgument(head, args, spec.min, spec.max, spec.unit);
  if (typeof value !== "number") return value;
  return commands(
    [setParam(spec.id, value, RackTarget.Mixer)],
    `mix ${spec.name} ${mixerText(spec, value)}`,
  );
}

function commands(specs: CommandSpec[], message: string): ParseResult {
  return parsed({ kind: "commands", specs, message });
}

function noteArgument(head: string, args: readonly string[], most: number): number | ParseResult {
  const [text] = args;
  if (text === undefined) return invalid(`${head} needs a note: C4, F#3, Bb2 or 0..127`);
  if (args.length > most) {
    return invalid(
      `${head} takes at most ${most} argument${most === 1 ? "" : "s"}, got ${args.length}`,
    );
  }
  const note = parseNote(text);
  if (note === undefined) {
    return invalid(`${head} needs a note like C4, F#3 or 60 (0..127), got ${shown(text)}`);
  }
  return note;
}

function velocityArgument(head: string, text: string | undefined): number | ParseResult {
  if (text === undefined) return DEFAULT_VELOCITY;
  const value = parseDecimal(text);
  if (value === undefined || !Number.isFinite(value)) {
    return invalid(`${head} velocity must be a number from 0 to 1, got ${shown(text)}`);
  }
  if (value <= 0 || value > 1) {
    return invalid(`${head} velocity must be above 0 and at most 1, got ${value}`);
  }
  return value;
}

function numberArgument(
  head: string,
  args: readonly string[],
  min: number,
  max: number,
  unit: string,
): number | ParseResult {
  const [text, ...extra] = args;
  const units = unit === "" ? "" : ` ${unit}`;
  if (text === undefined) return invalid(`${head} needs a value: ${min}..${max}${units}`);
  if (extra.length > 0) return invalid(`${head} takes one value, got ${args.length} arguments`);
  const value = parseDecimal(text);
  if (value === undefined || !Number.isFinite(value)) {
    return invalid(`${head} needs a finite number (${min}..${max}${units}), got ${shown(text)}`);
  }
  if (value < min || value > max) {
    return invalid(`${head} must be between ${min} and ${max}${units}, got ${value}`);
  }
  return value;
}

function toggleArgument(head: string, args: readonly string[]): number | ParseResult {
  const [text, ...extra] = args;
  if (text === undefined) return invalid(`${head} needs on or off`);
  if (extra.length > 0) return invalid(`${head} takes one value, got ${args.length} arguments`);
  if (text === "on" || text === "1") return 1;
  if (text === "off" || text === "0") return 0;
  return invalid(`${head} needs on or off, got ${shown(text)}`);
}

function choiceOrNumber(
  head: string,
  spec: InstrumentParamSpec,
  args: readonly string[],
): number | ParseResult {
  const choices = CHOICES.get(spec.name);
  const [text, ...extra] = args;
  if (choices !== undefined && text !== undefined && extra.length === 0) {
    const chosen = choices.get(text.toLowerCase());
    if (chosen !== undefined) return chosen;
    if (parseDecimal(text) === undefined) {
      return invalid(`${head} needs one of ${[...choices.keys()].join(", ")}, got ${shown(text)}`);
    }
  }
  const value = numberArgument(head, args, spec.min, spec.max, spec.unit);
  if (typeof value === "number" && spec.integer === true && !Number.isInteger(value)) {
    return invalid(`${head} needs a whole number, got ${value}`);
  }
  return value;
}

function valueText(spec: InstrumentParamSpec, value: number): string {
  const choices = CHOICES.get(spec.name);
  if (choices !== undefined) {
    for (const [word, id] of choices) if (id === value) return word;
  }
  return `${value}${spec.unit === "" ? "" : ` ${spec.unit}`}`;
}

function mixerText(spec: MixerParamSpec, value: number): string {
  if (spec.toggle === true) return value === 1 ? "on" : "off";
  return `${value}${spec.unit === "" ? "" : ` ${spec.unit}`}`;
}

/** Every drum's name, in id order (`/drums/<name>`). */
export const DRUM_NAMES: readonly string[] = DRUM_SPECS.slice(0, DRUM_COUNT).map((s) => s.name);
