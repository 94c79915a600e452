import assert from "node:assert/strict";
import { type Command, FaultKind, Opcode, type OpcodeValue } from "../engine/command.ts";
import { CommandQueue } from "../engine/command_queue.ts";
import { blockChecksum } from "../engine/audio_ring.ts";
import { SlotRenderer, type SlotSynth } from "../engine/slot_renderer.ts";
import { MiniSynth } from "../dsp/mini_synth.ts";
import { SynthParam } from "../dsp/params.ts";

const RATE = 48000;
const BLOCK = 128;

/** A stamped command; opcode SetParam and target 0 unless told. */
function cmd(
  frame: number,
  seq: number,
  param: number,
  value: number,
  opcode: OpcodeValue = Opcode.SetParam,
  target = 0,
): Command {
  return { opcode, target, param, flags: 0, value, frame, seq };
}

/** A queue holding `commands`, in order. */
function queueOf(commands: readonly Command[], capacity = 64): CommandQueue {
  const queue = CommandQueue.create(capacity);
  for (const c of commands) assert.ok(queue.push(c), `push seq ${c.seq}`);
  return queue;
}

/** A synth that records what the renderer asks of it, as readable strings. */
class RecordingSynth implements SlotSynth {
  readonly events: string[] = [];
  readonly stateSize = 0;
  setParam(target: number, id: number, value: number): boolean {
    this.events.push(target === 0 ? `set ${id}=${value}` : `set ${target}:${id}=${value}`);
    return true;
  }
  noteOn(target: number, note: number, velocity: number): boolean {
    this.events.push(`on ${target}:${note}@${velocity}`);
    return true;
  }
  noteOff(target: number, note: number): boolean {
    this.events.push(`off ${target}:${note}`);
    return true;
  }
  allNotesOff(target: number): boolean {
    this.events.push(`all off ${target}`);
    return true;
  }
  render(_out: Float32Array, start: number, end: number): void {
    this.events.push(`render ${start}-${end}`);
  }
  saveState(_dst: Float64Array): void {}
  loadState(_src: Float64Array): void {}
}

/** A bare MiniSynth as target 0 of a slot, so these tests see its samples unmixed. */
class MiniSlot implements SlotSynth {
  readonly synth: MiniSynth;
  readonly stateSize: number;
  constructor(sampleRate: number) {
    this.synth = new MiniSynth(sampleRate);
    this.stateSize = this.synth.stateSize;
  }
  setParam(target: number, id: number, value: number): boolean {
    return target === 0 && this.synth.setParam(id, value);
  }
  noteOn(): boolean {
    return false;
  }
  noteOff(): boolean {
    return false;
  }
  allNotesOff(): boolean {
    return false;
  }
  render(out: Float32Array, start: number, end: number): void {
    this.synth.render(out, start, end);
  }
  saveState(dst: Float64Array): void {
    this.synth.saveState(dst);
  }
  loadState(src: Float64Array): void {
    this.synth.loadState(src);
  }
}

/** Render blocks [0, count) with `renderer`, returning a copy of each block. */
function renderBlocks(renderer: SlotRenderer, count: number, first = 0): Float32Array[] {
  const blocks: Float32Array[] = [];
  const out = new Float32Array(BLOCK * 2);
  for (let b = first; b < first + count; b++) {
    renderer.renderBlock(b, out);
    blocks.push(out.slice());
  }
  return blocks;
}

/** Index of the first non-zero sample in `samples`, -1 when all are zero. */
function firstNonZero(samples: Float32Array): number {
  return samples.findIndex((s) => s !== 0);
}

Deno.test("SlotRenderer applies a gate at its exact frame: first sound at block 3 offset 50", () => {
  const queue = queueOf([cmd(BLOCK * 3 + 50, 0, SynthParam.Gate, 1)]);
  const renderer = new SlotRenderer(new MiniSlot(RATE), queue, { blockFrames: BLOCK });
  const blocks = renderBlocks(renderer, 5);
  for (let b = 0; b < 3; b++) {
    assert.equal(firstNonZero(blocks[b] as Float32Array), -1, `block ${b}`);
  }
  const third = blocks[3] as Float32Array;
  assert.equal(firstNonZero(third), 2 * 50, "frame 50, left channel");
  assert.notEqual(third[2 * 50 + 1], 0, "frame 50, right channel");
  assert.equal(firstNonZero(third.subarray(0, 2 * 50)), -1);
  assert.equal(queue.hasNext, false);
  // Bit-identical to driving the synth by hand with the change at frame 50 of block 3.
  const synth = new MiniSynth(RATE);
  const out = new Float32Array(BLOCK * 2);
  for (let b = 0; b < 3; b++) synth.render(out, 0, BLOCK);
  synth.render(out, 0, 50);
  synth.setParam(SynthParam.Gate, 1);
  synth.render(out, 50, BLOCK);
  assert.deepEqual(new Uint32Array(third.buffer), new Uint32Array(out.buffer));
});

Deno.test("SlotRenderer applies commands in queue order, each at its offset, and keeps later blocks' commands", () => {
  const synth = new RecordingSynth();
  const start = BLOCK * 7;
  const queue = queueOf([
    cmd(start + 10, 1, SynthParam.SineFreq, 300),
    cmd(start + 10, 2, SynthParam.SineFreq, 600),
    cmd(start + 60, 3, SynthParam.FilterCutoff, 900),
    cmd(start + BLOCK, 4, SynthParam.Gate, 1),
  ]);
  const renderer = new SlotRenderer(synth, queue, { blockFrames: BLOCK });
  renderer.renderBlock(7, new Float32Array(BLOCK * 2));
  assert.deepEqual(synth.events, [
    "render 0-10",
    "set 0=300",
    "set 0=600",
    "render 10-60",
    "set 2=900",
    "render 60-128",
  ]);
  assert.equal(queue.size, 1, "the command for block 8 stays queued");
  assert.equal(queue.peekSeq(), 4);
  synth.events.length = 0;
  renderer.renderBlock(8, new Float32Array(BLOCK * 2));
  assert.deepEqual(synth.events, ["set 8=1", "render 0-128"]);
});

Deno.test("SlotRenderer leaves the last value set at a frame on a MiniSynth", () => {
  const slot = new MiniSlot(RATE);
  const synth = slot.synth;
  const queue = queueOf([
    cmd(20, 0, SynthParam.SineFreq, 300),
    cmd(20, 1, SynthParam.SineFreq, 600),
    cmd(90, 2, SynthParam.FilterCutoff, 1000),
  ]);
  new SlotRenderer(slot, queue, { blockFrames: BLOCK }).renderBlock(
    0,
    new Float32Array(BLOCK * 2),
  );
  assert.equal(synth.getParam(SynthParam.SineFreq), 600);
  assert.equal(synth.getParam(SynthParam.FilterCutoff), 1000);
});

Deno.test("SlotRenderer applies a late command at offset 0 and counts it in lateCommands", () => {
  const queue = CommandQueue.create(8);
  const renderer = new SlotRenderer(new MiniSlot(RATE), queue, { blockFrames: BLOCK });
  const silent = renderBlocks(renderer, 5);
  silent.forEach((b, i) => assert.equal(firstNonZero(b), -1, `block ${i}`));
  // Stamped for block 2, found only when block 5 is rendered.
  queue.push(cmd(BLOCK * 2 + 5, 0, SynthParam.Gate, 1));
  const [late] = renderBlocks(renderer, 1, 5);
  assert.equal(renderer.lateCommands, 1);
  assert.notEqual((late as Float32Array)[0], 0, "sound from the first frame of block 5");
  assert.equal(renderer.appliedSeq, 0);
  // On time commands are not counted.
  queue.push(cmd(BLOCK * 6 + 3, 1, SynthParam.SineFreq, 220));
  renderBlocks(renderer, 1, 6);
  assert.equal(renderer.lateCommands, 1);

  const recording = new RecordingSynth();
  const lateQueue = queueOf([cmd(10, 0, SynthParam.SineFreq, 330), cmd(BLOCK * 4 + 1, 1, 1, 0.25)]);
  const r = new SlotRenderer(recording, lateQueue, { blockFrames: BLOCK });
  r.renderBlock(4, new Float32Array(BLOCK * 2));
  assert.deepEqual(recording.events, ["set 0=330", "render 0-1", "set 1=0.25", "render 1-128"]);
  assert.equal(r.lateCommands, 1);
});

Deno.test("SlotRenderer.discardBefore skips commands stamped before it without applying them", () => {
  const synth = new RecordingSynth();
  const queue = queueOf([
    cmd(BLOCK * 3, 10, SynthParam.SineFreq, 100),
    cmd(BLOCK * 4 - 1, 11, SynthParam.SineFreq, 200),
    cmd(BLOCK * 4, 12, SynthParam.SineFreq, 300),
    cmd(BLOCK * 4 + 64, 13, 0, 0, Opcode.Fault),
  ]);
  const faults: number[] = [];
  const renderer = new SlotRenderer(synth, queue, {
    blockFrames: BLOCK,
    onFault: (kind) => faults.push(kind),
  });
  renderer.appliedSeq = 9;
  renderer.discardBefore = BLOCK * 4;
  renderer.renderBlock(4, new Float32Array(BLOCK * 2));
  assert.deepEqual(synth.events, ["set 0=300", "render 0-64", "render 64-128"]);
  assert.deepEqual(faults, [FaultKind.Throw]);
  assert.equal(renderer.lateCommands, 0, "discarded commands are not late");
  assert.equal(renderer.appliedSeq, 13);
  assert.equal(queue.hasNext, false);
});

Deno.test("SlotRenderer.appliedSeq tracks the highest seq applied so far", () => {
  const queue = queueOf([
    cmd(5, 5, SynthParam.SineFreq, 300),
    cmd(6, 3, SynthParam.SineFreq, 310),
    cmd(BLOCK + 1, 9, SynthParam.SineFreq, 320),
    cmd(BLOCK * 2 + 1, 7, SynthParam.SineFreq, 330, Opcode.SetParam, 4),
  ]);
  const renderer = new SlotRenderer(new RecordingSynth(), queue, { blockFrames: BLOCK });
  assert.equal(renderer.appliedSeq, -1);
  renderer.renderBlock(0, new Float32Array(BLOCK * 2));
  assert.equal(renderer.appliedSeq, 5, "max of 5 and 3, not the last one");
  renderer.renderBlock(1, new Float32Array(BLOCK * 2));
  assert.equal(renderer.appliedSeq, 9);
  renderer.renderBlock(2, new Float32Array(BLOCK * 2));
  assert.equal(renderer.appliedSeq, 9, "a lower seq does not lower it");
});

Deno.test("SlotRenderer routes SetParam and note commands with their target, ignores Nop and Snapshot, counts every seq", () => {
  const synth = new RecordingSynth();
  const queue = queueOf([
    cmd(1, 0, SynthParam.SineFreq, 300, Opcode.SetParam, 1),
    cmd(2, 1, 0, 0, Opcode.Nop),
    cmd(3, 2, 0, 0, Opcode.Snapshot),
    cmd(4, 3, 60, 0.5, Opcode.NoteOn, 2),
    cmd(5, 4, 60, 0, Opcode.NoteOff, 2),
    cmd(6, 5, 0, 0, Opcode.AllNotesOff, 5),
  ]);
  const renderer = new SlotRenderer(synth, queue, { blockFrames: BLOCK });
  renderer.renderBlock(0, new Float32Array(BLOCK * 2));
  assert.deepEqual(synth.events, [
    "render 0-1",
    `set 1:${SynthParam.SineFreq}=300`,
    "render 1-2",
    "render 2-3",
    "render 3-4",
    "on 2:60@0.5",
    "render 4-5",
    "off 2:60",
    "render 5-6",
    "all off 5",
    "render 6-128",
  ]);
  assert.equal(renderer.appliedSeq, 5);
});

/** A fixed, varied command list over `blocks` blocks: gates, notes, cutoff and resonance sweeps. */
function phrasePlan(blocks: number): Command[] {
  const commands: Command[] = [];
  let seq = 0;
  for (let b = 2; b < blocks; b += 7) {
    const frame = b * BLOCK + ((b * 37) % BLOCK);
    commands.push(cmd(frame, seq++, SynthParam.Gate, (b / 7) % 2 < 1 ? 1 : 0));
    commands.push(cmd(frame, seq++, SynthParam.SineFreq, 110 * (1 + (b % 5))));
    commands.push(cmd(frame + 3, seq++, SynthParam.FilterCutoff, 200 + 40 * b));
    commands.push(cmd(frame + 9, seq++, SynthParam.FilterResonance, (b % 10) / 10));
  }
  return commands;
}

Deno.test("SlotRenderer gives bit-identical blocks for two synths fed identical queues", () => {
  const blocks = 300;
  const commands = phrasePlan(blocks);
  const a = new SlotRenderer(new MiniSlot(RATE), queueOf(commands, 256), { blockFrames: BLOCK });
  const b = new SlotRenderer(new MiniSlot(RATE), queueOf(commands, 256), { blockFrames: BLOCK });
  const outA = renderBlocks(a, blocks);
  const outB = renderBlocks(b, blocks);
  let sounding = 0;
  for (let i = 0; i < blocks; i++) {
    const wa = new Uint32Array((outA[i] as Float32Array).buffer);
    const wb = new Uint32Array((outB[i] as Float32Array).buffer);
    assert.equal(blockChecksum(wa, 0, wa.length), blockChecksum(wb, 0, wb.length), `block ${i}`);
    assert.deepEqual(wa, wb, `block ${i}`);
    if (firstNonZero(outA[i] as Float32Array) >= 0) sounding++;
  }
  assert.ok(sounding > blocks / 3, `only ${sounding} blocks had sound`);
  assert.equal(a.appliedSeq, commands.length - 1);

  // The comparison can fail: one command a frame later changes the output.
  const shifted = commands.map((c, i) => (i === 4 ? { ...c, frame: c.frame + 1 } : c));
  const c = new SlotRenderer(new MiniSlot(RATE), queueOf(shifted, 256), { blockFrames: BLOCK });
  const outC = renderBlocks(c, blocks);
  const differing = outC.filter((block, i) => {
    const wa = new Uint32Array((outA[i] as Float32Array).buffer);
    return blockChecksum(new Uint32Array(block.buffer), 0, wa.length) !==
      blockChecksum(wa, 0, wa.length);
  }).length;
  assert.ok(differing > 0);
});

Deno.test("SlotRenderer calls onFault with the FaultKind of a Fault command at its frame", () => {
  const synth = new RecordingSynth();
  const faults: number[] = [];
  const queue = queueOf([
    cmd(BLOCK + 30, 0, FaultKind.Hang, 0, Opcode.Fault),
    cmd(BLOCK * 2, 1, FaultKind.Exit, 0, Opcode.Fault),
    cmd(BLOCK * 2 + 127, 2, FaultKind.Throw, 0, Opcode.Fault, 1),
  ]);
  const renderer = new SlotRenderer(synth, queue, {
    blockFrames: BLOCK,
    onFault: (kind) => {
      faults.push(kind);
      synth.events.push(`fault ${kind}`);
    },
  });
  renderer.renderBlock(1, new Float32Array(BLOCK * 2));
  assert.deepEqual(faults, [FaultKind.Hang]);
  assert.deepEqual(synth.events, ["render 0-30", `fault ${FaultKind.Hang}`, "render 30-128"]);
  renderer.renderBlock(2, new Float32Array(BLOCK * 2));
  assert.deepEqual(faults, [FaultKind.Hang, FaultKind.Exit, FaultKind.Throw]);
  assert.equal(renderer.appliedSeq, 2);
});

Deno.test("SlotRenderer without onFault ignores Fault commands", () => {
  const queue = queueOf([cmd(0, 0, FaultKind.Throw, 0, Opcode.Fault)]);
  const renderer = new SlotRenderer(new RecordingSynth(), queue, { blockFrames: BLOCK });
  renderer.renderBlock(0, new Float32Array(BLOCK * 2));
  assert.equal(renderer.appliedSeq, 0);
  assert.equal(queue.hasNext, false);
});
