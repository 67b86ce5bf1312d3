/**
 * The AutoDist panel (runs in the webview: DOM only). It restores what it showed from the saved
 * state, tells the host it is ready, then follows the host's messages: a run's live events grow
 * the ledger and the timeline, and the final report replaces the live view.
 */
import { isHostMessage, TABS, type HostMessage, type PanelCommand, type TabId } from '../src/protocol.js';
import { h, replace } from './dom.js';
import { basename, fmtPct } from './format.js';
import { apply, collectivesOf, errorsOf, restoreState, type PanelState, type UiState } from './state.js';
import { onThemeChange, palette, type Palette } from './theme.js';
import { button, progressRing, registerToolkit, tabs } from './toolkit.js';
import { connectHost } from './vscode-api.js';
import { CompareView } from './views/compare.js';
import { OverviewView } from './views/overview.js';
import { ShardsView } from './views/shards.js';
import { StagesView } from './views/stages.js';
import { TimelineView } from './views/timeline.js';
import { TrafficView } from './views/traffic.js';
import { VerificationView } from './views/verification.js';
import type { View, ViewContext } from './views/view.js';

const TAB_LABELS: Readonly<Record<TabId, string>> = { overview: 'Overview', stages: 'Stages', shards: 'Shards', traffic: 'Traffic', timeline: 'Timeline', verification: 'Verification', compare: 'Compare' };

function start(): void {
  registerToolkit();
  const host = connectHost<PanelState>();
  const state = restoreState(host.load());
  let colors: Palette = palette();

  let saveTimer: ReturnType<typeof setTimeout> | null = null;
  const save = (now = false) => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = null;
    if (now) host.save(state);
    else saveTimer = setTimeout(() => save(true), 250);
  };

  const ctx: ViewContext = {
    post: (m) => host.post(m),
    setUi: (patch: Partial<UiState>) => {
      state.ui = { ...state.ui, ...patch };
      save();
    },
    palette: () => colors,
  };

  const command = (c: PanelCommand) => () => host.post({ type: 'command', command: c });
  const title = h('h2', { class: 'title' });
  const status = h('span', { class: 'status', role: 'status' });
  const ring = progressRing();
  const stopBtn = button('Stop', command('stop'), { title: 'Stop the simulation', id: 'btn-stop' });
  const actions = h(
    'div',
    { class: 'actions' },
    button('Re-run', command('rerun'), { appearance: 'primary', title: 'Simulate the script again', id: 'btn-rerun' }),
    button('Meta mode', command('rerunMeta'), { title: 'Simulate shapes, bytes and time only', id: 'btn-meta' }),
    stopBtn,
    button('Export trace', command('exportTrace'), { title: 'Save a Perfetto trace of the timeline', id: 'btn-trace' }),
    button('HTML report', command('openHtmlReport'), { title: 'Open the standalone HTML report', id: 'btn-html' }),
  );
  const bar = h('div', { class: 'progress-bar' });
  const progress = h('div', { class: 'progress', 'aria-hidden': 'true' }, bar);

  const views = new Map<TabId, View>();
  const t = tabs(
    TABS.map((id) => ({ id, label: TAB_LABELS[id] })),
    state.ui.tab,
    (id) => {
      state.ui = { ...state.ui, tab: id };
      save(true);
      render(true);
    },
  );
  const viewOf = (id: TabId): View => {
    let v = views.get(id);
    if (v) return v;
    const el = t.view(id);
    switch (id) {
      case 'overview':
        v = new OverviewView(el, ctx);
        break;
      case 'stages':
        v = new StagesView(el, ctx);
        break;
      case 'shards':
        v = new ShardsView(el, ctx, state.ui.shardFilter);
        break;
      case 'traffic':
        v = new TrafficView(el, ctx, state.ui.ledgerFilter);
        break;
      case 'timeline':
        v = new TimelineView(el, ctx);
        break;
      case 'verification':
        v = new VerificationView(el, ctx);
        break;
      case 'compare':
        v = new CompareView(el, ctx);
        break;
    }
    views.set(id, v);
    return v;
  };

  const app = document.getElementById('app')!;
  replace(app, h('header', { class: 'top' }, h('div', { class: 'heading' }, title, ring, status), actions), progress, t.element);

  function renderHeader(): void {
    const s = state;
    title.textContent = s.run ? `AutoDist — ${basename(s.run.script)}` : 'AutoDist';
    const running = s.phase === 'running';
    ring.hidden = !running;
    stopBtn.hidden = !running;
    progress.hidden = !running;
    const pct = s.progress ? s.progress.percent : 0;
    bar.style.width = fmtPct(pct / 100);
    status.className = `status ${s.phase === 'finished' ? s.verdict?.status ?? '' : s.phase}`;
    status.textContent =
      s.phase === 'running'
        ? `${s.run?.mode === 'meta' ? 'meta mode · ' : ''}${s.progress?.stage === 'done' ? 'writing the report…' : (s.progress?.message ?? 'running')}`
        : s.phase === 'failed'
          ? `${s.failure?.reason === 'cancelled' ? 'stopped' : 'failed'}: ${s.failure?.message ?? ''}`
          : s.phase === 'finished'
            ? s.verdict?.text ?? ''
            : 'no run yet';
    const n = collectivesOf(s).length;
    t.setBadge('traffic', n ? String(n) : null);
    const problems = errorsOf(s).length + (s.report?.verification.firstDivergence ? 1 : 0);
    t.setBadge('verification', problems ? String(problems) : null);
  }

  let frame = 0;
  let forceNext = false;
  const drawn = new Map<TabId, number>(); // the state revision each view last drew
  function render(force = false): void {
    forceNext ||= force;
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const f = forceNext;
      forceNext = false;
      renderHeader();
      t.select(state.ui.tab);
      // a view redraws when the state changed since it last drew, or when forced
      if (f || drawn.get(state.ui.tab) !== state.rev) {
        drawn.set(state.ui.tab, state.rev);
        viewOf(state.ui.tab).update(state, f);
      }
    });
  }

  window.addEventListener('message', (e: MessageEvent) => {
    const m: unknown = e.data;
    if (!isHostMessage(m)) return;
    const msg: HostMessage = m;
    apply(state, msg);
    save(msg.type === 'runFinished' || msg.type === 'runFailed' || msg.type === 'runStarted' || msg.type === 'history');
    render(msg.type === 'showTab' || msg.type === 'runStarted' || msg.type === 'runFinished' || msg.type === 'history');
  });
  onThemeChange(() => {
    colors = palette();
    render(true);
  });

  render(true);
  host.post({ type: 'ready', runId: state.phase === 'finished' ? (state.run?.id ?? null) : null });
}

start();
