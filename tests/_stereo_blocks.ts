/**
 * Test helper: drive an interleaved-stereo, in-place effect the way the
 * engine does, in 128-frame blocks, each split at a seeded random frame so
 * that sub-block boundaries land everywhere.
 *
 * @module
 */

import { seededRandom } from "./_random.ts";

/** Frames per block in {@linkcode processInBlocks}. */
export const BLOCK = 128;

/** Anything with the effects' `process(buf, startFrame, endFrame)` over interleaved stereo. */
export interface StereoProcessor {
  /** Process frames [start, end) of interleaved L,R `buf` in place. */
  process(buf: Float32Array, start: number, end: number): void;
}

/** Run `fx.process` over `buf` in blocks of {@linkcode BLOCK}, each split at a random frame. */
export function processInBlocks(fx: StereoProcessor, buf: Float32Array, seed = 1): void {
  const rand = seededRandom(seed);
  const frames = buf.length / 2;
  for (let b0 = 0; b0 < frames; b0 += BLOCK) {
    const n = Math.min(BLOCK, frames - b0);
    const block = buf.subarray(2 * b0, 2 * (b0 + n));
    const k = Math.floor(rand() * (n + 1));
    fx.process(block, 0, k);
    fx.process(block, k, n);
  }
}
