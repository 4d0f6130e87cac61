import './styles/app.css';
import { App } from './app';
import { BootTransport, readBoot } from './ipc/boot';
import { createTransport } from './ipc/transport';

const root = document.getElementById('app');
if (root) {
  // `airlock serve` may have written the first state into the page (see ipc/boot.ts).
  const boot = readBoot();
  const transport = boot ? new BootTransport(createTransport(), boot) : createTransport();
  // The first state is on its way while the app builds its views.
  const early = { status: transport.call({ op: 'status' }), changes: transport.call({ op: 'listChanges' }) };
  // Both are awaited by the app; until then a rejection is not unhandled.
  early.status.catch(() => undefined);
  early.changes.catch(() => undefined);
  new App(transport, root).start(early);
}
