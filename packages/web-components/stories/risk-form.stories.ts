import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { CairnRiskForm } from '../src/risk-form.js';
import { demoData, loadDemo } from './demo.js';

const meta: Meta = {
  title: 'Elements/cairn-risk-form',
  // Referencing the class keeps its module (and its element definition) in the build.
  component: 'cairn-risk-form',
  parameters: { element: CairnRiskForm },
  loaders: [async () => ({ demo: await loadDemo() })],
};
export default meta;

type Story = StoryObj;

export const Empty: Story = {
  render: (_, { loaded }) => html`<cairn-risk-form .features=${loaded.demo.bundle.manifest.features}></cairn-risk-form>`,
};

export const Prefilled: Story = {
  render: (_, { loaded }) =>
    html`<cairn-risk-form .features=${loaded.demo.bundle.manifest.features} .values=${demoData.patients.medium}></cairn-risk-form>`,
};

export const WithErrorsAndWarnings: Story = {
  render: (_, { loaded }) =>
    html`<cairn-risk-form .features=${loaded.demo.bundle.manifest.features} .values=${{ ...demoData.patients.high, age: 12, trestbps: 210, cp: undefined }}></cairn-risk-form>`,
  play: async ({ canvasElement }) => {
    const form = canvasElement.querySelector('cairn-risk-form') as CairnRiskForm;
    await form.updateComplete;
    form.submit();
  },
};

export const NoFeatures: Story = {
  render: () => html`<cairn-risk-form></cairn-risk-form>`,
};
