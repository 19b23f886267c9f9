import { type Explanation, type Narrative, narrate, type Prediction } from '@cairn/core';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { PredictionEngine } from './engine/types.js';
import { cairnEvent, type ErrorDetail, errorDetail } from './events.js';
import type { FhirContext } from './fhir/read-patient.js';
import type { SmartLaunchConfig } from './fhir/smart-launch.js';
import { type PatientDataSummary, summarizeExtraction } from './fhir/summary.js';
import { createFormValidator, type RawValues, toRawValues, validateForm } from './form-model.js';
import type { ErrorStage, WidgetMessages } from './messages.js';
import type { ReportFontUrls } from './report-fonts.js';

/** Everything the widget is configured with (from its attributes and properties). */
export interface WidgetConfig {
  readonly bundleUrl?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly modelId?: string | undefined;
  readonly wasmBaseUrl?: string | undefined;
  /** Extra headers for the endpoint (e.g. Authorization). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** The patient as JSON features. */
  readonly patient?: Readonly<Record<string, unknown>> | undefined;
  /** A FHIR server, patient and token to read the record from. */
  readonly fhir?: FhirContext | undefined;
  /** FHIR resources the host already has (a Bundle or an array). */
  readonly fhirResources?: unknown;
  /** Overrides the bundle's fhir-mapping.json. */
  readonly fhirMapping?: unknown;
  readonly asOf?: string | undefined;
  readonly smart?: SmartLaunchConfig | undefined;
  readonly fonts?: ReportFontUrls | undefined;
  readonly institution?: string | undefined;
  readonly messages: WidgetMessages;
  /** @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch | undefined;
}

/** What the widget shows. */
export interface WidgetState {
  /** `empty`: nothing configured; `loading`: model loading; `ready`: model loaded; `failed`: the model could not be loaded. */
  readonly status: 'empty' | 'loading' | 'ready' | 'failed';
  /** Work under way once the model is ready. */
  readonly busy: 'patient' | 'predict' | 'report' | 'smart' | undefined;
  readonly engine: PredictionEngine | undefined;
  /** Values for the form, replaced (new object) only when a patient record arrives. */
  readonly raw: RawValues;
  readonly patientData: PatientDataSummary | undefined;
  readonly prediction: Prediction | undefined;
  readonly explanation: Explanation | null;
  readonly narrative: Narrative | undefined;
  readonly error: ErrorDetail | undefined;
}

const INITIAL: WidgetState = {
  status: 'empty',
  busy: undefined,
  engine: undefined,
  raw: {},
  patientData: undefined,
  prediction: undefined,
  explanation: null,
  narrative: undefined,
  error: undefined,
};

function modelKey(c: WidgetConfig): string {
  return JSON.stringify([c.bundleUrl ?? '', c.endpoint ?? '', c.modelId ?? '', c.wasmBaseUrl ?? '', c.headers ?? {}]);
}

/** Side effects the controller needs from the page, injectable for tests. */
export interface PageEnvironment {
  readonly location: () => URL;
  readonly navigate: (url: string) => void;
  readonly storage: () => Storage | undefined;
  readonly replaceUrl: (url: URL) => void;
}

const browserEnvironment: PageEnvironment = {
  location: () => new URL(globalThis.location.href),
  navigate: (url) => globalThis.location.assign(url),
  storage: () => {
    try {
      return globalThis.sessionStorage;
    } catch {
      return undefined;
    }
  },
  replaceUrl: (url) => {
    try {
      globalThis.history.replaceState(globalThis.history.state, '', url.href);
    } catch {
      // Sandboxed iframes may refuse; the URL then keeps the spent code.
    }
  },
};

/**
 * The prediction widget's logic as a Lit reactive controller: loads the model (bundle or endpoint),
 * reads the patient (JSON, FHIR or a SMART launch), predicts, explains and makes the PDF report,
 * emitting `cairn-prediction` and `cairn-error` on the host.
 */
export class PredictionController implements ReactiveController {
  state: WidgetState = INITIAL;
  private config: WidgetConfig | undefined;
  private loadedModel = '';
  private patientInputs: unknown[] = [];
  /** Bumped on every model load; async work of an older generation is dropped. */
  private generation = 0;
  private patientGeneration = 0;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly env: PageEnvironment = browserEnvironment,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.generation++;
    const engine = this.state.engine;
    this.loadedModel = '';
    this.patientInputs = [];
    this.state = INITIAL;
    void engine?.release().catch(() => undefined);
  }

  private set(patch: Partial<WidgetState>): void {
    this.state = { ...this.state, ...patch };
    this.host.requestUpdate();
  }

  private fail(stage: ErrorStage, error: unknown): ErrorDetail {
    const detail = errorDetail(stage, error);
    this.host.dispatchEvent(cairnEvent('cairn-error', detail));
    return detail;
  }

  /** Applies a configuration: reloads the model when its source changed, the patient when the patient changed. */
  configure(config: WidgetConfig): void {
    this.config = config;
    const key = modelKey(config);
    const patientInputs = [
      config.patient,
      config.fhir?.serverUrl,
      config.fhir?.patientId,
      config.fhir?.accessToken,
      config.fhirResources,
      config.fhirMapping,
      config.asOf,
      config.smart?.clientId,
      config.smart?.iss,
    ];
    const patientChanged = patientInputs.some((v, i) => v !== this.patientInputs[i]) || patientInputs.length !== this.patientInputs.length;
    this.patientInputs = patientInputs;
    if (key !== this.loadedModel) {
      this.loadedModel = key;
      void this.loadModel(config);
    } else if (patientChanged && this.state.status === 'ready') {
      void this.loadPatient();
    }
  }

  private async loadModel(config: WidgetConfig): Promise<void> {
    const gen = ++this.generation;
    const previous = this.state.engine;
    void previous?.release().catch(() => undefined);
    if (!config.bundleUrl && !config.endpoint) {
      this.set({ ...INITIAL, status: 'empty' });
      return;
    }
    this.set({ ...INITIAL, status: 'loading' });
    let stage: ErrorStage = config.bundleUrl ? 'bundle' : 'endpoint';
    try {
      let engine: PredictionEngine;
      if (config.bundleUrl) {
        const local = await import('./engine/local-engine.js');
        const bundle = await local.fetchBundle(config.bundleUrl, config.fetch ? { fetch: config.fetch } : {});
        if (gen !== this.generation) return;
        stage = 'model';
        engine = await local.startLocalEngine(bundle, { wasmBaseUrl: config.wasmBaseUrl });
      } else {
        const remote = await import('./engine/remote-engine.js');
        if (!config.modelId) {
          const { CairnError, issue } = await import('@cairn/core');
          throw new CairnError('invalid_argument', 'model-id is required with endpoint', {
            issues: [issue(['model-id'], 'required', 'name the model to call')],
          });
        }
        engine = await remote.startRemoteEngine(config.endpoint as string, config.modelId, {
          ...(config.fetch ? { fetch: config.fetch } : {}),
          ...(config.headers ? { headers: config.headers } : {}),
        });
      }
      if (gen !== this.generation) {
        void engine.release().catch(() => undefined);
        return;
      }
      this.set({ status: 'ready', engine, raw: toRawValues(undefined, engine.manifest.features) });
      await this.loadPatient();
    } catch (error) {
      if (gen !== this.generation) return;
      this.set({ ...INITIAL, status: 'failed', error: this.fail(stage, error) });
    }
  }

  private async loadPatient(): Promise<void> {
    const config = this.config;
    const engine = this.state.engine;
    if (!config || !engine) return;
    const gen = this.generation;
    const pgen = ++this.patientGeneration;
    const stale = () => gen !== this.generation || pgen !== this.patientGeneration;
    const features = engine.manifest.features;
    const cleared = { prediction: undefined, explanation: null, narrative: undefined, patientData: undefined, error: undefined };
    if (config.patient) {
      this.set({ ...cleared, raw: toRawValues(config.patient, features) });
      await this.autoPredict();
      return;
    }
    let fhir = config.fhir;
    if (!fhir && config.fhirResources === undefined && config.smart) {
      this.set({ ...cleared, busy: 'smart' });
      try {
        const { advanceSmartLaunch } = await import('./fhir/smart-launch.js');
        const storage = this.env.storage();
        if (!storage) throw new Error('sessionStorage is not available, so a SMART launch cannot keep its state');
        const location = this.env.location();
        const step = await advanceSmartLaunch(location, storage, config.smart, config.fetch ? { fetch: config.fetch } : undefined);
        if (stale()) return;
        if (step.kind === 'redirect') {
          this.env.navigate(step.url);
          return;
        }
        if (step.kind === 'none') {
          this.set({ busy: undefined });
          return;
        }
        for (const k of ['code', 'state', 'iss', 'launch']) location.searchParams.delete(k);
        this.env.replaceUrl(location);
        if (!step.session.patientId) throw new Error('the SMART launch gave no patient in context');
        fhir = { serverUrl: step.session.fhirBaseUrl, patientId: step.session.patientId, accessToken: step.session.accessToken };
      } catch (error) {
        if (stale()) return;
        this.set({ busy: undefined, error: this.fail('smart', error) });
        return;
      }
    }
    if (!fhir && config.fhirResources === undefined) {
      if (this.state.busy === 'smart') this.set({ busy: undefined });
      return;
    }
    this.set({ ...cleared, busy: 'patient' });
    try {
      const { readPatientFeatures } = await import('./fhir/read-patient.js');
      const mapping = config.fhirMapping ?? engine.fhirMapping;
      const options = { asOf: config.asOf, ...(config.fetch ? { fetch: config.fetch } : {}) };
      const extraction = fhir
        ? await readPatientFeatures({ context: fhir }, mapping, features, options)
        : await readPatientFeatures({ resources: config.fhirResources }, mapping, features, options);
      if (stale()) return;
      this.set({
        busy: undefined,
        raw: toRawValues(extraction.record, features),
        patientData: summarizeExtraction(extraction, features, config.messages),
      });
      await this.autoPredict();
    } catch (error) {
      if (stale()) return;
      this.set({ busy: undefined, error: this.fail('fhir', error) });
    }
  }

  /** Predicts at once when the record given by the host is complete; otherwise the form waits for the user. */
  private async autoPredict(): Promise<void> {
    const engine = this.state.engine;
    if (!engine) return;
    const check = validateForm(createFormValidator(engine.manifest.features), this.state.raw);
    if (check.ok && check.values) await this.predict(check.values);
  }

  /** Scores a validated record and explains it. */
  async predict(values: Readonly<Record<string, unknown>>): Promise<void> {
    const engine = this.state.engine;
    const config = this.config;
    if (!engine || !config) return;
    const gen = this.generation;
    this.set({ busy: 'predict', error: undefined });
    try {
      const { prediction, explanation } = await engine.predict(values);
      if (gen !== this.generation) return;
      let narrative: Narrative | undefined;
      if (explanation) {
        // The narrative reads the probability from the explanation; a server's may lack it.
        narrative = narrate({ ...explanation, probability: prediction.probability }, { messages: config.messages.narrative });
      }
      this.set({ busy: undefined, prediction, explanation, narrative });
      this.host.dispatchEvent(cairnEvent('cairn-prediction', { prediction, explanation, source: engine.source }));
    } catch (error) {
      if (gen !== this.generation) return;
      this.set({ busy: undefined, prediction: undefined, explanation: null, narrative: undefined, error: this.fail('predict', error) });
    }
  }

  /** Builds the PDF report of the current prediction in the page and offers it as a download. */
  async downloadReport(): Promise<Uint8Array | undefined> {
    const { engine, prediction, explanation, narrative } = this.state;
    const config = this.config;
    if (!engine || !prediction || !config) return undefined;
    this.set({ busy: 'report', error: undefined });
    try {
      const fonts = config.fonts;
      if (!fonts) {
        const { CairnError, issue } = await import('@cairn/core');
        throw new CairnError('invalid_argument', 'fonts-base-url is not set, so the report has no fonts to embed', {
          issues: [issue(['fonts-base-url'], 'required', 'serve DejaVuSans.ttf and DejaVuSans-Bold.ttf and point fonts-base-url at them')],
        });
      }
      const report = await import('./report-pdf.js');
      const bytes = await report.createPdfReport(
        { prediction, explanation, manifest: engine.manifest, modelSha256: engine.modelSha256, narrative: narrative?.sentences },
        {
          fonts,
          institution: config.institution,
          messages: config.messages.report,
          language: config.messages.locale,
          ...(config.fetch ? { fetch: config.fetch } : {}),
        },
      );
      report.saveFile(bytes, `${engine.manifest.id}-${engine.manifest.version}-report.pdf`);
      this.set({ busy: undefined });
      return bytes;
    } catch (error) {
      this.set({ busy: undefined, error: this.fail('report', error) });
      return undefined;
    }
  }
}
