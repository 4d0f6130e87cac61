import './styles/app.css';
import { App } from './app';
import { createTransport } from './ipc/transport';

const root = document.getElementById('app');
if (root) {
  const transport = createTransport();
  // The first state is on its way while the app builds its views.
  const early = { status: transport.call({ op: 'status' }), changes: transport.call({ op: 'listChanges' }) };
  // Both are awaited by the app; until then a rejection is not unhandled.
  early.status.catch(() => undefined);
  early.changes.catch(() => undefined);
  new App(transport, root).start(early);
}
