import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { CairnContributions } from './contributions.js';
import type { SubmitDetail } from './events.js';
import type { SmartLaunchConfig } from './fhir/smart-launch.js';
import { defaultMessages, mergeMessages, type WidgetMessages } from './messages.js';
import { CairnModelCard } from './model-card.js';
import { type PageEnvironment, PredictionController, type WidgetConfig } from './prediction-controller.js';
import { type ReportFontUrls, reportFontUrls } from './report-fonts.js';
import { CairnRiskForm } from './risk-form.js';
import { CairnRiskResult } from './risk-result.js';
import { hostStyles } from './styles.js';

const FORM_PARTS = 'form, field, label, input, select, hint, error: field-error, warning, summary, submit, reset';
const RESULT_PARTS = 'result, probability, band, band-text, scale, threshold, model';
const CHART_PARTS = 'chart, svg, bar-raises, bar-lowers, caption';
const CARD_PARTS = 'card, section, metrics, curve';

function fontsFrom(base: string | undefined): ReportFontUrls | undefined {
  return base ? reportFontUrls(base) : undefined;
}

function parseJson(text: string | null | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `<cairn-prediction-widget>`: the embeddable risk calculator. Loads a `.cairn` bundle and runs it
 * with onnxruntime-web in the page (`bundle-url`), or calls a Cairn server (`endpoint` + `model-id`);
 * takes the patient as JSON (`patient`) or from FHIR (`fhir-server`, `patient-id`, `access-token`, or a
 * SMART launch with `smart-client-id`); shows the form, result, factor chart and model card, and builds
 * the PDF report in the page.
 *
 * @fires cairn-prediction - detail {@link PredictionDetail}
 * @fires cairn-error - detail {@link ErrorDetail}
 * @csspart container - the widget's box
 * @csspart header - model name and version
 * @csspart status - loading and progress messages
 * @csspart error - the error message
 * @csspart patient-data - the data read from the FHIR record, and what is missing
 * @csspart download - the PDF button
 * @csspart about - the model card's disclosure
 */
export class CairnPredictionWidget extends LitElement {
  /**
   * The elements the widget renders. Referencing them (rather than importing the modules for their
   * side effects) keeps them in bundles that drop side-effect-only imports of this package.
   */
  static readonly elements = {
    'cairn-risk-form': CairnRiskForm,
    'cairn-risk-result': CairnRiskResult,
    'cairn-contributions': CairnContributions,
    'cairn-model-card': CairnModelCard,
  };

  /** Page-wide defaults for widgets that do not set `wasm-base-url` or `fonts-base-url`. */
  static defaults: { wasmBaseUrl?: string | undefined; fontsBaseUrl?: string | undefined } = {};

  static override styles = [
    hostStyles,
    css`
      .container {
        display: grid;
        gap: var(--_gap);
        padding: var(--_gap);
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        background: var(--_background);
      }
      header {
        display: flex;
        align-items: baseline;
        gap: 0.6em;
        flex-wrap: wrap;
      }
      header h2 {
        margin: 0;
      }
      .layout {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 22em), 1fr));
        gap: calc(var(--_gap) * 1.5);
        align-items: start;
      }
      .column {
        display: grid;
        gap: var(--_gap);
        min-width: 0;
      }
      .status {
        color: var(--_muted);
      }
      .status:empty {
        display: none;
      }
      .error {
        border-left: 4px solid var(--_error);
        background: var(--_surface);
        padding: 0.5em 0.8em;
      }
      .error strong {
        color: var(--_error);
      }
      .error p {
        margin: 0.2em 0 0;
        overflow-wrap: anywhere;
      }
      .patient-data {
        background: var(--_surface);
        border-radius: var(--_radius);
        padding: 0.6em 0.8em;
        font-size: 0.92em;
      }
      .patient-data ul {
        margin: 0 0 0.4em;
        padding-left: 1.2em;
      }
      .missing li {
        color: var(--_warning);
      }
      .narrative {
        margin: 0;
      }
      details summary {
        cursor: pointer;
        font-weight: 600;
        padding: 0.2em 0;
      }
      details[open] summary {
        margin-bottom: var(--_gap);
      }
    `,
  ];

  static override properties = {
    bundleUrl: { attribute: 'bundle-url' },
    endpoint: {},
    modelId: { attribute: 'model-id' },
    wasmBaseUrl: { attribute: 'wasm-base-url' },
    fontsBaseUrl: { attribute: 'fonts-base-url' },
    patientJson: { attribute: 'patient' },
    patient: { attribute: false },
    fhirServer: { attribute: 'fhir-server' },
    patientId: { attribute: 'patient-id' },
    accessToken: { attribute: 'access-token' },
    asOf: { attribute: 'as-of' },
    smartClientId: { attribute: 'smart-client-id' },
    smartScope: { attribute: 'smart-scope' },
    smartRedirectUri: { attribute: 'smart-redirect-uri' },
    smartIss: { attribute: 'smart-iss' },
    institution: {},
    topN: { type: Number, attribute: 'top-n' },
    fhirResources: { attribute: false },
    fhirMapping: { attribute: false },
    fonts: { attribute: false },
    headers: { attribute: false },
    fetch: { attribute: false },
    messages: { attribute: false },
    aboutOpened: { state: true },
  };

  /** URL of a `.cairn` archive to run in the page. */
  declare bundleUrl: string | undefined;
  /** Base URL of a Cairn server (used when no bundle-url is set). */
  declare endpoint: string | undefined;
  /** The model to call on the server. */
  declare modelId: string | undefined;
  /** Where onnxruntime-web's WASM files are served (`ort.env.wasm.wasmPaths`). */
  declare wasmBaseUrl: string | undefined;
  /** Where DejaVuSans.ttf and DejaVuSans-Bold.ttf are served, for the PDF report. */
  declare fontsBaseUrl: string | undefined;
  /** The patient as JSON text (attribute `patient`). */
  declare patientJson: string | undefined;
  /** The patient as an object of feature values (wins over the attribute). */
  declare patient: Readonly<Record<string, unknown>> | undefined;
  /** FHIR base URL to read the patient from. */
  declare fhirServer: string | undefined;
  declare patientId: string | undefined;
  /** Bearer token for the FHIR server (prefer setting the property to keep it out of the DOM). */
  declare accessToken: string | undefined;
  /** Date the FHIR features are computed for (ISO). @defaultValue now */
  declare asOf: string | undefined;
  /** Enables a SMART App Launch with this client id. */
  declare smartClientId: string | undefined;
  declare smartScope: string | undefined;
  declare smartRedirectUri: string | undefined;
  /** FHIR server of a standalone SMART launch. */
  declare smartIss: string | undefined;
  /** Shown in the report header. */
  declare institution: string | undefined;
  /** Bars of the factor chart before the rest are summed. @defaultValue 8 */
  declare topN: number;
  /** FHIR resources the host already has (a Bundle or an array), instead of a server. */
  declare fhirResources: unknown;
  /** A FHIR mapping overriding the bundle's fhir-mapping.json. */
  declare fhirMapping: unknown;
  /** Report font URLs (wins over fonts-base-url). */
  declare fonts: ReportFontUrls | undefined;
  /** Extra headers for the endpoint's requests (e.g. Authorization). */
  declare headers: Readonly<Record<string, string>> | undefined;
  /** The fetch used for bundles, the endpoint, FHIR and fonts (e.g. to add credentials). @defaultValue globalThis.fetch */
  declare fetch: typeof globalThis.fetch | undefined;
  /** Message table overrides, merged over the English defaults. */
  declare messages: Partial<WidgetMessages> | undefined;

  declare private aboutOpened: boolean;

  /** The widget's logic; exposed for hosts and tests that drive it directly. */
  readonly controller: PredictionController;
  private merged: WidgetMessages = defaultMessages;
  private parsedPatient: Record<string, unknown> | undefined;

  constructor(env?: PageEnvironment) {
    super();
    this.controller = new PredictionController(this, env);
    this.topN = 8;
    this.bundleUrl = undefined;
    this.endpoint = undefined;
    this.modelId = undefined;
    this.wasmBaseUrl = undefined;
    this.fontsBaseUrl = undefined;
    this.patientJson = undefined;
    this.patient = undefined;
    this.fhirServer = undefined;
    this.patientId = undefined;
    this.accessToken = undefined;
    this.asOf = undefined;
    this.smartClientId = undefined;
    this.smartScope = undefined;
    this.smartRedirectUri = undefined;
    this.smartIss = undefined;
    this.institution = undefined;
    this.fhirResources = undefined;
    this.fhirMapping = undefined;
    this.fonts = undefined;
    this.headers = undefined;
    this.fetch = undefined;
    this.messages = undefined;
    this.aboutOpened = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Reconnecting (moving the element) reloads: disconnecting released the model.
    this.requestUpdate('bundleUrl');
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('messages')) this.merged = mergeMessages(this.messages);
    if (changed.has('patientJson')) this.parsedPatient = parseJson(this.patientJson);
    const smart: SmartLaunchConfig | undefined = this.smartClientId
      ? { clientId: this.smartClientId, scope: this.smartScope, redirectUri: this.smartRedirectUri, iss: this.smartIss }
      : undefined;
    const config: WidgetConfig = {
      bundleUrl: this.bundleUrl || undefined,
      endpoint: this.endpoint || undefined,
      modelId: this.modelId || undefined,
      wasmBaseUrl: this.wasmBaseUrl || CairnPredictionWidget.defaults.wasmBaseUrl,
      headers: this.headers,
      patient: this.patient ?? this.parsedPatient,
      fhir:
        this.fhirServer && this.patientId
          ? { serverUrl: this.fhirServer, patientId: this.patientId, accessToken: this.accessToken }
          : undefined,
      fhirResources: this.fhirResources,
      fhirMapping: this.fhirMapping,
      asOf: this.asOf || undefined,
      smart,
      fonts: this.fonts ?? fontsFrom(this.fontsBaseUrl || CairnPredictionWidget.defaults.fontsBaseUrl),
      institution: this.institution,
      messages: this.merged,
      fetch: this.fetch,
    };
    this.controller.configure(config);
  }

  private onSubmit(e: CustomEvent<SubmitDetail>): void {
    e.stopPropagation();
    void this.controller.predict(e.detail.values);
  }

  private onToggleAbout(e: Event): void {
    // The card (and uPlot) is only loaded once someone opens it.
    if ((e.target as HTMLDetailsElement).open) this.aboutOpened = true;
  }

  private onDownload(): void {
    void this.controller.downloadReport();
  }

  private renderPatientData() {
    const data = this.controller.state.patientData;
    if (!data) return nothing;
    const m = this.merged;
    return html`<section class="patient-data" part="patient-data" aria-labelledby="patient-data-title">
      <h3 id="patient-data-title">${m.patientData}</h3>
      ${
        data.used.length
          ? html`<h4>${m.dataUsed}</h4>
            <ul class="used">
              ${data.used.map((r) => html`<li data-feature=${r.feature}><strong>${r.label}</strong>: ${r.text}</li>`)}
            </ul>`
          : nothing
      }
      <h4>${m.dataMissing}</h4>
      ${
        data.missing.length
          ? html`<ul class="missing">
            ${data.missing.map((r) => html`<li data-feature=${r.feature} data-reason=${r.reason}><strong>${r.label}</strong>: ${r.text}</li>`)}
          </ul>`
          : html`<p>${m.noMissingData}</p>`
      }
    </section>`;
  }

  private statusText(): string {
    const { status, busy } = this.controller.state;
    const m = this.merged;
    if (status === 'empty') return m.empty;
    if (status === 'loading') return m.loadingModel;
    if (busy === 'patient') return m.loadingPatient;
    if (busy === 'smart') return m.smartLaunching;
    if (busy === 'predict') return m.predicting;
    if (busy === 'report') return m.preparingPdf;
    return '';
  }

  protected override render() {
    const s = this.controller.state;
    const m = this.merged;
    const manifest = s.engine?.manifest;
    return html`<section class="container" part="container" aria-label=${manifest?.name ?? m.resultLabel} aria-busy=${s.status === 'loading' || s.busy ? 'true' : 'false'}>
      ${
        manifest
          ? html`<header part="header">
            <h2>${manifest.name}</h2>
            <span class="muted">${manifest.version}</span>
          </header>`
          : nothing
      }
      <div class="status" part="status" role="status" aria-live="polite">${this.statusText()}</div>
      ${
        s.error
          ? html`<div class="error" part="error" role="alert" data-stage=${s.error.stage} data-code=${s.error.code}>
            <strong>${m.errors[s.error.stage]}</strong>
            <p>${s.error.message}</p>
          </div>`
          : nothing
      }
      ${
        manifest
          ? html`<div class="layout">
              <div class="column">
                ${this.renderPatientData()}
                <cairn-risk-form
                  exportparts=${FORM_PARTS}
                  .features=${manifest.features}
                  .values=${s.raw}
                  .messages=${m}
                  ?disabled=${s.busy === 'predict'}
                  @cairn-submit=${this.onSubmit}
                ></cairn-risk-form>
              </div>
              <div class="column" aria-live="polite">
                <cairn-risk-result
                  exportparts=${RESULT_PARTS}
                  .prediction=${s.prediction}
                  .riskBands=${manifest.riskBands}
                  model-name=${manifest.name}
                  .messages=${m}
                ></cairn-risk-result>
                ${
                  s.prediction
                    ? html`${
                        s.narrative
                          ? html`<p class="narrative" part="narrative">${
                              // The first sentence repeats the probability shown just above.
                              s.narrative.sentences.slice(1).join(' ')
                            }</p>`
                          : nothing
                      }
                      <cairn-contributions exportparts=${CHART_PARTS} .explanation=${s.explanation} top-n=${this.topN} .messages=${m}></cairn-contributions>
                      <div>
                        <button type="button" part="download" ?disabled=${s.busy === 'report'} @click=${this.onDownload}>${m.downloadPdf}</button>
                      </div>`
                    : nothing
                }
              </div>
            </div>
            <details part="about" @toggle=${this.onToggleAbout}>
              <summary>${m.aboutModel}</summary>
              ${
                this.aboutOpened
                  ? html`<cairn-model-card exportparts=${CARD_PARTS} .manifest=${manifest} .messages=${m}></cairn-model-card>`
                  : nothing
              }
            </details>`
          : nothing
      }
    </section>`;
  }
}

if (!customElements.get('cairn-prediction-widget')) customElements.define('cairn-prediction-widget', CairnPredictionWidget);

declare global {
  interface HTMLElementTagNameMap {
    'cairn-prediction-widget': CairnPredictionWidget;
  }
}
