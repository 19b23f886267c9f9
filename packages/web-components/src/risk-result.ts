import type { RiskBand } from '@cairn/core';
import { css, html, LitElement, nothing, svg } from 'lit';
import { defaultMessages, type WidgetMessages } from './messages.js';
import { type ResultPrediction, resultView } from './result-model.js';
import { bandColor, hostStyles } from './styles.js';

/**
 * `<cairn-risk-result>`: a prediction's probability, risk band (with configurable wording),
 * decision threshold and model version.
 *
 * @csspart result - the whole result
 * @csspart probability - the probability
 * @csspart band - the band label
 * @csspart band-text - the wording for the band
 * @csspart scale - the band scale with the patient's marker
 * @csspart threshold - the threshold sentence
 * @csspart model - the model name and version
 * @cssprop --cairn-band-<id>-color - colour of the band with that id
 */
export class CairnRiskResult extends LitElement {
  static override styles = [
    hostStyles,
    css`
      .result {
        display: grid;
        gap: 0.35em;
      }
      .headline {
        display: flex;
        align-items: baseline;
        gap: 0.6em;
        flex-wrap: wrap;
      }
      .probability {
        font-size: 2.2em;
        font-weight: 700;
        line-height: 1.1;
      }
      .band {
        display: inline-flex;
        align-items: center;
        gap: 0.4em;
        font-weight: 600;
        padding: 0.15em 0.6em;
        border-radius: 999px;
        border: 2px solid var(--_band);
        color: var(--_band);
      }
      .swatch {
        width: 0.7em;
        height: 0.7em;
        border-radius: 50%;
        background: var(--_band);
      }
      svg {
        width: 100%;
        height: 28px;
        display: block;
      }
      .threshold,
      .model {
        color: var(--_muted);
        font-size: 0.9em;
        margin: 0;
      }
    `,
  ];

  static override properties = {
    prediction: { attribute: false },
    riskBands: { attribute: false },
    modelName: { attribute: 'model-name' },
    bandText: { attribute: false },
    messages: { attribute: false },
  };

  /** The prediction (from @cairn/core or the predict API). */
  declare prediction: ResultPrediction | undefined;
  /** The manifest's risk bands, for the scale and the band wording. */
  declare riskBands: readonly RiskBand[] | undefined;
  /** The model's name (the manifest's `name`). */
  declare modelName: string | undefined;
  /** Wording per band id, over the message table's `bands`. */
  declare bandText: Readonly<Record<string, string>> | undefined;
  declare messages: WidgetMessages;

  constructor() {
    super();
    this.prediction = undefined;
    this.riskBands = undefined;
    this.modelName = undefined;
    this.bandText = undefined;
    this.messages = defaultMessages;
  }

  private renderScale(view: ReturnType<typeof resultView>) {
    const x = (p: number) => Math.max(0, Math.min(100, p * 100));
    return svg`${view.segments.map(
      (s) =>
        svg`<rect x="${x(s.from)}%" y="8" width="${Math.max(0, x(s.to) - x(s.from))}%" height="12" style="fill: ${bandColor(s.id, s.index, view.bandCount)}; opacity: 0.35"></rect>`,
    )}
      <rect x="${x(view.probability)}%" y="2" width="3" height="24" transform="translate(-1.5 0)" fill="currentColor"></rect>`;
  }

  protected override render() {
    const m = this.messages;
    if (!this.prediction) return html`<div class="result muted" part="result">${m.noResult}</div>`;
    const view = resultView(
      this.prediction,
      { name: this.modelName, riskBands: this.riskBands },
      { ...m, bands: { ...m.bands, ...this.bandText } },
    );
    const color = bandColor(view.bandId, view.bandIndex, view.bandCount);
    return html`<section class="result" part="result" style="--_band: ${color}" aria-label=${m.resultLabel}>
      <h3>${m.resultLabel}</h3>
      <div class="headline">
        <span class="probability" part="probability"><span class="sr-only">${m.probability}: </span>${view.probabilityText}</span>
        <span class="band" part="band"><span class="swatch" aria-hidden="true"></span><span class="sr-only">${m.riskBand}: </span>${view.bandLabel}</span>
      </div>
      ${view.bandText ? html`<p part="band-text">${view.bandText}</p>` : nothing}
      <svg part="scale" aria-hidden="true" focusable="false">${this.renderScale(view)}</svg>
      <p class="threshold" part="threshold">${view.thresholdText}</p>
      <p class="model" part="model">${view.modelText}</p>
    </section>`;
  }
}

if (!customElements.get('cairn-risk-result')) customElements.define('cairn-risk-result', CairnRiskResult);

declare global {
  interface HTMLElementTagNameMap {
    'cairn-risk-result': CairnRiskResult;
  }
}
