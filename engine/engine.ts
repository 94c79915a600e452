/**
 * The real-time engine: two hot-standby DSP slots, an audio worker playing
 * the active slot through PortAudio (or a paced null clock), and the
 * stamping of commands so both slots apply them at the same frame.
 *
 * @module
 */

import { Rack } from "../dsp/rack.ts";
import { AudioRing, type RingShape } from "./audio_ring.ts";
import { type Command, type CommandSpec, FaultKind, Opcode } from "./command.ts";
import { CommandQueue } from "./command_queue.ts";
import { ControlBlock, F, I, SlotState } from "./_control.ts";
import type {
  BackendName,
  EngineControl,
  EngineStatus,
  FaultName,
  ScopeCapture,
  ScopeSource,
  SlotChoice,
  SlotHealth,
  SlotStatus,
} from "./control.ts";
import { RingScope } from "./scope.ts";
import {
  createSnapshotBuffer,
  DEGRADED_EXTRA_BLOCKS,
  type SlotInit,
  type SlotStart,
} from "./_slot_init.ts";
import type { AudioInit, AudioMessage } from "./_audio_init.ts";
import { type SlotEvent, SlotSupervisor } from "./supervisor.ts";
import { lockStamp, unlockStamp } from "./_stamp_lock.ts";
import { clampParam, PARAM_SPECS } from "../dsp/params.ts";

/** Default sample rate in Hz. */
export const DEFAULT_SAMPLE_RATE = 48000;
/** Default frames per block. */
export const DEFAULT_BLOCK_FRAMES = 128;
/** Blocks each audio ring holds. */
export const RING_BLOCKS = 16;
/** Commands each slot's queue holds. */
export const QUEUE_CAPACITY = 4096;
/** Output channels (interleaved stereo). */
export const CHANNELS = 2;

/** Something the engine reports: a slot event or a backend fallback. */
export type EngineEvent =
  | SlotEvent
  | { readonly type: "fallback"; readonly slot: -1; readonly detail: string };

/** Options of {@linkcode startEngine}. */
export interface EngineOptions {
  /** "portaudio" (default) or "null". */
  readonly backend?: "portaudio" | "null";
  /** PortAudio output device: index, name or part of a name (default: JACK "system", else the default output). */
  readonly device?: string;
  /** Sample rate in Hz (default 48000). */
  readonly sampleRate?: number;
  /** Frames per block and per device callback (default 128). */
  readonly blockFrames?: number;
  /**
   * How long before its callback a block is rendered, in ms. Smaller means
   * lower command latency and less margin against scheduling hiccups.
   * Default: 40 % of a block period, at least 1 ms, at most one period.
   */
  readonly leadMs?: number;
  /** Render at most this many blocks ahead of the one playing (default 1). */
  readonly aheadBlocks?: number;
  /** A hung slot is declared after this many ms without a heartbeat (default 40). */
  readonly hangMs?: number;
  /** Called for slot events and fallbacks. */
  readonly onEvent?: (event: EngineEvent) => void;
}

/**
 * A running engine. Create with {@linkcode startEngine}; stop with
 * {@linkcode Engine.stop}.
 */
export class Engine implements EngineControl, ScopeSource {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Frames per block. */
  readonly blockFrames: number;
  /** The shared control block (for monitors, tests and benchmarks). */
  readonly control: ControlBlock;
  /** Both slots' rings. */
  readonly rings: readonly AudioRing[];
  readonly #queues: readonly CommandQueue[];
  readonly #supervisor: SlotSupervisor;
  readonly #audio: Worker;
  #backend: BackendName;
  #device: string;
  readonly #realtimeAudio: boolean;
  readonly #dspLatencyMs: number;
  #seq = 0;
  #stopped = false;
  readonly #params: number[];
  readonly #scope: RingScope;

  /** @internal Use {@linkcode startEngine}. */
  constructor(parts: {
    sampleRate: number;
    blockFrames: number;
    control: ControlBlock;
    rings: readonly AudioRing[];
    queues: readonly CommandQueue[];
    supervisor: SlotSupervisor;
    audio: Worker;
    backend: BackendName;
    device: string;
    realtimeAudio: boolean;
    params: number[];
    dspLatencyMs: number;
  }) {
    this.#dspLatencyMs = parts.dspLatencyMs;
    this.#params = parts.params;
    this.sampleRate = parts.sampleRate;
    this.blockFrames = parts.blockFrames;
    this.control = parts.control;
    this.rings = parts.rings;
    this.#queues = parts.queues;
    this.#supervisor = parts.supervisor;
    this.#audio = parts.audio;
    this.#backend = parts.backend;
    this.#device = parts.device;
    this.#realtimeAudio = parts.realtimeAudio;
    this.#scope = new RingScope(parts.control, parts.rings);
  }

  /** Sequence number the next command will get. */
  get nextSeq(): number {
    return this.#seq;
  }

  /** The first block no accepting, live slot has begun: the earliest safe stamp. */
  #stampBlock(): number {
    const ints = this.control.ints;
    let block = Atomics.load(ints, I.Played);
    for (let slot = 0; slot < 2; slot++) {
      if (!this.#supervisor.accepting(slot)) continue;
      const begun = Atomics.load(ints, I.Begun + slot);
      if (begun > block) block = begun;
    }
    return block;
  }

  #enqueue(specs: readonly CommandSpec[], slots: readonly number[]): void {
    if (this.#stopped) throw new Error("the engine is stopped");
    for (const slot of slots) {
      const queue = this.#queues[slot] as CommandQueue;
      if (queue.size + specs.length > queue.capacity) {
        throw new Error(`slot ${slot} command queue is full (${queue.size} waiting), try again`);
      }
    }
    // Stamp and push under the stamp lock, so no slot begins the stamped block in between.
    const ints = this.control.ints;
    lockStamp(ints);
    try {
      const frame = this.#stampBlock() * this.blockFrames;
      for (const spec of specs) {
        const command: Command = { ...spec, frame, seq: this.#seq++ };
        for (const slot of slots) (this.#queues[slot] as CommandQueue).push(command);
      }
    } finally {
      unlockStamp(ints);
    }
  }

  /**
   * Stamp `specs` for the next block and broadcast them to both slots. All
   * or nothing: throws, changing nothing, when a queue cannot take them all.
   */
  send(specs: readonly CommandSpec[]): void {
    if (specs.length === 0) return;
    const slots = [0, 1].filter((slot) => this.#supervisor.accepting(slot));
    this.#enqueue(specs, slots);
    for (const spec of specs) {
      if (
        spec.opcode === Opcode.SetParam && spec.target === 0 && spec.param < this.#params.length
      ) {
        const value = clampParam(spec.param, spec.value);
        if (Number.isFinite(value)) this.#params[spec.param] = value;
      }
    }
  }

  /**
   * Ask the audio side to time the block carrying command `seq`: after it
   * is handed over, {@linkcode Engine.watchedHandedMs} holds the absolute
   * time (ms). For latency benchmarks.
   */
  watch(seq: number): void {
    this.control.floats[F.WatchHandedMs] = 0;
    Atomics.store(this.control.ints, I.WatchSeq, seq);
  }

  /** Absolute time the watched command's block was handed over; 0 while pending. */
  get watchedHandedMs(): number {
    return this.control.floats[F.WatchHandedMs] as number;
  }

  /**
   * Heap in use, in bytes, of the audio worker's and each DSP worker's
   * isolate, read by the workers themselves at their next block (for
   * benchmarks: the read allocates a little). Under `--expose-gc` each
   * isolate first runs a minor GC, marked "testing" in `--trace-gc` output,
   * which brackets its own GCs between two probes. NaN for a worker that
   * did not answer within `timeoutMs`.
   */
  async workerHeaps(timeoutMs = 1000): Promise<{ audio: number; slots: number[] }> {
    const floats = this.control.floats;
    for (let i = 0; i < 3; i++) floats[F.Heap + i] = NaN;
    Atomics.add(this.control.ints, I.HeapProbe, 1);
    const deadline = performance.now() + timeoutMs;
    const answered = () => [0, 1, 2].every((i) => Number.isFinite(floats[F.Heap + i]));
    while (!answered() && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return {
      audio: floats[F.Heap] as number,
      slots: [floats[F.Heap + 1] as number, floats[F.Heap + 2] as number],
    };
  }

  /** Inject a fault into the active or standby slot. */
  injectFault(fault: FaultName, slot: SlotChoice): void {
    const active = Atomics.load(this.control.ints, I.Active);
    const index = slot === "active" ? active : 1 - active;
    if (!this.#supervisor.accepting(index)) {
      throw new Error(`the ${slot} slot (${index}) is being restored, try again`);
    }
    if (fault === "kill") {
      this.#supervisor.kill(index);
      return;
    }
    const kind = fault === "hang" ? FaultKind.Hang : FaultKind.Throw;
    this.#enqueue([{ opcode: Opcode.Fault, target: 0, param: kind, flags: 0, value: 0 }], [index]);
  }

  /** Current status. */
  status(): EngineStatus {
    const ints = this.control.ints;
    const floats = this.control.floats;
    const active = Atomics.load(ints, I.Active);
    const played = Atomics.load(ints, I.Played);
    const slots: SlotStatus[] = [0, 1].map((index) => {
      const state = Atomics.load(ints, I.Health + index);
      const health: SlotHealth = state === SlotState.Down
        ? "down"
        : state === SlotState.Restoring
        ? "restoring"
        : index === active
        ? "active"
        : "standby";
      const ring = this.rings[index] as AudioRing;
      return {
        index,
        health,
        generation: this.#supervisor.generation(index),
        renderedBlocks: ring.written,
        ringFill: Math.max(0, ring.written - played),
        load: floats[F.Load + index] as number,
        voices: Atomics.load(ints, I.Voices + index),
        guardFaults: Atomics.load(ints, I.GuardFaults + index),
      };
    });
    return {
      backend: this.#backend,
      device: this.#device,
      sampleRate: this.sampleRate,
      blockFrames: this.blockFrames,
      activeSlot: active,
      slots,
      failovers: Atomics.load(ints, I.Failovers),
      lastFailoverGap: Atomics.load(ints, I.LastGap),
      underruns: Atomics.load(ints, I.Underruns),
      blocksPlayed: Atomics.load(ints, I.BlocksPlayed),
      lateCommands: Atomics.load(ints, I.Late) + Atomics.load(ints, I.Late + 1),
      outputLatencyMs: floats[F.OutputLatencyMs] as number,
      dspLatencyMs: this.#dspLatencyMs,
      outputPeak: floats[F.Peak + active] as number,
      realtimeAudio: this.#realtimeAudio,
      heapBytes: Deno.memoryUsage().heapUsed,
    };
  }

  /**
   * Copy the most recent mono output into `out` (see
   * {@linkcode ScopeSource.scope}): the blocks the audio side has played, read
   * from the active slot's ring without locking it. At most the ring less
   * one block, less the blocks rendered ahead, is available (14 to 15
   * blocks: 1792 to 1920 frames at 128 per block); older samples are 0.
   * Main thread.
   */
  scope(out: Float32Array): ScopeCapture {
    return this.#scope.read(out);
  }

  /** Stop the audio and the DSP workers. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const stopped = new Promise<void>((resolve) => {
      const timeout = setTimeout(resolve, 2000);
      this.#audio.addEventListener("message", (event: MessageEvent<AudioMessage>) => {
        if (event.data.type === "stopped") {
          clearTimeout(timeout);
          resolve();
        }
      });
    });
    Atomics.store(this.control.ints, I.Running, 0);
    Atomics.notify(this.control.ints, I.Played);
    this.#audio.postMessage({ type: "stop" });
    await stopped;
    this.#audio.terminate();
    this.#supervisor.stop();
  }
}

/**
 * Default lead: 40 % of the period, at least 0.7 ms (render p99 is under
 * 0.1 ms; the rest is scheduling margin), at most the period. 1.07 ms at
 * 128 frames, 0.7 ms at 64 (measured: median 2.84 ms command → output).
 */
function defaultLeadMs(periodMs: number): number {
  return Math.min(periodMs, Math.max(0.7, periodMs * 0.4));
}

function startAudio(init: AudioInit): Promise<{ worker: Worker; message: AudioMessage }> {
  const worker = new Worker(new URL("./audio_worker.ts", import.meta.url), {
    type: "module",
    name: "chronus-audio",
  });
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => {
      worker.terminate();
      reject(new Error("the audio worker did not start within 10 s"));
    }, 10000);
    worker.addEventListener("message", (event: MessageEvent<AudioMessage>) => {
      clearTimeout(timeout);
      resolve({ worker, message: event.data });
    }, { once: true });
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      clearTimeout(timeout);
      resolve({ worker, message: { type: "failed", error: event.message } });
    }, { once: true });
    worker.postMessage(init);
  });
}

/**
 * Start the engine: both DSP slots, then the audio backend. When PortAudio
 * or an output device is missing, reports a `fallback` event and runs on the
 * null backend instead of failing.
 *
 * @example
 * ```ts ignore
 * import { startEngine } from "./engine.ts";
 * import { setParam } from "./command.ts";
 * import { SynthParam } from "../dsp/params.ts";
 * const engine = await startEngine({ backend: "null" });
 * engine.send([setParam(SynthParam.Gate, 1)]);
 * await engine.stop();
 * ```
 */
export async function startEngine(options: EngineOptions = {}): Promise<Engine> {
  const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const blockFrames = options.blockFrames ?? DEFAULT_BLOCK_FRAMES;
  if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 192000) {
    throw new RangeError(
      `sample rate must be a whole number from 8000 to 192000 Hz, got ${sampleRate}`,
    );
  }
  if (!Number.isInteger(blockFrames) || blockFrames < 16 || blockFrames > 4096) {
    throw new RangeError(
      `block must be a whole number of frames from 16 to 4096, got ${blockFrames}`,
    );
  }
  const periodMs = blockFrames * 1000 / sampleRate;
  const leadMs = options.leadMs ?? defaultLeadMs(periodMs);
  const aheadBlocks = options.aheadBlocks ?? 1;
  // Degraded mode renders DEGRADED_EXTRA_BLOCKS further; the block being
  // played must never be overwritten, so ahead + extra stays below the ring.
  const maxAhead = RING_BLOCKS - 1 - DEGRADED_EXTRA_BLOCKS;
  if (!(Number.isInteger(aheadBlocks) && aheadBlocks >= 1 && aheadBlocks <= maxAhead)) {
    throw new RangeError(
      `ahead must be a whole number from 1 to ${maxAhead} blocks, got ${aheadBlocks}`,
    );
  }
  const shape: RingShape = { capacity: RING_BLOCKS, blockFrames, channels: CHANNELS };
  const control = ControlBlock.create(periodMs);
  const rings = [AudioRing.create(shape), AudioRing.create(shape)];
  const queues = [CommandQueue.create(QUEUE_CAPACITY), CommandQueue.create(QUEUE_CAPACITY)];
  // Sized from a rack built here once: the workers build theirs the same way.
  const rack = new Rack(sampleRate);
  const snapshot = createSnapshotBuffer(rack.stateSize);
  const dspLatencyMs = rack.latencyFrames / sampleRate * 1000;
  const slotInit = (slot: number, token: number, start: SlotStart): SlotInit => ({
    slot,
    token,
    control: control.buffer,
    ring: (rings[slot] as AudioRing).buffer,
    ringShape: shape,
    queue: (queues[slot] as CommandQueue).buffer,
    queueCapacity: QUEUE_CAPACITY,
    snapshot,
    sampleRate,
    leadMs,
    aheadBlocks,
    start,
  });
  const params = PARAM_SPECS.map((spec) => spec.initial);
  const supervisor = new SlotSupervisor({
    slotInit,
    currentParams: () => params.slice(),
    control,
    rings,
    queues,
    ...(options.hangMs === undefined ? {} : { hangMs: options.hangMs }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  await supervisor.start();
  const init: AudioInit = {
    backend: options.backend ?? "portaudio",
    device: options.device ?? "",
    sampleRate,
    control: control.buffer,
    rings: rings.map((ring) => ring.buffer),
    ringShape: shape,
  };
  let { worker, message } = await startAudio(init);
  if (message.type === "failed") {
    worker.terminate();
    options.onEvent?.({
      type: "fallback",
      slot: -1,
      detail: `${message.error}; playing on the null backend (no sound)`,
    });
    ({ worker, message } = await startAudio({ ...init, backend: "null" }));
  }
  if (message.type !== "started") {
    supervisor.stop();
    worker.terminate();
    throw new Error(`the audio backend did not start: ${JSON.stringify(message)}`);
  }
  return new Engine({
    sampleRate,
    blockFrames,
    control,
    rings,
    queues,
    supervisor,
    audio: worker,
    backend: message.backend,
    device: message.device,
    realtimeAudio: message.realtime,
    params,
    dspLatencyMs,
  });
}
