// Placeholder: this page is being built.
import { html, Page } from '../ui.js';
export function LinksPage() { return html`<${Page} title="…"><p>Soon.</p></${Page}>`; }
