import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { type DrawnChart, drawCurve, uplotStyles } from './curve-chart.js';
import { fill, formatNumber } from './format.js';
import { defaultMessages, type WidgetMessages } from './messages.js';
import { type CardManifest, type CurveKind, type ModelCardView, modelCardView } from './model-card-model.js';
import { hostStyles } from './styles.js';

const KINDS: readonly CurveKind[] = ['roc', 'pr', 'calibration'];

/**
 * `<cairn-model-card>`: a model's intended use, limitations, metrics with intervals, and its ROC,
 * precision–recall and calibration curves (uPlot), from the manifest and its `modelCard`; parts the
 * card lacks are named as absent.
 *
 * @csspart card - the card
 * @csspart section - one section
 * @csspart metrics - the metrics table
 * @csspart curve - one curve's figure
 */
export class CairnModelCard extends LitElement {
  static override styles = [
    hostStyles,
    uplotStyles,
    css`
      .card {
        display: grid;
        gap: var(--_gap);
      }
      ul {
        margin: 0;
        padding-left: 1.2em;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.2em 0.8em;
        margin: 0.4em 0 0;
      }
      dt {
        font-weight: 600;
      }
      dd {
        margin: 0;
      }
      table {
        border-collapse: collapse;
        width: 100%;
        font-size: 0.92em;
      }
      th,
      td {
        text-align: left;
        padding: 0.25em 0.6em 0.25em 0;
        border-bottom: 1px solid var(--_border);
      }
      td.num {
        font-variant-numeric: tabular-nums;
      }
      .curves {
        display: flex;
        flex-wrap: wrap;
        gap: var(--_gap);
      }
      figure {
        margin: 0;
        min-width: 0;
      }
      figcaption {
        font-size: 0.85em;
        color: var(--_muted);
        max-width: 280px;
      }
      .plot {
        min-height: 240px;
        min-width: 280px;
      }
    `,
  ];

  static override properties = {
    manifest: { attribute: false },
    messages: { attribute: false },
  };

  /** The model's manifest (cairn.json, with its `modelCard`). */
  declare manifest: CardManifest | undefined;
  declare messages: WidgetMessages;

  private charts: DrawnChart[] = [];
  private view: ModelCardView | undefined;
  private drawing = 0;

  constructor() {
    super();
    this.manifest = undefined;
    this.messages = defaultMessages;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.clearCharts();
  }

  private clearCharts(): void {
    this.drawing++;
    for (const c of this.charts) c.destroy();
    this.charts = [];
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('manifest') || changed.has('messages'))
      this.view = this.manifest ? modelCardView(this.manifest, this.messages) : undefined;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('manifest') || changed.has('messages')) void this.drawCharts();
  }

  private async drawCharts(): Promise<void> {
    this.clearCharts();
    const view = this.view;
    if (!view) return;
    const token = this.drawing;
    const cs = getComputedStyle(this);
    const read = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
    const style = {
      width: 280,
      height: 240,
      line: read('--cairn-accent-color', '#0b5cad'),
      reference: read('--cairn-muted-color', '#57606a'),
      text: read('--cairn-text-color', '#1f2328'),
      grid: read('--cairn-border-color', '#d0d7de'),
      font: `12px ${cs.fontFamily || 'sans-serif'}`,
    };
    for (const kind of KINDS) {
      const data = view.curves[kind];
      const target = this.renderRoot.querySelector<HTMLElement>(`[data-curve="${kind}"] .plot`);
      if (!data || !target) continue;
      target.replaceChildren();
      const chart = await drawCurve(target, kind, data, this.messages, style);
      if (token !== this.drawing) {
        chart.destroy();
        return;
      }
      this.charts.push(chart);
    }
  }

  private curveTitle(kind: CurveKind): string {
    const m = this.messages;
    return kind === 'roc' ? m.rocCurve : kind === 'pr' ? m.prCurve : m.calibrationCurve;
  }

  private renderCurve(kind: CurveKind, view: ModelCardView) {
    const m = this.messages;
    const title = this.curveTitle(kind);
    const data = view.curves[kind];
    if (!data) return html`<p class="muted" data-absent=${kind}>${fill(m.curveAbsent, { curve: title })}</p>`;
    const summary = kind === 'roc' ? m.rocSummary : kind === 'pr' ? m.prSummary : m.calibrationSummary;
    return html`<figure part="curve" data-curve=${kind}>
      <h4>${title}</h4>
      <div class="plot" role="img" aria-label=${`${title}: ${fill(summary, { points: formatNumber(data.x.length, m.locale) })}`}></div>
      <figcaption>${fill(summary, { points: formatNumber(data.x.length, m.locale) })}</figcaption>
    </figure>`;
  }

  protected override render() {
    const view = this.view;
    const m = this.messages;
    if (!view) return html`<div class="card muted" part="card">${m.modelCardLabel}</div>`;
    return html`<article class="card" part="card" aria-label=${m.modelCardLabel}>
      <header>
        <h3>${view.title}</h3>
        ${view.description ? html`<p>${view.description}</p>` : nothing}
      </header>
      <section part="section">
        <h4>${m.intendedUse}</h4>
        <p>${view.intendedUse}</p>
        ${view.useFacts.length ? html`<dl>${view.useFacts.map((f) => html`<dt>${f.label}</dt><dd>${f.text}</dd>`)}</dl>` : nothing}
      </section>
      <section part="section">
        <h4>${m.limitations}</h4>
        <ul>
          ${view.limitations.map((l) => html`<li>${l}</li>`)}
        </ul>
      </section>
      <section part="section">
        <h4>${m.metrics}</h4>
        ${
          view.metrics.length
            ? html`<table part="metrics">
              <thead>
                <tr>
                  <th scope="col">${m.metricName}</th>
                  <th scope="col">${m.metricValue}</th>
                  <th scope="col">${m.metricInterval}</th>
                  <th scope="col">${m.metricDataset}</th>
                </tr>
              </thead>
              <tbody>
                ${view.metrics.map(
                  (r) => html`<tr>
                    <th scope="row">${r.name}</th>
                    <td class="num">${r.value}</td>
                    <td class="num">${r.interval}</td>
                    <td>${r.dataset}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
            : html`<p class="muted">${m.noMetrics}</p>`
        }
        ${view.trainingData ? html`<p><strong>${m.trainingData}:</strong> ${view.trainingData}</p>` : nothing}
      </section>
      <section part="section">
        <h4>${m.curves}</h4>
        <div class="curves">${KINDS.map((k) => this.renderCurve(k, view))}</div>
      </section>
    </article>`;
  }
}

if (!customElements.get('cairn-model-card')) customElements.define('cairn-model-card', CairnModelCard);

declare global {
  interface HTMLElementTagNameMap {
    'cairn-model-card': CairnModelCard;
  }
}
