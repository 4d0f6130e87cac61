// Airlock holding the REAL Codex adapter (`codex-acp`, which runs the
// @openai/codex binary's `codex app-server`) as a chat session, offline
// against the mock Responses API (mock-openai.mjs): in staged mode a patch
// Codex applies is held in its stage and lands on approval, and a command's
// permission card rejected with `airlock reject` keeps it from running.
//
//   node --test --test-concurrency=1 tests/agents/acp-codex.test.mjs
//
// Codex reaches the mock through a custom model provider in
// $HOME/.codex/config.toml. The session starts in the adapter's
// "workspace-write" mode (INITIAL_AGENT_MODE), where approvals go to the
// client: in its default "agent" mode they go to Codex's own automatic
// reviewer and never reach Airlock (see the todo test).
//
// The commands here ask for escalation (`sandbox_permissions:
// "require_escalated"`), which is what sends them to the client for approval;
// once approved they run outside Codex's own sandbox, inside Airlock's. A
// command Codex would run in its own sandbox fails under Airlock: bubblewrap
// cannot write /proc/self/uid_map under Airlock's Landlock rules ("bwrap:
// setting up uid map: Permission denied"; through the app-server, "error
// building bubblewrap command: Permission denied (os error 13)").

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { agentText, NPM_BIN, requireBins, startAcpAirlock } from './acp.mjs';
import { readOrNull } from './helpers.mjs';
import { codexConfig, lastCallOutput, startOpenAiMock } from './mock-openai.mjs';

const TEST = { timeout: 180_000 };
const ADAPTER = join(NPM_BIN, 'codex-acp');

/** The model's closing turn: repeats the tool output it was given. */
const echoResult = (body) => ({ text: `Result: ${JSON.stringify(lastCallOutput(body)?.output)}` });

/** A command Codex runs only once the user approves it (outside Codex's own sandbox). */
const escalated = (cmd) => ({
  call: 'exec_command',
  args: { cmd, sandbox_permissions: 'require_escalated', justification: 'Write a marker file' },
});

async function start(t, name, script, { mode = 'workspace-write' } = {}) {
  requireBins('codex-acp');
  const mock = await startOpenAiMock(script);
  t.after(() => mock.close());
  const ctx = await startAcpAirlock(name, {
    agentEnv: async (home) => {
      await mkdir(join(home, '.codex'), { recursive: true });
      await writeFile(join(home, '.codex', 'config.toml'), codexConfig(mock.url));
      return { MOCK_API_KEY: 'dummy', ...(mode ? { INITIAL_AGENT_MODE: mode } : {}) };
    },
    describeMock: () => mock.describe(),
  });
  t.after(() => ctx.close());
  return { mock, ctx };
}

describe('Airlock holds the real Codex adapter (codex-acp) over ACP', () => {
  test('staged: a patch Codex applies is held in its stage and lands when approved', TEST, async (t) => {
    const script = [
      { text: 'Adding the file.', patch: '*** Begin Patch\n*** Add File: src/staged.txt\n+Written by Codex in the stage.\n*** End Patch\n' },
      echoResult,
    ];
    const { mock, ctx } = await start(t, 'codex-staged', script);
    const session = await ctx.runAcp([ADAPTER], { mode: 'staged' });
    const stage = session.cwd;
    assert.ok(stage && stage !== ctx.project && !stage.startsWith(`${ctx.project}/`), `the session runs in a stage outside the project: ${stage}`);
    assert.equal(session.chat.mode, 'workspace-write', JSON.stringify(session.chat.modes));

    const turn = ctx.prompt(session.id, 'Add src/staged.txt');
    const r = await turn.done;
    assert.equal(r.code, 0, `airlock prompt failed: ${r.stderr}${ctx.describe()}`);
    assert.equal(r.json.stopReason, 'endTurn', JSON.stringify(r.json));
    const out = lastCallOutput(mock.mainRequests[1]?.body);
    assert.ok(out, `the model got no result of the patch:\n${mock.describe()}`);
    assert.equal(await readOrNull(join(stage, 'src', 'staged.txt')), 'Written by Codex in the stage.\n', `the stage holds the patch${ctx.describe()}`);
    assert.equal(existsSync(join(ctx.project, 'src', 'staged.txt')), false, 'a staged write reached the project before approval');
    const tool = r.json.entries.find((e) => e.type === 'tool' && e.call.kind === 'edit')?.call;
    assert.ok(tool, `no edit tool entry: ${JSON.stringify(r.json.entries)}`);
    assert.equal(tool.status, 'completed', JSON.stringify(tool));
    assert.equal(tool.permission?.outcome, 'allowed', `Codex asked to patch and the stage allowed it: ${JSON.stringify(tool)}`);
    assert.equal(tool.permission.action ?? null, null, 'a staged edit needs no card: the stage holds it');
    assert.match(String(out.output), /Success/, `the patch came back to the model as a failure: ${JSON.stringify(out)}`);
    const change = await ctx.waitChange('src/staged.txt', 'the staged patch as a pending change');
    assert.equal(change.kind, 'created');
    await ctx.ok(['approve', change.id]);
    assert.equal(await readOrNull(join(ctx.project, 'src', 'staged.txt')), 'Written by Codex in the stage.\n');
    await ctx.waitNoChange('src/staged.txt', 'the approved change leaves the queue');
  });

  test('a command waits as an action; rejected, it does not run; approved, it does', TEST, async (t) => {
    let stage = null;
    // Codex may end a turn on a refusal without asking the model again, so
    // each request is answered from what it carries, not from its position.
    const answer = (body) => {
      const input = Array.isArray(body?.input) ? body.input : [];
      const last = input.at(-1);
      if (last?.type === 'function_call_output') return echoResult(body);
      const text = JSON.stringify(last?.content || '');
      const marker = text.includes('other') ? 'approved' : 'rejected';
      return escalated(`echo ${marker} > ${join(stage, `${marker}.txt`)}`);
    };
    const script = Array(6).fill(answer);
    const { mock, ctx } = await start(t, 'codex-exec', script);
    const session = await ctx.runAcp([ADAPTER], { mode: 'staged' });
    stage = session.cwd;

    const first = ctx.prompt(session.id, 'Run the marker command', { asJson: false });
    const action = await ctx.waitAction('the command as an action', (a) => a.session === session.id && a.tool !== 'Exec');
    assert.match(action.summary, /rejected\.txt/, JSON.stringify(action));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(existsSync(join(stage, 'rejected.txt')), false, 'the command ran before anyone decided');
    assert.equal(mock.mainRequests.length, 1, `Codex went on before the card was decided:\n${mock.describe()}`);
    const card = (await ctx.tools(session.id)).find((c) => c.permission?.action === action.id);
    assert.ok(card, `no tool card carries action ${action.id}${ctx.describe()}`);
    assert.equal(card.kind, 'execute', JSON.stringify(card));
    await ctx.ok(['reject', action.id, '--reason', 'no shell commands today']);
    const r1 = await first.done;
    assert.equal(r1.code, 0, `airlock prompt failed: ${r1.stderr}${ctx.describe()}`);
    assert.match(r1.stderr, new RegExp(`airlock approve ${action.id}`), `prompt names the waiting action on stderr: ${r1.stderr}`);
    assert.equal(existsSync(join(stage, 'rejected.txt')), false, 'a rejected command ran');
    assert.equal(existsSync(join(ctx.project, 'rejected.txt')), false, 'a rejected command ran');
    const after = (await ctx.tools(session.id)).find((c) => c.id === card.id);
    assert.equal(after?.permission?.outcome, 'rejected', JSON.stringify(after));
    assert.equal(after.status, 'failed', JSON.stringify(after));
    assert.equal((await ctx.status()).actions.length, 0, 'the card went with the decision');
    // Whether Codex tells the model or ends the turn, the model never hears the command ran.
    for (const req of mock.mainRequests) {
      const out = lastCallOutput(req.body);
      assert.doesNotMatch(String(out?.output ?? ''), /exited with code 0/, `the model was told the command ran:\n${mock.describe()}`);
    }

    const second = ctx.prompt(session.id, 'Run the other marker command');
    const action2 = await ctx.waitAction('the second command as an action', (a) => a.session === session.id && a.tool !== 'Exec' && a.id !== action.id);
    await ctx.ok(['approve', action2.id]);
    const r2 = await second.done;
    assert.equal(r2.code, 0, `airlock prompt failed: ${r2.stderr}${ctx.describe()}`);
    assert.equal(await readOrNull(join(stage, 'approved.txt')), 'approved\n', `the approved command did not run${ctx.describe()}`);
    assert.match(agentText(r2.json.entries), /Result:/);
  });

  test(
    // codex-acp 2.6.0 starts in "agent" (Auto review), where approvals go to
    // Codex's own model reviewer: Airlock moves it to "workspace-write" first.
    'an adapter starting in its own mode "agent" is moved to one that asks, so a command still comes to Airlock',
    TEST,
    async (t) => {
      let stage = null;
      const script = [() => escalated(`echo unasked > ${join(stage, 'unasked.txt')}`), echoResult];
      const { ctx } = await start(t, 'codex-agent', script, { mode: null });
      const session = await ctx.runAcp([ADAPTER], { mode: 'staged' });
      stage = session.cwd;
      const turn = ctx.prompt(session.id, 'Run the marker command');
      const action = await ctx.waitActionOrEnd(session.id, turn);
      if (action) await ctx.ok(['reject', action.id]);
      await turn.done;
      assert.equal(session.chat.mode, 'workspace-write', 'Airlock left the self-reviewing mode');
      assert.ok(action, `no action card: the session's mode was ${session.chat.mode}`);
    },
  );
});
