import { assert, assertEquals } from "./_assert.ts";
import { ControlBlock, I } from "../engine/_control.ts";
import { beginBlock, lockStamp, unlockStamp } from "../engine/_stamp_lock.ts";

Deno.test("beginBlock stores the slot's begun block and leaves the stamp lock free", () => {
  const ints = ControlBlock.create(128 / 48).ints;
  assertEquals(beginBlock(ints, 1, 42), true);
  assertEquals(ints[I.Begun + 1], 42);
  assertEquals(ints[I.Begun + 0], 0, "the other slot is untouched");
  assertEquals(ints[I.StampLock], 0);
});

Deno.test("beginBlock gives up on a held stamp lock after a bounded wait and begins anyway", () => {
  const ints = ControlBlock.create(128 / 48).ints;
  lockStamp(ints);
  assertEquals(beginBlock(ints, 0, 7), false);
  assertEquals(ints[I.Begun + 0], 7, "the block is begun anyway");
  assertEquals(ints[I.StampLock], 1, "the main isolate's lock is not stolen");
  assertEquals(ints[I.StampLock + 1], 1);
  unlockStamp(ints);
  assertEquals([ints[I.StampLock], ints[I.StampLock + 1]], [0, 0]);
  assertEquals(beginBlock(ints, 0, 8), true);
});

Deno.test("beginBlock of one slot never waits for the other slot's worker", () => {
  const ints = ControlBlock.create(128 / 48).ints;
  Atomics.store(ints, I.StampLock + 1, 1); // slot 1's worker mid-store
  assertEquals(beginBlock(ints, 0, 3), true);
  assert(ints[I.Begun + 0] === 3);
});
