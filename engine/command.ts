/**
 * Fixed-size command structs: what the REPL, stdin, OSC and tests send to the
 * DSP slots. One command is 64 bytes in a queue; this file owns the layout.
 *
 * Byte layout (native endianness, read through typed-array views):
 *
 * | bytes | field  | type    | meaning                                        |
 * |-------|--------|---------|------------------------------------------------|
 * | 0–3   | opcode | uint32  | {@linkcode Opcode}                             |
 * | 4–7   | target | uint32  | module / voice / track (0 = the minimal synth) |
 * | 8–11  | param  | uint32  | parameter id or sub-operation                  |
 * | 12–15 | flags  | uint32  | reserved, 0                                    |
 * | 16–23 | value  | float64 | the value                                      |
 * | 24–31 | frame  | float64 | absolute frame at which the command applies    |
 * | 32–39 | seq    | float64 | sequence number, increasing per engine         |
 * | 40–63 | —      | —       | reserved, 0                                    |
 *
 * @module
 */

/** Size of one command struct in bytes. */
export const COMMAND_BYTES = 64;
/** Size of one command struct in 32-bit words. */
export const COMMAND_WORDS = COMMAND_BYTES / 4;

/** Size of one command struct in 64-bit floats. */
export const COMMAND_F64S = COMMAND_BYTES / 8;

/** Offsets of the uint32 fields within one struct, in 32-bit words. */
export const WordField = { Opcode: 0, Target: 1, Param: 2, Flags: 3 } as const;

/** Offsets of the float64 fields within one struct, in 64-bit floats. */
export const FloatField = { Value: 2, Frame: 3, Seq: 4 } as const;

/** What a command does. */
export const Opcode = {
  /** Does nothing; never sent. */
  Nop: 0,
  /** Set parameter `param` of module `target` to `value`. */
  SetParam: 1,
  /** Write a state snapshot for a slot being restored (supervisor only). */
  Snapshot: 2,
  /** Inject a fault into one slot (tests and demos); `param` is a {@linkcode FaultKind}. */
  Fault: 3,
  /** Start note `param` (MIDI 0..127) on module `target` at velocity `value` (0..1]. */
  NoteOn: 4,
  /** Release note `param` on module `target`. */
  NoteOff: 5,
  /** Release every note of module `target`. */
  AllNotesOff: 6,
  /**
   * Start building a looping pattern for track `target`: `param` ticks long
   * (960 per beat), its notes played on module `value`.
   */
  PatternBegin: 7,
  /** Where track `target`'s next pattern notes go: at tick `param`, `value` ticks long. */
  PatternCursor: 8,
  /**
   * Add note `param` at velocity `value` (0..1] to track `target`'s pattern
   * at the cursor; `flags` is its chance of playing each time round, in
   * 1/65536 (0: always).
   */
  PatternNote: 9,
  /** Play track `target`'s built pattern from the next multiple of `param` ticks (0: now). */
  PatternCommit: 10,
  /** Stop track `target` (0xFFFFFFFF: every track) at the next multiple of `param` ticks. */
  PatternStop: 11,
} as const;

/** An opcode value. */
export type OpcodeValue = typeof Opcode[keyof typeof Opcode];

/** Faults a `Fault` command can inject into a DSP worker. */
export const FaultKind = {
  /** Throw an uncaught exception from the render loop. */
  Throw: 0,
  /** Spin forever without rendering. */
  Hang: 1,
  /** Close the worker abruptly, as a crash would. */
  Exit: 2,
} as const;

/** A fault kind value. */
export type FaultKindValue = typeof FaultKind[keyof typeof FaultKind];

/**
 * A command as the parser produces it: what to do, not yet when.
 * The engine stamps `frame` and `seq` when it sends it.
 */
export interface CommandSpec {
  /** What to do. */
  readonly opcode: OpcodeValue;
  /** Module / voice / track; 0 is the minimal synth. */
  readonly target: number;
  /** Parameter id or sub-operation. */
  readonly param: number;
  /** Extra small integer of some opcodes (a pattern note's chance); else 0. */
  readonly flags: number;
  /** The value. */
  readonly value: number;
}

/** A command stamped with the frame at which it applies and its sequence number. */
export interface Command extends CommandSpec {
  /** Absolute frame at which it applies (a multiple of the block size today). */
  readonly frame: number;
  /** Sequence number, increasing per engine. */
  readonly seq: number;
}

/**
 * Build a `SetParam` command spec.
 *
 * @example
 * ```ts
 * import { setParam } from "./command.ts";
 * import { SynthParam } from "../dsp/params.ts";
 * const spec = setParam(SynthParam.SineFreq, 440);
 * console.log(spec.opcode, spec.param, spec.value); // 1 0 440
 * ```
 */
export function setParam(param: number, value: number, target = 0): CommandSpec {
  return { opcode: Opcode.SetParam, target, param, flags: 0, value };
}

/**
 * A command starting MIDI note `note` on module `target` at `velocity` (0..1].
 *
 * @example
 * ```ts
 * import { noteOn } from "./command.ts";
 * const spec = noteOn(1, 60, 0.8); // middle C on module 1
 * console.log(spec.opcode, spec.param, spec.value); // 4 60 0.8
 * ```
 */
export function noteOn(target: number, note: number, velocity: number): CommandSpec {
  return { opcode: Opcode.NoteOn, target, param: note, flags: 0, value: velocity };
}

/** A command releasing MIDI note `note` on module `target`. */
export function noteOff(target: number, note: number): CommandSpec {
  return { opcode: Opcode.NoteOff, target, param: note, flags: 0, value: 0 };
}

/** A command releasing every note of module `target`. */
export function allNotesOff(target: number): CommandSpec {
  return { opcode: Opcode.AllNotesOff, target, param: 0, flags: 0, value: 0 };
}

/** A command starting a `lengthTicks` pattern for `track`, played on module `target`. */
export function patternBegin(track: number, lengthTicks: number, target: number): CommandSpec {
  return {
    opcode: Opcode.PatternBegin,
    target: track,
    param: lengthTicks,
    flags: 0,
    value: target,
  };
}

/** A command placing `track`'s next pattern notes at `tick`, `lengthTicks` long. */
export function patternCursor(track: number, tick: number, lengthTicks: number): CommandSpec {
  return { opcode: Opcode.PatternCursor, target: track, param: tick, flags: 0, value: lengthTicks };
}

/**
 * A command adding `note` at `velocity` to `track`'s pattern at its cursor,
 * playing with probability `chance` (0..1] each time round.
 */
export function patternNote(
  track: number,
  note: number,
  velocity: number,
  chance = 1,
): CommandSpec {
  const flags = chance >= 1 ? 0 : Math.max(1, Math.min(65535, Math.round(chance * 65536)));
  return { opcode: Opcode.PatternNote, target: track, param: note, flags, value: velocity };
}

/** A command playing `track`'s built pattern from the next multiple of `quantumTicks`. */
export function patternCommit(track: number, quantumTicks: number): CommandSpec {
  return { opcode: Opcode.PatternCommit, target: track, param: quantumTicks, flags: 0, value: 0 };
}

/** A command stopping `track` (0xFFFFFFFF: all) at the next multiple of `quantumTicks`. */
export function patternStop(track: number, quantumTicks: number): CommandSpec {
  return { opcode: Opcode.PatternStop, target: track, param: quantumTicks, flags: 0, value: 0 };
}

/**
 * Write `cmd` into the struct at `index` of the views `words` (Uint32Array) and
 * `floats` (Float64Array) over the same memory. Allocates nothing.
 */
export function writeCommand(
  words: Uint32Array,
  floats: Float64Array,
  index: number,
  cmd: Command,
): void {
  const w = index * COMMAND_WORDS;
  const f = index * COMMAND_F64S;
  words[w + WordField.Opcode] = cmd.opcode;
  words[w + WordField.Target] = cmd.target;
  words[w + WordField.Param] = cmd.param;
  words[w + WordField.Flags] = cmd.flags;
  floats[f + FloatField.Value] = cmd.value;
  floats[f + FloatField.Frame] = cmd.frame;
  floats[f + FloatField.Seq] = cmd.seq;
  floats[f + 5] = 0;
  floats[f + 6] = 0;
  floats[f + 7] = 0;
}

/** Read the struct at `index` into a new plain object (for tests and tools, not the hot path). */
export function readCommand(words: Uint32Array, floats: Float64Array, index: number): Command {
  const w = index * COMMAND_WORDS;
  const f = index * COMMAND_F64S;
  return {
    opcode: (words[w + WordField.Opcode] ?? 0) as OpcodeValue,
    target: words[w + WordField.Target] ?? 0,
    param: words[w + WordField.Param] ?? 0,
    flags: words[w + WordField.Flags] ?? 0,
    value: floats[f + FloatField.Value] ?? 0,
    frame: floats[f + FloatField.Frame] ?? 0,
    seq: floats[f + FloatField.Seq] ?? 0,
  };
}
