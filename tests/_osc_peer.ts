/**
 * A separate OSC process for tests/repl_osc_test.ts. Packets are encoded and
 * replies decoded with osc-js, an independent OSC implementation, so the
 * test checks Chronus against someone else's idea of OSC, not its own.
 *
 * - `deno run -A tests/_osc_peer.ts scenario <port>`: reads a JSON list of
 *   {@linkcode Step}s on stdin, sends each to 127.0.0.1:<port> in order and
 *   waits for the replies it expects; prints every reply received, in order,
 *   as one JSON array of `[status, text]` on stdout. Exit 1 when a reply does
 *   not come within 3 s.
 * - `deno run -A tests/_osc_peer.ts send <args…>`: runs `chronus send <args…>`
 *   the way main.ts does, with stdin, stdout and the exit status.
 * - `deno run -A tests/_osc_peer.ts scope <port> [frames]`: sends
 *   `/chronus/scope` (with `,i <frames>` when given) and prints the reply,
 *   decoded by osc-js, as one {@linkcode PeerScopeReply} JSON object on
 *   stdout. Exit 1 when no reply comes within 3 s.
 *
 * @module
 */

import { createSocket } from "node:dgram";
import oscJs from "osc-js";
import { runSendCommand } from "../repl/osc_client.ts";

// osc-js is CommonJS: at run time its default export is the OSC class (with Message, Bundle, …
// as statics), while its types describe the default import as the whole module.
const OSC = oscJs as unknown as typeof oscJs.default;

/** One OSC argument as JSON: `h` values are decimal strings (JSON has no bigint). */
export interface PeerArg {
  /** The OSC type tag. */
  readonly type: "i" | "f" | "d" | "h" | "s" | "T" | "F" | "N" | "b";
  /** The value; ignored for T, F and N; bytes for b. */
  readonly value?: number | string | readonly number[];
}

/** One message as JSON. */
export interface PeerMessage {
  /** The OSC address. */
  readonly address: string;
  /** Its typed arguments. */
  readonly args: readonly PeerArg[];
}

/** What to send, and how many replies to wait for before the next step. */
export type Step =
  /** A message, encoded by osc-js; waits for 1 reply unless `expect` says otherwise. */
  | { readonly message: PeerMessage; readonly expect?: number }
  /** A bundle of messages, encoded by osc-js; waits for one reply per message by default. */
  | { readonly bundle: readonly PeerMessage[]; readonly expect?: number }
  /** Raw bytes (hex); waits for no reply unless `expect` says otherwise. */
  | { readonly hex: string; readonly expect?: number };

function encodeMessage(message: PeerMessage): InstanceType<typeof OSC.Message> {
  const typed = new OSC.TypedMessage(message.address, []);
  for (const arg of message.args) {
    const value = arg.value;
    if (arg.type === "h") typed.add("h", BigInt(String(value)) as unknown as number);
    else if (arg.type === "b") {
      typed.add("b", new Uint8Array(value as readonly number[]) as unknown as number);
    } else typed.add(arg.type, (value ?? null) as number | string | null);
  }
  // A Bundle takes only Messages: carry the typed arguments over to one.
  const untyped = new OSC.Message(message.address);
  untyped.types = typed.types;
  untyped.args = typed.args;
  return untyped;
}

/** A scope reply as decoded by osc-js, for `scope` mode. */
export interface PeerScopeReply {
  /** The reply's address. */
  readonly address: string;
  /** Its type tag string, e.g. `",ihb"`. */
  readonly types: string;
  /** Every argument, as JSON: int64 as a decimal string, a blob as big-endian float32s. */
  readonly args: readonly (number | string | readonly number[])[];
}

async function scope(port: number, frames: string | undefined): Promise<number> {
  const socket = createSocket("udp4");
  const reply = new Promise<PeerScopeReply>((resolve) => {
    socket.on("message", (data: Uint8Array) => {
      const message = new OSC.Message("/");
      message.unpack(new DataView(data.buffer, data.byteOffset, data.byteLength));
      const args = message.args.map((arg: unknown) => {
        if (typeof arg === "bigint") return arg.toString();
        if (arg instanceof Uint8Array) {
          const view = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
          return Array.from({ length: arg.length / 4 }, (_, i) => view.getFloat32(4 * i));
        }
        return arg as number | string;
      });
      resolve({ address: message.address, types: String(message.types), args });
    });
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const args: PeerArg[] = frames === undefined ? [] : [{ type: "i", value: Number(frames) }];
  const bytes = encodeMessage({ address: "/chronus/scope", args }).pack();
  await new Promise<void>((resolve) => socket.send(bytes, port, "127.0.0.1", () => resolve()));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answer = await Promise.race([
    reply,
    new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), 3000)),
  ]);
  clearTimeout(timer);
  if (answer !== undefined) console.log(JSON.stringify(answer));
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return answer === undefined ? 1 : 0;
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

async function scenario(port: number): Promise<number> {
  const steps = JSON.parse(await new Response(Deno.stdin.readable).text()) as Step[];
  const socket = createSocket("udp4");
  const replies: [string, string][] = [];
  let wake: (() => void) | undefined;
  socket.on("message", (data: Uint8Array) => {
    const message = new OSC.Message("/");
    message.unpack(new DataView(data.buffer, data.byteOffset, data.byteLength));
    replies.push([message.address, ...message.args.map(String)].slice(1) as [string, string]);
    if (message.address !== "/chronus/reply") replies.push(["wrong address", message.address]);
    wake?.();
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  let status = 0;
  let expected = 0;
  for (const step of steps) {
    let bytes: Uint8Array;
    if ("message" in step) {
      bytes = encodeMessage(step.message).pack();
      expected += step.expect ?? 1;
    } else if ("bundle" in step) {
      const bundle = new OSC.Bundle(step.bundle.map(encodeMessage));
      bytes = bundle.pack();
      expected += step.expect ?? step.bundle.length;
    } else {
      bytes = fromHex(step.hex);
      expected += step.expect ?? 0;
    }
    await new Promise<void>((resolve) => socket.send(bytes, port, "127.0.0.1", () => resolve()));
    const deadline = Date.now() + 3000;
    while (replies.length < expected && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    if (replies.length < expected) {
      status = 1;
      break;
    }
  }
  console.log(JSON.stringify(replies));
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return status;
}

if (import.meta.main) {
  const [mode, ...rest] = Deno.args;
  if (mode === "scenario") Deno.exit(await scenario(Number(rest[0])));
  if (mode === "send") Deno.exit(await runSendCommand(rest));
  if (mode === "scope") Deno.exit(await scope(Number(rest[0]), rest[1]));
  console.error("usage: _osc_peer.ts scenario <port> | send <args…> | scope <port> [frames]");
  Deno.exit(2);
}
