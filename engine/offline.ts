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
import type { EngineControl, EngineStatus } from "./control.ts";
import { SlotRenderer } from "./slot_renderer.ts";
import { Rack } from "../dsp/rack.ts";
import { CHANNELS, DEFAULT_BLOCK_FRAMES, DEFAULT_SAMPLE_RATE, QUEUE_CAPACITY } from "./engine.ts";

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
export class OfflineEngine implements EngineControl {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Frames per block. */
  readonly blockFrames: number;
  readonly #queue = CommandQueue.create(QUEUE_CAPACITY);
  readonly #renderer: SlotRenderer;
  readonly #rack: Rack;
  readonly #block: Float32Array;
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
    const frame = this.frames;
    for (const spec of specs) this.#queue.push({ ...spec, frame, seq: this.#seq++ });
  }

  /** Render at least `frames` frames (whole blocks) and return them interleaved. */
  renderFrames(frames: number): Float32Array {
    const blocks = Math.ceil(frames / this.blockFrames);
    const out = new Float32Array(blocks * this.blockFrames * CHANNELS);
    for (let i = 0; i < blocks; i++) {
      this.#renderer.renderBlock(this.#blocks++, this.#block);
      out.set(this.#block, i * this.#block.length);
    }
    return out;
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
