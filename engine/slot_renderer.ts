/**
 * The per-block core of a DSP slot: drain the commands due in a block, apply
 * each at its frame, render the audio between them. The DSP worker and the
 * offline backend both use it, so they produce the same samples.
 *
 * It knows nothing about workers or devices and allocates nothing per block.
 *
 * @module
 */

import { Opcode } from "./command.ts";
import type { CommandQueue } from "./command_queue.ts";

/**
 * What a slot renders (in Chronus, the `Rack` of dsp/rack.ts), seen through the operations the engine needs. Targets and params
 * are plain numbers: the engine knows no module names.
 */
export interface SlotSynth {
  /** Set parameter `param` of module `target`; false when ignored (unknown id or non-finite value). */
  setParam(target: number, param: number, value: number): boolean;
  /** Start MIDI note `note` on module `target` at `velocity` (0..1]; false when ignored. */
  noteOn(target: number, note: number, velocity: number): boolean;
  /** Release MIDI note `note` on module `target`; false when ignored. */
  noteOff(target: number, note: number): boolean;
  /** Release every note of module `target`; false when ignored. */
  allNotesOff(target: number): boolean;
  /** Start building a pattern for `track` (see `Opcode.PatternBegin`); false when ignored. */
  beginPattern?(track: number, lengthTicks: number, target: number): boolean;
  /** Place `track`'s next pattern notes (see `Opcode.PatternCursor`); false when ignored. */
  patternCursor?(track: number, tick: number, lengthTicks: number): boolean;
  /** Add a note to `track`'s pattern (see `Opcode.PatternNote`); false when ignored. */
  patternNote?(track: number, note: number, velocity: number, chance?: number): boolean;
  /** Play `track`'s built pattern (see `Opcode.PatternCommit`); false when ignored. */
  commitPattern?(track: number, quantumTicks: number): boolean;
  /** Stop `track` (see `Opcode.PatternStop`); false when ignored. */
  stopTrack?(track: number, quantumTicks: number): boolean;
  /** Render frames [start, end) of an interleaved stereo block into `out`. */
  render(out: Float32Array, start: number, end: number): void;
  /** Float64 values needed by {@linkcode SlotSynth.saveState}. */
  readonly stateSize: number;
  /** Copy the complete DSP state into `dst`. */
  saveState(dst: Float64Array): void;
  /** Restore the complete DSP state from `src`. */
  loadState(src: Float64Array): void;
}

/** Called for a `Fault` command: the worker throws, hangs or exits. */
export type FaultHandler = (kind: number) => void;

/** Renders one slot block by block. Called from the slot's DSP thread only. */
export class SlotRenderer {
  /** The synth being rendered. */
  readonly synth: SlotSynth;
  /** Frames per block. */
  readonly blockFrames: number;
  /** Highest sequence number applied so far; -1 before any. */
  appliedSeq = -1;
  /** Commands found after the frame they were stamped for (applied at once). */
  lateCommands = 0;
  /** Commands stamped before this frame are skipped (already in a restored snapshot). */
  discardBefore = 0;
  readonly #queue: CommandQueue;
  readonly #onFault: FaultHandler;

  /** Bind a synth to its slot's command queue. */
  constructor(
    synth: SlotSynth,
    queue: CommandQueue,
    options: { blockFrames: number; onFault?: FaultHandler },
  ) {
    this.synth = synth;
    this.#queue = queue;
    this.blockFrames = options.blockFrames;
    this.#onFault = options.onFault ?? (() => {});
  }

  /**
   * Render block `block` into `out` (one block, interleaved stereo), applying
   * every queued command whose frame falls before the end of the block at
   * its frame offset.
   */
  renderBlock(block: number, out: Float32Array): void {
    const queue = this.#queue;
    const start = block * this.blockFrames;
    const end = start + this.blockFrames;
    let position = 0;
    while (queue.hasNext) {
      const frame = queue.peekFrame();
      if (frame >= end) break;
      if (frame < this.discardBefore) {
        queue.pop();
        continue;
      }
      let offset = frame - start;
      if (offset < 0) {
        offset = 0;
        this.lateCommands++;
      }
      if (offset > position) {
        this.synth.render(out, position, offset);
        position = offset;
      }
      this.#apply(queue);
      queue.pop();
    }
    if (position < this.blockFrames) this.synth.render(out, position, this.blockFrames);
  }

  #apply(queue: CommandQueue): void {
    const seq = queue.peekSeq();
    if (seq > this.appliedSeq) this.appliedSeq = seq;
    switch (queue.peekOpcode()) {
      case Opcode.SetParam:
        this.synth.setParam(queue.peekTarget(), queue.peekParam(), queue.peekValue());
        break;
      case Opcode.NoteOn:
        this.synth.noteOn(queue.peekTarget(), queue.peekParam(), queue.peekValue());
        break;
      case Opcode.NoteOff:
        this.synth.noteOff(queue.peekTarget(), queue.peekParam());
        break;
      case Opcode.AllNotesOff:
        this.synth.allNotesOff(queue.peekTarget());
        break;
      case Opcode.PatternBegin:
        this.synth.beginPattern?.(queue.peekTarget(), queue.peekParam(), queue.peekValue());
        break;
      case Opcode.PatternCursor:
        this.synth.patternCursor?.(queue.peekTarget(), queue.peekParam(), queue.peekValue());
        break;
      case Opcode.PatternNote:
        this.synth.patternNote?.(
          queue.peekTarget(),
          queue.peekParam(),
          queue.peekValue(),
          queue.peekFlags() === 0 ? 1 : queue.peekFlags() / 65536,
        );
        break;
      case Opcode.PatternCommit:
        this.synth.commitPattern?.(queue.peekTarget(), queue.peekParam());
        break;
      case Opcode.PatternStop:
        this.synth.stopTrack?.(queue.peekTarget(), queue.peekParam());
        break;
      case Opcode.Fault:
        this.#onFault(queue.peekParam());
        break;
    }
  }
}
