// Starts `likeness serve` on a free loopback port for a browser test and waits for the address it
// prints. One copy for every browser test (web, ux, self-check, video).
import { spawn } from 'node:child_process';

// Serves `data` with `cli` (one analyzer thread, plus `extraArgs`). Resolves to { child, url,
// stderr(), stop() } once the server prints its address; rejects if it exits first or says nothing
// within 60 s (the error carries its stderr). stop() sends SIGTERM and resolves to the exit code.
export async function startServer(cli, data, extraArgs = []) {
  const child = spawn(cli, ['--data', data, 'serve', '--port', '0', '--threads', '1', ...extraArgs],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${stderr}`)), 60_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = stderr.match(/on (http:\/\/[0-9.]+:\d+\/)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => fail(new Error(`server exited (${code}):\n${stderr}`)));
  });
  const exited = new Promise((ok) => child.on('exit', (c) => ok(c)));
  const stop = () => { child.kill('SIGTERM'); return exited; };
  return { child, url, stderr: () => stderr, stop };
}
