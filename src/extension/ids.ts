/**
 * Every identifier the extension shares with package.json, in one place: command ids, the
 * settings section, the panel's view type, context keys. test/extension/manifest.test.ts checks
 * that package.json contributes exactly these.
 */
export const COMMANDS = {
  simulate: 'autodist.simulate',
  simulateMeta: 'autodist.simulateMeta',
  stop: 'autodist.stop',
  newScript: 'autodist.newScript',
  exportTrace: 'autodist.exportTrace',
  openReport: 'autodist.openReport',
  /** Shows the panel (status bar item, CodeLens). */
  showPanel: 'autodist.showPanel',
  /** Searches the parallel plans of a model on a cluster (the CLI's `autodist plan`). */
  plan: 'autodist.plan',
  /** Runs several scripts one after another and shows them side by side (the Compare tab). */
  compareScripts: 'autodist.compareScripts',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** Titles shown in the Command Palette (category "AutoDist"). */
export const COMMAND_TITLES: Readonly<Record<CommandId, string>> = {
  'autodist.simulate': 'Simulate',
  'autodist.simulateMeta': 'Simulate in Meta Mode',
  'autodist.stop': 'Stop',
  'autodist.newScript': 'New Simulation Script',
  'autodist.exportTrace': 'Export Trace',
  'autodist.openReport': 'Open Report',
  'autodist.showPanel': 'Show Panel',
  'autodist.plan': 'Plan Parallelism',
  'autodist.compareScripts': 'Compare Scripts…',
};

export const CATEGORY = 'AutoDist';
export const CONFIG_SECTION = 'autodist';
export const PANEL_VIEW_TYPE = 'autodist.report';
export const DIAGNOSTIC_SOURCE = 'AutoDist';

/** Context keys (for `when` clauses in package.json). */
export const CONTEXT = {
  running: 'autodist.running',
  hasReport: 'autodist.hasReport',
  /** The active editor holds a script (a file that imports AutoDist): the editor's Run button. */
  activeIsScript: 'autodist.activeIsScript',
} as const;

/** Languages whose files can be simulation scripts (hints, hovers, CodeLens are offered there). */
export const SCRIPT_LANGUAGES = ['typescript', 'javascript'] as const;

/** A script is a file that imports AutoDist. */
export const SCRIPT_IMPORT = /\bfrom\s+["']autodist["']|\brequire\(\s*["']autodist["']\s*\)/;

/** Glob for the quick pick of scripts (files are then filtered by SCRIPT_IMPORT). */
export const SCRIPT_GLOB = '**/*.{ts,mts,cts,js,mjs,cjs}';
export const SCRIPT_EXCLUDE = '{**/node_modules/**,**/dist/**,**/out/**,**/.git/**}';
