import type { Feature, Issue, Validator } from '@cairn/core';
import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { cairnEvent } from './events.js';
import {
  buildFields,
  createFormValidator,
  type FieldModel,
  type FormValidation,
  issueText,
  type RawValues,
  toRawValues,
  validateForm,
} from './form-model.js';
import { defaultMessages, type WidgetMessages } from './messages.js';
import { hostStyles } from './styles.js';

/**
 * `<cairn-risk-form>`: a form generated from a model's features (labels, units, allowed values,
 * limits and plausible ranges) that validates with @cairn/core and emits `cairn-submit` with the
 * validated record.
 *
 * @fires cairn-submit - detail {@link SubmitDetail}: the validated values and warnings
 * @csspart form - the form
 * @csspart field - one field (label, control, hint and messages)
 * @csspart label - a field's label
 * @csspart input - a text input
 * @csspart select - a select
 * @csspart hint - limits and plausible range
 * @csspart error - a field's error message
 * @csspart warning - a field's warning (implausible value, imputed)
 * @csspart summary - the message above the fields after a failed submit
 * @csspart submit - the submit button
 * @csspart reset - the clear button
 */
export class CairnRiskForm extends LitElement {
  static override styles = [
    hostStyles,
    css`
      form {
        display: grid;
        gap: var(--_gap);
      }
      .fields {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 15em), 1fr));
        gap: var(--_gap);
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: 0.2em;
      }
      label {
        font-weight: 600;
      }
      .mark {
        font-weight: 400;
        color: var(--_muted);
        font-size: 0.85em;
      }
      .control {
        display: flex;
        align-items: center;
        gap: 0.4em;
      }
      input,
      select {
        font: inherit;
        color: inherit;
        background: var(--_background);
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        padding: 0.35em 0.5em;
        min-width: 0;
        flex: 1;
      }
      [aria-invalid='true'] {
        border-color: var(--_error);
        border-width: 2px;
      }
      .unit {
        color: var(--_muted);
        white-space: nowrap;
      }
      .hint {
        color: var(--_muted);
        font-size: 0.85em;
      }
      .error {
        color: var(--_error);
        font-size: 0.9em;
      }
      .warning {
        color: var(--_warning);
        font-size: 0.9em;
      }
      .summary {
        border-left: 4px solid var(--_error);
        padding: 0.4em 0.8em;
        background: var(--_surface);
        color: var(--_error);
      }
      .actions {
        display: flex;
        gap: 0.6em;
        flex-wrap: wrap;
      }
    `,
  ];

  static override properties = {
    features: { attribute: false },
    values: { attribute: false },
    messages: { attribute: false },
    disabled: { type: Boolean, reflect: true },
    raw: { state: true },
    touched: { state: true },
    submitted: { state: true },
  };

  /** The model's features (from the bundle's manifest). */
  declare features: readonly Feature[];
  /** A patient record to fill the form with (JSON features or a FHIR extraction's record); replaces what was typed. */
  declare values: Readonly<Record<string, unknown>> | undefined;
  /** Message table (see defaultMessages). */
  declare messages: WidgetMessages;
  /** Disables the submit button (e.g. while a prediction runs). */
  declare disabled: boolean;
  declare private raw: RawValues;
  declare private touched: ReadonlySet<string>;
  declare private submitted: boolean;

  private validator: Validator | undefined;
  private fields: FieldModel[] = [];

  constructor() {
    super();
    this.features = [];
    this.values = undefined;
    this.messages = defaultMessages;
    this.disabled = false;
    this.raw = {};
    this.touched = new Set();
    this.submitted = false;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('features')) {
      this.validator = createFormValidator(this.features);
      this.raw = toRawValues(this.values, this.features);
      this.touched = new Set();
      this.submitted = false;
    } else if (changed.has('values')) {
      this.raw = toRawValues(this.values, this.features);
      // Values from a record are shown checked at once, so gaps are visible before submitting.
      this.touched = new Set(this.features.filter((f) => (this.raw[f.name] ?? '') !== '').map((f) => f.name));
      this.submitted = false;
    }
    if (changed.has('features') || changed.has('messages')) this.fields = buildFields(this.features, this.messages);
  }

  /** The current values as the form holds them (strings). */
  get formValues(): RawValues {
    return this.raw;
  }

  /** Validates what is in the form now. */
  check(): FormValidation | undefined {
    return this.validator ? validateForm(this.validator, this.raw) : undefined;
  }

  /** Validates and, when valid, emits `cairn-submit`; returns whether it did. */
  submit(): boolean {
    const result = this.check();
    this.submitted = true;
    if (!result?.ok || !result.values) {
      void this.updateComplete.then(() => {
        const first = this.fields.find((f) => result?.errors.has(f.name));
        if (first) this.renderRoot.querySelector<HTMLElement>(`#f-${first.name}`)?.focus();
      });
      return false;
    }
    this.dispatchEvent(cairnEvent('cairn-submit', { values: result.values, warnings: result.result.ok ? result.result.warnings : [] }));
    return true;
  }

  private onSubmit(e: Event): void {
    e.preventDefault();
    this.submit();
  }

  private onReset(): void {
    this.raw = toRawValues(undefined, this.features);
    this.touched = new Set();
    this.submitted = false;
  }

  private onInput(name: string, e: Event): void {
    const value = (e.target as HTMLInputElement | HTMLSelectElement).value;
    this.raw = { ...this.raw, [name]: value };
    if (e.type === 'change' && !this.touched.has(name)) this.touched = new Set([...this.touched, name]);
  }

  private onBlur(name: string): void {
    if (!this.touched.has(name)) this.touched = new Set([...this.touched, name]);
  }

  private messagesFor(list: Issue[] | undefined, f: FieldModel): string[] {
    const feature = this.features.find((x) => x.name === f.name);
    return (list ?? []).map((i) => issueText(i, feature, this.raw[f.name], this.messages));
  }

  private renderField(f: FieldModel, result: FormValidation | undefined) {
    const show = this.submitted || this.touched.has(f.name);
    const errors = show ? this.messagesFor(result?.errors.get(f.name), f) : [];
    const warnings = show ? this.messagesFor(result?.warnings.get(f.name), f) : [];
    const id = `f-${f.name}`;
    const describedBy = [
      f.unit ? `${id}-unit` : '',
      f.hint || f.description ? `${id}-hint` : '',
      errors.length ? `${id}-error` : '',
      warnings.length ? `${id}-warning` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const value = this.raw[f.name] ?? '';
    const invalid = errors.length > 0 ? 'true' : 'false';
    const control =
      f.control === 'select'
        ? html`<select
            id=${id}
            part="select"
            name=${f.name}
            aria-invalid=${invalid}
            aria-required=${f.required ? 'true' : 'false'}
            aria-describedby=${describedBy || nothing}
            @change=${(e: Event) => this.onInput(f.name, e)}
            @blur=${() => this.onBlur(f.name)}
          >
            <option value="" ?selected=${value === ''}>${f.required ? this.messages.choose : this.messages.notRecorded}</option>
            ${f.options.map((o) => html`<option value=${o.value} ?selected=${o.value === value}>${o.label}</option>`)}
            ${value !== '' && !f.options.some((o) => o.value === value) ? html`<option value=${value} selected>${value}</option>` : nothing}
          </select>`
        : html`<input
            id=${id}
            part="input"
            name=${f.name}
            type="text"
            inputmode=${f.inputMode ?? nothing}
            autocomplete="off"
            spellcheck="false"
            .value=${value}
            aria-invalid=${invalid}
            aria-required=${f.required ? 'true' : 'false'}
            aria-describedby=${describedBy || nothing}
            @input=${(e: Event) => this.onInput(f.name, e)}
            @change=${(e: Event) => this.onInput(f.name, e)}
            @blur=${() => this.onBlur(f.name)}
          />`;
    return html`<div class="field" part="field" data-feature=${f.name}>
      <label for=${id} part="label"
        >${f.label} <span class="mark">(${f.required ? this.messages.requiredMark : this.messages.optionalMark})</span></label
      >
      <div class="control">${control}${f.unit ? html`<span class="unit" id=${`${id}-unit`}>${f.unit}</span>` : nothing}</div>
      ${
        f.hint || f.description
          ? html`<div class="hint" part="hint" id=${`${id}-hint`}>${[f.description, f.hint].filter(Boolean).join(' · ')}</div>`
          : nothing
      }
      ${errors.length ? html`<div class="error" part="error" id=${`${id}-error`}>${errors.join(' ')}</div>` : nothing}
      ${warnings.length ? html`<div class="warning" part="warning" id=${`${id}-warning`}>${warnings.join(' ')}</div>` : nothing}
    </div>`;
  }

  protected override render() {
    const result = this.check();
    const errorCount = result?.errors.size ?? 0;
    return html`<form part="form" novalidate aria-label=${this.messages.formLabel} @submit=${this.onSubmit}>
      ${
        this.submitted && errorCount > 0
          ? html`<div class="summary" part="summary" role="alert">${this.messages.formErrors(errorCount)}</div>`
          : nothing
      }
      <div class="fields">${this.fields.map((f) => this.renderField(f, result))}</div>
      <div class="actions">
        <button type="submit" part="submit" ?disabled=${this.disabled}>${this.messages.submit}</button>
        <button type="button" part="reset" class="secondary" @click=${this.onReset}>${this.messages.reset}</button>
      </div>
    </form>`;
  }
}

if (!customElements.get('cairn-risk-form')) customElements.define('cairn-risk-form', CairnRiskForm);

declare global {
  interface HTMLElementTagNameMap {
    'cairn-risk-form': CairnRiskForm;
  }
}
