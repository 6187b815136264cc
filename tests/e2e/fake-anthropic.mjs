// A fake Anthropic Messages API for running the real `claude` CLI offline.
//
// Listens on 127.0.0.1 only. Behaviour is scripted by the conversation (the last typed user text,
// system reminders removed; matching is case-insensitive):
//   "print hello world"               -> text "hello world"
//   "make file NAME"                  -> tool_use Bash `echo made > NAME`, then "done" after the result
//   "remember WORD"                   -> text "ok"
//   "what did I ask you to remember"  -> the WORD from an earlier "remember WORD" in the conversation
//   "slow"                            -> a text delta every 500 ms for ~60 s (stops when the client goes)
//   "loop N"                          -> N model turns each calling Bash `echo step K` (K = 1..N), then
//                                        text "looped N times" (for --max-turns and --max-budget-usd)
//   "structured {JSON}"               -> when the StructuredOutput tool is offered (--json-schema), a
//                                        call of it with the JSON object as input, then "done"; without
//                                        that tool, the JSON as text
//   "call tool NAME {JSON}"           -> tool_use NAME (any offered tool, e.g. an MCP server's
//                                        mcp__SERVER__TOOL) with the JSON object as its input, then
//                                        "called NAME" after the result
//   "delegate {JSON}"                 -> a job through the claude-jobs tools (the offered server
//                                        name, else claude-jobs): claude_start with the JSON as its input, then
//                                        claude_wait on the jobId its result names, then
//                                        claude_check of it, then text "delegated JOBID: <the
//                                        check's result, as the model was given it>"
//   "subagent [sonnet|opus|haiku]: TEXT"
//                                     -> tool_use Agent (general-purpose, in the foreground, on that
//                                        model) with TEXT as its prompt (the subagent's own turns are
//                                        scripted on TEXT), then "done" after its result
//   "background sleep S [exit N]"     -> tool_use Bash `sleep S; echo background-done[; exit N]` with
//                                        run_in_background: true, then text "started" after the result
//   a <task-notification> (the CLI's own user message when a background task ends, inside a
//   system reminder)                  -> "background task finished: <status>: <summary>"
//   a Stop hook's blocking error (the CLI's own user message after a Stop hook exited 2, e.g.
//   an asyncRewake hook)              -> "woken by a stop hook: <the hook's message>"
//   x-api-key "bad-key"               -> HTTP 401 authentication_error
//   anything else                     -> echo of the prompt
// Directives anywhere in the same prompt change how the turn is delivered; the rest of the prompt
// still decides the content (e.g. "usage limit five_hour 3s, then print hello world"):
//   "tokens in=A out=B cache_write=C cache_read=D"   (any subset, others 0)
//        every model turn of the conversation reports exactly this usage: message_start carries
//        input_tokens A, cache_creation_input_tokens C, cache_read_input_tokens D; message_delta
//        output_tokens B. Without it the usage is estimated from the request size.
//   "usage limit five_hour|seven_day [N]s [after M]"   (N defaults to 5, M to 0)
//        the first request of a session carrying it (with "after M": the request after M answered
//        turns, e.g. mid-way through a "loop") starts a usage limit for the caller (its x-api-key
//        or authorization value) that resets N seconds later (rounded up to a whole second).
//        While it is in force every request of that caller (any prompt, any session) gets HTTP
//        429 rate_limit_error with the subscription rate-limit headers (status rejected, reset,
//        representative-claim, per-window 5h/7d status/reset/utilization, retry-after). The same
//        session never starts it again, so a `--resume` after the reset goes through.
//   "usage warning five_hour|seven_day [U]"  (U = utilization, default 0.92)
//        the turn succeeds with allowed_warning headers: that window's utilization U and
//        surpassed-threshold (0.9, 0.75 or 0.5: the highest one U passes).
//   "overloaded N" / "server error N"
//        the first N requests of the session carrying it get HTTP 529 overloaded_error / 500
//        api_error (the CLI retries: system/api_retry events), later ones are answered normally.
// Requests that are not model turns of the main conversation (no tools offered, e.g. a title or
// summary side call) get a short plain answer and never change the scripting; only a usage limit
// in force refuses them too.
//
// The CLI reads the rate-limit headers (rate_limit_event) only when it runs as a subscriber:
// give it CLAUDE_CODE_OAUTH_TOKEN instead of ANTHROPIC_API_KEY (harness cliEnv({subscriber:true})).
// With an API key it retries the 429 itself until the reset (system/api_retry, error rate_limit).
//
// Library use:  const api = await startFakeApi(); ... api.url, api.requests, await api.close()
//               Each request record has method, path, query, headers, body, kind (what was
//               answered), status, responseHeaders (the rate-limit headers sent, or null), closed.
//               options.intercept(body, req, record) may answer a /v1/messages request itself by
//               returning {status, json, headers?, kind?}; api.usageLimits() lists limits in force.
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
  'x-claude-code-session-id',
];

// Subscription rate-limit windows: the directive's name and the header infix the CLI reads.
const WINDOWS = { five_hour: '5h', seven_day: '7d' };
const WINDOW_SECONDS = { five_hour: 5 * 3600, seven_day: 7 * 24 * 3600 };

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

/** Tool results that came back since the user message at index from. */
function toolResultsSince(messages, from) {
  let n = 0;
  for (let i = from + 1; i < messages.length; i++) {
    if (messages[i].role === 'user' && hasToolResult(messages[i])) n += 1;
  }
  return n;
}

/** The text of the tool results in a message, joined. */
function toolResultText(message) {
  if (!message || !Array.isArray(message.content)) return '';
  return message.content
    .filter((b) => b && b.type === 'tool_result')
    .map((b) => (typeof b.content === 'string' ? b.content : messageText({ content: b.content })))
    .join('\n');
}

/** The first {...} in text that parses as a JSON object, or undefined. */
function jsonObjectIn(text) {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  for (let end = text.lastIndexOf('}'); end > start; end = text.lastIndexOf('}', end - 1)) {
    try {
      const value = JSON.parse(text.slice(start, end + 1));
      if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      // try a shorter span
    }
  }
  return undefined;
}

/**
 * The delivery directives in a prompt (see the header comment):
 * {tokens?: {input, output, cacheWrite, cacheRead}, limit?: {type, seconds, after, trigger},
 *  warning?: {type, utilization}, failure?: {status, count, trigger}}
 */
export function parseDirectives(prompt) {
  const d = {};
  const tokens = /\btokens((?:\s+(?:in|out|cache_write|cache_read)=\d+)+)/i.exec(prompt);
  if (tokens) {
    const get = (k) => {
      const m = new RegExp(`\\b${k}=(\\d+)`, 'i').exec(tokens[1]);
      return m ? Number(m[1]) : 0;
    };
    d.tokens = {
      input: get('in'),
      output: get('out'),
      cacheWrite: get('cache_write'),
      cacheRead: get('cache_read'),
    };
  }
  const limit = /\busage limit (five_hour|seven_day)(?:\s+(\d+(?:\.\d+)?)s\b)?(?:\s+after (\d+)\b)?/i.exec(prompt);
  if (limit) {
    d.limit = {
      type: limit[1].toLowerCase(),
      seconds: limit[2] ? Number(limit[2]) : 5,
      after: limit[3] ? Number(limit[3]) : 0,
      trigger: limit[0].toLowerCase(),
    };
  }
  const warning = /\busage warning (five_hour|seven_day)(?:\s+(0?\.\d+|1(?:\.0+)?)\b)?/i.exec(prompt);
  if (warning) {
    d.warning = { type: warning[1].toLowerCase(), utilization: warning[2] ? Number(warning[2]) : 0.92 };
  }
  const failure = /\b(overloaded|server error) (\d+)\b/i.exec(prompt);
  if (failure) {
    d.failure = {
      status: failure[1].toLowerCase() === 'overloaded' ? 529 : 500,
      count: Number(failure[2]),
      trigger: failure[0].toLowerCase(),
    };
  }
  return d;
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

  // An asyncRewake Stop hook's wake-up comes as a task notification carrying the hook's error:
  // answered as such, before other notifications.
  const hookError =
    last && last.role === 'user' ? /Stop hook blocking error[^\n]*?:\s*([\s\S]*)/i.exec(messageText(last)) : null;
  if (hookError) {
    const said = hookError[1].replace(/<\/?system-reminder>|&lt;\/?system-reminder&gt;/g, '').trim().split('\n')[0];
    return { kind: 'stop-hook-wake', blocks: [{ type: 'text', text: `woken by a stop hook: ${said}` }] };
  }

  // The CLI reports a finished background task in a user message of its own, inside a
  // <system-reminder> (so lastUserPrompt does not see it): answer it, whatever the prompt was.
  const notification =
    last && last.role === 'user'
      ? /<task-notification>([\s\S]*?)<\/task-notification>/i.exec(messageText(last))
      : null;
  if (notification) {
    const field = (name) => {
      const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'i').exec(notification[1]);
      return m ? m[1].trim() : '';
    };
    return {
      kind: 'task-notification',
      blocks: [
        { type: 'text', text: `background task finished: ${field('status') || 'unknown'}: ${field('summary')}` },
      ],
    };
  }

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

  const loop = /\bloop (\d+)\b/i.exec(prompt);
  if (loop) {
    const total = Number(loop[1]);
    const done = toolResultsSince(messages, promptIndex);
    if (done >= total) return { kind: 'loop-done', blocks: [{ type: 'text', text: `looped ${total} times` }] };
    return {
      kind: 'loop',
      blocks: [
        {
          type: 'tool_use',
          name: 'Bash',
          input: { command: `echo step ${done + 1}`, description: `Step ${done + 1} of ${total}` },
        },
      ],
    };
  }

  const structured = /\bstructured\s*(\{[\s\S]*\})/i.exec(prompt);
  if (structured) {
    if (toolResultTurn) return { kind: 'structured-done', blocks: [{ type: 'text', text: 'done' }] };
    const value = jsonObjectIn(structured[1]);
    if (value === undefined) {
      return { kind: 'structured-bad', blocks: [{ type: 'text', text: 'no JSON object given' }] };
    }
    if (!tools.some((t) => t && t.name === 'StructuredOutput')) {
      return { kind: 'structured-text', blocks: [{ type: 'text', text: JSON.stringify(value) }] };
    }
    return { kind: 'structured', blocks: [{ type: 'tool_use', name: 'StructuredOutput', input: value }] };
  }

  const call = /\bcall tool ([A-Za-z0-9_-]+)\s*(\{[\s\S]*\})/i.exec(prompt);
  if (call) {
    if (toolResultTurn) return { kind: 'call-tool-done', blocks: [{ type: 'text', text: `called ${call[1]}` }] };
    const input = jsonObjectIn(call[2]);
    if (input === undefined) return { kind: 'call-tool-bad', blocks: [{ type: 'text', text: 'no JSON object given' }] };
    return { kind: 'call-tool', blocks: [{ type: 'tool_use', name: call[1], input }] };
  }

  const delegate = /\bdelegate\s*(\{[\s\S]*\})/i.exec(prompt);
  if (delegate) {
    // The CLI may defer MCP tools (not offered until searched for): claude-jobs by its usual name.
    const offered = tools.find((t) => t && typeof t.name === 'string' && /__claude_start$/.test(t.name));
    const start = offered || { name: 'mcp__claude-jobs__claude_start' };
    const prefix = start.name.slice(0, -'claude_start'.length);
    const step = toolResultsSince(messages, promptIndex);
    if (step === 0) {
      const input = jsonObjectIn(delegate[1]);
      if (input === undefined) return { kind: 'delegate-bad', blocks: [{ type: 'text', text: 'no JSON object given' }] };
      return { kind: 'delegate-start', blocks: [{ type: 'tool_use', name: start.name, input }] };
    }
    // The jobId the first result named (the start's reply is in the conversation).
    let jobId;
    for (let i = promptIndex + 1; i < messages.length && !jobId; i++) {
      const m = /"jobId"\s*:\s*"([a-z0-9]+)"|\bjob ([a-z0-9]{20,})\b/.exec(toolResultText(messages[i]));
      if (m) jobId = m[1] || m[2];
    }
    if (!jobId) return { kind: 'delegate-bad', blocks: [{ type: 'text', text: 'no jobId in the start result' }] };
    if (step === 1) {
      return {
        kind: 'delegate-wait',
        blocks: [{ type: 'tool_use', name: `${prefix}claude_wait`, input: { jobIds: [jobId], timeoutSec: 30 } }],
      };
    }
    if (step === 2) {
      return { kind: 'delegate-check', blocks: [{ type: 'tool_use', name: `${prefix}claude_check`, input: { jobId } }] };
    }
    return { kind: 'delegate-done', blocks: [{ type: 'text', text: `delegated ${jobId}: ${toolResultText(last)}` }] };
  }

  const subagent = /\bsubagent(?: (sonnet|opus|haiku))?: ([\s\S]+)$/i.exec(prompt);
  if (subagent) {
    if (toolResultTurn) return { kind: 'subagent-done', blocks: [{ type: 'text', text: 'done' }] };
    return {
      kind: 'subagent',
      blocks: [
        {
          type: 'tool_use',
          name: 'Agent',
          input: {
            description: 'Sub task',
            prompt: subagent[2].trim(),
            subagent_type: 'general-purpose',
            ...(subagent[1] ? { model: subagent[1].toLowerCase() } : {}),
            run_in_background: false,
          },
        },
      ],
    };
  }

  const background = /\bbackground sleep (\d+(?:\.\d+)?)(?: exit (\d+))?/i.exec(prompt);
  if (background) {
    if (toolResultTurn) return { kind: 'background-started', blocks: [{ type: 'text', text: 'started' }] };
    const exit = background[2] ? `; exit ${background[2]}` : '';
    return {
      kind: 'background',
      blocks: [
        {
          type: 'tool_use',
          name: 'Bash',
          input: {
            command: `sleep ${background[1]}; echo background-done${exit}`,
            description: 'Sleep in the background',
            run_in_background: true,
          },
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

function usage(inputTokens, outputTokens, cacheWrite = 0, cacheRead = 0) {
  return {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

/** The usage a turn reports: {start (message_start usage), output (message_delta output_tokens)}. */
function turnUsage(body, plan, content) {
  const estimatedOutput = Math.max(1, Math.ceil(JSON.stringify(content).length / 4));
  if (plan.tokens) {
    const t = plan.tokens;
    return { start: usage(t.input, Math.min(1, t.output), t.cacheWrite, t.cacheRead), output: t.output };
  }
  return { start: usage(estimateTokens(body), 1), output: estimatedOutput };
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
  const content = toContent(plan.blocks);
  const reported = turnUsage(body, plan, content);
  const hasTool = content.some((b) => b.type === 'tool_use');
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'request-id': newId('req'),
    ...(plan.headers || {}),
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
      usage: reported.start,
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
        finish(plan.tokens ? reported.output : n);
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
  finish(reported.output);
}

function jsonMessage(res, body, plan) {
  const content = toContent(plan.blocks.map((b) => (plan.slow ? { type: 'text', text: 'slow' } : b)));
  const hasTool = content.some((b) => b.type === 'tool_use');
  const reported = turnUsage(body, plan, content);
  sendJson(
    res,
    200,
    {
      id: newId('msg'),
      type: 'message',
      role: 'assistant',
      model: body.model || MODEL_FALLBACK,
      content,
      stop_reason: hasTool ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: { ...reported.start, output_tokens: reported.output },
    },
    plan.headers || {},
  );
}

function errorBody(type, message) {
  return { type: 'error', error: { type, message } };
}

/**
 * Per-window headers: the named window as given, the other one comfortably allowed, resetting a
 * whole window after anchorSec (a fixed time, so that repeated answers carry the same values).
 */
function windowHeaders(type, status, utilization, resetSec, anchorSec, threshold) {
  const headers = {};
  for (const [name, infix] of Object.entries(WINDOWS)) {
    const own = name === type;
    headers[`anthropic-ratelimit-unified-${infix}-status`] = own ? status : 'allowed';
    headers[`anthropic-ratelimit-unified-${infix}-reset`] = String(own ? resetSec : anchorSec + WINDOW_SECONDS[name]);
    headers[`anthropic-ratelimit-unified-${infix}-utilization`] = String(own ? utilization : 0.25);
    if (own && threshold !== undefined) {
      headers[`anthropic-ratelimit-unified-${infix}-surpassed-threshold`] = String(threshold);
    }
  }
  return headers;
}

/**
 * Headers of a 429 refusal for a usage limit of this type resetting at resetSec (Unix seconds).
 * anchorMs: the time the other window's reset is counted from.
 */
export function usageLimitHeaders(type, resetSec, now = Date.now(), anchorMs = now) {
  return {
    'anthropic-ratelimit-unified-status': 'rejected',
    'anthropic-ratelimit-unified-reset': String(resetSec),
    'anthropic-ratelimit-unified-representative-claim': type,
    ...windowHeaders(type, 'rejected', 1, resetSec, Math.floor(anchorMs / 1000)),
    'retry-after': String(Math.max(1, Math.ceil(resetSec - now / 1000))),
  };
}

/**
 * Headers of a successful turn past a warning threshold of this window, which resets a quarter
 * window after anchorMs (fixed per fake API, so every such answer carries the same values).
 */
export function usageWarningHeaders(type, utilization, anchorMs = Date.now()) {
  const anchorSec = Math.floor(anchorMs / 1000);
  const resetSec = anchorSec + Math.round(WINDOW_SECONDS[type] / 4);
  const threshold = [0.9, 0.75, 0.5].find((t) => utilization >= t) ?? 0.5;
  return {
    'anthropic-ratelimit-unified-status': 'allowed_warning',
    'anthropic-ratelimit-unified-reset': String(resetSec),
    'anthropic-ratelimit-unified-representative-claim': type,
    ...windowHeaders(type, 'allowed_warning', utilization, resetSec, anchorSec, threshold),
  };
}

/**
 * Start the fake API.
 * options: port (0 = any free), host ('127.0.0.1'), slowIntervalMs (500), slowDurationMs (60000),
 *          log (false: print one line per request to stderr), logBodies (false),
 *          intercept ((body, req, record) => null | {status, json, headers?, kind?})
 * Returns {url, port, requests, events, waitForRequest(pred, timeoutMs), usageLimits(), close()}.
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
  // Usage limits in force, by caller (x-api-key or authorization): {type, resetSec}.
  const limits = new Map();
  // The time window resets not under test are counted from, fixed so answers repeat exactly.
  const anchorMs = Date.now();
  // Directives already acted on, by "session\0trigger": a started limit, or failures sent so far.
  const directiveState = new Map();

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
        responseHeaders: null,
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

  function caller(req) {
    return String(req.headers['x-api-key'] || req.headers.authorization || '');
  }

  /**
   * Usage limits and scripted failures. Answers the request and returns true when it is refused
   * (a limit in force, a limit starting now, or one of the first N failures), else false.
   */
  function refuseOrFail(req, res, body, record) {
    const who = caller(req);
    const now = Date.now();
    let limit = limits.get(who);
    if (limit && now >= limit.resetSec * 1000) {
      limits.delete(who);
      limit = undefined;
    }
    const mainTurn = Array.isArray(body.tools) && body.tools.length > 0;
    const session = String(req.headers['x-claude-code-session-id'] || '');
    const directives = mainTurn ? parseDirectives(lastUserPrompt(body.messages).text) : {};
    if (!limit && directives.limit) {
      // The number of this session's turns that carried the directive so far; the limit starts on
      // turn `after` (counting from 0) and never again for the session.
      const key = `${session}\0${directives.limit.trigger}`;
      const seen = directiveState.get(key) || 0;
      directiveState.set(key, seen + 1);
      if (seen === directives.limit.after) {
        limit = { type: directives.limit.type, resetSec: Math.ceil((now + directives.limit.seconds * 1000) / 1000) };
        limits.set(who, limit);
      }
    }
    if (limit) {
      record.status = 429;
      record.kind = 'usage-limit';
      record.responseHeaders = usageLimitHeaders(limit.type, limit.resetSec, now, anchorMs);
      const window = limit.type === 'five_hour' ? '5-hour' : '7-day';
      sendJson(
        res,
        429,
        errorBody('rate_limit_error', `This request would exceed your account's ${window} usage limit.`),
        record.responseHeaders,
      );
      return true;
    }
    if (directives.failure) {
      const key = `${session}\0${directives.failure.trigger}`;
      const sent = directiveState.get(key) || 0;
      if (sent < directives.failure.count) {
        directiveState.set(key, sent + 1);
        const overloaded = directives.failure.status === 529;
        record.status = directives.failure.status;
        record.kind = overloaded ? 'overloaded' : 'server-error';
        sendJson(
          res,
          directives.failure.status,
          overloaded ? errorBody('overloaded_error', 'Overloaded') : errorBody('api_error', 'Internal server error'),
        );
        return true;
      }
    }
    return false;
  }

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
      if (opts.intercept) {
        const answer = opts.intercept(body, req, record);
        if (answer) {
          record.status = answer.status;
          record.kind = answer.kind || 'intercepted';
          sendJson(res, answer.status, answer.json, answer.headers || {});
          return;
        }
      }
      if (!body || typeof body !== 'object' || !Array.isArray(body.messages)) {
        record.status = 400;
        record.kind = 'bad-request';
        sendJson(res, 400, errorBody('invalid_request_error', 'messages: field required'));
        return;
      }
      if (refuseOrFail(req, res, body, record)) return;
      const plan = planResponse(body);
      const tools = Array.isArray(body.tools) ? body.tools : [];
      if (tools.length > 0) {
        const directives = parseDirectives(lastUserPrompt(body.messages).text);
        if (directives.tokens) plan.tokens = directives.tokens;
        if (directives.warning) {
          plan.headers = usageWarningHeaders(directives.warning.type, directives.warning.utilization, anchorMs);
          record.responseHeaders = plan.headers;
        }
      }
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

  /** Usage limits in force: [{caller, type, resetSec}]. */
  function usageLimits() {
    const now = Date.now();
    return [...limits].filter(([, l]) => now < l.resetSec * 1000).map(([who, l]) => ({ caller: who, ...l }));
  }

  return { url, port, requests, events, waitForRequest, usageLimits, close };
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
