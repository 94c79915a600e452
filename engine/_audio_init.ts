/**
 * Messages between the engine and its audio worker.
 *
 * @module
 */

import type { RingShape } from "./audio_ring.ts";

/** Everything the audio worker needs, posted to it once. */
export interface AudioInit {
  /** "portaudio" for a device, "null" for a paced clock with no device. */
  readonly backend: "portaudio" | "null";
  /** Device choice for PortAudio: index, name or part of a name; "" = default. */
  readonly device: string;
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** The engine's control block. */
  readonly control: SharedArrayBuffer;
  /** Both slots' rings. */
  readonly rings: readonly SharedArrayBuffer[];
  /** Shape of every ring. */
  readonly ringShape: RingShape;
}

/** Messages the audio worker posts. */
export type AudioMessage =
  /** The stream is running. */
  | {
    readonly type: "started";
    readonly backend: "portaudio" | "null";
    readonly device: string;
    readonly outputLatencyMs: number;
    /** The audio thread got real-time (SCHED_FIFO) scheduling. */
    readonly realtime: boolean;
  }
  /** The stream could not start; the engine falls back to `null`. */
  | { readonly type: "failed"; readonly error: string }
  /** Stopped after a `stop` request. */
  | { readonly type: "stopped" };

/** Messages the engine posts to the audio worker after init. */
export type AudioRequest = { readonly type: "stop" };
