// V8's heap sizing for the long-running daemon (`sgwatch run`, the container).
//
// After each full collection V8 lets the old generation grow to a multiple of
// what survived it before collecting again; on a host with a few GB of memory
// that multiple reaches 4×. The daemon keeps ~50 MB live at 100,000 rules
// (its state cache) and each baseline, changed or cold-cache cycle leaves
// old-generation garbage, so the heap climbed to ~200 MB of mostly garbage
// before V8 collected it: that, not live data, was the peak RSS.
// `--heap-growing-percent` fixes the multiple at 1 + N/100, so garbage is
// collected at about 1.5× the live heap. Figure 2 measured 1.55× → 0.88–1.07× the
// raw SDK fetch's peak RSS with it, and figure 1's CPU per cycle did not rise
// (full collections of a small heap are cheap; docs/performance.md, "What
// moved the peak"). Unlike --max-old-space-size it is no ceiling: a larger
// estate simply has a larger heap.
import { setFlagsFromString } from "node:v8";

/** How far (percent) the old generation may grow past what survived the last full collection. */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Applies HEAP_GROWING_PERCENT to this process (V8 flags are process-wide,
 * fetch workers included). Node takes this flag only here, not from
 * NODE_OPTIONS; V8 reads it at every full collection, so setting it at
 * start, before the first cycle, is enough.
 */
export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
