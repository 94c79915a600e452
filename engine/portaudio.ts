/**
 * Typed PortAudio bindings through `Deno.dlopen("libportaudio.so.2")`.
 *
 * Only what Chronus needs: initialise/terminate, error texts, host APIs and
 * devices, default output, opening a float32 interleaved output stream with a
 * callback, stream info, start/stop/close. Struct layouts are those of the
 * LP64 ABI (Linux x86_64 and aarch64).
 *
 * @module
 */

import { quietAlsa, type Unquiet, withQuietJack } from "./_probe_noise.ts";

/** Candidate file names of the PortAudio shared library, tried in order. */
export const PORTAUDIO_LIBRARY_NAMES = ["libportaudio.so.2", "libportaudio.so"] as const;

const SYMBOLS = {
  Pa_Initialize: { parameters: [], result: "i32" },
  Pa_Terminate: { parameters: [], result: "i32" },
  Pa_GetVersionText: { parameters: [], result: "pointer" },
  Pa_GetErrorText: { parameters: ["i32"], result: "pointer" },
  Pa_GetHostApiCount: { parameters: [], result: "i32" },
  Pa_GetHostApiInfo: { parameters: ["i32"], result: "pointer" },
  Pa_GetDeviceCount: { parameters: [], result: "i32" },
  Pa_GetDeviceInfo: { parameters: ["i32"], result: "pointer" },
  Pa_GetDefaultOutputDevice: { parameters: [], result: "i32" },
  Pa_IsFormatSupported: { parameters: ["pointer", "buffer", "f64"], result: "i32" },
  Pa_OpenStream: {
    parameters: ["buffer", "pointer", "buffer", "f64", "usize", "usize", "function", "pointer"],
    result: "i32",
  },
  Pa_StartStream: { parameters: ["pointer"], result: "i32" },
  // Stopping waits for the device thread to leave the callback, which runs on
  // the calling isolate: these run on another thread so the isolate stays free.
  Pa_StopStream: { parameters: ["pointer"], result: "i32", nonblocking: true },
  Pa_AbortStream: { parameters: ["pointer"], result: "i32", nonblocking: true },
  Pa_CloseStream: { parameters: ["pointer"], result: "i32", nonblocking: true },
  Pa_IsStreamActive: { parameters: ["pointer"], result: "i32" },
  Pa_GetStreamInfo: { parameters: ["pointer"], result: "pointer" },
  Pa_GetStreamCpuLoad: { parameters: ["pointer"], result: "f64" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The raw symbols of the PortAudio library. */
export type PortAudioSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/**
 * Signature of PortAudio's stream callback as Chronus declares it. The
 * output buffer is a pointer, which the callback hands straight to `memcpy`
 * (pointer arguments keep that call on Deno's fast path; see `_libc.ts`).
 */
export const STREAM_CALLBACK = {
  // input, output, frameCount, timeInfo, statusFlags, userData. Only output
  // and statusFlags are read; u32 for the rest avoids a HeapNumber per call.
  parameters: ["u32", "pointer", "u32", "u32", "u32", "u32"],
  result: "i32",
} as const satisfies Deno.UnsafeCallbackDefinition;

/** `paFloat32` sample format. */
export const PA_FLOAT32 = 0x00000001;
/** `paClipOff` stream flag: Chronus' own limiter owns clipping. */
export const PA_CLIP_OFF = 0x00000001;
/** `paDitherOff` stream flag. */
export const PA_DITHER_OFF = 0x00000002;
/** Callback return value: keep going. */
export const PA_CONTINUE = 0;
/** Host API type id of JACK. */
export const PA_HOST_API_JACK = 12;

/** A PortAudio error, carrying PortAudio's code and text. */
/** What to try when PortAudio finds no device: on a machine without a card, a JACK server. */
export const NO_DEVICE_HINT =
  "no sound card, or no JACK server running? try: jackd -d dummy -r 48000 -p 128";

export class PortAudioError extends Error {
  /** PortAudio's numeric error code (negative). */
  readonly code: number;
  /** Create an error for `code` returned by `call`. */
  constructor(call: string, code: number, text: string) {
    super(`${call} failed: ${text} (${code})`);
    this.name = "PortAudioError";
    this.code = code;
  }
}

/** A host API (ALSA, JACK, ...) as PortAudio describes it. */
export interface HostApiInfo {
  /** Index in PortAudio's host API list. */
  readonly index: number;
  /** PortAudio's `PaHostApiTypeId`. */
  readonly type: number;
  /** Name, e.g. "JACK Audio Connection Kit". */
  readonly name: string;
  /** Number of devices. */
  readonly deviceCount: number;
  /** Default output device (global index), -1 if none. */
  readonly defaultOutputDevice: number;
}

/** An audio device as PortAudio describes it. */
export interface DeviceInfo {
  /** Global device index. */
  readonly index: number;
  /** Device name, e.g. "system". */
  readonly name: string;
  /** Index of its host API. */
  readonly hostApi: number;
  /** Name of its host API. */
  readonly hostApiName: string;
  /** Maximum input channels. */
  readonly maxInputChannels: number;
  /** Maximum output channels. */
  readonly maxOutputChannels: number;
  /** Default low output latency in seconds. */
  readonly defaultLowOutputLatency: number;
  /** Default high output latency in seconds. */
  readonly defaultHighOutputLatency: number;
  /** Default sample rate in Hz. */
  readonly defaultSampleRate: number;
}

/** Options to open an output stream. */
export interface OpenOutputOptions {
  /** Global device index. */
  readonly device: number;
  /** Output channels (interleaved float32). */
  readonly channels: number;
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Frames per callback. */
  readonly framesPerBuffer: number;
  /** Suggested latency in seconds; defaults to the device's low output latency. */
  readonly suggestedLatency?: number;
  /** The stream callback (see {@linkcode STREAM_CALLBACK}). */
  readonly callback: Deno.PointerValue;
}

function cString(ptr: Deno.PointerValue): string {
  return ptr === null ? "" : new Deno.UnsafePointerView(ptr).getCString();
}

/**
 * A loaded PortAudio library. Create with {@linkcode PortAudio.load}, then
 * call {@linkcode PortAudio.initialize} before anything else.
 *
 * @example
 * ```ts ignore
 * const pa = PortAudio.load();
 * pa.initialize();
 * for (const d of pa.devices()) console.log(d.index, d.name, d.hostApiName);
 * pa.terminate();
 * pa.close();
 * ```
 */
export class PortAudio {
  readonly #lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  #initialized = false;
  #unquietAlsa: Unquiet | undefined;

  private constructor(lib: Deno.DynamicLibrary<typeof SYMBOLS>) {
    this.#lib = lib;
  }

  /**
   * Load the shared library. Throws an `Error` whose message names the
   * package to install when no candidate file can be opened.
   */
  static load(names: readonly string[] = PORTAUDIO_LIBRARY_NAMES): PortAudio {
    const failures: string[] = [];
    for (const name of names) {
      try {
        return new PortAudio(Deno.dlopen(name, SYMBOLS));
      } catch (error) {
        failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new Error(
      `PortAudio is not installed (install the Debian package libportaudio2); tried ${
        failures.join("; ")
      }`,
    );
  }

  /** The raw symbols, for the audio worker's callback setup. */
  get symbols(): PortAudioSymbols {
    return this.#lib.symbols;
  }

  /** Throw a {@linkcode PortAudioError} when `code` is negative. */
  check(call: string, code: number): void {
    if (code < 0) throw new PortAudioError(call, code, this.errorText(code));
  }

  /** PortAudio's text for an error code. */
  errorText(code: number): string {
    return cString(this.#lib.symbols.Pa_GetErrorText(code));
  }

  /** PortAudio's version text. */
  versionText(): string {
    return cString(this.#lib.symbols.Pa_GetVersionText());
  }

  /** Initialise PortAudio (scans host APIs and devices). */
  initialize(): void {
    // PortAudio probes ALSA's configured devices and the JACK server, and
    // both libraries print lines of complaints about what is not there.
    this.#unquietAlsa ??= quietAlsa();
    try {
      this.check("Pa_Initialize", withQuietJack(() => this.#lib.symbols.Pa_Initialize()));
    } catch (error) {
      this.#unquietAlsa();
      this.#unquietAlsa = undefined;
      throw error;
    }
    this.#initialized = true;
  }

  /** Terminate PortAudio; safe to call when not initialised. */
  terminate(): void {
    if (!this.#initialized) return;
    this.#initialized = false;
    try {
      this.check("Pa_Terminate", this.#lib.symbols.Pa_Terminate());
    } finally {
      this.#unquietAlsa?.();
      this.#unquietAlsa = undefined;
    }
  }

  /** Unload the library. */
  close(): void {
    this.#lib.close();
  }

  /** All host APIs. */
  hostApis(): HostApiInfo[] {
    const count = this.#lib.symbols.Pa_GetHostApiCount();
    this.check("Pa_GetHostApiCount", count);
    const out: HostApiInfo[] = [];
    for (let index = 0; index < count; index++) {
      const ptr = this.#lib.symbols.Pa_GetHostApiInfo(index);
      if (ptr === null) continue;
      const view = new Deno.UnsafePointerView(ptr);
      // struct PaHostApiInfo { int structVersion; int type; const char* name;
      //   int deviceCount; int defaultInputDevice; int defaultOutputDevice; }
      out.push({
        index,
        type: view.getInt32(4),
        name: cString(view.getPointer(8)),
        deviceCount: view.getInt32(16),
        defaultOutputDevice: view.getInt32(24),
      });
    }
    return out;
  }

  /** All devices, with their host API names. */
  devices(): DeviceInfo[] {
    const apis = this.hostApis();
    const count = this.#lib.symbols.Pa_GetDeviceCount();
    this.check("Pa_GetDeviceCount", count);
    const out: DeviceInfo[] = [];
    for (let index = 0; index < count; index++) {
      const ptr = this.#lib.symbols.Pa_GetDeviceInfo(index);
      if (ptr === null) continue;
      const view = new Deno.UnsafePointerView(ptr);
      // struct PaDeviceInfo { int structVersion; const char* name; int hostApi;
      //   int maxInputChannels; int maxOutputChannels; double lowIn, lowOut,
      //   highIn, highOut; double defaultSampleRate; }
      const hostApi = view.getInt32(16);
      out.push({
        index,
        name: cString(view.getPointer(8)),
        hostApi,
        hostApiName: apis.find((api) => api.index === hostApi)?.name ?? "unknown",
        maxInputChannels: view.getInt32(20),
        maxOutputChannels: view.getInt32(24),
        defaultLowOutputLatency: view.getFloat64(40),
        defaultHighOutputLatency: view.getFloat64(56),
        defaultSampleRate: view.getFloat64(64),
      });
    }
    return out;
  }

  /** The default output device index, or -1 when there is none. */
  defaultOutputDevice(): number {
    return this.#lib.symbols.Pa_GetDefaultOutputDevice();
  }

  /**
   * Pick an output device: by index (a decimal string or number), by exact
   * name, or by case-insensitive substring of the name; without a choice,
   * prefer JACK's "system" device, then PortAudio's default output.
   * Throws a `RangeError` naming the available outputs when nothing fits.
   */
  findOutputDevice(choice?: string): DeviceInfo {
    const outputs = this.devices().filter((d) => d.maxOutputChannels > 0);
    const names = outputs.map((d) => `${d.index}: ${d.name} (${d.hostApiName})`).join(", ");
    if (outputs.length === 0) {
      throw new RangeError(`no audio output device found (${NO_DEVICE_HINT})`);
    }
    let found: DeviceInfo | undefined;
    if (choice === undefined || choice === "") {
      const jack = this.hostApis().find((api) => api.type === PA_HOST_API_JACK);
      found = outputs.find((d) => jack !== undefined && d.hostApi === jack.index) ??
        outputs.find((d) => d.index === this.defaultOutputDevice()) ?? outputs[0];
    } else if (/^\d+$/.test(choice)) {
      found = outputs.find((d) => d.index === Number(choice));
    } else {
      found = outputs.find((d) => d.name === choice) ??
        outputs.find((d) => d.name.toLowerCase().includes(choice.toLowerCase()));
    }
    if (found === undefined) {
      throw new RangeError(`no output device matches "${choice}"; outputs are ${names}`);
    }
    return found;
  }

  /**
   * Open a float32 interleaved output stream. Returns the stream pointer.
   * The stream is not started.
   */
  openOutputStream(options: OpenOutputOptions): Deno.PointerObject {
    const device = this.devices().find((d) => d.index === options.device);
    const params = new ArrayBuffer(32);
    const view = new DataView(params);
    // struct PaStreamParameters { int device; int channelCount;
    //   unsigned long sampleFormat; double suggestedLatency; void* hostApiSpecific; }
    view.setInt32(0, options.device, true);
    view.setInt32(4, options.channels, true);
    view.setBigUint64(8, BigInt(PA_FLOAT32), true);
    view.setFloat64(
      16,
      options.suggestedLatency ?? device?.defaultLowOutputLatency ?? 0,
      true,
    );
    view.setBigUint64(24, 0n, true);
    const streamOut = new BigUint64Array(1);
    const code = this.#lib.symbols.Pa_OpenStream(
      streamOut,
      null,
      new Uint8Array(params),
      options.sampleRate,
      BigInt(options.framesPerBuffer),
      BigInt(PA_CLIP_OFF | PA_DITHER_OFF),
      options.callback,
      null,
    );
    this.check("Pa_OpenStream", code);
    const stream = Deno.UnsafePointer.create(streamOut[0] ?? 0n);
    if (stream === null) throw new PortAudioError("Pa_OpenStream", -1, "returned no stream");
    return stream;
  }

  /** Output latency of an open stream as PortAudio reports it, in seconds. */
  outputLatency(stream: Deno.PointerObject): number {
    const ptr = this.#lib.symbols.Pa_GetStreamInfo(stream);
    // struct PaStreamInfo { int structVersion; double inputLatency; double outputLatency; double sampleRate; }
    return ptr === null ? 0 : new Deno.UnsafePointerView(ptr).getFloat64(16);
  }

  /** Start a stream. */
  start(stream: Deno.PointerObject): void {
    this.check("Pa_StartStream", this.#lib.symbols.Pa_StartStream(stream));
  }

  /**
   * Stop a stream, letting pending buffers play. Runs on another thread, so
   * the isolate can keep running the callback until the device lets go.
   */
  async stop(stream: Deno.PointerObject): Promise<void> {
    this.check("Pa_StopStream", await this.#lib.symbols.Pa_StopStream(stream));
  }

  /** Stop a stream at once (on another thread, like {@linkcode PortAudio.stop}). */
  async abort(stream: Deno.PointerObject): Promise<void> {
    this.check("Pa_AbortStream", await this.#lib.symbols.Pa_AbortStream(stream));
  }

  /** Close a stream (on another thread, like {@linkcode PortAudio.stop}). */
  async closeStream(stream: Deno.PointerObject): Promise<void> {
    this.check("Pa_CloseStream", await this.#lib.symbols.Pa_CloseStream(stream));
  }

  /** PortAudio's CPU load estimate for a running stream, 0..1. */
  cpuLoad(stream: Deno.PointerObject): number {
    return this.#lib.symbols.Pa_GetStreamCpuLoad(stream);
  }
}
