/**
 * Phrases that start loops: patterns in mini-notation, step sequences, drum
 * grids and arpeggios, and the lines that stop them or set how they fit the
 * bar. Each becomes one pattern for its instrument's track in the engine's
 * sequencer (dsp/sequencer.ts): `PatternBegin`, the notes, `PatternCommit`
 * at the model's quantize (the next bar by default), so a running loop is
 * replaced on the bar line without a gap.
 *
 * | phrase                                               | loops                               |
 * |------------------------------------------------------|-------------------------------------|
 * | `seq bass c2 ~ c2 eb2 g2 ~ c3 ~`                     | eight eighths on bass, one bar      |
 * | `lead: pattern "c4 [e4 g4] <b4 a4> ~"`               | mini-notation (pattern_notation.ts) |
 * | `drums: kick x...x...x...x... snare ....x.......x...` | a grid, one character a sixteenth   |
 * | `drums: pattern "bd(3,8), hh*8"`                     | drum names in mini-notation         |
 * | `arp C minor up 2 octaves 1/16`                      | the chord's notes in turn           |
 * | `stop bass`, `stop bass at next bar`, `stop patterns` | stops (on the quantize by default) |
 * | `quantize beat`, `quantize bar`, `quantize off`      | when later changes land             |
 * | `swing 20%`, `time signature 3/4`                    | the clock                           |
 *
 * These lines are read before the rest of the phrase language (their
 * brackets, commas and parentheses are notation, not clause separators).
 *
 * @module
 */

import {
  type CommandSpec,
  patternBegin,
  patternCommit,
  patternCursor,
  patternNote,
  patternStop,
  setParam,
} from "../engine/command.ts";
import { DRUM_SPECS } from "../dsp/drums.ts";
import { RACK_ALL_TARGETS, RackTarget } from "../dsp/rack.ts";
import { MAX_PATTERN_EVENTS, TICKS_PER_BEAT, TransportParam } from "../dsp/sequencer.ts";
import { DEFAULT_VELOCITY, INSTRUMENT_NAMES } from "./instrument_parser.ts";
import { invalid, parsed, type ParseResult } from "./line_parser.ts";
import { type PatchModel, type PatchOp, type PhraseAction, QUANTIZE_BAR } from "./patch_model.ts";
import { newCtx } from "./phrase_context.ts";
import { PhraseError } from "./phrase_errors.ts";
import { DEFAULT_OCTAVES, readMusic } from "./phrase_music.ts";
import { DRUM_WORDS, midiOf, readPitch } from "./phrase_vocabulary.ts";
import { channelTarget, DRUMS_WORD, fmt, nameOf } from "./phrase_words.ts";
import { type Pattern, PatternError, type PatternEvent, readPattern } from "./pattern_notation.ts";

/** Ticks of a sixteenth note. */
const SIXTEENTH = TICKS_PER_BEAT / 4;

/** The sequencer track each target's loop plays on: lead 0 … keys 3, drums 4. */
export function patternTrack(target: number): number {
  return target === RackTarget.Drums || target === RackTarget.DrumStrip
    ? 4
    : target - RackTarget.FirstInstrument;
}

/** The target a channel word names, drums as the kit (not its strip). */
function soundTarget(target: number): number {
  return target === RackTarget.DrumStrip ? RackTarget.Drums : target;
}

/** Ticks of a bar at the model's time signature (4/4 unless set). */
function barTicks(model: PatchModel): number {
  return model.beatsPerBar * TICKS_PER_BEAT;
}

/** The MIDI note of a pattern atom on an instrument: a note name, or a MIDI number. */
function noteAtom(atom: string, target: number): number {
  if (/^\d+$/.test(atom)) {
    const n = Number(atom);
    if (n > 127) throw new PhraseError(`MIDI note ${atom} is out of range (0..127)`);
    return n;
  }
  const pitch = readPitch(atom);
  if (pitch === undefined) {
    throw new PhraseError(`"${atom}" is not a note (try c4, eb2, f#3 or a MIDI number)`);
  }
  const octave = pitch.octave ?? DEFAULT_OCTAVES[target - RackTarget.FirstInstrument] ?? 4;
  const note = midiOf(`${pitch.pitch}${octave}`);
  if (note === undefined || note < 0 || note > 127) {
    throw new PhraseError(`note "${atom}" is out of range (0..127)`);
  }
  return note;
}

/** The General MIDI note of a drum atom (`kick`, `bd`, `snare`, `hh`, …). */
function drumAtom(atom: string): number {
  const id = DRUM_WORDS.get(atom) ?? DRUM_WORDS.get(DRUM_ALIASES.get(atom) ?? "");
  const spec = id === undefined ? undefined : DRUM_SPECS[id];
  if (spec === undefined) {
    const names = [...DRUM_SPECS.map((d) => d.name), ...DRUM_ALIASES.keys()].join(", ");
    throw new PhraseError(`"${atom}" is not a drum (try ${names})`);
  }
  return spec.note;
}

/** Short drum names of the mini-notation world, to the kit's words. */
const DRUM_ALIASES: ReadonlyMap<string, string> = new Map([
  ["oh", "open"],
  ["ch", "closed"],
  ["cp", "clap"],
  ["lt", "low-tom"],
  ["mt", "mid-tom"],
  ["ht", "high-tom"],
  ["sn", "snare"],
  ["x", "kick"],
]);

/** One note of a loop: start, length, MIDI note, velocity. */
interface LoopNote {
  readonly tick: number;
  readonly length: number;
  readonly note: number;
  readonly velocity: number;
  /** Probability of playing each time round (1: always). */
  readonly chance?: number;
}

/**
 * The commands that make `target` loop `notes`, `lengthTicks` long, from
 * the next multiple of the model's quantize: begin, a cursor per distinct
 * (start, length), the notes, commit.
 */
function loopCommands(
  model: PatchModel,
  target: number,
  lengthTicks: number,
  notes: readonly LoopNote[],
): CommandSpec[] {
  if (notes.length > MAX_PATTERN_EVENTS) {
    throw new PhraseError(
      `the pattern has ${notes.length} notes; a loop holds at most ${MAX_PATTERN_EVENTS}`,
    );
  }
  const track = patternTrack(target);
  const specs: CommandSpec[] = [patternBegin(track, lengthTicks, soundTarget(target))];
  let cursor = "";
  for (const n of notes) {
    const key = `${n.tick}/${n.length}`;
    if (key !== cursor) {
      specs.push(patternCursor(track, n.tick, n.length));
      cursor = key;
    }
    specs.push(patternNote(track, n.note, n.velocity, n.chance ?? 1));
  }
  specs.push(patternCommit(track, model.quantize));
  return specs;
}

/** When a change made now lands, for messages. */
function landing(model: PatchModel): string {
  const q = model.quantize;
  if (q === 0) return "now";
  if (q === barTicks(model)) return "from the next bar";
  if (q === TICKS_PER_BEAT) return "from the next beat";
  return `from the next ${fmt(q / TICKS_PER_BEAT)} beats`;
}

function bars(model: PatchModel, ticks: number): string {
  const n = ticks / barTicks(model);
  return Number.isInteger(n)
    ? `${n} bar${n === 1 ? "" : "s"}`
    : `${fmt(ticks / TICKS_PER_BEAT)} beats`;
}

/** A parsed loop action for `target`; `text` is the phrase that makes it again (for sessions). */
function loopAction(
  model: PatchModel,
  target: number,
  lengthTicks: number,
  notes: readonly LoopNote[],
  text: string,
  what: string,
): ParseResult {
  const specs = loopCommands(model, target, lengthTicks, notes);
  const ops: PatchOp[] = [{ kind: "pattern", target: soundTarget(target), text }];
  const action: PhraseAction = {
    kind: "commands",
    specs,
    message: `${nameOf(target)}: ${what}, ${bars(model, lengthTicks)}, ${landing(model)}`,
    ops,
    later: [],
    spanMs: 0,
  };
  return parsed(action);
}

/** Velocity of loop notes on `target`: the instrument's velocity, or the default for drums. */
function loopVelocity(model: PatchModel, target: number): number {
  return target === RackTarget.Drums || target === RackTarget.DrumStrip
    ? DEFAULT_VELOCITY
    : model.velocity(target);
}

/** Notes of a read mini-notation pattern on `target`. */
function patternNotes(model: PatchModel, target: number, pattern: Pattern): LoopNote[] {
  const drums = soundTarget(target) === RackTarget.Drums;
  const transpose = drums ? 0 : model.transpose(target);
  const velocity = loopVelocity(model, target);
  return pattern.events.map((e: PatternEvent) => {
    const base = drums ? drumAtom(e.atom) : noteAtom(e.atom, target);
    const note = base + transpose;
    if (note < 0 || note > 127) throw new PhraseError(`"${e.atom}" transposed is out of range`);
    return {
      tick: e.tick,
      length: e.length,
      note,
      velocity: e.velocity ?? velocity,
      ...(e.chance === undefined ? {} : { chance: e.chance }),
    };
  });
}

// ------------------------------------------------------------ the lines

/** `[<inst>:] (seq|pattern) [<inst>] <notation>` */
const PATTERN_LINE =
  /^(?:(?:on\s+)?([a-z][\w-]*)\s*:\s*)?(seq|sequence|pattern|pat|loop)\s+(?:([a-z][\w-]*)\s+(?=\S))?(.+)$/;
/** `drums: <drum> <grid> [<drum> <grid> …]` */
const GRID_LINE = /^(?:drums?\s*:\s*|drums?\s+)((?:[a-z][\w-]*\s+[xX.\-~_]+\s*)+)$/;
/** `[<inst>:] arp <music> …` */
const ARP_LINE = /^(?:(?:on\s+)?([a-z][\w-]*)\s*:\s*)?(?:arp|arpeggio|arpeggiate)\s+(.+)$/;
/** `stop <inst>|patterns|loops|all [at next bar|beat|now]` */
const STOP_LINE =
  /^stop\s+(patterns|loops|all\s+patterns|all\s+loops|[a-z][\w-]*)(?:\s+(?:at\s+(?:the\s+)?next\s+(bar|beat)|(now)))?$/;
const QUANTIZE_LINE = /^quanti[sz]e\s+(bar|beat|off|none|(\d+)\s+beats?)$/;
const SWING_LINE = /^swing\s+(off|\d+(?:\.\d+)?%?)$/;
const METER_LINE = /^(?:time\s+signature\s+)?(\d{1,2})\/4(?:\s+time)?$/;

/**
 * Read `line` if it is a loop phrase (see the module doc): the action, an
 * `invalid` answer naming what is wrong, or undefined when the line is not
 * one of these (the rest of the phrase language reads it).
 */
export function patternLine(model: PatchModel, line: string): ParseResult | undefined {
  const text = line.trim().replace(/\s+/g, " ");
  const lower = text.toLowerCase();
  try {
    const p = PATTERN_LINE.exec(lower);
    if (p !== null) {
      const [, prefix, , named, rest = ""] = p;
      let target = channelOf(prefix) ?? model.focus;
      let notation = rest;
      const word = named === undefined ? undefined : channelTarget(named);
      if (word !== undefined && prefix === undefined) target = word;
      else if (named !== undefined) notation = `${named} ${rest}`;
      notation = notation.trim().replace(/^["']|["']$/g, "").trim();
      const read = readPattern(notation, barTicks(model));
      const notes = patternNotes(model, target, read);
      return loopAction(
        model,
        target,
        read.cycles * barTicks(model),
        notes,
        `${nameOf(target)}: pattern "${notation}"`,
        `pattern ${notation}`,
      );
    }
    const g = GRID_LINE.exec(text);
    if (g !== null) return grid(model, g[1] ?? "");
    const a = ARP_LINE.exec(lower);
    if (a !== null) return arp(model, channelOf(a[1]) ?? model.focus, a[2] ?? "");
    const s = STOP_LINE.exec(lower);
    if (s !== null) return stopLoop(model, s[1] ?? "", s[2], s[3] !== undefined);
    const q = QUANTIZE_LINE.exec(lower);
    if (q !== null) return quantize(q[1] ?? "", q[2]);
    const w = SWING_LINE.exec(lower);
    if (w !== null) return swing(w[1] ?? "");
    const m = METER_LINE.exec(lower);
    if (m !== null) return meter(Number(m[1]));
  } catch (error) {
    if (error instanceof PhraseError || error instanceof PatternError) {
      return invalid(error.message);
    }
    throw error;
  }
  return undefined;
}

/** The target of a `lead:`-style prefix, or undefined when there is none. */
function channelOf(word: string | undefined): number | undefined {
  if (word === undefined) return undefined;
  const target = channelTarget(word);
  if (target === undefined) {
    throw new PhraseError(
      `"${word}" is not an instrument (${[...INSTRUMENT_NAMES, DRUMS_WORD].join(", ")})`,
    );
  }
  return target;
}

/** A drum grid: rows of `<drum> <steps>`, one character a sixteenth; x hits, X accents. */
function grid(model: PatchModel, rows: string): ParseResult {
  const words = rows.trim().split(" ");
  const notes: LoopNote[] = [];
  let steps = 0;
  const parts: string[] = [];
  for (let i = 0; i + 1 < words.length; i += 2) {
    const name = (words[i] ?? "").toLowerCase();
    const cells = words[i + 1] ?? "";
    const note = drumAtom(name);
    steps = Math.max(steps, cells.length);
    [...cells].forEach((c, k) => {
      if (c === "x" || c === "X") {
        notes.push({
          tick: k * SIXTEENTH,
          length: SIXTEENTH,
          note,
          velocity: c === "X" ? 1 : DEFAULT_VELOCITY,
        });
      }
    });
    parts.push(`${name} ${cells}`);
  }
  if (words.length % 2 !== 0) throw new PhraseError(`"${words.at(-1)}" needs its steps (x...x...)`);
  if (notes.length === 0) throw new PhraseError("the grid has no hits: mark them with x");
  // Whole bars: the grid repeats every bar (or every few bars when longer).
  const bar = barTicks(model);
  const length = Math.max(1, Math.ceil((steps * SIXTEENTH) / bar)) * bar;
  notes.sort((a, b) => a.tick - b.tick);
  return loopAction(
    model,
    RackTarget.Drums,
    length,
    notes,
    `drums: ${parts.join(" ")}`,
    `grid ${parts.join(" ")}`,
  );
}

const ARP_ORDERS = new Set([
  "up",
  "down",
  "updown",
  "up-down",
  "downup",
  "down-up",
  "random",
  "played",
  "as-played",
]);

/**
 * `arp <chord or notes> [order] [n octaves] [rate] [triplets]`: the notes
 * in turn at the rate (default 1/16), over the octaves (default 1).
 */
function arp(model: PatchModel, target: number, rest: string): ParseResult {
  if (target === RackTarget.DrumStrip) {
    throw new PhraseError("arpeggios are for instruments, not drums");
  }
  const tokens = rest.split(" ");
  let order = "up";
  let octaves = 1;
  let rate = SIXTEENTH;
  let triplets = false;
  const music: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? "";
    const frac = /^1\/(\d{1,2})$/.exec(t);
    if (ARP_ORDERS.has(t)) order = t.replace("-", "");
    else if (/^\d$/.test(t) && /^octaves?$/.test(tokens[i + 1] ?? "")) {
      octaves = Number(t);
      i++;
    } else if (frac !== null) {
      const d = Number(frac[1]);
      if (![1, 2, 4, 8, 16, 32].includes(d)) {
        throw new PhraseError(`rate ${t}: use 1/4, 1/8, 1/16 or 1/32`);
      }
      rate = (4 * TICKS_PER_BEAT) / d;
    } else if (t === "triplets" || t === "triplet") triplets = true;
    else music.push(t);
  }
  if (!(octaves >= 1 && octaves <= 4)) throw new PhraseError("1 to 4 octaves");
  if (triplets) rate = (rate * 2) / 3;
  if (music.length === 0) throw new PhraseError("arp what? e.g. arp C minor up 1/16");
  const read = readMusic(newCtx(model, target), music);
  const base = [...new Set(read.notes)].sort((a, b) => a - b);
  const played = order === "played" || order === "asplayed" ? read.notes : base;
  const ladder: number[] = [];
  for (let o = 0; o < octaves; o++) for (const n of played) ladder.push(n + 12 * o);
  let sequence: number[];
  switch (order) {
    case "down":
      sequence = [...ladder].reverse();
      break;
    case "updown":
      sequence = [...ladder, ...ladder.slice(1, -1).reverse()];
      break;
    case "downup":
      sequence = [...[...ladder].reverse(), ...ladder.slice(1, -1)];
      break;
    case "random":
      sequence = shuffled(ladder, ladder.reduce((h, n) => (h * 31 + n) >>> 0, 7));
      break;
    default:
      sequence = ladder;
  }
  const transpose = model.transpose(target);
  const velocity = loopVelocity(model, target);
  const notes = sequence.map((n, k) => {
    const note = n + transpose;
    if (note < 0 || note > 127) throw new PhraseError("the arpeggio goes out of range (0..127)");
    return {
      tick: Math.round(k * rate),
      length: Math.max(1, Math.round(rate / 2)),
      note,
      velocity,
    };
  });
  const length = Math.round(sequence.length * rate);
  const label = read.label === "" ? music.join(" ") : read.label;
  return loopAction(
    model,
    target,
    length,
    notes,
    `${nameOf(target)}: arp ${rest}`,
    `arpeggio ${label} ${order}, ${octaves} octave${octaves === 1 ? "" : "s"}`,
  );
}

/** `items` in a fixed pseudo-random order from `seed` (the same phrase, the same order). */
function shuffled(items: readonly number[], seed: number): number[] {
  const out = [...items];
  let a = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    a = (Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    const j = a % (i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

function stopLoop(
  model: PatchModel,
  what: string,
  next: string | undefined,
  now: boolean,
): ParseResult | undefined {
  const all = /^(all\s+)?(patterns|loops)$/.test(what);
  const target = all ? undefined : channelTarget(what);
  // Not a loop ("stop c4"), or nothing looping there ("stop bass" releases its notes).
  if (!all && (target === undefined || model.pattern(soundTarget(target)) === undefined)) {
    return undefined;
  }
  const quantum = now
    ? 0
    : next === "beat"
    ? TICKS_PER_BEAT
    : next === "bar"
    ? barTicks(model)
    : model.quantize;
  const when = quantum === 0
    ? "now"
    : quantum === TICKS_PER_BEAT
    ? "at the next beat"
    : "at the next bar";
  const targets = all ? model.patternTargets : [soundTarget(target as number)];
  const specs = all
    ? [patternStop(RACK_ALL_TARGETS, quantum)]
    : [patternStop(patternTrack(target as number), quantum)];
  const action: PhraseAction = {
    kind: "commands",
    specs,
    message: `${all ? "every loop" : nameOf(target as number)}: stop ${when}`,
    ops: targets.map((t) => ({ kind: "pattern", target: t, text: null })),
    later: [],
    spanMs: 0,
  };
  return parsed(action);
}

function quantize(word: string, beats: string | undefined): ParseResult {
  const ticks = beats !== undefined
    ? Number(beats) * TICKS_PER_BEAT
    : word === "bar"
    ? QUANTIZE_BAR
    : word === "beat"
    ? TICKS_PER_BEAT
    : 0;
  if (!(ticks >= QUANTIZE_BAR && ticks <= 64 * TICKS_PER_BEAT)) {
    throw new PhraseError("quantize 1 to 64 beats");
  }
  const action: PhraseAction = {
    kind: "commands",
    specs: [],
    message: ticks === 0
      ? "loops change at once"
      : ticks === QUANTIZE_BAR
      ? "loops change on the next bar"
      : ticks === TICKS_PER_BEAT
      ? "loops change on the next beat"
      : `loops change every ${fmt(ticks / TICKS_PER_BEAT)} beats`,
    ops: [{ kind: "quantize", ticks }],
    later: [],
    spanMs: 0,
  };
  return parsed(action);
}

function swing(word: string): ParseResult {
  const amount = word === "off"
    ? 0
    : word.endsWith("%")
    ? Number(word.slice(0, -1)) / 100
    : Number(word);
  if (!(amount >= 0 && amount <= 0.5)) throw new PhraseError("swing 0 to 50% (of a sixteenth)");
  const action: PhraseAction = {
    kind: "commands",
    specs: [setParam(TransportParam.Swing, amount, RackTarget.Transport)],
    message: `swing ${fmt(amount * 100)}%`,
    ops: [],
    later: [],
    spanMs: 0,
  };
  return parsed(action);
}

function meter(beats: number): ParseResult {
  if (!(beats >= 1 && beats <= 16)) throw new PhraseError("time signature 1/4 to 16/4");
  const action: PhraseAction = {
    kind: "commands",
    specs: [setParam(TransportParam.BeatsPerBar, beats, RackTarget.Transport)],
    message: `time signature ${beats}/4`,
    ops: [{ kind: "meter", beats }],
    later: [],
    spanMs: 0,
  };
  return parsed(action);
}
