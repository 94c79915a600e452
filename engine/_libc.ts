/**
 * The two libc functions the audio callback uses to write the device buffer
 * without allocating: `memcpy` and `memset`, with addresses as plain numbers.
 *
 * @module
 */

const SYMBOLS = {
  memcpy: { parameters: ["usize", "usize", "usize"], result: "void" },
  memset: { parameters: ["usize", "i32", "usize"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** libc's `memcpy`/`memset` taking addresses as numbers. */
export type LibcSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Open libc. Throws when it cannot be found. */
export function openLibc(): Deno.DynamicLibrary<typeof SYMBOLS> {
  return Deno.dlopen("libc.so.6", SYMBOLS);
}

/** Address of the first byte of a typed array's memory, as a number. */
export function addressOf(view: ArrayBufferView): number {
  const ptr = Deno.UnsafePointer.of(view);
  return Number(Deno.UnsafePointer.value(ptr));
}
