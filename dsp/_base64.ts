/**
 * Base64 decoding for data embedded in source files (the voice bank kernel).
 * Private to dsp/.
 *
 * @module
 */

/**
 * Bytes of base64 `text` (the standard alphabet, with padding).
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "./_base64.ts";
 * decodeBase64("AGFzbQ=="); // Uint8Array [0, 97, 115, 109]: "\0asm"
 * ```
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
