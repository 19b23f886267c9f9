import { PassThrough } from 'node:stream';
import { runCli } from '@cairn/node';

/** Runs the CLI in-process in `cwd` and collects what it printed. */
export async function cli(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => {
    out += c;
  });
  stderr.on('data', (c) => {
    err += c;
  });
  const code = await runCli(args, { stdout, stderr, cwd, env });
  return { code, out, err };
}
