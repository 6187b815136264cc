// Jobs as MCP resources, driven by the official MCP SDK client (which validates every result
// against the protocol's schemas): the resource_link in claude_start's result, the list, the
// templates, reads of a job's view, log and result, and a subscription told of the job's end.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import {
  FAKE_CLAUDE_BIN,
  callTool,
  fakeClaudeConfig,
  makeTempDir,
  pollUntil,
  removeTempDir,
  startServer,
  waitForJob,
} from './harness.mjs';

const { ResourceUpdatedNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');

const jobUri = (id) => `claude-jobs://job/${id}`;

describe('jobs as resources', { concurrency: false }, () => {
  let server;
  let client;
  let work;
  const updates = [];

  before(async () => {
    fs.accessSync(FAKE_CLAUDE_BIN, fs.constants.X_OK);
    work = makeTempDir('cj-e2e-res-work-');
    server = await startServer({ config: fakeClaudeConfig() });
    client = server.client;
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updates.push(n.params.uri));
  });
  after(async () => {
    if (server) await server.close();
    removeTempDir(work);
  });

  test('the server offers resources with subscriptions', () => {
    const caps = client.getServerCapabilities();
    assert.deepEqual(caps.resources, { subscribe: true, listChanged: false });
  });

  test('templates name a job, its log and its result', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.deepEqual(
      resourceTemplates.map((t) => t.uriTemplate),
      ['claude-jobs://job/{jobId}', 'claude-jobs://job/{jobId}/log', 'claude-jobs://job/{jobId}/result'],
    );
    for (const t of resourceTemplates) assert.ok(t.description.length > 0, t.uriTemplate);
  });

  test('a started job links to itself, is listed, read, and its end is announced', async () => {
    // Run by hand: the job must still run when the subscription is made.
    const raw = await client.callTool({
      name: 'claude_start',
      arguments: { prompt: 'sleep 2\nsay answer from a resource\n', workFolder: work, label: 'res-e2e' },
    });
    const jobId = raw.structuredContent.jobId;
    const link = raw.content.find((c) => c.type === 'resource_link');
    assert.ok(link, `no resource_link in ${JSON.stringify(raw.content)}`);
    assert.equal(link.uri, jobUri(jobId));
    assert.equal(link.mimeType, 'application/json');

    await client.subscribeResource({ uri: jobUri(jobId) });
    await client.subscribeResource({ uri: `${jobUri(jobId)}/result` });

    const { resources } = await client.listResources();
    const listed = resources.find((r) => r.uri === jobUri(jobId));
    assert.ok(listed, `job not listed: ${JSON.stringify(resources.map((r) => r.uri))}`);
    assert.equal(listed.title, 'res-e2e');
    assert.match(listed.description, /^(queued|running) on local in /);

    // While it runs, it has no result.
    const running = JSON.parse((await client.readResource({ uri: jobUri(jobId) })).contents[0].text);
    assert.equal(running.jobId, jobId);
    assert.ok(['queued', 'running'].includes(running.status), running.status);
    await assert.rejects(client.readResource({ uri: `${jobUri(jobId)}/result` }), (err) => {
      assert.equal(err.code, -32002);
      assert.match(err.message, /no result yet/);
      return true;
    });

    // The end is announced for both subscribed URIs and not for the unsubscribed log.
    await pollUntil(() => updates.includes(`${jobUri(jobId)}/result`), {
      timeoutMs: 60_000,
      label: 'notifications/resources/updated for the result',
    });
    const view = await waitForJob(client, jobId);
    assert.equal(view.status, 'completed');
    assert.ok(updates.includes(jobUri(jobId)));
    assert.ok(!updates.includes(`${jobUri(jobId)}/log`), 'told of a URI nobody subscribed to');

    const ended = JSON.parse((await client.readResource({ uri: jobUri(jobId) })).contents[0].text);
    assert.equal(ended.status, 'completed');
    assert.equal(ended.result.text, 'answer from a resource');
    const result = (await client.readResource({ uri: `${jobUri(jobId)}/result` })).contents[0];
    assert.equal(result.mimeType, 'text/plain');
    assert.equal(result.text, 'answer from a resource');
    const log = (await client.readResource({ uri: `${jobUri(jobId)}/log` })).contents[0];
    assert.match(log.text, /answer from a resource|the final answer/);
  });

  test('unknown and hostile URIs are not found, and subscribing to them is refused', async () => {
    for (const uri of ['claude-jobs://job/nosuchjob', 'claude-jobs://job/../../etc/passwd', 'file:///etc/passwd']) {
      await assert.rejects(client.readResource({ uri }), (err) => err.code === -32002, uri);
      await assert.rejects(client.subscribeResource({ uri }), (err) => err.code === -32002, uri);
    }
  });

  test('a job started by claude_start is the same job its resource shows', async () => {
    const start = await callTool(client, 'claude_start', { prompt: 'say twice seen\n', workFolder: work });
    const view = await waitForJob(client, start.jobId);
    const read = JSON.parse((await client.readResource({ uri: jobUri(start.jobId) })).contents[0].text);
    assert.equal(read.status, view.status);
    assert.equal(read.result.text, view.result.text);
  });
});
