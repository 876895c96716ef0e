import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** A relay started through the real CLI in a child process, so tests can SIGKILL it. */
export class RelayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** What it printed (stdout and stderr), up to now. */
  output = '';

  private constructor(child: ChildProcess, url: string) {
    this.child = child;
    this.url = url;
  }

  /** Starts `helios-relay` with `args` and resolves once it prints that it listens. */
  static async start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RelayProcess> {
    const child = spawn(process.execPath, [CLI, '--log-level', 'warn', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`relay did not start:\n${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /listening on (\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`relay exited with ${code}:\n${output}`));
      });
    });
    const p = new RelayProcess(child, url);
    p.output = output;
    child.stdout!.on('data', (chunk: Buffer) => {
      p.output += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      p.output += chunk.toString();
    });
    return p;
  }

  /** Sends `signal` and resolves when the process has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    this.child.kill(signal);
    return exited;
  }
}
