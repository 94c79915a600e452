import assert from "node:assert/strict";
import { seededRandom as random } from "./_random.ts";
import { type Command, Opcode, type OpcodeValue } from "../engine/command.ts";
import { CommandQueue, queueBytes } from "../engine/command_queue.ts";
import {
  derivedCommand,
  FLAG_COUNT,
  FLAG_STARTED,
  type QueueConsumerInit,
  type QueueConsumerReport,
  type QueueProducerInit,
  type QueueProducerReport,
  WORKER_DEADLINE_MS,
} from "./_engine_worker_protocol.ts";

/** Command number `seq` with every field derived from it. */
function command(seq: number): Command {
  const c = derivedCommand(seq);
  return { ...c, opcode: c.opcode as OpcodeValue, flags: 0, seq };
}

/** Pop everything queued, returning the seqs in pop order. */
function drainSeqs(queue: CommandQueue): number[] {
  const seqs: number[] = [];
  while (queue.hasNext) {
    seqs.push(queue.peekSeq());
    queue.pop();
  }
  return seqs;
}

/** Start `url` as a module worker and wait for its one report. */
function runWorker<Init, Report>(
  url: URL,
  init: Init,
): { worker: Worker; report: Promise<Report> } {
  const worker = new Worker(url, { type: "module" });
  const report = new Promise<Report>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<Report>) => resolve(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      reject(new Error(`worker failed: ${event.message}`));
    };
  });
  worker.postMessage(init);
  return { worker, report };
}

Deno.test("CommandQueue keeps FIFO order over many wrap-arounds of a small capacity", () => {
  const queue = CommandQueue.create(4);
  const model: number[] = [];
  const rand = random(1);
  let nextSeq = 0;
  let popped = 0;
  while (popped < 10_000) {
    if (rand() < 0.55) {
      const accepted = queue.push(command(nextSeq));
      assert.equal(
        accepted,
        model.length < 4,
        `push of seq ${nextSeq} with ${model.length} queued`,
      );
      if (accepted) model.push(nextSeq++);
    } else if (model.length > 0) {
      const want = model.shift() as number;
      assert.deepEqual(queue.peek(), command(want));
      queue.pop();
      popped++;
    } else {
      assert.equal(queue.hasNext, false);
      assert.equal(queue.peek(), undefined);
    }
    assert.equal(queue.size, model.length);
  }
  assert.ok(nextSeq >= 10_000, "the pattern wrapped the 4-slot queue thousands of times");
});

Deno.test("CommandQueue peek accessors read the head command's fields in place", () => {
  const queue = CommandQueue.create(8);
  queue.push({
    opcode: Opcode.Fault,
    target: 1,
    param: 2,
    flags: 0,
    value: -3.25,
    frame: 640,
    seq: 9,
  });
  queue.push(command(10));
  assert.equal(queue.peekOpcode(), Opcode.Fault);
  assert.equal(queue.peekTarget(), 1);
  assert.equal(queue.peekParam(), 2);
  assert.equal(queue.peekValue(), -3.25);
  assert.equal(queue.peekFrame(), 640);
  assert.equal(queue.peekSeq(), 9);
  queue.pop();
  assert.deepEqual(queue.peek(), command(10));
  assert.equal(queue.peekValue(), 5);
});

Deno.test("CommandQueue.push refuses a command when full without touching what is queued", () => {
  const queue = CommandQueue.create(4);
  for (let seq = 0; seq < 4; seq++) assert.equal(queue.push(command(seq)), true);
  // Full: head is a whole lap ahead of tail, so a careless write would land on the head command.
  for (let attempt = 0; attempt < 3; attempt++) assert.equal(queue.push(command(100)), false);
  assert.equal(queue.size, 4);
  assert.deepEqual(queue.peek(), command(0));
  queue.pop();
  assert.equal(queue.push(command(4)), true);
  assert.equal(queue.push(command(101)), false);
  const got: Command[] = [];
  while (queue.hasNext) {
    got.push(queue.peek() as Command);
    queue.pop();
  }
  assert.deepEqual(got, [1, 2, 3, 4].map(command));
});

Deno.test("CommandQueue.clear drops everything queued and the queue works on after it", () => {
  const queue = CommandQueue.create(4);
  for (let seq = 0; seq < 6; seq++) {
    queue.push(command(seq));
    if (seq % 2 === 1) queue.pop();
  }
  assert.equal(queue.size, 3);
  queue.clear();
  assert.equal(queue.size, 0);
  assert.equal(queue.hasNext, false);
  assert.equal(queue.peek(), undefined);
  for (let seq = 20; seq < 24; seq++) assert.equal(queue.push(command(seq)), true);
  assert.equal(queue.push(command(24)), false);
  assert.deepEqual(drainSeqs(queue), [20, 21, 22, 23]);
});

Deno.test("CommandQueue.fromBuffer checks the size and shares the producer's memory", () => {
  const producer = CommandQueue.create(8);
  assert.equal(producer.buffer.byteLength, queueBytes(8));
  assert.equal(queueBytes(8), 64 + 8 * 64);
  assert.throws(() => CommandQueue.fromBuffer(producer.buffer, 16), RangeError);
  assert.throws(
    () => CommandQueue.fromBuffer(new SharedArrayBuffer(queueBytes(8) + 64), 8),
    RangeError,
  );
  const consumer = CommandQueue.fromBuffer(producer.buffer, 8);
  producer.push(command(5));
  producer.push(command(6));
  assert.equal(consumer.size, 2);
  assert.deepEqual(consumer.peek(), command(5));
  consumer.pop();
  assert.equal(producer.size, 1);
});

Deno.test("CommandQueue.create rejects capacities that are not powers of two >= 2", () => {
  for (const capacity of [0, 1, 3, 6, 1000]) {
    assert.throws(() => CommandQueue.create(capacity), RangeError, `capacity ${capacity}`);
  }
  assert.equal(CommandQueue.create(2).capacity, 2);
});

Deno.test("CommandQueue carries 1,000,000 commands from the main isolate to a worker without loss, duplication or reordering", async () => {
  const count = 1_000_000;
  const capacity = 1024;
  const queue = CommandQueue.create(capacity);
  const flags = new SharedArrayBuffer(FLAG_COUNT * 4);
  const flagView = new Int32Array(flags);
  const init: QueueConsumerInit = { queue: queue.buffer, capacity, count, flags };
  const { worker, report } = runWorker<QueueConsumerInit, QueueConsumerReport>(
    new URL("./_queue_consumer_worker.ts", import.meta.url),
    init,
  );
  try {
    // Let the worker start so the producer does not spin on a full queue while it loads.
    while (Atomics.load(flagView, FLAG_STARTED) === 0) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const deadline = performance.now() + WORKER_DEADLINE_MS;
    let refused = 0;
    for (let seq = 0; seq < count; seq++) {
      const cmd = command(seq);
      while (!queue.push(cmd)) {
        if ((++refused & 0xfff) === 0 && performance.now() > deadline) {
          throw new Error(`producer stuck at seq ${seq}: the consumer stopped popping`);
        }
      }
    }
    const got = await report;
    assert.equal(got.timedOut, false);
    assert.equal(got.firstProblem, "");
    assert.equal(got.outOfOrder, 0);
    assert.equal(got.badFields, 0);
    assert.equal(got.received, count);
    assert.equal(got.seqSum, (count * (count - 1)) / 2);
    assert.equal(got.valueSum, (count * (count - 1)) / 4);
    assert.ok(refused > 0, "the 1024-slot queue filled up at least once");
    assert.equal(queue.size, 0);
  } finally {
    worker.terminate();
  }
});

Deno.test("CommandQueue carries commands from a worker producer to the main isolate with every field intact", async () => {
  const count = 200_000;
  const capacity = 64;
  const queue = CommandQueue.create(capacity);
  const flags = new SharedArrayBuffer(FLAG_COUNT * 4);
  const flagView = new Int32Array(flags);
  const init: QueueProducerInit = { queue: queue.buffer, capacity, count, flags };
  const { worker, report } = runWorker<QueueProducerInit, QueueProducerReport>(
    new URL("./_queue_producer_worker.ts", import.meta.url),
    init,
  );
  try {
    const deadline = performance.now() + WORKER_DEADLINE_MS;
    let idle = 0;
    let received = 0;
    while (received < count) {
      if (!queue.hasNext) {
        if ((++idle & 0xfff) === 0) {
          if (performance.now() > deadline) throw new Error(`consumer starved after ${received}`);
          // The worker may still be loading: yield to the event loop now and then.
          if (Atomics.load(flagView, FLAG_STARTED) === 0) {
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        }
        continue;
      }
      const seq = queue.peekSeq();
      if (seq !== received) assert.fail(`expected seq ${received}, got ${seq}`);
      const want = derivedCommand(seq);
      if (
        queue.peekValue() !== want.value || queue.peekFrame() !== want.frame ||
        queue.peekOpcode() !== want.opcode || queue.peekTarget() !== want.target ||
        queue.peekParam() !== want.param
      ) {
        assert.deepEqual(queue.peek(), command(seq), `fields of seq ${seq}`);
      }
      queue.pop();
      received++;
    }
    const got = await report;
    assert.deepEqual({ pushed: got.pushed, timedOut: got.timedOut }, {
      pushed: count,
      timedOut: false,
    });
    assert.equal(queue.hasNext, false);
  } finally {
    worker.terminate();
  }
});
