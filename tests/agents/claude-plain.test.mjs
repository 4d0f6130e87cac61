// The real Claude Code CLI, offline, against the mock model API, with a plain
// PreToolUse hook and no Airlock: pins down what a hook is given and what it
// may answer, which `airlock hook claude` builds on.
//
//   node --test tests/agents/claude-plain.test.mjs

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  CLAUDE_BIN,
  claudeEnv,
  claudeVersion,
  decision,
  describeRequests,
  makeTemp,
  readOrNull,
  runClaudePrint,
  startInPty,
  waitFor,
  writeClaudeHome,
  writeHookSettings,
  writeLoggingHook,
} from './helpers.mjs';
import { lastToolResult, lastToolResults, startMock } from './mock-anthropic.mjs';

/** A temp project, a temp HOME, a logging hook and its settings file. */
async function setup(name) {
  const tmp = await makeTemp(`claude-${name}`);
  const project = join(tmp.root, 'project');
  const home = join(tmp.root, 'home');
  const hookDir = join(tmp.root, 'hook');
  await mkdir(project);
  await mkdir(hookDir);
  await writeClaudeHome(home, [project]);
  const hook = await writeLoggingHook(hookDir);
  const settings = await writeHookSettings(join(tmp.root, 'settings.json'), hook.command);
  return { tmp, project, home, hook, settings };
}

/** Runs claude -p with the mock and fails with everything useful when it does not exit 0. */
async function runPrint(ctx, mock, prompt) {
  const run = await runClaudePrint({
    cwd: ctx.project,
    env: claudeEnv({ home: ctx.home, mockUrl: mock.url }),
    prompt,
    settings: ctx.settings,
  });
  assert.equal(
    run.code,
    0,
    `claude -p exited ${run.code}\n--- stderr ---\n${run.stderr}\n--- requests ---\n${describeRequests(mock)}`,
  );
  return run;
}

/** The main request that answered scripted turn `turn` (0-based). */
function mainRequest(mock, turn) {
  const r = mock.mainRequests[turn];
  assert.ok(r, `the mock received no main request for turn ${turn}:\n${describeRequests(mock)}`);
  return r;
}

describe('Claude Code offline against the mock, with a plain PreToolUse hook', () => {
  let version;
  before(() => {
    version = claudeVersion();
  });

  test('claude --version answers (the native binary is in place)', () => {
    assert.match(version, /^\d+\.\d+\.\d+$/);
  });

  test('a hook that denies Write: nothing is written and the reason reaches the model', async (t) => {
    const ctx = await setup('deny');
    t.after(() => ctx.tmp.cleanup());
    const target = join(ctx.project, 'notes.txt');
    const reason = 'Denied by the test hook: write notes elsewhere';
    await ctx.hook.respond('Write', decision('deny', reason));
    const mock = await startMock([
      { tool: 'Write', input: { file_path: target, content: 'hello from the model\n' } },
      (body) => ({ text: `I saw: ${lastToolResult(body)?.text}` }),
    ]);
    t.after(() => mock.close());

    const run = await runPrint(ctx, mock, 'Write notes.txt');

    // What the hook was given.
    const inputs = await ctx.hook.inputs();
    assert.equal(inputs.length, 1, `the hook ran ${inputs.length} times: ${JSON.stringify(inputs)}`);
    const input = inputs[0];
    assert.equal(input.hook_event_name, 'PreToolUse');
    assert.equal(input.tool_name, 'Write');
    assert.deepEqual(input.tool_input, { file_path: target, content: 'hello from the model\n' });
    assert.equal(input.tool_use_id, mainRequest(mock, 0).answer.blocks[0].id);
    assert.equal(input.cwd, ctx.project);
    assert.equal(typeof input.session_id, 'string');
    assert.equal(typeof input.transcript_path, 'string');
    assert.equal(input.permission_mode, 'default');

    // Nothing written.
    assert.equal(existsSync(target), false, 'notes.txt was written although the hook denied it');

    // The reason reached the model in the next request, as an error tool_result.
    assert.equal(mock.mainRequests.length, 2, describeRequests(mock));
    const [result] = lastToolResults(mainRequest(mock, 1).body);
    assert.ok(result, `the second request carried no tool_result:\n${describeRequests(mock)}`);
    assert.equal(result.tool_use_id, input.tool_use_id);
    assert.equal(result.is_error, true);
    assert.ok(result.text.includes(reason), `the tool_result does not carry the reason: ${JSON.stringify(result.text)}`);

    // Claude's own record of the run says the same.
    const final = run.events.find((e) => e.type === 'result');
    assert.ok(final, 'no result event in the stream-json output');
    assert.equal(final.result, `I saw: ${reason}`);
    assert.deepEqual(
      final.permission_denials.map((d) => d.tool_name),
      ['Write'],
      `permission_denials: ${JSON.stringify(final.permission_denials)}`,
    );
    assert.equal(mock.unknown.length, 0, `unknown paths: ${JSON.stringify(mock.unknown)}`);
  });

  test('a hook that allows with updatedInput: Claude writes the updated content', async (t) => {
    const ctx = await setup('allow');
    t.after(() => ctx.tmp.cleanup());
    const target = join(ctx.project, 'config.txt');
    await writeFile(target, 'one\ntwo\nthree\n');
    const proposed = 'one\nTWO (model)\nthree\n';
    const approved = 'one\ntwo (approved)\nthree\n';
    await ctx.hook.respond('Write', decision('allow', 'approved by the test', { file_path: target, content: approved }));
    // Claude refuses to Write over a file it has not Read in this session
    // (a tool_use_error before any hook runs), so the model reads it first.
    const mock = await startMock([
      { tool: 'Read', input: { file_path: target } },
      { tool: 'Write', input: { file_path: target, content: proposed } },
      (body) => ({ text: `Result: ${lastToolResult(body)?.text}` }),
    ]);
    t.after(() => mock.close());

    await runPrint(ctx, mock, 'Edit config.txt');

    const inputs = await ctx.hook.inputs();
    assert.deepEqual(
      inputs.map((i) => i.tool_name),
      ['Read', 'Write'],
      `hook inputs: ${JSON.stringify(inputs)}`,
    );
    assert.deepEqual(inputs[0].tool_input, { file_path: target });
    assert.deepEqual(inputs[1].tool_input, { file_path: target, content: proposed });

    assert.equal(await readFile(target, 'utf8'), approved, 'the file does not hold the updatedInput content');

    // The Read's result went back with the file's text; the Write's result is a success.
    const readResult = lastToolResult(mainRequest(mock, 1).body);
    assert.ok(readResult && !readResult.is_error && readResult.text.includes('two'), JSON.stringify(readResult));
    const writeResult = lastToolResult(mainRequest(mock, 2).body);
    assert.ok(writeResult, describeRequests(mock));
    assert.equal(writeResult.is_error, false, `the Write failed: ${writeResult.text}`);
  });

  test('Edit: the hook sees old_string/new_string; allow with a whole-file updatedInput writes the approved text', async (t) => {
    // How a gate can approve part of an Edit: answer with the same tool's
    // input, old_string = the whole current file, new_string = the approved file.
    const ctx = await setup('edit');
    t.after(() => ctx.tmp.cleanup());
    const target = join(ctx.project, 'lib.txt');
    const original = 'alpha\nbeta\ngamma\n';
    await writeFile(target, original);
    const approved = 'alpha\nbeta (approved)\ngamma\n';
    await ctx.hook.respond(
      'Edit',
      decision('allow', 'part approved', { file_path: target, old_string: original, new_string: approved, replace_all: false }),
    );
    const mock = await startMock([
      { tool: 'Read', input: { file_path: target } },
      { tool: 'Edit', input: { file_path: target, old_string: 'beta', new_string: 'BETA (model)' } },
      (body) => ({ text: `Result: ${lastToolResult(body)?.text}` }),
    ]);
    t.after(() => mock.close());

    await runPrint(ctx, mock, 'Edit lib.txt');

    const edit = (await ctx.hook.inputs()).find((i) => i.tool_name === 'Edit');
    assert.ok(edit, 'the hook never saw the Edit');
    assert.equal(edit.tool_input.file_path, target);
    assert.equal(edit.tool_input.old_string, 'beta');
    assert.equal(edit.tool_input.new_string, 'BETA (model)');
    assert.equal(await readFile(target, 'utf8'), approved);
    const result = lastToolResult(mainRequest(mock, 2).body);
    assert.equal(result?.is_error, false, JSON.stringify(result));
  });

  test('a hook that denies Bash: the command never runs and the reason reaches the model', async (t) => {
    const ctx = await setup('bash');
    t.after(() => ctx.tmp.cleanup());
    await mkdir(join(ctx.project, 'build'));
    await writeFile(join(ctx.project, 'build', 'out.txt'), 'artifact\n');
    const reason = 'keep the build folder';
    await ctx.hook.respond('Bash', decision('deny', reason));
    const mock = await startMock([
      { tool: 'Bash', input: { command: 'rm -rf build', description: 'Remove the build folder' } },
      (body) => ({ text: `Result: ${lastToolResult(body)?.text}` }),
    ]);
    t.after(() => mock.close());

    await runPrint(ctx, mock, 'Clean up');

    const [input] = await ctx.hook.inputs();
    assert.equal(input?.tool_name, 'Bash');
    assert.deepEqual(input.tool_input, { command: 'rm -rf build', description: 'Remove the build folder' });
    assert.equal(await readOrNull(join(ctx.project, 'build', 'out.txt')), 'artifact\n', 'build/ was removed');
    const result = lastToolResult(mainRequest(mock, 1).body);
    assert.ok(result?.is_error && result.text.includes(reason), JSON.stringify(result));
  });

  test('a hook that allows Bash: the command runs (the hook overrides Claude\'s own rm check)', async (t) => {
    const ctx = await setup('bash-allow');
    t.after(() => ctx.tmp.cleanup());
    await mkdir(join(ctx.project, 'build'));
    await writeFile(join(ctx.project, 'build', 'out.txt'), 'artifact\n');
    await ctx.hook.respond('Bash', decision('allow'));
    const mock = await startMock([
      { tool: 'Bash', input: { command: 'rm -rf build', description: 'Remove the build folder' } },
      { text: 'done' },
    ]);
    t.after(() => mock.close());

    await runPrint(ctx, mock, 'Clean up');

    assert.equal(existsSync(join(ctx.project, 'build')), false, 'build/ is still there although the hook allowed rm');
    const result = lastToolResult(mainRequest(mock, 1).body);
    assert.equal(result?.is_error, false, JSON.stringify(result));
  });

  test('a hook that answers "ask" in headless mode: nothing is written, the reason reaches the model', async (t) => {
    // What `airlock hook claude` answers when the engine cannot be reached.
    const ctx = await setup('ask');
    t.after(() => ctx.tmp.cleanup());
    const target = join(ctx.project, 'notes.txt');
    const reason = 'Airlock is not running: asking you instead';
    await ctx.hook.respond('Write', decision('ask', reason));
    const mock = await startMock([
      { tool: 'Write', input: { file_path: target, content: 'x\n' } },
      (body) => ({ text: `Result: ${lastToolResult(body)?.text}` }),
    ]);
    t.after(() => mock.close());

    await runPrint(ctx, mock, 'Write notes.txt');

    assert.equal(existsSync(target), false, 'notes.txt was written although the hook said ask');
    const result = lastToolResult(mainRequest(mock, 1).body);
    assert.ok(result?.is_error && result.text.includes(reason), JSON.stringify(result));
  });

  test('the interactive TUI in a PTY: the hook fires and side requests do not eat scripted turns', async (t) => {
    const ctx = await setup('tui');
    t.after(() => ctx.tmp.cleanup());
    const target = join(ctx.project, 'tui.txt');
    await ctx.hook.respond('Write', decision('allow'));
    const doneMark = 'TUI-RUN-FINISHED-7f3a';
    const mock = await startMock([
      { tool: 'Write', input: { file_path: target, content: 'from the tui\n' } },
      { text: doneMark },
    ]);
    t.after(() => mock.close());

    const env = claudeEnv({ home: ctx.home, mockUrl: mock.url, extra: { TERM: 'xterm-256color' } });
    const tui = startInPty(CLAUDE_BIN, ['--settings', ctx.settings, 'Please write tui.txt'], { cwd: ctx.project, env });
    t.after(() => tui.stop());

    await waitFor(
      () => `the final text ${doneMark} in the TUI\n--- screen (tail) ---\n${tui.text().slice(-2000)}\n--- requests ---\n${describeRequests(mock)}`,
      () => tui.text().includes(doneMark),
    );
    assert.equal(await readFile(target, 'utf8'), 'from the tui\n');
    const inputs = await ctx.hook.inputs();
    assert.equal(inputs[0]?.tool_name, 'Write', JSON.stringify(inputs));
    assert.equal(mock.turnsUsed, 2, describeRequests(mock));
    assert.equal(mock.exhausted, 0, `a side request was taken for a main one:\n${describeRequests(mock)}`);
    const side = mock.requests.filter((r) => r.kind === 'side');
    assert.ok(side.length >= 1, `the TUI made no side request (title) this time:\n${describeRequests(mock)}`);
    for (const r of side) assert.equal((r.body.tools || []).length, 0);
  });
});
