'use strict';
/**
 * The V8 flags a hub process runs with (`wasl start`, `wasl worker`): whatever starts one names
 * them — bin/wasl.js's first line, `npm start`, the systemd units, the chaos suite and the
 * benchmarks, and test/deploy.test.ts holds each of them to this list.
 *
 * --max-semi-space-size=64 (MB; V8's default on Node 20 is 16): an order's objects live as long
 * as its ministry call (tens of milliseconds), so under load the young generation filled several
 * times within one order's life and its objects were promoted to the old generation, which is
 * collected by the far dearer mark-and-compact. Measured under bench:e2e's load (profiled, wasl
 * side, docs/performance.md): garbage collection 9.7–10.4 % of the hub's busy time by default,
 * 7.3 % at 32 MB, 6.1–6.3 % at 64 MB (0.35 → 0.21 ms of CPU per order); the cost is memory — up
 * to three semi-spaces, 192 MB at most, of which the hub's peak RSS showed what bench:e2e prints.
 */
module.exports = { HUB_NODE_FLAGS: ['--max-semi-space-size=64'] };
