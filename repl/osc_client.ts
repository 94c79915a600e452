/**
 * `chronus send`: drive a running Chronus from another pane or a shell
 * script. Each phrase goes to the Chronus OSC server as
 * `/chronus/say ,s <phrase>`, and its `/chronus/reply` is printed the way the
 * terminal session prints answers: `ok  …` or `error  …`, detail lines after.
 *
 * ```sh
 * chronus send "/inst/lead/note C4 0.8"
 * printf '/test\n/mod/sine/freq 660\n' | chronus send -
 * ```
 *
 * Phrases are sent one at a time, each after the previous one's reply, so the
 * replies come back in order and nothing is lost to a full socket buffer.
 *
 * @module
 */

import { createSocket, type Socket } from "node:dgram";
import { parseArgs } from "node:util";
import { decodeOscPacket, encodeOscMessage, MAX_DATAGRAM_BYTES } from "./osc_codec.ts";
import { errorText } from "./line_parser.ts";
import { linesFromReadable } from "./line_input.ts";
import { DETAIL_PREFIX, ERROR_PREFIX, OK_PREFIX } from "./line_session.ts";
import {
  DEFAULT_OSC_HOST,
  DEFAULT_OSC_PORT,
  type OscReply,
  REPLY_ADDRESS,
  SAY_ADDRESS,
} from "./osc_server.ts";

/** How long to wait for each reply when not told, in milliseconds. */
export const DEFAULT_SEND_TIMEOUT_MS = 2000;

/** Where to send phrases. */
export interface SendOptions {
  /** Host of the running Chronus; default {@linkcode DEFAULT_OSC_HOST}. */
  readonly host?: string;
  /** Its OSC port; default {@linkcode DEFAULT_OSC_PORT}. */
  readonly port?: number;
  /** How long to wait for each reply; default {@linkcode DEFAULT_SEND_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** No reply came in time: nothing is listening there (or it is stuck). */
export class NoChronusError extends Error {
  /** The host that was asked. */
  readonly host: string;
  /** The port that was asked. */
  readonly port: number;

  /** No reply came from `host`:`port`. */
  constructor(host: string, port: number) {
    super(`no Chronus listening on ${host}:${port} (start it with bin/chronus)`);
    this.host = host;
    this.port = port;
    this.name = "NoChronusError";
  }
}

/** One UDP socket connected to a Chronus, asking one phrase at a time. */
class Connection {
  readonly #socket: Socket;
  #waiting: ((reply: OscReply) => void) | undefined;
  #failed: Error | undefined;

  private constructor(socket: Socket, readonly host: string, readonly port: number) {
    this.#socket = socket;
    socket.on("message", (data: Uint8Array) => {
      const decoded = decodeOscPacket(data);
      if (!decoded.ok || decoded.packet.kind !== "message") return;
      const { address, args } = decoded.packet;
      const [status, text] = args;
      if (address !== REPLY_ADDRESS || args.length !== 2) return;
      if (status?.type !== "s" || text?.type !== "s") return;
      if (status.value !== "ok" && status.value !== "error") return;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.({ ok: status.value === "ok", text: text.value });
    });
    socket.on("error", (error: Error) => {
      this.#failed = error;
    });
  }

  static async open(host: string, port: number): Promise<Connection> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`OSC port must be a whole number from 1 to 65535, got ${port}`);
    }
    const socket = createSocket({ type: host.includes(":") ? "udp6" : "udp4" });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        // Connected: the kernel passes on only datagrams from that host and port.
        socket.connect(port, host, () => {
          socket.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      socket.close();
      throw new Error(`cannot reach ${host}:${port}: ${errorText(error)}`);
    }
    return new Connection(socket, host, port);
  }

  async ask(phrase: string, timeoutMs: number): Promise<OscReply> {
    if (phrase.includes("\0")) {
      return { ok: false, text: "line contains a NUL character, which OSC cannot carry" };
    }
    const bytes = encodeOscMessage(SAY_ADDRESS, [{ type: "s", value: phrase }]);
    if (bytes.length > MAX_DATAGRAM_BYTES) return { ok: false, text: "line too long to send" };
    if (this.#failed !== undefined) throw this.#failed;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await new Promise<OscReply>((resolve, reject) => {
        this.#waiting = resolve;
        timer = setTimeout(() => {
          this.#waiting = undefined;
          reject(new NoChronusError(this.host, this.port));
        }, timeoutMs);
        this.#socket.send(bytes, (error) => {
          if (error) {
            this.#waiting = undefined;
            reject(new Error(`cannot send to ${this.host}:${this.port}: ${errorText(error)}`));
          }
        });
      });
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

async function withConnection<T>(
  options: SendOptions,
  use: (connection: Connection, timeoutMs: number) => Promise<T>,
): Promise<T> {
  const connection = await Connection.open(
    options.host ?? DEFAULT_OSC_HOST,
    options.port ?? DEFAULT_OSC_PORT,
  );
  try {
    return await use(connection, options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
  } finally {
    await connection.close();
  }
}

/**
 * Send one phrase to a running Chronus and wait for its reply. Rejects with
 * {@linkcode NoChronusError} when no reply comes within the timeout.
 *
 * @example
 * ```ts ignore
 * import { sendPhrase } from "./osc_client.ts";
 * const reply = await sendPhrase("/mod/sine/freq 440", { port: 57120 });
 * console.log(reply); // { ok: true, text: "sine freq 440 Hz" }
 * ```
 */
export async function sendPhrase(phrase: string, options: SendOptions = {}): Promise<OscReply> {
  return await withConnection(
    options,
    (connection, timeoutMs) => connection.ask(phrase, timeoutMs),
  );
}

/**
 * The lines the terminal would print for `reply`: `ok  <text>` or
 * `error  <text>`, then its detail lines; nothing for an `ok` with empty
 * text (a blank line or a comment).
 */
export function replyLines(reply: OscReply): string[] {
  if (reply.ok && reply.text === "") return [];
  const [first = "", ...rest] = reply.text.split("\n");
  const details = rest.map((line) => line.startsWith(DETAIL_PREFIX) ? line : DETAIL_PREFIX + line);
  return [(reply.ok ? OK_PREFIX : ERROR_PREFIX) + first, ...details];
}

/** Options of {@linkcode sendLines}. */
export interface SendLinesOptions extends SendOptions {
  /** Prints one output line (no newline). */
  readonly write: (line: string) => void;
}

/** Counts of a finished {@linkcode sendLines}. */
export interface SendLinesResult {
  /** Lines read and sent. */
  readonly lines: number;
  /** Lines answered with `error`, plus one if the input or the connection failed. */
  readonly failures: number;
  /** False when a reply did not come in time (the rest of the input was not sent). */
  readonly reached: boolean;
}

/**
 * Send each line of `lines` in order, waiting for each reply and printing it
 * through `write` ({@linkcode replyLines}). Stops at the first timeout,
 * printing `error  no Chronus listening on …`. Never throws, except what
 * `write` throws.
 *
 * @example
 * ```ts ignore
 * import { sendLines } from "./osc_client.ts";
 * import { linesFromReadable } from "./line_input.ts";
 * const result = await sendLines(linesFromReadable(Deno.stdin.readable), {
 *   write: (line) => console.log(line),
 * });
 * Deno.exit(result.failures > 0 ? 1 : 0);
 * ```
 */
export async function sendLines(
  lines: AsyncIterable<string>,
  options: SendLinesOptions,
): Promise<SendLinesResult> {
  let count = 0;
  let failures = 0;
  let connection: Connection | undefined;
  try {
    connection = await Connection.open(
      options.host ?? DEFAULT_OSC_HOST,
      options.port ?? DEFAULT_OSC_PORT,
    );
  } catch (error) {
    options.write(ERROR_PREFIX + errorText(error));
    return { lines: 0, failures: 1, reached: false };
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  let iterator: AsyncIterator<string> | undefined;
  try {
    iterator = lines[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<string>;
      try {
        next = await iterator.next();
      } catch (error) {
        iterator = undefined; // a failed input is not closed again
        options.write(`${ERROR_PREFIX}input failed: ${errorText(error)}`);
        return { lines: count, failures: failures + 1, reached: true };
      }
      if (next.done === true) {
        iterator = undefined;
        return { lines: count, failures, reached: true };
      }
      count++;
      let reply: OscReply;
      try {
        reply = await connection.ask(String(next.value), timeoutMs);
      } catch (error) {
        options.write(ERROR_PREFIX + errorText(error));
        return {
          lines: count,
          failures: failures + 1,
          reached: !(error instanceof NoChronusError),
        };
      }
      if (!reply.ok) failures++;
      for (const out of replyLines(reply)) options.write(out);
    }
  } finally {
    await closeQuietly(iterator);
    await connection.close();
  }
}

async function closeQuietly(iterator: AsyncIterator<string> | undefined): Promise<void> {
  try {
    await iterator?.return?.();
  } catch {
    // Nothing is left to report to.
  }
}

/** Where {@linkcode runSendCommand} reads and prints; defaults are stdin, stdout and stderr. */
export interface SendIo {
  /** Lines of standard input, for `send -`. */
  readonly readLines?: () => AsyncIterable<string>;
  /** Prints one answer line to standard output. */
  readonly write?: (line: string) => void;
  /** Prints one message to standard error. */
  readonly error?: (line: string) => void;
}

/** Usage of `chronus send`. */
export const SEND_USAGE = `usage:
  chronus send "<phrase>" [--osc-host H] [--osc-port P] [--timeout MS]
  chronus send - [options]      one phrase per line from stdin

Sends each phrase to a running Chronus and prints its answer: ok  … or error  …
Exit status: 0 all ok, 1 some phrase answered error, 2 usage error, 3 no Chronus answered.`;

/** Exit status of `chronus send` when no Chronus answered in time. */
export const EXIT_NO_CHRONUS = 3;

function portArgument(text: string | undefined): number | string {
  if (text === undefined) return DEFAULT_OSC_PORT;
  const value = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  return value >= 1 && value <= 65535
    ? value
    : `--osc-port must be a whole number from 1 to 65535, got ${JSON.stringify(text)}`;
}

function timeoutArgument(text: string | undefined): number | string {
  if (text === undefined) return DEFAULT_SEND_TIMEOUT_MS;
  const value = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  return value >= 1 && value <= 600000
    ? value
    : `--timeout must be milliseconds from 1 to 600000, got ${JSON.stringify(text)}`;
}

/**
 * Run `chronus send …` with `args` (the words after `send`) and return the
 * exit status: 0 when every phrase answered `ok`, 1 when one answered
 * `error`, 2 for a usage error, {@linkcode EXIT_NO_CHRONUS} (3) when no
 * Chronus answered in time. Several words are joined with spaces into one
 * phrase (`chronus send /mod/sine/freq 440`); `-` alone reads phrases from
 * stdin, one a line. Answers go to `io.write`, usage errors to `io.error`.
 *
 * @example
 * ```ts ignore
 * import { runSendCommand } from "./osc_client.ts";
 * Deno.exit(await runSendCommand(["/status", "--osc-port", "57120"]));
 * ```
 */
export async function runSendCommand(args: readonly string[], io: SendIo = {}): Promise<number> {
  const encoder = new TextEncoder();
  const write = io.write ?? ((line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n")));
  const error = io.error ?? ((line: string) => console.error(line));
  const readLines = io.readLines ?? (() => linesFromReadable(Deno.stdin.readable));
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        "osc-host": { type: "string" },
        "osc-port": { type: "string" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (problem) {
    error(`chronus send: ${errorText(problem)} (see chronus send --help)`);
    return 2;
  }
  if (values.help === true) {
    write(SEND_USAGE);
    return 0;
  }
  const port = portArgument(values["osc-port"]);
  const timeoutMs = timeoutArgument(values.timeout);
  const problem = typeof port === "string"
    ? port
    : typeof timeoutMs === "string"
    ? timeoutMs
    : positionals.length === 0
    ? 'say what to send: chronus send "<phrase>", or chronus send - to read phrases from stdin'
    : undefined;
  if (problem !== undefined || typeof port === "string" || typeof timeoutMs === "string") {
    error(`chronus send: ${problem} (see chronus send --help)`);
    return 2;
  }
  const host = values["osc-host"] ?? DEFAULT_OSC_HOST;
  const fromStdin = positionals.length === 1 && positionals[0] === "-";
  const lines = fromStdin ? readLines() : single(positionals.join(" "));
  const result = await sendLines(lines, { host, port, timeoutMs, write });
  if (!result.reached) return EXIT_NO_CHRONUS;
  return result.failures > 0 ? 1 : 0;
}

async function* single(phrase: string): AsyncGenerator<string, void, undefined> {
  yield phrase;
}
