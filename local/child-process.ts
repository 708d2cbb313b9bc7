import type { ChildProcess } from 'node:child_process';

/**
 * Ends a child started with an IPC channel: closing the channel asks it to exit (the children here exit on
 * `disconnect`); one that is still there after `graceMs` is killed. Resolves once it has exited.
 */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
    else child.kill('SIGTERM');
  });
}
