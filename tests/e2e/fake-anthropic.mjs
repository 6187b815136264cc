// A fake Anthropic Messages API for running the real `claude` CLI offline.
//
// Listens on 127.0.0.1 only. Behaviour is scripted by the conversation:
//   "print hello world"               -> text "hello world"
//   "make file NAME"                  -> tool_use Bash `echo made > NAME`, then "done" after the result
//   "remember WORD"                   -> text "ok"
//   "what did I ask you to remember"  -> the WORD from an earlier "remember WORD" in the conversation
//   "slow"                            -> a text delta every 500 ms for ~60 s (stops when the client goes)
//   x-api-key "bad-key"               -> HTTP 401 authentication_error
//   anything else                     -> echo of the prompt
// Requests that are not model turns of the main conversation (no tools offered, e.g. a title or
// summary side call) get a short plain answer and never change the scripting.
//
// Library use:  const api = await startFakeApi(); ... api.url, api.requests, await api.close()
// Standalone:   node fake-anthropic.mjs [--port N] [--log]   (prints the URL on stdout)

import http from 'node:http';
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';

const MODEL_FALLBACK = 'claude-sonnet-4-5';
const BAD_KEY = 'bad-key';
const RECORDED_HEADERS = [
  'x-api-key',
  'authorization',
  'anthropic-version',
  'anthropic-beta',
  'content-type',
  'user-agent',
  'x-app',
  'accept',
];

let idCounter = 0;
function newId(prefix) {
  idCounter += 1;
  return `${prefix}_fake${Date.now().toString(36)}${idCounter.toString(36).padStart(6, '0')}`;
}

/** Text of a message's content (string or blocks), tool results excluded. */
function messageText(message) {
  if (!message) return '';
  const { content } = message;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((b) => b && b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text)
    .join('\n');
}

/** Drop the harness's <system-reminder> blocks so only what the user typed is scripted on. */
function stripReminders(text) {
  return text.replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '').trim();
}

function hasToolResult(message) {
  return (
    !!message &&
    Array.isArray(message.content) &&
    message.content.some((b) => b && b.type === 'tool_result')
  );
}

/** The latest user message that carries typed text (not only tool results). */
function lastUserPrompt(messages) {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    const text = stripReminders(messageText(m));
    if (text) return { index: i, text };
  }
  return { index: -1, text: '' };
}

function systemText(system) {
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) return system.map((b) => (b && b.text) || '').join('\n');
  return '';
}

/**
 * Decide the answer for one request.
 * Returns {kind, blocks: [{type:'text', text} | {type:'tool_use', name, input}], slow?}
 */
export function planResponse(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const last = messages[messages.length - 1];
  const { index: promptIndex, text: prompt } = lastUserPrompt(messages);
  const lower = prompt.toLowerCase();

  // A side call (no tools offered): answer briefly, never script on it.
  if (tools.length === 0) {
    return { kind: 'side', blocks: [{ type: 'text', text: sideAnswer(body) }] };
  }

  const toolResultTurn = hasToolResult(last);

  const make = /make file\s+([A-Za-z0-9._-]+)/i.exec(prompt);
  if (make) {
    const name = make[1];
    if (toolResultTurn) return { kind: 'make-file-done', blocks: [{ type: 'text', text: 'done' }] };
    const bash = tools.find((t) => t && t.name === 'Bash');
    return {
      kind: 'make-file',
      blocks: [
        {
          type: 'tool_use',
          name: bash ? bash.name : 'Bash',
          input: { command: `echo made > ${name}`, description: `Create ${name}` },
        },
      ],
    };
  }

  if (toolResultTurn) {
    // A tool result for something not scripted: finish the turn.
    return { kind: 'tool-result', blocks: [{ type: 'text', text: 'done' }] };
  }

  if (lower.includes('what did i ask you to remember')) {
    let word = '';
    for (let i = 0; i < messages.length; i++) {
      if (i === promptIndex || messages[i].role !== 'user') continue;
      const m = /remember\s+([A-Za-z0-9_-]+)/i.exec(stripReminders(messageText(messages[i])));
      if (m && m[1].toLowerCase() !== 'what') word = m[1];
    }
    return {
      kind: 'recall',
      blocks: [{ type: 'text', text: word ? `You asked me to remember ${word}.` : 'I do not know.' }],
    };
  }

  const remember = /remember\s+([A-Za-z0-9_-]+)/i.exec(prompt);
  if (remember) return { kind: 'remember', blocks: [{ type: 'text', text: 'ok' }] };

  if (lower.includes('print hello world')) {
    return { kind: 'hello', blocks: [{ type: 'text', text: 'hello world' }] };
  }

  if (/\bslow\b/i.test(prompt)) {
    return { kind: 'slow', slow: true, blocks: [{ type: 'text', text: '' }] };
  }

  return { kind: 'echo', blocks: [{ type: 'text', text: prompt ? `echo: ${prompt}` : 'echo' }] };
}

function sideAnswer(body) {
  const sys = systemText(body.system).toLowerCase();
  // Some side calls ask for JSON (e.g. a title); a small JSON object satisfies those, and a
  // caller that wanted prose still gets something short.
  if (sys.includes('json')) return JSON.stringify({ isNewTopic: false, title: 'Fake session' });
  if (sys.includes('title')) return 'Fake session';
  return 'ok';
}

function usage(inputTokens, outputTokens) {
  return {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function estimateTokens(body) {
  try {
    return Math.max(1, Math.ceil(JSON.stringify(body.messages || []).length / 4));
  } catch {
    return 1;
  }
}

function toContent(blocks) {
  return blocks.map((b) =>
    b.type === 'tool_use'
      ? { type: 'tool_use', id: b.id || newId('toolu'), name: b.name, input: b.input }
      : { type: 'text', text: b.text },
  );
}

function sendJson(res, status, obj, extraHeaders = {}) {
  const data = JSON.stringify(obj);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    'request-id': newId('req'),
    ...extraHeaders,
  });
  res.end(data);
}

function sse(res, event, data) {
  if (res.writableEnded || res.destroyed) return false;
  return res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function streamMessage(res, body, plan, options, onClose) {
  const model = body.model || MODEL_FALLBACK;
  const inputTokens = estimateTokens(body);
  const content = toContent(plan.blocks);
  const hasTool = content.some((b) => b.type === 'tool_use');
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'request-id': newId('req'),
  });
  sse(res, 'message_start', {
    type: 'message_start',
    message: {
      id: newId('msg'),
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usage(inputTokens, 1),
    },
  });

  const finish = (outputTokens) => {
    sse(res, 'message_delta', {
      type: 'message_delta',
      delta: { stop_reason: hasTool ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: { output_tokens: outputTokens },
    });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  };

  if (plan.slow) {
    sse(res, 'content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    let n = 0;
    const total = Math.max(1, Math.round(options.slowDurationMs / options.slowIntervalMs));
    const timer = setInterval(() => {
      if (res.destroyed || res.writableEnded) {
        clearInterval(timer);
        return;
      }
      n += 1;
      sse(res, 'content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: `tick ${n}\n` },
      });
      if (n >= total) {
        clearInterval(timer);
        sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
        finish(n);
      }
    }, options.slowIntervalMs);
    onClose(() => clearInterval(timer));
    return;
  }

  content.forEach((block, index) => {
    if (block.type === 'tool_use') {
      sse(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      const json = JSON.stringify(block.input);
      const mid = Math.floor(json.length / 2);
      for (const part of [json.slice(0, mid), json.slice(mid)]) {
        sse(res, 'content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: part },
        });
      }
    } else {
      sse(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '' },
      });
      const words = block.text.match(/\S+\s*|\s+/g) || [''];
      for (const w of words) {
        sse(res, 'content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'text_delta', text: w },
        });
      }
    }
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
  });
  finish(Math.max(1, Math.ceil(JSON.stringify(content).length / 4)));
}

function jsonMessage(res, body, plan) {
  const content = toContent(plan.blocks.map((b) => (plan.slow ? { type: 'text', text: 'slow' } : b)));
  const hasTool = content.some((b) => b.type === 'tool_use');
  sendJson(res, 200, {
    id: newId('msg'),
    type: 'message',
    role: 'assistant',
    model: body.model || MODEL_FALLBACK,
    content,
    stop_reason: hasTool ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: usage(estimateTokens(body), Math.max(1, Math.ceil(JSON.stringify(content).length / 4))),
  });
}

function errorBody(type, message) {
  return { type: 'error', error: { type, message } };
}

/**
 * Start the fake API.
 * options: port (0 = any free), host ('127.0.0.1'), slowIntervalMs (500), slowDurationMs (60000),
 *          log (false: print one line per request to stderr), logBodies (false)
 * Returns {url, port, requests, events, waitForRequest(pred, timeoutMs), close()}.
 */
export async function startFakeApi(options = {}) {
  const opts = {
    port: 0,
    host: '127.0.0.1',
    slowIntervalMs: 500,
    slowDurationMs: 60_000,
    log: false,
    logBodies: false,
    ...options,
  };
  const requests = [];
  const events = new EventEmitter();
  const sockets = new Set();

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://localhost');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = null;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const headers = {};
      for (const h of RECORDED_HEADERS) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
      const record = {
        time: Date.now(),
        method: req.method,
        path: url.pathname,
        query: url.search,
        headers,
        body,
        kind: null,
        status: null,
        closed: false,
      };
      requests.push(record);
      res.on('close', () => {
        record.closed = true;
        events.emit('close', record);
      });
      try {
        handle(req, res, url, body, record);
      } catch (err) {
        record.status = 500;
        if (!res.headersSent) sendJson(res, 500, errorBody('api_error', String(err && err.message)));
        else res.destroy();
      }
      if (opts.log) {
        const summary =
          body && typeof body === 'object'
            ? ` model=${body.model} stream=${!!body.stream} tools=${(body.tools || []).length} msgs=${(body.messages || []).length}`
            : '';
        process.stderr.write(
          `[fake-api] ${req.method} ${url.pathname}${url.search} -> ${record.status} ${record.kind || ''}${summary}\n`,
        );
        if (opts.logBodies) process.stderr.write(`${JSON.stringify(body, null, 2)}\n`);
      }
      events.emit('request', record);
    });
  });

  function handle(req, res, url, body, record) {
    const path = url.pathname.replace(/\/+$/, '');
    if (req.headers['x-api-key'] === BAD_KEY) {
      record.status = 401;
      record.kind = 'auth-error';
      sendJson(res, 401, errorBody('authentication_error', 'invalid x-api-key'), {
        'x-should-retry': 'false',
      });
      return;
    }
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      record.status = 200;
      record.kind = 'count-tokens';
      sendJson(res, 200, { input_tokens: estimateTokens(body || {}) });
      return;
    }
    if (req.method === 'POST' && path === '/v1/messages') {
      if (!body || typeof body !== 'object' || !Array.isArray(body.messages)) {
        record.status = 400;
        record.kind = 'bad-request';
        sendJson(res, 400, errorBody('invalid_request_error', 'messages: field required'));
        return;
      }
      const plan = planResponse(body);
      record.kind = plan.kind;
      record.status = 200;
      if (body.stream) {
        streamMessage(res, body, plan, opts, (fn) => res.on('close', fn));
      } else {
        jsonMessage(res, body, plan);
      }
      return;
    }
    if ((req.method === 'HEAD' || req.method === 'GET') && path === '/api/hello') {
      // Connectivity probe the CLI makes when non-essential traffic is not disabled.
      record.status = 200;
      record.kind = 'hello-probe';
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      res.end(req.method === 'HEAD' ? undefined : 'ok');
      return;
    }
    record.status = 404;
    record.kind = 'not-found';
    sendJson(res, 404, errorBody('not_found_error', `Not found: ${req.method} ${url.pathname}`));
  }

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();
  const url = `http://${opts.host}:${port}`;

  /** Resolve with the first recorded request (past or future) matching pred. */
  function waitForRequest(pred, timeoutMs = 30_000) {
    const found = requests.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onReq = (r) => {
        if (pred(r)) {
          clearTimeout(timer);
          events.off('request', onReq);
          resolve(r);
        }
      };
      const timer = setTimeout(() => {
        events.off('request', onReq);
        reject(new Error(`fake API: no matching request within ${timeoutMs} ms`));
      }, timeoutMs);
      events.on('request', onReq);
    });
  }

  let closed = false;
  async function close() {
    if (closed) return;
    closed = true;
    await new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  }

  return { url, port, requests, events, waitForRequest, close };
}

/** Model-turn requests only (the main conversation), for assertions. */
export function modelTurns(requests) {
  return requests.filter(
    (r) => r.path === '/v1/messages' && r.body && Array.isArray(r.body.tools) && r.body.tools.length > 0,
  );
}

async function main(argv) {
  let port = 0;
  let log = false;
  let logBodies = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') port = Number(argv[++i]);
    else if (argv[i] === '--log') log = true;
    else if (argv[i] === '--log-bodies') {
      log = true;
      logBodies = true;
    } else {
      process.stderr.write('usage: node fake-anthropic.mjs [--port N] [--log] [--log-bodies]\n');
      process.exit(2);
    }
  }
  const api = await startFakeApi({ port, log, logBodies });
  process.stdout.write(`${api.url}\n`);
  const stop = () => api.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  });
}
