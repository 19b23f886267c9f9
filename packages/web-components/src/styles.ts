import { css } from 'lit';

/**
 * Base styles of every element: inherited page styles are reset at the host (`all: initial`
 * leaves custom properties alone), so only `--cairn-*` properties and `::part` style the inside.
 */
export const hostStyles = css`
  :host {
    all: initial;
    display: block;
    box-sizing: border-box;
    font-family: var(--cairn-font-family, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    font-size: var(--cairn-font-size, 15px);
    line-height: 1.45;
    color: var(--cairn-text-color, #1f2328);
    --_muted: var(--cairn-muted-color, #57606a);
    --_border: var(--cairn-border-color, #d0d7de);
    --_surface: var(--cairn-surface-color, #f6f8fa);
    --_background: var(--cairn-background-color, #ffffff);
    --_accent: var(--cairn-accent-color, #0b5cad);
    --_accent-text: var(--cairn-accent-text-color, #ffffff);
    --_error: var(--cairn-error-color, #b42318);
    --_warning: var(--cairn-warning-color, #8a5300);
    --_increase: var(--cairn-increase-color, #c0392b);
    --_decrease: var(--cairn-decrease-color, #1f6fb2);
    --_radius: var(--cairn-radius, 6px);
    --_gap: var(--cairn-spacing, 12px);
    --_focus: var(--cairn-focus-color, #0b5cad);
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  h2,
  h3,
  h4 {
    margin: 0 0 calc(var(--_gap) / 2);
    line-height: 1.25;
  }
  h2 {
    font-size: 1.25em;
  }
  h3 {
    font-size: 1.05em;
  }
  h4 {
    font-size: 0.95em;
  }
  p {
    margin: 0 0 calc(var(--_gap) / 2);
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  .muted {
    color: var(--_muted);
  }
  button {
    font: inherit;
    cursor: pointer;
    border-radius: var(--_radius);
    border: 1px solid var(--_accent);
    padding: 0.45em 1em;
    background: var(--_accent);
    color: var(--_accent-text);
  }
  button.secondary {
    background: transparent;
    color: var(--_accent);
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.6;
  }
  :focus-visible {
    outline: 3px solid var(--_focus);
    outline-offset: 2px;
  }
`;

/** Colour of risk band `index` of `count` (green, amber, red), overridable per band id with `--cairn-band-<id>-color`. */
export function bandColor(id: string, index: number, count: number): string {
  const t = count <= 1 ? 1 : index / (count - 1);
  const fallback = t < 0.34 ? '#1a7f37' : t < 0.67 ? '#9a6700' : '#b42318';
  return `var(--cairn-band-${id.replace(/[^A-Za-z0-9_-]/g, '-')}-color, ${fallback})`;
}
