// Approve / reject buttons for a file or a hunk; reject opens the reason prompt.

import type { Ctx, Decision } from '../../context';
import { h, icon, ICONS } from '../../lib/dom';
import { askReason } from '../reason';

export interface DecideOptions {
  scope: 'file' | 'hunk';
  /** For labels: "at line 4 of src/a.rs". */
  what: string;
  ids: () => string[];
  /** What Reject takes, when not `ids` (a file's Reject takes its conflicts too). */
  rejectIds?: () => string[];
  busy: (on: boolean) => void;
  /** Told when the reason prompt opens and closes. */
  prompting?: (open: boolean) => void;
}

export interface DecideButtons {
  readonly el: HTMLElement;
  readonly approve: HTMLButtonElement;
  readonly reject: HTMLButtonElement;
  /** Disables Approve with a reason shown as its tooltip (null enables it). */
  block(reason: string | null, label?: string): void;
}

export function decisionButtons(ctx: Ctx, o: DecideOptions): DecideButtons {
  const row = h('div', { class: `decide decide-${o.scope}` });
  const wrap = h('div', { class: 'decide-wrap' }, row);
  const run = async (decision: Decision, reason?: string) => {
    o.busy(true);
    const ids = decision === 'reject' && o.rejectIds ? o.rejectIds() : o.ids();
    const ok = await ctx.decide(decision, ids, reason);
    // On success the block goes away with the engine's event; should it stay
    // (a conflict is held, say), it must not stay frozen.
    if (ok) setTimeout(() => o.busy(false), 4000);
    else o.busy(false);
  };
  const approveTitle = o.scope === 'hunk' ? 'Approve this hunk: it lands in the project (a)' : 'Approve every hunk of this file (A)';
  const approveLabel = h('span', { class: 'label', text: o.scope === 'hunk' ? 'Approve' : 'Approve file' });
  const reject = h(
    'button',
    {
      class: 'btn btn-sm btn-reject',
      type: 'button',
      'data-testid': `${o.scope}-reject`,
      'aria-label': `Reject ${o.scope} ${o.what}`,
      title: o.scope === 'hunk' ? 'Reject this hunk: it is reverted in the stage (r)' : 'Reject every hunk of this file (R)',
      onclick: async () => {
        o.prompting?.(true);
        const reason = await askReason(wrap, row, `${o.scope} ${o.what}`);
        o.prompting?.(false);
        if (reason !== null) await run('reject', reason || undefined);
      },
    },
    icon(ICONS.x),
    h('span', { class: 'label', text: o.scope === 'hunk' ? 'Reject' : 'Reject file' }),
  );
  const approve = h(
    'button',
    {
      class: 'btn btn-sm btn-approve',
      type: 'button',
      'data-testid': `${o.scope}-approve`,
      'aria-label': `Approve ${o.scope} ${o.what}`,
      title: approveTitle,
      onclick: () => void run('approve'),
    },
    icon(ICONS.check),
    approveLabel,
  );
  row.append(reject, approve);
  return {
    el: wrap,
    approve,
    reject,
    block(reason, label) {
      approve.disabled = reason !== null;
      approve.title = reason ?? approveTitle;
      approveLabel.textContent = label ?? (o.scope === 'hunk' ? 'Approve' : 'Approve file');
    },
  };
}
