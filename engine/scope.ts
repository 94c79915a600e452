/**
 * Reading back what the engine played, for oscilloscopes and spectra: the
 * real-time engine copies from the active slot's audio ring, the offline
 * engine keeps a short mono history of what it rendered. Both copy on the
 * main thread when asked; neither touches the audio callback or the DSP
 * workers, which keep writing as before.
 *
 * @module
 */

import type { AudioRing } from "./audio_ring.ts";
import { type ControlBlock, I } from "./_control.ts";
import type { ScopeCapture } from "./control.ts";

/** Frames of mono output the offline engine keeps for its scope. */
export const SCOPE_HISTORY_FRAMES = 4096;

/**
 * Mix `frames` interleaved frames of `src` starting at sample `from` into
 * mono ((sum of channels) / channels) at `dst[at]`.
 */
function mixToMono(
  src: Float32Array,
  from: number,
  frames: number,
  channels: number,
  dst: Float32Array,
  at: number,
): void {
  if (channels === 2) {
    for (let i = 0; i < frames; i++) {
      const s = from + 2 * i;
      dst[at + i] = ((src[s] as number) + (src[s + 1] as number)) * 0.5;
    }
    return;
  }
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += src[from + i * channels + c] as number;
    dst[at + i] = sum / channels;
  }
}

/**
 * The real-time engine's scope: reads the blocks the audio side has played
 * from the active slot's ring, newest first, while the slots keep rendering.
 *
 * While the copy runs, a DSP worker may publish further blocks and start
 * writing the next one into the slot of the oldest block kept. So after
 * copying, `written` is read again and every block whose slot the producer
 * could be writing by then (`written - capacity` and older) is discarded:
 * what is returned was published and not overwritten. Nothing is locked and
 * the producer never waits. With the default ring (16 blocks) and one block
 * rendered ahead, 14 blocks are available (1792 frames at 128 per block); 15
 * between a callback and the next render.
 */
export class RingScope {
  readonly #ints: Int32Array;
  readonly #rings: readonly AudioRing[];

  /** Read the played blocks of `rings` (one per slot) under `control`. */
  constructor(control: ControlBlock, rings: readonly AudioRing[]) {
    this.#ints = control.ints;
    this.#rings = rings;
  }

  /** See {@linkcode ScopeSource.scope}. Main thread. */
  read(out: Float32Array): ScopeCapture {
    const end = Atomics.load(this.#ints, I.Played); // blocks below it were handed over
    const ring = this.#rings[Atomics.load(this.#ints, I.Active)] as AudioRing;
    const blockFrames = ring.blockFrames;
    let filled = 0;
    let block = end - 1;
    while (filled < out.length && block >= 0 && ring.has(block)) {
      const take = Math.min(blockFrames, out.length - filled);
      const from = ring.offsetOf(block) + (blockFrames - take) * ring.channels;
      mixToMono(ring.samples, from, take, ring.channels, out, out.length - filled - take);
      filled += take;
      block--;
    }
    // Blocks from `written - capacity` down may have been overwritten during the copy.
    const oldestSafe = ring.written - ring.capacity + 1;
    const frames = Math.max(0, Math.min(filled, (end - oldestSafe) * blockFrames));
    out.fill(0, 0, out.length - frames);
    return { frames, endFrame: end * blockFrames };
  }
}

/**
 * A mono history of the last {@linkcode MonoHistory.capacity} frames
 * rendered, for the offline engine's scope.
 *
 * @example
 * ```ts
 * import { MonoHistory } from "./scope.ts";
 * const history = new MonoHistory(4, 2);
 * history.push(new Float32Array([1, 0, 0.5, 0.5, 0, 0])); // 3 stereo frames
 * const out = new Float32Array(4);
 * console.log(history.read(out), out); // 3 Float32Array(4) [ 0, 0.5, 0.5, 0 ]
 * ```
 */
export class MonoHistory {
  /** Frames kept. */
  readonly capacity: number;
  /** Interleaved channels of the blocks pushed. */
  readonly channels: number;
  readonly #buffer: Float32Array;
  #written = 0;

  /** Keep the last `capacity` frames of `channels`-channel blocks. */
  constructor(capacity: number, channels: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `history capacity must be a whole number of frames >= 1, got ${capacity}`,
      );
    }
    if (!Number.isInteger(channels) || channels < 1) {
      throw new RangeError(`channels must be a whole number >= 1, got ${channels}`);
    }
    this.capacity = capacity;
    this.channels = channels;
    this.#buffer = new Float32Array(capacity);
  }

  /** Frames pushed since creation. */
  get written(): number {
    return this.#written;
  }

  /** Append an interleaved block (its length a multiple of the channels), mixed to mono. */
  push(block: Float32Array): void {
    const frames = Math.floor(block.length / this.channels);
    let from = Math.max(0, frames - this.capacity);
    while (from < frames) {
      const at = (this.#written + from) % this.capacity;
      const take = Math.min(frames - from, this.capacity - at);
      mixToMono(block, from * this.channels, take, this.channels, this.#buffer, at);
      from += take;
    }
    this.#written += frames;
  }

  /**
   * Copy the newest `out.length` frames into `out`, oldest first; frames not
   * kept (or never written) are 0. Returns how many trailing frames are real.
   */
  read(out: Float32Array): number {
    const frames = Math.min(out.length, this.#written, this.capacity);
    out.fill(0, 0, out.length - frames);
    let at = out.length - frames;
    let from = (this.#written - frames) % this.capacity;
    while (at < out.length) {
      const take = Math.min(out.length - at, this.capacity - from);
      out.set(this.#buffer.subarray(from, from + take), at);
      at += take;
      from = 0;
    }
    return frames;
  }
}
