/**
 * The line parsers Chronus tries, in order: the prototype's address
 * commands (`/mod/...`, `/status`, …), then the instrument, drum and mixer
 * addresses (`/inst/...`, `/drums/...`, `/mix/...`). The phrase parser
 * joins this list when it lands.
 *
 * @module
 */

import { parseAddressLine } from "./address_parser.ts";
import { parseInstrumentLine } from "./instrument_parser.ts";
import { firstParser, type LineParser } from "./line_parser.ts";

/**
 * Every parser of the `chronus` REPL, in the order they are tried. The
 * address parser comes first: when no parser knows a line, its message
 * (with a "did you mean" suggestion) is the one shown.
 */
export const CHRONUS_PARSERS: readonly LineParser[] = [parseAddressLine, parseInstrumentLine];

/**
 * One line parsed the way the `chronus` REPL parses it.
 *
 * @example
 * ```ts
 * import { parseChronusLine } from "./parsers.ts";
 * console.log(parseChronusLine("/inst/lead/note C4").ok); // true
 * ```
 */
export const parseChronusLine: LineParser = firstParser(CHRONUS_PARSERS);
