/**
 * The phrase corpus: phrases with the exact commands each must yield on a
 * fresh {@linkcode PatchModel}, and phrases that must be refused with the
 * words their message must contain. Expectations are computed here from the
 * command builders, the DSP spec tables, the step constants and a small
 * hand table of chord intervals, never by running the parser.
 *
 * @module
 */

import {
  allNotesOff,
  type CommandSpec,
  noteOff,
  noteOn,
  patternStop,
  setParam,
} from "../engine/command.ts";
import { INSTRUMENT_PARAM_SPECS, InstrumentParam } from "../dsp/instrument.ts";
import { DRUM_SPECS } from "../dsp/drums.ts";
import { MIXER_PARAM_SPECS, StripParam } from "../dsp/mixer.ts";
import { SynthParam } from "../dsp/params.ts";
import { RACK_ALL_TARGETS, RackTarget } from "../dsp/rack.ts";
import {
  BRIGHTNESS_STEP,
  LINEAR_STEP_FRACTION,
  LOUDNESS_STEP_DB,
  SEND_STEP,
  TEMPO_STEP,
  TIME_STEP,
} from "../repl/phrase_vocabulary.ts";

/** A phrase and what it must yield. */
export interface Accepted {
  readonly phrase: string;
  /** Commands to send now. */
  readonly specs: readonly CommandSpec[];
  /** Commands to send later, when the phrase is timed. */
  readonly later?: readonly { readonly afterMs: number; readonly specs: readonly CommandSpec[] }[];
}

/** A phrase that must be refused, and words its message must contain. */
export interface Rejected {
  readonly phrase: string;
  readonly mentions: readonly string[];
}

const I = InstrumentParam;
const NAMES = ["lead", "bass", "pad", "keys"];
const OCTAVES = [4, 2, 4, 4];
const target = (k: number): number => RackTarget.FirstInstrument + k;
const initial = (id: number): number => INSTRUMENT_PARAM_SPECS[id]?.initial ?? NaN;
const clamp = (id: number, v: number): number => {
  const s = INSTRUMENT_PARAM_SPECS[id];
  return s === undefined ? NaN : Math.min(s.max, Math.max(s.min, v));
};
const V = 0.8;
const tempoSpec = MIXER_PARAM_SPECS.find((s) => s.name === "tempo");
const TEMPO0 = tempoSpec?.initial ?? 120;
const tempoSpecs = (bpm: number): CommandSpec[] =>
  tempoSpec === undefined ? [] : [setParam(tempoSpec.id, bpm, RackTarget.Mixer)];

const LETTER: Record<string, number> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };

/** MIDI of a written note like "c#3", "eb4" (hand-written, independent of the parser). */
function midi(name: string): number {
  const m = /^([a-g])(#|b)?(-?\d)$/.exec(name);
  if (m === null) throw new Error(name);
  const shift = m[2] === "#" ? 1 : m[2] === "b" ? -1 : 0;
  return (Number(m[3]) + 1) * 12 + (LETTER[m[1] ?? "c"] ?? 0) + shift;
}

/** Semitones above the root, by the words a phrase uses. */
const CHORDS: Record<string, number[]> = {
  major: [0, 4, 7],
  minor: [0, 3, 7],
  seventh: [0, 4, 7, 10],
  "major seventh": [0, 4, 7, 11],
  "minor seventh": [0, 3, 7, 10],
  diminished: [0, 3, 6],
  augmented: [0, 4, 8],
  sus4: [0, 5, 7],
  sus2: [0, 2, 7],
  "diminished seventh": [0, 3, 6, 9],
};

const SYMBOLS: Record<string, number[]> = {
  m7: [0, 3, 7, 10],
  maj7: [0, 4, 7, 11],
  m: [0, 3, 7],
  dim: [0, 3, 6],
  aug: [0, 4, 8],
  sus4: [0, 5, 7],
  add9: [0, 4, 7, 14],
  m6: [0, 3, 7, 9],
};

function on(k: number, notes: readonly number[], v = V): CommandSpec[] {
  return notes.map((n) => noteOn(target(k), n, v));
}

function build(): Accepted[] {
  const out: Accepted[] = [];
  const add = (phrase: string, specs: readonly CommandSpec[], later?: Accepted["later"]) => {
    out.push(later === undefined ? { phrase, specs } : { phrase, specs, later });
  };

  // (a) Notes: names in several octaves, accidentals, MIDI numbers, middle C, Hz.
  const names = ["c", "c#", "d", "eb", "e", "f", "f#", "g", "ab", "a", "bb", "b"];
  for (const n of names) {
    for (const octave of [2, 4, 5]) add(`play ${n}${octave}`, on(0, [midi(`${n}${octave}`)]));
  }
  for (const n of ["c", "d", "e", "g"]) add(`play ${n.toUpperCase()}3`, on(0, [midi(`${n}3`)]));
  for (const m of [21, 36, 48, 60, 64, 67, 72, 100, 127, 0]) add(`play ${m}`, on(0, [m]));
  add("middle C", on(0, [60]));
  add("play middle c", on(0, [60]));
  for (const [hz, note] of [[440, 69], [220, 57], [261.63, 60], [880, 81], [445, 69]] as const) {
    add(`play ${hz} hz`, on(0, [note]));
  }
  for (const hz of [440, 220, 1000, 55.5]) {
    add(`sine at ${hz}`, [setParam(SynthParam.SineFreq, hz)]);
    add(`sine ${hz} hz`, [setParam(SynthParam.SineFreq, hz)]);
  }
  add("play c", on(0, [60]));
  add("play c e g", on(0, [60, 64, 67]));
  add("play c4 e4 g4", on(0, [60, 64, 67]));
  add("c4", on(0, [60]));
  add("f#3", on(0, [54]));
  add("play c4 ff", on(0, [60], 0.95));
  add("play c4 pp", on(0, [60], 0.25));
  add("play e4 velocity 0.5", on(0, [64], 0.5));
  add("release c4", [noteOff(target(0), 60)]);
  add("stop c4", [noteOff(target(0), 60)]);
  add("release all", [allNotesOff(target(0))]);
  for (
    const [phrase, semis] of [
      ["octave up", 12],
      ["octave down", -12],
      [
        "transpose up a fifth",
        7,
      ],
      ["transpose down 3 semitones", -3],
      ["up an octave", 12],
      ["down a fourth", -5],
      [
        "transpose up a minor third",
        3,
      ],
      ["transpose 5", 5],
      ["transpose -12", -12],
      ["up 2 octaves", 24],
    ] as const
  ) {
    add(`${phrase}, play c4`, on(0, [60 + semis]));
  }

  // (b) Chords and scales.
  const roots = ["c", "d", "e", "f", "g", "a", "bb", "eb"];
  for (const root of roots) {
    for (const [quality, semis] of Object.entries(CHORDS)) {
      const base = midi(`${root}4`);
      add(`play a ${root} ${quality} chord`, on(0, semis.map((s) => base + s)));
    }
  }
  for (const root of ["c", "d", "g", "f#"]) {
    for (const [symbol, semis] of Object.entries(SYMBOLS)) {
      const base = midi(`${root}4`);
      add(`play ${root}${symbol}`, on(0, semis.map((s) => base + s)));
    }
  }
  add("play g major seventh", on(0, [67, 71, 74, 78]));
  add("play c major chord first inversion", on(0, [64, 67, 72]));
  add("play c major chord second inversion", on(0, [67, 72, 76]));
  add("play a c minor chord in first inversion", on(0, [63, 67, 72]));
  add("play cm7 third inversion", on(0, [70, 72, 75, 79]));
  add("play c3 minor chord", on(0, [48, 51, 55]));
  add("on bass: play a c minor chord", on(1, [36, 39, 43]));
  const step = (60000 / TEMPO0) * 0.5;
  const scale = (root: number, semis: number[]): Accepted => {
    const notes = [...semis.map((s) => root + s), root + 12];
    const later = notes.map((n, i) => ({
      afterMs: (i + 1) * step,
      specs: [noteOff(target(0), n), ...(i + 1 < notes.length ? on(0, [notes[i + 1] ?? 0]) : [])],
    }));
    return { phrase: "", specs: on(0, [notes[0] ?? 0]), later };
  };
  for (
    const [phrase, root, semis] of [
      ["play the d dorian scale", 62, [0, 2, 3, 5, 7, 9, 10]],
      ["play the c major scale", 60, [0, 2, 4, 5, 7, 9, 11]],
      ["play a minor scale", 69, [0, 2, 3, 5, 7, 8, 10]],
      ["play e phrygian", 64, [0, 1, 3, 5, 7, 8, 10]],
    ] as const
  ) {
    const s = scale(root, [...semis]);
    add(phrase, s.specs, s.later);
  }

  // (c) Instruments: prefixes, focus, mute, solo.
  NAMES.forEach((name, k) => {
    add(`on ${name}: play c`, on(k, [midi(`c${OCTAVES[k]}`)]));
    add(`${name}: play e3`, on(k, [52]));
    add(`play g4 on ${name}`, on(k, [67]));
    add(`${name}: saw, cutoff 1200`, [
      setParam(I.Waveform, 1, target(k)),
      setParam(I.FilterCutoff, 1200, target(k)),
    ]);
    add(`mute ${name}`, [setParam(I.Gain, 0, target(k))]);
    add(`use ${name}`, []);
    add(`${name}: darker`, [
      setParam(I.FilterCutoff, initial(I.FilterCutoff) / BRIGHTNESS_STEP, target(k)),
    ]);
    add(`${name}: add reverb`, [setParam(I.ReverbSend, SEND_STEP, target(k))]);
    add(`${name}: louder`, [
      setParam(I.Gain, clamp(I.Gain, initial(I.Gain) * 10 ** (LOUDNESS_STEP_DB / 20)), target(k)),
    ]);
    const others = [0, 1, 2, 3].filter((j) => j !== k).map((j) => setParam(I.Gain, 0, target(j)));
    add(`solo ${name}`, [...others, setParam(StripParam.Gain, 0, RackTarget.DrumStrip)]);
  });
  add("mute drums", [setParam(StripParam.Gain, 0, RackTarget.DrumStrip)]);
  add("mute", [setParam(I.Gain, 0, target(0))]);
  add("unmute", []);
  add("lead: saw; bass: square", [
    setParam(I.Waveform, 1, target(0)),
    setParam(I.Waveform, 2, target(1)),
  ]);

  // (d) Timbre.
  for (
    const [word, id] of [
      ["sine", 0],
      ["saw", 1],
      ["sawtooth", 1],
      ["square", 2],
      [
        "pulse",
        3,
      ],
      ["triangle", 4],
      ["tri", 4],
    ] as const
  ) {
    add(`${word} wave`, [setParam(I.Waveform, id, target(0))]);
    add(`switch to ${word}`, [setParam(I.Waveform, id, target(0))]);
    if (word !== "sine") add(word, [setParam(I.Waveform, id, target(0))]);
  }
  for (
    const [word, id] of [["lowpass", 0], ["highpass", 1], ["bandpass", 2], ["notch", 3]] as const
  ) {
    add(word, [setParam(I.FilterMode, id, target(0))]);
    add(`filter mode ${word}`, [setParam(I.FilterMode, id, target(0))]);
  }
  for (const [word, id] of [["poly", 0], ["mono", 1], ["legato", 2]] as const) {
    add(word, [setParam(I.Mode, id, target(0))]);
  }
  const cutoff0 = initial(I.FilterCutoff);
  for (
    const [amount, factor] of [["", 1], ["a bit ", 0.5], ["slightly ", 0.5], ["much ", 2], [
      "a lot ",
      2,
    ]] as const
  ) {
    add(`${amount}darker`, [
      setParam(I.FilterCutoff, clamp(I.FilterCutoff, cutoff0 / BRIGHTNESS_STEP ** factor), 1),
    ]);
    add(`${amount}brighter`, [
      setParam(I.FilterCutoff, clamp(I.FilterCutoff, cutoff0 * BRIGHTNESS_STEP ** factor), 1),
    ]);
    const resStep = LINEAR_STEP_FRACTION * factor;
    add(`${amount}more resonance`, [
      setParam(
        I.FilterResonance,
        clamp(I.FilterResonance, initial(I.FilterResonance) + resStep),
        1,
      ),
    ]);
    add(`${amount}longer release`, [
      setParam(I.AmpRelease, initial(I.AmpRelease) * TIME_STEP ** factor, 1),
    ]);
  }
  add("less resonance", [setParam(I.FilterResonance, 0, 1)]);
  add("darker, darker", [
    setParam(I.FilterCutoff, cutoff0 / BRIGHTNESS_STEP, 1),
    setParam(I.FilterCutoff, cutoff0 / BRIGHTNESS_STEP / BRIGHTNESS_STEP, 1),
  ]);
  add("shorter release", [setParam(I.AmpRelease, initial(I.AmpRelease) / TIME_STEP, 1)]);
  add("longer attack", [setParam(I.AmpAttack, Math.max(10, initial(I.AmpAttack)) * TIME_STEP, 1)]);
  add("pluck", [
    setParam(I.AmpAttack, 1, 1),
    setParam(I.AmpDecay, 200, 1),
    setParam(I.AmpSustain, 0, 1),
    setParam(I.AmpRelease, 150, 1),
  ]);
  add("pad", [
    setParam(I.AmpAttack, 800, 1),
    setParam(I.AmpDecay, 500, 1),
    setParam(I.AmpSustain, 0.8, 1),
    setParam(I.AmpRelease, 2000, 1),
  ]);
  add("staccato", [setParam(I.AmpRelease, 30, 1)]);
  for (const v of [50, 100, 800, 1200, 5000, 19000]) {
    add(`cutoff ${v}`, [setParam(I.FilterCutoff, v, 1)]);
    add(`filter cutoff ${v}`, [setParam(I.FilterCutoff, v, 1)]);
    add(`cutoff ${v} hz`, [setParam(I.FilterCutoff, v, 1)]);
  }
  add("cutoff 1.2k", [setParam(I.FilterCutoff, 1200, 1)]);
  add("cutoff 2khz", [setParam(I.FilterCutoff, 2000, 1)]);
  add("set the cutoff to 800", [setParam(I.FilterCutoff, 800, 1)]);
  for (
    const [phrase, id, v] of [
      ["attack 10ms", I.AmpAttack, 10],
      ["attack 10", I.AmpAttack, 10],
      ["attack 0.5s", I.AmpAttack, 500],
      ["decay 300 ms", I.AmpDecay, 300],
      ["release 2 seconds", I.AmpRelease, 2000],
      ["release 1 beat", I.AmpRelease, 60000 / TEMPO0],
      ["sustain 0.5", I.AmpSustain, 0.5],
      ["sustain 70%", I.AmpSustain, 0.7],
      ["resonance 0.3", I.FilterResonance, 0.3],
      ["resonance 50%", I.FilterResonance, 0.5],
      ["detune 10 cents", I.Detune, 10],
      ["detune -7", I.Detune, -7],
      ["glide 80ms", I.Glide, 80],
      ["portamento 120", I.Glide, 120],
      ["pan left", I.Pan, -1],
      ["pan right", I.Pan, 1],
      ["pan center", I.Pan, 0],
      ["pan -0.5", I.Pan, -0.5],
      ["sub 0.5", I.SubLevel, 0.5],
      ["pulse width 0.3", I.PulseWidth, 0.3],
      ["fm ratio 2", I.FmRatio, 2],
      ["fm index 1.5", I.FmIndex, 1.5],
      ["filter env 2", I.FilterEnvAmount, 2],
      ["keytrack 1", I.FilterKeyTrack, 1],
      ["filter attack 20", I.FilterAttack, 20],
      ["amp decay 50", I.AmpDecay, 50],
      ["voices 8", I.Polyphony, 8],
      ["osc/detune 5", I.Detune, 5],
      ["filter/cutoff 640", I.FilterCutoff, 640],
      ["velocity sensitivity 0.5", I.VelocitySensitivity, 0.5],
    ] as const
  ) {
    add(phrase, [setParam(id, v, 1)]);
  }

  // (e) Dynamics.
  const gain0 = initial(I.Gain);
  for (const [amount, factor] of [["", 1], ["a bit ", 0.5], ["much ", 2]] as const) {
    const f = 10 ** ((LOUDNESS_STEP_DB * factor) / 20);
    add(`${amount}louder`, [setParam(I.Gain, clamp(I.Gain, gain0 * f), 1)]);
    add(`${amount}quieter`, [setParam(I.Gain, gain0 / f, 1)]);
  }
  add("softer", [setParam(I.Gain, gain0 / 10 ** (LOUDNESS_STEP_DB / 20), 1)]);
  for (
    const [pct, v] of [["50%", 0.5], ["100%", 1], ["0.7", 0.7], ["150%", 1.5], ["0", 0]] as const
  ) {
    add(`volume ${pct}`, [setParam(I.Gain, v, 1)]);
  }
  for (
    const [mark, v] of [
      ["ppp", 0.15],
      ["pp", 0.25],
      ["p", 0.4],
      ["mp", 0.55],
      ["mf", 0.7],
      [
        "f",
        0.85,
      ],
      ["ff", 0.95],
      ["fff", 1],
    ] as const
  ) {
    add(`${mark}, play c4`, on(0, [60], v));
    add(`play d4 ${mark}`, on(0, [62], v));
  }
  add("velocity 0.6, play c4", on(0, [60], 0.6));
  const mixGain = MIXER_PARAM_SPECS.find((s) => s.name === "gain");
  if (mixGain !== undefined) {
    add("master volume 80%", [setParam(mixGain.id, 0.8, RackTarget.Mixer)]);
    add("master gain 1.5", [setParam(mixGain.id, 1.5, RackTarget.Mixer)]);
  }

  // (f) Tempo and time.
  for (const bpm of [60, 90, 100, 120, 128, 140, 174]) {
    add(`tempo ${bpm}`, tempoSpecs(bpm));
    add(`${bpm} bpm`, tempoSpecs(bpm));
  }
  add("faster", tempoSpecs(TEMPO0 * TEMPO_STEP));
  add("slower", tempoSpecs(TEMPO0 / TEMPO_STEP));
  add("a bit faster", tempoSpecs(TEMPO0 * TEMPO_STEP ** 0.5));
  add("double time", tempoSpecs(TEMPO0 * 2));
  add("half time", tempoSpecs(TEMPO0 / 2));
  const beat = 60000 / TEMPO0;
  for (
    const [length, ms] of [
      ["2 beats", 2 * beat],
      ["a beat", beat],
      ["1 bar", 4 * beat],
      ["1/8", beat / 2],
      ["1/16", beat / 4],
      ["1/8 triplet", (beat / 2) * (2 / 3)],
      ["an eighth note", beat / 2],
      ["a dotted quarter", beat * 1.5],
      ["500ms", 500],
      ["2 seconds", 2000],
      ["half a bar", 0],
    ] as const
  ) {
    if (ms === 0) continue;
    add(`play c4 for ${length}`, on(0, [60]), [{ afterMs: ms, specs: [noteOff(1, 60)] }]);
  }
  add("play c4, wait 2 beats, play e4", on(0, [60]), [{ afterMs: 2 * beat, specs: on(0, [64]) }]);
  add("play c4 for 1 beat then e4 for 1 beat", on(0, [60]), [
    { afterMs: beat, specs: [noteOff(1, 60), ...on(0, [64])] },
    { afterMs: 2 * beat, specs: [noteOff(1, 64)] },
  ]);
  add("tempo 60, play c4 for 1 beat", [...tempoSpecs(60), ...on(0, [60])], [
    { afterMs: 1000, specs: [noteOff(1, 60)] },
  ]);

  // (g) Effects.
  add("add reverb", [setParam(I.ReverbSend, SEND_STEP, 1)]);
  add("add delay", [setParam(I.DelaySend, SEND_STEP, 1)]);
  add("more delay", [setParam(I.DelaySend, SEND_STEP, 1)]);
  add("a lot more reverb", [setParam(I.ReverbSend, 2 * SEND_STEP, 1)]);
  add("add reverb, add reverb", [
    setParam(I.ReverbSend, SEND_STEP, 1),
    setParam(I.ReverbSend, 2 * SEND_STEP, 1),
  ]);
  add("less reverb", [setParam(I.ReverbSend, 0, 1)]);
  add("dry", [setParam(I.ReverbSend, 0, 1), setParam(I.DelaySend, 0, 1)]);
  add("reverb off", [setParam(I.ReverbSend, 0, 1)]);
  add("no delay", [setParam(I.DelaySend, 0, 1)]);
  add("reverb 0.4", [setParam(I.ReverbSend, 0.4, 1)]);
  add("reverb 30%", [setParam(I.ReverbSend, 0.3, 1)]);
  add("reverb on", [setParam(I.ReverbSend, SEND_STEP, 1)]);
  add("drums: add reverb", [setParam(StripParam.ReverbSend, SEND_STEP, RackTarget.DrumStrip)]);
  const mixer = (name: string) => MIXER_PARAM_SPECS.find((s) => s.name === name);
  const size = mixer("reverb/size");
  if (size !== undefined) {
    add("reverb size 0.7", [setParam(size.id, 0.7, RackTarget.Mixer)]);
    add("bigger room", [
      setParam(size.id, size.initial + LINEAR_STEP_FRACTION * (size.max - size.min), 6),
    ]);
  }
  const feedback = mixer("delay/feedback");
  if (feedback !== undefined) add("feedback 0.5", [setParam(feedback.id, 0.5, 6)]);
  const delayTime = mixer("delay/time");
  const delayBeats = mixer("delay/beats");
  if (delayTime !== undefined) add("delay time 250ms", [setParam(delayTime.id, 250, 6)]);
  if (delayBeats !== undefined) add("delay 1/8", [setParam(delayBeats.id, 0.5, 6)]);
  else if (delayTime !== undefined) add("delay 1/8", [setParam(delayTime.id, beat / 2, 6)]);

  // Drums.
  for (const spec of DRUM_SPECS) {
    add(spec.name, [noteOn(RackTarget.Drums, spec.note, V)]);
    add(`play the ${spec.name} ff`, [noteOn(RackTarget.Drums, spec.note, 0.95)]);
  }
  add("kick decay 300", [setParam(2, 300, RackTarget.Drums)]);
  add("snare tune -2", [setParam(6, -2, RackTarget.Drums)]);
  add("hit the snare", [noteOn(RackTarget.Drums, 38, V)]);

  // (h) Control.
  for (const word of ["stop", "silence", "panic", "hush", "all notes off"]) {
    add(word, [allNotesOff(RACK_ALL_TARGETS), patternStop(RACK_ALL_TARGETS, 0)]);
  }
  add("stop bass", [allNotesOff(target(1))]);

  return out;
}

/** Phrases with the exact commands each must yield on a fresh model. */
export const ACCEPTED: readonly Accepted[] = build();

/** Known words whose misspellings must be refused with the word suggested. */
const TYPO_TARGETS = [
  "brighter",
  "darker",
  "resonance",
  "cutoff",
  "attack",
  "release",
  "sustain",
  "louder",
  "quieter",
  "tempo",
  "faster",
  "slower",
  "reverb",
  "delay",
  "staccato",
  "legato",
  "triangle",
  "square",
  "sawtooth",
  "pluck",
  "unmute",
  "silence",
  "panic",
  "detune",
  "portamento",
  "highpass",
  "lowpass",
  "bandpass",
  "fortissimo",
  "pianissimo",
];

function swap(word: string, i: number): string {
  return word.slice(0, i) + (word[i + 1] ?? "") + (word[i] ?? "") + word.slice(i + 2);
}

function buildRejected(): Rejected[] {
  const out: Rejected[] = [];
  for (const word of TYPO_TARGETS) {
    const a = swap(word, 1);
    const b = word.slice(0, -1) + (word.endsWith("e") ? "a" : "e");
    const c = word.slice(0, 2) + word.slice(3);
    for (const typo of new Set([a, b, c])) {
      if (typo === word) continue;
      out.push({ phrase: typo, mentions: [`"${typo}"`, `"${word}"`] });
    }
  }
  out.push(
    { phrase: "frobnicate", mentions: ['"frobnicate"', "help"] },
    { phrase: "leed: saw", mentions: ['"leed"', '"lead"'] },
    { phrase: "on bsas: play c2", mentions: ['"bsas"', '"bass"'] },
    { phrase: "mute basss", mentions: ['"basss"', '"bass"'] },
    { phrase: "solo leed", mentions: ['"leed"', '"lead"'] },
    { phrase: "cutoff 30000", mentions: ["cutoff", "20..20000"] },
    { phrase: "cutoff 10", mentions: ["cutoff", "20..20000"] },
    { phrase: "resonance 5", mentions: ["resonance", "0..1"] },
    { phrase: "attack 20 seconds", mentions: ["attack", "10000"] },
    { phrase: "tempo 1000", mentions: ["tempo", "bpm"] },
    { phrase: "tempo fast", mentions: ["tempo"] },
    { phrase: "play c4 for 2 beatz", mentions: ['"beatz"', '"beats"'] },
    { phrase: "wait 2 barz", mentions: ['"barz"', '"bars"'] },
    { phrase: "play c4 e4 frob", mentions: ['"frob"'] },
    { phrase: "play h4", mentions: ['"h4"'] },
    { phrase: "play 200", mentions: ["0..127"] },
    { phrase: "play c minor chord sixth inversion", mentions: ['"sixth"'] },
    { phrase: "play cm7 fourth inversion", mentions: ['"fourth"'] },
    { phrase: "play c major chord third inversion", mentions: ["inversions 0..2"] },
    { phrase: "play the d dorain scale", mentions: ['"dorain"', '"dorian"'] },
    { phrase: "transpose up a fiffth", mentions: ['"fiffth"', '"fifth"'] },
    { phrase: "velocity 2", mentions: ["velocity"] },
    { phrase: "volume 500%", mentions: ["gain"] },
    { phrase: "help filtres", mentions: ['"filtres"', '"filters"'] },
    { phrase: "lead: saw, cutoff 1200, frobnicate", mentions: ['"frobnicate"'] },
    { phrase: "drums: cutoff 800", mentions: ["drums", "cutoff"] },
    { phrase: "sine at 5", mentions: ["sine", "20"] },
    { phrase: "more", mentions: ["more what"] },
    { phrase: "add", mentions: ["add what"] },
    { phrase: "pan lfet", mentions: ['"lfet"'] },
  );
  return out;
}

/** Phrases that must be refused, each with words its message must contain. */
export const REJECTED: readonly Rejected[] = buildRejected();
