/**
 * The audio callback's decision for each block: play the active slot's next
 * block, switch to the standby on the spot when the active ring is empty and
 * the standby has that block, or output silence and count an underrun.
 * Blocks are read strictly in order; time advances by one block per call.
 *
 * Called only from the audio thread (the PortAudio callback or the null
 * backend's clock); allocates nothing.
 *
 * @module
 */

import type { AudioRing } from "./audio_ring.ts";
import { type ControlBlock, F, I, nowMs, SlotState } from "./_control.ts";
import { waitTimeout } from "./_wait_timeout.ts";

/** Longest the audio side waits for a late block, as a fraction of the block period. */
const HURRY_FRACTION = 0.25;
/** Longest the audio side waits for a late block, in ms. */
const HURRY_MAX_MS = 0.5;

/** Chooses, block by block, which ring the audio side plays. */
export class BlockReader {
  /** The block that the last {@linkcode BlockReader.next} call decided on. */
  block = 0;
  readonly #ints: Int32Array;
  readonly #floats: Float64Array;
  readonly #rings: readonly AudioRing[];
  readonly #blockFrames: number;
  readonly #hurryMs: number;

  /** Read `rings` (one per slot) under `control`. */
  constructor(control: ControlBlock, rings: readonly AudioRing[]) {
    this.#ints = control.ints;
    this.#floats = control.floats;
    this.#rings = rings;
    this.#blockFrames = rings[0]?.blockFrames ?? 0;
    this.#hurryMs = Math.min(HURRY_MAX_MS, (control.floats[F.PeriodMs] as number) * HURRY_FRACTION);
  }

  /**
   * Decide the source of the next block: returns the slot whose ring holds it
   * (its samples start at `rings[slot].offsetOf(reader.block)`), or -1 when
   * neither ring has it and the block must be silence.
   */
  next(): number {
    const block = Atomics.load(this.#ints, I.Played);
    this.block = block;
    const found = this.#choose(block);
    if (found !== -2) return found;
    // Neither ring has it yet (the device called early, e.g. catching up after
    // a late period): ask the workers to render it now and wait briefly.
    // A worker that publishes the block clears `I.Hurry` and wakes us, so
    // this thread sleeps (it may be real-time: polling would starve the
    // very worker it waits for).
    const ints = this.#ints;
    Atomics.store(ints, I.Hurry, block);
    Atomics.notify(ints, I.Played);
    const deadline = nowMs() + this.#hurryMs;
    for (let left = this.#hurryMs; left > 0; left = deadline - nowMs()) {
      if (Atomics.load(ints, I.Hurry) !== block) Atomics.store(ints, I.Hurry, block);
      // Sleep at most 0.1 ms at a time: a missed wake-up costs no more than that.
      Atomics.wait(ints, I.Hurry, block, waitTimeout(left < 0.1 ? left : 0.1));
      const late = this.#choose(block);
      if (late !== -2) {
        Atomics.add(ints, I.Rescued, 1);
        return late;
      }
    }
    Atomics.add(ints, I.Underruns, 1);
    Atomics.add(ints, I.OpenGap, this.#blockFrames);
    Atomics.store(ints, I.Degraded, 1);
    return -1;
  }

  /** The slot to play `block` from, switching if needed; -2 when neither has it. */
  #choose(block: number): number {
    const ints = this.#ints;
    const active = Atomics.load(ints, I.Active);
    const other = 1 - active;
    const activeRing = this.#rings[active] as AudioRing;
    const otherRing = this.#rings[other] as AudioRing;
    const otherReady = Atomics.load(ints, I.Health + other) === SlotState.Ready;
    if (activeRing.has(block)) {
      if (otherReady && otherRing.has(block)) {
        if (otherRing.checksumOf(block) !== activeRing.checksumOf(block)) {
          Atomics.add(ints, I.Diverged, 1);
          Atomics.store(ints, I.DivergedAt, block);
        }
      }
      this.#closeGap();
      return active;
    }
    if (otherReady && otherRing.has(block)) {
      // No Degraded here: a switch with the block in hand loses nothing, and
      // degraded mode's render-ahead would add up to four periods of command
      // latency afterwards. A slot that died or hung is the supervisor's call.
      Atomics.store(ints, I.Active, other);
      Atomics.add(ints, I.Failovers, 1);
      Atomics.store(ints, I.LastGap, Atomics.load(ints, I.OpenGap));
      Atomics.store(ints, I.OpenGap, 0);
      return other;
    }
    return -2;
  }

  #closeGap(): void {
    if (Atomics.load(this.#ints, I.OpenGap) !== 0) Atomics.store(this.#ints, I.OpenGap, 0);
  }

  /**
   * After the block was handed to the device at `floats[F.CallbackStartMs]`:
   * time the watched command if this block carries it, advance to the next
   * block and wake the DSP workers. (The time is read from the control block,
   * not passed, so no double crosses this call.)
   */
  advance(slot: number): void {
    const ints = this.#ints;
    const floats = this.#floats;
    const watch = Atomics.load(ints, I.WatchSeq);
    if (watch >= 0 && slot >= 0) {
      if ((this.#rings[slot] as AudioRing).appliedSeqOf(this.block) >= watch) {
        floats[F.WatchHandedMs] = floats[F.CallbackStartMs] as number;
        Atomics.store(ints, I.WatchSeq, -1);
      }
    }
    floats[F.LastCallbackMs] = floats[F.CallbackStartMs] as number;
    Atomics.add(ints, I.BlocksPlayed, 1);
    Atomics.store(ints, I.Played, this.block + 1);
    Atomics.notify(ints, I.Played);
  }
}
