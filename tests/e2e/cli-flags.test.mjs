// The real `claude` CLI's job-spec options, run offline against the fake Messages API: how each
// takes its value (always tried as one `--flag=value` argv element, the form claude-jobs passes),
// what reaches the Messages API, and what a bad value does. docs/claude-cli-notes.md records it.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { modelTurns, startFakeApi } from './fake-anthropic.mjs';
import { CLAUDE_BIN, cliEnv, runClaude, tempDirs } from './harness.mjs';

// A minimal stdio MCP server: answers initialize and tools/list, and writes the Claude-related
// part of its environment to the file named by its first argument (when given).
const MCP_SERVER = `
import fs from 'node:fs';
import readline from 'node:readline';
const [envFile, name = 'probe'] = process.argv.slice(2);
if (envFile && envFile !== '-') {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CLAUDE')));
  fs.writeFileSync(envFile, JSON.stringify(env));
}
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let m;
  try { m = JSON.parse(line); } catch { return; }
  if (m.method === 'initialize') {
    send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion,
      capabilities: { tools: {} }, serverInfo: { name, version: '1' } } });
  } else if (m.method === 'tools/list') {
    send({ jsonrpc: '2.0', id: m.id, result: { tools: [{ name: 'ping', description: 'ping',
      inputSchema: { type: 'object' } }] } });
  } else if (m.id !== undefined) {
    send({ jsonrpc: '2.0', id: m.id, result: {} });
  }
});
`;

describe('claude CLI options for the job spec', { concurrency: false }, () => {
  let api;
  let home;
  let root;
  let mcpServer;
  const { tempDir, removeTempDirs } = tempDirs();
  const work = () => tempDir('cj-e2e-work-');
  const env = () => cliEnv({ apiUrl: api.url, home, sandbox: true });
  /** Run `print hello world` with args; returns the run and the model turns it caused. */
  async function run(args, { cwd = work(), prompt = 'print hello world\n' } = {}) {
    const before = api.requests.length;
    const r = await runClaude({ prompt, cwd, env: env(), args });
    return { ...r, turns: modelTurns(api.requests.slice(before)) };
  }
  /** A start-up refusal: exit 1, the message on stderr, nothing on stdout, no request made. */
  function assertRefused(r, message) {
    assert.equal(r.code, 1, `exit ${r.code}; stderr ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, message);
    assert.equal(r.turns.length, 0);
  }
  const systemText = (turn) => turn.body.system.map((b) => b.text).join('\n');
  const messagesText = (turn) => JSON.stringify(turn.body.messages);
  const mcpConfig = (servers) =>
    JSON.stringify({
      mcpServers: Object.fromEntries(
        Object.entries(servers).map(([name, envFile]) => [
          name,
          { command: process.execPath, args: [mcpServer, envFile || '-', name] },
        ]),
      ),
    });

  before(async () => {
    api = await startFakeApi();
    root = tempDir('cj-e2e-flags-');
    home = path.join(root, 'home');
    fs.mkdirSync(home);
    mcpServer = path.join(root, 'mcp-server.mjs');
    fs.writeFileSync(mcpServer, MCP_SERVER);
  });
  after(async () => {
    await api.close();
    removeTempDirs();
  });

  test('--help lists the options (with their value forms); --max-turns is hidden but accepted', () => {
    const help = execFileSync(CLAUDE_BIN, ['--help'], { encoding: 'utf8', timeout: 30_000 });
    for (const line of [
      '--add-dir <directories...>',
      '--append-system-prompt <prompt>',
      '--effort <level>',
      '--fallback-model <model>',
      '--json-schema <schema>',
      '--max-budget-usd <amount>',
      '--mcp-config <configs...>',
      '--settings <file-or-json>',
      '--strict-mcp-config ',
    ]) {
      assert.ok(help.includes(line), `--help lacks ${line}`);
    }
    assert.ok(!help.includes('--max-turns'));
  });

  test('--effort=LEVEL becomes output_config.effort; an unknown level is only warned about', async () => {
    for (const level of ['low', 'medium', 'high', 'xhigh', 'max']) {
      const r = await run([`--effort=${level}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.turns[0].body.output_config, { effort: level });
    }
    const upper = await run(['--effort=HIGH']);
    assert.deepEqual(upper.turns[0].body.output_config, { effort: 'high' });
    const bogus = await run(['--effort=bogus']);
    assert.equal(bogus.code, 0);
    assert.equal(
      bogus.stderr,
      "Warning: Unknown --effort value 'bogus' — ignoring it and using the default effort. Valid values: low, medium, high, xhigh, max.\n",
    );
    assert.deepEqual(bogus.turns[0].body.output_config, { effort: 'medium' });
    // A model without effort support gets no output_config at all.
    const sonnet = await run(['--model=claude-sonnet-4-5', '--effort=high']);
    assert.equal(sonnet.code, 0, sonnet.stderr);
    assert.equal(sonnet.turns[0].body.output_config, undefined);
  });

  test('--max-turns=N: a number (0 = no limit); anything else is refused', async () => {
    assertRefused(await run(['--max-turns=abc']), "error: option '--max-turns <turns>' argument 'abc' is invalid. must be a number\n");
    const unlimited = await run(['--max-turns=0', '--dangerously-skip-permissions'], { prompt: 'loop 2\n' });
    assert.equal(unlimited.code, 0, unlimited.stderr);
    assert.equal(unlimited.result.result, 'looped 2 times');
    const one = await run(['--max-turns=1']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.result.subtype, 'success');
  });

  test('--append-system-prompt=TEXT ends the system prompt, verbatim (a leading dash, newlines); the last one wins', async () => {
    const r = await run(['--append-system-prompt=--not-a-flag\nsecond line']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(systemText(r.turns[0]).endsWith('\n\n--not-a-flag\nsecond line'));
    const twice = await run(['--append-system-prompt=FIRST-APPENDED', '--append-system-prompt=SECOND-APPENDED']);
    assert.ok(systemText(twice.turns[0]).endsWith('\n\nSECOND-APPENDED'));
    assert.ok(!systemText(twice.turns[0]).includes('FIRST-APPENDED'));
  });

  test('--add-dir=DIR once per directory; a bare word after --add-dir=DIR becomes prompt text', async () => {
    const a = work();
    const b = work();
    const listed = (r) => {
      const m = /Additional working directories:((?:\\n {2}- [^\\]+)+)/.exec(messagesText(r.turns[0]));
      return m ? m[1].split('\\n  - ').slice(1) : [];
    };
    const each = await run([`--add-dir=${a}`, `--add-dir=${b}`]);
    assert.equal(each.code, 0, each.stderr);
    assert.deepEqual(listed(each), [a, b]);
    const variadic = await run(['--add-dir', a, b]);
    assert.deepEqual(listed(variadic), [a, b]);
    // The hazard of the variadic form: after --add-dir=A, the next bare argument is a prompt that
    // is put before the one read from stdin.
    const stray = await run([`--add-dir=${a}`, b]);
    assert.equal(stray.code, 0, stray.stderr);
    assert.ok(messagesText(stray.turns[0]).includes(JSON.stringify(`${b}\nprint hello world\n`)));
    // A directory that does not exist is accepted without a word, and not listed.
    const missing = await run([`--add-dir=${path.join(a, 'missing')}`]);
    assert.equal(missing.code, 0);
    assert.equal(missing.stderr, '');
    assert.deepEqual(listed(missing), []);
  });

  test('--json-schema=JSON (inline only) offers a StructuredOutput tool with it; bad schemas are refused', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    const r = await run([`--json-schema=${JSON.stringify(schema)}`], { prompt: 'structured {"n":1}\n' });
    assert.equal(r.code, 0, r.stderr);
    const tool = r.turns[0].body.tools.find((t) => t.name === 'StructuredOutput');
    assert.deepEqual(tool.input_schema, schema);
    assert.deepEqual(r.result.structured_output, { n: 1 });
    assertRefused(await run(['--json-schema={not json']), "Error: --json-schema is not valid JSON: JSON Parse error: Expected '}'\n");
    assertRefused(await run(['--json-schema=[1,2]']), 'Error: --json-schema must be a JSON object\n');
    assertRefused(
      await run(['--json-schema={"type":"object","properties":{"n":{"type":"bogus"}}}']),
      'Error: --json-schema is not a valid JSON Schema: data/properties/n/type must be equal to one of the allowed values, data/properties/n/type must be array, data/properties/n/type must match a schema in anyOf\n',
    );
    const file = path.join(root, 'schema.json');
    fs.writeFileSync(file, JSON.stringify(schema));
    assertRefused(
      await run([`--json-schema=${file}`]),
      "Error: --json-schema is not valid JSON: JSON Parse error: Unrecognized token '/'\n",
    );
  });

  test('--mcp-config=FILE|JSON adds servers; project and user servers load in -p unless --strict-mcp-config', async () => {
    const cwd = work();
    fs.writeFileSync(path.join(cwd, '.mcp.json'), mcpConfig({ project: null }));
    const userHome = path.join(root, 'user-home');
    fs.mkdirSync(userHome, { recursive: true });
    fs.writeFileSync(path.join(userHome, '.claude.json'), mcpConfig({ user: null }));
    const file = path.join(root, 'mcp.json');
    fs.writeFileSync(file, mcpConfig({ fromfile: null }));
    const servers = async (args) => {
      const r = await runClaude({
        prompt: 'print hello world\n',
        cwd,
        env: cliEnv({ apiUrl: api.url, home: userHome, sandbox: true }),
        args,
      });
      assert.equal(r.code, 0, r.stderr);
      return r.init.mcp_servers.map((s) => `${s.name}:${s.source}:${s.status}`);
    };
    assert.deepEqual(await servers([]), ['user:user:connected', 'project:project:connected']);
    assert.deepEqual(await servers(['--strict-mcp-config']), []);
    assert.deepEqual(await servers(['--strict-mcp-config', `--mcp-config=${file}`]), ['fromfile:dynamic:connected']);
    assert.deepEqual(
      await servers(['--strict-mcp-config', `--mcp-config=${file}`, `--mcp-config=${mcpConfig({ inline: null })}`]),
      ['fromfile:dynamic:connected', 'inline:dynamic:connected'],
    );
    assert.deepEqual(await servers([`--mcp-config=${file}`]), [
      'user:user:connected',
      'project:project:connected',
      'fromfile:dynamic:connected',
    ]);
    // A server entry of the wrong shape is dropped without a word.
    assert.deepEqual(await servers(['--strict-mcp-config', '--mcp-config={"mcpServers":{"x":{"command":42}}}']), []);
    assertRefused(
      await run([`--mcp-config=${path.join(root, 'missing.json')}`]),
      `Error: Invalid MCP configuration:\nMCP config file not found: ${path.join(root, 'missing.json')}\n`,
    );
    const badCwd = work();
    assertRefused(
      await run(['--mcp-config={bad json'], { cwd: badCwd }),
      `Error: Invalid MCP configuration:\nMCP config file not found: ${badCwd}/{bad json\n`,
    );
    assertRefused(await run(['--strict-mcp-config=true']), "error: unknown option '--strict-mcp-config=true'\n");
  });

  test('an MCP server started by the CLI gets CLAUDE_CODE_SESSION_ID and CLAUDE_PROJECT_DIR', async () => {
    const cwd = work();
    const envFile = path.join(root, 'mcp-env.json');
    const r = await run(['--strict-mcp-config', `--mcp-config=${mcpConfig({ probe: envFile })}`], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(fs.readFileSync(envFile, 'utf8'));
    assert.equal(seen.CLAUDE_CODE_SESSION_ID, r.init.session_id);
    assert.equal(seen.CLAUDE_PROJECT_DIR, cwd);
    assert.equal(seen.CLAUDECODE, '1');
    assert.equal(seen.CLAUDE_CODE_ENTRYPOINT, 'sdk-cli');
  });

  test('--settings=FILE|JSON loads settings; a missing file is refused, invalid values are ignored', async () => {
    const inline = await run(['--settings={"model":"claude-sonnet-4-5"}']);
    assert.equal(inline.code, 0, inline.stderr);
    assert.equal(inline.turns[0].body.model, 'claude-sonnet-4-5');
    const file = path.join(root, 'settings.json');
    fs.writeFileSync(file, JSON.stringify({ model: 'claude-haiku-4-5' }));
    const fromFile = await run([`--settings=${file}`]);
    assert.equal(fromFile.turns[0].body.model, 'claude-haiku-4-5');
    const invalid = await run(['--settings={"model":42}']);
    assert.equal(invalid.code, 0);
    assert.equal(invalid.stderr, '');
    assert.equal(invalid.turns[0].body.model, 'claude-opus-5-5');
    const missing = path.join(root, 'missing.json');
    assertRefused(await run([`--settings=${missing}`]), `Error: Settings file not found: ${missing}\n`);
    const badCwd = work();
    assertRefused(await run(['--settings={bad json'], { cwd: badCwd }), `Error: Settings file not found: ${badCwd}/{bad json\n`);
  });

  test('--max-budget-usd=AMOUNT must be a number above 0', async () => {
    for (const bad of ['0', '-1', 'abc']) {
      assertRefused(
        await run([`--max-budget-usd=${bad}`]),
        `error: option '--max-budget-usd <amount>' argument '${bad}' is invalid. --max-budget-usd must be a number greater than 0\n`,
      );
    }
    // A budget passed by the only turn: the answer is given, but the result is the budget error.
    const tiny = await run(['--max-budget-usd=0.0001']);
    assert.equal(tiny.code, 1);
    assert.equal(tiny.result.subtype, 'error_max_budget_usd');
    assert.equal(tiny.result.result, undefined);
    assert.ok(tiny.events.some((e) => e.type === 'assistant' && e.message.content[0].text === 'hello world'));
  });

  test('--fallback-model=MODEL: after repeated 529s for the main model, system/model_fallback and the answer of the fallback', async () => {
    const busy = await startFakeApi({
      intercept: (body) =>
        body.model === 'claude-opus-5-5'
          ? { status: 529, kind: 'busy', json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }
          : null,
    });
    try {
      const r = await runClaude({
        prompt: 'print hello world\n',
        cwd: work(),
        env: cliEnv({ apiUrl: busy.url, home, sandbox: true }),
        args: ['--fallback-model=claude-sonnet-4-5'],
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        busy.requests.map((q) => `${q.status} ${q.body.model}`),
        ['529 claude-opus-5-5', '529 claude-opus-5-5', '529 claude-opus-5-5', '200 claude-sonnet-4-5'],
      );
      const fallback = r.events.find((e) => e.type === 'system' && e.subtype === 'model_fallback');
      assert.equal(fallback.trigger, 'overloaded');
      assert.equal(fallback.original_model, 'claude-opus-5-5');
      assert.equal(fallback.fallback_model, 'claude-sonnet-4-5');
      assert.equal(typeof fallback.content, 'string');
      assert.equal(r.result.result, 'hello world');
      assert.deepEqual(Object.keys(r.result.modelUsage), ['claude-sonnet-4-5']);
      // Unknown or identical fallback models are not checked at start.
      const same = await run(['--fallback-model=claude-opus-5-5']);
      assert.equal(same.code, 0, same.stderr);
      const unknown = await run(['--fallback-model=no-such-model']);
      assert.equal(unknown.code, 0, unknown.stderr);
    } finally {
      await busy.close();
    }
  });
});
