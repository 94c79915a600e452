import assert from "node:assert/strict";
import { rateLimited, RateLimiter } from "../repl/rate_limit.ts";

Deno.test("RateLimiter: a burst, then the average rate, per source", () => {
  const limiter = new RateLimiter({ perSecond: 10, burst: 3 });
  const a = [0, 0, 0, 0].map(() => limiter.allow("a", 0));
  assert.deepEqual(a, [true, true, true, false], "burst of 3");
  assert.equal(limiter.allow("b", 0), true, "another source has its own bucket");
  assert.equal(limiter.allow("a", 50), false, "half a token after 50 ms at 10/s");
  assert.equal(limiter.allow("a", 100), true, "one token after 100 ms");
  assert.equal(limiter.allow("a", 100), false);
  assert.equal(limiter.allow("a", 10_000), true, "refills up to the burst only");
  assert.equal(limiter.allow("a", 10_000), true);
  assert.equal(limiter.allow("a", 10_000), true);
  assert.equal(limiter.allow("a", 10_000), false);
  assert.equal(limiter.refused, 4);
});

Deno.test("RateLimiter forgets the oldest source beyond maxSources and rejects a bad rate", () => {
  const limiter = new RateLimiter({ perSecond: 1, burst: 1, maxSources: 2 });
  assert.equal(limiter.allow("a", 0), true);
  assert.equal(limiter.allow("a", 0), false);
  limiter.allow("b", 0);
  limiter.allow("c", 0); // evicts "a"
  assert.equal(limiter.allow("a", 0), true, "a fresh bucket for a forgotten source");
  for (const bad of [0, -1, NaN, Infinity]) {
    assert.throws(() => new RateLimiter({ perSecond: bad }), RangeError);
  }
});

Deno.test("rateLimited refuses excess lines before they reach the handler", () => {
  const seen: string[] = [];
  const handle = rateLimited((line, source) => {
    seen.push(`${source} ${line}`);
    return { ok: true, text: line };
  }, new RateLimiter({ perSecond: 2, burst: 2 }));
  const replies = ["a", "b", "c"].map((line) => handle(line, "osc:127.0.0.1:9"));
  assert.deepEqual(seen, ["osc:127.0.0.1:9 a", "osc:127.0.0.1:9 b"]);
  assert.equal(replies[2]?.ok, false);
  assert.equal(
    replies[2]?.text,
    "rate limit: at most 2 lines per second from osc:127.0.0.1:9; line dropped",
  );
});
