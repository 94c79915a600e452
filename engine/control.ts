/**
 * The control surface of a running engine: what the REPL, stdin, OSC and tests
 * call. It knows no words: commands are structs, status is data.
 *
 * @module
 */

import type { CommandSpec } from "./command.ts";

/** The audio backends. */
export type BackendName = "portaudio" | "null" | "offline";

/** Role of a DSP slot at one moment. */
export type SlotHealth = "active" | "standby" | "restoring" | "down";

/** Which slot a fault is injected into. */
export type SlotChoice = "active" | "standby";

/** Faults that can be injected into a DSP slot's worker. */
export type FaultName = "kill" | "hang" | "throw";

/** Status of one DSP slot. */
export interface SlotStatus {
  /** Slot index, 0 or 1. */
  readonly index: number;
  /** Its role now. */
  readonly health: SlotHealth;
  /** How many workers this slot has had (1 = never respawned). */
  readonly generation: number;
  /** Blocks this slot has rendered since the engine started. */
  readonly renderedBlocks: number;
  /** Blocks waiting in its audio ring. */
  readonly ringFill: number;
  /** Mean render time per block over the last second divided by the block period, 0..1+. */
  readonly load: number;
  /** Voices sounding after its last block (all instruments and drums). */
  readonly voices: number;
  /** Times its master guard turned NaN, Infinity or runaway output into silence. */
  readonly guardFaults: number;
}

/** A snapshot of engine state for `/status` and monitors. */
export interface EngineStatus {
  /** Backend in use (after any fallback). */
  readonly backend: BackendName;
  /** Output device name, or "none". */
  readonly device: string;
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Frames per block. */
  readonly blockFrames: number;
  /** Index of the slot being played. */
  readonly activeSlot: number;
  /** Both slots. */
  readonly slots: readonly SlotStatus[];
  /** Number of failovers since start. */
  readonly failovers: number;
  /** Missing samples in the last failover (0 = seamless); -1 when none happened. */
  readonly lastFailoverGap: number;
  /** Callback reads that found no block ready in either ring. */
  readonly underruns: number;
  /** Blocks handed to the device since start. */
  readonly blocksPlayed: number;
  /** Commands that reached a slot after the frame they were stamped for. */
  readonly lateCommands: number;
  /** Output latency reported by the device, in ms (0 for null/offline). */
  readonly outputLatencyMs: number;
  /** Peak magnitude of the active slot's last block (linear, 1 = 0 dBFS): a level meter. */
  readonly outputPeak: number;
  /** Latency the DSP itself adds (the master limiter's look-ahead), in ms. */
  readonly dspLatencyMs: number;
  /**
   * The audio thread runs with real-time (SCHED_FIFO) scheduling. Without it
   * (no CAP_SYS_NICE or RLIMIT_RTPRIO) a busy machine can delay the callback.
   */
  readonly realtimeAudio: boolean;
  /** Main isolate heap in use, in bytes. */
  readonly heapBytes: number;
}

/** What {@linkcode ScopeSource.scope} copied. */
export interface ScopeCapture {
  /**
   * How many samples at the end of `out` are real output (newest last); the
   * `out.length - frames` samples before them were not available and are 0.
   */
  readonly frames: number;
  /**
   * The engine frame just after the newest sample: frames of output since
   * the engine started, the clock to count beats from.
   */
  readonly endFrame: number;
}

/**
 * An engine whose recent output can be read back, for an oscilloscope or a
 * spectrum. Reading copies on the caller's thread and never disturbs the
 * audio path.
 */
export interface ScopeSource {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /**
   * Copy the most recent `out.length` mono output samples ((left + right) / 2)
   * of the active output into `out`, oldest first, the newest at the end.
   * Samples older than the engine keeps (or before it started) are 0.
   * Main thread only.
   */
  scope(out: Float32Array): ScopeCapture;
}

/** What a line reader needs from an engine. */
export interface EngineControl {
  /** Stamp and broadcast commands to both slots; they apply at the same frame in each. */
  send(specs: readonly CommandSpec[]): void;
  /** Current status. */
  status(): EngineStatus;
  /** Inject a fault into the active or standby slot (tests and demos). */
  injectFault(fault: FaultName, slot: SlotChoice): void;
}
