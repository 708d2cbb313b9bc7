/**
 * moto_server (Python moto) on loopback: the one emulator here with S3 versioning, and with enough of IAM, Lambda,
 * SQS, SNS, CloudWatch and Logs for `terraform apply`. It is on these machines' image but not installable from npm,
 * so callers ask `findMotoServer()` first and say why they skip or stop when it is missing.
 * State lives in the server's memory only: stopping it forgets everything.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

const HOST = '127.0.0.1';
/** moto_server takes 1-3 s to import its services here; a generous bound for a busy machine. */
const READY_TIMEOUT_MS = 30_000;

/** The moto_server binary (`MOTO_SERVER_BINARY`, else the PATH), or the reason there is none. */
export function findMotoServer(env: NodeJS.ProcessEnv = process.env): { binary: string } | { unavailable: string } {
  if (env.MOTO_SERVER_BINARY) {
    return fs.existsSync(env.MOTO_SERVER_BINARY)
      ? { binary: env.MOTO_SERVER_BINARY }
      : { unavailable: `MOTO_SERVER_BINARY=${env.MOTO_SERVER_BINARY} does not exist` };
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'moto_server');
    if (dir && fs.existsSync(candidate)) return { binary: candidate };
  }
  return { unavailable: 'moto_server is not on the PATH (it comes with Python moto: pip install "moto[server]")' };
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>`: one endpoint for every service. */
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** A free loopback port: bound, read and released (moto_server cannot report a port it picked itself). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts moto_server on a free loopback port; resolves once it accepts connections. */
export async function startMotoServer(binary: string): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://${HOST}:${port}`;
  const child = spawn(binary, ['-H', HOST, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    // Its request log goes to stderr: keep only the tail, for the message when it fails to start.
    stderr = (stderr + String(chunk)).slice(-2000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`moto_server did not start: ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`moto_server exited with code ${code} before it answered: ${stderr.trim().split('\n').pop() ?? ''}`)));
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const answered = (async () => {
    while (Date.now() < deadline) {
      if (await listening(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s`);
  })();
  try {
    await Promise.race([answered, exited]);
  } catch (error) {
    await stop(child);
    throw error;
  }
  exited.catch(() => undefined);
  return { endpoint, pid: child.pid as number, stop: () => stop(child) };
}
