/**
 * What one phrase builds while its clauses are read ({@linkcode Ctx}), and
 * the three ways a clause adds to it: commands ({@linkcode emit}), patch ops
 * ({@linkcode op}) and message parts ({@linkcode say}).
 *
 * @module
 */

import type { CommandSpec } from "../engine/command.ts";
import { RackTarget } from "../dsp/rack.ts";
import { INSTRUMENT_NAMES } from "./instrument_parser.ts";
import type { PatchModel, PatchOp } from "./patch_model.ts";
import { fail } from "./phrase_errors.ts";

/** Everything a phrase builds while its clauses are read. */
export interface Ctx {
  /** A private copy of the model, updated by every command and op of the phrase. */
  readonly draft: PatchModel;
  /** The rack target the clauses address (the focus, or the instrument the phrase names). */
  target: number;
  /** Time of the next command, in ms after the phrase starts (moved by lengths and `wait`). */
  cursorMs: number;
  /** Scale of relative steps in the current clause (`a bit` < 1 < `much`). */
  amount: number;
  /** Commands to send at once. */
  readonly now: CommandSpec[];
  /** Commands to send later, by their offset in ms. */
  readonly later: Map<number, CommandSpec[]>;
  /** Model changes that are not commands (focus, transpose, velocity, mute, tempo). */
  readonly ops: PatchOp[];
  /** Parts of the answer, each under a label (an instrument, `mix`, or `""`). */
  readonly messages: { readonly label: string; readonly text: string }[];
}

/** A fresh phrase over a private copy of `model`, addressing `target`. */
export function newCtx(model: PatchModel, target: number): Ctx {
  return {
    draft: model.clone(),
    target,
    cursorMs: 0,
    amount: 1,
    now: [],
    later: new Map(),
    ops: [],
    messages: [],
  };
}

/**
 * Add `specs` at `atMs` after the phrase starts (default the time cursor; at once when
 * 0 or less) and apply them to the draft.
 */
export function emit(ctx: Ctx, specs: readonly CommandSpec[], atMs = ctx.cursorMs): void {
  if (specs.length === 0) return;
  if (atMs <= 0) ctx.now.push(...specs);
  else {
    const batch = ctx.later.get(atMs) ?? [];
    batch.push(...specs);
    ctx.later.set(atMs, batch);
  }
  ctx.draft.applyQuietly(specs);
}

/** Add a patch op (focus, transpose, velocity, mute, tempo) and apply it to the draft. */
export function op(ctx: Ctx, patchOp: PatchOp): void {
  ctx.ops.push(patchOp);
  ctx.draft.applyQuietly([], [patchOp]);
}

/** Add `text` to the answer under `label` (an instrument, `mix`, or `""` for none). */
export function say(ctx: Ctx, label: string, text: string): void {
  ctx.messages.push({ label, text });
}

/** The phrase's target, or a failure when it is the drums, which have no `what`. */
export function instrumentOnly(ctx: Ctx, what: string): number {
  if (ctx.target === RackTarget.DrumStrip) {
    fail(`drums have no ${what}; use an instrument: ${INSTRUMENT_NAMES.join(", ")}`);
  }
  return ctx.target;
}
