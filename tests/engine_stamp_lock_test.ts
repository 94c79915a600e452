import { assert, assertEquals } from "./_assert.ts";
import { ControlBlock, I } from "../engine/_control.ts";
import { BEGIN_WAIT_MS, beginBlock, lockStamp, unlockStamp } from "../engine/_stamp_lock.ts";

Deno.test("beginBlock stores the slot's begun block and leaves the stamp lock free", () => {
  const ints = ControlBlock.create(128 / 48).ints;
  assertEquals(beginBlock(ints, 1, 42, () => performance.now()), true);
  assertEquals(ints[I.Begun + 1], 42);
  assertEquals(ints[I.Begun + 0], 0, "the other slot is untouched");
  assertEquals(ints[I.StampLock], 0);
});

Deno.test("beginBlock waits for a held stamp lock at most BEGIN_WAIT_MS, then goes ahead", () => {
  const ints = ControlBlock.create(128 / 48).ints;
  lockStamp(ints);
  const start = performance.now();
  assertEquals(beginBlock(ints, 0, 7, () => performance.now()), false);
  const waited = performance.now() - start;
  assert(waited >= BEGIN_WAIT_MS, `waited ${waited} ms`);
  assertEquals(ints[I.Begun + 0], 7, "the block is begun anyway");
  assertEquals(ints[I.StampLock], 1, "the main isolate's lock is not stolen");
  unlockStamp(ints);
  assertEquals(ints[I.StampLock], 0);
  assertEquals(beginBlock(ints, 0, 8, () => performance.now()), true);
});
