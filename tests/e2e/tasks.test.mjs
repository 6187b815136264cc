// The MCP 2025-11-25 tasks utility, driven by the official MCP SDK client's experimental task
// API (which validates every task object and result against the protocol's schemas): a
// task-augmented claude_start, tasks/get until it ends, tasks/result checked against
// claude_start's output schema, tasks/list paging, tasks/cancel ending the job's processes,
// status notifications, one job store behind tools and tasks, and the bad input a client can
// send — including another connection's task, from a second server on the same state dir.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import {
  FAKE_CLAUDE_BIN,
  callTool,
  fakeClaudeConfig,
  listTools,
  makeTempDir,
  pidAlive,
  pollUntil,
  processTree,
  readRunnerJson,
  removeTempDir,
  startServer,
  waitForJob,
} from './harness.mjs';

const { CallToolResultSchema, CreateTaskResultSchema, TaskStatusNotificationSchema } = await import(
  '@modelcontextprotocol/sdk/types.js'
);

const RELATED_TASK = 'io.modelcontextprotocol/related-task';
const WEEK_MS = 7 * 86400 * 1000;  // the default retentionDays, which a task's ttl reports
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

// A task-augmented tools/call sent as is, for arguments the SDK's helpers would not send.
function rawTaskCall(client, name, args, task) {
  return client.request({ method: 'tools/call', params: { name, arguments: args, task } }, CreateTaskResultSchema);
}

async function rejectsWith(promise, code, pattern) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `${err.code} ${err.message}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

async function untilEnded(client, taskId, overallMs = 60_000) {
  return pollUntil(
    async () => {
      const task = await client.experimental.tasks.getTask(taskId);
      return ['completed', 'failed', 'cancelled'].includes(task.status) ? task : null;
    },
    { timeoutMs: overallMs, intervalMs: 200, label: `task ${taskId} to end` },
  );
}

describe('the 2025-11-25 tasks utility', { concurrency: false }, () => {
  let server;
  let client;
  let work;
  const statuses = [];

  before(async () => {
    fs.accessSync(FAKE_CLAUDE_BIN, fs.constants.X_OK);
    work = makeTempDir('cj-e2e-tasks-work-');
    server = await startServer({ config: fakeClaudeConfig() });
    client = server.client;
    client.setNotificationHandler(TaskStatusNotificationSchema, (n) => statuses.push(n.params));
    await listTools(client);
  });
  after(async () => {
    if (server) await server.close();
    removeTempDir(work);
  });

  test('the server offers tasks for tools/call, and claude_start supports them', async () => {
    assert.deepEqual(client.getServerCapabilities().tasks, {
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
    const { tools } = await client.listTools();
    for (const tool of tools) {
      if (tool.name === 'claude_start') assert.deepEqual(tool.execution, { taskSupport: 'optional' });
      else assert.equal(tool.execution, undefined, tool.name);
    }
  });

  test('a task-augmented claude_start runs to its result, valid against the output schema', async () => {
    const messages = [];
    const stream = client.experimental.tasks.callToolStream(
      { name: 'claude_start', arguments: { prompt: 'sleep 1\nsay answer of a task\n', workFolder: work } },
      CallToolResultSchema,
      { task: { ttl: 60_000 } },
    );
    for await (const m of stream) messages.push(m);
    const created = messages.find((m) => m.type === 'taskCreated');
    assert.ok(created, JSON.stringify(messages));
    const { task } = created;
    assert.equal(task.status, 'working');
    assert.match(task.createdAt, RFC3339);
    assert.match(task.lastUpdatedAt, RFC3339);
    assert.equal(task.ttl, WEEK_MS, 'the ttl is the retention, whatever was asked');
    assert.equal(task.pollInterval, 1000);

    const last = messages.at(-1);
    assert.equal(last.type, 'result', JSON.stringify(last));
    assert.equal(last.result.isError, false);
    assert.equal(last.result.structuredContent.jobId, task.taskId);
    assert.equal(last.result.structuredContent.status, 'completed');
    assert.equal(last.result.structuredContent.job.result.text, 'answer of a task');
    assert.deepEqual(last.result._meta[RELATED_TASK], { taskId: task.taskId });

    // tasks/get and tasks/result again, once it has ended; the result validates by hand too.
    const ended = await client.experimental.tasks.getTask(task.taskId);
    assert.equal(ended.status, 'completed');
    assert.equal(ended.createdAt, task.createdAt);
    assert.equal(ended.pollInterval, undefined, 'no polling advice for an ended task');
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    const validate = client.getToolOutputValidator('claude_start');
    assert.ok(validate, 'claude_start has an output schema');
    const verdict = validate(result.structuredContent);
    assert.ok(verdict.valid, verdict.errorMessage);
    assert.ok(result.content.some((c) => c.type === 'resource_link' && c.uri === `claude-jobs://job/${task.taskId}`));

    // The job is a job: claude_check and claude_jobs see it.
    const view = await callTool(client, 'claude_check', { jobId: task.taskId });
    assert.equal(view.status, 'completed');
    const { jobs } = await callTool(client, 'claude_jobs', {});
    assert.ok(jobs.some((j) => j.jobId === task.taskId));

    // Its end was announced.
    await pollUntil(() => statuses.some((s) => s.taskId === task.taskId && s.status === 'completed'), {
      timeoutMs: 10_000,
      label: 'notifications/tasks/status completed',
    });
    const told = statuses.find((s) => s.taskId === task.taskId && s.status === 'completed');
    assert.equal(told.ttl, WEEK_MS);
    assert.match(told.lastUpdatedAt, RFC3339);
  });

  test('a job started with claude_start is a task of this connection', async () => {
    const start = await callTool(client, 'claude_start', { prompt: 'say plain start\n', workFolder: work });
    const task = await client.experimental.tasks.getTask(start.jobId);
    assert.equal(task.taskId, start.jobId);
    await waitForJob(client, start.jobId);
    assert.equal((await client.experimental.tasks.getTask(start.jobId)).status, 'completed');
    const result = await client.experimental.tasks.getTaskResult(start.jobId, CallToolResultSchema);
    assert.equal(result.structuredContent.job.result.text, 'plain start');
  });

  test('tasks/cancel ends the job and every process of it; an ended task cannot be cancelled', async () => {
    const { task } = await rawTaskCall(client, 'claude_start', { prompt: 'sleep 60\nsay never\n', workFolder: work }, {});
    const runner = await pollUntil(
      () => {
        const r = readRunnerJson(server.stateDir, task.taskId);
        return r && Number.isInteger(r.runnerPid) && Number.isInteger(r.childPid) ? r : null;
      },
      { timeoutMs: 15_000, label: 'runner.json with runnerPid and childPid' },
    );
    const pids = processTree([runner.runnerPid]);
    assert.ok(pids.includes(runner.childPid), `claude ${runner.childPid} under the runner ${pids}`);
    for (const pid of pids) assert.ok(pidAlive(pid), `pid ${pid}`);

    const cancelled = await client.experimental.tasks.cancelTask(task.taskId);
    assert.equal(cancelled.status, 'cancelled', JSON.stringify(cancelled));
    assert.equal(cancelled.taskId, task.taskId);
    for (const pid of pids) {
      await pollUntil(() => !pidAlive(pid), { timeoutMs: 15_000, label: `pid ${pid} to be gone` });
    }
    assert.equal((await client.experimental.tasks.getTask(task.taskId)).status, 'cancelled');
    assert.equal((await callTool(client, 'claude_check', { jobId: task.taskId })).status, 'cancelled');
    await rejectsWith(client.experimental.tasks.cancelTask(task.taskId), -32602, /already ended \(cancelled\)/);
    await pollUntil(() => statuses.some((s) => s.taskId === task.taskId && s.status === 'cancelled'), {
      timeoutMs: 10_000,
      label: 'notifications/tasks/status cancelled',
    });
  });

  test('tasks/list pages this connection\'s tasks, newest first', async () => {
    const ids = [];
    for (let i = 0; i < 52; i += 1) {
      const { task } = await rawTaskCall(client, 'claude_start', { prompt: `say list ${i}\n`, workFolder: work }, {});
      ids.push(task.taskId);
    }
    const first = await client.experimental.tasks.listTasks();
    assert.equal(first.tasks.length, 50);
    assert.ok(first.nextCursor, 'a second page');
    assert.deepEqual(first.tasks.slice(0, 50).map((t) => t.taskId), ids.slice(-50).reverse());
    const second = await client.experimental.tasks.listTasks(first.nextCursor);
    assert.deepEqual(second.tasks.slice(0, 2).map((t) => t.taskId), ids.slice(0, 2).reverse());
    for (const t of [...first.tasks, ...second.tasks]) assert.match(t.createdAt, RFC3339);
    await rejectsWith(client.experimental.tasks.listTasks('not-a-cursor'), -32602, /cursor/);
    for (const id of ids) await untilEnded(client, id, 120_000);
  });

  test('bad input gets a clear -32602 or -32601, and the server stays up', async () => {
    const tasks = client.experimental.tasks;
    await rejectsWith(tasks.getTask('nosuchtask'), -32602, /no task "nosuchtask"/);
    await rejectsWith(tasks.getTask('../../etc/passwd'), -32602, /a task id is the jobId/);
    await rejectsWith(tasks.getTaskResult('/etc/passwd', CallToolResultSchema), -32602, /no task/);
    await rejectsWith(tasks.cancelTask('nosuchtask'), -32602, /no task/);
    await rejectsWith(rawTaskCall(client, 'claude_start', { prompt: 'say x\n', workFolder: work }, { ttl: 0 }), -32602, /ttl must be above 0/);
    await rejectsWith(rawTaskCall(client, 'claude_start', { prompt: 'say x\n', workFolder: work }, { ttl: -5 }), -32602, /ttl/);
    await rejectsWith(rawTaskCall(client, 'claude_start', { prompt: 'say x\n', workFolder: work }, { ttl: 1.5 }), -32602, /whole number/);
    await rejectsWith(rawTaskCall(client, 'claude_check', { jobId: 'x' }, {}), -32601, /does not support task-augmented calls/);
    await rejectsWith(rawTaskCall(client, 'claude_start', { workFolder: work }, {}), -32602, /prompt/);

    const { task: huge } = await rawTaskCall(client, 'claude_start', { prompt: 'say huge ttl\n', workFolder: work }, { ttl: 1e18 });
    assert.equal(huge.ttl, WEEK_MS, 'a huge ttl is capped at the retention');
    await untilEnded(client, huge.taskId);
    assert.equal((await client.ping()).constructor, Object);
  });

  test('another connection\'s task is refused; its job is still a job there', async () => {
    const { task } = await rawTaskCall(client, 'claude_start', { prompt: 'say mine\n', workFolder: work }, {});
    const other = await startServer({ config: fakeClaudeConfig(), env: { CLAUDE_ASYNC_JOB_DIR: server.stateDir } });
    try {
      const tasks = other.client.experimental.tasks;
      await rejectsWith(tasks.getTask(task.taskId), -32602, /belongs to another connection/);
      await rejectsWith(tasks.getTaskResult(task.taskId, CallToolResultSchema), -32602, /another connection/);
      await rejectsWith(tasks.cancelTask(task.taskId), -32602, /another connection/);
      const listed = await tasks.listTasks();
      assert.ok(!listed.tasks.some((t) => t.taskId === task.taskId), 'listed on another connection');
      const view = await callTool(other.client, 'claude_check', { jobId: task.taskId });
      assert.equal(view.jobId, task.taskId);
    } finally {
      await other.close();
    }
    await untilEnded(client, task.taskId);
  });
});

describe('tasks/result keeps its bound', { concurrency: false }, () => {
  let server;
  let work;

  before(async () => {
    work = makeTempDir('cj-e2e-tasks-bound-');
    server = await startServer({ config: { ...fakeClaudeConfig(), maxConcurrentJobs: 1 } });
  });
  after(async () => {
    if (server) await server.close();
    removeTempDir(work);
  });

  test('on a queued job it answers within 45 s with the task as it is, and reports progress', async () => {
    const { client } = server;
    const { task: blocker } = await rawTaskCall(client, 'claude_start', { prompt: 'sleep 120\n', workFolder: work }, {});
    const { task: queued } = await rawTaskCall(client, 'claude_start', { prompt: 'say after\n', workFolder: work }, {});
    assert.match((await client.experimental.tasks.getTask(queued.taskId)).statusMessage, /^queued/);

    const progress = [];
    const began = Date.now();
    await rejectsWith(
      client.experimental.tasks.getTaskResult(queued.taskId, CallToolResultSchema, {
        onprogress: (p) => progress.push(p),
        timeout: 55_000,
      }),
      -32001,
      /has not ended within 45 s/,
    );
    const took = Date.now() - began;
    assert.ok(took >= 44_000 && took < 50_000, `answered after ${took} ms`);
    assert.ok(progress.length >= 30, `${progress.length} progress notifications`);
    assert.equal((await client.experimental.tasks.getTask(queued.taskId)).status, 'working');

    await client.experimental.tasks.cancelTask(blocker.taskId);
    await client.experimental.tasks.cancelTask(queued.taskId).catch(() => {});
  });
});
