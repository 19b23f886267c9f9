// Model page, card tab: the model card element, fed with the manifest.
import { pageData } from './common.js';

await customElements.whenDefined('cairn-model-card');
document.getElementById('model-card').manifest = pageData().manifest;
