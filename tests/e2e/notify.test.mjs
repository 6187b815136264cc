// Being told when a job ends, with the real Claude Code CLI offline against the fake Messages
// API: the plugin (MCP server, monitor, Stop hook) validates and installs from its local
// marketplace; an idle interactive session (in tmux) is woken exactly once when the job it
// started ends, and a second session on the same state dir is not. In the 2026-07-28 era (the
// default) Claude Code follows the job as its MCP task and wakes the session itself, so the
// server's Stop hook and monitor stay silent; with server/discover off (the 2025 era) the
// Stop hook that `claude-jobs register --hooks` installs, or the plugin's monitor, wakes it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startFakeApi } from './fake-anthropic.mjs';
import {
  CLAUDE_BIN,
  E2E_DIR,
  FAKE_CLAUDE_BIN,
  SERVER_BIN,
  callTool,
  cliEnv,
  fakeClaudeConfig,
  pidRunning,
  preAnswerFirstRun,
  processTree,
  pollUntil,
  requestMessages,
  runClaude,
  startServer,
  tempDirs,
  writeConfigFile,
} from './harness.mjs';

const API_KEY = 'test-key-for-the-notify-e2e';
const SOCKET = `cj-e2e-notify-${process.pid}`;
const PLUGIN_ROOT = path.resolve(E2E_DIR, '..', '..', 'integrations', 'claude-code');

function tmux(...args) {
  return spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
}

function claude(args, env) {
  return spawnSync(CLAUDE_BIN, args, { encoding: 'utf8', env, timeout: 90_000 });
}

/** The last message of each request to the fake API, as JSON text. */
function lastMessages(requests) {
  return requests.map((r) => JSON.stringify(requestMessages(r).at(-1) || ''));
}

/** Requests whose last message wakes the session about an end: a Stop hook's (or the
 * monitor's) words, or Claude Code's own notice of an MCP task that ended. */
function wakeRequests(api) {
  return lastMessages(api.requests).filter(
    (m) => m.includes('Stop hook blocking error') || (m.includes('task-notification') && m.includes('MCP task')),
  );
}

/** The server's switch for an era (docs/protocol.md, "The switch"). */
const ERAS = [
  { name: 'the 2026-07-28 era (the default)', tag: 'modern', env: {}, hostFollows: true },
  { name: 'server/discover off', tag: 'legacy', env: { CLAUDE_JOBS_DISCOVER: '0' }, hostFollows: false },
];

describe('told when a job ends, real claude CLI', { concurrency: false }, () => {
  let api;
  const { tempDir, removeTempDirs } = tempDirs();
  let stateDir;
  const stateDirs = [];
  /** The environment of a CLI session in tmux, offline against the fake API, bin first on PATH. */
  const sessionEnv = (home, bin, extra) =>
    cliEnv({ apiUrl: api.url, apiKey: API_KEY, home, sandbox: false, extra: { PATH: `${bin}:${process.env.PATH}`, ...extra } });

  before(async () => {
    api = await startFakeApi();
  });
  after(async () => {
    // The CLI sessions in tmux write into their homes until they are gone: end them and wait
    // for every process they started, before the temp dirs are removed below.
    const panes = tmux('list-panes', '-a', '-F', '#{pane_pid}').stdout || '';
    const sessions = processTree(panes.split('\n').filter(Boolean).map(Number));
    tmux('kill-server');
    const socketDir = path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid()}`);
    fs.rmSync(path.join(socketDir, SOCKET), { force: true });
    // A Stop hook's waiter outlives its session by design (bounded): end ours, and wait until
    // each is gone, since it writes into the temp dirs removed below.
    const waiters = [];
    for (const dir of stateDirs) {
      const hooks = path.join(dir, 'hooks');
      if (!fs.existsSync(hooks)) continue;
      for (const f of fs.readdirSync(hooks)) {
        const pid = Number(fs.readFileSync(path.join(hooks, f), 'utf8'));
        if (pid > 1) try { process.kill(pid, 'SIGTERM'); waiters.push(pid); } catch {}
      }
    }
    await pollUntil(() => waiters.every((pid) => !pidRunning(pid)), {
      timeoutMs: 10_000,
      label: 'the hook waiters to end',
    });
    for (const pid of sessions) if (pidRunning(pid)) try { process.kill(pid, 'SIGTERM'); } catch {}
    await pollUntil(() => sessions.every((pid) => !pidRunning(pid)), {
      timeoutMs: 10_000,
      label: 'the CLI sessions in tmux and their processes to end',
    });
    await api.close();
    removeTempDirs();
  });

  test('run_in_background: the model runs notify.command, and a new turn starts when the job ends (-p)', async () => {
    const server = await startServer({ config: fakeClaudeConfig() });
    try {
      const work = tempDir('cj-e2e-bg-work-');
      const home = tempDir('cj-e2e-bg-home-');
      const started = await callTool(server.client, 'claude_start', {
        prompt: 'sleep 2\nsay the background answer',
        workFolder: work,
        label: 'bg',
      });
      const command = started.notify.command;
      assert.match(command, new RegExp(` wait ${started.jobId}$`));
      const bash = { command, run_in_background: true, description: 'Wait for the job' };
      const r = await runClaude({
        prompt: `call tool Bash ${JSON.stringify(bash)}\n`,
        cwd: work,
        env: cliEnv({ apiUrl: api.url, home }),
        args: ['--dangerously-skip-permissions'],
      });
      assert.equal(r.code, 0, r.stderr);
      const note = r.events.find((e) => e.type === 'system' && e.subtype === 'task_notification');
      assert.ok(note, `a task notification: ${r.stdout.slice(-2000)}`);
      assert.equal(note.status, 'completed', JSON.stringify(note));
      const results = r.events.filter((e) => e.type === 'result');
      assert.equal(results.length, 2, 'a second turn started when the job ended');
      assert.match(results[1].result, /^background task finished: completed/);
      const output = fs.readFileSync(note.output_file, 'utf8');
      assert.match(output, new RegExp(started.jobId));
      assert.match(output, /completed/);
      assert.match(output, /result: the background answer/);
      assert.ok(output.length < 1000, output);
    } finally {
      await server.close();
    }
  });

  test('the plugin validates and installs from its local marketplace, offline', () => {
    const home = tempDir('cj-e2e-plugin-home-');
    const env = { HOME: home, PATH: process.env.PATH, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
    for (const dir of [PLUGIN_ROOT, path.join(PLUGIN_ROOT, 'background-jobs')]) {
      const validated = claude(['plugin', 'validate', dir], env);
      assert.equal(validated.status, 0, validated.stdout + validated.stderr);
      assert.match(validated.stdout, /Validation passed/);
    }
    const plugin = claude(['plugin', 'validate', path.join(PLUGIN_ROOT, 'background-jobs')], env).stdout;
    assert.match(plugin, /hooks: Stop command "claude-jobs hook-wait/, plugin);
    assert.match(plugin, /monitors: claude-jobs "claude-jobs events --follow --owner mine --untold"/, plugin);
    assert.match(plugin, /mcpServers: claude-jobs stdio claude-jobs/, plugin);

    const added = claude(['plugin', 'marketplace', 'add', PLUGIN_ROOT], env);
    assert.equal(added.status, 0, added.stdout + added.stderr);
    const installed = claude(['plugin', 'install', 'background-jobs@background-jobs-local'], env);
    assert.equal(installed.status, 0, installed.stdout + installed.stderr);
    const settings = JSON.parse(fs.readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'));
    assert.equal(settings.enabledPlugins['background-jobs@background-jobs-local'], true);
    const list = claude(['plugin', 'list'], env);
    assert.match(list.stdout, /background-jobs@background-jobs-local[\s\S]*enabled/, list.stdout);
  });

  for (const era of ERAS) test(`register --hooks, ${era.name}: the idle session is woken once; another session is not`, async () => {
    assert.equal(spawnSync('tmux', ['-V']).status, 0, 'tmux is needed (scripts/install-deps.sh --test)');
    const home = tempDir('cj-e2e-hook-home-');
    const work = fs.realpathSync(tempDir('cj-e2e-hook-work-'));
    stateDir = tempDir('cj-e2e-hook-state-');
    stateDirs.push(stateDir);
    const bin = tempDir('cj-e2e-hook-bin-');
    fs.symlinkSync(CLAUDE_BIN, path.join(bin, 'claude'));
    const configPath = writeConfigFile(stateDir, { stateDir, claude: { path: FAKE_CLAUDE_BIN, permissionMode: '' } });
    preAnswerFirstRun(home, work, { apiKey: API_KEY });
    const env = sessionEnv(home, bin, era.env);
    // --config-file: the jobs' claude (claude.path) is the stand-in, not the CLI to register with.
    const registered = spawnSync(SERVER_BIN, ['--config', configPath, 'register', '--client', 'claude-code', '--hooks',
      '--config-file', path.join(home, '.claude.json')], {
      encoding: 'utf8',
      env,
    });
    assert.equal(registered.status, 0, registered.stdout + registered.stderr);
    const userConfig = JSON.parse(fs.readFileSync(path.join(home, '.claude.json'), 'utf8'));
    assert.ok(userConfig.mcpServers && userConfig.mcpServers['claude-jobs'], registered.stdout + registered.stderr);
    const settings = JSON.parse(fs.readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'));
    assert.equal(settings.hooks.Stop[0].hooks[0].asyncRewake, true, JSON.stringify(settings));

    const one = `one-${era.tag}`;
    const two = `two-${era.tag}`;
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const open = (name) => {
      const r = tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '50', '-c', work, 'env', ...envArgs,
        CLAUDE_BIN, '--allowedTools', 'mcp__claude-jobs__claude_start');
      assert.equal(r.status, 0, r.stderr);
    };
    const screen = (name) => tmux('capture-pane', '-p', '-t', `=${name}:`).stdout;
    const type = (name, text) => {
      tmux('send-keys', '-t', `=${name}:`, '-l', text);
      setTimeout(() => tmux('send-keys', '-t', `=${name}:`, 'Enter'), 300);
    };
    for (const name of [one, two]) {
      open(name);
      await pollUntil(() => /❯/.test(screen(name)), { timeoutMs: 30_000, label: `${name} ready` });
      await new Promise((r) => setTimeout(r, 3000)); // its MCP server connects
    }

    // Session two has a turn of its own, so its Stop hook waits too.
    type(two, 'print hello world');
    await pollUntil(() => /hello world/.test(screen(two)), { timeoutMs: 30_000, label: 'two answered' });
    const job = { prompt: 'sleep 4\nsay the job says hi', workFolder: work, label: 'wake test' };
    type(one, `call tool mcp__claude-jobs__claude_start ${JSON.stringify(job)}`);
    await pollUntil(() => /called mcp__claude-jobs__claude_start/.test(screen(one)), {
      timeoutMs: 30_000,
      label: `one started the job: ${screen(one)}`,
    });
    const before = api.requests.length;
    const wakes = () => wakeRequests({ requests: api.requests.slice(before) });
    await pollUntil(() => wakes().length > 0, {
      timeoutMs: 60_000,
      intervalMs: 200,
      label: `a wake-up request; screen one:\n${screen(one)}`,
    });
    const text = wakes()[0];
    assert.match(text, /wake test/);
    assert.match(text, /completed/);
    assert.match(text, /the job says hi/);
    if (era.hostFollows) assert.match(text, /MCP task [a-z0-9]+ \(claude-jobs\/claude_start\) completed/, text);
    else assert.match(text, /Stop hook blocking error/, text);
    // The turn the wake-up caused ends; its Stop hook runs again and does not wake it again,
    // and no other path tells the same end a second time.
    await new Promise((r) => setTimeout(r, 8000));
    assert.equal(wakes().length, 1, `exactly one wake-up, for one session: ${wakes().join('\n---\n')}`);
    const answer = era.hostFollows ? /background task finished: completed/ : /woken by a stop hook/;
    await pollUntil(() => answer.test(screen(one)), { timeoutMs: 10_000, label: `the answer on screen: ${screen(one)}\n${text}` });
    assert.doesNotMatch(screen(two), /woken by a stop hook|background task finished/);
  });
  for (const era of ERAS) test(`the plugin, ${era.name}: installed offline, the idle session is woken once when its job ends`, async () => {
    const home = tempDir('cj-e2e-plug-home-');
    const work = fs.realpathSync(tempDir('cj-e2e-plug-work-'));
    const state = tempDir('cj-e2e-plug-state-');
    stateDirs.push(state);
    const bin = tempDir('cj-e2e-plug-bin-');
    fs.symlinkSync(SERVER_BIN, path.join(bin, 'claude-jobs'));
    const configPath = writeConfigFile(state, { stateDir: state, claude: { path: FAKE_CLAUDE_BIN, permissionMode: '' } });
    preAnswerFirstRun(home, work, { apiKey: API_KEY });
    // The plugin's server, monitor and hook all read CLAUDE_JOBS_CONFIG.
    const env = sessionEnv(home, bin, { CLAUDE_JOBS_CONFIG: configPath, ...era.env });
    for (const args of [['plugin', 'marketplace', 'add', PLUGIN_ROOT], ['plugin', 'install', 'background-jobs@background-jobs-local']]) {
      const r = claude(args, env);
      assert.equal(r.status, 0, r.stdout + r.stderr);
    }
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const session = `plug-${era.tag}`;
    const r = tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', '-c', work, 'env', ...envArgs,
      CLAUDE_BIN, '--allowedTools', 'mcp__plugin_background-jobs_claude-jobs__claude_start');
    assert.equal(r.status, 0, r.stderr);
    const screen = () => tmux('capture-pane', '-p', '-t', `=${session}:`).stdout;
    await pollUntil(() => /❯/.test(screen()), { timeoutMs: 30_000, label: 'ready' });
    await new Promise((res) => setTimeout(res, 4000)); // the plugin's server and monitor start
    const before = api.requests.length;
    const job = { prompt: 'sleep 4\nsay the plugin job says hi', workFolder: work, label: 'plugin wake' };
    tmux('send-keys', '-t', `=${session}:`, '-l', `call tool mcp__plugin_background-jobs_claude-jobs__claude_start ${JSON.stringify(job)}`);
    await new Promise((res) => setTimeout(res, 300));
    tmux('send-keys', '-t', `=${session}:`, 'Enter');
    await pollUntil(() => /called mcp__plugin_background-jobs_claude-jobs__claude_start/.test(screen()), {
      timeoutMs: 30_000,
      label: `the job started: ${screen()}`,
    });
    const told = () =>
      lastMessages(api.requests.slice(before)).filter(
        (last) => last.includes('the plugin job says hi') && !last.includes('call tool'),
      );
    await pollUntil(() => told().length > 0, { timeoutMs: 60_000, intervalMs: 200, label: `a wake-up: ${screen()}` });
    if (era.hostFollows) assert.match(told()[0], /task-notification[\s\S]*MCP task/, told()[0]);
    await new Promise((res) => setTimeout(res, 8000));
    assert.equal(told().length, 1, `one wake-up: the task's follower, the monitor and the hook share the end: ${told().join('\n---\n')}`);
  });
});
