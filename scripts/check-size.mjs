// Fails when a source file or a TypeScript function has grown past the house
// limits (issue 14): 600 lines for a tracked .rs/.ts/.mjs file, 80 lines for a
// function in ui/src. Rust functions are left to clippy (too_many_lines).
//
// A file may stay longer when a comment in its first 40 lines starts with
// `Longer than 600 lines because`; a function may when the line right above it
// is a comment `// long: <reason>`. Run from anywhere: `node scripts/check-size.mjs`.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const FILE_LIMIT = 600;
const FUNCTION_LIMIT = 80;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = (path) => path === 'ui/src/ipc/bindings.ts' || path.startsWith('fuzz/corpus/');
const FILE_WAIVER = /^\s*(\/\/[/!]?|\/\*+|\*)\s*Longer than 600 lines because/;
const FUNCTION_WAIVER = /^\s*\/\/\s*long:\s*\S/;

const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
  .split('\0')
  .filter((path) => /\.(rs|ts|mjs)$/.test(path) && !SKIP(path) && existsSync(join(ROOT, path)));

const failures = [];
let functions = 0;
for (const path of files) {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length > FILE_LIMIT && !lines.slice(0, 40).some((line) => FILE_WAIVER.test(line))) {
    failures.push(`${path}:1 (file) ${lines.length} lines`);
  }
  if (path.startsWith('ui/src/') && path.endsWith('.ts')) {
    for (const fn of functionsIn(path, text)) {
      functions += 1;
      const waived = fn.first > 1 && FUNCTION_WAIVER.test(lines[fn.first - 2]);
      if (fn.length > FUNCTION_LIMIT && !waived) failures.push(`${path}:${fn.first} ${fn.name} ${fn.length} lines`);
    }
  }
}

if (failures.length > 0) {
  console.error(`check-size: ${failures.length} over the limit (files ${FILE_LIMIT} lines, ui/src functions ${FUNCTION_LIMIT}):`);
  for (const failure of failures) console.error(`  ${failure}`);
  process.exit(1);
}
console.log(
  `check-size: OK, ${files.length} files within ${FILE_LIMIT} lines, ${functions} functions in ui/src within ${FUNCTION_LIMIT}`,
);

/** Every function with a body in one file: its name, first line (1-based) and length in lines. */
function functionsIn(path, text) {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const lineOf = (pos) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const found = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const first = lineOf(node.getStart(source));
      found.push({ name: nameOf(node, source), first, length: lineOf(node.getEnd()) - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** A function's own name, else the name it is bound to, else the call it is passed to. */
function nameOf(node, source) {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText(source);
  }
  if (ts.isBinaryExpression(parent)) return parent.left.getText(source);
  if (ts.isCallExpression(parent)) return `(callback to ${parent.expression.getText(source)})`;
  return ts.isArrowFunction(node) ? '(arrow function)' : '(function expression)';
}
