/**
 * The stamp lock: makes "read the slots' begun blocks, stamp, push" in the
 * main isolate atomic with respect to a DSP worker beginning a block.
 *
 * Without it a command could be stamped for block b just as a worker begins
 * b and drains its queue: the worker would find it one block late, apply it
 * at the next block, and the two slots would differ (a needless resync). The
 * worker holds the lock only to store its new begun block, so the main
 * isolate never waits for long; the worker waits a bounded number of
 * attempts ({@linkcode BEGIN_MAX_SPINS}) for a main isolate that was
 * preempted mid-send, then goes ahead (and the supervisor resyncs, as
 * before). Each slot has its own lock word, so the two workers, which begin
 * the same block at about the same moment, never wait for each other.
 *
 * @module
 */

import { I } from "./_control.ts";

const FREE = 0;
const HELD = 1;

/**
 * Longest a DSP worker spins for the lock before beginning a block anyway,
 * in lock attempts (a few hundred microseconds on current CPUs; counted, not
 * timed, so the wait calls nothing that could allocate).
 */
export const BEGIN_MAX_SPINS = 50_000;

/**
 * Take the stamp lock of both slots (main isolate), slot 0 first. Spins: a
 * worker holds its slot's lock for one store.
 */
export function lockStamp(ints: Int32Array): void {
  for (let slot = 0; slot < 2; slot++) {
    while (Atomics.compareExchange(ints, I.StampLock + slot, FREE, HELD) !== FREE) {
      // The slot's worker is storing its begun block: nanoseconds.
    }
  }
}

/** Release the stamp lock of both slots (main isolate). */
export function unlockStamp(ints: Int32Array): void {
  Atomics.store(ints, I.StampLock + 1, FREE);
  Atomics.store(ints, I.StampLock, FREE);
}

/**
 * Store `block` as `slot`'s first block not begun, under the slot's stamp
 * lock (DSP worker, right before it drains its queue for `block - 1`).
 * Allocates nothing. Returns false when it went ahead without the lock after
 * {@linkcode BEGIN_MAX_SPINS} attempts (the main isolate was preempted mid-send).
 */
export function beginBlock(ints: Int32Array, slot: number, block: number): boolean {
  const lock = I.StampLock + slot;
  for (let spins = 0; spins < BEGIN_MAX_SPINS; spins++) {
    if (Atomics.compareExchange(ints, lock, FREE, HELD) === FREE) {
      Atomics.store(ints, I.Begun + slot, block);
      Atomics.store(ints, lock, FREE);
      return true;
    }
  }
  Atomics.store(ints, I.Begun + slot, block);
  return false;
}
