/**
 * What happens after a line's commands reach the engine: the patch model
 * learns them (so relative phrases and `undo` work), and a phrase's timed
 * commands (`play C4 for 2 beats`, scales, `wait`) are sent when due.
 * `stop`, `panic` and friends cancel whatever is still pending.
 *
 * Timing here is the main thread's timers: good to a few ms, which suits
 * note lengths typed at a prompt. Sample-exact sequencing is the musical
 * time work (a scheduler in the engine).
 *
 * @module
 */

import { Opcode } from "../engine/command.ts";
import type { EngineControl } from "../engine/control.ts";
import { RACK_ALL_TARGETS } from "../dsp/rack.ts";
import type { CommandsAction } from "./line_session.ts";
import { isPhraseAction, type PatchModel } from "./patch_model.ts";

/** Applies accepted actions to the model and plays their timed parts. */
export class Conductor {
  readonly #engine: EngineControl;
  readonly #model: PatchModel;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Timed batches that could not be sent (the engine refused them). */
  failedBatches = 0;

  /** Conduct `engine`, keeping `model` in step. */
  constructor(engine: EngineControl, model: PatchModel) {
    this.#engine = engine;
    this.#model = model;
  }

  /** Timed batches still waiting to be sent. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * The `afterSend` hook for lines from `source` (each source has its own
   * undo history).
   *
   * @example
   * ```ts ignore
   * const conductor = new Conductor(engine, model);
   * await runLineSession({ engine, parsers, input, write, afterSend: conductor.hook("local") });
   * ```
   */
  hook(source: string): (action: CommandsAction) => void {
    return (action) => this.accepted(action, source);
  }

  /** `action` was sent: update the model, cancel on a stop-everything, schedule its timed parts. */
  accepted(action: CommandsAction, source: string): void {
    if (stopsEverything(action)) this.cancel();
    this.#model.commit(action, source);
    if (!isPhraseAction(action)) return;
    for (const batch of action.later) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        try {
          this.#engine.send(batch.specs);
        } catch {
          this.failedBatches++;
        }
      }, batch.afterMs);
      this.#timers.add(timer);
    }
  }

  /** Drop every pending timed batch. */
  cancel(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

/** True for an action that releases every note of every target (stop, silence, panic). */
function stopsEverything(action: CommandsAction): boolean {
  return action.specs.some((spec) =>
    spec.opcode === Opcode.AllNotesOff && (spec.target === RACK_ALL_TARGETS || spec.target === -1)
  );
}

/** How long a script waits after `action` before its next line: the phrase's span. */
export function scriptPace(action: CommandsAction): number {
  return isPhraseAction(action) ? action.spanMs ?? 0 : 0;
}
