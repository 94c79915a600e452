import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { ParseResult } from "../repl/line_parser.ts";
import { PatchModel } from "../repl/patch_model.ts";
import { createPhraseParser } from "../repl/phrase_parser.ts";
import { ACCEPTED, REJECTED } from "./phrase_corpus.ts";

function describe(result: ParseResult): string {
  return result.ok ? JSON.stringify(result.action) : `${result.reason}: ${result.error}`;
}

Deno.test("phrase corpus: at least 300 accepted and 100 rejected phrases", () => {
  assert(ACCEPTED.length >= 300, `only ${ACCEPTED.length} accepted phrases`);
  assert(REJECTED.length >= 100, `only ${REJECTED.length} rejected phrases`);
  assertEquals(new Set(ACCEPTED.map((a) => a.phrase)).size, ACCEPTED.length);
});

Deno.test("phrase corpus: every accepted phrase yields exactly its commands", () => {
  const failures: string[] = [];
  for (const { phrase, specs, later } of ACCEPTED) {
    const model = new PatchModel();
    const result = createPhraseParser(model)(phrase);
    if (!result.ok || result.action.kind !== "commands") {
      failures.push(`${phrase}: ${describe(result)}`);
      continue;
    }
    const got = result.action as { specs: unknown; later?: unknown };
    try {
      assertEquals(got.specs, specs);
      assertEquals(got.later ?? [], later ?? []);
    } catch {
      failures.push(
        `${phrase}: got ${JSON.stringify(got.specs)} later ${JSON.stringify(got.later)}`,
      );
    }
  }
  assertEquals(failures, []);
});

Deno.test("phrase corpus: every rejected phrase is invalid with a helpful message", () => {
  const failures: string[] = [];
  for (const { phrase, mentions } of REJECTED) {
    const result = createPhraseParser(new PatchModel())(phrase);
    if (result.ok || result.reason !== "invalid") {
      failures.push(`${phrase}: ${describe(result)}`);
      continue;
    }
    const missing = mentions.filter((m) => !result.error.includes(m));
    if (missing.length > 0) {
      failures.push(`${phrase}: "${result.error}" lacks ${missing.join(", ")}`);
    }
  }
  assertEquals(failures, []);
});

Deno.test("phrase corpus: every accepted phrase has a short one-line message", () => {
  for (const { phrase } of ACCEPTED) {
    const result = createPhraseParser(new PatchModel())(phrase);
    assert(result.ok && result.action.kind === "commands", phrase);
    const message = result.action.message;
    assert(message.length > 0 && !message.includes("\n"), `${phrase}: ${message}`);
  }
});
