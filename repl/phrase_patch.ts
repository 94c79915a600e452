/**
 * Phrases of the patch library (patch_store.ts): `save patch <name>`,
 * `load patch <name>`, `list patches`, `delete patch <name>`, each for the
 * focused instrument or the one a `bass:` prefix (or `on bass`) names; and
 * `save session <name>` / `load session <name>` for the whole jam: tempo,
 * every instrument, the drums, the mixer and the running loops, kept as the
 * phrase lines that make them again. Loading is ordinary commands (loops
 * start on the next bar, in time), so it can be undone; saving and deleting
 * change only the files.
 *
 * @module
 */

import { type CommandSpec, setParam } from "../engine/command.ts";
import { INSTRUMENT_PARAM_SPECS } from "../dsp/instrument.ts";
import { firstParser, invalid, parsed, type ParseResult, unknown } from "./line_parser.ts";
import type { PatchModel, PatchOp, PhraseAction } from "./patch_model.ts";
import { parseAddressLine } from "./address_parser.ts";
import { parseInstrumentLine } from "./instrument_parser.ts";
import { patternLine } from "./phrase_pattern.ts";
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
  if (/^(?:list|show) sessions$/.test(text)) {
    const names = store.listSessions();
    return action(
      names.length === 0
        ? `no sessions yet (save session <name>; in ${store.sessionFolder})`
        : `sessions (in ${store.sessionFolder}): ${names.join(" ")}`,
    );
  }
  const session = /^(save|load) session (\S+)$/.exec(text);
  if (session !== null) {
    try {
      return session[1] === "save"
        ? saveSession(model, store, session[2] ?? "")
        : loadSession(model, store, session[2] ?? "");
    } catch (error) {
      if (error instanceof PatchStoreError) return invalid(error.message);
      throw error;
    }
  }
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

/** The phrase lines that bring back what `model` holds: every parameter, then the loops. */
export function sessionLines(model: PatchModel): string[] {
  const json = model.toJSON();
  const lines: string[] = [];
  for (const [name, inst] of Object.entries(json.instruments)) {
    for (const [param, value] of Object.entries(inst.params)) {
      lines.push(`/inst/${name}/${param} ${value}`);
    }
  }
  for (const [param, value] of Object.entries(json.drums.params)) {
    lines.push(`/drums/${param} ${value}`);
  }
  for (const [param, value] of Object.entries(json.mixer)) lines.push(`/mix/${param} ${value}`);
  lines.push(`quantize ${json.quantize === "none" ? "off" : json.quantize}`);
  lines.push(...Object.values(json.patterns));
  return lines;
}

function saveSession(model: PatchModel, store: PatchStore, name: string): ParseResult {
  const lines = sessionLines(model);
  const file = store.saveSession(name, lines);
  const loops = Object.keys(model.toJSON().patterns).length;
  return action(`session ${name} saved: ${lines.length} lines, ${loops} loops (${file})`);
}

/** Every line of session `name` read in order over a copy of `model`; all of them or none. */
function loadSession(model: PatchModel, store: PatchStore, name: string): ParseResult {
  const lines = store.loadSession(name);
  const draft = model.clone();
  const parse = firstParser([
    parseAddressLine,
    parseInstrumentLine,
    (line: string) => patternLine(draft, line) ?? unknown(`not a session line: ${line}`),
  ]);
  const specs: CommandSpec[] = [];
  const ops: PatchOp[] = [];
  for (const [i, line] of lines.entries()) {
    const result = parse(line);
    if (!result.ok) {
      return invalid(`session ${name}, line ${i + 1} ("${line.slice(0, 60)}"): ${result.error}`);
    }
    if (result.action.kind !== "commands") continue;
    specs.push(...result.action.specs);
    const extra = (result.action as Partial<PhraseAction>).ops ?? [];
    ops.push(...extra);
    draft.commit(result.action, "session");
  }
  const loops = ops.filter((op) => op.kind === "pattern").length;
  const a: PhraseAction = {
    kind: "commands",
    specs,
    message: `session ${name}: ${lines.length} lines, ${loops} loops from the next bar`,
    ops,
    later: [],
    spanMs: 0,
  };
  return parsed(a);
}
