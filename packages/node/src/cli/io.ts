import { type CairnError, formatPath, isCairnError, normalizeError } from '@cairn/core';

/** Where the CLI writes; injectable so tests run it in-process. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Thrown to end a command with an exit code after its message was printed. */
export class ExitError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** Prints an error the way every command does: code, message, then each issue with its path. */
export function printError(io: CliIO, error: unknown): void {
  const e: CairnError = isCairnError(error) ? error : normalizeError(error);
  io.stderr.write(`error [${e.code}]: ${e.message}\n`);
  const errors = e.issues.filter((i) => i.severity === 'error');
  if (errors.length > 1 || (errors[0] && !e.message.includes(errors[0].message))) {
    for (const i of errors.slice(0, 50)) {
      const where = formatPath(i.path);
      io.stderr.write(`  - ${where ? `${where}: ` : ''}${i.message} (${i.rule})\n`);
    }
    if (errors.length > 50) io.stderr.write(`  … and ${errors.length - 50} more\n`);
  }
  if (!isCairnError(error) && error instanceof Error && error.stack && io.env.CAIRN_DEBUG) io.stderr.write(`${error.stack}\n`);
}

/** Right-pads cells into aligned columns. */
export function table(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}
