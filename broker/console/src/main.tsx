// The console's entry: language, session, then the page for the path.
import { render } from 'preact';
import { App } from './app';
import './styles/base.css';
import './styles/pages.css';

render(<App />, document.getElementById('app')!);
