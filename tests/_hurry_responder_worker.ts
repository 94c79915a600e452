/**
 * Test helper worker: a stand-in DSP worker that renders nothing ahead and
 * publishes block `b` only when the audio side asks for it through
 * `I.Hurry`, then posts a {@linkcode HurryResponderReport}. It spins on the
 * control block so it answers within microseconds.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { AudioRing } from "../engine/audio_ring.ts";
import { ControlBlock, I } from "../engine/_control.ts";
import {
  blockSample,
  FLAG_STARTED,
  type HurryResponderInit,
  type HurryResponderReport,
  WORKER_DEADLINE_MS,
} from "./_engine_worker_protocol.ts";

function respond(init: HurryResponderInit): HurryResponderReport {
  const ints = ControlBlock.fromBuffer(init.control).ints;
  const ring = AudioRing.fromBuffer(init.ring, init);
  const flags = new Int32Array(init.flags);
  const deadline = performance.now() + WORKER_DEADLINE_MS;
  let spins = 0;
  Atomics.store(flags, FLAG_STARTED, 1);
  for (let block = 0; block < init.count; block++) {
    while (Atomics.load(ints, I.Hurry) < block) {
      if ((++spins & 0xfff) === 0 && performance.now() > deadline) {
        return { answered: block, timedOut: true };
      }
    }
    const offset = ring.offsetOf(block);
    for (let i = 0; i < ring.blockSamples; i++) ring.samples[offset + i] = blockSample(block, i);
    ring.publish(block, 0, -1);
  }
  return { answered: init.count, timedOut: false };
}

self.onmessage = (event: MessageEvent<HurryResponderInit>) => {
  self.onmessage = null;
  self.postMessage(respond(event.data));
};
