/**
 * Colors from the VS Code theme (light, dark, high contrast): the `--vscode-*` variables VS Code
 * sets on the page. Canvas and chart colors are read here and re-read when the theme changes.
 */
import { cssVar } from './dom.js';

export interface Palette {
  readonly fg: string;
  readonly muted: string;
  readonly bg: string;
  readonly grid: string;
  readonly border: string;
  readonly compute: string;
  readonly computeBwd: string;
  readonly comm: string;
  readonly wait: string;
  readonly error: string;
  readonly ok: string;
  readonly warn: string;
  readonly focus: string;
  /** Stage colors, in order. */
  readonly stages: readonly string[];
  readonly highContrast: boolean;
}

export function palette(): Palette {
  const blue = cssVar('--vscode-charts-blue', '#3794ff');
  const purple = cssVar('--vscode-charts-purple', '#b180d7');
  const orange = cssVar('--vscode-charts-orange', '#d18616');
  const green = cssVar('--vscode-charts-green', '#89d185');
  const yellow = cssVar('--vscode-charts-yellow', '#cca700');
  const red = cssVar('--vscode-charts-red', '#f14c4c');
  const cls = document.body.classList;
  return {
    fg: cssVar('--vscode-charts-foreground', cssVar('--vscode-foreground', '#cccccc')),
    muted: cssVar('--vscode-descriptionForeground', '#999999'),
    bg: cssVar('--vscode-editor-background', '#1e1e1e'),
    grid: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.35)'),
    border: cssVar('--vscode-panel-border', 'rgba(128,128,128,0.35)'),
    compute: blue,
    computeBwd: purple,
    comm: orange,
    wait: cssVar('--vscode-descriptionForeground', '#999999'),
    error: cssVar('--vscode-errorForeground', red),
    ok: cssVar('--vscode-testing-iconPassed', green),
    warn: cssVar('--vscode-editorWarning-foreground', yellow),
    focus: cssVar('--vscode-focusBorder', blue),
    stages: [blue, orange, green, purple, yellow, red],
    highContrast: cls.contains('vscode-high-contrast') || cls.contains('vscode-high-contrast-light'),
  };
}

/** Calls `fn` when VS Code switches theme (it changes <body>'s class and style). */
export function onThemeChange(fn: () => void): void {
  new MutationObserver(() => fn()).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
}

/** `color` with alpha (works for #rgb, #rrggbb and rgb()/rgba() colors). */
export function withAlpha(color: string, alpha: number): string {
  const c = color.trim();
  if (c.startsWith('#')) {
    const hex = c.length === 4 ? c.slice(1).split('').map((x) => x + x).join('') : c.slice(1, 7);
    const n = parseInt(hex, 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const m = /rgba?\(([^)]+)\)/.exec(c);
  if (m) {
    const [r, g, b] = m[1].split(',').map((x) => x.trim());
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  return c;
}
