/**
 * The line parsers Chronus tries, in order: the prototype's address
 * commands (`/mod/...`, `/status`, …), then the instrument, drum and mixer
 * addresses (`/inst/...`, `/drums/...`, `/mix/...`). The phrase parser
 * joins this list when it lands.
 *
 * @module
 */

import type { PatchStore } from "./patch_store.ts";
import { parseAddressLine } from "./address_parser.ts";
import { parseInstrumentLine } from "./instrument_parser.ts";
import { firstParser, type LineParser } from "./line_parser.ts";
import type { PatchModel } from "./patch_model.ts";
import { createPhraseParser } from "./phrase_parser.ts";

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

/**
 * The full list the REPL, piped scripts and OSC use: {@linkcode CHRONUS_PARSERS},
 * then phrases read against `model`, with `source`'s own undo history. The
 * phrase parser comes last, so its "did you mean" answers only lines no
 * address parser knows.
 *
 * @example
 * ```ts
 * import { firstParser } from "./line_parser.ts";
 * import { PatchModel } from "./patch_model.ts";
 * import { phraseParsers } from "./parsers.ts";
 * const parse = firstParser(phraseParsers(new PatchModel(), "local"));
 * console.log(parse("play a C minor chord").ok); // true
 * ```
 */
export function phraseParsers(
  model: PatchModel,
  source: string,
  patches?: PatchStore,
): LineParser[] {
  return [
    ...CHRONUS_PARSERS,
    createPhraseParser(model, patches === undefined ? { source } : { source, patches }),
  ];
}
