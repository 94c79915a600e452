/**
 * Scratch-buffer size shared by the DSP modules' block methods.
 *
 * Rule for render loops in this folder: a per-sample loop calls nothing that
 * takes or returns a double (V8 boxes, i.e. allocates, a double crossing a
 * call it did not inline). Smoothed parameters are therefore filled into
 * scratch buffers a block at a time, and the loops use only arithmetic,
 * typed arrays and Math builtins. Also: a conditional that mixes an
 * imported or module-level constant with a computed double (`x > MIN ? x :
 * MIN`) boxes the double in V8; loops use literals there, pinned by tests.
 *
 * @module
 */

import type { Frames } from "./units.ts";

/** Frames per scratch buffer; block methods work in chunks of this size. */
export const SCRATCH_FRAMES: Frames = 128;
