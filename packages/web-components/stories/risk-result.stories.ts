import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { CairnRiskResult } from '../src/risk-result.js';
import { demoPrediction, loadDemo } from './demo.js';

const meta: Meta = {
  title: 'Elements/cairn-risk-result',
  // Referencing the class keeps its module (and its element definition) in the build.
  component: 'cairn-risk-result',
  parameters: { element: CairnRiskResult },
  loaders: [async () => ({ demo: await loadDemo() })],
  render: (args, { loaded }) => {
    const m = loaded.demo.bundle.manifest;
    return html`<cairn-risk-result
      .prediction=${args.probability === undefined ? undefined : demoPrediction(loaded.demo.bundle, args.probability)}
      .riskBands=${m.riskBands}
      model-name=${m.name}
      .bandText=${args.bandText}
    ></cairn-risk-result>`;
  },
  argTypes: { probability: { control: { type: 'range', min: 0, max: 1, step: 0.01 } } },
};
export default meta;

type Story = StoryObj;

export const NoResult: Story = { args: { probability: undefined } };
export const LowRisk: Story = { args: { probability: 0.09 } };
export const MediumRisk: Story = { args: { probability: 0.41 } };
export const HighRisk: Story = { args: { probability: 0.93 } };
export const CustomBandWording: Story = {
  args: { probability: 0.41, bandText: { medium: 'Discuss a stress test or CT angiography with the patient.' } },
};
