/**
 * The OSC server of Chronus: a UDP socket (default `127.0.0.1:57120`) that
 * turns each OSC message into one command line, hands it to the same
 * handler as the terminal session, and replies to the sender.
 *
 * What a datagram may hold:
 *
 * - `/chronus/say ,s <phrase>`: the phrase is the line, verbatim
 *   (`/chronus/say "/inst/lead/note C4 0.8"`);
 * - any other address with typed arguments: the line is the address followed
 *   by the arguments as words, so `/mod/sine/freq ,f 440.0` is the line
 *   `/mod/sine/freq 440` and `/inst/lead/note ,sf C4 0.8` is
 *   `/inst/lead/note C4 0.8`. Argument types: `i` (int32), `h` (int64),
 *   `f` (float32, written as the shortest decimal that is the same float32,
 *   so 0.8f is `0.8`), `d` (double), `s`/`S` (one word: no spaces, not empty,
 *   not starting with `#`), `T`/`F` (`1`/`0`). Other types (blobs, nil, …)
 *   get an error reply;
 * - a bundle: each message in it, in order, depth-first; time tags are
 *   ignored (everything happens on arrival).
 *
 * Replies: one OSC message per message handled, sent from the server's
 * socket to the sender's address and port:
 * `/chronus/reply ,ss <status> <text>` with status `"ok"` or `"error"`. The
 * text is what the terminal would print after `ok  ` / `error  `; a command
 * with detail lines (`/status`, `/help`) has them after a `\n`, each with its
 * two-space indent; a blank line or comment answers `ok` with empty text.
 *
 * A monitor's `/chronus/scope` query (a datagram of its own) is answered
 * with recent output samples when the server has a scope source; see
 * `osc_scope.ts` for that contract.
 *
 * Malformed datagrams (not OSC 1.0: bad size or alignment, no type tags,
 * truncated, unknown type tags, invalid UTF-8, …) are counted in
 * `stats.malformed` and dropped without a reply: a reply would go to whoever
 * sent garbage, and only a well-formed message says what it was for.
 * Messages addressed to `/chronus/reply` are ignored (counted in
 * `stats.ignored`) so that two servers, or a server and itself, can never
 * bounce replies forever. Nothing a datagram holds can throw out of the
 * server or stop it.
 *
 * @module
 */

import { createSocket, type RemoteInfo } from "node:dgram";
import type { Buffer } from "node:buffer";
import type { ScopeSource } from "../engine/control.ts";
import {
  decodeOscPacket,
  encodeOscMessage,
  MAX_DATAGRAM_BYTES,
  type OscArg,
  type OscMessage,
  oscMessages,
} from "./osc_codec.ts";
import { errorText, shown } from "./line_parser.ts";
import {
  answerLine,
  type AnswerOptions,
  ERROR_PREFIX,
  type LineAnswer,
  OK_PREFIX,
} from "./line_session.ts";
import { answerScope, encodeScopeReply, isScopeRequest } from "./osc_scope.ts";

/** Host the server binds when none is given: loopback only. */
export const DEFAULT_OSC_HOST = "127.0.0.1";
/** UDP port the server binds when none is given (SuperCollider's language port). */
export const DEFAULT_OSC_PORT = 57120;
/** Address whose one string argument is a whole command line. */
export const SAY_ADDRESS = "/chronus/say";
/** Address of every reply: `,ss` status (`"ok"` or `"error"`) and text. */
export const REPLY_ADDRESS = "/chronus/reply";
/** Longest reply text, in UTF-16 code units; longer text is cut with `…`. */
export const MAX_REPLY_CHARS = 16000;

/** What a handler answers for one line. */
export interface OscReply {
  /** True for `ok`, false for `error`. */
  readonly ok: boolean;
  /** The text after `ok  ` / `error  `; detail lines follow a `\n`. */
  readonly text: string;
}

/**
 * Acts on one command line that came over OSC. `source` is the sender,
 * `"127.0.0.1:54321"` (IPv6: `"[::1]:54321"`). Should not throw; if it does,
 * the sender gets an `error` reply with the exception's message.
 */
export type OscHandler = (line: string, source: string) => OscReply;

/** What {@linkcode answerDatagram} made of one datagram. */
export type DatagramOutcome =
  /** Not OSC: drop it, count it. */
  | { readonly kind: "malformed"; readonly error: string }
  /** One reply per message handled, in order; `ignored` counts `/chronus/reply` messages skipped. */
  | { readonly kind: "answered"; readonly replies: readonly OscReply[]; readonly ignored: number };

/** Why an argument type cannot become a word of a line. */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  b: "blob",
  t: "time tag",
  c: "char",
  r: "colour",
  m: "midi",
  N: "nil",
  I: "impulse",
  "[": "array",
  "]": "array",
};

const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\uFFFD]/gu;

function safe(text: string): string {
  return shown(text.replace(UNPRINTABLE, "?"));
}

/**
 * The shortest decimal text that reads back as the same float32, e.g.
 * 0.800000011920929 (0.8 as a float32) → `"0.8"`. Non-finite values give
 * `NaN`, `Infinity`, `-Infinity` (which the parsers refuse with a clear error).
 */
export function float32Text(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  for (let digits = 1; digits <= 9; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(value);
}

function word(arg: OscArg, index: number, address: string): string | OscReply {
  switch (arg.type) {
    case "i":
    case "d":
      return String(arg.value);
    case "f":
      return float32Text(arg.value);
    case "h":
      return arg.value.toString();
    case "T":
      return "1";
    case "F":
      return "0";
    case "s":
    case "S": {
      const text = arg.value;
      if (text === "" || /\s/.test(text) || text.startsWith("#")) {
        return failure(
          `${safe(address)}: argument ${index} must be one word (no spaces, not empty, ` +
            `not starting with #), got ${JSON.stringify(safe(text))}; ` +
            `send whole lines with ${SAY_ADDRESS}`,
        );
      }
      return text;
    }
    default:
      return failure(
        `${safe(address)}: argument ${index} is an OSC ${TYPE_NAMES[arg.type] ?? arg.type} ` +
          `(,${arg.type}); Chronus takes i, h, f, d, s, S, T and F`,
      );
  }
}

function failure(text: string): OscReply {
  return { ok: false, text };
}

/**
 * The command line an OSC message stands for, or an error reply saying why
 * it stands for none. `/chronus/say` takes exactly one string, the line;
 * any other address becomes `"<address> <arg> <arg>…"` (see the module doc).
 *
 * @example
 * ```ts
 * import { oscMessageLine } from "./osc_server.ts";
 * console.log(oscMessageLine({
 *   kind: "message",
 *   address: "/inst/lead/note",
 *   args: [{ type: "s", value: "C4" }, { type: "f", value: Math.fround(0.8) }],
 * })); // /inst/lead/note C4 0.8
 * ```
 */
export function oscMessageLine(message: OscMessage): string | OscReply {
  const { address, args } = message;
  if (address === SAY_ADDRESS) {
    const only = args[0];
    if (args.length !== 1 || only === undefined || (only.type !== "s" && only.type !== "S")) {
      const tags = args.map((arg) => arg.type).join("");
      return failure(`${SAY_ADDRESS} takes one string, the command line; got ,${tags}`);
    }
    return only.value;
  }
  if (/\s/.test(address)) {
    return failure(
      `OSC address ${JSON.stringify(safe(address))} contains spaces; ` +
        `send whole lines with ${SAY_ADDRESS}`,
    );
  }
  const words = [address];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined) continue;
    const text = word(arg, i + 1, address);
    if (typeof text !== "string") return text;
    words.push(text);
  }
  return words.join(" ");
}

function callHandler(handle: OscHandler, line: string, source: string): OscReply {
  try {
    const reply = handle(line, source);
    return { ok: reply.ok === true, text: String(reply.text) };
  } catch (error) {
    return failure(`handler failed: ${errorText(error)}`);
  }
}

/**
 * Decode one datagram and answer every message in it through `handle`.
 * Never throws; a handler that throws gives an `error` reply.
 *
 * @example
 * ```ts
 * import { answerDatagram } from "./osc_server.ts";
 * import { encodeOscMessage } from "./osc_codec.ts";
 * const outcome = answerDatagram(
 *   encodeOscMessage("/mod/sine/freq", [{ type: "i", value: 660 }]),
 *   "127.0.0.1:9000",
 *   (line) => ({ ok: true, text: line }),
 * );
 * console.log(outcome); // { kind: "answered", replies: [{ ok: true, text: "/mod/sine/freq 660" }], ignored: 0 }
 * ```
 */
export function answerDatagram(
  bytes: Uint8Array,
  source: string,
  handle: OscHandler,
): DatagramOutcome {
  const decoded = decodeOscPacket(bytes);
  if (!decoded.ok) return { kind: "malformed", error: decoded.error };
  const replies: OscReply[] = [];
  let ignored = 0;
  for (const message of oscMessages(decoded.packet)) {
    if (message.address === REPLY_ADDRESS) {
      ignored++;
      continue;
    }
    const line = oscMessageLine(message);
    replies.push(typeof line === "string" ? callHandler(handle, line, source) : line);
  }
  return { kind: "answered", replies, ignored };
}

/** Encode a reply as a `/chronus/reply ,ss` message, its text cut to {@linkcode MAX_REPLY_CHARS}. */
export function encodeReply(reply: OscReply): Uint8Array {
  let text = reply.text.replaceAll("\0", " ");
  if (text.length > MAX_REPLY_CHARS) text = `${text.slice(0, MAX_REPLY_CHARS - 1)}…`;
  return encodeOscMessage(REPLY_ADDRESS, [
    { type: "s", value: reply.ok ? "ok" : "error" },
    { type: "s", value: text },
  ]);
}

/**
 * A handler that answers lines exactly as the terminal session does: it calls
 * {@linkcode answerLine} with the same engine and parser, and turns the
 * answer's output lines into one reply (the `ok  `/`error  ` prefix dropped
 * from the first line, detail lines kept with their indent after `\n`).
 * `/quit` over OSC calls `onQuit` when given (answering `ok bye`), else it is
 * refused: a remote sender does not end the terminal's session by default.
 */
export function lineAnswerHandler(
  options: AnswerOptions & { readonly onQuit?: (source: string) => void },
): OscHandler {
  const { onQuit } = options;
  return (line: string, source: string): OscReply => {
    const answer: LineAnswer = answerLine(line, options);
    if (answer.quit) {
      if (onQuit === undefined) {
        return failure("/quit is not taken over OSC; quit from the terminal running Chronus");
      }
      onQuit(source);
    }
    return answerReply(answer);
  };
}

/** One reply from a {@linkcode LineAnswer}: see {@linkcode lineAnswerHandler}. */
export function answerReply(answer: LineAnswer): OscReply {
  const [first, ...details] = answer.output;
  if (first === undefined) return { ok: !answer.failed, text: "" };
  const prefix = answer.failed ? ERROR_PREFIX : OK_PREFIX;
  const head = first.startsWith(prefix) ? first.slice(prefix.length) : first;
  return { ok: !answer.failed, text: [head, ...details].join("\n") };
}

/** Options of {@linkcode startOscServer}. */
export interface OscServerOptions {
  /** Address to bind; default {@linkcode DEFAULT_OSC_HOST} (loopback). Bind others only when asked. */
  readonly host?: string;
  /** UDP port, 0..65535; default {@linkcode DEFAULT_OSC_PORT}; 0 picks a free one. */
  readonly port?: number;
  /** Acts on each line; called synchronously, one message at a time, in arrival order. */
  readonly handle: OscHandler;
  /** Told about each malformed datagram (e.g. to log the first few); must not throw. */
  readonly onMalformed?: (error: string, source: string) => void;
  /**
   * Answers `/chronus/scope` queries with its recent output (see
   * `osc_scope.ts`); without it, the address is an unknown command.
   */
  readonly scope?: ScopeSource;
}

/** Counters of a running {@linkcode OscServer}. */
export interface OscServerStats {
  /** Datagrams received. */
  readonly received: number;
  /** Replies sent (one per message handled, `ok` or `error`, and one per scope query). */
  readonly answered: number;
  /** Datagrams dropped as not OSC. */
  readonly malformed: number;
  /** `/chronus/reply` messages skipped. */
  readonly ignored: number;
  /** Replies the socket failed to send. */
  readonly sendErrors: number;
}

/** A running OSC server. */
export interface OscServer {
  /** The address it is bound to. */
  readonly host: string;
  /** The port it is bound to (the real one when 0 was asked). */
  readonly port: number;
  /** A snapshot of its counters. */
  readonly stats: OscServerStats;
  /** Stop listening. Safe to call twice. */
  close(): Promise<void>;
}

function sourceText(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Bind a UDP socket and answer OSC datagrams until {@linkcode OscServer.close}.
 * Rejects when the port cannot be bound (e.g. another Chronus holds it).
 *
 * @example
 * ```ts ignore
 * import { startOscServer } from "./osc_server.ts";
 * const server = await startOscServer({ port: 0, handle: (line) => ({ ok: true, text: line }) });
 * console.log(server.port);
 * await server.close();
 * ```
 */
export async function startOscServer(options: OscServerOptions): Promise<OscServer> {
  const host = options.host ?? DEFAULT_OSC_HOST;
  const port = options.port ?? DEFAULT_OSC_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`OSC port must be a whole number from 0 to 65535, got ${port}`);
  }
  const socket = createSocket({ type: host.includes(":") ? "udp6" : "udp4" });
  const stats = { received: 0, answered: 0, malformed: 0, ignored: 0, sendErrors: 0 };
  const { handle, onMalformed, scope } = options;

  const send = (encode: () => Uint8Array, rinfo: RemoteInfo): void => {
    stats.answered++;
    try {
      const bytes = encode();
      if (bytes.length > MAX_DATAGRAM_BYTES) throw new RangeError("reply too long");
      socket.send(bytes, rinfo.port, rinfo.address, (error) => {
        if (error) stats.sendErrors++;
      });
    } catch {
      stats.sendErrors++;
    }
  };

  const onMalformedDatagram = (error: string, source: string): void => {
    stats.malformed++;
    try {
      onMalformed?.(error, source);
    } catch {
      // A logger that throws must not stop the server.
    }
  };

  const onMessage = (data: Buffer, rinfo: RemoteInfo): void => {
    stats.received++;
    const source = sourceText(rinfo.address, rinfo.port);
    if (scope !== undefined && isScopeRequest(data)) {
      const decoded = decodeOscPacket(data);
      if (!decoded.ok) return onMalformedDatagram(decoded.error, source);
      if (decoded.packet.kind === "message") {
        const answer = answerScope(decoded.packet, scope);
        return send(() => answer.ok ? encodeScopeReply(answer.data) : encodeReply(answer), rinfo);
      }
    }
    const outcome = answerDatagram(data, source, handle);
    if (outcome.kind === "malformed") return onMalformedDatagram(outcome.error, source);
    stats.ignored += outcome.ignored;
    for (const reply of outcome.replies) send(() => encodeReply(reply), rinfo);
  };

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.close();
      reject(new Error(`cannot listen for OSC on ${sourceText(host, port)}: ${errorText(error)}`));
    };
    socket.once("error", onError);
    socket.bind(port, host, () => {
      socket.off("error", onError);
      resolve();
    });
  });
  // After binding, socket errors (e.g. a send that failed) are counted, never thrown.
  socket.on("error", () => {
    stats.sendErrors++;
  });
  socket.on("message", onMessage);

  let closed: Promise<void> | undefined;
  return {
    host,
    port: socket.address().port,
    get stats(): OscServerStats {
      return { ...stats };
    },
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      });
      return closed;
    },
  };
}
