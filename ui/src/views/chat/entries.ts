// One view per transcript entry. A view is built when its entry comes near
// the view (the pane draws only those) and then told of the entry's new state
// (`set`) or of text appended to it (`append`); it redraws only itself, and
// streamed text only at the end (see MarkdownStream). A view may be dropped
// and built again at any time, so what the user did to it (a thought opened,
// a decision on its way) is kept by the host, not in the view.

import type { ChatEntry, PlanItem, StopReason, ToolCall, ToolContent, ToolKind, ToolStatus } from '../../ipc/bindings';
import { h, icon, ICONS } from '../../lib/dom';
import { lineDiff } from './linediff';
import { MarkdownStream } from './markdown';

/** What entry views ask of their pane. */
export interface EntryHost {
  /** Opens the review pane on the pending change of `path`. */
  showChange(path: string): void;
  /** Whether a change of `path` waits in the review queue. */
  hasChange(path: string): boolean;
  /** Allows or rejects the action a permission request became; true when the engine took it. */
  decide(index: number, action: string, allow: boolean): Promise<boolean>;
  /** Whether a decision on `action` is on its way. */
  deciding(action: string): boolean;
  /** Why the waiting action `id` was judged risky, when it is known. */
  actionWhy(id: string): string | null;
  /** Whether the user opened entry `index`'s folded part (a thought). */
  unfolded(index: number): boolean;
  /** The user opened or closed entry `index`'s folded part. */
  fold(index: number, open: boolean): void;
}

export interface EntryView {
  readonly el: HTMLElement;
  readonly type: ChatEntry['type'];
  /** The entry as it is now (same type). */
  set(entry: ChatEntry): void;
  /** Text streamed onto the entry (agent and thought entries). */
  append?(text: string): void;
  /** Draws what `append` left; false when something is left for a later frame (never when `force`). */
  flush?(force?: boolean): boolean;
  /** The pending changes moved (locations link to them). */
  changesMoved?(): void;
  /** The waiting actions moved (a permission card says why its action is risky). */
  actionsMoved?(): void;
}

function shell(type: ChatEntry['type'], index: number, ...children: Element[]): HTMLElement {
  return h('div', { class: `chat-entry chat-${type}`, 'data-testid': 'chat-entry', 'data-type': type, 'data-index': index }, ...children);
}

class UserView implements EntryView {
  readonly type = 'user';
  readonly el: HTMLElement;
  private readonly body = h('div', { class: 'chat-user-text' });

  constructor(entry: Extract<ChatEntry, { type: 'user' }>, index: number) {
    this.el = shell('user', index, this.body);
    this.set(entry);
  }

  set(entry: ChatEntry): void {
    if (entry.type !== 'user') return;
    // `@path` words were sent as files: shown as such.
    this.body.replaceChildren(...entry.text.split(/(@\S+)/).map((part, i) => (i % 2 === 1 ? h('code', { class: 'chat-mention', text: part }) : part)));
  }
}

class AgentView implements EntryView {
  readonly type = 'agent';
  readonly el: HTMLElement;
  private readonly md = new MarkdownStream('chat-markdown');

  constructor(entry: Extract<ChatEntry, { type: 'agent' }>, index: number) {
    this.el = shell('agent', index, this.md.el);
    this.md.append(entry.text);
  }

  set(entry: ChatEntry): void {
    if (entry.type === 'agent') this.md.reset(entry.text);
  }

  append(text: string): void {
    this.md.append(text);
  }

  flush(force = false): boolean {
    return this.md.flush(force);
  }
}

class ThoughtView implements EntryView {
  readonly type = 'thought';
  readonly el: HTMLElement;
  /** Thoughts are plain text: appending to a text node is the cheapest stream there is. */
  private readonly text = document.createTextNode('');

  constructor(entry: Extract<ChatEntry, { type: 'thought' }>, index: number, host: EntryHost) {
    const details = h(
      'details',
      { class: 'chat-thought-box', open: host.unfolded(index), ontoggle: () => host.fold(index, details.open) },
      h('summary', { class: 'chat-thought-summary' }, h('span', { text: 'Thinking' })),
      h('div', { class: 'chat-thought-text' }, this.text),
    );
    this.el = shell('thought', index, details);
    this.text.data = entry.text;
  }

  set(entry: ChatEntry): void {
    if (entry.type === 'thought' && entry.text !== this.text.data) this.text.data = entry.text;
  }

  append(text: string): void {
    this.text.appendData(text);
  }
}

const PLAN_MARK: Record<PlanItem['status'], string> = { pending: '○', inProgress: '◐', completed: '●' };

class PlanView implements EntryView {
  readonly type = 'plan';
  readonly el: HTMLElement;
  private readonly list = h('ul', { class: 'chat-plan-list', 'data-testid': 'chat-plan' });
  private readonly count = h('span', { class: 'chat-plan-count' });

  constructor(entry: Extract<ChatEntry, { type: 'plan' }>, index: number) {
    this.el = shell('plan', index, h('div', { class: 'chat-plan-head' }, h('span', { text: 'Plan' }), this.count), this.list);
    this.set(entry);
  }

  set(entry: ChatEntry): void {
    if (entry.type !== 'plan') return;
    const done = entry.items.filter((i) => i.status === 'completed').length;
    this.count.textContent = `${done} / ${entry.items.length}`;
    this.list.replaceChildren(
      ...entry.items.map((item) =>
        h(
          'li',
          { class: `chat-plan-item plan-${item.status}`, 'data-status': item.status },
          h('span', { class: 'chat-plan-mark', 'aria-hidden': 'true', text: PLAN_MARK[item.status] }),
          h('span', { class: 'sr-only', text: `${item.status === 'inProgress' ? 'in progress' : item.status}: ` }),
          h('span', { class: 'chat-plan-text', text: item.content }),
        ),
      ),
    );
  }
}

const KIND_WORD: Record<ToolKind, string> = {
  read: 'Read',
  edit: 'Edit',
  delete: 'Delete',
  move: 'Move',
  search: 'Search',
  execute: 'Run',
  think: 'Think',
  fetch: 'Fetch',
  switchMode: 'Mode',
  other: 'Tool',
};

const KIND_ICON: Record<ToolKind, string> = {
  read: ICONS.file,
  edit: ICONS.edit,
  delete: ICONS.trash,
  move: ICONS.file,
  search: ICONS.search,
  execute: ICONS.terminal,
  think: ICONS.history,
  fetch: ICONS.plug,
  switchMode: ICONS.restart,
  other: ICONS.plug,
};

const STATUS_WORD: Record<ToolStatus, string> = { pending: 'pending', inProgress: 'running', completed: 'done', failed: 'failed' };

/** Diff rows shown in a card before "… more". */
const DIFF_ROWS = 120;

class ToolView implements EntryView {
  readonly type = 'tool';
  readonly el: HTMLElement;
  private call: ToolCall;

  constructor(
    entry: Extract<ChatEntry, { type: 'tool' }>,
    private readonly index: number,
    private readonly host: EntryHost,
  ) {
    this.call = entry.call;
    this.el = shell('tool', index);
    this.render();
  }

  set(entry: ChatEntry): void {
    if (entry.type !== 'tool') return;
    this.call = entry.call;
    this.render();
  }

  actionsMoved(): void {
    const p = this.call.permission;
    if (p?.action && !p.outcome) this.render();
  }

  changesMoved(): void {
    for (const b of this.el.querySelectorAll<HTMLElement>('[data-path]')) {
      b.classList.toggle('has-change', this.host.hasChange(b.dataset['path'] ?? ''));
    }
  }

  private pathButton(path: string, label: string, testid: string): HTMLElement {
    const pending = this.host.hasChange(path);
    return h(
      'button',
      {
        class: `chat-path${pending ? ' has-change' : ''}`,
        type: 'button',
        'data-testid': testid,
        'data-path': path,
        title: `${path} — show its pending change in the review pane`,
        onclick: () => this.host.showChange(path),
      },
      icon(ICONS.file),
      h('span', { class: 'chat-path-text', text: label }),
    );
  }

  private render(): void {
    const c = this.call;
    const card = h(
      'article',
      { class: `chat-tool-card status-${c.status}`, 'data-testid': 'chat-tool', 'data-status': c.status, 'data-kind': c.kind, 'data-tool-id': c.id },
      h(
        'header',
        { class: 'chat-tool-head' },
        h('span', { class: 'chat-tool-kind', title: c.kind }, icon(KIND_ICON[c.kind]), h('span', { text: KIND_WORD[c.kind] })),
        h('span', { class: 'chat-tool-title', title: c.title, text: c.title }),
        h('span', { class: `chat-tool-status status-${c.status}`, 'data-testid': 'chat-tool-status', text: STATUS_WORD[c.status] }),
      ),
      c.locations.length
        ? h(
            'div',
            { class: 'chat-tool-locations' },
            ...c.locations.map((l) => this.pathButton(l.path, l.line ? `${l.path}:${l.line}` : l.path, 'chat-tool-location')),
          )
        : null,
      ...c.content.map((content) => this.content(content)),
      this.permission(),
    );
    this.el.replaceChildren(card);
  }

  private content(content: ToolContent): HTMLElement {
    switch (content.type) {
      case 'text':
        return h('pre', { class: 'chat-tool-text', text: content.text });
      case 'terminal':
        return h('p', { class: 'chat-tool-terminal' }, icon(ICONS.terminal), h('span', { text: 'terminal ' }), h('code', { text: content.terminalId }));
      case 'diff':
        return this.diff(content);
    }
  }

  private diff(d: Extract<ToolContent, { type: 'diff' }>): HTMLElement {
    const rows = lineDiff(d.oldText, d.newText);
    const added = rows.filter((r) => r.kind === 'added').length;
    const removed = rows.filter((r) => r.kind === 'removed').length;
    const shown = rows.slice(0, DIFF_ROWS);
    return h(
      'div',
      { class: 'chat-diff', 'data-testid': 'chat-diff' },
      h(
        'div',
        { class: 'chat-diff-head' },
        this.pathButton(d.path, d.path, 'chat-diff-path'),
        // A new file's old text comes as null or not at all.
        d.oldText == null ? h('span', { class: 'badge kind-created', text: 'new' }) : null,
        h('span', { class: 'stat' }, h('span', { class: 'add', text: `+${added}` }), ' ', h('span', { class: 'del', text: `−${removed}` })),
      ),
      h(
        'div',
        { class: 'chat-diff-lines' },
        ...shown.map((r) =>
          h('div', { class: `chat-diff-row row-${r.kind}` }, h('span', { class: 'chat-diff-mark', 'aria-hidden': 'true', text: r.kind === 'added' ? '+' : r.kind === 'removed' ? '−' : r.kind === 'skip' ? '⋯' : ' ' }), h('span', { text: r.text })),
        ),
        rows.length > shown.length ? h('div', { class: 'chat-diff-row row-skip', text: `… ${rows.length - shown.length} more lines — open the file in the review pane` }) : null,
      ),
    );
  }

  private permission(): HTMLElement | null {
    const p = this.call.permission;
    if (!p) return null;
    if (p.outcome) {
      const word = p.outcome === 'allowed' ? 'Allowed' : p.outcome === 'rejected' ? 'Rejected' : 'Cancelled';
      return h(
        'p',
        { class: `chat-permission decided outcome-${p.outcome}`, 'data-testid': 'chat-permission', 'data-outcome': p.outcome },
        icon(p.outcome === 'allowed' ? ICONS.check : ICONS.x),
        h('span', { class: 'chat-permission-word', text: word }),
        p.reason ? h('span', { class: 'chat-permission-reason', text: `— ${p.reason}` }) : null,
      );
    }
    const action = p.action;
    if (!action) {
      return h('p', { class: 'chat-permission', 'data-testid': 'chat-permission' }, icon(ICONS.hand), h('span', { text: p.reason ?? 'Waiting for the policy' }));
    }
    // The host redraws the card (this view or the one that replaced it) as the decision goes.
    const deciding = this.host.deciding(action);
    const answer = (allow: boolean) => {
      if (!this.host.deciding(action)) void this.host.decide(this.index, action, allow);
    };
    return h(
      'div',
      { class: 'chat-permission asking', 'data-testid': 'chat-permission', 'data-action-id': action },
      icon(ICONS.hand),
      h('span', { class: 'chat-permission-ask', text: p.reason ?? this.host.actionWhy(action) ?? 'The agent asks to do this' }),
      h(
        'span',
        { class: 'chat-permission-buttons' },
        h(
          'button',
          { class: 'btn btn-reject btn-sm', type: 'button', 'data-testid': 'chat-permission-reject', disabled: deciding, title: 'Refuse: the agent is told no', onclick: () => answer(false) },
          icon(ICONS.x),
          'Reject',
        ),
        h(
          'button',
          { class: 'btn btn-approve btn-sm', type: 'button', 'data-testid': 'chat-permission-allow', disabled: deciding, title: 'Let the agent do this once', onclick: () => answer(true) },
          icon(ICONS.check),
          'Allow',
        ),
      ),
    );
  }
}

const STOP_WORD: Record<StopReason, string> = {
  endTurn: 'Done',
  maxTokens: 'Stopped: the reply reached its token limit',
  maxTurnRequests: 'Stopped: the turn reached its request limit',
  refusal: 'The agent refused',
  cancelled: 'Cancelled',
  failed: 'The turn failed',
};

class TurnEndedView implements EntryView {
  readonly type = 'turnEnded';
  readonly el: HTMLElement;
  private readonly label = h('span', { class: 'chat-turn-label' });

  constructor(entry: Extract<ChatEntry, { type: 'turnEnded' }>, index: number) {
    this.el = shell('turnEnded', index, this.label);
    this.set(entry);
  }

  set(entry: ChatEntry): void {
    if (entry.type !== 'turnEnded') return;
    this.el.dataset['stopReason'] = entry.stopReason;
    this.el.classList.toggle('stopped', entry.stopReason !== 'endTurn');
    this.label.textContent = STOP_WORD[entry.stopReason];
  }
}

class NoticeView implements EntryView {
  readonly type = 'notice';
  readonly el: HTMLElement;
  private readonly text = h('span');

  constructor(entry: Extract<ChatEntry, { type: 'notice' }>, index: number) {
    this.el = shell('notice', index, icon(ICONS.alert), this.text);
    this.set(entry);
  }

  set(entry: ChatEntry): void {
    if (entry.type === 'notice') this.text.textContent = entry.text;
  }
}

/** The view for entry `index`. */
export function entryView(entry: ChatEntry, index: number, host: EntryHost): EntryView {
  switch (entry.type) {
    case 'user':
      return new UserView(entry, index);
    case 'agent':
      return new AgentView(entry, index);
    case 'thought':
      return new ThoughtView(entry, index, host);
    case 'plan':
      return new PlanView(entry, index);
    case 'tool':
      return new ToolView(entry, index, host);
    case 'turnEnded':
      return new TurnEndedView(entry, index);
    case 'notice':
      return new NoticeView(entry, index);
  }
}
