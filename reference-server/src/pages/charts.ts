import { type Html, html } from './html.js';

const W = 320;
const H = 240;
const PAD = 36;

const fmt = (n: number) => String(Number(n.toFixed(3)));

/** A line chart of points in [0,1]² (ROC, PR, calibration), with axis labels and an optional diagonal. */
export function curveChart(
  title: string,
  points: ReadonlyArray<{ x: number; y: number }>,
  options: { xLabel: string; yLabel: string; diagonal?: boolean; dots?: boolean },
): Html {
  const sx = (x: number) => PAD + x * (W - PAD - 10);
  const sy = (y: number) => H - PAD - y * (H - PAD - 10);
  const path = points
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(sx(p.x))},${fmt(sy(p.y))}`)
    .join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return html`<figure class="chart">
    <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${title}">
      ${ticks.map(
        (t) => html`<line class="grid" x1="${fmt(sx(0))}" x2="${fmt(sx(1))}" y1="${fmt(sy(t))}" y2="${fmt(sy(t))}"/>
        <text class="tick" x="${PAD - 4}" y="${fmt(sy(t) + 3)}" text-anchor="end">${t}</text>
        <text class="tick" x="${fmt(sx(t))}" y="${H - PAD + 14}" text-anchor="middle">${t}</text>`,
      )}
      ${options.diagonal ? html`<line class="diagonal" x1="${fmt(sx(0))}" y1="${fmt(sy(0))}" x2="${fmt(sx(1))}" y2="${fmt(sy(1))}"/>` : ''}
      <path class="curve" d="${path}"/>
      ${options.dots ? points.map((p) => html`<circle class="dot" cx="${fmt(sx(p.x))}" cy="${fmt(sy(p.y))}" r="3"/>`) : ''}
      <text class="axis" x="${fmt(sx(0.5))}" y="${H - 4}" text-anchor="middle">${options.xLabel}</text>
      <text class="axis" transform="translate(10 ${fmt(sy(0.5))}) rotate(-90)" text-anchor="middle">${options.yLabel}</text>
    </svg>
    <figcaption>${title}</figcaption>
  </figure>`;
}

/** Horizontal bars (e.g. mean |SHAP| per feature), largest first. */
export function barChart(title: string, bars: ReadonlyArray<{ label: string; value: number }>, unit = ''): Html {
  const max = Math.max(1e-12, ...bars.map((b) => Math.abs(b.value)));
  return html`<figure class="bars" aria-label="${title}">
    <figcaption>${title}</figcaption>
    <table class="barlist">
      ${bars.map(
        (b) =>
          html`<tr><th scope="row">${b.label}</th><td><span class="bar" style="width:${fmt((Math.abs(b.value) / max) * 100)}%"></span></td><td class="num">${fmt(b.value)}${unit}</td></tr>`,
      )}
    </table>
  </figure>`;
}

/** Vertical bars over time (predictions per hour). */
export function columnChart(title: string, columns: ReadonlyArray<{ label: string; value: number }>): Html {
  const max = Math.max(1, ...columns.map((c) => c.value));
  const w = Math.max(4, Math.min(24, Math.floor((W * 2 - PAD) / Math.max(1, columns.length))));
  const width = PAD + columns.length * w + 10;
  return html`<figure class="chart wide">
    <svg viewBox="0 0 ${Math.max(width, 200)} ${H}" role="img" aria-label="${title}">
      ${columns.map((c, i) => {
        const h = (c.value / max) * (H - PAD - 10);
        return html`<rect class="column" x="${PAD + i * w}" y="${fmt(H - PAD - h)}" width="${w - 2}" height="${fmt(h)}"><title>${c.label}: ${c.value}</title></rect>`;
      })}
      <text class="tick" x="${PAD - 4}" y="14" text-anchor="end">${max}</text>
      <text class="tick" x="${PAD - 4}" y="${H - PAD}" text-anchor="end">0</text>
    </svg>
    <figcaption>${title}</figcaption>
  </figure>`;
}

/** Expected against observed shares per bin (drift), as paired bars. */
export function binBars(bins: ReadonlyArray<{ label: string; expected: number; observed: number }>): Html {
  const pct = (v: number) => fmt(v * 100);
  return html`<table class="bins"><tr><th>bin</th><th>reference</th><th>observed</th></tr>${bins.map(
    (b) =>
      html`<tr><td>${b.label}</td><td><span class="bar ref" style="width:${pct(b.expected)}%"></span> ${pct(b.expected)}%</td><td><span class="bar obs" style="width:${pct(b.observed)}%"></span> ${pct(b.observed)}%</td></tr>`,
  )}</table>`;
}
