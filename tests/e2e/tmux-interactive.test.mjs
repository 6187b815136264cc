// The tmux backend in interactive mode with the real Claude Code CLI, offline against the fake
// Messages API: the full terminal interface in a tmux pane, its state from Claude Code's own
// hooks, claude_send typing into it, /exit ending it, and a question asked on screen.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';

import { startFakeApi } from './fake-anthropic.mjs';
import {
  callTool,
  callToolError,
  pollUntil,
  preAnswerFirstRun,
  realClaudeConfig,
  startServer,
  tempDirs,
  waitForJob,
} from './harness.mjs';

const API_KEY = 'test-key-for-the-tmux-e2e';
const SOCKET = `cj-e2e-tmux-${process.pid}`;

function tmux(...args) {
  return spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
}

/** Waits (claude_wait, bounded calls) until the job is handed back: waiting, asking or ended. */
async function waitForTurn(client, jobId, overallMs = 90_000) {
  const deadline = Date.now() + overallMs;
  while (Date.now() < deadline) {
    const res = await callTool(client, 'claude_wait', { jobIds: [jobId], timeoutSec: 20 });
    const view = res.done.find((j) => j.jobId === jobId);
    if (view) return view;
  }
  const view = await callTool(client, 'claude_check', { jobId });
  assert.fail(`job ${jobId} not handed back within ${overallMs} ms: ${JSON.stringify(view)}`);
}

describe('tmux backend, interactive mode, real claude CLI', { concurrency: false }, () => {
  let api;
  const { tempDir, removeTempDirs } = tempDirs();
  const servers = [];

  function tmuxConfig({ bypassAccepted, trusted = true, apiKey = API_KEY }) {
    const home = tempDir('cj-e2e-tmux-home-');
    const work = fs.realpathSync(tempDir('cj-e2e-tmux-work-'));
    preAnswerFirstRun(home, work, { bypassAccepted, trusted, apiKey });
    const base = realClaudeConfig({ apiUrl: api.url, apiKey, home });
    return {
      work,
      config: {
        ...base,
        defaultBackend: 'talk',
        backends: {
          local: { plugin: 'local-detached' },
          talk: { plugin: 'tmux', socket: SOCKET, mode: 'interactive', keepSessionSec: 0 },
        },
      },
    };
  }

  async function serverWith(answers) {
    const { work, config } = tmuxConfig(answers);
    const server = await startServer({ config });
    servers.push(server);
    return { ...server, work };
  }

  before(async () => {
    assert.equal(spawnSync('tmux', ['-V']).status, 0, 'tmux is needed (scripts/install-deps.sh --test)');
    api = await startFakeApi();
  });
  afterEach(async () => {
    while (servers.length) await servers.pop().close();
  });
  after(async () => {
    tmux('kill-server');
    // tmux leaves its socket file behind.
    const socketDir = path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid()}`);
    fs.rmSync(path.join(socketDir, SOCKET), { force: true });
    await api.close();
    removeTempDirs();
  });

  test('a conversation: first answer, waiting for input, claude_send, /exit → completed', async () => {
    const { client, work } = await serverWith({ bypassAccepted: true });
    const backends = await callTool(client, 'claude_backends', {});
    const talk = backends.backends.find((b) => b.name === 'talk');
    assert.equal(talk.available, true, JSON.stringify(talk));
    assert.equal(talk.capabilities.sendInput, true);

    const start = await callTool(client, 'claude_start', { prompt: 'print hello world', workFolder: work });
    assert.equal(start.attach, `tmux -L ${SOCKET} attach -t cj-${start.jobId}`);
    assert.equal(tmux('has-session', '-t', `=cj-${start.jobId}`).status, 0);

    const first = await waitForTurn(client, start.jobId);
    assert.equal(first.status, 'running', JSON.stringify(first));
    assert.equal(first.activity.state, 'waiting_for_input', JSON.stringify(first.activity));
    assert.equal(first.activity.lastText, 'hello world');
    assert.match(first.output, /hello world/);
    assert.match(first.sessionId, /^[0-9a-f-]{36}$/);
    // The real interface is in the pane, answer included.
    const screen = tmux('capture-pane', '-p', '-t', `=cj-${start.jobId}:`).stdout;
    assert.match(screen, /hello world/, screen);

    const sent = await callTool(client, 'claude_send', { jobId: start.jobId, text: 'remember banana' });
    assert.equal(sent.activity.state, 'working', 'busy again as soon as the message is sent');
    const second = await waitForTurn(client, start.jobId);
    assert.equal(second.activity.state, 'waiting_for_input');
    assert.equal(second.activity.lastText, 'ok');

    await callTool(client, 'claude_send', { jobId: start.jobId, text: 'what did I ask you to remember?' });
    const third = await waitForTurn(client, start.jobId);
    assert.equal(third.activity.lastText, 'You asked me to remember banana.', 'the same conversation');

    await callTool(client, 'claude_send', { jobId: start.jobId, text: '/exit' });
    const ended = await waitForJob(client, start.jobId, { overallMs: 60_000 });
    assert.equal(ended.status, 'completed', JSON.stringify(ended));
    assert.equal(ended.exitCode, 0);
    await pollUntil(() => tmux('has-session', '-t', `=cj-${start.jobId}`).status !== 0, {
      label: 'session closed (keepSessionSec 0)',
    });
    const after = await callToolError(client, 'claude_send', { jobId: start.jobId, text: 'hi' }, 'invalid_argument');
    assert.match(after.message, /only a running job takes input/);
  });

  test('a server restart while the conversation waits: found again, talked to, ended', async () => {
    const { work, config } = tmuxConfig({ bypassAccepted: true });
    const stateDir = tempDir('cj-e2e-tmux-state-');
    const first = await startServer({ config: { ...config, stateDir } });
    servers.push(first);
    const start = await callTool(first.client, 'claude_start', { prompt: 'remember kiwi', workFolder: work });
    const answered = await waitForTurn(first.client, start.jobId);
    assert.equal(answered.activity.state, 'waiting_for_input', JSON.stringify(answered.activity));
    await first.close(); // the client leaves; the server exits; the job stays in its session
    assert.equal(tmux('has-session', '-t', `=cj-${start.jobId}`).status, 0);

    const second = await startServer({ config: { ...config, stateDir } });
    servers.push(second);
    const found = await callTool(second.client, 'claude_check', { jobId: start.jobId });
    assert.equal(found.status, 'running', JSON.stringify(found));
    assert.equal(found.activity.state, 'waiting_for_input');
    assert.equal(found.attach, `tmux -L ${SOCKET} attach -t cj-${start.jobId}`);
    await callTool(second.client, 'claude_send', { jobId: start.jobId, text: 'what did I ask you to remember?' });
    const recalled = await waitForTurn(second.client, start.jobId);
    assert.equal(recalled.activity.lastText, 'You asked me to remember kiwi.');
    await callTool(second.client, 'claude_send', { jobId: start.jobId, text: '/exit' });
    const ended = await waitForJob(second.client, start.jobId, { overallMs: 60_000 });
    assert.equal(ended.status, 'completed', JSON.stringify(ended));
  });

  test('an API error ends the turn, not the job: waiting for input, with the error', async () => {
    const { client, work } = await serverWith({ bypassAccepted: true, apiKey: 'bad-key' });
    const start = await callTool(client, 'claude_start', { prompt: 'print hello world', workFolder: work });
    const view = await waitForTurn(client, start.jobId);
    assert.equal(view.status, 'running', JSON.stringify(view));
    assert.equal(view.activity.state, 'waiting_for_input', JSON.stringify(view.activity));
    assert.equal(view.activity.error, 'authentication_failed', JSON.stringify(view.activity));
    assert.match(view.activity.lastText, /API key/i);
    const cancelled = await callTool(client, 'claude_cancel', { jobId: start.jobId, graceSec: 1 });
    assert.equal(cancelled.status, 'cancelled', JSON.stringify(cancelled));
  });

  for (const { what, answers, question } of [
    { what: 'accepting bypass-permissions mode', answers: { bypassAccepted: false }, question: /Bypass Permissions/i },
    { what: 'trusting the folder', answers: { bypassAccepted: true, trusted: false }, question: /trust/i },
  ]) {
    test(`a question on screen before the session starts shows in the view: ${what}`, async () => {
      const { client, work } = await serverWith(answers);
      const start = await callTool(client, 'claude_start', { prompt: 'print hello world', workFolder: work });
      const view = await pollUntil(
        async () => {
          const v = await callTool(client, 'claude_check', { jobId: start.jobId });
          return v.activity.state === 'asking' ? v : null;
        },
        { timeoutMs: 30_000, intervalMs: 250, label: 'the on-screen question in the view' },
      );
      assert.equal(view.status, 'running');
      assert.match(view.activity.question, question, view.activity.question);
      // A person answers a start-up dialog; typed text (and its Enter) is refused.
      const refused = await callToolError(client, 'claude_send', { jobId: start.jobId, text: 'yes' }, 'invalid_argument');
      assert.match(refused.message, /question on screen/);
      // A wait hands the job back: someone has to answer.
      const waited = await callTool(client, 'claude_wait', { jobIds: [start.jobId], timeoutSec: 5 });
      assert.equal(waited.done.length, 1);
      assert.equal(waited.timedOut, false);
      const cancelled = await callTool(client, 'claude_cancel', { jobId: start.jobId, graceSec: 1 });
      assert.equal(cancelled.status, 'cancelled', JSON.stringify(cancelled));
      await pollUntil(() => tmux('has-session', '-t', `=cj-${start.jobId}`).status !== 0, {
        label: 'session gone after cancel',
      });
    });
  }
});
