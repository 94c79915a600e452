/**
 * Modulation matrix: a fixed number of routes, each adding
 * amount · source to a destination, evaluated per sample over a block.
 *
 * Sources (LFOs, envelopes, velocity, note, …) and destinations (cutoff in
 * octaves, pitch, gain, …) are small integer ids chosen by the owner, for
 * example a voice. Each source has a preallocated buffer: a per-sample source
 * is written into it every block (`lfo.process(matrix.sourceBuffer(LFO), 0,
 * n)`), a constant one is set once with {@linkcode ModMatrix.setSourceValue}
 * and stays until changed. {@linkcode ModMatrix.process} then fills every
 * routed destination's buffer with the sum of its routes, frame by frame
 * (same indices as the source buffers), clamped to ±{@linkcode MOD_MATRIX_LIMIT}
 * with NaN read as 0; a destination without routes holds zeros.
 *
 * Route amounts glide (one-pole, like ParamSmoother): a new route fades in
 * from 0, a removed one fades out to 0 before its slot is freed, so editing
 * the matrix while it plays does not click.
 *
 * @example
 * ```ts
 * import { ModMatrix } from "./mod_matrix.ts";
 * const ENV = 0, VELOCITY = 1, CUTOFF = 0;
 * const matrix = new ModMatrix(48000, { smoothingMs: 0 });
 * matrix.addRoute(ENV, CUTOFF, 3); // envelope sweeps the cutoff 3 octaves
 * matrix.addRoute(VELOCITY, CUTOFF, 1);
 * matrix.setSourceValue(VELOCITY, 0.5);
 * matrix.sourceBuffer(ENV).fill(1); // normally an Envelope writes this
 * matrix.process(0, 128);
 * matrix.destinationBuffer(CUTOFF)[0]; // 3.5
 * ```
 *
 * @module
 */

import { checkFinite, checkSampleRate } from "./_checks.ts";
import { SCRATCH_FRAMES } from "./_scratch.ts";
import { DEFAULT_SMOOTHING_MS, SMOOTHER_SNAP, smootherCoefficient } from "./smoother.ts";
import type { Frames, Hz, Milliseconds } from "./units.ts";

/** Default number of routes of a {@linkcode ModMatrix}. */
export const MOD_MATRIX_CAPACITY = 32;
/** Default number of source ids (0..15). */
export const MOD_MATRIX_SOURCES = 16;
/** Default number of destination ids (0..15). */
export const MOD_MATRIX_DESTINATIONS = 16;
/**
 * Destination values are clamped to ± this, and NaN reads as 0, so whatever
 * the sources and amounts, consumers get finite modulation.
 */
export const MOD_MATRIX_LIMIT = 1e9;
/** Float64 slots per route in a {@linkcode ModMatrix} snapshot. */
export const MOD_ROUTE_STATE_SIZE = 5;

/** Route slot states. */
const FREE = 0;
const ACTIVE = 1;
/** Fading out to 0, freed when it gets there. */
const RELEASING = 2;

/** Options of {@linkcode ModMatrix}. */
export interface ModMatrixOptions {
  /** Number of source ids; default {@linkcode MOD_MATRIX_SOURCES}. */
  readonly sources?: number;
  /** Number of destination ids; default {@linkcode MOD_MATRIX_DESTINATIONS}. */
  readonly destinations?: number;
  /** Maximum number of routes; default {@linkcode MOD_MATRIX_CAPACITY}. */
  readonly capacity?: number;
  /** Frames per source and destination buffer; default 128 (SCRATCH_FRAMES). */
  readonly frames?: Frames;
  /** Time constant of amount glides in ms; default 5; 0 = amounts jump. */
  readonly smoothingMs?: Milliseconds;
}

function checkCount(what: string, value: number): void {
  if (!(Number.isInteger(value) && value >= 1 && value <= 4096)) {
    throw new RangeError(`${what} must be an integer between 1 and 4096, got ${value}`);
  }
}

/**
 * Fixed-capacity modulation matrix over preallocated buffers, see the module
 * doc. Routes are keyed by (source, destination): adding an existing pair
 * changes its amount. {@linkcode addRoute} returns false when every slot is
 * taken (a fading-out route keeps its slot until it reaches 0).
 *
 * Route edits, {@linkcode setSourceValue}, {@linkcode saveState} and
 * {@linkcode loadState} are called by the control side between sub-blocks;
 * {@linkcode process} by the render loop, where it neither allocates nor throws.
 */
export class ModMatrix {
  /** Sample rate in Hz. */
  readonly sampleRate: Hz = 0;
  /** Number of source ids: sources are 0..sources−1. */
  readonly sources: number = 0;
  /** Number of destination ids: destinations are 0..destinations−1. */
  readonly destinations: number = 0;
  /** Maximum number of routes. */
  readonly capacity: number = 0;
  /** Frames per source and destination buffer. */
  readonly frames: Frames = 0;
  /** Float64 slots needed by {@linkcode saveState}: 5 per route. */
  readonly stateSize: number = 0;
  readonly #coefficient: number = 1;
  readonly #sourceData: Float64Array;
  readonly #destinationData: Float64Array;
  readonly #sourceViews: readonly Float64Array[];
  readonly #destinationViews: readonly Float64Array[];
  readonly #routeSource: Int32Array;
  readonly #routeDestination: Int32Array;
  readonly #routeAmount: Float64Array;
  readonly #routeTarget: Float64Array;
  readonly #routeState: Uint8Array;
  /** Non-free routes per destination. */
  readonly #routesTo: Int32Array;
  /** 1 for a destination whose last route was freed by process: zeroed by the next one. */
  readonly #stale: Uint8Array;

  /**
   * @param sampleRate sample rate in Hz.
   * @param options numbers of sources, destinations and routes, buffer size and glide time.
   * @throws {RangeError} for an out-of-range rate, count, size or time.
   */
  constructor(sampleRate: Hz, options: ModMatrixOptions = {}) {
    checkSampleRate(sampleRate);
    this.sampleRate = sampleRate;
    const sources = options.sources ?? MOD_MATRIX_SOURCES;
    const destinations = options.destinations ?? MOD_MATRIX_DESTINATIONS;
    const capacity = options.capacity ?? MOD_MATRIX_CAPACITY;
    const frames = options.frames ?? SCRATCH_FRAMES;
    checkCount("number of sources", sources);
    checkCount("number of destinations", destinations);
    checkCount("capacity", capacity);
    if (!(Number.isInteger(frames) && frames >= 1 && frames <= 65536)) {
      throw new RangeError(`frames must be an integer between 1 and 65536, got ${frames}`);
    }
    this.sources = sources;
    this.destinations = destinations;
    this.capacity = capacity;
    this.frames = frames;
    this.stateSize = MOD_ROUTE_STATE_SIZE * capacity;
    this.#coefficient = smootherCoefficient(
      options.smoothingMs ?? DEFAULT_SMOOTHING_MS,
      sampleRate,
    );
    this.#sourceData = new Float64Array(sources * frames);
    this.#destinationData = new Float64Array(destinations * frames);
    const view = (data: Float64Array, id: number) => data.subarray(id * frames, (id + 1) * frames);
    this.#sourceViews = Array.from({ length: sources }, (_, id) => view(this.#sourceData, id));
    this.#destinationViews = Array.from(
      { length: destinations },
      (_, id) => view(this.#destinationData, id),
    );
    this.#routeSource = new Int32Array(capacity);
    this.#routeDestination = new Int32Array(capacity);
    this.#routeAmount = new Float64Array(capacity);
    this.#routeTarget = new Float64Array(capacity);
    this.#routeState = new Uint8Array(capacity);
    this.#routesTo = new Int32Array(destinations);
    this.#stale = new Uint8Array(destinations);
  }

  /** Number of routes holding a slot (fading-out ones included). */
  get routeCount(): number {
    let count = 0;
    for (let r = 0; r < this.capacity; r++) if (this.#routeState[r] !== FREE) count++;
    return count;
  }

  /**
   * Buffer of source `id` ({@linkcode frames} long): write a per-sample
   * source into it before {@linkcode process}. Stays valid for the matrix's life.
   * @throws {RangeError} for an unknown id.
   */
  sourceBuffer(id: number): Float64Array {
    this.#checkSource(id);
    return this.#sourceViews[id] as Float64Array;
  }

  /**
   * Buffer of destination `id`, filled by {@linkcode process}; zeros while
   * nothing is routed to it. Stays valid for the matrix's life.
   * @throws {RangeError} for an unknown id.
   */
  destinationBuffer(id: number): Float64Array {
    this.#checkDestination(id);
    return this.#destinationViews[id] as Float64Array;
  }

  /**
   * True when destination `id`'s buffer may hold non-zero values: a route
   * (possibly fading out) feeds it, or the last one faded out during the last
   * {@linkcode process}. When false the buffer is all zeros and the owner may
   * skip the modulation.
   * @throws {RangeError} for an unknown id.
   */
  isRouted(id: number): boolean {
    this.#checkDestination(id);
    return (this.#routesTo[id] as number) > 0 || this.#stale[id] === 1;
  }

  /**
   * Make source `id` the constant `value` (fills its buffer). Control side.
   * @throws {RangeError} for an unknown id or a non-finite value.
   */
  setSourceValue(id: number, value: number): void {
    this.#checkSource(id);
    checkFinite("source value", value);
    (this.#sourceViews[id] as Float64Array).fill(value);
  }

  /**
   * Route `source` to `destination` with `amount` (destination units per
   * source unit), or glide an existing route of that pair to the new amount.
   * Control side.
   *
   * @returns false, changing nothing, when the pair is new and all
   * {@linkcode capacity} slots are taken.
   * @throws {RangeError} for an unknown id or a non-finite amount.
   */
  addRoute(source: number, destination: number, amount: number): boolean {
    this.#checkSource(source);
    this.#checkDestination(destination);
    checkFinite("modulation amount", amount);
    let r = this.#find(source, destination);
    if (r < 0) {
      r = this.#routeState.indexOf(FREE);
      if (r < 0) return false;
      this.#routeSource[r] = source;
      this.#routeDestination[r] = destination;
      this.#routeAmount[r] = 0;
      this.#routesTo[destination] = (this.#routesTo[destination] as number) + 1;
    }
    this.#routeState[r] = ACTIVE;
    this.#routeTarget[r] = amount;
    if (this.#coefficient === 1) this.#routeAmount[r] = amount;
    return true;
  }

  /**
   * Fade out the route from `source` to `destination`; its slot is freed when
   * its amount reaches 0 (at once with a glide time of 0). Control side.
   *
   * @returns false when there is no such route (or it is already fading out).
   * @throws {RangeError} for an unknown id.
   */
  removeRoute(source: number, destination: number): boolean {
    this.#checkSource(source);
    this.#checkDestination(destination);
    const r = this.#find(source, destination);
    if (r < 0 || this.#routeState[r] !== ACTIVE) return false;
    this.#release(r);
    return true;
  }

  /**
   * The amount route `source` → `destination` is gliding to; 0 when there is
   * no such route or it is fading out.
   * @throws {RangeError} for an unknown id.
   */
  routeAmount(source: number, destination: number): number {
    this.#checkSource(source);
    this.#checkDestination(destination);
    const r = this.#find(source, destination);
    return r < 0 ? 0 : this.#routeTarget[r] as number;
  }

  /** Fade out every route (see {@linkcode removeRoute}). Control side. */
  clear(): void {
    for (let r = 0; r < this.capacity; r++) if (this.#routeState[r] === ACTIVE) this.#release(r);
  }

  /** Free every route at once and zero every destination buffer. Control side. */
  reset(): void {
    this.#routeState.fill(FREE);
    this.#routeAmount.fill(0);
    this.#routeTarget.fill(0);
    this.#routesTo.fill(0);
    this.#stale.fill(0);
    this.#destinationData.fill(0);
  }

  /**
   * Fill frames [start, end) (clamped to [0, {@linkcode frames}]) of every
   * routed destination buffer with the sum of amount · source over its routes
   * (clamped to ±{@linkcode MOD_MATRIX_LIMIT}, NaN read as 0),
   * gliding amounts per sample, and free routes that have faded out (their
   * destination's buffer keeps this call's fade-out and is zeroed by the next
   * call when nothing else feeds it). Render loop; allocates nothing.
   */
  process(start: Frames, end: Frames): void {
    const frames = this.frames;
    const s = start > 0 ? (start < frames ? start | 0 : frames) : 0;
    const e = end > 0 ? (end < frames ? end | 0 : frames) : 0;
    const src = this.#sourceData;
    const dst = this.#destinationData;
    const routesTo = this.#routesTo;
    const stale = this.#stale;
    for (let d = 0; d < this.destinations; d++) {
      if ((routesTo[d] as number) > 0) {
        dst.fill(0, d * frames + s, d * frames + e);
      } else if (stale[d] === 1) {
        dst.fill(0, d * frames, (d + 1) * frames);
        stale[d] = 0;
      }
    }
    const state = this.#routeState;
    const amounts = this.#routeAmount;
    const targets = this.#routeTarget;
    const c = this.#coefficient;
    for (let r = 0; r < this.capacity; r++) {
      if (state[r] === FREE) continue;
      const so = (this.#routeSource[r] as number) * frames;
      const d = this.#routeDestination[r] as number;
      const dOff = d * frames;
      const t = targets[r] as number;
      let a = amounts[r] as number;
      if (a === t) {
        for (let i = s; i < e; i++) {
          dst[dOff + i] = (dst[dOff + i] as number) + a * (src[so + i] as number);
        }
      } else {
        // ParamSmoother.fill, written out: see _scratch.ts.
        const snap = SMOOTHER_SNAP * (t < 0 ? (-t > 1 ? -t : 1) : t > 1 ? t : 1);
        for (let i = s; i < e; i++) {
          if (a !== t) {
            let n = a + c * (t - a);
            const diff = t - n;
            if (n === a || (diff < 0 ? -diff : diff) < snap) n = t;
            a = n;
          }
          dst[dOff + i] = (dst[dOff + i] as number) + a * (src[so + i] as number);
        }
        amounts[r] = a;
      }
      if (state[r] === RELEASING && a === 0) this.#free(r, false);
    }
    for (let d = 0; d < this.destinations; d++) {
      if ((routesTo[d] as number) === 0 && stale[d] === 0) continue;
      // Literals 1e9 (MOD_MATRIX_LIMIT): a conditional that mixes a module
      // constant with a computed double boxes the double.
      for (let i = d * frames + s; i < d * frames + e; i++) {
        const y = dst[i] as number;
        if (!(y >= -1e9 && y <= 1e9)) dst[i] = y > 1e9 ? 1e9 : y < -1e9 ? -1e9 : 0;
      }
    }
  }

  /** Write the routes to `dst` at `offset`; returns the offset after them. */
  saveState(dst: Float64Array, offset: number): number {
    let o = offset;
    for (let r = 0; r < this.capacity; r++) {
      dst[o] = this.#routeState[r] as number;
      dst[o + 1] = this.#routeSource[r] as number;
      dst[o + 2] = this.#routeDestination[r] as number;
      dst[o + 3] = this.#routeAmount[r] as number;
      dst[o + 4] = this.#routeTarget[r] as number;
      o += MOD_ROUTE_STATE_SIZE;
    }
    return o;
  }

  /**
   * Read routes written by {@linkcode saveState} (of a matrix with the same
   * capacity); returns the offset after them. Source buffers are inputs, not
   * state: the owner sets them again. Routes with unknown ids are dropped;
   * amounts are not checked.
   */
  loadState(src: Float64Array, offset: number): number {
    this.reset();
    let o = offset;
    for (let r = 0; r < this.capacity; r++) {
      const state = src[o] ?? FREE;
      const source = src[o + 1] ?? -1;
      const destination = src[o + 2] ?? -1;
      const valid = (state === ACTIVE || state === RELEASING) &&
        Number.isInteger(source) && source >= 0 && source < this.sources &&
        Number.isInteger(destination) && destination >= 0 && destination < this.destinations;
      if (valid) {
        this.#routeState[r] = state;
        this.#routeSource[r] = source;
        this.#routeDestination[r] = destination;
        this.#routeAmount[r] = src[o + 3] ?? 0;
        this.#routeTarget[r] = src[o + 4] ?? 0;
        this.#routesTo[destination] = (this.#routesTo[destination] as number) + 1;
      }
      o += MOD_ROUTE_STATE_SIZE;
    }
    return o;
  }

  /** Slot of the non-free route source → destination, or −1. */
  #find(source: number, destination: number): number {
    for (let r = 0; r < this.capacity; r++) {
      if (
        this.#routeState[r] !== FREE && this.#routeSource[r] === source &&
        this.#routeDestination[r] === destination
      ) return r;
    }
    return -1;
  }

  #release(r: number): void {
    this.#routeTarget[r] = 0;
    this.#routeState[r] = RELEASING;
    if (this.#coefficient === 1) this.#free(r, true);
  }

  /**
   * Free slot `r`. When nothing else feeds its destination, zero the
   * destination's buffer now (`zeroNow`, control side) or mark it stale.
   */
  #free(r: number, zeroNow: boolean): void {
    const d = this.#routeDestination[r] as number;
    this.#routeState[r] = FREE;
    this.#routeAmount[r] = 0;
    this.#routeTarget[r] = 0;
    const left = (this.#routesTo[d] as number) - 1;
    this.#routesTo[d] = left;
    if (left > 0) return;
    if (zeroNow) (this.#destinationViews[d] as Float64Array).fill(0);
    else this.#stale[d] = 1;
  }

  #checkSource(id: number): void {
    if (!(Number.isInteger(id) && id >= 0 && id < this.sources)) {
      throw new RangeError(
        `source must be an integer between 0 and ${this.sources - 1}, got ${id}`,
      );
    }
  }

  #checkDestination(id: number): void {
    if (!(Number.isInteger(id) && id >= 0 && id < this.destinations)) {
      throw new RangeError(
        `destination must be an integer between 0 and ${this.destinations - 1}, got ${id}`,
      );
    }
  }
}
