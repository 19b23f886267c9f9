import { css, html, LitElement, nothing, svg } from 'lit';
import { type ChartExplanation, type ContributionBar, contributionChart } from './contributions-model.js';
import { defaultMessages, type WidgetMessages } from './messages.js';
import { hostStyles } from './styles.js';

const WIDTH = 560;
const LABEL_WIDTH = 230;
const AMOUNT_SPACE = 50;
const ROW = 28;
const BAR = 18;
const TOP = 6;

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * `<cairn-contributions>`: a horizontal bar chart (SVG) of an explanation: factors raising the risk
 * to the right, lowering it to the left, largest first, the top N and one bar for the others, with
 * a text alternative for screen readers.
 *
 * @csspart chart - the figure
 * @csspart svg - the SVG chart
 * @csspart bar-raises - a bar of a factor raising the risk
 * @csspart bar-lowers - a bar of a factor lowering the risk
 * @csspart caption - the caption under the chart
 * @cssprop --cairn-increase-color - bars raising the risk
 * @cssprop --cairn-decrease-color - bars lowering the risk
 */
export class CairnContributions extends LitElement {
  static override styles = [
    hostStyles,
    css`
      figure {
        margin: 0;
      }
      svg {
        width: 100%;
        height: auto;
        display: block;
        overflow: visible;
      }
      .label {
        fill: currentColor;
        font-size: 14px;
      }
      .value {
        fill: var(--_muted);
        font-size: 13px;
      }
      .amount {
        font-size: 13px;
        fill: currentColor;
      }
      .raises {
        fill: var(--_increase);
      }
      .lowers {
        fill: var(--_decrease);
      }
      .none {
        fill: var(--_border);
      }
      .axis {
        stroke: var(--_muted);
        stroke-width: 1;
      }
      .legend {
        display: flex;
        gap: 1.2em;
        flex-wrap: wrap;
        font-size: 0.85em;
        color: var(--_muted);
        margin: 0.3em 0;
      }
      .key {
        display: inline-block;
        width: 0.8em;
        height: 0.8em;
        border-radius: 2px;
        margin-right: 0.3em;
        vertical-align: -0.05em;
      }
      .key.raises {
        background: var(--_increase);
      }
      .key.lowers {
        background: var(--_decrease);
      }
      figcaption {
        color: var(--_muted);
        font-size: 0.85em;
      }
    `,
  ];

  static override properties = {
    explanation: { attribute: false },
    topN: { type: Number, attribute: 'top-n' },
    messages: { attribute: false },
  };

  /** The explanation (core's Explanation, or the predict API's). */
  declare explanation: ChartExplanation | null | undefined;
  /** Bars shown before the rest are summed as "others". @defaultValue 8 */
  declare topN: number;
  declare messages: WidgetMessages;

  constructor() {
    super();
    this.explanation = undefined;
    this.topN = 8;
    this.messages = defaultMessages;
  }

  private renderBar(bar: ContributionBar, i: number, zero: number, half: number, maxAbs: number) {
    const y = TOP + i * ROW;
    const length = maxAbs > 0 ? (Math.abs(bar.contribution) / maxAbs) * half : 0;
    const x = bar.contribution >= 0 ? zero : zero - length;
    const amountX = bar.contribution >= 0 ? zero + length + 6 : zero - length - 6;
    const anchor = bar.contribution >= 0 ? 'start' : 'end';
    const part = bar.direction === 'lowers' ? 'bar-lowers' : 'bar-raises';
    return svg`<g data-feature=${bar.key}>
      <text class="label" x=${LABEL_WIDTH - 10} y=${y + BAR / 2} dominant-baseline="middle" text-anchor="end">${truncate(bar.label, bar.valueText ? 20 : 30)}${
        bar.valueText ? svg`<tspan class="value"> ${truncate(bar.valueText, 14)}</tspan>` : nothing
      }</text>
      <rect part=${part} class=${bar.direction} x=${x} y=${y} width=${Math.max(length, 1)} height=${BAR} rx="2"></rect>
      <text class="amount" x=${amountX} y=${y + BAR / 2} dominant-baseline="middle" text-anchor=${anchor}>${bar.amountText}</text>
    </g>`;
  }

  protected override render() {
    const m = this.messages;
    const ex = this.explanation;
    if (!ex || ex.contributions.length === 0) {
      return html`<figure part="chart"><h3>${m.contributionsLabel}</h3><p class="muted">${m.noExplanation}</p></figure>`;
    }
    const chart = contributionChart(ex, m, this.topN);
    const height = TOP * 2 + chart.bars.length * ROW;
    const left = LABEL_WIDTH + AMOUNT_SPACE;
    const right = WIDTH - AMOUNT_SPACE;
    const zero = (left + right) / 2;
    const half = (right - left) / 2;
    return html`<figure part="chart">
      <h3 id="title">${m.contributionsLabel}</h3>
      <div class="legend" aria-hidden="true">
        <span><span class="key lowers"></span>${m.lowersRisk}</span><span><span class="key raises"></span>${m.raisesRisk}</span>
      </div>
      <svg part="svg" viewBox="0 0 ${WIDTH} ${height}" aria-hidden="true" focusable="false">
        <line class="axis" x1=${zero} x2=${zero} y1="0" y2=${height}></line>
        ${chart.bars.map((b, i) => this.renderBar(b, i, zero, half, chart.maxAbs))}
      </svg>
      <ul class="sr-only" aria-labelledby="title">
        ${chart.bars.map((b) => html`<li>${b.description}</li>`)}
      </ul>
      ${chart.caption ? html`<figcaption part="caption">${chart.caption}</figcaption>` : nothing}
    </figure>`;
  }
}

if (!customElements.get('cairn-contributions')) customElements.define('cairn-contributions', CairnContributions);

declare global {
  interface HTMLElementTagNameMap {
    'cairn-contributions': CairnContributions;
  }
}
