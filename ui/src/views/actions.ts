// Action cards: a risky operation an agent asked to perform ("Run `rm -rf
// build`?") waits at the top of the review pane with why it was judged risky,
// and Allow once / Always allow / Deny… . With a card focused, a / A / r do
// the same.

import type { ActionAnswer, Ctx } from '../context';
import type { Action } from '../ipc/bindings';
import { h, icon, ICONS } from '../lib/dom';
import { askReason } from './reason';

/** "Run", "Fetch", …: the question a card asks, by tool. */
function verb(tool: string): string {
  switch (tool) {
    case 'Bash':
      return 'Run';
    // The exec gate: a program the session started, waiting in the kernel.
    case 'Exec':
      return 'Start';
    case 'WebFetch':
      return 'Fetch';
    case 'WebSearch':
      return 'Search the web for';
    case 'Read':
      return 'Read';
    case 'Write':
      return 'Write';
    case 'Edit':
    case 'MultiEdit':
    case 'NotebookEdit':
      return 'Edit';
    case 'Glob':
    case 'Grep':
    case 'LS':
      return 'Look through';
    default:
      return `Use ${tool} on`;
  }
}

/** A risk's kind for people (`outsideProject` → "outside the project"). */
const RISK_WORDS: Record<string, string> = {
  delete: 'deletes',
  forcePush: 'force push',
  historyRewrite: 'rewrites history',
  sudo: 'sudo',
  pipeToShell: 'pipes to a shell',
  packageInstall: 'installs packages',
  outsideProject: 'outside the project',
  network: 'network',
  secrets: 'secrets',
  permissions: 'permissions',
  exec: 'runs code',
  unparsed: 'not understood',
};

function riskWord(kind: string): string {
  return RISK_WORDS[kind] ?? kind.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Text with its `backticked` parts as code. */
function withCode(text: string): (Node | string)[] {
  return text.split(/`([^`]+)`/).map((part, i) => (i % 2 === 1 ? h('code', { text: part }) : part));
}

/** Why the action was judged risky, one line a risk; or that no rule allows it yet. */
function riskList(a: Action): HTMLElement {
  return a.risks.length
    ? h(
        'ul',
        { class: 'action-risks', 'aria-label': 'Why it was judged risky' },
        ...a.risks.map((r) =>
          h('li', { 'data-kind': r.kind }, h('span', { class: 'action-risk-kind', title: r.kind, text: riskWord(r.kind) }), h('span', { class: 'action-risk-why' }, ...withCode(r.why))),
        ),
      )
    : h('p', { class: 'action-no-risk', text: 'No rule allows this yet.' });
}

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

const DENY = { verb: 'Deny', gerund: 'denying', testid: 'action-reason', confirmTestid: 'action-deny-confirm' };

export class ActionsView {
  readonly el = h('section', { class: 'action-cards', 'data-testid': 'action-cards', 'aria-label': 'Actions waiting for you', hidden: true });
  private readonly cards = new Map<string, { el: HTMLElement; busy: boolean }>();
  /** A card decided while it had the focus: when it goes, the next card takes the focus. */
  private refocusAfter: string | null = null;

  constructor(private readonly ctx: Ctx) {
    ctx.store.on('actions', () => this.render());
    // The session's name shows on each card.
    ctx.store.on('sessions', () => this.render());
    this.render();
  }

  /** Focuses the oldest card (from the top bar's count). */
  focusFirst(): void {
    this.el.querySelector<HTMLElement>('[data-testid="action-card"]')?.focus();
  }

  private render(): void {
    const actions = this.ctx.store.actionList();
    const keep = new Set(actions.map((a) => a.id));
    const active = document.activeElement;
    let refocus = false;
    for (const [id, c] of this.cards) {
      if (keep.has(id)) continue;
      if (active === c.el) refocus = true;
      c.el.remove();
      this.cards.delete(id);
    }
    if (this.refocusAfter !== null && !keep.has(this.refocusAfter)) {
      refocus ||= active === null || active === document.body;
      this.refocusAfter = null;
    }
    actions.forEach((a, i) => {
      let c = this.cards.get(a.id);
      if (!c) {
        c = { el: this.card(a), busy: false };
        this.cards.set(a.id, c);
      }
      this.renderSession(c.el, a);
      if (this.el.children[i] !== c.el) this.el.insertBefore(c.el, this.el.children[i] ?? null);
    });
    this.el.hidden = actions.length === 0;
    // The card that had the focus was decided: the next one takes it, so a / r keep working.
    if (refocus) this.focusFirst();
  }

  private renderSession(card: HTMLElement, a: Action): void {
    const { store } = this.ctx;
    const slot = card.querySelector<HTMLElement>('.action-session');
    const cwd = card.querySelector<HTMLElement>('[data-testid="action-cwd"]');
    const s = store.sessions.get(a.session);
    const name = s?.name ?? a.session;
    if (slot) {
      // Which session asks matters once there are several.
      slot.hidden = store.sessions.size < 2;
      if (slot.textContent !== name) slot.textContent = name;
      slot.title = `Asked by session ${name} (${a.session})`;
    }
    if (cwd) {
      const where = this.place(a.cwd, s?.mode === 'staged' ? s.cwd : null, name);
      if (cwd.textContent !== where) cwd.textContent = where;
    }
  }

  /** A folder for people: inside the session's stage or the project, relative to it. */
  private place(dir: string, stage: string | null, session: string): string {
    const under = (root: string) => {
      const r = root.replace(/\/+$/, '');
      return dir === r ? '' : dir.startsWith(`${r}/`) ? dir.slice(r.length) : null;
    };
    const project = this.ctx.store.project;
    const inStage = stage ? under(stage) : null;
    if (inStage !== null) return `${session}'s stage${inStage}`;
    const inProject = project ? under(project) : null;
    if (inProject !== null) return `${project.split('/').filter(Boolean).pop() ?? project}${inProject}`;
    return dir;
  }

  private card(a: Action): HTMLElement {
    const question = h(
      'p',
      { class: 'action-question' },
      `${verb(a.tool)} `,
      h('code', { class: 'action-summary', 'data-testid': 'action-summary', text: a.summary || '(nothing)' }),
      '?',
    );
    const el = h(
      'article',
      {
        class: 'action-card',
        'data-testid': 'action-card',
        'data-action-id': a.id,
        'data-session-id': a.session,
        tabindex: 0,
        'aria-label': `${verb(a.tool)} ${a.summary}? — a: allow once, A: always allow, r: deny`,
      },
      h(
        'div',
        { class: 'action-head' },
        h('span', { class: 'action-icon', 'aria-hidden': 'true' }, icon(ICONS.hand)),
        h('span', { class: 'action-tool', 'data-testid': 'action-tool', text: a.tool }),
        h('span', { class: 'badge badge-session action-session' }),
        h('span', { class: 'spacer' }),
        h('time', { class: 'action-time', datetime: new Date(a.at).toISOString(), text: clock(a.at) }),
      ),
      question,
      h('p', { class: 'action-cwd', title: a.cwd }, icon(ICONS.folder), h('span', { class: 'sr-only', text: 'in ' }), h('code', { 'data-testid': 'action-cwd', 'data-cwd': a.cwd })),
      riskList(a),
      a.suggestedRule !== null
        ? h('p', { class: 'action-suggested' }, 'Always allow adds ', h('code', { text: a.suggestedRule }), ' to ', h('code', { text: '.airlock/policy.toml' }))
        : null,
      this.decideRow(a),
    );
    el.addEventListener('keydown', (ev) => {
      if (ev.target !== el || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
      if (ev.key === 'a') void this.answer(a, 'allow');
      else if (ev.key === 'A') {
        if (a.suggestedRule === null) this.ctx.notify('No rule can describe this action: allow it once (a), or deny it (r)');
        else void this.answer(a, 'always');
      } else if (ev.key === 'r') void this.deny(a);
      else return;
      // Handled here: the review's own a / A / r must not act on a hunk too.
      ev.preventDefault();
      ev.stopPropagation();
    });
    return el;
  }

  /** Deny… / Always allow / Allow once; Deny… opens the reason prompt in their place. */
  private decideRow(a: Action): HTMLElement {
    const allow = h(
      'button',
      {
        class: 'btn btn-approve btn-sm',
        type: 'button',
        'data-testid': 'action-allow',
        title: 'Let the agent do this once (a)',
        onclick: () => void this.answer(a, 'allow'),
      },
      icon(ICONS.check),
      'Allow once',
    );
    const always = h(
      'button',
      {
        class: 'btn btn-sm',
        type: 'button',
        'data-testid': 'action-always',
        disabled: a.suggestedRule === null,
        title:
          a.suggestedRule === null
            ? 'No rule can describe this action: allow it once, or deny it'
            : `Allow it and add ${a.suggestedRule} to .airlock/policy.toml, so it passes from now on (A)`,
        onclick: () => void this.answer(a, 'always'),
      },
      icon(ICONS.shield),
      'Always allow',
    );
    const deny = h(
      'button',
      {
        class: 'btn btn-reject btn-sm',
        type: 'button',
        'data-testid': 'action-deny',
        title: 'Refuse, with a reason the agent reads (r)',
        onclick: () => void this.deny(a),
      },
      icon(ICONS.x),
      'Deny…',
    );
    const buttons = h('div', { class: 'action-buttons' }, deny, h('span', { class: 'spacer' }), always, allow);
    return h('div', { class: 'action-decide' }, buttons);
  }

  private async deny(a: Action): Promise<void> {
    const c = this.cards.get(a.id);
    if (!c || c.busy) return;
    const decide = c.el.querySelector<HTMLElement>('.action-decide');
    const buttons = c.el.querySelector<HTMLElement>('.action-buttons');
    if (!decide || !buttons) return;
    // Only a card focused for the keyboard hands the focus on; a click does not.
    const hadFocus = document.activeElement === c.el;
    const reason = await askReason(decide, buttons, a.summary, DENY);
    if (reason === null) {
      if (c.el.isConnected && hadFocus) c.el.focus();
      return;
    }
    await this.answer(a, 'deny', reason || undefined, true);
  }

  private async answer(a: Action, answer: ActionAnswer, reason?: string, hadFocus?: boolean): Promise<void> {
    const c = this.cards.get(a.id);
    if (!c || c.busy) return;
    const focused = hadFocus ?? document.activeElement === c.el;
    c.busy = true;
    c.el.classList.add('busy');
    for (const b of c.el.querySelectorAll('button')) b.disabled = true;
    if (focused) this.refocusAfter = a.id;
    const ok = await this.ctx.decideAction(a.id, answer, reason);
    if (ok || !c.el.isConnected) return;
    // Refused: the card stays as it was.
    if (this.refocusAfter === a.id) this.refocusAfter = null;
    c.busy = false;
    c.el.classList.remove('busy');
    for (const b of c.el.querySelectorAll<HTMLButtonElement>('button')) b.disabled = b.dataset['testid'] === 'action-always' && a.suggestedRule === null;
    if (focused) c.el.focus();
  }
}
