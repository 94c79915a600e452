/**
 * Test helper worker: the producer side of a {@linkcode CommandQueue} in its
 * own isolate. Pushes commands seq 0 .. count-1 with fields from
 * `derivedCommand(seq)`, spinning while the queue is full, then posts a
 * {@linkcode QueueProducerReport}.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { CommandQueue } from "../engine/command_queue.ts";
import type { OpcodeValue } from "../engine/command.ts";
import {
  derivedCommand,
  FLAG_STARTED,
  type QueueProducerInit,
  type QueueProducerReport,
  WORKER_DEADLINE_MS,
} from "./_engine_worker_protocol.ts";

function produce(init: QueueProducerInit): QueueProducerReport {
  const queue = CommandQueue.fromBuffer(init.queue, init.capacity);
  const flags = new Int32Array(init.flags);
  const deadline = performance.now() + WORKER_DEADLINE_MS;
  let refused = 0;
  Atomics.store(flags, FLAG_STARTED, 1);
  for (let seq = 0; seq < init.count; seq++) {
    const c = derivedCommand(seq);
    const command = { ...c, opcode: c.opcode as OpcodeValue, flags: 0, seq };
    while (!queue.push(command)) {
      if ((++refused & 0xfff) === 0 && performance.now() > deadline) {
        return { pushed: seq, refused, timedOut: true };
      }
    }
  }
  return { pushed: init.count, refused, timedOut: false };
}

self.onmessage = (event: MessageEvent<QueueProducerInit>) => {
  self.onmessage = null;
  self.postMessage(produce(event.data));
};
