import './styles/app.css';
import { App } from './app';
import { createTransport } from './ipc/transport';

const root = document.getElementById('app');
if (root) new App(createTransport(), root).start();
