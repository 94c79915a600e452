/**
 * Unit type aliases for DSP code. They are plain `number`s: they document
 * intent in signatures ("cutoff: Hz") without any run-time cost.
 *
 * @module
 */

/** A frequency or sample rate in hertz (cycles or frames per second). */
export type Hz = number;

/** A duration in seconds. */
export type Seconds = number;

/** A duration in milliseconds (1/1000 s). */
export type Milliseconds = number;

/** A level in decibels: 20·log10 of an amplitude ratio (0 dB = unity). */
export type Decibels = number;

/** A count or position in audio frames (one sample per channel). */
export type Frames = number;
