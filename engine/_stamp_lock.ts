/**
 * The stamp lock: makes "read the slots' begun blocks, stamp, push" in the
 * main isolate atomic with respect to a DSP worker beginning a block.
 *
 * Without it a command could be stamped for block b just as a worker begins
 * b and drains its queue: the worker would find it one block late, apply it
 * at the next block, and the two slots would differ (a needless resync). The
 * worker holds the lock only to store its new begun block, so the main
 * isolate never waits for long; the worker waits at most
 * {@linkcode BEGIN_WAIT_MS} for a main isolate that was preempted mid-send,
 * then goes ahead (and the supervisor resyncs, as before).
 *
 * @module
 */

import { I } from "./_control.ts";

const FREE = 0;
const HELD = 1;

/** Longest a DSP worker waits for the lock before beginning a block anyway, in ms. */
export const BEGIN_WAIT_MS = 0.3;

/** Take the stamp lock (main isolate). Spins: a worker holds it for one store. */
export function lockStamp(ints: Int32Array): void {
  while (Atomics.compareExchange(ints, I.StampLock, FREE, HELD) !== FREE) {
    // A worker is storing its begun block: nanoseconds.
  }
}

/** Release the stamp lock (main isolate). */
export function unlockStamp(ints: Int32Array): void {
  Atomics.store(ints, I.StampLock, FREE);
}

/**
 * Mark `block - 1` begun for `slot`, i.e. store `block` as the slot's first
 * block not begun (DSP worker, before draining the queue for `block - 1`).
 * Allocates nothing. Returns false when it went ahead without the lock.
 */
export function beginBlock(
  ints: Int32Array,
  slot: number,
  block: number,
  now: () => number,
): boolean {
  let deadline = 0;
  let spins = 0;
  while (Atomics.compareExchange(ints, I.StampLock, FREE, HELD) !== FREE) {
    if ((++spins & 63) !== 0) continue;
    if (deadline === 0) deadline = now() + BEGIN_WAIT_MS;
    else if (now() > deadline) {
      Atomics.store(ints, I.Begun + slot, block);
      return false;
    }
  }
  Atomics.store(ints, I.Begun + slot, block);
  Atomics.store(ints, I.StampLock, FREE);
  return true;
}
