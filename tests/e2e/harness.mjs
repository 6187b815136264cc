// Shared helpers for the end-to-end tests: paths, temp dirs, running the real `claude` CLI
// directly or as the host of one MCP server (and reading what its model was given), and starting
// the claude-jobs server as an MCP server over stdio with the official MCP SDK client.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const NODE_MODULES = path.join(E2E_DIR, 'node_modules');
export const CLAUDE_BIN = path.join(NODE_MODULES, '.bin', 'claude');

// Fail loudly (never skip) when the dependencies were not installed.
{
  const missing = [
    path.join(NODE_MODULES, '@modelcontextprotocol', 'sdk', 'package.json'),
    CLAUDE_BIN,
  ].filter((p) => !fs.existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `e2e dependencies are not installed (missing: ${missing.join(', ')}).\n` +
        `Run \`npm ci\` in ${E2E_DIR} (or run tests/e2e/setup.sh) and try again.`,
    );
  }
}

const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
const { AjvJsonSchemaValidator } = await import('@modelcontextprotocol/sdk/validation/ajv');

export const SERVER_BIN = path.resolve(
  process.env.CLAUDE_JOBS_BIN || path.join(E2E_DIR, '..', '..', 'build', 'bin', 'claude-jobs'),
);
export const FAKE_CLAUDE_BIN = path.resolve(
  process.env.FAKE_CLAUDE_BIN || path.join(E2E_DIR, '..', '..', 'build', 'bin', 'fake-claude'),
);

export const TERMINAL_STATES = [
  'completed', 'failed', 'cancelled', 'timed_out', 'orphaned', 'rate_limited', 'budget_exceeded',
];
export const ERROR_CODES = [
  'not_found',
  'invalid_argument',
  'already_exists',
  'unavailable',
  'limit_reached',
  'permission_denied',
  'internal',
];
export const TOOL_NAMES = [
  'claude_start',
  'claude_check',
  'claude_wait',
  'claude_cancel',
  'claude_jobs',
  'claude_backends',
  'claude_send',
  'claude_apply',
];

const keepTmp = !!process.env.E2E_KEEP_TMP;

/** A fresh private temp dir, removed by the returned cleanup (kept when E2E_KEEP_TMP is set). */
export function makeTempDir(prefix = 'cj-e2e-') {
  // realpath: the server reports work folders resolved, and /tmp may be a symlink elsewhere.
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function removeTempDir(dir) {
  if (!dir || keepTmp) return;
  // Callers first wait for every process that writes into the tree (hook waiters, the CLI).
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The temp dirs of one suite: tempDir(prefix) makes a fresh one, removeTempDirs() removes every
 * one made so far (from the suite's after(), once nothing writes into them any more).
 */
export function tempDirs() {
  const dirs = [];
  return {
    tempDir(prefix) {
      const dir = makeTempDir(prefix);
      dirs.push(dir);
      return dir;
    },
    removeTempDirs() {
      for (const dir of dirs.splice(0)) removeTempDir(dir);
    },
  };
}

/** Write config as <dir>/config.json, private to the user, for a --config FILE; returns its path. */
export function writeConfigFile(dir, config) {
  const configPath = path.join(dir, 'config.json');
  fs.writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return configPath;
}

/** Resolve after ms, for polling loops with an overall bound (never as a fixed wait). */
export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll fn until it returns a truthy value or the bound passes; throws with label then. */
export async function pollUntil(fn, { timeoutMs = 15_000, intervalMs = 50, label = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await delay(intervalMs);
  }
}

/** True while a process with this pid exists (zombies included: they still hold the pid). */
export function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if (err.code === 'ESRCH') return false;
    if (err.code === 'EPERM') return true;
    throw err;
  }
}

/** True while a process with this pid runs: a zombie waiting for its parent counts as ended. */
export function pidRunning(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The pids given and every process below them, read from /proc now. */
export function processTree(pids) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;  // ended meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const tree = [];
  const todo = [...pids];
  while (todo.length > 0) {
    const pid = todo.pop();
    tree.push(pid);
    todo.push(...(children.get(pid) || []));
  }
  return tree;
}

/** The token a subscriber-mode CLI sends (as `authorization: Bearer ...`) unless told otherwise. */
export const SUBSCRIBER_TOKEN = 'sk-ant-oat01-test-token';

/**
 * The credential variables for the real CLI: an API key, or (subscriber) an OAuth token, with
 * which the CLI reads the subscription rate-limit headers and emits rate_limit_event.
 */
export function authEnv({ apiKey = 'test-key', subscriber = false, token = SUBSCRIBER_TOKEN } = {}) {
  return subscriber ? { CLAUDE_CODE_OAUTH_TOKEN: token } : { ANTHROPIC_API_KEY: apiKey };
}

/** The environment the real CLI needs to run offline against the fake API, and nothing else. */
export function cliEnv({ apiUrl, apiKey = 'test-key', home, sandbox = true, subscriber = false, token, extra = {} }) {
  const env = {
    ANTHROPIC_BASE_URL: apiUrl,
    ...authEnv({ apiKey, subscriber, token }),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    HOME: home,
    PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin',
    ...extra,
  };
  if (sandbox) env.IS_SANDBOX = '1';
  return env;
}

/**
 * Claude Code's first-run answers in <home>/.claude.json (SPEC §10), so its interface starts
 * straight away: onboarding done, the API key approved, work trusted (unless trusted is false),
 * and with bypassAccepted the consent to bypass permissions given.
 */
export function preAnswerFirstRun(home, work, { apiKey, trusted = true, bypassAccepted = false }) {
  const config = {
    hasCompletedOnboarding: true,
    customApiKeyResponses: { approved: [apiKey.slice(-20)], rejected: [] },
    projects: trusted ? { [work]: { hasTrustDialogAccepted: true } } : {},
  };
  if (bypassAccepted) config.bypassPermissionsModeAccepted = true;
  fs.writeFileSync(path.join(home, '.claude.json'), JSON.stringify(config), { mode: 0o600 });
}

/**
 * Run the real CLI once: `claude -p --output-format stream-json --verbose ...args`, prompt on
 * stdin. Resolves {code, signal, events, init, result, stdout, stderr, pid}.
 * onSpawn(child) is called once the process exists (e.g. to signal it later).
 */
export function runClaude({ prompt, cwd, env, args = [], timeoutMs = 90_000, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      CLAUDE_BIN,
      ['-p', '--output-format', 'stream-json', '--verbose', ...args],
      { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`claude did not exit within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const events = [];
      for (const line of stdout.split('\n')) {
        if (!line.trim()) continue;
        try {
          events.push(JSON.parse(line));
        } catch {
          events.push({ type: '__unparsed__', line });
        }
      }
      const init = events.find((e) => e.type === 'system' && e.subtype === 'init');
      const results = events.filter((e) => e.type === 'result');
      resolve({
        code,
        signal,
        events,
        init,
        result: results[results.length - 1],
        stdout,
        stderr,
        pid: child.pid,
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(prompt);
    if (onSpawn) onSpawn(child);
  });
}

/**
 * One `claude -p` against the fake API (api, from startFakeApi), every permission granted, whose
 * only MCP server is server, a stdio server {command, args, env} called name (its tools are
 * mcp__<name>__<tool>). Asserts the CLI exited 0; resolves runClaude's result plus requests: those
 * the fake API received during the run.
 */
export async function runClaudeWithServer({ api, prompt, cwd, home, name = 'claude-jobs', server }) {
  const mcpConfig = { mcpServers: { [name]: { type: 'stdio', ...server } } };
  const first = api.requests.length;
  const r = await runClaude({
    prompt,
    cwd,
    env: cliEnv({ apiUrl: api.url, home }),
    args: ['--dangerously-skip-permissions', '--strict-mcp-config', '--mcp-config', JSON.stringify(mcpConfig)],
  });
  assert.equal(r.code, 0, r.stderr);
  return { ...r, requests: api.requests.slice(first) };
}

/** The messages a request to the fake API carried ([] for one without any). */
export function requestMessages(request) {
  return request.body && Array.isArray(request.body.messages) ? request.body.messages : [];
}

/** Every tool_result block the model was given in these requests to the fake API, in order. */
export function toolResults(requests) {
  return requests
    .flatMap(requestMessages)
    .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
    .filter((b) => b.type === 'tool_result');
}

/** The text of a tool_result block as the CLI sent it: a string, or text blocks (nothing else). */
export function toolResultText(block) {
  if (typeof block.content === 'string') return block.content;
  assert.ok(Array.isArray(block.content), `tool_result content: ${JSON.stringify(block)}`);
  return block.content
    .map((c) => {
      assert.equal(c.type, 'text', `a tool_result block that is not text: ${JSON.stringify(c)}`);
      return c.text;
    })
    .join('');
}

/**
 * The per-test config for running jobs with the real CLI against the fake API. subscriber: the
 * CLI authenticates with an OAuth token (rate_limit_event and usage-limit refusals as for a
 * subscription) instead of an API key.
 */
export function realClaudeConfig({ apiUrl, apiKey = 'test-key', home, subscriber = false, token }) {
  return {
    claude: {
      path: CLAUDE_BIN,
      permissionMode: 'bypassPermissions',
      env: {
        ANTHROPIC_BASE_URL: apiUrl,
        ...authEnv({ apiKey, subscriber, token }),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        HOME: home,
        IS_SANDBOX: '1',
      },
    },
  };
}

/** The per-test config for running jobs with the stand-in claude. */
export function fakeClaudeConfig() {
  return { claude: { path: FAKE_CLAUDE_BIN } };
}

function assertExecutable(file, what, hint) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new Error(`${what} not found or not executable: ${file}\n${hint}`);
  }
}

/**
 * Start claude-jobs as an MCP server over stdio, connected with the SDK's Client.
 * options: config (object written to a per-test file and passed as --config FILE),
 *          env (extra server environment), args (extra argv), clientName.
 * Returns {client, stateDir, home, configPath, serverPid, protocolErrors, exited (promise of
 * {code, signal}), stderr(), close()}. close() ends stdin like any client leaving, then waits.
 */
export async function startServer({ config = {}, env = {}, args = [], clientName = 'claude-jobs-e2e' } = {}) {
  assertExecutable(
    SERVER_BIN,
    'claude-jobs server binary',
    'Build the project first (cmake --build build) or set CLAUDE_JOBS_BIN.',
  );
  const root = makeTempDir('cj-e2e-server-');
  const stateDir = path.join(root, 'state');
  const home = path.join(root, 'home');
  fs.mkdirSync(stateDir, { mode: 0o700 });
  fs.mkdirSync(home, { mode: 0o700 });
  const configPath = writeConfigFile(root, config);

  // The SDK only passes a short whitelist of variables unless env is given: give it all.
  const serverEnv = {
    PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    CLAUDE_ASYNC_JOB_DIR: stateDir,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    ...env,
  };
  const transport = new StdioClientTransport({
    command: SERVER_BIN,
    args: ['--config', configPath, ...args],
    env: serverEnv,
    cwd: root,
    stderr: 'pipe',
  });
  let stderrText = '';
  transport.stderr?.on('data', (d) => {
    stderrText += d.toString('utf8');
    if (stderrText.length > 200_000) stderrText = stderrText.slice(-100_000);
  });
  const client = new Client({ name: clientName, version: '0.0.0' }, { capabilities: {} });
  try {
    await client.connect(transport);
  } catch (err) {
    await transport.close().catch(() => {});
    err.message += `\nserver stderr:\n${stderrText.slice(-4000)}`;
    throw err;
  }
  const serverPid = transport.pid;
  // Client-side protocol errors (e.g. a non-JSON line on the server's stdout) end up here.
  const protocolErrors = [];
  client.onerror = (err) => protocolErrors.push(err);
  // The SDK keeps the child private; its exit status tells whether stdin EOF ended the server.
  const proc = transport._process;
  const exited = new Promise((resolve) => {
    if (!proc) resolve({ code: null, signal: null });
    else if (proc.exitCode !== null || proc.signalCode !== null) resolve({ code: proc.exitCode, signal: proc.signalCode });
    else proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let closed = false;
  return {
    client,
    transport,
    root,
    stateDir,
    home,
    configPath,
    serverPid,
    protocolErrors,
    exited,
    stderr: () => stderrText,
    async close() {
      if (closed) return;
      closed = true;
      await client.close().catch(() => {});
      removeTempDir(root);
    },
  };
}

// Per-client cache of tools/list, with compiled output-schema validators.
const toolCache = new WeakMap();
const validatorProvider = new AjvJsonSchemaValidator();

/** tools/list (all pages), cached per client, with an explicit output-schema validator each. */
export async function listTools(client, { refresh = false } = {}) {
  if (!refresh && toolCache.has(client)) return toolCache.get(client);
  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : undefined);
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  const byName = new Map();
  for (const tool of tools) {
    byName.set(tool.name, {
      tool,
      validate: tool.outputSchema ? validatorProvider.getValidator(tool.outputSchema) : null,
    });
  }
  const entry = { tools, byName };
  toolCache.set(client, entry);
  return entry;
}

function checkTextMirror(name, result) {
  // The text block is written to be read: not JSON, and every one-line top-level value of
  // structuredContent (ids, states) in it, or, for a bulky value this client reads once in
  // structuredContent, a note of its size saying so (docs/protocol.md, "The text block").
  const text = (result.content || []).find((c) => c.type === 'text');
  assert.ok(text, `${name}: result has no text content block`);
  assert.ok(text.text.length > 0, `${name}: the text block is empty`);
  let json = true;
  try {
    JSON.parse(text.text);
  } catch {
    json = false;
  }
  assert.ok(!json, `${name}: the text block is the JSON again: ${text.text.slice(0, 300)}`);
  for (const [key, value] of Object.entries(result.structuredContent || {})) {
    if (typeof value === 'string' && value !== '' && !value.includes('\n')) {
      const noted = new RegExp(`^${key}: \\(\\d+ \\w+, in structuredContent\\)$`, 'm');
      assert.ok(
        text.text.includes(`${key}: ${value}`) || noted.test(text.text),
        `${name}: the text block lacks ${key}: ${value}`,
      );
    }
  }
}

async function rawCall(client, name, args, options) {
  const { byName } = await listTools(client);
  const entry = byName.get(name);
  assert.ok(entry, `tool ${name} is not listed by tools/list`);
  let result;
  try {
    // The SDK client validates structuredContent against the tool's outputSchema itself.
    result = await client.callTool({ name, arguments: args }, undefined, options);
  } catch (err) {
    err.message = `tools/call ${name} ${JSON.stringify(args)} failed: ${err.message}`;
    throw err;
  }
  return { entry, result };
}

/**
 * Call a tool that must succeed; returns structuredContent after checking it against the tool's
 * outputSchema explicitly (besides the SDK's own check) and against its text mirror.
 */
export async function callTool(client, name, args = {}, options = {}) {
  const { entry, result } = await rawCall(client, name, args, options);
  assert.notEqual(
    result.isError,
    true,
    `${name} ${JSON.stringify(args)} returned an error: ${JSON.stringify(result.structuredContent ?? result.content)}`,
  );
  assert.ok(result.structuredContent, `${name}: result has no structuredContent`);
  assert.ok(entry.validate, `${name}: tool declares no outputSchema`);
  const v = entry.validate(result.structuredContent);
  assert.ok(
    v.valid,
    `${name}: structuredContent does not match outputSchema: ${v.errorMessage}\n${JSON.stringify(result.structuredContent)}`,
  );
  checkTextMirror(name, result);
  return result.structuredContent;
}

/**
 * Call a tool that must answer with a tool error (isError true, structuredContent {error:{code,
 * message}}); returns the error object. expectedCode, when given, must match.
 */
export async function callToolError(client, name, args = {}, expectedCode) {
  const { result } = await rawCall(client, name, args);
  assert.equal(result.isError, true, `${name} ${JSON.stringify(args)} should fail but returned ${JSON.stringify(result.structuredContent)}`);
  const sc = result.structuredContent;
  assert.ok(sc && sc.error, `${name}: error result has no structuredContent.error: ${JSON.stringify(result)}`);
  assert.equal(typeof sc.error.message, 'string');
  assert.ok(sc.error.message.length > 0, `${name}: empty error message`);
  assert.ok(ERROR_CODES.includes(sc.error.code), `${name}: unknown error code ${sc.error.code}`);
  if (expectedCode) assert.equal(sc.error.code, expectedCode, `${name}: ${sc.error.message}`);
  checkTextMirror(name, result);
  return sc.error;
}

/**
 * Wait for a job to end with claude_wait (timeoutSec <= 50 per call) under an overall bound.
 * Returns the terminal job view.
 */
export async function waitForJob(client, jobId, { overallMs = 120_000, timeoutSec = 20 } = {}) {
  assert.ok(timeoutSec <= 50);
  const deadline = Date.now() + overallMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const view = await callTool(client, 'claude_check', { jobId });
      assert.fail(`job ${jobId} not finished within ${overallMs} ms: ${JSON.stringify(view)}`);
    }
    const t = Math.max(1, Math.min(timeoutSec, Math.ceil(remaining / 1000)));
    const started = Date.now();
    const res = await callTool(client, 'claude_wait', { jobIds: [jobId], timeoutSec: t });
    // No tool call may take longer than 50 s, and a wait must honour its own bound.
    assert.ok(Date.now() - started < (t + 10) * 1000, `claude_wait overran its ${t} s bound`);
    const view = res.done.find((j) => j.jobId === jobId);
    if (view) {
      assert.ok(TERMINAL_STATES.includes(view.status), `done job in non-terminal state ${view.status}`);
      return view;
    }
    assert.ok(res.pending.includes(jobId), `job ${jobId} neither done nor pending`);
    if (!res.timedOut) {
      // A wait that returned without its condition and without timing out must not spin.
      assert.fail(`claude_wait returned timedOut false without the job done: ${JSON.stringify(res)}`);
    }
  }
}

/** Read <stateDir>/jobs/<jobId>/runner.json, or null while it does not exist yet. */
export function readRunnerJson(stateDir, jobId) {
  const file = path.join(stateDir, 'jobs', jobId, 'runner.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT' || err instanceof SyntaxError) return null;
    throw err;
  }
}
