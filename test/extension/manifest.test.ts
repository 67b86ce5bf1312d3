import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { COMMAND_TITLES, COMMANDS, CONFIG_SECTION, CONTEXT, PANEL_VIEW_TYPE } from '../../src/extension/ids.js';
import { DEFAULT_SETTINGS, SETTING_KEYS } from '../../src/extension/settings.js';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: boolean | string } };
  contributes: {
    commands: { command: string; title: string; category: string; enablement?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, { type: string | string[]; enum?: string[]; default: unknown }> };
  };
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
  icon: string;
};

describe('package.json agrees with the code', () => {
  test('every command of ids.ts is contributed, in category AutoDist, with its title', () => {
    const ids = Object.values(COMMANDS).sort();
    assert.deepEqual(pkg.contributes.commands.map((c) => c.command).sort(), ids);
    for (const c of pkg.contributes.commands) {
      assert.equal(c.category, 'AutoDist');
      assert.equal(c.title, COMMAND_TITLES[c.command as keyof typeof COMMAND_TITLES]);
    }
    const menuCommands = Object.values(pkg.contributes.menus).flat().map((m) => m.command);
    for (const m of menuCommands) assert.ok(ids.includes(m as never), m);
    const stop = pkg.contributes.menus.commandPalette.find((m) => m.command === COMMANDS.stop);
    assert.equal(stop?.when, CONTEXT.running);
  });

  test('the settings are the ones settings.ts reads, with the same defaults', () => {
    const props = pkg.contributes.configuration.properties;
    assert.deepEqual(Object.keys(props).sort(), SETTING_KEYS.map((k) => `${CONFIG_SECTION}.${k}`).sort());
    assert.deepEqual(props['autodist.backend'].enum, ['wasm', 'cpu']);
    assert.deepEqual(props['autodist.hardware'].enum, ['h100', 'a100', 'h200']);
    assert.deepEqual(props['autodist.algorithm'].enum, ['ring', 'tree']);
    assert.equal(props['autodist.backend'].default, DEFAULT_SETTINGS.backend);
    assert.equal(props['autodist.hardware'].default, DEFAULT_SETTINGS.hardware);
    assert.equal(props['autodist.algorithm'].default, DEFAULT_SETTINGS.algorithm);
    assert.equal(props['autodist.timeLimit'].default, DEFAULT_SETTINGS.timeLimitS);
    assert.equal(props['autodist.memoryLimit'].default, DEFAULT_SETTINGS.memoryLimitGB);
    assert.equal(props['autodist.mesh'].default, '');
  });

  test('lazy activation, workspace trust, the bundle as main, VS Code 1.90', () => {
    assert.equal(pkg.main, './dist/extension.js');
    assert.equal(pkg.engines.vscode, '^1.90.0');
    assert.ok(!pkg.activationEvents.includes('*') && !pkg.activationEvents.includes('onStartupFinished'));
    assert.deepEqual(pkg.activationEvents.sort(), ['onWebviewPanel:' + PANEL_VIEW_TYPE, 'workspaceContains:**/*.autodist.ts', 'workspaceContains:**/*.autodist.py', 'workspaceContains:**/autodist.d.ts'].sort());
    // never on every Python workspace: no language activation, no glob that any .py matches
    assert.deepEqual(pkg.activationEvents.filter((e) => e.startsWith('onLanguage') || /\*\*\/\*\.py$/.test(e)), []);
    const run = pkg.contributes.menus['editor/title/run'];
    assert.ok(run.every((m) => m.when?.includes(CONTEXT.activeIsScript)));
    assert.notEqual(pkg.capabilities.untrustedWorkspaces.supported, true);
    for (const id of [COMMANDS.simulate, COMMANDS.simulateMeta]) assert.equal(pkg.contributes.commands.find((c) => c.command === id)?.enablement, 'isWorkspaceTrusted');
    assert.equal(pkg.icon, 'media/icon.png');
  });

  test('packaging: vsce without node_modules; the tools pinned exactly', () => {
    assert.match(pkg.scripts.package, /^npm run build && .*\bvsce package --no-dependencies\b/);
    for (const d of ['@vscode/vsce', 'playwright-core']) assert.match(pkg.devDependencies[d] ?? '', /^\d+\.\d+\.\d+$/, d);
  });
});
