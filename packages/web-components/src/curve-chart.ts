import { css } from 'lit';
import type { WidgetMessages } from './messages.js';
import type { CurveData, CurveKind } from './model-card-model.js';

/** The rules of uPlot's stylesheet the curves need (uPlot 1.6, MIT), scoped to the card's shadow root. */
export const uplotStyles = css`
  .uplot,
  .uplot *,
  .uplot *::before,
  .uplot *::after {
    box-sizing: border-box;
  }
  .uplot {
    font-family: inherit;
    line-height: 1.5;
    width: min-content;
  }
  .u-wrap {
    position: relative;
    user-select: none;
  }
  .u-over,
  .u-under {
    position: absolute;
  }
  .u-under {
    overflow: hidden;
  }
  .uplot canvas {
    display: block;
    position: relative;
    width: 100%;
    height: 100%;
  }
  .u-axis {
    position: absolute;
  }
  .u-legend {
    display: none;
  }
  .u-select,
  .u-cursor-x,
  .u-cursor-y,
  .u-cursor-pt {
    display: none;
  }
`;

/** A drawn chart, to be destroyed when the element goes away or redraws. */
export interface DrawnChart {
  destroy(): void;
}

/** Size and colours of a curve chart (concrete colours: the canvas cannot read CSS variables). */
export interface CurveStyle {
  readonly width: number;
  readonly height: number;
  readonly line: string;
  readonly reference: string;
  readonly text: string;
  readonly grid: string;
  readonly font: string;
}

function axes(kind: CurveKind, m: WidgetMessages): [string, string] {
  if (kind === 'roc') return [m.falsePositiveRate, m.truePositiveRate];
  if (kind === 'pr') return [m.recall, m.precision];
  return [m.predicted, m.observed];
}

/** Draws one model-card curve with uPlot, loaded on first use so it stays out of the initial bundle. */
export async function drawCurve(
  target: HTMLElement,
  kind: CurveKind,
  data: CurveData,
  messages: WidgetMessages,
  style: CurveStyle,
): Promise<DrawnChart> {
  const { default: UPlot } = await import('uplot');
  const [xLabel, yLabel] = axes(kind, messages);
  const x = Float64Array.from(data.x);
  const series: Array<Float64Array | Array<number | null>> = [x, Float64Array.from(data.y)];
  // ROC and calibration read against the diagonal (chance, perfect calibration).
  const diagonal = kind !== 'pr';
  if (diagonal) series.push(Array.from(x));
  const axis = {
    stroke: style.text,
    font: style.font,
    labelFont: style.font,
    grid: { stroke: style.grid, width: 1 },
    ticks: { stroke: style.grid, width: 1 },
    values: (_u: unknown, splits: number[]) => splits.map((v) => v.toFixed(1)),
  };
  const chart = new UPlot(
    {
      width: style.width,
      height: style.height,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
      axes: [
        { ...axis, label: xLabel, size: 36, labelSize: 18 },
        { ...axis, label: yLabel, size: 40, labelSize: 18 },
      ],
      series: [
        {},
        { stroke: style.line, width: 2, points: { show: kind === 'calibration', size: 6, fill: style.line } },
        ...(diagonal ? [{ stroke: style.reference, width: 1, dash: [4, 4], points: { show: false } }] : []),
      ],
    },
    series as never,
    target,
  );
  return { destroy: () => chart.destroy() };
}
