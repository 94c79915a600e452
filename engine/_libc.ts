/**
 * The two libc functions the audio callback uses to write the device buffer
 * without allocating: `memcpy` and `memset`.
 *
 * Addresses are pointer objects and lengths BigInts: with those types Deno
 * takes V8's fast-call path. Plain numbers for `usize` parameters make
 * TurboFan speculate, fail ("not a BigInt") and deoptimise the caller over
 * and over, allocating each time.
 *
 * @module
 */

const SYMBOLS = {
  memcpy: { parameters: ["pointer", "pointer", "usize"], result: "void" },
  memset: { parameters: ["pointer", "i32", "usize"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** libc's `memcpy`/`memset`. */
export type LibcSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Open libc. Throws when it cannot be found. */
export function openLibc(): Deno.DynamicLibrary<typeof SYMBOLS> {
  return Deno.dlopen("libc.so.6", SYMBOLS);
}
