// The rest of the job spec (claude_start effort, maxTurns, appendSystemPrompt, addDirs,
// jsonSchema, mcpConfig, strictMcpConfig, settings, fallbackModel): each reaches the CLI as
// its own argv element (the stand-in records its argv), and a value that starts with '-' or
// holds a newline is refused before anything runs.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  callTool,
  callToolError,
  fakeClaudeConfig,
  makeTempDir,
  removeTempDir,
  startServer,
  waitForJob,
} from './harness.mjs';

describe('job spec options', { concurrency: false }, () => {
  let server;
  let work;
  before(async () => {
    server = await startServer({ config: fakeClaudeConfig() });
    work = makeTempDir('cj-e2e-work-');
  });
  after(async () => {
    await server.close();
    removeTempDir(work);
  });

  test('each option is one argv element of its own', async () => {
    const argsFile = path.join(work, 'argv.txt');
    const extra = makeTempDir('cj-e2e-extra-');
    const start = await callTool(server.client, 'claude_start', {
      prompt: `args ${argsFile}`,
      workFolder: work,
      effort: 'high',
      maxTurns: 7,
      appendSystemPrompt: 'Be brief. --model=evil',
      addDirs: [extra, work],
      jsonSchema: { type: 'object', properties: { n: { type: 'integer' } } },
      mcpConfig: { mcpServers: {} },
      settings: { model: 'claude-sonnet-4-5' },
      fallbackModel: 'sonnet',
    });
    const view = await waitForJob(server.client, start.jobId);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    const argv = fs.readFileSync(argsFile, 'utf8').split('\n').slice(1, -1);
    for (const expected of [
      '--strict-mcp-config',
      '--effort=high',
      '--max-turns=7',
      '--append-system-prompt=Be brief. --model=evil',
      `--add-dir=${extra}`,
      `--add-dir=${work}`,
      '--json-schema={"properties":{"n":{"type":"integer"}},"type":"object"}',
      '--mcp-config={"mcpServers":{}}',
      '--settings={"model":"claude-sonnet-4-5"}',
      '--fallback-model=sonnet',
    ]) assert.ok(argv.includes(expected), `${expected} not in ${JSON.stringify(argv)}`);
    assert.ok(!argv.includes('--model=evil'));
    removeTempDir(extra);
  });

  test('strictMcpConfig false leaves the folder\'s MCP servers on', async () => {
    const argsFile = path.join(work, 'argv2.txt');
    const start = await callTool(server.client, 'claude_start', {
      prompt: `args ${argsFile}`, workFolder: work, strictMcpConfig: false,
    });
    await waitForJob(server.client, start.jobId);
    assert.ok(!fs.readFileSync(argsFile, 'utf8').split('\n').includes('--strict-mcp-config'));
  });

  test('a value starting with - or holding a newline is refused', async () => {
    for (const bad of [
      { appendSystemPrompt: '--dangerously-skip-permissions' },
      { appendSystemPrompt: 'one\ntwo' },
      { fallbackModel: '-m' },
      { addDirs: ['--add-dir=/'] },
      { addDirs: ['/tmp\n/etc'] },
      { effort: 'enormous' },
      { maxTurns: 0 },
      { mcpConfig: { servers: {} } },
    ]) {
      const err = await callToolError(server.client, 'claude_start', { prompt: 'say hi', workFolder: work, ...bad }, 'invalid_argument');
      assert.match(err.message, new RegExp(Object.keys(bad)[0]), err.message);
    }
  });
});
