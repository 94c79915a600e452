/**
 * Phrases of the patch library (patch_store.ts): `save patch <name>`,
 * `load patch <name>`, `list patches`, `delete patch <name>`, each for the
 * focused instrument or the one a `bass:` prefix (or `on bass`) names.
 * Loading is ordinary parameter commands, so it can be undone; saving and
 * deleting change only the files.
 *
 * @module
 */

import { setParam } from "../engine/command.ts";
import { INSTRUMENT_PARAM_SPECS } from "../dsp/instrument.ts";
import { invalid, parsed, type ParseResult } from "./line_parser.ts";
import type { PatchModel, PhraseAction } from "./patch_model.ts";
import { PATCH_PARAMS, type PatchStore, PatchStoreError } from "./patch_store.ts";
import { instrumentTarget, nameOf } from "./phrase_words.ts";

const ID = new Map(INSTRUMENT_PARAM_SPECS.map((s, id) => [s.name, id]));

const LINE =
  /^(?:(?:on\s+)?([a-z][\w-]*)\s*:\s*)?(save|load|delete|remove)\s+patch\s+(\S+)(?:\s+(?:on|to|from)\s+([a-z][\w-]*))?$/;

function action(message: string, specs: PhraseAction["specs"] = []): ParseResult {
  const a: PhraseAction = { kind: "commands", specs, message, ops: [], later: [], spanMs: 0 };
  return parsed(a);
}

/**
 * Read `line` if it is a patch-library phrase: the action, an `invalid`
 * answer naming the problem, or undefined when it is not one.
 */
export function patchLine(
  model: PatchModel,
  store: PatchStore,
  line: string,
): ParseResult | undefined {
  const text = line.trim().replace(/\s+/g, " ").toLowerCase();
  if (/^(?:list|show)\s+patches$/.test(text)) {
    const user = new Set(store.userPatches());
    const names = store.list().map((n) => (user.has(n) ? `${n}*` : n));
    return action(`patches (* yours, in ${store.folder}): ${names.join(" ")}`);
  }
  const m = LINE.exec(text);
  if (m === null) return undefined;
  const [, prefix, verb, name = "", suffix] = m;
  const word = prefix ?? suffix;
  const target = word === undefined ? model.focus : instrumentTarget(word);
  if (target === undefined) {
    return invalid(`"${word}" is not an instrument (lead, bass, pad, keys)`);
  }
  try {
    if (verb === "save") {
      const params: Record<string, number> = {};
      for (const p of PATCH_PARAMS) params[p] = model.param(target, ID.get(p) as number);
      const file = store.save(name, params);
      return action(`${nameOf(target)}: saved as patch ${name} (${file})`);
    }
    if (verb === "load") {
      const patch = store.load(name);
      const specs = PATCH_PARAMS.map((p) =>
        setParam(ID.get(p) as number, patch.params[p] as number, target)
      );
      return action(`${nameOf(target)}: patch ${name}${patch.factory ? " (factory)" : ""}`, specs);
    }
    store.delete(name);
    return action(`patch ${name} deleted`);
  } catch (error) {
    if (error instanceof PatchStoreError) return invalid(error.message);
    throw error;
  }
}
