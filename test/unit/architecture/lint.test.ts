// issue 17: `npm run lint` (scripts/lint.ts) finds what each of its rules forbids, and lets an
// excused line pass only with a reason. Each case lints a few files written to a temporary
// directory laid out like the repository (the rules depend on the path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { lintProgram } from '../../../scripts/lint.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  noUnusedLocals: true,
  // As in tsconfig.json: the declaration files (TypeScript's lib, @types/node) are not type-checked,
  // which is most of a program's checking time and not what these cases are about.
  skipLibCheck: true,
  types: ['node'],
  typeRoots: [join(repoRoot, 'node_modules/@types')],
};

/**
 * One compiler host for every case, keeping the declaration files it parsed (the same for every
 * case) so each case parses only its own files; the cases' files live in temporary directories
 * and are read fresh.
 */
const host = ts.createCompilerHost(options);
const parsedDeclarations = new Map<string, ts.SourceFile | undefined>();
const readSourceFile = host.getSourceFile.bind(host);
host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
  if (!fileName.endsWith('.d.ts')) return readSourceFile(fileName, languageVersion, onError, shouldCreate);
  if (!parsedDeclarations.has(fileName)) parsedDeclarations.set(fileName, readSourceFile(fileName, languageVersion, onError, shouldCreate));
  return parsedDeclarations.get(fileName);
};

function lint(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-lint-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const program = ts.createProgram(
      Object.keys(files).map((p) => join(dir, p)),
      options,
      host,
    );
    return lintProgram(program, dir).map((p) => `${p.file}:${p.line}: ${p.rule}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('issue 17 lint: a dropped promise is reported; awaited, voided, caught and returned ones are not', () => {
  const problems = lint({
    'src/a.ts': [
      'export async function work(): Promise<number> { return 1; }',
      'export async function caller(): Promise<number> {',
      '  work();', // line 3: dropped
      '  await work();',
      '  void work();',
      '  work().catch(() => undefined);',
      '  work().then(() => 1, () => 2);',
      '  work().catch(() => undefined).finally(() => undefined);',
      '  work().finally(() => undefined);', // line 9: finally alone passes the rejection on
      '  return work();',
      '}',
      '',
    ].join('\n'),
  });
  assert.deepEqual(problems, ['src/a.ts:3: floating-promise', 'src/a.ts:9: floating-promise']);
});

test('issue 17 lint: clocks, timers and randomness are refused in the Raft core and the state machines only', () => {
  const body = [
    "import { randomUUID } from 'node:crypto';",
    'export const a = Date.now();',
    'export const b = Math.random();',
    'export const c = randomUUID();',
    'export const d = new Date();',
    'export const e = new Date(0);',
    'setTimeout(() => undefined, 1);',
    '',
  ].join('\n');
  const problems = lint({ 'src/raft/x.ts': body, 'src/broker/group/group.ts': body, 'src/broker/edge.ts': body });
  const lines = [2, 3, 4, 5, 7];
  assert.deepEqual(problems, [...lines.map((l) => `src/raft/x.ts:${l}: determinism`), ...lines.map((l) => `src/broker/group/group.ts:${l}: determinism`)]);
});

test('issue 17 lint: node:assert and console are refused in src/ (console allowed in src/cli), not in tests', () => {
  const body = "import assert from 'node:assert/strict';\nassert.ok(true);\nconsole.log('x');\n";
  const problems = lint({ 'src/storage/x.ts': body, 'src/cli/y.ts': "console.log('y');\n", 'test/z.test.ts': body });
  assert.deepEqual(problems, ['src/storage/x.ts:1: node-assert', 'src/storage/x.ts:3: console']);
});

test('issue 17 lint: an excuse needs a known rule and a reason; a good one covers its line and the next', () => {
  const problems = lint({
    'src/a.ts': [
      'export async function work(): Promise<void> {}',
      'export function f(): void {',
      '  // lint-allow floating-promise: work() cannot reject, it has no body',
      '  work();',
      '  work(); // lint-allow floating-promise: same reason, on the line itself',
      '  // lint-allow floating-promise',
      '  work();',
      '  // lint-allow no-such-rule: a reason that is long enough',
      '}',
      '',
    ].join('\n'),
  });
  assert.deepEqual(problems, ['src/a.ts:6: lint-allow', 'src/a.ts:8: lint-allow', 'src/a.ts:7: floating-promise']);
});
