/**
 * Audio worker entry point. With the `portaudio` backend it owns the
 * PortAudio stream and its callback; with `null` it runs a real-time paced
 * clock with no device. Either way each period it asks the
 * {@linkcode BlockReader} for the next block and hands it over.
 *
 * The callback runs on this worker's isolate (PortAudio's thread waits while
 * it does), so this worker does nothing else while playing: no timers, no
 * messages but `stop`. The callback body (`_stream_callback.ts`) allocates
 * nothing: the device buffer is filled by libc `memcpy` from the ring's address.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { answerHeapProbe } from "./_heap_probe.ts";
import { AudioRing } from "./audio_ring.ts";
import { BlockReader } from "./block_reader.ts";
import { ControlBlock, F, I, nowMs } from "./_control.ts";
import { PortAudio, STREAM_CALLBACK } from "./portaudio.ts";
import { openLibc } from "./_libc.ts";
import { createStreamCallback } from "./_stream_callback.ts";
import type { AudioInit, AudioMessage, AudioRequest } from "./_audio_init.ts";
import { makeThreadRealtime } from "./_thread_priority.ts";
import { waitTimeout } from "./_wait_timeout.ts";

/**
 * SCHED_FIFO priority of the audio worker's thread, which runs the stream
 * callback: above every normal thread (a respawning DSP worker's start-up
 * burst must not delay it), below JACK's own server thread.
 */
const AUDIO_THREAD_PRIORITY = 60;

function post(message: AudioMessage): void {
  self.postMessage(message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Start PortAudio; returns a function that stops and releases everything. */
async function startPortAudio(
  init: AudioInit,
  control: ControlBlock,
  rings: AudioRing[],
  realtime: boolean,
): Promise<() => Promise<void>> {
  const pa = PortAudio.load();
  pa.initialize();
  let libc: ReturnType<typeof openLibc> | undefined;
  let callback: Deno.UnsafeCallback<typeof STREAM_CALLBACK> | undefined;
  let stream: Deno.PointerObject | undefined;
  try {
    const device = pa.findOutputDevice(init.device);
    libc = openLibc();
    const body = createStreamCallback(control, rings, libc.symbols);
    callback = Deno.UnsafeCallback.threadSafe(STREAM_CALLBACK, body);
    stream = pa.openOutputStream({
      device: device.index,
      channels: init.ringShape.channels,
      sampleRate: init.sampleRate,
      framesPerBuffer: init.ringShape.blockFrames,
      callback: callback.pointer,
    });
    const outputLatencyMs = pa.outputLatency(stream) * 1000;
    control.floats[F.OutputLatencyMs] = outputLatencyMs;
    pa.start(stream);
    post({
      type: "started",
      backend: "portaudio",
      device: device.name,
      outputLatencyMs,
      realtime,
    });
  } catch (error) {
    if (stream !== undefined) await pa.closeStream(stream);
    callback?.close();
    libc?.close();
    pa.terminate();
    pa.close();
    throw error;
  }
  const openStream = stream;
  const openCallback = callback;
  const openLibcLib = libc;
  return async () => {
    await pa.stop(openStream);
    await pa.closeStream(openStream);
    openCallback.close();
    openLibcLib.close();
    pa.terminate();
    pa.close();
  };
}

/** Run the null backend's clock until the engine stops. Blocks this worker. */
function runNullClock(control: ControlBlock, rings: AudioRing[], realtime: boolean): void {
  const reader = new BlockReader(control, rings);
  const ints = control.ints;
  const periodMs = control.floats[F.PeriodMs] as number;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const origin = nowMs();
  const floats = control.floats;
  let blocks = 0;
  let heapProbe = Atomics.load(ints, I.HeapProbe);
  post({ type: "started", backend: "null", device: "none", outputLatencyMs: 0, realtime });
  while (Atomics.load(ints, I.Running) === 1) {
    const due = origin + blocks * periodMs;
    const wait = due - nowMs();
    if (wait > 0) Atomics.wait(sleeper, 0, 0, waitTimeout(wait));
    floats[F.CallbackStartMs] = nowMs();
    if (Atomics.load(ints, I.HeapProbe) !== heapProbe) {
      heapProbe = Atomics.load(ints, I.HeapProbe);
      answerHeapProbe(floats, F.Heap);
    }
    reader.advance(reader.next());
    control.endCallback();
    blocks++;
  }
}

self.onmessage = async (event: MessageEvent<AudioInit>) => {
  const init = event.data;
  const control = ControlBlock.fromBuffer(init.control);
  const rings = init.rings.map((buffer) => AudioRing.fromBuffer(buffer, init.ringShape));
  // The callback runs on this thread (PortAudio's own thread waits for it).
  const realtime = makeThreadRealtime(AUDIO_THREAD_PRIORITY);
  if (init.backend === "null") {
    self.onmessage = null;
    runNullClock(control, rings, realtime);
    post({ type: "stopped" });
    self.close();
    return;
  }
  self.onmessage = null;
  let stop: () => Promise<void>;
  try {
    stop = await startPortAudio(init, control, rings, realtime);
  } catch (error) {
    post({ type: "failed", error: errorText(error) });
    self.close();
    return;
  }
  self.onmessage = async (request: MessageEvent<AudioRequest>) => {
    if (request.data.type !== "stop") return;
    self.onmessage = null;
    try {
      await stop();
    } finally {
      post({ type: "stopped" });
      self.close();
    }
  };
};
