/**
 * Keep the audio libraries quiet while PortAudio probes for devices: ALSA
 * prints a dozen "ALSA lib conf.c: …" lines for each configured device that
 * does not exist (every machine without a sound card), and libjack prints
 * "Cannot connect to server socket …" when no JACK server runs. Chronus says
 * what it found in one line of its own instead.
 *
 * @module
 */

/**
 * ALSA's handler is variadic: `(file, line, function, err, fmt, ...)`. On the
 * 64-bit ABIs a callee that takes fewer arguments than the caller passes is
 * fine, so the fixed part is enough for a handler that ignores them all.
 */
const ALSA_HANDLER = {
  parameters: ["pointer", "i32", "pointer", "i32", "pointer"],
  result: "void",
} as const;

const ALSA_SYMBOLS = {
  snd_lib_error_set_handler: { parameters: ["function"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const JACK_SYMBOLS = {
  jack_error_callback: { type: "pointer" },
  jack_set_error_function: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Undoes {@linkcode quietAlsa}. */
export type Unquiet = () => void;

function open<S extends Deno.ForeignLibraryInterface>(
  name: string,
  symbols: S,
): Deno.DynamicLibrary<S> | undefined {
  try {
    return Deno.dlopen(name, symbols);
  } catch {
    return undefined;
  }
}

/**
 * Silence ALSA's error messages in this process until the returned function
 * is called. A no-op when libasound is missing. ALSA calls the handler
 * synchronously from inside the caller's PortAudio calls, so call this on the
 * thread that uses PortAudio, and undo it on the same thread.
 */
export function quietAlsa(): Unquiet {
  const lib = open("libasound.so.2", ALSA_SYMBOLS);
  if (lib === undefined) return () => {};
  const handler = new Deno.UnsafeCallback(ALSA_HANDLER, () => {});
  lib.symbols.snd_lib_error_set_handler(handler.pointer);
  return () => {
    lib.symbols.snd_lib_error_set_handler(null);
    handler.close();
    lib.close();
  };
}

/**
 * Run `probe` with libjack's error messages silenced, then restore libjack's
 * own error function: later JACK errors (a server shutting down) still print.
 */
export function withQuietJack<T>(probe: () => T): T {
  const lib = open("libjack.so.0", JACK_SYMBOLS);
  if (lib === undefined) return probe();
  const variable = lib.symbols.jack_error_callback;
  const previous = variable === null ? null : new Deno.UnsafePointerView(variable).getPointer();
  const handler = new Deno.UnsafeCallback({ parameters: ["pointer"], result: "void" }, () => {});
  lib.symbols.jack_set_error_function(handler.pointer);
  try {
    return probe();
  } finally {
    lib.symbols.jack_set_error_function(previous);
    handler.close();
    lib.close();
  }
}
