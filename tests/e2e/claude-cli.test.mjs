// claude-jobs end to end with the real `claude` CLI, run offline against the fake Messages API,
// driven by the official MCP SDK client.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';

import { startFakeApi } from './fake-anthropic.mjs';
import {
  callTool,
  pidAlive,
  pollUntil,
  readRunnerJson,
  realClaudeConfig,
  startServer,
  tempDirs,
  waitForJob,
} from './harness.mjs';

function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return 'gone';
  }
}

describe('claude-jobs with the real claude CLI', { concurrency: false }, () => {
  let api;
  const { tempDir, removeTempDirs } = tempDirs();
  const servers = [];

  /** A server whose jobs run the real CLI against the fake API, with its own state dir. */
  async function serverWith({ apiKey = 'test-key' } = {}) {
    const claudeHome = tempDir('cj-e2e-claude-home-');
    const server = await startServer({
      config: realClaudeConfig({ apiUrl: api.url, apiKey, home: claudeHome }),
    });
    servers.push(server);
    return server;
  }

  before(async () => {
    api = await startFakeApi();
  });
  afterEach(async () => {
    while (servers.length) await servers.pop().close();
  });
  after(async () => {
    await api.close();
    removeTempDirs();
  });

  test('print hello world: completed, exit 0, result text "hello world"', async () => {
    const { client } = await serverWith();
    const work = tempDir('cj-e2e-work-');
    const start = await callTool(client, 'claude_start', { prompt: 'print hello world', workFolder: work });
    const view = await waitForJob(client, start.jobId);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.equal(view.exitCode, 0);
    assert.equal(view.result.text, 'hello world');
    assert.equal(view.result.isError, false);
    assert.equal(view.result.subtype, 'success');
    assert.equal(view.result.numTurns, 1);
    assert.match(view.result.sessionId, /^[0-9a-f-]{36}$/);
    assert.equal(typeof view.result.costUsd, 'number');
    assert.equal(typeof view.result.durationMs, 'number');
    assert.deepEqual(view.result.permissionDenials, []);
    // The answer is read once, in result.text.
    assert.equal(view.activity.lastText, '');
    assert.match(view.output, /\[the final answer: result\.text\]/);
    assert.equal(view.workFolder, work);
  });

  test('make file proof.txt: the Bash tool ran in the work folder', async () => {
    const { client } = await serverWith();
    const work = tempDir('cj-e2e-work-');
    const start = await callTool(client, 'claude_start', { prompt: 'make file proof.txt', workFolder: work });
    const view = await waitForJob(client, start.jobId);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.equal(view.exitCode, 0);
    assert.equal(view.result.text, 'done');
    assert.equal(fs.readFileSync(path.join(work, 'proof.txt'), 'utf8'), 'made\n');
    assert.match(view.activity.lastTool, /^Bash\b/);
    assert.ok(view.activity.turns >= 2, JSON.stringify(view.activity));
    assert.match(view.output, /Bash/, 'the transcript shows the tool call');
  });

  test('a worktree job: the Bash tool edits the worktree, the patch shows it, apply delivers it', async () => {
    const { client } = await serverWith();
    const repo = tempDir('cj-e2e-repo-');
    const git = (...args) => execFileSync('git', ['-C', repo, ...args], {
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
    });
    git('init', '-q');
    fs.writeFileSync(path.join(repo, 'README'), 'hi\n');
    git('add', '-A');
    git('commit', '-qm', 'first');
    const start = await callTool(client, 'claude_start', {
      prompt: 'make file proof.txt', workFolder: repo, isolation: 'worktree',
    });
    const view = await waitForJob(client, start.jobId);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.ok(!fs.existsSync(path.join(repo, 'proof.txt')), 'the original is untouched');
    assert.deepEqual(view.changes.files.map((f) => f.path), ['proof.txt']);
    assert.match(fs.readFileSync(view.changes.patchFile, 'utf8'), /\+made/);
    const applied = await callTool(client, 'claude_apply', { jobId: start.jobId });
    assert.equal(applied.applied, true, JSON.stringify(applied));
    assert.equal(fs.readFileSync(path.join(repo, 'proof.txt'), 'utf8'), 'made\n');
  });

  test('resumeJobId continues the earlier job\'s session', async () => {
    const { client } = await serverWith();
    const work = tempDir('cj-e2e-work-');
    const first = await callTool(client, 'claude_start', { prompt: 'remember pineapple', workFolder: work });
    const firstView = await waitForJob(client, first.jobId);
    assert.equal(firstView.status, 'completed', JSON.stringify(firstView));
    assert.equal(firstView.result.text, 'ok');
    const sessionId = firstView.result.sessionId;
    assert.ok(sessionId);

    const second = await callTool(client, 'claude_start', {
      prompt: 'what did I ask you to remember',
      workFolder: work,
      resumeJobId: first.jobId,
    });
    assert.notEqual(second.jobId, first.jobId);
    const view = await waitForJob(client, second.jobId);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.match(view.result.text, /pineapple/);
    assert.equal(view.result.sessionId, sessionId);
  });

  test('a rejected API key makes the job failed with a reason naming the error', async () => {
    const { client } = await serverWith({ apiKey: 'bad-key' });
    const work = tempDir('cj-e2e-work-');
    const start = await callTool(client, 'claude_start', { prompt: 'print hello world', workFolder: work });
    const view = await waitForJob(client, start.jobId);
    assert.equal(view.status, 'failed', JSON.stringify(view));
    assert.equal(view.exitCode, 1);
    assert.match(view.reason, /API error 401/, view.reason);
    assert.match(view.reason, /Invalid API key/, view.reason);
    if (view.result) assert.equal(view.result.isError, true);
  });

  test('cancelling a running job ends it and every process of it', async () => {
    const server = await serverWith();
    const { client, stateDir } = server;
    const work = tempDir('cj-e2e-work-');
    const seen = api.requests.length;
    const start = await callTool(client, 'claude_start', { prompt: 'please be slow', workFolder: work });

    // Running, and its model request is streaming at the fake API.
    const request = await api.waitForRequest(
      (r) => r.kind === 'slow' && api.requests.indexOf(r) >= seen,
      30_000,
    );
    const running = await callTool(client, 'claude_check', { jobId: start.jobId });
    assert.equal(running.status, 'running', JSON.stringify(running));

    const runner = await pollUntil(
      () => {
        const r = readRunnerJson(stateDir, start.jobId);
        return r && Number.isInteger(r.runnerPid) && Number.isInteger(r.childPid) ? r : null;
      },
      { timeoutMs: 10_000, label: 'runner.json with runnerPid and childPid' },
    );
    const pids = { runner: runner.runnerPid, claude: runner.childPid };
    for (const [what, pid] of Object.entries(pids)) assert.ok(pidAlive(pid), `${what} pid ${pid} not alive`);

    const cancelled = await callTool(client, 'claude_cancel', { jobId: start.jobId, graceSec: 5 });
    assert.equal(cancelled.status, 'cancelled', JSON.stringify(cancelled));
    const view = await waitForJob(client, start.jobId, { overallMs: 30_000 });
    assert.equal(view.status, 'cancelled');
    assert.equal(typeof view.reason, 'string');

    for (const [what, pid] of Object.entries(pids)) {
      await pollUntil(() => !pidAlive(pid), {
        timeoutMs: 15_000,
        label: `${what} pid ${pid} to be gone (state ${procState(pid)})`,
      });
    }
    await pollUntil(() => request.closed, { timeoutMs: 5_000, label: 'the model request to be dropped' });
  });
});
