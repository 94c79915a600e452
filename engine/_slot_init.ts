/**
 * The message that binds a DSP worker to its slot, and the layout of the
 * snapshot buffer through which a healthy slot hands its state to a restoring
 * one. Shared by the supervisor and the DSP worker.
 *
 * @module
 */

import type { RingShape } from "./audio_ring.ts";

/** How a freshly spawned worker starts. */
export type SlotStart =
  /**
   * From the synth's initial state with `params` (values by parameter id)
   * applied, at block `startBlock`, or at the block being played when it is -1.
   */
  | { readonly kind: "fresh"; readonly startBlock: number; readonly params: readonly number[] }
  /** From a snapshot the other slot writes on request. */
  | { readonly kind: "restore" };

/** Everything a DSP worker needs, posted to it once. */
export interface SlotInit {
  /** Slot index, 0 or 1. */
  readonly slot: number;
  /** This worker's owner token; it leaves when the slot's token changes. */
  readonly token: number;
  /** The engine's control block. */
  readonly control: SharedArrayBuffer;
  /** This slot's audio ring. */
  readonly ring: SharedArrayBuffer;
  /** Shape of every ring. */
  readonly ringShape: RingShape;
  /** This slot's command queue. */
  readonly queue: SharedArrayBuffer;
  /** Capacity of the command queue. */
  readonly queueCapacity: number;
  /** The shared snapshot buffer. */
  readonly snapshot: SharedArrayBuffer;
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Render a block this many ms before its callback is due. */
  readonly leadMs: number;
  /** Render at most this many blocks ahead of the block being played. */
  readonly aheadBlocks: number;
  /** How to start. */
  readonly start: SlotStart;
}

/** Messages a DSP worker posts to the supervisor. */
export type SlotMessage =
  /** Bound to its buffers, queue cleared; waiting for a snapshot when restoring. */
  | { readonly type: "bound"; readonly slot: number }
  /** State restored from the snapshot of block `block`; catching up. */
  | { readonly type: "restored"; readonly slot: number; readonly block: number };

/** Float64 values in the snapshot buffer before the synth state. */
export const SNAPSHOT_HEADER = 4;
/** Float64 index of the block at which the snapshot was taken. */
export const SNAPSHOT_BLOCK = 0;
/** Float64 index of the highest sequence number applied before it. */
export const SNAPSHOT_SEQ = 1;
/** Allocate a snapshot buffer for a synth whose state is `stateSize` Float64 values. */
export function createSnapshotBuffer(stateSize: number): SharedArrayBuffer {
  return new SharedArrayBuffer((SNAPSHOT_HEADER + stateSize) * 8);
}

/** Extra blocks a DSP worker renders ahead while the engine is degraded (a slot recovering). */
export const DEGRADED_EXTRA_BLOCKS = 4;
