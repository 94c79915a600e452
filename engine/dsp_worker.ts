/**
 * DSP worker entry point: bound to one slot for its whole life, it renders
 * that slot's blocks into the slot's ring, just in time for the audio
 * callback, applying the commands from the slot's queue at their frames.
 *
 * Everything in the render loop runs on this worker's thread and allocates
 * nothing in steady state: Atomics and preallocated typed arrays only.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { answerHeapProbe } from "./_heap_probe.ts";
import { AudioRing } from "./audio_ring.ts";
import { CommandQueue } from "./command_queue.ts";
import { allNotesOff, type CommandSpec, FaultKind, noteOff, noteOn, setParam } from "./command.ts";
import { SynthParam } from "../dsp/params.ts";
import { ControlBlock, F, H, I, nowMs } from "./_control.ts";
import { SlotRenderer } from "./slot_renderer.ts";
import { beginBlock } from "./_stamp_lock.ts";
import { waitTimeout } from "./_wait_timeout.ts";
import { withIdlePriority } from "./_thread_priority.ts";
import {
  DEGRADED_EXTRA_BLOCKS,
  type SlotInit,
  type SlotMessage,
  SNAPSHOT_BLOCK,
  SNAPSHOT_HEADER,
  SNAPSHOT_SEQ,
} from "./_slot_init.ts";
import { INSTRUMENT_TARGETS, Rack, RackTarget } from "../dsp/rack.ts";
import { InstrumentParam } from "../dsp/instrument.ts";
import { DRUM_NOTES } from "../dsp/drums.ts";

/** Longest wait between heartbeats, in ms. */
const IDLE_WAIT_MS = 10;

/** Thrown to unwind the render loop when this worker no longer owns its slot. */
class Replaced extends Error {}

/** Apply an injected fault. A hang spins, making no progress, until the slot is taken over. */
function fault(kind: number, owns: () => boolean): void {
  if (kind === FaultKind.Throw) throw new Error("injected fault: throw");
  if (kind === FaultKind.Hang) {
    while (owns()) {
      // Busy, no heartbeat, no blocks: hung as far as the engine can tell.
    }
    throw new Replaced();
  }
  if (kind === FaultKind.Exit) self.close();
}

function post(message: SlotMessage): void {
  self.postMessage(message);
}

/** Blocks rendered on a throwaway rack before binding, so the JIT is warm. */
const WARMUP_BLOCKS = 4000;

/** One warm-up command for block `block`, or undefined. Every module's paths get exercised. */
function warmUpCommand(block: number): CommandSpec | undefined {
  const phase = block % 200;
  const round = Math.floor(block / 200);
  const instrument = RackTarget.FirstInstrument + (round % INSTRUMENT_TARGETS);
  switch (phase) {
    case 0:
      return setParam(SynthParam.Gate, round % 2, RackTarget.MiniSynth);
    case 10:
    case 12:
    case 14:
      return noteOn(instrument, 48 + phase + (round % 5), 0.7);
    case 20:
      return setParam(InstrumentParam.FilterCutoff, 400 + 300 * (round % 7), instrument);
    case 30:
      return setParam(InstrumentParam.ReverbSend, (round % 3) / 4, instrument);
    case 40:
      return setParam(InstrumentParam.DelaySend, (round % 2) / 4, instrument);
    case 50:
      return noteOn(RackTarget.Drums, DRUM_NOTES[round % DRUM_NOTES.length] ?? 36, 0.9);
    case 60:
      return setParam(InstrumentParam.Waveform, round % 5, instrument);
    case 120:
      return noteOff(instrument, 48 + 10 + (round % 5));
    case 150:
      return allNotesOff(instrument);
  }
  return undefined;
}

/** Render throwaway blocks through the same code paths, so the first real blocks are on time. */
function warmUp(sampleRate: number, blockFrames: number): void {
  const rack = new Rack(sampleRate);
  const queue = CommandQueue.create(16);
  const renderer = new SlotRenderer(rack, queue, { blockFrames });
  const out = new Float32Array(blockFrames * 2);
  // Snapshots too: the healthy slot writes one while it alone plays, so its
  // first save must not pay for cold code.
  const state = new Float64Array(rack.stateSize);
  for (let block = 0; block < WARMUP_BLOCKS; block++) {
    const spec = warmUpCommand(block);
    if (spec !== undefined) queue.push({ ...spec, frame: block * blockFrames + 7, seq: block });
    renderer.renderBlock(block, out);
    if (block % 400 === 399) rack.saveState(state);
  }
  rack.loadState(state);
}

/** Runs the render loop of one slot until the engine stops. */
function run(init: SlotInit): void {
  const slot = init.slot;
  const control = ControlBlock.fromBuffer(init.control);
  const ints = control.ints;
  const floats = control.floats;
  const ring = AudioRing.fromBuffer(init.ring, init.ringShape);
  const queue = CommandQueue.fromBuffer(init.queue, init.queueCapacity);
  const snapshot = new Float64Array(init.snapshot);
  const synth = new Rack(init.sampleRate);
  if (SNAPSHOT_HEADER + synth.stateSize > snapshot.length) {
    throw new RangeError(`rack state of ${synth.stateSize} values exceeds the snapshot buffer`);
  }
  const state = new Float64Array(synth.stateSize);
  const owner = I.Owner + slot;
  const owns = () => Atomics.load(ints, owner) === init.token;
  const renderer = new SlotRenderer(synth, queue, {
    blockFrames: ring.blockFrames,
    onFault: (kind) => fault(kind, owns),
  });
  const views: Float32Array[] = [];
  for (let i = 0; i < ring.capacity; i++) {
    const offset = ring.offsetOf(i);
    views.push(ring.samples.subarray(offset, offset + ring.blockSamples));
  }
  const periodMs = floats[F.PeriodMs] as number;
  const histogram = H.Render + slot;

  if (init.start.kind === "restore") {
    // The healthy slot is playing alone: this warm-up's CPU burst must not delay it.
    withIdlePriority(() => warmUp(init.sampleRate, ring.blockFrames));
  } else {
    warmUp(init.sampleRate, ring.blockFrames);
  }
  queue.clear();
  post({ type: "bound", slot });
  let next: number;
  if (init.start.kind === "fresh") {
    const start = init.start.startBlock;
    next = start >= 0 ? start : Atomics.load(ints, I.Played) + 1;
    init.start.params.forEach((value, id) => synth.setParam(RackTarget.MiniSynth, id, value));
  } else {
    // Wait for the healthy slot to write a snapshot (the supervisor asks it).
    while (Atomics.load(ints, I.SnapDone) < 0) {
      if (!owns()) return;
      Atomics.add(ints, I.Heartbeat + slot, 1);
      Atomics.wait(ints, I.SnapDone, -1, IDLE_WAIT_MS);
    }
    next = snapshot[SNAPSHOT_BLOCK] as number;
    // At idle priority: the healthy slot, playing alone, must not wait for this.
    withIdlePriority(() => {
      state.set(snapshot.subarray(SNAPSHOT_HEADER, SNAPSHOT_HEADER + state.length));
      synth.loadState(state);
    });
    renderer.appliedSeq = snapshot[SNAPSHOT_SEQ] as number;
    renderer.discardBefore = next * ring.blockFrames;
  }
  ring.resetTo(next);
  Atomics.store(ints, I.Begun + slot, next);
  // Only now: until the ring is reset, the blocks in it are the previous worker's.
  if (init.start.kind === "restore") post({ type: "restored", slot, block: next });

  let heapProbe = Atomics.load(ints, I.HeapProbe);
  while (Atomics.load(ints, I.Running) === 1 && owns()) {
    Atomics.add(ints, I.Heartbeat + slot, 1);
    if (Atomics.load(ints, I.HeapProbe) !== heapProbe) {
      heapProbe = Atomics.load(ints, I.HeapProbe);
      answerHeapProbe(floats, F.Heap + 1 + slot);
    }
    if (Atomics.load(ints, I.SnapSource) === slot) {
      const request = Atomics.load(ints, I.SnapRequest);
      if (request >= 0 && next >= request) {
        // Straight into the shared buffer: one pass over the state, not two.
        synth.saveState(snapshot.subarray(SNAPSHOT_HEADER));
        snapshot[SNAPSHOT_BLOCK] = next;
        snapshot[SNAPSHOT_SEQ] = renderer.appliedSeq;
        Atomics.store(ints, I.SnapRequest, -1);
        Atomics.store(ints, I.SnapDone, next);
        Atomics.notify(ints, I.SnapDone);
      }
    }
    const played = Atomics.load(ints, I.Played);
    const extra = Atomics.load(ints, I.Degraded) === 1 ? DEGRADED_EXTRA_BLOCKS : 0;
    const hurry = Atomics.load(ints, I.Hurry) >= next;
    if (next >= played && !hurry) {
      if (next >= played + init.aheadBlocks + extra) {
        Atomics.wait(ints, I.Played, played, IDLE_WAIT_MS);
        continue;
      }
      // Just in time: block `next` is due at the callback after `next - played` more periods.
      const lastCallback = floats[F.LastCallbackMs] as number;
      const renderAt = lastCallback + (next - played + 1) * periodMs - init.leadMs -
        extra * periodMs;
      const wait = renderAt - nowMs();
      if (wait > 0) {
        Atomics.wait(ints, I.Played, played, waitTimeout(wait));
        continue;
      }
    }
    beginBlock(ints, slot, next + 1);
    const started = performance.now();
    const view = views[next & (ring.capacity - 1)] as Float32Array;
    renderer.renderBlock(next, view);
    let peak = 0;
    for (let i = 0; i < view.length; i++) {
      const x = view[i] as number;
      const a = x < 0 ? -x : x;
      if (a > peak) peak = a;
    }
    floats[F.Peak + slot] = peak;
    // Whole microseconds: a fractional ms passed to a call V8 did not inline is boxed.
    const renderMicros = Math.round((performance.now() - started) * 1000);
    if (!owns()) break;
    ring.publish(next, renderMicros, renderer.appliedSeq);
    if (Atomics.load(ints, I.Hurry) === next) {
      // The audio side is waiting for exactly this block: wake it.
      Atomics.store(ints, I.Hurry, -1);
      Atomics.notify(ints, I.Hurry);
    }
    Atomics.store(ints, I.Late + slot, renderer.lateCommands);
    Atomics.store(ints, I.Voices + slot, synth.activeVoices);
    Atomics.store(ints, I.GuardFaults + slot, synth.faults);
    control.record(histogram, renderMicros / 1000);
    floats[F.Load + slot] = (floats[F.Load + slot] as number) * 0.99 +
      0.00001 * renderMicros / periodMs;
    next++;
  }
}

self.onmessage = (event: MessageEvent<SlotInit>) => {
  self.onmessage = null;
  try {
    run(event.data);
  } catch (error) {
    if (!(error instanceof Replaced)) throw error;
  }
  self.close();
};
