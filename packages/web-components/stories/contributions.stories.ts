import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { CairnContributions } from '../src/contributions.js';
import { demoData, loadDemo } from './demo.js';

const meta: Meta = {
  title: 'Elements/cairn-contributions',
  // Referencing the class keeps its module (and its element definition) in the build.
  component: 'cairn-contributions',
  parameters: { element: CairnContributions },
  loaders: [
    async () => {
      const demo = await loadDemo();
      return { low: await demo.explain(demoData.patients.low), high: await demo.explain(demoData.patients.high) };
    },
  ],
  argTypes: { topN: { control: { type: 'number', min: 1, max: 13 } } },
};
export default meta;

type Story = StoryObj;

export const HighRisk: Story = {
  args: { topN: 8 },
  render: (args, { loaded }) => html`<cairn-contributions .explanation=${loaded.high} top-n=${args.topN}></cairn-contributions>`,
};

export const LowRiskTopThree: Story = {
  args: { topN: 3 },
  render: (args, { loaded }) => html`<cairn-contributions .explanation=${loaded.low} top-n=${args.topN}></cairn-contributions>`,
};

export const Unavailable: Story = {
  render: () => html`<cairn-contributions .explanation=${null}></cairn-contributions>`,
};
