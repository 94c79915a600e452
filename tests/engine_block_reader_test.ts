import assert from "node:assert/strict";
import { AudioRing, type RingShape } from "../engine/audio_ring.ts";
import { BlockReader } from "../engine/block_reader.ts";
import { ControlBlock, F, I, SlotState } from "../engine/_control.ts";
import {
  FLAG_COUNT,
  FLAG_STARTED,
  type HurryResponderInit,
  type HurryResponderReport,
  WORKER_DEADLINE_MS,
} from "./_engine_worker_protocol.ts";

const SHAPE: RingShape = { capacity: 8, blockFrames: 128, channels: 2 };
const PERIOD_MS = 128 / 48;

/** A control block with both slots Ready, slot 0 active, and two empty rings. */
function setup(): {
  control: ControlBlock;
  ints: Int32Array;
  rings: AudioRing[];
  reader: BlockReader;
} {
  const control = ControlBlock.create(PERIOD_MS);
  const ints = control.ints;
  ints[I.Health] = SlotState.Ready;
  ints[I.Health + 1] = SlotState.Ready;
  const rings = [AudioRing.create(SHAPE), AudioRing.create(SHAPE)];
  return { control, ints, rings, reader: new BlockReader(control, rings) };
}

/** Publish `block` in `ring` with every sample `value` and the given applied seq. */
function publish(ring: AudioRing, block: number, value = block, appliedSeq = -1): void {
  const offset = ring.offsetOf(block);
  ring.samples.fill(value, offset, offset + ring.blockSamples);
  ring.publish(block, 0.1, appliedSeq);
}

/** Hand the decided block over at `now`, as the audio callback does (start time first). */
function advanceAt(control: ControlBlock, reader: BlockReader, slot: number, now: number): void {
  control.floats[F.CallbackStartMs] = now;
  reader.advance(slot);
}

/** One audio callback: decide, then hand the block over at `now`. */
function tick(control: ControlBlock, reader: BlockReader, now = 0): number {
  const slot = reader.next();
  advanceAt(control, reader, slot, now);
  return slot;
}

Deno.test("BlockReader plays the active slot's block when the active ring has it", () => {
  const { control, ints, rings, reader } = setup();
  for (let b = 0; b < 3; b++) {
    publish(rings[0] as AudioRing, b);
    publish(rings[1] as AudioRing, b);
  }
  assert.equal(reader.next(), 0);
  assert.equal(reader.block, 0);
  assert.equal(ints[I.Played], 0, "next() alone does not advance time");
  assert.equal(reader.next(), 0, "deciding again gives the same answer");
  advanceAt(control, reader, 0, 1);
  ints[I.Active] = 1;
  assert.equal(tick(control, reader), 1, "the active index decides, not slot 0");
  assert.equal(reader.block, 1);
  assert.equal(tick(control, reader), 1);
  assert.deepEqual(
    [ints[I.Failovers], ints[I.Underruns], ints[I.Diverged], ints[I.LastGap], ints[I.Degraded]],
    [0, 0, 0, -1, 0],
  );
});

Deno.test("BlockReader switches to the standby on the spot when the active ring lacks the block", () => {
  const { control, ints, rings, reader } = setup();
  for (let b = 0; b < 3; b++) publish(rings[0] as AudioRing, b);
  for (let b = 0; b < 6; b++) publish(rings[1] as AudioRing, b);
  for (let b = 0; b < 3; b++) assert.equal(tick(control, reader), 0, `block ${b}`);
  assert.equal(reader.next(), 1, "block 3 comes from the standby");
  assert.equal(reader.block, 3);
  assert.equal(ints[I.Active], 1);
  assert.equal(ints[I.Failovers], 1);
  assert.equal(ints[I.LastGap], 0, "no silent sample in the switch");
  assert.equal(ints[I.OpenGap], 0);
  assert.equal(ints[I.Underruns], 0);
  assert.equal(ints[I.Degraded], 0, "a switch with the block in hand is not degraded mode");
  advanceAt(control, reader, 1, 0);
  // The old slot catching up does not switch back: slot 1 is active now.
  publish(rings[0] as AudioRing, 3);
  publish(rings[0] as AudioRing, 4);
  assert.equal(tick(control, reader), 1);
  assert.equal(tick(control, reader), 1);
  assert.equal(ints[I.Failovers], 1);
});

Deno.test("BlockReader does not switch to a standby that is not Ready", () => {
  for (const state of [SlotState.Down, SlotState.Restoring]) {
    const { control, ints, rings, reader } = setup();
    ints[I.Health + 1] = state;
    publish(rings[1] as AudioRing, 0);
    assert.equal(reader.next(), -1, `standby in state ${state}`);
    assert.equal(ints[I.Active], 0);
    assert.equal(ints[I.Failovers], 0);
    assert.equal(ints[I.Underruns], 1);
    advanceAt(control, reader, -1, 0);
    // Once Ready it is taken, with the gap of the silent block recorded.
    ints[I.Health + 1] = SlotState.Ready;
    publish(rings[1] as AudioRing, 1);
    assert.equal(reader.next(), 1);
    assert.equal(ints[I.Failovers], 1);
    assert.equal(ints[I.LastGap], SHAPE.blockFrames);
  }
});

Deno.test("BlockReader outputs silence and counts an underrun when neither ring has the block", () => {
  const { control, ints, rings, reader } = setup();
  publish(rings[0] as AudioRing, 0);
  publish(rings[1] as AudioRing, 0);
  assert.equal(tick(control, reader), 0);
  for (let b = 1; b <= 3; b++) {
    assert.equal(tick(control, reader), -1, `block ${b}`);
    assert.equal(ints[I.Underruns], b);
    assert.equal(ints[I.OpenGap], b * SHAPE.blockFrames);
    assert.equal(ints[I.Played], b + 1, "time goes on through silence");
  }
  assert.equal(ints[I.LastGap], -1, "no switch yet");
  // The standby produces block 4 first: switch, and the gap is the silent samples played.
  publish(rings[1] as AudioRing, 4);
  assert.equal(reader.next(), 1);
  assert.equal(reader.block, 4);
  assert.equal(ints[I.LastGap], 3 * SHAPE.blockFrames);
  assert.equal(ints[I.OpenGap], 0);
  assert.equal(ints[I.Failovers], 1);
  assert.equal(ints[I.Underruns], 3);
});

Deno.test("BlockReader closes the open gap when the active slot itself recovers", () => {
  const { control, ints, rings, reader } = setup();
  ints[I.Health + 1] = SlotState.Down;
  assert.equal(tick(control, reader), -1);
  assert.equal(tick(control, reader), -1);
  assert.equal(ints[I.OpenGap], 2 * SHAPE.blockFrames);
  publish(rings[0] as AudioRing, 2);
  assert.equal(tick(control, reader), 0);
  assert.equal(ints[I.OpenGap], 0);
  assert.equal(ints[I.Failovers], 0);
  assert.equal(ints[I.Underruns], 2);
});

Deno.test("BlockReader counts a divergence when a Ready standby's block has another checksum", () => {
  const { control, ints, rings, reader } = setup();
  publish(rings[0] as AudioRing, 0, 0.25);
  publish(rings[1] as AudioRing, 0, 0.25);
  publish(rings[0] as AudioRing, 1, 0.25);
  publish(rings[1] as AudioRing, 1, 0.5);
  publish(rings[0] as AudioRing, 2, 0.25);
  publish(rings[1] as AudioRing, 2, 0.75);
  assert.equal(tick(control, reader), 0);
  assert.equal(ints[I.Diverged], 0, "equal blocks");
  assert.equal(tick(control, reader), 0);
  assert.equal(ints[I.Diverged], 1, "one sample value differs everywhere");
  ints[I.Health + 1] = SlotState.Restoring;
  assert.equal(tick(control, reader), 0);
  assert.equal(ints[I.Diverged], 1, "a standby that is not Ready is not compared");
  // Only one flipped bit in one sample is enough.
  publish(rings[0] as AudioRing, 3, 0.25);
  publish(rings[1] as AudioRing, 3, 0.25);
  const ring1 = rings[1] as AudioRing;
  ring1.sampleWords[ring1.offsetOf(3) + 17] =
    (ring1.sampleWords[ring1.offsetOf(3) + 17] as number) ^ 1;
  ring1.publish(3, 0, -1);
  ints[I.Health + 1] = SlotState.Ready;
  assert.equal(tick(control, reader), 0);
  assert.equal(ints[I.Diverged], 2);
});

Deno.test("BlockReader.advance moves Played and BlocksPlayed on and stamps the callback time", () => {
  const { control, ints, rings, reader } = setup();
  publish(rings[0] as AudioRing, 0);
  reader.next();
  advanceAt(control, reader, 0, 1234.5);
  assert.equal(ints[I.Played], 1);
  assert.equal(ints[I.BlocksPlayed], 1);
  assert.equal(control.floats[F.LastCallbackMs], 1234.5);
  reader.next();
  advanceAt(control, reader, -1, 1237);
  assert.equal(ints[I.Played], 2);
  assert.equal(ints[I.BlocksPlayed], 2, "silent blocks are handed over too");
  assert.equal(control.floats[F.LastCallbackMs], 1237);
});

Deno.test("BlockReader.advance wakes a worker waiting on Played", async () => {
  const { control, ints, rings, reader } = setup();
  publish(rings[0] as AudioRing, 0);
  const waiting = Atomics.waitAsync(ints, I.Played, 0, 5_000);
  assert.equal(waiting.async, true);
  reader.next();
  advanceAt(control, reader, 0, 0);
  assert.equal(await waiting.value, "ok");
});

Deno.test("BlockReader.advance records WatchHandedMs for the first block whose appliedSeq reaches WatchSeq", () => {
  const { control, ints, rings, reader } = setup();
  const ring0 = rings[0] as AudioRing;
  publish(ring0, 0, 0, 4);
  publish(ring0, 1, 0, 6);
  publish(ring0, 2, 0, 7);
  ints[I.WatchSeq] = 6;
  tick(control, reader, 100);
  assert.equal(control.floats[F.WatchHandedMs], 0, "block 0 applied only up to seq 4");
  assert.equal(ints[I.WatchSeq], 6);
  tick(control, reader, 200);
  assert.equal(control.floats[F.WatchHandedMs], 200);
  assert.equal(ints[I.WatchSeq], -1, "the watch is done");
  tick(control, reader, 300);
  assert.equal(control.floats[F.WatchHandedMs], 200, "not overwritten by later blocks");
});

Deno.test("BlockReader.advance does not record the watch for a silent block", () => {
  const { control, ints, reader } = setup();
  ints[I.WatchSeq] = 0;
  assert.equal(reader.next(), -1);
  advanceAt(control, reader, -1, 50);
  assert.equal(control.floats[F.WatchHandedMs], 0);
  assert.equal(ints[I.WatchSeq], 0, "still watching");
});

Deno.test("BlockReader.next asks the workers to hurry and waits only briefly when no ring has the block", () => {
  const { ints, reader } = setup();
  assert.equal(ints[I.Hurry], -1);
  ints[I.Played] = 5;
  const started = performance.now();
  assert.equal(reader.next(), -1);
  const waited = performance.now() - started;
  assert.equal(ints[I.Hurry], 5, "the missing block is requested");
  assert.equal(ints[I.Rescued], 0);
  assert.equal(ints[I.Underruns], 1);
  // It waits a fraction of the period (at most 0.5 ms), never a whole period.
  assert.ok(waited >= 0.4, `gave up after ${waited} ms`);
  assert.ok(waited < PERIOD_MS * 4, `waited ${waited} ms`);
});

Deno.test("BlockReader.next plays a block rendered on request while it waits and counts it Rescued", async () => {
  const { control, ints, rings, reader } = setup();
  ints[I.Health + 1] = SlotState.Down;
  const ring = rings[0] as AudioRing;
  const count = 50;
  const flags = new SharedArrayBuffer(FLAG_COUNT * 4);
  const flagView = new Int32Array(flags);
  const worker = new Worker(new URL("./_hurry_responder_worker.ts", import.meta.url), {
    type: "module",
  });
  const report = new Promise<HurryResponderReport>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<HurryResponderReport>) => resolve(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      reject(new Error(`hurry responder failed: ${event.message}`));
    };
  });
  const init: HurryResponderInit = {
    control: control.buffer,
    ring: ring.buffer,
    ...SHAPE,
    count,
    flags,
  };
  worker.postMessage(init);
  try {
    const deadline = performance.now() + WORKER_DEADLINE_MS;
    while (Atomics.load(flagView, FLAG_STARTED) === 0) {
      if (performance.now() > deadline) throw new Error("hurry responder did not start");
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    let rescued = 0;
    for (let b = 0; b < count; b++) {
      const slot = reader.next();
      assert.equal(reader.block, b);
      if (slot === 0) rescued++;
      else assert.equal(slot, -1, `block ${b}`);
      advanceAt(control, reader, slot, 0);
    }
    const got = await report;
    assert.deepEqual(got, { answered: count, timedOut: false });
    // Every block was missing when asked for: each is either rescued or an underrun.
    assert.equal(ints[I.Rescued], rescued);
    assert.equal(ints[I.Underruns], count - rescued);
    assert.ok(rescued > 0, `none of ${count} blocks was rescued`);
    assert.equal(ints[I.Failovers], 0);
  } finally {
    worker.terminate();
  }
});
