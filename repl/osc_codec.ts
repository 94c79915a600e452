/**
 * A strict, allocation-light Open Sound Control 1.0 codec: decode any bytes
 * into a message or bundle (or a one-line reason why not), and encode the
 * messages Chronus sends.
 *
 * Decoding validates everything before trusting it and never throws:
 * the packet size must be a multiple of 4; strings must be NUL-terminated,
 * zero-padded to 4 bytes and valid UTF-8; a message needs an address that
 * starts with `/` and a type tag string that starts with `,`; every argument
 * must fit; no bytes may follow the last argument; bundle elements need a
 * positive size that is a multiple of 4 and fits. Bundles nest at most
 * {@linkcode MAX_BUNDLE_DEPTH} deep and hold at most
 * {@linkcode MAX_PACKET_MESSAGES} messages in all. Type tags whose size is
 * unknown make the packet malformed; the standard and common extended tags
 * (`i f s b h t d S c r m T F N I [ ]`) are decoded.
 *
 * @example
 * ```ts
 * import { decodeOscPacket, encodeOscMessage } from "./osc_codec.ts";
 * const bytes = encodeOscMessage("/mod/sine/freq", [{ type: "f", value: 440 }]);
 * const result = decodeOscPacket(bytes);
 * if (result.ok && result.packet.kind === "message") {
 *   console.log(result.packet.address, result.packet.args[0]); // /mod/sine/freq { type: "f", value: 440 }
 * }
 * ```
 *
 * @module
 */

/** One typed OSC argument. */
export type OscArg =
  /** 32-bit signed integer. */
  | { readonly type: "i"; readonly value: number }
  /** 32-bit IEEE float (`value` holds the float32 exactly). */
  | { readonly type: "f"; readonly value: number }
  /** 64-bit IEEE double. */
  | { readonly type: "d"; readonly value: number }
  /** 64-bit signed integer. */
  | { readonly type: "h"; readonly value: bigint }
  /** 64-bit NTP time tag. */
  | { readonly type: "t"; readonly value: bigint }
  /** String (`s`) or symbol (`S`). */
  | { readonly type: "s" | "S"; readonly value: string }
  /** ASCII character (`c`, as its code) or RGBA colour (`r`, unsigned 32 bits). */
  | { readonly type: "c" | "r"; readonly value: number }
  /** Blob (`b`) or 4-byte MIDI message (`m`). */
  | { readonly type: "b" | "m"; readonly value: Uint8Array }
  /** True, false, nil, impulse ("infinitum"), array start and end: no data. */
  | { readonly type: "T" | "F" | "N" | "I" | "[" | "]" };

/** The type tags of {@linkcode OscArg}. */
export type OscTypeTag = OscArg["type"];

/** A decoded OSC message. */
export interface OscMessage {
  /** Discriminant. */
  readonly kind: "message";
  /** The address pattern, e.g. `/mod/sine/freq`. */
  readonly address: string;
  /** The arguments, in order. */
  readonly args: readonly OscArg[];
}

/** A decoded OSC bundle. */
export interface OscBundle {
  /** Discriminant. */
  readonly kind: "bundle";
  /** The NTP time tag (1 = "immediately"). */
  readonly timetag: bigint;
  /** Its elements, in order. */
  readonly elements: readonly OscPacket[];
}

/** A decoded OSC packet: a message or a bundle. */
export type OscPacket = OscMessage | OscBundle;

/** What {@linkcode decodeOscPacket} answers. */
export type OscDecodeResult =
  | { readonly ok: true; readonly packet: OscPacket }
  | { readonly ok: false; readonly error: string };

/** Deepest bundle nesting accepted (a bundle in a bundle is depth 2). */
export const MAX_BUNDLE_DEPTH = 8;

/** Most messages one packet may carry, over all its bundles. */
export const MAX_PACKET_MESSAGES = 256;

/** Largest UDP payload over IPv4; larger packets cannot be sent in one datagram. */
export const MAX_DATAGRAM_BYTES = 65507;

/** The time tag meaning "immediately". */
export const IMMEDIATELY = 1n;

const BUNDLE_HEAD = [0x23, 0x62, 0x75, 0x6e, 0x64, 0x6c, 0x65, 0x00]; // "#bundle\0"
const SLASH = 0x2f;
const COMMA = 0x2c;
const HASH = 0x23;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Thrown inside the decoder only; caught by {@linkcode decodeOscPacket}. */
class Malformed extends Error {}

class Reader {
  readonly view: DataView;
  messages = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(offset: number, size: number, end: number, what: string): void {
    if (offset + size > end) {
      throw new Malformed(
        `truncated ${what} at byte ${offset}: needs ${size}, ${end - offset} left`,
      );
    }
  }

  /** A padded string at `offset`; returns it and the offset after its padding. */
  string(offset: number, end: number, what: string): [string, number] {
    const nul = this.bytes.subarray(offset, end).indexOf(0);
    if (nul < 0) throw new Malformed(`${what} at byte ${offset} has no terminating NUL`);
    const stop = offset + nul;
    const next = (stop + 4) & ~3;
    if (next > end) throw new Malformed(`${what} at byte ${offset} is not padded to 4 bytes`);
    for (let i = stop + 1; i < next; i++) {
      if (this.bytes[i] !== 0) {
        throw new Malformed(`${what} at byte ${offset} has non-zero padding`);
      }
    }
    let text: string;
    try {
      text = utf8.decode(this.bytes.subarray(offset, stop));
    } catch {
      throw new Malformed(`${what} at byte ${offset} is not valid UTF-8`);
    }
    return [text, next];
  }

  packet(offset: number, end: number, depth: number): OscPacket {
    if (end - offset === 0) throw new Malformed("empty packet");
    if ((end - offset) % 4 !== 0) {
      throw new Malformed(`packet size ${end - offset} is not a multiple of 4`);
    }
    const first = this.bytes[offset];
    if (first === SLASH) return this.message(offset, end);
    if (first === HASH) return this.bundle(offset, end, depth);
    throw new Malformed(`packet starts with byte ${first ?? 0}, neither "/" nor "#bundle"`);
  }

  message(offset: number, end: number): OscMessage {
    if (++this.messages > MAX_PACKET_MESSAGES) {
      throw new Malformed(`more than ${MAX_PACKET_MESSAGES} messages in one packet`);
    }
    const [address, afterAddress] = this.string(offset, end, "address");
    const shown = printable(address);
    if (afterAddress >= end) throw new Malformed(`message ${shown} has no type tag string`);
    if (this.bytes[afterAddress] !== COMMA) {
      throw new Malformed(`message ${shown} has no type tag string (no ",")`);
    }
    const [tags, afterTags] = this.string(afterAddress, end, "type tag string");
    const args: OscArg[] = [];
    let at = afterTags;
    for (let t = 1; t < tags.length; t++) {
      const [arg, next] = this.argument(tags.charAt(t), at, end);
      args.push(arg);
      at = next;
    }
    if (at !== end) throw new Malformed(`${end - at} bytes after the last argument`);
    return { kind: "message", address, args };
  }

  argument(tag: string, at: number, end: number): [OscArg, number] {
    const view = this.view;
    switch (tag) {
      case "i":
        this.need(at, 4, end, "int32");
        return [{ type: "i", value: view.getInt32(at) }, at + 4];
      case "f":
        this.need(at, 4, end, "float32");
        return [{ type: "f", value: view.getFloat32(at) }, at + 4];
      case "c":
      case "r":
        this.need(at, 4, end, tag === "c" ? "char" : "rgba");
        return [{ type: tag, value: view.getUint32(at) }, at + 4];
      case "m":
        this.need(at, 4, end, "midi");
        return [{ type: "m", value: this.bytes.slice(at, at + 4) }, at + 4];
      case "d":
        this.need(at, 8, end, "double");
        return [{ type: "d", value: view.getFloat64(at) }, at + 8];
      case "h":
        this.need(at, 8, end, "int64");
        return [{ type: "h", value: view.getBigInt64(at) }, at + 8];
      case "t":
        this.need(at, 8, end, "timetag");
        return [{ type: "t", value: view.getBigUint64(at) }, at + 8];
      case "s":
      case "S": {
        const [value, next] = this.string(at, end, "string argument");
        return [{ type: tag, value }, next];
      }
      case "b": {
        this.need(at, 4, end, "blob size");
        const size = view.getInt32(at);
        const start = at + 4;
        if (size < 0 || size > end - start) {
          throw new Malformed(`blob at byte ${at} has size ${size}, ${end - start} bytes left`);
        }
        const next = (start + size + 3) & ~3;
        if (next > end) throw new Malformed(`blob at byte ${at} is not padded to 4 bytes`);
        for (let i = start + size; i < next; i++) {
          if (this.bytes[i] !== 0) throw new Malformed(`blob at byte ${at} has non-zero padding`);
        }
        return [{ type: "b", value: this.bytes.slice(start, start + size) }, next];
      }
      case "T":
      case "F":
      case "N":
      case "I":
      case "[":
      case "]":
        return [{ type: tag }, at];
      default:
        throw new Malformed(`unknown type tag ${printableTag(tag)}`);
    }
  }

  bundle(offset: number, end: number, depth: number): OscBundle {
    if (depth >= MAX_BUNDLE_DEPTH) {
      throw new Malformed(`bundles nested more than ${MAX_BUNDLE_DEPTH} deep`);
    }
    if (end - offset < 16) throw new Malformed("bundle shorter than its 16-byte header");
    for (let i = 0; i < BUNDLE_HEAD.length; i++) {
      if (this.bytes[offset + i] !== BUNDLE_HEAD[i]) {
        throw new Malformed('packet starts with "#" but not with "#bundle"');
      }
    }
    const timetag = this.view.getBigUint64(offset + 8);
    const elements: OscPacket[] = [];
    let at = offset + 16;
    while (at < end) {
      this.need(at, 4, end, "bundle element size");
      const size = this.view.getInt32(at);
      at += 4;
      if (size <= 0 || size % 4 !== 0 || size > end - at) {
        throw new Malformed(
          `bundle element at byte ${at - 4} has size ${size}, ${end - at} bytes left`,
        );
      }
      elements.push(this.packet(at, at + size, depth + 1));
      at += size;
    }
    return { kind: "bundle", timetag, elements };
  }
}

/** Decoded text for an error message: printable ASCII only, at most 40 characters. */
function printable(text: string): string {
  const clean = text.replace(/[^ -~]/g, "?");
  return clean.length <= 40 ? clean : `${clean.slice(0, 37)}...`;
}

function printableTag(tag: string): string {
  const code = tag.codePointAt(0) ?? 0;
  return code >= 0x21 && code <= 0x7e
    ? JSON.stringify(tag)
    : `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Decode one OSC packet (a whole UDP datagram). Never throws: anything that
 * is not a well-formed OSC 1.0 message or bundle gives `{ ok: false, error }`
 * with a one-line reason.
 *
 * @example
 * ```ts
 * import { decodeOscPacket } from "./osc_codec.ts";
 * console.log(decodeOscPacket(new Uint8Array([1, 2, 3])));
 * // { ok: false, error: "packet size 3 is not a multiple of 4" }
 * ```
 */
export function decodeOscPacket(bytes: Uint8Array): OscDecodeResult {
  try {
    const reader = new Reader(bytes);
    return { ok: true, packet: reader.packet(0, bytes.length, 0) };
  } catch (error) {
    if (error instanceof Malformed) return { ok: false, error: error.message };
    // Not expected (every check above throws Malformed), but a decoder bug must
    // not escape to the socket handler either.
    return { ok: false, error: `decoder failed: ${String(error)}` };
  }
}

/**
 * The messages of a packet in order, bundles flattened depth-first (their
 * time tags are ignored: everything is "immediately").
 */
export function oscMessages(packet: OscPacket): OscMessage[] {
  if (packet.kind === "message") return [packet];
  const out: OscMessage[] = [];
  for (const element of packet.elements) out.push(...oscMessages(element));
  return out;
}

class Writer {
  readonly parts: Uint8Array[] = [];
  size = 0;

  push(part: Uint8Array): void {
    this.parts.push(part);
    this.size += part.length;
  }

  string(text: string): void {
    const bytes = encoder.encode(text);
    if (bytes.includes(0)) throw new RangeError("OSC strings cannot contain NUL");
    const padded = new Uint8Array((bytes.length + 4) & ~3);
    padded.set(bytes);
    this.push(padded);
  }

  fixed(size: number, write: (view: DataView) => void): void {
    const bytes = new Uint8Array(size);
    write(new DataView(bytes.buffer));
    this.push(bytes);
  }

  blob(data: Uint8Array): void {
    this.fixed(4, (v) => v.setInt32(0, data.length));
    const padded = new Uint8Array((data.length + 3) & ~3);
    padded.set(data);
    this.push(padded);
  }

  join(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

function writeArgument(writer: Writer, arg: OscArg): void {
  switch (arg.type) {
    case "i":
      return writer.fixed(4, (v) => v.setInt32(0, arg.value));
    case "f":
      return writer.fixed(4, (v) => v.setFloat32(0, arg.value));
    case "c":
    case "r":
      return writer.fixed(4, (v) => v.setUint32(0, arg.value));
    case "m":
      if (arg.value.length !== 4) throw new RangeError("an OSC midi argument is 4 bytes");
      return writer.push(arg.value.slice());
    case "d":
      return writer.fixed(8, (v) => v.setFloat64(0, arg.value));
    case "h":
      return writer.fixed(8, (v) => v.setBigInt64(0, arg.value));
    case "t":
      return writer.fixed(8, (v) => v.setBigUint64(0, arg.value));
    case "s":
    case "S":
      return writer.string(arg.value);
    case "b":
      return writer.blob(arg.value);
    default:
      return; // T F N I [ ]: the tag says it all
  }
}

/**
 * Encode one OSC message. Throws a `RangeError` when the address does not
 * start with `/` or a string contains NUL.
 *
 * @example
 * ```ts
 * import { encodeOscMessage } from "./osc_codec.ts";
 * const bytes = encodeOscMessage("/chronus/say", [{ type: "s", value: "/status" }]);
 * console.log(bytes.length); // 28
 * ```
 */
export function encodeOscMessage(address: string, args: readonly OscArg[] = []): Uint8Array {
  if (!address.startsWith("/")) throw new RangeError(`OSC address must start with "/"`);
  const writer = new Writer();
  writer.string(address);
  writer.string("," + args.map((arg) => arg.type).join(""));
  for (const arg of args) writeArgument(writer, arg);
  return writer.join();
}

/**
 * Encode an OSC bundle of already encoded elements (messages or bundles),
 * with time tag `timetag` (default {@linkcode IMMEDIATELY}).
 */
export function encodeOscBundle(
  elements: readonly Uint8Array[],
  timetag: bigint = IMMEDIATELY,
): Uint8Array {
  const writer = new Writer();
  writer.push(new Uint8Array(BUNDLE_HEAD));
  writer.fixed(8, (v) => v.setBigUint64(0, timetag));
  for (const element of elements) {
    writer.fixed(4, (v) => v.setInt32(0, element.length));
    writer.push(element.slice());
  }
  return writer.join();
}
