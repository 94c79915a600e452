/**
 * A single-producer / single-consumer queue of fixed 64-byte command structs
 * in a SharedArrayBuffer. The main isolate pushes, one DSP worker pops.
 *
 * Full-queue behaviour: {@linkcode CommandQueue.push} returns false and the
 * command is not enqueued; nothing already queued is touched.
 *
 * The consumer reads the head command's fields in place ({@linkcode
 * CommandQueue.peekFrame} and friends) and then {@linkcode CommandQueue.pop}s
 * it, so the render loop allocates nothing.
 *
 * @module
 */

import {
  type Command,
  COMMAND_BYTES,
  COMMAND_F64S,
  COMMAND_WORDS,
  FloatField,
  readCommand,
  WordField,
  writeCommand,
} from "./command.ts";

const HEADER_BYTES = 64;
/** Int32 header indices: head = next index to write, tail = next index to read. */
const HEAD = 0;
const TAIL = 1;

/** Bytes a queue of `capacity` commands needs. */
export function queueBytes(capacity: number): number {
  return HEADER_BYTES + capacity * COMMAND_BYTES;
}

/** Views over one command queue. */
export class CommandQueue {
  /** Commands the queue holds (a power of two). */
  readonly capacity: number;
  /** The shared memory. */
  readonly buffer: SharedArrayBuffer;
  readonly #header: Int32Array;
  readonly #words: Uint32Array;
  readonly #floats: Float64Array;
  readonly #mask: number;

  private constructor(buffer: SharedArrayBuffer, capacity: number) {
    if (capacity < 2 || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError(`queue capacity must be a power of two >= 2, got ${capacity}`);
    }
    this.capacity = capacity;
    this.buffer = buffer;
    this.#mask = capacity - 1;
    this.#header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.#words = new Uint32Array(buffer, HEADER_BYTES, capacity * COMMAND_WORDS);
    this.#floats = new Float64Array(buffer, HEADER_BYTES, capacity * COMMAND_F64S);
  }

  /** Allocate a new, empty queue. */
  static create(capacity: number): CommandQueue {
    return new CommandQueue(new SharedArrayBuffer(queueBytes(capacity)), capacity);
  }

  /** Build views over a queue received from another isolate. */
  static fromBuffer(buffer: SharedArrayBuffer, capacity: number): CommandQueue {
    if (buffer.byteLength !== queueBytes(capacity)) {
      throw new RangeError(
        `queue buffer has ${buffer.byteLength} bytes, expected ${queueBytes(capacity)}`,
      );
    }
    return new CommandQueue(buffer, capacity);
  }

  /** Commands waiting. Any thread. */
  get size(): number {
    return (Atomics.load(this.#header, HEAD) - Atomics.load(this.#header, TAIL)) | 0;
  }

  /** Producer: enqueue `cmd`; false (and nothing changes) when the queue is full. */
  push(cmd: Command): boolean {
    const head = Atomics.load(this.#header, HEAD);
    const tail = Atomics.load(this.#header, TAIL);
    if (((head - tail) | 0) >= this.capacity) return false;
    writeCommand(this.#words, this.#floats, head & this.#mask, cmd);
    Atomics.store(this.#header, HEAD, (head + 1) | 0);
    return true;
  }

  /** Consumer: true when a command is waiting. */
  get hasNext(): boolean {
    return Atomics.load(this.#header, HEAD) !== Atomics.load(this.#header, TAIL);
  }

  #tailIndex(): number {
    return Atomics.load(this.#header, TAIL) & this.#mask;
  }

  /** Consumer: opcode of the head command (call only when {@linkcode hasNext}). */
  peekOpcode(): number {
    return this.#words[this.#tailIndex() * COMMAND_WORDS + WordField.Opcode] as number;
  }

  /** Consumer: target of the head command. */
  peekTarget(): number {
    return this.#words[this.#tailIndex() * COMMAND_WORDS + WordField.Target] as number;
  }

  /** Consumer: param of the head command. */
  peekParam(): number {
    return this.#words[this.#tailIndex() * COMMAND_WORDS + WordField.Param] as number;
  }

  /** Consumer: flags of the head command. */
  peekFlags(): number {
    return this.#words[this.#tailIndex() * COMMAND_WORDS + WordField.Flags] as number;
  }

  /** Consumer: value of the head command. */
  peekValue(): number {
    return this.#floats[this.#tailIndex() * COMMAND_F64S + FloatField.Value] as number;
  }

  /** Consumer: frame at which the head command applies. */
  peekFrame(): number {
    return this.#floats[this.#tailIndex() * COMMAND_F64S + FloatField.Frame] as number;
  }

  /** Consumer: sequence number of the head command. */
  peekSeq(): number {
    return this.#floats[this.#tailIndex() * COMMAND_F64S + FloatField.Seq] as number;
  }

  /** Consumer: drop the head command. */
  pop(): void {
    Atomics.store(this.#header, TAIL, (Atomics.load(this.#header, TAIL) + 1) | 0);
  }

  /** Consumer: copy out the head command as an object (tests and tools; allocates). */
  peek(): Command | undefined {
    return this.hasNext ? readCommand(this.#words, this.#floats, this.#tailIndex()) : undefined;
  }

  /** Consumer: discard everything queued (a freshly bound worker starting over). */
  clear(): void {
    Atomics.store(this.#header, TAIL, Atomics.load(this.#header, HEAD));
  }
}
