/**
 * The words of the phrase language and what they mean: amounts, dynamics,
 * waveforms, envelope presets, parameter names, durations, intervals, chord
 * qualities and scales, plus the music helpers that turn them into MIDI
 * notes (with `tonal`) and the "did you mean" search over every known word.
 *
 * Pure tables and functions: nothing here reads or changes a model.
 *
 * @module
 */

import { Chord, ChordType, Interval, Note, Scale, ScaleType } from "tonal";
import { DRUM_SPECS } from "../dsp/drums.ts";
import { INSTRUMENT_PARAM_SPECS } from "../dsp/instrument.ts";
import { MIXER_PARAM_SPECS } from "../dsp/mixer.ts";
import { INSTRUMENT_NAMES } from "./instrument_parser.ts";

/** Multiplier of a relative change ("brighter") given no amount word. */
export const NORMAL_AMOUNT = 1;

/**
 * Amount words and the factor they scale a relative change's step by
 * ("a bit brighter" is half a step, "much brighter" two). Longest phrases first.
 */
export const AMOUNT_WORDS: readonly (readonly [readonly string[], number])[] = [
  [["a", "little", "bit"], 0.5],
  [["a", "tiny", "bit"], 0.25],
  [["a", "bit"], 0.5],
  [["a", "little"], 0.5],
  [["a", "touch"], 0.25],
  [["a", "lot"], 2],
  [["slightly"], 0.5],
  [["little"], 0.5],
  [["bit"], 0.5],
  [["much"], 2],
  [["lots"], 2],
  [["way"], 3],
  [["very"], 2],
  [["really"], 2],
];

/** Words that carry no meaning in a phrase and are dropped (after amounts are read). */
export const FILLER_WORDS: ReadonlySet<string> = new Set([
  "the",
  "please",
  "now",
  "some",
  "it",
  "to",
  "set",
  "make",
  "change",
  "of",
  "with",
  "just",
  "be",
  "like",
]);

/** Step of `brighter` / `darker`: the cutoff is multiplied / divided by this per step. */
export const BRIGHTNESS_STEP = 1.5;
/** Step of `longer` / `shorter` (and `more` / `less` on times in ms): × / ÷ this per step. */
export const TIME_STEP = 1.5;
/** Smallest time a `longer` starts from when the time is 0, in ms. */
export const TIME_FLOOR_MS = 10;
/** Step of `more` / `less` on plain amounts (resonance, sustain, …): this fraction of the range. */
export const LINEAR_STEP_FRACTION = 0.1;
/** Step of `add reverb`, `more delay`, `less reverb`: the send level changes by this much. */
export const SEND_STEP = 0.2;
/** Step of `louder` / `quieter`, in dB of gain. */
export const LOUDNESS_STEP_DB = 3;
/** Step of `faster` / `slower`: the tempo is multiplied / divided by this per step. */
export const TEMPO_STEP = 1.1;
/** Release of `staccato`, in ms. */
export const STACCATO_RELEASE_MS = 30;

/** Dynamic marks and the note velocity they set. */
export const DYNAMICS: ReadonlyMap<string, number> = new Map([
  ["ppp", 0.15],
  ["pp", 0.25],
  ["p", 0.4],
  ["mp", 0.55],
  ["mf", 0.7],
  ["f", 0.85],
  ["ff", 0.95],
  ["fff", 1],
  ["pianissimo", 0.25],
  ["piano", 0.4],
  ["mezzo-piano", 0.55],
  ["mezzo-forte", 0.7],
  ["forte", 0.85],
  ["fortissimo", 0.95],
  ["softly", 0.4],
  ["gently", 0.4],
  ["loudly", 0.85],
  ["hard", 0.95],
]);

/** Waveform words and their `Waveform` ids. */
export const WAVE_WORDS: ReadonlyMap<string, number> = new Map([
  ["sine", 0],
  ["saw", 1],
  ["sawtooth", 1],
  ["square", 2],
  ["pulse", 3],
  ["triangle", 4],
  ["tri", 4],
]);

/** Filter-mode words and their `SvfMode` ids. */
export const FILTER_MODE_WORDS: ReadonlyMap<string, number> = new Map([
  ["lowpass", 0],
  ["low-pass", 0],
  ["lp", 0],
  ["highpass", 1],
  ["high-pass", 1],
  ["hp", 1],
  ["bandpass", 2],
  ["band-pass", 2],
  ["bp", 2],
  ["notch", 3],
]);

/** Voice-mode words and their `VoiceMode` ids. */
export const VOICE_MODE_WORDS: ReadonlyMap<string, number> = new Map([
  ["poly", 0],
  ["polyphonic", 0],
  ["mono", 1],
  ["monophonic", 1],
  ["legato", 2],
]);

/** An envelope preset: amp envelope parameters by spec name. */
export type Preset = readonly (readonly [string, number])[];

/** Envelope presets: `pluck`, `pad`, `organ`, `stab`, `swell`. */
export const PRESETS: ReadonlyMap<string, Preset> = new Map<string, Preset>([
  ["pluck", [["amp/attack", 1], ["amp/decay", 200], ["amp/sustain", 0], ["amp/release", 150]]],
  ["pad", [["amp/attack", 800], ["amp/decay", 500], ["amp/sustain", 0.8], [
    "amp/release",
    2000,
  ]]],
  ["organ", [["amp/attack", 2], ["amp/decay", 0], ["amp/sustain", 1], ["amp/release", 30]]],
  ["stab", [["amp/attack", 1], ["amp/decay", 120], ["amp/sustain", 0], ["amp/release", 80]]],
  ["swell", [["amp/attack", 1500], ["amp/decay", 0], ["amp/sustain", 1], [
    "amp/release",
    1500,
  ]]],
]);

/**
 * Short names of instrument (and channel-strip) parameters, longest first:
 * the words a phrase may use for each spec name. Every spec name itself
 * (`filter/cutoff`) and its words (`filter cutoff`) work too.
 */
export const PARAM_ALIASES: readonly (readonly [readonly string[], string])[] = [
  [["velocity", "sensitivity"], "amp/velocity"],
  [["filter", "envelope", "amount"], "filter/env"],
  [["filter", "envelope"], "filter/env"],
  [["envelope", "amount"], "filter/env"],
  [["pulse", "width"], "osc/pw"],
  [["fm", "ratio"], "osc/fm/ratio"],
  [["fm", "index"], "osc/fm/index"],
  [["fm", "amount"], "osc/fm/index"],
  [["sub", "level"], "osc/sub"],
  [["sub", "oscillator"], "osc/sub"],
  [["key", "tracking"], "filter/keytrack"],
  [["reverb", "send"], "send/reverb"],
  [["delay", "send"], "send/delay"],
  [["filter", "mode"], "filter/mode"],
  [["voice", "mode"], "mode"],
  [["cutoff"], "filter/cutoff"],
  [["resonance"], "filter/resonance"],
  [["reso"], "filter/resonance"],
  [["res"], "filter/resonance"],
  [["q"], "filter/resonance"],
  [["keytrack"], "filter/keytrack"],
  [["attack"], "amp/attack"],
  [["decay"], "amp/decay"],
  [["sustain"], "amp/sustain"],
  [["release"], "amp/release"],
  [["detune"], "osc/detune"],
  [["sub"], "osc/sub"],
  [["pw"], "osc/pw"],
  [["glide"], "glide"],
  [["portamento"], "glide"],
  [["pan"], "pan"],
  [["gain"], "gain"],
  [["volume"], "gain"],
  [["level"], "gain"],
  [["voices"], "voices"],
  [["polyphony"], "voices"],
  [["reverb"], "send/reverb"],
  [["delay"], "send/delay"],
  [["echo"], "send/delay"],
  [["wave"], "osc/wave"],
  [["waveform"], "osc/wave"],
  [["osc"], "osc/wave"],
  [["oscillator"], "osc/wave"],
  [["mode"], "mode"],
];

/** Words for the mixer's parameters, longest first (after the spec names themselves). */
export const MIXER_ALIASES: readonly (readonly [readonly string[], string])[] = [
  [["master", "volume"], "gain"],
  [["master", "gain"], "gain"],
  [["master", "level"], "gain"],
  [["room", "size"], "reverb/size"],
  [["ping", "pong"], "delay/pingpong"],
  [["pingpong"], "delay/pingpong"],
  [["feedback"], "delay/feedback"],
  [["damping"], "reverb/damping"],
  [["ceiling"], "ceiling"],
];

/** Pan words and their values. */
export const PAN_WORDS: ReadonlyMap<string, number> = new Map([
  ["left", -1],
  ["right", 1],
  ["center", 0],
  ["centre", 0],
  ["middle", 0],
]);

/** Note-length words and their length in beats (a quarter note is one beat). */
export const NOTE_LENGTHS: ReadonlyMap<string, number> = new Map([
  ["beat", 1],
  ["beats", 1],
  ["bar", 4],
  ["bars", 4],
  ["measure", 4],
  ["measures", 4],
  ["whole", 4],
  ["wholes", 4],
  ["half", 2],
  ["halves", 2],
  ["quarter", 1],
  ["quarters", 1],
  ["crotchet", 1],
  ["crotchets", 1],
  ["eighth", 0.5],
  ["eighths", 0.5],
  ["8th", 0.5],
  ["8ths", 0.5],
  ["quaver", 0.5],
  ["quavers", 0.5],
  ["sixteenth", 0.25],
  ["sixteenths", 0.25],
  ["16th", 0.25],
  ["16ths", 0.25],
  ["semiquaver", 0.25],
  ["semiquavers", 0.25],
]);

/** Clock-time unit words and their length in ms. */
export const TIME_UNITS: ReadonlyMap<string, number> = new Map([
  ["ms", 1],
  ["msec", 1],
  ["millisecond", 1],
  ["milliseconds", 1],
  ["s", 1000],
  ["sec", 1000],
  ["secs", 1000],
  ["second", 1000],
  ["seconds", 1000],
]);

/** Interval words and their size in semitones. */
export const INTERVAL_WORDS: ReadonlyMap<string, number> = new Map([
  ["semitone", 1],
  ["semitones", 1],
  ["halfstep", 1],
  ["step", 2],
  ["steps", 2],
  ["tone", 2],
  ["tones", 2],
  ["second", 2],
  ["third", 4],
  ["fourth", 5],
  ["fifth", 7],
  ["sixth", 9],
  ["seventh", 11],
  ["octave", 12],
  ["octaves", 12],
]);

/** Ordinal words for inversions. */
export const ORDINALS: ReadonlyMap<string, number> = new Map([
  ["root", 0],
  ["first", 1],
  ["1st", 1],
  ["second", 2],
  ["2nd", 2],
  ["third", 3],
  ["3rd", 3],
]);

/**
 * Chord-quality phrases and the `tonal` chord symbol suffix they stand for.
 * Looked up by the quality words joined with spaces.
 */
export const CHORD_QUALITIES: ReadonlyMap<string, string> = new Map([
  ["", "M"],
  ["major", "M"],
  ["maj", "M"],
  ["major triad", "M"],
  ["triad", "M"],
  ["minor", "m"],
  ["min", "m"],
  ["m", "m"],
  ["minor triad", "m"],
  ["seventh", "7"],
  ["7", "7"],
  ["dom7", "7"],
  ["dominant", "7"],
  ["dominant seventh", "7"],
  ["major seventh", "maj7"],
  ["maj7", "maj7"],
  ["minor seventh", "m7"],
  ["m7", "m7"],
  ["min7", "m7"],
  ["diminished", "dim"],
  ["dim", "dim"],
  ["diminished seventh", "dim7"],
  ["dim7", "dim7"],
  ["half diminished", "m7b5"],
  ["half-diminished", "m7b5"],
  ["m7b5", "m7b5"],
  ["augmented", "aug"],
  ["aug", "aug"],
  ["sus2", "sus2"],
  ["suspended second", "sus2"],
  ["sus4", "sus4"],
  ["sus", "sus4"],
  ["suspended", "sus4"],
  ["suspended fourth", "sus4"],
  ["sixth", "6"],
  ["6", "6"],
  ["major sixth", "6"],
  ["minor sixth", "m6"],
  ["m6", "m6"],
  ["ninth", "9"],
  ["9", "9"],
  ["dominant ninth", "9"],
  ["major ninth", "maj9"],
  ["maj9", "maj9"],
  ["minor ninth", "m9"],
  ["m9", "m9"],
  ["add9", "add9"],
  ["power", "5"],
  ["fifth", "5"],
  ["5", "5"],
]);

/** Words that can make up a chord quality (for reading them off a phrase). */
export const CHORD_WORDS: ReadonlySet<string> = new Set(
  [...CHORD_QUALITIES.keys()].flatMap((key) => key.split(" ")).filter((w) => w !== ""),
);

/**
 * Scale names a phrase may use, as `tonal` scale types ("major", "dorian",
 * "minor pentatonic", …), plus "aeolian" and "pentatonic".
 */
export const SCALE_NAMES: ReadonlySet<string> = new Set([
  ...ScaleType.names(),
  "aeolian",
  "pentatonic",
  "natural minor",
]);

const SCALE_ALIASES: ReadonlyMap<string, string> = new Map([
  ["aeolian", "minor"],
  ["natural minor", "minor"],
  ["pentatonic", "major pentatonic"],
]);

/** Words that can make up a scale name. */
export const SCALE_WORDS: ReadonlySet<string> = new Set(
  [...SCALE_NAMES].flatMap((name) => name.split(" ")),
);

/** Drum words: each drum's name and its common short names, to its `DRUM_SPECS` index. */
export const DRUM_WORDS: ReadonlyMap<string, number> = new Map([
  ...DRUM_SPECS.map((spec, i): [string, number] => [spec.name, i]),
  ["bd", 0],
  ["bassdrum", 0],
  ["sd", 1],
  ["hat", 2],
  ["hihat", 2],
  ["hi-hat", 2],
  ["hh", 2],
  ["closed", 2],
  ["open", 3],
  ["tom", 6],
]);

/** Help topics and their one-line text. */
export const HELP_TOPICS: ReadonlyMap<string, string> = new Map([
  [
    "notes",
    "notes: play C4, play c#3, middle C, play 60, play 440 hz, octave up/down, transpose up a fifth, release C4",
  ],
  [
    "chords",
    "chords: play a C minor chord, Cm7, G major seventh, first inversion, play the D dorian scale",
  ],
  [
    "instruments",
    `instruments (${
      INSTRUMENT_NAMES.join(", ")
    }): on bass: play C2, lead: saw, cutoff 1200, use pad, mute bass, unmute, solo lead, unsolo`,
  ],
  [
    "filters",
    "filters: brighter, darker, cutoff 800, filter cutoff 1.2k, more/less resonance, resonance 0.5, lowpass, highpass, bandpass, notch, filter env 2",
  ],
  [
    "timbre",
    "timbre: saw, square, triangle, sine, pulse, pluck, pad, organ, staccato, legato, mono, poly, attack 10ms, longer release, glide 80ms",
  ],
  [
    "dynamics",
    "dynamics: louder, quieter, volume 50%, pp p mp mf f ff, velocity 0.6; amounts: a bit, slightly, much, a lot",
  ],
  [
    "time",
    "time: tempo 120, 120 bpm, faster, slower, double time, half time, play C4 for 2 beats, wait 1 bar, 1/8, 1/16, triplet, 500ms, 2 seconds",
  ],
  [
    "effects",
    "effects: add reverb, more delay, less reverb, reverb 0.3, reverb off, dry, bigger room, delay time 1/8, feedback 0.5",
  ],
  [
    "loops",
    'loops: seq bass c2 ~ c2 eb2 g2 ~ c3 ~, lead: pattern "c4 [e4 g4] <b4 a4> ~", drums: kick x...x...x...x... snare ....x.......x..., drums: pattern "bd(3,8), hh*8", arp C minor up 2 octaves 1/16; ~ rest, _ tie, [ ] group, *n repeat, < > per bar, a, b together, (3,8) euclid, ! accent, ^0.5 velocity, ? or ?0.3 chance; stop bass (at next bar|beat|now), stop patterns, quantize bar|beat|off, swing 20%, time signature 3/4',
  ],
  [
    "patches",
    "patches: save patch my-bass, bass: load patch acid, load patch bell on keys, list patches, delete patch my-bass; save session jam, load session jam, list sessions (factory: bass sub-bass lead pad pluck bell organ strings brass keys acid sweep kick soft-lead chip glass)",
  ],
  ["control", "control: stop, silence, panic, undo, status, what is playing, show patch, help"],
]);

// ---------------------------------------------------------------------------
// Music helpers.

const PITCH_TOKEN = /^([a-g])(#|b|s|x|sharp|flat)?(-1|[0-9])?$/;

/**
 * Read a pitch token: `c`, `c#`, `eb`, `c4`, `f#3`, `bb-1`. Returns the
 * spelled pitch class (`"C#"`, `"Eb"`) and the octave if one was written.
 *
 * @example
 * ```ts
 * import { readPitch } from "./phrase_vocabulary.ts";
 * console.log(readPitch("eb3")); // { pitch: "Eb", octave: 3 }
 * ```
 */
export function readPitch(token: string): { pitch: string; octave?: number } | undefined {
  const match = PITCH_TOKEN.exec(token);
  if (match === null) return undefined;
  const [, letter = "", accidental = "", octave] = match;
  const acc = accidental === "#" || accidental === "s" || accidental === "sharp"
    ? "#"
    : accidental === "b" || accidental === "flat"
    ? "b"
    : accidental === "x"
    ? "##"
    : "";
  const pitch = letter.toUpperCase() + acc;
  return octave === undefined ? { pitch } : { pitch, octave: Number(octave) };
}

/** MIDI number of a spelled note like `Eb4`; undefined when tonal cannot read it. */
export function midiOf(name: string): number | undefined {
  const midi = Note.midi(name);
  return midi === null ? undefined : midi;
}

/** The MIDI note nearest to `hz` (A4 = 440 Hz = 69), or undefined when out of 0..127. */
export function nearestNote(hz: number): number | undefined {
  if (!(hz > 0) || !Number.isFinite(hz)) return undefined;
  const note = Math.round(69 + 12 * Math.log2(hz / 440));
  return note >= 0 && note <= 127 ? note : undefined;
}

/** A chord resolved from words: its name and the semitones of its notes above the root. */
export interface ChordShape {
  /** Name of the chord type, e.g. "minor seventh". */
  readonly type: string;
  /** Intervals of the notes above the root, e.g. ["1P", "3m", "5P", "7m"]. */
  readonly intervals: readonly string[];
}

/**
 * The chord type meant by quality words (`"minor seventh"`, `"m7"`, `""` for
 * a major triad), or undefined.
 *
 * @example
 * ```ts
 * import { chordShape } from "./phrase_vocabulary.ts";
 * console.log(chordShape("minor seventh")?.intervals); // [ "1P", "3m", "5P", "7m" ]
 * ```
 */
export function chordShape(words: string): ChordShape | undefined {
  const symbol = CHORD_QUALITIES.get(words);
  const type = symbol !== undefined ? ChordType.get(symbol) : ChordType.get(words);
  if (type.empty || type.intervals.length === 0) return undefined;
  return { type: type.name === "" ? words : type.name, intervals: type.intervals };
}

/**
 * The chord a symbol like `cm7`, `Gmaj7`, `f#dim` names, or undefined (a
 * token with an octave digit such as `c7` is a note, not a chord).
 */
export function chordSymbol(token: string): { pitch: string; shape: ChordShape } | undefined {
  const match = /^([a-g])(#|b)?(.+)$/.exec(token);
  if (match === null) return undefined;
  const [, letter = "", acc = "", rest = ""] = match;
  if (/^(-1|[0-9])$/.test(rest)) return undefined;
  const pitch = letter.toUpperCase() + acc;
  const chord = Chord.get(`${pitch}${rest}`);
  if (chord.empty || chord.intervals.length === 0) return undefined;
  const shape = chordShape(rest) ??
    { type: chord.type === "" ? rest : chord.type, intervals: chord.intervals };
  return { pitch, shape };
}

/** Spell `interval` above the note `root` (e.g. "C4" + "3m" → "Eb4"). */
export function transposeName(root: string, interval: string): string {
  return Note.transpose(root, interval);
}

/** Semitones of an interval like "3m"; NaN for an unknown one. */
export function intervalSemitones(interval: string): number {
  const semis = Interval.semitones(interval);
  return typeof semis === "number" ? semis : NaN;
}

/** The intervals of the scale named `name` ("dorian", "minor pentatonic", "aeolian"), or undefined. */
export function scaleIntervals(name: string): readonly string[] | undefined {
  const type = SCALE_ALIASES.get(name) ?? name;
  if (!SCALE_NAMES.has(name)) return undefined;
  const scale = Scale.get(`C ${type}`);
  return scale.empty || scale.intervals.length === 0 ? undefined : scale.intervals;
}

// ---------------------------------------------------------------------------
// Every known word, and the search for the nearest ones.

/** Words the parser's own grammar uses (verbs, nouns, adverbs). */
export const GRAMMAR_WORDS: readonly string[] = [
  "play",
  "hit",
  "strike",
  "trigger",
  "note",
  "notes",
  "chord",
  "scale",
  "inversion",
  "middle",
  "release",
  "hold",
  "at",
  "for",
  "on",
  "in",
  "off",
  "up",
  "down",
  "octave",
  "transpose",
  "reset",
  "use",
  "focus",
  "select",
  "switch",
  "mute",
  "unmute",
  "solo",
  "unsolo",
  "all",
  "everything",
  "drums",
  "synth",
  "brighter",
  "darker",
  "duller",
  "brightness",
  "more",
  "less",
  "fewer",
  "longer",
  "shorter",
  "bigger",
  "smaller",
  "wider",
  "staccato",
  "louder",
  "quieter",
  "softer",
  "turn",
  "velocity",
  "tempo",
  "bpm",
  "seq",
  "save",
  "load",
  "delete",
  "patch",
  "session",
  "sessions",
  "pattern",
  "arp",
  "quantize",
  "swing",
  "patterns",
  "loops",
  "updown",
  "octaves",
  "faster",
  "slower",
  "double",
  "time",
  "normal",
  "triplet",
  "triplets",
  "dotted",
  "wait",
  "rest",
  "pause",
  "then",
  "and",
  "add",
  "remove",
  "no",
  "dry",
  "stop",
  "silence",
  "panic",
  "hush",
  "undo",
  "status",
  "help",
  "what",
  "is",
  "playing",
  "whats",
  "what's",
  "show",
  "patch",
  "quit",
  "exit",
  "hz",
  "khz",
  "k",
  "cents",
  "cent",
  "percent",
  "a",
  "an",
  "one",
  "two",
  "three",
  "four",
  "master",
  "mix",
  "mixer",
  "size",
  "room",
  "filter",
  "envelope",
  "amount",
  "sharp",
  "flat",
  "by",
  "x",
  "times",
  "width",
  "ping",
  "pong",
  "tracking",
  "oscillator",
  "level",
  "sensitivity",
  "index",
  "ratio",
  "fm",
  "key",
  "voice",
  "sine",
];

/** Every word the phrase language knows, for "did you mean". */
export const VOCABULARY: ReadonlySet<string> = new Set<string>([
  ...GRAMMAR_WORDS,
  ...INSTRUMENT_NAMES,
  ...AMOUNT_WORDS.flatMap(([words]) => words),
  ...FILLER_WORDS,
  ...DYNAMICS.keys(),
  ...WAVE_WORDS.keys(),
  ...FILTER_MODE_WORDS.keys(),
  ...VOICE_MODE_WORDS.keys(),
  ...PRESETS.keys(),
  ...PARAM_ALIASES.flatMap(([words]) => words),
  ...MIXER_ALIASES.flatMap(([words]) => words),
  ...INSTRUMENT_PARAM_SPECS.flatMap((s) => [s.name, ...s.name.split("/")]),
  ...MIXER_PARAM_SPECS.flatMap((s) => [s.name, ...s.name.split("/")]),
  ...PAN_WORDS.keys(),
  ...NOTE_LENGTHS.keys(),
  ...TIME_UNITS.keys(),
  ...INTERVAL_WORDS.keys(),
  ...ORDINALS.keys(),
  ...CHORD_WORDS,
  ...SCALE_WORDS,
  ...DRUM_WORDS.keys(),
  ...DRUM_SPECS.flatMap((s) => s.name.split("-")),
  "tune",
  "tone",
  "decay",
  "level",
  ...HELP_TOPICS.keys(),
]);

/**
 * Optimal-string-alignment distance of `a` and `b` (Levenshtein plus
 * swapping two neighbours), or any value ≥ `cap` once it reaches `cap`.
 */
export function editDistance(a: string, b: string, cap = Infinity): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  if (b.length >= ROW_CAPACITY) return a === b ? 0 : Math.max(a.length, b.length);
  // Three rows of scratch space: before (i-2), previous (i-1), current (i).
  let before = ROW_A;
  let previous = ROW_B;
  let current = ROW_C;
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const bj = b.charCodeAt(j - 1);
      let value = Math.min(
        (previous[j - 1] as number) + (ai === bj ? 0 : 1),
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
      );
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) {
        value = Math.min(value, (before[j - 2] as number) + 1);
      }
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin >= cap) return cap;
    const spare = before;
    before = previous;
    previous = current;
    current = spare;
  }
  return previous[b.length] as number;
}

const ROW_CAPACITY = 64;
const ROW_A = new Int32Array(ROW_CAPACITY + 1);
const ROW_B = new Int32Array(ROW_CAPACITY + 1);
const ROW_C = new Int32Array(ROW_CAPACITY + 1);

const SUGGESTABLE = /^[a-z0-9][a-z0-9'/-]*$/;

/**
 * Up to `most` known words nearest to `word` by {@linkcode editDistance},
 * closest first (ties in alphabetical order); only words within a third of
 * the word's length (at least 1, at least 2 for words of 5 letters or more).
 *
 * @example
 * ```ts
 * import { nearestWords } from "./phrase_vocabulary.ts";
 * console.log(nearestWords("brigther")); // [ "brighter" ]
 * ```
 */
export function nearestWords(word: string, most = 3): string[] {
  if (word.length > MAX_SUGGEST_LENGTH) return [];
  const limit = Math.max(word.length >= 5 ? 2 : 1, Math.floor(word.length / 3));
  const found: [string, number][] = [];
  for (let length = word.length - limit; length <= word.length + limit; length++) {
    for (const known of BY_LENGTH.get(length) ?? []) {
      if (known.length < 2 && word.length > 2) continue;
      const d = editDistance(word, known, limit + 1);
      if (d <= limit) found.push([known, d]);
    }
  }
  found.sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const best = found[0]?.[1];
  return found.filter(([, d]) => d === best).slice(0, most).map(([w]) => w);
}

/** Words longer than this get no suggestions (nothing known is that long). */
const MAX_SUGGEST_LENGTH = 40;

/** The suggestable words, by length. */
const BY_LENGTH: ReadonlyMap<number, readonly string[]> = (() => {
  const map = new Map<number, string[]>();
  for (const known of VOCABULARY) {
    if (!SUGGESTABLE.test(known)) continue;
    const list = map.get(known.length) ?? [];
    list.push(known);
    map.set(known.length, list);
  }
  return map;
})();
