import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { CairnPredictionWidget } from '../src/prediction-widget.js';
import { demoBundleUrl, demoData, demoFonts } from './demo.js';

const meta: Meta = {
  title: 'Widget/cairn-prediction-widget',
  // Referencing the class keeps its module (and its element definition) in the build.
  component: 'cairn-prediction-widget',
  parameters: { element: CairnPredictionWidget, layout: 'fullscreen' },
};
export default meta;

type Story = StoryObj;

const widget = (attrs: { bundleUrl?: string; patient?: unknown; fhirResources?: unknown; asOf?: string; fetch?: typeof fetch }) =>
  html`<div style="padding: 16px; max-width: 1100px">
    <cairn-prediction-widget
      bundle-url=${attrs.bundleUrl ?? ''}
      .patient=${attrs.patient}
      .fhirResources=${attrs.fhirResources}
      as-of=${attrs.asOf ?? ''}
      .fonts=${demoFonts}
      .fetch=${attrs.fetch}
    ></cairn-prediction-widget>
  </div>`;

/** No bundle-url or endpoint yet. */
export const Empty: Story = { render: () => widget({}) };

/** The bundle is still downloading (this fetch never answers). */
export const Loading: Story = {
  render: () => widget({ bundleUrl: demoBundleUrl, fetch: (() => new Promise<Response>(() => undefined)) as typeof fetch }),
};

/** The bundle URL answers 404. */
export const ErrorMissingBundle: Story = { render: () => widget({ bundleUrl: '/no-such-bundle.cairn' }) };

/** A form waiting for the clinician. */
export const ReadyForInput: Story = { render: () => widget({ bundleUrl: demoBundleUrl }) };

export const LowRisk: Story = { render: () => widget({ bundleUrl: demoBundleUrl, patient: demoData.patients.low }) };
export const MediumRisk: Story = { render: () => widget({ bundleUrl: demoBundleUrl, patient: demoData.patients.medium }) };
export const HighRisk: Story = { render: () => widget({ bundleUrl: demoBundleUrl, patient: demoData.patients.high }) };

/** A FHIR record that gives five of thirteen features: the panel says what is missing and the form waits. */
export const MissingFhirData: Story = {
  render: () => widget({ bundleUrl: demoBundleUrl, fhirResources: demoData.fhirBundle, asOf: demoData.asOf }),
};
