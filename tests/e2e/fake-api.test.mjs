// The fake Messages API, checked at the HTTP level and against the real `claude` CLI directly
// (no claude-jobs involved). These also pin down the CLI behaviour the server relies on.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { modelTurns, startFakeApi } from './fake-anthropic.mjs';
import { CLAUDE_BIN, cliEnv, makeTempDir, pollUntil, removeTempDir, runClaude } from './harness.mjs';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const BYPASS = ['--dangerously-skip-permissions'];

function parseSse(text) {
  const events = [];
  for (const chunk of text.split('\n\n')) {
    if (!chunk.trim()) continue;
    let event = null;
    let data = '';
    for (const line of chunk.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    events.push({ event, data: JSON.parse(data) });
  }
  return events;
}

function turnBody(prompt, { stream = false, tools = [{ name: 'Bash', input_schema: { type: 'object' } }] } = {}) {
  return {
    model: 'claude-test',
    max_tokens: 100,
    stream,
    tools,
    messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
  };
}

async function post(api, pathname, body, headers = {}) {
  return fetch(`${api.url}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test-key', ...headers },
    body: JSON.stringify(body),
  });
}

describe('fake API over HTTP', () => {
  let api;
  before(async () => {
    api = await startFakeApi({ slowIntervalMs: 50, slowDurationMs: 60_000 });
  });
  after(async () => {
    await api.close();
  });

  test('listens on loopback with a real port', () => {
    assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(api.port > 0);
  });

  test('plain JSON reply when stream is false, with or without ?beta=true', async () => {
    for (const p of ['/v1/messages', '/v1/messages?beta=true']) {
      const res = await post(api, p, turnBody('please print hello world'));
      assert.equal(res.status, 200);
      const msg = await res.json();
      assert.equal(msg.type, 'message');
      assert.equal(msg.role, 'assistant');
      assert.equal(msg.stop_reason, 'end_turn');
      assert.deepEqual(msg.content, [{ type: 'text', text: 'hello world' }]);
      assert.equal(typeof msg.usage.input_tokens, 'number');
    }
  });

  test('SSE reply has the full event sequence', async () => {
    const res = await post(api, '/v1/messages?beta=true', turnBody('print hello world', { stream: true }));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/event-stream/);
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    assert.equal(names[0], 'message_start');
    assert.equal(names[1], 'content_block_start');
    assert.ok(names.includes('content_block_delta'));
    assert.deepEqual(names.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
    for (const e of events) assert.equal(e.data.type, e.event);
    const text = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => e.data.delta.text)
      .join('');
    assert.equal(text, 'hello world');
    const md = events.find((e) => e.event === 'message_delta');
    assert.equal(md.data.delta.stop_reason, 'end_turn');
    assert.equal(typeof md.data.usage.output_tokens, 'number');
  });

  test('make file: tool_use streamed as input_json_delta, then done after the tool result', async () => {
    const res = await post(api, '/v1/messages', turnBody('make file a.txt', { stream: true }));
    const events = parseSse(await res.text());
    const start = events.find((e) => e.event === 'content_block_start');
    assert.equal(start.data.content_block.type, 'tool_use');
    assert.equal(start.data.content_block.name, 'Bash');
    const json = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => {
        assert.equal(e.data.delta.type, 'input_json_delta');
        return e.data.delta.partial_json;
      })
      .join('');
    const input = JSON.parse(json);
    assert.equal(input.command, 'echo made > a.txt');
    assert.equal(typeof input.description, 'string');
    assert.equal(events.find((e) => e.event === 'message_delta').data.delta.stop_reason, 'tool_use');

    const body = turnBody('make file a.txt');
    body.messages.push(
      { role: 'assistant', content: [{ type: 'tool_use', id: start.data.content_block.id, name: 'Bash', input }] },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: start.data.content_block.id, content: '' }],
      },
    );
    const second = await (await post(api, '/v1/messages', body)).json();
    assert.deepEqual(second.content, [{ type: 'text', text: 'done' }]);
  });

  test('remember / recall across the conversation', async () => {
    const first = await (await post(api, '/v1/messages', turnBody('remember pineapple'))).json();
    assert.equal(first.content[0].text, 'ok');
    const body = turnBody('what did I ask you to remember');
    body.messages.unshift(
      { role: 'user', content: 'remember pineapple' },
      { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
    );
    const second = await (await post(api, '/v1/messages', body)).json();
    assert.match(second.content[0].text, /pineapple/);
  });

  test('system reminders in the user message do not affect the scripting', async () => {
    const body = turnBody('');
    body.messages[0].content = [
      { type: 'text', text: '<system-reminder>\nbe slow, remember things\n</system-reminder>\n' },
      { type: 'text', text: 'print hello world\n' },
    ];
    const msg = await (await post(api, '/v1/messages', body)).json();
    assert.equal(msg.content[0].text, 'hello world');
  });

  test('anything else is echoed', async () => {
    const msg = await (await post(api, '/v1/messages', turnBody('tell me a joke'))).json();
    assert.match(msg.content[0].text, /tell me a joke/);
  });

  test('a side call without tools gets a short answer', async () => {
    const msg = await (await post(api, '/v1/messages', turnBody('make file zzz.txt', { tools: [] }))).json();
    assert.equal(msg.content[0].type, 'text');
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(api.requests[api.requests.length - 1].kind, 'side');
  });

  test('bad-key is refused with 401 authentication_error', async () => {
    const res = await post(api, '/v1/messages', turnBody('print hello world'), { 'x-api-key': 'bad-key' });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), {
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid x-api-key' },
    });
  });

  test('count_tokens and unknown paths answer at once', async () => {
    const ct = await post(api, '/v1/messages/count_tokens', turnBody('hi'));
    assert.equal(ct.status, 200);
    assert.equal(typeof (await ct.json()).input_tokens, 'number');
    const nf = await fetch(`${api.url}/v1/nothing-here`);
    assert.equal(nf.status, 404);
    assert.equal((await nf.json()).type, 'error');
  });

  test('slow streams until the client goes away, then stops', async () => {
    const res = await post(api, '/v1/messages', turnBody('be slow', { stream: true }));
    const reader = res.body.getReader();
    let got = '';
    const dec = new TextDecoder();
    while ((got.match(/text_delta/g) || []).length < 3) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'slow stream ended early');
      got += dec.decode(value);
    }
    const rec = api.requests.find((r) => r.kind === 'slow');
    assert.ok(rec);
    assert.equal(rec.closed, false);
    await reader.cancel();
    await pollUntil(() => rec.closed, { timeoutMs: 5000, label: 'slow response closed' });
  });

  test('requests are recorded with path, headers and body', () => {
    const r = api.requests[0];
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1/messages');
    assert.equal(r.headers['x-api-key'], 'test-key');
    assert.equal(typeof r.body, 'object');
  });
});

describe('real claude CLI against the fake API', { concurrency: false }, () => {
  let api;
  let home;
  const dirs = [];
  const work = () => {
    const d = makeTempDir('cj-e2e-work-');
    dirs.push(d);
    return d;
  };

  before(async () => {
    api = await startFakeApi();
    home = makeTempDir('cj-e2e-home-');
    dirs.push(home);
  });
  after(async () => {
    await api.close();
    for (const d of dirs) removeTempDir(d);
  });

  test('the CLI binary runs', async () => {
    const { execFileSync } = await import('node:child_process');
    const v = execFileSync(CLAUDE_BIN, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    assert.match(v, /^2\.1\.329 /);
  });

  test('print hello world: result "hello world", exit 0, one model turn and nothing else', async () => {
    const before = api.requests.length;
    const r = await runClaude({
      prompt: 'print hello world\n',
      cwd: work(),
      env: cliEnv({ apiUrl: api.url, home, sandbox: false }),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.init, 'no system/init event');
    assert.ok(r.result, 'no result event');
    assert.equal(r.result.subtype, 'success');
    assert.equal(r.result.is_error, false);
    assert.equal(r.result.result, 'hello world');
    assert.equal(r.result.num_turns, 1);
    assert.equal(r.result.session_id, r.init.session_id);
    assert.equal(typeof r.result.total_cost_usd, 'number');
    assert.equal(typeof r.result.duration_ms, 'number');
    assert.deepEqual(r.result.permission_denials, []);
    assert.ok(r.events.some((e) => e.type === 'assistant'));
    const mine = api.requests.slice(before);
    assert.equal(mine.length, 1, `requests: ${mine.map((q) => `${q.method} ${q.path}${q.query}`)}`);
    assert.equal(mine[0].path, '/v1/messages');
    assert.equal(mine[0].query, '?beta=true');
    assert.equal(mine[0].body.stream, true);
    assert.equal(mine[0].headers['x-api-key'], 'test-key');
    assert.ok(mine[0].body.tools.some((t) => t.name === 'Bash'));
  });

  test('make file: the Bash tool runs in the cwd and the file exists', async () => {
    const cwd = work();
    const before = api.requests.length;
    const r = await runClaude({
      prompt: 'make file proof.txt\n',
      cwd,
      env: cliEnv({ apiUrl: api.url, home, sandbox: isRoot }),
      args: BYPASS,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.is_error, false);
    assert.equal(r.result.result, 'done');
    assert.equal(r.result.num_turns, 2);
    assert.equal(fs.readFileSync(path.join(cwd, 'proof.txt'), 'utf8'), 'made\n');
    const turns = modelTurns(api.requests.slice(before));
    assert.deepEqual(
      turns.map((t) => t.kind),
      ['make-file', 'make-file-done'],
    );
    const toolUse = r.events.find(
      (e) => e.type === 'assistant' && e.message.content.some((c) => c.type === 'tool_use'),
    );
    assert.ok(toolUse, 'no assistant tool_use event');
    assert.ok(r.events.some((e) => e.type === 'user'), 'no user (tool result) event');
  });

  test('without a permission flag the tool is denied, not prompted', async () => {
    const cwd = work();
    const r = await runClaude({
      prompt: 'make file denied.txt\n',
      cwd,
      env: cliEnv({ apiUrl: api.url, home, sandbox: false }),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.existsSync(path.join(cwd, 'denied.txt')), false);
    assert.ok(r.result.permission_denials.length >= 1, JSON.stringify(r.result.permission_denials));
    assert.equal(r.result.permission_denials[0].tool_name, 'Bash');
  });

  test('--resume continues the session with its history', async () => {
    const cwd = work();
    const env = cliEnv({ apiUrl: api.url, home, sandbox: false });
    const first = await runClaude({ prompt: 'remember pineapple\n', cwd, env });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.result.result, 'ok');
    const sid = first.result.session_id;
    const second = await runClaude({
      prompt: 'what did I ask you to remember\n',
      cwd,
      env,
      args: ['--resume', sid],
    });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.result.is_error, false);
    assert.match(second.result.result, /pineapple/);
    assert.equal(second.result.session_id, sid);
    const recall = api.requests.filter((q) => q.kind === 'recall').pop();
    assert.ok(recall.body.messages.length >= 3, 'resumed request lacks the earlier turns');
  });

  test('--resume with an unknown session id exits 1', async () => {
    const r = await runClaude({
      prompt: 'hello\n',
      cwd: work(),
      env: cliEnv({ apiUrl: api.url, home, sandbox: false }),
      args: ['--resume', '00000000-0000-4000-8000-000000000000'],
    });
    assert.equal(r.code, 1);
  });

  test('bad key: exit 1, is_error true, api_error_status 401, no retries', async () => {
    const before = api.requests.length;
    const r = await runClaude({
      prompt: 'print hello world\n',
      cwd: work(),
      env: cliEnv({ apiUrl: api.url, apiKey: 'bad-key', home, sandbox: false }),
    });
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.result, 'no result event');
    assert.equal(r.result.is_error, true);
    assert.equal(r.result.api_error_status, 401);
    assert.equal(r.result.terminal_reason, 'api_error');
    assert.match(r.result.result, /Invalid API key/);
    // The fake API sends x-should-retry: false with its 401, so the CLI asks exactly once.
    assert.equal(api.requests.length - before, 1);
  });

  test('slow + SIGTERM: exit 143, no result, the request is dropped', async () => {
    let child;
    const run = runClaude({
      prompt: 'be slow\n',
      cwd: work(),
      env: cliEnv({ apiUrl: api.url, home, sandbox: false }),
      onSpawn: (c) => {
        child = c;
      },
    });
    const before = api.requests.length;
    const rec = await api.waitForRequest(
      (q) => q.kind === 'slow' && api.requests.indexOf(q) >= before,
      30_000,
    );
    child.kill('SIGTERM');
    const r = await run;
    assert.equal(r.code, 143, `code ${r.code} signal ${r.signal}`);
    assert.equal(r.result, undefined);
    await pollUntil(() => rec.closed, { timeoutMs: 5000, label: 'slow request closed' });
  });
});
