/**
 * The offline backend: the same slot renderer and synth as a DSP worker,
 * driven as fast as possible on the calling thread, for `--backend offline`,
 * renders and tests. Commands apply at the frame being rendered when they
 * are sent.
 *
 * @module
 */

import type { CommandSpec } from "./command.ts";
import { CommandQueue } from "./command_queue.ts";
import type { EngineControl, EngineStatus, ScopeCapture, ScopeSource } from "./control.ts";
import { SlotRenderer } from "./slot_renderer.ts";
import { MonoHistory, SCOPE_HISTORY_FRAMES } from "./scope.ts";
import { Rack } from "../dsp/rack.ts";
import { CHANNELS, DEFAULT_BLOCK_FRAMES, DEFAULT_SAMPLE_RATE, QUEUE_CAPACITY } from "./engine.ts";

/** Commands waiting for their frame. */
interface TimedSpecs {
  readonly frame: number;
  readonly specs: readonly CommandSpec[];
}

/** Options of {@linkcode OfflineEngine}. */
export interface OfflineOptions {
  /** Sample rate in Hz (default 48000). */
  readonly sampleRate?: number;
  /** Frames per block (default 128). */
  readonly blockFrames?: number;
}

/**
 * Renders the synth offline, block by block, on the calling thread.
 *
 * @example
 * ```ts
 * import { OfflineEngine } from "./offline.ts";
 * import { setParam } from "./command.ts";
 * import { SynthParam } from "../dsp/params.ts";
 * const engine = new OfflineEngine();
 * engine.send([setParam(SynthParam.Gate, 1)]);
 * const audio = engine.renderFrames(4800); // 0.1 s, interleaved stereo
 * console.log(audio.length); // 9600
 * ```
 */
export class OfflineEngine implements EngineControl, ScopeSource {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Frames per block. */
  readonly blockFrames: number;
  readonly #queue = CommandQueue.create(QUEUE_CAPACITY);
  readonly #renderer: SlotRenderer;
  readonly #rack: Rack;
  readonly #block: Float32Array;
  readonly #later: TimedSpecs[] = [];
  readonly #history = new MonoHistory(SCOPE_HISTORY_FRAMES, CHANNELS);
  /** Script time in frames: where the next command applies (at or after the rendered end). */
  #cursor = 0;
  #blocks = 0;
  #seq = 0;

  /** Create an offline engine at its initial state. */
  constructor(options: OfflineOptions = {}) {
    this.sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
    this.blockFrames = options.blockFrames ?? DEFAULT_BLOCK_FRAMES;
    this.#rack = new Rack(this.sampleRate);
    this.#renderer = new SlotRenderer(this.#rack, this.#queue, {
      blockFrames: this.blockFrames,
    });
    this.#block = new Float32Array(this.blockFrames * CHANNELS);
  }

  /** Frames rendered so far. */
  get frames(): number {
    return this.#blocks * this.blockFrames;
  }

  /** Apply `specs` at the next frame to be rendered. All or nothing. */
  send(specs: readonly CommandSpec[]): void {
    if (this.#queue.size + specs.length > this.#queue.capacity) {
      throw new Error(`command queue is full (${this.#queue.size} waiting), render first`);
    }
    const frame = Math.max(this.#cursor, this.frames);
    for (const spec of specs) this.#queue.push({ ...spec, frame, seq: this.#seq++ });
  }

  /**
   * Let `ms` of script time pass: the next commands apply that much later,
   * exact to the frame. Renders the whole blocks before that point and
   * returns them (interleaved); the block holding it is rendered later.
   */
  advance(ms: number): Float32Array {
    this.#cursor = Math.max(this.#cursor, this.frames) +
      Math.max(0, Math.round((ms * this.sampleRate) / 1000));
    const whole = Math.floor(this.#cursor / this.blockFrames) * this.blockFrames;
    return this.renderFrames(Math.max(0, whole - this.frames));
  }

  /**
   * Apply `specs` `afterMs` ms of audio from now (exact to the frame), as the
   * rendering reaches that point: timed notes and scales in offline scripts.
   */
  sendAfter(afterMs: number, specs: readonly CommandSpec[]): void {
    const frame = Math.max(this.#cursor, this.frames) +
      Math.max(0, Math.round((afterMs * this.sampleRate) / 1000));
    let at = this.#later.length;
    while (at > 0 && (this.#later[at - 1] as TimedSpecs).frame > frame) at--;
    this.#later.splice(at, 0, { frame, specs });
  }

  /** Drop every command waiting in {@linkcode OfflineEngine.sendAfter}. */
  cancelLater(): void {
    this.#later.length = 0;
  }

  /** Render at least `frames` frames (whole blocks) and return them interleaved. */
  renderFrames(frames: number): Float32Array {
    const blocks = Math.ceil(frames / this.blockFrames);
    const out = new Float32Array(blocks * this.blockFrames * CHANNELS);
    for (let i = 0; i < blocks; i++) {
      this.#queueDueLater(this.frames + this.blockFrames);
      this.#renderer.renderBlock(this.#blocks++, this.#block);
      out.set(this.#block, i * this.#block.length);
      this.#history.push(this.#block);
    }
    return out;
  }

  /** Queue the timed commands due before frame `end`, each at its own frame. */
  #queueDueLater(end: number): void {
    while (this.#later.length > 0 && (this.#later[0] as TimedSpecs).frame < end) {
      const { frame, specs } = this.#later.shift() as TimedSpecs;
      for (const spec of specs) this.#queue.push({ ...spec, frame, seq: this.#seq++ });
    }
  }

  /**
   * Copy the most recent mono output into `out` (see
   * {@linkcode ScopeSource.scope}): the last frames rendered, up to
   * {@linkcode SCOPE_HISTORY_FRAMES}; older samples are 0.
   */
  scope(out: Float32Array): ScopeCapture {
    return { frames: this.#history.read(out), endFrame: this.frames };
  }

  /** Offline status: one slot, no device. */
  status(): EngineStatus {
    return {
      backend: "offline",
      device: "none",
      sampleRate: this.sampleRate,
      blockFrames: this.blockFrames,
      activeSlot: 0,
      slots: [{
        index: 0,
        health: "active",
        generation: 1,
        renderedBlocks: this.#blocks,
        ringFill: 0,
        load: 0,
        voices: this.#rack.activeVoices,
        guardFaults: this.#rack.faults,
      }],
      failovers: 0,
      lastFailoverGap: -1,
      underruns: 0,
      blocksPlayed: this.#blocks,
      lateCommands: this.#renderer.lateCommands,
      outputLatencyMs: 0,
      dspLatencyMs: this.#rack.latencyFrames / this.sampleRate * 1000,
      outputPeak: this.#block.reduce((peak, x) => Math.max(peak, Math.abs(x)), 0),
      realtimeAudio: false,
      heapBytes: Deno.memoryUsage().heapUsed,
    };
  }

  /** Faults need the real-time engine's workers. */
  injectFault(): void {
    throw new Error("faults need the real-time engine (--backend portaudio or null)");
  }
}
