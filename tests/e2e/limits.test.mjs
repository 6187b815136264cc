// Money and limits end to end (docs/limits.md): the real `claude` CLI against the fake Messages
// API's usage-limit refusals (429 with the subscription rate-limit headers) and reported usage.
// A job refused for a usage limit ends rate_limited with the reset; with resumeAfterLimit it is
// resumed after the reset in the same session and completes, also across a server restart; a
// tiny maxBudgetUsd ends budget_exceeded; the cost ledger adds up to the result events, and
// `claude-jobs usage` prints what claude_jobs totals; budgets refuse and queue as configured.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';

import { startFakeApi } from './fake-anthropic.mjs';
import {
  SERVER_BIN,
  callTool,
  callToolError,
  pollUntil,
  realClaudeConfig,
  startServer,
  tempDirs,
  waitForJob,
} from './harness.mjs';

describe('money and limits with the real claude CLI', { concurrency: false }, () => {
  let api;
  let tokens = 0;
  const { tempDir, removeTempDirs } = tempDirs();
  const servers = [];

  /**
   * A server running the real CLI against the fake API. subscriber: OAuth auth, with a token of
   * its own (a usage limit binds its caller only); token: reuse one (a restart). limits: config.
   */
  async function serverWith({ subscriber = false, token, limits, stateDir, home } = {}) {
    const claudeHome = home || tempDir('cj-e2e-claude-home-');
    const config = realClaudeConfig({ apiUrl: api.url, home: claudeHome, subscriber, token });
    if (limits) config.limits = limits;
    if (stateDir) config.stateDir = stateDir;
    const server = await startServer({ config });
    servers.push(server);
    return { ...server, token, claudeHome };
  }
  const newToken = () => `sk-ant-oat01-limits-${process.pid}-${++tokens}`;

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

  test('a usage-limit refusal ends the job rate_limited with its reset time and type', async () => {
    const { client } = await serverWith({ subscriber: true, token: newToken() });
    const work = tempDir('cj-e2e-work-');
    const before = Math.floor(Date.now() / 1000);
    const start = await callTool(client, 'claude_start', {
      prompt: 'usage limit five_hour 3s, then print hello world',
      workFolder: work,
    });
    const view = await waitForJob(client, start.jobId);
    assert.equal(view.status, 'rate_limited', JSON.stringify(view));
    assert.equal(view.result.rateLimit.rateLimitType, 'five_hour');
    assert.equal(view.result.rateLimit.status, 'rejected');
    const reset = view.result.rateLimit.resetsAtUnix;
    assert.ok(reset >= before + 2 && reset <= before + 6, `resetsAt ${reset} vs start ${before}`);
    assert.equal(view.result.rateLimit.resetsAt, new Date(reset * 1000).toISOString().replace('.000', ''));
    assert.equal(view.result.terminalReason, 'api_error');
    assert.equal(view.result.apiError, 'usage_limit_reached');
    assert.match(view.reason, /^usage limit reached \(five_hour\); resets at \d{4}-\d\d-\d\dT/);
    assert.equal(view.resume?.state ?? 'off', 'off');
  });

  test('resumeAfterLimit: resumed after the reset in the same session, and completes', async () => {
    const { client } = await serverWith({
      subscriber: true,
      token: newToken(),
      limits: { resumeMarginSec: 1 },
    });
    const work = tempDir('cj-e2e-work-');
    const start = await callTool(client, 'claude_start', {
      prompt: 'usage limit five_hour 3s, then print hello world',
      workFolder: work,
      resumeAfterLimit: true,
    });
    const limited = await waitForJob(client, start.jobId);
    assert.equal(limited.status, 'rate_limited', JSON.stringify(limited));
    const resumed = await pollUntil(async () => {
      const v = await callTool(client, 'claude_check', { jobId: start.jobId });
      return v.resumedAs ? v : null;
    }, { timeoutMs: 30_000, label: 'the resume' });
    assert.equal(resumed.resume.state, 'resumed');
    assert.ok(Date.parse(resumed.resume.dueAt) >= (limited.result.rateLimit.resetsAtUnix + 1) * 1000);
    const next = await waitForJob(client, resumed.resumedAs);
    assert.equal(next.status, 'completed', JSON.stringify(next));
    assert.equal(next.resumeOf, start.jobId);
    assert.equal(next.result.text, 'hello world');
    assert.equal(next.result.sessionId, limited.sessionId ?? limited.result.sessionId);
  });

  test('resumeAfterLimit survives a server restart between the limit and the reset', async () => {
    const token = newToken();
    const stateDir = tempDir('cj-e2e-state-');
    const home = tempDir('cj-e2e-claude-home-');
    const limits = { resumeMarginSec: 1 };
    const first = await serverWith({ subscriber: true, token, limits, stateDir, home });
    const work = tempDir('cj-e2e-work-');
    const start = await callTool(first.client, 'claude_start', {
      prompt: 'usage limit five_hour 4s, then print hello world',
      workFolder: work,
      resumeAfterLimit: true,
    });
    const limited = await waitForJob(first.client, start.jobId);
    assert.equal(limited.status, 'rate_limited', JSON.stringify(limited));
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    const second = await serverWith({ subscriber: true, token, limits, stateDir, home });
    const resumed = await pollUntil(async () => {
      const v = await callTool(second.client, 'claude_check', { jobId: start.jobId });
      return v.resumedAs ? v : null;
    }, { timeoutMs: 30_000, label: 'the resume after the restart' });
    const next = await waitForJob(second.client, resumed.resumedAs);
    assert.equal(next.status, 'completed', JSON.stringify(next));
    assert.equal(next.result.sessionId, limited.result.sessionId);
  });

  test('a usage warning shows in the activity', async () => {
    const { client } = await serverWith({ subscriber: true, token: newToken() });
    const work = tempDir('cj-e2e-work-');
    const start = await callTool(client, 'claude_start', {
      prompt: 'usage warning five_hour 0.8 print hello world',
      workFolder: work,
    });
    const view = await waitForJob(client, start.jobId);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.equal(view.activity.rateLimit.status, 'allowed_warning', JSON.stringify(view.activity));
    assert.equal(view.activity.rateLimit.rateLimitType, 'five_hour');
    assert.equal(view.activity.warning, 'usage at 80% of the five_hour limit');
  });

  test('a tiny maxBudgetUsd ends the job budget_exceeded', async () => {
    const { client } = await serverWith();
    const work = tempDir('cj-e2e-work-');
    const start = await callTool(client, 'claude_start', {
      prompt: 'loop 5 tokens in=10000 out=100',
      workFolder: work,
      model: 'claude-sonnet-4-5',
      maxBudgetUsd: 0.05,
    });
    const view = await waitForJob(client, start.jobId);
    assert.equal(view.status, 'budget_exceeded', JSON.stringify(view));
    assert.equal(view.result.subtype, 'error_max_budget_usd');
    assert.equal(view.result.terminalReason, 'budget_exhausted');
    assert.match(view.reason, /^budget spent: Reached maximum budget \(\$0\.05\)/);
    assert.ok(Math.abs(view.result.runCostUsd - 0.063) < 1e-9, JSON.stringify(view.result));
  });

  test('jsonSchema: the real CLI\'s structured output comes back as result.structured', async () => {
    const { client } = await serverWith();
    const work = tempDir('cj-e2e-work-');
    const start = await callTool(client, 'claude_start', {
      prompt: 'structured {"name":"Ada","age":36}',
      workFolder: work,
      jsonSchema: {
        type: 'object',
        properties: { name: { type: 'string' }, age: { type: 'integer' } },
        required: ['name', 'age'],
      },
    });
    const view = await waitForJob(client, start.jobId);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.deepEqual(view.result.structured, { name: 'Ada', age: 36 });
  });

  test('the ledger adds up the result events; usage prints what claude_jobs totals', async () => {
    const server = await serverWith();
    const work = tempDir('cj-e2e-work-');
    const prompts = [
      'tokens in=1000 out=200 cache_write=300 cache_read=4000 print hello world',
      'tokens in=5000 out=10 print hello world',
      'loop 2 tokens in=10000 out=100',
    ];
    let sum = 0;
    for (const prompt of prompts) {
      const start = await callTool(server.client, 'claude_start', {
        prompt, workFolder: work, model: 'claude-sonnet-4-5', label: 'ledger',
      });
      const view = await waitForJob(server.client, start.jobId);
      assert.equal(view.status, 'completed', JSON.stringify(view));
      sum += view.result.costUsd;
    }
    const listed = await callTool(server.client, 'claude_jobs', { label: 'ledger' });
    assert.equal(listed.jobs.length, 3);
    assert.ok(Math.abs(listed.usage.costUsd - sum) < 1e-9, `${listed.usage.costUsd} vs ${sum}`);
    assert.equal(listed.usage.jobs, 3);
    const out = execFileSync(SERVER_BIN, ['--config', server.configPath, 'usage', '--json', '--by', 'label'], {
      env: { ...process.env, CLAUDE_ASYNC_JOB_DIR: server.stateDir, HOME: server.home },
      encoding: 'utf8',
    });
    const usage = JSON.parse(out);
    assert.ok(Math.abs(usage.total.costUsd - listed.usage.costUsd) < 1e-12, out);
    assert.equal(usage.total.inputTokens, listed.usage.inputTokens);
    assert.deepEqual(usage.groups.map((g) => g.key), ['ledger']);
    const table = execFileSync(SERVER_BIN, ['--config', server.configPath, 'usage'], {
      env: { ...process.env, CLAUDE_ASYNC_JOB_DIR: server.stateDir, HOME: server.home },
      encoding: 'utf8',
    });
    assert.match(table, new RegExp(`\\$${usage.total.costUsd.toFixed(4).replace('.', '\\.')}`));
  });

  test('a spent daily budget refuses starts, or queues them, also for a second server', async () => {
    const stateDir = tempDir('cj-e2e-state-');
    const home = tempDir('cj-e2e-claude-home-');
    const work = tempDir('cj-e2e-work-');
    const one = await serverWith({ limits: { maxDailyUsd: 0.001 }, stateDir, home });
    const first = await callTool(one.client, 'claude_start', {
      prompt: 'tokens in=1000 out=200 print hello world', workFolder: work, model: 'claude-sonnet-4-5',
    });
    const done = await waitForJob(one.client, first.jobId);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const refused = await callToolError(one.client, 'claude_start', { prompt: 'print hello world', workFolder: work }, 'limit_reached');
    assert.match(JSON.stringify(refused), /maxDailyUsd \$0\.0010: \$0\.00\d+ spent today/);
    await one.close();
    servers.splice(servers.indexOf(one), 1);
    const limits = { maxDailyUsd: 0.001, onBudget: 'queue' };
    const two = await serverWith({ limits, stateDir, home });
    const three = await serverWith({ limits, stateDir, home });
    const queued = await callTool(three.client, 'claude_start', { prompt: 'print hello world', workFolder: work });
    assert.equal(queued.status, 'queued');
    await new Promise((r) => setTimeout(r, 1500));
    const still = await callTool(two.client, 'claude_check', { jobId: queued.jobId });
    assert.equal(still.status, 'queued', 'nothing is launched past the budget');
    await callTool(two.client, 'claude_cancel', { jobId: queued.jobId });
  });
});
