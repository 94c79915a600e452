/**
 * A slot's audio ring: single producer (its DSP worker), single consumer (the
 * audio callback), in a SharedArrayBuffer. Blocks are addressed by absolute
 * block index; the reader takes them one after another and never jumps ahead
 * to the newest ("latest wins" skipped blocks in the prototype).
 *
 * Each isolate builds its own views with {@linkcode AudioRing.fromBuffer}.
 *
 * Layout: a 64-byte header (Int32: written), then per-block metadata
 * (Float64: block index, checksum, render time in ms, highest command
 * sequence number applied), then the interleaved
 * float32 samples of every block.
 *
 * @module
 */

const HEADER_BYTES = 64;
const META_F64S = 4;
const enum Header {
  /** Number of the next block to write; blocks below it are published. */
  Written = 0,
}
const enum Meta {
  Block = 0,
  Checksum = 1,
  RenderMicros = 2,
  AppliedSeq = 3,
}

/** Sizes of a ring. */
export interface RingShape {
  /** Blocks the ring holds (a power of two). */
  readonly capacity: number;
  /** Frames per block. */
  readonly blockFrames: number;
  /** Interleaved channels. */
  readonly channels: number;
}

/** Bytes a ring of `shape` needs. */
export function ringBytes(shape: RingShape): number {
  return HEADER_BYTES + shape.capacity * META_F64S * 8 +
    shape.capacity * shape.blockFrames * shape.channels * 4;
}

/**
 * Checksum of a block's samples (FNV-1a over the 32-bit words): equal blocks
 * have equal checksums, so two slots can be compared block by block cheaply.
 * Allocates nothing.
 */
export function blockChecksum(words: Uint32Array, start: number, length: number): number {
  storeBlockChecksum(words, start, length, checksumScratch, 0);
  return checksumScratch[0] as number;
}

const checksumScratch = new Float64Array(1);

/**
 * {@linkcode blockChecksum} written into `dst[index]` instead of returned:
 * a 32-bit hash returned from a call V8 did not inline is boxed (allocated),
 * one stored into a Float64Array is not. The producer's publish uses this.
 */
export function storeBlockChecksum(
  words: Uint32Array,
  start: number,
  length: number,
  dst: Float64Array,
  index: number,
): void {
  let hash = 0x811c9dc5;
  for (let i = start; i < start + length; i++) {
    hash = Math.imul(hash ^ (words[i] as number), 0x01000193) >>> 0;
  }
  dst[index] = hash;
}

/** Views over one slot's ring. */
export class AudioRing implements RingShape {
  /** Blocks the ring holds. */
  readonly capacity: number;
  /** Frames per block. */
  readonly blockFrames: number;
  /** Interleaved channels. */
  readonly channels: number;
  /** Samples per block (frames × channels). */
  readonly blockSamples: number;
  /** The shared memory. */
  readonly buffer: SharedArrayBuffer;
  /** Every block's samples, back to back. */
  readonly samples: Float32Array;
  /** The same memory as 32-bit words, for checksums. */
  readonly sampleWords: Uint32Array;
  readonly #header: Int32Array;
  readonly #meta: Float64Array;
  readonly #mask: number;

  private constructor(buffer: SharedArrayBuffer, shape: RingShape) {
    if (shape.capacity < 2 || (shape.capacity & (shape.capacity - 1)) !== 0) {
      throw new RangeError(`ring capacity must be a power of two >= 2, got ${shape.capacity}`);
    }
    this.capacity = shape.capacity;
    this.blockFrames = shape.blockFrames;
    this.channels = shape.channels;
    this.blockSamples = shape.blockFrames * shape.channels;
    this.buffer = buffer;
    this.#mask = shape.capacity - 1;
    this.#header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.#meta = new Float64Array(buffer, HEADER_BYTES, shape.capacity * META_F64S);
    const sampleStart = HEADER_BYTES + shape.capacity * META_F64S * 8;
    this.samples = new Float32Array(buffer, sampleStart, shape.capacity * this.blockSamples);
    this.sampleWords = new Uint32Array(buffer, sampleStart, shape.capacity * this.blockSamples);
  }

  /** Allocate a new ring. */
  static create(shape: RingShape): AudioRing {
    return new AudioRing(new SharedArrayBuffer(ringBytes(shape)), shape);
  }

  /** Build views over a ring received from another isolate. */
  static fromBuffer(buffer: SharedArrayBuffer, shape: RingShape): AudioRing {
    if (buffer.byteLength !== ringBytes(shape)) {
      throw new RangeError(
        `ring buffer has ${buffer.byteLength} bytes, expected ${ringBytes(shape)}`,
      );
    }
    return new AudioRing(buffer, shape);
  }

  /** Index of the next block to write; all blocks below it are published. Any thread. */
  get written(): number {
    return Atomics.load(this.#header, Header.Written);
  }

  /** Offset in {@linkcode samples} where block `block` lives. */
  offsetOf(block: number): number {
    return (block & this.#mask) * this.blockSamples;
  }

  /**
   * True when block `block` is published and not yet overwritten. The
   * consumer calls this before reading.
   */
  has(block: number): boolean {
    const written = this.written;
    return block < written && block >= written - this.capacity &&
      this.#meta[(block & this.#mask) * META_F64S + Meta.Block] === block;
  }

  /** Checksum recorded for block `block` (valid when {@linkcode has} is true). */
  checksumOf(block: number): number {
    return this.#meta[(block & this.#mask) * META_F64S + Meta.Checksum] as number;
  }

  /** Render time recorded for block `block`, in ms. */
  renderMsOf(block: number): number {
    return (this.#meta[(block & this.#mask) * META_F64S + Meta.RenderMicros] as number) / 1000;
  }

  /** Highest command sequence number applied up to and including block `block`. */
  appliedSeqOf(block: number): number {
    return this.#meta[(block & this.#mask) * META_F64S + Meta.AppliedSeq] as number;
  }

  /**
   * Producer: publish block `block`, whose samples were written at
   * {@linkcode offsetOf}(block), with its render time in whole microseconds
   * (an integer crosses the call unboxed; a fractional ms would be boxed
   * unless V8 inlines this). Blocks must be published in order.
   */
  publish(block: number, renderMicros: number, appliedSeq: number): void {
    const slot = block & this.#mask;
    const offset = slot * this.blockSamples;
    const meta = slot * META_F64S;
    this.#meta[meta + Meta.Block] = block;
    storeBlockChecksum(
      this.sampleWords,
      offset,
      this.blockSamples,
      this.#meta,
      meta + Meta.Checksum,
    );
    this.#meta[meta + Meta.RenderMicros] = renderMicros;
    this.#meta[meta + Meta.AppliedSeq] = appliedSeq;
    Atomics.store(this.#header, Header.Written, block + 1);
  }

  /** Producer (a freshly bound worker): restart numbering at `block` without publishing. */
  resetTo(block: number): void {
    Atomics.store(this.#header, Header.Written, block);
  }
}
