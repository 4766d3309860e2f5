// Placeholder: this page is being built.
import { html, Page } from '../ui.js';
export function SettingsPage() { return html`<${Page} title="…"><p>Soon.</p></${Page}>`; }
