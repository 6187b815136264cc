// The real Claude Code CLI as the MCP host of claude-jobs, offline against the fake Messages
// API, with every line between them on tape (stdio-recorder.mjs as the server command): the
// CLI probes with server/discover, and since claude-jobs answers it, the CLI talks the
// 2026-07-28 era — per-request _meta, no initialize — and a job it starts completes and its
// result reaches the model. server/discover is on by default; switched off in the config
// (protocol.discover, docs/protocol.md "The switch") the same CLI falls back to
// initialize and the same job works the 2025 way.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startFakeApi } from './fake-anthropic.mjs';
import {
  E2E_DIR,
  SERVER_BIN,
  fakeClaudeConfig,
  runClaudeWithServer,
  tempDirs,
  toolResultText,
  toolResults,
  writeConfigFile,
} from './harness.mjs';

const RECORDER = path.join(E2E_DIR, 'stdio-recorder.mjs');
const VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
const CAPS_KEY = 'io.modelcontextprotocol/clientCapabilities';

/** The tape: [{dir: 'in'|'out', message}] in order. */
function readTape(file) {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { dir, line } = JSON.parse(l);
      return { dir, message: JSON.parse(line) };
    });
}

describe('the real CLI and claude-jobs in the 2026-07-28 era', { concurrency: false }, () => {
  let api;
  const { tempDir, removeTempDirs } = tempDirs();

  before(async () => {
    api = await startFakeApi();
  });
  after(async () => {
    await api.close();
    removeTempDirs();
  });

  /** One `claude -p` whose only MCP server is claude-jobs behind the recorder. */
  async function session({ prompt, config = {} }) {
    const root = tempDir('cj-e2e-era-');
    const state = path.join(root, 'state');
    const home = path.join(root, 'home');
    const work = path.join(root, 'work');
    for (const d of [state, home, work]) fs.mkdirSync(d);
    const configPath = writeConfigFile(root, { ...fakeClaudeConfig(), stateDir: state, ...config });
    const tape = path.join(root, 'tape.jsonl');
    const r = await runClaudeWithServer({
      api,
      prompt: prompt(work),
      cwd: work,
      home,
      server: {
        command: process.execPath,
        args: [RECORDER, tape, '--', SERVER_BIN, '--config', configPath],
        env: { HOME: home },
      },
    });
    return { r, tape: readTape(tape), results: toolResults(r.requests).map(toolResultText), work };
  }

  const startAndWait = (work) =>
    `call tool mcp__claude-jobs__claude_start ${JSON.stringify({
      prompt: 'sleep 1\nsay the era answer',
      workFolder: work,
      label: 'era',
      waitSec: 30,
    })}\n`;

  test('discover answered (the default): the CLI speaks 2026-07-28 without initialize, and the job result reaches the model', async () => {
    const { tape, results } = await session({ prompt: startAndWait });
    const sent = tape.filter((t) => t.dir === 'in').map((t) => t.message);
    const answered = tape.filter((t) => t.dir === 'out').map((t) => t.message);

    const probe = sent.find((m) => m.method === 'server/discover');
    assert.ok(probe, `the CLI probed: ${JSON.stringify(sent).slice(0, 2000)}`);
    const discovered = answered.find((m) => m.id === probe.id);
    assert.deepEqual(discovered.result.supportedVersions, ['2026-07-28'], JSON.stringify(discovered));
    assert.equal(discovered.result.resultType, 'complete');
    assert.ok(discovered.result.capabilities.extensions['io.modelcontextprotocol/tasks']);

    assert.equal(sent.filter((m) => m.method === 'initialize').length, 0, 'no initialize in this era');
    const requests = sent.filter((m) => m.id !== undefined && m.method && m.method !== 'server/discover');
    assert.ok(requests.some((m) => m.method === 'tools/list'), JSON.stringify(sent).slice(0, 2000));
    for (const m of requests) {
      assert.equal(m.params?._meta?.[VERSION_KEY], '2026-07-28', JSON.stringify(m).slice(0, 500));
      assert.equal(typeof m.params._meta[CAPS_KEY], 'object', JSON.stringify(m).slice(0, 500));
    }
    for (const m of answered.filter((a) => a.id !== undefined && a.id !== probe.id)) {
      assert.ok(m.result, `every request answered without error: ${JSON.stringify(m).slice(0, 500)}`);
      assert.ok(['complete', 'task'].includes(m.result.resultType), JSON.stringify(m).slice(0, 500));
    }

    const call = sent.find((m) => m.method === 'tools/call' && m.params.name === 'claude_start');
    assert.ok(call, 'the model called claude_start');
    const reply = answered.find((m) => m.id === call.id);
    assert.equal(reply.result.structuredContent.status, 'completed', JSON.stringify(reply).slice(0, 2000));
    assert.ok(results.some((t) => t.includes('the era answer')), `the model saw the result: ${results.join('\n---\n').slice(0, 3000)}`);
  });

  for (const era of [
    { name: 'the 2026-07-28 era (the default)', config: {}, modern: true },
    { name: 'discover switched off (2025)', config: { protocol: { discover: false } }, modern: false },
  ]) {
    test(`delegated through claude_start, claude_wait and claude_check, ${era.name}`, async () => {
      const delegate = (work) =>
        `delegate ${JSON.stringify({ prompt: 'sleep 2\nsay the delegated answer', workFolder: work, label: 'delegated' })}\n`;
      const { r, tape } = await session({ prompt: delegate, config: era.config });
      const sent = tape.filter((t) => t.dir === 'in').map((t) => t.message);
      const answered = tape.filter((t) => t.dir === 'out').map((t) => t.message);
      assert.equal(sent.some((m) => m.method === 'initialize'), !era.modern, JSON.stringify(sent).slice(0, 2000));
      const calls = sent.filter((m) => m.method === 'tools/call');
      assert.deepEqual(calls.map((m) => m.params.name), ['claude_start', 'claude_wait', 'claude_check'], JSON.stringify(calls));
      for (const call of calls) {
        assert.equal(call.params._meta?.[VERSION_KEY], era.modern ? '2026-07-28' : undefined, JSON.stringify(call));
        const reply = answered.find((m) => m.id === call.id);
        assert.ok(reply && reply.result && !reply.result.isError, JSON.stringify(reply).slice(0, 1000));
        if (era.modern) assert.equal(reply.result.resultType, 'complete', JSON.stringify(reply).slice(0, 500));
      }
      const jobId = answered.find((m) => m.id === calls[0].id).result.structuredContent.jobId;
      assert.equal(calls[1].params.arguments.jobIds[0], jobId);
      const checked = answered.find((m) => m.id === calls[2].id).result.structuredContent;
      assert.equal(checked.status, 'completed', JSON.stringify(checked).slice(0, 1000));
      const final = r.events.filter((e) => e.type === 'result').at(-1);
      assert.ok(final, r.stdout.slice(-2000));
      assert.match(final.result, new RegExp(`^delegated ${jobId}: `));
      assert.match(final.result, /the delegated answer/);
    });
  }

  test('discover switched off: the CLI falls back to initialize, and the same job works', async () => {
    const { tape, results } = await session({ prompt: startAndWait, config: { protocol: { discover: false } } });
    const sent = tape.filter((t) => t.dir === 'in').map((t) => t.message);
    const answered = tape.filter((t) => t.dir === 'out').map((t) => t.message);
    const probe = sent.find((m) => m.method === 'server/discover');
    assert.ok(probe, 'the CLI probed');
    assert.equal(answered.find((m) => m.id === probe.id).error.code, -32601);
    const init = sent.find((m) => m.method === 'initialize');
    assert.ok(init, `the CLI fell back to initialize: ${JSON.stringify(sent).slice(0, 2000)}`);
    assert.ok(answered.find((m) => m.id === init.id).result.protocolVersion);
    for (const m of sent.filter((s) => s.id !== undefined && s.method && s.method !== 'server/discover')) {
      assert.equal(m.params?._meta?.[VERSION_KEY], undefined, JSON.stringify(m).slice(0, 500));
    }
    assert.ok(results.some((t) => t.includes('the era answer')), results.join('\n---\n').slice(0, 3000));
  });
});
