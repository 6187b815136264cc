// The fake Messages API, checked at the HTTP level and against the real `claude` CLI directly
// (no claude-jobs involved). These also pin down the CLI behaviour the server relies on.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { modelTurns, startFakeApi } from './fake-anthropic.mjs';
import { CLAUDE_BIN, cliEnv, pollUntil, runClaude, tempDirs } from './harness.mjs';

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

  test('tokens: message_start and message_delta report exactly the usage asked for', async () => {
    const res = await post(
      api,
      '/v1/messages',
      turnBody('tokens in=1000 out=200 cache_write=300 cache_read=4000 print hello world', { stream: true }),
    );
    const events = parseSse(await res.text());
    const start = events.find((e) => e.event === 'message_start');
    assert.deepEqual(start.data.message.usage, {
      input_tokens: 1000,
      output_tokens: 1,
      cache_creation_input_tokens: 300,
      cache_read_input_tokens: 4000,
    });
    assert.deepEqual(events.find((e) => e.event === 'message_delta').data.usage, { output_tokens: 200 });
    const text = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => e.data.delta.text)
      .join('');
    assert.equal(text, 'hello world');
    const plain = await (await post(api, '/v1/messages', turnBody('tokens out=7 in=5'))).json();
    assert.deepEqual(plain.usage, {
      input_tokens: 5,
      output_tokens: 7,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
  });

  test('usage limit: 429 with the rate-limit headers for the caller until the reset, once per session', async () => {
    const key = { 'x-api-key': 'limit-key', 'x-claude-code-session-id': 'session-one' };
    const before = Date.now();
    const res = await post(api, '/v1/messages', turnBody('usage limit seven_day 2s, then print hello world'), key);
    assert.equal(res.status, 429);
    assert.deepEqual(await res.json(), {
      type: 'error',
      error: { type: 'rate_limit_error', message: "This request would exceed your account's 7-day usage limit." },
    });
    const reset = Number(res.headers.get('anthropic-ratelimit-unified-reset'));
    assert.ok(reset * 1000 >= before + 2000 && reset * 1000 < before + 3000, `reset ${reset} vs now ${before}`);
    assert.equal(res.headers.get('anthropic-ratelimit-unified-status'), 'rejected');
    assert.equal(res.headers.get('anthropic-ratelimit-unified-representative-claim'), 'seven_day');
    assert.equal(res.headers.get('anthropic-ratelimit-unified-7d-status'), 'rejected');
    assert.equal(res.headers.get('anthropic-ratelimit-unified-7d-reset'), String(reset));
    assert.equal(res.headers.get('anthropic-ratelimit-unified-7d-utilization'), '1');
    assert.equal(res.headers.get('anthropic-ratelimit-unified-5h-status'), 'allowed');
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    const rec = api.requests[api.requests.length - 1];
    assert.equal(rec.kind, 'usage-limit');
    assert.equal(rec.responseHeaders['anthropic-ratelimit-unified-reset'], String(reset));
    assert.deepEqual(
      api.usageLimits().filter((l) => l.caller === 'limit-key'),
      [{ caller: 'limit-key', type: 'seven_day', resetSec: reset }],
    );

    // Any prompt of the same caller is refused while the limit is in force; other callers are not.
    const other = await post(api, '/v1/messages', turnBody('print hello world'), { 'x-api-key': 'limit-key' });
    assert.equal(other.status, 429);
    const stranger = await post(api, '/v1/messages', turnBody('print hello world'), { 'x-api-key': 'other-key' });
    assert.equal(stranger.status, 200);

    // After the reset the same session goes through (the directive does not start a new limit)...
    await pollUntil(() => Date.now() >= reset * 1000, { timeoutMs: 5000, label: 'the reset' });
    const again = await post(api, '/v1/messages', turnBody('usage limit seven_day 2s, then print hello world'), key);
    assert.equal(again.status, 200);
    assert.equal((await again.json()).content[0].text, 'hello world');
    assert.deepEqual(
      api.usageLimits().filter((l) => l.caller === 'limit-key'),
      [],
    );
    // ...while a new session with the directive starts one again.
    const fresh = await post(api, '/v1/messages', turnBody('usage limit five_hour 1s'), {
      'x-api-key': 'limit-key',
      'x-claude-code-session-id': 'session-two',
    });
    assert.equal(fresh.status, 429);
    assert.equal(fresh.headers.get('anthropic-ratelimit-unified-representative-claim'), 'five_hour');
    assert.equal(fresh.headers.get('anthropic-ratelimit-unified-5h-status'), 'rejected');
  });

  test('usage limit after N: the session gets N answers first', async () => {
    const key = { 'x-api-key': 'limit-after-key', 'x-claude-code-session-id': 'session-after' };
    const body = turnBody('loop 3 usage limit five_hour 1s after 2');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(api, '/v1/messages', body, key)).status);
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  test('usage warning: a 200 with allowed_warning headers and the passed threshold', async () => {
    const res = await post(api, '/v1/messages', turnBody('usage warning five_hour 0.8, print hello world', { stream: true }));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('anthropic-ratelimit-unified-status'), 'allowed_warning');
    assert.equal(res.headers.get('anthropic-ratelimit-unified-representative-claim'), 'five_hour');
    assert.equal(res.headers.get('anthropic-ratelimit-unified-5h-status'), 'allowed_warning');
    assert.equal(res.headers.get('anthropic-ratelimit-unified-5h-utilization'), '0.8');
    assert.equal(res.headers.get('anthropic-ratelimit-unified-5h-surpassed-threshold'), '0.75');
    assert.equal(res.headers.get('anthropic-ratelimit-unified-7d-status'), 'allowed');
    assert.match(await res.text(), /hello/);
    const dflt = await post(api, '/v1/messages', turnBody('usage warning seven_day'));
    assert.equal(dflt.headers.get('anthropic-ratelimit-unified-7d-utilization'), '0.92');
    assert.equal(dflt.headers.get('anthropic-ratelimit-unified-7d-surpassed-threshold'), '0.9');
  });

  test('overloaded N / server error N: the first N requests of a session fail, then answers', async () => {
    const session = { 'x-claude-code-session-id': 'session-overloaded' };
    const body = turnBody('overloaded 2 print hello world');
    const first = await post(api, '/v1/messages', body, session);
    assert.equal(first.status, 529);
    assert.deepEqual(await first.json(), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    assert.equal((await post(api, '/v1/messages', body, session)).status, 529);
    const third = await post(api, '/v1/messages', body, session);
    assert.equal(third.status, 200);
    assert.equal((await third.json()).content[0].text, 'hello world');
    const err = await post(api, '/v1/messages', turnBody('server error 1'), { 'x-claude-code-session-id': 'session-500' });
    assert.equal(err.status, 500);
    assert.deepEqual(await err.json(), {
      type: 'error',
      error: { type: 'api_error', message: 'Internal server error' },
    });
  });

  test('loop N: a Bash step per turn, then the count', async () => {
    const body = turnBody('loop 2');
    for (let k = 1; k <= 2; k++) {
      const msg = await (await post(api, '/v1/messages', body)).json();
      assert.equal(msg.stop_reason, 'tool_use');
      const use = msg.content[0];
      assert.equal(use.name, 'Bash');
      assert.equal(use.input.command, `echo step ${k}`);
      body.messages.push(
        { role: 'assistant', content: [use] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: `step ${k}` }] },
      );
    }
    const last = await (await post(api, '/v1/messages', body)).json();
    assert.deepEqual(last.content, [{ type: 'text', text: 'looped 2 times' }]);
  });

  test('structured: a StructuredOutput call when that tool is offered, the JSON as text otherwise', async () => {
    const tools = [
      { name: 'Bash', input_schema: { type: 'object' } },
      { name: 'StructuredOutput', input_schema: { type: 'object' } },
    ];
    const msg = await (await post(api, '/v1/messages', turnBody('structured {"name":"Ada","n":[1,2]}', { tools }))).json();
    assert.equal(msg.stop_reason, 'tool_use');
    assert.equal(msg.content[0].name, 'StructuredOutput');
    assert.deepEqual(msg.content[0].input, { name: 'Ada', n: [1, 2] });
    const text = await (await post(api, '/v1/messages', turnBody('structured {"name":"Ada"}'))).json();
    assert.deepEqual(text.content, [{ type: 'text', text: '{"name":"Ada"}' }]);
  });

  test('subagent: an Agent call in the foreground with the rest of the prompt', async () => {
    const msg = await (await post(api, '/v1/messages', turnBody('subagent haiku: print hello world'))).json();
    assert.equal(msg.stop_reason, 'tool_use');
    assert.equal(msg.content[0].name, 'Agent');
    assert.deepEqual(msg.content[0].input, {
      description: 'Sub task',
      prompt: 'print hello world',
      subagent_type: 'general-purpose',
      model: 'haiku',
      run_in_background: false,
    });
  });

  test('call tool: any offered tool with the JSON as input, then "called NAME"', async () => {
    const msg = await (await post(api, '/v1/messages', turnBody('call tool mcp__x__start {"prompt": "hi"}'))).json();
    assert.equal(msg.content[0].type, 'tool_use');
    assert.equal(msg.content[0].name, 'mcp__x__start');
    assert.deepEqual(msg.content[0].input, { prompt: 'hi' });
    const body = turnBody('call tool mcp__x__start {"prompt": "hi"}');
    body.messages.push(
      { role: 'assistant', content: [msg.content[0]] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: msg.content[0].id, content: 'ok' }] },
    );
    const done = await (await post(api, '/v1/messages', body)).json();
    assert.deepEqual(done.content, [{ type: 'text', text: 'called mcp__x__start' }]);
  });

  test('a Stop hook wake-up (a task notification with the hook error) is answered as such', async () => {
    const body = turnBody('call tool mcp__x__start {"prompt": "hi"}');
    body.messages.push(
      { role: 'assistant', content: [{ type: 'text', text: 'called mcp__x__start' }] },
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text:
              '<system-reminder>\n<task-notification>\n<summary>Stop hook feedback</summary>\n</task-notification>\n' +
              '<system-reminder>\nStop hook blocking error from command "Stop": job 1 ended.\n</system-reminder>\n</system-reminder>',
          },
        ],
      },
    );
    const msg = await (await post(api, '/v1/messages', body)).json();
    assert.deepEqual(msg.content, [{ type: 'text', text: 'woken by a stop hook: job 1 ended.' }]);
  });

  test('background sleep, and the task notification that follows', async () => {
    const msg = await (await post(api, '/v1/messages', turnBody('background sleep 1 exit 3'))).json();
    assert.deepEqual(msg.content[0].input, {
      command: 'sleep 1; echo background-done; exit 3',
      description: 'Sleep in the background',
      run_in_background: true,
    });
    const body = turnBody('background sleep 1');
    body.messages.push(
      { role: 'assistant', content: [{ type: 'text', text: 'started' }] },
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text:
              '<system-reminder>\n[SYSTEM NOTIFICATION - NOT USER INPUT]\n<task-notification>\n<task-id>b1</task-id>\n' +
              '<status>completed</status>\n<summary>Background command "x" completed (exit code 0)</summary>\n' +
              '</task-notification>\n</system-reminder>',
          },
        ],
      },
    );
    const note = await (await post(api, '/v1/messages', body)).json();
    assert.deepEqual(note.content, [
      { type: 'text', text: 'background task finished: completed: Background command "x" completed (exit code 0)' },
    ]);
  });

  test('intercept answers a request itself', async () => {
    const own = await startFakeApi({
      intercept: (body) => (body.model === 'teapot' ? { status: 418, json: { type: 'error' }, kind: 'tea' } : null),
    });
    try {
      const res = await post(own, '/v1/messages', { ...turnBody('print hello world'), model: 'teapot' });
      assert.equal(res.status, 418);
      assert.equal(own.requests[0].kind, 'tea');
      assert.equal((await post(own, '/v1/messages', turnBody('print hello world'))).status, 200);
    } finally {
      await own.close();
    }
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
  const { tempDir, removeTempDirs } = tempDirs();
  const work = () => tempDir('cj-e2e-work-');

  before(async () => {
    api = await startFakeApi();
    home = tempDir('cj-e2e-home-');
  });
  after(async () => {
    await api.close();
    removeTempDirs();
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

// What the real CLI makes of the fake's limits, errors, usage and scripts: the stream-json
// shapes claude-jobs reads (docs/claude-cli-notes.md records them).
describe('real claude CLI: limits, retries, cost, budgets, structured output, background tasks', { concurrency: false }, () => {
  let api;
  let home;
  const { tempDir, removeTempDirs } = tempDirs();
  const work = () => tempDir('cj-e2e-work-');
  // Each subscriber test has its own token, so a usage limit one test starts binds only it.
  let tokenCount = 0;
  const subscriberEnv = (extra = {}) =>
    cliEnv({ apiUrl: api.url, home, sandbox: true, subscriber: true, token: `sk-ant-oat01-test-${++tokenCount}`, extra });
  const keyEnv = (extra = {}) => cliEnv({ apiUrl: api.url, home, sandbox: true, extra });
  const of = (r, type, subtype) => r.events.filter((e) => e.type === type && (subtype === undefined || e.subtype === subtype));
  const near = (actual, expected, what) =>
    assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} is not ${expected}`);

  before(async () => {
    api = await startFakeApi();
    home = tempDir('cj-e2e-home-');
  });
  after(async () => {
    await api.close();
    removeTempDirs();
  });

  test('usage: total_cost_usd, usage and modelUsage follow the reported tokens and the model price', async () => {
    // claude-sonnet-4-5 is priced per million tokens at 3 input, 15 output, 3.75 cache write,
    // 0.3 cache read: 1000*3 + 200*15 + 300*3.75 + 4000*0.3 = 8325 micro-dollars.
    const r = await runClaude({
      prompt: 'tokens in=1000 out=200 cache_write=300 cache_read=4000 print hello world\n',
      cwd: work(),
      env: keyEnv(),
      args: ['--model=claude-sonnet-4-5'],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.result, 'hello world');
    near(r.result.total_cost_usd, 0.008325, 'total_cost_usd');
    const u = r.result.usage;
    assert.deepEqual(
      [u.input_tokens, u.output_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens],
      [1000, 200, 300, 4000],
    );
    assert.deepEqual(Object.keys(r.result.modelUsage), ['claude-sonnet-4-5']);
    const m = r.result.modelUsage['claude-sonnet-4-5'];
    assert.deepEqual(
      [m.inputTokens, m.outputTokens, m.cacheCreationInputTokens, m.cacheReadInputTokens, m.webSearchRequests],
      [1000, 200, 300, 4000, 0],
    );
    near(m.costUSD, 0.008325, 'modelUsage costUSD');
    assert.equal(m.contextWindow, 200000);
    assert.equal(m.canonicalModel, 'claude-sonnet-4-5');
    assert.equal(m.costBasis, 'list');
    // The default model with an API key, and its price (4 / 20 / 5 / 0.2 per million).
    const d = await runClaude({ prompt: 'tokens in=1000 out=100 print hello world\n', cwd: work(), env: keyEnv() });
    assert.deepEqual(Object.keys(d.result.modelUsage), ['claude-opus-5-5']);
    near(d.result.total_cost_usd, 0.006, 'default model cost');
  });

  test('usage over several turns: modelUsage and usage add up, num_turns counts the turns', async () => {
    const r = await runClaude({
      prompt: 'loop 2 tokens in=10000 out=100\n',
      cwd: work(),
      env: keyEnv(),
      args: ['--model=claude-sonnet-4-5', '--dangerously-skip-permissions'],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.result, 'looped 2 times');
    assert.equal(r.result.num_turns, 3);
    assert.equal(r.result.usage.input_tokens, 30000);
    assert.equal(r.result.modelUsage['claude-sonnet-4-5'].inputTokens, 30000);
    near(r.result.total_cost_usd, 3 * (0.03 + 0.0015), 'total_cost_usd');
  });

  test('a subagent: its usage is in modelUsage under its own model and in total_cost_usd, not in usage', async () => {
    const r = await runClaude({
      prompt: 'tokens in=1000 out=100 subagent haiku: tokens in=500 out=50 print hello world\n',
      cwd: work(),
      env: keyEnv(),
      args: ['--model=claude-sonnet-4-5', '--dangerously-skip-permissions'],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.result, 'done');
    assert.deepEqual(Object.keys(r.result.modelUsage).sort(), ['claude-haiku-5-5', 'claude-sonnet-4-5']);
    const sub = r.result.modelUsage['claude-haiku-5-5'];
    assert.deepEqual([sub.inputTokens, sub.outputTokens], [500, 50]);
    const main = r.result.modelUsage['claude-sonnet-4-5'];
    assert.deepEqual([main.inputTokens, main.outputTokens], [2000, 200]);
    near(r.result.total_cost_usd, main.costUSD + sub.costUSD, 'total_cost_usd');
    near(main.costUSD, 0.009, 'main costUSD');
    assert.equal(r.result.usage.input_tokens, 2000);
    assert.equal(r.result.subagent_stats.spawned, 1);
    const note = of(r, 'system', 'task_notification')[0];
    assert.equal(note.status, 'completed');
    assert.equal(note.summary, 'hello world');
    assert.deepEqual(note.usage.total_tokens, 550);
  });

  test('across --resume: total_cost_usd and modelUsage add up over the session, usage is the run', async () => {
    const cwd = work();
    const args = ['--model=claude-sonnet-4-5'];
    const first = await runClaude({ prompt: 'tokens in=1000 out=100 print hello world\n', cwd, env: keyEnv(), args });
    assert.equal(first.code, 0, first.stderr);
    near(first.result.total_cost_usd, 0.0045, 'first total_cost_usd');
    const second = await runClaude({
      prompt: 'tokens in=2000 out=100 print hello world\n',
      cwd,
      env: keyEnv(),
      args: [...args, '--resume', first.result.session_id],
    });
    assert.equal(second.code, 0, second.stderr);
    near(second.result.total_cost_usd, 0.012, 'second total_cost_usd (both runs)');
    assert.equal(second.result.modelUsage['claude-sonnet-4-5'].inputTokens, 3000);
    assert.equal(second.result.usage.input_tokens, 2000);
    near(second.result.model_usage_since_last_result['claude-sonnet-4-5'].costUSD, 0.0075, 'this run');
    assert.equal(second.result.num_turns, 1);
  });

  test('subscriber usage limit: rate_limit_event rejected, an api_error result, exit 1; --resume after the reset completes', async () => {
    const cwd = work();
    const env = subscriberEnv();
    const r = await runClaude({ prompt: 'usage limit five_hour 6s, then print hello world\n', cwd, env });
    assert.equal(r.code, 1, r.stderr);
    const refused = api.requests.filter((q) => q.kind === 'usage-limit').pop();
    const reset = Number(refused.responseHeaders['anthropic-ratelimit-unified-reset']);
    const sevenDayReset = Number(refused.responseHeaders['anthropic-ratelimit-unified-7d-reset']);
    // Subscriber mode: the default model differs from API-key mode, and the CLI does not retry.
    assert.equal(r.init.model, 'claude-sonnet-5-5');
    const mine = api.requests.filter((q) => q.headers['x-claude-code-session-id'] === r.init.session_id);
    assert.deepEqual(
      mine.map((q) => q.kind),
      ['usage-limit'],
    );
    assert.deepEqual(of(r, 'system', 'api_retry'), []);
    const events = of(r, 'rate_limit_event');
    assert.equal(events.length, 1);
    assert.deepEqual(Object.keys(events[0]).sort(), ['rate_limit_info', 'session_id', 'type', 'uuid']);
    assert.equal(events[0].session_id, r.init.session_id);
    assert.deepEqual(events[0].rate_limit_info, {
      status: 'rejected',
      resetsAt: reset,
      rateLimitType: 'five_hour',
      isUsingOverage: false,
      unifiedWindows: {
        five_hour: { utilization: 1, resetsAt: reset, status: 'rejected' },
        seven_day: { utilization: 0.25, resetsAt: sevenDayReset, status: 'allowed' },
      },
    });
    // The refusal as a synthetic assistant message...
    const refusal = of(r, 'assistant').pop();
    assert.equal(refusal.message.model, '<synthetic>');
    assert.equal(refusal.error, 'rate_limit');
    assert.equal(refusal.is_api_error_message, true);
    assert.equal(refusal.api_error_status, 429);
    assert.equal(refusal.api_error, 'usage_limit_reached');
    assert.equal(refusal.api_error_type, 'rate_limit_error');
    assert.deepEqual(refusal.api_error_params, {
      rate_limit_info: { status: 'rejected', resetsAt: reset, rateLimitType: 'five_hour', isUsingOverage: false },
    });
    // ...and the result: subtype success (!) with is_error, terminal_reason api_error.
    assert.equal(r.result.subtype, 'success');
    assert.equal(r.result.is_error, true);
    assert.equal(r.result.terminal_reason, 'api_error');
    assert.equal(r.result.api_error_status, 429);
    assert.equal(r.result.api_error_type, 'rate_limit_error');
    assert.equal(r.result.api_error, 'usage_limit_reached');
    assert.match(r.result.result, /^You've hit your 5-hour limit · resets /);
    assert.equal(r.result.total_cost_usd, 0);
    assert.deepEqual(r.result.modelUsage, {});

    // Before the reset, resuming is refused the same way.
    const early = await runClaude({ prompt: 'continue\n', cwd, env, args: ['--resume', r.init.session_id] });
    const earlyRequest = api.requests.filter((q) => q.headers['x-claude-code-session-id'] === r.init.session_id).pop();
    assert.ok(earlyRequest.time < reset * 1000, 'the resume came after the reset: the machine was too slow');
    assert.equal(early.code, 1, early.stderr);
    assert.equal(early.result.api_error, 'usage_limit_reached');
    assert.equal(early.result.session_id, r.init.session_id);

    // Once the reset has passed, the same session continues: the refused prompt is still in it
    // (the continuation is appended to that same user message) and the job completes.
    await pollUntil(() => Date.now() >= reset * 1000, { timeoutMs: 10_000, label: 'the reset' });
    const resumed = await runClaude({ prompt: 'continue\n', cwd, env, args: ['--resume', r.init.session_id] });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.result.subtype, 'success');
    assert.equal(resumed.result.is_error, false);
    assert.equal(resumed.result.session_id, r.init.session_id);
    assert.equal(resumed.result.result, 'hello world');
    const texts = api.requests[api.requests.length - 1].body.messages[0].content.map((c) => c.text || '');
    assert.ok(texts.some((t) => t.includes('usage limit five_hour 6s')), JSON.stringify(texts));
    assert.ok(texts.some((t) => t.includes('continue')), JSON.stringify(texts));
    // In subscriber mode every run reports the limit state once it knows it: allowed now.
    assert.deepEqual(of(resumed, 'rate_limit_event').map((e) => e.rate_limit_info), [
      { status: 'allowed', isUsingOverage: false },
    ]);
  });

  test('subscriber usage limit mid-job: the cost so far stays in the result', async () => {
    const r = await runClaude({
      prompt: 'loop 3 tokens in=1000 out=100 usage limit seven_day 2s after 1\n',
      cwd: work(),
      env: subscriberEnv(),
      args: ['--dangerously-skip-permissions'],
    });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(
      of(r, 'rate_limit_event').map((e) => [e.rate_limit_info.status, e.rate_limit_info.rateLimitType]),
      [
        ['allowed', undefined],
        ['rejected', 'seven_day'],
      ],
    );
    assert.equal(r.result.terminal_reason, 'api_error');
    assert.equal(r.result.api_error, 'usage_limit_reached');
    assert.match(r.result.result, /^You've hit your weekly limit · resets /);
    assert.equal(r.result.num_turns, 2);
    // claude-sonnet-5-5: 2 per million input, 10 output.
    near(r.result.total_cost_usd, 0.003, 'total_cost_usd');
    assert.equal(r.result.modelUsage['claude-sonnet-5-5'].inputTokens, 1000);
  });

  test('API key and a usage limit: no rate_limit_event, the CLI retries (api_retry 429) until the reset', async () => {
    const started = Date.now();
    const r = await runClaude({
      prompt: 'usage limit five_hour 2s, then print hello world\n',
      cwd: work(),
      env: keyEnv(),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.result, 'hello world');
    assert.deepEqual(of(r, 'rate_limit_event'), []);
    const retries = of(r, 'system', 'api_retry');
    assert.ok(retries.length >= 1);
    assert.equal(retries[0].error_status, 429);
    assert.equal(retries[0].error, 'rate_limit');
    assert.ok(retries[0].retry_delay_ms >= 1000, JSON.stringify(retries[0]));
    assert.ok(Date.now() - started >= 1000);
  });

  test('allowed_warning: a rate_limit_event with utilization and the passed threshold, once per change', async () => {
    const r = await runClaude({
      prompt: 'loop 2 usage warning five_hour 0.8\n',
      cwd: work(),
      env: subscriberEnv(),
      args: ['--dangerously-skip-permissions'],
    });
    assert.equal(r.code, 0, r.stderr);
    const warned = api.requests.filter((q) => q.responseHeaders && q.kind === 'loop').pop();
    const reset = Number(warned.responseHeaders['anthropic-ratelimit-unified-reset']);
    const sevenDayReset = Number(warned.responseHeaders['anthropic-ratelimit-unified-7d-reset']);
    const events = of(r, 'rate_limit_event');
    // Three turns with the same headers: one event.
    assert.equal(events.length, 1);
    assert.deepEqual(events[0].rate_limit_info, {
      status: 'allowed_warning',
      resetsAt: reset,
      rateLimitType: 'five_hour',
      utilization: 0.8,
      isUsingOverage: false,
      surpassedThreshold: 0.75,
      unifiedWindows: {
        five_hour: { utilization: 0.8, resetsAt: reset, status: 'allowed_warning', surpassedThreshold: 0.75 },
        seven_day: { utilization: 0.25, resetsAt: sevenDayReset, status: 'allowed' },
      },
    });
    assert.equal(r.result.is_error, false);
  });

  test('overloaded: system/api_retry events, then success', async () => {
    const r = await runClaude({ prompt: 'overloaded 2 print hello world\n', cwd: work(), env: keyEnv() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.result, 'hello world');
    const retries = of(r, 'system', 'api_retry');
    assert.deepEqual(
      retries.map((e) => [e.attempt, e.max_retries, e.error_status, e.error]),
      [
        [1, 10, 529, 'overloaded'],
        [2, 10, 529, 'overloaded'],
      ],
    );
    for (const e of retries) {
      assert.deepEqual(Object.keys(e).sort(), [
        'attempt',
        'error',
        'error_status',
        'max_retries',
        'retry_delay_ms',
        'session_id',
        'subtype',
        'type',
        'uuid',
      ]);
      assert.ok(e.retry_delay_ms > 0);
    }
  });

  test('server errors past CLAUDE_CODE_MAX_RETRIES: api_retry, then an api_error result, exit 1', async () => {
    const r = await runClaude({
      prompt: 'server error 99 print hello world\n',
      cwd: work(),
      env: keyEnv({ CLAUDE_CODE_MAX_RETRIES: '1' }),
    });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(
      of(r, 'system', 'api_retry').map((e) => [e.attempt, e.max_retries, e.error_status, e.error]),
      [[1, 1, 500, 'server_error']],
    );
    assert.equal(r.result.subtype, 'success');
    assert.equal(r.result.is_error, true);
    assert.equal(r.result.terminal_reason, 'api_error');
    assert.equal(r.result.api_error_status, 500);
    assert.equal(r.result.api_error_type, 'api_error');
    assert.match(r.result.result, /^API Error: 500 Internal server error/);
  });

  test('--max-budget-usd: the turn that passes the budget ends the run with error_max_budget_usd', async () => {
    // 0.0315 per turn against 0.05: the second turn passes it.
    const r = await runClaude({
      prompt: 'loop 5 tokens in=10000 out=100\n',
      cwd: work(),
      env: keyEnv(),
      args: ['--model=claude-sonnet-4-5', '--dangerously-skip-permissions', '--max-budget-usd=0.05'],
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.result.subtype, 'error_max_budget_usd');
    assert.equal(r.result.is_error, true);
    assert.equal(r.result.terminal_reason, 'budget_exhausted');
    assert.deepEqual(r.result.errors, ['Reached maximum budget ($0.05)']);
    assert.equal(r.result.result, undefined);
    assert.equal(r.result.num_turns, 2);
    near(r.result.total_cost_usd, 0.063, 'total_cost_usd');
    assert.equal(r.result.modelUsage['claude-sonnet-4-5'].inputTokens, 20000);
    // usage lags one turn behind here: modelUsage and total_cost_usd are the complete figures.
    assert.equal(r.result.usage.input_tokens, 10000);
    assert.equal(modelTurns(api.requests).filter((q) => q.headers['x-claude-code-session-id'] === r.init.session_id).length, 2);
  });

  test('--max-turns: error_max_turns, num_turns one past the limit', async () => {
    const r = await runClaude({
      prompt: 'loop 5\n',
      cwd: work(),
      env: keyEnv(),
      args: ['--dangerously-skip-permissions', '--max-turns=2'],
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.result.subtype, 'error_max_turns');
    assert.equal(r.result.is_error, true);
    assert.equal(r.result.terminal_reason, 'max_turns');
    assert.deepEqual(r.result.errors, ['Reached maximum number of turns (2)']);
    assert.equal(r.result.num_turns, 3);
    assert.equal(r.result.result, undefined);
    assert.ok(r.result.total_cost_usd > 0);
    assert.equal(modelTurns(api.requests).filter((q) => q.headers['x-claude-code-session-id'] === r.init.session_id).length, 2);
  });

  test('--json-schema: the model calls StructuredOutput; the result carries structured_output', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
      required: ['name'],
    };
    const r = await runClaude({
      prompt: 'structured {"name":"Ada","age":36}\n',
      cwd: work(),
      env: keyEnv(),
      args: [`--json-schema=${JSON.stringify(schema)}`],
    });
    assert.equal(r.code, 0, r.stderr);
    const offered = modelTurns(api.requests).pop().body.tools.find((t) => t.name === 'StructuredOutput');
    assert.deepEqual(offered.input_schema, schema);
    assert.equal(r.result.subtype, 'success');
    assert.equal(r.result.is_error, false);
    assert.deepEqual(r.result.structured_output, { name: 'Ada', age: 36 });
    assert.equal(r.result.result, '{"name":"Ada","age":36}');
    // The run ends on the tool's result: no model turn after it.
    const toolResult = of(r, 'user').pop();
    assert.equal(toolResult.message.content[0].content, 'Structured output provided successfully');
    assert.equal(r.result.num_turns, 2);
  });

  test('--json-schema never satisfied: still subtype success, exit 0, but no structured_output', async () => {
    const r = await runClaude({
      prompt: 'structured {"age":"old"}\n',
      cwd: work(),
      env: keyEnv(),
      args: ['--json-schema={"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}'],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.subtype, 'success');
    assert.equal(r.result.is_error, false);
    assert.equal('structured_output' in r.result, false);
    const rejected = of(r, 'user').find((e) => e.message.content[0].type === 'tool_result');
    assert.equal(rejected.message.content[0].is_error, true);
    assert.match(rejected.message.content[0].content, /^Output does not match required schema: /);
    // The CLI insists once with a synthetic user message, then gives up.
    const nudge = of(r, 'user').filter((e) => e.isSynthetic);
    assert.equal(nudge.length, 1);
    assert.match(nudge[0].message.content[0].text, /^\[structured-output-enforce\] You MUST call the StructuredOutput tool/);
  });

  test('Bash run_in_background: the -p run waits, then a new turn starts with a <task-notification>', async () => {
    const cwd = work();
    const r = await runClaude({
      prompt: 'background sleep 1 exit 3\n',
      cwd,
      env: keyEnv(),
      args: ['--dangerously-skip-permissions'],
    });
    assert.equal(r.code, 0, r.stderr);
    const results = of(r, 'result');
    assert.equal(results.length, 2);
    assert.deepEqual(results.map((e) => [e.result_index, e.result, e.is_error]), [
      [0, 'started', false],
      [1, 'background task finished: failed: Background command "Sleep in the background" failed with exit code 3', false],
    ]);
    assert.equal(results[0].origin, undefined);
    assert.equal(results[1].origin.kind, 'task-notification');
    assert.ok(results[1].total_cost_usd > results[0].total_cost_usd, 'total_cost_usd is cumulative');
    // Each turn starts with its own system/init.
    assert.equal(of(r, 'system', 'init').length, 2);
    const started = of(r, 'system', 'task_started')[0];
    assert.equal(started.is_backgrounded, true);
    assert.equal(started.task_type, 'local_bash');
    const note = of(r, 'system', 'task_notification')[0];
    assert.equal(note.task_id, started.task_id);
    assert.equal(note.status, 'failed');
    assert.equal(note.summary, 'Background command "Sleep in the background" failed with exit code 3');
    // The output file holds the command's output and, for a non-zero exit, a line saying so.
    assert.equal(fs.readFileSync(note.output_file, 'utf8'), 'background-done\n\n[exited with code 3]\n');
    // What the model is told: the notification in a system reminder, with the output file but not
    // the output.
    const told = modelTurns(api.requests).filter((q) => q.kind === 'task-notification').pop();
    const text = told.body.messages[told.body.messages.length - 1].content.map((c) => c.text).join('');
    assert.match(text, /^<system-reminder>\n\[SYSTEM NOTIFICATION - NOT USER INPUT\]/);
    assert.ok(text.includes(`<task-id>${note.task_id}</task-id>`));
    assert.ok(text.includes(`<output-file>${note.output_file}</output-file>`));
    assert.ok(text.includes('<status>failed</status>'));
    assert.ok(!text.includes('background-done'), 'the output itself is not in the notification');
  });
});
