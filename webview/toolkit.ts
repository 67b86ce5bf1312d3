/**
 * The one door to the component library (@vscode/webview-ui-toolkit, deprecated upstream): the
 * panel builds its tabs, buttons, text fields, badges and progress ring through these functions
 * only, so moving to its successor (e.g. @vscode-elements/elements) changes this file alone.
 * The components take their colors from VS Code's theme variables. (Badges are plain spans: the
 * toolkit's badge template has a style attribute, which the panel's CSP refuses.)
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDivider,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeProgressRing,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';
import { h, type Child } from './dom.js';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDivider(), vsCodePanels(), vsCodePanelTab(), vsCodePanelView(), vsCodeProgressRing(), vsCodeTextField());
}

export interface Tabs<T extends string> {
  readonly element: HTMLElement;
  /** The content element of a tab. */
  view(id: T): HTMLElement;
  select(id: T): void;
  setBadge(id: T, text: string | null): void;
}

/** Tabs with one content view each; `onChange` fires when the person picks a tab. */
export function tabs<T extends string>(items: readonly { readonly id: T; readonly label: string }[], active: T, onChange: (id: T) => void): Tabs<T> {
  const badges = new Map<T, HTMLElement>();
  const views = new Map<T, HTMLElement>();
  const tabEls = items.map((it) => {
    // not vscode-badge: its template carries a style attribute, which the CSP refuses
    const badge = h('span', { class: 'tab-badge', hidden: true });
    badges.set(it.id, badge);
    return h('vscode-panel-tab', { id: `tab-${it.id}`, 'data-tab': it.id }, it.label, badge);
  });
  const viewEls = items.map((it) => {
    const v = h('vscode-panel-view', { id: `view-${it.id}`, 'data-tab': it.id }, h('section', { class: 'view', 'aria-labelledby': `tab-${it.id}` }));
    views.set(it.id, v.firstElementChild as HTMLElement);
    return v;
  });
  const el = h('vscode-panels', { activeid: `tab-${active}`, 'aria-label': 'AutoDist report' }, tabEls, viewEls) as HTMLElement & { activeid?: string };
  // the component updates its `activeid` property at once and reflects it to the attribute later
  const current = () => (el.activeid ?? el.getAttribute('activeid') ?? '').replace(/^tab-/, '') as T;
  el.addEventListener('change', (e) => {
    if (e.target !== el) return;
    const id = current();
    if (views.has(id)) onChange(id);
  });
  return {
    element: el,
    view: (id) => views.get(id)!,
    select: (id) => {
      if (current() !== id) el.setAttribute('activeid', `tab-${id}`);
    },
    setBadge: (id, text) => {
      const b = badges.get(id);
      if (!b) return;
      b.textContent = text ?? '';
      b.hidden = text === null;
    },
  };
}

export function button(label: Child, onClick: () => void, opts: { readonly appearance?: 'primary' | 'secondary' | 'icon'; readonly title?: string; readonly id?: string } = {}): HTMLElement {
  return h('vscode-button', { appearance: opts.appearance ?? 'secondary', title: opts.title, 'aria-label': opts.title, id: opts.id, onclick: () => onClick() }, label);
}

/** A text field; `onInput` gets its value as the person types. */
export function textField(placeholder: string, value: string, onInput: (v: string) => void, opts: { readonly id?: string; readonly label?: string } = {}): HTMLElement {
  const el = h('vscode-text-field', { placeholder, value, id: opts.id, 'aria-label': opts.label ?? placeholder, size: 40 }) as HTMLElement & { value: string };
  el.addEventListener('input', () => onInput(el.value ?? ''));
  return el;
}

export const divider = (): HTMLElement => h('vscode-divider', { role: 'separator' });
export const progressRing = (): HTMLElement => h('vscode-progress-ring', { 'aria-label': 'running' });
