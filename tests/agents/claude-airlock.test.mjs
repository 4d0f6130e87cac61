// Airlock holding the REAL Claude Code CLI (issue 5), offline against the mock
// model API: `airlock run --mode gated -- claude -p …` gets Airlock's
// PreToolUse hook (`airlock hook claude`), edits wait as pending changes,
// risky commands wait as actions, and decisions flow back to the model.
//
//   AIRLOCK_BIN=target/debug/airlock node --test tests/agents/claude-airlock.test.mjs
//
// Nothing here is skipped: without `airlock hook` every test fails saying so.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { cleanEnv, policyAllowRules, requireAirlockHook, startAirlock } from './airlock.mjs';
import {
  AIRLOCK_BIN,
  claudeEnv,
  claudeVersion,
  describeRequests,
  makeTemp,
  readOrNull,
  runClaudePrint,
  WAIT_MS,
  writeClaudeHome,
  writeHookSettings,
} from './helpers.mjs';
import { lastToolResult, startMock } from './mock-anthropic.mjs';

const TEST = { timeout: 90_000 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The model's closing turn: echoes the tool_result it was given. */
const echoResult = (body) => {
  const r = lastToolResult(body);
  return { text: `Result (${r?.is_error ? 'error' : 'ok'}): ${r?.text}` };
};

/** Asserts that for `ms` the model got no further request and `check()` holds. */
async function staysHeld(ctx, mainCount, ms, check, what) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    assert.equal(
      ctx.mock.mainRequests.length,
      mainCount,
      `Claude went on before any decision (${what}):${ctx.describe()}`,
    );
    await check();
    await sleep(100);
  }
}

/** Runs `airlock hook claude` with `input` on stdin and `env`; resolves { code, stdout, stderr }. */
function runHook(input, env) {
  return new Promise((resolveRun) => {
    const child = execFile(
      AIRLOCK_BIN,
      ['hook', 'claude'],
      { env, timeout: WAIT_MS, encoding: 'utf8' },
      (err, stdout, stderr) => resolveRun({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
    child.stdin.end(input);
  });
}

/** Parses a hook's stdout as one JSON decision, failing with the raw text. */
function parseDecision(stdout, stderr) {
  try {
    return JSON.parse(stdout);
  } catch {
    assert.fail(`airlock hook claude printed no JSON decision: stdout ${JSON.stringify(stdout)} stderr ${JSON.stringify(stderr)}`);
  }
}

/**
 * What every test needs first: Claude Code's binary and an airlock with
 * `hook claude`. Checked once; each test then fails (never skips) with the
 * same clear message when either is missing.
 */
let preflight;
function ready() {
  if (!preflight) {
    try {
      claudeVersion();
      requireAirlockHook();
      preflight = { ok: true };
    } catch (err) {
      preflight = { ok: false, err };
    }
  }
  if (!preflight.ok) throw preflight.err;
}

/** A test that first checks `ready()`. */
function gatedTest(name, fn) {
  test(name, TEST, async (t) => {
    ready();
    await fn(t);
  });
}

describe('Airlock holds the real Claude Code (gated)', () => {
  gatedTest('engine unreachable: airlock hook claude answers "deny" and says why, never an allow', async (t) => {
    const tmp = await makeTemp('hook-down');
    t.after(() => tmp.cleanup());
    const project = join(tmp.root, 'project');
    await mkdir(project);
    // Exactly what Claude Code 2.1.197 writes on a PreToolUse hook's stdin.
    const input = {
      session_id: '00000000-0000-4000-8000-000000000000',
      transcript_path: join(tmp.root, 'transcript.jsonl'),
      cwd: project,
      prompt_id: '00000000-0000-4000-8000-000000000001',
      permission_mode: 'default',
      effort: { level: 'high' },
      hook_event_name: 'PreToolUse',
      tool_name: 'Write',
      tool_input: { file_path: join(project, 'notes.txt'), content: 'x\n' },
      tool_use_id: 'toolu_mock_0001',
    };
    const env = {
      ...cleanEnv(),
      AIRLOCK_HOME: join(tmp.root, 'airlock'),
      AIRLOCK_SESSION: 's-0000000000',
      AIRLOCK_SOCKET: join(tmp.root, 'no-engine.sock'),
      AIRLOCK_TOKEN: 'not-a-token',
    };
    const r = await runHook(JSON.stringify(input), env);
    assert.equal(r.code, 0, `airlock hook claude exited ${r.code} (Claude reads a decision only on exit 0): ${r.stderr}`);
    const out = parseDecision(r.stdout, r.stderr);
    assert.equal(out?.hookSpecificOutput?.hookEventName, 'PreToolUse', r.stdout);
    assert.equal(out.hookSpecificOutput.permissionDecision, 'deny', r.stdout);
    assert.ok(
      typeof out.hookSpecificOutput.permissionDecisionReason === 'string' && out.hookSpecificOutput.permissionDecisionReason.length > 0,
      `a deny should say why: ${r.stdout}`,
    );
  });

  gatedTest('engine unreachable, through the real Claude: the write does not happen', async (t) => {
    const tmp = await makeTemp('hook-down-claude');
    t.after(() => tmp.cleanup());
    const project = join(tmp.root, 'project');
    const home = join(tmp.root, 'home');
    await mkdir(project);
    await writeClaudeHome(home, [project]);
    const settings = await writeHookSettings(join(tmp.root, 'settings.json'), `'${AIRLOCK_BIN}' hook claude`);
    const target = join(project, 'notes.txt');
    const mock = await startMock([{ tool: 'Write', input: { file_path: target, content: 'x\n' } }, echoResult]);
    t.after(() => mock.close());
    const env = claudeEnv({
      home,
      mockUrl: mock.url,
      extra: {
        AIRLOCK_HOME: join(tmp.root, 'airlock'),
        AIRLOCK_SESSION: 's-0000000000',
        AIRLOCK_SOCKET: join(tmp.root, 'no-engine.sock'),
        AIRLOCK_TOKEN: 'not-a-token',
      },
    });
    const run = await runClaudePrint({ cwd: project, env, prompt: 'Write notes.txt', settings });
    assert.equal(run.code, 0, `claude -p exited ${run.code}: ${run.stderr}\n${describeRequests(mock)}`);
    assert.equal(existsSync(target), false, 'notes.txt was written while the engine was unreachable');
    const result = lastToolResult(mock.mainRequests[1]?.body);
    assert.ok(result?.is_error, `the Write did not come back as refused: ${JSON.stringify(result)}\n${describeRequests(mock)}`);
  });

  gatedTest('staged: Claude writes into its stage, the edit is reviewed there, and approving lands it', async (t) => {
    const content = 'Written in the stage.\n';
    let stage = null;
    let ctx;
    const script = [
      () => ({ tool: 'Write', input: { file_path: join(stage ?? ctx.project, 'staged.txt'), content } }),
      echoResult,
    ];
    ctx = await startAirlock('staged', { script });
    t.after(() => ctx.close());
    const session = await ctx.runClaude('Write staged.txt', { mode: 'staged' });
    stage = (await ctx.status()).sessions.find((s) => s.id === session)?.cwd;
    assert.ok(stage && !stage.startsWith(ctx.project), `the session runs in a stage outside the project: ${stage}`);
    const change = await ctx.waitChange('staged.txt', 'the staged Write as a pending change');
    assert.equal(change.kind, 'created');
    const target = join(ctx.project, 'staged.txt');
    assert.equal(existsSync(target), false, 'a staged write reached the project before it was approved');
    assert.equal(await readOrNull(join(stage, 'staged.txt')), content, 'the stage holds what Claude wrote');
    await ctx.ok(['approve', change.id]);
    assert.equal(await readOrNull(target), content, 'the approved file does not hold the staged text');
    await ctx.waitNoChange('staged.txt', 'the approved change leaves the queue');
  });

  gatedTest('an edit waits as a pending change until approved, then lands', async (t) => {
    const content = 'Notes from the agent.\nSecond line.\n';
    let ctx;
    const script = [
      () => ({ tool: 'Write', input: { file_path: join(ctx.project, 'notes.txt'), content } }),
      echoResult,
    ];
    ctx = await startAirlock('approve', { script });
    t.after(() => ctx.close());
    const target = join(ctx.project, 'notes.txt');

    const session = await ctx.runClaude('Write notes.txt');
    const change = await ctx.waitChange('notes.txt', 'the Write held as a pending change');
    assert.equal(change.session, session);
    assert.equal(change.kind, 'created');
    assert.ok(change.hunks.length >= 1 && change.hunks.every((h) => /^h-/.test(h.id)), JSON.stringify(change));
    await staysHeld(ctx, 1, 500, async () => {
      assert.equal(existsSync(target), false, 'notes.txt reached the project before it was approved');
    }, 'waiting for approval');

    await ctx.ok(['approve', change.id]);
    const next = await ctx.waitMain(2, 'Claude goes on once the edit is approved');
    assert.equal(await readOrNull(target), content, 'the approved file does not hold the proposed text');
    const result = lastToolResult(next.body);
    assert.equal(result?.is_error, false, `the approved Write came back as an error: ${JSON.stringify(result)}`);
    await ctx.waitNoChange('notes.txt', 'the approved change leaves the queue');
    const info = await ctx.waitExited(session);
    assert.equal(info.exitCode, 0, `claude exited ${info.exitCode}`);
    assert.equal(await readOrNull(target), content);
  });

  gatedTest('a reject sends its reason to the model and nothing is written', async (t) => {
    const reason = 'Put the notes in docs/notes.md instead';
    let ctx;
    const script = [
      () => ({ tool: 'Write', input: { file_path: join(ctx.project, 'notes.txt'), content: 'rejected text\n' } }),
      echoResult,
    ];
    ctx = await startAirlock('reject', { script });
    t.after(() => ctx.close());
    const target = join(ctx.project, 'notes.txt');

    const session = await ctx.runClaude('Write notes.txt');
    const change = await ctx.waitChange('notes.txt', 'the Write held as a pending change');
    await ctx.ok(['reject', change.id, '--reason', reason]);
    const next = await ctx.waitMain(2, 'the model hears about the reject');
    const result = lastToolResult(next.body);
    assert.ok(result, `the next request carried no tool_result:${ctx.describe()}`);
    assert.equal(result.is_error, true, `a rejected Write should come back as an error: ${JSON.stringify(result)}`);
    assert.ok(result.text.includes(reason), `the reject reason did not reach the model: ${JSON.stringify(result.text)}`);
    await ctx.waitExited(session);
    assert.equal(existsSync(target), false, 'notes.txt was written although the change was rejected');
    await ctx.waitNoChange('notes.txt', 'the rejected change leaves the queue');
  });

  gatedTest('a partial approval writes exactly the approved text', async (t) => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const original = `${lines.join('\n')}\n`;
    const proposedLines = [...lines];
    proposedLines[1] = 'line 2 (changed by the agent)';
    proposedLines[17] = 'line 18 (changed by the agent)';
    const proposed = `${proposedLines.join('\n')}\n`;
    const approvedLines = [...lines];
    approvedLines[1] = proposedLines[1];
    const approved = `${approvedLines.join('\n')}\n`;

    let ctx;
    const file = () => join(ctx.project, 'src', 'settings.txt');
    // Claude Code refuses to Write over a file it has not Read first.
    const script = [
      () => ({ tool: 'Read', input: { file_path: file() } }),
      () => ({ tool: 'Write', input: { file_path: file(), content: proposed } }),
      echoResult,
    ];
    ctx = await startAirlock('partial', { files: { 'src/settings.txt': original }, script });
    t.after(() => ctx.close());

    const session = await ctx.runClaude('Edit src/settings.txt');
    const change = await ctx.waitChange(
      'src/settings.txt',
      'the Write held as a pending change with two hunks (the Read before it must pass with no card)',
      (c) => c.hunks.length === 2,
    );
    assert.equal(change.kind, 'modified');
    const [first, second] = [...change.hunks].sort((a, b) => a.oldStart - b.oldStart);
    assert.ok(first.oldStart <= 2 && second.oldStart > 10, `unexpected hunks: ${JSON.stringify(change.hunks)}`);
    assert.equal(await readFile(file(), 'utf8'), original, 'the file changed before any approval');

    await ctx.ok(['approve', first.id]);
    await ctx.waitMain(3, 'Claude goes on once part of the edit is approved');
    await ctx.waitExited(session);
    assert.equal(
      await readFile(file(), 'utf8'),
      approved,
      'the file does not hold exactly the approved hunk (line 2 changed, line 18 as before)',
    );
  });

  gatedTest('a NotebookEdit waits as a pending change of the notebook, then Claude writes the cell', async (t) => {
    const notebook = `${JSON.stringify(
      {
        cells: [
          { cell_type: 'code', execution_count: 1, id: 'c1', metadata: {}, outputs: [], source: 'print(1)' },
          { cell_type: 'markdown', id: 'm1', metadata: {}, source: '# Notes' },
        ],
        metadata: {},
        nbformat: 4,
        nbformat_minor: 5,
      },
      null,
      1,
    )}\n`;
    let ctx;
    const nb = () => join(ctx.project, 'analysis.ipynb');
    const script = [
      () => ({ tool: 'Read', input: { file_path: nb() } }),
      () => ({ tool: 'NotebookEdit', input: { notebook_path: nb(), cell_id: 'c1', new_source: 'print(40 + 2)', edit_mode: 'replace' } }),
      echoResult,
    ];
    ctx = await startAirlock('notebook', { files: { 'analysis.ipynb': notebook }, script });
    t.after(() => ctx.close());

    const session = await ctx.runClaude('Edit the notebook');
    const change = await ctx.waitChange('analysis.ipynb', 'the NotebookEdit held as a pending change');
    assert.equal(change.kind, 'modified');
    const diff = await ctx.ok(['diff', change.id]);
    assert.ok(diff.includes('print(40 + 2)'), `the diff shows the new cell source:\n${diff}`);
    await staysHeld(ctx, 2, 500, async () => {
      assert.equal(await readFile(nb(), 'utf8'), notebook, 'the notebook changed before any approval');
    }, 'waiting for approval');

    await ctx.ok(['approve', change.id]);
    const next = await ctx.waitMain(3, 'Claude goes on once the notebook edit is approved');
    const result = lastToolResult(next.body);
    assert.equal(result?.is_error, false, `the approved NotebookEdit came back as an error: ${JSON.stringify(result)}`);
    await ctx.waitExited(session);
    const cells = JSON.parse(await readFile(nb(), 'utf8')).cells;
    assert.equal(cells[0].source, 'print(40 + 2)', 'Claude wrote the approved cell');
    assert.equal(cells[1].source, '# Notes', 'the other cell is as it was');
  });

  gatedTest('a compound command waits when one part is risky, though the other part is allowed', async (t) => {
    const ctx = await startAirlock('compound', {
      files: { 'build/out.txt': 'artifact\n' },
      script: [{ tool: 'Bash', input: { command: 'ls && rm -rf build', description: 'List, then clean' } }, echoResult],
    });
    t.after(() => ctx.close());
    const artifact = join(ctx.project, 'build', 'out.txt');
    const session = await ctx.runClaude('Clean up');
    const action = await ctx.waitAction('the compound command waits', (a) => a.tool === 'Bash' && a.summary === 'ls && rm -rf build');
    assert.ok(action.risks.some((r) => r.kind === 'delete'), `the rm part is why it waits: ${JSON.stringify(action.risks)}`);
    await staysHeld(ctx, 1, 500, async () => {
      assert.equal(await readOrNull(artifact), 'artifact\n', 'build/ was removed before any decision');
    }, 'waiting on the compound command');
    await ctx.ok(['reject', action.id, '--reason', 'not now']);
    await ctx.waitMain(2, 'the model hears about the denied command');
    await ctx.waitExited(session);
    assert.equal(await readOrNull(artifact), 'artifact\n', 'build/ was removed although the command was denied');
  });

  gatedTest('a risky command waits as an action and never runs when denied', async (t) => {
    const reason = 'keep the build folder, it holds the release';
    const ctx = await startAirlock('deny-rm', {
      files: { 'build/out.txt': 'artifact\n' },
      script: [{ tool: 'Bash', input: { command: 'rm -rf build', description: 'Remove the build folder' } }, echoResult],
    });
    t.after(() => ctx.close());
    const artifact = join(ctx.project, 'build', 'out.txt');

    const session = await ctx.runClaude('Clean up');
    const action = await ctx.waitAction('rm -rf build waits for a decision', (a) => a.tool === 'Bash' && a.summary === 'rm -rf build');
    assert.match(action.id, /^a-/);
    assert.equal(action.session, session);
    assert.equal(action.cwd, ctx.project);
    assert.ok(
      Array.isArray(action.risks) && action.risks.some((r) => r.kind === 'delete' && typeof r.why === 'string' && r.why),
      `rm -rf should be judged a delete, with a why: ${JSON.stringify(action.risks)}`,
    );
    await staysHeld(ctx, 1, 500, async () => {
      assert.equal(await readOrNull(artifact), 'artifact\n', 'build/ was removed before any decision');
    }, 'waiting on the action');

    await ctx.ok(['reject', action.id, '--reason', reason]);
    const next = await ctx.waitMain(2, 'the model hears about the denied command');
    const result = lastToolResult(next.body);
    assert.ok(result?.is_error && result.text.includes(reason), `the deny reason did not reach the model: ${JSON.stringify(result)}`);
    await ctx.waitExited(session);
    assert.equal(await readOrNull(artifact), 'artifact\n', 'build/ was removed although the command was denied');
    const left = (await ctx.status()).actions || [];
    assert.equal(left.length, 0, `the decided action is still listed: ${JSON.stringify(left)}`);
  });

  gatedTest('allow once runs the command once; the same command asks again', async (t) => {
    let ctx;
    let buildAtTurn2;
    const build = () => join(ctx.project, 'build');
    const rm = { tool: 'Bash', input: { command: 'rm -rf build', description: 'Remove the build folder' } };
    const script = [
      rm,
      () => {
        buildAtTurn2 = existsSync(build());
        mkdirSync(build(), { recursive: true });
        writeFileSync(join(build(), 'out.txt'), 'rebuilt\n');
        return rm;
      },
      echoResult,
    ];
    ctx = await startAirlock('allow-once', { files: { 'build/out.txt': 'artifact\n' }, script });
    t.after(() => ctx.close());

    const session = await ctx.runClaude('Clean up twice');
    const first = await ctx.waitAction('the first rm -rf build waits', (a) => a.summary === 'rm -rf build');
    await ctx.ok(['approve', first.id]);
    await ctx.waitMain(2, 'the approved rm -rf build runs and Claude goes on');
    assert.equal(buildAtTurn2, false, 'build/ was still there after rm -rf build was allowed');
    const second = await ctx.waitAction(
      'the same command, allowed only once before, waits again',
      (a) => a.summary === 'rm -rf build' && a.id !== first.id,
    );
    await ctx.ok(['reject', second.id, '--reason', 'once was enough']);
    await ctx.waitMain(3, 'Claude goes on after the second command is denied');
    await ctx.waitExited(session);
    assert.equal(await readOrNull(join(build(), 'out.txt')), 'rebuilt\n', 'the second rm -rf build ran although denied');
    const toml = (await readOrNull(join(ctx.project, '.airlock', 'policy.toml'))) || '';
    assert.ok(!policyAllowRules(toml).includes('Bash(rm -rf build)'), `allow once wrote an always rule:\n${toml}`);
  });

  gatedTest('always allow writes the rule, and the next identical command passes with no card', async (t) => {
    let ctx;
    const seenGone = [];
    const build = () => join(ctx.project, 'build');
    const rm = { tool: 'Bash', input: { command: 'rm -rf build', description: 'Remove the build folder' } };
    const script = [
      rm,
      () => {
        seenGone.push(!existsSync(build()));
        mkdirSync(build(), { recursive: true });
        writeFileSync(join(build(), 'out.txt'), 'rebuilt\n');
        return rm;
      },
      (body) => {
        seenGone.push(!existsSync(build()));
        return echoResult(body);
      },
    ];
    ctx = await startAirlock('always', { files: { 'build/out.txt': 'artifact\n' }, script });
    t.after(() => ctx.close());
    const policy = join(ctx.project, '.airlock', 'policy.toml');

    const session = await ctx.runClaude('Clean up twice');
    const action = await ctx.waitAction('rm -rf build waits', (a) => a.summary === 'rm -rf build');
    const watch = ctx.watchActions();
    try {
      await ctx.ok(['approve', '--always', action.id]);
      await ctx.waitMain(3, 'both rm -rf build ran (the second with no card) and Claude goes on');
      await ctx.waitExited(session);
    } finally {
      await watch.stop();
    }
    const toml = await readOrNull(policy);
    assert.ok(toml !== null, `approve --always wrote no ${policy}`);
    assert.ok(
      policyAllowRules(toml).includes('Bash(rm -rf build)'),
      `policy.toml has no [permissions] allow rule "Bash(rm -rf build)":\n${toml}`,
    );
    assert.deepEqual(seenGone, [true, true], 'rm -rf build did not run both times');
    const others = [...watch.seen.values()].filter((a) => a.id !== action.id);
    assert.deepEqual(others, [], 'the identical command asked again although it is always allowed');
  });

  gatedTest('safe commands run with no card', async (t) => {
    const ctx = await startAirlock('safe', {
      script: [
        { tool: 'Bash', input: { command: 'ls', description: 'List files' } },
        { tool: 'Bash', input: { command: 'cat README.md', description: 'Show the readme' } },
        echoResult,
      ],
    });
    t.after(() => ctx.close());
    const watch = ctx.watchActions();
    let session;
    try {
      session = await ctx.runClaude('Look around');
      await ctx.waitMain(3, 'ls and cat README.md ran with no card');
      await ctx.waitExited(session);
    } finally {
      await watch.stop();
    }
    assert.deepEqual([...watch.seen.values()], [], 'a safe command was held as an action');
    const ls = lastToolResult(ctx.mock.mainRequests[1].body);
    assert.ok(ls && !ls.is_error && ls.text.includes('README.md'), `ls did not run: ${JSON.stringify(ls)}`);
    const cat = lastToolResult(ctx.mock.mainRequests[2].body);
    assert.ok(cat && !cat.is_error && cat.text.includes('A project for the agent tests.'), `cat did not run: ${JSON.stringify(cat)}`);
  });
});
