// `npm run lint`: the rules of this codebase that the type checker alone does not keep, checked
// with TypeScript's own compiler API (no linter package to install and keep in step with tsc).
// Unused locals, imports and parameters, missing returns and unreachable code are tsc options in
// tsconfig.json, so editors show them too; this adds:
//
//   floating-promise  a promise made and dropped: its rejection would be unhandled, which ends a
//                     Node process. Await it, return it, end it with .catch(), or mark a promise
//                     that cannot reject with `void`.
//   determinism       no clock, timer or randomness in the Raft core and the pure state machines:
//                     time and random values come in as inputs (docs/architecture.md).
//   node-assert       src/ states invariants with `invariant` (src/base/invariant.ts), which stays on
//                     in production and names the broken rule; not with node:assert.
//   console           brokers log through pino (src/log); only the command line (src/cli) prints.
//
// A line may be excused with a comment on it or on the line above:
//   // lint-allow <rule>: <why>
// An excuse without a reason, or for no rule, is itself an error.

import ts from 'typescript';
import { relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(import.meta.dirname, '..');

/** Files whose code must be deterministic (time and randomness are inputs). */
const DETERMINISTIC = [/^src\/raft\//, /^src\/broker\/group\/group\.ts$/, /^src\/metadata\/metadata-state\.ts$/];
const NONDETERMINISTIC_CALLS = new Set([
  'Date.now',
  'Math.random',
  'performance.now',
  'process.hrtime',
  'randomUUID',
  'randomBytes',
  'randomInt',
  'setTimeout',
  'setInterval',
  'setImmediate',
]);
const RULES = ['floating-promise', 'determinism', 'node-assert', 'console'] as const;
type Rule = (typeof RULES)[number];

export interface Problem {
  file: string;
  line: number;
  rule: Rule | 'lint-allow' | 'tsc';
  message: string;
}

function loadProgram(): ts.Program {
  const host: ts.ParseConfigFileHost = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')) };
  const config = ts.getParsedCommandLineOfConfigFile(resolve(root, 'tsconfig.json'), {}, host);
  if (!config) fail('cannot read tsconfig.json');
  return ts.createProgram(config.fileNames, config.options);
}

function fail(message: string): never {
  console.error(`lint: ${message}`);
  process.exit(2);
}

function isThenable(checker: ts.TypeChecker, type: ts.Type): boolean {
  if (type.isUnion()) return type.types.some((t) => isThenable(checker, t));
  const then = type.getProperty('then');
  return then !== undefined && checker.getTypeOfSymbol(then).getCallSignatures().length > 0;
}

/** Whether a dropped promise is taken care of: a rejection handler is attached at the end of the chain. */
function handled(e: ts.Expression): boolean {
  if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression)) return false;
  const method = e.expression.name.text;
  if (method === 'catch') return true;
  if (method === 'then') return e.arguments.length >= 2;
  if (method === 'finally') return handled(e.expression.expression);
  return false;
}

/** node:test's test()/describe() return promises the runner itself awaits. */
function isTestRegistration(e: ts.Expression): boolean {
  if (!ts.isCallExpression(e)) return false;
  const callee = e.expression;
  const name = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)
      ? callee.expression.text
      : '';
  return ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'].includes(name);
}

/**
 * A chained setter (`reply.header(...)`) returns the object it was called on: nothing new is
 * dropped. A promise's own then/catch/finally return a new promise, which is.
 */
function returnsItsReceiver(checker: ts.TypeChecker, e: ts.Expression): boolean {
  if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression)) return false;
  if (['then', 'catch', 'finally'].includes(e.expression.name.text)) return false;
  return checker.getTypeAtLocation(e.expression.expression) === checker.getTypeAtLocation(e);
}

function calleeName(call: ts.CallExpression | ts.NewExpression): string {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) {
    const base = callee.expression;
    const baseName = ts.isIdentifier(base) ? base.text : '';
    // crypto.randomUUID() and the like count as randomUUID().
    return baseName === 'crypto' ? callee.name.text : `${baseName}.${callee.name.text}`;
  }
  return '';
}

function lintFile(sf: ts.SourceFile, path: string, checker: ts.TypeChecker, out: Problem[]): void {
  const deterministic = DETERMINISTIC.some((re) => re.test(path));
  const inSrc = path.startsWith('src/');
  const report = (node: ts.Node, rule: Rule, message: string) =>
    out.push({ file: path, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, rule, message });

  const visit = (node: ts.Node): void => {
    if (ts.isExpressionStatement(node)) {
      const e = node.expression;
      const dropped =
        !ts.isVoidExpression(e) &&
        !ts.isAwaitExpression(e) &&
        !(ts.isBinaryExpression(e) && e.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && e.operatorToken.kind <= ts.SyntaxKind.LastAssignment);
      if (dropped && !handled(e) && !isTestRegistration(e) && isThenable(checker, checker.getTypeAtLocation(e)) && !returnsItsReceiver(checker, e)) {
        report(node, 'floating-promise', `a promise is dropped: ${e.getText(sf).split('\n')[0].slice(0, 80)}`);
      }
    }
    if (deterministic && (ts.isCallExpression(node) || ts.isNewExpression(node))) {
      const name = calleeName(node);
      if (NONDETERMINISTIC_CALLS.has(name) || (ts.isNewExpression(node) && name === 'Date' && (node.arguments?.length ?? 0) === 0)) {
        report(node, 'determinism', `${name === 'Date' ? 'new Date()' : `${name}()`} in deterministic code: take it as an input`);
      }
    }
    if (inSrc && (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (/^(node:)?assert(\/strict)?$/.test(node.moduleSpecifier.text))
        report(node, 'node-assert', `${node.moduleSpecifier.text}: state invariants with invariant() (src/base/invariant.ts)`);
    }
    if (
      inSrc &&
      !path.startsWith('src/cli/') &&
      ts.isPropertyAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'console'
    ) {
      report(node, 'console', 'console in the broker: log through the logger (src/log)');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

/** Every comment of a file (`//` and block comments), found through the syntax tree so that text in strings is not taken for one. */
function comments(sf: ts.SourceFile): ts.CommentRange[] {
  const seen = new Map<number, ts.CommentRange>();
  const add = (ranges: ts.CommentRange[] | undefined) => ranges?.forEach((r) => seen.set(r.pos, r));
  const visit = (node: ts.Node): void => {
    add(ts.getLeadingCommentRanges(sf.text, node.getFullStart()));
    add(ts.getTrailingCommentRanges(sf.text, node.getEnd()));
    // getChildren, not forEachChild: tokens too, so a comment before a closing brace is seen.
    for (const child of node.getChildren(sf)) visit(child);
  };
  visit(sf);
  return [...seen.values()];
}

/** The `// lint-allow rule: why` comments of a file, by the lines they excuse; malformed ones are reported. */
function allowances(sf: ts.SourceFile, path: string, out: Problem[]): Map<number, Set<string>> {
  const byLine = new Map<number, Set<string>>();
  for (const range of comments(sf)) {
    const text = sf.text.slice(range.pos, range.end);
    if (!/^\/\/\s*lint-allow\b/.test(text)) continue;
    const line = sf.getLineAndCharacterOfPosition(range.pos).line + 1;
    const excuse = /^\/\/\s*lint-allow\s+([a-z-]+):\s*(\S.*)$/.exec(text);
    if (!excuse || !(RULES as readonly string[]).includes(excuse[1]) || excuse[2].trim().length < 10) {
      out.push({ file: path, line, rule: 'lint-allow', message: `write "// lint-allow <rule>: <why>" with one of ${RULES.join(', ')} and a reason` });
      continue;
    }
    // The comment covers its own line and, when it stands alone on its line, the line below.
    const alone = sf.text.slice(sf.getPositionOfLineAndCharacter(line - 1, 0), range.pos).trim() === '';
    for (const l of alone ? [line, line + 1] : [line]) {
      if (!byLine.has(l)) byLine.set(l, new Set());
      byLine.get(l)!.add(excuse[1]);
    }
  }
  return byLine;
}

/** The problems of every file of `program` under `base` (tsc's diagnostics and the rules above). */
export function lintProgram(program: ts.Program, base: string): Problem[] {
  const checker = program.getTypeChecker();
  const problems: Problem[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const where = d.file
      ? { file: relative(base, d.file.fileName).split(sep).join('/'), line: d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 }
      : { file: 'tsconfig.json', line: 0 };
    problems.push({ ...where, rule: 'tsc', message: ts.flattenDiagnosticMessageText(d.messageText, ' ') });
  }
  for (const sf of program.getSourceFiles()) {
    const path = relative(base, sf.fileName).split(sep).join('/');
    if (path.startsWith('..') || path.startsWith('node_modules/')) continue;
    const found: Problem[] = [];
    lintFile(sf, path, checker, found);
    const allowed = allowances(sf, path, problems);
    problems.push(...found.filter((p) => !allowed.get(p.line)?.has(p.rule)));
  }
  return problems;
}

function main(): void {
  const program = loadProgram();
  const problems = lintProgram(program, root);
  for (const p of problems) console.error(`${p.file}:${p.line}: ${p.rule}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`lint: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log(`lint: clean (${program.getSourceFiles().filter((f) => !f.fileName.includes('node_modules')).length} files)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
