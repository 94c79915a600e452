/**
 * The line command layer of Chronus: text in, command structs and status out.
 *
 * A line is parsed by the first {@linkcode LineParser} that recognises it
 * ({@linkcode CHRONUS_PARSERS}: the prototype's address commands,
 * {@linkcode parseAddressLine}, then the instrument, drum and mixer addresses,
 * {@linkcode parseInstrumentLine}; the phrase parser plugs in beside them), then {@linkcode runLineSession} acts on
 * an `EngineControl` and answers each command with one
 * `ok  …` or `error  …` line. Nothing here knows about FFI or workers.
 *
 * @example
 * ```ts ignore
 * import { CHRONUS_PARSERS, linesFromReadable, runLineSession } from "./mod.ts";
 * await runLineSession({
 *   engine,
 *   parsers: CHRONUS_PARSERS,
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
export * from "./instrument_parser.ts";
export * from "./parsers.ts";
export * from "./osc_codec.ts";
export * from "./osc_server.ts";
export * from "./osc_client.ts";
export * from "./osc_scope.ts";
export * from "./monitor.ts";
export * from "./signals.ts";
export * from "./patch_model.ts";
export * from "./phrase_parser.ts";
export * from "./phrase_vocabulary.ts";
export * from "./conductor.ts";
export * from "./completion.ts";
export * from "./rate_limit.ts";
export * from "./agent_guard.ts";
