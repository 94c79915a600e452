/**
 * SuperCollider's server (scsynth) as a yardstick for the voices-per-core
 * benchmark (bench/voices_report.ts): a writer of SynthDef files, a writer
 * of non-real-time (NRT) score files, and a runner that renders a score
 * with `scsynth -N` and times it. No sclang needed: the files are written
 * byte by byte from the formats below.
 *
 * ## SynthDef file, version 2 ("SynthDef2")
 *
 * Big-endian, packed; integers signed; a pstring is a uint8 length and
 * that many bytes.
 *
 * ```
 * file       := "SCgf" int32(version = 2) int16(D) synthdef × D
 * synthdef   := pstring(name)
 *               int32(K) float32 × K              constants
 *               int32(P) float32 × P              initial parameter values
 *               int32(N) (pstring int32(index)) × N   parameter names
 *               int32(U) ugen × U
 *               int16(V) (pstring float32 × P) × V    variants
 * ugen       := pstring(class name) int8(rate) int32(I) int32(O) int16(special index)
 *               input × I  int8(rate) × O
 * input      := int32(ugen index) int32(output index)      an output of an earlier ugen
 *             | int32(-1)        int32(constant index)     a constant
 * rate       := 0 scalar | 1 control | 2 audio | 3 demand
 * ```
 *
 * The parameters are the outputs of a `Control` ugen (special index = its
 * first parameter's index); `BinaryOpUGen`'s special index is the operator
 * (2 = `*`).
 *
 * ## NRT score file
 *
 * A sequence of OSC bundles, each preceded by its size as an int32. A
 * bundle is `"#bundle\0"`, an 8-byte NTP time tag and its elements, each
 * preceded by its size; in NRT the time tag counts seconds from the start
 * of the render (uint32 whole seconds, uint32 fraction of 2^32). Synthesis
 * stops at the last bundle's time. An OSC message is its address and type
 * tags (`,` then one letter per argument: `i` int32, `f` float32, `s`
 * string, `b` blob), strings NUL-terminated and padded to 4 bytes, blobs
 * size-prefixed and padded to 4 bytes.
 *
 * @module
 */

/** Calculation rates of a ugen or ugen output. */
export const UgenRate = { Scalar: 0, Control: 1, Audio: 2, Demand: 3 } as const;

/** A calculation rate (a value of {@linkcode UgenRate}). */
export type UgenRateId = typeof UgenRate[keyof typeof UgenRate];

/** Input of a ugen: output `output` of ugen number `ugen`, or a constant value. */
export type UgenInput = { readonly ugen: number; readonly output: number } | {
  readonly constant: number;
};

/** One unit generator of a {@linkcode SynthDefSpec}. */
export interface UgenSpec {
  /** Class name as the server knows it, e.g. "SinOsc". */
  readonly name: string;
  /** Calculation rate. */
  readonly rate: UgenRateId;
  /** Inputs, in the order of the class's arguments. */
  readonly inputs: readonly UgenInput[];
  /** Rate of each output. */
  readonly outputs: readonly UgenRateId[];
  /** Special index (operator of a BinaryOpUGen, first parameter of a Control); default 0. */
  readonly special?: number;
}

/** A synth definition: name, named parameters with initial values, ugens in topological order. */
export interface SynthDefSpec {
  /** Name used by `/s_new`. */
  readonly name: string;
  /** Parameters (controls) in index order, with their initial values. */
  readonly params: readonly { readonly name: string; readonly value: number }[];
  /** Ugens; an input may only name an earlier ugen. */
  readonly ugens: readonly UgenSpec[];
}

/** Big-endian byte writer that grows as needed. */
class ByteWriter {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #length = 0;

  #reserve(n: number): number {
    if (this.#length + n > this.#buf.length) {
      const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#length + n));
      bigger.set(this.#buf.subarray(0, this.#length));
      this.#buf = bigger;
      this.#view = new DataView(bigger.buffer);
    }
    const at = this.#length;
    this.#length += n;
    return at;
  }

  int8(x: number): void {
    const at = this.#reserve(1);
    this.#view.setInt8(at, x);
  }

  int16(x: number): void {
    const at = this.#reserve(2);
    this.#view.setInt16(at, x);
  }

  int32(x: number): void {
    const at = this.#reserve(4);
    this.#view.setInt32(at, x);
  }

  uint32(x: number): void {
    const at = this.#reserve(4);
    this.#view.setUint32(at, x);
  }

  float32(x: number): void {
    const at = this.#reserve(4);
    this.#view.setFloat32(at, x);
  }

  bytes(b: Uint8Array): void {
    const at = this.#reserve(b.length);
    this.#buf.set(b, at);
  }

  /** A pascal string: uint8 length, then the bytes. */
  pstring(s: string): void {
    const b = new TextEncoder().encode(s);
    if (b.length > 255) throw new RangeError(`pstring longer than 255 bytes: "${s}"`);
    const at = this.#reserve(1);
    this.#view.setUint8(at, b.length);
    this.bytes(b);
  }

  /** Zero bytes up to the next multiple of 4. */
  pad4(): void {
    while (this.#length % 4 !== 0) this.#reserve(1); // bytes past the end are still zero
  }

  get length(): number {
    return this.#length;
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#length);
  }
}

/** `x` rounded to float32, the precision constants are stored in. */
const f32 = Math.fround;

/**
 * Encode synth definitions as a SynthDef file (version 2, see the module
 * doc). Constants are collected from the ugens' inputs in order of first
 * use, each value once.
 *
 * @throws {RangeError} if an input names a later ugen or a missing output.
 *
 * @example
 * ```ts
 * import { encodeSynthDefFile, voiceSynthDef } from "./_scsynth.ts";
 * const bytes = encodeSynthDefFile([voiceSynthDef()]);
 * new TextDecoder().decode(bytes.subarray(0, 4)); // "SCgf"
 * ```
 */
export function encodeSynthDefFile(defs: readonly SynthDefSpec[]): Uint8Array {
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode("SCgf"));
  w.int32(2);
  w.int16(defs.length);
  for (const def of defs) writeSynthDef(w, def);
  return w.finish();
}

function writeSynthDef(w: ByteWriter, def: SynthDefSpec): void {
  const constants: number[] = [];
  const constantIndex = (value: number): number => {
    const v = f32(value);
    const found = constants.findIndex((c) => Object.is(c, v));
    if (found >= 0) return found;
    constants.push(v);
    return constants.length - 1;
  };
  // Resolve every input first, so the constant table is complete before it is written.
  const resolved = def.ugens.map((ugen, u) =>
    ugen.inputs.map((input): [number, number] => {
      if ("constant" in input) return [-1, constantIndex(input.constant)];
      const source = def.ugens[input.ugen];
      if (input.ugen < 0 || input.ugen >= u || source === undefined) {
        throw new RangeError(
          `ugen ${u} (${ugen.name}) reads ugen ${input.ugen}, not an earlier one`,
        );
      }
      if (input.output < 0 || input.output >= source.outputs.length) {
        throw new RangeError(`ugen ${u} (${ugen.name}) reads missing output ${input.output}`);
      }
      return [input.ugen, input.output];
    })
  );
  w.pstring(def.name);
  w.int32(constants.length);
  for (const c of constants) w.float32(c);
  w.int32(def.params.length);
  for (const p of def.params) w.float32(p.value);
  w.int32(def.params.length);
  def.params.forEach((p, i) => {
    w.pstring(p.name);
    w.int32(i);
  });
  w.int32(def.ugens.length);
  def.ugens.forEach((ugen, u) => {
    w.pstring(ugen.name);
    w.int8(ugen.rate);
    w.int32(ugen.inputs.length);
    w.int32(ugen.outputs.length);
    w.int16(ugen.special ?? 0);
    for (const [source, index] of resolved[u] ?? []) {
      w.int32(source);
      w.int32(index);
    }
    for (const rate of ugen.outputs) w.int8(rate);
  });
  w.int16(0); // no variants
}

/** Name of the benchmark voice's SynthDef. */
export const VOICE_DEF_NAME = "chronus_voice";

/** Envelope and level of {@linkcode voiceSynthDef}; times in seconds. */
export interface VoiceDefOptions {
  /** Attack time in s (linear); default 0.005, as an `Envelope`'s 5 ms. */
  readonly attack?: number;
  /** Decay time in s; default 0.1. */
  readonly decay?: number;
  /** Sustain level, 0..1 of the peak; default 0.8. */
  readonly sustain?: number;
  /** Release time in s; default 0.2. */
  readonly release?: number;
  /**
   * Curvature of decay and release (SuperCollider's `curve` shape); default
   * -5, which is exactly the `Envelope`'s exponential segment:
   * (1 − e^(−5t)) / (1 − e^(−5)).
   */
  readonly curve?: number;
}

/** `Env` shape numbers of SuperCollider (EnvGen's segment shapes). */
const ENV_SHAPE_LINEAR = 1;
const ENV_SHAPE_CURVE = 5;
/** `BinaryOpUGen` operator number of `*`. */
const BINARY_OP_MUL = 2;
/** EnvGen doneAction: free the synth when the envelope ends. */
const DONE_FREE_SELF = 2;

/**
 * The benchmark voice, as sclang would compile
 *
 * ```
 * SynthDef(\chronus_voice, { |freq = 440, cutoff = 2000, rq = 0.5, gate = 1, amp = 0.1|
 *   var env = EnvGen.kr(Env([0, 1, sustain, 0], [attack, decay, release],
 *     [\lin, curve, curve], releaseNode: 2), gate, levelScale: amp, doneAction: 2);
 *   var sig = RLPF.ar(Saw.ar(freq), cutoff, rq) * env;
 *   Out.ar(0, [sig, sig]);
 * })
 * ```
 *
 * i.e. band-limited saw → resonant 2-pole low-pass → ADSR, stereo: six
 * ugens (Control, Saw, RLPF, EnvGen, BinaryOpUGen, Out).
 *
 * @example
 * ```ts
 * import { voiceSynthDef } from "./_scsynth.ts";
 * voiceSynthDef({ release: 0.5 }).params.map((p) => p.name); // ["freq", "cutoff", "rq", "gate", "amp"]
 * ```
 */
export function voiceSynthDef(options: VoiceDefOptions = {}): SynthDefSpec {
  const attack = options.attack ?? 0.005;
  const decay = options.decay ?? 0.1;
  const sustain = options.sustain ?? 0.8;
  const release = options.release ?? 0.2;
  const curve = options.curve ?? -5;
  const k = (constant: number): UgenInput => ({ constant });
  const out = (ugen: number, output = 0): UgenInput => ({ ugen, output });
  const { Control: kr, Audio: ar } = UgenRate;
  // Env.asArray: initial level, segments, release node, loop node (-99: none),
  // then per segment: target level, time, shape, curvature.
  const env = [
    0,
    3,
    2,
    -99,
    ...[1, attack, ENV_SHAPE_LINEAR, 0],
    ...[sustain, decay, ENV_SHAPE_CURVE, curve],
    ...[0, release, ENV_SHAPE_CURVE, curve],
  ].map(k);
  const params = [
    { name: "freq", value: 440 },
    { name: "cutoff", value: 2000 },
    { name: "rq", value: 0.5 },
    { name: "gate", value: 1 },
    { name: "amp", value: 0.1 },
  ];
  return {
    name: VOICE_DEF_NAME,
    params,
    ugens: [
      /* 0 */ { name: "Control", rate: kr, inputs: [], outputs: params.map(() => kr), special: 0 },
      /* 1 */ { name: "Saw", rate: ar, inputs: [out(0, 0)], outputs: [ar] },
      /* 2 */ { name: "RLPF", rate: ar, inputs: [out(1), out(0, 1), out(0, 2)], outputs: [ar] },
      /* 3 */ {
        name: "EnvGen",
        rate: kr,
        // gate, levelScale, levelBias, timeScale, doneAction, envelope
        inputs: [out(0, 3), out(0, 4), k(0), k(1), k(DONE_FREE_SELF), ...env],
        outputs: [kr],
      },
      /* 4 */ {
        name: "BinaryOpUGen",
        rate: ar,
        inputs: [out(2), out(3)],
        outputs: [ar],
        special: BINARY_OP_MUL,
      },
      /* 5 */ { name: "Out", rate: ar, inputs: [k(0), out(4), out(4)], outputs: [] },
    ],
  };
}

/** An OSC argument: a string, a blob, an int32, or a float32 (`{ float }`). */
export type OscArg = string | Uint8Array | number | { readonly float: number };

/**
 * Encode an OSC message. A `number` argument is sent as int32 when it is
 * an integer and as float32 otherwise; wrap it as `{ float: x }` to force
 * float32.
 *
 * @example
 * ```ts
 * import { encodeOscMessage } from "./_scsynth.ts";
 * encodeOscMessage("/c_set", [0, 0]).length; // 20
 * ```
 */
export function encodeOscMessage(address: string, args: readonly OscArg[]): Uint8Array {
  const w = new ByteWriter();
  const text = new TextEncoder();
  const string = (s: string) => {
    w.bytes(text.encode(s));
    w.int8(0);
    w.pad4();
  };
  string(address);
  const tag = (a: OscArg): string =>
    typeof a === "string"
      ? "s"
      : a instanceof Uint8Array
      ? "b"
      : typeof a === "number"
      ? Number.isInteger(a) ? "i" : "f"
      : "f";
  string("," + args.map(tag).join(""));
  for (const a of args) {
    if (typeof a === "string") string(a);
    else if (a instanceof Uint8Array) {
      w.int32(a.length);
      w.bytes(a);
      w.pad4();
    } else if (typeof a === "number") {
      if (Number.isInteger(a)) w.int32(a);
      else w.float32(a);
    } else w.float32(a.float);
  }
  return w.finish();
}

/**
 * The 8-byte OSC (NTP) time tag of `seconds` from the start of an NRT
 * render: uint32 whole seconds, uint32 fraction of 2^32 (rounded).
 *
 * @throws {RangeError} for a negative or non-finite time, or one beyond 2^32 s.
 *
 * @example
 * ```ts
 * import { oscTimeTag } from "./_scsynth.ts";
 * oscTimeTag(2.5); // [0, 0, 0, 2, 0x80, 0, 0, 0]
 * ```
 */
export function oscTimeTag(seconds: number): Uint8Array {
  if (!(seconds >= 0 && seconds < 2 ** 32)) {
    throw new RangeError(`time tag needs 0 <= seconds < 2^32, got ${seconds}`);
  }
  let whole = Math.floor(seconds);
  let fraction = Math.round((seconds - whole) * 2 ** 32);
  if (fraction >= 2 ** 32) {
    whole += 1;
    fraction = 0;
  }
  const tag = new Uint8Array(8);
  const view = new DataView(tag.buffer);
  view.setUint32(0, whole);
  view.setUint32(4, fraction);
  return tag;
}

/** Encode an OSC bundle of already-encoded messages at `seconds` (NRT time). */
export function encodeOscBundle(seconds: number, messages: readonly Uint8Array[]): Uint8Array {
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode("#bundle\0"));
  w.bytes(oscTimeTag(seconds));
  for (const m of messages) {
    w.int32(m.length);
    w.bytes(m);
  }
  return w.finish();
}

/** One timed bundle of an NRT score. */
export interface ScoreBundle {
  /** Time in seconds from the start of the render. */
  readonly time: number;
  /** Encoded OSC messages (see {@linkcode encodeOscMessage}). */
  readonly messages: readonly Uint8Array[];
}

/**
 * Encode an NRT score: each bundle, in the given (ascending) time order,
 * preceded by its size as a big-endian int32.
 *
 * @throws {RangeError} if the times are not ascending.
 */
export function encodeNrtScore(bundles: readonly ScoreBundle[]): Uint8Array {
  const w = new ByteWriter();
  let last = 0;
  for (const b of bundles) {
    if (b.time < last) throw new RangeError(`score times must ascend: ${b.time} after ${last}`);
    last = b.time;
    const bytes = encodeOscBundle(b.time, b.messages);
    w.int32(bytes.length);
    w.bytes(bytes);
  }
  return w.finish();
}

/** What {@linkcode voiceScore} plays. */
export interface VoiceScoreOptions {
  /** Frequency of each voice in Hz; one synth per entry. */
  readonly frequencies: readonly number[];
  /** Length of the render in seconds (the time of the final, dummy bundle). */
  readonly seconds: number;
  /** Filter cutoff in Hz; default 2000. */
  readonly cutoff?: number;
  /** Reciprocal Q of the filter; default 0.5. */
  readonly rq?: number;
  /** Level of each voice; default 0.1. */
  readonly amp?: number;
  /** The SynthDef file to load; default the one of {@linkcode voiceSynthDef} with defaults. */
  readonly synthDef?: Uint8Array;
}

/** First node id given to the score's synths. */
export const FIRST_NODE_ID = 1000;

/**
 * An NRT score that loads the voice SynthDef (`/d_recv` at time 0), starts
 * one voice per frequency at time 0 (gate open, each `/s_new` in its own
 * bundle, at the tail of the root node), and ends the render at `seconds`
 * with a dummy `/c_set 0 0`.
 */
export function voiceScore(options: VoiceScoreOptions): Uint8Array {
  const def = options.synthDef ?? encodeSynthDefFile([voiceSynthDef()]);
  const bundles: ScoreBundle[] = [{ time: 0, messages: [encodeOscMessage("/d_recv", [def])] }];
  options.frequencies.forEach((freq, i) => {
    bundles.push({
      time: 0,
      messages: [
        encodeOscMessage("/s_new", [
          VOICE_DEF_NAME,
          FIRST_NODE_ID + i,
          1, // add to tail
          0, // of the root node
          "freq",
          { float: freq },
          "cutoff",
          { float: options.cutoff ?? 2000 },
          "rq",
          { float: options.rq ?? 0.5 },
          "amp",
          { float: options.amp ?? 0.1 },
          "gate",
          { float: 1 },
        ]),
      ],
    });
  });
  bundles.push({ time: options.seconds, messages: [encodeOscMessage("/c_set", [0, 0])] });
  return encodeNrtScore(bundles);
}

/** The `scsynth -v` line, or undefined when scsynth cannot be run. */
export async function scsynthVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("scsynth", { args: ["-v"], stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim().split("\n")[0] : undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@linkcode renderNrt}. */
export interface NrtOptions {
  /** Score file (see {@linkcode voiceScore}). */
  readonly scorePath: string;
  /** Output WAV file (32-bit float). */
  readonly outPath: string;
  /** Sample rate in Hz; default 48000. */
  readonly sampleRate?: number;
  /** Block size in frames (`-z`); default 128. */
  readonly blockFrames?: number;
  /** Output channels (`-o`); default 2. */
  readonly channels?: number;
  /** Most nodes (`-n`); default 32768. */
  readonly maxNodes?: number;
}

/** Time taken by one {@linkcode renderNrt} run. */
export interface NrtTiming {
  /** Wall-clock seconds of the scsynth process (start-up included). */
  readonly wallSeconds: number;
  /** CPU seconds (user + system) of the scsynth process. */
  readonly cpuSeconds: number;
}

/**
 * Render a score with `scsynth -N` (one thread: NRT synthesis runs on the
 * calling thread of scsynth) and time the process with bash's `time`.
 * The command is
 * `scsynth -D 0 -z 128 -o 2 -i 0 -n 32768 -m 262144 -N score _ out.wav 48000 WAV float`.
 *
 * @throws {Error} with scsynth's output when it fails or reports a failed command.
 */
export async function renderNrt(options: NrtOptions): Promise<NrtTiming> {
  // deno-fmt-ignore
  const args = [
    "-D", "0", // no synthdefs from the default directory
    "-z", String(options.blockFrames ?? 128),
    "-o", String(options.channels ?? 2),
    "-i", "0",
    "-n", String(options.maxNodes ?? 32768),
    "-m", "262144", // real-time memory pool in KiB: room for thousands of synths
    "-N", options.scorePath, "_", options.outPath,
    String(options.sampleRate ?? 48000), "WAV", "float",
  ];
  const out = await new Deno.Command("bash", {
    args: ["-c", 'TIMEFORMAT="CHRONUS_TIME %3R %3U %3S"; time scsynth "$@"', "bash", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const match = /CHRONUS_TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
  const failed = /FAILURE|ERROR|not found|exception/i.test(stdout + stderr);
  if (!out.success || match === null || failed) {
    throw new Error(`scsynth ${args.join(" ")} failed:\n${(stdout + stderr).trim()}`);
  }
  return {
    wallSeconds: Number(match[1]),
    cpuSeconds: Number(match[2]) + Number(match[3]),
  };
}

/** One measurement of a voice-count search. */
export interface LoadTrial {
  /** Voices rendered. */
  readonly voices: number;
  /** Render time over audio time (0.8 = 80 % of real time). */
  readonly load: number;
}

/** Result of {@linkcode searchMaxVoices}. */
export interface VoiceSearch {
  /** Most voices measured within the target load (0 if none was). */
  readonly voices: number;
  /** Load measured at that count (NaN if none). */
  readonly load: number;
  /** Every measurement, in order. */
  readonly trials: readonly LoadTrial[];
}

/** Options of {@linkcode searchMaxVoices}. */
export interface VoiceSearchOptions {
  /** Highest acceptable load; default 0.8. */
  readonly target?: number;
  /** First count tried; default 32. */
  readonly start?: number;
  /** Largest count tried; default 100000. */
  readonly max?: number;
  /** Most measurements; default 7. */
  readonly trials?: number;
  /** Stop when the bracket is this narrow, relative to its lower end; default 0.03. */
  readonly tolerance?: number;
}

/**
 * Largest voice count whose measured load stays within `target`, for a
 * load roughly proportional to the count: each guess scales the nearest
 * measurement to the target (and interpolates once the answer is
 * bracketed), falling back to bisection when a guess leaves the bracket.
 * Bounded by `trials` measurements.
 */
export async function searchMaxVoices(
  measure: (voices: number) => Promise<number>,
  options: VoiceSearchOptions = {},
): Promise<VoiceSearch> {
  const target = options.target ?? 0.8;
  const max = options.max ?? 100000;
  const tolerance = options.tolerance ?? 0.03;
  const trials: LoadTrial[] = [];
  let lo: LoadTrial | undefined;
  let hi: LoadTrial | undefined;
  let n = Math.min(max, Math.max(1, Math.round(options.start ?? 32)));
  for (let t = 0; t < (options.trials ?? 7); t++) {
    const load = await measure(n);
    const trial = { voices: n, load };
    trials.push(trial);
    if (load <= target) {
      if (lo === undefined || n > lo.voices) lo = trial;
    } else if (hi === undefined || n < hi.voices) hi = trial;
    const low = lo?.voices ?? 0;
    const high = hi?.voices ?? max + 1;
    if (high - low <= Math.max(1, Math.floor(low * tolerance)) || low >= max) break;
    let next: number;
    if (lo !== undefined && hi !== undefined) {
      // Interpolate between the bracket's ends, aiming a little low: passing is what counts.
      const slope = (hi.load - lo.load) / (hi.voices - lo.voices);
      next = slope > 0 ? lo.voices + (target - lo.load) / slope : (low + high) / 2;
      next = Math.floor(next * (1 - tolerance / 3));
    } else {
      // Scale to the target, overshooting a little the way the bracket is still open.
      const aim = load <= target ? 1 + tolerance : 1 - tolerance;
      next = Math.round(((n * target) / Math.max(load, 1e-6)) * aim);
    }
    if (!(next > low && next < high)) next = Math.floor((low + high) / 2);
    if (next <= low || next >= high) break;
    n = Math.min(next, max);
  }
  return { voices: lo?.voices ?? 0, load: lo?.load ?? NaN, trials };
}
