/**
 * The line command layer of Chronus: text in, command structs and status out.
 *
 * A line is parsed by the first {@linkcode LineParser} that recognises it
 * (today the prototype's address commands, {@linkcode parseAddressLine}; the
 * phrase parser plugs in beside it), then {@linkcode runLineSession} acts on
 * an `EngineControl` and answers each command with one
 * `ok  …` or `error  …` line. Nothing here knows about FFI or workers.
 *
 * @example
 * ```ts ignore
 * import { linesFromReadable, parseAddressLine, runLineSession } from "./mod.ts";
 * await runLineSession({
 *   engine,
 *   parsers: [parseAddressLine],
 *   input: linesFromReadable(Deno.stdin.readable),
 *   write: (line) => console.log(line),
 * });
 * ```
 *
 * @module
 */

export * from "./line_parser.ts";
export * from "./address_parser.ts";
export * from "./format_status.ts";
export * from "./help.ts";
export * from "./line_session.ts";
export * from "./line_input.ts";
