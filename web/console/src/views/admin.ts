// Administration: the panels of admin/panels.ts.
import { ADMIN_PANELS } from '../admin/panels';
import { h } from '../dom';
import type { S3 } from '../s3';
import { title } from './layout';

export function adminView(s3: S3): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': 'view-title' },
    title('Administration'),
    h('p', { class: 'hint' }, 'Administrator operations of this service; other access keys are refused with AccessDenied.'),
    ...ADMIN_PANELS.map((panel) => panel.render(s3)),
  );
}
