/**
 * Summaries that hold up on a shared, noisy machine: percentiles of raw samples, and the median
 * (with its interquartile range) of a figure measured over repeated rounds.
 */

/** The q-quantile (0..1) of already sorted numbers, by linear interpolation. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(
    [...values].sort((x, y) => x - y),
    q,
  );
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

export interface Spread {
  /** Median over rounds. */
  median: number;
  /** Interquartile range over rounds (q3 - q1). */
  iqr: number;
  min: number;
  max: number;
  rounds: number;
}

/** A figure measured once per round, summarised across rounds. */
export function spread(perRound: readonly number[]): Spread {
  const sorted = [...perRound].sort((x, y) => x - y);
  return {
    median: quantileSorted(sorted, 0.5),
    iqr: quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    rounds: sorted.length,
  };
}

export interface Latency {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

export function latency(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((x, y) => x - y);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    n: sorted.length,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** Rounds for display: 3 significant decimals below 10, 1 above. */
export function fmt(value: number, unit = ""): string {
  if (!Number.isFinite(value)) return "n/a";
  const abs = Math.abs(value);
  const text = abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(3);
  return `${text}${unit}`;
}

/** "median (IQR x)" for a spread. */
export function fmtSpread(s: Spread, unit = ""): string {
  return `${fmt(s.median, unit)} (IQR ${fmt(s.iqr, unit)}, n=${s.rounds})`;
}
