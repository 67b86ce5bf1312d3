/**
 * The `autodist.*` settings, read once per run and checked where they are read (a bad value
 * falls back to the default and is reported, it never reaches the runner).
 */
export type BackendSetting = 'wasm' | 'cpu';
export type HardwareSetting = 'h100' | 'a100' | 'h200';
export type AlgorithmSetting = 'ring' | 'tree';

export interface RunSettings {
  readonly backend: BackendSetting;
  readonly hardware: HardwareSetting;
  /** Overrides the script's mesh when set ("tp=2" → { tp: 2 }). */
  readonly mesh?: Readonly<Record<string, number>>;
  readonly tolerances: { readonly output?: number; readonly grad?: number };
  readonly timeLimitS: number;
  readonly memoryLimitGB: number;
  readonly algorithm: AlgorithmSetting;
  /** Python files: the processes to start (torchrun's --nproc-per-node), when the file does not say. */
  readonly nprocPerNode?: number;
}

export const DEFAULT_SETTINGS: RunSettings = {
  backend: 'wasm',
  hardware: 'h100',
  tolerances: {},
  timeLimitS: 120,
  memoryLimitGB: 4,
  algorithm: 'ring',
};

/** Keys under `autodist.` (package.json's contributes.configuration lists the same). */
export const SETTING_KEYS = ['backend', 'hardware', 'mesh', 'tolerance.output', 'tolerance.grad', 'timeLimit', 'memoryLimit', 'algorithm', 'nprocPerNode'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export const MESH_AXES = ['dp', 'pp', 'tp', 'cp', 'ep'] as const;

/** "tp=2", "dp=2, tp=4", "pp=2 tp=2" → { tp: 2 }, …; "" → undefined. Throws with what to write. */
export function parseMesh(text: string): Readonly<Record<string, number>> | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const mesh: Record<string, number> = {};
  const pair = /([a-z]+)\s*[=:]\s*(\d+)/gi;
  let at = 0;
  for (let m = pair.exec(t); m; m = pair.exec(t)) {
    const between = t.slice(at, m.index);
    if (!/^[\s,;x×]*$/i.test(between) || (at > 0 && !between)) throw new Error(`cannot read "${t.slice(at).trim()}" in the mesh "${text}": write axis=size, e.g. "tp=2" or "dp=2, tp=4"`);
    at = m.index + m[0].length;
    const axis = m[1].toLowerCase();
    if (!(MESH_AXES as readonly string[]).includes(axis)) throw new Error(`unknown mesh axis "${axis}" in "${text}": use ${MESH_AXES.slice(0, 3).join(', ')}`);
    const size = Number(m[2]);
    if (size < 1) throw new Error(`mesh axis ${axis} must be at least 1, got ${size}`);
    if (axis in mesh) throw new Error(`mesh axis ${axis} is given twice in "${text}"`);
    mesh[axis] = size;
  }
  if (at === 0 || t.slice(at).trim()) throw new Error(`cannot read "${t.slice(at).trim()}" in the mesh "${text}": write axis=size, e.g. "tp=2" or "dp=2, tp=4"`);
  return mesh;
}

const oneOf = <T extends string>(v: unknown, allowed: readonly T[], d: T): T => (allowed as readonly unknown[]).includes(v) ? (v as T) : d;
const positive = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : d);
const optPositive = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

const processCount = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 4096 ? v : undefined);

const tolerances = (output: number | undefined, grad: number | undefined): RunSettings['tolerances'] => ({ ...(output !== undefined ? { output } : {}), ...(grad !== undefined ? { grad } : {}) });

/**
 * Settings from a getter (`vscode.workspace.getConfiguration('autodist').get`). Problems (an
 * unreadable mesh) come back as messages for the person; the value falls back to the default.
 */
export function readSettings(get: (key: SettingKey) => unknown): { settings: RunSettings; problems: string[] } {
  const problems: string[] = [];
  let mesh: Readonly<Record<string, number>> | undefined;
  const meshText = get('mesh');
  if (typeof meshText === 'string') {
    try {
      mesh = parseMesh(meshText);
    } catch (e) {
      problems.push(`autodist.mesh: ${(e as Error).message}; using the script's mesh`);
    }
  }
  const nproc = get('nprocPerNode');
  if (nproc !== undefined && nproc !== null && processCount(nproc) === undefined) problems.push(`autodist.nprocPerNode: ${JSON.stringify(nproc)} is not a process count (a whole number from 1 to 4096); asking instead`);
  const nprocPerNode = processCount(nproc);
  const settings: RunSettings = {
    backend: oneOf(get('backend'), ['wasm', 'cpu'], DEFAULT_SETTINGS.backend),
    hardware: oneOf(get('hardware'), ['h100', 'a100', 'h200'], DEFAULT_SETTINGS.hardware),
    ...(mesh ? { mesh } : {}),
    tolerances: tolerances(optPositive(get('tolerance.output')), optPositive(get('tolerance.grad'))),
    timeLimitS: positive(get('timeLimit'), DEFAULT_SETTINGS.timeLimitS),
    memoryLimitGB: positive(get('memoryLimit'), DEFAULT_SETTINGS.memoryLimitGB),
    algorithm: oneOf(get('algorithm'), ['ring', 'tree'], DEFAULT_SETTINGS.algorithm),
    ...(nprocPerNode !== undefined ? { nprocPerNode } : {}),
  };
  return { settings, problems };
}
