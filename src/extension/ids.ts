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
  /** Points Pylance at the type stubs of AutoDist's torch (workspace settings; only when asked). */
  usePythonStubs: 'autodist.usePythonStubs',
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
  'autodist.usePythonStubs': 'Use Simulated torch for Python Analysis',
};

export const CATEGORY = 'AutoDist';
export const CONFIG_SECTION = 'autodist';
export const PANEL_VIEW_TYPE = 'autodist.report';
export const DIAGNOSTIC_SOURCE = 'AutoDist';

/** Context keys (for `when` clauses in package.json). */
export const CONTEXT = {
  running: 'autodist.running',
  hasReport: 'autodist.hasReport',
  /** The active editor holds a script (a file that imports AutoDist, or a PyTorch file): the editor's Run button. */
  activeIsScript: 'autodist.activeIsScript',
} as const;

/** Languages whose files can be simulation scripts (hints, hovers, CodeLens are offered there). */
export const SCRIPT_LANGUAGES = ['typescript', 'javascript', 'python'] as const;

/** A TypeScript or JavaScript script is a file that imports AutoDist. */
export const SCRIPT_IMPORT = /\bfrom\s+["']autodist["']|\brequire\(\s*["']autodist["']\s*\)/;

/**
 * A Python script is a PyTorch file: it imports torch, carries a `# autodist:` line, or starts a
 * process group or a device mesh.
 */
export const PYTHON_SCRIPT = /^\s*(?:import\s+torch\b|from\s+torch\b)|^\s*#\s*autodist:|\binit_process_group\s*\(|\binit_device_mesh\s*\(/m;

/** Glob for the quick pick of scripts (files are then filtered by SCRIPT_IMPORT / PYTHON_SCRIPT). */
export const SCRIPT_GLOB = '**/*.{ts,mts,cts,js,mjs,cjs,py}';
export const SCRIPT_EXCLUDE = '{**/node_modules/**,**/dist/**,**/out/**,**/.git/**,**/.venv/**,**/venv/**,**/site-packages/**,**/__pycache__/**}';

/** The workspaceState key of the process count a person picked for a Python file. */
export const NPROC_MEMORY_KEY = 'autodist.nprocPerNode';
