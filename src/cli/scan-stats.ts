/**
 * `scan --stats`: the scan's telemetry on stderr, two lines:
 *
 *     sseredact: stats: 4998 files scanned, 2 skipped (binary), 0 not scanned; 209715200 bytes in 3.20 s: 65.5 MB/s, 1562 files/s; 3 findings
 *     sseredact: stats: 2 workers, peak queue 32; worker 1: ready in 0.21 s, 2500 files, busy 3.01 s (94%); worker 2: ready in 0.22 s, 2500 files, busy 2.98 s (93%), 1 restart
 *
 * The second line reads `on the main thread` when the input was too small for workers.
 * Utilisation is a worker slot's busy time (measured in the worker) over the pool's lifetime; the
 * time to ready is its first worker's start (loading the rule set), not counted as busy.
 */
import type { ScanTotals } from '../pipeline/scan.js';

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function scanStatsText(totals: ScanTotals): string {
  const seconds = totals.elapsedMs / 1000;
  const perSecond = (amount: number): number => (seconds > 0 ? amount / seconds : 0);
  const scanned =
    `sseredact: stats: ${plural(totals.files, 'file')} scanned, ${totals.binaryFiles} skipped (binary), ${totals.failedFiles} not scanned; ` +
    `${totals.bytes} bytes in ${seconds.toFixed(2)} s: ${(perSecond(totals.bytes) / 1e6).toFixed(1)} MB/s, ${perSecond(totals.files + totals.binaryFiles).toFixed(0)} files/s; ` +
    `${plural(totals.findings, 'finding')}\n`;
  const { pool } = totals;
  if (pool === null) return `${scanned}sseredact: stats: on the main thread (no workers for a small input, or --jobs 1)\n`;
  const workers = pool.workers.map((worker, index) => {
    const utilisation = pool.elapsedMs > 0 ? Math.round((100 * worker.busyMs) / pool.elapsedMs) : 0;
    const restarts = worker.restarts > 0 ? `, ${plural(worker.restarts, 'restart')}` : '';
    const ready = worker.startMs === null ? 'never ready' : `ready in ${(worker.startMs / 1000).toFixed(2)} s`;
    return `worker ${index + 1}: ${ready}, ${plural(worker.tasks, 'file')}, busy ${(worker.busyMs / 1000).toFixed(2)} s (${utilisation}%)${restarts}`;
  });
  return `${scanned}sseredact: stats: ${plural(pool.workers.length, 'worker')}, peak queue ${pool.peakQueue}; ${workers.join('; ')}\n`;
}
