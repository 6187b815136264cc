// claude-jobs driven by the official MCP SDK client over stdio, with the stand-in claude
// (fake-claude) running the jobs: every tool, its schemas, and a job's whole life.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  FAKE_CLAUDE_BIN,
  TERMINAL_STATES,
  TOOL_NAMES,
  callTool,
  callToolError,
  fakeClaudeConfig,
  listTools,
  makeTempDir,
  pollUntil,
  removeTempDir,
  startServer,
  waitForJob,
} from './harness.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/;
// SPEC §4 names a claude_jobs row's id "id"; the job view calls it jobId. Accept either.
const rowId = (row) => row.jobId ?? row.id;

function assertJobView(view, { jobId, workFolder } = {}) {
  assert.equal(typeof view.jobId, 'string');
  if (jobId) assert.equal(view.jobId, jobId);
  assert.ok(['queued', 'running', ...TERMINAL_STATES].includes(view.status), `status ${view.status}`);
  assert.equal(typeof view.backend, 'string');
  assert.equal(typeof view.workFolder, 'string');
  if (workFolder) assert.equal(view.workFolder, workFolder);
  assert.match(view.createdAt, ISO);
  assert.equal(typeof view.elapsedMs, 'number');
  assert.ok(view.elapsedMs >= 0);
  assert.equal(typeof view.activity, 'object');
  assert.equal(typeof view.activity.turns, 'number');
  assert.equal(typeof view.output, 'string');
  assert.equal(typeof view.stderrTail, 'string');
  assert.equal(typeof view.nextOffset, 'number');
  if (TERMINAL_STATES.includes(view.status)) {
    assert.equal(typeof view.reason, 'string', `terminal job without reason: ${JSON.stringify(view)}`);
    assert.ok(view.reason.length > 0);
    assert.match(view.endedAt, ISO);
  }
}

describe('claude-jobs over MCP with the SDK client', { concurrency: false }, () => {
  let server;
  let client;
  let work;

  before(async () => {
    fs.accessSync(FAKE_CLAUDE_BIN, fs.constants.X_OK);
    work = makeTempDir('cj-e2e-work-');
    server = await startServer({ config: fakeClaudeConfig() });
    client = server.client;
  });
  after(async () => {
    if (server) await server.close();
    removeTempDir(work);
  });

  test('initialize: server identifies itself and offers tools', () => {
    const info = client.getServerVersion();
    assert.ok(info && typeof info.name === 'string' && info.name.length > 0);
    assert.equal(typeof info.version, 'string');
    const caps = client.getServerCapabilities();
    assert.ok(caps && caps.tools, `no tools capability: ${JSON.stringify(caps)}`);
  });

  test('tools/list: all six tools, each with inputSchema and outputSchema', async () => {
    const { tools, byName } = await listTools(client, { refresh: true });
    for (const name of TOOL_NAMES) {
      const entry = byName.get(name);
      assert.ok(entry, `missing tool ${name}; listed: ${tools.map((t) => t.name)}`);
      const { tool } = entry;
      assert.equal(typeof tool.description, 'string', `${name}: no description`);
      assert.ok(tool.description.length > 0);
      assert.equal(tool.inputSchema.type, 'object', `${name}: inputSchema.type`);
      assert.ok(tool.outputSchema, `${name}: no outputSchema`);
      assert.equal(tool.outputSchema.type, 'object', `${name}: outputSchema.type`);
      assert.ok(entry.validate, `${name}: outputSchema does not compile`);
    }
    const props = (n) => Object.keys(byName.get(n).tool.inputSchema.properties || {});
    assert.deepEqual(byName.get('claude_start').tool.inputSchema.required, ['prompt']);
    for (const p of [
      'prompt',
      'workFolder',
      'model',
      'backend',
      'jobId',
      'idempotencyKey',
      'resumeSessionId',
      'resumeJobId',
      'forkSession',
      'permissionMode',
      'allowedTools',
      'disallowedTools',
      'timeoutSec',
      'maxBudgetUsd',
      'label',
    ]) {
      assert.ok(props('claude_start').includes(p), `claude_start lacks input ${p}`);
    }
    for (const p of ['jobId', 'tailBytes', 'sinceOffset']) assert.ok(props('claude_check').includes(p), p);
    for (const p of ['jobIds', 'mode', 'timeoutSec']) assert.ok(props('claude_wait').includes(p), p);
    for (const p of ['jobId', 'graceSec']) assert.ok(props('claude_cancel').includes(p), p);
    for (const p of ['status', 'label', 'limit', 'cursor']) assert.ok(props('claude_jobs').includes(p), p);
  });

  test('claude_backends: the local backend is there and available', async () => {
    const sc = await callTool(client, 'claude_backends', {});
    assert.ok(Array.isArray(sc.backends), JSON.stringify(sc));
    const local = sc.backends.find((b) => b.name === 'local');
    assert.ok(local, `no local backend: ${JSON.stringify(sc.backends)}`);
    assert.equal(local.available, true, JSON.stringify(local));
  });

  let firstJob;

  test('a job from start to completed', async () => {
    const started = Date.now();
    const start = await callTool(client, 'claude_start', {
      prompt: 'say hello from fake-claude\n',
      workFolder: work,
      label: 'e2e-first',
    });
    assert.ok(Date.now() - started < 5000, 'claude_start is not quick');
    assert.equal(typeof start.jobId, 'string');
    assert.ok(['queued', 'running'].includes(start.status), start.status);
    assert.equal(start.backend, 'local');
    assert.match(start.createdAt, ISO);
    firstJob = start.jobId;

    const check = await callTool(client, 'claude_check', { jobId: firstJob });
    assertJobView(check, { jobId: firstJob, workFolder: work });
    assert.equal(check.label, 'e2e-first');

    const view = await waitForJob(client, firstJob);
    assertJobView(view, { jobId: firstJob, workFolder: work });
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.equal(view.exitCode, 0);
    assert.match(view.startedAt, ISO);
    assert.ok(view.result, 'completed job without result');
    assert.equal(view.result.text, 'hello from fake-claude');
    assert.equal(view.result.isError, false);
    assert.equal(typeof view.result.sessionId, 'string');
    assert.ok(view.result.sessionId.length > 0);
    assert.equal(view.result.subtype, 'success');
    assert.equal(typeof view.result.numTurns, 'number');
    assert.ok(Array.isArray(view.result.permissionDenials));
    assert.ok(view.activity.turns >= 1);
    // The answer is read once, in result.text.
    assert.equal(view.activity.lastText, '');
    assert.match(view.output, /\[the final answer: result\.text\]/);
    assert.doesNotMatch(view.output, /"type":"assistant"/, 'output should be a transcript, not raw JSON');
  });

  test('claude_check with sinceOffset returns only what is new', async () => {
    const full = await callTool(client, 'claude_check', { jobId: firstJob });
    assert.ok(full.nextOffset > 0);
    const rest = await callTool(client, 'claude_check', { jobId: firstJob, sinceOffset: full.nextOffset });
    assert.equal(rest.output, '');
    assert.equal(rest.nextOffset, full.nextOffset);
    const small = await callTool(client, 'claude_check', { jobId: firstJob, tailBytes: 5 });
    assert.ok(Buffer.byteLength(small.output) <= 5, `tailBytes 5 gave ${JSON.stringify(small.output)}`);
  });

  test('claude_jobs lists the job with counts and filters by status and label', async () => {
    const all = await callTool(client, 'claude_jobs', {});
    assert.ok(Array.isArray(all.jobs));
    const row = all.jobs.find((j) => rowId(j) === firstJob);
    assert.ok(row, `job not listed: ${JSON.stringify(all.jobs)}`);
    assert.equal(row.status, 'completed');
    assert.equal(row.backend, 'local');
    assert.equal(row.label, 'e2e-first');
    assert.match(row.promptPreview, /say hello/);
    assert.equal(row.workFolder, work);
    assert.match(row.createdAt, ISO);
    assert.equal(typeof all.counts, 'object');
    assert.ok(all.counts.completed >= 1, JSON.stringify(all.counts));

    const done = await callTool(client, 'claude_jobs', { status: 'completed' });
    assert.ok(done.jobs.length >= 1);
    assert.ok(done.jobs.every((j) => j.status === 'completed'));
    const several = await callTool(client, 'claude_jobs', { status: ['completed', 'failed'] });
    assert.ok(several.jobs.some((j) => rowId(j) === firstJob));
    const none = await callTool(client, 'claude_jobs', { status: 'cancelled', label: 'e2e-first' });
    assert.equal(none.jobs.length, 0);
    const byLabel = await callTool(client, 'claude_jobs', { label: 'e2e-first', limit: 1 });
    assert.deepEqual(
      byLabel.jobs.map(rowId),
      [firstJob],
    );
  });

  test('claude_cancel on a finished job leaves it as it was', async () => {
    const view = await callTool(client, 'claude_cancel', { jobId: firstJob });
    assertJobView(view, { jobId: firstJob });
    assert.equal(view.status, 'completed');
    assert.equal(view.exitCode, 0);
  });

  test('claude_wait: times out within its bound while a job runs, then cancel ends it', async () => {
    const start = await callTool(client, 'claude_start', { prompt: 'sleep 30\n', workFolder: work });
    const t0 = Date.now();
    const res = await callTool(client, 'claude_wait', { jobIds: [start.jobId], timeoutSec: 1 });
    const took = Date.now() - t0;
    assert.equal(res.timedOut, true);
    assert.deepEqual(res.done, []);
    assert.deepEqual(res.pending, [start.jobId]);
    assert.ok(took >= 900 && took < 5000, `claude_wait timeoutSec 1 took ${took} ms`);

    await pollUntil(
      async () => (await callTool(client, 'claude_check', { jobId: start.jobId })).status === 'running',
      { timeoutMs: 20_000, intervalMs: 100, label: 'job running' },
    );
    const cancelled = await callTool(client, 'claude_cancel', { jobId: start.jobId, graceSec: 2 });
    assertJobView(cancelled, { jobId: start.jobId });
    assert.equal(cancelled.status, 'cancelled', JSON.stringify(cancelled));
    const view = await waitForJob(client, start.jobId, { overallMs: 30_000 });
    assert.equal(view.status, 'cancelled');
  });

  test('claude_wait mode all returns when every job is done', async () => {
    const a = await callTool(client, 'claude_start', { prompt: 'say alpha\n', workFolder: work });
    const b = await callTool(client, 'claude_start', { prompt: 'sleep 1\nsay beta\n', workFolder: work });
    const deadline = Date.now() + 60_000;
    let res;
    do {
      res = await callTool(client, 'claude_wait', { jobIds: [a.jobId, b.jobId], mode: 'all', timeoutSec: 20 });
      if (!res.timedOut) break;
    } while (Date.now() < deadline);
    assert.equal(res.timedOut, false);
    assert.deepEqual(res.pending, []);
    assert.deepEqual(res.done.map((j) => j.jobId).sort(), [a.jobId, b.jobId].sort());
    const byId = Object.fromEntries(res.done.map((j) => [j.jobId, j]));
    assert.equal(byId[a.jobId].result.text, 'alpha');
    assert.equal(byId[b.jobId].result.text, 'beta');
  });

  test('claude_wait sends progress notifications when asked', async () => {
    const start = await callTool(client, 'claude_start', { prompt: 'sleep 3\nsay late\n', workFolder: work });
    const progress = [];
    const res = await callTool(
      client,
      'claude_wait',
      { jobIds: [start.jobId], timeoutSec: 20 },
      { onprogress: (p) => progress.push(p) },
    );
    assert.equal(res.done.length, 1);
    assert.equal(res.done[0].status, 'completed');
    assert.ok(progress.length >= 1, 'no notifications/progress during a 3 s wait');
  });

  test('a non-zero exit is failed, with the code and a reason', async () => {
    const start = await callTool(client, 'claude_start', { prompt: 'say bye\nexit 3\n', workFolder: work });
    const view = await waitForJob(client, start.jobId);
    assert.equal(view.status, 'failed', JSON.stringify(view));
    assert.equal(view.exitCode, 3);
    assert.match(view.reason, /3/);
  });

  test('client job ids, idempotency keys and bad arguments', async () => {
    const mine = await callTool(client, 'claude_start', {
      prompt: 'say mine\n',
      workFolder: work,
      jobId: 'e2e-client-id.1',
    });
    assert.equal(mine.jobId, 'e2e-client-id.1');
    await callToolError(
      client,
      'claude_start',
      { prompt: 'say again\n', workFolder: work, jobId: 'e2e-client-id.1' },
      'already_exists',
    );

    const k1 = await callTool(client, 'claude_start', {
      prompt: 'say once\n',
      workFolder: work,
      idempotencyKey: 'e2e-key-1',
    });
    const k2 = await callTool(client, 'claude_start', {
      prompt: 'say once\n',
      workFolder: work,
      idempotencyKey: 'e2e-key-1',
    });
    assert.equal(k2.jobId, k1.jobId);

    for (const bad of ['../escape', 'a/b', '-dash', '', 'x'.repeat(65)]) {
      await callToolError(client, 'claude_start', { prompt: 'say x\n', workFolder: work, jobId: bad }, 'invalid_argument');
    }
    const unknownBackend = await callToolError(
      client,
      'claude_start',
      { prompt: 'say x\n', workFolder: work, backend: 'no-such-backend' },
      'invalid_argument',
    );
    assert.match(unknownBackend.message, /local/);
    await callToolError(
      client,
      'claude_start',
      { prompt: 'say x\n', workFolder: path.join(work, 'does-not-exist') },
      'invalid_argument',
    );
    await callToolError(client, 'claude_check', { jobId: 'no-such-job' }, 'not_found');
    await callToolError(client, 'claude_check', { jobId: '../../etc/passwd' });
    await callToolError(client, 'claude_cancel', { jobId: 'no-such-job' }, 'not_found');
    for (const id of [mine.jobId, k1.jobId]) await waitForJob(client, id);
  });

  test('no protocol errors seen by the client', () => {
    assert.deepEqual(
      server.protocolErrors.map((e) => String(e)),
      [],
    );
  });

  test('stdin EOF: the server exits 0 promptly and jobs keep running', async () => {
    const start = await callTool(client, 'claude_start', { prompt: 'sleep 2\nsay survived\n', workFolder: work });
    const stateDir = server.stateDir;
    const t0 = Date.now();
    // End stdin without removing the state dir, so a second server can read the job after.
    await server.client.close();
    const { code, signal } = await server.exited;
    assert.equal(signal, null, 'server had to be killed after stdin EOF');
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 2000, `server took ${Date.now() - t0} ms to exit on EOF`);

    const again = await startServer({
      config: fakeClaudeConfig(),
      env: { CLAUDE_ASYNC_JOB_DIR: stateDir },
    });
    try {
      const view = await waitForJob(again.client, start.jobId);
      assert.equal(view.status, 'completed', JSON.stringify(view));
      assert.equal(view.result.text, 'survived');
    } finally {
      await again.close();
    }
  });
});
