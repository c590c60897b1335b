/** The report viewer's logic, without the DOM: which columns are numbers, sorting, CSV (pure). */
export type Cell = string | number | boolean | null;

/** Ids are numbers but not quantities: they are never charted. */
const isIdColumn = (name: string) => name === "id" || name.endsWith("_id");

/** Columns whose every filled cell is a number (right-aligned; the ones not ids can be charted). */
export function numericColumns(columns: readonly string[], rows: readonly Cell[][]): Set<number> {
  const numeric = new Set<number>();
  columns.forEach((_, i) => {
    const cells = rows.map((r) => r[i]).filter((c) => c !== null && c !== undefined);
    if (cells.length > 0 && cells.every((c) => typeof c === "number")) numeric.add(i);
  });
  return numeric;
}

/**
 * What a chart can draw: a label per row and the quantities beside it (`main`, the largest in
 * sum, is drawn first: students rather than sections), or nothing.
 */
export function chartable(
  columns: readonly string[],
  rows: readonly Cell[][],
): { label: number; values: number[]; main: number } | undefined {
  const numeric = numericColumns(columns, rows);
  const values = [...numeric].filter((i) => !isIdColumn(columns[i] ?? ""));
  const label = columns.findIndex((_, i) => !numeric.has(i) && rows.some((r) => typeof r[i] === "string"));
  if (values.length === 0 || label < 0 || rows.length === 0) return undefined;
  const sum = (i: number) => rows.reduce((total: number, r) => total + ((r[i] as number | null) ?? 0), 0);
  const main = values.reduce((best, i) => (sum(i) > sum(best) ? i : best));
  return { label, values, main };
}

export interface SortOrder {
  column: number;
  descending: boolean;
}

/** A sorted copy: numbers by value, text by locale, empty cells last either way. */
export function sortRows(rows: readonly Cell[][], order: SortOrder | undefined): Cell[][] {
  if (!order) return [...rows];
  const sign = order.descending ? -1 : 1;
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  return [...rows].sort((a, b) => {
    const x = a[order.column] ?? null;
    const y = b[order.column] ?? null;
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    if (typeof x === "number" && typeof y === "number") return sign * (x - y);
    return sign * collator.compare(String(x), String(y));
  });
}

export function cellText(cell: Cell | undefined): string {
  return cell === null || cell === undefined ? "" : String(cell);
}

/**
 * RFC 4180 CSV. A text cell a spreadsheet would run as a formula (= + - @ first) is prefixed with
 * an apostrophe: platform text is data, also in a spreadsheet.
 */
export function toCsv(columns: readonly string[], rows: readonly Cell[][]): string {
  const field = (cell: Cell | undefined) => {
    let text = cellText(cell);
    if (typeof cell === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [columns, ...rows].map((row) => row.map(field).join(",")).join("\r\n");
}

/** Tab-separated, for pasting into a spreadsheet (tabs and newlines in cells become spaces). */
export function toTsv(columns: readonly string[], rows: readonly Cell[][]): string {
  const field = (cell: Cell | undefined) => cellText(cell).replace(/[\t\r\n]+/g, " ");
  return [columns, ...rows].map((row) => row.map(field).join("\t")).join("\n");
}
