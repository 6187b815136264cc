#!/usr/bin/env node
// A stdio MCP server that is another one with a tape: `stdio-recorder.mjs LOG -- COMMAND ARGS...`
// runs COMMAND, passes stdin and stdout through unchanged, and appends every line of both
// directions to LOG as JSON lines {dir: "in"|"out", at, line}. The e2e tests give it to a
// client as the server command to see what client and server said to each other.

import { spawn } from 'node:child_process';
import fs from 'node:fs';

const sep = process.argv.indexOf('--');
if (sep !== 3 || process.argv.length < 5) {
  process.stderr.write('usage: stdio-recorder.mjs LOG -- COMMAND [ARGS...]\n');
  process.exit(2);
}
const log = fs.openSync(process.argv[2], 'a');
const [command, ...args] = process.argv.slice(4);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });

function tap(dir) {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      fs.writeSync(log, `${JSON.stringify({ dir, at: Date.now(), line })}\n`);
    }
  };
}

const fromClient = tap('in');
process.stdin.on('data', (d) => {
  fromClient(d);
  child.stdin.write(d);
});
process.stdin.on('end', () => child.stdin.end());
child.stdin.on('error', () => {});
const fromServer = tap('out');
child.stdout.on('data', (d) => {
  fromServer(d);
  process.stdout.write(d);
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  fs.closeSync(log);
  process.exit(code ?? (signal ? 1 : 0));
});
