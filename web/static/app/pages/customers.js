// Placeholder: this page is being built.
import { html, Page } from '../ui.js';
export function CustomersPage() { return html`<${Page} title="…"><p>Soon.</p></${Page}>`; }
export function CustomerPage() { return html`<${Page} title="…"><p>Soon.</p></${Page}>`; }
