// The slurm backend with the real `claude` CLI: the job is a batch job on the private
// single-node Slurm cluster the slurm_cluster test fixture starts (tests/slurm/cluster.sh,
// SLURM_CONF in this test's environment); the CLI on the node talks to the suite's fake Messages
// API on 127.0.0.1.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { startFakeApi } from './fake-anthropic.mjs';
import { callTool, realClaudeConfig, startServer, tempDirs, waitForJob } from './harness.mjs';

const SLURM_CONF = process.env.SLURM_CONF;
const installed = ['/usr/bin/sbatch', '/usr/local/bin/sbatch'].some((p) => fs.existsSync(p));

function controllerUp() {
  try {
    return /is UP/.test(execFileSync('scontrol', ['ping'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

describe('the slurm backend with the real claude CLI', { concurrency: false }, () => {
  let api;
  const { tempDir, removeTempDirs } = tempDirs();

  before(async () => {
    api = await startFakeApi();
  });
  after(async () => {
    await api.close();
    removeTempDirs();
  });

  test(
    'print hello world completes through Slurm',
    { skip: installed ? false : 'Slurm is not installed here (scripts/install-deps.sh --test installs it)' },
    async () => {
      // Fail loudly (never skip) where Slurm is installed but the cluster is not running.
      assert.ok(SLURM_CONF && fs.existsSync(SLURM_CONF), 'SLURM_CONF unset: run through ctest (the slurm_cluster fixture)');
      assert.ok(controllerUp(), 'the test cluster does not answer scontrol ping');
      const config = realClaudeConfig({ apiUrl: api.url, home: tempDir('cj-e2e-slurm-home-') });
      config.defaultBackend = 'cluster';
      config.backends = { local: { plugin: 'local-detached' }, cluster: { plugin: 'slurm' } };
      const server = await startServer({ config, env: { SLURM_CONF } });
      try {
        const work = tempDir('cj-e2e-slurm-work-');
        const start = await callTool(server.client, 'claude_start', { prompt: 'print hello world', workFolder: work });
        assert.equal(start.backend, 'cluster');
        const view = await waitForJob(server.client, start.jobId);
        assert.equal(view.status, 'completed', JSON.stringify(view));
        assert.equal(view.exitCode, 0);
        assert.equal(view.result.text, 'hello world');
        assert.equal(view.result.isError, false);
        // It ran as a Slurm job of ours: the batch step's argument file is in its folder.
        assert.ok(fs.existsSync(`${server.stateDir}/jobs/${start.jobId}/slurm-argv`));
      } finally {
        await server.close();
      }
    },
  );
});
