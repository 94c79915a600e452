/**
 * The body of the PortAudio stream callback, separate from the stream so a
 * test can call it directly and prove that it allocates nothing.
 *
 * Rule here: no double crosses a call. V8 boxes a double passed to or
 * returned from a call it did not inline, and whether it inlines is its
 * choice, so times go through the control block's Float64 fields. Ring
 * addresses are pointer objects made once at start-up and the length a
 * BigInt made once, which keeps `memcpy` on Deno's fast-call path.
 *
 * @module
 */

import { answerHeapProbe } from "./_heap_probe.ts";
import type { AudioRing } from "./audio_ring.ts";
import { BlockReader } from "./block_reader.ts";
import { type ControlBlock, F, I } from "./_control.ts";
import { PA_CONTINUE } from "./portaudio.ts";
import type { LibcSymbols } from "./_libc.ts";

/** The callback's JS signature (see `STREAM_CALLBACK` in portaudio.ts). */
export type StreamCallbackBody = (
  input: number,
  output: Deno.PointerValue,
  frames: number,
  timeInfo: number,
  statusFlags: number,
) => number;

/** A pointer to the first sample of each block of each ring, made once. */
function blockPointers(rings: readonly AudioRing[]): Deno.PointerValue[][] {
  return rings.map((ring) => {
    const base = Deno.UnsafePointer.of(ring.samples);
    const pointers: Deno.PointerValue[] = [];
    for (let block = 0; block < ring.capacity; block++) {
      pointers.push(
        Deno.UnsafePointer.offset(base as Deno.PointerObject, ring.offsetOf(block) * 4),
      );
    }
    return pointers;
  });
}

/**
 * Build the stream callback body: each call hands the next block (from the
 * slot {@linkcode BlockReader} picks, or silence) to the device buffer at
 * `output`, then records callback time and period.
 */
export function createStreamCallback(
  control: ControlBlock,
  rings: readonly AudioRing[],
  libc: Pick<LibcSymbols, "memcpy" | "memset">,
): StreamCallbackBody {
  const { memcpy, memset } = libc;
  const ints = control.ints;
  const floats = control.floats;
  const reader = new BlockReader(control, rings);
  const sources = blockPointers(rings);
  const mask = (rings[0]?.capacity ?? 1) - 1;
  const blockBytes = BigInt((rings[0]?.blockSamples ?? 0) * 4);
  let heapProbe = Atomics.load(ints, I.HeapProbe);
  return (_input, output, _frames, _timeInfo, flags) => {
    floats[F.CallbackStartMs] = performance.timeOrigin + performance.now();
    if (Atomics.load(ints, I.HeapProbe) !== heapProbe) {
      heapProbe = Atomics.load(ints, I.HeapProbe);
      answerHeapProbe(floats, F.Heap);
    }
    if (flags !== 0) Atomics.add(ints, I.DeviceXruns, 1);
    const slot = reader.next();
    if (slot >= 0) {
      memcpy(
        output,
        (sources[slot] as Deno.PointerValue[])[reader.block & mask] ?? null,
        blockBytes,
      );
    } else {
      memset(output, 0, blockBytes);
    }
    reader.advance(slot);
    control.endCallback();
    return PA_CONTINUE;
  };
}
