/**
 * The engine's shared control block: the state the audio side, both DSP
 * workers and the supervisor read and write, in one SharedArrayBuffer.
 * Every isolate builds its own views with {@linkcode ControlBlock.fromBuffer}.
 *
 * @module
 */

/** Int32 fields. */
export const I = {
  /** Next block index the audio side will play; workers wait on it. */
  Played: 0,
  /** Index of the slot being played. */
  Active: 1,
  /** Reads that found no block in either ring. */
  Underruns: 2,
  /** Switches of the active slot. */
  Failovers: 3,
  /** Missing samples in the last failover; -1 when none happened. */
  LastGap: 4,
  /** Silent samples output since the last good block (a failover gap in progress). */
  OpenGap: 5,
  /** 1 while the engine runs; workers leave their loops when it is 0. */
  Running: 6,
  /** Blocks whose checksums differed between the active and the standby slot. */
  Diverged: 7,
  /** Block at which the snapshot source slot should write a snapshot; -1 = none. */
  SnapRequest: 8,
  /** Block at which the last snapshot was written; -1 = none yet. */
  SnapDone: 9,
  /** Slot asked to write the snapshot. */
  SnapSource: 10,
  /** Sequence number whose first audible block the audio side should time. */
  WatchSeq: 11,
  /** Per-slot health, `SlotState` values (2 entries). */
  Health: 12,
  /** Per-slot next block whose command drain has not begun (2 entries). */
  Begun: 14,
  /** Per-slot count of commands that arrived after their frame (2 entries). */
  Late: 16,
  /** Per-slot count of loop iterations, a heartbeat (2 entries). */
  Heartbeat: 18,
  /** Blocks handed to the device. */
  BlocksPlayed: 20,
  /** 1 while recovering: workers render further ahead, trading latency for safety. */
  Degraded: 21,
  /**
   * Per-slot owner token (2 entries): the worker whose token matches owns the
   * slot; a replaced worker sees a new token and leaves at once. Deno cannot
   * kill a worker that never returns to its event loop, so this is how a
   * replaced worker is stopped.
   */
  Owner: 22,
  /** A block the audio side needs now: workers render it at once instead of just in time. */
  Hurry: 24,
  /** Blocks that were late but arrived while the audio side waited for them. */
  Rescued: 25,
  /** The last block whose checksums differed between the slots; -1 = none. */
  DivergedAt: 26,
  /** Callbacks in which the device reported an xrun (PortAudio status flags). */
  DeviceXruns: 27,
  /**
   * Heap probe request counter: when it changes, the audio worker and each
   * DSP worker write their isolate's heap use into `F.Heap` (benchmarks).
   */
  HeapProbe: 28,
  /** Per-slot stamp lock (2 entries, see `_stamp_lock.ts`): 0 free, 1 held. */
  StampLock: 29,
  /** Voices sounding in each slot's rack after its last block (2 entries). */
  Voices: 31,
  /** Each slot's master-guard fault count: NaN/Infinity/runaway silenced (2 entries). */
  GuardFaults: 33,
} as const;
const INT32_COUNT = 36;

/** Float64 fields. */
export const F = {
  /** Absolute time (ms since epoch, sub-ms precision) of the last audio callback. */
  LastCallbackMs: 0,
  /** Block period in ms. */
  PeriodMs: 1,
  /** Absolute time at which the block carrying `WatchSeq` was handed over. */
  WatchHandedMs: 2,
  /** Device output latency in ms. */
  OutputLatencyMs: 3,
  /** Per-slot exponential mean of render time / period (2 entries). */
  Load: 4,
  /** Heap in use, in bytes, at the last heap probe (3 entries: audio worker, slot 0, slot 1). */
  Heap: 6,
  /**
   * Absolute time at which the current audio callback started (audio thread
   * only; kept here so the time never crosses a call as a boxed double).
   */
  CallbackStartMs: 9,
  /** When the current audio callback finished its work (audio thread only). */
  CallbackEndMs: 10,
  /** The previous callback's {@linkcode F.CallbackStartMs} (audio thread only). */
  PreviousCallbackMs: 11,
  /** Peak magnitude of each slot's last rendered block, linear (2 entries). */
  Peak: 12,
} as const;
const FLOAT64_COUNT = 16;

/** Histogram resolution in ms per bin, and bin count (covers 0–20 ms). */
export const HISTOGRAM_BIN_MS = 0.01;
/** Bins per histogram. */
export const HISTOGRAM_BINS = 2000;
/** Histograms kept: callback JS time, callback period, render time slot 0 and 1. */
export const H = { Callback: 0, Period: 1, Render: 2 } as const;
const HISTOGRAM_COUNT = 4;

/** Health of a slot as stored in the control block. */
export const SlotState = {
  /** No worker, or a dead one. */
  Down: 0,
  /** A new worker is catching up from a snapshot; not eligible for playback. */
  Restoring: 1,
  /** Healthy and sample-identical: eligible to play. */
  Ready: 2,
} as const;

const BYTES = INT32_COUNT * 4 + FLOAT64_COUNT * 8 + HISTOGRAM_COUNT * HISTOGRAM_BINS * 4;

/** Views over the control block. */
export class ControlBlock {
  /** The shared memory. */
  readonly buffer: SharedArrayBuffer;
  /** Int32 fields, indexed by {@linkcode I}. */
  readonly ints: Int32Array;
  /** Float64 fields, indexed by {@linkcode F}. */
  readonly floats: Float64Array;
  /** Histograms, `HISTOGRAM_BINS` Int32 counts each, indexed by {@linkcode H}. */
  readonly histograms: Int32Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.ints = new Int32Array(buffer, 0, INT32_COUNT);
    this.floats = new Float64Array(buffer, INT32_COUNT * 4, FLOAT64_COUNT);
    this.histograms = new Int32Array(
      buffer,
      INT32_COUNT * 4 + FLOAT64_COUNT * 8,
      HISTOGRAM_COUNT * HISTOGRAM_BINS,
    );
  }

  /** Allocate and initialise a control block. */
  static create(periodMs: number): ControlBlock {
    const block = new ControlBlock(new SharedArrayBuffer(BYTES));
    block.ints[I.LastGap] = -1;
    block.ints[I.SnapRequest] = -1;
    block.ints[I.SnapDone] = -1;
    block.ints[I.WatchSeq] = -1;
    block.ints[I.Hurry] = -1;
    block.ints[I.DivergedAt] = -1;
    block.ints[I.Running] = 1;
    block.floats[F.PeriodMs] = periodMs;
    return block;
  }

  /** Build views over a control block received from another isolate. */
  static fromBuffer(buffer: SharedArrayBuffer): ControlBlock {
    if (buffer.byteLength !== BYTES) {
      throw new RangeError(`control block has ${buffer.byteLength} bytes, expected ${BYTES}`);
    }
    return new ControlBlock(buffer);
  }

  /**
   * Add one sample of `ms` to histogram `which`. Allocates nothing when V8
   * inlines it (a double argument is boxed otherwise); hot paths use
   * {@linkcode ControlBlock.recordBetween}, which takes no double.
   */
  record(which: number, ms: number): void {
    Atomics.add(this.histograms, which * HISTOGRAM_BINS + histogramBin(ms), 1);
  }

  /**
   * End an audio callback begun at `floats[F.CallbackStartMs]`: stamp its end,
   * record its period (from the previous callback's start) and its duration.
   * Audio thread only; allocates nothing (no double crosses a call).
   */
  endCallback(): void {
    const floats = this.floats;
    floats[F.CallbackEndMs] = performance.timeOrigin + performance.now();
    if ((floats[F.PreviousCallbackMs] as number) > 0) {
      this.recordBetween(H.Period, F.PreviousCallbackMs, F.CallbackStartMs);
    }
    this.recordBetween(H.Callback, F.CallbackStartMs, F.CallbackEndMs);
    floats[F.PreviousCallbackMs] = floats[F.CallbackStartMs] as number;
  }

  /**
   * Add the time from `floats[from]` to `floats[to]` (two {@linkcode F}
   * fields holding ms) to histogram `which`. Allocates nothing.
   */
  recordBetween(which: number, from: number, to: number): void {
    const floats = this.floats;
    const x = ((floats[to] as number) - (floats[from] as number)) / 0.01; // HISTOGRAM_BIN_MS
    // As in histogramBin, with literals (see dsp/_scratch.ts on boxing in conditionals).
    const bin = x >= 2000 ? 1999 : x > 0 ? x | 0 : 0;
    Atomics.add(this.histograms, which * HISTOGRAM_BINS + bin, 1);
  }

  /** The `q` quantile (0..1) of histogram `which`, in ms; NaN when empty. */
  quantile(which: number, q: number): number {
    let total = 0;
    const base = which * HISTOGRAM_BINS;
    for (let i = 0; i < HISTOGRAM_BINS; i++) total += Atomics.load(this.histograms, base + i);
    if (total === 0) return NaN;
    const rank = q * (total - 1);
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BINS; i++) {
      seen += Atomics.load(this.histograms, base + i);
      if (seen > rank) return (i + 0.5) * HISTOGRAM_BIN_MS;
    }
    return (HISTOGRAM_BINS - 0.5) * HISTOGRAM_BIN_MS;
  }

  /** Clear histogram `which`. */
  resetHistogram(which: number): void {
    this.histograms.fill(0, which * HISTOGRAM_BINS, (which + 1) * HISTOGRAM_BINS);
  }
}

/** Histogram bin of a sample of `ms`: clamped to the last bin; NaN and negatives go to bin 0. */
export function histogramBin(ms: number): number {
  const x = ms / HISTOGRAM_BIN_MS;
  // Compare before truncating: `| 0` wraps huge values.
  return x >= HISTOGRAM_BINS ? HISTOGRAM_BINS - 1 : x > 0 ? x | 0 : 0;
}

/** Absolute time in ms with sub-ms precision, comparable across isolates. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
