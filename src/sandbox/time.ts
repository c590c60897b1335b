/** Timestamps as the platform writes them: ISO 8601 with the school's UTC offset. */

export const DAY_MS = 86_400_000;

/** Gulf schools (Riyadh, Doha, Kuwait) run on +03:00; the UAE and Oman on +04:00. */
export const DEFAULT_UTC_OFFSET_MINUTES = 180;

const pad = (n: number) => String(n).padStart(2, "0");

/** e.g. 2026-04-26T10:30:15+03:00 */
export function isoWithOffset(epochMs: number, offsetMinutes = DEFAULT_UTC_OFFSET_MINUTES): string {
  const local = new Date(epochMs + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** YYYY-MM-DD of a UTC epoch. */
export function dateOnly(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Epoch ms of a YYYY-MM-DD date at 00:00 UTC. */
export function epochOfDate(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}
