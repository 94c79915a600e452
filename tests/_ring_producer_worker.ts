/**
 * Test helper worker: the producer side of an {@linkcode AudioRing} in its
 * own isolate. Publishes blocks 0 .. count-1 in order, sample `i` of block
 * `b` being `blockSample(b, i)`, never more than a ring ahead of the
 * consumer's position in `FLAG_CONSUMED`, then posts a
 * {@linkcode RingProducerReport}.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { AudioRing } from "../engine/audio_ring.ts";
import {
  blockSample,
  FLAG_CONSUMED,
  FLAG_STARTED,
  type RingProducerInit,
  type RingProducerReport,
  WORKER_DEADLINE_MS,
} from "./_engine_worker_protocol.ts";

function produce(init: RingProducerInit): RingProducerReport {
  const ring = AudioRing.fromBuffer(init.ring, init);
  const flags = new Int32Array(init.flags);
  const samples = ring.samples;
  const n = ring.blockSamples;
  const deadline = performance.now() + WORKER_DEADLINE_MS;
  let waits = 0;
  Atomics.store(flags, FLAG_STARTED, 1);
  for (let block = 0; block < init.count; block++) {
    // Writing block b reuses the memory of block b - capacity: wait until it was read.
    for (;;) {
      const consumed = Atomics.load(flags, FLAG_CONSUMED);
      if (block < consumed + ring.capacity) break;
      waits++;
      Atomics.wait(flags, FLAG_CONSUMED, consumed, 1);
      if (performance.now() > deadline) return { published: block, waits, timedOut: true };
    }
    const offset = ring.offsetOf(block);
    for (let i = 0; i < n; i++) samples[offset + i] = blockSample(block, i);
    ring.publish(block, (block % 3) * 1000, block * 2);
  }
  return { published: init.count, waits, timedOut: false };
}

self.onmessage = (event: MessageEvent<RingProducerInit>) => {
  self.onmessage = null;
  self.postMessage(produce(event.data));
};
