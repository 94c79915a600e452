/**
 * Pattern mini-notation (the TidalCycles/Strudel idea, our own reading of
 * it): a line of steps that share one cycle (one bar) equally, read into
 * timed events.
 *
 * | syntax        | meaning                                                    |
 * |---------------|------------------------------------------------------------|
 * | `a b c d`     | four steps, each a quarter of the cycle                    |
 * | `~`           | a rest                                                     |
 * | `_`           | holds the step before one step longer (a tie)              |
 * | `[a b]`       | two steps in the time of one (subdivision)                 |
 * | `a*3`         | `a` three times in the time of one step                    |
 * | `<a b c>`     | one of them per cycle, in turn (alternation)               |
 * | `a, b`        | both at once, each over the whole span (stacking)          |
 * | `a(3,8)`      | `a` on 3 of 8 equal sub-steps, spread evenly (euclidean);  |
 * |               | `a(3,8,2)` rotates the hits 2 sub-steps left               |
 * | `a!`          | accented: velocity 1                                       |
 * | `a^0.4`       | velocity 0.4                                               |
 * | `a?`, `a?0.3` | plays with probability ½ (or 0.3) each time round          |
 *
 * Atoms (`c4`, `eb2`, `kick`, `60`) are not interpreted here: the caller
 * resolves them. A pattern with alternations lasts as many cycles as the
 * least common multiple of their lengths (at most {@linkcode MAX_CYCLES}).
 * Times are in ticks (a cycle is `cycleTicks` long), rounded to whole ticks
 * (exact for any division of a 3840-tick bar by 2, 3, 4, 5, 6, 8, 10, 12,
 * 15, 16, …).
 *
 * @example
 * ```ts
 * import { readPattern } from "./pattern_notation.ts";
 * const p = readPattern("c4 [e4 g4] <b4 a4> ~", 3840);
 * p.cycles; // 2
 * p.events.map((e) => `${e.tick}:${e.atom}`);
 * // ["0:c4", "960:e4", "1440:g4", "1920:b4", "3840:c4", "4800:e4", "5280:g4", "5760:a4"]
 * ```
 *
 * @module
 */

/** Most cycles a pattern may last (its alternations' least common multiple). */
export const MAX_CYCLES = 16;
/** Most events a pattern may hold. */
export const MAX_EVENTS = 1024;
/** Longest pattern text. */
const MAX_TEXT = 2000;
/** Deepest nesting of brackets. */
const MAX_DEPTH = 16;

/** One event of a read pattern. */
export interface PatternEvent {
  /** Start in ticks from the pattern's start. */
  readonly tick: number;
  /** Length in ticks (at least 1). */
  readonly length: number;
  /** The atom as written (lower case). */
  readonly atom: string;
  /** Velocity set by `!` or `^v`, if any. */
  readonly velocity?: number;
  /** Probability of playing set by `?`, if any. */
  readonly chance?: number;
}

/** A read pattern: its length in cycles and its events by start tick. */
export interface Pattern {
  /** Cycles before it repeats. */
  readonly cycles: number;
  /** Events, by start tick (stacked ones in the order written). */
  readonly events: readonly PatternEvent[];
  /** Steps of the top-level sequence (for messages). */
  readonly steps: number;
}

/** A pattern that cannot be read, with a message naming the place. */
export class PatternError extends Error {
  /** @param message what is wrong, for the user. */
  constructor(message: string) {
    super(message);
    this.name = "PatternError";
  }
}

type Node =
  | { readonly kind: "atom"; readonly atom: string }
  | { readonly kind: "rest" }
  | { readonly kind: "tie" }
  | { readonly kind: "seq"; readonly steps: readonly Node[] }
  | { readonly kind: "stack"; readonly layers: readonly Node[] }
  | { readonly kind: "alt"; readonly choices: readonly Node[] }
  | { readonly kind: "repeat"; readonly node: Node; readonly times: number }
  | {
    readonly kind: "shape";
    readonly node: Node;
    readonly velocity: number | undefined;
    readonly chance: number | undefined;
  }
  | {
    readonly kind: "euclid";
    readonly node: Node;
    readonly hits: number;
    readonly steps: number;
    readonly rotate: number;
  };

const ATOM = /^[a-z0-9#.\-]+$/;

/** Tokens: brackets, separators, `~`, `_`, `*n`, `(k,n[,r])` and atoms. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if ("[]<>,~_".includes(c)) {
      tokens.push(c);
      i++;
    } else if (c === "!") {
      tokens.push("!");
      i++;
    } else if (c === "?" || c === "^") {
      const m = (c === "?" ? /^\?(\d*\.?\d+)?/ : /^\^(\d*\.?\d+)/).exec(text.slice(i));
      if (m === null) throw new PatternError(`"^" needs a velocity 0..1 after it, at ${i + 1}`);
      tokens.push(m[0]);
      i += m[0].length;
    } else if (c === "*") {
      const m = /^\*(\d+)/.exec(text.slice(i));
      if (m === null) throw new PatternError(`"*" needs a whole number after it, at ${i + 1}`);
      tokens.push(m[0]);
      i += m[0].length;
    } else if (c === "(") {
      const m = /^\(\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\)/.exec(text.slice(i));
      if (m === null) {
        throw new PatternError(`"(" starts a euclidean rhythm like (3,8), at ${i + 1}`);
      }
      tokens.push(m[0].replace(/\s/g, ""));
      i += m[0].length;
    } else {
      const m = /^[^\s\[\]<>,~_*()!?^]+/.exec(text.slice(i));
      const word = (m?.[0] ?? c).toLowerCase();
      if (!ATOM.test(word)) throw new PatternError(`"${word}" is not a note, drum or number`);
      tokens.push(word);
      i += word.length;
    }
  }
  return tokens;
}

/** Recursive-descent reader over the tokens. */
class Reader {
  #at = 0;
  readonly #tokens: readonly string[];

  constructor(tokens: readonly string[]) {
    this.#tokens = tokens;
  }

  get done(): boolean {
    return this.#at >= this.#tokens.length;
  }

  peek(): string | undefined {
    return this.#tokens[this.#at];
  }

  next(): string | undefined {
    return this.#tokens[this.#at++];
  }

  /** A stack (layers separated by `,`) of sequences, up to `close` (or the end). */
  stack(close: string | undefined, depth: number): Node {
    if (depth > MAX_DEPTH) throw new PatternError(`brackets nest deeper than ${MAX_DEPTH}`);
    const layers: Node[] = [this.seq(close, depth)];
    while (this.peek() === ",") {
      this.next();
      layers.push(this.seq(close, depth));
    }
    return layers.length === 1 ? layers[0] as Node : { kind: "stack", layers };
  }

  /** Steps up to `,`, `close` or the end. */
  seq(close: string | undefined, depth: number): Node {
    const steps: Node[] = [];
    for (;;) {
      const t = this.peek();
      if (t === undefined) {
        if (close !== undefined) throw new PatternError(`"${close}" missing at the end`);
        break;
      }
      if (t === "," || t === close) break;
      if (t === "]" || t === ">") throw new PatternError(`"${t}" without its opening bracket`);
      steps.push(this.step(depth));
    }
    if (steps.length === 0) throw new PatternError("an empty sequence: put ~ for a rest");
    if (steps[0]?.kind === "tie") throw new PatternError(`"_" must follow a step`);
    return steps.length === 1 ? steps[0] as Node : { kind: "seq", steps };
  }

  /** A term and its modifiers. */
  step(depth: number): Node {
    let node = this.term(depth);
    for (;;) {
      const t = this.peek();
      if (t?.startsWith("*") === true) {
        this.next();
        const times = Number(t.slice(1));
        if (!(times >= 1 && times <= 64)) throw new PatternError(`${t}: repeat 1 to 64 times`);
        node = { kind: "repeat", node, times };
      } else if (t === "!" || t?.startsWith("^") === true || t?.startsWith("?") === true) {
        this.next();
        const velocity = t === "!" ? 1 : t.startsWith("^") ? Number(t.slice(1)) : undefined;
        const chance = t.startsWith("?") ? (t.length > 1 ? Number(t.slice(1)) : 0.5) : undefined;
        if (velocity !== undefined && !(velocity > 0 && velocity <= 1)) {
          throw new PatternError(`${t}: a velocity above 0, at most 1`);
        }
        if (chance !== undefined && !(chance > 0 && chance <= 1)) {
          throw new PatternError(`${t}: a probability above 0, at most 1`);
        }
        node = { kind: "shape", node, velocity, chance };
      } else if (t?.startsWith("(") === true) {
        this.next();
        const [hits = NaN, steps = NaN, rotate = 0] = t.slice(1, -1).split(",").map(Number);
        if (!(steps >= 1 && steps <= 64 && hits >= 0 && hits <= steps)) {
          throw new PatternError(`${t}: hits must be 0..steps and steps 1..64`);
        }
        node = { kind: "euclid", node, hits, steps, rotate };
      } else {
        return node;
      }
    }
  }

  term(depth: number): Node {
    const t = this.next();
    if (t === "~") return { kind: "rest" };
    if (t === "_") return { kind: "tie" };
    if (t === "[") {
      const inner = this.stack("]", depth + 1);
      this.next();
      return inner;
    }
    if (t === "<") {
      const inner = this.seq(">", depth + 1);
      this.next();
      const choices = inner.kind === "seq" ? inner.steps : [inner];
      if (choices.some((c) => c.kind === "tie")) throw new PatternError(`"_" inside < >`);
      return { kind: "alt", choices };
    }
    if (t === undefined) throw new PatternError("the pattern ends too early");
    if (/^[*(!?^]/.test(t)) throw new PatternError(`"${t}" must follow a step`);
    return { kind: "atom", atom: t };
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Cycles before `node` repeats: the least common multiple of its alternations. */
function cyclesOf(node: Node): number {
  switch (node.kind) {
    case "atom":
    case "rest":
    case "tie":
      return 1;
    case "seq":
      return node.steps.reduce((l, s) => lcm(l, cyclesOf(s)), 1);
    case "stack":
      return node.layers.reduce((l, s) => lcm(l, cyclesOf(s)), 1);
    case "alt": {
      // A choice comes round every n cycles: its own cycles count n times as long.
      const inner = node.choices.reduce((l, s) => lcm(l, cyclesOf(s)), 1);
      return lcm(node.choices.length * inner, 1);
    }
    case "repeat":
    case "euclid":
    case "shape":
      return cyclesOf(node.node);
  }
}

function lcm(a: number, b: number): number {
  const l = (a / gcd(a, b)) * b;
  if (l > MAX_CYCLES) {
    throw new PatternError(`its alternations repeat only after ${l} cycles; at most ${MAX_CYCLES}`);
  }
  return l;
}

/**
 * Hits of a euclidean rhythm: `hits` spread as evenly as they go over
 * `steps`, the first on step 0 (step i is a hit when i·hits mod steps <
 * hits: (3,8) is x..x..x.), then rotated left by `rotate` steps.
 *
 * @example
 * ```ts
 * import { euclid } from "./pattern_notation.ts";
 * euclid(3, 8).map((h) => (h ? "x" : ".")).join(""); // "x..x..x."
 * ```
 */
export function euclid(hits: number, steps: number, rotate = 0): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < steps; i++) out.push((i * hits) % steps < hits);
  const r = ((rotate % steps) + steps) % steps;
  return [...out.slice(r), ...out.slice(0, r)];
}

/** Mutable event while reading (ties lengthen it). */
interface Draft {
  tick: number;
  end: number;
  atom: string;
  velocity: number | undefined;
  chance: number | undefined;
}

/**
 * Events of `node` over [start, end) in cycle `cycle`, appended to `out`;
 * returns its tail: the events that end where the node ends (what a `_`
 * after it lengthens).
 */
function emit(node: Node, start: number, end: number, cycle: number, out: Draft[]): Draft[] {
  switch (node.kind) {
    case "atom": {
      const d: Draft = {
        tick: start,
        end,
        atom: node.atom,
        velocity: undefined,
        chance: undefined,
      };
      out.push(d);
      return [d];
    }
    case "rest":
    case "tie":
      return [];
    case "seq": {
      const n = node.steps.length;
      let tail: Draft[] = [];
      node.steps.forEach((step, i) => {
        const a = start + ((end - start) * i) / n;
        const b = start + ((end - start) * (i + 1)) / n;
        if (step.kind === "tie") {
          for (const d of tail) d.end = b;
          return;
        }
        tail = emit(step, a, b, cycle, out);
      });
      return tail;
    }
    case "stack":
      return node.layers.flatMap((layer) => emit(layer, start, end, cycle, out));
    case "alt": {
      const choice = node.choices[cycle % node.choices.length] as Node;
      return emit(choice, start, end, Math.floor(cycle / node.choices.length), out);
    }
    case "repeat": {
      let tail: Draft[] = [];
      for (let i = 0; i < node.times; i++) {
        const a = start + ((end - start) * i) / node.times;
        const b = start + ((end - start) * (i + 1)) / node.times;
        tail = emit(node.node, a, b, cycle * node.times + i, out);
      }
      return tail;
    }
    case "shape": {
      const first = out.length;
      const tail = emit(node.node, start, end, cycle, out);
      for (let i = first; i < out.length; i++) {
        const d = out[i] as Draft;
        if (node.velocity !== undefined) d.velocity = node.velocity;
        if (node.chance !== undefined) d.chance = node.chance;
      }
      return tail;
    }
    case "euclid": {
      let tail: Draft[] = [];
      const hits = euclid(node.hits, node.steps, node.rotate);
      hits.forEach((hit, i) => {
        const a = start + ((end - start) * i) / node.steps;
        const b = start + ((end - start) * (i + 1)) / node.steps;
        tail = hit ? emit(node.node, a, b, cycle, out) : [];
      });
      return tail;
    }
  }
}

/**
 * Read `text` into events, one cycle `cycleTicks` long.
 * @throws {PatternError} with a one-line message for anything it cannot read.
 */
export function readPattern(text: string, cycleTicks: number): Pattern {
  if (text.length > MAX_TEXT) throw new PatternError(`a pattern of at most ${MAX_TEXT} characters`);
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new PatternError("an empty pattern");
  const reader = new Reader(tokens);
  const root = reader.stack(undefined, 0);
  if (!reader.done) throw new PatternError(`"${reader.peek()}" without its opening bracket`);
  const cycles = cyclesOf(root);
  const drafts: Draft[] = [];
  for (let c = 0; c < cycles; c++) {
    emit(root, c * cycleTicks, (c + 1) * cycleTicks, c, drafts);
    if (drafts.length > MAX_EVENTS) throw new PatternError(`more than ${MAX_EVENTS} events`);
  }
  const events = drafts.map((d) => {
    const tick = Math.round(d.tick);
    return {
      tick,
      length: Math.max(1, Math.round(d.end) - tick),
      atom: d.atom,
      ...(d.velocity === undefined ? {} : { velocity: d.velocity }),
      ...(d.chance === undefined ? {} : { chance: d.chance }),
    };
  });
  // Stable sort by start: stacked events keep the order written.
  const order = events.map((e, i) => [e, i] as const).sort((a, b) =>
    a[0].tick - b[0].tick || a[1] - b[1]
  );
  const steps = root.kind === "seq" ? root.steps.length : 1;
  return { cycles, events: order.map(([e]) => e), steps };
}
