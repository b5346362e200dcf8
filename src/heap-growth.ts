// V8's heap growing factor for serve, worker and all (WXGATE_HEAP_GROWING_PERCENT; issue 15, "the
// RSS of serve and worker during the run, growth under 100 MB"). Under a campaign's ingest and
// its 1,000 delivery reports a second, V8 lets the old generation grow by up to 4× between full
// GCs, so RSS rises by 100–160 MB while the retained heap stays ~25 MB. A fixed, smaller factor
// collects sooner; the benchmark's comparison (bench/README.md, "campaign") chose the default.
// Set at runtime rather than as a node flag: `node bin/wxgate.js` is what users run, and
// NODE_OPTIONS does not take this V8 flag. V8 reads the flag at every full GC, so setting it
// before the first allocations of the app is enough.
import { setFlagsFromString } from 'node:v8';

/** 0: leave V8's own (dynamic) factor. */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
