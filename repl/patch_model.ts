/**
 * The REPL-side mirror of the sound: every parameter of every rack target
 * (starting from the DSP spec tables' initial values), the tempo, the
 * focused instrument, each instrument's transpose, default velocity and
 * held notes, the gains remembered by `mute`, and a per-source undo history.
 *
 * The model changes only through {@linkcode PatchModel.apply} (the exact
 * command specs sent to the engine, clamped as the DSP clamps them) and
 * {@linkcode PatchModel.commit} (a whole parsed line, phrase bookkeeping
 * included). Parsers read it, never write it: the session commits a line
 * after the engine accepted its commands, so a line changes the model
 * completely or not at all.
 *
 * @module
 */

import { TICKS_PER_BEAT } from "../dsp/sequencer.ts";
import { Opcode, setParam } from "../engine/command.ts";
import type { CommandSpec } from "../engine/command.ts";
import {
  clampInstrumentParam,
  INSTRUMENT_PARAM_SPECS,
  InstrumentParam,
} from "../dsp/instrument.ts";
import { DRUM_COUNT, DRUM_PARAM_COUNT, DRUM_SPECS, DRUM_TUNE_RANGE } from "../dsp/drums.ts";
import { MIXER_PARAM_SPECS, type MixerParamSpec, STRIP_PARAM_SPECS } from "../dsp/mixer.ts";
import { PARAM_SPECS } from "../dsp/params.ts";
import { INSTRUMENT_TARGETS, RACK_ALL_TARGETS, RackTarget } from "../dsp/rack.ts";
import { INSTRUMENT_NAMES } from "./instrument_parser.ts";
import type { LineAction } from "./line_parser.ts";

/** Tempo of a fresh model, in beats per minute. */
export const DEFAULT_TEMPO = 120;
/** Slowest and fastest tempo when the mixer has no `tempo` parameter, in bpm. */
export const TEMPO_RANGE: { readonly min: number; readonly max: number } = { min: 20, max: 300 };
/** Note velocity of an instrument before any dynamic mark (`mf`, `ff`, …). */
export const DEFAULT_NOTE_VELOCITY = 0.8;
/** Undo steps kept per source; older steps are forgotten. */
export const UNDO_DEPTH = 100;
/** The source name used when the caller gives none. */
export const DEFAULT_SOURCE = "local";

/** One parameter's name, range and start value, whatever its target. */
export interface ParamRange {
  /** Address-like name, e.g. `filter/cutoff`, `kick/decay`, `reverb/size`. */
  readonly name: string;
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
  /** Value at start-up. */
  readonly initial: number;
  /** Unit shown to users ("" for plain amounts). */
  readonly unit: string;
  /** Values are rounded to whole numbers. */
  readonly integer?: boolean;
  /** Values are 0 or 1 (>= 0.5 is 1). */
  readonly toggle?: boolean;
}

const SYNTH_NAMES = [
  "sine/freq",
  "sine/gain",
  "filter/cutoff",
  "filter/resonance",
  "adsr/attack",
  "adsr/decay",
  "adsr/sustain",
  "adsr/release",
  "gate",
  "master/gain",
];

const DRUM_PARAM_NAMES = ["level", "tune", "decay", "tone", "pan"];

function drumRanges(): ParamRange[] {
  const out: ParamRange[] = [];
  for (const drum of DRUM_SPECS.slice(0, DRUM_COUNT)) {
    const n = drum.name;
    out.push(
      { name: `${n}/level`, min: 0, max: 1, initial: drum.level, unit: "" },
      { name: `${n}/tune`, min: -DRUM_TUNE_RANGE, max: DRUM_TUNE_RANGE, initial: 0, unit: "st" },
      {
        name: `${n}/decay`,
        min: drum.minDecayMs,
        max: drum.maxDecayMs,
        initial: drum.decayMs,
        unit: "ms",
      },
      { name: `${n}/tone`, min: 0, max: 1, initial: drum.tone, unit: "" },
      { name: `${n}/pan`, min: -1, max: 1, initial: 0, unit: "" },
    );
  }
  return out;
}

function mixerRanges(specs: readonly MixerParamSpec[]): ParamRange[] {
  return specs.map((s) => ({ ...s }));
}

/**
 * The parameter table of each rack target, indexed by target then param,
 * built from the DSP spec tables when this module loads.
 */
const RANGES: readonly (readonly ParamRange[])[] = (() => {
  const table: ParamRange[][] = [];
  table[RackTarget.MiniSynth] = PARAM_SPECS.map((s, i) => ({
    ...s,
    name: SYNTH_NAMES[i] ?? `param${i}`,
  }));
  for (let k = 0; k < INSTRUMENT_TARGETS; k++) {
    table[RackTarget.FirstInstrument + k] = INSTRUMENT_PARAM_SPECS.map((s) => ({ ...s }));
  }
  table[RackTarget.Drums] = drumRanges();
  table[RackTarget.Mixer] = mixerRanges(MIXER_PARAM_SPECS);
  table[RackTarget.MiniSynthStrip] = mixerRanges(STRIP_PARAM_SPECS);
  table[RackTarget.DrumStrip] = mixerRanges(STRIP_PARAM_SPECS);
  return table;
})();

const INITIAL: readonly Float64Array[] = RANGES.map((ranges) =>
  Float64Array.from(ranges.map((r) => r.initial))
);

/**
 * Name, range and start value of `param` of rack target `target`, or
 * `undefined` when the target has no such parameter.
 *
 * @example
 * ```ts
 * import { paramRange } from "./patch_model.ts";
 * console.log(paramRange(1, 7)?.name); // filter/cutoff
 * ```
 */
export function paramRange(target: number, param: number): ParamRange | undefined {
  return RANGES[target]?.[param];
}

/**
 * `value` clamped (and rounded, for choices and toggles) the way the DSP
 * module of `target` clamps it; NaN for an unknown parameter or a
 * non-finite value (the DSP ignores those).
 *
 * @example
 * ```ts
 * import { clampTargetParam } from "./patch_model.ts";
 * console.log(clampTargetParam(1, 7, 99999)); // 20000
 * ```
 */
export function clampTargetParam(target: number, param: number, value: number): number {
  const range = paramRange(target, param);
  if (range === undefined || !Number.isFinite(value)) return NaN;
  if (target >= RackTarget.FirstInstrument && target <= RackTarget.LastInstrument) {
    const v = clampInstrumentParam(param, value);
    // The rack builds every instrument with the default capacity.
    return param === InstrumentParam.Polyphony ? Math.min(v, range.initial) : v;
  }
  const v = range.toggle === true ? (value >= 0.5 ? 1 : 0) : value;
  return v < range.min ? range.min : v > range.max ? range.max : v;
}

/** The mixer's `tempo` parameter, if the mixer has one (read at run time). */
export function tempoParam(): MixerParamSpec | undefined {
  return MIXER_PARAM_SPECS.find((s) => s.name === "tempo");
}

/** Slowest and fastest tempo: the mixer's `tempo` range, else {@linkcode TEMPO_RANGE}. */
export function tempoRange(): { readonly min: number; readonly max: number } {
  const spec = tempoParam();
  return spec === undefined ? TEMPO_RANGE : { min: spec.min, max: spec.max };
}

/** A change to the model's bookkeeping that no engine command carries. */
export type PatchOp =
  /** Focus instrument `target` (1..4): phrases without an instrument go there. */
  | { readonly kind: "focus"; readonly target: number }
  /** Set the tempo in bpm. */
  | { readonly kind: "tempo"; readonly bpm: number }
  /** Set the transpose of instrument `target`, in semitones (applies to later notes). */
  | { readonly kind: "transpose"; readonly target: number; readonly semitones: number }
  /** Set the velocity of later notes on instrument `target`. */
  | { readonly kind: "velocity"; readonly target: number; readonly velocity: number }
  /** Remember `gain` as the gain to restore on unmute (or forget it: `null`). */
  | { readonly kind: "muted"; readonly target: number; readonly gain: number | null }
  /** Target `target` loops the pattern `text` (or stops: `null`). */
  | { readonly kind: "pattern"; readonly target: number; readonly text: string | null }
  /** Pattern changes wait for the next multiple of `ticks` (960 per beat; 0: none; -1: a bar). */
  | { readonly kind: "quantize"; readonly ticks: number }
  /** Beats in a bar (the time signature's numerator, over 4). */
  | { readonly kind: "meter"; readonly beats: number }
  /** Undo the last undoable change of the committing source. */
  | { readonly kind: "undo" };

/** A command list to send after a delay, measured from when the line was sent. */
export interface LaterCommands {
  /** Milliseconds after the line's own commands. */
  readonly afterMs: number;
  /** The commands. */
  readonly specs: readonly CommandSpec[];
}

/**
 * A `commands` action from the phrase parser: besides the commands to send
 * now, the bookkeeping ops for the model and the commands to send later.
 * It is a {@linkcode LineAction}; {@linkcode isPhraseAction} tells them apart.
 */
export interface PhraseAction {
  /** Always "commands". */
  readonly kind: "commands";
  /** Commands to send now. */
  readonly specs: readonly CommandSpec[];
  /** What the line does, in a few words. */
  readonly message: string;
  /** Model bookkeeping to commit with the commands. */
  readonly ops: readonly PatchOp[];
  /** Commands to send later, in increasing `afterMs` order. */
  readonly later: readonly LaterCommands[];
  /**
   * How long the phrase lasts, in ms (its waits and timed notes): a script
   * reads its next line only after this long. 0 or absent: at once.
   */
  readonly spanMs?: number;
}

/**
 * True when `action` came from the phrase parser (it carries ops and a
 * `later` list).
 */
export function isPhraseAction(action: LineAction): action is PhraseAction & LineAction {
  if (action.kind !== "commands") return false;
  const extra = action as Partial<PhraseAction>;
  return Array.isArray(extra.ops) && Array.isArray(extra.later);
}

/** The bookkeeping part of a model, copied for undo. */
interface Meta {
  tempo: number;
  focus: number;
  transpose: Map<number, number>;
  velocity: Map<number, number>;
  muted: Map<number, number>;
  patterns: Map<number, string>;
  quantize: number;
  beatsPerBar: number;
}

function copyMeta(meta: Meta): Meta {
  return {
    tempo: meta.tempo,
    focus: meta.focus,
    transpose: new Map(meta.transpose),
    velocity: new Map(meta.velocity),
    muted: new Map(meta.muted),
    patterns: new Map(meta.patterns),
    quantize: meta.quantize,
    beatsPerBar: meta.beatsPerBar,
  };
}

/** One undo step: the values before the change, of everything it changed. */
interface UndoStep {
  /** key → value before; key is `target * 65536 + param`. */
  readonly params: Map<number, number>;
  readonly before: Meta;
  readonly after: Meta;
}

/** A plain-object picture of an instrument, for {@linkcode PatchJson}. */
export interface InstrumentJson {
  /** Every parameter by name. */
  readonly params: Record<string, number>;
  /** Notes held, by name (e.g. "C4"), low to high. */
  readonly held: readonly string[];
  /** Transpose of later notes, in semitones. */
  readonly transpose: number;
  /** Velocity of later notes. */
  readonly velocity: number;
  /** True while muted (a gain is remembered for unmute). */
  readonly muted: boolean;
}

/** What {@linkcode PatchModel.toJSON} returns (and `state --json` will print). */
export interface PatchJson {
  /** Tempo in bpm. */
  readonly tempo: number;
  /** The focused instrument's name. */
  readonly focus: string;
  /** Every instrument by name. */
  readonly instruments: Record<string, InstrumentJson>;
  /** The minimal synth's parameters and its channel strip. */
  readonly synth: {
    readonly params: Record<string, number>;
    readonly strip: Record<string, number>;
  };
  /** Every drum parameter by `drum/param`, the drum strip, and whether it is muted. */
  readonly drums: {
    readonly params: Record<string, number>;
    readonly strip: Record<string, number>;
    readonly muted: boolean;
  };
  /** The mixer's parameters by name. */
  readonly mixer: Record<string, number>;
  /** The pattern each target loops, by target name (`lead`, …, `drums`). */
  readonly patterns: Record<string, string>;
  /** What pattern changes wait for: "bar", "beat" or "none". */
  readonly quantize: string;
}

/** The `quantize` value meaning "the next bar" (whatever the time signature). */
export const QUANTIZE_BAR = -1;

const NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

/** The name of MIDI note `note` with sharps, e.g. 61 → "C#4", 60.5 → "60.5". */
export function midiName(note: number): string {
  if (!Number.isInteger(note)) return String(note);
  return `${NOTE_NAMES[((note % 12) + 12) % 12]}${Math.floor(note / 12) - 1}`;
}

function paramKey(target: number, param: number): number {
  return target * 65536 + param;
}

/**
 * The sound's settings as the REPL last sent them.
 *
 * @example
 * ```ts
 * import { PatchModel } from "./patch_model.ts";
 * import { setParam } from "../engine/command.ts";
 * const model = new PatchModel();
 * model.apply([setParam(7, 1200, 1)]); // lead filter/cutoff
 * console.log(model.param(1, 7), model.toJSON().instruments.lead?.params["filter/cutoff"]); // 1200 1200
 * ```
 */
export class PatchModel {
  #params: Float64Array[];
  #held: Map<number, Set<number>>;
  #meta: Meta;
  #history: Map<string, UndoStep[]>;

  /**
   * A model of a fresh rack (every parameter at its initial value, tempo
   * 120 or the mixer's initial tempo, focus on lead), or a copy of `from`.
   */
  constructor(from?: PatchModel) {
    if (from !== undefined) {
      this.#params = from.#params.map((values) => values.slice());
      this.#held = new Map([...from.#held].map(([t, notes]) => [t, new Set(notes)]));
      this.#meta = copyMeta(from.#meta);
      this.#history = new Map([...from.#history].map(([source, steps]) => [source, steps.slice()]));
      return;
    }
    this.#params = INITIAL.map((values) => values.slice());
    this.#held = new Map();
    for (let k = 0; k < INSTRUMENT_TARGETS; k++) {
      this.#held.set(RackTarget.FirstInstrument + k, new Set());
    }
    this.#meta = {
      tempo: tempoParam()?.initial ?? DEFAULT_TEMPO,
      focus: RackTarget.FirstInstrument,
      transpose: new Map(),
      velocity: new Map(),
      muted: new Map(),
      patterns: new Map(),
      quantize: QUANTIZE_BAR,
      beatsPerBar: 4,
    };
    this.#history = new Map();
  }

  /** An independent copy, history included. */
  clone(): PatchModel {
    return new PatchModel(this);
  }

  /** Tempo in beats per minute. */
  get tempo(): number {
    return this.#meta.tempo;
  }

  /** The focused instrument's target (1..4). */
  get focus(): number {
    return this.#meta.focus;
  }

  /** Last value of `param` of `target`; NaN for an unknown one. */
  param(target: number, param: number): number {
    return this.#params[target]?.[param] ?? NaN;
  }

  /** Transpose of later notes on instrument `target`, in semitones. */
  transpose(target: number): number {
    return this.#meta.transpose.get(target) ?? 0;
  }

  /** Velocity of later notes on instrument `target`. */
  velocity(target: number): number {
    return this.#meta.velocity.get(target) ?? DEFAULT_NOTE_VELOCITY;
  }

  /** The gain `unmute` restores on `target`, or undefined when it is not muted. */
  mutedGain(target: number): number | undefined {
    return this.#meta.muted.get(target);
  }

  /** Notes held on instrument `target`, low to high. */
  held(target: number): number[] {
    return [...(this.#held.get(target) ?? [])].sort((a, b) => a - b);
  }

  /** Number of undo steps kept for `source`. */
  undoDepth(source: string = DEFAULT_SOURCE): number {
    return this.#history.get(source)?.length ?? 0;
  }

  /**
   * The commands that undo the last step of `source`, and a description;
   * `undefined` when there is nothing to undo. Does not change the model:
   * commit an action with an `undo` op to do that.
   */
  undoPlan(
    source: string = DEFAULT_SOURCE,
  ): { readonly specs: CommandSpec[]; readonly message: string } | undefined {
    const step = this.#history.get(source)?.at(-1);
    if (step === undefined) return undefined;
    const specs: CommandSpec[] = [];
    const names: string[] = [];
    for (const [key, before] of step.params) {
      const target = Math.floor(key / 65536);
      const param = key % 65536;
      specs.push(setParam(param, before, target));
      names.push(paramRange(target, param)?.name ?? String(param));
    }
    const { before, after } = step;
    if (before.tempo !== after.tempo) names.push("tempo");
    if (before.focus !== after.focus) names.push("focus");
    if (!sameMap(before.transpose, after.transpose)) names.push("transpose");
    if (!sameMap(before.velocity, after.velocity)) names.push("velocity");
    const unique = [...new Set(names)];
    const shown = unique.length > 4 ? [...unique.slice(0, 4), "…"] : unique;
    return { specs, message: `undo: ${shown.join(", ") || "nothing changed"}` };
  }

  /**
   * Update the model from commands the engine accepted: parameters (clamped
   * as the DSP clamps them), held notes, and the tempo when the mixer has a
   * `tempo` parameter. Records one undo step for `source` when a parameter
   * changed.
   */
  apply(specs: readonly CommandSpec[], source: string = DEFAULT_SOURCE): void {
    this.#record(source, () => {
      for (const spec of specs) this.#applySpec(spec);
    });
  }

  /**
   * Commit a parsed line after the engine accepted its commands: a phrase
   * action's commands now and later (the model then shows the state after
   * the whole phrase) and its bookkeeping ops, as one undo step of
   * `source`; any other `commands` action as {@linkcode apply}. Other
   * actions change nothing.
   */
  commit(action: LineAction, source: string = DEFAULT_SOURCE): void {
    if (action.kind !== "commands") return;
    if (!isPhraseAction(action)) {
      this.apply(action.specs, source);
      return;
    }
    if (action.ops.some((op) => op.kind === "undo")) {
      this.#undo(source);
      return;
    }
    this.#record(source, () => {
      for (const spec of action.specs) this.#applySpec(spec);
      for (const later of action.later) for (const spec of later.specs) this.#applySpec(spec);
      for (const op of action.ops) this.#applyOp(op);
    });
  }

  /**
   * Apply commands and ops without recording undo history (the phrase
   * parser uses this on its private copy while it reads a phrase).
   */
  applyQuietly(specs: readonly CommandSpec[], ops: readonly PatchOp[] = []): void {
    for (const spec of specs) this.#applySpec(spec);
    for (const op of ops) this.#applyOp(op);
  }

  #record(source: string, change: () => void): void {
    const before = this.#params.map((values) => values.slice());
    const meta = copyMeta(this.#meta);
    change();
    const params = new Map<number, number>();
    this.#params.forEach((values, target) => {
      const old = before[target] as Float64Array;
      for (let p = 0; p < values.length; p++) {
        if (!Object.is(values[p], old[p])) params.set(paramKey(target, p), old[p] as number);
      }
    });
    const after = copyMeta(this.#meta);
    if (params.size === 0 && sameMeta(meta, after)) return;
    const steps = this.#history.get(source) ?? [];
    steps.push({ params, before: meta, after });
    if (steps.length > UNDO_DEPTH) steps.shift();
    this.#history.set(source, steps);
  }

  #undo(source: string): void {
    const step = this.#history.get(source)?.pop();
    if (step === undefined) return;
    for (const [key, value] of step.params) {
      const target = Math.floor(key / 65536);
      this.#setValue(target, key % 65536, value);
    }
    const { before, after } = step;
    const meta = this.#meta;
    if (before.tempo !== after.tempo) meta.tempo = before.tempo;
    if (before.focus !== after.focus) meta.focus = before.focus;
    restoreMap(meta.transpose, before.transpose, after.transpose);
    restoreMap(meta.velocity, before.velocity, after.velocity);
    restoreMap(meta.muted, before.muted, after.muted);
  }

  #setValue(target: number, param: number, value: number): void {
    const v = clampTargetParam(target, param, value);
    const values = this.#params[target];
    if (Number.isNaN(v) || values === undefined) return;
    values[param] = v;
    const tempo = tempoParam();
    if (target === RackTarget.Mixer && tempo !== undefined && param === tempo.id) {
      this.#meta.tempo = v;
    }
  }

  #applySpec(spec: CommandSpec): void {
    switch (spec.opcode) {
      case Opcode.SetParam:
        this.#setValue(spec.target, spec.param, spec.value);
        return;
      case Opcode.NoteOn:
        if (spec.value === 0) this.#held.get(spec.target)?.delete(spec.param);
        else if (spec.value > 0 && spec.value <= 1) this.#held.get(spec.target)?.add(spec.param);
        return;
      case Opcode.NoteOff:
        this.#held.get(spec.target)?.delete(spec.param);
        return;
      case Opcode.AllNotesOff:
        if (spec.target === RACK_ALL_TARGETS || spec.target === -1) {
          for (const notes of this.#held.values()) notes.clear();
          this.#setValue(RackTarget.MiniSynth, SYNTH_NAMES.indexOf("gate"), 0);
        } else if (spec.target === RackTarget.MiniSynth) {
          this.#setValue(RackTarget.MiniSynth, SYNTH_NAMES.indexOf("gate"), 0);
        } else {
          this.#held.get(spec.target)?.clear();
        }
        return;
    }
  }

  #applyOp(op: PatchOp): void {
    const meta = this.#meta;
    switch (op.kind) {
      case "focus":
        if (this.#held.has(op.target)) meta.focus = op.target;
        return;
      case "tempo": {
        const { min, max } = tempoRange();
        if (Number.isFinite(op.bpm)) meta.tempo = Math.min(max, Math.max(min, op.bpm));
        return;
      }
      case "transpose":
        if (op.semitones === 0) meta.transpose.delete(op.target);
        else if (Number.isFinite(op.semitones)) meta.transpose.set(op.target, op.semitones);
        return;
      case "velocity":
        if (op.velocity > 0 && op.velocity <= 1) meta.velocity.set(op.target, op.velocity);
        return;
      case "muted":
        if (op.gain === null) meta.muted.delete(op.target);
        else if (Number.isFinite(op.gain)) meta.muted.set(op.target, op.gain);
        return;
      case "pattern":
        if (op.text === null) meta.patterns.delete(op.target);
        else meta.patterns.set(op.target, op.text);
        return;
      case "quantize":
        if (Number.isInteger(op.ticks) && op.ticks >= QUANTIZE_BAR) meta.quantize = op.ticks;
        return;
      case "meter":
        if (Number.isInteger(op.beats) && op.beats >= 1 && op.beats <= 16) {
          meta.beatsPerBar = op.beats;
        }
        return;
      case "undo":
        return;
    }
  }

  /** The pattern text `target` loops, if any. */
  pattern(target: number): string | undefined {
    return this.#meta.patterns.get(target);
  }

  /** Targets looping a pattern. */
  get patternTargets(): number[] {
    return [...this.#meta.patterns.keys()].sort((a, b) => a - b);
  }

  /** Ticks pattern changes wait for (960 per beat; 0: they apply at once), a bar by default. */
  get quantize(): number {
    const q = this.#meta.quantize;
    return q === QUANTIZE_BAR ? this.beatsPerBar * TICKS_PER_BEAT : q;
  }

  /** Beats in a bar. */
  get beatsPerBar(): number {
    return this.#meta.beatsPerBar;
  }

  /**
   * A plain object of the whole model: tempo, focus, each instrument's
   * parameters by name with its held notes, the synth, the drums, the mixer.
   */
  toJSON(): PatchJson {
    const named = (target: number): Record<string, number> => {
      const out: Record<string, number> = {};
      const values = this.#params[target];
      (RANGES[target] ?? []).forEach((range, i) => {
        out[range.name] = values?.[i] ?? NaN;
      });
      return out;
    };
    const instruments: Record<string, InstrumentJson> = {};
    INSTRUMENT_NAMES.forEach((name, k) => {
      const target = RackTarget.FirstInstrument + k;
      instruments[name] = {
        params: named(target),
        held: this.held(target).map(midiName),
        transpose: this.transpose(target),
        velocity: this.velocity(target),
        muted: this.#meta.muted.has(target),
      };
    });
    return {
      tempo: this.tempo,
      focus: INSTRUMENT_NAMES[this.focus - RackTarget.FirstInstrument] ?? "lead",
      instruments,
      synth: { params: named(RackTarget.MiniSynth), strip: named(RackTarget.MiniSynthStrip) },
      drums: {
        params: named(RackTarget.Drums),
        strip: named(RackTarget.DrumStrip),
        muted: this.#meta.muted.has(RackTarget.DrumStrip),
      },
      mixer: named(RackTarget.Mixer),
      patterns: Object.fromEntries(
        this.patternTargets.map((t) => [
          t === RackTarget.Drums
            ? "drums"
            : INSTRUMENT_NAMES[t - RackTarget.FirstInstrument] ?? `${t}`,
          this.#meta.patterns.get(t) ?? "",
        ]),
      ),
      quantize: this.#meta.quantize === QUANTIZE_BAR
        ? "bar"
        : this.#meta.quantize === 0
        ? "none"
        : this.#meta.quantize === TICKS_PER_BEAT
        ? "beat"
        : this.#meta.quantize % TICKS_PER_BEAT === 0
        ? `${this.#meta.quantize / TICKS_PER_BEAT} beats`
        : `${this.#meta.quantize} ticks`,
    };
  }
}

function sameMap(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function sameMeta(a: Meta, b: Meta): boolean {
  return a.tempo === b.tempo && a.focus === b.focus && sameMap(a.transpose, b.transpose) &&
    sameMap(a.velocity, b.velocity) && sameMap(a.muted, b.muted);
}

/** Put back in `current` every key whose value differs between `before` and `after`. */
function restoreMap(
  current: Map<number, number>,
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
): void {
  const keys = new Set([...before.keys(), ...after.keys()]);
  for (const key of keys) {
    if (before.get(key) === after.get(key)) continue;
    const old = before.get(key);
    if (old === undefined) current.delete(key);
    else current.set(key, old);
  }
}

/** Number of per-drum params on the drum target, for callers addressing drums by name. */
export const DRUM_PARAMS_PER_DRUM = DRUM_PARAM_COUNT;
/** Per-drum parameter names, in `DrumParam` order. */
export const DRUM_PARAM_WORDS: readonly string[] = DRUM_PARAM_NAMES;
