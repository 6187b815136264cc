// The container backend with the real `claude` CLI: jobs run inside a Podman container built
// by tests/container/setup.sh (localhost/claude-jobs-test:claude-cli), on the host network, against
// the suite's fake Messages API on 127.0.0.1. Proves a real Claude Code completes inside the
// box and that its Bash tool writes into the mounted work folder.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';

import { startFakeApi } from './fake-anthropic.mjs';
import {
  SERVER_BIN,
  callTool,
  pollUntil,
  startServer,
  tempDirs,
  waitForJob,
} from './harness.mjs';

const IMAGE = 'localhost/claude-jobs-test:claude-cli';
const CONTAINERS_CONF = path.resolve(path.dirname(SERVER_BIN), '..', 'container-test', 'containers.conf');

function podman(args) {
  try {
    execFileSync('podman', args, { env: { ...process.env, CONTAINERS_CONF }, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Fail loudly (never skip) when the setup did not run.
if (!fs.existsSync(CONTAINERS_CONF) || !podman(['image', 'exists', IMAGE])) {
  throw new Error(
    `${IMAGE} or ${CONTAINERS_CONF} is missing: run tests/container/setup.sh <build dir> ` +
      '(after tests/e2e/setup.sh and the build; scripts/test.sh does it)',
  );
}

describe('the container backend with the real claude CLI', { concurrency: false }, () => {
  let api;
  const { tempDir, removeTempDirs } = tempDirs();
  const servers = [];
  const jobs = [];

  async function boxServer() {
    const server = await startServer({
      config: {
        defaultBackend: 'box',
        backends: {
          local: { plugin: 'local-detached' },
          box: {
            plugin: 'container',
            runtime: 'podman',
            image: IMAGE,
            claudePath: '/usr/local/bin/claude',
            network: 'host',
          },
        },
        claude: {
          permissionMode: 'bypassPermissions',
          env: {
            ANTHROPIC_BASE_URL: api.url,
            ANTHROPIC_API_KEY: 'test-key',
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          },
        },
      },
      env: { CONTAINERS_CONF },
    });
    servers.push(server);
    return server;
  }

  before(async () => {
    api = await startFakeApi();
  });
  afterEach(async () => {
    while (servers.length) await servers.pop().close();
  });
  after(async () => {
    await api.close();
    // Every container of ours is gone (the backend removes them once the outcome is recorded).
    for (const id of jobs) {
      await pollUntil(() => !podman(['container', 'exists', `claude-jobs-${id}`]), {
        timeoutMs: 30_000,
        label: `container of job ${id} to be removed`,
      });
    }
    removeTempDirs();
  });

  test('print hello world completes inside the container', async () => {
    const { client } = await boxServer();
    const work = tempDir('cj-e2e-box-work-');
    const start = await callTool(client, 'claude_start', { prompt: 'print hello world', workFolder: work });
    jobs.push(start.jobId);
    assert.equal(start.backend, 'box');
    const view = await waitForJob(client, start.jobId);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.equal(view.exitCode, 0);
    assert.equal(view.result.text, 'hello world');
    assert.equal(view.result.isError, false);
    assert.equal(view.workFolder, work);
  });

  test('the Bash tool writes its file into the mounted work folder', async () => {
    const { client } = await boxServer();
    const work = tempDir('cj-e2e-box-work-');
    const start = await callTool(client, 'claude_start', { prompt: 'make file proof.txt', workFolder: work });
    jobs.push(start.jobId);
    const view = await waitForJob(client, start.jobId);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.equal(view.result.text, 'done');
    assert.equal(fs.readFileSync(path.join(work, 'proof.txt'), 'utf8'), 'made\n');
    assert.match(view.activity.lastTool, /^Bash\b/);
  });
});
