/**
 * A quick CPU memory-bandwidth probe for auto's speed floor: copy a buffer larger than the CPU
 * caches a few times and take the fastest run, counting each byte read and written. One thread, so
 * it is a floor for what the model's threads read (multi-threaded inference reads faster); ~0.1 s,
 * run once per machine and cached by the caller.
 */
const MiB = 1024 * 1024;

export function measureCopyBandwidth(sizeBytes = 128 * MiB, runs = 4): number {
  const from = Buffer.alloc(sizeBytes, 1);
  const to = Buffer.alloc(sizeBytes);
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    from.copy(to);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return (2 * sizeBytes) / Math.max(best, 1e-6);
}
