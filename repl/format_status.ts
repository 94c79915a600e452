/**
 * A compact, human-readable summary of an {@linkcode EngineStatus}.
 *
 * @module
 */

import type { EngineStatus, SlotStatus } from "../engine/control.ts";

const MIB = 1024 * 1024;

/** A number for display: fixed decimals, or `?` when it is not finite. */
function num(value: number, decimals = 0): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : "?";
}

/** Text for display on one line: control characters become spaces, at most 60 characters. */
function text(value: string): string {
  const clean = String(value).replace(/[\p{Cc}\p{Cf}\p{Cs}]+/gu, " ").trim();
  return clean.length <= 60 ? clean : `${clean.slice(0, 59)}…`;
}

function slotLine(slot: SlotStatus, activeSlot: number): string {
  const mark = slot.index === activeSlot ? "*" : " ";
  return [
    `${mark}slot ${num(slot.index)}`,
    text(slot.health).padEnd(9),
    `gen ${num(slot.generation)}`,
    `rendered ${num(slot.renderedBlocks)}`,
    `fill ${num(slot.ringFill)}`,
    `load ${num(slot.load * 100)}%`,
    `voices ${num(slot.voices)}`,
    ...slot.guardFaults > 0 ? [`guard faults ${num(slot.guardFaults)}`] : [],
  ].join("  ");
}

/** A linear peak as dBFS with one decimal, or "silent". */
export function peakText(peak: number): string {
  if (!(peak > 0)) return "silent";
  return `${(20 * Math.log10(peak)).toFixed(1)} dBFS`;
}

function gapText(gap: number): string {
  return gap < 0 ? "none" : `${num(gap)} samples`;
}

/**
 * Summarise engine status in a few lines (no trailing newline): backend and
 * device, one line per slot (`*` marks the active one), failover and timing
 * counters, latency and heap.
 *
 * @example
 * ```ts ignore
 * import { formatStatus } from "./format_status.ts";
 * console.log(formatStatus(engine.status()));
 * // backend portaudio  device system  48000 Hz  block 128  active slot 0
 * // *slot 0  active     gen 1  rendered 9000  fill 3  load 12%
 * //  slot 1  standby    gen 2  rendered 8998  fill 3  load 11%
 * // failovers 1  last gap 0 samples  underruns 0  late commands 0  blocks played 9001
 * // output latency 5.8 ms  audio thread real-time  heap 12.3 MiB
 * ```
 */
export function formatStatus(status: EngineStatus): string {
  return [
    [
      `backend ${text(status.backend)}`,
      `device ${text(status.device)}`,
      `${num(status.sampleRate)} Hz`,
      `block ${num(status.blockFrames)}`,
      `active slot ${num(status.activeSlot)}`,
    ].join("  "),
    ...status.slots.map((slot) => slotLine(slot, status.activeSlot)),
    [
      `failovers ${num(status.failovers)}`,
      `last gap ${gapText(status.lastFailoverGap)}`,
      `underruns ${num(status.underruns)}`,
      `late commands ${num(status.lateCommands)}`,
      `blocks played ${num(status.blocksPlayed)}`,
    ].join("  "),
    [
      `peak ${peakText(status.outputPeak)}`,
      `output latency ${num(status.outputLatencyMs, 1)} ms + DSP ${num(status.dspLatencyMs, 2)} ms`,
      `audio thread ${status.realtimeAudio ? "real-time" : "normal priority"}`,
      `heap ${num(status.heapBytes / MIB, 1)} MiB`,
    ].join("  "),
  ].join("\n");
}
