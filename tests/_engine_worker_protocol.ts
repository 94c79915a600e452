/**
 * Messages and shared helpers of the engine tests' worker helpers
 * (`_queue_consumer_worker.ts`, `_queue_producer_worker.ts`,
 * `_ring_producer_worker.ts`). Types and pure functions only, so both the
 * test isolate and the workers can import it.
 *
 * @module
 */

/** Frames per block in the worker tests, matching the engine default. */
export const TEST_BLOCK_FRAMES = 128;

/** Longest a worker helper spins or waits before giving up, in ms. */
export const WORKER_DEADLINE_MS = 20_000;

/** Int32 index of the "started" flag in the tests' shared flags buffer. */
export const FLAG_STARTED = 0;
/** Int32 index of the consumer's position (next block / command it will read). */
export const FLAG_CONSUMED = 1;
/** Int32 count of the tests' shared flags buffer. */
export const FLAG_COUNT = 4;

/** The command fields every queue worker test derives from `seq`. */
export interface DerivedCommand {
  /** Opcode (always SetParam, 1). */
  readonly opcode: number;
  /** Target, `seq % 7`. */
  readonly target: number;
  /** Param id, `seq % 10`. */
  readonly param: number;
  /** Value, `seq * 0.5`. */
  readonly value: number;
  /** Frame, `seq * TEST_BLOCK_FRAMES + seq % TEST_BLOCK_FRAMES`. */
  readonly frame: number;
}

/** The fields of command number `seq`, so a reader can verify them without a copy. */
export function derivedCommand(seq: number): DerivedCommand {
  return {
    opcode: 1,
    target: seq % 7,
    param: seq % 10,
    value: seq * 0.5,
    frame: seq * TEST_BLOCK_FRAMES + (seq % TEST_BLOCK_FRAMES),
  };
}

/** Start message of the queue consumer worker. */
export interface QueueConsumerInit {
  /** The queue's shared memory. */
  readonly queue: SharedArrayBuffer;
  /** Queue capacity in commands. */
  readonly capacity: number;
  /** Commands to expect, seq 0 .. count-1. */
  readonly count: number;
  /** Shared Int32 flags (`FLAG_*`). */
  readonly flags: SharedArrayBuffer;
}

/** What the queue consumer worker saw. */
export interface QueueConsumerReport {
  /** Commands popped. */
  readonly received: number;
  /** Sum of every popped seq. */
  readonly seqSum: number;
  /** Sum of every popped value. */
  readonly valueSum: number;
  /** Commands whose seq was not the next expected one. */
  readonly outOfOrder: number;
  /** Commands whose opcode, target, param, value or frame differed from `derivedCommand(seq)`. */
  readonly badFields: number;
  /** First problem seen, "" when none. */
  readonly firstProblem: string;
  /** True when the worker gave up at its deadline. */
  readonly timedOut: boolean;
}

/** Start message of the queue producer worker. */
export interface QueueProducerInit {
  /** The queue's shared memory. */
  readonly queue: SharedArrayBuffer;
  /** Queue capacity in commands. */
  readonly capacity: number;
  /** Commands to push, seq 0 .. count-1. */
  readonly count: number;
  /** Shared Int32 flags (`FLAG_*`). */
  readonly flags: SharedArrayBuffer;
}

/** What the queue producer worker did. */
export interface QueueProducerReport {
  /** Commands pushed. */
  readonly pushed: number;
  /** Pushes refused because the queue was full. */
  readonly refused: number;
  /** True when the worker gave up at its deadline. */
  readonly timedOut: boolean;
}

/** Start message of the ring producer worker. */
export interface RingProducerInit {
  /** The ring's shared memory. */
  readonly ring: SharedArrayBuffer;
  /** Ring capacity in blocks. */
  readonly capacity: number;
  /** Frames per block. */
  readonly blockFrames: number;
  /** Interleaved channels. */
  readonly channels: number;
  /** Blocks to publish, 0 .. count-1. */
  readonly count: number;
  /** Shared Int32 flags (`FLAG_*`); the consumer advances `FLAG_CONSUMED`. */
  readonly flags: SharedArrayBuffer;
}

/** What the ring producer worker did. */
export interface RingProducerReport {
  /** Blocks published. */
  readonly published: number;
  /** Times it had to wait because the consumer was a full ring behind. */
  readonly waits: number;
  /** True when the worker gave up at its deadline. */
  readonly timedOut: boolean;
}

/**
 * Sample `i` of block `block` in the ring worker test: an integer hash of
 * both mapped to [-0.5, 0.5), exactly representable in float32, so any block
 * read in place of another (or torn) is detected.
 */
export function blockSample(block: number, i: number): number {
  const h = (Math.imul(block, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0;
  return (h >>> 8) / 16777216 - 0.5;
}

/** Start message of the hurry responder worker. */
export interface HurryResponderInit {
  /** The engine control block's shared memory. */
  readonly control: SharedArrayBuffer;
  /** The ring to publish requested blocks into. */
  readonly ring: SharedArrayBuffer;
  /** Ring capacity in blocks. */
  readonly capacity: number;
  /** Frames per block. */
  readonly blockFrames: number;
  /** Interleaved channels. */
  readonly channels: number;
  /** Blocks to answer, 0 .. count-1. */
  readonly count: number;
  /** Shared Int32 flags (`FLAG_*`). */
  readonly flags: SharedArrayBuffer;
}

/** What the hurry responder worker did. */
export interface HurryResponderReport {
  /** Blocks published in answer to a hurry request. */
  readonly answered: number;
  /** True when the worker gave up at its deadline. */
  readonly timedOut: boolean;
}
