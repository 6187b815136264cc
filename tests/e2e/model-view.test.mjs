// What the model reads of a claude-jobs tool result when the real `claude` CLI is the host:
// the CLI runs claude-jobs as its MCP server, the fake Messages API scripts a claude_jobs or
// claude_check call, and the CLI's next request to the API carries the tool_result the model
// is given. claude-jobs sends a client that reads structuredContent (protocol 2025-06-18 and
// later) the bulk once, in structuredContent, and a brief in the text block
// (docs/protocol.md, "The text block"); these tests hold that the CLI gives the model
// structuredContent, so every row and the transcript tail reach it exactly once, and not the
// text block beside it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startFakeApi } from './fake-anthropic.mjs';
import {
  SERVER_BIN,
  callTool,
  fakeClaudeConfig,
  runClaudeWithServer,
  startServer,
  tempDirs,
  toolResultText,
  toolResults,
  waitForJob,
} from './harness.mjs';

/** How many times needle occurs in haystack. */
function occurrences(haystack, needle) {
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) ++n;
  return n;
}

describe('what the model reads of a claude-jobs result, with the real claude CLI as host', { concurrency: false }, () => {
  let api;
  let server;
  const { tempDir, removeTempDirs } = tempDirs();

  before(async () => {
    api = await startFakeApi();
    server = await startServer({ config: fakeClaudeConfig() });
  });
  after(async () => {
    if (server) await server.close();
    await api.close();
    removeTempDirs();
  });

  /**
   * Has the real CLI call `tool` of a claude-jobs server (on this test's state folder) with
   * args; returns the tool_result the CLI sent the model in its next request, as text.
   */
  async function modelView(tool, args) {
    const home = tempDir('cj-e2e-model-home-');
    const work = tempDir('cj-e2e-model-work-');
    const r = await runClaudeWithServer({
      api,
      prompt: `call tool mcp__cj__${tool} ${JSON.stringify(args)}\n`,
      cwd: work,
      home,
      name: 'cj',
      server: {
        command: SERVER_BIN,
        args: ['--config', server.configPath],
        env: { CLAUDE_ASYNC_JOB_DIR: server.stateDir, HOME: server.home, PATH: process.env.PATH },
      },
    });
    const server0 = r.init.mcp_servers.find((s) => s.name === 'cj');
    assert.equal(server0?.status, 'connected', JSON.stringify(r.init.mcp_servers));
    assert.equal(r.result.result, `called mcp__cj__${tool}`, JSON.stringify(r.result));
    const next = r.requests.find((q) => q.kind === 'call-tool-done');
    assert.ok(next, `no request after the tool call: ${r.requests.map((q) => q.kind)}`);
    const results = toolResults([next]);
    assert.equal(results.length, 1, JSON.stringify(results));
    assert.notEqual(results[0].is_error, true, JSON.stringify(results[0]));
    return toolResultText(results[0]);
  }

  test('claude_jobs: the model reads every row once, as structuredContent, and not the text block', async () => {
    const work = tempDir('cj-e2e-model-jobs-');
    const ids = [];
    for (let i = 0; i < 3; ++i) {
      const start = await callTool(server.client, 'claude_start', { prompt: `say row ${i}`, workFolder: work, label: 'rows' });
      ids.push(start.jobId);
    }
    for (const id of ids) assert.equal((await waitForJob(server.client, id)).status, 'completed');

    // The same listing through the SDK client: its structuredContent and its text block.
    const args = { label: 'rows' };
    const raw = await server.client.callTool({ name: 'claude_jobs', arguments: args });
    const listed = raw.structuredContent;
    assert.deepEqual(listed.jobs.map((j) => j.jobId).sort(), [...ids].sort());
    const brief = raw.content.find((c) => c.type === 'text').text;
    assert.match(brief, /^jobs: 3 listed, newest first: 3 completed \(3 rows, in structuredContent\)$/m);
    for (const id of ids) assert.ok(!brief.includes(id), `the brief repeats row ${id}: ${brief}`);

    const seenByModel = await modelView('claude_jobs', args);
    // structuredContent, whole, and nothing else.
    assert.deepEqual(JSON.parse(seenByModel), listed, seenByModel);
    for (const id of ids) assert.equal(occurrences(seenByModel, id), 1, `row ${id}: ${seenByModel}`);
    assert.equal(occurrences(seenByModel, 'in structuredContent'), 0, `the text block reached the model: ${seenByModel}`);
  });

  test('claude_check: the model reads the transcript tail and the answer once, and not the text block', async () => {
    const work = tempDir('cj-e2e-model-check-');
    const start = await callTool(server.client, 'claude_start', {
      prompt: 'say tail-marker-4821 on the way\nsay answer-marker-9d1 is the final answer',
      workFolder: work,
    });
    const ended = await waitForJob(server.client, start.jobId);
    assert.equal(ended.status, 'completed', JSON.stringify(ended));

    const args = { jobId: start.jobId };
    const raw = await server.client.callTool({ name: 'claude_check', arguments: args });
    const view = raw.structuredContent;
    assert.match(view.output, /tail-marker-4821/, 'the tail shows what led up to the answer');
    assert.equal(view.result.text, 'answer-marker-9d1 is the final answer');
    const brief = raw.content.find((c) => c.type === 'text').text;
    assert.match(brief, /^output: \(\d+ bytes, in structuredContent\)$/m, brief);
    assert.ok(!brief.includes('tail-marker-4821') && !brief.includes('answer-marker-9d1'), brief);

    const seenByModel = await modelView('claude_check', args);
    assert.deepEqual(JSON.parse(seenByModel), view, seenByModel);
    assert.equal(occurrences(seenByModel, 'tail-marker-4821'), 1, seenByModel);
    assert.equal(occurrences(seenByModel, 'answer-marker-9d1'), 1, seenByModel);
    assert.equal(occurrences(seenByModel, 'in structuredContent'), 0, `the text block reached the model: ${seenByModel}`);
  });
});
