import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { CairnModelCard } from '../src/model-card.js';
import { loadDemo } from './demo.js';

const meta: Meta = {
  title: 'Elements/cairn-model-card',
  // Referencing the class keeps its module (and its element definition) in the build.
  component: 'cairn-model-card',
  parameters: { element: CairnModelCard },
  loaders: [async () => ({ demo: await loadDemo() })],
};
export default meta;

type Story = StoryObj;

export const Full: Story = {
  render: (_, { loaded }) => html`<cairn-model-card .manifest=${loaded.demo.bundle.manifest}></cairn-model-card>`,
};

export const WithoutCardOrMetrics: Story = {
  render: (_, { loaded }) =>
    html`<cairn-model-card .manifest=${{ ...loaded.demo.bundle.manifest, modelCard: undefined, metrics: [] }}></cairn-model-card>`,
};
