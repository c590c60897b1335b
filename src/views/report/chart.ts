/** A horizontal bar chart in SVG: one bar per row label. Labels are text nodes, never markup. */
import type { Cell } from "./table-model.js";

const SVG = "http://www.w3.org/2000/svg";
const BAR = 18;
const GAP = 6;
const LABEL_WIDTH = 160;
const WIDTH = 560;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

export function barChart(
  rows: readonly Cell[][],
  label: number,
  value: number,
  title: string,
): SVGSVGElement {
  const max = Math.max(0, ...rows.map((r) => (typeof r[value] === "number" ? (r[value] as number) : 0)));
  const height = rows.length * (BAR + GAP) + GAP;
  const chart = svg("svg", {
    class: "chart",
    viewBox: `0 0 ${WIDTH} ${height}`,
    width: "100%",
    role: "img",
    "aria-label": title,
  });
  const heading = svg("title", {});
  heading.textContent = title;
  chart.append(heading);
  rows.forEach((row, i) => {
    const y = GAP + i * (BAR + GAP);
    const amount = typeof row[value] === "number" ? (row[value] as number) : 0;
    const length = max > 0 ? ((WIDTH - LABEL_WIDTH - 60) * amount) / max : 0;
    const name = svg("text", { x: LABEL_WIDTH - 8, y: y + BAR * 0.72, "text-anchor": "end", class: "label" });
    name.textContent = String(row[label] ?? "");
    const bar = svg("rect", {
      x: LABEL_WIDTH,
      y,
      width: Math.max(length, 1),
      height: BAR,
      rx: 3,
      class: "bar",
    });
    const number = svg("text", { x: LABEL_WIDTH + length + 6, y: y + BAR * 0.72, class: "value" });
    number.textContent = String(amount);
    chart.append(name, bar, number);
  });
  return chart;
}
