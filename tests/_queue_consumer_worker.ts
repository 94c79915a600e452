/**
 * Test helper worker: the consumer side of a {@linkcode CommandQueue} in its
 * own isolate. Pops `count` commands, checks that seq runs 0, 1, 2, … with
 * no loss, duplication or reordering and that every field matches
 * `derivedCommand(seq)`, then posts a {@linkcode QueueConsumerReport}.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { CommandQueue } from "../engine/command_queue.ts";
import {
  derivedCommand,
  FLAG_CONSUMED,
  FLAG_STARTED,
  type QueueConsumerInit,
  type QueueConsumerReport,
  WORKER_DEADLINE_MS,
} from "./_engine_worker_protocol.ts";

function consume(init: QueueConsumerInit): QueueConsumerReport {
  const queue = CommandQueue.fromBuffer(init.queue, init.capacity);
  const flags = new Int32Array(init.flags);
  const deadline = performance.now() + WORKER_DEADLINE_MS;
  let received = 0;
  let seqSum = 0;
  let valueSum = 0;
  let outOfOrder = 0;
  let badFields = 0;
  let firstProblem = "";
  let idle = 0;
  Atomics.store(flags, FLAG_STARTED, 1);
  while (received < init.count) {
    if (!queue.hasNext) {
      if ((++idle & 0xfff) === 0 && performance.now() > deadline) {
        return { received, seqSum, valueSum, outOfOrder, badFields, firstProblem, timedOut: true };
      }
      continue;
    }
    const seq = queue.peekSeq();
    const value = queue.peekValue();
    if (seq !== received) {
      outOfOrder++;
      if (firstProblem === "") firstProblem = `expected seq ${received}, got ${seq}`;
    }
    const want = derivedCommand(seq);
    if (
      queue.peekOpcode() !== want.opcode || queue.peekTarget() !== want.target ||
      queue.peekParam() !== want.param || value !== want.value ||
      queue.peekFrame() !== want.frame
    ) {
      badFields++;
      if (firstProblem === "") firstProblem = `fields of seq ${seq} differ`;
    }
    seqSum += seq;
    valueSum += value;
    queue.pop();
    received++;
    Atomics.store(flags, FLAG_CONSUMED, received);
  }
  return { received, seqSum, valueSum, outOfOrder, badFields, firstProblem, timedOut: false };
}

self.onmessage = (event: MessageEvent<QueueConsumerInit>) => {
  self.onmessage = null;
  self.postMessage(consume(event.data));
};
