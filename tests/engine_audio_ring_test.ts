import assert from "node:assert/strict";
import { AudioRing, blockChecksum, ringBytes, type RingShape } from "../engine/audio_ring.ts";
import { sampledAllocation } from "./_alloc.ts";
import {
  blockSample,
  FLAG_CONSUMED,
  FLAG_COUNT,
  type RingProducerInit,
  type RingProducerReport,
  WORKER_DEADLINE_MS,
} from "./_engine_worker_protocol.ts";

const SMALL: RingShape = { capacity: 4, blockFrames: 4, channels: 2 };

/** Write block `block` filled with `block + k / 100` for sample k, then publish it. */
function publishBlock(ring: AudioRing, block: number, appliedSeq = block): void {
  const offset = ring.offsetOf(block);
  for (let k = 0; k < ring.blockSamples; k++) ring.samples[offset + k] = block + k / 100;
  ring.publish(block, block * 100, appliedSeq);
}

/** True when block `block` holds exactly what {@linkcode publishBlock} wrote. */
function holds(ring: AudioRing, block: number): boolean {
  const offset = ring.offsetOf(block);
  for (let k = 0; k < ring.blockSamples; k++) {
    if (ring.samples[offset + k] !== Math.fround(block + k / 100)) return false;
  }
  return true;
}

/** FNV-1a over 32-bit words with BigInt arithmetic: a second, independent implementation. */
function referenceChecksum(words: readonly number[]): number {
  let hash = 0x811c9dc5n;
  for (const w of words) hash = ((hash ^ BigInt(w)) * 0x01000193n) % 0x1_0000_0000n;
  return Number(hash);
}

Deno.test("AudioRing.offsetOf maps blocks to ring slots modulo the capacity", () => {
  const ring = AudioRing.create(SMALL);
  assert.equal(ring.blockSamples, 8);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9, 1002].map((b) => ring.offsetOf(b)), [
    0,
    8,
    16,
    24,
    0,
    8,
    8,
    16,
  ]);
});

Deno.test("AudioRing.has is true exactly for the last capacity published blocks across wrap-around", () => {
  const ring = AudioRing.create(SMALL);
  for (let block = 0; block < 23; block++) {
    publishBlock(ring, block);
    assert.equal(ring.written, block + 1);
    for (let b = -2; b <= block + 2; b++) {
      const expected = b <= block && b > block - SMALL.capacity && b >= 0;
      assert.equal(ring.has(b), expected, `after publishing ${block}, has(${b})`);
      if (expected) assert.ok(holds(ring, b), `content of block ${b} after publishing ${block}`);
    }
  }
});

Deno.test("AudioRing.has is false for unpublished, overwritten and future blocks", () => {
  const ring = AudioRing.create(SMALL);
  assert.equal(ring.written, 0);
  assert.equal(ring.has(0), false, "nothing published yet");
  for (let block = 0; block < 10; block++) publishBlock(ring, block);
  assert.equal(ring.has(5), false, "overwritten by block 9");
  assert.equal(ring.has(0), false, "overwritten twice");
  assert.equal(ring.has(10), false, "future");
  assert.equal(ring.has(13), false, "future block in the slot of the published block 9");
  assert.equal(ring.has(6), true);
  assert.equal(ring.has(9), true);
  // Samples written for block 10 but not yet published do not make it readable.
  ring.samples.fill(1, ring.offsetOf(10), ring.offsetOf(10) + ring.blockSamples);
  assert.equal(ring.has(10), false);
});

Deno.test("AudioRing records render time and applied seq per block", () => {
  const ring = AudioRing.create(SMALL);
  for (let block = 0; block < 6; block++) publishBlock(ring, block, 100 + block);
  for (let block = 2; block < 6; block++) {
    assert.equal(ring.renderMsOf(block), block / 10);
    assert.equal(ring.appliedSeqOf(block), 100 + block);
  }
});

Deno.test("AudioRing.resetTo restarts numbering without publishing the blocks below it", () => {
  const ring = AudioRing.create(SMALL);
  for (let block = 0; block < 10; block++) publishBlock(ring, block);
  ring.resetTo(20);
  assert.equal(ring.written, 20);
  for (let b = 6; b < 24; b++) assert.equal(ring.has(b), false, `has(${b}) after resetTo(20)`);
  publishBlock(ring, 20);
  assert.equal(ring.has(20), true);
  assert.equal(ring.has(19), false, "never published");
  assert.ok(holds(ring, 20));
  // Going back: blocks at or above the new start are gone, older ones still valid stay readable.
  const back = AudioRing.create(SMALL);
  for (let block = 0; block < 10; block++) publishBlock(back, block);
  back.resetTo(8);
  assert.deepEqual([5, 6, 7, 8, 9].map((b) => back.has(b)), [false, true, true, false, false]);
  publishBlock(back, 8);
  assert.deepEqual([6, 7, 8, 9].map((b) => back.has(b)), [true, true, true, false]);
});

Deno.test("AudioRing.checksumOf is equal for equal content and differs for one changed sample", () => {
  const a = AudioRing.create(SMALL);
  const b = AudioRing.create(SMALL);
  for (let block = 0; block < 6; block++) {
    publishBlock(a, block);
    publishBlock(b, block);
    assert.equal(a.checksumOf(block), b.checksumOf(block), `block ${block}`);
  }
  assert.notEqual(a.checksumOf(4), a.checksumOf(5), "different blocks differ");
  // Flip the lowest mantissa bit of one sample of block 6 in `b` only.
  publishBlock(a, 6);
  const offset = b.offsetOf(6);
  for (let k = 0; k < b.blockSamples; k++) b.samples[offset + k] = Math.fround(6 + k / 100);
  b.sampleWords[offset + 5] = (b.sampleWords[offset + 5] as number) ^ 1;
  b.publish(6, 0, 6);
  assert.notEqual(a.checksumOf(6), b.checksumOf(6));
  // -0 and +0 compare equal as floats but are different words: the checksum tells them apart.
  publishBlock(a, 7);
  b.samples.set(a.samples.subarray(a.offsetOf(7), a.offsetOf(7) + a.blockSamples), b.offsetOf(7));
  b.samples[b.offsetOf(7)] = 0;
  a.samples[a.offsetOf(7)] = -0;
  a.publish(7, 0, 7);
  b.publish(7, 0, 7);
  assert.notEqual(a.checksumOf(7), b.checksumOf(7));
});

Deno.test("blockChecksum is FNV-1a over the 32-bit words of the range", () => {
  const words = new Uint32Array([0, 1, 0xffffffff, 0x3f800000, 0x80000000, 12345, 7, 9]);
  assert.equal(blockChecksum(words, 0, 0), 0x811c9dc5);
  assert.equal(blockChecksum(words, 0, 8), referenceChecksum([...words]));
  assert.equal(blockChecksum(words, 2, 3), referenceChecksum([0xffffffff, 0x3f800000, 0x80000000]));
  assert.notEqual(blockChecksum(words, 0, 2), blockChecksum(new Uint32Array([1, 0]), 0, 2));
});

Deno.test("AudioRing.fromBuffer checks the size and shares the producer's memory", () => {
  const producer = AudioRing.create(SMALL);
  assert.equal(producer.buffer.byteLength, ringBytes(SMALL));
  assert.equal(ringBytes(SMALL), 64 + 4 * 4 * 8 + 4 * 4 * 2 * 4);
  assert.throws(() => AudioRing.fromBuffer(producer.buffer, { ...SMALL, channels: 1 }), RangeError);
  assert.throws(() => AudioRing.create({ ...SMALL, capacity: 6 }), RangeError);
  const consumer = AudioRing.fromBuffer(producer.buffer, SMALL);
  publishBlock(producer, 0);
  publishBlock(producer, 1);
  assert.equal(consumer.written, 2);
  assert.equal(consumer.has(1), true);
  assert.ok(holds(consumer, 1));
  assert.equal(consumer.checksumOf(1), producer.checksumOf(1));
});

Deno.test("AudioRing moves 100,000 blocks from a worker producer to a sequential reader intact and in order", async () => {
  const count = 100_000;
  const shape: RingShape = { capacity: 8, blockFrames: 128, channels: 2 };
  const ring = AudioRing.create(shape);
  const flags = new SharedArrayBuffer(FLAG_COUNT * 4);
  const flagView = new Int32Array(flags);
  const worker = new Worker(new URL("./_ring_producer_worker.ts", import.meta.url), {
    type: "module",
  });
  const report = new Promise<RingProducerReport>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<RingProducerReport>) => resolve(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      reject(new Error(`ring producer failed: ${event.message}`));
    };
  });
  const init: RingProducerInit = { ring: ring.buffer, ...shape, count, flags };
  worker.postMessage(init);
  try {
    const n = ring.blockSamples;
    const samples = ring.samples;
    const deadline = performance.now() + WORKER_DEADLINE_MS;
    let spins = 0;
    let badBlocks = 0;
    let firstBad = "";
    for (let block = 0; block < count; block++) {
      while (!ring.has(block)) {
        if ((++spins & 0xffff) === 0) {
          if (performance.now() > deadline) throw new Error(`reader starved at block ${block}`);
          // Let the worker's load finish without hogging this thread.
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }
      // Sequential reading: the newest block is never more than a ring ahead of this one.
      const written = ring.written;
      if (written <= block || written > block + shape.capacity) {
        badBlocks++;
        if (firstBad === "") firstBad = `block ${block} read with written = ${written}`;
      }
      const offset = ring.offsetOf(block);
      let same = true;
      for (let i = 0; i < n; i++) {
        if (samples[offset + i] !== blockSample(block, i)) same = false;
      }
      const checksum = blockChecksum(ring.sampleWords, offset, n);
      if (
        !same || checksum !== ring.checksumOf(block) || ring.appliedSeqOf(block) !== block * 2 ||
        ring.renderMsOf(block) !== block % 3
      ) {
        badBlocks++;
        if (firstBad === "") firstBad = `block ${block} does not hold what was published for it`;
      }
      Atomics.store(flagView, FLAG_CONSUMED, block + 1);
      Atomics.notify(flagView, FLAG_CONSUMED);
    }
    const got = await report;
    assert.equal(firstBad, "");
    assert.equal(badBlocks, 0);
    assert.equal(got.timedOut, false);
    assert.equal(got.published, count);
    assert.equal(ring.written, count);
    assert.equal(ring.has(count - shape.capacity - 1), false);
    assert.equal(ring.has(count - 1), true);
  } finally {
    worker.terminate();
  }
});

Deno.test("publish allocates nothing: the checksum is stored, not returned boxed", async () => {
  const ring = AudioRing.create({ capacity: 8, blockFrames: 128, channels: 2 });
  function publishMany(n: number): void {
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      ring.publish(i, Math.round((performance.now() - started) * 1000), i);
    }
  }
  for (let i = 0; i < 30; i++) publishMany(1000);
  const n = 20000;
  // Up to 3 sessions: one may catch V8 still tiering publish up (seen in full runs).
  const bytes = await sampledAllocation(() => publishMany(n), "publishMany", {
    sessions: 3,
    below: n,
  });
  assert.ok(bytes / n < 1, `publish allocated ${bytes / n} B per block`);
  assert.equal(ring.written, n);
});
