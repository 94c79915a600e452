/**
 * The OSC scope query: a monitor asks a running Chronus for its most recent
 * output samples, to draw an oscilloscope and a spectrum.
 *
 * - Request: `/chronus/scope` with no argument (1024 frames,
 *   {@linkcode DEFAULT_SCOPE_FRAMES}) or `,i <frames>` with 1 ≤ frames ≤
 *   {@linkcode MAX_SCOPE_FRAMES} (2000). It must be a datagram of its own,
 *   not inside a bundle.
 * - Reply, to the sender: `/chronus/scope/reply ,ihb <sampleRate> <endFrame>
 *   <samples>`: the sample rate in Hz, the engine frame just after the newest
 *   sample (frames of output since the engine started: a clock for beats),
 *   and a blob of mono samples ((left + right) / 2) as big-endian float32,
 *   oldest first, newest last. The blob holds only the samples the engine
 *   has (at most the frames asked for; fewer just after a start).
 * - A request with other arguments gets the usual
 *   `/chronus/reply ,ss "error" <text>`; so does a Chronus without a scope
 *   (it takes the address for an unknown command).
 *
 * Size: a reply is 48 + 4 × frames bytes, at most 8048 bytes for 2000
 * frames, under the 8 KiB that any UDP path (and the loopback) carries in
 * one datagram without trouble. Scope queries are answered on the main
 * thread by copying samples the audio side already played; they never reach
 * the engine's command queues, so the per-sender line rate limit does not
 * apply to them.
 *
 * @example
 * ```ts
 * import { answerScope, decodeScopeReply, encodeScopeReply } from "./osc_scope.ts";
 * import { decodeOscPacket } from "./osc_codec.ts";
 * const source = {
 *   sampleRate: 48000,
 *   scope: (out: Float32Array) => {
 *     out.fill(0.5);
 *     return { frames: out.length, endFrame: 96000 };
 *   },
 * };
 * const answer = answerScope({ kind: "message", address: "/chronus/scope", args: [] }, source);
 * if (answer.ok) {
 *   const bytes = encodeScopeReply(answer.data);
 *   const decoded = decodeOscPacket(bytes);
 *   if (decoded.ok && decoded.packet.kind === "message") {
 *     const data = decodeScopeReply(decoded.packet);
 *     console.log(bytes.length, data?.endFrame, data?.samples.length); // 4144 96000 1024
 *   }
 * }
 * ```
 *
 * @module
 */

import type { ScopeSource } from "../engine/control.ts";
import { encodeOscMessage, type OscMessage } from "./osc_codec.ts";
import type { OscReply } from "./osc_server.ts";

/** Address of a scope request. */
export const SCOPE_ADDRESS = "/chronus/scope";
/** Address of a scope reply: `,ihb` sample rate, end frame, float32 samples. */
export const SCOPE_REPLY_ADDRESS = "/chronus/scope/reply";
/** Frames a request without an argument gets. */
export const DEFAULT_SCOPE_FRAMES = 1024;
/** Most frames one request may ask for: the reply stays under 8 KiB. */
export const MAX_SCOPE_FRAMES = 2000;

/** Recent output of a running Chronus, as a scope reply carries it. */
export interface ScopeData {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** The engine frame just after the newest sample (frames since the engine started). */
  readonly endFrame: number;
  /** Mono samples, oldest first, newest last; at most the frames asked for. */
  readonly samples: Float32Array;
}

/** A scope reply, or the error a Chronus answered instead. */
export type ScopeAnswer =
  | { readonly ok: true; readonly data: ScopeData }
  | { readonly ok: false; readonly text: string };

/** The encoded address of a scope request, as a datagram starts with it. */
const REQUEST_HEAD = encodeOscMessage(SCOPE_ADDRESS).subarray(0, 16);

/**
 * True when `bytes` starts like a `/chronus/scope` message: a cheap test
 * before decoding, so other datagrams are decoded once, by the line path.
 */
export function isScopeRequest(bytes: Uint8Array): boolean {
  if (bytes.length < REQUEST_HEAD.length) return false;
  for (let i = 0; i < REQUEST_HEAD.length; i++) {
    if (bytes[i] !== REQUEST_HEAD[i]) return false;
  }
  return true;
}

/** The frames a request asks for, or why it is not a valid request. */
export function scopeRequestFrames(message: OscMessage): number | OscReply {
  const [only] = message.args;
  if (message.args.length === 0) return DEFAULT_SCOPE_FRAMES;
  if (
    message.args.length === 1 && only?.type === "i" && only.value >= 1 &&
    only.value <= MAX_SCOPE_FRAMES
  ) {
    return only.value;
  }
  const got = only?.type === "i" && message.args.length === 1
    ? String(only.value)
    : `,${message.args.map((arg) => arg.type).join("")}`;
  return {
    ok: false,
    text: `${SCOPE_ADDRESS} takes nothing or one int32, the frames wanted ` +
      `(1 to ${MAX_SCOPE_FRAMES}); got ${got}`,
  };
}

/** Encode a scope reply (see the module doc for the layout). */
export function encodeScopeReply(data: ScopeData): Uint8Array {
  const blob = new Uint8Array(data.samples.length * 4);
  const view = new DataView(blob.buffer);
  for (let i = 0; i < data.samples.length; i++) {
    view.setFloat32(i * 4, data.samples[i] as number); // big-endian, as OSC numbers are
  }
  return encodeOscMessage(SCOPE_REPLY_ADDRESS, [
    { type: "i", value: data.sampleRate },
    { type: "h", value: BigInt(data.endFrame) },
    { type: "b", value: blob },
  ]);
}

/** The data of a decoded scope reply, or undefined when `message` is not one. */
export function decodeScopeReply(message: OscMessage): ScopeData | undefined {
  if (message.address !== SCOPE_REPLY_ADDRESS || message.args.length !== 3) return undefined;
  const [rate, end, blob] = message.args;
  if (rate?.type !== "i" || end?.type !== "h" || blob?.type !== "b") return undefined;
  if (blob.value.length % 4 !== 0 || end.value < 0n) return undefined;
  const view = new DataView(blob.value.buffer, blob.value.byteOffset, blob.value.byteLength);
  const samples = new Float32Array(blob.value.length / 4);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getFloat32(i * 4);
  return { sampleRate: rate.value, endFrame: Number(end.value), samples };
}

/**
 * Answer one `/chronus/scope` message from `source`: the data to send with
 * {@linkcode encodeScopeReply}, or an error for a bad request or a source
 * that throws (sent as a `/chronus/reply`). Never throws.
 */
export function answerScope(message: OscMessage, source: ScopeSource): ScopeAnswer {
  const frames = scopeRequestFrames(message);
  if (typeof frames !== "number") return { ok: false, text: frames.text };
  try {
    const out = new Float32Array(frames);
    const capture = source.scope(out);
    const real = Math.max(0, Math.min(frames, capture.frames));
    const samples = out.subarray(frames - real);
    return {
      ok: true,
      data: { sampleRate: source.sampleRate, endFrame: capture.endFrame, samples },
    };
  } catch (error) {
    return {
      ok: false,
      text: `scope failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
